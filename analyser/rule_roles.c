/*
 * Roles: trust-policy-unreadable, bootstrap-role-present, role-unused, role-name-nonstandard,
 * readonly-role-side-effects, role-privilege-escalation (one function per rule, each walking
 * the run's roles).
 * Service-linked roles (path /aws-service-role/) belong to AWS and are left out of every rule.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyser/internal.h"
#include "core/actions.h"
#include "core/glob.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/policy.h"

static char *
dup_or_null(const char *s)
{
    return s ? ia_xstrdup(s) : NULL;
}

/* The role's policies, as evidence ([{kind, name, arn}]) and, with docs, their documents. */
struct policy_docs {
    char **docs;   /* NUL-terminated documents, for ia_policy_side_effects */
    char **names;  /* the policy each document came from */
    size_t n, alloc_docs, alloc_names;
    json_t *list;    /* [{kind, name, arn}] */
    json_t *unread;  /* attached policies whose document the run does not hold */
};

static void
policy_docs_release(struct policy_docs *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->docs[i]);
        free(p->names[i]);
    }
    free(p->docs);
    free(p->names);
    json_decref(p->list);
    json_decref(p->unread);
    memset(p, 0, sizeof(*p));
}

static void
add_doc(struct policy_docs *p, const char *name, const char *doc)
{
    p->docs = ia_xgrow(p->docs, p->n + 1, &p->alloc_docs, sizeof(*p->docs));
    p->names = ia_xgrow(p->names, p->n + 1, &p->alloc_names, sizeof(*p->names));
    p->docs[p->n] = ia_xstrdup(doc);
    p->names[p->n] = ia_xstrdup(name);
    p->n++;
}

static enum ia_code
attached_doc(struct ia_an_ctx *ctx, const char *arn, char **out, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    /* AWS-managed policies (arn:aws:iam::aws:policy/...) are stored once per run. */
    const char *q = strstr(arn, ":iam::aws:policy/") ? "analyser_managed_doc"
                                                     : "analyser_policy_doc";
    *out = NULL;
    if (ia_db_prepare(ctx->db, q, &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":arn", arn);
    r = ia_db_step(st, err);
    if (r == 1 && ia_db_col_text(st, 0))
        *out = ia_xstrdup(ia_db_col_text(st, 0));
    ia_db_reset(st);
    return r < 0 ? IA_ERR_DB : IA_OK;
}

static enum ia_code
role_policies(struct ia_an_ctx *ctx, const struct ia_an_role *ro, int with_docs,
              struct policy_docs *out, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    enum ia_code rc = IA_ERR_DB;
    struct { char *kind, *name, *arn, *doc; } *rows = NULL;
    size_t n = 0, alloc = 0;

    out->list = json_array();
    out->unread = json_array();
    if (ia_db_prepare(ctx->db, "analyser_role_policies", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":account_id", ro->account);
    ia_db_bind_text(st, ":role_name", ro->name);
    while ((r = ia_db_step(st, err)) == 1) {
        rows = ia_xgrow(rows, n + 1, &alloc, sizeof(*rows));
        rows[n].kind = ia_xstrdup(ia_db_col_text(st, 0));
        rows[n].name = ia_xstrdup(ia_db_col_text(st, 1));
        rows[n].arn = dup_or_null(ia_db_col_text(st, 2));
        rows[n].doc = dup_or_null(ia_db_col_text(st, 3));
        n++;
    }
    ia_db_reset(st);
    if (r < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(out->list, json_pack("{s:s, s:s, s:o}", "kind", rows[i].kind,
                                                   "name", rows[i].name, "arn",
                                                   ia_an_jstr(rows[i].arn)));
        if (!with_docs)
            continue;
        if (strcmp(rows[i].kind, "inline") == 0) {
            if (rows[i].doc)
                add_doc(out, rows[i].name, rows[i].doc);
            else
                json_array_append_new(out->unread, json_string(rows[i].name));
        } else if (rows[i].arn) {
            char *doc;
            if (attached_doc(ctx, rows[i].arn, &doc, err) != IA_OK)
                goto out;
            if (doc)
                add_doc(out, rows[i].arn, doc);
            else
                json_array_append_new(out->unread, json_string(rows[i].arn));
            free(doc);
        }
    }
    rc = IA_OK;
out:
    for (size_t i = 0; i < n; i++) {
        free(rows[i].kind);
        free(rows[i].name);
        free(rows[i].arn);
        free(rows[i].doc);
    }
    free(rows);
    return rc;
}

static int
matches_any(const char *name, char *const *patterns)
{
    for (size_t i = 0; patterns && patterns[i]; i++)
        if (ia_glob_match(patterns[i], name))
            return 1;
    return 0;
}

static enum ia_code
bootstrap(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_role *ro,
          struct ia_err *err)
{
    const char *admin_pat = ctx->rules->admin_role_pattern ? ctx->rules->admin_role_pattern
                                                           : "*admin*";
    long age = ia_an_days_since(ctx, ro->created);
    long grace = ctx->rules->bootstrap_grace_days;
    struct policy_docs pd = { 0 };

    /* bootstrap_grace_days = 0 means no grace: even a role created today is reported. */
    if (grace > 0 && age >= 0 && age <= grace)
        return IA_OK;
    json_t *admins = json_array();
    /* Roles come ordered by (account, name) (analyser_roles): scan this account's only. */
    size_t lo = 0, hi = ctx->n_roles;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ctx->roles[mid].account, ro->account) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < ctx->n_roles && strcmp(ctx->roles[i].account, ro->account) == 0;
         i++) {
        const struct ia_an_role *o = &ctx->roles[i];
        if (o == ro || ia_an_service_linked(o->path) ||
            ia_glob_match(ctx->rules->bootstrap_role_pattern, o->name))
            continue;
        if (ia_glob_match(admin_pat, o->name))
            json_array_append_new(admins, json_string(o->arn));
    }
    if (role_policies(ctx, ro, 0, &pd, err) != IA_OK) {
        json_decref(admins);
        policy_docs_release(&pd);
        return IA_ERR_DB;
    }
    long since = ia_an_days_since(ctx, ro->last_used);
    int have_admin = json_array_size(admins) > 0;
    json_t *ev = json_pack("{s:s, s:o, s:o, s:i, s:o, s:o, s:O, s:o}", "role", ro->name,
                           "created_at", ia_an_jstr(ro->created), "age_days",
                           age >= 0 ? json_integer(age) : json_null(), "grace_days", (int)grace,
                           "last_used_at", ia_an_jstr(ro->last_used), "days_since_use",
                           since >= 0 ? json_integer(since) : json_null(), "policies", pd.list,
                           "admin_roles", admins);
    enum ia_severity sev = rule->severity;
    if (have_admin) {
        sev = IA_SEV_HIGH;
        json_object_set_new(ev, "severity_reason",
                            json_string("raised: an admin role exists, so the bootstrap role "
                                        "is no longer needed"));
    }
    ia_an_emit(ctx, rule, sev, ro->account, ro->arn, NULL, ev,
               "bootstrap role %s in %s is still present%s",
               ro->name, ro->account, have_admin ? " although an admin role exists" : "");
    policy_docs_release(&pd);
    return IA_OK;
}

