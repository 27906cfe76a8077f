/*
 * One analysis: load the run's accounts and the inputs, run every rule family, apply the
 * exceptions, fingerprint, link to the previous analysis, and write it all in one transaction.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyser/access.h"
#include "analyser/internal.h"
#include "core/actions.h"
#include "core/clock.h"
#include "core/glob.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/policy.h"

#ifndef IA_VERSION
#define IA_VERSION "unknown"
#endif

/* ---- helpers shared by the rule families --------------------------------------------------- */

/* Evidence as stored: compact, keys sorted (new; free with free()). */
char *
ia_an_evidence_text(const json_t *ev)
{
    char *text = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        IA_BUG("evidence could not be serialised");
    return text;
}

/* A finding's evidence back as JSON to edit (new reference). */
json_t *
ia_an_evidence_tree(const struct ia_an_finding *f)
{
    json_t *ev = json_loads(f->evidence, JSON_ALLOW_NUL, NULL);
    if (!json_is_object(ev))
        IA_BUG("rule %s: stored evidence does not parse back", f->rule->id);
    return ev;
}

/*
 * The run's rows repeat most of their strings (300,000 trust rows name a few hundred
 * accounts, a handful of effects, kinds, action lists and MFA conditions, and each role's
 * name and ARN on every row of its policy): each distinct string is kept once, in a pool
 * freed with the context. The loaded rows borrow from it and must not free their strings.
 */
struct ia_an_strpool {
    char **slots; /* open addressing; NULL: free */
    size_t cap, n;
    /* The strings themselves, packed one after another in chunks: hundreds of thousands of
     * short strings cost their length, not a heap allocation each. */
    struct pool_chunk {
        struct pool_chunk *next;
        size_t used, size;
        char data[];
    } * chunks;
};

enum { POOL_CHUNK = 256 * 1024 };

/* A copy of s (len bytes and a NUL) in the pool's chunks. */
static char *
pool_copy(struct ia_an_strpool *p, const char *s, size_t len)
{
    struct pool_chunk *c = p->chunks;
    if (!c || c->size - c->used < len + 1) {
        size_t size = len + 1 > POOL_CHUNK ? len + 1 : POOL_CHUNK;
        c = ia_xmalloc(sizeof(*c) + size);
        c->size = size;
        c->used = 0;
        /* A string larger than a chunk gets its own, behind the current one. */
        if (size > POOL_CHUNK && p->chunks) {
            c->next = p->chunks->next;
            p->chunks->next = c;
        } else {
            c->next = p->chunks;
            p->chunks = c;
        }
    }
    char *d = c->data + c->used;
    memcpy(d, s, len);
    d[len] = '\0';
    c->used += len + 1;
    return d;
}

