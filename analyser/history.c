/*
 * After the rules: duplicates joined, exceptions applied, each finding linked to its history
 * (first seen, new or persisting, rules not checked), and the analysis written in one
 * transaction with prepared statements.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyser/access.h"
#include "analyser/internal.h"
#include "core/actions.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"

#ifndef IA_VERSION
#define IA_VERSION "unknown"
#endif

/* ---- exceptions, duplicates, history ------------------------------------------------------- */

static int
cmp_finding(const void *a, const void *b)
{
    const struct ia_an_finding *x = a, *y = b;
    int c = strcmp(x->fingerprint, y->fingerprint);
    if (c)
        return c;
    /* Worst first, so the kept duplicate is the most severe. */
    return (int)y->severity - (int)x->severity;
}

/*
 * A rule can reach the same (resource, principal) twice, e.g. two statements naming the same
 * account. The fingerprint is the identity: keep one, the most severe, and say how many.
 */
void
ia_an_dedupe(struct ia_an_ctx *ctx)
{
    size_t w = 0;
    json_t *keep_ev = NULL; /* the kept finding's evidence while duplicates join it */
    if (ctx->n_findings == 0)
        return;
    qsort(ctx->findings, ctx->n_findings, sizeof(*ctx->findings), cmp_finding);
    for (size_t i = 1; i <= ctx->n_findings; i++) {
        struct ia_an_finding *keep = &ctx->findings[w];
        struct ia_an_finding *f = i < ctx->n_findings ? &ctx->findings[i] : NULL;
        if (f && strcmp(keep->fingerprint, f->fingerprint) == 0) {
            if (!keep_ev) {
                keep_ev = ia_an_evidence_tree(keep);
                json_object_set_new(keep_ev, "also", json_array());
            }
            json_array_append_new(json_object_get(keep_ev, "also"), ia_an_evidence_tree(f));
            free(f->title);
            free(f->evidence);
            continue;
        }
        if (keep_ev) {
            free(keep->evidence);
            keep->evidence = ia_an_evidence_text(keep_ev);
            json_decref(keep_ev);
            keep_ev = NULL;
        }
        if (f)
            ctx->findings[++w] = *f;
    }
    ctx->n_findings = w + 1;
}

void
ia_an_apply_exceptions(struct ia_an_ctx *ctx, struct ia_exceptions *x)
{
    for (size_t i = 0; i < x->n; i++)
        x->items[i].expired = strcmp(x->items[i].expires, ctx->today) < 0;
    size_t n = ctx->n_findings;
    for (size_t i = 0; i < n; i++) {
        struct ia_an_finding *f = &ctx->findings[i];
        struct ia_exception *e = ia_exceptions_match(x, f->rule->id, f->resource);
        if (e) {
            f->suppressed_by = e->name;
            e->matched++;
            json_t *ex = json_pack("{s:s, s:s, s:o, s:o, s:s}", "name", e->name, "reason",
                                   e->reason, "owner", ia_an_jstr(e->owner), "ticket",
                                   ia_an_jstr(e->ticket), "expires", e->expires);
            json_t *ev = ia_an_evidence_tree(f);
            json_object_set_new(ev, "exception", ex);
            free(f->evidence);
            f->evidence = ia_an_evidence_text(ev);
            json_decref(ev);
        }
    }
}

/* The rules one earlier analysis did not evaluate (analyses.not_checked), cached per run. */
struct nc_cache {
    struct {
        int64_t run;
        char **rules; /* NULL-terminated */
    } e[16];
    size_t n;
};

static void
nc_cache_release(struct nc_cache *c)
{
    for (size_t i = 0; i < c->n; i++)
        ia_strlist_free(c->e[i].rules);
    c->n = 0;
}

static enum ia_code link_history_with(struct ia_an_ctx *ctx, struct nc_cache *nc,
                                      struct ia_err *err);

