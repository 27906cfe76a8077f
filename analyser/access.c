/*
 * The pure evaluation of access paths (analyser/access.h, docs/access.md). A person reaches a
 * role in AWS when the role's trust admits them (and no trust Deny removes them) and, in
 * another account than their own, their identity policies allow sts:AssumeRole on the role
 * (and no identity Deny removes it): IAM User Guide, "Cross-account policy evaluation logic".
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyser/access.h"
#include "core/buf.h"
#include "core/glob.h"
#include "core/mem.h"

const char *
ia_access_via_name(enum ia_access_via via)
{
    switch (via) {
    case IA_ACCESS_VIA_USER: return "user";
    case IA_ACCESS_VIA_ACCOUNT: return "account";
    case IA_ACCESS_VIA_WILDCARD: return "wildcard";
    }
    return "wildcard";
}

const char *
ia_access_role_kind(const struct ia_config_rules *rules, const char *name)
{
    const char *admin = rules && rules->admin_role_pattern ? rules->admin_role_pattern : "*admin*";
    const char *trusted =
        rules && rules->trusted_role_pattern ? rules->trusted_role_pattern : "*trusted*";
    const char *ro =
        rules && rules->readonly_role_pattern ? rules->readonly_role_pattern : "*read*only*";
    if (ia_glob_match(admin, name))
        return "admin";
    if (ia_glob_match(trusted, name))
        return "trusted";
    if (ia_glob_match(ro, name))
        return "readonly";
    return "other";
}

void
ia_access_paths_release(struct ia_access_paths *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].identity_via);
        free(p->items[i].conditions);
    }
    free(p->items);
    memset(p, 0, sizeof(*p));
}

/* ---- the role side -------------------------------------------------------------------------- */

static int
is_aws_kind(const struct ia_an_trust *t)
{
    return strcmp(t->principal_kind, "AWS") == 0 || strcmp(t->principal_kind, "*") == 0;
}

/* Does this principal value cover the user (for Deny and NotPrincipal)? */
static int
names_user(const struct ia_access_input *in, const struct ia_an_trust *t,
           const struct ia_access_user *u)
{
    if (!is_aws_kind(t))
        return 0;
    const char *ty = t->principal_type;
    if (!strcmp(ty, "wildcard"))
        return 1;
    if (!strcmp(ty, "user"))
        return strcasecmp(t->principal, u->arn) == 0;
    if (!strcmp(ty, "unique-id"))
        return u->user_id && strcmp(t->principal, u->user_id) == 0;
    if (!strcmp(ty, "account-root") || !strcmp(ty, "account-id"))
        return t->principal_account && strcmp(t->principal_account, in->base) == 0;
    return 0;
}

/* Condition keys that the evaluation itself decides (not "conditional"). */
static int
decided_key(const char *key, int pin_decided)
{
    if (!strcasecmp(key, "aws:MultiFactorAuthPresent") ||
        !strcasecmp(key, "aws:MultiFactorAuthAge"))
        return 1;
    return pin_decided &&
           (!strcasecmp(key, "aws:PrincipalAccount") || !strcasecmp(key, "aws:PrincipalOrgID"));
}

/* Whether a condition (JSON object) has a key the evaluation cannot decide. */
static int
undecided_condition(const char *cond, int pin_decided)
{
    if (!cond)
        return 0;
    json_t *c = json_loads(cond, 0, NULL);
    int found = 0;
    if (!json_is_object(c)) {
        found = 1; /* unreadable: cannot say it holds */
    } else {
        const char *op, *key;
        json_t *keys, *v;
        json_object_foreach(c, op, keys)
        {
            if (!json_is_object(keys)) {
                found = 1;
                continue;
            }
            json_object_foreach(keys, key, v)
            {
                if (!decided_key(key, pin_decided))
                    found = 1;
            }
        }
    }
    json_decref(c);
    return found;
}

/*
 * How a "*" Allow row admits the base account's people: 1 via the account when a condition
 * pins it to the base account (aws:PrincipalAccount, or aws:PrincipalOrgID = org_id), 0 not
 * at all when it pins another account, 2 as a wildcard otherwise.
 */