/*
 * Policy verdicts kept per (question, ordered document set) for one analysis: thousands of
 * roles attach the same documents (an AWS-managed ReadOnlyAccess, a shared inline policy),
 * and evaluating a set against the action catalogue is the costly part of these rules.
 */
struct verdict {
    uint64_t hash;
    char *key; /* question, then each document's length and bytes */
    size_t key_len;
    enum ia_code rc;
    struct ia_err err; /* when rc is not IA_OK */
    struct ia_side_effect_report rep;
};

struct ia_an_verdicts {
    struct verdict *v;
    size_t n, alloc;
    size_t *slots; /* index + 1 into v; 0: free */
    size_t cap;
};

static void
report_copy(struct ia_side_effect_report *to, const struct ia_side_effect_report *from)
{
    *to = *from;
    to->items = from->n_items ? ia_xcalloc(from->n_items, sizeof(*to->items)) : NULL;
    for (size_t i = 0; i < from->n_items; i++) {
        to->items[i] = from->items[i];
        to->items[i].pattern = dup_or_null(from->items[i].pattern);
        to->items[i].matched = dup_or_null(from->items[i].matched);
    }
}

void
ia_an_verdicts_free(struct ia_an_verdicts *vs)
{
    if (!vs)
        return;
    for (size_t i = 0; i < vs->n; i++) {
        free(vs->v[i].key);
        ia_policy_side_effect_report_release(&vs->v[i].rep);
    }
    free(vs->v);
    free(vs->slots);
    free(vs);
}

static void
verdicts_grow(struct ia_an_verdicts *vs)
{
    size_t cap = vs->cap ? vs->cap * 2 : 256;
    size_t *slots = ia_xcalloc(cap, sizeof(*slots));
    for (size_t i = 0; i < vs->n; i++) {
        size_t j = (size_t)vs->v[i].hash & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = i + 1;
    }
    free(vs->slots);
    vs->slots = slots;
    vs->cap = cap;
}

/*
 * What ia_policy_grants_matching(docs, pred) (pred NULL: ia_policy_side_effects) says of
 * these documents, from the analysis's
 * verdicts when the same question was asked of the same documents before. out is the
 * caller's own copy (release it as usual); err is set when the answer is not IA_OK.
 */
static enum ia_code
grants_matching(struct ia_an_ctx *ctx, char question, char *const *docs, size_t n,
                ia_policy_action_pred pred, struct ia_side_effect_report *out,
                struct ia_err *err)
{
    struct ia_an_verdicts *vs = ctx->verdicts;
    struct ia_buf key = IA_BUF_INIT;
    uint64_t h = UINT64_C(0xcbf29ce484222325);

