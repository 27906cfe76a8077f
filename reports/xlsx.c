/*
 * The workbooks, through libxlsxwriter (the only includer of xlsxwriter.h).
 *
 * constant_memory mode: each sheet streams its rows to a temporary file in row order, so
 * memory stays flat however many findings there are; everything that needs totals (the
 * Summary) comes from SQL aggregates first. In this mode libxlsxwriter writes strings
 * inline (t="inlineStr") rather than through the shared string table.
 *
 * Data is only ever written with worksheet_write_string/number/datetime: a value that looks
 * like a formula ("=HYPERLINK(...)", "+cmd": both legal IAM user names) is a text cell and
 * is never evaluated. No formula is built from data anywhere in this file.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xlsxwriter.h>

#include "core/buf.h"
#include "core/mem.h"
#include "reports/report_int.h"
#include "reports/xlsx_int.h"

/* Excel's cell limit, in UTF-16 code units. */
#define CELL_MAX 32767
/* Excel's rows per sheet. */
#define SHEET_ROWS 1048576
#define TRUNC_MARK " [...truncated by iam-audit; the full text is in the CSV/JSONL reports]"

const char *const ia_xlsx_sev[N_SEV] = { "critical", "high", "medium", "low", "info" };
/* Fill and font colours per severity (Excel's "bad"/"neutral"/"good"-style palette). */
const lxw_color_t ia_xlsx_sev_fill[N_SEV] = { 0xC00000, 0xFFC7CE, 0xFFEB9C, 0xDDEBF7, 0xEDEDED };
const lxw_color_t ia_xlsx_sev_font[N_SEV] = { 0xFFFFFF, 0x9C0006, 0x9C5700, 0x1F4E78, 0x404040 };
const lxw_color_t ia_xlsx_sev_chart[N_SEV] = { 0xC00000, 0xFF5050, 0xFFC000, 0x5B9BD5, 0xA5A5A5 };

enum ia_code
ia_xlsx_lxw_check(struct book *b, lxw_error e, const char *what, struct ia_err *err)
{
    if (e == LXW_NO_ERROR)
        return IA_OK;
    return ia_err_set(err, IA_ERR_IO, "%s: %s: %s (check the output directory's free space)",
                      b->name, what, lxw_strerror(e));
}

int
ia_xlsx_sev_index(const char *s)
{
    for (int i = 0; s && i < N_SEV; i++)
        if (strcmp(s, ia_xlsx_sev[i]) == 0)
            return i;
    return -1;
}

/*
 * s as valid UTF-8 for a cell: invalid bytes and XML-illegal control characters become
 * U+FFFD, and text over Excel's 32,767-unit limit is cut with a marker that says where the
 * full value is. Returns b->cell.buf (borrowed until the next call).
 */