static int
wildcard_admits(const struct ia_access_input *in, const struct ia_an_trust *t, int *decided)
{
    int res = 2;
    *decided = 0;
    char **v = ia_policy_condition_values(t->conditions, "aws:PrincipalAccount");
    if (v) {
        res = 0;
        for (size_t i = 0; v[i]; i++)
            if (ia_glob_match(v[i], in->base))
                res = 1;
        *decided = 1;
        ia_policy_strv_free(v);
        if (res == 0)
            return 0;
    }
    v = ia_policy_condition_values(t->conditions, "aws:PrincipalOrgID");
    if (v) {
        if (in->org_id) {
            int ok = 0;
            for (size_t i = 0; v[i]; i++)
                if (ia_glob_match(v[i], in->org_id))
                    ok = 1;
            res = ok ? 1 : 0;
            *decided = 1;
        } else {
            *decided = 0; /* cannot tell: a wildcard, conditional */
        }
        ia_policy_strv_free(v);
    }
    return res;
}

/*
 * What a trust row says independently of the person, computed once per row: the JSON of its
 * actions and conditions is parsed here, not once per (person, role).
 */
struct row_facts {
    unsigned char assumes;        /* its actions cover sts:AssumeRole */
    unsigned char mfa_allow;      /* as an Allow, its condition requires MFA */
    unsigned char mfa_deny;       /* as a Deny, it applies exactly when MFA is missing */
    unsigned char undecided;      /* a condition key the evaluation cannot decide */
    unsigned char wild;           /* "*" rows: wildcard_admits() */
    unsigned char wild_undecided; /* undecided, with the account pin decided as wildcard_admits
                                     said */
};

static void
row_facts_of(const struct ia_access_input *in, const struct ia_an_trust *t, struct row_facts *f)
{
    int decided = 0;
    memset(f, 0, sizeof(*f));
    f->assumes = (unsigned char)ia_an_trust_assumes(t);
    if (!f->assumes)
        return;
    f->mfa_allow = ia_policy_condition_requires_mfa(t->conditions) == IA_POLICY_MFA_REQUIRED;
    f->mfa_deny = ia_policy_deny_requires_mfa(t->conditions) == IA_POLICY_MFA_REQUIRED;
    f->undecided = (unsigned char)undecided_condition(t->conditions, 0);
    if (!strcmp(t->principal_type, "wildcard") && !t->not_principal) {
        f->wild = (unsigned char)wildcard_admits(in, t, &decided);
        f->wild_undecided = (unsigned char)undecided_condition(t->conditions, decided);
    }
}

/* What the role side decided for one (user, role). */
struct trust_side {
    int admitted;
    enum ia_access_via via;
    int statement;
    int mfa; /* required on the chosen admission */
    int conditional;
    json_t *conds; /* array of the conditions that make it conditional */
};

/* Better admission: without MFA, unconditional, then the most specific principal. */
static int
better(int mfa, int cond, enum ia_access_via via, const struct trust_side *cur)
{
    if (!cur->admitted)
        return 1;
    if (mfa != cur->mfa)
        return mfa < cur->mfa;
    if (cond != cur->conditional)
        return cond < cur->conditional;
    return via < cur->via;
}

static void
add_cond(json_t **arr, const char *cond)
{
    if (!cond)
        return;
    json_t *c = json_loads(cond, 0, NULL);
    if (!c)
        c = json_string(cond);
    if (!*arr)
        *arr = json_array();
    json_array_append_new(*arr, c);
}

/*
 * The role side for user u over the trust rows t[0..n) of one role (all its statements).
 * Statements are runs of rows with the same statement_index.
 */
