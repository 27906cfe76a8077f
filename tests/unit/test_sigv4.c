/*
 * SigV4 against the published suites in IA_TESTDATA/sigv4 (read in place, never copied):
 * every classic case (<case>/<case>.req|creq|sts|authz, nested one level under
 * normalize-path/ and post-sts-token/) and every header-signing case of aws-c-auth-v4/
 * (request.txt + context.json). Each step is compared byte for byte. A few rules the
 * suites do not cover (errors, redaction) are checked first and need no test data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "collector/crypto.h"
#include "collector/sigv4.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"

#define SUITE_DIR IA_TESTDATA "/sigv4"
#define CRT_DIR SUITE_DIR "/aws-c-auth-v4"
#define CLASSIC_MIN 31
#define CRT_MIN 38

static const char s_akid[] = "AKIDEXAMPLE";
static const char s_secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/* ---- helpers ------------------------------------------------------------------------- */

static int
is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Whole file into out (reset first). Returns 0 or -1. */
static int
slurp(const char *path, struct ia_buf *out)
{
    char chunk[4096];
    size_t n;
    FILE *f = fopen(path, "rb");

    ia_buf_reset(out);
    if (!f)
        return -1;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ia_buf_add(out, chunk, n);
    n = (size_t)ferror(f);
    fclose(f);
    return n ? -1 : 0;
}

/*
 * How an obs-folded header line ("Name:v1\n  v2") is read. The classic suite (2015)
 * expects "v1,v2", i.e. each continuation line as another value of the header; RFC 7230
 * 3.2.4 and aws-c-auth (and botocore) read it as one value with the fold as a space,
 * which is what the signer does with a value holding "\n  ". The classic suite is run
 * with its own reading; the aws-c-auth suite checks the signer's folding.
 */
enum fold_mode { FOLD_AS_REPEAT, FOLD_AS_SPACE };

struct raw_req {
    char *method, *path, *query; /* query NULL when the URI has no '?' */
    char **names, **values;
    size_t n, alloc;
    struct ia_buf body;
    struct ia_sigv4_header *hdrs; /* built by raw_req_headers */
};

static void
raw_req_free(struct raw_req *r)
{
    free(r->method);
    free(r->path);
    free(r->query);
    for (size_t i = 0; i < r->n; i++) {
        free(r->names[i]);
        free(r->values[i]);
    }
    free(r->names);
    free(r->values);
    free(r->hdrs);
    ia_buf_release(&r->body);
    memset(r, 0, sizeof(*r));
}

static void
raw_req_add(struct raw_req *r, const char *name, size_t nlen, const char *value, size_t vlen)
{
    if (r->n == r->alloc) {
        r->alloc = r->alloc ? 2 * r->alloc : 8;
        r->names = ia_xrealloc(r->names, r->alloc * sizeof(*r->names));
        r->values = ia_xrealloc(r->values, r->alloc * sizeof(*r->values));
    }
    r->names[r->n] = ia_xstrndup(name, nlen);
    r->values[r->n] = ia_xstrndup(value, vlen);
    r->n++;
}

static const struct ia_sigv4_header *
raw_req_headers(struct raw_req *r)
{
    free(r->hdrs);
    r->hdrs = ia_xcalloc(r->n, sizeof(*r->hdrs));
    for (size_t i = 0; i < r->n; i++) {
        r->hdrs[i].name = r->names[i];
        r->hdrs[i].value = r->values[i];
    }
    return r->hdrs;
}

/* Length of the line at s (to '\n' or end) without a trailing '\r'. */
static size_t
line_len(const char *s, const char *end, const char **next)
{
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    const char *stop = nl ? nl : end;
    *next = nl ? nl + 1 : end;
    if (stop > s && stop[-1] == '\r')
        stop--;
    return (size_t)(stop - s);
}

/*
 * A raw HTTP request: "METHOD URI VERSION" (the URI may hold spaces: get-space), then
 * "Name:value" lines, continuation lines starting with SP/HT, a blank line and the body.
 * Returns 0, or -1 with why in msg.
 */