static const char *
cell_text(struct book *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    const size_t keep = CELL_MAX - (sizeof(TRUNC_MARK) - 1);
    size_t units = 0, cut = 0;
    int truncated = 0;

    ia_buf_reset(&b->cell);
    while (*p) {
        size_t len = *p < 0x80             ? 1
                     : (*p & 0xE0) == 0xC0 ? 2
                     : (*p & 0xF0) == 0xE0 ? 3
                     : (*p & 0xF8) == 0xF0 ? 4
                                           : 0;
        int ok = len > 0 && !(*p >= 0x80 && *p < 0xC2) && *p <= 0xF4;
        for (size_t i = 1; ok && i < len; i++)
            ok = (p[i] & 0xC0) == 0x80;
        if (ok && len == 1 && *p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
            ok = 0;
        /* Excel reads "_xHHHH_" in a string as an escape ("_x003D_" shows as "="); a literal
         * one (a legal IAM name) keeps its text when its '_' is itself escaped. */
        int esc = *p == '_' && p[1] == 'x' && isxdigit(p[2]) && isxdigit(p[3]) && isxdigit(p[4]) &&
                  isxdigit(p[5]) && p[6] == '_';
        size_t u = esc ? 7 : len == 4 ? 2 : 1;
        if (units + u > keep && !cut)
            cut = b->cell.len;
        units += u;
        if (units > CELL_MAX) {
            truncated = 1;
            break;
        }
        if (esc)
            ia_buf_addstr(&b->cell, "_x005F_");
        else if (ok)
            ia_buf_add(&b->cell, p, len);
        else
            ia_buf_addstr(&b->cell, "\xEF\xBF\xBD");
        p += ok ? len : 1;
    }
    if (truncated) {
        ia_buf_setlen(&b->cell, cut);
        ia_buf_addstr(&b->cell, TRUNC_MARK);
    }
    return b->cell.buf;
}

enum ia_code
ia_xlsx_put_str(struct book *b, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const char *s,
                lxw_format *fmt, struct ia_err *err)
{
    if (!s || !*s) {
        if (!fmt)
            return IA_OK;
        return ia_xlsx_lxw_check(b, worksheet_write_blank(ws, row, col, fmt), "write_blank", err);
    }
    return ia_xlsx_lxw_check(b, worksheet_write_string(ws, row, col, cell_text(b, s), fmt),
                             "write_string", err);
}

enum ia_code
ia_xlsx_put_num(struct book *b, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, double v,
                lxw_format *fmt, struct ia_err *err)
{
    return ia_xlsx_lxw_check(b, worksheet_write_number(ws, row, col, v, fmt), "write_number", err);
}

enum ia_code
ia_xlsx_put_time(struct book *b, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, time_t t,
                 int with_time, struct ia_err *err)
{
    struct tm tm;
    lxw_datetime dt;

    if (!gmtime_r(&t, &tm))
        return ia_xlsx_put_str(b, ws, row, col, "(date out of range)", NULL, err);
    dt.year = tm.tm_year + 1900;
    dt.month = tm.tm_mon + 1;
    dt.day = tm.tm_mday;
    dt.hour = with_time ? tm.tm_hour : 0;
    dt.min = with_time ? tm.tm_min : 0;
    dt.sec = with_time ? tm.tm_sec : 0;
    return ia_xlsx_lxw_check(
        b, worksheet_write_datetime(ws, row, col, &dt, with_time ? b->datetime : b->date),
        "write_datetime", err);
}

/* ISO text as a real date cell (date only for "YYYY-MM-DD"); unparseable text stays text. */
static enum ia_code
put_date(struct book *b, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, const char *iso,
         struct ia_err *err)
{
    time_t t;
    if (!iso || !*iso)
        return IA_OK;
    if (ia_time_parse_iso(iso, &t) != 0)
        return ia_xlsx_put_str(b, ws, row, col, iso, NULL, err);
    return ia_xlsx_put_time(b, ws, row, col, t, strchr(iso, 'T') != NULL, err);
}

static void
render_value(struct ia_buf *out, json_t *v)
{
    if (json_is_string(v)) {
        ia_buf_addstr(out, json_string_value(v));
    } else if (json_is_array(v) && json_array_size(v) > 0) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (i)
                ia_buf_addstr(out, ", ");
            render_value(out, e);
        }
    } else {
        char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        ia_buf_addstr(out, s ? s : "");
        free(s);
    }
}

/*
 * Evidence for people: one "key: value" line per member of the JSON object, strings
 * unquoted, lists comma-separated. Anything that is not an object is shown as stored.
 * Returns the number of lines.
 */
static int
render_evidence(struct book *b, const char *json)
{
    json_t *root = json ? json_loads(json, 0, NULL) : NULL;
    const char *key;
    json_t *v;
    int lines = 1;

    ia_buf_reset(&b->ev);
    if (!json_is_object(root)) {
        ia_buf_addstr(&b->ev, json ? json : "");
        for (const char *p = b->ev.buf; *p; p++)
            lines += *p == '\n';
        json_decref(root);
        return lines;
    }
    lines = 0;
    json_object_foreach(root, key, v)
    {
        if (lines++)
            ia_buf_addch(&b->ev, '\n');
        ia_buf_addf(&b->ev, "%s: ", key);
        render_value(&b->ev, v);
    }
    json_decref(root);
    return lines ? lines : 1;
}

static enum ia_code
put_cell(struct book *b, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col, struct ia_db_stmt *st,
         int i, enum ia_report_kind kind, struct ia_err *err)
{
    const char *text = ia_db_col_text(st, i);
    int sev;

    if (ia_db_col_is_null(st, i))
        return IA_OK;
    switch (kind) {
    case IA_RCOL_INT:
        return ia_xlsx_put_num(b, ws, row, col, (double)ia_db_col_int(st, i), NULL, err);
    case IA_RCOL_BOOL:
        return ia_xlsx_put_str(b, ws, row, col, ia_db_col_int(st, i) ? "yes" : "no", NULL, err);
    case IA_RCOL_DATE: return put_date(b, ws, row, col, text, err);
    case IA_RCOL_SEVERITY:
        sev = ia_xlsx_sev_index(text);
        return ia_xlsx_put_str(b, ws, row, col, text, sev >= 0 ? b->sev[sev] : NULL, err);
    case IA_RCOL_JSON:
        render_evidence(b, text);
        return ia_xlsx_put_str(b, ws, row, col, b->ev.buf, b->wrap, err);
    case IA_RCOL_TEXT: break;
    }
    return ia_xlsx_put_str(b, ws, row, col, text, NULL, err);
}