static void
eval_trust(const struct ia_access_input *in, const struct ia_an_trust *t,
           const struct row_facts *facts, size_t n, const struct ia_access_user *u,
           struct trust_side *out)
{
    memset(out, 0, sizeof(*out));
    const char *chosen_cond = NULL;
    int deny_mfa = 0, deny_cond = 0;
    json_t *deny_conds = NULL;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && t[j].statement_index == t[i].statement_index &&
               t[j].not_principal == t[i].not_principal)
            j++;
        const struct ia_an_trust *s = &t[i];
        int allow = strcmp(s->effect, "Allow") == 0;
        if (!facts[i].assumes) {
            i = j;
            continue;
        }
        if (s->not_principal) {
            int excluded = 0;
            for (size_t k = i; k < j; k++)
                if (names_user(in, &t[k], u))
                    excluded = 1;
            if (!excluded) {
                if (allow) {
                    int mfa = facts[i].mfa_allow;
                    int cond = facts[i].undecided;
                    if (better(mfa, cond, IA_ACCESS_VIA_WILDCARD, out)) {
                        out->admitted = 1;
                        out->via = IA_ACCESS_VIA_WILDCARD;
                        out->statement = s->statement_index;
                        out->mfa = mfa;
                        out->conditional = cond;
                        chosen_cond = cond ? s->conditions : NULL;
                    }
                } else if (!s->conditions) {
                    out->admitted = 0;
                    goto denied;
                } else if (facts[i].mfa_deny) {
                    deny_mfa = 1;
                } else {
                    deny_cond = 1;
                    add_cond(&deny_conds, s->conditions);
                }
            }
            i = j;
            continue;
        }
        for (size_t k = i; k < j; k++) {
            const struct ia_an_trust *r = &t[k];
            if (!allow) {
                if (!names_user(in, r, u))
                    continue;
                if (!r->conditions)
                    goto denied;
                if (facts[k].mfa_deny) {
                    deny_mfa = 1;
                } else {
                    deny_cond = 1;
                    add_cond(&deny_conds, r->conditions);
                }
                break;
            }
            if (!is_aws_kind(r))
                continue;
            enum ia_access_via via;
            int cond = facts[k].undecided;
            const char *ty = r->principal_type;
            if ((!strcmp(ty, "user") && !strcasecmp(r->principal, u->arn)) ||
                (!strcmp(ty, "unique-id") && u->user_id && !strcmp(r->principal, u->user_id)))
                via = IA_ACCESS_VIA_USER;
            else if ((!strcmp(ty, "account-root") || !strcmp(ty, "account-id")) &&
                     r->principal_account && !strcmp(r->principal_account, in->base))
                via = IA_ACCESS_VIA_ACCOUNT;
            else if (!strcmp(ty, "wildcard")) {
                if (facts[k].wild == 0)
                    continue;
                via = facts[k].wild == 1 ? IA_ACCESS_VIA_ACCOUNT : IA_ACCESS_VIA_WILDCARD;
                cond = facts[k].wild_undecided;
            } else
                continue;
            int mfa = facts[k].mfa_allow;
            if (better(mfa, cond, via, out)) {
                out->admitted = 1;
                out->via = via;
                out->statement = r->statement_index;
                out->mfa = mfa;
                out->conditional = cond;
                chosen_cond = cond ? r->conditions : NULL;
            }
        }
        i = j;
    }
    if (!out->admitted) {
        json_decref(deny_conds);
        return;
    }
    out->mfa = out->mfa || deny_mfa;
    if (chosen_cond)
        add_cond(&out->conds, chosen_cond);
    if (deny_cond) {
        out->conditional = 1;
        if (!out->conds)
            out->conds = json_array();
        json_array_extend(out->conds, deny_conds);
    }
    json_decref(deny_conds);
    return;
denied:
    json_decref(deny_conds);
    memset(out, 0, sizeof(*out));
}

/* ---- the identity side ---------------------------------------------------------------------- */

/* A statement of a person's policies whose Action covers sts:AssumeRole. */
struct rel_stmt {
    const struct ia_policy_statement *s;
    const char *label;
    unsigned char mfa;       /* Allow: its condition requires MFA */
    unsigned char mfa_deny;  /* Deny: it applies exactly when MFA is missing */
    unsigned char undecided; /* a condition key the evaluation cannot decide */
};

static int
action_matches(const struct ia_policy_statement *s)
{
    int any = 0;
    for (size_t i = 0; i < s->n_actions; i++)
        if (ia_glob_match(s->actions[i], "sts:AssumeRole"))
            any = 1;
    return s->not_action ? !any : any;
}

static int
resource_matches(const struct ia_policy_statement *s, const char *arn)
{
    if (s->n_resources == 0)
        return 1;
    int any = 0;
    for (size_t i = 0; i < s->n_resources; i++)
        if (ia_glob_match_cs(s->resources[i], arn))
            any = 1;
    return s->not_resource ? !any : any;
}

struct identity_side {
    int denied;
    const char *grant; /* label of a grant without MFA, else one with */
    int grant_no_mfa;
    int force_mfa; /* a Deny without MFA covers it */
    json_t *conds; /* conditional Denies (and conditional Allows) */
    int conditional;
};

