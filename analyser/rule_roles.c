/*
 * Roles: trust-policy-unreadable, bootstrap-role-present, role-unused, role-name-nonstandard,
 * readonly-role-side-effects, trusted-role-iam-admin (one function per rule, each walking the
 * run's roles); role-privilege-escalation is in rule_escalation.c.
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

void
ia_an_policy_docs_release(struct ia_an_policy_docs *p)
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
add_doc(struct ia_an_policy_docs *p, const char *name, const char *doc)
{
    p->docs = ia_xgrow(p->docs, p->n + 1, &p->alloc_docs, sizeof(*p->docs));
    p->names = ia_xgrow(p->names, p->n + 1, &p->alloc_names, sizeof(*p->names));
    p->docs[p->n] = ia_xstrdup(doc);
    p->names[p->n] = ia_xstrdup(name);
    p->n++;
}

enum ia_code
ia_an_attached_doc(struct ia_an_ctx *ctx, const char *arn, char **out, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    /* AWS-managed policies (arn:aws:iam::aws:policy/...) are stored once per run. */
    const char *q =
        strstr(arn, ":iam::aws:policy/") ? "analyser_managed_doc" : "analyser_policy_doc";
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

enum ia_code
ia_an_role_policies(struct ia_an_ctx *ctx, const struct ia_an_role *ro, int with_docs,
                    struct ia_an_policy_docs *out, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    enum ia_code rc = IA_ERR_DB;
    struct {
        char *kind, *name, *arn, *doc;
    } *rows = NULL;
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
        json_array_append_new(out->list, json_pack("{s:s, s:s, s:o}", "kind", rows[i].kind, "name",
                                                   rows[i].name, "arn", ia_an_jstr(rows[i].arn)));
        if (!with_docs)
            continue;
        if (strcmp(rows[i].kind, "inline") == 0) {
            if (rows[i].doc)
                add_doc(out, rows[i].name, rows[i].doc);
            else
                json_array_append_new(out->unread, json_string(rows[i].name));
        } else if (rows[i].arn) {
            char *doc;
            if (ia_an_attached_doc(ctx, rows[i].arn, &doc, err) != IA_OK)
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
    const char *admin_pat =
        ctx->rules->admin_role_pattern ? ctx->rules->admin_role_pattern : "*admin*";
    long age = ia_an_days_since(ctx, ro->created);
    long grace = ctx->rules->bootstrap_grace_days;
    struct ia_an_policy_docs pd = { 0 };

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
    for (size_t i = lo; i < ctx->n_roles && strcmp(ctx->roles[i].account, ro->account) == 0; i++) {
        const struct ia_an_role *o = &ctx->roles[i];
        if (o == ro || ia_an_service_linked(o->path) ||
            ia_glob_match(ctx->rules->bootstrap_role_pattern, o->name))
            continue;
        if (ia_glob_match(admin_pat, o->name))
            json_array_append_new(admins, json_string(o->arn));
    }
    if (ia_an_role_policies(ctx, ro, 0, &pd, err) != IA_OK) {
        json_decref(admins);
        ia_an_policy_docs_release(&pd);
        return IA_ERR_DB;
    }
    long since = ia_an_days_since(ctx, ro->last_used);
    int have_admin = json_array_size(admins) > 0;
    json_t *ev = json_pack(
        "{s:s, s:o, s:o, s:i, s:o, s:o, s:O, s:o}", "role", ro->name, "created_at",
        ia_an_jstr(ro->created), "age_days", age >= 0 ? json_integer(age) : json_null(),
        "grace_days", (int)grace, "last_used_at", ia_an_jstr(ro->last_used), "days_since_use",
        since >= 0 ? json_integer(since) : json_null(), "policies", pd.list, "admin_roles", admins);
    enum ia_severity sev = rule->severity;
    if (have_admin) {
        sev = IA_SEV_HIGH;
        json_object_set_new(ev, IA_EV_SEVERITY_REASON,
                            json_string("raised: an admin role exists, so the bootstrap role "
                                        "is no longer needed"));
    }
    ia_an_emit(ctx, rule, sev, ro->account, ro->arn, NULL, ev,
               "bootstrap role %s in %s is still present%s", ro->name, ro->account,
               have_admin ? " although an admin role exists" : "");
    ia_an_policy_docs_release(&pd);
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
                ia_policy_action_pred pred, struct ia_side_effect_report *out, struct ia_err *err)
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
    v->rc =
        pred ? ia_policy_grants_matching((const char *const *)docs, n, pred, NULL, &v->rep, &v->err)
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
    struct ia_an_policy_docs pd = { 0 };
    struct ia_side_effect_report rep = { 0 };
    struct ia_err perr;
    enum ia_code rc = IA_ERR_DB;

    if (ia_an_role_policies(ctx, ro, 1, &pd, err) != IA_OK)
        goto out;
    rc = IA_OK;
    if (pd.n == 0)
        goto out;
    if (grants_matching(ctx, 'S', pd.docs, pd.n, NULL, &rep, &perr) != IA_OK) {
        /* An unreadable policy is not a finding here; say so in the log and move on. */
        IA_LOG_WARN("analyser",
                    "msg=\"policy unreadable: side effects unknown\" role=%s "
                    "detail=\"%s\"",
                    ro->arn, perr.msg);
        goto out;
    }
    if (rep.n_total == 0 || rep.n_items == 0 || !rep.items)
        goto out;
    json_t *items = json_array();
    for (size_t i = 0; i < rep.n_items; i++) {
        const struct ia_side_effect *s = &rep.items[i];
        json_array_append_new(
            items,
            json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:b}", "policy", pd.names[s->doc_index],
                      "statement", (json_int_t)s->statement_index, "kind",
                      s->kind == IA_SIDE_EFFECT_WRITE ? "side effect" : "sensitive read", "pattern",
                      s->pattern, "action", s->matched, "access_level", s->level, "not_action",
                      s->not_action));
    }
    json_t *ev =
        json_pack("{s:s, s:s, s:O, s:o, s:I, s:O}", "role", ro->name, "pattern",
                  ctx->rules->readonly_role_pattern, "policies", pd.list, "side_effects", items,
                  "side_effects_total", (json_int_t)rep.n_total, "unread_policies", pd.unread);
    json_object_set_new(ev, "action_catalogue", json_string(ia_actions_version()));
    ia_an_emit(ctx, rule, rule->severity, ro->account, ro->arn, NULL, ev,
               "read-only role %s allows %s (AWS access level %s%s)", ro->name,
               rep.items[0].matched, rep.items[0].level,
               rep.items[0].kind == IA_SIDE_EFFECT_SENSITIVE ? ", a sensitive read" : "");
