/*
 * The CSV reports: findings.csv and the users, roles and trusts inventories. Every field
 * goes through ia_csv_write_row with inert = 1: IAM user names may legally start with '='
 * or '+', and a spreadsheet would otherwise run them as formulas (OWASP CSV injection).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/csv.h"
#include "core/mem.h"
#include "reports/report_int.h"

static const char *
field_text(struct ia_db_stmt *st, int col, enum ia_report_kind kind)
{
    if (ia_db_col_is_null(st, col))
        return "";
    if (kind == IA_RCOL_BOOL)
        return ia_db_col_int(st, col) ? "true" : "false";
    return ia_db_col_text(st, col);
}

static enum ia_code
write_error(const struct ia_report_file *file, struct ia_err *err)
{
    return ia_err_set(err, IA_ERR_IO, "cannot write %s: %s (is the disk full?)", file->tmp,
                      strerror(errno));
}

static enum ia_code
write_table(struct ia_report_ctx *ctx, const struct ia_report_table *t, struct ia_err *err)
{
    struct ia_report_file file;
    struct ia_db_stmt *st = NULL;
    const char *fields[32];
    enum ia_code rc;
    int r = 0;

    IA_ASSERT(t->n_cols <= IA_ARRAY_LEN(fields));
    if ((rc = ia_report_file_open(ctx, t->csv_name, 1, &file, err)) != IA_OK)
        return rc;
    for (size_t i = 0; i < t->n_cols; i++)
        fields[i] = t->cols[i].name;
    if (ia_csv_write_row(file.f, fields, t->n_cols, 1) != 0) {
        rc = write_error(&file, err);
        goto out;
    }
    if ((rc = ia_report_query(ctx, t->query, NULL, &st, err)) != IA_OK)
        goto out;
    while ((r = ia_db_step(st, err)) == 1) {
        for (size_t i = 0; i < t->n_cols; i++)
            fields[i] = field_text(st, (int)i, t->cols[i].kind);
        if (ia_csv_write_row(file.f, fields, t->n_cols, 1) != 0) {
            rc = write_error(&file, err);
            goto out;
        }
    }
    if (r < 0) {
        rc = IA_ERR_DB;
        goto out;
    }
    rc = ia_report_file_commit(ctx, &file, err);
out:
    if (st)
        ia_db_reset(st);
    ia_report_file_abort(&file);
    return rc;
}

enum ia_code
ia_report_csv_write(struct ia_report_ctx *ctx, struct ia_err *err)
{
    const struct ia_report_table *tables[] = {
        &ia_report_findings_table, &ia_report_users_table,  &ia_report_roles_table,
        &ia_report_trusts_table,   &ia_report_access_table,
    };
    for (size_t i = 0; i < IA_ARRAY_LEN(tables); i++) {
        enum ia_code rc = write_table(ctx, tables[i], err);
        if (rc != IA_OK) {
            ia_err_prefix(err, "%s: ", tables[i]->csv_name);
            return rc;
        }
    }
    return IA_OK;
}