lxw_worksheet *
ia_xlsx_add_sheet(struct book *b, const char *name, struct ia_err *err)
{
    lxw_worksheet *ws;
    IA_ASSERT(strlen(name) <= LXW_SHEETNAME_MAX);
    ws = workbook_add_worksheet(b->wb, name);
    if (!ws)
        ia_err_set(err, IA_ERR_IO, "%s: cannot add sheet '%s' (out of memory?)", b->name, name);
    return ws;
}

/* Header row 0 with widths, frozen under the header. */
static enum ia_code
put_header(struct book *b, lxw_worksheet *ws, const struct ia_report_col *cols, size_t n,
           struct ia_err *err)
{
    enum ia_code rc;
    for (size_t i = 0; i < n; i++) {
        lxw_format *fmt = cols[i].kind == IA_RCOL_JSON ? b->wrap : NULL;
        rc = ia_xlsx_lxw_check(
            b, worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, cols[i].width, fmt),
            "set_column", err);
        if (rc != IA_OK)
            return rc;
        if ((rc = ia_xlsx_put_str(b, ws, 0, (lxw_col_t)i, cols[i].name, b->header, err)) != IA_OK)
            return rc;
    }
    worksheet_freeze_panes(ws, 1, 0);
    /* Printed (or exported to PDF): landscape, one page wide, the header on every page. */
    worksheet_set_landscape(ws);
    worksheet_fit_to_pages(ws, 1, 0);
    return ia_xlsx_lxw_check(b, worksheet_repeat_rows(ws, 0, 0), "repeat_rows", err);
}

/* Autofilter over the header and rows 1..last (just the header when there are none). */
static enum ia_code
put_autofilter(struct book *b, lxw_worksheet *ws, lxw_row_t last, size_t n_cols, struct ia_err *err)
{
    return ia_xlsx_lxw_check(b, worksheet_autofilter(ws, 0, 0, last, (lxw_col_t)(n_cols - 1)),
                             "autofilter", err);
}

/* A table sheet: header, one row per result row, autofilter. */
static enum ia_code
write_table_sheet(struct book *b, struct ia_report_ctx *ctx, const struct ia_report_table *t,
                  const char *sheet, const char *team, struct ia_err *err)
{
    lxw_worksheet *ws = ia_xlsx_add_sheet(b, sheet ? sheet : t->sheet, err);
    struct ia_db_stmt *st = NULL;
    lxw_row_t row = 0;
    enum ia_code rc;
    int r = 0;

    if (!ws)
        return IA_ERR_IO;
    if ((rc = put_header(b, ws, t->cols, t->n_cols, err)) != IA_OK)
        goto out;
    if ((rc = ia_report_query(ctx, t->query, team, &st, err)) != IA_OK)
        goto out;
    while ((r = ia_db_step(st, err)) == 1) {
        row++;
        /* Excel's last row: say where the rest is rather than fail the whole report. */
        if (row == SHEET_ROWS - 1) {
            rc = ia_xlsx_put_str(
                b, ws, row, 0, "[...more rows than a sheet holds; see the CSV reports]", NULL, err);
            if (rc != IA_OK)
                goto out;
            break;
        }
        /* A wrapped evidence cell needs a taller row; Excel does not grow it on load. */
        for (size_t i = 0; i < t->n_cols; i++) {
            if (t->cols[i].kind == IA_RCOL_JSON && !ia_db_col_is_null(st, (int)i)) {
                int lines = render_evidence(b, ia_db_col_text(st, (int)i));
                double h = 15.0 * (lines > 12 ? 12 : lines);
                if (lines > 1 && (rc = ia_xlsx_lxw_check(b, worksheet_set_row(ws, row, h, NULL),
                                                         "set_row", err)) != IA_OK)
                    goto out;
            }
        }
        for (size_t i = 0; i < t->n_cols; i++) {
            rc = put_cell(b, ws, row, (lxw_col_t)i, st, (int)i, t->cols[i].kind, err);
            if (rc != IA_OK)
                goto out;
        }
    }
    if (r < 0) {
        rc = IA_ERR_DB;
        goto out;
    }
    rc = put_autofilter(b, ws, row, t->n_cols, err);
out:
    if (st)
        ia_db_reset(st);
    return rc;
}