static uint64_t
str_hash(const char *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

static void
pool_grow(struct ia_an_strpool *p)
{
    size_t cap = p->cap ? p->cap * 2 : 4096;
    char **slots = ia_xcalloc(cap, sizeof(*slots));
    for (size_t i = 0; i < p->cap; i++) {
        if (!p->slots[i])
            continue;
        size_t j = (size_t)str_hash(p->slots[i]) & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = p->slots[i];
    }
    free(p->slots);
    p->slots = slots;
    p->cap = cap;
}

/* The pool's copy of s (borrowed until strpool_free), or NULL for NULL. */
static char *
strpool_intern(struct ia_an_strpool *p, const char *s)
{
    if (!s)
        return NULL;
    if (2 * (p->n + 1) > p->cap)
        pool_grow(p);
    size_t j = (size_t)str_hash(s) & (p->cap - 1);
    while (p->slots[j]) {
        if (strcmp(p->slots[j], s) == 0)
            return p->slots[j];
        j = (j + 1) & (p->cap - 1);
    }
    p->n++;
    return p->slots[j] = pool_copy(p, s, strlen(s));
}

static void
strpool_free(struct ia_an_strpool *p)
{
    if (!p)
        return;
    for (struct pool_chunk *c = p->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(p->slots);
    free(p);
}

void
ia_an_emit(struct ia_an_ctx *ctx, const struct ia_rule *rule, enum ia_severity sev,
           const char *account, const char *resource, const char *principal, json_t *evidence,
           const char *title_fmt, ...)
{
    struct ia_buf title = IA_BUF_INIT;
    va_list ap;

    IA_ASSERT(rule && resource);
    /* A NULL here is a json_pack that failed (a NULL string): a bug, not a finding to
     * report without its evidence. */
    if (!evidence)
        IA_BUG("rule %s: evidence could not be built for %s", rule->id, resource);
    /* docs/rules.md promises a reason wherever a finding leaves its rule's default. */
    if (sev != rule->severity && !json_is_string(json_object_get(evidence, IA_EV_SEVERITY_REASON)))
        IA_BUG("rule %s: severity %s instead of %s without a severity_reason", rule->id,
               ia_severity_name(sev), ia_severity_name(rule->severity));
    /* iam-audit's own role and runner are not people (issue 19.1): see own.c. */
    if (ia_an_own_exempt(ctx, rule->id, resource)) {
        json_decref(evidence);
        return;
    }
    va_start(ap, title_fmt);
    ia_buf_vaddf(&title, title_fmt, ap);
    va_end(ap);
    struct ia_an_finding f;
    memset(&f, 0, sizeof(f));
    f.rule = rule;
    f.severity = sev;
    f.account_id = account;
    f.resource = resource;
    f.principal = principal;
    f.title = title.buf;
    /* The text that will be written; the finding itself goes to an_pending at once (history.c):
     * a large run has tens of thousands, and they are not kept in memory. */
    f.evidence = ia_an_evidence_text(evidence);
    json_decref(evidence);
    ia_analyse_fingerprint(rule->id, account, resource, principal, f.fingerprint);
    ia_an_pending_add(ctx, &f);
    free(f.evidence);
    ia_buf_release(&title);
}

const struct ia_an_account *
ia_an_account(const struct ia_an_ctx *ctx, const char *id)
{
    for (size_t i = 0; id && i < ctx->n_accounts; i++)
        if (ctx->accounts[i].id && strcmp(ctx->accounts[i].id, id) == 0)
            return &ctx->accounts[i];
    return NULL;
}

long
ia_an_days_since(const struct ia_an_ctx *ctx, const char *iso)
{
    time_t t;
    if (!iso || !*iso || ia_time_parse_iso(iso, &t) != 0)
        return -1;
    if (t >= ctx->now)
        return 0;
    return (long)((ctx->now - t) / 86400);
}

json_t *
ia_an_jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

const char *
ia_an_arn_name(const char *arn)
{
    const char *slash = strrchr(arn, '/');
    if (slash)
        return slash + 1;
    const char *colon = strrchr(arn, ':');
    return colon ? colon + 1 : arn;
}

int
ia_an_service_linked(const char *path)
{
    return path && strncmp(path, "/aws-service-role/", 18) == 0;
}

const char *
ia_an_intern(struct ia_an_ctx *ctx, const char *s)
{
    if (!ctx->pool)
        ctx->pool = ia_xcalloc(1, sizeof(*ctx->pool));
    return strpool_intern(ctx->pool, s);
}

static char *
dup_col(struct ia_an_ctx *ctx, struct ia_db_stmt *st, int col)
{
    if (!ctx->pool)
        ctx->pool = ia_xcalloc(1, sizeof(*ctx->pool));
    return strpool_intern(ctx->pool, ia_db_col_text(st, col));
}

static int
cmp_trust_key(const struct ia_an_trust *t, const char *account, const char *role)
{
    int c = strcmp(t->account_id, account);
    return c ? c : strcmp(t->role_name, role);
}

const struct ia_an_trust *
ia_an_role_trusts(const struct ia_an_ctx *ctx, const char *account, const char *role, size_t *n)
{
    /* The window's rows are sorted by role_name in SQLite's BINARY order, i.e. strcmp. */
    size_t lo = 0, hi = ctx->n_trusts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_trust_key(&ctx->trusts[mid], account, role) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < ctx->n_trusts && cmp_trust_key(&ctx->trusts[end], account, role) == 0)
        end++;
    *n = end - lo;
    return *n ? &ctx->trusts[lo] : NULL;
}

int
ia_an_trust_assumes(const struct ia_an_trust *t)
{
    return t->assumes;
}

/* Whether the row's Action / NotAction admits sts:AssumeRole* (the JSON is parsed here). */
int
ia_an_trust_compute_assumes(const struct ia_an_trust *t)
{
    json_t *a = t->actions ? json_loads(t->actions, 0, NULL) : NULL;
    int yes;
    if (!json_is_array(a) || json_array_size(a) == 0) {
        yes = 1; /* no readable Action: assume the worst */
    } else {
        size_t i;
        json_t *v;
        int any = 0;
        json_array_foreach(a, i, v)
        {
            const char *p = json_string_value(v);
            if (!p)
                continue;
            if (t->not_action ? ia_glob_covers(p, "sts:AssumeRole*") == 1
                              : ia_glob_intersects(p, "sts:AssumeRole*") != 0)
                any = 1;
        }
        yes = t->not_action ? !any : any;
    }
    json_decref(a);
    return yes;
}

const char *
ia_an_trust_pinned_account(const struct ia_an_ctx *ctx, const struct ia_an_trust *t)
{
    const char *found = NULL;
    if (t->not_principal || strcmp(t->principal_type, "wildcard") != 0 ||
        (strcmp(t->principal_kind, "AWS") != 0 && strcmp(t->principal_kind, "*") != 0))
        return NULL;
    char **v = ia_policy_condition_values(t->conditions, "aws:PrincipalAccount");
    /* One literal value: several accounts, or a wildcard, is not "that account". */
    if (v && v[0] && !v[1] && !strpbrk(v[0], "*?")) {
        const struct ia_an_account *a = ia_an_account(ctx, v[0]);
        if (a)
            found = a->id;
    }
    ia_policy_strv_free(v);
    /* The base account's organisation ([rules] organization_id) lets the base account in. */
    const char *org = ctx->rules ? ctx->rules->organization_id : NULL;
    if (!found && org && ctx->base) {
        v = ia_policy_condition_values(t->conditions, "aws:PrincipalOrgID");
        if (v && v[0] && !v[1] && strcmp(v[0], org) == 0)
            found = ctx->base;
        ia_policy_strv_free(v);
    }
    return found;
}

int
ia_an_human_assumable(const struct ia_an_role *ro)
{
    return ro->human;
}

/* What ia_an_human_assumable says of a role, from its trust rows t[0..n). */
static int
human_rows(const struct ia_an_ctx *ctx, const struct ia_an_trust *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].effect, "Allow") != 0 || t[i].not_principal || !ia_an_trust_assumes(&t[i]))
            continue;
        const char *pinned = ia_an_trust_pinned_account(ctx, &t[i]);
        if (pinned && ctx->base && strcmp(pinned, ctx->base) == 0)
            return 1;
        if (strcmp(t[i].principal_kind, "AWS") != 0)
            continue;
        if (strcmp(t[i].principal_type, "user") == 0)
            return 1;
        if ((strcmp(t[i].principal_type, "account-root") == 0 ||
             strcmp(t[i].principal_type, "account-id") == 0) &&
            ctx->base && t[i].principal_account && !strcmp(t[i].principal_account, ctx->base))
            return 1;
    }
    return 0;
}

