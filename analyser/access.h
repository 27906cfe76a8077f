/*
 * Effective access paths (issue 14, docs/access.md): which base-account user (person) can
 * assume which role, through which trust statement and which of their own policies, and
 * whether MFA is required on the way. The evaluation (ia_access_evaluate) is pure: plain
 * tables in, rows out; analyser/rule_access.c loads it from a run and writes access_paths.
 */
#ifndef IA_ANALYSER_ACCESS_H
#define IA_ANALYSER_ACCESS_H

#include <stddef.h>

#include "analyser/internal.h"
#include "core/config.h"
#include "core/policy.h"

/* One identity policy of a person (their own or one of their groups'). Borrowed. */
struct ia_access_policy {
    const char *label;              /* e.g. "group admins: inline assume" */
    const struct ia_policy *policy; /* parsed permission policy */
};

/* A person: a user of the base account. Every pointer borrowed. */
struct ia_access_user {
    const char *name, *arn, *user_id; /* user_id may be NULL */
    const struct ia_access_policy *pols;
    size_t n_pols;
};

/* A role of any audited account. Borrowed. */
struct ia_access_role {
    const char *account, *name, *arn;
};

/*
 * The evaluation's input. roles must be sorted by (account, name) and trusts by
 * (account_id, role_name) in strcmp order (as the analyser reads them); trust rows of a role
 * that is not in roles are ignored. org_id ([rules] organization_id) may be NULL.
 */
struct ia_access_input {
    const char *base; /* the base account id; NULL: no person, no path */
    const char *org_id;
    const struct ia_access_user *users;
    size_t n_users;
    const struct ia_access_role *roles;
    size_t n_roles;
    const struct ia_an_trust *trusts;
    size_t n_trusts;
};

enum ia_access_via {
    IA_ACCESS_VIA_USER,     /* the trust names the user (ARN or unique id) */
    IA_ACCESS_VIA_ACCOUNT,  /* the base account as a whole (root, bare id, "*" pinned to it) */
    IA_ACCESS_VIA_WILDCARD, /* "*" (or Allow with NotPrincipal that does not exclude them) */
};

/* One path: users[user] can assume roles[role]. Strings new, owned by the list. */
struct ia_access_path {
    size_t user, role;
    enum ia_access_via via;
    int trust_statement; /* the admitting Allow's statement index */
    char *identity_via;  /* the identity policy granting sts:AssumeRole, or "trust policy
                            (same account)" when the trust naming the user suffices */
    int mfa_required;    /* mfa_trust || mfa_identity */
    int mfa_trust;       /* the trust requires MFA (Allow condition or a Deny without MFA) */
    int mfa_identity;    /* the person's policies require MFA for sts:AssumeRole */
    int conditional;     /* a condition we cannot evaluate narrows the path */
    char *conditions;    /* those conditions, a JSON array of condition objects, or NULL */
};

struct ia_access_paths {
    struct ia_access_path *items; /* by user, then role (input order) */
    size_t n, alloc;
};

/*
 * Every path from every user of in to every role that admits them (docs/access.md, "The
 * evaluation"). Trust rows are indexed by principal first, so the work is per user over the
 * roles that could admit them, not users x roles. Fills *out (caller's storage, zeroed or
 * released; release with ia_access_paths_release). Cannot fail.
 */
void ia_access_evaluate(const struct ia_access_input *in, struct ia_access_paths *out);

/*
 * The same evaluation, role by role, for a caller that holds one role's trust rows at a time
 * (the analyser's trust pass): begin over in's users and roles (in->trusts unused), give each
 * role with all its rows, end. The paths come out as ia_access_evaluate's (by user, then
 * role). begin returns NULL when no path is possible (no base, no users, no roles): walk_role
 * and walk_end accept it. out is filled as in ia_access_evaluate.
 */
struct ia_access_walk;
struct ia_access_walk *ia_access_walk_begin(const struct ia_access_input *in,
                                            struct ia_access_paths *out);
void ia_access_walk_role(struct ia_access_walk *w, size_t role, const struct ia_an_trust *rows,
                         size_t n);
/* Put the paths in order and free w (NULL-safe). */
void ia_access_walk_end(struct ia_access_walk *w);

/* NULL-safe; zeroes p. */
void ia_access_paths_release(struct ia_access_paths *p);

/* "user", "account" or "wildcard"; static. */
const char *ia_access_via_name(enum ia_access_via via);

/*
 * "admin", "trusted", "readonly" or "other": the first of admin_role_pattern,
 * trusted_role_pattern, readonly_role_pattern the role name matches (rules may be NULL:
 * defaults *admin*, *trusted*, *read*only*). Static string.
 */
const char *ia_access_role_kind(const struct ia_config_rules *rules, const char *role_name);

/* ---- the analysis's paths (rule_access.c) --------------------------------------------------- */

struct ia_an_access; /* the loaded input and its paths, built once per analysis */

/*
 * The paths of ctx's run: loaded by ia_an_access_begin (base-account users, their and their
 * groups' policies, every role), evaluated role by role with ia_an_access_role as the trust
 * pass (analyse.c) reads each account's trust rows, put in order by ia_an_access_end.
 */
IA_MUST_USE enum ia_code ia_an_access_begin(struct ia_an_ctx *ctx, struct ia_err *err);
void ia_an_access_role(struct ia_an_ctx *ctx, size_t role, const struct ia_an_trust *rows,
                       size_t n);
void ia_an_access_end(struct ia_an_ctx *ctx);
/*
 * The run's paths, once the trust pass has built them (IA_BUG before). *out borrowed from ctx
 * until it is released.
 */
IA_MUST_USE enum ia_code ia_an_access_get(struct ia_an_ctx *ctx, const struct ia_an_access **out,
                                          struct ia_err *err);
/* The input and the paths of a built ia_an_access (borrowed). */
const struct ia_access_input *ia_an_access_input(const struct ia_an_access *a);
const struct ia_access_paths *ia_an_access_paths(const struct ia_an_access *a);
/* Write the run's paths into access_paths, replacing earlier ones (inside the caller's
 * transaction). */
IA_MUST_USE enum ia_code ia_an_access_write(struct ia_an_ctx *ctx, struct ia_err *err);
/* NULL-safe. */
void ia_an_access_free(struct ia_an_access *a);

#endif
