/*
 * AWS Signature Version 4. The rules follow the published test suite (classic copy and
 * aws-c-auth's) and botocore's SigV4Auth; tests/unit/test_sigv4.c and
 * tests/integration/sigv4_botocore_oracle.py hold this file to both.
 */
#include "collector/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/crypto.h"
#include "core/clock.h"
#include "core/mem.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TOKEN_HEADER "x-amz-security-token"
/* 9999-12-31T23:59:59Z: X-Amz-Date has four year digits. */
#define MAX_WHEN ((time_t)253402300799LL)

/* A header's lower-cased name and folded value, both NUL-terminated in one scratch buffer. */
struct canon_header {
    size_t name_off, value_off, value_len;
    size_t index; /* position in the request, keeps the sort stable */
};

/* Requests with at most this many headers (every one iam-audit sends) sign without malloc. */
#define STACK_HEADERS 16
#define STACK_SEGMENTS 32

struct canon_param {
    struct ia_buf key; /* re-encoded */
    struct ia_buf value;
};

static int
is_tchar(unsigned char c)
{
    /* RFC 7230 3.2.6 token characters. */
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Offset of the first '%' not followed by two hex digits, or -1. */
static long
bad_escape_at(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%')
            continue;
        if (i + 2 >= n || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
            return (long)i;
        i += 2;
    }
    return -1;
}

/*
 * The segment algorithm of aws-c-auth (s_append_normalized_path) and botocore
 * (remove_dot_segments): unlike RFC 3986 5.2.4, a trailing "." or ".." leaves no
 * trailing '/'. Paths are not %-decoded first, so "%2E%2E" is an ordinary segment.
 */
static void
normalize_path(const char *path, size_t n, struct ia_buf *out)
{
    struct seg {
        size_t off, len;
    } stack[STACK_SEGMENTS], *segs = stack;
    size_t depth = 0, alloc = 0, i = 0;

    while (i <= n) {
        size_t j = i;
        while (j < n && path[j] != '/')
            j++;
        size_t len = j - i;
        if (len == 0 || (len == 1 && path[i] == '.')) {
            /* "//" and "/./" add nothing */
        } else if (len == 2 && path[i] == '.' && path[i + 1] == '.') {
            if (depth)
                depth--;
        } else {
            if (depth == STACK_SEGMENTS && segs == stack) {
                alloc = 2 * STACK_SEGMENTS;
                segs = ia_xmalloc(alloc * sizeof(*segs));
                memcpy(segs, stack, sizeof(stack));
            } else if (segs != stack) {
                segs = ia_xgrow(segs, depth + 1, &alloc, sizeof(*segs));
            }
            segs[depth].off = i;
            segs[depth].len = len;
            depth++;
        }
        i = j + 1;
    }
    ia_buf_addch(out, '/');
    for (size_t k = 0; k < depth; k++) {
        ia_buf_add(out, path + segs[k].off, segs[k].len);
        if (k + 1 < depth || (n > 0 && path[n - 1] == '/'))
            ia_buf_addch(out, '/');
    }
    if (segs != stack)
        free(segs);
}

static enum ia_code
canonical_uri(const struct ia_sigv4_request *req, struct ia_buf *out, struct ia_buf *norm,
              struct ia_err *err)
{
    enum ia_code rc = IA_ERR_INVALID;
    const char *path = req->path && *req->path ? req->path : "/";
    size_t n = strlen(path);
    long bad = bad_escape_at(path, n);

    if (bad >= 0) {
        ia_err_set(err, IA_ERR_INVALID,
                   "sigv4: request path has a malformed %%-escape at offset %ld; a literal '%%' "
                   "must be sent as %%25",
                   bad);
        goto out;
    }
    if (req->normalize_path) {
        ia_buf_reset(norm);
        normalize_path(path, n, norm);
        path = norm->buf;
        n = norm->len;
    }
    /* The wire path is already encoded once; encoding it again is what services
     * other than S3 sign ('%' -> %25), and what botocore and aws-c-auth do. */
    ia_buf_add_urlencoded(out, path, n, 1);
    rc = IA_OK;
out:
    ia_buf_reset(norm);
    return rc;
}

static int
cmp_param(const void *a, const void *b)
{
    const struct canon_param *x = a, *y = b;
    /* Encoded text holds no NUL (a decoded NUL is %00), so strcmp is byte order. */
    int c = strcmp(x->key.buf, y->key.buf);
    return c ? c : strcmp(x->value.buf, y->value.buf);
}

static enum ia_code
canonical_query(const char *query, struct ia_buf *out, struct ia_err *err)
{
    enum ia_code rc = IA_ERR_INVALID;
    struct canon_param *params = NULL;
    struct ia_buf plain = IA_BUF_INIT;
    size_t n_params = 0, alloc = 0;
    const char *p = query ? query : "";

    while (*p) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        struct canon_param *cp;

        /* "a=1&&b=2" or a trailing '&' carry no parameter. */
        if (len) {
            params = ia_xgrow(params, n_params + 1, &alloc, sizeof(*params));
            cp = &params[n_params++];
            ia_buf_init(&cp->key);
            ia_buf_init(&cp->value);
            ia_buf_reset(&plain);
            if (ia_buf_add_urldecoded(&plain, p, klen)) {
                ia_err_set(err, IA_ERR_INVALID,
                           "sigv4: query parameter %zu has a malformed %%-escape in its name; "
                           "encode a literal '%%' as %%25",
                           n_params);
                goto out;
            }
            ia_buf_add_urlencoded(&cp->key, plain.buf, plain.len, 0);
            ia_buf_reset(&plain);
            if (eq && ia_buf_add_urldecoded(&plain, eq + 1, len - klen - 1)) {
                ia_err_set(err, IA_ERR_INVALID,
                           "sigv4: query parameter %zu has a malformed %%-escape in its value; "
                           "encode a literal '%%' as %%25",
                           n_params);
                goto out;
            }
            ia_buf_add_urlencoded(&cp->value, plain.buf, plain.len, 0);
        }
        p += len;
        if (*p == '&')
            p++;
    }
    if (n_params)
        qsort(params, n_params, sizeof(*params), cmp_param);
    for (size_t i = 0; i < n_params; i++) {
        if (i)
            ia_buf_addch(out, '&');
        ia_buf_add(out, params[i].key.buf, params[i].key.len);
        ia_buf_addch(out, '=');
        ia_buf_add(out, params[i].value.buf, params[i].value.len);
    }
    rc = IA_OK;
out:
    for (size_t i = 0; i < n_params; i++) {
        ia_buf_release(&params[i].key);
        ia_buf_release(&params[i].value);
    }
    free(params);
    ia_buf_release(&plain);
    return rc;
}

