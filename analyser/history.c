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

/* ---- the findings as they are emitted ------------------------------------------------------- */

/*
 * Findings do not stay in memory (issue 16): ia_an_emit appends each to a temporary table
 * (an_pending, in SQLite's temporary database, on disk: its pages go through a small cache),
 * and the finishing steps read them back in the order they need, one at a time, writing each
 * to the findings table of the analysis's transaction.
 */
static const char s_pending_sql[] =
    "CREATE TEMP TABLE IF NOT EXISTS an_pending (seq INTEGER PRIMARY KEY, rule INTEGER NOT NULL, "
    "severity INTEGER NOT NULL, fingerprint TEXT NOT NULL, account_id TEXT, resource TEXT NOT "
    "NULL, principal TEXT, title TEXT NOT NULL, evidence TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS an_pending_fp ON an_pending (fingerprint, severity DESC, seq);"
    "DELETE FROM an_pending;";

enum ia_code
ia_an_write_begin(struct ia_an_ctx *ctx, struct ia_err *err)
{
    struct ia_db_stmt *st;
    if (ia_db_begin(ctx->db, err) != IA_OK)
        return IA_ERR_DB;
    ctx->in_txn = 1;
    if (ia_db_exec(ctx->db, s_pending_sql, err) != IA_OK)
        return IA_ERR_DB;
    if (ia_db_prepare(ctx->db, "analyser_delete_findings", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    return ia_db_run(st, err);
}

void
ia_an_pending_add(struct ia_an_ctx *ctx, const struct ia_an_finding *f)
{
    struct ia_db_stmt *st;
    size_t n_rules;
    const struct ia_rule *rules = ia_rules_table(&n_rules);
    if (ctx->emit_failed)
        return;
    if (ia_db_prepare(ctx->db, "analyser_pending_insert", &st, &ctx->emit_err) != IA_OK) {
        ctx->emit_failed = 1;
        return;
    }
    ia_db_bind_int(st, ":seq", ctx->n_emitted++);
    ia_db_bind_int(st, ":rule", (int64_t)(f->rule - rules));
    ia_db_bind_int(st, ":severity", (int64_t)f->severity);
    ia_db_bind_text(st, ":fingerprint", f->fingerprint);
    ia_db_bind_text(st, ":account_id", f->account_id);
    ia_db_bind_text(st, ":resource", f->resource);
    ia_db_bind_text(st, ":principal", f->principal);
    ia_db_bind_text(st, ":title", f->title);
    ia_db_bind_text(st, ":evidence", f->evidence);
    if (ia_db_run(st, &ctx->emit_err) != IA_OK)
        ctx->emit_failed = 1;
}

/* A pending row as a finding: strings borrowed from the statement until its next step, except
 * evidence (new). */
static void
pending_row(struct ia_db_stmt *st, struct ia_an_finding *f)
{
    size_t n_rules;
    const struct ia_rule *rules = ia_rules_table(&n_rules);
    int64_t rule = ia_db_col_int(st, 0);
    memset(f, 0, sizeof(*f));
    if (rule < 0 || (size_t)rule >= n_rules)
        IA_BUG("pending finding with rule %lld", (long long)rule);
    f->rule = &rules[rule];
    f->severity = (enum ia_severity)ia_db_col_int(st, 1);
    snprintf(f->fingerprint, sizeof(f->fingerprint), "%s", ia_db_col_text(st, 2));
    f->account_id = ia_db_col_text(st, 3);
    f->resource = ia_db_col_text(st, 4);
    f->principal = ia_db_col_text(st, 5);
    f->title = (char *)ia_db_col_text(st, 6);
    f->evidence = ia_xstrdup(ia_db_col_text(st, 7));
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

/*
 * Where one finding's history continues from, and whether it was there: sets first_seen and
 * persisting. The previous analyses per account are cached (there are few accounts).
 */
struct history {
    struct nc_cache nc;
    char first[11]; /* today's first_seen: the run's start date */
    int64_t prev;   /* the latest earlier analysed run */
    struct {
        char *account;
        int64_t run;
    } cache[64];
    size_t n_cache;
};

static enum ia_code
history_begin(struct ia_an_ctx *ctx, struct history *h, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    char started[IA_TIME_ISO_LEN] = "";

    memset(h, 0, sizeof(*h));
    if (ia_db_prepare(ctx->db, "analyser_run", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    if ((r = ia_db_step(st, err)) < 0)
        return IA_ERR_DB;
    if (r == 1 && ia_db_col_text(st, 2))
        snprintf(started, sizeof(started), "%s", ia_db_col_text(st, 2));
    ia_db_reset(st);
    if (strlen(started) >= 10) {
        memcpy(h->first, started, 10);
        h->first[10] = '\0';
    } else {
        memcpy(h->first, ctx->today, 11);
    }
    if (ia_db_prepare(ctx->db, "analyser_prev_analysis", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    if ((r = ia_db_step(st, err)) < 0)
        return IA_ERR_DB;
    if (r == 1 && !ia_db_col_is_null(st, 0))
        h->prev = ia_db_col_int(st, 0);
    ia_db_reset(st);
    return IA_OK;
}

static void
history_release(struct history *h)
{
    nc_cache_release(&h->nc);
    for (size_t i = 0; i < h->n_cache; i++)
        free(h->cache[i].account);
    h->n_cache = 0;
}

static enum ia_code
link_history(struct ia_an_ctx *ctx, struct history *h, struct ia_an_finding *f, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    int64_t from = h->prev;
    memcpy(f->first_seen, h->first, 11);
    f->persisting = 0;
    /*
     * A finding of an account that was not collected in the previous run is not "new" when
     * that account comes back: compare with the latest earlier analysed run in which the
     * finding's account was collected.
     */
    if (f->account_id) {
        size_t c = 0;
        while (c < h->n_cache && strcmp(h->cache[c].account, f->account_id) != 0)
            c++;
        if (c < h->n_cache) {
            from = h->cache[c].run;
        } else {
            if (ia_db_prepare(ctx->db, "analyser_prev_analysis_for_account", &st, err) != IA_OK)
                return IA_ERR_DB;
            ia_db_bind_int(st, ":run_id", ctx->run_id);
            ia_db_bind_text(st, ":account_id", f->account_id);
            if ((r = ia_db_step(st, err)) < 0)
                return IA_ERR_DB;
            from = r == 1 && !ia_db_col_is_null(st, 0) ? ia_db_col_int(st, 0) : 0;
            ia_db_reset(st);
            if (h->n_cache < IA_ARRAY_LEN(h->cache)) {
                h->cache[h->n_cache].account = ia_xstrdup(f->account_id);
                h->cache[h->n_cache++].run = from;
            }
        }
    }
    if (!from)
        return IA_OK;
    /*
     * A run that did not evaluate this rule (no leavers file, say) knows nothing of the
     * finding: its history continues from the latest earlier run that did.
     */
    int checked = rule_checked_in(ctx, &h->nc, from, f->rule->id, err);
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
            return IA_OK;
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
    return IA_OK;
}

/* An exception covering f: suppressed, and the exception in its evidence. */
static void
apply_exception(struct ia_exceptions *x, struct ia_an_finding *f)
{
    struct ia_exception *e = ia_exceptions_match(x, f->rule->id, f->resource);
    if (!e)
        return;
    f->suppressed_by = e->name;
    e->matched++;
    json_t *ex =
        json_pack("{s:s, s:s, s:o, s:o, s:s}", "name", e->name, "reason", e->reason, "owner",
                  ia_an_jstr(e->owner), "ticket", ia_an_jstr(e->ticket), "expires", e->expires);
    json_t *ev = ia_an_evidence_tree(f);
    json_object_set_new(ev, "exception", ex);
    free(f->evidence);
    f->evidence = ia_an_evidence_text(ev);
    json_decref(ev);
}

/* Write one finished finding, and count it for the summary. */
static enum ia_code
write_finding(struct ia_an_ctx *ctx, const struct ia_an_finding *f, struct ia_err *err)
{
    struct ia_db_stmt *st;
    if (ia_db_prepare(ctx->db, "analyser_finding_insert", &st, err) != IA_OK)
        return IA_ERR_DB;
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
    if (ia_db_run(st, err) != IA_OK)
        return IA_ERR_DB;
    struct ia_analyse_summary *t = &ctx->tally;
    t->total++;
    if (f->suppressed_by) {
        t->n_suppressed++;
        return IA_OK;
    }
    t->by_severity[f->severity]++;
    if ((int)f->severity > t->worst)
        t->worst = (int)f->severity;
    if (f->persisting)
        t->n_persisting++;
    else
        t->n_new++;
    return IA_OK;
}

/* Free the copies ia_an_write_findings keeps of a finding across steps; zeroes f. */
static void
kept_release(struct ia_an_finding *f)
{
    free((char *)f->account_id);
    free((char *)f->resource);
    free((char *)f->principal);
    free(f->title);
    free(f->evidence);
    memset(f, 0, sizeof(*f));
}

enum ia_code
ia_an_write_findings(struct ia_an_ctx *ctx, struct ia_exceptions *x, struct ia_err *err)
{
    struct ia_db_stmt *st;
    struct history h;
    struct ia_an_finding keep = { 0 };
    json_t *keep_ev = NULL; /* the kept finding's evidence while duplicates join it */
    int have = 0, r;
    enum ia_code rc = IA_ERR_DB;
    /* The rules of the "exceptions" family run after the others are matched: not joined, not
     * themselves excepted, written after them (as the rules emitted them). */
    int dedupe = x != NULL;

    if (ctx->emit_failed) {
        *err = ctx->emit_err;
        return IA_ERR_DB;
    }
    if (x)
        for (size_t i = 0; i < x->n; i++)
            x->items[i].expired = strcmp(x->items[i].expires, ctx->today) < 0;
    if (history_begin(ctx, &h, err) != IA_OK)
        goto out;
    if (ia_db_prepare(ctx->db,
                      dedupe ? "analyser_pending_by_fingerprint" : "analyser_pending_by_seq", &st,
                      err) != IA_OK)
        goto out;
    for (;;) {
        struct ia_an_finding f = { 0 };
        r = ia_db_step(st, err);
        if (r < 0)
            goto out_reset;
        if (r > 0)
            pending_row(st, &f);
        /*
         * A rule can reach the same (resource, principal) twice, e.g. two statements naming
         * the same account. The fingerprint is the identity: keep one, the most severe (rows
         * come worst first), and list the others under "also".
         */
        if (r > 0 && dedupe && have && strcmp(keep.fingerprint, f.fingerprint) == 0) {
            if (!keep_ev) {
                keep_ev = ia_an_evidence_tree(&keep);
                json_object_set_new(keep_ev, "also", json_array());
            }
            json_array_append_new(json_object_get(keep_ev, "also"), ia_an_evidence_tree(&f));
            free(f.evidence);
            continue;
        }
        if (have) {
            if (keep_ev) {
                free(keep.evidence);
                keep.evidence = ia_an_evidence_text(keep_ev);
                json_decref(keep_ev);
                keep_ev = NULL;
            }
            if (x)
                apply_exception(x, &keep);
            if (link_history(ctx, &h, &keep, err) != IA_OK ||
                write_finding(ctx, &keep, err) != IA_OK)
                goto out_reset;
            kept_release(&keep);
            have = 0;
        }
        if (r == 0)
            break;
        /* Kept across the next step: copies of the statement's strings. */
        keep = f;
        keep.account_id = f.account_id ? ia_xstrdup(f.account_id) : NULL;
        keep.resource = ia_xstrdup(f.resource);
        keep.principal = f.principal ? ia_xstrdup(f.principal) : NULL;
        keep.title = ia_xstrdup(f.title);
        have = 1;
    }
    ia_db_reset(st);
    rc = ia_db_exec(ctx->db, "DELETE FROM an_pending", err);
    goto out;
out_reset:
    ia_db_reset(st);
out:
    json_decref(keep_ev);
    kept_release(&keep);
    history_release(&h);
    return rc;
}

enum ia_code
ia_an_write_end(struct ia_an_ctx *ctx, const struct ia_analyse_paths *paths, json_t *warnings,
                json_t *not_checked, struct ia_err *err)
{
    struct ia_db_stmt *st;
    char now[IA_TIME_ISO_LEN];
    char *wtext = NULL, *nctext = NULL;
    enum ia_code rc = IA_ERR_DB;

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
    ia_db_bind_int(st, ":findings", (int64_t)ctx->tally.total);
    ia_db_bind_int(st, ":suppressed", (int64_t)ctx->tally.n_suppressed);
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
    if (ia_db_commit(ctx->db, err) != IA_OK)
        goto out;
    ctx->in_txn = 0;
    rc = IA_OK;
out:
    free(wtext);
    free(nctext);
    return rc;
}
