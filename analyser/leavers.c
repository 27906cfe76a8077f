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

/*
 * A header cell reduced to letters and digits, lower-cased: "Leaving Date", "leaving_date"
 * and "LEAVING-DATE" are one name, as spreadsheet exports write them. New string.
 */
static char *
header_key(const char *s)
{
    struct ia_buf b = IA_BUF_INIT;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (isalnum(*p))
            ia_buf_addch(&b, (char)tolower(*p));
    return ia_buf_detach(&b, NULL);
}

/* The first column whose header is one of names (header_key form, NULL-terminated). */
static int
header_col(const struct ia_csv_row *h, const char *const *names)
{
    for (size_t i = 0; i < h->n; i++) {
        char *n = header_key(h->fields[i]);
        int eq = 0;
        for (size_t k = 0; names[k] && !eq; k++)
            eq = strcmp(n, names[k]) == 0;
        free(n);
        if (eq)
            return (int)i;
    }
    return -1;
}

/* Accepted header names, in header_key form (docs/rules.md, "Inputs"). */
static const char *const s_email_names[] = { "email", "emailaddress", "mail", NULL };
static const char *const s_user_names[] = { "username", "user", "login", NULL };
static const char *const s_date_names[] = { "leavingdate", "leavedate", "dateleft", "lastday",
                                            NULL };

/* The header as found, delimiter and all, for error messages: "Username;Leaving Date". */
static void
header_text(const struct ia_csv_row *h, char delim, struct ia_buf *out)
{
    for (size_t i = 0; i < h->n; i++) {
        if (i)
            ia_buf_addch(out, delim == '\t' ? ' ' : delim);
        ia_buf_addstr(out, h->fields[i]);
    }
    if (out->len > 200) {
        ia_buf_setlen(out, 200);
        ia_buf_addstr(out, "...");
    }
}

/* Whether y-m-d is a real calendar date; sets *out to its midnight UTC and iso. */
static int
real_date(int y, int m, int d, time_t *out, char iso[11])
{
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return -1;
    *out = ia_time_from_utc(y, m, d, 0, 0, 0);
    snprintf(iso, 11, "%04d-%02d-%02d", y, m, d);
    return 0;
}

/* n digits at s (exactly), as a number; -1 otherwise. */
static int
digits(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/*
 * A leaving date: ISO YYYY-MM-DD, or day first D/M/YYYY or DD/MM/YYYY as UK spreadsheets
 * write it. Never month first: 01/11/2026 is the 1st of November. A real calendar date only.
 */
static int
parse_date(const char *s, time_t *out, char iso[11])
{
    size_t len = strlen(s);
    if (len == 10 && s[4] == '-' && s[7] == '-')
        return real_date(digits(s, 4), digits(s + 5, 2), digits(s + 8, 2), out, iso);
    const char *a = strchr(s, '/'), *b = a ? strchr(a + 1, '/') : NULL;
    if (!a || !b || strchr(b + 1, '/'))
        return -1;
    size_t dl = (size_t)(a - s), ml = (size_t)(b - a - 1), yl = len - (size_t)(b + 1 - s);
    if (dl < 1 || dl > 2 || ml < 1 || ml > 2 || yl != 4)
        return -1;
    int d = digits(s, dl), m = digits(a + 1, ml), y = digits(b + 1, 4);
    if (d < 0 || m < 0 || y < 0)
        return -1;
    return real_date(y, m, d, out, iso);
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
    struct ia_buf head = IA_BUF_INIT;
    enum ia_code rc = IA_ERR_CONFIG;
    const char *what = with_date ? "leavers" : "roster";
    int c_email, c_user, c_date = -1;
    char delim = ',';

    (void)warnings; /* every unreadable row is an error now (issue 12.8): nothing to warn */
    if (ia_csv_parse_file_sniff(path, &t, &delim, err) != IA_OK) {
        ia_err_prefix(err, "%s file: ", what);
        err->code = IA_ERR_CONFIG;
        goto out;
    }
    if (t.n_rows == 0) {
        ia_err_set(err, IA_ERR_CONFIG,
                   "%s: the %s file is empty; it needs a header line with "
                   "%s",
                   path, what, with_date ? "email (or username) and leaving_date" : "email");
        goto out;
    }
    header_text(&t.rows[0], delim, &head);
    c_email = header_col(&t.rows[0], s_email_names);
    c_user = header_col(&t.rows[0], s_user_names);
    if (with_date)
        c_date = header_col(&t.rows[0], s_date_names);
    if ((c_email < 0 && c_user < 0) || (with_date && c_date < 0)) {
        ia_err_set(err, IA_ERR_CONFIG,
                   "%s:%d: the header of the %s file must name the columns %s (case, spaces "
                   "and '_' do not matter; ',' ';' or tab between them); found: %s",
                   path, t.rows[0].line, what,
                   with_date ? "email (or username) and leaving_date" : "email (or username)",
                   head.buf);
        goto out;
    }
    for (size_t r = 1; r < t.n_rows; r++) {
        const struct ia_csv_row *row = &t.rows[r];
        char *id = NULL;
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
        /*
         * A row that cannot be read stops the analysis: skipping it would drop a leaver
         * (and their finding) with only a warning nobody reads (issue 12.8).
         */
        if (!id) {
            ia_err_set(err, IA_ERR_CONFIG,
                       "%s:%d: this row has no email or username; fill "
                       "it in or delete the row (header found: %s)",
                       path, row->line, head.buf);
            goto out;
        }
        time_t when = 0;
        char date[11] = "";
        if (with_date) {
            char *d = (size_t)c_date < row->n ? normalise(row->fields[c_date]) : ia_xstrdup("");
            if (parse_date(d, &when, date) != 0) {
                ia_err_set(err, IA_ERR_CONFIG,
                           "%s:%d: leaving date '%.40s' for %.100s is not a "
                           "date; write YYYY-MM-DD or DD/MM/YYYY (day first) (header found: %s)",
                           path, row->line, d, id, head.buf);
                free(d);
                free(id);
                goto out;
            }
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
    ia_buf_release(&head);
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