/*
 * Trimall of the SigV4 documentation, as botocore does it (' '.join(value.split())),
 * restricted to SP, HT and obs-fold: other control characters and a CR or LF that is
 * not a fold are refused, since sent as they are they would split the header.
 */
static enum ia_code
fold_value(size_t idx, size_t name_off, const char *v, struct ia_buf *out, struct ia_err *err)
{
#define name (out->buf + name_off)
    size_t n = strlen(v), start = out->len;
    int space = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == '\r' || c == '\n') {
            size_t j = i;
            if (c == '\r' && j + 1 < n && v[j + 1] == '\n')
                j++;
            if (v[j] != '\n' || j + 1 >= n || (v[j + 1] != ' ' && v[j + 1] != '\t'))
                return ia_err_set(err, IA_ERR_INVALID,
                                  "sigv4: header %zu (%s) value has a line break at offset %zu "
                                  "that is not a folded continuation; header values must be one "
                                  "line",
                                  idx, name, i);
            i = j;
            space = 1;
            continue;
        }
        if (c == ' ' || c == '\t') {
            space = 1;
            continue;
        }
        if (c < 0x20 || c == 0x7f)
            return ia_err_set(err, IA_ERR_INVALID,
                              "sigv4: header %zu (%s) value has control character 0x%02x at "
                              "offset %zu; header values must be printable text",
                              idx, name, c, i);
        if (space && out->len > start)
            ia_buf_addch(out, ' ');
        space = 0;
        /* The run of ordinary characters from here, in one copy. */
        size_t j = i + 1;
        while (j < n && (unsigned char)v[j] > 0x20 && (unsigned char)v[j] != 0x7f)
            j++;
        ia_buf_add(out, v + i, j - i);
        i = j - 1;
    }
    return IA_OK;
