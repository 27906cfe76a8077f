/*
 * `iam-audit collect`: the plan (which accounts, with which role), the worker pool that
 * reads them (collector/account_fetch.c) and writes each in one transaction
 * (collector/snapshot_write.c), and the run record.
 */
#include "collector/collect.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector/collect_int.h"
#include "collector/http.h"
#include "collector/org_api.h"
#include "collector/sts_api.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"

/* ---- workers ---- */

struct assume_impl {
    struct ia_aws_client *caller_client; /* borrowed, shared: its calls are thread-safe */
    char *role_arn, *external_id, *session_name;
};

static enum ia_code
assume_fetch(void *impl, struct ia_creds *out, struct ia_err *err)
{
    struct assume_impl *a = impl;
    struct ia_assume_role_params p = { .role_arn = a->role_arn,
                                       .session_name = a->session_name,
                                       .external_id = a->external_id };
    return ia_sts_assume_role(a->caller_client, &p, out, err);
}

static void
assume_destroy(void *impl)
{
    struct assume_impl *a = impl;
    free(a->role_arn);
    free(a->external_id);
    free(a->session_name);
    free(a);
}

static void
progress(struct run_ctx *rc)
{
    const struct ia_collect_options *o = rc->opts;
    if (!o->on_progress)
        return;
    struct ia_collect_progress p = {
        .done = atomic_load(&rc->done),
        .total = (int)rc->n_jobs,
        .calls = atomic_load(&rc->done_calls),
        .retries = atomic_load(&rc->done_retries),
        .throttles = atomic_load(&rc->done_throttles),
    };
    pthread_mutex_lock(&rc->progress_mu);
    o->on_progress(o->progress_ctx, &p);
    pthread_mutex_unlock(&rc->progress_mu);
}

struct worker {
    struct run_ctx *rc;
    struct ia_http *http;
    struct ia_aws_client caller; /* the caller's identity, for AssumeRole */
};

static void
run_job(struct worker *wk, struct job *j)
{
    struct run_ctx *rc = wk->rc;
    struct ia_creds_provider *prov = NULL;
    struct ia_aws_client c;
    int have_client = 0;
    uint64_t t0 = ia_time_mono_ms();
    long calls0 = atomic_load(&wk->caller.stats.calls);
    long retries0 = atomic_load(&wk->caller.stats.retries);
    long throttles0 = atomic_load(&wk->caller.stats.throttles);

    ia_err_clear(&j->err);
    atomic_store(&j->weight, 1);
    if (j->use_caller) {
        prov = NULL;
    } else {
        struct assume_impl *a = ia_xcalloc(1, sizeof(*a));
        a->caller_client = &wk->caller;
        a->role_arn = ia_xstrdup(j->role_arn);
        a->external_id = j->external_id ? ia_xstrdup(j->external_id) : NULL;
        a->session_name = ia_xstrdup(rc->cfg->session_name);
        prov = ia_creds_provider_new("assume-role", assume_fetch, assume_destroy, a);
    }
    j->rc = ia_aws_client_init(&c, ia_http_ops_of(wk->http), prov ? prov : rc->opts->caller,
                               rc->opts->region, rc->opts->profile_endpoint_url, &j->err);
    if (j->rc == IA_OK) {
        have_client = 1;
        c.retry.max_attempts = rc->cfg->max_attempts;
        c.retry.base_ms = (uint32_t)rc->cfg->retry_base_ms;
        snprintf(c.label, sizeof(c.label), "account %s", j->account_id);
        c.bytes = &j->bytes;
        c.max_bytes = (uint64_t)rc->cfg->max_account_mib << 20;
        j->rc = ia_account_fetch(rc, &c, j, &j->err);
    }
    if (have_client) {
        /* AssumeRole went through the worker's caller client: count it for this account. */
        j->calls = atomic_load(&c.stats.calls) + atomic_load(&wk->caller.stats.calls) - calls0;
        j->retries =
            atomic_load(&c.stats.retries) + atomic_load(&wk->caller.stats.retries) - retries0;
        j->throttles =
            atomic_load(&c.stats.throttles) + atomic_load(&wk->caller.stats.throttles) - throttles0;
        ia_aws_client_release(&c);
    }
    ia_creds_provider_free(prov);
    atomic_store(&j->weight, 0); /* its connections are given back */

    pthread_mutex_lock(&rc->db_mu);
    struct ia_err werr;
    ia_err_clear(&werr);
    enum ia_code wr =
        j->rc == IA_OK ? ia_snapshot_write_account(rc->db, rc->run_id, j, &werr) : IA_OK;
    if (wr == IA_OK && j->rc == IA_OK)
        atomic_fetch_add(&rc->n_warnings, (long)j->n_warnings);
    if (wr != IA_OK) {
        /* A local write failure (disk full, locked) is not the account's fault: stop the run. */
        atomic_store(&rc->db_failed, 1);
        rc->db_err = werr;
    } else if (j->rc != IA_OK && ia_snapshot_write_failure(rc->db, rc->run_id, j, &werr) != IA_OK) {
        atomic_store(&rc->db_failed, 1);
        rc->db_err = werr;
    }
    pthread_mutex_unlock(&rc->db_mu);
    /* Free the account's documents as soon as it is written: memory stays flat. */
    ia_job_release_data(j);
    atomic_fetch_add(&rc->done_calls, j->calls);
    atomic_fetch_add(&rc->done_retries, j->retries);
    atomic_fetch_add(&rc->done_throttles, j->throttles);
    atomic_fetch_add(&rc->done, 1);
    if (!rc->opts->quiet && !rc->opts->on_progress) {
        if (j->rc == IA_OK)
            /* Without a terminal, one timestamped line per account, whatever the level. */
            ia_log_write(IA_LOG_INFO, "collect",
                         "msg=\"account collected\" account=%s name=\"%s\" calls=%ld retries=%ld "
                         "throttles=%ld ms=%llu",
                         j->account_id, j->name, j->calls, j->retries, j->throttles,
                         (unsigned long long)(ia_time_mono_ms() - t0));
    }
    if (j->rc != IA_OK)
        IA_LOG_ERR("collect", "msg=\"account failed\" account=%s code=%s error=\"%s\"",
                   j->account_id, j->err.aws_code[0] ? j->err.aws_code : ia_code_name(j->err.code),
                   j->err.msg);
    progress(rc);
}

