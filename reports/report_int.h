/*
 * Internals shared by the report writers (csv.c, jsonl.c, xlsx.c) and report.c, which
 * drives them. Not for use outside reports/.
 */
#ifndef IA_REPORTS_REPORT_INT_H
#define IA_REPORTS_REPORT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "reports/report.h"
#include "sql/db.h"

/* The run being reported on, and where the files go. */
struct ia_report_ctx {
    struct ia_db *db; /* borrowed */
    int64_t run_id;
    int64_t prev_run_id; /* 0: no earlier analysed run */
    time_t run_time;     /* runs.started_at */
    char run_date[11];   /* YYYY-MM-DD of run_time */
    char run_iso[IA_TIME_ISO_LEN];
    char run_status[16];           /* complete or partial */
    const char *out_dir;           /* borrowed */
    char *tmp_dir;                 /* owned: private 0700 mkdtemp folder in out_dir where
                                      every file is written before its rename into place */
    struct ia_report_summary *sum; /* files are appended here */
};

/* How a column's value is shown: all are text in CSV; XLSX gives each its cell type. */
enum ia_report_kind {
    IA_RCOL_TEXT,     /* string cell */
    IA_RCOL_INT,      /* number cell */
    IA_RCOL_BOOL,     /* 1/0/NULL: "true"/"false"/"" in CSV, "yes"/"no"/"" in XLSX */
    IA_RCOL_DATE,     /* ISO 8601 text: a real date cell in XLSX (text when unparseable) */
    IA_RCOL_SEVERITY, /* string cell coloured by severity */
    IA_RCOL_JSON,     /* JSON text: one "key: value" line per member in XLSX, wrapped */
};

struct ia_report_col {
    const char *name; /* header in CSV and XLSX */
    enum ia_report_kind kind;
    double width; /* XLSX column width in characters */
};

/*
 * A table: a named query of sql/queries.sql taking :run_id and :team whose result columns
 * are, in order, cols. The same definition writes the CSV and the XLSX sheet.
 */
struct ia_report_table {
    const char *query;
    const char *csv_name; /* NULL: XLSX only */
    const char *sheet;    /* sheet name, <= 31 characters */
    const struct ia_report_col *cols;
    size_t n_cols;
};

extern const struct ia_report_table ia_report_findings_table;
extern const struct ia_report_table ia_report_users_table;
extern const struct ia_report_table ia_report_roles_table;
extern const struct ia_report_table ia_report_trusts_table;
/* reports/access.c: access.csv (per path) and the Access sheets (per person and account) */
extern const struct ia_report_table ia_report_access_table;
extern const struct ia_report_table ia_report_access_sheet_table;

/*
 * Prepare a named query and bind :run_id (ctx->run_id) and :team (NULL: every team).
 * The statement is cached on the database (borrowed; ia_db_reset when done).
 */
IA_MUST_USE enum ia_code ia_report_query(struct ia_report_ctx *ctx, const char *name,
                                         const char *team, struct ia_db_stmt **out,
                                         struct ia_err *err);

/* An output file being written under a temporary name in ctx->out_dir. */
struct ia_report_file {
    char *path; /* final path */
    char *tmp;  /* temporary path, created 0600 and exclusive */
    FILE *f;    /* open stream when opened with stream = 1, else NULL */
};

/*
 * Create tmp_dir/NAME with mode 0600 (O_EXCL, O_NOFOLLOW). tmp_dir is ours alone (0700), so
 * a writer that reopens the file by name (libxlsxwriter) cannot be redirected. With
 * stream, *out->f is open for writing; without, the empty file is closed again so another
 * writer (libxlsxwriter) can fopen it, keeping the mode. Release with commit or abort.
 */
IA_MUST_USE enum ia_code ia_report_file_open(struct ia_report_ctx *ctx, const char *name,
                                             int stream, struct ia_report_file *out,
                                             struct ia_err *err);
/* Flush and close the stream, fchmod 0600, rename into out_dir, add the path to ctx->sum. */
IA_MUST_USE enum ia_code ia_report_file_commit(struct ia_report_ctx *ctx,
                                               struct ia_report_file *file, struct ia_err *err);
/* Close and remove the temporary file. NULL-safe; a no-op after commit. */
void ia_report_file_abort(struct ia_report_file *file);

/* findings.csv, users.csv, roles.csv, trusts.csv */
IA_MUST_USE enum ia_code ia_report_csv_write(struct ia_report_ctx *ctx, struct ia_err *err);
/* findings.jsonl */
IA_MUST_USE enum ia_code ia_report_jsonl_write(struct ia_report_ctx *ctx, struct ia_err *err);
/* iam-audit-YYYY-MM-DD.xlsx */
IA_MUST_USE enum ia_code ia_report_xlsx_write(struct ia_report_ctx *ctx, struct ia_err *err);
/* team-FILEPART.xlsx for one team (team: the name as stored in accounts.team) */
IA_MUST_USE enum ia_code ia_report_xlsx_team_write(struct ia_report_ctx *ctx, const char *team,
                                                   const char *file_part, struct ia_err *err);

/* Leaver details from a leaver-present finding's evidence (analyser-defined JSON). */
struct ia_report_leaver {
    char leaving_date[11]; /* "" when the evidence has none */
    long days;             /* days since leaving; -1 when unknown */
};
/* Read "leaving_date" (or "left_on"/"leaving") and "days_since_leaving" (or
 * "days_since_left"/"days"); days is computed from the date and ctx->run_time when absent. */
void ia_report_leaver_parse(struct ia_report_ctx *ctx, const char *evidence,
                            struct ia_report_leaver *out);

#endif