#undef name
}

/* Stable order of x and y: by name, then position in the request. */
static int
header_before(const char *base, const struct canon_header *x, const struct canon_header *y)
{
    int c = strcmp(base + x->name_off, base + y->name_off);
    return c ? c < 0 : x->index < y->index;
}

/* ASCII case-insensitive equality, without the locale that tolower() consults. */
static int
name_is(const char *name, const char *lower)
{
    for (; *name && *lower; name++, lower++) {
        char c = *name;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != *lower)
            return 0;
    }
    return *name == *lower;
}

/* scratch: emptied before and (wiped) after; it holds the token header's value. */
static enum ia_code
canonical_headers(const struct ia_sigv4_request *req, struct ia_buf *out,
                  struct ia_buf *signed_headers, struct ia_buf *scratch, struct ia_err *err)
{
    enum ia_code rc = IA_ERR_INVALID;
    struct canon_header stack[STACK_HEADERS], *h = stack;
    size_t n = req->n_headers;
    int have_host = 0, have_date = 0;

    ia_buf_reset(scratch);
    if (n && !req->headers) {
        ia_err_set(err, IA_ERR_INVALID, "sigv4: n_headers is %zu but headers is NULL", n);
        goto out;
    }
    if (n > STACK_HEADERS)
        h = ia_xcalloc(n, sizeof(*h));
    for (size_t i = 0; i < n; i++) {
        const char *name = req->headers[i].name ? req->headers[i].name : "";
        const char *value = req->headers[i].value ? req->headers[i].value : "";

        if (!*name) {
            ia_err_set(err, IA_ERR_INVALID, "sigv4: header %zu has an empty name", i);
            goto out;
        }
        h[i].index = i;
        h[i].name_off = scratch->len;
        for (const char *c = name; *c; c++) {
            if (!is_tchar((unsigned char)*c)) {
                ia_err_set(err, IA_ERR_INVALID,
                           "sigv4: header %zu name has character 0x%02x at offset %zu; header "
                           "names must be RFC 7230 tokens",
                           i, (unsigned char)*c, (size_t)(c - name));
                goto out;
            }
            ia_buf_addch(scratch, *c >= 'A' && *c <= 'Z' ? (char)(*c - 'A' + 'a') : *c);
        }
        ia_buf_addch(scratch, '\0');
        h[i].value_off = scratch->len;
        if (fold_value(i, h[i].name_off, value, scratch, err) != IA_OK)
            goto out;
        h[i].value_len = scratch->len - h[i].value_off;
        ia_buf_addch(scratch, '\0');
        have_host |= !strcmp(scratch->buf + h[i].name_off, "host");
        have_date |= !strcmp(scratch->buf + h[i].name_off, "x-amz-date");
    }
    if (!have_host || !have_date) {
        ia_err_set(err, IA_ERR_INVALID,
                   "sigv4: the request has no %s header; AWS requires it to be signed",
                   have_host ? "X-Amz-Date" : "Host");
        goto out;
    }
    /* Insertion sort: a handful of headers, and stable. */
    for (size_t i = 1; i < n; i++) {
        struct canon_header t = h[i];
        size_t j = i;
        for (; j > 0 && header_before(scratch->buf, &t, &h[j - 1]); j--)
            h[j] = h[j - 1];
        h[j] = t;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = scratch->buf + h[i].name_off;
        if (i && !strcmp(name, scratch->buf + h[i - 1].name_off)) {
            /* A repeated header: values joined with ',' in request order. */
            ia_buf_addch(out, ',');
        } else {
            if (i) {
                ia_buf_addch(out, '\n');
                ia_buf_addch(signed_headers, ';');
            }
            ia_buf_addstr(out, name);
            ia_buf_addch(out, ':');
            ia_buf_addstr(signed_headers, name);
        }
        ia_buf_add(out, scratch->buf + h[i].value_off, h[i].value_len);
    }
    ia_buf_addch(out, '\n');
    rc = IA_OK;
out:
    /* The token header's value is a credential: do not leave it in the buffer. */
    ia_crypto_cleanse(scratch->buf, scratch->len);
    ia_buf_reset(scratch);
    if (h != stack)
        free(h);
    return rc;
}

