/* The only door to OpenSSL: hashes, HMAC, randomness and wiping secrets. */
#ifndef IA_COLLECTOR_CRYPTO_H
#define IA_COLLECTOR_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define IA_SHA256_LEN 32

/* SHA-256 of data. */
void ia_crypto_sha256(const void *data, size_t len, unsigned char out[IA_SHA256_LEN]);
/* Lower-case hex SHA-256 (64 chars + NUL). */
void ia_crypto_sha256_hex(const void *data, size_t len, char out[2 * IA_SHA256_LEN + 1]);
/* HMAC-SHA256(key, data). */
void ia_crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                           unsigned char out[IA_SHA256_LEN]);
/* Overwrite n bytes at p in a way the compiler cannot elide (OPENSSL_cleanse). NULL-safe. */
void ia_crypto_cleanse(void *p, size_t n);
/* Uniform double in [0, 1) from OpenSSL's CSPRNG (falls back to rand() never: aborts on failure). */
double ia_crypto_random_unit(void);

/*
 * Decode base64 (whitespace ignored) into out (appended). Returns 0, or -1 for input
 * that is not base64.
 */
struct ia_buf;
int ia_crypto_base64_decode(const char *in, size_t len, struct ia_buf *out);

#endif
