/*
 * Access paths of a run (issue 14): loads the evaluation's input from the snapshot once per
 * analysis, writes access_paths, and the rules access-without-mfa and leaver-has-access.
 */
#include <stdlib.h>
#include <string.h>

#include "analyser/access.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"

/* A parsed policy of a base-account user or group. */
struct pol {
    char *kind, *owner, *label;
    struct ia_policy *policy;
};

struct ia_an_access {
    struct ia_access_input in;
    struct ia_access_user *users;
    struct ia_access_role *roles;
    struct ia_access_policy *upols; /* every user's policies, users[i].pols point in here */
    struct pol *pols;
    size_t n_pols;
    struct ia_access_paths paths;
    struct ia_access_walk *walk; /* during the trust pass */
    int done;                    /* the pass has ended: paths are whole */
};

void
ia_an_access_free(struct ia_an_access *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n_pols; i++) {
        free(a->pols[i].kind);
        free(a->pols[i].owner);
        free(a->pols[i].label);
        ia_policy_free(a->pols[i].policy);
    }
    free(a->pols);
    free(a->users);
    free(a->roles);
    free(a->upols);
    ia_access_walk_end(a->walk);
    ia_access_paths_release(&a->paths);
    free(a);
}

const struct ia_access_input *
ia_an_access_input(const struct ia_an_access *a)
{
    return &a->in;
}

const struct ia_access_paths *
ia_an_access_paths(const struct ia_an_access *a)
{
    return &a->paths;
}

/* The range [*lo, *hi) of a->pols with (kind, owner); pols are sorted by them. */
static void
pol_range(const struct ia_an_access *a, const char *kind, const char *owner, size_t *lo, size_t *hi)
{
    size_t l = 0, h = a->n_pols;
    while (l < h) {
        size_t mid = l + (h - l) / 2;
        int c = strcmp(a->pols[mid].kind, kind);
        if (!c)
            c = strcmp(a->pols[mid].owner, owner);
        if (c < 0)
            l = mid + 1;
        else
            h = mid;
    }
    size_t e = l;
    while (e < a->n_pols && !strcmp(a->pols[e].kind, kind) && !strcmp(a->pols[e].owner, owner))
        e++;
    *lo = l;
    *hi = e;
}

