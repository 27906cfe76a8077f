/*
 * Trust policies, one role at a time (so Deny statements can be weighed against Allows):
 * trust-wildcard-principal, trust-account-root, trust-no-mfa, trust-mfa-if-exists,
 * trust-external-account, trust-dangling-principal, trust-not-principal, and
 * leaver-trusted-by-role (a leavers rule, but it walks the same rows).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyser/internal.h"
#include "core/buf.h"
#include "core/glob.h"
#include "core/mem.h"
#include "core/policy.h"

static const struct {
    unsigned bit;
    const char *key;
} s_pins[] = {
    { IA_POLICY_PIN_PRINCIPAL_ORG_ID, "aws:PrincipalOrgID" },
    { IA_POLICY_PIN_PRINCIPAL_ACCOUNT, "aws:PrincipalAccount" },
    { IA_POLICY_PIN_PRINCIPAL_ARN, "aws:PrincipalArn" },
    { IA_POLICY_PIN_SOURCE_ACCOUNT, "aws:SourceAccount" },
    { IA_POLICY_PIN_SOURCE_ARN, "aws:SourceArn" },
    { IA_POLICY_PIN_EXTERNAL_ID, "sts:ExternalId" },
    { IA_POLICY_PIN_PRINCIPAL_ORG_PATHS, "aws:PrincipalOrgPaths" },
    { IA_POLICY_PIN_USERID, "aws:userid" },
    { IA_POLICY_PIN_USERNAME, "aws:username" },
};

static json_t *
pins_json(unsigned pins)
{
    json_t *a = json_array();
    for (size_t i = 0; i < IA_ARRAY_LEN(s_pins); i++)
        if (pins & s_pins[i].bit)
            json_array_append_new(a, json_string(s_pins[i].key));
    return a;
}

/*
 * A Deny on every principal with a single negated clause on a narrowing key, e.g.
 *   Deny * sts:AssumeRole if StringNotEquals aws:PrincipalOrgID o-abc
 * lets in only callers that match: the same narrowing as a positive condition on the Allow.
 * The ...IfExists forms deny when the key is absent too, so they narrow as well.
 */
static unsigned
deny_pins(const char *cond_json)
{
    static const char *const negated[] = { "StringNotEquals", "StringNotEqualsIgnoreCase",
                                           "StringNotLike", "ArnNotEquals", "ArnNotLike" };
    json_t *c = cond_json ? json_loads(cond_json, 0, NULL) : NULL;
    unsigned pins = 0;
    const char *op;
    json_t *clause;
    if (!json_is_object(c) || json_object_size(c) != 1)
        goto out;
    json_object_foreach(c, op, clause) {
        size_t oplen = strlen(op);
        int ok = 0;
        for (size_t i = 0; i < IA_ARRAY_LEN(negated); i++) {
            size_t n = strlen(negated[i]);
            if (strncmp(op, negated[i], n) == 0 &&
                (oplen == n || strcmp(op + n, "IfExists") == 0))
                ok = 1;
        }
        if (!ok || !json_is_object(clause) || json_object_size(clause) != 1)
            goto out;
        const char *key;
        json_t *v;
        json_object_foreach(clause, key, v) {
            int concrete = json_is_string(v) && json_string_length(v) > 0;
            if (json_is_array(v) && json_array_size(v) > 0) {
                size_t i;
                json_t *e;
                concrete = 1;
                json_array_foreach(v, i, e) if (!json_is_string(e) || !json_string_length(e))
                    concrete = 0;
            }
            if (!concrete)
                goto out;
            for (size_t i = 0; i < IA_ARRAY_LEN(s_pins); i++)
                if (strcasecmp(key, s_pins[i].key) == 0)
                    pins |= s_pins[i].bit;
        }
    }
out:
    json_decref(c);
    return pins;
}

static int
is_type(const struct ia_an_trust *t, const char *type)
{
    return strcmp(t->principal_type, type) == 0;
}

static int
is_allow(const struct ia_an_trust *t)
{
    return strcmp(t->effect, "Allow") == 0;
}

/*
 * Does a Deny row's Action surely cover sts:AssumeRole itself? (Not "intersects": a Deny on
 * sts:AssumeRoleWithSAML must not cancel an Allow on sts:AssumeRole.)
 */