static const struct ia_report_col s_leaver_cols[] = {
    { "Leaver", IA_RCOL_TEXT, 46 },
    { "User name", IA_RCOL_TEXT, 28 },
    { "Leaver's account", IA_RCOL_TEXT, 14 },
    { "Leaving date", IA_RCOL_DATE, 12 },
    { "Days since leaving", IA_RCOL_INT, 10 },
    { "User still present", IA_RCOL_TEXT, 10 },
    { "Password", IA_RCOL_TEXT, 9 },
    { "Active keys", IA_RCOL_INT, 8 },
    { "MFA devices", IA_RCOL_INT, 8 },
    { "Remaining access", IA_RCOL_TEXT, 34 },
    { "Role trusting them", IA_RCOL_TEXT, 52 },
    { "Role account", IA_RCOL_TEXT, 14 },
    { "Role account name", IA_RCOL_TEXT, 18 },
    { "Team", IA_RCOL_TEXT, 14 },
};

/*
 * The roles a leaver can still assume (access_paths, issue 14), appended to a Leavers row's
 * remaining access: "; can assume ROLE (ACCOUNT), ROLE (ACCOUNT, no MFA)" or "; no role".
 */
static enum ia_code
add_leaver_paths(struct ia_report_ctx *ctx, const char *user, const char *team, struct ia_buf *out,
                 struct ia_err *err)
{
    struct ia_db_stmt *st;
    size_t n = 0;
    int r;
    if (ia_db_prepare(ctx->db, "report_leaver_paths", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":user", user);
    ia_db_bind_text(st, ":team", team);
    while ((r = ia_db_step(st, err)) == 1) {
        ia_buf_addf(out, "%s%s (%s%s)", n++ ? ", " : "; can assume ", ia_db_col_text(st, 0),
                    ia_db_col_text(st, 1), ia_db_col_int(st, 2) ? "" : ", no MFA");
    }
    ia_db_reset(st);
    if (r < 0)
        return IA_ERR_DB;
    if (!n)
        ia_buf_addstr(out, "; can assume no role");
    return IA_OK;
}

/*
 * Leavers: one row per (leaver, role whose trust names them), from the leaver-present and
 * leaver-trusted-by-role findings; remaining access from the run's users, keys and MFA
 * devices. With team, only roles in that team's accounts (the team lead's clean-up list).
 */
static enum ia_code
write_leavers(struct book *b, struct ia_report_ctx *ctx, const char *sheet, const char *team,
              struct ia_err *err)
{
    const size_t n_cols = IA_ARRAY_LEN(s_leaver_cols);
    lxw_worksheet *ws = ia_xlsx_add_sheet(b, sheet, err);
    struct ia_db_stmt *st = NULL;
    struct ia_buf access = IA_BUF_INIT;
    lxw_row_t row = 0;
    enum ia_code rc;
    int r = 0;

