/*
 * Inside the collector: what one run holds while it works (internal to collector/; not
 * installed, not for the analyser or reports). The parts:
 *   collect.c          the worker pool and the run record
 *   plan.c             which accounts, with which role; which discovered ones are not audited
 *   account_fetch.c    reading one account over up to 8 connections (its share, by expected
 *                      work, of the run's c x min(c, 8)): bulk reads at once, the credential
 *                      report, per-user calls, each as soon as what it needs is in
 *   managed_policies.c AWS-managed policy documents, fetched once per run
 *   snapshot_write.c   writing one account's answers into the database, in one transaction
 *   job.c              the per-account state and the credential-report helpers they share
 */
#ifndef IA_COLLECTOR_COLLECT_INT_H
#define IA_COLLECTOR_COLLECT_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/aws.h"
#include "collector/collect.h"
#include "collector/xml.h"
#include "core/buf.h"
#include "core/csv.h"
#include "core/err.h"
#include "sql/db.h"

/* Give up on a credential report that is still being generated after this long. */
#define IA_CRED_REPORT_MAX_WAIT_MS (10u * 60u * 1000u)

struct doclist {
    struct ia_xml_doc **docs;
    char **tags; /* per doc: the user it belongs to, or NULL */
    size_t n, alloc;
};

/* Something in an account's answers that the report's reader should know (run_warnings). */
struct warning {
    char *kind, *subject, *message;
};

struct job {
    /* what to collect */
    char *account_id, *name, *team, *role_arn, *external_id;
    int is_base;
    int use_caller; /* collect with the caller's own credentials */
    /* what was collected */
    char alias[256];
    struct ia_xml_doc *password_policy; /* NULL: none set */
    struct doclist gaad, roles, vmfa, user_mfa, keys;
    struct doclist login;    /* GetLoginProfile of users read directly; NULL doc: no password */
    struct doclist user;     /* GetUser of users read directly (PasswordLastUsed) */
    struct doclist key_used; /* GetAccessKeyLastUsed of their keys, tagged by key id */
    long mfa_in_use;         /* GetAccountSummary's MFADevicesInUse; -1 when not given */
    struct ia_buf cred_csv;
    char cred_generated[32];
    char **direct; /* users read directly, not from the credential report (sorted) */
    size_t n_direct;
    struct warning *warnings;
    size_t n_warnings, alloc_warnings;
    _Atomic uint64_t bytes; /* response bytes held for this account, against max_account_bytes */
    /* While the account is being read: its expected work, for its share of the run's
     * connections (1, then 1 + the users of its first GAAD page); 0 when not in progress. */
    _Atomic long weight;
    /* outcome */
    enum ia_code rc;
    struct ia_err err;
    long calls, retries, throttles;
};

struct managed {
    char *arn;
    char *version;
    char *document;
    char *error;
    int done;
};

/* A discovered account that is not audited, and why: it is recorded, never dropped. */
struct skipped {
    char *account_id, *name, *state, *reason;
};

struct run_ctx {
    const struct ia_collect_options *opts;
    const struct ia_config *cfg;
    struct ia_db *db;
    int64_t run_id;
    char caller_account[16];
    char caller_arn[2048];
    struct job *jobs;
    size_t n_jobs, alloc_jobs;
    struct skipped *skipped;
    size_t n_skipped, alloc_skipped;
    _Atomic long n_warnings; /* run_warnings rows written */
    _Atomic size_t next;
    _Atomic int done;
    _Atomic int db_failed;
    pthread_mutex_t db_mu;
    struct ia_err db_err;
    pthread_mutex_t mp_mu;
    struct managed *mp;
    size_t n_mp, alloc_mp;
    pthread_mutex_t progress_mu;
    /* Helper connections no account is using, kept open for the next (account_fetch.c). */
    pthread_mutex_t idle_mu;
    struct ia_http **idle;
    size_t n_idle, alloc_idle;
    long caller_calls, caller_retries, caller_throttles;   /* identity and discovery calls */
    _Atomic long done_calls, done_retries, done_throttles; /* of finished accounts, for progress */
};

/* ---- credential report helpers ---- */

struct cred_cols {
    int idx[22];
};

/* The credential report's 22 columns, in AWS's order. */
extern const char *const ia_cred_cols[22];

enum {
    C_USER,
    C_ARN,
    C_CREATED,
    C_PW_ENABLED,
    C_PW_USED,
    C_PW_CHANGED,
    C_PW_NEXT,
    C_MFA,
    C_K1_ACTIVE,
    C_K1_ROTATED,
    C_K1_USED,
    C_K1_REGION,
    C_K1_SERVICE,
    C_K2_ACTIVE,
    C_K2_ROTATED,
    C_K2_USED,
    C_K2_REGION,
    C_K2_SERVICE
};