static int
deny_assumes(const struct ia_an_trust *d)
{
    json_t *a = d->actions ? json_loads(d->actions, 0, NULL) : NULL;
    int any = 0;
    size_t i;
    json_t *v;
    if (!json_is_array(a)) {
        json_decref(a);
        return 0;
    }
    json_array_foreach(a, i, v) {
        const char *p = json_string_value(v);
        if (p && ia_glob_match(p, "sts:AssumeRole"))
            any = 1;
    }
    json_decref(a);
    return d->not_action ? !any : any;
}

/* Does Deny row d apply to the principal of Allow row a? */
static int
deny_covers(const struct ia_an_trust *d, const struct ia_an_trust *a)
{
    if (is_allow(d) || d->not_principal || !deny_assumes(d))
        return 0;
    if (is_type(d, "wildcard"))
        return 1;
    if (strcasecmp(d->principal, a->principal) == 0)
        return 1;
    /* A Deny on a whole account covers that account's users and roles. */
    return (is_type(d, "account-root") || is_type(d, "account-id")) && d->principal_account &&
           a->principal_account && strcmp(d->principal_account, a->principal_account) == 0;
}

static json_t *
trust_evidence(const struct ia_an_ctx *ctx, const struct ia_an_trust *t)
{
    json_t *actions = t->actions ? json_loads(t->actions, 0, NULL) : NULL;
    json_t *cond = t->conditions ? json_loads(t->conditions, 0, NULL) : NULL;
    long since = ia_an_days_since(ctx, t->role_last_used);
    return json_pack("{s:s, s:s, s:i, s:o, s:s, s:b, s:s, s:s, s:s, s:o, s:o, s:b, s:o, s:o, "
                     "s:o}",
                     "role", t->role_name, "role_arn", t->role_arn, "statement_index",
                     t->statement_index, "sid", ia_an_jstr(t->sid), "effect", t->effect,
                     "not_principal", t->not_principal, "principal_kind", t->principal_kind,
                     "principal", t->principal, "principal_type", t->principal_type,
                     "principal_account", ia_an_jstr(t->principal_account), "actions",
                     actions ? actions : json_null(), "not_action", t->not_action,
                     "conditions", cond ? cond : json_null(), "role_last_used_at",
                     ia_an_jstr(t->role_last_used), "role_days_since_use",
                     since >= 0 ? json_integer(since) : json_null());
}