    if (!vs)
        vs = ctx->verdicts = ia_xcalloc(1, sizeof(*vs));
    ia_buf_addch(&key, question);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(docs[i]);
        ia_buf_add(&key, &len, sizeof(len));
        ia_buf_add(&key, docs[i], len);
    }
    for (size_t i = 0; i < key.len; i++) {
        h ^= (unsigned char)key.buf[i];
        h *= UINT64_C(0x100000001b3);
    }
    if (2 * (vs->n + 1) > vs->cap)
        verdicts_grow(vs);
    size_t j = (size_t)h & (vs->cap - 1);
    for (; vs->slots[j]; j = (j + 1) & (vs->cap - 1)) {
        struct verdict *v = &vs->v[vs->slots[j] - 1];
        if (v->hash == h && v->key_len == key.len && !memcmp(v->key, key.buf, key.len)) {
            ia_buf_release(&key);
            if (v->rc != IA_OK) {
                if (err)
                    *err = v->err;
                return v->rc;
            }
            report_copy(out, &v->rep);
            return IA_OK;
        }
    }
    vs->v = ia_xgrow(vs->v, vs->n + 1, &vs->alloc, sizeof(*vs->v));
    struct verdict *v = &vs->v[vs->n];
    memset(v, 0, sizeof(*v));
    v->hash = h;
    v->key_len = key.len;
    v->key = ia_buf_detach(&key, NULL);
    ia_err_clear(&v->err);
    v->rc = pred ? ia_policy_grants_matching((const char *const *)docs, n, pred, NULL, &v->rep,
                                             &v->err)
                 : ia_policy_side_effects((const char *const *)docs, n, &v->rep, &v->err);
    vs->slots[j] = ++vs->n;
    if (v->rc != IA_OK) {
        if (err)
            *err = v->err;
        return v->rc;
    }
    report_copy(out, &v->rep);
    return IA_OK;
}

static enum ia_code
readonly(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_role *ro,
         struct ia_err *err)
{
    struct policy_docs pd = { 0 };
    struct ia_side_effect_report rep = { 0 };
    struct ia_err perr;
    enum ia_code rc = IA_ERR_DB;

    if (role_policies(ctx, ro, 1, &pd, err) != IA_OK)
        goto out;
    rc = IA_OK;
    if (pd.n == 0)
        goto out;
    if (grants_matching(ctx, 'S', pd.docs, pd.n, NULL, &rep, &perr) !=
        IA_OK) {
        /* An unreadable policy is not a finding here; say so in the log and move on. */
        IA_LOG_WARN("analyser", "msg=\"policy unreadable: side effects unknown\" role=%s "
                    "detail=\"%s\"", ro->arn, perr.msg);
        goto out;
    }
    if (rep.n_total == 0)
        goto out;
    json_t *items = json_array();
    for (size_t i = 0; i < rep.n_items; i++) {
        const struct ia_side_effect *s = &rep.items[i];
        json_array_append_new(items, json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:b}", "policy",
                                               pd.names[s->doc_index], "statement",
                                               (json_int_t)s->statement_index, "kind",
                                               s->kind == IA_SIDE_EFFECT_WRITE ? "side effect"
                                                                               : "sensitive read",
                                               "pattern", s->pattern, "action", s->matched,
                                               "access_level", s->level, "not_action",
                                               s->not_action));
    }
    json_t *ev = json_pack("{s:s, s:s, s:O, s:o, s:I, s:O}", "role", ro->name, "pattern",
                           ctx->rules->readonly_role_pattern, "policies", pd.list,
                           "side_effects", items, "side_effects_total",
                           (json_int_t)rep.n_total, "unread_policies", pd.unread);
    json_object_set_new(ev, "action_catalogue", json_string(ia_actions_version()));
    ia_an_emit(ctx, rule, rule->severity, ro->account, ro->arn, NULL, ev,
               "read-only role %s allows %s (AWS access level %s%s)", ro->name,
               rep.items[0].matched, rep.items[0].level,
               rep.items[0].kind == IA_SIDE_EFFECT_SENSITIVE ? ", a sensitive read" : "");
out:
    ia_policy_side_effect_report_release(&rep);
    policy_docs_release(&pd);
    return rc;
}

static int
pred_iam_admin(void *ctx, const char *action, enum ia_access_level level)
{
    (void)ctx;
    (void)level;
    return ia_action_is_iam_admin(action);
}

/*
 * trusted-role-iam-admin: GDS's Trusted user role "can do most things in the account
 * excluding IAM administration"; IAM administration per AWS's catalogue (core/actions.h).
 */
static enum ia_code
trusted_iam_admin(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_role *ro,
                  struct ia_err *err)
{
    struct policy_docs pd = { 0 };
    struct ia_side_effect_report rep = { 0 };
    struct ia_err perr;
    enum ia_code rc = IA_ERR_DB;

    if (!ctx->rules->trusted_role_pattern ||
        !ia_glob_match(ctx->rules->trusted_role_pattern, ro->name))
        return IA_OK;
    if (role_policies(ctx, ro, 1, &pd, err) != IA_OK)
        goto out;
    rc = IA_OK;
    if (pd.n == 0)
        goto out;
    if (grants_matching(ctx, 'A', pd.docs, pd.n, pred_iam_admin, &rep, &perr) != IA_OK) {
        IA_LOG_WARN("analyser", "msg=\"policy unreadable: IAM administration unknown\" role=%s "
                    "detail=\"%s\"", ro->arn, perr.msg);
        goto out;
    }
    if (rep.n_total == 0)
        goto out;
    json_t *items = json_array();
    for (size_t i = 0; i < rep.n_items; i++) {
        const struct ia_side_effect *s = &rep.items[i];
        json_array_append_new(items, json_pack("{s:s, s:I, s:s, s:s, s:s, s:b}", "policy",
                                               pd.names[s->doc_index], "statement",
                                               (json_int_t)s->statement_index, "pattern",
                                               s->pattern, "action", s->matched, "access_level",
                                               s->level, "not_action", s->not_action));
    }
    json_t *ev = json_pack("{s:s, s:s, s:O, s:o, s:I, s:O, s:s}", "role", ro->name, "pattern",
                           ctx->rules->trusted_role_pattern, "policies", pd.list,
                           "iam_administration", items, "iam_administration_total",
                           (json_int_t)rep.n_total, "unread_policies", pd.unread,
                           "action_catalogue", ia_actions_version());
    ia_an_emit(ctx, rule, rule->severity, ro->account, ro->arn, NULL, ev,
               "trusted-user role %s can administer IAM: %s (AWS access level %s)%s", ro->name,
               rep.items[0].matched, rep.items[0].level, rep.n_total > 1 ? " and more" : "");
out:
    ia_policy_side_effect_report_release(&rep);
    policy_docs_release(&pd);
    return rc;
}

