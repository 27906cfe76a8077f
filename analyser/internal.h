/*
 * Shared between the analyser's files; not used outside analyser/ (tests excepted).
 * Each rule of the table (rules.c) is one function in rule_<family>.c that reads the snapshot
 * through ctx and emits findings with ia_an_emit; analyse.c then applies exceptions,
 * fingerprints, history, and writes them.
 */
#ifndef IA_ANALYSER_INTERNAL_H
#define IA_ANALYSER_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "analyser/analyser.h"
#include "core/buf.h"

/* ---- leavers and roster (leavers.c) -------------------------------------------------------- */

struct ia_leaver {
    char *id;      /* e-mail or user name, trimmed and lower-cased */
    char date[11]; /* YYYY-MM-DD */
    time_t when;   /* midnight UTC of that date */
    int line;      /* line in the file */
};

struct ia_people {
    struct ia_leaver *items; /* leavers (date set) or roster entries (date empty) */
    size_t n, alloc;
};

/*
 * Read a leavers CSV (with_date 1: header with email or username, and leaving_date) or a
 * roster CSV (with_date 0: header with email or username), as spreadsheets export them: ','
 * ';' or TAB between fields (sniffed from the header), header names matched ignoring case,
 * spaces, '_' and '-' (with a few aliases: docs/rules.md), dates ISO YYYY-MM-DD or day-first
 * D/M/YYYY. *out is caller's storage (ia_people_release). IA_ERR_CONFIG, "FILE:LINE: problem;
 * fix (header found: ...)", for a missing file or header column and for any row that cannot
 * be read (no id, a date that is neither form): a row is never skipped. warnings is unused.
 */
IA_MUST_USE enum ia_code ia_people_load(const char *path, int with_date, struct ia_people *out,
                                        json_t *warnings, struct ia_err *err);
void ia_people_release(struct ia_people *p);
/* The entry whose id equals name case-insensitively (after trimming), or NULL. */
const struct ia_leaver *ia_people_find(const struct ia_people *p, const char *name);

/* ---- exceptions (exceptions.c) ------------------------------------------------------------- */

struct ia_exception {
    char *name;
    char **rules;   /* NULL-terminated rule ids, or a single "*" */
    char *resource; /* glob over the resource ARN */
    char *reason, *owner, *ticket;
    char expires[11];  /* YYYY-MM-DD, the last day it applies */
    int line;          /* line of the section header */
    int resource_line; /* line of resource = */
    int expires_line;  /* line of expires = */
    int expired;       /* set by the analyser against now */
    size_t matched;    /* findings it matched (suppressed) */
};

struct ia_exceptions {
    char *path;
    struct ia_exception *items;
    size_t n, alloc;
};

/*
 * Read an exceptions INI file. Unknown keys, a missing rule/resource/reason/expires, an
 * unknown rule id or a malformed date are IA_ERR_CONFIG "FILE:LINE: problem; fix".
 * *out is caller's storage (ia_exceptions_release).
 */
IA_MUST_USE enum ia_code ia_exceptions_load(const char *path, struct ia_exceptions *out,
                                            struct ia_err *err);
/*
 * Refuse exceptions that would hide too much (IA_ERR_CONFIG "FILE:LINE: problem; fix"): a
 * rule list of * together with a resource glob that matches every IAM ARN (it would
 * suppress every finding), and an expires more than max_days after today (YYYY-MM-DD).
 */
IA_MUST_USE enum ia_code ia_exceptions_check(const struct ia_exceptions *x, const char *today,
                                             int max_days, struct ia_err *err);
void ia_exceptions_release(struct ia_exceptions *x);
/* The first unexpired exception covering (rule_id, resource), or NULL. */
struct ia_exception *ia_exceptions_match(struct ia_exceptions *x, const char *rule_id,
                                         const char *resource);

/* ---- the analysis context ------------------------------------------------------------------ */

struct ia_an_account {
    char *id, *name, *status;
    int is_base;
};

/* One row of the trusts table, with the role's path. Strings owned by the context. */
struct ia_an_trust {
    char *account_id, *role_name, *role_arn, *sid, *effect, *principal_kind, *principal;
    char *principal_account, *principal_type, *actions, *conditions, *path, *role_last_used;
    int statement_index, not_principal, not_action;
    int assumes; /* ia_an_trust_assumes, worked out once when the row is loaded */
};

