/*
 * Test driver for sigv4_botocore_oracle.py: one JSON request per stdin line in, one JSON
 * result per stdout line out, so a few hundred requests cost one process.
 *
 * in:  {"id": 7, "method": "POST", "path": "/", "query": "a=1" | null,
 *       "headers": [["Host", "iam.amazonaws.com"], ...], "body_hex": "4163...",
 *       "normalize": true, "access_key_id": "...", "secret_access_key": "...",
 *       "region": "us-east-1", "service": "iam", "when": 1440938160}
 * out: {"id": 7, "creq": "...", "sts": "...", "authz": "..."} or {"id": 7, "error": "..."}
 * Exit 0 when every line was read (signing errors are results), 1 on unusable input.
 * Test credentials only: the secret is never printed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "collector/sigv4.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode hex into out. Returns 0 or -1. */
static int
unhex(const char *s, struct ia_buf *out)
{
    size_t n = strlen(s);
    if (n % 2)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hexval(s[i]), lo = hexval(s[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        ia_buf_addch(out, (char)(hi * 16 + lo));
    }
    return 0;
}

static const char *
str_field(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Signs one request; fills result with creq/sts/authz or error. Returns 0, or -1 if the
 * line itself is unusable (why in bad). */
static int
sign_one(json_t *in, json_t *result, const char **bad)
{
    int ret = -1;
    json_t *hdrs = json_object_get(in, "headers");
    struct ia_sigv4_header *h = NULL;
    struct ia_buf body = IA_BUF_INIT, creq = IA_BUF_INIT, sts = IA_BUF_INIT, authz = IA_BUF_INIT;
    struct ia_err err;
    size_t n = json_array_size(hdrs);
    const char *body_hex = str_field(in, "body_hex");

    ia_err_clear(&err);
    if (!json_is_array(hdrs) || !json_is_integer(json_object_get(in, "when"))) {
        *bad = "headers must be an array and when an integer";
        goto out;
    }
    h = ia_xcalloc(n, sizeof(*h));
    for (size_t i = 0; i < n; i++) {
        json_t *pair = json_array_get(hdrs, i);
        h[i].name = json_string_value(json_array_get(pair, 0));
        h[i].value = json_string_value(json_array_get(pair, 1));
        if (!h[i].name || !h[i].value) {
            *bad = "each header must be [name, value] strings";
            goto out;
        }
    }
    if (body_hex && unhex(body_hex, &body)) {
        *bad = "body_hex is not hex";
        goto out;
    }
    struct ia_sigv4_request req = {
        .method = str_field(in, "method"),
        .path = str_field(in, "path"),
        .query = str_field(in, "query"),
        .headers = h,
        .n_headers = n,
        .body = body.buf,
        .body_len = body.len,
        .normalize_path = json_is_true(json_object_get(in, "normalize")),
    };
    struct ia_sigv4_params p = {
        .access_key_id = str_field(in, "access_key_id"),
        .secret_access_key = str_field(in, "secret_access_key"),
        .region = str_field(in, "region"),
        .service = str_field(in, "service"),
        .when = (time_t)json_integer_value(json_object_get(in, "when")),
    };
    if (ia_sigv4_authorization(&req, &p, &authz, &creq, &sts, &err) == IA_OK) {
        json_object_set_new(result, "creq", json_stringn(creq.buf, creq.len));
        json_object_set_new(result, "sts", json_stringn(sts.buf, sts.len));
        json_object_set_new(result, "authz", json_stringn(authz.buf, authz.len));
    } else {
        json_object_set_new(result, "error", json_string(err.msg));
    }
    ret = 0;
out:
    free(h);
    ia_buf_release(&body);
    ia_buf_release(&creq);
    ia_buf_release(&sts);
    ia_buf_release(&authz);
    return ret;
}

int
main(void)
{
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    int status = 0;

    while (getline(&line, &cap, stdin) >= 0) {
        json_error_t jerr;
        json_t *in, *out;
        const char *bad = NULL;
        char *text;

        lineno++;
        if (strspn(line, " \t\r\n") == strlen(line))
            continue;
        in = json_loads(line, 0, &jerr);
        if (!json_is_object(in)) {
            fprintf(stderr, "sigv4_tool: line %ld: not a JSON object: %s\n", lineno, jerr.text);
            json_decref(in);
            status = 1;
            break;
        }
        out = json_object();
        json_object_set(out, "id", json_object_get(in, "id"));
        if (sign_one(in, out, &bad)) {
            fprintf(stderr, "sigv4_tool: line %ld: %s\n", lineno, bad);
            json_decref(in);
            json_decref(out);
            status = 1;
            break;
        }
        text = json_dumps(out, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (!text)
            IA_BUG("json_dumps failed");
        puts(text);
        free(text);
        json_decref(in);
        json_decref(out);
    }
    free(line);
    if (fflush(stdout) != 0)
        status = 1;
    return status;
}
