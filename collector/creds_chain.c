/*
 * The default chain: which provider to use, in botocore's order (credentials.py,
 * create_credential_resolver), including its two less obvious rules: an explicit
 * --profile skips the environment keys while AWS_PROFILE does not, and a
 * source_profile is resolved with the profile providers only (never the environment).
 */
#include "collector/creds_chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/endpoints.h"
#include "core/log.h"
#include "core/mem.h"

/* Longest role chain followed (botocore has no bound; a loop is caught separately). */
#define MAX_HOPS 8

struct chain {
    const struct ia_creds_options *opts;
    struct ia_creds_config *cfg;
    struct ia_creds_sts sts;
    const char *visited[MAX_HOPS + 1]; /* role profiles on the source_profile path, and the
                                          last source (borrowed) */
    size_t n_visited;
};

static const char *
env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* A profile setting; an empty value counts as unset. */
static const char *
get(const struct chain *c, const char *profile, const char *key)
{
    const char *v = ia_creds_config_get(c->cfg, profile, key, IA_CREDS_FILE_ANY);
    return v && *v ? v : NULL;
}

static int
has_static(const struct chain *c, const char *profile)
{
    return get(c, profile, "aws_access_key_id") || get(c, profile, "aws_secret_access_key");
}

/* role_arn makes a role profile, unless web_identity_token_file makes it web identity. */
static int
is_role_profile(const struct chain *c, const char *profile)
{
    return get(c, profile, "role_arn") && !get(c, profile, "web_identity_token_file");
}

/*
 * The profile providers in order: web identity, shared credentials file,
 * credential_process, config file keys. env_ok lets AWS_WEB_IDENTITY_TOKEN_FILE,
 * AWS_ROLE_ARN and AWS_ROLE_SESSION_NAME take precedence, as at the top of the chain.
 */
static enum ia_code
profile_providers(struct chain *c, const char *profile, int env_ok, struct ia_creds_provider **out,
                  struct ia_buf *desc, struct ia_err *err)
{
    const char *token_file = env_ok ? env("AWS_WEB_IDENTITY_TOKEN_FILE") : NULL;
    int from_env = token_file != NULL;
    enum ia_code rc;

    if (!token_file)
        token_file = get(c, profile, "web_identity_token_file");
    if (token_file) {
        const char *role = env_ok ? env("AWS_ROLE_ARN") : NULL;
        const char *session = env_ok ? env("AWS_ROLE_SESSION_NAME") : NULL;
        if (!role)
            role = get(c, profile, "role_arn");
        if (!session)
            session = get(c, profile, "role_session_name");
        rc = ia_creds_web_identity_new(role, token_file, session, &c->sts, out, err);
        if (rc == IA_OK) {
            if (from_env)
                ia_buf_addf(desc, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE): ");
            else
                ia_buf_addf(desc, "profile %s: web identity (web_identity_token_file): ", profile);
            ia_buf_addf(desc, "assume-role-with-web-identity %s", role);
        }
        return rc;
    }
    rc = ia_creds_profile_new(c->cfg, profile, IA_CREDS_FILE_CREDENTIALS, out, err);
    if (rc != IA_ERR_NOT_FOUND) {
        if (rc == IA_OK)
            ia_buf_addf(desc, "profile %s (shared credentials file)", profile);
        return rc;
    }
    const char *process = get(c, profile, "credential_process");
    if (process) {
        rc = ia_creds_process_new(process, profile, c->opts->process_timeout_ms, out, err);
        if (rc == IA_OK)
            ia_buf_addf(desc, "profile %s (credential_process)", profile);
        return rc;
    }
    rc = ia_creds_profile_new(c->cfg, profile, IA_CREDS_FILE_CONFIG, out, err);
    if (rc == IA_OK)
        ia_buf_addf(desc, "profile %s (config file)", profile);
    return rc;
}

/* credential_source = Environment | Ec2InstanceMetadata | EcsContainer. */
static enum ia_code
named_source(struct chain *c, const char *profile, const char *name, struct ia_creds_provider **out,
             struct ia_buf *desc, struct ia_err *err)
{
    enum ia_code rc;
    const char *what;

    if (strcmp(name, "Environment") == 0) {
        rc = ia_creds_env_new(out, err);
        what = "environment";
    } else if (strcmp(name, "Ec2InstanceMetadata") == 0) {
        rc = ia_creds_imds_new(c->opts->http, out, err);
        what = "EC2 instance metadata";
    } else if (strcmp(name, "EcsContainer") == 0) {
        rc = ia_creds_container_new(c->opts->http, out, err);
        what = "container credentials";
    } else {
        return ia_err_set(err, IA_ERR_CONFIG,
                          "profile %s: credential_source '%s' is not one of Environment, "
                          "Ec2InstanceMetadata, EcsContainer; fix it",
                          profile, name);
    }
    if (rc == IA_ERR_NOT_FOUND) {
        char why[256];
        snprintf(why, sizeof(why), "%.200s", err ? err->msg : "");
        return ia_err_set(err, IA_ERR_CONFIG,
                          "profile %s: credential_source %s finds nothing (%s); set it up or "
                          "use source_profile",
                          profile, name, why);
    }
    if (rc == IA_OK)
        ia_buf_addf(desc, "credential_source %s (%s)", name, what);
    return rc;
}