out:
    ia_policy_side_effect_report_release(&rep);
    ia_an_policy_docs_release(&pd);
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
    struct ia_an_policy_docs pd = { 0 };
    struct ia_side_effect_report rep = { 0 };
    struct ia_err perr;
    enum ia_code rc = IA_ERR_DB;

    if (!ctx->rules->trusted_role_pattern ||
        !ia_glob_match(ctx->rules->trusted_role_pattern, ro->name))
        return IA_OK;
    if (ia_an_role_policies(ctx, ro, 1, &pd, err) != IA_OK)
        goto out;
    rc = IA_OK;
    if (pd.n == 0)
        goto out;
    if (grants_matching(ctx, 'A', pd.docs, pd.n, pred_iam_admin, &rep, &perr) != IA_OK) {
        IA_LOG_WARN("analyser",
                    "msg=\"policy unreadable: IAM administration unknown\" role=%s "
                    "detail=\"%s\"",
                    ro->arn, perr.msg);
        goto out;
    }
    if (rep.n_total == 0 || rep.n_items == 0 || !rep.items)
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
    json_t *ev =
        json_pack("{s:s, s:s, s:O, s:o, s:I, s:O, s:s}", "role", ro->name, "pattern",
                  ctx->rules->trusted_role_pattern, "policies", pd.list, "iam_administration",
                  items, "iam_administration_total", (json_int_t)rep.n_total, "unread_policies",
                  pd.unread, "action_catalogue", ia_actions_version());
    ia_an_emit(ctx, rule, rule->severity, ro->account, ro->arn, NULL, ev,
               "trusted-user role %s can administer IAM: %s (AWS access level %s)%s", ro->name,
               rep.items[0].matched, rep.items[0].level, rep.n_total > 1 ? " and more" : "");