/* Into c and sh, which start empty; on failure their contents are to be discarded. */
static enum ia_code
canonical_request(const struct ia_sigv4_request *req, struct ia_buf *c, struct ia_buf *sh,
                  struct ia_buf *scratch, struct ia_crypto_sha256 *sha, struct ia_err *err)
{
    enum ia_code rc = IA_ERR_INVALID;
    char body_hash[2 * IA_SHA256_LEN + 1];
    const char *method = req->method ? req->method : "";

    if (!*method)
        return ia_err_set(err, IA_ERR_INVALID, "sigv4: the request has no method");
    for (const char *m = method; *m; m++) {
        if (!is_tchar((unsigned char)*m))
            return ia_err_set(err, IA_ERR_INVALID,
                              "sigv4: method has character 0x%02x; methods are RFC 7230 tokens "
                              "such as GET or POST",
                              (unsigned char)*m);
    }
    if (req->body_len && !req->body)
        return ia_err_set(err, IA_ERR_INVALID, "sigv4: body_len is %zu but body is NULL",
                          req->body_len);
    ia_buf_addstr(c, method);
    ia_buf_addch(c, '\n');
    if ((rc = canonical_uri(req, c, scratch, err)) != IA_OK)
        return rc;
    ia_buf_addch(c, '\n');
    if ((rc = canonical_query(req->query, c, err)) != IA_OK)
        return rc;
    ia_buf_addch(c, '\n');
    if ((rc = canonical_headers(req, c, sh, scratch, err)) != IA_OK)
        return rc;
    ia_buf_addch(c, '\n');
    ia_buf_add(c, sh->buf, sh->len);
    ia_buf_addch(c, '\n');
    /* Always the hash of the body: IAM, STS and Organizations take no
     * x-amz-content-sha256 and no UNSIGNED-PAYLOAD. */
    ia_crypto_sha256_hex_with(sha, req->body_len ? req->body : "", req->body_len, body_hash);
    ia_buf_addstr(c, body_hash);
    return IA_OK;
}

enum ia_code
ia_sigv4_canonical_request(const struct ia_sigv4_request *req, struct ia_buf *creq,
                           struct ia_buf *signed_headers, struct ia_err *err)
{
    struct ia_buf c = IA_BUF_INIT, sh = IA_BUF_INIT, scratch = IA_BUF_INIT;
    enum ia_code rc = canonical_request(req, &c, &sh, &scratch, NULL, err);

    if (rc == IA_OK) {
        ia_buf_add(creq, c.buf, c.len);
        ia_buf_add(signed_headers, sh.buf, sh.len);
    }
    ia_crypto_cleanse(c.buf, c.len);
    ia_buf_release(&c);
    ia_buf_release(&sh);
    ia_buf_release(&scratch);
    return rc;
}

static void
scope_of(const char *amz, const char *region, const char *service, struct ia_buf *out)
{
    ia_buf_add(out, amz, 8);
    ia_buf_addch(out, '/');
    ia_buf_addstr(out, region);
    ia_buf_addch(out, '/');
    ia_buf_addstr(out, service);
    ia_buf_addstr(out, "/aws4_request");
}

void
ia_sigv4_scope(time_t when, const char *region, const char *service, struct ia_buf *out)
{
    char amz[IA_TIME_AMZ_LEN];
    ia_time_format_amz(when, amz);
    scope_of(amz, region, service, out);
}

static void
string_to_sign(const char *amz, const char *scope, const struct ia_buf *creq,
               struct ia_crypto_sha256 *sha, struct ia_buf *sts)
{
    char hash[2 * IA_SHA256_LEN + 1];
    ia_crypto_sha256_hex_with(sha, creq->buf, creq->len, hash);
    ia_buf_addstr(sts, ALGORITHM "\n");
    ia_buf_addstr(sts, amz);
    ia_buf_addch(sts, '\n');
    ia_buf_addstr(sts, scope);
    ia_buf_addch(sts, '\n');
    ia_buf_add(sts, hash, 2 * IA_SHA256_LEN);
}