static enum ia_code role_profile(struct chain *c, const char *profile,
                                 struct ia_creds_provider **out, struct ia_buf *desc,
                                 struct ia_err *err);

/* The credentials a source_profile stands for. */
static enum ia_code
source_profile(struct chain *c, const char *parent, const char *src, struct ia_creds_provider **out,
               struct ia_buf *desc, struct ia_err *err)
{
    const struct ia_creds_config *cfg = c->cfg;
    struct ia_buf path = IA_BUF_INIT;
    enum ia_code rc = IA_ERR_CONFIG;
    int seen = 0;

    if (!ia_creds_config_has_profile(cfg, src)) {
        ia_err_set(err, IA_ERR_CONFIG,
                   "source_profile %s of profile %s is in neither %s nor %s; add it or fix "
                   "source_profile",
                   src, parent, ia_creds_config_path(cfg, IA_CREDS_FILE_CONFIG),
                   ia_creds_config_path(cfg, IA_CREDS_FILE_CREDENTIALS));
        goto out;
    }
    for (size_t i = 0; i < c->n_visited; i++)
        seen |= strcmp(c->visited[i], src) == 0;
    /* A role profile may name itself to use its own keys (botocore allows it). */
    if (seen && !(strcmp(src, parent) == 0 && has_static(c, src))) {
        for (size_t i = 0; i < c->n_visited; i++)
            ia_buf_addf(&path, "%s -> ", c->visited[i]);
        ia_buf_addstr(&path, src);
        ia_err_set(err, IA_ERR_CONFIG,
                   "source_profile loop: %s; one profile on the way must have keys (or "
                   "credential_process) instead of role_arn",
                   path.buf);
        goto out;
    }
    c->visited[c->n_visited++] = src;
    if (has_static(c, src) || !is_role_profile(c, src)) {
        rc = profile_providers(c, src, 0, out, desc, err);
        if (rc == IA_ERR_NOT_FOUND)
            rc = ia_err_set(err, IA_ERR_CONFIG,
                            "source_profile %s of profile %s has no credentials; give it "
                            "aws_access_key_id and aws_secret_access_key, credential_process "
                            "or role_arn",
                            src, parent);
    } else if (c->n_visited > MAX_HOPS) {
        /* Every profile visited so far is a role profile, and so is src. */
        ia_err_set(err, IA_ERR_CONFIG,
                   "the role chain from profile %s is longer than %d hops; shorten it",
                   c->visited[0], MAX_HOPS);
    } else {
        rc = role_profile(c, src, out, desc, err);
    }
out:
    ia_buf_release(&path);
    return rc;
}

static enum ia_code
role_profile(struct chain *c, const char *profile, struct ia_creds_provider **out,
             struct ia_buf *desc, struct ia_err *err)
{
    const char *role = get(c, profile, "role_arn");
    const char *src = get(c, profile, "source_profile");
    const char *named = get(c, profile, "credential_source");
    const char *dur = get(c, profile, "duration_seconds");
    struct ia_creds_provider *source = NULL;
    struct ia_buf src_desc = IA_BUF_INIT;
    long duration = 0;
    enum ia_code rc = IA_ERR_CONFIG;

    if (src && named) {
        ia_err_set(err, IA_ERR_CONFIG,
                   "profile %s has both source_profile and credential_source; keep one", profile);
        goto out;
    }
    if (!src && !named) {
        ia_err_set(err, IA_ERR_CONFIG,
                   "profile %s has role_arn but neither source_profile nor credential_source; "
                   "add source_profile = <a profile with keys> (see docs/credentials.md)",
                   profile);
        goto out;
    }
    if (dur) {
        char *end;
        duration = strtol(dur, &end, 10);
        if (*end || end == dur || duration < 900 || duration > 43200) {
            ia_err_set(err, IA_ERR_CONFIG,
                       "profile %s: duration_seconds '%s' is not a number of seconds from 900 "
                       "to 43200; fix it",
                       profile, dur);
            goto out;
        }
    }
    rc = named ? named_source(c, profile, named, &source, &src_desc, err)
               : source_profile(c, profile, src, &source, &src_desc, err);
    if (rc != IA_OK)
        goto out;
    struct ia_creds_assume_config ac = {
        profile,
        role,
        get(c, profile, "role_session_name"),
        get(c, profile, "external_id"),
        get(c, profile, "mfa_serial"),
        (int)duration,
        c->opts->mfa_token,
        c->opts->mfa_prompt,
        c->opts->mfa_ctx,
    };
    rc = ia_creds_assume_new(&ac, source, &c->sts, out, err); /* steals source */
    if (rc == IA_OK)
        ia_buf_addf(desc, "profile %s: assume-role %s via %s", profile, role, src_desc.buf);
out:
    ia_buf_release(&src_desc);
    return rc;
}

static void
copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

