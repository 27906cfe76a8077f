/*
 * MFA and sign-in: user-no-mfa, mfa-device-name-prefix, root-no-mfa, root-access-key,
 * password-policy-weak, user-name-not-email, user-not-in-group, team-account-user.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyser/internal.h"
#include "core/mem.h"

/* Columns of analyser_users. */
enum { U_ACCOUNT, U_NAME, U_ARN, U_CREATED, U_PASSWORD, U_PW_USED, U_MFA_ACTIVE, U_ID, U_N_MFA,
       U_N_KEYS, U_KEY_USED };

static json_t *
user_evidence(const struct ia_an_ctx *ctx, struct ia_db_stmt *st)
{
    long pw = ia_an_days_since(ctx, ia_db_col_text(st, U_PW_USED));
    long key = ia_an_days_since(ctx, ia_db_col_text(st, U_KEY_USED));
    json_t *ev = json_pack("{s:s, s:s, s:o, s:b, s:o, s:I, s:I, s:o}", "user",
                     ia_db_col_text(st, U_NAME), "arn", ia_db_col_text(st, U_ARN), "created_at",
                     ia_an_jstr(ia_db_col_text(st, U_CREATED)), "password_enabled",
                     ia_db_col_int(st, U_PASSWORD) == 1, "password_last_used",
                     ia_an_jstr(ia_db_col_text(st, U_PW_USED)), "mfa_devices",
                     (json_int_t)ia_db_col_int(st, U_N_MFA), "active_access_keys",
                     (json_int_t)ia_db_col_int(st, U_N_KEYS), "key_last_used",
                     ia_an_jstr(ia_db_col_text(st, U_KEY_USED)));
    if (ev) {
        json_object_set_new(ev, "days_since_password_use",
                            pw >= 0 ? json_integer(pw) : json_null());
        json_object_set_new(ev, "days_since_key_use", key >= 0 ? json_integer(key) : json_null());
    }
    return ev;
}

static int
email_allowed(const char *name, char *const *domains)
{
    const char *at = strchr(name, '@');
    if (!at || at == name || strchr(at + 1, '@') || !at[1])
        return 0;
    for (size_t i = 0; domains[i]; i++)
        if (strcasecmp(at + 1, domains[i]) == 0)
            return 1;
    return 0;
}