static int
parse_req(const char *text, size_t len, enum fold_mode mode, struct raw_req *r, char *msg,
          size_t msg_len)
{
    const char *end = text + len, *p = text, *next;
    size_t ll = line_len(p, end, &next);
    const char *sp1 = memchr(p, ' ', ll), *sp2 = NULL, *q;

    memset(r, 0, sizeof(*r));
    ia_buf_init(&r->body);
    for (const char *c = p; c < p + ll; c++)
        if (*c == ' ')
            sp2 = c;
    if (!sp1 || !sp2 || sp2 <= sp1) {
        snprintf(msg, msg_len, "request line has no 'METHOD URI VERSION'");
        return -1;
    }
    r->method = ia_xstrndup(p, (size_t)(sp1 - p));
    q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
    r->path = ia_xstrndup(sp1 + 1, (size_t)((q ? q : sp2) - sp1 - 1));
    if (q)
        r->query = ia_xstrndup(q + 1, (size_t)(sp2 - q - 1));
    for (p = next; p < end; p = next) {
        ll = line_len(p, end, &next);
        if (ll == 0) {
            ia_buf_add(&r->body, next, (size_t)(end - next));
            break;
        }
        if (*p == ' ' || *p == '\t') {
            if (!r->n) {
                snprintf(msg, msg_len, "continuation line before any header");
                return -1;
            }
            if (mode == FOLD_AS_REPEAT) {
                const char *name = r->names[r->n - 1];
                raw_req_add(r, name, strlen(name), p, ll);
            } else {
                struct ia_buf v = IA_BUF_INIT;
                ia_buf_addstr(&v, r->values[r->n - 1]);
                ia_buf_addch(&v, '\n');
                ia_buf_add(&v, p, ll);
                free(r->values[r->n - 1]);
                r->values[r->n - 1] = ia_buf_detach(&v, NULL);
            }
            continue;
        }
        const char *colon = memchr(p, ':', ll);
        if (!colon) {
            snprintf(msg, msg_len, "header line without ':'");
            return -1;
        }
        raw_req_add(r, p, (size_t)(colon - p), colon + 1, ll - (size_t)(colon - p) - 1);
    }
    return 0;
}

/* Appends a labelled expected/actual pair to report when they differ. Returns 1 if so. */
static int
differs(struct ia_buf *report, const char *what, const char *want, size_t want_len, const char *got,
        size_t got_len)
{
    if (want_len == got_len && memcmp(want, got, got_len) == 0)
        return 0;
    ia_buf_addf(report, "  %s differs\n  --- expected\n%.*s\n  --- got\n%.*s\n", what,
                (int)want_len, want, (int)got_len, got);
    return 1;
}

struct case_list {
    char **dirs; /* case folder paths, new */
    size_t n, alloc;
};

static void
case_list_free(struct case_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->dirs[i]);
    free(l->dirs);
    memset(l, 0, sizeof(*l));
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Folders under dir (depth levels down) for which has_case(folder, name) holds. */
static void
find_cases(const char *dir, int depth, int (*has_case)(const char *, const char *),
           const char *skip, struct case_list *out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    struct ia_buf sub = IA_BUF_INIT;

    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || (skip && !strcmp(e->d_name, skip)))
            continue;
        ia_buf_reset(&sub);
        ia_buf_addf(&sub, "%s/%s", dir, e->d_name);
        if (!is_dir(sub.buf))
            continue;
        if (has_case(sub.buf, e->d_name)) {
            out->dirs = ia_xgrow(out->dirs, out->n + 1, &out->alloc, sizeof(*out->dirs));
            out->dirs[out->n++] = ia_xstrdup(sub.buf);
        } else if (depth > 1) {
            find_cases(sub.buf, depth - 1, has_case, NULL, out);
        }
    }
    closedir(d);
    ia_buf_release(&sub);
    if (out->n)
        qsort(out->dirs, out->n, sizeof(*out->dirs), cmp_str);
}

static const char *
base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ---- classic suite ------------------------------------------------------------------- */

static int
classic_has_case(const char *dir, const char *name)
{
    struct ia_buf f = IA_BUF_INIT;
    int ok;
    ia_buf_addf(&f, "%s/%s.req", dir, name);
    ok = is_file(f.buf);
    ia_buf_release(&f);
    return ok;
}

/* Runs one classic case; returns 0 if every step matched, else appends why to report. */
/* One key cache across every case of both suites: keys are found again (same secret, date,
 * region, service) and evicted (more than IA_SIGV4_CACHE_SLOTS of them). */
static struct ia_sigv4_key_cache s_suite_cache;

/* Signing through s_suite_cache gives exactly the texts signed without it; 1 if not. */
static int
cached_differs(struct ia_buf *report, const struct ia_sigv4_request *req,
               const struct ia_sigv4_params *p, const struct ia_buf *creq, const struct ia_buf *sts,
               const struct ia_buf *authz)
{
    struct ia_sigv4_params pc = *p;
    struct ia_buf c = IA_BUF_INIT, t = IA_BUF_INIT, a = IA_BUF_INIT;
    struct ia_err err;
    int bad = 1;

    pc.cache = &s_suite_cache;
    ia_err_clear(&err);
    if (ia_sigv4_authorization(req, &pc, &a, &c, &t, &err) != IA_OK) {
        ia_buf_addf(report, "  signing with the key cache failed: %s\n", err.msg);
        goto out;
    }
    bad = differs(report, "canonical request (cached key)", creq->buf, creq->len, c.buf, c.len);
    bad |= differs(report, "string to sign (cached key)", sts->buf, sts->len, t.buf, t.len);
    bad |= differs(report, "authorization (cached key)", authz->buf, authz->len, a.buf, a.len);
out:
    ia_buf_release(&c);
    ia_buf_release(&t);
    ia_buf_release(&a);
    return bad;
}

