/*
 * Reports: one analysed run of the database written out for people and scripts.
 * findings.csv, users.csv, roles.csv, trusts.csv (RFC 4180, formula-inert), findings.jsonl,
 * the workbook iam-audit-YYYY-MM-DD.xlsx and, on request, one team-NAME.xlsx per team.
 * docs/reports.md describes every file and column.
 */
#ifndef IA_REPORTS_REPORT_H
#define IA_REPORTS_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "sql/db.h"

/* Formats, or-ed together. */
#define IA_REPORT_CSV 1u
#define IA_REPORT_XLSX 2u
#define IA_REPORT_JSONL 4u
#define IA_REPORT_ALL (IA_REPORT_CSV | IA_REPORT_XLSX | IA_REPORT_JSONL)

/* What ia_report_write did. Release with ia_report_summary_release. */
struct ia_report_summary {
    int64_t run_id;       /* the run reported on */
    int64_t previous_run; /* the analysed run it was compared with; 0 when none */
    char run_date[11];    /* "YYYY-MM-DD" of the run's start (UTC) */
    size_t findings;      /* findings in the run, suppressed ones included */
    char **files;         /* paths written, in order (owned by the summary) */
    size_t n_files;
};

/*
 * Write the reports of run_id (0: the latest analysed complete or partial run) into
 * out_dir (created 0700 when missing; must otherwise exist). formats is a set of
 * IA_REPORT_*; per_team adds team-NAME.xlsx for every team of the run's accounts.
 * Every file is written under a temporary name with mode 0600 and renamed into place
 * when complete, so a reader never sees half a report and the umask does not matter.
 * On success *out (when not NULL) is filled and must be released. IA_ERR_NOT_FOUND when
 * the run does not exist or was never analysed; IA_ERR_IO for a file; IA_ERR_DB.
 */
IA_MUST_USE enum ia_code ia_report_write(struct ia_db *db, int64_t run_id, const char *out_dir,
                                         unsigned formats, int per_team,
                                         struct ia_report_summary *out, struct ia_err *err);

/* Free what a summary owns and zero it. NULL-safe. */
void ia_report_summary_release(struct ia_report_summary *s);

/*
 * Parse a comma-separated list of "csv", "xlsx", "jsonl" (spaces allowed) into *out.
 * IA_ERR_INVALID naming the unknown word; an empty list is invalid.
 */
IA_MUST_USE enum ia_code ia_report_formats_parse(const char *list, unsigned *out,
                                                 struct ia_err *err);

/*
 * A team name made safe as part of a file name: bytes other than A-Z a-z 0-9 . _ - become
 * '_', a leading '.' becomes '_', at most 64 bytes; "" becomes "unnamed". out must hold
 * 65 bytes.
 */
void ia_report_team_file_part(const char *team, char out[65]);

#endif