/* Decides one rule for one role (service-linked roles already left out). */
typedef enum ia_code role_check_fn(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                                   const struct ia_an_role *ro, struct ia_err *err);

static enum ia_code
walk_roles(struct ia_an_ctx *ctx, const struct ia_rule *rule, role_check_fn *check,
           struct ia_err *err)
{
    for (size_t i = 0; i < ctx->n_roles; i++) {
        const struct ia_an_role *ro = &ctx->roles[i];
        if (ia_an_service_linked(ro->path))
            continue;
        if (check(ctx, rule, ro, err) != IA_OK)
            return IA_ERR_DB;
    }
    return IA_OK;
}

static int
is_bootstrap(const struct ia_an_ctx *ctx, const struct ia_an_role *ro)
{
    return ctx->rules->bootstrap_role_pattern &&
           ia_glob_match(ctx->rules->bootstrap_role_pattern, ro->name);
}

/* Whether the stored text of a role's trust policy shows "*" as a principal (raw scan). */
static enum ia_code
raw_wildcard(struct ia_an_ctx *ctx, const struct ia_an_role *ro, int *out, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    *out = 0;
    if (ia_db_prepare(ctx->db, "analyser_role_trust_policy", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":account_id", ro->account);
    ia_db_bind_text(st, ":role_name", ro->name);
    r = ia_db_step(st, err);
    if (r == 1 && ia_db_col_text(st, 0)) {
        const char *doc = ia_db_col_text(st, 0);
        *out = ia_policy_raw_wildcard_principal(doc, strlen(doc));
    }
    ia_db_reset(st);
    return r < 0 ? IA_ERR_DB : IA_OK;
}

/* Whether the rows read from a role's trust policy include a "*" principal. */
static int
read_wildcard(const struct ia_an_ctx *ctx, const struct ia_an_role *ro)
{
    size_t n;
    const struct ia_an_trust *t = ia_an_role_trusts(ctx, ro->account, ro->name, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].principal_type, "wildcard") == 0)
            return 1;
    return 0;
}

/*
 * Fail closed: a trust policy the rules could not read is high, and critical when a raw scan
 * of its text shows "*" as a principal (an oversized policy can hide Principal "*" from the
 * parser). Read in part: low, the rules judged what was read, unless the scan finds a "*"
 * that the rows do not show.
 */
static enum ia_code
trust_unreadable(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_role *ro,
                 struct ia_err *err)
{
    int star;
    if (!ro->trust_error)
        return IA_OK;
    if (raw_wildcard(ctx, ro, &star, err) != IA_OK)
        return IA_ERR_DB;
    json_t *ev = json_pack("{s:s, s:s, s:I, s:b}", "role", ro->name, "trust_error",
                           ro->trust_error, "trust_rows", (json_int_t)ro->n_trust_rows,
                           "raw_wildcard_principal", star);
    enum ia_severity sev = rule->severity;
    if (star && !(ro->n_trust_rows && read_wildcard(ctx, ro))) {
        sev = IA_SEV_CRITICAL;
        json_object_set_new(ev, "severity_reason",
                            json_string("raised: a raw scan of the unread text shows \"*\" as "
                                        "a principal"));
    } else if (ro->n_trust_rows) {
        sev = IA_SEV_LOW;
        json_object_set_new(ev, "severity_reason",
                            json_string("read in part: the trust rules judged the statements "
                                        "that could be read"));
    }
    ia_an_emit(ctx, rule, sev, ro->account, ro->arn, NULL, ev, "trust policy of role %s %s: %s",
               ro->name, ro->n_trust_rows ? "was read only in part" : "could not be read",
               ro->trust_error);
    return IA_OK;
}

static enum ia_code
bootstrap_check(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_role *ro,
                struct ia_err *err)
{
    return is_bootstrap(ctx, ro) ? bootstrap(ctx, rule, ro, err) : IA_OK;
}

static enum ia_code
readonly_check(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_role *ro,
               struct ia_err *err)
{
    if (!ctx->rules->readonly_role_pattern ||
        !ia_glob_match(ctx->rules->readonly_role_pattern, ro->name))
        return IA_OK;
    return readonly(ctx, rule, ro, err);
}