struct ia_an_finding {
    const struct ia_rule *rule;
    enum ia_severity severity;
    const char *account_id; /* may be NULL; account_id, resource and principal are borrowed
                               (the pool's at emit, copies while history.c writes them) */
    const char *resource;
    const char *principal; /* may be NULL */
    char *title;
    char *evidence; /* owned: compact JSON, keys sorted (as written), built at emit */
    char fingerprint[33];
    const char *suppressed_by; /* borrowed from the exceptions */
    char first_seen[11];
    int persisting;
};

struct ia_an_allow;
struct ia_an_strpool;
struct ia_an_verdicts;
/* Free the policy verdicts rule_roles.c kept for one analysis. NULL-safe. */
void ia_an_verdicts_free(struct ia_an_verdicts *v);

/*
 * One row of analyser_users, read once per analysis for every user rule (the credential
 * report's "<root_account>" row left out: the root-* rules read it). Strings owned by the
 * context; any may be NULL except account, name and arn.
 */
struct ia_an_user {
    char *account, *name, *arn, *created, *pw_used, *key_used;
    int password;         /* a console password is enabled */
    int password_unknown; /* NULL in the snapshot: unknown, never read as "no password" */
    int mfa_active;       /* the credential report says mfa_active */
    int64_t n_mfa;        /* MFA devices listed */
    int64_t n_keys;       /* active access keys */
};

/*
 * One row of the roles table (analyser_roles). Strings owned by the context. The last fields
 * are what the role's trust rows say, worked out by the trust pass (analyse.c) before the
 * rules that read them run.
 */
struct ia_an_role {
    char *account, *name, *arn, *path, *created, *last_used, *trust_error;
    int64_t n_trust_rows;
    int human;     /* people can assume it: ia_an_human_assumable */
    int read_star; /* a row read from its trust policy has a "*" principal */
};

struct ia_an_esc;
/* Free what rule_escalation.c gathered in the trust pass. NULL-safe. */
void ia_an_escalation_free(struct ia_an_esc *e);
/* Gather, in the trust pass, what role-privilege-escalation needs of role ctx->roles[role]'s
 * trust rows (rows[0..n), the current window's): the services and the admin roles' callers. */
void ia_an_escalation_gather(struct ia_an_ctx *ctx, size_t role, const struct ia_an_trust *rows,
                             size_t n);

struct ia_an_ctx {
    struct ia_db *db;
    const struct ia_config_rules *rules;
    const struct ia_config *cfg;
    int64_t run_id;
    time_t now;
    char today[11];
    struct ia_an_account *accounts;
    size_t n_accounts;
    const char *base;           /* base account id (borrowed), or NULL when the run has none */
    int base_ok;                /* the base account was collected (status ok) in this run */
    struct ia_an_trust *trusts; /* the trust pass's window: one account's trust rows, by
                                   (role, statement); empty outside the pass (analyse.c) */
    size_t n_trusts, alloc_trusts;
    const char *window;       /* the account of the window (pooled), or NULL */
    struct ia_an_role *roles; /* every role of the run, by (account, name) */
    size_t n_roles;
    struct ia_an_user *users; /* every user of the run, by (account, name) */
    size_t n_users;
    struct ia_exceptions *exceptions; /* borrowed; applied before the "exceptions" rules run */
    struct ia_an_allow *allows;       /* the window's Allow rows for the trust rules (rule_trust.c),
                                         built on first use in each window; owns nothing else */
    size_t n_allows, alloc_allows;
    struct ia_an_cond_memo *cond_memo; /* the trust rules' condition facts (rule_trust.c); freed
                                          with free() */
    int allows_built;
    struct ia_an_access *access; /* access paths (analyser/access.h), built in the trust pass */
    struct ia_an_esc *esc;       /* role-privilege-escalation's gathering (rule_escalation.c) */
    char **base_user_names;      /* the base account's user names, lower-cased and sorted, read
                                    once for trust-dangling-principal (rule_trust.c) */
    size_t n_base_user_names;
    int base_user_names_read;
    struct ia_people leavers;
    const char *leavers_path; /* borrowed; NULL when no leavers file was given */
    int have_roster;
    struct ia_people roster;
    /* Findings are not kept: ia_an_emit appends each to the an_pending temporary table of the
     * analysis's transaction (history.c), and the finishing steps stream them from there. */
    int64_t n_emitted;
    int emit_failed; /* a write to an_pending failed: emit_err says why */
    struct ia_err emit_err;
    int in_txn;                      /* the analysis's transaction is open */
    struct ia_analyse_summary tally; /* counted as the findings are written */
    struct ia_an_strpool *pool;      /* the strings of trusts, roles and users (analyse.c) */
    struct ia_an_verdicts *verdicts; /* policy verdicts per document set (rule_roles.c) */
};