static int
run_classic_case(const char *dir, struct ia_buf *report)
{
    const char *name = base_name(dir);
    const char *ext[] = { "req", "creq", "sts", "authz" };
    struct ia_buf file[4] = { IA_BUF_INIT, IA_BUF_INIT, IA_BUF_INIT, IA_BUF_INIT };
    struct ia_buf path = IA_BUF_INIT, creq = IA_BUF_INIT, sts = IA_BUF_INIT, authz = IA_BUF_INIT;
    struct raw_req r;
    struct ia_err err;
    char msg[128];
    int bad = 1;

    memset(&r, 0, sizeof(r));
    ia_buf_init(&r.body);
    ia_err_clear(&err);
    for (size_t i = 0; i < 4; i++) {
        ia_buf_reset(&path);
        ia_buf_addf(&path, "%s/%s.%s", dir, name, ext[i]);
        if (slurp(path.buf, &file[i])) {
            ia_buf_addf(report, "  cannot read %s\n", path.buf);
            goto out;
        }
    }
    if (parse_req(file[0].buf, file[0].len, FOLD_AS_REPEAT, &r, msg, sizeof(msg))) {
        ia_buf_addf(report, "  %s.req: %s\n", name, msg);
        goto out;
    }
    struct ia_sigv4_request req = {
        .method = r.method,
        .path = r.path,
        .query = r.query,
        .headers = raw_req_headers(&r),
        .n_headers = r.n,
        .body = r.body.buf,
        .body_len = r.body.len,
        .normalize_path = 1, /* the classic suite is for a non-S3 service */
    };
    struct ia_sigv4_params p = {
        .access_key_id = s_akid,
        .secret_access_key = s_secret,
        .region = "us-east-1",
        .service = "service",
        .when = ia_time_from_utc(2015, 8, 30, 12, 36, 0),
    };
    if (ia_sigv4_authorization(&req, &p, &authz, &creq, &sts, &err) != IA_OK) {
        ia_buf_addf(report, "  signing failed: %s\n", err.msg);
        goto out;
    }
    bad = differs(report, "canonical request", file[1].buf, file[1].len, creq.buf, creq.len);
    bad |= differs(report, "string to sign", file[2].buf, file[2].len, sts.buf, sts.len);
    bad |= differs(report, "authorization", file[3].buf, file[3].len, authz.buf, authz.len);
    bad |= cached_differs(report, &req, &p, &creq, &sts, &authz);
out:
    for (size_t i = 0; i < 4; i++)
        ia_buf_release(&file[i]);
    ia_buf_release(&path);
    ia_buf_release(&creq);
    ia_buf_release(&sts);
    ia_buf_release(&authz);
    raw_req_free(&r);
    return bad;
}

static void
test_classic_suite(void **state)
{
    struct case_list cases = { 0 };
    struct ia_buf report = IA_BUF_INIT, why = IA_BUF_INIT;
    size_t passed = 0;

    (void)state;
    find_cases(SUITE_DIR, 2, classic_has_case, "aws-c-auth-v4", &cases);
    for (size_t i = 0; i < cases.n; i++) {
        ia_buf_reset(&why);
        if (run_classic_case(cases.dirs[i], &why) == 0)
            passed++;
        else
            ia_buf_addf(&report, "FAIL %s\n%s", cases.dirs[i] + strlen(SUITE_DIR) + 1, why.buf);
    }
    printf("sigv4 classic suite: %zu cases found, %zu passed\n", cases.n, passed);
    if (report.len)
        printf("%s", report.buf);
    if (cases.n < CLASSIC_MIN)
        printf("expected at least %d classic cases under %s\n", CLASSIC_MIN, SUITE_DIR);
    assert_true(cases.n >= CLASSIC_MIN);
    assert_int_equal(passed, cases.n);
    case_list_free(&cases);
    ia_buf_release(&report);
    ia_buf_release(&why);
}

/* ---- aws-c-auth suite ---------------------------------------------------------------- */

static int
crt_has_case(const char *dir, const char *name)
{
    struct ia_buf f = IA_BUF_INIT;
    int ok;
    (void)name;
    ia_buf_addf(&f, "%s/context.json", dir);
    ok = is_file(f.buf);
    ia_buf_reset(&f);
    ia_buf_addf(&f, "%s/header-canonical-request.txt", dir);
    ok = ok && is_file(f.buf);
    ia_buf_release(&f);
    return ok;
}