static void
eval_identity(const struct rel_stmt *rs, size_t n, const char *arn, struct identity_side *out)
{
    memset(out, 0, sizeof(*out));
    const char *grant_mfa = NULL, *grant_cond = NULL;
    const char *cond_allow = NULL;
    int cond_mfa = 0;
    for (size_t i = 0; i < n; i++) {
        const struct ia_policy_statement *s = rs[i].s;
        if (!resource_matches(s, arn))
            continue;
        if (s->effect == IA_POLICY_DENY) {
            if (!s->condition) {
                out->denied = 1;
            } else if (rs[i].mfa_deny) {
                out->force_mfa = 1;
            } else {
                out->conditional = 1;
                add_cond(&out->conds, s->condition);
            }
            continue;
        }
        int mfa = rs[i].mfa, cond = rs[i].undecided;
        if (!mfa && !cond && !out->grant_no_mfa) {
            out->grant = rs[i].label;
            out->grant_no_mfa = 1;
        } else if (mfa && !cond && !grant_mfa) {
            grant_mfa = rs[i].label;
        } else if (cond && !grant_cond) {
            grant_cond = rs[i].label;
            cond_allow = s->condition;
            cond_mfa = mfa;
        }
    }
    if (!out->grant && grant_mfa)
        out->grant = grant_mfa;
    if (!out->grant && grant_cond) {
        out->grant = grant_cond;
        out->conditional = 1;
        add_cond(&out->conds, cond_allow);
        /* an MFA clause inside the conditional Allow still requires MFA */
        if (!cond_mfa)
            out->grant_no_mfa = 1;
    }
}

/* ---- the walk -------------------------------------------------------------------------------- */

/*
 * Role by role: for each role (with all its trust rows) the people its rows could admit are
 * found through an index of the users (by lower-cased ARN and by unique id); a role trusting
 * the base account as a whole, "*" or NotPrincipal could admit anyone, so every person whose
 * own policies concern sts:AssumeRole is a candidate (a person without such a statement can
 * only reach a role that names them, in their own account). Each (person, role) is evaluated
 * once; the paths are put in (user, role) order at the end.
 */
struct user_key {
    const char *key; /* lower-cased ARN (owned by the walk), or a unique id (borrowed) */
    size_t user;
};

struct ia_access_walk {
    const struct ia_access_input *in;
    struct ia_access_paths *out;
    struct user_key *keys;
    size_t n_keys;
    char **owned;
    size_t n_owned;
    struct rel_stmt *rel; /* every person's statements concerning sts:AssumeRole */
    size_t *rel_start, *rel_n;
    size_t *with_rel; /* the people who have any */
    size_t n_with_rel;
    size_t *stamp; /* per person: 1 + the last role they were a candidate for */
    size_t *cand, n_cand, alloc_cand;
    struct row_facts *facts;
    size_t alloc_facts;
    /* row facts by condition text (pooled: equal pointers, equal strings), direct-mapped */
    struct {
        const char *cond;
        struct row_facts f;
    } memo[256];
};

static int
cmp_user_key(const void *a, const void *b)
{
    const struct user_key *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->user < y->user ? -1 : x->user > y->user);
}