/* The role (account, name) of the run and its index in ctx->roles, or NULL. */
static struct ia_an_role *
find_role(const struct ia_an_ctx *ctx, const char *account, const char *name, size_t *idx)
{
    size_t lo = 0, hi = ctx->n_roles;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ctx->roles[mid].account, account);
        if (!c)
            c = strcmp(ctx->roles[mid].name, name);
        if (!c) {
            *idx = mid;
            return &ctx->roles[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/*
 * Reads rows of analyser_account_trusts / analyser_role_trusts. A run has few distinct action
 * lists (pooled strings: equal pointers, equal strings): whether each (with its NotAction
 * flag) admits sts:AssumeRole is worked out once, not once per row and rule.
 */
struct trust_reader {
    struct {
        const char *actions;
        int not_action, assumes;
    } memo[64];
    size_t n_memo;
};

/* Rows of one role take its path and last use from the role (NULL when it is not loaded). */
static void
set_role_fields(struct ia_an_trust *rows, size_t n, const struct ia_an_role *ro)
{
    for (size_t k = 0; k < n; k++) {
        rows[k].path = ro ? ro->path : NULL;
        rows[k].role_last_used = ro ? ro->last_used : NULL;
    }
}

static void
read_trust_row(struct ia_an_ctx *ctx, struct trust_reader *rd, struct ia_db_stmt *st,
               struct ia_an_trust *t)
{
    t->account_id = dup_col(ctx, st, 0);
    t->role_name = dup_col(ctx, st, 1);
    t->role_arn = dup_col(ctx, st, 2);
    t->statement_index = (int)ia_db_col_int(st, 3);
    t->sid = dup_col(ctx, st, 4);
    t->effect = dup_col(ctx, st, 5);
    t->not_principal = (int)ia_db_col_int(st, 6);
    t->principal_kind = dup_col(ctx, st, 7);
    t->principal = dup_col(ctx, st, 8);
    t->principal_account = dup_col(ctx, st, 9);
    t->principal_type = dup_col(ctx, st, 10);
    t->actions = dup_col(ctx, st, 11);
    t->not_action = (int)ia_db_col_int(st, 12);
    t->conditions = dup_col(ctx, st, 13);
    t->path = t->role_last_used = NULL; /* the caller's: set_role_fields */
    size_t k = 0;
    while (k < rd->n_memo &&
           (rd->memo[k].actions != t->actions || rd->memo[k].not_action != t->not_action))
        k++;
    if (k < rd->n_memo) {
        t->assumes = rd->memo[k].assumes;
    } else {
        t->assumes = ia_an_trust_compute_assumes(t);
        if (rd->n_memo < IA_ARRAY_LEN(rd->memo)) {
            rd->memo[rd->n_memo].actions = t->actions;
            rd->memo[rd->n_memo].not_action = t->not_action;
            rd->memo[rd->n_memo++].assumes = t->assumes;
        }
    }
}

enum ia_code
ia_an_role_trusts_read(struct ia_an_ctx *ctx, const char *account, const char *role,
                       struct ia_an_trust **rows, size_t *n, struct ia_err *err)
{
    struct ia_db_stmt *st;
    struct trust_reader rd = { 0 };
    size_t alloc = 0;
    int r;
    *rows = NULL;
    *n = 0;
    if (ia_db_prepare(ctx->db, "analyser_role_trusts", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":account_id", account);
    ia_db_bind_text(st, ":role_name", role);
    while ((r = ia_db_step(st, err)) == 1) {
        *rows = ia_xgrow(*rows, *n + 1, &alloc, sizeof(**rows));
        read_trust_row(ctx, &rd, st, &(*rows)[(*n)++]);
    }
    ia_db_reset(st);
    if (r < 0) {
        free(*rows);
        *rows = NULL;
        *n = 0;
        return IA_ERR_DB;
    }
    size_t idx;
    set_role_fields(*rows, *n, find_role(ctx, account, role, &idx));
    return IA_OK;
}

static enum ia_code
load_roles(struct ia_an_ctx *ctx, struct ia_err *err)
{
    struct ia_db_stmt *st;
    size_t alloc = 0;
    int r;
    if (ia_db_prepare(ctx->db, "analyser_roles", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    while ((r = ia_db_step(st, err)) == 1) {
        ctx->roles = ia_xgrow(ctx->roles, ctx->n_roles + 1, &alloc, sizeof(*ctx->roles));
        struct ia_an_role *ro = &ctx->roles[ctx->n_roles++];
        memset(ro, 0, sizeof(*ro));
        ro->account = dup_col(ctx, st, 0);
        ro->name = dup_col(ctx, st, 1);
        ro->arn = dup_col(ctx, st, 2);
        ro->path = dup_col(ctx, st, 3);
        ro->created = dup_col(ctx, st, 4);
        ro->last_used = dup_col(ctx, st, 5);
        ro->trust_error = dup_col(ctx, st, 7);
    }
    ia_db_reset(st);
    /* Held for the whole analysis: no slack left from growing. */
    if (ctx->n_roles)
        ctx->roles = ia_xrealloc(ctx->roles, ctx->n_roles * sizeof(*ctx->roles));
    return r < 0 ? IA_ERR_DB : IA_OK;
}

/* One rule; a finding it emitted that could not be stored fails it (ctx->emit_err). */
static enum ia_code
run_rule(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    if (rule->fn(ctx, rule, err) != IA_OK)
        return IA_ERR_DB;
    if (ctx->emit_failed) {
        *err = ctx->emit_err;
        return IA_ERR_DB;
    }
    return IA_OK;
}

/*
 * The trust pass (issue 16): trust rows are the run's largest table (hundreds of thousands of
 * rows in a large estate), so they are never all held at once. They are read one account at
 * a time, by an indexed query, into ctx->trusts (the window), and while a window is loaded:
 *   - each role's facts are worked out (row count, whether people can assume it, whether a
 *     row shows "*"), for the role rules that run after the pass;
 *   - role-privilege-escalation gathers the services and admin-role callers it needs;
 *   - the access paths into the window's roles are evaluated (rule_access.c);
 *   - the per_account rules of the table (the trust family) run over the window.
 * A window then makes way for the next; what survives is pooled strings and small tables.
 */
static enum ia_code
trust_pass(struct ia_an_ctx *ctx, struct ia_err *err)
{
    struct ia_db_stmt *st;
    char **accounts = NULL;
    size_t n_accounts = 0, alloc = 0, n_rules;
    enum ia_code rc = IA_ERR_DB;
    int r;
    const struct ia_rule *rules = ia_rules_table(&n_rules);

    if (ia_db_prepare(ctx->db, "analyser_trust_accounts", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    while ((r = ia_db_step(st, err)) == 1) {
        accounts = ia_xgrow(accounts, n_accounts + 1, &alloc, sizeof(*accounts));
        accounts[n_accounts++] = dup_col(ctx, st, 0);
    }
    ia_db_reset(st);
    if (r < 0)
        goto out;
    if (ia_an_access_begin(ctx, err) != IA_OK)
        goto out;
    for (size_t a = 0; a < n_accounts; a++) {
        struct trust_reader rd = { 0 };
        if (ia_db_prepare(ctx->db, "analyser_account_trusts", &st, err) != IA_OK)
            goto out;
        ia_db_bind_int(st, ":run_id", ctx->run_id);
        ia_db_bind_text(st, ":account_id", accounts[a]);
        ctx->n_trusts = 0;
        while ((r = ia_db_step(st, err)) == 1) {
            ctx->trusts =
                ia_xgrow(ctx->trusts, ctx->n_trusts + 1, &ctx->alloc_trusts, sizeof(*ctx->trusts));
            read_trust_row(ctx, &rd, st, &ctx->trusts[ctx->n_trusts++]);
        }
        ia_db_reset(st);
        if (r < 0)
            goto out;
        ctx->window = accounts[a];
        ctx->n_allows = 0;
        ctx->allows_built = 0;
        for (size_t i = 0; i < ctx->n_trusts;) {
            size_t j = i + 1, idx;
            while (j < ctx->n_trusts && ctx->trusts[j].role_name == ctx->trusts[i].role_name)
                j++;
            struct ia_an_role *ro = find_role(ctx, accounts[a], ctx->trusts[i].role_name, &idx);
            set_role_fields(&ctx->trusts[i], j - i, ro);
            if (ro) {
                ro->n_trust_rows = (int64_t)(j - i);
                ro->human = human_rows(ctx, &ctx->trusts[i], j - i);
                for (size_t k = i; k < j; k++)
                    if (strcmp(ctx->trusts[k].principal_type, "wildcard") == 0)
                        ro->read_star = 1;
                ia_an_escalation_gather(ctx, idx, &ctx->trusts[i], j - i);
                ia_an_access_role(ctx, idx, &ctx->trusts[i], j - i);
            }
            i = j;
        }
        for (size_t i = 0; i < n_rules; i++) {
            if (!rules[i].per_account)
                continue;
            if (run_rule(ctx, &rules[i], err) != IA_OK) {
                ia_err_prefix(err,
                              "analyse run %lld: rule %s (account %s): ", (long long)ctx->run_id,
                              rules[i].id, accounts[a]);
                goto out;
            }
        }
    }
    ia_an_access_end(ctx);
    rc = IA_OK;
out:
    ctx->n_trusts = 0;
    ctx->window = NULL;
    ctx->n_allows = 0;
    ctx->allows_built = 0;
    free(accounts);
    return rc;
}

/* Columns of analyser_users. */
enum {
    U_ACCOUNT,
    U_NAME,
    U_ARN,
    U_CREATED,
    U_PASSWORD,
    U_PW_USED,
    U_MFA_ACTIVE,
    U_ID,
    U_N_MFA,
    U_N_KEYS,
    U_KEY_USED
};

static enum ia_code
load_users(struct ia_an_ctx *ctx, struct ia_err *err)
{
    struct ia_db_stmt *st;
    size_t alloc = 0;
    int r;
    if (ia_db_prepare(ctx->db, "analyser_users", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    while ((r = ia_db_step(st, err)) == 1) {
        if (strcmp(ia_db_col_text(st, U_NAME), "<root_account>") == 0)
            continue;
        ctx->users = ia_xgrow(ctx->users, ctx->n_users + 1, &alloc, sizeof(*ctx->users));
        struct ia_an_user *u = &ctx->users[ctx->n_users++];
        u->account = dup_col(ctx, st, U_ACCOUNT);
        u->name = dup_col(ctx, st, U_NAME);
        u->arn = dup_col(ctx, st, U_ARN);
        u->created = dup_col(ctx, st, U_CREATED);
        u->pw_used = dup_col(ctx, st, U_PW_USED);
        u->key_used = dup_col(ctx, st, U_KEY_USED);
        u->password = ia_db_col_int(st, U_PASSWORD) == 1;
        u->password_unknown = ia_db_col_is_null(st, U_PASSWORD);
        u->mfa_active = ia_db_col_int(st, U_MFA_ACTIVE) == 1;
        u->n_mfa = ia_db_col_int(st, U_N_MFA);
        u->n_keys = ia_db_col_int(st, U_N_KEYS);
    }
    ia_db_reset(st);
    if (ctx->n_users)
        ctx->users = ia_xrealloc(ctx->users, ctx->n_users * sizeof(*ctx->users));
    return r < 0 ? IA_ERR_DB : IA_OK;
}

/* ---- fingerprints -------------------------------------------------------------------------- */

/*
 * FNV-1a 64 with two offset bases (the standard one, and the FNV-0 hash of "iam-audit"): two
 * independent 64-bit hashes, 128 bits together. Not cryptographic, and need not be: the
 * inputs are our own snapshot's names, and the value must never change between versions.
 */
static void
fnv_add(uint64_t *h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        *h ^= *p;
        *h *= UINT64_C(0x100000001b3);
    }
}

static void
fnv_sep(uint64_t *h)
{
    *h ^= 0x1f;
    *h *= UINT64_C(0x100000001b3);
}

void
ia_analyse_fingerprint(const char *rule_id, const char *account_id, const char *resource,
                       const char *principal, char out[33])
{
    const char *parts[4] = { rule_id, account_id ? account_id : "", resource,
                             principal ? principal : "" };
    uint64_t h1 = UINT64_C(0xcbf29ce484222325), h2 = UINT64_C(0x6c62272e07bb0142);
    for (int i = 0; i < 4; i++) {
        if (i) {
            fnv_sep(&h1);
            fnv_sep(&h2);
        }
        fnv_add(&h1, parts[i]);
        fnv_add(&h2, parts[i]);
    }
    /* The second hash also sees the length of the whole input, so the two differ in more
     * than their start. */
    size_t total = 3;
    for (int i = 0; i < 4; i++)
        total += strlen(parts[i]);
    for (int i = 0; i < 8; i++) {
        h2 ^= (uint64_t)((total >> (8 * i)) & 0xff);
        h2 *= UINT64_C(0x100000001b3);
    }
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h1, (unsigned long long)h2);
}

/* ---- context ------------------------------------------------------------------------------- */

static void
ctx_release(struct ia_an_ctx *ctx)
{
    for (size_t i = 0; i < ctx->n_accounts; i++) {
        free(ctx->accounts[i].id);
        free(ctx->accounts[i].name);
        free(ctx->accounts[i].status);
    }
    free(ctx->accounts);
    /* The trusts', roles' and users' strings are the pool's. */
    free(ctx->trusts);
    free(ctx->roles);
    free(ctx->users);
    strpool_free(ctx->pool);
    ia_an_verdicts_free(ctx->verdicts);
    free(ctx->allows);
    free(ctx->cond_memo);
    ia_an_access_free(ctx->access);
    ia_an_escalation_free(ctx->esc);
    for (size_t i = 0; i < ctx->n_base_user_names; i++)
        free(ctx->base_user_names[i]);
    free(ctx->base_user_names);
    ia_people_release(&ctx->leavers);
    ia_people_release(&ctx->roster);
    memset(ctx, 0, sizeof(*ctx));
}

static enum ia_code
load_run(struct ia_an_ctx *ctx, int64_t run_id, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;

    if (run_id == 0) {
        if (ia_db_prepare(ctx->db, "analyser_latest_run", &st, err) != IA_OK)
            return IA_ERR_DB;
        r = ia_db_step(st, err);
        if (r < 0)
            return IA_ERR_DB;
        if (r == 0) {
            ia_db_reset(st);
            return ia_err_set(err, IA_ERR_NOT_FOUND,
                              "the database has no complete or partial "
                              "run to analyse; run 'iam-audit collect' first");
        }
        run_id = ia_db_col_int(st, 0);
        ia_db_reset(st);
    }
    if (ia_db_prepare(ctx->db, "analyser_run", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", run_id);
    r = ia_db_step(st, err);
    if (r < 0)
        return IA_ERR_DB;
    if (r == 0) {
        ia_db_reset(st);
        return ia_err_set(err, IA_ERR_NOT_FOUND,
                          "run %lld does not exist; list runs with "
                          "'SELECT id, status FROM runs'",
                          (long long)run_id);
    }
    const char *status = ia_db_col_text(st, 1);
    if (!status || (strcmp(status, "complete") != 0 && strcmp(status, "partial") != 0)) {
        ia_err_set(err, IA_ERR_NOT_FOUND,
                   "run %lld is '%s', not complete or partial: its "
                   "snapshot is not whole; analyse another run with --run",
                   (long long)run_id, status ? status : "?");
        ia_db_reset(st);
        return IA_ERR_NOT_FOUND;
    }
    ia_db_reset(st);
    ctx->run_id = run_id;

    if (ia_db_prepare(ctx->db, "analyser_accounts", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", run_id);
    size_t alloc = 0;
    while ((r = ia_db_step(st, err)) == 1) {
        ctx->accounts =
            ia_xgrow(ctx->accounts, ctx->n_accounts + 1, &alloc, sizeof(*ctx->accounts));
        struct ia_an_account *a = &ctx->accounts[ctx->n_accounts++];
        a->id = ia_xstrdup(ia_db_col_text(st, 0));
        a->name = ia_xstrdup(ia_db_col_text(st, 1));
        a->status = ia_xstrdup(ia_db_col_text(st, 2));
        a->is_base = (int)ia_db_col_int(st, 3);
    }
    ia_db_reset(st);
    if (r < 0)
        return IA_ERR_DB;
    for (size_t i = 0; i < ctx->n_accounts; i++) {
        if (ctx->accounts[i].is_base) {
            ctx->base = ctx->accounts[i].id;
            ctx->base_ok = strcmp(ctx->accounts[i].status, "ok") == 0;
        }
    }
    if (!ctx->base && ctx->cfg && ctx->cfg->base_account) {
        const struct ia_an_account *a = ia_an_account(ctx, ctx->cfg->base_account);
        if (a) {
            ctx->base = a->id;
            ctx->base_ok = strcmp(a->status, "ok") == 0;
        }
    }
    if (!ctx->base)
        IA_LOG_WARN("analyser",
                    "msg=\"run has no base account: base-account rules are off\" "
                    "run=%lld fix=\"set [audit] base_account and collect again\"",
                    (long long)run_id);
    if (load_users(ctx, err) != IA_OK || load_roles(ctx, err) != IA_OK)
        return IA_ERR_DB;
    return IA_OK;
}

/*
 * Every rule of the table not run by the trust pass: those of the "exceptions" family
 * (after_exceptions 1) or the rest.
 */
static enum ia_code
run_rules(struct ia_an_ctx *ctx, int after_exceptions, struct ia_err *err)
{
    size_t n;
    const struct ia_rule *rules = ia_rules_table(&n);
    for (size_t i = 0; i < n; i++) {
        if (rules[i].per_account ||
            (strcmp(rules[i].family, "exceptions") == 0) != after_exceptions)
            continue;
        if (run_rule(ctx, &rules[i], err) != IA_OK) {
            ia_err_prefix(err, "analyse run %lld: rule %s: ", (long long)ctx->run_id, rules[i].id);
            return IA_ERR_DB;
        }
    }
    return IA_OK;
}

/*
 * The rules that cannot be evaluated without an input that was not given: a JSON array of
 * {"rule", "reason"} (new reference), recorded with the analysis so that their earlier
 * findings become 'not-checked', not resolved.
 */
static json_t *
not_checked_rules(const struct ia_analyse_paths *paths)
{
    static const char *const leaver_rules[] = { "leaver-present", "leaver-trusted-by-role",
                                                "leavers-matched-nobody", "leaver-has-access" };
    json_t *a = json_array();
    if (!paths || !paths->leavers)
        for (size_t i = 0; i < IA_ARRAY_LEN(leaver_rules); i++)
            if (ia_rules_find(leaver_rules[i]))
                json_array_append_new(
                    a, json_pack("{s:s, s:s}", "rule", leaver_rules[i], "reason",
                                 "no leavers file: set [audit] leavers or give --leavers"));
    if (!paths || !paths->roster)
        json_array_append_new(a, json_pack("{s:s, s:s}", "rule", "user-not-in-roster", "reason",
                                           "no roster file: set [audit] roster or give "
                                           "--roster"));
    return a;
}

/* "rule, rule (reason); rule (reason)" into out, grouping rules that share a reason. */
static void
not_checked_text(json_t *nc, char *out, size_t size)
{
    struct ia_buf b = IA_BUF_INIT;
    size_t n = json_array_size(nc);
    for (size_t i = 0; i < n; i++) {
        const char *rule = json_string_value(json_object_get(json_array_get(nc, i), "rule"));
        const char *why = json_string_value(json_object_get(json_array_get(nc, i), "reason"));
        const char *next =
            i + 1 < n ? json_string_value(json_object_get(json_array_get(nc, i + 1), "reason"))
                      : NULL;
        ia_buf_addstr(&b, rule);
        if (next && strcmp(next, why) == 0)
            ia_buf_addstr(&b, ", ");
        else
            ia_buf_addf(&b, " (%s)%s", why, i + 1 < n ? "; " : "");
    }
    snprintf(out, size, "%s", b.buf);
    ia_buf_release(&b);
}

enum ia_code
ia_analyse_run(struct ia_db *db, const struct ia_config *cfg, int64_t run_id,
               const struct ia_analyse_paths *paths, struct ia_analyse_summary *summary,
               struct ia_err *err)
{
    struct ia_an_ctx ctx;
    struct ia_exceptions exc = { 0 };
    struct ia_analyse_summary sum;
    json_t *warnings = json_array(), *not_checked = NULL;
    enum ia_code rc = IA_ERR_INVALID;

    memset(&ctx, 0, sizeof(ctx));
    memset(&sum, 0, sizeof(sum));
    ctx.db = db;
    ctx.cfg = cfg;
    ctx.rules = &cfg->rules;
    ctx.now = ia_time_now();
    ia_time_format_date(ctx.now, ctx.today);

    if ((rc = load_run(&ctx, run_id, err)) != IA_OK)
        goto out;
    if (paths && paths->leavers &&
        (rc = ia_people_load(paths->leavers, 1, &ctx.leavers, warnings, err)) != IA_OK)
        goto out;
    ctx.leavers_path = paths ? paths->leavers : NULL;
    if (paths && paths->roster) {
        if ((rc = ia_people_load(paths->roster, 0, &ctx.roster, warnings, err)) != IA_OK)
            goto out;
        ctx.have_roster = 1;
    }
    if (paths && paths->exceptions &&
        ((rc = ia_exceptions_load(paths->exceptions, &exc, err)) != IA_OK ||
         (rc = ia_exceptions_check(&exc, ctx.today, cfg->rules.max_exception_days, err)) != IA_OK))
        goto out;

    not_checked = not_checked_rules(paths);
    ctx.tally.worst = -1;
    /* One transaction from here: findings go to an_pending as the rules emit them. */
    if ((rc = ia_an_write_begin(&ctx, err)) != IA_OK)
        goto write_failed;
    if ((rc = trust_pass(&ctx, err)) != IA_OK || (rc = run_rules(&ctx, 0, err)) != IA_OK)
        goto out;
    if ((rc = ia_an_write_findings(&ctx, &exc, err)) != IA_OK)
        goto write_failed;
    /* The exceptions family comes after the others: it depends on what was matched. */
    ctx.exceptions = &exc;
    if ((rc = run_rules(&ctx, 1, err)) != IA_OK)
        goto out;
    if ((rc = ia_an_write_findings(&ctx, NULL, err)) != IA_OK ||
        (rc = ia_an_write_end(&ctx, paths, warnings, not_checked, err)) != IA_OK)
        goto write_failed;
    sum = ctx.tally;
    sum.run_id = ctx.run_id;
    sum.n_input_warnings = json_array_size(warnings);
    not_checked_text(not_checked, sum.not_checked, sizeof(sum.not_checked));
    *summary = sum;
    rc = IA_OK;
    goto out;
write_failed:
    ia_err_prefix(err, "write findings of run %lld: ", (long long)ctx.run_id);
out:
    if (ctx.in_txn)
        ia_db_rollback(db);
    ia_exceptions_release(&exc);
    ctx_release(&ctx);
    json_decref(warnings);
    json_decref(not_checked);
    return rc;
}