enum ia_code
ia_creds_chain_resolve(const struct ia_creds_options *opts, struct ia_creds_provider **out,
                       struct ia_profile_info *info, struct ia_err *err)
{
    int explicit = opts->profile && *opts->profile;
    const char *profile = explicit ? opts->profile : env("AWS_PROFILE");
    int named = profile != NULL;
    struct chain c;
    struct ia_profile_info inf;
    struct ia_creds_provider *p = NULL;
    struct ia_buf desc = IA_BUF_INIT;
    struct ia_err e;
    enum ia_code rc;

    memset(&c, 0, sizeof(c));
    memset(&inf, 0, sizeof(inf));
    if (!profile)
        profile = "default";
    c.opts = opts;
    rc = ia_creds_config_load(&c.cfg, err);
    if (rc != IA_OK)
        goto out;
    copy(inf.profile, sizeof(inf.profile), profile);
    inf.profile_explicit = explicit;
    copy(inf.region, sizeof(inf.region), get(&c, profile, "region"));
    copy(inf.endpoint_url, sizeof(inf.endpoint_url), get(&c, profile, "endpoint_url"));
    copy(inf.config_file, sizeof(inf.config_file),
         ia_creds_config_path(c.cfg, IA_CREDS_FILE_CONFIG));
    copy(inf.credentials_file, sizeof(inf.credentials_file),
         ia_creds_config_path(c.cfg, IA_CREDS_FILE_CREDENTIALS));
    /* A profile asked for by name must exist, even "default" (botocore's ProfileNotFound). */
    if (named && !ia_creds_config_has_profile(c.cfg, profile)) {
        rc = ia_err_set(err, IA_ERR_CONFIG,
                        "profile %s is in neither %s nor %s; add [profile %s] to the config file "
                        "or [%s] to the credentials file, or fix %s",
                        profile, inf.config_file[0] ? inf.config_file : "(no HOME)",
                        inf.credentials_file[0] ? inf.credentials_file : "(no HOME)", profile,
                        profile, explicit ? "--profile" : "AWS_PROFILE");
        goto out;
    }
    c.sts.http = opts->http;
    copy(c.sts.region, sizeof(c.sts.region),
         opts->region && *opts->region ? opts->region : ia_endpoint_default_region(inf.region));
    copy(c.sts.endpoint_url, sizeof(c.sts.endpoint_url), inf.endpoint_url);

    /* 1. Environment, unless --profile named a profile explicitly. */
    if (!explicit) {
        rc = ia_creds_env_new(&p, err);
        if (rc == IA_OK)
            ia_buf_addstr(&desc, "environment (AWS_ACCESS_KEY_ID)");
        if (rc != IA_ERR_NOT_FOUND)
            goto out;
    }
    /* 2. The profile's role. */
    if (is_role_profile(&c, profile)) {
        c.visited[c.n_visited++] = profile;
        rc = role_profile(&c, profile, &p, &desc, err);
        goto out;
    }
    /* 3-6. Web identity, shared credentials file, credential_process, config file. */
    rc = profile_providers(&c, profile, !explicit, &p, &desc, err);
    if (rc != IA_ERR_NOT_FOUND)
        goto out;
    /* 7. Container. */
    rc = ia_creds_container_new(opts->http, &p, err);
    if (rc == IA_OK)
        ia_buf_addstr(&desc, "container credentials");
    if (rc != IA_ERR_NOT_FOUND)
        goto out;
    /* 8. Instance metadata: only a request tells whether it is there, so probe it now. */
    const char *imds = "disabled by AWS_EC2_METADATA_DISABLED";
    rc = ia_creds_imds_new(opts->http, &p, err);
    if (rc == IA_OK) {
        struct ia_creds probe;
        memset(&probe, 0, sizeof(probe));
        ia_err_clear(&e);
        rc = ia_creds_get(p, &probe, &e);
        if (rc == IA_OK)
            ia_buf_addf(&desc, "%s", probe.source);
        ia_creds_release(&probe);
        if (rc == IA_OK)
            goto out;
        IA_LOG_DEBUG("creds", "msg=\"no credentials from instance metadata\" reason=\"%s\"", e.msg);
        ia_creds_provider_free(p);
        p = NULL;
        imds = "no answer";
    } else if (rc != IA_ERR_NOT_FOUND) {
        goto out;
    }
    rc = ia_err_set(err, IA_ERR_CREDS,
                    "no AWS credentials found (tried: %sprofile %s in %s and %s, container, "
                    "EC2 instance metadata: %s); set AWS_PROFILE or AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY, see docs/credentials.md",
                    explicit ? "" : "environment, ", profile,
                    inf.credentials_file[0] ? inf.credentials_file : "(no HOME)",
                    inf.config_file[0] ? inf.config_file : "(no HOME)", imds);
out:
    ia_creds_config_free(c.cfg);
    if (rc == IA_OK) {
        copy(inf.source, sizeof(inf.source), desc.buf);
        IA_LOG_DEBUG("creds", "msg=\"credentials chosen\" profile=%s source=\"%s\"", inf.profile,
                     inf.source);
        *out = p;
        *info = inf;
    } else {
        ia_creds_provider_free(p);
    }
    ia_buf_release(&desc);
    return rc;
}
