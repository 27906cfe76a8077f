/*
 * ECS (and other container agents') credentials: a GET to a local endpoint named by
 * the environment, answered with JSON. The rules on which endpoints are allowed follow
 * botocore's ContainerMetadataFetcher, within what our transport accepts: https, a
 * loopback address, or the ECS agent at 169.254.170.2.
 */
#include "collector/creds_chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/crypto.h"
#include "core/mem.h"

#define ECS_HOST "169.254.170.2"
#define TIMEOUT_MS 2000L
#define ATTEMPTS 2
#define MAX_AUTH_BYTES ((size_t)16 << 10)

struct container_impl {
    struct ia_http_ops http;
    char *url;
    const char *origin; /* the variable the URL came from, for messages */
};

static const char *
env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* The Authorization value, from the token file (read each time: it is rotated) or env. */
static enum ia_code
auth_token(struct ia_buf *out, struct ia_err *err)
{
    const char *file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    const char *value = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    enum ia_code rc = IA_OK;

    if (file) {
        rc = ia_creds_read_file(file, MAX_AUTH_BYTES, "container authorization token file",
                                "check AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", out, err);
        if (rc != IA_OK) {
            if (err)
                err->code = IA_ERR_CREDS;
            return IA_ERR_CREDS;
        }
        ia_buf_trim(out);
    } else if (value) {
        ia_buf_addstr(out, value);
    }
    /* It goes into a header: a line break would smuggle in another one. */
    if (strpbrk(out->buf, "\r\n"))
        rc = ia_err_set(
            err, IA_ERR_CREDS, "the container authorization token holds a line break; fix %s",
            file ? "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE" : "AWS_CONTAINER_AUTHORIZATION_TOKEN");
    return rc;
}

static enum ia_code
container_fetch(void *impl, struct ia_creds *out, struct ia_err *err)
{
    struct container_impl *ci = impl;
    struct ia_buf token = IA_BUF_INIT, auth = IA_BUF_INIT;
    struct ia_http_response resp;
    const char *headers[2] = { "Accept: application/json", NULL };
    char what[96];
    enum ia_code rc;

    ia_http_response_init(&resp);
    snprintf(what, sizeof(what), "container credentials (%s)", ci->origin);
    rc = auth_token(&token, err);
    if (rc != IA_OK)
        goto out;
    if (token.len) {
        ia_buf_addf(&auth, "Authorization: %s", token.buf);
        headers[1] = auth.buf;
    }
    struct ia_http_request req = {
        "GET", ci->url, headers, token.len ? 2 : 1, NULL, 0, TIMEOUT_MS
    };
    for (int attempt = 1;; attempt++) {
        rc = ci->http.send(ci->http.ctx, &req, &resp, err);
        int transient =
            rc == IA_ERR_NET || rc == IA_ERR_TIMEOUT || (rc == IA_OK && resp.status >= 500);
        if (!transient || attempt >= ATTEMPTS)
            break;
    }
    if (rc != IA_OK) {
        ia_err_prefix(err, "%s: ", what);
        if (err)
            err->code = IA_ERR_CREDS;
        rc = IA_ERR_CREDS;
        goto out;
    }
    if (resp.status != 200) {
        /* The body is not quoted: an agent's error page is no use and might echo a token. */
        rc = ia_err_set(err, IA_ERR_CREDS,
                        "%s: the endpoint answered HTTP %ld; check the task role and, for a "
                        "full URI, the authorization token",
                        what, resp.status);
        if (err)
            err->http_status = resp.status;
        goto out;
    }
    rc = ia_creds_parse_json(resp.body.buf, resp.body.len, IA_CREDS_JSON_CONTAINER, what, out, err);
    if (rc == IA_OK)
        snprintf(out->source, sizeof(out->source), "%s", what);
out:
    ia_creds_buf_wipe(&resp.body);
    ia_http_response_release(&resp);
    ia_creds_buf_wipe(&token);
    ia_creds_buf_wipe(&auth);
    return rc;
}

static void
container_destroy(void *impl)
{
    struct container_impl *ci = impl;
    free(ci->url);
    free(ci);
}

/* https anywhere; plain http only to loopback or the ECS agent's address. */
static int
full_uri_allowed(const char *url)
{
    struct ia_buf scheme = IA_BUF_INIT, host = IA_BUF_INIT, path = IA_BUF_INIT;
    int ok = 0;
    if (ia_http_url_split(url, &scheme, &host, &path, NULL) == IA_OK) {
        size_t n = strlen(ECS_HOST);
        int ecs =
            strncmp(host.buf, ECS_HOST, n) == 0 && (host.buf[n] == '\0' || host.buf[n] == ':');
        ok = strcmp(scheme.buf, "https") == 0 || ia_http_url_is_loopback(url) ||
             (ecs && ia_http_url_is_metadata(url));
    }
    ia_buf_release(&scheme);
    ia_buf_release(&host);
    ia_buf_release(&path);
    return ok;
}

enum ia_code
ia_creds_container_new(struct ia_http_ops http, struct ia_creds_provider **out, struct ia_err *err)
{
    const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    struct container_impl *ci;

    if (!rel && !full)
        return ia_err_set(err, IA_ERR_NOT_FOUND,
                          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set");
    if (rel && rel[0] != '/')
        return ia_err_set(err, IA_ERR_CONFIG,
                          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a path starting "
                          "with '/'; it is set by the ECS agent, so unset it outside ECS");
    if (!rel && !full_uri_allowed(full))
        return ia_err_set(err, IA_ERR_CONFIG,
                          "AWS_CONTAINER_CREDENTIALS_FULL_URI '%s' is not allowed: use https, "
                          "a loopback address or http://" ECS_HOST,
                          full);
    ci = ia_xcalloc(1, sizeof(*ci));
    ci->http = http;
    if (rel) {
        size_t n = strlen("http://" ECS_HOST) + strlen(rel) + 1;
        ci->url = ia_xmalloc(n);
        snprintf(ci->url, n, "http://" ECS_HOST "%s", rel);
        ci->origin = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
    } else {
        ci->url = ia_xstrdup(full);
        ci->origin = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
    }
    *out = ia_creds_provider_new("container", container_fetch, container_destroy, ci);
    return IA_OK;
}