static enum ia_code
user_groups(struct ia_an_ctx *ctx, const char *account, const char *user, json_t *out,
            int *in_required, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    if (ia_db_prepare(ctx->db, "analyser_user_groups", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":account_id", account);
    ia_db_bind_text(st, ":user_name", user);
    while ((r = ia_db_step(st, err)) == 1) {
        const char *g = ia_db_col_text(st, 0);
        json_array_append_new(out, json_string(g));
        if (ctx->rules->required_group && strcasecmp(g, ctx->rules->required_group) == 0)
            *in_required = 1;
    }
    ia_db_reset(st);
    return r < 0 ? IA_ERR_DB : IA_OK;
}

static enum ia_code
users(struct ia_an_ctx *ctx, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    enum ia_code rc = IA_ERR_DB;

    if (ia_db_prepare(ctx->db, "analyser_users", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    while ((r = ia_db_step(st, err)) == 1) {
        const char *acct = ia_db_col_text(st, U_ACCOUNT), *name = ia_db_col_text(st, U_NAME);
        const char *arn = ia_db_col_text(st, U_ARN);
        int password = ia_db_col_int(st, U_PASSWORD) == 1;
        int64_t keys = ia_db_col_int(st, U_N_KEYS);
        int is_base = ctx->base && strcmp(acct, ctx->base) == 0;

        /* The credential report's root row is not a user: root-* rules cover it. */
        if (strcmp(name, "<root_account>") == 0)
            continue;
        if (!is_base) {
            if (ctx->base && (password || keys > 0)) {
                json_t *ev = user_evidence(ctx, st);
                json_object_set_new(ev, "base_account", json_string(ctx->base));
                ia_an_emit(ctx, "team-account-user", IA_SEV_HIGH, acct, arn, name, ev,
                           "IAM user %s in team account %s has %s%s%s; people belong in the base "
                           "account", name, acct, password ? "a console password" : "",
                           password && keys ? " and " : "", keys ? "active access keys" : "");
            }
            continue;
        }
        if (ia_db_col_int(st, U_N_MFA) == 0 && ia_db_col_int(st, U_MFA_ACTIVE) != 1) {
            json_t *ev = user_evidence(ctx, st);
            enum ia_severity sev = IA_SEV_CRITICAL;
            /* Only a known "no password" lowers it: NULL is unknown, never "no". */
            if (ia_db_col_is_null(st, U_PASSWORD)) {
                json_object_set_new(ev, "password_enabled", json_null());
                json_object_set_new(ev, "severity_reason",
                                    json_string("whether the user has a console password is "
                                                "unknown: treated as able to sign in"));
            } else if (!password && keys == 0) {
                sev = IA_SEV_LOW;
                json_object_set_new(ev, "severity_reason",
                                    json_string("no console password and no active access key: "
                                                "the user cannot sign in today"));
            }
            ia_an_emit(ctx, "user-no-mfa", sev, acct, arn, name, ev,
                       "user %s has no MFA device%s", name,
                       sev == IA_SEV_CRITICAL ? " but can sign in" : "");
        }
        if (ctx->rules->allowed_email_domains && ctx->rules->allowed_email_domains[0] &&
            !email_allowed(name, ctx->rules->allowed_email_domains)) {
            json_t *ev = user_evidence(ctx, st);
            json_t *d = json_array();
            for (size_t i = 0; ctx->rules->allowed_email_domains[i]; i++)
                json_array_append_new(d, json_string(ctx->rules->allowed_email_domains[i]));
            json_object_set_new(ev, "allowed_email_domains", d);
            ia_an_emit(ctx, "user-name-not-email", IA_SEV_MEDIUM, acct, arn, name, ev,
                       "user %s is not named by an e-mail address in an allowed domain", name);
        }
        if (ctx->rules->required_group && ctx->rules->required_group[0]) {
            json_t *groups = json_array();
            int in = 0;
            if (user_groups(ctx, acct, name, groups, &in, err) != IA_OK) {
                json_decref(groups);
                goto out;
            }
            if (!in) {
                json_t *ev = user_evidence(ctx, st);
                json_object_set_new(ev, "groups", groups);
                json_object_set_new(ev, "required_group",
                                    json_string(ctx->rules->required_group));
                ia_an_emit(ctx, "user-not-in-group", IA_SEV_MEDIUM, acct, arn, name, ev,
                           "user %s is not in group %s", name, ctx->rules->required_group);
            } else {
                json_decref(groups);
            }
        }
    }
    if (r < 0)
        goto out;
    rc = IA_OK;
out:
    ia_db_reset(st);
    return rc;
}

static enum ia_code
devices(struct ia_an_ctx *ctx, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    if (!ctx->base)
        return IA_OK;
    if (ia_db_prepare(ctx->db, "analyser_mfa_devices", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    while ((r = ia_db_step(st, err)) == 1) {
        const char *acct = ia_db_col_text(st, 0), *user = ia_db_col_text(st, 1);
        const char *serial = ia_db_col_text(st, 2), *dev = ia_db_col_text(st, 3);
        const char *kind = ia_db_col_text(st, 4);
        /* A hardware token's name is its serial number: nobody chose it. Root's device is
         * not a person's (root-no-mfa looks at it). */
        if (strcmp(acct, ctx->base) != 0 || strcmp(kind, "hardware") == 0 ||
            strcmp(user, "<root_account>") == 0)
            continue;
        if (strncasecmp(dev, user, strlen(user)) == 0)
            continue;
        json_t *ev = json_pack("{s:s, s:s, s:s, s:s}", "user", user, "device_name", dev,
                               "serial_number", serial, "kind", kind);
        ia_an_emit(ctx, "mfa-device-name-prefix", IA_SEV_LOW, acct, serial, user, ev,
                   "MFA device %s of user %s does not start with the user's name", dev, user);
    }
    ia_db_reset(st);
    return r < 0 ? IA_ERR_DB : IA_OK;
}

static int
report_true(const char *v)
{
    return v && strcasecmp(v, "true") == 0;
}

/* Root's MFA devices as listed (ListVirtualMFADevices), as a JSON array; NULL on error. */
static json_t *
root_devices(struct ia_an_ctx *ctx, const char *acct, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    if (ia_db_prepare(ctx->db, "analyser_root_mfa_devices", &st, err) != IA_OK)
        return NULL;
    json_t *out = json_array();
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":account_id", acct);
    while ((r = ia_db_step(st, err)) == 1)
        json_array_append_new(out, json_pack("{s:s, s:s, s:o}", "serial_number",
                                             ia_db_col_text(st, 0), "kind",
                                             ia_db_col_text(st, 1), "enabled_at",
                                             ia_an_jstr(ia_db_col_text(st, 2))));
    ia_db_reset(st);
    if (r < 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static enum ia_code
roots(struct ia_an_ctx *ctx, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    if (ia_db_prepare(ctx->db, "analyser_root_rows", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    while ((r = ia_db_step(st, err)) == 1) {
        const char *acct = ia_db_col_text(st, 0), *arn = ia_db_col_text(st, 1);
        const char *mfa = ia_db_col_text(st, 2);
        int k1 = report_true(ia_db_col_text(st, 3)), k2 = report_true(ia_db_col_text(st, 4));
        const struct ia_an_account *a = ia_an_account(ctx, acct);
        if (!a || strcmp(a->status, "ok") != 0)
            continue;
        json_t *base = json_pack("{s:s, s:o, s:b, s:b, s:o, s:o, s:o}", "arn", arn,
                                 "mfa_active", ia_an_jstr(mfa), "access_key_1_active", k1,
                                 "access_key_2_active", k2, "access_key_1_last_used",
                                 ia_an_jstr(ia_db_col_text(st, 5)), "access_key_2_last_used",
                                 ia_an_jstr(ia_db_col_text(st, 6)), "password_last_used",
                                 ia_an_jstr(ia_db_col_text(st, 7)));
        json_t *devs = root_devices(ctx, acct, err);
        if (!devs) {
            json_decref(base);
            ia_db_reset(st);
            return IA_ERR_DB;
        }
        size_t n_devs = json_array_size(devs);
        json_object_set_new(base, "mfa_devices", devs);
        /* The report may be hours old; an assigned device listed now is newer evidence. */
        if (mfa && strcasecmp(mfa, "false") == 0 && n_devs == 0)
            ia_an_emit(ctx, "root-no-mfa", IA_SEV_CRITICAL, acct, arn, "<root_account>",
                       json_deep_copy(base), "root user of account %s (%s) has no MFA", acct,
                       a->name);
        if (k1 || k2)
            ia_an_emit(ctx, "root-access-key", IA_SEV_CRITICAL, acct, arn, "<root_account>",
                       json_deep_copy(base), "root user of account %s (%s) has active access "
                       "keys", acct, a->name);
        json_decref(base);
    }
    ia_db_reset(st);
    return r < 0 ? IA_ERR_DB : IA_OK;
}

static enum ia_code
password_policy(struct ia_an_ctx *ctx, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    if (!ctx->base || !ctx->base_ok)
        return IA_OK;
    if (ia_db_prepare(ctx->db, "analyser_password_policy", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":account_id", ctx->base);
    r = ia_db_step(st, err);
    if (r < 0)
        return IA_ERR_DB;
    if (r == 1) {
        struct ia_buf res = IA_BUF_INIT;
        int present = ia_db_col_int(st, 0) == 1;
        int has_len = !ia_db_col_is_null(st, 1);
        int64_t len = ia_db_col_int(st, 1);
        int min = ctx->rules->min_password_length;
        ia_buf_addf(&res, "arn:aws:iam::%s:account-password-policy", ctx->base);
        if (!present) {
            ia_an_emit(ctx, "password-policy-weak", IA_SEV_HIGH, ctx->base, res.buf, NULL,
                       json_pack("{s:b, s:i}", "present", 0, "required_minimum_length", min),
                       "base account %s has no password policy", ctx->base);
        } else if (!has_len || len < min) {
            ia_an_emit(ctx, "password-policy-weak", IA_SEV_MEDIUM, ctx->base, res.buf, NULL,
                       json_pack("{s:b, s:o, s:i}", "present", 1, "minimum_length",
                                 has_len ? json_integer(len) : json_null(),
                                 "required_minimum_length", min),
                       "base account %s password policy minimum length %lld is under %d",
                       ctx->base, (long long)(has_len ? len : 0), min);
        }
        ia_buf_release(&res);
    }
    ia_db_reset(st);
    return IA_OK;
}

enum ia_code
ia_rules_mfa(struct ia_an_ctx *ctx, struct ia_err *err)
{
    if (users(ctx, err) != IA_OK || devices(ctx, err) != IA_OK || roots(ctx, err) != IA_OK ||
        password_policy(ctx, err) != IA_OK)
        return IA_ERR_DB;
    return IA_OK;
}