static enum ia_code
role_unused(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_role *ro,
            struct ia_err *err)
{
    long stale = ctx->rules->stale_days;
    (void)err;
    if (!ia_an_human_assumable(ctx, ro->account, ro->name))
        return IA_OK;
    long since = ia_an_days_since(ctx, ro->last_used);
    long age = ia_an_days_since(ctx, ro->created);
    /* A role created less than stale_days ago has not had the chance to be used. */
    if (!((since >= 0 && since >= stale) || (since < 0 && age >= stale)))
        return IA_OK;
    json_t *ev = json_pack("{s:s, s:o, s:o, s:o, s:o, s:i}", "role", ro->name, "created_at",
                           ia_an_jstr(ro->created), "last_used_at", ia_an_jstr(ro->last_used),
                           "days_since_use", since >= 0 ? json_integer(since) : json_null(),
                           "age_days", age >= 0 ? json_integer(age) : json_null(),
                           "stale_days", (int)stale);
    if (since >= 0) {
        ia_an_emit(ctx, rule, rule->severity, ro->account, ro->arn, NULL, ev,
                   "role %s not used for %ld days", ro->name, since);
    } else {
        /* IAM keeps RoleLastUsed for 400 days only: empty is not "never". */
        json_object_set_new(ev, "last_used",
                            json_string("not used within AWS's 400-day tracking window"));
        ia_an_emit(ctx, rule, rule->severity, ro->account, ro->arn, NULL, ev,
                   "role %s not used within AWS's 400-day tracking window (created %ld days "
                   "ago)", ro->name, age);
    }
    return IA_OK;
}

static enum ia_code
name_nonstandard(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_role *ro,
                 struct ia_err *err)
{
    (void)err;
    if (is_bootstrap(ctx, ro) || matches_any(ro->name, ctx->rules->human_role_patterns) ||
        !ia_an_human_assumable(ctx, ro->account, ro->name))
        return IA_OK;
    json_t *pats = json_array();
    for (size_t p = 0; ctx->rules->human_role_patterns && ctx->rules->human_role_patterns[p];
         p++)
        json_array_append_new(pats, json_string(ctx->rules->human_role_patterns[p]));
    ia_an_emit(ctx, rule, rule->severity, ro->account, ro->arn, NULL,
               json_pack("{s:s, s:o}", "role", ro->name, "human_role_patterns", pats),
               "people can assume role %s, whose name fits none of the standard patterns",
               ro->name);
    return IA_OK;
}

enum ia_code
ia_rule_trust_policy_unreadable(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                                struct ia_err *err)
{
    return walk_roles(ctx, rule, trust_unreadable, err);
}

enum ia_code
ia_rule_bootstrap_role_present(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                               struct ia_err *err)
{
    return walk_roles(ctx, rule, bootstrap_check, err);
}

enum ia_code
ia_rule_readonly_role_side_effects(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                                   struct ia_err *err)
{
    return walk_roles(ctx, rule, readonly_check, err);
}

enum ia_code
ia_rule_trusted_role_iam_admin(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                               struct ia_err *err)
{
    return walk_roles(ctx, rule, trusted_iam_admin, err);
}

enum ia_code
ia_rule_role_unused(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    return walk_roles(ctx, rule, role_unused, err);
}

enum ia_code
ia_rule_role_name_nonstandard(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                              struct ia_err *err)
{
    return walk_roles(ctx, rule, name_nonstandard, err);
}

/* ---- role-privilege-escalation ---- */

/*
 * Known ways from IAM permissions to admin: the one list, so that a fuller catalogue (AWS's
 * action list, PMapper's or Prowler's) can replace it in one place. Every action of an entry
 * must be allowed. An entry with a service runs code as a role passed to it: iam:PassRole
 * must then be allowed on a role of the same account that trusts that service and is
 * admin-capable (see passable). sts:AssumeRole on an admin role is checked apart: it depends
 * on the admin role's trust.
 */
static const struct escalation {
    const char *name;
    const char *action;  /* the action besides iam:PassRole */
    const char *service; /* the service a passed role must trust, or NULL: no iam:PassRole */
    const char *how;
} s_escalations[] = {
    { "iam:CreatePolicyVersion", "iam:CreatePolicyVersion", NULL,
      "write a new default version of a policy attached to itself" },
    { "iam:SetDefaultPolicyVersion", "iam:SetDefaultPolicyVersion", NULL,
      "switch a policy attached to itself to a broader old version" },
    { "iam:AttachUserPolicy", "iam:AttachUserPolicy", NULL,
      "attach AdministratorAccess to a user" },
    { "iam:AttachGroupPolicy", "iam:AttachGroupPolicy", NULL,
      "attach AdministratorAccess to a group" },
    { "iam:AttachRolePolicy", "iam:AttachRolePolicy", NULL,
      "attach AdministratorAccess to a role, itself included" },
    { "iam:PutUserPolicy", "iam:PutUserPolicy", NULL, "write an admin inline policy on a user" },
    { "iam:PutGroupPolicy", "iam:PutGroupPolicy", NULL,
      "write an admin inline policy on a group" },
    { "iam:PutRolePolicy", "iam:PutRolePolicy", NULL,
      "write an admin inline policy on a role, itself included" },
    { "iam:UpdateAssumeRolePolicy", "iam:UpdateAssumeRolePolicy", NULL,
      "let itself assume an admin role by rewriting its trust" },
    { "iam:CreateAccessKey", "iam:CreateAccessKey", NULL,
      "create keys for another (admin) user" },
    { "iam:CreateLoginProfile", "iam:CreateLoginProfile", NULL,
      "set a console password for another (admin) user" },
    { "iam:UpdateLoginProfile", "iam:UpdateLoginProfile", NULL,
      "change another (admin) user's console password" },
    { "iam:AddUserToGroup", "iam:AddUserToGroup", NULL, "add a user to an admin group" },
    { "iam:PassRole+lambda:CreateFunction", "lambda:CreateFunction", "lambda.amazonaws.com",
      "run code as an admin-capable role in a Lambda function" },
    { "iam:PassRole+ec2:RunInstances", "ec2:RunInstances", "ec2.amazonaws.com",
      "run code as an admin-capable role on an EC2 instance" },
    { "iam:PassRole+cloudformation:CreateStack", "cloudformation:CreateStack",
      "cloudformation.amazonaws.com",
      "have CloudFormation create resources as an admin-capable role" },
    { "iam:PassRole+glue:CreateDevEndpoint", "glue:CreateDevEndpoint", "glue.amazonaws.com",
      "run code as an admin-capable role on a Glue endpoint" },
    { "iam:PassRole+ecs:RunTask", "ecs:RunTask", "ecs-tasks.amazonaws.com",
      "run a container as an admin-capable role" },
    { "iam:PassRole+codebuild:CreateProject", "codebuild:CreateProject",
      "codebuild.amazonaws.com", "run a build as an admin-capable role" },
    { "iam:PassRole+sagemaker:CreateNotebookInstance", "sagemaker:CreateNotebookInstance",
      "sagemaker.amazonaws.com", "run a notebook as an admin-capable role" },
};

