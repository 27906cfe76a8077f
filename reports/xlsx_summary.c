/*
 * The Summary sheet: run facts, what was not checked, carried-forward accounts, counts by
 * severity, team and rule, the accounts not audited, and a chart. Everything comes from SQL
 * aggregates (the sheet is written in constant_memory mode, rows in order).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "reports/xlsx_int.h"

/* Summary figures gathered by SQL before the sheet is streamed. */
struct summary {
    int64_t accounts_ok, accounts_failed, accounts_other;
    int64_t open[N_SEV], suppressed[N_SEV];
    int64_t open_total, suppressed_total;
    int64_t new_count, resolved_count;
};

static enum ia_code
gather_summary(struct ia_report_ctx *ctx, const char *team, struct summary *s, struct ia_err *err)
{
    struct ia_db_stmt *st;
    enum ia_code rc;
    int r;

    memset(s, 0, sizeof(*s));
    if ((rc = ia_report_query(ctx, "report_accounts", team, &st, err)) != IA_OK)
        return rc;
    while ((r = ia_db_step(st, err)) == 1) {
        const char *status = ia_db_col_text(st, 3);
        if (status && strcmp(status, "ok") == 0)
            s->accounts_ok++;
        else if (status && strcmp(status, "failed") == 0)
            s->accounts_failed++;
        else
            s->accounts_other++;
    }
    ia_db_reset(st);
    if (r < 0)
        return IA_ERR_DB;
    if ((rc = ia_report_query(ctx, "report_severity_counts", team, &st, err)) != IA_OK)
        return rc;
    while ((r = ia_db_step(st, err)) == 1) {
        int i = ia_xlsx_sev_index(ia_db_col_text(st, 0));
        if (i < 0)
            continue;
        s->open[i] = ia_db_col_int(st, 1);
        s->suppressed[i] = ia_db_col_int(st, 2);
        s->open_total += s->open[i];
        s->suppressed_total += s->suppressed[i];
    }
    ia_db_reset(st);
    if (r < 0)
        return IA_ERR_DB;
    if (!ctx->prev_run_id)
        return IA_OK;
    if ((rc = ia_report_query(ctx, "report_change_counts", team, &st, err)) != IA_OK)
        return rc;
    ia_db_bind_int(st, ":prev_id", ctx->prev_run_id);
    r = ia_db_step(st, err);
    if (r == 1) {
        s->new_count = ia_db_col_int(st, 0);
        s->resolved_count = ia_db_col_int(st, 1);
    }
    ia_db_reset(st);
    return r < 0 ? IA_ERR_DB : IA_OK;
}

/* A label in column A and a value in B (a number, or text when text is not NULL). */
static enum ia_code
put_fact(struct book *b, lxw_worksheet *ws, lxw_row_t row, const char *label, const char *text,
         int64_t v, struct ia_err *err)
{
    enum ia_code rc = ia_xlsx_put_str(b, ws, row, 0, label, b->label, err);
    if (rc != IA_OK)
        return rc;
    if (text)
        return ia_xlsx_put_str(b, ws, row, 1, text, NULL, err);
    return ia_xlsx_put_num(b, ws, row, 1, (double)v, b->num, err);
}

/* Row of headers starting at column 0. */
static enum ia_code
put_header_row(struct book *b, lxw_worksheet *ws, lxw_row_t row, const char *const *names, size_t n,
               struct ia_err *err)
{
    for (size_t i = 0; i < n; i++) {
        enum ia_code rc = ia_xlsx_put_str(b, ws, row, (lxw_col_t)i, names[i], b->header, err);
        if (rc != IA_OK)
            return rc;
    }
    return IA_OK;
}

/* Open findings by team and severity, one stacked column per team, from the table at
 * rows first..last (columns B..F: critical..info). */
static lxw_chart *
team_chart(struct book *b, lxw_row_t header, lxw_row_t first, lxw_row_t last)
{
    lxw_chart *chart = workbook_add_chart(b->wb, LXW_CHART_COLUMN_STACKED);
    if (!chart)
        return NULL;
    for (int i = 0; i < N_SEV; i++) {
        lxw_chart_series *s = chart_add_series(chart, NULL, NULL);
        lxw_chart_fill fill = { .color = ia_xlsx_sev_chart[i] };
        if (!s)
            return NULL;
        chart_series_set_categories(s, "Summary", first, 0, last, 0);
        chart_series_set_values(s, "Summary", first, (lxw_col_t)(1 + i), last, (lxw_col_t)(1 + i));
        chart_series_set_name_range(s, "Summary", header, (lxw_col_t)(1 + i));
        chart_series_set_fill(s, &fill);
    }
    chart_title_set_name(chart, "Open findings by team and severity");
    chart_legend_set_position(chart, LXW_CHART_LEGEND_BOTTOM);
    return chart;
}