static const char *
json_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* The value of the Authorization line of a signed request, into out. Returns 0 or -1. */
static int
signed_authz(const struct ia_buf *sreq, struct ia_buf *out)
{
    const char *end = sreq->buf + sreq->len, *next;
    for (const char *p = sreq->buf; p < end; p = next) {
        size_t ll = line_len(p, end, &next);
        if (ll == 0)
            break;
        if (ll > 14 && !strncmp(p, "Authorization:", 14)) {
            ia_buf_reset(out);
            ia_buf_add(out, p + 14, ll - 14);
            ia_buf_trim(out);
            return 0;
        }
    }
    return -1;
}

static int
run_crt_case(const char *dir, struct ia_buf *report)
{
    const char *files[] = { "request.txt", "header-canonical-request.txt",
                            "header-string-to-sign.txt", "header-signature.txt",
                            "header-signed-request.txt" };
    struct ia_buf file[5] = { IA_BUF_INIT, IA_BUF_INIT, IA_BUF_INIT, IA_BUF_INIT, IA_BUF_INIT };
    struct ia_buf path = IA_BUF_INIT, creq = IA_BUF_INIT, sts = IA_BUF_INIT, authz = IA_BUF_INIT;
    struct ia_buf want_authz = IA_BUF_INIT;
    struct raw_req r;
    struct ia_err err;
    json_error_t jerr;
    json_t *ctx = NULL;
    char msg[128], amz[IA_TIME_AMZ_LEN], body_hash[2 * IA_SHA256_LEN + 1];
    const char *sig;
    time_t when;
    int bad = 1;

    memset(&r, 0, sizeof(r));
    ia_buf_init(&r.body);
    ia_err_clear(&err);
    for (size_t i = 0; i < 5; i++) {
        ia_buf_reset(&path);
        ia_buf_addf(&path, "%s/%s", dir, files[i]);
        if (slurp(path.buf, &file[i])) {
            ia_buf_addf(report, "  cannot read %s\n", path.buf);
            goto out;
        }
    }
    ia_buf_reset(&path);
    ia_buf_addf(&path, "%s/context.json", dir);
    ctx = json_load_file(path.buf, 0, &jerr);
    json_t *cred = json_object_get(ctx, "credentials");
    const char *akid = json_str(cred, "access_key_id");
    const char *secret = json_str(cred, "secret_access_key");
    const char *token = json_str(cred, "token");
    const char *region = json_str(ctx, "region"), *service = json_str(ctx, "service");
    const char *stamp = json_str(ctx, "timestamp");
    if (!ctx || !akid || !secret || !region || !service || !stamp ||
        ia_time_parse_iso(stamp, &when)) {
        ia_buf_addf(report, "  %s: missing or malformed field (%s)\n", path.buf,
                    ctx ? "credentials/region/service/timestamp" : jerr.text);
        goto out;
    }
    if (parse_req(file[0].buf, file[0].len, FOLD_AS_SPACE, &r, msg, sizeof(msg))) {
        ia_buf_addf(report, "  request.txt: %s\n", msg);
        goto out;
    }
    /* What aws-c-auth's signer adds before signing: the date, the session token unless
     * it is added after signing (omit_session_token), the payload hash if sign_body. */
    ia_time_format_amz(when, amz);
    raw_req_add(&r, "X-Amz-Date", 10, amz, strlen(amz));
    if (token && !json_is_true(json_object_get(ctx, "omit_session_token")))
        raw_req_add(&r, "X-Amz-Security-Token", 20, token, strlen(token));
    if (json_is_true(json_object_get(ctx, "sign_body"))) {
        ia_crypto_sha256_hex(r.body.buf, r.body.len, body_hash);
        raw_req_add(&r, "x-amz-content-sha256", 20, body_hash, strlen(body_hash));
    }
    struct ia_sigv4_request req = {
        .method = r.method,
        .path = r.path,
        .query = r.query,
        .headers = raw_req_headers(&r),
        .n_headers = r.n,
        .body = r.body.buf,
        .body_len = r.body.len,
        .normalize_path = json_is_true(json_object_get(ctx, "normalize")),
    };
    struct ia_sigv4_params p = {
        .access_key_id = akid,
        .secret_access_key = secret,
        .region = region,
        .service = service,
        .when = when,
    };
    if (ia_sigv4_authorization(&req, &p, &authz, &creq, &sts, &err) != IA_OK) {
        ia_buf_addf(report, "  signing failed: %s\n", err.msg);
        goto out;
    }
    if (signed_authz(&file[4], &want_authz)) {
        ia_buf_addf(report, "  header-signed-request.txt has no Authorization line\n");
        goto out;
    }
    sig = strstr(authz.buf, "Signature=");
    sig = sig ? sig + 10 : "";
    bad = differs(report, "canonical request", file[1].buf, file[1].len, creq.buf, creq.len);
    bad |= differs(report, "string to sign", file[2].buf, file[2].len, sts.buf, sts.len);
    bad |= differs(report, "signature", file[3].buf, file[3].len, sig, strlen(sig));
    bad |= differs(report, "authorization", want_authz.buf, want_authz.len, authz.buf, authz.len);
    bad |= cached_differs(report, &req, &p, &creq, &sts, &authz);
out:
    json_decref(ctx);
    for (size_t i = 0; i < 5; i++)
        ia_buf_release(&file[i]);
    ia_buf_release(&path);
    ia_buf_release(&creq);
    ia_buf_release(&sts);
    ia_buf_release(&authz);
    ia_buf_release(&want_authz);
    raw_req_free(&r);
    return bad;
}

