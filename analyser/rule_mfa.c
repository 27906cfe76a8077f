/*
 * MFA and sign-in: user-no-mfa, mfa-device-name-prefix, root-no-mfa, root-access-key,
 * password-policy-weak, user-name-not-email, user-not-in-group, team-account-user.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyser/internal.h"
#include "core/mem.h"

static json_t *
user_evidence(const struct ia_an_ctx *ctx, const struct ia_an_user *u)
{
    long pw = ia_an_days_since(ctx, u->pw_used);
    long key = ia_an_days_since(ctx, u->key_used);
    json_t *ev = json_pack("{s:s, s:s, s:o, s:b, s:o, s:I, s:I, s:o}", "user", u->name, "arn",
                           u->arn, "created_at", ia_an_jstr(u->created), "password_enabled",
                           u->password, "password_last_used", ia_an_jstr(u->pw_used), "mfa_devices",
                           (json_int_t)u->n_mfa, "active_access_keys", (json_int_t)u->n_keys,
                           "key_last_used", ia_an_jstr(u->key_used));
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

/* Decides one rule for one user (ctx->users). */
typedef enum ia_code user_check_fn(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                                   const struct ia_an_user *u, struct ia_err *err);

static enum ia_code
walk_users(struct ia_an_ctx *ctx, const struct ia_rule *rule, user_check_fn *check,
           struct ia_err *err)
{
    for (size_t i = 0; i < ctx->n_users; i++)
        if (check(ctx, rule, &ctx->users[i], err) != IA_OK)
            return IA_ERR_DB;
    return IA_OK;
}

static int
in_base(const struct ia_an_ctx *ctx, const struct ia_an_user *u)
{
    return ctx->base && strcmp(u->account, ctx->base) == 0;
}

static enum ia_code
team_account_user(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_user *u,
                  struct ia_err *err)
{
    const char *acct = u->account, *name = u->name;
    int password = u->password;
    int64_t keys = u->n_keys;
    (void)err;
    if (!ctx->base || in_base(ctx, u) || (!password && keys == 0))
        return IA_OK;
    json_t *ev = user_evidence(ctx, u);
    json_object_set_new(ev, "base_account", json_string(ctx->base));
    ia_an_emit(ctx, rule, rule->severity, acct, u->arn, name, ev,
               "IAM user %s in team account %s has %s%s%s; people belong in the base "
               "account",
               name, acct, password ? "a console password" : "", password && keys ? " and " : "",
               keys ? "active access keys" : "");
    return IA_OK;
}

static enum ia_code
user_no_mfa(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_user *u,
            struct ia_err *err)
{
    const char *name = u->name;
    int password = u->password;
    int64_t keys = u->n_keys;
    (void)err;
    if (!in_base(ctx, u) || u->n_mfa != 0 || u->mfa_active)
        return IA_OK;
    json_t *ev = user_evidence(ctx, u);
    enum ia_severity sev = rule->severity;
    /* Only a known "no password" lowers it: NULL is unknown, never "no". */
    if (u->password_unknown) {
        json_object_set_new(ev, "password_enabled", json_null());
        json_object_set_new(ev, "password_unknown",
                            json_string("whether the user has a console password is unknown: "
                                        "treated as able to sign in"));
    } else if (!password && keys == 0) {
        sev = IA_SEV_LOW;
        json_object_set_new(ev, IA_EV_SEVERITY_REASON,
                            json_string("no console password and no active access key: "
                                        "the user cannot sign in today"));
    }
    ia_an_emit(ctx, rule, sev, u->account, u->arn, name, ev, "user %s has no MFA device%s", name,
               sev == IA_SEV_CRITICAL ? " but can sign in" : "");
    return IA_OK;
}

static enum ia_code
user_name_not_email(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_user *u,
                    struct ia_err *err)
{
    const char *name = u->name;
    (void)err;
    if (!in_base(ctx, u) || !ctx->rules->allowed_email_domains ||
        !ctx->rules->allowed_email_domains[0] ||
        email_allowed(name, ctx->rules->allowed_email_domains))
        return IA_OK;
    json_t *ev = user_evidence(ctx, u);
    json_t *d = json_array();
    for (size_t i = 0; ctx->rules->allowed_email_domains[i]; i++)
        json_array_append_new(d, json_string(ctx->rules->allowed_email_domains[i]));
    json_object_set_new(ev, "allowed_email_domains", d);
    ia_an_emit(ctx, rule, rule->severity, u->account, u->arn, name, ev,
               "user %s is not named by an e-mail address in an allowed domain", name);
    return IA_OK;
}