static enum ia_code
load(struct ia_an_ctx *ctx, struct ia_an_access *a, struct ia_err *err)
{
    struct ia_db_stmt *st;
    size_t alloc = 0;
    int r;

    a->in.base = ctx->base;
    a->in.org_id = ctx->rules ? ctx->rules->organization_id : NULL;
    a->in.trusts = NULL; /* given role by role by the trust pass */
    a->in.n_trusts = 0;
    a->roles = ia_xcalloc(ctx->n_roles ? ctx->n_roles : 1, sizeof(*a->roles));
    for (size_t i = 0; i < ctx->n_roles; i++) {
        a->roles[i].account = ctx->roles[i].account;
        a->roles[i].name = ctx->roles[i].name;
        a->roles[i].arn = ctx->roles[i].arn;
    }
    a->in.roles = a->roles;
    a->in.n_roles = ctx->n_roles;
    if (!ctx->base)
        return IA_OK;

    /* Policies of the base account's users and groups, each parsed once. */
    if (ia_db_prepare(ctx->db, "access_policies", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":account_id", ctx->base);
    while ((r = ia_db_step(st, err)) == 1) {
        const char *kind = ia_db_col_text(st, 0), *owner = ia_db_col_text(st, 1);
        const char *pkind = ia_db_col_text(st, 2), *pname = ia_db_col_text(st, 3);
        const char *parn = ia_db_col_text(st, 4), *doc = ia_db_col_text(st, 5);
        struct ia_policy *pol = NULL;
        struct ia_err perr;
        if (!doc) {
            IA_LOG_WARN("access",
                        "msg=\"policy document missing: not counted for access "
                        "paths\" %s=%s policy=%s fix=\"collect again\"",
                        kind, owner, parn ? parn : pname);
            continue;
        }
        if (ia_policy_parse(doc, strlen(doc), &pol, &perr) != IA_OK) {
            IA_LOG_WARN("access",
                        "msg=\"policy unreadable: not counted for access paths\" "
                        "%s=%s policy=%s error=\"%s\"",
                        kind, owner, parn ? parn : pname, perr.msg);
            continue;
        }
        a->pols = ia_xgrow(a->pols, a->n_pols + 1, &alloc, sizeof(*a->pols));
        struct pol *p = &a->pols[a->n_pols++];
        p->kind = ia_xstrdup(kind);
        p->owner = ia_xstrdup(owner);
        struct ia_buf b = IA_BUF_INIT;
        if (!strcmp(kind, "group"))
            ia_buf_addf(&b, "group %s: ", owner);
        ia_buf_addf(&b, "%s %s", pkind, parn && !strcmp(pkind, "attached") ? parn : pname);
        p->label = ia_buf_detach(&b, NULL);
        p->policy = pol;
    }
    ia_db_reset(st);
    if (r < 0)
        return IA_ERR_DB;

    /* Users, and their groups (both sorted by user name). */
    struct {
        char *user, *group;
    } *mem = NULL;
    size_t n_mem = 0, alloc_mem = 0;
    if (ia_db_prepare(ctx->db, "access_memberships", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":account_id", ctx->base);
    while ((r = ia_db_step(st, err)) == 1) {
        mem = ia_xgrow(mem, n_mem + 1, &alloc_mem, sizeof(*mem));
        mem[n_mem].user = ia_xstrdup(ia_db_col_text(st, 0));
        mem[n_mem++].group = ia_xstrdup(ia_db_col_text(st, 1));
    }
    ia_db_reset(st);
    enum ia_code rc = IA_ERR_DB;
    if (r < 0)
        goto out;
    if (ia_db_prepare(ctx->db, "access_users", &st, err) != IA_OK)
        goto out;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":account_id", ctx->base);
    size_t alloc_u = 0, alloc_p = 0, n_up = 0, m = 0;
    /* Two passes would need the counts first; record (start, count) and fix pointers after. */
    struct {
        size_t start, n;
    } *span = NULL;
    size_t alloc_span = 0;
    while ((r = ia_db_step(st, err)) == 1) {
        a->users = ia_xgrow(a->users, a->in.n_users + 1, &alloc_u, sizeof(*a->users));
        span = ia_xgrow(span, a->in.n_users + 1, &alloc_span, sizeof(*span));
        struct ia_access_user *u = &a->users[a->in.n_users];
        u->name = ia_an_intern(ctx, ia_db_col_text(st, 0));
        u->arn = ia_an_intern(ctx, ia_db_col_text(st, 1));
        u->user_id = ia_an_intern(ctx, ia_db_col_text(st, 2));
        span[a->in.n_users].start = n_up;
        size_t lo, hi;
        pol_range(a, "user", u->name, &lo, &hi);
        for (size_t k = lo; k < hi; k++) {
            a->upols = ia_xgrow(a->upols, n_up + 1, &alloc_p, sizeof(*a->upols));
            a->upols[n_up].label = a->pols[k].label;
            a->upols[n_up++].policy = a->pols[k].policy;
        }
        while (m < n_mem && strcmp(mem[m].user, u->name) < 0)
            m++;
        for (; m < n_mem && !strcmp(mem[m].user, u->name); m++) {
            pol_range(a, "group", mem[m].group, &lo, &hi);
            for (size_t k = lo; k < hi; k++) {
                a->upols = ia_xgrow(a->upols, n_up + 1, &alloc_p, sizeof(*a->upols));
                a->upols[n_up].label = a->pols[k].label;
                a->upols[n_up++].policy = a->pols[k].policy;
            }
        }
        span[a->in.n_users].n = n_up - span[a->in.n_users].start;
        a->in.n_users++;
    }
    ia_db_reset(st);
    if (r >= 0) {
        for (size_t i = 0; span && i < a->in.n_users; i++) {
            a->users[i].pols = span[i].n ? &a->upols[span[i].start] : NULL;
            a->users[i].n_pols = span[i].n;
        }
        a->in.users = a->users;
        rc = IA_OK;
    }
    free(span);
out:
    for (size_t i = 0; i < n_mem; i++) {
        free(mem[i].user);
        free(mem[i].group);
    }
    free(mem);
    return rc;
}

enum ia_code
ia_an_access_begin(struct ia_an_ctx *ctx, struct ia_err *err)
{
    struct ia_an_access *a = ia_xcalloc(1, sizeof(*a));
    if (load(ctx, a, err) != IA_OK) {
        ia_an_access_free(a);
        ia_err_prefix(err, "access paths: ");
        return IA_ERR_DB;
    }
    a->walk = ia_access_walk_begin(&a->in, &a->paths);
    ia_an_access_free(ctx->access);
    ctx->access = a;
    return IA_OK;
}

void
ia_an_access_role(struct ia_an_ctx *ctx, size_t role, const struct ia_an_trust *rows, size_t n)
{
    IA_ASSERT(ctx->access && !ctx->access->done);
    ia_access_walk_role(ctx->access->walk, role, rows, n);
}

void
ia_an_access_end(struct ia_an_ctx *ctx)
{
    IA_ASSERT(ctx->access && !ctx->access->done);
    ia_access_walk_end(ctx->access->walk);
    ctx->access->walk = NULL;
    ctx->access->done = 1;
}

enum ia_code
ia_an_access_get(struct ia_an_ctx *ctx, const struct ia_an_access **out, struct ia_err *err)
{
    (void)err;
    /* Built by the trust pass (analyse.c), which runs before every rule that asks. */
    if (!ctx->access || !ctx->access->done)
        IA_BUG("access paths asked for before the trust pass built them");
    *out = ctx->access;
    return IA_OK;
}

enum ia_code
ia_an_access_write(struct ia_an_ctx *ctx, struct ia_err *err)
{
    const struct ia_an_access *a;
    struct ia_db_stmt *st;
    if (ia_an_access_get(ctx, &a, err) != IA_OK)
        return IA_ERR_DB;
    if (ia_db_prepare(ctx->db, "access_delete", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    if (ia_db_run(st, err) != IA_OK)
        return IA_ERR_DB;
    for (size_t i = 0; i < a->paths.n; i++) {
        const struct ia_access_path *p = &a->paths.items[i];
        const struct ia_access_user *u = &a->in.users[p->user];
        const struct ia_access_role *ro = &a->in.roles[p->role];
        if (ia_db_prepare(ctx->db, "access_insert", &st, err) != IA_OK)
            return IA_ERR_DB;
        ia_db_bind_int(st, ":run_id", ctx->run_id);
        ia_db_bind_text(st, ":account_id", ro->account);
        ia_db_bind_text(st, ":role_name", ro->name);
        ia_db_bind_text(st, ":role_arn", ro->arn);
        ia_db_bind_text(st, ":user_name", u->name);
        ia_db_bind_text(st, ":user_arn", u->arn);
        ia_db_bind_text(st, ":via", ia_access_via_name(p->via));
        ia_db_bind_int(st, ":trust_statement", p->trust_statement);
        ia_db_bind_text(st, ":identity_via", p->identity_via);
        ia_db_bind_int(st, ":mfa_required", p->mfa_required);
        ia_db_bind_int(st, ":mfa_trust", p->mfa_trust);
        ia_db_bind_int(st, ":mfa_identity", p->mfa_identity);
        ia_db_bind_int(st, ":conditional", p->conditional);
        ia_db_bind_text(st, ":conditions", p->conditions);
        ia_db_bind_text(st, ":role_kind", ia_access_role_kind(ctx->rules, ro->name));
        if (ia_db_run(st, err) != IA_OK) {
            ia_err_prefix(err, "write access paths: ");
            return IA_ERR_DB;
        }
    }
    return IA_OK;
}

/* ---- rules ------------------------------------------------------------------------------------
 */

static json_t *
path_json(const struct ia_an_ctx *ctx, const struct ia_an_access *a, const struct ia_access_path *p)
{
    const struct ia_access_role *ro = &a->in.roles[p->role];
    json_t *cond = p->conditions ? json_loads(p->conditions, 0, NULL) : NULL;
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:i, s:s, s:b, s:b, s:b, s:b, s:o}", "account_id", ro->account,
        "role_arn", ro->arn, "role_kind", ia_access_role_kind(ctx->rules, ro->name), "via",
        ia_access_via_name(p->via), "trust_statement", p->trust_statement, "identity_via",
        p->identity_via, "mfa_required", p->mfa_required, "mfa_trust", p->mfa_trust, "mfa_identity",
        p->mfa_identity, "conditional", p->conditional, "conditions", cond ? cond : json_null());
}

enum ia_code
ia_rule_access_without_mfa(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    const struct ia_an_access *a;
    if (ia_an_access_get(ctx, &a, err) != IA_OK)
        return IA_ERR_DB;
    for (size_t i = 0; i < a->paths.n; i++) {
        const struct ia_access_path *p = &a->paths.items[i];
        if (p->mfa_required)
            continue;
        const struct ia_access_user *u = &a->in.users[p->user];
        const struct ia_access_role *ro = &a->in.roles[p->role];
        /* iam-audit's own audit role and runner are machinery (docs/permissions.md). */
        if (ia_an_own(ctx, ro->arn) != IA_OWN_NONE || ia_an_own(ctx, u->arn) != IA_OWN_NONE)
            continue;
        const char *kind = ia_access_role_kind(ctx->rules, ro->name);
        json_t *ev = path_json(ctx, a, p);
        json_object_set_new(ev, "person", json_string(u->name));
        json_object_set_new(ev, "user_arn", json_string(u->arn));
        enum ia_severity sev = rule->severity;
        if (!strcmp(kind, "admin")) {
            sev = IA_SEV_CRITICAL;
            json_object_set_new(ev, "severity_reason",
                                json_string("raised: an admin role (admin_role_pattern)"));
        }
        ia_an_emit(ctx, rule, sev, ro->account, ro->arn, u->name, ev,
                   "%s can assume %s role %s without MFA%s", u->name, kind, ro->arn,
                   p->conditional ? " (conditional)" : "");
    }
    return IA_OK;
}

enum ia_code
ia_rule_leaver_has_access(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    const struct ia_an_access *a;
    if (!ctx->leavers_path)
        return IA_OK;
    if (ia_an_access_get(ctx, &a, err) != IA_OK)
        return IA_ERR_DB;
    for (size_t i = 0; i < a->paths.n;) {
        size_t j = i;
        while (j < a->paths.n && a->paths.items[j].user == a->paths.items[i].user)
            j++;
        const struct ia_access_user *u = &a->in.users[a->paths.items[i].user];
        const struct ia_leaver *lv = ia_people_find(&ctx->leavers, u->name);
        /* Gone when the leaving date has passed (people work their last day). */
        if (lv && strcmp(lv->date, ctx->today) < 0) {
            json_t *paths = json_array();
            for (size_t k = i; k < j; k++)
                json_array_append_new(paths, path_json(ctx, a, &a->paths.items[k]));
            json_t *ev =
                json_pack("{s:s, s:s, s:s, s:i, s:o}", "person", u->name, "user_arn", u->arn,
                          "leaving_date", lv->date, "leavers_line", lv->line, "paths", paths);
            ia_an_emit(ctx, rule, rule->severity, a->in.base, u->arn, u->name, ev,
                       "leaver %s (left %s) can still assume %zu role%s", u->name, lv->date, j - i,
                       j - i == 1 ? "" : "s");
        }
        i = j;
    }
    return IA_OK;
}