    if (!ws)
        return IA_ERR_IO;
    if ((rc = put_header(b, ws, s_leaver_cols, n_cols, err)) != IA_OK)
        goto out;
    if ((rc = ia_report_query(ctx, "report_leavers", team, &st, err)) != IA_OK)
        goto out;
    while ((r = ia_db_step(st, err)) == 1) {
        struct ia_report_leaver lv;
        int present = (int)ia_db_col_int(st, 7);
        int64_t keys = ia_db_col_int(st, 5), mfa = ia_db_col_int(st, 6);
        int pw = !ia_db_col_is_null(st, 4) && ia_db_col_int(st, 4);

        row++;
        /* The leaver-present evidence first; the role finding's when that has no date. */
        ia_report_leaver_parse(ctx, ia_db_col_text(st, 3), &lv);
        if (!lv.leaving_date[0] && lv.days < 0)
            ia_report_leaver_parse(ctx, ia_db_col_text(st, 12), &lv);
        ia_buf_reset(&access);
        if (present) {
            if (pw)
                ia_buf_addstr(&access, "console password");
            if (keys)
                ia_buf_addf(&access, "%s%lld active access key%s", access.len ? ", " : "",
                            (long long)keys, keys == 1 ? "" : "s");
            if (mfa)
                ia_buf_addf(&access, "%s%lld MFA device%s", access.len ? ", " : "", (long long)mfa,
                            mfa == 1 ? "" : "s");
            if (!access.len)
                ia_buf_addstr(&access, "user exists without password or keys");
        } else {
            ia_buf_addstr(&access, "user deleted; only role trusts remain");
        }
        if (present &&
            (rc = add_leaver_paths(ctx, ia_db_col_text(st, 1), team, &access, err)) != IA_OK)
            goto out;
        if ((rc = ia_xlsx_put_str(b, ws, row, 0, ia_db_col_text(st, 0), NULL, err)) != IA_OK ||
            (rc = ia_xlsx_put_str(b, ws, row, 1, ia_db_col_text(st, 1), NULL, err)) != IA_OK ||
            (rc = ia_xlsx_put_str(b, ws, row, 2, ia_db_col_text(st, 2), NULL, err)) != IA_OK ||
            (rc = put_date(b, ws, row, 3, lv.leaving_date, err)) != IA_OK)
            goto out;
        if (lv.days >= 0 &&
            (rc = ia_xlsx_put_num(b, ws, row, 4, (double)lv.days, NULL, err)) != IA_OK)
            goto out;
        if ((rc = ia_xlsx_put_str(b, ws, row, 5, present ? "yes" : "no", NULL, err)) != IA_OK)
            goto out;
        if (present &&
            ((rc = ia_xlsx_put_str(b, ws, row, 6, pw ? "yes" : "no", NULL, err)) != IA_OK ||
             (rc = ia_xlsx_put_num(b, ws, row, 7, (double)keys, NULL, err)) != IA_OK ||
             (rc = ia_xlsx_put_num(b, ws, row, 8, (double)mfa, NULL, err)) != IA_OK))
            goto out;
        if ((rc = ia_xlsx_put_str(b, ws, row, 9, access.buf, NULL, err)) != IA_OK)
            goto out;
        for (int i = 0; i < 4; i++)
            if ((rc = ia_xlsx_put_str(b, ws, row, (lxw_col_t)(10 + i), ia_db_col_text(st, 8 + i),
                                      NULL, err)) != IA_OK)
                goto out;
    }
    if (r < 0) {
        rc = IA_ERR_DB;
        goto out;
    }
    rc = put_autofilter(b, ws, row, n_cols, err);
out:
    if (st)
        ia_db_reset(st);
    ia_buf_release(&access);
    return rc;
}

static const struct ia_report_col s_change_cols[] = {
    { "change", IA_RCOL_TEXT, 10 },       { "severity", IA_RCOL_SEVERITY, 10 },
    { "rule_id", IA_RCOL_TEXT, 26 },      { "account_id", IA_RCOL_TEXT, 14 },
    { "account_name", IA_RCOL_TEXT, 18 }, { "team", IA_RCOL_TEXT, 14 },
    { "resource_arn", IA_RCOL_TEXT, 48 }, { "principal", IA_RCOL_TEXT, 40 },
    { "title", IA_RCOL_TEXT, 60 },        { "first_seen", IA_RCOL_DATE, 12 },
};

/* Changes: findings new in this run and resolved since the previous analysed run. */
static enum ia_code
write_changes(struct book *b, struct ia_report_ctx *ctx, struct ia_err *err)
{
    const size_t n_cols = IA_ARRAY_LEN(s_change_cols);
    lxw_worksheet *ws = ia_xlsx_add_sheet(b, "Changes", err);
    struct ia_db_stmt *st = NULL;
    lxw_row_t row = 0;
    enum ia_code rc;
    int r = 0;

    if (!ws)
        return IA_ERR_IO;
    if ((rc = put_header(b, ws, s_change_cols, n_cols, err)) != IA_OK)
        goto out;
    if (!ctx->prev_run_id) {
        rc = ia_xlsx_put_str(
            b, ws, 1, 0, "No earlier analysed run to compare with: this is the first.", NULL, err);
        goto out;
    }
    if ((rc = ia_report_query(ctx, "report_changes", NULL, &st, err)) != IA_OK)
        goto out;
    ia_db_bind_int(st, ":prev_id", ctx->prev_run_id);
    while ((r = ia_db_step(st, err)) == 1) {
        row++;
        for (size_t i = 0; i < n_cols; i++)
            if ((rc = put_cell(b, ws, row, (lxw_col_t)i, st, (int)i, s_change_cols[i].kind, err)) !=
                IA_OK)
                goto out;
    }
    if (r < 0) {
        rc = IA_ERR_DB;
        goto out;
    }
    rc = put_autofilter(b, ws, row, n_cols, err);
out:
    if (st)
        ia_db_reset(st);
    return rc;
}

/* libxlsxwriter returns NULL only when out of memory, which aborts here as everywhere. */
static lxw_format *
new_format(lxw_workbook *wb)
{
    lxw_format *f = workbook_add_format(wb);
    if (!f)
        IA_BUG("out of memory adding a workbook format");
    return f;
}

static lxw_format *
sev_format(lxw_workbook *wb, int i)
{
    lxw_format *f = new_format(wb);
    format_set_bg_color(f, ia_xlsx_sev_fill[i]);
    format_set_font_color(f, ia_xlsx_sev_font[i]);
    if (i == 0)
        format_set_bold(f);
    return f;
}

/* Start a workbook on file->tmp (constant memory, its temp files in our private folder). */
static enum ia_code
book_open(struct book *b, struct ia_report_ctx *ctx, const struct ia_report_file *file,
          const char *name, const char *title, struct ia_err *err)
{
    lxw_workbook_options opt = { .constant_memory = LXW_TRUE, .tmpdir = ctx->tmp_dir };
    lxw_doc_properties props;
    struct ia_buf subject = IA_BUF_INIT;
    enum ia_code rc;

    memset(b, 0, sizeof(*b));
    ia_buf_init(&b->cell);
    ia_buf_init(&b->ev);
    b->name = name;
    b->wb = workbook_new_opt(file->tmp, &opt);
    if (!b->wb)
        return ia_err_set(err, IA_ERR_IO, "%s: cannot start the workbook (out of memory?)", name);
    ia_buf_addf(&subject, "IAM audit of run %lld (%s)", (long long)ctx->run_id, ctx->run_iso);
    memset(&props, 0, sizeof(props));
    props.title = (char *)title;
    props.subject = subject.buf;
    props.author = "iam-audit";
    props.company = "iam-audit";
    props.comments = "Generated by iam-audit report; see docs/reports.md";
    /* From the run, not the clock: the same run gives the same bytes. */
    props.created = ctx->run_time;
    rc = ia_xlsx_lxw_check(b, workbook_set_properties(b->wb, &props), "set_properties", err);
    ia_buf_release(&subject);
    if (rc != IA_OK)
        return rc;

    b->title = new_format(b->wb);
    format_set_bold(b->title);
    format_set_font_size(b->title, 16);
    b->section = new_format(b->wb);
    format_set_bold(b->section);
    format_set_font_size(b->section, 12);
    b->header = new_format(b->wb);
    format_set_bold(b->header);
    format_set_bg_color(b->header, 0x1F3864);
    format_set_font_color(b->header, 0xFFFFFF);
    format_set_border(b->header, LXW_BORDER_THIN);
    b->label = new_format(b->wb);
    format_set_bold(b->label);
    b->date = new_format(b->wb);
    format_set_num_format(b->date, "yyyy-mm-dd");
    format_set_align(b->date, LXW_ALIGN_LEFT);
    b->datetime = new_format(b->wb);
    format_set_num_format(b->datetime, "yyyy-mm-dd hh:mm");
    format_set_align(b->datetime, LXW_ALIGN_LEFT);
    b->wrap = new_format(b->wb);
    format_set_text_wrap(b->wrap);
    format_set_align(b->wrap, LXW_ALIGN_VERTICAL_TOP);
    b->num = new_format(b->wb);
    format_set_align(b->num, LXW_ALIGN_LEFT);
    for (int i = 0; i < N_SEV; i++)
        b->sev[i] = sev_format(b->wb, i);
    return IA_OK;
}

/* Finish the workbook (always frees it); the file is committed by the caller. */
static enum ia_code
book_close(struct book *b, enum ia_code rc, struct ia_err *err)
{
    lxw_error e = LXW_NO_ERROR;
    if (b->wb)
        e = workbook_close(b->wb);
    b->wb = NULL;
    ia_buf_release(&b->cell);
    ia_buf_release(&b->ev);
    if (rc != IA_OK)
        return rc;
    return ia_xlsx_lxw_check(b, e, "close", err);
}

enum ia_code
ia_report_xlsx_write(struct ia_report_ctx *ctx, struct ia_err *err)
{
    struct ia_report_file file;
    struct ia_buf name = IA_BUF_INIT, title = IA_BUF_INIT;
    struct book b;
    enum ia_code rc;

    memset(&b, 0, sizeof(b));
    ia_buf_addf(&name, "iam-audit-%s.xlsx", ctx->run_date);
    ia_buf_addf(&title, "iam-audit report %s", ctx->run_date);
    if ((rc = ia_report_file_open(ctx, name.buf, 0, &file, err)) != IA_OK)
        goto out;
    if ((rc = book_open(&b, ctx, &file, name.buf, title.buf, err)) == IA_OK &&
        (rc = ia_xlsx_write_summary(&b, ctx, NULL, err)) == IA_OK &&
        (rc = write_table_sheet(&b, ctx, &ia_report_findings_table, NULL, NULL, err)) == IA_OK &&
        (rc = write_leavers(&b, ctx, "Leavers", NULL, err)) == IA_OK &&
        (rc = write_table_sheet(&b, ctx, &ia_report_access_sheet_table, NULL, NULL, err)) ==
            IA_OK &&
        (rc = write_changes(&b, ctx, err)) == IA_OK &&
        (rc = write_table_sheet(&b, ctx, &ia_report_users_table, NULL, NULL, err)) == IA_OK &&
        (rc = write_table_sheet(&b, ctx, &ia_report_roles_table, NULL, NULL, err)) == IA_OK)
        rc = write_table_sheet(&b, ctx, &ia_report_trusts_table, NULL, NULL, err);
    rc = book_close(&b, rc, err);
    if (rc == IA_OK)
        rc = ia_report_file_commit(ctx, &file, err);
out:
    ia_report_file_abort(&file);
    ia_buf_release(&name);
    ia_buf_release(&title);
    return rc;
}

static const struct ia_report_col s_bootstrap_cols[] = {
    { "account_id", IA_RCOL_TEXT, 14 },    { "account_name", IA_RCOL_TEXT, 18 },
    { "team", IA_RCOL_TEXT, 14 },          { "role_arn", IA_RCOL_TEXT, 52 },
    { "severity", IA_RCOL_SEVERITY, 10 },  { "title", IA_RCOL_TEXT, 60 },
    { "first_seen", IA_RCOL_DATE, 12 },    { "status", IA_RCOL_TEXT, 11 },
    { "suppressed_by", IA_RCOL_TEXT, 18 }, { "evidence", IA_RCOL_JSON, 80 },
};
static const struct ia_report_table s_bootstrap_table = {
    "report_bootstrap_roles",       NULL, "Bootstrap roles", s_bootstrap_cols,
    IA_ARRAY_LEN(s_bootstrap_cols),
};

enum ia_code
ia_report_xlsx_team_write(struct ia_report_ctx *ctx, const char *team, const char *file_part,
                          struct ia_err *err)
{
    struct ia_report_file file;
    struct ia_buf name = IA_BUF_INIT, title = IA_BUF_INIT;
    struct book b;
    enum ia_code rc;

    memset(&b, 0, sizeof(b));
    ia_buf_addf(&name, "team-%s.xlsx", file_part);
    ia_buf_addf(&title, "iam-audit team %s %s", team, ctx->run_date);
    if ((rc = ia_report_file_open(ctx, name.buf, 0, &file, err)) != IA_OK)
        goto out;
    if ((rc = book_open(&b, ctx, &file, name.buf, title.buf, err)) == IA_OK &&
        (rc = ia_xlsx_write_summary(&b, ctx, team, err)) == IA_OK &&
        (rc = write_table_sheet(&b, ctx, &ia_report_findings_table, NULL, team, err)) == IA_OK &&
        (rc = write_leavers(&b, ctx, "Leaver clean-up", team, err)) == IA_OK &&
        (rc = write_table_sheet(&b, ctx, &ia_report_access_sheet_table, NULL, team, err)) == IA_OK)
        rc = write_table_sheet(&b, ctx, &s_bootstrap_table, NULL, team, err);
    rc = book_close(&b, rc, err);
    if (rc == IA_OK)
        rc = ia_report_file_commit(ctx, &file, err);
out:
    ia_report_file_abort(&file);
    ia_buf_release(&name);
    ia_buf_release(&title);
    return rc;
}
