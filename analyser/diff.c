/* New, resolved and persisting findings between two analysed runs, matched by fingerprint. */
#include <stdlib.h>
#include <string.h>

#include "analyser/internal.h"
#include "core/mem.h"

struct fset {
    struct ia_diff_entry *items; /* sorted by fingerprint */
    size_t n, alloc;
};

static char *
dup_col(struct ia_db_stmt *st, int col)
{
    const char *s = ia_db_col_text(st, col);
    return s ? ia_xstrdup(s) : NULL;
}

static void
entry_release(struct ia_diff_entry *e)
{
    free(e->fingerprint);
    free(e->rule_id);
    free(e->severity);
    free(e->account_id);
    free(e->resource_arn);
    free(e->principal);
    free(e->title);
    free(e->suppressed_by);
}

static int
cmp_fp(const void *a, const void *b)
{
    return strcmp(((const struct ia_diff_entry *)a)->fingerprint,
                  ((const struct ia_diff_entry *)b)->fingerprint);
}

/* Order within each kind: rule, account, resource, principal (as a reader scans). */
static int
cmp_show(const void *a, const void *b)
{
    const struct ia_diff_entry *x = a, *y = b;
    const char *xs[] = { x->rule_id, x->account_id, x->resource_arn, x->principal };
    const char *ys[] = { y->rule_id, y->account_id, y->resource_arn, y->principal };
    if (x->kind != y->kind)
        return (int)x->kind - (int)y->kind;
    for (int i = 0; i < 4; i++) {
        int c = strcmp(xs[i] ? xs[i] : "", ys[i] ? ys[i] : "");
        if (c)
            return c;
    }
    return strcmp(x->fingerprint, y->fingerprint);
}

