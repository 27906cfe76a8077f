#include "collector/crypto.h"

#include <pthread.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "core/buf.h"
#include "core/mem.h"

/*
 * OpenSSL 3 looks an algorithm up in its provider store on every EVP_sha256() use and in
 * every one-shot HMAC() (~20,000 instructions each time): fetch SHA-256 and HMAC once per
 * process. Never freed: one of each, reachable until exit.
 */
static pthread_once_t s_fetch_once = PTHREAD_ONCE_INIT;
static EVP_MD *s_sha256;
static EVP_MAC *s_hmac;

static void
fetch_algorithms(void)
{
    s_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    s_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!s_sha256 || !s_hmac)
        IA_BUG("OpenSSL has no SHA256 or HMAC");
}

static void
fetch(void)
{
    if (pthread_once(&s_fetch_once, fetch_algorithms) != 0)
        IA_BUG("pthread_once failed");
}

void
ia_crypto_sha256(const void *data, size_t len, unsigned char out[IA_SHA256_LEN])
{
    unsigned int n = 0;
    fetch();
    if (EVP_Digest(data, len, out, &n, s_sha256, NULL) != 1 || n != IA_SHA256_LEN)
        IA_BUG("EVP_Digest(sha256) failed");
}

struct ia_crypto_sha256 {
    EVP_MD_CTX *ctx;
};

struct ia_crypto_sha256 *
ia_crypto_sha256_new(void)
{
    struct ia_crypto_sha256 *h = ia_xcalloc(1, sizeof(*h));
    fetch();
    if (!(h->ctx = EVP_MD_CTX_new()))
        IA_BUG("EVP_MD_CTX_new failed");
    return h;
}

void
ia_crypto_sha256_with(struct ia_crypto_sha256 *h, const void *data, size_t len,
                      unsigned char out[IA_SHA256_LEN])
{
    unsigned int n = 0;
    if (!h) {
        ia_crypto_sha256(data, len, out);
        return;
    }
    if (EVP_DigestInit_ex(h->ctx, s_sha256, NULL) != 1 ||
        EVP_DigestUpdate(h->ctx, data, len) != 1 || EVP_DigestFinal_ex(h->ctx, out, &n) != 1 ||
        n != IA_SHA256_LEN)
        IA_BUG("EVP_Digest(sha256) failed");
}

void
ia_crypto_sha256_free(struct ia_crypto_sha256 *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

void
ia_crypto_sha256_hex(const void *data, size_t len, char out[2 * IA_SHA256_LEN + 1])
{
    ia_crypto_sha256_hex_with(NULL, data, len, out);
}

void
ia_crypto_sha256_hex_with(struct ia_crypto_sha256 *h, const void *data, size_t len,
                          char out[2 * IA_SHA256_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[IA_SHA256_LEN];
    ia_crypto_sha256_with(h, data, len, md);
    for (int i = 0; i < IA_SHA256_LEN; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[2 * IA_SHA256_LEN] = '\0';
}

struct ia_crypto_hmac {
    EVP_MAC_CTX *ctx;
    int fresh; /* initialised with the key and not used yet */
};

struct ia_crypto_hmac *
ia_crypto_hmac_new(const void *key, size_t key_len)
{
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    struct ia_crypto_hmac *h = ia_xcalloc(1, sizeof(*h));
    fetch();
    if (!(h->ctx = EVP_MAC_CTX_new(s_hmac)) || EVP_MAC_init(h->ctx, key, key_len, params) != 1)
        IA_BUG("EVP_MAC_init(HMAC-SHA256) failed");
    h->fresh = 1;
    return h;
}

void
ia_crypto_hmac_sign(struct ia_crypto_hmac *h, const void *data, size_t len,
                    unsigned char out[IA_SHA256_LEN])
{
    size_t n = 0;
    /* A NULL key re-uses the one set by ia_crypto_hmac_new (OpenSSL 3.0 and later). */
    if ((!h->fresh && EVP_MAC_init(h->ctx, NULL, 0, NULL) != 1) ||
        EVP_MAC_update(h->ctx, data, len) != 1 ||
        EVP_MAC_final(h->ctx, out, &n, IA_SHA256_LEN) != 1 || n != IA_SHA256_LEN)
        IA_BUG("HMAC(sha256) failed");
    h->fresh = 0;
}

void
ia_crypto_hmac_free(struct ia_crypto_hmac *h)
{
    if (!h)
        return;
    EVP_MAC_CTX_free(h->ctx); /* OpenSSL wipes the key schedule it held */
    free(h);
}

void
ia_crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                      unsigned char out[IA_SHA256_LEN])
{
    struct ia_crypto_hmac *h = ia_crypto_hmac_new(key, key_len);
    ia_crypto_hmac_sign(h, data, len, out);
    ia_crypto_hmac_free(h);
}

int
ia_crypto_memcmp(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n);
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