/* 1 when rule_id was evaluated by the analysis of run, 0 when not, -1 on a database error. */
static int
rule_checked_in(struct ia_an_ctx *ctx, struct nc_cache *c, int64_t run, const char *rule_id,
                struct ia_err *err)
{
    size_t i = 0;
    while (i < c->n && c->e[i].run != run)
        i++;
    if (i == c->n) {
        struct ia_db_stmt *st;
        char **rules = ia_xcalloc(1, sizeof(*rules));
        size_t n = 0;
        int r;
        if (ia_db_prepare(ctx->db, "analyser_not_checked", &st, err) != IA_OK) {
            free(rules);
            return -1;
        }
        ia_db_bind_int(st, ":run_id", run);
        while ((r = ia_db_step(st, err)) == 1) {
            if (!ia_db_col_text(st, 0))
                continue;
            rules = ia_xrealloc(rules, (n + 2) * sizeof(*rules));
            rules[n++] = ia_xstrdup(ia_db_col_text(st, 0));
            rules[n] = NULL;
        }
        ia_db_reset(st);
        if (r < 0) {
            ia_strlist_free(rules);
            return -1;
        }
        if (c->n == IA_ARRAY_LEN(c->e)) { /* full: forget the oldest */
            ia_strlist_free(c->e[0].rules);
            memmove(&c->e[0], &c->e[1], (c->n - 1) * sizeof(c->e[0]));
            c->n--;
        }
        i = c->n++;
        c->e[i].run = run;
        c->e[i].rules = rules;
    }
    for (char **p = c->e[i].rules; *p; p++)
        if (strcmp(*p, rule_id) == 0)
            return 0;
    return 1;
}

enum ia_code
ia_an_link_history(struct ia_an_ctx *ctx, struct ia_err *err)
{
    struct nc_cache nc = { .n = 0 };
    enum ia_code rc = link_history_with(ctx, &nc, err);
    nc_cache_release(&nc);
    return rc;
}