static void *
worker_main(void *arg)
{
    struct worker *wk = arg;
    struct run_ctx *rc = wk->rc;
    for (;;) {
        if (atomic_load(&rc->db_failed))
            break;
        size_t i = atomic_fetch_add(&rc->next, 1);
        if (i >= rc->n_jobs)
            break;
        run_job(wk, &rc->jobs[i]);
    }
    return NULL;
}

static enum ia_code
record_run_start(struct run_ctx *rc, const char *caller_arn, struct ia_err *err)
{
    struct ia_db_stmt *st;
    char now[IA_TIME_ISO_LEN];
    enum ia_code r;

    ia_time_format_iso(ia_time_now(), now);
    if ((r = ia_db_begin(rc->db, err)) != IA_OK)
        return r;
    /* A run still 'running' here was interrupted (we hold the lock): say so. */
    if ((r = ia_db_prepare(rc->db, "runs_mark_interrupted", &st, err)) != IA_OK)
        goto fail;
    ia_db_bind_text(st, ":now", now);
    if ((r = ia_db_run(st, err)) != IA_OK)
        goto fail;
    if ((r = ia_db_prepare(rc->db, "run_insert", &st, err)) != IA_OK)
        goto fail;
    ia_db_bind_text(st, ":started_at", now);
    ia_db_bind_text(st, ":tool_version", IA_VERSION);
    ia_db_bind_int(st, ":accounts_attempted", (int64_t)rc->n_jobs);
    ia_db_bind_text(st, ":caller_arn", caller_arn);
    ia_db_bind_text(st, ":config_path", rc->cfg->path);
    if ((r = ia_db_run(st, err)) != IA_OK)
        goto fail;
    rc->run_id = ia_db_last_insert_id(rc->db);
    if ((r = ia_db_prepare(rc->db, "account_insert", &st, err)) != IA_OK)
        goto fail;
    for (size_t i = 0; i < rc->n_jobs; i++) {
        ia_db_bind_int(st, ":run_id", rc->run_id);
        ia_db_bind_text(st, ":account_id", rc->jobs[i].account_id);
        ia_db_bind_text(st, ":name", rc->jobs[i].name);
        ia_db_bind_text(st, ":team", rc->jobs[i].team);
        ia_db_bind_int(st, ":is_base", rc->jobs[i].is_base);
        ia_db_bind_text(st, ":role_arn", rc->jobs[i].role_arn);
        if ((r = ia_db_run(st, err)) != IA_OK)
            goto fail;
    }
    if (rc->n_skipped &&
        (r = ia_db_prepare(rc->db, "account_not_audited_insert", &st, err)) != IA_OK)
        goto fail;
    for (size_t i = 0; i < rc->n_skipped; i++) {
        ia_db_bind_int(st, ":run_id", rc->run_id);
        ia_db_bind_text(st, ":account_id", rc->skipped[i].account_id);
        ia_db_bind_text(st, ":name", rc->skipped[i].name);
        ia_db_bind_text(st, ":state", rc->skipped[i].state);
        ia_db_bind_text(st, ":reason", rc->skipped[i].reason);
        if ((r = ia_db_run(st, err)) != IA_OK)
            goto fail;
    }
    return ia_db_commit(rc->db, err);
fail:
    ia_db_rollback(rc->db);
    return r;
}

