/* Inside the XLSX writer: what xlsx.c (workbooks, tables) and xlsx_summary.c share. */
#ifndef IA_REPORTS_XLSX_INT_H
#define IA_REPORTS_XLSX_INT_H

#include <time.h>
#include <xlsxwriter.h>

#include "core/buf.h"
#include "reports/report_int.h"

#define N_SEV 5

/* Severity names, fills, fonts and chart colours, most severe first. */
extern const char *const ia_xlsx_sev[N_SEV];
extern const lxw_color_t ia_xlsx_sev_fill[N_SEV];
extern const lxw_color_t ia_xlsx_sev_font[N_SEV];
extern const lxw_color_t ia_xlsx_sev_chart[N_SEV];

struct book {
    lxw_workbook *wb;
    const char *name; /* file name, for messages */
    lxw_format *title, *section, *header, *label, *date, *datetime, *wrap, *num;
    lxw_format *sev[N_SEV];
    struct ia_buf cell; /* scratch for sanitised cell text */
    struct ia_buf ev;   /* scratch for rendered evidence */
};

IA_MUST_USE enum ia_code ia_xlsx_lxw_check(struct book *b, lxw_error e, const char *what,
                                           struct ia_err *err);
/* Index of a severity name in ia_xlsx_sev, or -1. */
int ia_xlsx_sev_index(const char *s);
IA_MUST_USE enum ia_code ia_xlsx_put_str(struct book *b, lxw_worksheet *ws, lxw_row_t row,
                                         lxw_col_t col, const char *s, lxw_format *fmt,
                                         struct ia_err *err);
IA_MUST_USE enum ia_code ia_xlsx_put_num(struct book *b, lxw_worksheet *ws, lxw_row_t row,
                                         lxw_col_t col, double v, lxw_format *fmt,
                                         struct ia_err *err);
/* A date cell (with the time of day when with_time). */
IA_MUST_USE enum ia_code ia_xlsx_put_time(struct book *b, lxw_worksheet *ws, lxw_row_t row,
                                          lxw_col_t col, time_t t, int with_time,
                                          struct ia_err *err);
lxw_worksheet *ia_xlsx_add_sheet(struct book *b, const char *name, struct ia_err *err);
/* The Summary sheet (xlsx_summary.c): the whole run, or one team's accounts. */
IA_MUST_USE enum ia_code ia_xlsx_write_summary(struct book *b, struct ia_report_ctx *ctx,
                                               const char *team, struct ia_err *err);

#endif
