/*
 * The plan of a run: which accounts to audit and how to reach each (the base account, the
 * configured ones, and what Organizations discovery finds), and which discovered accounts
 * are not audited and why. Pure: no network (discovery's answer is passed in).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/collect_int.h"
#include "collector/endpoints.h"
#include "collector/org_api.h"
#include "core/log.h"
#include "core/mem.h"

static int
wanted(const struct ia_collect_options *o, const char *id)
{
    if (!o->only_accounts || !o->only_accounts[0])
        return 1;
    for (size_t i = 0; o->only_accounts[i]; i++)
        if (strcmp(o->only_accounts[i], id) == 0)
            return 1;
    return 0;
}

static struct job *
add_job(struct run_ctx *rc, const char *id, const char *name, const char *team)
{
    for (size_t i = 0; i < rc->n_jobs; i++)
        if (strcmp(rc->jobs[i].account_id, id) == 0)
            return NULL;
    rc->jobs = ia_xgrow(rc->jobs, rc->n_jobs + 1, &rc->alloc_jobs, sizeof(*rc->jobs));
    struct job *j = &rc->jobs[rc->n_jobs++];
    memset(j, 0, sizeof(*j));
    j->account_id = ia_xstrdup(id);
    j->name = ia_xstrdup(name);
    j->team = team ? ia_xstrdup(team) : NULL;
    return j;
}

static char *
role_arn_for(const struct run_ctx *rc, const char *id)
{
    struct ia_buf b = IA_BUF_INIT;
    const char *part = ia_endpoint_partition(rc->opts->region);
    ia_buf_addf(&b, "arn:%s:iam::%s:role/%s", part, id, rc->cfg->role_name);
    return ia_buf_detach(&b, NULL);
}

/* Whether caller (an assumed-role ARN) is a session of role_arn. */
static int
caller_is_role(const char *caller, const char *role_arn)
{
    /* arn:P:sts::ACCT:assumed-role/NAME/SESSION vs arn:P:iam::ACCT:role/[path/]NAME */
    const char *ar = strstr(caller, ":assumed-role/");
    const char *r = strstr(role_arn, ":role/");
    if (!ar || !r)
        return 0;
    const char *cacct = ar, *racct = r;
    while (cacct > caller && cacct[-1] != ':')
        cacct--;
    while (racct > role_arn && racct[-1] != ':')
        racct--;
    if (ar - cacct != 12 || r - racct != 12 || strncmp(cacct, racct, 12) != 0)
        return 0;
    const char *name = strrchr(r, '/') + 1;
    const char *cname = ar + 14, *slash = strchr(cname, '/');
    size_t clen = slash ? (size_t)(slash - cname) : strlen(cname);
    return strlen(name) == clen && strncmp(name, cname, clen) == 0;
}

static void
finish_job_plan(struct run_ctx *rc, struct job *j, const char *explicit_arn, const char *ext)
{
    const struct ia_config *cfg = rc->cfg;
    j->is_base = cfg->base_account && strcmp(cfg->base_account, j->account_id) == 0;
    if (j->is_base && !explicit_arn)
        explicit_arn = cfg->base_role_arn;
    j->role_arn = explicit_arn ? ia_xstrdup(explicit_arn) : role_arn_for(rc, j->account_id);
    /*
     * The audit role is assumed in every account, the caller's own included (least
     * privilege for the caller). Only when the caller already is that role (a scheduled
     * job running as it) is no hop needed.
     */
    if (caller_is_role(rc->caller_arn, j->role_arn)) {
        j->use_caller = 1;
        free(j->role_arn);
        j->role_arn = NULL;
        return;
    }
    ext = ext ? ext : cfg->external_id;
    j->external_id = ext ? ia_xstrdup(ext) : NULL;
}