static int
cmp_path(const void *a, const void *b)
{
    const struct ia_access_path *x = a, *y = b;
    if (x->user != y->user)
        return x->user < y->user ? -1 : 1;
    return x->role < y->role ? -1 : x->role > y->role;
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

static long
find_role(const struct ia_access_input *in, const char *account, const char *name)
{
    size_t lo = 0, hi = in->n_roles;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(in->roles[mid].account, account);
        if (!c)
            c = strcmp(in->roles[mid].name, name);
        if (!c)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

struct ia_access_walk *
ia_access_walk_begin(const struct ia_access_input *in, struct ia_access_paths *out)
{
    memset(out, 0, sizeof(*out));
    if (!in->base || in->n_users == 0 || in->n_roles == 0)
        return NULL;
    struct ia_access_walk *w = ia_xcalloc(1, sizeof(*w));
    w->in = in;
    w->out = out;
    w->keys = ia_xcalloc(2 * in->n_users, sizeof(*w->keys));
    w->owned = ia_xcalloc(in->n_users, sizeof(*w->owned));
    w->rel_start = ia_xcalloc(in->n_users, sizeof(size_t));
    w->rel_n = ia_xcalloc(in->n_users, sizeof(size_t));
    w->with_rel = ia_xcalloc(in->n_users, sizeof(size_t));
    w->stamp = ia_xcalloc(in->n_users, sizeof(size_t));
    size_t n_rel = 0, alloc_rel = 0;
    for (size_t ui = 0; ui < in->n_users; ui++) {
        const struct ia_access_user *u = &in->users[ui];
        char *larn = lower_dup(u->arn);
        w->owned[w->n_owned++] = larn;
        w->keys[w->n_keys].key = larn;
        w->keys[w->n_keys++].user = ui;
        if (u->user_id) {
            w->keys[w->n_keys].key = u->user_id;
            w->keys[w->n_keys++].user = ui;
        }
        /* The person's statements that could concern sts:AssumeRole, once per person. */
        w->rel_start[ui] = n_rel;
        for (size_t p = 0; p < u->n_pols; p++) {
            const struct ia_policy *pol = u->pols[p].policy;
            for (size_t s = 0; pol && s < pol->n_statements; s++) {
                if (!action_matches(&pol->statements[s]))
                    continue;
                w->rel = ia_xgrow(w->rel, n_rel + 1, &alloc_rel, sizeof(*w->rel));
                const struct ia_policy_statement *ps = &pol->statements[s];
                w->rel[n_rel].s = ps;
                w->rel[n_rel].label = u->pols[p].label;
                w->rel[n_rel].mfa =
                    ia_policy_condition_requires_mfa(ps->condition) == IA_POLICY_MFA_REQUIRED;
                w->rel[n_rel].mfa_deny =
                    ia_policy_deny_requires_mfa(ps->condition) == IA_POLICY_MFA_REQUIRED;
                w->rel[n_rel++].undecided = (unsigned char)undecided_condition(ps->condition, 0);
            }
        }
        w->rel_n[ui] = n_rel - w->rel_start[ui];
        if (w->rel_n[ui])
            w->with_rel[w->n_with_rel++] = ui;
    }
    if (w->n_keys)
        qsort(w->keys, w->n_keys, sizeof(*w->keys), cmp_user_key);
    return w;
}

/* Add the people whose key equals key to the candidates of role (once per role). */
static void
add_key(struct ia_access_walk *w, const char *key, size_t role)
{
    size_t lo = 0, hi = w->n_keys;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(w->keys[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < w->n_keys && !strcmp(w->keys[lo].key, key); lo++) {
        size_t u = w->keys[lo].user;
        if (w->stamp[u] == role + 1)
            continue;
        w->stamp[u] = role + 1;
        w->cand = ia_xgrow(w->cand, w->n_cand + 1, &w->alloc_cand, sizeof(*w->cand));
        w->cand[w->n_cand++] = u;
    }
}

/* row_facts_of, with what depends only on the condition text remembered by its pointer. */
static void
facts_of(struct ia_access_walk *w, const struct ia_an_trust *t, struct row_facts *f)
{
    if (!t->conditions || !ia_an_trust_assumes(t) || !strcmp(t->principal_type, "wildcard")) {
        row_facts_of(w->in, t, f);
        return;
    }
    size_t h = ((uintptr_t)t->conditions >> 4) % IA_ARRAY_LEN(w->memo);
    if (w->memo[h].cond != t->conditions) {
        row_facts_of(w->in, t, &w->memo[h].f);
        w->memo[h].cond = t->conditions;
    }
    *f = w->memo[h].f;
}

void
ia_access_walk_role(struct ia_access_walk *w, size_t ri, const struct ia_an_trust *rows, size_t n)
{
    if (!w || n == 0)
        return;
    const struct ia_access_input *in = w->in;
    int is_broad = 0;
    w->n_cand = 0;
    for (size_t k = 0; k < n; k++) {
        const struct ia_an_trust *t = &rows[k];
        if (strcmp(t->effect, "Allow") != 0 || !is_aws_kind(t))
            continue;
        const char *ty = t->principal_type;
        if (t->not_principal || !strcmp(ty, "wildcard") ||
            ((!strcmp(ty, "account-root") || !strcmp(ty, "account-id")) && t->principal_account &&
             !strcmp(t->principal_account, in->base))) {
            is_broad = 1;
        } else if (!strcmp(ty, "user")) {
            char *key = lower_dup(t->principal);
            add_key(w, key, ri);
            free(key);
        } else if (!strcmp(ty, "unique-id")) {
            add_key(w, t->principal, ri);
        }
    }
    if (is_broad) {
        for (size_t i = 0; i < w->n_with_rel; i++) {
            size_t u = w->with_rel[i];
            if (w->stamp[u] == ri + 1)
                continue;
            w->stamp[u] = ri + 1;
            w->cand = ia_xgrow(w->cand, w->n_cand + 1, &w->alloc_cand, sizeof(*w->cand));
            w->cand[w->n_cand++] = u;
        }
    }
    if (w->n_cand == 0)
        return;
    w->facts = ia_xgrow(w->facts, n, &w->alloc_facts, sizeof(*w->facts));
    for (size_t k = 0; k < n; k++)
        facts_of(w, &rows[k], &w->facts[k]);

    const struct ia_access_role *ro = &in->roles[ri];
    int base_role = !strcmp(ro->account, in->base);
    struct ia_access_paths *out = w->out;
    for (size_t c = 0; c < w->n_cand; c++) {
        size_t ui = w->cand[c];
        const struct ia_access_user *u = &in->users[ui];
        /* The identity side first: cheap, and most roles fail it for most people. */
        struct identity_side is;
        eval_identity(w->rel + w->rel_start[ui], w->rel_n[ui], ro->arn, &is);
        if (is.denied || (!is.grant && !base_role)) {
            json_decref(is.conds);
            continue;
        }
        struct trust_side ts;
        eval_trust(in, rows, w->facts, n, u, &ts);
        if (!ts.admitted) {
            json_decref(is.conds);
            continue;
        }
        /* In the person's own account a trust naming them is enough (the role's trust is
           a resource policy granting them directly); an explicit Deny still wins. */
        int same_named = base_role && ts.via == IA_ACCESS_VIA_USER;
        if (is.denied || (!is.grant && !same_named)) {
            json_decref(ts.conds);
            json_decref(is.conds);
            continue;
        }
        out->items = ia_xgrow(out->items, out->n + 1, &out->alloc, sizeof(*out->items));
        struct ia_access_path *p = &out->items[out->n++];
        memset(p, 0, sizeof(*p));
        p->user = ui;
        p->role = ri;
        p->via = ts.via;
        p->trust_statement = ts.statement;
        if (same_named && !is.grant_no_mfa) {
            p->identity_via = ia_xstrdup("trust policy (same account)");
            p->mfa_identity = is.force_mfa;
        } else {
            p->identity_via = ia_xstrdup(is.grant);
            p->mfa_identity = is.force_mfa || !is.grant_no_mfa;
        }
        p->mfa_trust = ts.mfa;
        p->mfa_required = p->mfa_trust || p->mfa_identity;
        p->conditional = ts.conditional || is.conditional;
        if (p->conditional) {
            json_t *all = json_array();
            if (ts.conds)
                json_array_extend(all, ts.conds);
            if (is.conds)
                json_array_extend(all, is.conds);
            p->conditions = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
            json_decref(all);
        }
        json_decref(ts.conds);
        json_decref(is.conds);
    }
}

void
ia_access_walk_end(struct ia_access_walk *w)
{
    if (!w)
        return;
    if (w->out->n > 1)
        qsort(w->out->items, w->out->n, sizeof(*w->out->items), cmp_path);
    for (size_t i = 0; i < w->n_owned; i++)
        free(w->owned[i]);
    free(w->owned);
    free(w->keys);
    free(w->rel);
    free(w->rel_start);
    free(w->rel_n);
    free(w->with_rel);
    free(w->stamp);
    free(w->cand);
    free(w->facts);
    free(w);
}

void
ia_access_evaluate(const struct ia_access_input *in, struct ia_access_paths *out)
{
    struct ia_access_walk *w = ia_access_walk_begin(in, out);
    for (size_t i = 0; w && i < in->n_trusts;) {
        size_t j = i;
        while (j < in->n_trusts && !strcmp(in->trusts[j].account_id, in->trusts[i].account_id) &&
               !strcmp(in->trusts[j].role_name, in->trusts[i].role_name))
            j++;
        long r = find_role(in, in->trusts[i].account_id, in->trusts[i].role_name);
        if (r >= 0)
            ia_access_walk_role(w, (size_t)r, &in->trusts[i], j - i);
        i = j;
    }
    ia_access_walk_end(w);
}
