#include "collector/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "core/mem.h"

void
ia_crypto_sha256(const void *data, size_t len, unsigned char out[IA_SHA256_LEN])
{
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != IA_SHA256_LEN)
        IA_BUG("EVP_Digest(sha256) failed");
}

void
ia_crypto_sha256_hex(const void *data, size_t len, char out[2 * IA_SHA256_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[IA_SHA256_LEN];
    ia_crypto_sha256(data, len, md);
    for (int i = 0; i < IA_SHA256_LEN; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[2 * IA_SHA256_LEN] = '\0';
}

void
ia_crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                      unsigned char out[IA_SHA256_LEN])
{
    unsigned int n = 0;
    IA_ASSERT(key_len <= 0x7fffffff);
    if (!HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n) || n != IA_SHA256_LEN)
        IA_BUG("HMAC(sha256) failed");
}

void
ia_crypto_cleanse(void *p, size_t n)
{
    if (p && n)
        OPENSSL_cleanse(p, n);
}

double
ia_crypto_random_unit(void)
{
    unsigned long long v;
    if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
        IA_BUG("RAND_bytes failed");
    return (double)(v >> 11) * (1.0 / 9007199254740992.0);
}