void
ia_sigv4_string_to_sign(time_t when, const char *scope, const char *creq, struct ia_buf *sts)
{
    char amz[IA_TIME_AMZ_LEN];
    struct ia_buf c = { (char *)creq, strlen(creq), 0 };
    ia_time_format_amz(when, amz);
    string_to_sign(amz, scope, &c, NULL, sts);
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"). */
static void
derive_key(const struct ia_sigv4_params *p, const char *amz, unsigned char out[IA_SHA256_LEN])
{
    unsigned char k1[IA_SHA256_LEN], k2[IA_SHA256_LEN];
    size_t slen = strlen(p->secret_access_key);
    char stack[4 + IA_SIGV4_CACHE_SECRET_MAX];
    /* One exact allocation when it does not fit, not an ia_buf: growing would leave copies
     * of the secret in memory that realloc released. */
    char *key = 4 + slen <= sizeof(stack) ? stack : ia_xmalloc(4 + slen);

    memcpy(key, "AWS4", 4);
    memcpy(key + 4, p->secret_access_key, slen);
    ia_crypto_hmac_sha256(key, 4 + slen, amz, 8, k1);
    ia_crypto_hmac_sha256(k1, sizeof(k1), p->region, strlen(p->region), k2);
    ia_crypto_hmac_sha256(k2, sizeof(k2), p->service, strlen(p->service), k1);
    ia_crypto_hmac_sha256(k1, sizeof(k1), "aws4_request", 12, out);
    ia_crypto_cleanse(key, 4 + slen);
    ia_crypto_cleanse(k1, sizeof(k1));
    ia_crypto_cleanse(k2, sizeof(k2));
    if (key != stack)
        free(key);
}

static void
hex_of(const unsigned char md[IA_SHA256_LEN], char out[65])
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < IA_SHA256_LEN; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[2 * IA_SHA256_LEN] = '\0';
}

void
ia_sigv4_signature(const struct ia_sigv4_params *p, const char *sts, char out[65])
{
    unsigned char k[IA_SHA256_LEN], md[IA_SHA256_LEN];
    char amz[IA_TIME_AMZ_LEN];

    ia_time_format_amz(p->when, amz);
    derive_key(p, amz, k);
    ia_crypto_hmac_sha256(k, sizeof(k), sts, strlen(sts), md);
    hex_of(md, out);
    ia_crypto_cleanse(k, sizeof(k));
}

static void
slot_clear(struct ia_sigv4_key_slot *s)
{
    ia_crypto_hmac_free(s->key);
    ia_crypto_cleanse(s, sizeof(*s));
    memset(s, 0, sizeof(*s));
}

void
ia_sigv4_key_cache_init(struct ia_sigv4_key_cache *c)
{
    memset(c, 0, sizeof(*c));
    if (pthread_mutex_init(&c->lock, NULL) != 0)
        IA_BUG("pthread_mutex_init failed");
    c->sha = ia_crypto_sha256_new();
    ia_buf_init(&c->creq);
    ia_buf_init(&c->sh);
    ia_buf_init(&c->scope);
    ia_buf_init(&c->sts);
    ia_buf_init(&c->scratch);
}

void
ia_sigv4_key_cache_release(struct ia_sigv4_key_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < IA_SIGV4_CACHE_SLOTS; i++)
        slot_clear(&c->slot[i]);
    ia_crypto_sha256_free(c->sha);
    ia_crypto_cleanse(c->creq.buf, c->creq.len);
    ia_crypto_cleanse(c->scratch.buf, c->scratch.len);
    ia_buf_release(&c->creq);
    ia_buf_release(&c->sh);
    ia_buf_release(&c->scope);
    ia_buf_release(&c->sts);
    ia_buf_release(&c->scratch);
    pthread_mutex_destroy(&c->lock);
    memset(c, 0, sizeof(*c));
}

/* The ready signing key for p (looked up, or derived and kept); NULL when p's secret,
 * region or service is too long to keep. Called with c->lock held. */
