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
/*
 * A SHA-256 context kept for many hashes, so that each hash allocates nothing. Not
 * thread-safe. new: free with ia_crypto_sha256_free (NULL-safe). The _with functions take
 * NULL for a one-shot hash.
 */
struct ia_crypto_sha256;
struct ia_crypto_sha256 *ia_crypto_sha256_new(void);
void ia_crypto_sha256_with(struct ia_crypto_sha256 *h, const void *data, size_t len,
                           unsigned char out[IA_SHA256_LEN]);
void ia_crypto_sha256_hex_with(struct ia_crypto_sha256 *h, const void *data, size_t len,
                               char out[2 * IA_SHA256_LEN + 1]);
void ia_crypto_sha256_free(struct ia_crypto_sha256 *h);

/* HMAC-SHA256(key, data). */
void ia_crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                           unsigned char out[IA_SHA256_LEN]);

/*
 * An HMAC-SHA256 key made ready once to sign many messages (the signing path's last HMAC,
 * under a cached SigV4 key). Holds key material: ia_crypto_hmac_free wipes it. Not
 * thread-safe: one user at a time (the caller locks). new: free with ia_crypto_hmac_free.
 */
struct ia_crypto_hmac;
struct ia_crypto_hmac *ia_crypto_hmac_new(const void *key, size_t key_len);
/* HMAC of data under h's key; no allocation. */
void ia_crypto_hmac_sign(struct ia_crypto_hmac *h, const void *data, size_t len,
                         unsigned char out[IA_SHA256_LEN]);
/* NULL-safe. */
void ia_crypto_hmac_free(struct ia_crypto_hmac *h);
/* Byte comparison whose time does not depend on where a and b differ: 0 when equal. */
int ia_crypto_memcmp(const void *a, const void *b, size_t n);
/* Overwrite n bytes at p in a way the compiler cannot elide (OPENSSL_cleanse). NULL-safe. */
void ia_crypto_cleanse(void *p, size_t n);
/* Uniform double in [0, 1) from OpenSSL's CSPRNG (falls back to rand() never: aborts on failure).
 */
double ia_crypto_random_unit(void);

/*
 * Decode base64 (whitespace ignored) into out (appended). Returns 0, or -1 for input
 * that is not base64.
 */
struct ia_buf;
int ia_crypto_base64_decode(const char *in, size_t len, struct ia_buf *out);

#endif