/*
 * Record a finding of rule (an entry of the rule table). sev is normally rule->severity; a
 * finding at another severity must say why in its evidence ("severity_reason"): IA_BUG
 * otherwise, like a failed json_pack (evidence is stolen and must not be NULL). account and
 * principal may be NULL.
 */
void ia_an_emit(struct ia_an_ctx *ctx, const struct ia_rule *rule, enum ia_severity sev,
                const char *account, const char *resource, const char *principal, json_t *evidence,
                const char *title_fmt, ...) __attribute__((format(printf, 8, 9)));

/* The analysis's one copy of s (NULL for NULL): borrowed until the context is released. */
const char *ia_an_intern(struct ia_an_ctx *ctx, const char *s);

/* The account with this id in the run, or NULL. */
const struct ia_an_account *ia_an_account(const struct ia_an_ctx *ctx, const char *id);

/* The trust rows of one role of the trust pass's window (borrowed from ctx; *n 0 and NULL
 * when none, or when the role is not in the window). */
const struct ia_an_trust *ia_an_role_trusts(const struct ia_an_ctx *ctx, const char *account,
                                            const char *role, size_t *n);
/* One role's trust rows read from the snapshot (an indexed query, for the few roles a rule
 * looks at outside the pass): *rows new (free with free(); strings pooled), *n set. */
IA_MUST_USE enum ia_code ia_an_role_trusts_read(struct ia_an_ctx *ctx, const char *account,
                                                const char *role, struct ia_an_trust **rows,
                                                size_t *n, struct ia_err *err);
/* Whether a trust row's Action (or NotAction) lets the principal call sts:AssumeRole*. */
int ia_an_trust_assumes(const struct ia_an_trust *t);
/* Work out whether a trust row's Action / NotAction admits sts:AssumeRole* (what
 * ia_an_trust_assumes returns once the row is loaded; rows built by hand call this). */
int ia_an_trust_compute_assumes(const struct ia_an_trust *t);
/*
 * The audited account a "*" principal is pinned to: an Allow with Principal "*" (or
 * {"AWS": "*"}) whose condition requires aws:PrincipalAccount to be one literal account id of
 * this run is a trust of that account as a whole; one requiring aws:PrincipalOrgID to be
 * [rules] organization_id (the base account's organisation) is a trust of the base account.
 * Returns the id (borrowed from ctx), or NULL.
 */
const char *ia_an_trust_pinned_account(const struct ia_an_ctx *ctx, const struct ia_an_trust *t);
/*
 * Whether a role can be assumed by people: an Allow (not NotPrincipal) on sts:AssumeRole for
 * an AWS principal that is an IAM user, or the base account as a whole (its root, its bare
 * id, or "*" pinned to it by aws:PrincipalAccount). Worked out by the trust pass.
 */
int ia_an_human_assumable(const struct ia_an_role *ro);

/* Whole days from iso (ISO 8601) to ctx->now; -1 when iso is NULL or unparsable. */
long ia_an_days_since(const struct ia_an_ctx *ctx, const char *iso);
/* json_string, or json_null for NULL. New reference. */
json_t *ia_an_jstr(const char *s);
/* The last '/'-separated part of an ARN (a user or role name). Borrowed from arn. */
const char *ia_an_arn_name(const char *arn);
/* Whether a role path marks a service-linked role ("/aws-service-role/..."). */
int ia_an_service_linked(const char *path);

/* ---- iam-audit's own identities (own.c) ----------------------------------------------------- */

enum ia_own_kind {
    IA_OWN_NONE = 0,
    IA_OWN_AUDIT_ROLE, /* [audit] role_name in any account, base_role_arn, an account's
                          role_arn, [organization] role_arn */
    IA_OWN_RUNNER,     /* [audit] runner: the user or role that assumes the audit roles */
};

/*
 * THE decision whether a user or role ARN (path allowed) is iam-audit's own, from the
 * configuration alone; rules ask here rather than deciding for themselves.
 */
enum ia_own_kind ia_an_own(const struct ia_an_ctx *ctx, const char *arn);
/*
 * Whether a finding of rule_id on resource treats iam-audit's own role as a human role or
 * its runner as a person (trust-no-mfa, role-unused, user-no-mfa...): ia_an_emit drops it;
 * ia_rules_own checks least privilege instead.
 */
int ia_an_own_exempt(const struct ia_an_ctx *ctx, const char *rule_id, const char *resource);