static struct ia_crypto_hmac *
cached_key(struct ia_sigv4_key_cache *c, const struct ia_sigv4_params *p, const char *amz)
{
    size_t slen = strlen(p->secret_access_key);
    char padded[IA_SIGV4_CACHE_SECRET_MAX];
    struct ia_sigv4_key_slot *victim = &c->slot[0];
    struct ia_crypto_hmac *key = NULL;
    unsigned char k[IA_SHA256_LEN];

    if (slen > sizeof(padded) || strlen(p->region) >= IA_SIGV4_CACHE_NAME_MAX ||
        strlen(p->service) >= IA_SIGV4_CACHE_NAME_MAX)
        return NULL;
    memset(padded, 0, sizeof(padded));
    memcpy(padded, p->secret_access_key, slen);
    for (size_t i = 0; i < IA_SIGV4_CACHE_SLOTS; i++) {
        struct ia_sigv4_key_slot *s = &c->slot[i];
        if (s->secret_len == slen && !memcmp(s->date, amz, 8) && !strcmp(s->region, p->region) &&
            !strcmp(s->service, p->service) &&
            !ia_crypto_memcmp(s->secret, padded, sizeof(padded))) {
            s->used = ++c->tick;
            key = s->key;
            goto out;
        }
        if (s->used < victim->used)
            victim = s;
    }
    slot_clear(victim);
    derive_key(p, amz, k);
    memcpy(victim->secret, padded, sizeof(padded));
    victim->secret_len = slen;
    memcpy(victim->date, amz, 8);
    snprintf(victim->region, sizeof(victim->region), "%s", p->region);
    snprintf(victim->service, sizeof(victim->service), "%s", p->service);
    victim->key = key = ia_crypto_hmac_new(k, sizeof(k));
    victim->used = ++c->tick;
    c->derivations++;
    ia_crypto_cleanse(k, sizeof(k));
out:
    ia_crypto_cleanse(padded, sizeof(padded));
    return key;
}

/* Region and service end up in the scope, split on '/': keep them to plain names. */
static enum ia_code
check_name(const char *what, const char *s, struct ia_err *err)
{
    if (!s || !*s)
        return ia_err_set(err, IA_ERR_INVALID, "sigv4: %s is empty; set it before signing", what);
    for (const char *c = s; *c; c++) {
        if (!is_tchar((unsigned char)*c) || *c == '%')
            return ia_err_set(err, IA_ERR_INVALID,
                              "sigv4: %s has character 0x%02x at offset %zu; expected a name "
                              "like us-east-1 or iam",
                              what, (unsigned char)*c, (size_t)(c - s));
    }
    return IA_OK;
}

static enum ia_code
check_params(const struct ia_sigv4_params *p, struct ia_err *err)
{
    enum ia_code rc;
    const char *k = p->access_key_id;

    if (!k || !*k)
        return ia_err_set(err, IA_ERR_INVALID, "sigv4: access key id is empty");
    for (const char *c = k; *c; c++) {
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
            return ia_err_set(err, IA_ERR_INVALID,
                              "sigv4: access key id has a character other than A-Z a-z 0-9 at "
                              "offset %zu; check the credential source",
                              (size_t)(c - k));
    }
    if (!p->secret_access_key || !*p->secret_access_key)
        return ia_err_set(err, IA_ERR_INVALID,
                          "sigv4: secret access key is empty; check the credential source");
    if ((rc = check_name("region", p->region, err)) != IA_OK)
        return rc;
    if ((rc = check_name("service", p->service, err)) != IA_OK)
        return rc;
    if (p->when < 0 || p->when > MAX_WHEN)
        return ia_err_set(err, IA_ERR_INVALID,
                          "sigv4: signing time %lld is outside years 1970-9999",
                          (long long)p->when);
    return IA_OK;
}

/* isspace() of the C locale, without consulting the locale. */
static int
is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* A request dated otherwise than its signature is refused by AWS; catch it here. */
static enum ia_code
check_date_header(const struct ia_sigv4_request *req, const char *amz, struct ia_err *err)
{
    size_t alen = strlen(amz);

    for (size_t i = 0; i < req->n_headers; i++) {
        if (!name_is(req->headers[i].name, "x-amz-date"))
            continue;
        const char *v = req->headers[i].value ? req->headers[i].value : "";
        size_t n = strlen(v);
        while (n && is_space(v[n - 1]))
            n--;
        while (n && is_space(*v)) {
            v++;
            n--;
        }
        if (n != alen || memcmp(v, amz, n) != 0)
            return ia_err_set(err, IA_ERR_INVALID,
                              "sigv4: X-Amz-Date header %zu does not equal the signing time %s; "
                              "set both from one clock reading",
                              i, amz);
    }
    return IA_OK;
}