static enum ia_code
load_set(struct ia_db *db, int64_t run, struct fset *out, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    if (ia_db_prepare(db, "analyser_run_findings", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", run);
    while ((r = ia_db_step(st, err)) == 1) {
        out->items = ia_xgrow(out->items, out->n + 1, &out->alloc, sizeof(*out->items));
        struct ia_diff_entry *e = &out->items[out->n++];
        memset(e, 0, sizeof(*e));
        e->fingerprint = dup_col(st, 0);
        e->rule_id = dup_col(st, 1);
        e->severity = dup_col(st, 2);
        e->account_id = dup_col(st, 3);
        e->resource_arn = dup_col(st, 4);
        e->principal = dup_col(st, 5);
        e->title = dup_col(st, 6);
        e->suppressed_by = dup_col(st, 7);
    }
    ia_db_reset(st);
    if (r < 0)
        return IA_ERR_DB;
    if (out->n)
        qsort(out->items, out->n, sizeof(*out->items), cmp_fp);
    return IA_OK;
}

/* The rule ids the analysis of run did not evaluate: *out a new NULL-terminated list. */
static enum ia_code
load_not_checked(struct ia_db *db, int64_t run, char ***out, struct ia_err *err)
{
    struct ia_db_stmt *st;
    char **list = ia_xcalloc(1, sizeof(*list));
    size_t n = 0;
    int r;
    if (ia_db_prepare(db, "analyser_not_checked", &st, err) != IA_OK) {
        free(list);
        return IA_ERR_DB;
    }
    ia_db_bind_int(st, ":run_id", run);
    while ((r = ia_db_step(st, err)) == 1) {
        if (!ia_db_col_text(st, 0))
            continue;
        list = ia_xrealloc(list, (n + 2) * sizeof(*list));
        list[n++] = ia_xstrdup(ia_db_col_text(st, 0));
        list[n] = NULL;
    }
    ia_db_reset(st);
    if (r < 0) {
        ia_strlist_free(list);
        return IA_ERR_DB;
    }
    *out = list;
    return IA_OK;
}

static enum ia_code
single_int(struct ia_db *db, const char *name, int64_t bind, int64_t *out, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    *out = 0;
    if (ia_db_prepare(db, name, &st, err) != IA_OK)
        return IA_ERR_DB;
    if (bind)
        ia_db_bind_int(st, ":run_id", bind);
    r = ia_db_step(st, err);
    if (r == 1 && !ia_db_col_is_null(st, 0))
        *out = ia_db_col_int(st, 0);
    ia_db_reset(st);
    return r < 0 ? IA_ERR_DB : IA_OK;
}

enum ia_code
ia_analyse_diff(struct ia_db *db, int64_t from_run, int64_t to_run, struct ia_diff *out,
                struct ia_err *err)
{
    struct fset a = { 0 }, b = { 0 };
    struct ia_diff d;
    char **not_checked = NULL;
    enum ia_code rc = IA_ERR_DB;
    int64_t have;
    size_t alloc = 0;

    memset(&d, 0, sizeof(d));
    if (to_run == 0) {
        if (single_int(db, "analyser_latest_analysed", 0, &to_run, err) != IA_OK)
            goto out;
        if (!to_run) {
            rc = ia_err_set(err, IA_ERR_NOT_FOUND,
                            "no run has been analysed yet; run "
                            "'iam-audit analyse' first");
            goto out;
        }
    } else {
        if (single_int(db, "analyser_has_analysis", to_run, &have, err) != IA_OK)
            goto out;
        if (!have) {
            rc = ia_err_set(err, IA_ERR_NOT_FOUND,
                            "run %lld has not been analysed; run "
                            "'iam-audit analyse --run %lld' first",
                            (long long)to_run, (long long)to_run);
            goto out;
        }
    }
    if (from_run == 0) {
        if (single_int(db, "analyser_prev_analysis", to_run, &from_run, err) != IA_OK)
            goto out;
        if (!from_run) {
            rc = ia_err_set(err, IA_ERR_NOT_FOUND,
                            "run %lld is the first analysed run: "
                            "nothing to compare it with; analyse an earlier run or give "
                            "--from",
                            (long long)to_run);
            goto out;
        }
    } else {
        if (single_int(db, "analyser_has_analysis", from_run, &have, err) != IA_OK)
            goto out;
        if (!have) {
            rc = ia_err_set(err, IA_ERR_NOT_FOUND,
                            "run %lld has not been analysed; run "
                            "'iam-audit analyse --run %lld' first",
                            (long long)from_run, (long long)from_run);
            goto out;
        }
    }
    if (load_set(db, from_run, &a, err) != IA_OK || load_set(db, to_run, &b, err) != IA_OK)
        goto out;
    /* Merge two fingerprint-sorted lists; entries move into d (fields handed over). */
    size_t i = 0, j = 0;
    while (i < a.n || j < b.n) {
        int c = i >= a.n   ? 1
                : j >= b.n ? -1
                           : strcmp(a.items[i].fingerprint, b.items[j].fingerprint);
        d.entries = ia_xgrow(d.entries, d.n_entries + 1, &alloc, sizeof(*d.entries));
        struct ia_diff_entry *e = &d.entries[d.n_entries++];
        if (c < 0) {
            *e = a.items[i++];
            e->kind = IA_DIFF_RESOLVED;
            d.n_resolved++;
        } else if (c > 0) {
            *e = b.items[j++];
            e->kind = IA_DIFF_NEW;
            d.n_new++;
        } else {
            *e = b.items[j++];
            e->kind = IA_DIFF_PERSISTING;
            d.n_persisting++;
            entry_release(&a.items[i++]);
        }
    }
    a.n = b.n = 0;
    /* Rules the newer run did not evaluate (no leavers file...): their findings are not known
     * to be fixed. */
    if (load_not_checked(db, to_run, &not_checked, err) != IA_OK)
        goto out;
    for (size_t k = 0; k < d.n_entries; k++) {
        struct ia_diff_entry *e = &d.entries[k];
        if (e->kind != IA_DIFF_RESOLVED)
            continue;
        for (char **p = not_checked; p && *p; p++) {
            if (strcmp(*p, e->rule_id) == 0) {
                e->kind = IA_DIFF_NOT_CHECKED;
                d.n_resolved--;
                d.n_not_checked++;
                break;
            }
        }
    }
    for (size_t k = 0; k < d.n_entries; k++) {
        struct ia_diff_entry *e = &d.entries[k];
        struct ia_db_stmt *st;
        int r, ok = 1;
        if (e->kind != IA_DIFF_RESOLVED || !e->account_id)
            continue;
        if (ia_db_prepare(db, "analyser_account_status", &st, err) != IA_OK)
            goto out;
        ia_db_bind_int(st, ":run_id", to_run);
        ia_db_bind_text(st, ":account_id", e->account_id);
        r = ia_db_step(st, err);
        if (r < 0) {
            ia_db_reset(st);
            goto out;
        }
        ok = r == 1 && ia_db_col_text(st, 0) && strcmp(ia_db_col_text(st, 0), "ok") == 0;
        ia_db_reset(st);
        if (!ok) {
            e->kind = IA_DIFF_NOT_COLLECTED;
            d.n_resolved--;
            d.n_not_collected++;
        }
    }
    if (d.n_entries)
        qsort(d.entries, d.n_entries, sizeof(*d.entries), cmp_show);
    d.from_run = from_run;
    d.to_run = to_run;
    *out = d;
    memset(&d, 0, sizeof(d));
    rc = IA_OK;
out:
    for (size_t k = 0; k < a.n; k++)
        entry_release(&a.items[k]);
    for (size_t k = 0; k < b.n; k++)
        entry_release(&b.items[k]);
    free(a.items);
    free(b.items);
    ia_strlist_free(not_checked);
    ia_diff_release(&d);
    return rc;
}

void
ia_diff_release(struct ia_diff *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_entries; i++)
        entry_release(&d->entries[i]);
    free(d->entries);
    memset(d, 0, sizeof(*d));
}
