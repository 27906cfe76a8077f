/*
 * The analyser: reads one run's snapshot from the database, evaluates every rule of the rule
 * table (analyser/rules.c, docs/rules.md), and writes the findings of that run back into the
 * database with stable fingerprints and run-to-run history. It never reaches the network.
 */
#ifndef IA_ANALYSER_ANALYSER_H
#define IA_ANALYSER_ANALYSER_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "sql/db.h"

/* Severities, ordered: a higher value is worse. Names are the database values. */
enum ia_severity {
    IA_SEV_INFO = 0,
    IA_SEV_LOW,
    IA_SEV_MEDIUM,
    IA_SEV_HIGH,
    IA_SEV_CRITICAL,
};
#define IA_SEV_COUNT 5

/* "info" ... "critical"; static string. */
const char *ia_severity_name(enum ia_severity sev);
/* Parse a severity name (case-insensitive). Returns 0 and sets *out, or -1. */
int ia_severity_parse(const char *name, enum ia_severity *out);

struct ia_rule;
struct ia_an_ctx; /* analyser/internal.h */

/*
 * The function that evaluates one rule over one analysis: it reads the snapshot through ctx
 * and records its findings with ia_an_emit(ctx, rule, ...). Returns IA_OK, or IA_ERR_DB with
 * err set. Rules of the "exceptions" family run after the exceptions have been applied.
 */
typedef enum ia_code ia_rule_fn(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                                struct ia_err *err);

/*
 * Evidence keys that other parts read back (reports/, the e-mail summaries): one spelling,
 * defined here and used by the rules that write them and the readers alike.
 */
#define IA_EV_LEAVING_DATE "leaving_date"             /* YYYY-MM-DD, from the leavers file */
#define IA_EV_DAYS_SINCE_LEAVING "days_since_leaving" /* integer days, at the run */
#define IA_EV_SEVERITY_REASON "severity_reason"       /* why a finding left its default */

/* One entry of the rule table. Every string is static. */
struct ia_rule {
    const char *id;            /* stable id, e.g. "trust-no-mfa" */
    enum ia_severity severity; /* default severity; a finding that differs says why in its
                                  evidence's severity_reason */
    const char *family;        /* "mfa", "leavers", "roles", "trust", "own", "exceptions" */
    const char *title;         /* one line */
    ia_rule_fn *fn;            /* evaluates this rule and nothing else */
    int per_account;           /* 1: fn reads trust rows, and is called once per account with
                                  that account's rows (the trust pass), never all at once */
};

/* The rule table, in documentation order (borrowed, static); *n set to its length. */
const struct ia_rule *ia_rules_table(size_t *n);
/* The rule with this id, or NULL. */
const struct ia_rule *ia_rules_find(const char *id);

/* Optional inputs; each may be NULL. Borrowed for the duration of the call. */
struct ia_analyse_paths {
    const char *leavers;    /* CSV: email or username, leaving_date */
    const char *roster;     /* CSV: email (or username) of every current person */
    const char *exceptions; /* INI: [exception NAME] sections */
};

/* What one analysis produced. Caller's storage; plain values only. */
struct ia_analyse_summary {
    int64_t run_id;
    size_t total;                     /* findings written, suppressed included */
    size_t by_severity[IA_SEV_COUNT]; /* unsuppressed findings per severity */
    size_t n_new, n_persisting;       /* unsuppressed, by status */
    size_t n_suppressed;
    size_t n_input_warnings; /* input warnings recorded (none since rows that
                                cannot be read are errors) */
    int worst;               /* worst unsuppressed severity, or -1 when none */
    /* Rules not evaluated for want of an input, "rule (reason); ..." ("" when every rule
     * ran): also in analyses.not_checked, the workbook's Summary and `diff`. */
    char not_checked[512];
};

/*
 * Analyse run_id (0: the latest complete or partial run) of db with cfg's [rules] and the
 * given inputs. Replaces any earlier analysis of the same run in ONE transaction: the
 * findings, and the analyses row (with input warnings as a JSON array). first_seen and status
 * come from the most recent earlier analysed run, matched by fingerprint; for a rule that run
 * did not evaluate (summary->not_checked), from the latest earlier run that did.
 * Returns IA_OK and fills *summary; IA_ERR_CONFIG for an unreadable or invalid leavers,
 * roster or exceptions file, a leaver/roster row included (message "FILE:LINE: problem; fix");
 * IA_ERR_NOT_FOUND when the run does not exist or is not analysable; IA_ERR_DB on a database
 * failure (nothing written).
 */
IA_MUST_USE enum ia_code ia_analyse_run(struct ia_db *db, const struct ia_config *cfg,
                                        int64_t run_id, const struct ia_analyse_paths *paths,
                                        struct ia_analyse_summary *summary, struct ia_err *err);

/*
 * The fingerprint of a finding: 32 lower-case hex digits, a pure function of (rule id,
 * account id, resource ARN, principal), never of row ids; account and principal may be NULL.
 * Two 64-bit FNV-1a hashes with different offset bases, over the fields joined by 0x1f
 * (docs/rules.md, "Fingerprints"). out must hold 33 bytes.
 */
void ia_analyse_fingerprint(const char *rule_id, const char *account_id, const char *resource,
                            const char *principal, char out[33]);

/* ---- diff ---------------------------------------------------------------------------------- */

enum ia_diff_kind {
    IA_DIFF_NEW,
    IA_DIFF_RESOLVED,
    IA_DIFF_PERSISTING,
    IA_DIFF_NOT_COLLECTED, /* gone from the newer run because its account was not collected
                              there (failed, or no longer audited): not known to be fixed */
    IA_DIFF_NOT_CHECKED,   /* gone from the newer run because its rule was not evaluated
                              there (e.g. no leavers file): not known to be fixed */
};

struct ia_diff_entry {
    enum ia_diff_kind kind;
    char *fingerprint, *rule_id, *severity, *account_id, *resource_arn, *principal, *title;
    char *suppressed_by; /* in the newer run (or the older one for resolved), or NULL */
};

struct ia_diff {
    int64_t from_run, to_run;
    struct ia_diff_entry *entries; /* new, resolved, persisting, not collected; each sorted
                                      by rule, account, resource, principal */
    size_t n_entries;
    size_t n_new, n_resolved, n_persisting, n_not_collected, n_not_checked;
};

/*
 * Compare the findings of two analysed runs. A finding of the older run that is missing from the
 * newer one is resolved only if its rule was evaluated in the newer run (otherwise
 * IA_DIFF_NOT_CHECKED) and its account was collected (status ok) there (otherwise
 * IA_DIFF_NOT_COLLECTED). to_run 0: the latest analysed run; from_run 0:
 * the analysed run before to_run. Fills *out (caller's storage; ia_diff_release).
 * IA_ERR_NOT_FOUND (with the fix: run `iam-audit analyse --run N`) when a run has no analysis.
 */
IA_MUST_USE enum ia_code ia_analyse_diff(struct ia_db *db, int64_t from_run, int64_t to_run,
                                         struct ia_diff *out, struct ia_err *err);
/* NULL-safe; zeroes d. */
void ia_diff_release(struct ia_diff *d);

#endif