/* What the escalation checks share across roles: computed once per analysis. */
struct esc_state {
    const char *admin_pat;
    signed char *capable; /* per role: -1 not yet known, 0/1 admin-capable */
    struct svc_trust {
        size_t role;          /* index into ctx->roles */
        const char *service;  /* borrowed from the trust row */
    } *svc;                   /* every role's Allow for a Service, by (account, role) */
    size_t n_svc;
    struct admin_trust {
        const char *key;      /* who the admin role lets in: an account id, an ARN, or "*" */
        size_t admin;         /* index into ctx->roles */
    } *in;                    /* sorted by key (case-insensitive) */
    size_t n_in;
};

static int
cmp_admin_trust(const void *a, const void *b)
{
    const struct admin_trust *x = a, *y = b;
    int c = strcasecmp(x->key, y->key);
    return c ? c : (x->admin > y->admin) - (x->admin < y->admin);
}

/* A role's permission policies, parsed; names[i] is where pols[i] came from. */
struct parsed {
    struct policy_docs pd;
    struct ia_policy **pols;
    size_t n;
};

static void
parsed_release(struct parsed *p)
{
    for (size_t i = 0; i < p->n; i++)
        ia_policy_free(p->pols[i]);
    free(p->pols);
    policy_docs_release(&p->pd);
    memset(p, 0, sizeof(*p));
}

static enum ia_code
parse_role(struct ia_an_ctx *ctx, const struct ia_an_role *ro, struct parsed *out,
           struct ia_err *err)
{
    memset(out, 0, sizeof(*out));
    if (role_policies(ctx, ro, 1, &out->pd, err) != IA_OK)
        return IA_ERR_DB;
    out->pols = ia_xcalloc(out->pd.n ? out->pd.n : 1, sizeof(*out->pols));
    for (size_t i = 0; i < out->pd.n; i++) {
        struct ia_err perr;
        /* A policy that cannot be parsed is unread: its grants are unknown. */
        if (ia_policy_parse(out->pd.docs[i], strlen(out->pd.docs[i]), &out->pols[out->n],
                            &perr) != IA_OK) {
            json_array_append_new(out->pd.unread, json_string(out->pd.names[i]));
            continue;
        }
        if (out->n != i) { /* keep names aligned with the parsed policies */
            char *name = out->pd.names[out->n];
            out->pd.names[out->n] = out->pd.names[i];
            out->pd.names[i] = name;
        }
        out->n++;
    }
    return IA_OK;
}

static const struct ia_policy *const *
cpols(const struct parsed *p)
{
    return (const struct ia_policy *const *)p->pols;
}

/* The statements that grant one action, as evidence; *every_resource set when one grants it
 * on every resource. */
static json_t *
grants_json(const struct ia_policy_grants *g, const struct parsed *p, int *every_resource)
{
    json_t *a = json_array();
    for (size_t i = 0; i < g->n; i++) {
        const struct ia_policy_grant *it = &g->items[i];
        const struct ia_policy *pol = p->pols[it->doc_index];
        int all = 0;
        for (size_t s = 0; s < pol->n_statements; s++) {
            const struct ia_policy_statement *st = &pol->statements[s];
            if (st->index != it->statement_index || st->not_resource)
                continue;
            all = st->n_resources == 0;
            for (size_t r = 0; r < st->n_resources; r++)
                all |= strcmp(st->resources[r], "*") == 0;
        }
        *every_resource |= all;
        json_array_append_new(a, json_pack("{s:s, s:I, s:s, s:b, s:b}", "policy",
                                           p->pd.names[it->doc_index], "statement",
                                           (json_int_t)it->statement_index, "pattern",
                                           it->pattern, "not_action", it->not_action,
                                           "every_resource", all));
    }
    return a;
}

/* Admin-capable: named as an admin role, or its own policies let it attach any policy to a
 * role (AdministratorAccess and "*" included). */