static enum ia_code
link_history_with(struct ia_an_ctx *ctx, struct nc_cache *nc, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int64_t prev = 0;
    int r;
    char started[IA_TIME_ISO_LEN] = "";

    if (ia_db_prepare(ctx->db, "analyser_run", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    if ((r = ia_db_step(st, err)) < 0)
        return IA_ERR_DB;
    if (r == 1 && ia_db_col_text(st, 2))
        snprintf(started, sizeof(started), "%s", ia_db_col_text(st, 2));
    ia_db_reset(st);
    char first[11];
    if (strlen(started) >= 10) {
        memcpy(first, started, 10);
        first[10] = '\0';
    } else {
        memcpy(first, ctx->today, 11);
    }

    if (ia_db_prepare(ctx->db, "analyser_prev_analysis", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    if ((r = ia_db_step(st, err)) < 0)
        return IA_ERR_DB;
    if (r == 1 && !ia_db_col_is_null(st, 0))
        prev = ia_db_col_int(st, 0);
    ia_db_reset(st);

    /*
     * A finding of an account that was not collected in the previous run is not "new" when
     * that account comes back: compare with the latest earlier analysed run in which the
     * finding's account was collected (cached per account; there are few).
     */
    struct {
        const char *account;
        int64_t run;
    } cache[64];
    size_t n_cache = 0;
    for (size_t i = 0; i < ctx->n_findings; i++) {
        struct ia_an_finding *f = &ctx->findings[i];
        int64_t from = prev;
        memcpy(f->first_seen, first, 11);
        f->persisting = 0;
        if (f->account_id) {
            size_t c = 0;
            while (c < n_cache && strcmp(cache[c].account, f->account_id) != 0)
                c++;
            if (c < n_cache) {
                from = cache[c].run;
            } else {
                if (ia_db_prepare(ctx->db, "analyser_prev_analysis_for_account", &st, err) != IA_OK)
                    return IA_ERR_DB;
                ia_db_bind_int(st, ":run_id", ctx->run_id);
                ia_db_bind_text(st, ":account_id", f->account_id);
                if ((r = ia_db_step(st, err)) < 0)
                    return IA_ERR_DB;
                from = r == 1 && !ia_db_col_is_null(st, 0) ? ia_db_col_int(st, 0) : 0;
                ia_db_reset(st);
                if (n_cache < IA_ARRAY_LEN(cache)) {
                    cache[n_cache].account = f->account_id;
                    cache[n_cache++].run = from;
                }
            }
        }
        if (!from)
            continue;
        /*
         * A run that did not evaluate this rule (no leavers file, say) knows nothing of the
         * finding: its history continues from the latest earlier run that did.
         */
        int checked = rule_checked_in(ctx, nc, from, f->rule->id, err);
        if (checked < 0)
            return IA_ERR_DB;
        if (!checked) {
            if (ia_db_prepare(ctx->db, "analyser_prev_analysis_checking", &st, err) != IA_OK)
                return IA_ERR_DB;
            ia_db_bind_int(st, ":run_id", ctx->run_id);
            ia_db_bind_text(st, ":rule_id", f->rule->id);
            ia_db_bind_text(st, ":account_id", f->account_id);
            if ((r = ia_db_step(st, err)) < 0)
                return IA_ERR_DB;
            from = r == 1 && !ia_db_col_is_null(st, 0) ? ia_db_col_int(st, 0) : 0;
            ia_db_reset(st);
            if (!from)
                continue;
        }
        if (ia_db_prepare(ctx->db, "analyser_prev_finding", &st, err) != IA_OK)
            return IA_ERR_DB;
        ia_db_bind_int(st, ":run_id", from);
        ia_db_bind_text(st, ":fingerprint", f->fingerprint);
        if ((r = ia_db_step(st, err)) < 0)
            return IA_ERR_DB;
        if (r == 1 && ia_db_col_text(st, 0)) {
            snprintf(f->first_seen, sizeof(f->first_seen), "%s", ia_db_col_text(st, 0));
            f->persisting = 1;
        }
        ia_db_reset(st);
    }
    return IA_OK;
}

enum ia_code
ia_an_write_all(struct ia_an_ctx *ctx, const struct ia_analyse_paths *paths, json_t *warnings,
                json_t *not_checked, size_t n_suppressed, struct ia_err *err)
{
    struct ia_db_stmt *st;
    char now[IA_TIME_ISO_LEN];
    char *wtext = NULL, *nctext = NULL;
    enum ia_code rc = IA_ERR_DB;

    if (ia_db_begin(ctx->db, err) != IA_OK)
        return IA_ERR_DB;
    if (ia_db_prepare(ctx->db, "analyser_delete_findings", &st, err) != IA_OK)
        goto out;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    if (ia_db_run(st, err) != IA_OK)
        goto out;
    ia_time_format_iso(ctx->now, now);
    wtext = json_dumps(warnings, JSON_COMPACT);
    if (ia_db_prepare(ctx->db, "analyser_analysis_upsert", &st, err) != IA_OK)
        goto out;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":analysed_at", now);
    ia_db_bind_text(st, ":tool_version", IA_VERSION);
    ia_db_bind_text(st, ":leavers_path", paths ? paths->leavers : NULL);
    ia_db_bind_text(st, ":roster_path", paths ? paths->roster : NULL);
    ia_db_bind_text(st, ":exceptions_path", paths ? paths->exceptions : NULL);
    ia_db_bind_int(st, ":findings", (int64_t)ctx->n_findings);
    ia_db_bind_int(st, ":suppressed", (int64_t)n_suppressed);
    ia_db_bind_text(st, ":input_warnings", wtext);
    nctext = json_dumps(not_checked, JSON_COMPACT);
    ia_db_bind_text(st, ":not_checked", nctext);
    if (ia_db_run(st, err) != IA_OK)
        goto out;
    if (ia_db_prepare(ctx->db, "analyser_analysis_set_catalogue", &st, err) != IA_OK)
        goto out;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":action_catalogue", ia_actions_version());
    if (ia_db_run(st, err) != IA_OK)
        goto out;
    if (ia_an_access_write(ctx, err) != IA_OK)
        goto out;
    for (size_t i = 0; i < ctx->n_findings; i++) {
        const struct ia_an_finding *f = &ctx->findings[i];
        if (ia_db_prepare(ctx->db, "analyser_finding_insert", &st, err) != IA_OK)
            goto out;
        ia_db_bind_int(st, ":run_id", ctx->run_id);
        ia_db_bind_text(st, ":fingerprint", f->fingerprint);
        ia_db_bind_text(st, ":rule_id", f->rule->id);
        ia_db_bind_text(st, ":severity", ia_severity_name(f->severity));
        ia_db_bind_text(st, ":account_id", f->account_id);
        ia_db_bind_text(st, ":resource_arn", f->resource);
        ia_db_bind_text(st, ":principal", f->principal);
        ia_db_bind_text(st, ":title", f->title);
        ia_db_bind_text(st, ":evidence", f->evidence);
        ia_db_bind_text(st, ":first_seen", f->first_seen);
        ia_db_bind_text(st, ":status", f->persisting ? "persisting" : "new");
        ia_db_bind_text(st, ":suppressed_by", f->suppressed_by);
        rc = ia_db_run(st, err);
        if (rc != IA_OK) {
            rc = IA_ERR_DB;
            goto out;
        }
        rc = IA_ERR_DB;
    }
    if (ia_db_commit(ctx->db, err) != IA_OK)
        goto out;
    rc = IA_OK;
out:
    if (rc != IA_OK)
        ia_db_rollback(ctx->db);
    free(wtext);
    free(nctext);
    return rc;
}
