/*
 * EC2 instance metadata, IMDSv2 only: a session token first (PUT), then the role name
 * and its credentials (GET with the token). Each request is tried once with a 1 s
 * time-out: off EC2 nothing answers at 169.254.169.254, and a laptop must not hang.
 * No IMDSv1 fallback: an instance that still requires v1 should be fixed, not used.
 */
#include "collector/creds_chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector/crypto.h"
#include "core/mem.h"

#define TOKEN_TTL "21600"
#define CREDS_PATH "/latest/meta-data/iam/security-credentials/"

struct imds_impl {
    struct ia_http_ops http;
    char *base; /* no trailing '/' */
};

static enum ia_code
imds_send(const struct imds_impl *ii, const char *method, const char *path, const char *header,
          struct ia_http_response *resp, struct ia_err *err)
{
    struct ia_buf url = IA_BUF_INIT;
    ia_buf_addf(&url, "%s%s", ii->base, path);
    struct ia_http_request req = { method, url.buf, &header, 1, NULL, 0, IA_CREDS_IMDS_TIMEOUT_MS };
    enum ia_code rc = ii->http.send(ii->http.ctx, &req, resp, err);
    if (rc != IA_OK) {
        ia_err_prefix(err, "EC2 instance metadata is not reachable (are we on EC2?): ");
        if (err)
            err->code = IA_ERR_CREDS;
        rc = IA_ERR_CREDS;
    }
    ia_buf_release(&url);
    return rc;
}

/* IAM role names: letters, digits and +=,.@_- (and nothing that changes the URL). */
static int
valid_role(const char *s, size_t n)
{
    if (!n || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-", s[i]))
            return 0;
    return 1;
}

static enum ia_code
imds_fetch(void *impl, struct ia_creds *out, struct ia_err *err)
{
    struct imds_impl *ii = impl;
    struct ia_http_response resp;
    struct ia_buf hdr = IA_BUF_INIT, path = IA_BUF_INIT;
    char role[65] = "";
    char what[128];
    enum ia_code rc;

    ia_http_response_init(&resp);
    rc = imds_send(ii, "PUT", "/latest/api/token",
                   "X-aws-ec2-metadata-token-ttl-seconds: " TOKEN_TTL, &resp, err);
    if (rc != IA_OK)
        goto out;
    ia_buf_trim(&resp.body);
    if (resp.status != 200 || !resp.body.len || resp.body.len > 512) {
        rc = ia_err_set(err, IA_ERR_CREDS,
                        "EC2 instance metadata answered HTTP %ld to the IMDSv2 token request "
                        "(IMDSv1 is not used); check the instance's metadata options",
                        resp.status);
        goto out;
    }
    /* The session token grants metadata access: it goes only into this header. */
    ia_buf_addf(&hdr, "X-aws-ec2-metadata-token: %s", resp.body.buf);
    ia_crypto_cleanse(resp.body.buf, resp.body.alloc);

    rc = imds_send(ii, "GET", CREDS_PATH, hdr.buf, &resp, err);
    if (rc != IA_OK)
        goto out;
    if (resp.status == 404) {
        rc = ia_err_set(err, IA_ERR_CREDS,
                        "this EC2 instance has no IAM role (instance profile); attach one or use "
                        "other credentials");
        goto out;
    }
    size_t n = strcspn(resp.body.buf, "\r\n");
    if (resp.status != 200 || !valid_role(resp.body.buf, n)) {
        rc = ia_err_set(err, IA_ERR_CREDS,
                        "EC2 instance metadata answered HTTP %ld without a role name to %s",
                        resp.status, CREDS_PATH);
        goto out;
    }
    memcpy(role, resp.body.buf, n);
    role[n] = '\0';
    ia_buf_addf(&path, "%s%s", CREDS_PATH, role);
    rc = imds_send(ii, "GET", path.buf, hdr.buf, &resp, err);
    if (rc != IA_OK)
        goto out;
    if (resp.status != 200) {
        rc = ia_err_set(err, IA_ERR_CREDS,
                        "EC2 instance metadata answered HTTP %ld for the credentials of role %s",
                        resp.status, role);
        goto out;
    }
    snprintf(what, sizeof(what), "EC2 instance metadata (role %s)", role);
    rc = ia_creds_parse_json(resp.body.buf, resp.body.len, IA_CREDS_JSON_IMDS, what, out, err);
    if (rc == IA_OK)
        snprintf(out->source, sizeof(out->source), "%s", what);
out:
    ia_creds_buf_wipe(&resp.body);
    ia_http_response_release(&resp);
    ia_creds_buf_wipe(&hdr);
    ia_buf_release(&path);
    return rc;
}

static void
imds_destroy(void *impl)
{
    struct imds_impl *ii = impl;
    free(ii->base);
    free(ii);
}

enum ia_code
ia_creds_imds_new(struct ia_http_ops http, struct ia_creds_provider **out, struct ia_err *err)
{
    const char *off = getenv("AWS_EC2_METADATA_DISABLED");
    const char *ep = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    struct ia_buf scheme = IA_BUF_INIT, host = IA_BUF_INIT, path = IA_BUF_INIT;
    struct imds_impl *ii;

    if (off && strcasecmp(off, "true") == 0)
        return ia_err_set(err, IA_ERR_NOT_FOUND, "AWS_EC2_METADATA_DISABLED=true");
    if (!ep || !*ep)
        ep = "http://169.254.169.254";
    enum ia_code rc = ia_http_url_split(ep, &scheme, &host, &path, err);
    ia_buf_release(&scheme);
    ia_buf_release(&host);
    ia_buf_release(&path);
    if (rc != IA_OK) {
        ia_err_prefix(err, "AWS_EC2_METADATA_SERVICE_ENDPOINT: ");
        if (err)
            err->code = IA_ERR_CONFIG;
        return IA_ERR_CONFIG;
    }
    ii = ia_xcalloc(1, sizeof(*ii));
    ii->http = http;
    ii->base = ia_xstrdup(ep);
    size_t n = strlen(ii->base);
    while (n && ii->base[n - 1] == '/')
        ii->base[--n] = '\0';
    *out = ia_creds_provider_new("imds", imds_fetch, imds_destroy, ii);
    return IA_OK;
}
