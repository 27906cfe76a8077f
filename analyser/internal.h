/*
 * Shared between the analyser's files; not used outside analyser/ (tests excepted).
 * A rule family (rule_<family>.c) reads the snapshot through ctx->db and emits findings with
 * ia_an_emit; analyse.c then applies exceptions, fingerprints, history, and writes them.
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
    char *id;           /* e-mail or user name, trimmed and lower-cased */
    char date[11];      /* YYYY-MM-DD */
    time_t when;        /* midnight UTC of that date */
    int line;           /* line in the file */
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
enum ia_code ia_people_load(const char *path, int with_date, struct ia_people *out,
                            json_t *warnings, struct ia_err *err);
void ia_people_release(struct ia_people *p);
/* The entry whose id equals name case-insensitively (after trimming), or NULL. */
const struct ia_leaver *ia_people_find(const struct ia_people *p, const char *name);

/* ---- exceptions (exceptions.c) ------------------------------------------------------------- */

struct ia_exception {
    char *name;
    char **rules;       /* NULL-terminated rule ids, or a single "*" */
    char *resource;     /* glob over the resource ARN */
    char *reason, *owner, *ticket;
    char expires[11];   /* YYYY-MM-DD, the last day it applies */
    int line;           /* line of the section header */
    int expired;        /* set by the analyser against now */
    size_t matched;     /* findings it matched (suppressed) */
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
enum ia_code ia_exceptions_load(const char *path, struct ia_exceptions *out,
                                struct ia_err *err);
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
};

struct ia_an_finding {
    const struct ia_rule *rule;
    enum ia_severity severity;
    char *account_id;     /* may be NULL */
    char *resource;
    char *principal;      /* may be NULL */
    char *title;
    json_t *evidence;     /* owned */
    char fingerprint[33];
    const char *suppressed_by; /* borrowed from the exceptions */
    char first_seen[11];
    int persisting;
};

struct ia_an_ctx {
    struct ia_db *db;
    const struct ia_config_rules *rules;
    const struct ia_config *cfg;
    int64_t run_id;
    time_t now;
    char today[11];
    struct ia_an_account *accounts;
    size_t n_accounts;
    const char *base;     /* base account id (borrowed), or NULL when the run has none */
    int base_ok;          /* the base account was collected (status ok) in this run */
    struct ia_an_trust *trusts; /* every trust row of the run, by (account, role, stmt) */
    size_t n_trusts;
    struct ia_people leavers;
    const char *leavers_path; /* borrowed; NULL when no leavers file was given */
    int have_roster;
    struct ia_people roster;
    struct ia_an_finding *findings;
    size_t n_findings, alloc_findings;
};

/*
 * Record a finding. evidence is stolen and must not be NULL (a failed json_pack is a bug:
 * IA_BUG). account and principal may be NULL. The rule must be in the table (IA_BUG
 * otherwise).
 */
void ia_an_emit(struct ia_an_ctx *ctx, const char *rule_id, enum ia_severity sev,
                const char *account, const char *resource, const char *principal,
                json_t *evidence, const char *title_fmt, ...)
    __attribute__((format(printf, 8, 9)));

/* The account with this id in the run, or NULL. */
const struct ia_an_account *ia_an_account(const struct ia_an_ctx *ctx, const char *id);

/* The trust rows of one role (borrowed from ctx; *n 0 and NULL when none). */
const struct ia_an_trust *ia_an_role_trusts(const struct ia_an_ctx *ctx, const char *account,
                                            const char *role, size_t *n);
/* Whether a trust row's Action (or NotAction) lets the principal call sts:AssumeRole*. */
int ia_an_trust_assumes(const struct ia_an_trust *t);
/*
 * Whether a role can be assumed by people: an Allow (not NotPrincipal) on sts:AssumeRole for
 * an AWS principal that is an IAM user, or the base account as a whole.
 */
int ia_an_human_assumable(const struct ia_an_ctx *ctx, const char *account, const char *role);

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

/* The rule families. Each returns IA_OK or IA_ERR_DB with err set. */
enum ia_code ia_rules_mfa(struct ia_an_ctx *ctx, struct ia_err *err);
enum ia_code ia_rules_leavers(struct ia_an_ctx *ctx, struct ia_err *err);
enum ia_code ia_rules_roles(struct ia_an_ctx *ctx, struct ia_err *err);
enum ia_code ia_rules_trust(struct ia_an_ctx *ctx, struct ia_err *err);
enum ia_code ia_rules_catalogue(struct ia_an_ctx *ctx, struct ia_err *err);
/* audit-role-broader, audit-runner-broader (own.c). */
enum ia_code ia_rules_own(struct ia_an_ctx *ctx, struct ia_err *err);

#endif