static void
skip_account(struct run_ctx *rc, const struct ia_org_account *a, int excluded)
{
    struct ia_buf why = IA_BUF_INIT;
    /* Configured accounts are audited whatever their Organizations state. */
    for (size_t i = 0; i < rc->n_jobs; i++)
        if (strcmp(rc->jobs[i].account_id, a->id) == 0)
            return;
    if (excluded)
        ia_buf_addstr(&why, "excluded by [organization] exclude");
    else if (!a->state[0])
        ia_buf_addstr(&why, "Organizations gave no State (nor the retired Status) for it");
    else
        ia_buf_addf(&why, "Organizations State is %s, not ACTIVE", a->state);
    rc->skipped =
        ia_xgrow(rc->skipped, rc->n_skipped + 1, &rc->alloc_skipped, sizeof(*rc->skipped));
    struct skipped *s = &rc->skipped[rc->n_skipped++];
    s->account_id = ia_xstrdup(a->id);
    s->name = ia_xstrdup(a->name);
    s->state = a->state[0] ? ia_xstrdup(a->state) : NULL;
    s->reason = ia_buf_detach(&why, NULL);
    IA_LOG_WARN("collect", "msg=\"discovered account not audited\" account=%s reason=\"%s\"",
                s->account_id, s->reason);
}

/* The base account and every configured account, with their roles. */
void
ia_collect_plan_configured(struct run_ctx *rc)
{
    const struct ia_config *cfg = rc->cfg;
    if (cfg->base_account && wanted(rc->opts, cfg->base_account)) {
        const char *ext = NULL, *arn = NULL, *name = cfg->base_name;
        for (size_t i = 0; i < cfg->n_accounts; i++)
            if (strcmp(cfg->accounts[i].id, cfg->base_account) == 0) {
                ext = cfg->accounts[i].external_id;
                arn = cfg->accounts[i].role_arn;
                name = cfg->accounts[i].name;
            }
        struct job *j = add_job(rc, cfg->base_account, name, cfg->base_name);
        finish_job_plan(rc, j, arn, ext);
    }
    for (size_t i = 0; i < cfg->n_accounts; i++) {
        const struct ia_config_account *a = &cfg->accounts[i];
        if (!wanted(rc->opts, a->id))
            continue;
        struct job *j = add_job(rc, a->id, a->name, a->team);
        if (j)
            finish_job_plan(rc, j, a->role_arn, a->external_id);
    }
}

/* Organizations' accounts: the ACTIVE ones join the plan, the others are recorded. */
void
ia_collect_plan_discovered(struct run_ctx *rc, const struct ia_org_account *accts, size_t n)
{
    const struct ia_config *cfg = rc->cfg;
    for (size_t i = 0; i < n; i++) {
        int excluded = 0;
        for (size_t x = 0; cfg->org_exclude && cfg->org_exclude[x]; x++)
            excluded |= strcmp(cfg->org_exclude[x], accts[i].id) == 0;
        if (!wanted(rc->opts, accts[i].id))
            continue; /* --account: the run is about other accounts */
        if (excluded || strcmp(accts[i].state, "ACTIVE") != 0) {
            skip_account(rc, &accts[i], excluded);
            continue;
        }
        struct job *j =
            add_job(rc, accts[i].id, accts[i].name[0] ? accts[i].name : accts[i].id, NULL);
        if (j)
            finish_job_plan(rc, j, NULL, NULL);
    }
}

enum ia_code
ia_collect_plan(struct run_ctx *rc, struct ia_aws_client *caller, struct ia_err *err)
{
    const struct ia_config *cfg = rc->cfg;
    enum ia_code r;

    ia_collect_plan_configured(rc);
    if (cfg->org_discover) {
        struct ia_org_account *accts = NULL;
        size_t n = 0;
        if ((r = ia_org_discover(caller, cfg->org_role_arn, cfg->org_external_id, cfg->session_name,
                                 &accts, &n, err)) != IA_OK)
            return r;
        ia_collect_plan_discovered(rc, accts, n);
        ia_org_accounts_free(accts, n);
    }
    if (rc->n_jobs == 0)
        return ia_err_set(err, IA_ERR_CONFIG,
                          "no account matches: check --account ids against the config's "
                          "[audit] base_account and [account NAME] ids");
    return IA_OK;
}

void
ia_collect_plan_release(struct run_ctx *rc)
{
    for (size_t i = 0; i < rc->n_jobs; i++)
        ia_job_release(&rc->jobs[i]);
    free(rc->jobs);
    rc->jobs = NULL;
    rc->n_jobs = rc->alloc_jobs = 0;
    for (size_t i = 0; i < rc->n_skipped; i++) {
        free(rc->skipped[i].account_id);
        free(rc->skipped[i].name);
        free(rc->skipped[i].state);
        free(rc->skipped[i].reason);
    }
    free(rc->skipped);
    rc->skipped = NULL;
    rc->n_skipped = rc->alloc_skipped = 0;
}