static enum ia_code
admin_capable(struct ia_an_ctx *ctx, struct esc_state *es, size_t idx, int *out,
              struct ia_err *err)
{
    const struct ia_an_role *t = &ctx->roles[idx];
    struct parsed p;
    struct ia_policy_grants g;
    if (es->capable[idx] >= 0) {
        *out = es->capable[idx];
        return IA_OK;
    }
    *out = ia_glob_match(es->admin_pat, t->name);
    if (*out) {
        es->capable[idx] = 1;
        return IA_OK;
    }
    if (parse_role(ctx, t, &p, err) != IA_OK) {
        parsed_release(&p);
        return IA_ERR_DB;
    }
    ia_policy_grants(cpols(&p), p.n, "iam:AttachRolePolicy", NULL, &g);
    *out = g.n > 0;
    es->capable[idx] = (signed char)*out;
    ia_policy_grants_release(&g);
    parsed_release(&p);
    return IA_OK;
}

/*
 * The roles of ro's account that trust `service` and are admin-capable, and that ro may pass
 * (iam:PassRole on their ARN): as evidence, or NULL when there are none.
 */
static enum ia_code
passable(struct ia_an_ctx *ctx, struct esc_state *es, const struct ia_an_role *ro,
         const struct parsed *p, const char *service, json_t **out, struct ia_err *err)
{
    /* Service trusts come ordered by account (as the roles): scan this account's only. */
    size_t lo = 0, hi = es->n_svc;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ctx->roles[es->svc[mid].role].account, ro->account) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *out = NULL;
    size_t last = (size_t)-1; /* a role trusting the service twice is listed once */
    for (size_t k = lo;
         k < es->n_svc && strcmp(ctx->roles[es->svc[k].role].account, ro->account) == 0; k++) {
        size_t i = es->svc[k].role;
        const struct ia_an_role *t = &ctx->roles[i];
        struct ia_policy_grants g;
        int capable, every = 0;
        if (t == ro || i == last || strcasecmp(es->svc[k].service, service) != 0)
            continue;
        last = i;
        ia_policy_grants(cpols(p), p->n, "iam:PassRole", t->arn, &g);
        if (g.n == 0) {
            ia_policy_grants_release(&g);
            continue;
        }
        if (admin_capable(ctx, es, i, &capable, err) != IA_OK) {
            ia_policy_grants_release(&g);
            json_decref(*out);
            *out = NULL;
            return IA_ERR_DB;
        }
        if (capable) {
            if (!*out)
                *out = json_array();
            json_array_append_new(*out, json_pack("{s:s, s:o}", "role", t->arn, "allowed_by",
                                                  grants_json(&g, p, &every)));
        }
        ia_policy_grants_release(&g);
    }
    return IA_OK;
}

/* Whether found already lists an escalation to admin role arn. */
static int
reached(json_t *found, const char *arn)
{
    size_t i;
    json_t *v;
    json_array_foreach(found, i, v) {
        const char *a = json_string_value(json_object_get(v, "admin_role"));
        if (a && strcmp(a, arn) == 0)
            return 1;
    }
    return 0;
}

static enum ia_code
escalation(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct esc_state *es,
           const struct ia_an_role *ro, struct ia_err *err)
{
    const char *admin_pat = es->admin_pat;
    struct parsed p = { 0 };
    json_t *found = NULL;
    int every = 0;
    enum ia_code rc = IA_ERR_DB;

    if (ia_glob_match(admin_pat, ro->name) || is_bootstrap(ctx, ro) ||
        !ia_an_human_assumable(ctx, ro->account, ro->name))
        return IA_OK;
    if (parse_role(ctx, ro, &p, err) != IA_OK)
        goto out;
    rc = IA_OK;
    if (p.n == 0)
        goto out;
    found = json_array();
    for (size_t e = 0; e < IA_ARRAY_LEN(s_escalations); e++) {
        const struct escalation *x = &s_escalations[e];
        struct ia_policy_grants g;
        json_t *roles = NULL;
        int on_all = 0;
        ia_policy_grants(cpols(&p), p.n, x->action, NULL, &g);
        if (g.n && x->service &&
            passable(ctx, es, ro, &p, x->service, &roles, err) != IA_OK) {
            ia_policy_grants_release(&g);
            rc = IA_ERR_DB;
            goto out;
        }
        if (g.n && (!x->service || roles)) {
            json_t *by = json_object();
            json_object_set_new(by, x->action, grants_json(&g, &p, &on_all));
            json_t *item = json_pack("{s:s, s:s, s:o}", "escalation", x->name, "how", x->how,
                                     "allowed_by", by);
            /* Passing an admin-capable role reaches admin; otherwise the action must be
             * allowed on every resource for nothing to stop it at the role itself. */
            if (roles) {
                json_object_set_new(item, "passable_roles", roles);
                on_all = 1;
            }
            every |= on_all;
            json_array_append_new(found, item);
        }
        ia_policy_grants_release(&g);
    }
    /* sts:AssumeRole on an admin role of an audited account that trusts this role: by its
     * ARN, its account as a whole, or "*". */
    const char *keys[3] = { ro->arn, ro->account, "*" };
    size_t last = (size_t)-1;
    for (size_t q = 0; q < 3; q++) {
        struct admin_trust probe = { keys[q], 0 };
        size_t lo = 0, hi = es->n_in;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (cmp_admin_trust(&es->in[mid], &probe) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t k = lo; k < es->n_in && strcasecmp(es->in[k].key, keys[q]) == 0; k++) {
            const struct ia_an_role *adm = &ctx->roles[es->in[k].admin];
            struct ia_policy_grants g;
            if (adm == ro || es->in[k].admin == last || reached(found, adm->arn))
                continue;
            last = es->in[k].admin;
            ia_policy_grants(cpols(&p), p.n, "sts:AssumeRole", adm->arn, &g);
            if (g.n) {
                int on_all = 0;
                json_t *by = json_object();
                json_object_set_new(by, "sts:AssumeRole", grants_json(&g, &p, &on_all));
                every = 1; /* the admin role itself is reached */
                json_array_append_new(found, json_pack("{s:s, s:s, s:s, s:o}", "escalation",
                                                       "sts:AssumeRole", "how",
                                                       "assume an admin role that trusts it",
                                                       "admin_role", adm->arn, "allowed_by",
                                                       by));
            }
            ia_policy_grants_release(&g);
        }
    }
    if (json_array_size(found) == 0)
        goto out;
    json_t *ev = json_pack("{s:s, s:s, s:O, s:O, s:O}", "role", ro->name, "admin_role_pattern",
                           admin_pat, "escalations", found, "policies", p.pd.list,
                           "unread_policies", p.pd.unread);
    enum ia_severity sev = rule->severity;
    if (every) {
        sev = IA_SEV_CRITICAL;
        json_object_set_new(ev, "severity_reason",
                            json_string("raised: an escalation is allowed on every resource, "
                                        "or reaches an admin-capable role, so the role can "
                                        "give itself *:*"));
    }
    const char *first = json_string_value(json_object_get(json_array_get(found, 0),
                                                          "escalation"));
    ia_an_emit(ctx, rule, sev, ro->account, ro->arn, NULL, ev,
               "role %s, which people assume, can escalate to admin (%s%s)", ro->name, first,
               json_array_size(found) > 1 ? " and more" : "");
out:
    json_decref(found);
    parsed_release(&p);
    return rc;
}