enum ia_code
ia_sigv4_authorization(const struct ia_sigv4_request *req, const struct ia_sigv4_params *p,
                       struct ia_buf *authz, struct ia_buf *creq_out, struct ia_buf *sts_out,
                       struct ia_err *err)
{
    enum ia_code rc = IA_ERR_INVALID;
    struct ia_sigv4_key_cache *kc = p->cache;
    struct ia_buf lcreq = IA_BUF_INIT, lsh = IA_BUF_INIT, lscope = IA_BUF_INIT, lsts = IA_BUF_INIT,
                  lscratch = IA_BUF_INIT;
    struct ia_buf *creq = &lcreq, *sh = &lsh, *scope = &lscope, *sts = &lsts, *scratch = &lscratch;
    struct ia_crypto_sha256 *sha = NULL;
    struct ia_crypto_hmac *key = NULL;
    char amz[IA_TIME_AMZ_LEN];
    char sig[2 * IA_SHA256_LEN + 1];
    unsigned char md[IA_SHA256_LEN];

    if ((rc = check_params(p, err)) != IA_OK)
        return rc;
    if (kc) {
        if (pthread_mutex_lock(&kc->lock) != 0)
            IA_BUG("pthread_mutex_lock failed");
        creq = &kc->creq;
        sh = &kc->sh;
        scope = &kc->scope;
        sts = &kc->sts;
        scratch = &kc->scratch;
        sha = kc->sha;
        ia_buf_reset(creq);
        ia_buf_reset(sh);
        ia_buf_reset(scope);
        ia_buf_reset(sts);
    }
    ia_time_format_amz(p->when, amz);
    if ((rc = canonical_request(req, creq, sh, scratch, sha, err)) != IA_OK)
        goto out;
    if ((rc = check_date_header(req, amz, err)) != IA_OK)
        goto out;
    scope_of(amz, p->region, p->service, scope);
    string_to_sign(amz, scope->buf, creq, sha, sts);
    if (kc && (key = cached_key(kc, p, amz)) != NULL) {
        ia_crypto_hmac_sign(key, sts->buf, sts->len, md);
        hex_of(md, sig);
    } else {
        ia_sigv4_signature(p, sts->buf, sig);
    }
    ia_buf_addstr(authz, ALGORITHM " Credential=");
    ia_buf_addstr(authz, p->access_key_id);
    ia_buf_addch(authz, '/');
    ia_buf_add(authz, scope->buf, scope->len);
    ia_buf_addstr(authz, ", SignedHeaders=");
    ia_buf_add(authz, sh->buf, sh->len);
    ia_buf_addstr(authz, ", Signature=");
    ia_buf_add(authz, sig, 2 * IA_SHA256_LEN);
    if (creq_out)
        ia_buf_add(creq_out, creq->buf, creq->len);
    if (sts_out)
        ia_buf_add(sts_out, sts->buf, sts->len);
    rc = IA_OK;
out:
    /* The canonical request holds the session token. */
    ia_crypto_cleanse(creq->buf, creq->len);
    ia_buf_reset(creq);
    if (kc) {
        pthread_mutex_unlock(&kc->lock);
    } else {
        ia_buf_release(&lcreq);
        ia_buf_release(&lsh);
        ia_buf_release(&lscope);
        ia_buf_release(&lsts);
        ia_buf_release(&lscratch);
    }
    return rc;
}

void
ia_sigv4_redact_creq(const char *creq, struct ia_buf *out)
{
    const char *line = creq;
    size_t tlen = strlen(TOKEN_HEADER);

    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
        /* Only a canonical header line can start so: the query line is %-encoded. */
        if (len > tlen && !strncmp(line, TOKEN_HEADER ":", tlen + 1)) {
            ia_buf_addstr(out, TOKEN_HEADER ":<redacted>");
            if (nl)
                ia_buf_addch(out, '\n');
        } else {
            ia_buf_add(out, line, len);
        }
        line += len;
    }
}