/* Who a unique id was, from the earliest run that saw it; NULL when never seen. */
static enum ia_code
who_was(struct ia_an_ctx *ctx, const char *unique_id, json_t **out, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    *out = NULL;
    if (ia_db_prepare(ctx->db, "analyser_principal_id", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_text(st, ":unique_id", unique_id);
    r = ia_db_step(st, err);
    if (r == 1)
        *out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "unique_id", unique_id, "kind",
                         ia_db_col_text(st, 0), "account_id", ia_db_col_text(st, 1), "name",
                         ia_db_col_text(st, 2), "arn", ia_db_col_text(st, 3), "first_seen_run",
                         (json_int_t)ia_db_col_int(st, 4), "last_seen_run",
                         (json_int_t)ia_db_col_int(st, 5));
    ia_db_reset(st);
    return r < 0 ? IA_ERR_DB : IA_OK;
}

static enum ia_code
who_was_arn(struct ia_an_ctx *ctx, const char *arn, json_t **out, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    *out = NULL;
    if (ia_db_prepare(ctx->db, "analyser_principal_by_arn", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_text(st, ":arn", arn);
    r = ia_db_step(st, err);
    if (r == 1)
        *out = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "unique_id", ia_db_col_text(st, 0),
                         "kind", ia_db_col_text(st, 1), "name", ia_db_col_text(st, 2), "arn",
                         arn, "first_seen_run", (json_int_t)ia_db_col_int(st, 3),
                         "last_seen_run", (json_int_t)ia_db_col_int(st, 4));
    ia_db_reset(st);
    return r < 0 ? IA_ERR_DB : IA_OK;
}

/* The base account's user names, lower-cased and sorted: IAM names are unique ignoring case. */
struct names {
    char **v;
    size_t n, alloc;
};

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
lower_dup(const char *s)
{
    char *d = ia_xstrdup(s);
    for (char *p = d; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return d;
}

static enum ia_code
load_base_users(struct ia_an_ctx *ctx, struct names *out, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    if (!ctx->base)
        return IA_OK;
    if (ia_db_prepare(ctx->db, "analyser_account_user_names", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":account_id", ctx->base);
    while ((r = ia_db_step(st, err)) == 1) {
        out->v = ia_xgrow(out->v, out->n + 1, &out->alloc, sizeof(*out->v));
        out->v[out->n++] = lower_dup(ia_db_col_text(st, 0));
    }
    ia_db_reset(st);
    if (out->n)
        qsort(out->v, out->n, sizeof(*out->v), cmp_str);
    return r < 0 ? IA_ERR_DB : IA_OK;
}

static int
user_exists(const struct names *users, const char *name)
{
    char *key = lower_dup(name);
    int found = users->n && bsearch(&key, users->v, users->n, sizeof(*users->v), cmp_str);
    free(key);
    return found;
}

static int
known_account(const struct ia_an_ctx *ctx, const char *id)
{
    if (ia_an_account(ctx, id))
        return 1;
    for (size_t i = 0; ctx->rules->known_accounts && ctx->rules->known_accounts[i]; i++)
        if (strcmp(ctx->rules->known_accounts[i], id) == 0)
            return 1;
    return 0;
}

static void
leaver_check(struct ia_an_ctx *ctx, const struct ia_an_trust *t, const char *user_name,
             const char *user_arn, json_t *who)
{
    const struct ia_leaver *lv = ia_people_find(&ctx->leavers, user_name);
    if (!lv || strcmp(lv->date, ctx->today) >= 0)
        return;
    json_t *ev = trust_evidence(ctx, t);
    json_object_set_new(ev, "leaver", json_string(user_name));
    json_object_set_new(ev, "leaving_date", json_string(lv->date));
    json_object_set_new(ev, "days_since_leaving", json_integer(ia_an_days_since(ctx, lv->date)));
    if (who)
        json_object_set(ev, "was", who);
    ia_an_emit(ctx, "leaver-trusted-by-role", IA_SEV_HIGH, t->account_id, t->role_arn, user_arn,
               ev, "role %s in %s still trusts leaver %s (left %s)", t->role_name,
               t->account_id, user_name, lv->date);
}

/*
 * A whole-account trust narrowed to named users by aws:PrincipalArn still names them: a
 * leaver listed there is as much a leftover as one in Principal.
 */
static void
leavers_in_condition(struct ia_an_ctx *ctx, const struct ia_an_trust *t)
{
    json_t *c = t->conditions ? json_loads(t->conditions, 0, NULL) : NULL;
    const char *op, *key;
    json_t *clause, *v;
    struct ia_buf prefix = IA_BUF_INIT;
    if (!json_is_object(c) || !ctx->base || ctx->leavers.n == 0)
        goto out;
    ia_buf_addf(&prefix, "arn:aws:iam::%s:user/", ctx->base);
    json_object_foreach(c, op, clause) {
        if (strstr(op, "Not") || !json_is_object(clause))
            continue;
        json_object_foreach(clause, key, v) {
            if (strcasecmp(key, "aws:PrincipalArn") != 0)
                continue;
            size_t n = json_is_array(v) ? json_array_size(v) : 1;
            for (size_t i = 0; i < n; i++) {
                const char *arn = json_string_value(json_is_array(v) ? json_array_get(v, i) : v);
                if (!arn || strncasecmp(arn, prefix.buf, prefix.len) != 0 || strchr(arn, '*') ||
                    strchr(arn, '?'))
                    continue;
                leaver_check(ctx, t, ia_an_arn_name(arn), arn, NULL);
            }
        }
    }
out:
    ia_buf_release(&prefix);
    json_decref(c);
}

static enum ia_code
allow_row(struct ia_an_ctx *ctx, const struct names *users, const struct ia_an_trust *rows,
          size_t n, const struct ia_an_trust *t, struct ia_err *err)
{
    unsigned pins = ia_policy_condition_pins(t->conditions), dpins = 0;
    int aws = strcmp(t->principal_kind, "AWS") == 0 || strcmp(t->principal_kind, "*") == 0;

    /* Deny statements: one that always applies makes this Allow moot; others may narrow. */
    for (size_t i = 0; i < n; i++) {
        if (!deny_covers(&rows[i], t))
            continue;
        if (!rows[i].conditions)
            return IA_OK;
        if (is_type(&rows[i], "wildcard"))
            dpins |= deny_pins(rows[i].conditions);
    }
    pins |= dpins;

    if (t->not_principal) {
        ia_an_emit(ctx, "trust-not-principal", IA_SEV_HIGH, t->account_id, t->role_arn,
                   t->principal, trust_evidence(ctx, t),
                   "role %s trusts everyone except %s (NotPrincipal with Allow)", t->role_name,
                   t->principal);
        return IA_OK;
    }
    if (is_type(t, "wildcard")) {
        json_t *ev = trust_evidence(ctx, t);
        enum ia_severity sev = IA_SEV_CRITICAL;
        if (pins) {
            sev = IA_SEV_MEDIUM;
            json_object_set_new(ev, "pinned_by", pins_json(pins));
            json_object_set_new(ev, "severity_reason",
                                json_string(dpins ? "a condition or a Deny narrows who may "
                                                    "assume the role"
                                                  : "a condition pins who may assume the role"));
        }
        ia_an_emit(ctx, "trust-wildcard-principal", sev, t->account_id, t->role_arn,
                   t->principal, ev, "role %s can be assumed by any principal%s", t->role_name,
                   pins ? " matching its condition" : "");
        return IA_OK;
    }
    int whole = is_type(t, "account-root") || is_type(t, "account-id");
    int in_base = ctx->base && t->principal_account && !strcmp(t->principal_account, ctx->base);
    if (whole && aws) {
        unsigned narrow = pins & (IA_POLICY_PIN_PRINCIPAL_ARN | IA_POLICY_PIN_PRINCIPAL_ORG_ID |
                                  IA_POLICY_PIN_PRINCIPAL_ACCOUNT | IA_POLICY_PIN_USERID |
                                  IA_POLICY_PIN_USERNAME | IA_POLICY_PIN_PRINCIPAL_ORG_PATHS);
        enum ia_severity sev = in_base ? IA_SEV_HIGH : IA_SEV_MEDIUM;
        json_t *ev = trust_evidence(ctx, t);
        json_object_set_new(ev, "base_account", json_boolean(in_base));
        if (narrow) {
            sev = sev == IA_SEV_HIGH ? IA_SEV_MEDIUM : IA_SEV_LOW;
            json_object_set_new(ev, "narrowed_by", pins_json(narrow));
            json_object_set_new(ev, "severity_reason",
                                json_string("lowered: a condition narrows which principals of "
                                            "the account may assume the role"));
        }
        ia_an_emit(ctx, "trust-account-root", sev, t->account_id, t->role_arn, t->principal, ev,
                   "role %s trusts the whole account %s%s", t->role_name,
                   t->principal_account ? t->principal_account : t->principal,
                   in_base ? " (the base account: every user)" : "");
    }
    if (aws && (whole || is_type(t, "user"))) {
        enum ia_policy_mfa mfa = ia_policy_condition_requires_mfa(t->conditions);
        const struct ia_an_trust *by_deny = NULL;
        for (size_t i = 0; i < n && mfa != IA_POLICY_MFA_REQUIRED; i++) {
            if (!deny_covers(&rows[i], t))
                continue;
            enum ia_policy_mfa d = ia_policy_deny_requires_mfa(rows[i].conditions);
            if (d == IA_POLICY_MFA_REQUIRED || (d == IA_POLICY_MFA_IF_EXISTS_ONLY &&
                                                mfa == IA_POLICY_MFA_NONE)) {
                mfa = d;
                by_deny = &rows[i];
            }
        }
        if (mfa != IA_POLICY_MFA_REQUIRED) {
            json_t *ev = trust_evidence(ctx, t);
            if (by_deny)
                json_object_set_new(ev, "deny_statement_index",
                                    json_integer(by_deny->statement_index));
            if (mfa == IA_POLICY_MFA_NONE) {
                enum ia_severity sev = in_base ? IA_SEV_HIGH : IA_SEV_MEDIUM;
                if (!in_base)
                    json_object_set_new(ev, "severity_reason",
                                        json_string("the principal is outside the base account, "
                                                    "where people's users live"));
                ia_an_emit(ctx, "trust-no-mfa", sev, t->account_id, t->role_arn, t->principal,
                           ev, "role %s lets %s in without MFA", t->role_name, t->principal);
            } else {
                ia_an_emit(ctx, "trust-mfa-if-exists", IA_SEV_MEDIUM, t->account_id,
                           t->role_arn, t->principal, ev,
                           "role %s requires MFA from %s only if present (access keys pass)",
                           t->role_name, t->principal);
            }
        }
    }
    if (aws && t->principal_account && !known_account(ctx, t->principal_account)) {
        json_t *ev = trust_evidence(ctx, t);
        enum ia_severity sev = IA_SEV_HIGH;
        if (pins & IA_POLICY_PIN_EXTERNAL_ID) {
            sev = IA_SEV_MEDIUM;
            json_object_set_new(ev, "severity_reason",
                                json_string("lowered: sts:ExternalId is required"));
        }
        ia_an_emit(ctx, "trust-external-account", sev, t->account_id, t->role_arn, t->principal,
                   ev, "role %s trusts %s in account %s, which is neither audited nor known",
                   t->role_name, t->principal, t->principal_account);
    }
    if (aws && is_type(t, "unique-id")) {
        json_t *who;
        if (who_was(ctx, t->principal, &who, err) != IA_OK)
            return IA_ERR_DB;
        json_t *ev = trust_evidence(ctx, t);
        json_object_set_new(ev, "was", who ? json_incref(who) : json_null());
        const char *name = who ? json_string_value(json_object_get(who, "name")) : NULL;
        const char *acct = who ? json_string_value(json_object_get(who, "account_id")) : NULL;
        const char *kind = who ? json_string_value(json_object_get(who, "kind")) : NULL;
        ia_an_emit(ctx, "trust-dangling-principal", IA_SEV_MEDIUM, t->account_id, t->role_arn,
                   t->principal, ev, "role %s trusts deleted principal %s%s%s%s", t->role_name,
                   t->principal, name ? " (was " : "", name ? name : "", name ? ")" : "");
        if (name && kind && !strcmp(kind, "user") && acct && ctx->base &&
            !strcmp(acct, ctx->base))
            leaver_check(ctx, t, name, json_string_value(json_object_get(who, "arn")), who);
        json_decref(who);
    }
    if (aws && is_type(t, "user") && in_base) {
        const char *name = ia_an_arn_name(t->principal);
        if (ctx->base_ok) {
            if (!user_exists(users, name)) {
                json_t *who;
                if (who_was_arn(ctx, t->principal, &who, err) != IA_OK)
                    return IA_ERR_DB;
                json_t *ev = trust_evidence(ctx, t);
                json_object_set_new(ev, "was", who ? who : json_null());
                ia_an_emit(ctx, "trust-dangling-principal", IA_SEV_MEDIUM, t->account_id,
                           t->role_arn, t->principal, ev,
                           "role %s trusts user %s, who no longer exists in the base account",
                           t->role_name, name);
            }
        }
        leaver_check(ctx, t, name, t->principal, NULL);
    }
    if (aws)
        leavers_in_condition(ctx, t);
    return IA_OK;
}

enum ia_code
ia_rules_trust(struct ia_an_ctx *ctx, struct ia_err *err)
{
    struct names users = { 0 };
    enum ia_code rc = IA_ERR_DB;
    size_t i = 0;

    if (load_base_users(ctx, &users, err) != IA_OK)
        goto out;
    while (i < ctx->n_trusts) {
        size_t n;
        const struct ia_an_trust *rows =
            ia_an_role_trusts(ctx, ctx->trusts[i].account_id, ctx->trusts[i].role_name, &n);
        IA_ASSERT(rows == &ctx->trusts[i] && n > 0);
        i += n;
        /* Service-linked roles trust an AWS service, set by AWS; nothing for us to fix. */
        if (ia_an_service_linked(rows[0].path))
            continue;
        for (size_t k = 0; k < n; k++) {
            if (!is_allow(&rows[k]) || !ia_an_trust_assumes(&rows[k]))
                continue;
            if (allow_row(ctx, &users, rows, n, &rows[k], err) != IA_OK)
                goto out;
        }
    }
    rc = IA_OK;
out:
    for (size_t k = 0; k < users.n; k++)
        free(users.v[k]);
    free(users.v);
    return rc;
}