enum ia_code
ia_rule_role_privilege_escalation(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                                  struct ia_err *err)
{
    struct esc_state es = { 0 };
    size_t alloc = 0;
    enum ia_code rc = IA_OK;
    es.admin_pat = ctx->rules->admin_role_pattern ? ctx->rules->admin_role_pattern : "*admin*";
    es.capable = ia_xmalloc(ctx->n_roles ? ctx->n_roles : 1);
    memset(es.capable, -1, ctx->n_roles ? ctx->n_roles : 1);
    /* Roles a service can assume (the only ones iam:PassRole can hand to it), found once. */
    alloc = 0;
    for (size_t i = 0; i < ctx->n_roles; i++) {
        size_t n;
        const struct ia_an_role *t = &ctx->roles[i];
        const struct ia_an_trust *r = ia_an_role_trusts(ctx, t->account, t->name, &n);
        if (ia_an_service_linked(t->path))
            continue;
        for (size_t k = 0; k < n; k++) {
            if (strcmp(r[k].effect, "Allow") != 0 || r[k].not_principal ||
                strcmp(r[k].principal_kind, "Service") != 0 || !ia_an_trust_assumes(&r[k]))
                continue;
            es.svc = ia_xgrow(es.svc, es.n_svc + 1, &alloc, sizeof(*es.svc));
            es.svc[es.n_svc].role = i;
            es.svc[es.n_svc++].service = r[k].principal;
        }
    }
    alloc = 0;
    /* Whom each admin role lets in, indexed, so each role finds its admins by lookup. */
    for (size_t i = 0; i < ctx->n_roles; i++) {
        size_t n;
        const struct ia_an_role *adm = &ctx->roles[i];
        if (ia_an_service_linked(adm->path) || !ia_glob_match(es.admin_pat, adm->name))
            continue;
        const struct ia_an_trust *r = ia_an_role_trusts(ctx, adm->account, adm->name, &n);
        for (size_t k = 0; k < n; k++) {
            const char *key = NULL;
            if (strcmp(r[k].effect, "Allow") != 0 || r[k].not_principal ||
                (strcmp(r[k].principal_kind, "AWS") != 0 &&
                 strcmp(r[k].principal_kind, "*") != 0) ||
                !ia_an_trust_assumes(&r[k]))
                continue;
            if (strcmp(r[k].principal_type, "wildcard") == 0)
                key = "*";
            else if (strcmp(r[k].principal_type, "account-root") == 0 ||
                     strcmp(r[k].principal_type, "account-id") == 0)
                key = r[k].principal_account;
            else if (strcmp(r[k].principal_type, "role") == 0)
                key = r[k].principal;
            if (!key)
                continue;
            es.in = ia_xgrow(es.in, es.n_in + 1, &alloc, sizeof(*es.in));
            es.in[es.n_in].key = key;
            es.in[es.n_in++].admin = i;
        }
    }
    if (es.n_in)
        qsort(es.in, es.n_in, sizeof(*es.in), cmp_admin_trust);
    for (size_t i = 0; i < ctx->n_roles && rc == IA_OK; i++)
        if (!ia_an_service_linked(ctx->roles[i].path))
            rc = escalation(ctx, rule, &es, &ctx->roles[i], err);
    free(es.in);
    free(es.capable);
    free(es.svc);
    return rc;
}