/* Open findings by severity, one bar per severity in its colour, from rows first..last. */
static lxw_chart *
severity_chart(struct book *b, lxw_row_t first, lxw_row_t last)
{
    lxw_chart *chart = workbook_add_chart(b->wb, LXW_CHART_COLUMN);
    lxw_chart_fill fills[N_SEV];
    lxw_chart_point pts[N_SEV];
    lxw_chart_point *ptrs[N_SEV + 1];
    lxw_chart_series *s;

    if (!chart || !(s = chart_add_series(chart, NULL, NULL)))
        return NULL;
    chart_series_set_categories(s, "Summary", first, 0, last, 0);
    chart_series_set_values(s, "Summary", first, 1, last, 1);
    chart_series_set_name(s, "Open findings");
    for (int i = 0; i < N_SEV; i++) {
        memset(&fills[i], 0, sizeof(fills[i]));
        memset(&pts[i], 0, sizeof(pts[i]));
        fills[i].color = ia_xlsx_sev_chart[i];
        pts[i].fill = &fills[i];
        ptrs[i] = &pts[i];
    }
    ptrs[N_SEV] = NULL;
    if (chart_series_set_points(s, ptrs) != LXW_NO_ERROR)
        return NULL;
    chart_title_set_name(chart, "Open findings by severity");
    chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
    return chart;
}

/*
 * "Not checked" facts: one row per reason for the rules the analysis did not evaluate (no
 * leavers file, no roster), so nobody reads their absence as a clean bill (issue 19.2).
 */
static enum ia_code
put_not_checked(struct book *b, lxw_worksheet *ws, struct ia_report_ctx *ctx, const char *team,
                lxw_row_t *row, struct ia_err *err)
{
    struct ia_db_stmt *st;
    struct ia_buf text = IA_BUF_INIT;
    enum ia_code rc;
    int r;
    if ((rc = ia_report_query(ctx, "report_not_checked", team, &st, err)) != IA_OK)
        return rc;
    while ((r = ia_db_step(st, err)) == 1) {
        ia_buf_reset(&text);
        ia_buf_addf(&text, "%s: %s", ia_db_col_text(st, 0) ? ia_db_col_text(st, 0) : "?",
                    ia_db_col_text(st, 1) ? ia_db_col_text(st, 1) : "?");
        if ((rc = put_fact(b, ws, (*row)++, "NOT CHECKED", text.buf, 0, err)) != IA_OK)
            break;
    }
    ia_db_reset(st);
    ia_buf_release(&text);
    if (rc != IA_OK)
        return rc;
    return r < 0 ? IA_ERR_DB : IA_OK;
}

/*
 * "Data carried forward" facts: accounts this run did not read itself (`collect --account`
 * for others), with the run that read them and when: the data's age (issue 19.3).
 */
static enum ia_code
put_carried(struct book *b, lxw_worksheet *ws, struct ia_report_ctx *ctx, const char *team,
            lxw_row_t *row, struct ia_err *err)
{
    struct ia_db_stmt *st;
    struct ia_buf text = IA_BUF_INIT;
    enum ia_code rc;
    int r;
    if ((rc = ia_report_query(ctx, "report_carried", team, &st, err)) != IA_OK)
        return rc;
    while ((r = ia_db_step(st, err)) == 1) {
        const char *at = ia_db_col_text(st, 3);
        ia_buf_reset(&text);
        ia_buf_addf(&text, "%s (%s): data of run %lld, read %s", ia_db_col_text(st, 0),
                    ia_db_col_text(st, 1) ? ia_db_col_text(st, 1) : "",
                    (long long)ia_db_col_int(st, 2), at ? at : "never (failed there)");
        if ((rc = put_fact(b, ws, (*row)++, "Data carried forward", text.buf, 0, err)) != IA_OK)
            break;
    }
    ia_db_reset(st);
    ia_buf_release(&text);
    if (rc != IA_OK)
        return rc;
    return r < 0 ? IA_ERR_DB : IA_OK;
}

/*
 * Summary: run facts, counts by severity, by team (workbook for everyone), by rule, the
 * accounts that could not be audited, and a chart. With team, only that team's accounts.
 */
