/*
 * Trust policies, one role at a time (so Deny statements can be weighed against Allows):
 * trust-wildcard-principal, trust-account-root, trust-no-mfa, trust-mfa-if-exists,
 * trust-external-account, trust-dangling-principal, trust-federated-unscoped,
 * trust-not-principal, and leaver-trusted-by-role (a leavers rule, but it walks the same rows). One
 * function per rule; walk_allows hands each of them every Allow row with the role's Denies weighed.
 */
#include <stdint.h>
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
    json_object_foreach(c, op, clause)
    {
        size_t oplen = strlen(op);
        int ok = 0;
        for (size_t i = 0; i < IA_ARRAY_LEN(negated); i++) {
            size_t n = strlen(negated[i]);
            if (strncmp(op, negated[i], n) == 0 && (oplen == n || strcmp(op + n, "IfExists") == 0))
                ok = 1;
        }
        if (!ok || !json_is_object(clause) || json_object_size(clause) != 1)
            goto out;
        const char *key;
        json_t *v;
        json_object_foreach(clause, key, v)
        {
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
    json_array_foreach(a, i, v)
    {
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
                     actions ? actions : json_null(), "not_action", t->not_action, "conditions",
                     cond ? cond : json_null(), "role_last_used_at", ia_an_jstr(t->role_last_used),
                     "role_days_since_use", since >= 0 ? json_integer(since) : json_null());
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
                         "kind", ia_db_col_text(st, 1), "name", ia_db_col_text(st, 2), "arn", arn,
                         "first_seen_run", (json_int_t)ia_db_col_int(st, 3), "last_seen_run",
                         (json_int_t)ia_db_col_int(st, 4));
    ia_db_reset(st);
    return r < 0 ? IA_ERR_DB : IA_OK;
}

/* The base account's user names, lower-cased and sorted: IAM names are unique ignoring case. */
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

/* The base account's user names (lower-cased, sorted), read once per analysis into ctx: the
 * rule runs once per account window. */
