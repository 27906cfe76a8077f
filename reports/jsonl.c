/*
 * findings.jsonl: one JSON object per finding, keys as the findings.csv columns, evidence
 * as a nested object. For a SIEM or a script, so no formula neutralisation: values are
 * exactly as stored.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "reports/report_int.h"

static json_t *
column_value(struct ia_db_stmt *st, int col, enum ia_report_kind kind)
{
    const char *text;
    json_t *v;

    if (ia_db_col_is_null(st, col))
        return json_null();
    text = ia_db_col_text(st, col);
    if (kind != IA_RCOL_JSON)
        return json_string(text);
    /* Evidence is written by the analyser as a JSON object; anything else stays a string. */
    v = json_loads(text, JSON_DECODE_ANY, NULL);
    return v ? v : json_string(text);
}

enum ia_code
ia_report_jsonl_write(struct ia_report_ctx *ctx, struct ia_err *err)
{
    const struct ia_report_table *t = &ia_report_findings_table;
    struct ia_report_file file;
    struct ia_db_stmt *st = NULL;
    enum ia_code rc;
    int r = 0;

    if ((rc = ia_report_file_open(ctx, "findings.jsonl", 1, &file, err)) != IA_OK)
        return rc;
    if ((rc = ia_report_query(ctx, t->query, NULL, &st, err)) != IA_OK)
        goto out;
    while ((r = ia_db_step(st, err)) == 1) {
        json_t *obj = json_object();
        for (size_t i = 0; i < t->n_cols; i++) {
            json_t *v = column_value(st, (int)i, t->cols[i].kind);
            /* json_string rejects invalid UTF-8: keep the row, mark the field. */
            json_object_set_new(obj, t->cols[i].name, v ? v : json_string("(invalid UTF-8)"));
        }
        int bad = json_dumpf(obj, file.f, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 ||
                  fputc('\n', file.f) == EOF;
        json_decref(obj);
        if (bad) {
            rc = ia_err_set(err, IA_ERR_IO, "cannot write %s: %s (is the disk full?)", file.tmp,
                            strerror(errno));
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
    if (rc != IA_OK)
        ia_err_prefix(err, "findings.jsonl: ");
    return rc;
}