out:
    ia_policy_side_effect_report_release(&rep);
    ia_an_policy_docs_release(&pd);
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

int
ia_an_is_bootstrap(const struct ia_an_ctx *ctx, const struct ia_an_role *ro)
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
    json_t *ev =
        json_pack("{s:s, s:s, s:I, s:b}", "role", ro->name, "trust_error", ro->trust_error,
                  "trust_rows", (json_int_t)ro->n_trust_rows, "raw_wildcard_principal", star);
    enum ia_severity sev = rule->severity;
    if (star && !(ro->n_trust_rows && ro->read_star)) {
        sev = IA_SEV_CRITICAL;
        json_object_set_new(ev, IA_EV_SEVERITY_REASON,
                            json_string("raised: a raw scan of the unread text shows \"*\" as "
                                        "a principal"));
    } else if (ro->n_trust_rows) {
        sev = IA_SEV_LOW;
        json_object_set_new(ev, IA_EV_SEVERITY_REASON,
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
    return ia_an_is_bootstrap(ctx, ro) ? bootstrap(ctx, rule, ro, err) : IA_OK;
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
    if (!ia_an_human_assumable(ro))
        return IA_OK;
    long since = ia_an_days_since(ctx, ro->last_used);
    long age = ia_an_days_since(ctx, ro->created);
    /* A role created less than stale_days ago has not had the chance to be used. */
    if (!((since >= 0 && since >= stale) || (since < 0 && age >= stale)))
        return IA_OK;
    json_t *ev =
        json_pack("{s:s, s:o, s:o, s:o, s:o, s:i}", "role", ro->name, "created_at",
                  ia_an_jstr(ro->created), "last_used_at", ia_an_jstr(ro->last_used),
                  "days_since_use", since >= 0 ? json_integer(since) : json_null(), "age_days",
                  age >= 0 ? json_integer(age) : json_null(), "stale_days", (int)stale);
    if (since >= 0) {
        ia_an_emit(ctx, rule, rule->severity, ro->account, ro->arn, NULL, ev,
                   "role %s not used for %ld days", ro->name, since);
    } else {
        /* IAM keeps RoleLastUsed for 400 days only: empty is not "never". */
        json_object_set_new(ev, "last_used",
                            json_string("not used within AWS's 400-day tracking window"));
        ia_an_emit(ctx, rule, rule->severity, ro->account, ro->arn, NULL, ev,
                   "role %s not used within AWS's 400-day tracking window (created %ld days "
                   "ago)",
                   ro->name, age);
    }
    return IA_OK;
}

static enum ia_code
name_nonstandard(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_an_role *ro,
                 struct ia_err *err)
{
    (void)err;
    if (ia_an_is_bootstrap(ctx, ro) || matches_any(ro->name, ctx->rules->human_role_patterns) ||
        !ia_an_human_assumable(ro))
        return IA_OK;
    json_t *pats = json_array();
    for (size_t p = 0; ctx->rules->human_role_patterns && ctx->rules->human_role_patterns[p]; p++)
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
ia_rule_role_name_nonstandard(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    return walk_roles(ctx, rule, name_nonstandard, err);
}