static enum ia_code
load_base_users(struct ia_an_ctx *ctx, struct ia_err *err)
{
    struct ia_db_stmt *st;
    size_t alloc = 0;
    int r;
    if (ctx->base_user_names_read || !ctx->base)
        return IA_OK;
    if (ia_db_prepare(ctx->db, "analyser_account_user_names", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":account_id", ctx->base);
    while ((r = ia_db_step(st, err)) == 1) {
        ctx->base_user_names = ia_xgrow(ctx->base_user_names, ctx->n_base_user_names + 1, &alloc,
                                        sizeof(*ctx->base_user_names));
        ctx->base_user_names[ctx->n_base_user_names++] = lower_dup(ia_db_col_text(st, 0));
    }
    ia_db_reset(st);
    if (r < 0)
        return IA_ERR_DB;
    if (ctx->n_base_user_names)
        qsort(ctx->base_user_names, ctx->n_base_user_names, sizeof(*ctx->base_user_names), cmp_str);
    ctx->base_user_names_read = 1;
    return IA_OK;
}

static int
user_exists(const struct ia_an_ctx *ctx, const char *name)
{
    char *key = lower_dup(name);
    int found =
        ctx->n_base_user_names && bsearch(&key, ctx->base_user_names, ctx->n_base_user_names,
                                          sizeof(*ctx->base_user_names), cmp_str);
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
leaver_check(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_trust *t,
             const char *user_name, const char *user_arn, json_t *who)
{
    const struct ia_leaver *lv = ia_people_find(&ctx->leavers, user_name);
    if (!lv || strcmp(lv->date, ctx->today) >= 0)
        return;
    json_t *ev = trust_evidence(ctx, t);
    json_object_set_new(ev, "leaver", json_string(user_name));
    json_object_set_new(ev, IA_EV_LEAVING_DATE, json_string(lv->date));
    json_object_set_new(ev, IA_EV_DAYS_SINCE_LEAVING,
                        json_integer(ia_an_days_since(ctx, lv->date)));
    if (who)
        json_object_set(ev, "was", who);
    ia_an_emit(ctx, rule, rule->severity, t->account_id, t->role_arn, user_arn, ev,
               "role %s in %s still trusts leaver %s (left %s)", t->role_name, t->account_id,
               user_name, lv->date);
}

/*
 * What the trust rules ask of an Allow row's condition, remembered by its text: conditions
 * are pooled strings (equal pointers, equal text) and a run has few distinct ones, so each is
 * parsed once per analysis, not once per row and rule. Direct-mapped by pointer; freed with
 * free() with the context.
 */
struct ia_an_cond_memo {
    struct cond_facts {
        const char *cond;       /* NULL: empty slot */
        enum ia_policy_mfa mfa; /* ia_policy_condition_requires_mfa */
        unsigned pins;          /* ia_policy_condition_pins */
        int principal_arn;      /* has an aws:PrincipalArn key (leavers_in_condition) */
    } slot[1024];
};

static int
has_principal_arn(const char *cond)
{
    json_t *c = json_loads(cond, 0, NULL);
    const char *op, *key;
    json_t *clause, *v;
    int found = !json_is_object(c); /* unreadable: let the caller look (and find nothing) */
    json_object_foreach(c, op, clause)
    {
        if (!json_is_object(clause))
            continue;
        json_object_foreach(clause, key, v)
        {
            if (strcasecmp(key, "aws:PrincipalArn") == 0)
                found = 1;
        }
    }
    json_decref(c);
    return found;
}

static const struct cond_facts *
cond_facts(struct ia_an_ctx *ctx, const char *cond)
{
    static const struct cond_facts none = { NULL, IA_POLICY_MFA_NONE, 0, 0 };
    if (!cond)
        return &none;
    if (!ctx->cond_memo)
        ctx->cond_memo = ia_xcalloc(1, sizeof(*ctx->cond_memo));
    struct cond_facts *f =
        &ctx->cond_memo->slot[((uintptr_t)cond >> 4) % IA_ARRAY_LEN(ctx->cond_memo->slot)];
    if (f->cond != cond) {
        f->cond = cond;
        f->mfa = ia_policy_condition_requires_mfa(cond);
        f->pins = ia_policy_condition_pins(cond);
        f->principal_arn = has_principal_arn(cond);
    }
    return f;
}

/*
 * A whole-account trust narrowed to named users by aws:PrincipalArn still names them: a
 * leaver listed there is as much a leftover as one in Principal.
 */
static void
leavers_in_condition(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_trust *t)
{
    if (!cond_facts(ctx, t->conditions)->principal_arn)
        return;
    json_t *c = t->conditions ? json_loads(t->conditions, 0, NULL) : NULL;
    const char *op, *key;
    json_t *clause, *v;
    struct ia_buf prefix = IA_BUF_INIT;
    if (!json_is_object(c) || !ctx->base || ctx->leavers.n == 0)
        goto out;
    ia_buf_addf(&prefix, "arn:aws:iam::%s:user/", ctx->base);
    json_object_foreach(c, op, clause)
    {
        if (strstr(op, "Not") || !json_is_object(clause))
            continue;
        json_object_foreach(clause, key, v)
        {
            if (strcasecmp(key, "aws:PrincipalArn") != 0)
                continue;
            size_t n = json_is_array(v) ? json_array_size(v) : 1;
            for (size_t i = 0; i < n; i++) {
                const char *arn = json_string_value(json_is_array(v) ? json_array_get(v, i) : v);
                if (!arn || strncasecmp(arn, prefix.buf, prefix.len) != 0 || strchr(arn, '*') ||
                    strchr(arn, '?'))
                    continue;
                leaver_check(ctx, rule, t, ia_an_arn_name(arn), arn, NULL);
            }
        }
    }
out:
    ia_buf_release(&prefix);
    json_decref(c);
}

/*
 * One Allow row that can reach sts:AssumeRole, and what the role's Deny statements make of it.
 * Owns nothing: the list (ctx->allows) is built once per window of the trust pass.
 */
struct ia_an_allow {
    const struct ia_an_trust *rows; /* every row of the role */
    size_t n;
    const struct ia_an_trust *t; /* the Allow row */
    unsigned pins;               /* from its condition and from narrowing Denies */
    unsigned dpins;              /* from narrowing Denies alone */
    int aws;                     /* an AWS principal (or a bare "*") */
    int whole;                   /* a whole account: :root, a bare id, or a pinned "*" */
    const char *account;         /* the principal's account, or NULL */
    int pinned;                  /* "*" pinned to one audited account (account) by
                                    aws:PrincipalAccount or aws:PrincipalOrgID */
    int in_base;                 /* the principal is in the base account */
    enum ia_policy_mfa mfa;      /* what its own condition requires (without the Denies) */
};

/* Decides one rule for one Allow row; arg is the rule's own state (or NULL). */
typedef enum ia_code allow_check_fn(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                                    const struct ia_an_allow *a, void *arg, struct ia_err *err);

/*
 * Every Allow on sts:AssumeRole* of every role of the window (service-linked roles left out:
 * they trust an AWS service, set by AWS; nothing for us to fix), built once per window and
 * walked by each trust rule.
 * An Allow that a Deny without a condition always cancels is moot and is not shown to any rule.
 */
static void
build_allows(struct ia_an_ctx *ctx)
{
    size_t i = 0;
    while (i < ctx->n_trusts) {
        size_t n;
        const struct ia_an_trust *rows =
            ia_an_role_trusts(ctx, ctx->trusts[i].account_id, ctx->trusts[i].role_name, &n);
        IA_ASSERT(rows == &ctx->trusts[i] && n > 0);
        i += n;
        if (ia_an_service_linked(rows[0].path))
            continue;
        for (size_t k = 0; k < n; k++) {
            const struct ia_an_trust *t = &rows[k];
            struct ia_an_allow a = { rows, n, t, 0, 0, 0, 0, NULL, 0, 0, IA_POLICY_MFA_NONE };
            int moot = 0;
            if (!is_allow(t) || !ia_an_trust_assumes(t))
                continue;
            for (size_t d = 0; d < n && !moot; d++) {
                if (!deny_covers(&rows[d], t))
                    continue;
                if (!rows[d].conditions)
                    moot = 1;
                else if (is_type(&rows[d], "wildcard"))
                    a.dpins |= deny_pins(rows[d].conditions);
            }
            if (moot)
                continue;
            a.pins = cond_facts(ctx, t->conditions)->pins | a.dpins;
            a.mfa = cond_facts(ctx, t->conditions)->mfa;
            a.aws = strcmp(t->principal_kind, "AWS") == 0 || strcmp(t->principal_kind, "*") == 0;
            a.whole = is_type(t, "account-root") || is_type(t, "account-id");
            a.account = t->principal_account;
            /* "*" pinned to an audited account is that account's root (item 4). */
            const char *pinned = ia_an_trust_pinned_account(ctx, t);
            if (pinned) {
                a.whole = a.pinned = 1;
                a.account = pinned;
            }
            a.in_base = ctx->base && a.account && !strcmp(a.account, ctx->base);
            ctx->allows =
                ia_xgrow(ctx->allows, ctx->n_allows + 1, &ctx->alloc_allows, sizeof(*ctx->allows));
            ctx->allows[ctx->n_allows++] = a;
        }
    }
    ctx->allows_built = 1;
}

static enum ia_code
walk_allows(struct ia_an_ctx *ctx, const struct ia_rule *rule, allow_check_fn *check, void *arg,
            struct ia_err *err)
{
    if (!ctx->allows_built)
        build_allows(ctx);
    for (size_t i = 0; i < ctx->n_allows; i++)
        if (check(ctx, rule, &ctx->allows[i], arg, err) != IA_OK)
            return IA_ERR_DB;
    return IA_OK;
}

static enum ia_code
not_principal(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_allow *a,
              void *arg, struct ia_err *err)
{
    const struct ia_an_trust *t = a->t;
    (void)arg;
    (void)err;
    if (t->not_principal)
        ia_an_emit(ctx, rule, rule->severity, t->account_id, t->role_arn, t->principal,
                   trust_evidence(ctx, t),
                   "role %s trusts everyone except %s (NotPrincipal with Allow)", t->role_name,
                   t->principal);
    return IA_OK;
}

static enum ia_code
wildcard_principal(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_allow *a,
                   void *arg, struct ia_err *err)
{
    const struct ia_an_trust *t = a->t;
    (void)arg;
    (void)err;
    if (t->not_principal || !is_type(t, "wildcard") || a->pinned)
        return IA_OK;
    /* sts:ExternalId is not a secret (AWS says so): it pins nothing. aws:username names no
     * account. Only keys that name an organisation, an account or a principal pin "*". */
    unsigned pins = a->pins & (IA_POLICY_PIN_PRINCIPAL_ORG_ID | IA_POLICY_PIN_PRINCIPAL_ACCOUNT |
                               IA_POLICY_PIN_PRINCIPAL_ARN | IA_POLICY_PIN_SOURCE_ACCOUNT |
                               IA_POLICY_PIN_SOURCE_ARN | IA_POLICY_PIN_PRINCIPAL_ORG_PATHS |
                               IA_POLICY_PIN_USERID);
    json_t *ev = trust_evidence(ctx, t);
    enum ia_severity sev = rule->severity;
    if (a->pins & ~pins)
        json_object_set_new(ev, "not_pinning", pins_json(a->pins & ~pins));
    if (pins) {
        sev = IA_SEV_MEDIUM;
        json_object_set_new(ev, "pinned_by", pins_json(pins));
        json_object_set_new(ev, IA_EV_SEVERITY_REASON,
                            json_string(a->dpins & pins ? "a condition or a Deny narrows who "
                                                          "may assume the role"
                                                        : "a condition pins who may assume "
                                                          "the role"));
    }
    ia_an_emit(ctx, rule, sev, t->account_id, t->role_arn, t->principal, ev,
               "role %s can be assumed by any principal%s", t->role_name,
               pins ? " matching its condition" : "");
    return IA_OK;
}

static enum ia_code
account_root(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_allow *a,
             void *arg, struct ia_err *err)
{
    const struct ia_an_trust *t = a->t;
    (void)arg;
    (void)err;
    if (t->not_principal || !a->whole || !a->aws)
        return IA_OK;
    unsigned narrow = a->pins & (IA_POLICY_PIN_PRINCIPAL_ARN | IA_POLICY_PIN_PRINCIPAL_ORG_ID |
                                 IA_POLICY_PIN_PRINCIPAL_ACCOUNT | IA_POLICY_PIN_USERID |
                                 IA_POLICY_PIN_USERNAME | IA_POLICY_PIN_PRINCIPAL_ORG_PATHS);
    /* For a pinned "*", the key that makes it the account does not narrow it. */
    if (a->pinned)
        narrow &= ~(unsigned)(IA_POLICY_PIN_PRINCIPAL_ACCOUNT | IA_POLICY_PIN_PRINCIPAL_ORG_ID);
    enum ia_severity sev = rule->severity;
    json_t *ev = trust_evidence(ctx, t);
    const char *reason = NULL;
    json_object_set_new(ev, "base_account", json_boolean(a->in_base));
    if (a->pinned)
        json_object_set_new(ev, "pinned_account", json_string(a->account));
    if (a->in_base) {
        sev = IA_SEV_HIGH;
        reason = "raised: the base account holds every person's user";
    }
    if (narrow) {
        sev = sev == IA_SEV_HIGH ? IA_SEV_MEDIUM : IA_SEV_LOW;
        json_object_set_new(ev, "narrowed_by", pins_json(narrow));
        reason = "lowered: a condition narrows which principals of the account may assume the "
                 "role";
    }
    if (reason)
        json_object_set_new(ev, IA_EV_SEVERITY_REASON, json_string(reason));
    ia_an_emit(ctx, rule, sev, t->account_id, t->role_arn, t->principal, ev,
               "role %s trusts the whole account %s%s%s", t->role_name,
               a->account ? a->account : t->principal,
               a->pinned ? " (\"*\" pinned to it by a condition)" : "",
               a->in_base ? " (the base account: every user)" : "");
    return IA_OK;
}

/*
 * How strongly MFA is required of an IAM user or whole-account Allow, counting a covering Deny
 * that enforces it; *by_deny is set to that Deny. Returns -1 for rows this does not judge.
 */
static int
mfa_of(const struct ia_an_allow *a, const struct ia_an_trust **by_deny)
{
    const struct ia_an_trust *t = a->t;
    *by_deny = NULL;
    if (t->not_principal || !a->aws || !(a->whole || is_type(t, "user")))
        return -1;
    enum ia_policy_mfa mfa = a->mfa;
    for (size_t i = 0; i < a->n && mfa != IA_POLICY_MFA_REQUIRED; i++) {
        if (!deny_covers(&a->rows[i], t))
            continue;
        enum ia_policy_mfa d = ia_policy_deny_requires_mfa(a->rows[i].conditions);
        if (d == IA_POLICY_MFA_REQUIRED ||
            (d == IA_POLICY_MFA_IF_EXISTS_ONLY && mfa == IA_POLICY_MFA_NONE)) {
            mfa = d;
            *by_deny = &a->rows[i];
        }
    }
    return (int)mfa;
}

static json_t *
mfa_evidence(const struct ia_an_ctx *ctx, const struct ia_an_trust *t,
             const struct ia_an_trust *by_deny)
{
    json_t *ev = trust_evidence(ctx, t);
    if (by_deny)
        json_object_set_new(ev, "deny_statement_index", json_integer(by_deny->statement_index));
    return ev;
}

static enum ia_code
no_mfa(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_allow *a, void *arg,
       struct ia_err *err)
{
    const struct ia_an_trust *t = a->t, *by_deny;
    (void)arg;
    (void)err;
    if (mfa_of(a, &by_deny) != (int)IA_POLICY_MFA_NONE)
        return IA_OK;
    /* Another organisation's account pinned by sts:ExternalId is a vendor's machine (Datadog,
     * Fastly...): no person signs in there with MFA; trust-external-account covers it. */
    if (a->account && !ia_an_account(ctx, a->account) && (a->pins & IA_POLICY_PIN_EXTERNAL_ID))
        return IA_OK;
    json_t *ev = mfa_evidence(ctx, t, by_deny);
    enum ia_severity sev = rule->severity;
    if (!a->in_base) {
        sev = IA_SEV_MEDIUM;
        json_object_set_new(ev, IA_EV_SEVERITY_REASON,
                            json_string("the principal is outside the base account, where "
                                        "people's users live"));
    }
    ia_an_emit(ctx, rule, sev, t->account_id, t->role_arn, t->principal, ev,
               "role %s lets %s in without MFA", t->role_name, t->principal);
    return IA_OK;
}

static enum ia_code
mfa_if_exists(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_allow *a,
              void *arg, struct ia_err *err)
{
    const struct ia_an_trust *t = a->t, *by_deny;
    (void)arg;
    (void)err;
    if (mfa_of(a, &by_deny) != (int)IA_POLICY_MFA_IF_EXISTS_ONLY)
        return IA_OK;
    ia_an_emit(ctx, rule, rule->severity, t->account_id, t->role_arn, t->principal,
               mfa_evidence(ctx, t, by_deny),
               "role %s requires MFA from %s only if present (access keys pass)", t->role_name,
               t->principal);
    return IA_OK;
}

static enum ia_code
external_account(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_allow *a,
                 void *arg, struct ia_err *err)
{
    const struct ia_an_trust *t = a->t;
    (void)arg;
    (void)err;
    if (t->not_principal || !a->aws || !a->account || known_account(ctx, a->account))
        return IA_OK;
    json_t *ev = trust_evidence(ctx, t);
    enum ia_severity sev = rule->severity;
    if (a->pins & IA_POLICY_PIN_EXTERNAL_ID) {
        sev = IA_SEV_MEDIUM;
        json_object_set_new(ev, IA_EV_SEVERITY_REASON,
                            json_string("lowered: sts:ExternalId is required"));
    }
    ia_an_emit(ctx, rule, sev, t->account_id, t->role_arn, t->principal, ev,
               "role %s trusts %s in account %s, which is neither audited nor known", t->role_name,
               t->principal, a->account);
    return IA_OK;
}

static enum ia_code
dangling_principal(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_allow *a,
                   void *arg, struct ia_err *err)
{
    const struct ia_an_trust *t = a->t;
    (void)arg;
    json_t *who;
    if (t->not_principal || !a->aws)
        return IA_OK;
    if (is_type(t, "unique-id")) {
        if (who_was(ctx, t->principal, &who, err) != IA_OK)
            return IA_ERR_DB;
        json_t *ev = trust_evidence(ctx, t);
        json_object_set_new(ev, "was", who ? who : json_null());
        const char *name = who ? json_string_value(json_object_get(who, "name")) : NULL;
        ia_an_emit(ctx, rule, rule->severity, t->account_id, t->role_arn, t->principal, ev,
                   "role %s trusts deleted principal %s%s%s%s", t->role_name, t->principal,
                   name ? " (was " : "", name ? name : "", name ? ")" : "");
        return IA_OK;
    }
    /* A missing user is known only when the base account was read in this run. */
    if (!is_type(t, "user") || !a->in_base || !ctx->base_ok)
        return IA_OK;
    const char *name = ia_an_arn_name(t->principal);
    if (user_exists(ctx, name))
        return IA_OK;
    if (who_was_arn(ctx, t->principal, &who, err) != IA_OK)
        return IA_ERR_DB;
    json_t *ev = trust_evidence(ctx, t);
    json_object_set_new(ev, "was", who ? who : json_null());
    ia_an_emit(ctx, rule, rule->severity, t->account_id, t->role_arn, t->principal, ev,
               "role %s trusts user %s, who no longer exists in the base account", t->role_name,
               name);
    return IA_OK;
}

static enum ia_code
leaver_trusted(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_allow *a,
               void *arg, struct ia_err *err)
{
    const struct ia_an_trust *t = a->t;
    (void)arg;
    if (t->not_principal || !a->aws || ctx->leavers.n == 0)
        return IA_OK;
    if (is_type(t, "unique-id")) {
        /* A deleted user of the base account, named by the id AWS put in its place. */
        json_t *who;
        if (who_was(ctx, t->principal, &who, err) != IA_OK)
            return IA_ERR_DB;
        const char *name = who ? json_string_value(json_object_get(who, "name")) : NULL;
        const char *acct = who ? json_string_value(json_object_get(who, "account_id")) : NULL;
        const char *kind = who ? json_string_value(json_object_get(who, "kind")) : NULL;
        if (name && kind && !strcmp(kind, "user") && acct && ctx->base && !strcmp(acct, ctx->base))
            leaver_check(ctx, rule, t, name, json_string_value(json_object_get(who, "arn")), who);
        json_decref(who);
    }
    if (is_type(t, "user") && a->in_base)
        leaver_check(ctx, rule, t, ia_an_arn_name(t->principal), t->principal, NULL);
    leavers_in_condition(ctx, rule, t);
    return IA_OK;
}

/* ---- trust-federated-unscoped ---- */

/* What a GitHub Actions "sub" pattern lets in. Ordered: a higher value admits more. */
enum gh_scope {
    GH_ONE_REPO, /* one repository (any branch, tag or environment of it) */
    GH_ORG,      /* several or all repositories of one organisation */
    GH_ANY,      /* any repository of any owner */
};

static int
has_wild(const char *s, size_t n)
{
    return memchr(s, '*', n) || memchr(s, '?', n);
}

/*
 * GitHub's sub is "repo:OWNER/REPO:ref:refs/heads/BRANCH" (or ":environment:NAME",
 * ":pull_request"...). The owner decides whose repositories may come in.
 */
static enum gh_scope
gh_sub_scope(const char *v)
{
    if (strncmp(v, "repo:", 5) != 0) {
        /* A customised sub template (e.g. "repository_owner_id:123:..."): judged by its
         * first field; a leading wildcard admits anything. */
        size_t n = strcspn(v, ":");
        return !*v || has_wild(v, n) ? GH_ANY : GH_ONE_REPO;
    }
    const char *owner = v + 5;
    size_t n_owner = strcspn(owner, "/:");
    if (n_owner == 0 || has_wild(owner, n_owner))
        return GH_ANY;
    if (owner[n_owner] != '/')
        return GH_ONE_REPO; /* "repo:OWNER" alone matches no real token */
    const char *repo = owner + n_owner + 1;
    size_t n_repo = strcspn(repo, ":");
    return n_repo == 0 || has_wild(repo, n_repo) ? GH_ORG : GH_ONE_REPO;
}

/* key's required values as a JSON array, or null; *out_values gets them (new) too. */
static json_t *
values_json(const char *cond, const char *key, char ***out_values)
{
    char **v = ia_policy_condition_values(cond, key);
    json_t *a = v ? json_array() : json_null();
    for (size_t i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    *out_values = v;
    return a;
}

/* At least one value, none a bare wildcard ("*" lets any value in). */
static int
pinned_values(char *const *v, int allow_wildcards)
{
    if (!v || !v[0])
        return 0;
    for (size_t i = 0; v[i]; i++)
        if (!v[i][0] || strcmp(v[i], "*") == 0 || (!allow_wildcards && strpbrk(v[i], "*?")))
            return 0;
    return 1;
}

static enum ia_code
federated_unscoped(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_allow *a,
                   void *arg, struct ia_err *err)
{
    const struct ia_an_trust *t = a->t;
    const char *p = t->principal, *host;
    struct ia_buf key = IA_BUF_INIT;
    char **sub = NULL, **aud = NULL, **amr = NULL;
    json_t *found = json_object();
    const char *kind = NULL, *admits = NULL, *reason = NULL;
    enum ia_severity sev = rule->severity;
    int report = 0;
    (void)arg;
    (void)err;

    if (t->not_principal || strcmp(t->principal_kind, "Federated") != 0)
        goto out;
    if ((host = strstr(p, ":saml-provider/")) != NULL) {
        kind = "saml";
        json_object_set_new(found, "SAML:aud", values_json(t->conditions, "SAML:aud", &aud));
        if (!pinned_values(aud, 1)) {
            report = 1;
            sev = IA_SEV_MEDIUM;
            admits = "SAML assertions meant for any service provider of that identity provider";
            reason = "lowered: the identity provider still decides who gets an assertion";
        }
        goto emit;
    }
    host = strstr(p, ":oidc-provider/");
    host = host ? host + 15 : p;
    if (strcasecmp(host, "cognito-identity.amazonaws.com") == 0) {
        kind = "cognito";
        json_object_set_new(found, "cognito-identity.amazonaws.com:aud",
                            values_json(t->conditions, "cognito-identity.amazonaws.com:aud", &aud));
        json_object_set_new(found, "cognito-identity.amazonaws.com:amr",
                            values_json(t->conditions, "cognito-identity.amazonaws.com:amr", &amr));
        if (!pinned_values(aud, 0)) {
            report = 1;
            admits = "identities of any Cognito identity pool, in any AWS account";
        } else {
            for (size_t i = 0; amr && amr[i]; i++)
                if (strcasecmp(amr[i], "unauthenticated") == 0)
                    report = 1;
            if (report) {
                sev = IA_SEV_LOW;
                admits = "guests (unauthenticated identities) of the identity pool";
                reason = "lowered: the identity pool is pinned; guest access is shown as "
                         "information";
            }
        }
        goto emit;
    }
    ia_buf_addf(&key, "%s:sub", host);
    json_object_set_new(found, key.buf, values_json(t->conditions, key.buf, &sub));
    ia_buf_reset(&key);
    ia_buf_addf(&key, "%s:aud", host);
    json_object_set_new(found, key.buf, values_json(t->conditions, key.buf, &aud));
    if (strncasecmp(host, "token.actions.githubusercontent.com", 35) == 0 &&
        (host[35] == '\0' || host[35] == '/')) {
        enum gh_scope scope = GH_ANY;
        kind = "github-actions";
        if (sub && sub[0]) {
            scope = GH_ONE_REPO;
            for (size_t i = 0; sub[i]; i++) {
                enum gh_scope s1 = gh_sub_scope(sub[i]);
                if (s1 > scope)
                    scope = s1;
            }
        }
        if (scope == GH_ANY) {
            report = 1;
            sev = IA_SEV_CRITICAL;
            admits = "workflows of any repository on GitHub, anyone's";
            reason = "raised: any GitHub repository in the world can assume the role";
        } else if (scope == GH_ORG) {
            report = 1;
            sev = IA_SEV_MEDIUM;
            admits = "workflows of several or all repositories of one GitHub organisation";
            reason = "lowered: the organisation is pinned, the repository is not";
        }
        goto emit;
    }
    kind = "oidc";
    if (!pinned_values(sub, 1) && !pinned_values(aud, 1)) {
        report = 1;
        admits = "any identity the provider issues a token to, for any client";
    }
emit:
    if (report) {
        json_t *ev = trust_evidence(ctx, t);
        json_object_set_new(ev, "provider", json_string(p));
        json_object_set_new(ev, "provider_kind", json_string(kind));
        json_object_set_new(ev, "conditions_found", json_incref(found));
        json_object_set_new(ev, "admits", json_string(admits));
        if (reason)
            json_object_set_new(ev, IA_EV_SEVERITY_REASON, json_string(reason));
        ia_an_emit(ctx, rule, sev, t->account_id, t->role_arn, p, ev, "role %s trusts %s for %s",
                   t->role_name, p, admits);
    }
out:
    json_decref(found);
    ia_buf_release(&key);
    ia_policy_strv_free(sub);
    ia_policy_strv_free(aud);
    ia_policy_strv_free(amr);
    return IA_OK;
}

enum ia_code
ia_rule_trust_federated_unscoped(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                                 struct ia_err *err)
{
    return walk_allows(ctx, rule, federated_unscoped, NULL, err);
}

enum ia_code
ia_rule_trust_not_principal(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    return walk_allows(ctx, rule, not_principal, NULL, err);
}

enum ia_code
ia_rule_trust_wildcard_principal(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                                 struct ia_err *err)
{
    return walk_allows(ctx, rule, wildcard_principal, NULL, err);
}

enum ia_code
ia_rule_trust_account_root(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    return walk_allows(ctx, rule, account_root, NULL, err);
}

enum ia_code
ia_rule_trust_no_mfa(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    return walk_allows(ctx, rule, no_mfa, NULL, err);
}

enum ia_code
ia_rule_trust_mfa_if_exists(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    return walk_allows(ctx, rule, mfa_if_exists, NULL, err);
}

enum ia_code
ia_rule_trust_external_account(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                               struct ia_err *err)
{
    return walk_allows(ctx, rule, external_account, NULL, err);
}

enum ia_code
ia_rule_trust_dangling_principal(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                                 struct ia_err *err)
{
    if (load_base_users(ctx, err) != IA_OK)
        return IA_ERR_DB;
    return walk_allows(ctx, rule, dangling_principal, NULL, err);
}

enum ia_code
ia_rule_leaver_trusted_by_role(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                               struct ia_err *err)
{
    return walk_allows(ctx, rule, leaver_trusted, NULL, err);
}