static enum ia_code
record_run_end(struct run_ctx *rc, struct ia_collect_result *res, struct ia_err *err)
{
    struct ia_db_stmt *st;
    char now[IA_TIME_ISO_LEN];
    enum ia_code r;

    memset(res, 0, sizeof(*res));
    res->run_id = rc->run_id;
    res->accounts = (int)rc->n_jobs;
    res->not_audited = (int)rc->n_skipped;
    res->warnings = (int)atomic_load(&rc->n_warnings);
    res->calls = rc->caller_calls;
    res->retries = rc->caller_retries;
    res->throttles = rc->caller_throttles;
    for (size_t i = 0; i < rc->n_jobs; i++) {
        res->failed += rc->jobs[i].rc != IA_OK;
        res->calls += rc->jobs[i].calls;
        res->retries += rc->jobs[i].retries;
        res->throttles += rc->jobs[i].throttles;
    }
    snprintf(res->status, sizeof(res->status), "%s",
             res->failed == 0              ? "complete"
             : res->failed < res->accounts ? "partial"
                                           : "failed");
    if ((r = ia_db_begin(rc->db, err)) != IA_OK)
        return r;
    if ((r = ia_managed_write(rc, err)) != IA_OK)
        goto fail;
    /* Some accounts only (--account): the others come forward from the latest run, in this
     * transaction, so the run is the whole estate the moment it is complete (sql/carry.c);
     * after this run's managed policies, which the carried ones never override. */
    if (rc->opts->only_accounts && rc->opts->only_accounts[0] && res->failed < res->accounts) {
        struct ia_db_carried c;
        if ((r = ia_db_carry_forward(rc->db, rc->run_id, &c, err)) != IA_OK)
            goto fail;
        res->carried = c.accounts;
        res->carried_failed = c.failed;
        res->carried_from = c.from_run;
        if (c.failed)
            snprintf(res->status, sizeof(res->status), "partial");
    }
    if ((r = ia_db_prepare(rc->db, "run_finish", &st, err)) != IA_OK)
        goto fail;
    ia_time_format_iso(ia_time_now(), now);
    ia_db_bind_int(st, ":run_id", rc->run_id);
    ia_db_bind_text(st, ":finished_at", now);
    ia_db_bind_text(st, ":status", res->status);
    ia_db_bind_int(st, ":accounts_failed", res->failed + res->carried_failed);
    ia_db_bind_int(st, ":api_calls", res->calls);
    ia_db_bind_int(st, ":retries", res->retries);
    ia_db_bind_int(st, ":throttles", res->throttles);
    if ((r = ia_db_run(st, err)) != IA_OK)
        goto fail;
    return ia_db_commit(rc->db, err);
fail:
    ia_db_rollback(rc->db);
    return r;
}

enum ia_code
ia_collect_run(const struct ia_collect_options *opts, struct ia_collect_result *result,
               struct ia_err *err)
{
    struct run_ctx rc;
    struct ia_http *http = NULL;
    struct ia_aws_client caller;
    struct ia_caller_identity id;
    struct worker *workers = NULL;
    pthread_t *threads = NULL;
    int have_caller = 0, nthreads = 0, lock_fd = -1;
    enum ia_code r;

    memset(&rc, 0, sizeof(rc));
    rc.opts = opts;
    rc.cfg = opts->cfg;
    pthread_mutex_init(&rc.db_mu, NULL);
    pthread_mutex_init(&rc.mp_mu, NULL);
    pthread_mutex_init(&rc.progress_mu, NULL);
    pthread_mutex_init(&rc.idle_mu, NULL);

