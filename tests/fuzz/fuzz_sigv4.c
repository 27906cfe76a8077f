/*
 * libFuzzer target for the SigV4 canonicaliser (collector/sigv4.c, pure). The input is a
 * request, one field a line: method, path, query, then header lines "Name: value" (a
 * line starting with SP or HT continues the previous value, an obs-fold) up to an empty
 * line; the rest is the body. Host and X-Amz-Date are added when the input has none, so
 * most inputs get past the required-header check. Checked on success: the canonical
 * request ends with the body's hex SHA-256, the signed-header list is lower-case and
 * strictly sorted, the same request canonicalises identically twice, the Authorization
 * value has its fixed shape, and ia_sigv4_redact_creq removes the session token's
 * canonical value. Seeds: tests/fuzz/corpus/sigv4/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector/sigv4.h"
#include "core/buf.h"
#include "core/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HEADERS 24
#define WHEN ((time_t)1440938160) /* 20150830T123600Z, the AWS suite's date */

static int
is_hex64(const char *s)
{
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static size_t
count(const char *hay, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + len, needle))
        n++;
    return n;
}

static void
check_signed_headers(const char *sh)
{
    const char *prev = NULL;
    size_t prev_len = 0;
    for (const char *p = sh;;) {
        const char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        IA_ASSERT(len > 0);
        for (size_t i = 0; i < len; i++)
            IA_ASSERT(!(p[i] >= 'A' && p[i] <= 'Z'));
        if (prev) {
            size_t m = len < prev_len ? len : prev_len;
            int c = memcmp(prev, p, m);
            IA_ASSERT(c < 0 || (c == 0 && prev_len < len));
        }
        prev = p;
        prev_len = len;
        if (!e)
            break;
        p = e + 1;
    }
}

/* The token's canonical value must not survive redaction. */
static void
check_redaction(const char *creq)
{
    const char *line = strstr(creq, "\nx-amz-security-token:");
    struct ia_buf red = IA_BUF_INIT;
    if (!line)
        return;
    line += strlen("\nx-amz-security-token:");
    const char *end = strchr(line, '\n');
    char *v = ia_xstrndup(line, end ? (size_t)(end - line) : strlen(line));
    if (strlen(v) >= 12 && !strpbrk(v, "<>")) {
        ia_sigv4_redact_creq(creq, &red);
        IA_ASSERT(count(red.buf, v) < count(creq, v));
    }
    ia_buf_release(&red);
    free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = ia_xmalloc(size + 1), *p = text, *line, *fields[3] = { "", "", "" };
    char *names[MAX_HEADERS + 2], *values[MAX_HEADERS + 2];
    struct ia_sigv4_header hdr[MAX_HEADERS + 2];
    size_t nh = 0, body_len = 0;
    const char *body = "";
    int have_host = 0, have_date = 0;

    memcpy(text, data, size);
    text[size] = '\0';
    for (int i = 0; i < 3 && p; i++) {
        line = p;
        p = strchr(p, '\n');
        if (p)
            *p++ = '\0';
        fields[i] = line;
    }
    while (p && *p && *p != '\n' && nh < MAX_HEADERS) {
        line = p;
        /* The header line ends at a LF not followed by SP/HT (an obs-fold continues it). */
        for (p = strchr(p, '\n'); p && (p[1] == ' ' || p[1] == '\t'); p = strchr(p + 1, '\n'))
            ;
        if (p)
            *p++ = '\0';
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        *colon = '\0';
        names[nh] = line;
        values[nh] = colon + 1;
        have_host |= strcasecmp(line, "host") == 0;
        have_date |= strcasecmp(line, "x-amz-date") == 0;
        nh++;
    }
    if (p && *p == '\n') {
        body = p + 1;
        body_len = size - (size_t)(body - text);
    }
    if (!have_host) {
        names[nh] = "Host";
        values[nh++] = "iam.amazonaws.com";
    }
    if (!have_date) {
        names[nh] = "X-Amz-Date";
        values[nh++] = "20150830T123600Z";
    }
    for (size_t i = 0; i < nh; i++) {
        hdr[i].name = names[i];
        hdr[i].value = values[i];
    }

    struct ia_sigv4_request req;
    memset(&req, 0, sizeof(req));
    req.method = fields[0];
    req.path = fields[1];
    req.query = fields[2][0] ? fields[2] : NULL;
    req.headers = hdr;
    req.n_headers = nh;
    req.body = body;
    req.body_len = body_len;
    req.normalize_path = !(size & 1); /* both modes, chosen by the input's length */
    struct ia_buf creq = IA_BUF_INIT, sh = IA_BUF_INIT, creq2 = IA_BUF_INIT, sh2 = IA_BUF_INIT;
    struct ia_buf authz = IA_BUF_INIT;
    struct ia_err err;
    memset(&err, 0, sizeof(err));
    if (ia_sigv4_canonical_request(&req, &creq, &sh, &err) == IA_OK) {
        IA_ASSERT(creq.len >= 65 && creq.buf[creq.len - 65] == '\n');
        IA_ASSERT(is_hex64(creq.buf + creq.len - 64));
        check_signed_headers(sh.buf);
        IA_ASSERT(ia_sigv4_canonical_request(&req, &creq2, &sh2, &err) == IA_OK);
        IA_ASSERT(strcmp(creq.buf, creq2.buf) == 0 && strcmp(sh.buf, sh2.buf) == 0);
        check_redaction(creq.buf);
        struct ia_sigv4_params prm = { .access_key_id = "AKIDEXAMPLE",
                                       .secret_access_key =
                                           "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                       .region = "us-east-1",
                                       .service = "iam",
                                       .when = WHEN };
        if (ia_sigv4_authorization(&req, &prm, &authz, NULL, NULL, &err) == IA_OK) {
            static const char prefix[] = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/"
                                         "us-east-1/iam/aws4_request, SignedHeaders=";
            IA_ASSERT(strncmp(authz.buf, prefix, sizeof(prefix) - 1) == 0);
            IA_ASSERT(authz.len > 64 && is_hex64(authz.buf + authz.len - 64));
            IA_ASSERT(!strstr(authz.buf, prm.secret_access_key));
            /* Through a key cache: the same header, byte for byte, twice (miss, then hit). */
            struct ia_sigv4_key_cache kc;
            ia_sigv4_key_cache_init(&kc);
            prm.cache = &kc;
            for (int pass = 0; pass < 2; pass++) {
                struct ia_buf a2 = IA_BUF_INIT;
                IA_ASSERT(ia_sigv4_authorization(&req, &prm, &a2, NULL, NULL, &err) == IA_OK);
                IA_ASSERT(strcmp(a2.buf, authz.buf) == 0);
                ia_buf_release(&a2);
            }
            IA_ASSERT(kc.derivations == 1);
            ia_sigv4_key_cache_release(&kc);
        }
    } else {
        IA_ASSERT(err.code == IA_ERR_INVALID && err.msg[0] && creq.len == 0 && sh.len == 0);
    }
    ia_buf_release(&creq);
    ia_buf_release(&sh);
    ia_buf_release(&creq2);
    ia_buf_release(&sh2);
    ia_buf_release(&authz);
    free(text);
    return 0;
}