static void
test_aws_c_auth_suite(void **state)
{
    struct case_list cases = { 0 };
    struct ia_buf report = IA_BUF_INIT, why = IA_BUF_INIT;
    size_t passed = 0;

    (void)state;
    if (!is_dir(CRT_DIR)) {
        printf("sigv4 aws-c-auth-v4 suite: folder absent, 0 cases\n");
        fail_msg("%s is missing although %s exists", CRT_DIR, SUITE_DIR);
    }
    find_cases(CRT_DIR, 1, crt_has_case, NULL, &cases);
    for (size_t i = 0; i < cases.n; i++) {
        ia_buf_reset(&why);
        if (run_crt_case(cases.dirs[i], &why) == 0)
            passed++;
        else
            ia_buf_addf(&report, "FAIL %s\n%s", cases.dirs[i] + strlen(CRT_DIR) + 1, why.buf);
    }
    printf("sigv4 aws-c-auth-v4 suite (header signing): %zu cases found, %zu passed\n", cases.n,
           passed);
    if (report.len)
        printf("%s", report.buf);
    assert_true(cases.n >= CRT_MIN);
    assert_int_equal(passed, cases.n);
    case_list_free(&cases);
    ia_buf_release(&report);
    ia_buf_release(&why);
}

/* ---- rules the suites do not cover (no test data needed) ----------------------------- */

static const struct ia_sigv4_params s_params = {
    .access_key_id = "AKIDEXAMPLE",
    .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    .region = "us-east-1",
    .service = "service",
    .when = 1440938160, /* 2015-08-30T12:36:00Z */
};

/* Canonical request of GET <path>?<query> with Host and X-Amz-Date; returns the code. */
static enum ia_code
creq_of(const char *path, const char *query, int normalize, struct ia_buf *creq, struct ia_err *err)
{
    struct ia_sigv4_header h[] = { { "Host", "example.amazonaws.com" },
                                   { "X-Amz-Date", "20150830T123600Z" } };
    struct ia_sigv4_request req = {
        .method = "GET",
        .path = path,
        .query = query,
        .headers = h,
        .n_headers = 2,
        .normalize_path = normalize,
    };
    struct ia_buf sh = IA_BUF_INIT;
    enum ia_code rc = ia_sigv4_canonical_request(&req, creq, &sh, err);
    ia_buf_release(&sh);
    return rc;
}

/* Line n (0-based) of s into out. */
static void
line_of(const char *s, int n, struct ia_buf *out)
{
    ia_buf_reset(out);
    for (; n > 0 && s; n--) {
        s = strchr(s, '\n');
        s = s ? s + 1 : NULL;
    }
    if (s)
        ia_buf_add(out, s, strcspn(s, "\n"));
}