enum ia_code
ia_xlsx_write_summary(struct book *b, struct ia_report_ctx *ctx, const char *team,
                      struct ia_err *err)
{
    static const char *const sev_head[] = { "Severity", "Open", "Suppressed" };
    static const char *const team_head[] = { "Team", "critical", "high",      "medium",
                                             "low",  "info",     "Total open" };
    static const char *const rule_head[] = { "Rule", "Highest severity", "Open", "Suppressed" };
    static const char *const acct_head[] = { "Account", "Name",       "Team",
                                             "Status",  "Error code", "Error message" };
    lxw_worksheet *ws = ia_xlsx_add_sheet(b, "Summary", err);
    struct ia_db_stmt *st = NULL;
    struct summary s;
    struct ia_buf text = IA_BUF_INIT;
    lxw_row_t row = 0, sev_first, team_head_row = 0, team_first = 0, team_last = 0;
    lxw_chart *chart = NULL;
    lxw_chart_options chart_opt = { .x_offset = 10, .y_offset = 4, .x_scale = 1.6, .y_scale = 1.4 };
    enum ia_code rc;
    int r = 0, n_teams = 0;

    if (!ws)
        return IA_ERR_IO;
    if ((rc = gather_summary(ctx, team, &s, err)) != IA_OK)
        goto out;
    worksheet_set_landscape(ws);
    worksheet_fit_to_pages(ws, 1, 0);
    static const double widths[] = { 30, 18, 12, 12, 12, 12, 12 };
    for (size_t i = 0; i < IA_ARRAY_LEN(widths); i++)
        if ((rc = ia_xlsx_lxw_check(
                 b, worksheet_set_column(ws, (lxw_col_t)i, (lxw_col_t)i, widths[i], NULL),
                 "set_column", err)) != IA_OK)
            goto out;
    if (team)
        ia_buf_addf(&text, "iam-audit: clean-up for team %s", team);
    else
        ia_buf_addstr(&text, "iam-audit: IAM audit report");
    if ((rc = ia_xlsx_put_str(b, ws, row, 0, text.buf, b->title, err)) != IA_OK)
        goto out;
    row += 2;
    if ((rc = put_fact(b, ws, row++, "Run", NULL, ctx->run_id, err)) != IA_OK ||
        (rc = ia_xlsx_put_str(b, ws, row, 0, "Run date (UTC)", b->label, err)) != IA_OK ||
        (rc = ia_xlsx_put_time(b, ws, row++, 1, ctx->run_time, 1, err)) != IA_OK ||
        (rc = put_fact(b, ws, row++, "Run status", ctx->run_status, 0, err)) != IA_OK ||
        (rc = put_fact(b, ws, row++, "Accounts audited", NULL, s.accounts_ok, err)) != IA_OK ||
        (rc = put_fact(b, ws, row++, "Accounts failed", NULL, s.accounts_failed, err)) != IA_OK)
        goto out;
    if (ctx->prev_run_id) {
        if ((rc = put_fact(b, ws, row++, "Compared with run", NULL, ctx->prev_run_id, err)) !=
                IA_OK ||
            (rc = put_fact(b, ws, row++, "New since that run", NULL, s.new_count, err)) != IA_OK ||
            (rc = put_fact(b, ws, row++, "Resolved since that run", NULL, s.resolved_count, err)) !=
                IA_OK)
            goto out;
    } else if ((rc = put_fact(b, ws, row++, "Compared with run",
                              "none: this is the first analysed run", 0, err)) != IA_OK) {
        goto out;
    }
    if ((rc = put_fact(b, ws, row++, "Open findings", NULL, s.open_total, err)) != IA_OK ||
        (rc = put_fact(b, ws, row++, "Suppressed by exceptions", NULL, s.suppressed_total, err)) !=
            IA_OK)
        goto out;
    if ((rc = put_not_checked(b, ws, ctx, team, &row, err)) != IA_OK ||
        (rc = put_carried(b, ws, ctx, team, &row, err)) != IA_OK)
        goto out;

    row++;
    if ((rc = ia_xlsx_put_str(b, ws, row++, 0, "Findings by severity", b->section, err)) != IA_OK ||
        (rc = put_header_row(b, ws, row++, sev_head, 3, err)) != IA_OK)
        goto out;
    sev_first = row;
    for (int i = 0; i < N_SEV; i++, row++)
        if ((rc = ia_xlsx_put_str(b, ws, row, 0, ia_xlsx_sev[i], b->sev[i], err)) != IA_OK ||
            (rc = ia_xlsx_put_num(b, ws, row, 1, (double)s.open[i], NULL, err)) != IA_OK ||
            (rc = ia_xlsx_put_num(b, ws, row, 2, (double)s.suppressed[i], NULL, err)) != IA_OK)
            goto out;

