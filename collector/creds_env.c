/* Credentials from environment variables, as botocore's EnvProvider reads them. */
#include "collector/creds_chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

static const char *
env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* Copy value into a fixed field; refuse (naming the variable, never the value) if too long. */
static enum ia_code
copy_var(char *dst, size_t cap, const char *name, const char *value, struct ia_err *err)
{
    size_t n = strlen(value);
    if (n >= cap)
        return ia_err_set(err, IA_ERR_CONFIG,
                          "%s is %zu characters long, more than any AWS credential (%zu); "
                          "check what sets it",
                          name, n, cap - 1);
    memcpy(dst, value, n + 1);
    return IA_OK;
}

/* Read the variables again: botocore's refresh of environment credentials does the same. */
static enum ia_code
env_read(struct ia_creds *out, struct ia_err *err)
{
    struct ia_creds cr;
    const char *id = env("AWS_ACCESS_KEY_ID");
    const char *secret = env("AWS_SECRET_ACCESS_KEY");
    const char *token = env("AWS_SESSION_TOKEN");
    const char *exp = env("AWS_CREDENTIAL_EXPIRATION");
    enum ia_code rc = IA_ERR_CONFIG;

    memset(&cr, 0, sizeof(cr));
    if (!token)
        token = env("AWS_SECURITY_TOKEN");
    if (!id) {
        rc = ia_err_set(err, IA_ERR_NOT_FOUND, "AWS_ACCESS_KEY_ID is not set");
        goto out;
    }
    if (!secret) {
        rc = ia_err_set(err, IA_ERR_CONFIG,
                        "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not; set both, or "
                        "unset AWS_ACCESS_KEY_ID to use a profile");
        goto out;
    }
    if (copy_var(cr.access_key_id, sizeof(cr.access_key_id), "AWS_ACCESS_KEY_ID", id, err) ||
        copy_var(cr.secret_access_key, sizeof(cr.secret_access_key), "AWS_SECRET_ACCESS_KEY",
                 secret, err) ||
        (token &&
         copy_var(cr.session_token, sizeof(cr.session_token), "AWS_SESSION_TOKEN", token, err)))
        goto out;
    if (exp && ia_time_parse_iso(exp, &cr.expiration) != 0) {
        rc = ia_err_set(err, IA_ERR_CONFIG,
                        "AWS_CREDENTIAL_EXPIRATION '%s' is not an ISO 8601 time like "
                        "2026-11-27T02:00:00Z; fix or unset it",
                        exp);
        goto out;
    }
    if (cr.expiration && cr.expiration <= ia_time_now()) {
        char when[IA_TIME_ISO_LEN];
        ia_time_format_iso(cr.expiration, when);
        rc = ia_err_set(err, IA_ERR_CREDS,
                        "the credentials in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY expired at %s "
                        "(AWS_CREDENTIAL_EXPIRATION); export fresh ones",
                        when);
        goto out;
    }
    snprintf(cr.source, sizeof(cr.source), "environment");
    *out = cr;
    rc = IA_OK;
out:
    ia_creds_release(&cr);
    return rc;
}

static enum ia_code
env_fetch(void *impl, struct ia_creds *out, struct ia_err *err)
{
    (void)impl;
    enum ia_code rc = env_read(out, err);
    /* Gone since the chain chose us: a configuration problem, not "not found". */
    if (rc == IA_ERR_NOT_FOUND)
        rc = ia_err_set(err, IA_ERR_CREDS,
                        "AWS_ACCESS_KEY_ID was unset after the credentials were chosen");
    return rc;
}

enum ia_code
ia_creds_env_new(struct ia_creds_provider **out, struct ia_err *err)
{
    struct ia_creds probe;
    enum ia_code rc = env_read(&probe, err);
    ia_creds_release(&probe);
    if (rc != IA_OK)
        return rc;
    *out = ia_creds_provider_new("environment", env_fetch, NULL, NULL);
    return IA_OK;
}
