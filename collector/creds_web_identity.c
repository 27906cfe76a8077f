/*
 * Web identity (CI OIDC, EKS service accounts): an OIDC token in a file, traded for
 * role credentials by an unsigned sts:AssumeRoleWithWebIdentity (the token is the
 * proof, so the STS client has no credentials). The file is read again at every fetch
 * because its owner rotates it.
 */
#include "collector/creds_chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/aws.h"
#include "collector/crypto.h"
#include "collector/sts_api.h"
#include "core/mem.h"

/* STS accepts tokens of up to 20,000 characters. */
#define MAX_TOKEN_BYTES ((size_t)32 << 10)

struct web_impl {
    struct ia_aws_client client; /* unsigned */
    char *role_arn;
    char *token_file;
    char *session_name; /* NULL: "iam-audit" */
};

static const char *
web_hint(const char *aws_code)
{
    if (strcmp(aws_code, "AccessDenied") == 0 || strcmp(aws_code, "InvalidIdentityToken") == 0)
        return "the role's trust policy must trust this token's issuer (an IAM OIDC provider) "
               "and match its aud and sub; see docs/credentials.md";
    if (strcmp(aws_code, "ExpiredTokenException") == 0)
        return "the token in the file has expired; whatever writes it must refresh it";
    return NULL;
}

static enum ia_code
web_fetch(void *impl, struct ia_creds *out, struct ia_err *err)
{
    struct web_impl *wi = impl;
    struct ia_buf token = IA_BUF_INIT;
    enum ia_code rc;

    rc = ia_creds_read_file(wi->token_file, MAX_TOKEN_BYTES, "web identity token file",
                            "check AWS_WEB_IDENTITY_TOKEN_FILE or web_identity_token_file", &token,
                            err);
    if ((rc == IA_ERR_NOT_FOUND || rc == IA_ERR_IO) && err)
        err->code = IA_ERR_CREDS; /* a credential source that fails, whatever the cause */
    if (rc == IA_ERR_NOT_FOUND || rc == IA_ERR_IO)
        rc = IA_ERR_CREDS;
    if (rc != IA_OK)
        goto out;
    /* A JWT has no blanks: a trailing newline from `echo` is not part of it. */
    ia_buf_trim(&token);
    if (!token.len) {
        rc = ia_err_set(err, IA_ERR_CREDS,
                        "the web identity token file %s is empty; whatever writes the token "
                        "has not run",
                        wi->token_file);
        goto out;
    }
    rc = ia_sts_assume_role_with_web_identity(&wi->client, wi->role_arn, wi->session_name,
                                              token.buf, 0, out, err);
    if (rc != IA_OK && err && err->aws_code[0]) {
        const char *hint = web_hint(err->aws_code);
        if (hint) {
            char msg[IA_ERR_MSG_MAX];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            ia_err_set(err, rc, "%s; %s", msg, hint);
        }
    }
out:
    ia_creds_buf_wipe(&token);
    return rc;
}

static void
web_destroy(void *impl)
{
    struct web_impl *wi = impl;
    ia_aws_client_release(&wi->client);
    free(wi->role_arn);
    free(wi->token_file);
    free(wi->session_name);
    free(wi);
}

enum ia_code
ia_creds_web_identity_new(const char *role_arn, const char *token_file, const char *session_name,
                          const struct ia_creds_sts *sts, struct ia_creds_provider **out,
                          struct ia_err *err)
{
    struct web_impl *wi;
    enum ia_code rc;

    if (!token_file || !*token_file)
        return ia_err_set(err, IA_ERR_CONFIG,
                          "web identity needs a token file; set AWS_WEB_IDENTITY_TOKEN_FILE or "
                          "the profile's web_identity_token_file");
    if (!role_arn || !*role_arn)
        return ia_err_set(err, IA_ERR_CONFIG,
                          "web identity token file %s is set but no role to assume; set "
                          "AWS_ROLE_ARN or the profile's role_arn",
                          token_file);
    wi = ia_xcalloc(1, sizeof(*wi));
    /* creds NULL: AssumeRoleWithWebIdentity is sent unsigned. */
    rc = ia_aws_client_init(&wi->client, sts->http, NULL, sts->region, sts->endpoint_url, err);
    if (rc != IA_OK) {
        free(wi);
        return rc;
    }
    wi->client.retry.max_attempts = 3;
    snprintf(wi->client.label, sizeof(wi->client.label), "sts");
    wi->role_arn = ia_xstrdup(role_arn);
    wi->token_file = ia_xstrdup(token_file);
    wi->session_name = session_name && *session_name ? ia_xstrdup(session_name) : NULL;
    *out = ia_creds_provider_new("web-identity", web_fetch, web_destroy, wi);
    return IA_OK;
}