/* One function per rule of the table (rules.c), in rule_<family>.c: see ia_rule_fn. */
ia_rule_fn ia_rule_user_no_mfa, ia_rule_mfa_device_name_prefix, ia_rule_root_no_mfa,
    ia_rule_root_access_key, ia_rule_password_policy_weak, ia_rule_user_name_not_email,
    ia_rule_user_not_in_group, ia_rule_team_account_user;
ia_rule_fn ia_rule_leaver_present, ia_rule_leaver_trusted_by_role, ia_rule_user_not_in_roster,
    ia_rule_user_inactive, ia_rule_access_key_unused, ia_rule_access_key_old;
ia_rule_fn ia_rule_bootstrap_role_present, ia_rule_trust_policy_unreadable, ia_rule_role_unused,
    ia_rule_role_name_nonstandard, ia_rule_readonly_role_side_effects,
    ia_rule_role_privilege_escalation;
ia_rule_fn ia_rule_trust_wildcard_principal, ia_rule_trust_account_root, ia_rule_trust_no_mfa,
    ia_rule_trust_mfa_if_exists, ia_rule_trust_external_account, ia_rule_trust_dangling_principal,
    ia_rule_trust_not_principal, ia_rule_trust_federated_unscoped;
ia_rule_fn ia_rule_exception_expired, ia_rule_exception_unused;
ia_rule_fn ia_rule_trusted_role_iam_admin, ia_rule_policy_unknown_action;
ia_rule_fn ia_rule_leavers_matched_nobody, ia_rule_audit_role_broader, ia_rule_audit_runner_broader;
ia_rule_fn ia_rule_access_without_mfa, ia_rule_leaver_has_access; /* rule_access.c */

/* ---- role helpers shared by rule_roles.c and rule_escalation.c ---- */

/* The role's policies, as evidence ([{kind, name, arn}]) and, with docs, their documents. */
struct ia_an_policy_docs {
    char **docs;  /* NUL-terminated documents, for ia_policy_side_effects */
    char **names; /* the policy each document came from */
    size_t n, alloc_docs, alloc_names;
    json_t *list;   /* [{kind, name, arn}] */
    json_t *unread; /* attached policies whose document the run does not hold */
};

/* The role's policies (inline, attached: customer- and AWS-managed), with their documents when
 * with_docs; *out is the caller's (release with ia_an_policy_docs_release). */
IA_MUST_USE enum ia_code ia_an_role_policies(struct ia_an_ctx *ctx, const struct ia_an_role *ro,
                                             int with_docs, struct ia_an_policy_docs *out,
                                             struct ia_err *err);
void ia_an_policy_docs_release(struct ia_an_policy_docs *p);
/* An attached policy's document as the run holds it (customer- or AWS-managed): *out new, or
 * NULL when the run does not hold it. */
IA_MUST_USE enum ia_code ia_an_attached_doc(struct ia_an_ctx *ctx, const char *arn, char **out,
                                            struct ia_err *err);
/* Whether the role's name matches [rules] bootstrap_role_pattern. */
int ia_an_is_bootstrap(const struct ia_an_ctx *ctx, const struct ia_an_role *ro);

/* ---- analyse.c / history.c ---- */

/* Evidence as stored: compact, keys sorted (new string); and back as JSON (new reference). */
char *ia_an_evidence_text(const json_t *ev);
json_t *ia_an_evidence_tree(const struct ia_an_finding *f);
/*
 * The analysis's one transaction (history.c): begin (BEGIN IMMEDIATE, an empty an_pending,
 * the run's earlier findings deleted) before the rules; ia_an_pending_add for each finding as
 * it is emitted (a failure is kept in ctx->emit_err); ia_an_write_findings streams an_pending
 * into the findings table, with x: duplicates joined (worst kept, the rest under "also"),
 * exceptions applied; without x: as emitted (the exceptions family's findings); each linked to
 * its history and counted in ctx->tally; end writes the analysis row and the access paths and
 * commits. On a failure the caller rolls back (ctx->in_txn).
 */
IA_MUST_USE enum ia_code ia_an_write_begin(struct ia_an_ctx *ctx, struct ia_err *err);
void ia_an_pending_add(struct ia_an_ctx *ctx, const struct ia_an_finding *f);
IA_MUST_USE enum ia_code ia_an_write_findings(struct ia_an_ctx *ctx, struct ia_exceptions *x,
                                              struct ia_err *err);
IA_MUST_USE enum ia_code ia_an_write_end(struct ia_an_ctx *ctx,
                                         const struct ia_analyse_paths *paths, json_t *warnings,
                                         json_t *not_checked, struct ia_err *err);

#endif