    struct ia_http_options hopts = { .timeout_ms = (long)rc.cfg->request_timeout_s * 1000,
                                     .ca_bundle = rc.cfg->ca_bundle };
    http = ia_http_new(&hopts);
    if ((r = ia_aws_client_init(&caller, ia_http_ops_of(http), opts->caller, opts->region,
                                opts->profile_endpoint_url, err)) != IA_OK)
        goto out;
    have_caller = 1;
    caller.retry.max_attempts = rc.cfg->max_attempts;
    caller.retry.base_ms = (uint32_t)rc.cfg->retry_base_ms;
    if ((r = ia_sts_get_caller_identity(&caller, &id, err)) != IA_OK) {
        ia_err_prefix(err, "cannot establish who is running the audit: ");
        goto out;
    }
    snprintf(rc.caller_account, sizeof(rc.caller_account), "%s", id.account);
    snprintf(rc.caller_arn, sizeof(rc.caller_arn), "%s", id.arn);
    if ((r = ia_collect_plan(&rc, &caller, err)) != IA_OK)
        goto out;
    const char *db_path = opts->db_path ? opts->db_path : rc.cfg->database;
    /* One run per database at a time: a second one refuses at once, changing nothing. */
    if (!opts->db_locked && (r = ia_db_lock(db_path, &lock_fd, err)) != IA_OK)
        goto out;
    if ((r = ia_db_open(db_path, IA_DB_READWRITE, &rc.db, err)) != IA_OK)
        goto out;
    if ((r = record_run_start(&rc, id.arn, err)) != IA_OK)
        goto out;

    nthreads = opts->concurrency > 0 ? opts->concurrency : rc.cfg->concurrency;
    if ((size_t)nthreads > rc.n_jobs)
        nthreads = (int)rc.n_jobs;
    workers = ia_xcalloc((size_t)nthreads, sizeof(*workers));
    threads = ia_xcalloc((size_t)nthreads, sizeof(*threads));
    for (int i = 0; i < nthreads; i++) {
        workers[i].rc = &rc;
        workers[i].http = ia_http_new(&hopts);
        r = ia_aws_client_init(&workers[i].caller, ia_http_ops_of(workers[i].http), opts->caller,
                               opts->region, opts->profile_endpoint_url, err);
        IA_ASSERT(r == IA_OK); /* the same settings already worked for `caller` */
        workers[i].caller.retry.max_attempts = rc.cfg->max_attempts;
        workers[i].caller.retry.base_ms = (uint32_t)rc.cfg->retry_base_ms;
        if (pthread_create(&threads[i], NULL, worker_main, &workers[i]) != 0)
            IA_BUG("pthread_create failed");
    }
    for (int i = 0; i < nthreads; i++)
        pthread_join(threads[i], NULL);
    if (atomic_load(&rc.db_failed)) {
        /* Say so in the run record if the database still lets us; it may not (disk full). */
        struct ia_db_stmt *st;
        char now[IA_TIME_ISO_LEN];
        ia_time_format_iso(ia_time_now(), now);
        if (ia_db_prepare(rc.db, "run_finish", &st, NULL) == IA_OK) {
            ia_db_bind_int(st, ":run_id", rc.run_id);
            ia_db_bind_text(st, ":finished_at", now);
            ia_db_bind_text(st, ":status", "failed");
            ia_db_bind_int(st, ":accounts_failed", (int64_t)rc.n_jobs);
            ia_db_bind_int(st, ":api_calls", 0);
            ia_db_bind_int(st, ":retries", 0);
            ia_db_bind_int(st, ":throttles", 0);
            if (ia_db_run(st, NULL) != IA_OK)
                IA_LOG_WARN("collect", "msg=\"cannot mark run %lld failed either\"",
                            (long long)rc.run_id);
        }
        if (err)
            *err = rc.db_err;
        r = IA_ERR_DB;
        goto out;
    }
    rc.caller_calls = atomic_load(&caller.stats.calls);
    rc.caller_retries = atomic_load(&caller.stats.retries);
    rc.caller_throttles = atomic_load(&caller.stats.throttles);
    r = record_run_end(&rc, result, err);
out:
    for (int i = 0; i < nthreads; i++) {
        ia_aws_client_release(&workers[i].caller);
        ia_http_free(workers[i].http);
    }
    free(workers);
    free(threads);
    if (have_caller)
        ia_aws_client_release(&caller);
    ia_http_free(http);
    ia_account_idle_release(&rc);
    ia_collect_plan_release(&rc);
    ia_managed_release(&rc);
    ia_db_close(rc.db);
    ia_db_unlock(lock_fd);
    pthread_mutex_destroy(&rc.db_mu);
    pthread_mutex_destroy(&rc.mp_mu);
    pthread_mutex_destroy(&rc.progress_mu);
    pthread_mutex_destroy(&rc.idle_mu);
    return r;
}