/* The base account's group memberships, read once for user-not-in-group (one query, not one
 * per person). */
struct memberships {
    struct membership {
        char *user, *group;
    } * v; /* by (user, group) */
    size_t n, alloc;
};

static void
memberships_release(struct memberships *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].user);
        free(m->v[i].group);
    }
    free(m->v);
}

static enum ia_code
memberships_load(struct ia_an_ctx *ctx, struct memberships *m, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    if (ia_db_prepare(ctx->db, "access_memberships", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":account_id", ctx->base);
    while ((r = ia_db_step(st, err)) == 1) {
        m->v = ia_xgrow(m->v, m->n + 1, &m->alloc, sizeof(*m->v));
        m->v[m->n].user = ia_xstrdup(ia_db_col_text(st, 0));
        m->v[m->n++].group = ia_xstrdup(ia_db_col_text(st, 1));
    }
    ia_db_reset(st);
    return r < 0 ? IA_ERR_DB : IA_OK;
}

/* The user's groups (by name) into out; *in_required when one is [rules] required_group. */
static void
user_groups(const struct ia_an_ctx *ctx, const struct memberships *m, const char *user, json_t *out,
            int *in_required)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(m->v[mid].user, user) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < m->n && strcmp(m->v[lo].user, user) == 0; lo++) {
        const char *g = m->v[lo].group;
        json_array_append_new(out, json_string(g));
        if (strcasecmp(g, ctx->rules->required_group) == 0)
            *in_required = 1;
    }
}

static enum ia_code
user_not_in_group(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_user *u,
                  const struct memberships *m)
{
    const char *acct = u->account, *name = u->name;
    if (!in_base(ctx, u))
        return IA_OK;
    json_t *groups = json_array();
    int in = 0;
    user_groups(ctx, m, name, groups, &in);
    if (in) {
        json_decref(groups);
        return IA_OK;
    }
    json_t *ev = user_evidence(ctx, u);
    json_object_set_new(ev, "groups", groups);
    json_object_set_new(ev, "required_group", json_string(ctx->rules->required_group));
    ia_an_emit(ctx, rule, rule->severity, acct, u->arn, name, ev, "user %s is not in group %s",
               name, ctx->rules->required_group);
    return IA_OK;
}

enum ia_code
ia_rule_team_account_user(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    return walk_users(ctx, rule, team_account_user, err);
}

enum ia_code
ia_rule_user_no_mfa(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    return walk_users(ctx, rule, user_no_mfa, err);
}

enum ia_code
ia_rule_user_name_not_email(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    return walk_users(ctx, rule, user_name_not_email, err);
}

enum ia_code
ia_rule_user_not_in_group(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    struct memberships m = { 0 };
    if (!ctx->base || !ctx->rules->required_group || !ctx->rules->required_group[0])
        return IA_OK;
    enum ia_code rc = memberships_load(ctx, &m, err);
    for (size_t i = 0; rc == IA_OK && i < ctx->n_users; i++)
        rc = user_not_in_group(ctx, rule, &ctx->users[i], &m);
    memberships_release(&m);
    return rc;
}