    if (!team) {
        row++;
        if ((rc = ia_xlsx_put_str(b, ws, row++, 0, "Open findings by team", b->section, err)) !=
            IA_OK)
            goto out;
        team_head_row = row;
        if ((rc = put_header_row(b, ws, row++, team_head, IA_ARRAY_LEN(team_head), err)) != IA_OK)
            goto out;
        team_first = row;
        if ((rc = ia_report_query(ctx, "report_team_counts", NULL, &st, err)) != IA_OK)
            goto out;
        while ((r = ia_db_step(st, err)) == 1) {
            int64_t total = 0;
            if ((rc = ia_xlsx_put_str(b, ws, row, 0, ia_db_col_text(st, 0), NULL, err)) != IA_OK)
                goto out;
            for (int i = 0; i < N_SEV; i++) {
                total += ia_db_col_int(st, 1 + i);
                if ((rc = ia_xlsx_put_num(b, ws, row, (lxw_col_t)(1 + i),
                                          (double)ia_db_col_int(st, 1 + i), NULL, err)) != IA_OK)
                    goto out;
            }
            if ((rc = ia_xlsx_put_num(b, ws, row, 6, (double)total, NULL, err)) != IA_OK)
                goto out;
            team_last = row++;
            n_teams++;
        }
        ia_db_reset(st);
        st = NULL;
        if (r < 0) {
            rc = IA_ERR_DB;
            goto out;
        }
    }

    row++;
    if ((rc = ia_xlsx_put_str(b, ws, row++, 0, "Findings by rule", b->section, err)) != IA_OK ||
        (rc = put_header_row(b, ws, row++, rule_head, IA_ARRAY_LEN(rule_head), err)) != IA_OK)
        goto out;
    if ((rc = ia_report_query(ctx, "report_rule_counts", team, &st, err)) != IA_OK)
        goto out;
    while ((r = ia_db_step(st, err)) == 1) {
        int sev = ia_xlsx_sev_index(ia_db_col_text(st, 1));
        if ((rc = ia_xlsx_put_str(b, ws, row, 0, ia_db_col_text(st, 0), NULL, err)) != IA_OK ||
            (rc = ia_xlsx_put_str(b, ws, row, 1, ia_db_col_text(st, 1),
                                  sev >= 0 ? b->sev[sev] : NULL, err)) != IA_OK ||
            (rc = ia_xlsx_put_num(b, ws, row, 2, (double)ia_db_col_int(st, 2), NULL, err)) !=
                IA_OK ||
            (rc = ia_xlsx_put_num(b, ws, row, 3, (double)ia_db_col_int(st, 3), NULL, err)) != IA_OK)
            goto out;
        row++;
    }
    ia_db_reset(st);
    st = NULL;
    if (r < 0) {
        rc = IA_ERR_DB;
        goto out;
    }

    row++;
    if ((rc = ia_xlsx_put_str(b, ws, row++, 0, "Accounts not audited", b->section, err)) != IA_OK)
        goto out;
    if (!s.accounts_failed && !s.accounts_other) {
        if ((rc = ia_xlsx_put_str(b, ws, row++, 0, "none: every account was audited", NULL, err)) !=
            IA_OK)
            goto out;
    } else {
        if ((rc = put_header_row(b, ws, row++, acct_head, IA_ARRAY_LEN(acct_head), err)) != IA_OK)
            goto out;
        if ((rc = ia_report_query(ctx, "report_accounts", team, &st, err)) != IA_OK)
            goto out;
        while ((r = ia_db_step(st, err)) == 1) {
            const char *status = ia_db_col_text(st, 3);
            if (status && strcmp(status, "ok") == 0)
                continue;
            for (int i = 0; i < 6; i++)
                if ((rc = ia_xlsx_put_str(b, ws, row, (lxw_col_t)i, ia_db_col_text(st, i), NULL,
                                          err)) != IA_OK)
                    goto out;
            row++;
        }
        ia_db_reset(st);
        st = NULL;
        if (r < 0) {
            rc = IA_ERR_DB;
            goto out;
        }
    }

    chart = n_teams > 0 ? team_chart(b, team_head_row, team_first, team_last)
                        : severity_chart(b, sev_first, sev_first + N_SEV - 1);
    if (!chart) {
        rc = ia_err_set(err, IA_ERR_IO, "%s: cannot create the summary chart (out of memory?)",
                        b->name);
        goto out;
    }
    rc = ia_xlsx_lxw_check(b, worksheet_insert_chart_opt(ws, 2, 8, chart, &chart_opt),
                           "insert_chart", err);
out:
    if (st)
        ia_db_reset(st);
    ia_buf_release(&text);
    return rc;
}