static void
test_vanilla_without_data(void **state)
{
    /* get-vanilla's published signature, so the signer is checked even without data. */
    struct ia_sigv4_header h[] = { { "Host", "example.amazonaws.com" },
                                   { "X-Amz-Date", "20150830T123600Z" } };
    struct ia_sigv4_request req = {
        .method = "GET", .path = "/", .headers = h, .n_headers = 2, .normalize_path = 1
    };
    struct ia_buf authz = IA_BUF_INIT;
    struct ia_err err;

    (void)state;
    ia_err_clear(&err);
    assert_int_equal(ia_sigv4_authorization(&req, &s_params, &authz, NULL, NULL, &err), IA_OK);
    assert_string_equal(authz.buf,
                        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                        "aws4_request, SignedHeaders=host;x-amz-date, Signature="
                        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    ia_buf_release(&authz);
}

static void
test_paths(void **state)
{
    static const struct {
        const char *in;
        int normalize;
        const char *want;
    } t[] = {
        { NULL, 1, "/" },
        { "", 0, "/" },
        { "/a/b/../c/./d//", 1, "/a/c/d/" },
        { "/a/b/..", 1, "/a" }, /* aws-c-auth and botocore; RFC 3986 would keep "/a/" */
        { "/..", 1, "/" },
        { "/%2e%2E/x", 1, "/%252e%252E/x" }, /* encoded dots are not dot segments */
        { "/a%20b", 1, "/a%2520b" },         /* encoded once more */
        { "/caf\xc3\xa9 x", 1, "/caf%C3%A9%20x" },
        { "//a/./", 0, "//a/./" },
        { "/~user/a+b", 1, "/~user/a%2Bb" },
    };
    struct ia_buf creq = IA_BUF_INIT, line = IA_BUF_INIT;
    struct ia_err err;

    (void)state;
    for (size_t i = 0; i < IA_ARRAY_LEN(t); i++) {
        ia_buf_reset(&creq);
        assert_int_equal(creq_of(t[i].in, NULL, t[i].normalize, &creq, &err), IA_OK);
        line_of(creq.buf, 1, &line);
        assert_string_equal(line.buf, t[i].want);
    }
    ia_buf_release(&creq);
    ia_buf_release(&line);
}

static void
test_query(void **state)
{
    static const struct {
        const char *in, *want;
    } t[] = {
        /* sorted by encoded key, then value: "Param" before "Param-3", 'P' before 'a' */
        { "b=2&a=&c&a=1&&%7e=x+y&Param-3=1&Param=2&", "Param=2&Param-3=1&a=&a=1&b=2&c=&~=x%2By" },
        { "k=%2f%2F/&k=a=b", "k=%2F%2F%2F&k=a%3Db" },
        { "n=%00&sp=a%20b&u=\xe1\x88\xb4", "n=%00&sp=a%20b&u=%E1%88%B4" },
        { "", "" },
        { "&&", "" },
    };
    struct ia_buf creq = IA_BUF_INIT, line = IA_BUF_INIT;
    struct ia_err err;

    (void)state;
    for (size_t i = 0; i < IA_ARRAY_LEN(t); i++) {
        ia_buf_reset(&creq);
        assert_int_equal(creq_of("/", t[i].in, 1, &creq, &err), IA_OK);
        line_of(creq.buf, 2, &line);
        assert_string_equal(line.buf, t[i].want);
    }
    ia_buf_release(&creq);
    ia_buf_release(&line);
}

static void
test_malformed_escapes(void **state)
{
    static const struct {
        const char *path, *query;
    } t[] = { { "/a%2", NULL }, { "/a%zz", NULL }, { "/%", NULL },
              { "/", "a=%g1" }, { "/", "%=1" },    { "/", "a=1%" } };
    struct ia_buf creq = IA_BUF_INIT;
    struct ia_err err;

    (void)state;
    for (size_t i = 0; i < IA_ARRAY_LEN(t); i++) {
        ia_err_clear(&err);
        assert_int_equal(creq_of(t[i].path, t[i].query, 1, &creq, &err), IA_ERR_INVALID);
        assert_int_equal(err.code, IA_ERR_INVALID);
        assert_non_null(strstr(err.msg, "malformed"));
        assert_int_equal(creq.len, 0); /* nothing appended on failure */
    }
    ia_buf_release(&creq);
}

static void
test_headers(void **state)
{
    static const char token[] = "SECRET-TOKEN-VALUE";
    struct ia_sigv4_header h[] = {
        { "Host", "example.amazonaws.com" },         { "X-Amz-Date", "20150830T123600Z" },
        { "My-Header", "  a \t  b\r\n   c\n\td  " }, { "my-header", "" },
        { "X-Amz-Security-Token", token },
    };
    struct ia_sigv4_request req = { .method = "POST",
                                    .path = "/",
                                    .headers = h,
                                    .n_headers = IA_ARRAY_LEN(h),
                                    .normalize_path = 1 };
    struct ia_buf creq = IA_BUF_INIT, sh = IA_BUF_INIT, red = IA_BUF_INIT;
    struct ia_err err;

    (void)state;
    ia_err_clear(&err);
    assert_int_equal(ia_sigv4_canonical_request(&req, &creq, &sh, &err), IA_OK);
    assert_non_null(strstr(creq.buf, "\nmy-header:a b c d,\n"));
    assert_string_equal(sh.buf, "host;my-header;x-amz-date;x-amz-security-token");

    /* Redaction for debug logs removes the token and keeps everything else. */
    ia_sigv4_redact_creq(creq.buf, &red);
    assert_null(strstr(red.buf, token));
    assert_non_null(strstr(red.buf, "\nx-amz-security-token:<redacted>\n"));
    assert_int_equal(red.len, creq.len - strlen(token) + strlen("<redacted>"));

    /* Refused: a line break that would start a new header, a control character, a bad
     * name, a missing Host. Messages never quote the value. */
    const char *bad_values[] = { "x\r\nX-Injected: SECRET-TOKEN-VALUE", "x\rSECRET-TOKEN-VALUE",
                                 "SECRET-TOKEN-VALUE\n", "a\001SECRET-TOKEN-VALUE" };
    for (size_t i = 0; i < IA_ARRAY_LEN(bad_values); i++) {
        h[4].value = bad_values[i];
        ia_buf_reset(&creq);
        ia_err_clear(&err);
        assert_int_equal(ia_sigv4_canonical_request(&req, &creq, &sh, &err), IA_ERR_INVALID);
        assert_null(strstr(err.msg, token));
        assert_non_null(strstr(err.msg, "x-amz-security-token"));
        assert_int_equal(creq.len, 0);
    }
    h[4].value = token;
    h[2].name = "My Header";
    ia_err_clear(&err);
    assert_int_equal(ia_sigv4_canonical_request(&req, &creq, &sh, &err), IA_ERR_INVALID);
    assert_non_null(strstr(err.msg, "RFC 7230"));
    h[2].name = "My-Header";
    h[0].name = "Hostname";
    ia_err_clear(&err);
    assert_int_equal(ia_sigv4_canonical_request(&req, &creq, &sh, &err), IA_ERR_INVALID);
    assert_non_null(strstr(err.msg, "no Host header"));
    ia_buf_release(&creq);
    ia_buf_release(&sh);
    ia_buf_release(&red);
}

static void
test_authorization_checks(void **state)
{
    struct ia_sigv4_header h[] = { { "Host", "example.amazonaws.com" },
                                   { "x-amz-date", " 20150830T123601Z" } };
    struct ia_sigv4_request req = {
        .method = "GET", .path = "/", .headers = h, .n_headers = 2, .normalize_path = 1
    };
    struct ia_sigv4_params p = s_params;
    struct ia_buf authz = IA_BUF_INIT, creq = IA_BUF_INIT;
    struct ia_err err;

    (void)state;
    /* X-Amz-Date one second off the signing time. */
    ia_err_clear(&err);
    assert_int_equal(ia_sigv4_authorization(&req, &p, &authz, &creq, NULL, &err), IA_ERR_INVALID);
    assert_non_null(strstr(err.msg, "X-Amz-Date"));
    assert_int_equal(authz.len + creq.len, 0);
    h[1].value = "20150830T123600Z";

    p.region = "us-east-1/x";
    ia_err_clear(&err);
    assert_int_equal(ia_sigv4_authorization(&req, &p, &authz, NULL, NULL, &err), IA_ERR_INVALID);
    assert_non_null(strstr(err.msg, "region"));
    p = s_params;
    p.secret_access_key = "";
    ia_err_clear(&err);
    assert_int_equal(ia_sigv4_authorization(&req, &p, &authz, NULL, NULL, &err), IA_ERR_INVALID);
    p = s_params;
    p.access_key_id = "AKID EXAMPLE";
    ia_err_clear(&err);
    assert_int_equal(ia_sigv4_authorization(&req, &p, &authz, NULL, NULL, &err), IA_ERR_INVALID);
    assert_null(strstr(err.msg, s_secret));
    p = s_params;
    p.when = -1;
    ia_err_clear(&err);
    assert_int_equal(ia_sigv4_authorization(&req, &p, &authz, NULL, NULL, &err), IA_ERR_INVALID);
    assert_int_equal(authz.len, 0);

    /* Each step on its own agrees with the whole. */
    p = s_params;
    struct ia_buf scope = IA_BUF_INIT, sts = IA_BUF_INIT, sh = IA_BUF_INIT;
    char sig[65];
    assert_int_equal(ia_sigv4_authorization(&req, &p, &authz, NULL, NULL, &err), IA_OK);
    assert_int_equal(ia_sigv4_canonical_request(&req, &creq, &sh, &err), IA_OK);
    ia_sigv4_scope(p.when, p.region, p.service, &scope);
    assert_string_equal(scope.buf, "20150830/us-east-1/service/aws4_request");
    ia_sigv4_string_to_sign(p.when, scope.buf, creq.buf, &sts);
    ia_sigv4_signature(&p, sts.buf, sig);
    assert_non_null(strstr(authz.buf, sig));
    assert_null(strstr(authz.buf, s_secret));
    ia_buf_release(&scope);
    ia_buf_release(&sts);
    ia_buf_release(&sh);
    ia_buf_release(&authz);
    ia_buf_release(&creq);
}

/* Sign req with p through cache and without; both must agree. Returns the derivations. */
static unsigned long
sign_both(const struct ia_sigv4_request *req, struct ia_sigv4_params p,
          struct ia_sigv4_key_cache *cache)
{
    struct ia_buf plain = IA_BUF_INIT, cached = IA_BUF_INIT;
    struct ia_err err;

    ia_err_clear(&err);
    assert_int_equal(ia_sigv4_authorization(req, &p, &plain, NULL, NULL, &err), IA_OK);
    p.cache = cache;
    assert_int_equal(ia_sigv4_authorization(req, &p, &cached, NULL, NULL, &err), IA_OK);
    assert_string_equal(plain.buf, cached.buf);
    ia_buf_release(&plain);
    ia_buf_release(&cached);
    return cache->derivations;
}

static void
test_key_cache(void **state)
{
    char date[IA_TIME_AMZ_LEN];
    struct ia_sigv4_header h[] = { { "Host", "iam.amazonaws.com" }, { "X-Amz-Date", date } };
    struct ia_sigv4_request req = {
        .method = "POST", .path = "/", .headers = h, .n_headers = 2, .normalize_path = 1
    };
    struct ia_sigv4_params p = s_params;
    struct ia_sigv4_key_cache cache;
    char long_secret[300];

    (void)state;
    ia_sigv4_key_cache_init(&cache);
    ia_time_format_amz(p.when, date);
    /* The first signature derives the key; the next ones, that day, do not. */
    assert_int_equal(sign_both(&req, p, &cache), 1);
    assert_int_equal(sign_both(&req, p, &cache), 1);
    p.when += 3600;
    ia_time_format_amz(p.when, date);
    assert_int_equal(sign_both(&req, p, &cache), 1);
    /* Another access key id with the same secret signs with the same key. */
    p.access_key_id = "AKIDOTHER";
    assert_int_equal(sign_both(&req, p, &cache), 1);
    /* A new day, another service, another region: each its own key. */
    p.when += 86400;
    ia_time_format_amz(p.when, date);
    assert_int_equal(sign_both(&req, p, &cache), 2);
    p.service = "sts";
    assert_int_equal(sign_both(&req, p, &cache), 3);
    p.region = "eu-west-2";
    assert_int_equal(sign_both(&req, p, &cache), 4);
    /* A refreshed credential under the same key id: the new secret, not the cached key. */
    p.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ";
    assert_int_equal(sign_both(&req, p, &cache), 5);
    /* Back to the first secret (same length, one byte apart): its key is still kept. */
    p.secret_access_key = s_params.secret_access_key;
    assert_int_equal(sign_both(&req, p, &cache), 5);
    /* Five keys in four slots: the least recently used (the first day's) was evicted. */
    p = s_params;
    p.when += 3600;
    ia_time_format_amz(p.when, date);
    assert_int_equal(sign_both(&req, p, &cache), 6);
    /* A secret too long to keep is signed correctly, uncached. */
    memset(long_secret, 'k', sizeof(long_secret) - 1);
    long_secret[sizeof(long_secret) - 1] = '\0';
    p.secret_access_key = long_secret;
    assert_int_equal(sign_both(&req, p, &cache), 6);
    assert_int_equal(sign_both(&req, p, &cache), 6);
    /* A refused request leaves the cache usable. */
    p = s_params;
    h[1].value = "20150830T000000Z";
    struct ia_buf authz = IA_BUF_INIT;
    struct ia_err err;
    p.cache = &cache;
    ia_err_clear(&err);
    assert_int_equal(ia_sigv4_authorization(&req, &p, &authz, NULL, NULL, &err), IA_ERR_INVALID);
    assert_int_equal(authz.len, 0);
    h[1].value = date;
    ia_time_format_amz(p.when, date);
    p.cache = NULL;
    assert_int_equal(sign_both(&req, p, &cache), 6);
    ia_sigv4_key_cache_release(&cache);
    /* Released: nothing of the secret is left in the structure. */
    const unsigned char *raw = (const unsigned char *)&cache;
    for (size_t i = 0; i + 10 <= sizeof(cache); i++)
        assert_false(memcmp(raw + i, "EXAMPLEKEY", 10) == 0);
    ia_sigv4_key_cache_release(NULL);
}

int
main(void)
{
    const struct CMUnitTest rules[] = {
        cmocka_unit_test(test_vanilla_without_data),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_malformed_escapes),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_authorization_checks),
        cmocka_unit_test(test_key_cache),
    };
    const struct CMUnitTest suites[] = {
        cmocka_unit_test(test_classic_suite),
        cmocka_unit_test(test_aws_c_auth_suite),
    };

    if (cmocka_run_group_tests_name("sigv4 rules", rules, NULL, NULL))
        return 1;
    if (!is_dir(SUITE_DIR)) {
        printf("skipped: ../shared/testdata absent (no %s)\n", SUITE_DIR);
        return 77;
    }
    ia_sigv4_key_cache_init(&s_suite_cache);
    int failed = cmocka_run_group_tests_name("sigv4 published suites", suites, NULL, NULL);
    /* Keys were derived and found again (cases share the suite's secret, date and scope). */
    printf("key cache: %lu keys derived for the suites\n", s_suite_cache.derivations);
    ia_sigv4_key_cache_release(&s_suite_cache);
    return failed ? 1 : 0;
}
