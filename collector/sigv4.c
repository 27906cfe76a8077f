/*
 * AWS Signature Version 4. The rules follow the published test suite (classic copy and
 * aws-c-auth's) and botocore's SigV4Auth; tests/unit/test_sigv4.c and
 * tests/integration/sigv4_botocore_oracle.py hold this file to both.
 */
#include "collector/sigv4.h"

#include <stdlib.h>
#include <string.h>

#include "collector/crypto.h"
#include "core/clock.h"
#include "core/mem.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TOKEN_HEADER "x-amz-security-token"
/* 9999-12-31T23:59:59Z: X-Amz-Date has four year digits. */
#define MAX_WHEN ((time_t)253402300799LL)

struct canon_header {
    char *name;          /* lower-cased copy; new */
    struct ia_buf value; /* trimmed and folded */
    size_t index;        /* position in the request, keeps the sort stable */
};

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
    } *segs = NULL;
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
            segs = ia_xgrow(segs, depth + 1, &alloc, sizeof(*segs));
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
    free(segs);
}

static enum ia_code
canonical_uri(const struct ia_sigv4_request *req, struct ia_buf *out, struct ia_err *err)
{
    enum ia_code rc = IA_ERR_INVALID;
    struct ia_buf norm = IA_BUF_INIT;
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
        normalize_path(path, n, &norm);
        path = norm.buf;
        n = norm.len;
    }
    /* The wire path is already encoded once; encoding it again is what services
     * other than S3 sign ('%' -> %25), and what botocore and aws-c-auth do. */
    ia_buf_add_urlencoded(out, path, n, 1);
    rc = IA_OK;
out:
    ia_buf_release(&norm);
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
fold_value(size_t idx, const char *name, const char *v, struct ia_buf *out, struct ia_err *err)
{
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
        ia_buf_addch(out, (char)c);
    }
    return IA_OK;
}

