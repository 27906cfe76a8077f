/*
 * `iam-audit collect`: reach the base account and every team account (via
 * sts:AssumeRole), read their IAM state with as few calls as the data allows, and
 * write one run into the database, one transaction per account.
 */
#ifndef IA_COLLECTOR_COLLECT_H
#define IA_COLLECTOR_COLLECT_H

#include <stdint.h>

#include "collector/creds.h"
#include "core/config.h"
#include "core/err.h"

/* Where a collect stands, for a progress display (counts of finished accounts). */
struct ia_collect_progress {
    int done, total; /* accounts finished (ok or failed), accounts planned */
    long calls, retries, throttles;
};

/* Called after each account finishes, one call at a time (never concurrently). */
typedef void (*ia_collect_progress_fn)(void *ctx, const struct ia_collect_progress *p);

struct ia_collect_options {
    const struct ia_config *cfg;        /* borrowed */
    const char *db_path;                /* overrides cfg->database when set */
    char *const *only_accounts;         /* NULL-terminated ids from --account, or NULL: all */
    int concurrency;                    /* 0: cfg->concurrency */
    struct ia_creds_provider *caller;   /* the caller's credentials (borrowed) */
    const char *region;                 /* signing region for STS; NULL: default */
    const char *profile_endpoint_url;   /* a profile's endpoint_url, or NULL */
    ia_collect_progress_fn on_progress; /* NULL: none; set, it replaces the per-account lines */
    void *progress_ctx;
    int quiet;     /* 1: no per-account lines */
    int db_locked; /* 1: the caller holds the database lock (ia_db_lock);
                      0: the run takes it, and refuses when it is held */
};

struct ia_collect_result {
    int64_t run_id;
    char status[16]; /* "complete", "partial", "failed" */
    int accounts;
    int failed;
    int not_audited; /* discovered accounts not audited (accounts_not_audited) */
    int warnings;    /* rows in run_warnings */
    long calls, retries, throttles;
    /* --account: accounts carried forward from run carried_from (0: none), of which
     * carried_failed had failed there (the run is then partial). */
    int carried, carried_failed;
    int64_t carried_from;
};

/*
 * Collect every configured (and discovered) account into a new run. Returns IA_OK when
 * the run was recorded (its status says complete, partial or failed), or an error when
 * no run could be recorded at all (database unusable, configuration wrong, caller has
 * no credentials); err then says why.
 */
IA_MUST_USE enum ia_code ia_collect_run(const struct ia_collect_options *opts,
                                        struct ia_collect_result *result, struct ia_err *err);

#endif