enum ia_code
ia_rule_mfa_device_name_prefix(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                               struct ia_err *err)
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
        ia_an_emit(ctx, rule, rule->severity, acct, serial, user, ev,
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

/* Decides one rule for one root row of an account collected in this run. */
typedef void root_check_fn(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_db_stmt *st,
                           const struct ia_an_account *a);

static enum ia_code
walk_roots(struct ia_an_ctx *ctx, const struct ia_rule *rule, root_check_fn *check,
           struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    if (ia_db_prepare(ctx->db, "analyser_root_rows", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    while ((r = ia_db_step(st, err)) == 1) {
        const struct ia_an_account *a = ia_an_account(ctx, ia_db_col_text(st, 0));
        if (!a || strcmp(a->status, "ok") != 0)
            continue;
        check(ctx, rule, st, a);
    }
    ia_db_reset(st);
    return r < 0 ? IA_ERR_DB : IA_OK;
}

static json_t *
root_evidence(struct ia_db_stmt *st)
{
    return json_pack("{s:s, s:o, s:b, s:b, s:o, s:o, s:o}", "arn", ia_db_col_text(st, 1),
                     "mfa_active", ia_an_jstr(ia_db_col_text(st, 2)), "access_key_1_active",
                     report_true(ia_db_col_text(st, 3)), "access_key_2_active",
                     report_true(ia_db_col_text(st, 4)), "access_key_1_last_used",
                     ia_an_jstr(ia_db_col_text(st, 5)), "access_key_2_last_used",
                     ia_an_jstr(ia_db_col_text(st, 6)), "password_last_used",
                     ia_an_jstr(ia_db_col_text(st, 7)));
}

/* Root's MFA devices as listed (ListVirtualMFADevices), as a JSON array; NULL on error. */
static json_t *
root_devices(struct ia_an_ctx *ctx, const char *acct)
{
    struct ia_db_stmt *st;
    struct ia_err err;
    int r;
    if (ia_db_prepare(ctx->db, "analyser_root_mfa_devices", &st, &err) != IA_OK)
        return NULL;
    json_t *out = json_array();
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":account_id", acct);
    while ((r = ia_db_step(st, &err)) == 1)
        json_array_append_new(out, json_pack("{s:s, s:s, s:o}", "serial_number",
                                             ia_db_col_text(st, 0), "kind", ia_db_col_text(st, 1),
                                             "enabled_at", ia_an_jstr(ia_db_col_text(st, 2))));
    ia_db_reset(st);
    if (r < 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

static void
root_no_mfa(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_db_stmt *st,
            const struct ia_an_account *a)
{
    const char *mfa = ia_db_col_text(st, 2);
    if (!mfa || strcasecmp(mfa, "false") != 0)
        return;
    json_t *devs = root_devices(ctx, a->id);
    /* A database that fails here fails the whole analysis elsewhere; never drop a finding. */
    if (devs && json_array_size(devs) > 0) {
        /* The report may be hours old; an assigned device listed now is newer evidence. */
        json_decref(devs);
        return;
    }
    json_t *ev = root_evidence(st);
    json_object_set_new(ev, "mfa_devices", devs ? devs : json_array());
    ia_an_emit(ctx, rule, rule->severity, a->id, ia_db_col_text(st, 1), "<root_account>", ev,
               "root user of account %s (%s) has no MFA", a->id, a->name);
}

static void
root_access_key(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_db_stmt *st,
                const struct ia_an_account *a)
{
    if (report_true(ia_db_col_text(st, 3)) || report_true(ia_db_col_text(st, 4)))
        ia_an_emit(ctx, rule, rule->severity, a->id, ia_db_col_text(st, 1), "<root_account>",
                   root_evidence(st), "root user of account %s (%s) has active access keys", a->id,
                   a->name);
}

enum ia_code
ia_rule_root_no_mfa(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    return walk_roots(ctx, rule, root_no_mfa, err);
}

enum ia_code
ia_rule_root_access_key(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    return walk_roots(ctx, rule, root_access_key, err);
}

enum ia_code
ia_rule_password_policy_weak(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
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
            ia_an_emit(ctx, rule, rule->severity, ctx->base, res.buf, NULL,
                       json_pack("{s:b, s:i}", "present", 0, "required_minimum_length", min),
                       "base account %s has no password policy", ctx->base);
        } else if (!has_len || len < min) {
            ia_an_emit(ctx, rule, IA_SEV_MEDIUM, ctx->base, res.buf, NULL,
                       json_pack("{s:b, s:o, s:i, s:s}", "present", 1, "minimum_length",
                                 has_len ? json_integer(len) : json_null(),
                                 "required_minimum_length", min, IA_EV_SEVERITY_REASON,
                                 "a policy exists; only its minimum length is short"),
                       "base account %s password policy minimum length %lld is under %d", ctx->base,
                       (long long)(has_len ? len : 0), min);
        }
        ia_buf_release(&res);
    }
    ia_db_reset(st);
    return IA_OK;
}