static int
cmp_header(const void *a, const void *b)
{
    const struct canon_header *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
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

static enum ia_code
canonical_headers(const struct ia_sigv4_request *req, struct ia_buf *out,
                  struct ia_buf *signed_headers, struct ia_err *err)
{
    enum ia_code rc = IA_ERR_INVALID;
    struct canon_header *h = NULL;
    size_t n = req->n_headers;
    int have_host = 0, have_date = 0;

    if (n && !req->headers) {
        ia_err_set(err, IA_ERR_INVALID, "sigv4: n_headers is %zu but headers is NULL", n);
        goto out;
    }
    h = ia_xcalloc(n, sizeof(*h));
    for (size_t i = 0; i < n; i++) {
        h[i].index = i;
        ia_buf_init(&h[i].value);
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = req->headers[i].name ? req->headers[i].name : "";
        const char *value = req->headers[i].value ? req->headers[i].value : "";

        if (!*name) {
            ia_err_set(err, IA_ERR_INVALID, "sigv4: header %zu has an empty name", i);
            goto out;
        }
        h[i].name = ia_xstrdup(name);
        for (char *c = h[i].name; *c; c++) {
            if (!is_tchar((unsigned char)*c)) {
                ia_err_set(err, IA_ERR_INVALID,
                           "sigv4: header %zu name has character 0x%02x at offset %zu; header "
                           "names must be RFC 7230 tokens",
                           i, (unsigned char)*c, (size_t)(c - h[i].name));
                goto out;
            }
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        }
        if (fold_value(i, h[i].name, value, &h[i].value, err) != IA_OK)
            goto out;
        have_host |= !strcmp(h[i].name, "host");
        have_date |= !strcmp(h[i].name, "x-amz-date");
    }
    if (!have_host || !have_date) {
        ia_err_set(err, IA_ERR_INVALID,
                   "sigv4: the request has no %s header; AWS requires it to be signed",
                   have_host ? "X-Amz-Date" : "Host");
        goto out;
    }
    qsort(h, n, sizeof(*h), cmp_header);
    for (size_t i = 0; i < n; i++) {
        if (i && !strcmp(h[i].name, h[i - 1].name)) {
            /* A repeated header: values joined with ',' in request order. */
            ia_buf_addch(out, ',');
        } else {
            if (i) {
                ia_buf_addch(out, '\n');
                ia_buf_addch(signed_headers, ';');
            }
            ia_buf_addstr(out, h[i].name);
            ia_buf_addch(out, ':');
            ia_buf_addstr(signed_headers, h[i].name);
        }
        ia_buf_add(out, h[i].value.buf, h[i].value.len);
    }
    ia_buf_addch(out, '\n');
    rc = IA_OK;
out:
    for (size_t i = 0; i < n && h; i++) {
        free(h[i].name);
        /* The token header's value is a credential: do not leave it in freed memory. */
        ia_crypto_cleanse(h[i].value.buf, h[i].value.len);
        ia_buf_release(&h[i].value);
    }
    free(h);
    return rc;
}

enum ia_code
ia_sigv4_canonical_request(const struct ia_sigv4_request *req, struct ia_buf *creq,
                           struct ia_buf *signed_headers, struct ia_err *err)
{
    enum ia_code rc = IA_ERR_INVALID;
    struct ia_buf c = IA_BUF_INIT, sh = IA_BUF_INIT;
    char body_hash[2 * IA_SHA256_LEN + 1];
    const char *method = req->method ? req->method : "";

    if (!*method) {
        ia_err_set(err, IA_ERR_INVALID, "sigv4: the request has no method");
        goto out;
    }
    for (const char *m = method; *m; m++) {
        if (!is_tchar((unsigned char)*m)) {
            ia_err_set(err, IA_ERR_INVALID,
                       "sigv4: method has character 0x%02x; methods are RFC 7230 tokens "
                       "such as GET or POST",
                       (unsigned char)*m);
            goto out;
        }
    }
    if (req->body_len && !req->body) {
        ia_err_set(err, IA_ERR_INVALID, "sigv4: body_len is %zu but body is NULL", req->body_len);
        goto out;
    }
    ia_buf_addstr(&c, method);
    ia_buf_addch(&c, '\n');
    if ((rc = canonical_uri(req, &c, err)) != IA_OK)
        goto out;
    ia_buf_addch(&c, '\n');
    if ((rc = canonical_query(req->query, &c, err)) != IA_OK)
        goto out;
    ia_buf_addch(&c, '\n');
    if ((rc = canonical_headers(req, &c, &sh, err)) != IA_OK)
        goto out;
    ia_buf_addch(&c, '\n');
    ia_buf_add(&c, sh.buf, sh.len);
    ia_buf_addch(&c, '\n');
    /* Always the hash of the body: IAM, STS and Organizations take no
     * x-amz-content-sha256 and no UNSIGNED-PAYLOAD. */
    ia_crypto_sha256_hex(req->body_len ? req->body : "", req->body_len, body_hash);
    ia_buf_addstr(&c, body_hash);

    ia_buf_add(creq, c.buf, c.len);
    ia_buf_add(signed_headers, sh.buf, sh.len);
    rc = IA_OK;
out:
    ia_crypto_cleanse(c.buf, c.len);
    ia_buf_release(&c);
    ia_buf_release(&sh);
    return rc;
}

void
ia_sigv4_scope(time_t when, const char *region, const char *service, struct ia_buf *out)
{
    char amz[IA_TIME_AMZ_LEN];
    ia_time_format_amz(when, amz);
    ia_buf_add(out, amz, 8);
    ia_buf_addf(out, "/%s/%s/aws4_request", region, service);
}

void
ia_sigv4_string_to_sign(time_t when, const char *scope, const char *creq, struct ia_buf *sts)
{
    char amz[IA_TIME_AMZ_LEN];
    char hash[2 * IA_SHA256_LEN + 1];
    ia_time_format_amz(when, amz);
    ia_crypto_sha256_hex(creq, strlen(creq), hash);
    ia_buf_addf(sts, ALGORITHM "\n%s\n%s\n%s", amz, scope, hash);
}

void
ia_sigv4_signature(const struct ia_sigv4_params *p, const char *sts, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char k1[IA_SHA256_LEN], k2[IA_SHA256_LEN], md[IA_SHA256_LEN];
    char amz[IA_TIME_AMZ_LEN];
    size_t slen = strlen(p->secret_access_key);
    /* One exact allocation, not an ia_buf: growing would leave copies of the secret
     * in memory that realloc released. */
    char *key = ia_xmalloc(4 + slen);

    memcpy(key, "AWS4", 4);
    memcpy(key + 4, p->secret_access_key, slen);
    ia_time_format_amz(p->when, amz);
    ia_crypto_hmac_sha256(key, 4 + slen, amz, 8, k1);
    ia_crypto_hmac_sha256(k1, sizeof(k1), p->region, strlen(p->region), k2);
    ia_crypto_hmac_sha256(k2, sizeof(k2), p->service, strlen(p->service), k1);
    ia_crypto_hmac_sha256(k1, sizeof(k1), "aws4_request", 12, k2);
    ia_crypto_hmac_sha256(k2, sizeof(k2), sts, strlen(sts), md);
    for (size_t i = 0; i < IA_SHA256_LEN; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[2 * IA_SHA256_LEN] = '\0';
    ia_crypto_cleanse(key, 4 + slen);
    ia_crypto_cleanse(k1, sizeof(k1));
    ia_crypto_cleanse(k2, sizeof(k2));
    free(key);
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

/* A request dated otherwise than its signature is refused by AWS; catch it here. */
static enum ia_code
check_date_header(const struct ia_sigv4_request *req, time_t when, struct ia_err *err)
{
    enum ia_code rc = IA_OK;
    struct ia_buf v = IA_BUF_INIT;
    char amz[IA_TIME_AMZ_LEN];

    ia_time_format_amz(when, amz);
    for (size_t i = 0; i < req->n_headers && rc == IA_OK; i++) {
        if (!name_is(req->headers[i].name, "x-amz-date"))
            continue;
        ia_buf_reset(&v);
        ia_buf_addstr(&v, req->headers[i].value ? req->headers[i].value : "");
        ia_buf_trim(&v);
        if (strcmp(v.buf, amz) != 0)
            rc = ia_err_set(err, IA_ERR_INVALID,
                            "sigv4: X-Amz-Date header %zu does not equal the signing time %s; "
                            "set both from one clock reading",
                            i, amz);
    }
    ia_buf_release(&v);
    return rc;
}

enum ia_code
ia_sigv4_authorization(const struct ia_sigv4_request *req, const struct ia_sigv4_params *p,
                       struct ia_buf *authz, struct ia_buf *creq_out, struct ia_buf *sts_out,
                       struct ia_err *err)
{
    enum ia_code rc = IA_ERR_INVALID;
    struct ia_buf creq = IA_BUF_INIT, sh = IA_BUF_INIT, scope = IA_BUF_INIT, sts = IA_BUF_INIT;
    char sig[2 * IA_SHA256_LEN + 1];

    if ((rc = check_params(p, err)) != IA_OK)
        goto out;
    if ((rc = ia_sigv4_canonical_request(req, &creq, &sh, err)) != IA_OK)
        goto out;
    if ((rc = check_date_header(req, p->when, err)) != IA_OK)
        goto out;
    ia_sigv4_scope(p->when, p->region, p->service, &scope);
    ia_sigv4_string_to_sign(p->when, scope.buf, creq.buf, &sts);
    ia_sigv4_signature(p, sts.buf, sig);
    ia_buf_addf(authz, ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                p->access_key_id, scope.buf, sh.buf, sig);
    if (creq_out)
        ia_buf_add(creq_out, creq.buf, creq.len);
    if (sts_out)
        ia_buf_add(sts_out, sts.buf, sts.len);
    rc = IA_OK;
out:
    ia_crypto_cleanse(creq.buf, creq.len);
    ia_buf_release(&creq);
    ia_buf_release(&sh);
    ia_buf_release(&scope);
    ia_buf_release(&sts);
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
