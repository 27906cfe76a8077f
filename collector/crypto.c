#include "collector/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "core/buf.h"
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

int
ia_crypto_base64_decode(const char *in, size_t len, struct ia_buf *out)
{
    struct ia_buf clean = IA_BUF_INIT;
    int rc = -1;
    for (size_t i = 0; i < len; i++)
        if (in[i] != '\n' && in[i] != '\r' && in[i] != ' ' && in[i] != '\t')
            ia_buf_addch(&clean, in[i]);
    if (clean.len % 4 != 0 || clean.len > 0x3fffffff)
        goto out;
    size_t pad = 0;
    if (clean.len >= 1 && clean.buf[clean.len - 1] == '=')
        pad++;
    if (clean.len >= 2 && clean.buf[clean.len - 2] == '=')
        pad++;
    size_t start = out->len;
    ia_buf_grow(out, clean.len / 4 * 3 + 1);
    int n = EVP_DecodeBlock((unsigned char *)out->buf + start, (const unsigned char *)clean.buf,
                            (int)clean.len);
    if (n < 0 || (size_t)n < pad)
        goto out;
    ia_buf_setlen(out, start + (size_t)n - pad);
    rc = 0;
out:
    ia_buf_release(&clean);
    return rc;
}