/* ---- job.c ---- */

/* Append d (owned from now on) with a copy of tag (NULL allowed). */
void ia_doclist_add(struct doclist *l, struct ia_xml_doc *d, const char *tag);
void ia_doclist_release(struct doclist *l);
/* Free what an account sent (kept only from its collection until it is written). */
void ia_job_release_data(struct job *j);
void ia_job_release(struct job *j);
/* Record a run warning about j's answers (logged, and written with the account). */
void ia_job_warn(struct job *j, const char *kind, const char *subject, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Whether user is read directly (not from the credential report); j->direct is sorted. */
int ia_job_is_direct(const struct job *j, const char *user);
IA_MUST_USE enum ia_code ia_cred_header(const struct ia_csv_table *t, struct cred_cols *cols,
                                        struct ia_err *err);
const char *ia_cred_field(const struct ia_csv_row *r, const struct cred_cols *cols, int c);
int ia_cred_true(const char *s);
/* A key slot is in use when active or when it has a rotation date (inactive keys). */
int ia_cred_has_key(const struct ia_csv_row *r, const struct cred_cols *cols);
/* strcmp over char* elements, for qsort/bsearch. */
int ia_cmp_str(const void *a, const void *b);

/* ---- plan.c ---- */

struct ia_org_account;
/* rc->opts, rc->cfg and rc->caller_arn set: plan the base and the configured accounts. */
void ia_collect_plan_configured(struct run_ctx *rc);
/* Add Organizations' ACTIVE accounts to the plan; record the others (rc->skipped). */
void ia_collect_plan_discovered(struct run_ctx *rc, const struct ia_org_account *accts, size_t n);
/* Both, with discovery through caller when configured; IA_ERR_CONFIG when nothing is left. */
IA_MUST_USE enum ia_code ia_collect_plan(struct run_ctx *rc, struct ia_aws_client *caller,
                                         struct ia_err *err);
void ia_collect_plan_release(struct run_ctx *rc);

/* ---- managed_policies.c ---- */

/* Fetch (once per run, whoever meets it first) every AWS-managed policy a GAAD page attaches. */
void ia_managed_fetch_page(struct run_ctx *rc, struct ia_aws_client *c,
                           const struct ia_xml_doc *page);
/* Write the run's AWS-managed policies (inside the caller's transaction). */
IA_MUST_USE enum ia_code ia_managed_write(struct run_ctx *rc, struct ia_err *err);
void ia_managed_release(struct run_ctx *rc);

/* ---- account_fetch.c ---- */

struct user_task {
    const char *user; /* borrowed from the plan's list of names */
    int mfa;          /* ListMFADevices: devices the bulk listing may not show */
    int keys;         /* ListAccessKeys: the report shows a key, or the user is read directly */
    int login;        /* GetLoginProfile: the user is read directly (not in the report) */
};

struct user_tasks {
    struct user_task *tasks;
    size_t n, alloc;
};

/*
 * Decide the per-user calls of an account from what the bulk calls brought (j->gaad,
 * j->vmfa, j->mfa_in_use) and the parsed credential report t: which users are read directly
 * (j->direct, j->warnings for untrusted rows), which need ListMFADevices / ListAccessKeys.
 * The tasks borrow names from *names_out (new; free each and the array).
 */
IA_MUST_USE enum ia_code ia_account_plan_user_tasks(struct job *j, const struct ia_csv_table *t,
                                                    const struct cred_cols *cols,
                                                    struct user_tasks *ut, char ***names_out,
                                                    size_t *n_names_out);

/* Read one account with c into j: every answer the snapshot needs, nothing written. */
IA_MUST_USE enum ia_code ia_account_fetch(struct run_ctx *rc, struct ia_aws_client *c,
                                          struct job *j, struct ia_err *err);
/* Close the helper connections kept between accounts (at the end of the run). */
void ia_account_idle_release(struct run_ctx *rc);

/* ---- snapshot_write.c ---- */

/* Write j's answers as account j->account_id of run_id, in one transaction, and mark it ok. */
IA_MUST_USE enum ia_code ia_snapshot_write_account(struct ia_db *db, int64_t run_id, struct job *j,
                                                   struct ia_err *err);
/* Mark the account failed with j->err. */
IA_MUST_USE enum ia_code ia_snapshot_write_failure(struct ia_db *db, int64_t run_id, struct job *j,
                                                   struct ia_err *err);

#endif
