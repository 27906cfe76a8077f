/* Leavers and roster CSV files: who has left (and when), and who is still here. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyser/internal.h"
#include "core/clock.h"
#include "core/csv.h"
#include "core/log.h"
#include "core/mem.h"

/* Trim ASCII spaces and lower-case: people edit these files by hand and in spreadsheets. */
static char *
normalise(const char *s)
{
    struct ia_buf b = IA_BUF_INIT;
    ia_buf_addstr(&b, s);
    ia_buf_trim(&b);
    for (size_t i = 0; i < b.len; i++)
        b.buf[i] = (char)tolower((unsigned char)b.buf[i]);
    return ia_buf_detach(&b, NULL);
}

static int
header_col(const struct ia_csv_row *h, const char *name)
{
    for (size_t i = 0; i < h->n; i++) {
        char *n = normalise(h->fields[i]);
        int eq = strcmp(n, name) == 0;
        free(n);
        if (eq)
            return (int)i;
    }
    return -1;
}

static void
warn(json_t *warnings, const char *path, int line, const char *what)
{
    struct ia_buf b = IA_BUF_INIT;
    ia_buf_addf(&b, "%s:%d: %s", path, line, what);
    IA_LOG_WARN("analyser", "msg=\"input row skipped\" detail=\"%s\"", b.buf);
    if (warnings)
        json_array_append_new(warnings, json_string(b.buf));
    ia_buf_release(&b);
}

/* YYYY-MM-DD, a real calendar date. */
static int
parse_date(const char *s, time_t *out)
{
    int y, m, d;
    char extra;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return -1;
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3)
        return -1;
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return -1;
    *out = ia_time_from_utc(y, m, d, 0, 0, 0);
    return 0;
}

static int
row_blank(const struct ia_csv_row *r)
{
    for (size_t i = 0; i < r->n; i++)
        for (const char *p = r->fields[i]; *p; p++)
            if (!isspace((unsigned char)*p))
                return 0;
    return 1;
}

static int
cmp_person(const void *a, const void *b)
{
    const struct ia_leaver *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (c)
        return c;
    return x->when < y->when ? -1 : x->when > y->when ? 1 : x->line - y->line;
}

enum ia_code
ia_people_load(const char *path, int with_date, struct ia_people *out, json_t *warnings,
               struct ia_err *err)
{
    struct ia_csv_table t = { 0 };
    struct ia_people p = { 0 };
    enum ia_code rc = IA_ERR_CONFIG;
    const char *what = with_date ? "leavers" : "roster";
    int c_email, c_user, c_date = -1;

    if (ia_csv_parse_file(path, &t, err) != IA_OK) {
        ia_err_prefix(err, "%s file: ", what);
        err->code = IA_ERR_CONFIG;
        goto out;
    }
    if (t.n_rows == 0) {
        ia_err_set(err, IA_ERR_CONFIG, "%s: the %s file is empty; it needs a header line with "
                   "%s", path, what, with_date ? "email (or username) and leaving_date" : "email");
        goto out;
    }
    c_email = header_col(&t.rows[0], "email");
    c_user = header_col(&t.rows[0], "username");
    if (with_date)
        c_date = header_col(&t.rows[0], "leaving_date");
    if ((c_email < 0 && c_user < 0) || (with_date && c_date < 0)) {
        ia_err_set(err, IA_ERR_CONFIG,
                   "%s:%d: the header of the %s file must name the columns %s; found none",
                   path, t.rows[0].line, what,
                   with_date ? "email (or username) and leaving_date" : "email (or username)");
        goto out;
    }
    for (size_t r = 1; r < t.n_rows; r++) {
        const struct ia_csv_row *row = &t.rows[r];
        char *id = NULL;
        struct ia_buf msg = IA_BUF_INIT;
        if (row_blank(row))
            continue;
        if (c_email >= 0 && (size_t)c_email < row->n) {
            id = normalise(row->fields[c_email]);
            if (!*id) {
                free(id);
                id = NULL;
            }
        }
        if (!id && c_user >= 0 && (size_t)c_user < row->n) {
            id = normalise(row->fields[c_user]);
            if (!*id) {
                free(id);
                id = NULL;
            }
        }
        if (!id) {
            warn(warnings, path, row->line, "no email or username; row skipped");
            continue;
        }
        time_t when = 0;
        char date[11] = "";
        if (with_date) {
            char *d = (size_t)c_date < row->n ? normalise(row->fields[c_date]) : ia_xstrdup("");
            if (parse_date(d, &when) != 0) {
                ia_buf_addf(&msg, "leaving_date '%s' for %s is not a date YYYY-MM-DD; row "
                            "skipped", d, id);
                warn(warnings, path, row->line, msg.buf);
                ia_buf_release(&msg);
                free(d);
                free(id);
                continue;
            }
            memcpy(date, d, 11);
            free(d);
        }
        p.items = ia_xgrow(p.items, p.n + 1, &p.alloc, sizeof(*p.items));
        p.items[p.n].id = id;
        memcpy(p.items[p.n].date, date, sizeof(date));
        p.items[p.n].when = when;
        p.items[p.n].line = row->line;
        p.n++;
    }
    /* Sorted by (id, date): lookups are a binary search, the earliest date first. */
    if (p.n)
        qsort(p.items, p.n, sizeof(*p.items), cmp_person);
    *out = p;
    memset(&p, 0, sizeof(p));
    rc = IA_OK;
out:
    ia_people_release(&p);
    ia_csv_table_release(&t);
    return rc;
}

void
ia_people_release(struct ia_people *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->items[i].id);
    free(p->items);
    memset(p, 0, sizeof(*p));
}

const struct ia_leaver *
ia_people_find(const struct ia_people *p, const char *name)
{
    const struct ia_leaver *found = NULL;
    if (!p || !name)
        return NULL;
    char *n = normalise(name);
    /*
     * With duplicates, the earliest leaving date wins: the person has left by then. The
     * items are sorted by (id, date), so that is the first entry with this id.
     */
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(p->items[mid].id, n) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < p->n && strcmp(p->items[lo].id, n) == 0)
        found = &p->items[lo];
    free(n);
    return found;
}
