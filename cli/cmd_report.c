/* iam-audit report: an analysed run of the database as CSV, JSONL and XLSX files. */
#include "cli/cmd_report.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/steps.h"
#include "core/mem.h"
#include "core/buf.h"
#include "core/config.h"
#include "reports/report.h"
#include "sql/db.h"

static const char s_usage[] =
    "usage: iam-audit report --db FILE --out DIR [--run ID] [--format csv,xlsx,jsonl]\n"
    "                        [--per-team] [--config FILE] [--quiet]\n"
    "\n"
    "Writes the findings and inventories of an analysed run for people and scripts:\n"
    "  findings.csv     every finding: rule_id, severity, account_id, account_name, team,\n"
    "                   resource_arn, principal, title, first_seen, status, suppressed_by,\n"
    "                   evidence\n"
    "  users.csv, roles.csv, trusts.csv   the run's inventories\n"
    "  findings.jsonl   the findings as JSON Lines, evidence as a nested object (for a SIEM)\n"
    "  iam-audit-YYYY-MM-DD.xlsx   the workbook for the security team: Summary (with a\n"
    "                   chart), Findings, Leavers, Changes since the previous run, Users,\n"
    "                   Roles, Trusts\n"
    "  team-NAME.xlsx   with --per-team, one per team: only that team's accounts, its\n"
    "                   findings, its leaver clean-up list and its bootstrap roles; a\n"
    "                   team-*.xlsx of a team the run no longer has is removed\n"
    "Files are created owner-only (0600) and replaced whole, never half-written. CSV fields\n"
    "that start with = + - @ TAB or CR get a leading ' so a spreadsheet shows them as text\n"
    "(IAM user names may legally start with = or +); XLSX cells are always text cells.\n"
    "\n"
    "  --db FILE         the database (default: [audit] database of --config)\n"
    "  --out DIR         where to write (created 0700 if missing; default: [audit] reports)\n"
    "  --run ID          the run to report (default: the latest analysed complete or\n"
    "                    partial run); it must have been analysed ('iam-audit analyse')\n"
    "  --format LIST     comma-separated csv, xlsx, jsonl (default: [reports] formats, or\n"
    "                    all three)\n"
    "  --per-team        also write team-NAME.xlsx per team (default: [reports] per_team)\n"
    "  --config FILE     take the defaults above from this configuration (docs/config.md)\n"
    "  --quiet           do not print the paths written\n"
    "\n"
    "Prints the paths written, one per line, on stdout (not with --quiet).\n"
    "Exit: 0 written, 3 failed (no analysed run, unreadable database, unwritable directory),\n"
    "64 usage, 75 database busy, 78 configuration. Columns: docs/reports.md.\n"
    "Example: iam-audit report --db /var/lib/iam-audit/iam-audit.db --out /srv/reports \\\n"
    "             --format csv,xlsx --per-team\n";

static int
formats_from_config(const struct ia_config *cfg, unsigned *out, struct ia_err *err)
{
    struct ia_buf list = IA_BUF_INIT;
    int rc;
    for (size_t i = 0; cfg->report_formats && cfg->report_formats[i]; i++)
        ia_buf_addf(&list, "%s%s", i ? "," : "", cfg->report_formats[i]);
    rc = ia_report_formats_parse(list.buf, out, err) == IA_OK ? 0 : -1;
    ia_buf_release(&list);
    return rc;
}

int
cmd_report(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, 'd' },
        { "out", required_argument, NULL, 'o' },
        { "run", required_argument, NULL, 'r' },
        { "format", required_argument, NULL, 'f' },
        { "per-team", no_argument, NULL, 't' },
        { "config", required_argument, NULL, 'c' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *db_path = NULL, *out_dir = NULL, *format = NULL, *config = NULL;
    int64_t run_id = 0;
    int per_team = -1, opt, rc = IA_EXIT_FAILED, have_cfg = 0, quiet = 0;
    unsigned formats = IA_REPORT_ALL;
    struct ia_config cfg;
    struct ia_err err;

    ia_err_clear(&err);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "d:o:r:f:tc:qh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': db_path = optarg; break;
        case 'o': out_dir = optarg; break;
        case 'r': {
            char *end;
            errno = 0;
            long long v = strtoll(optarg, &end, 10);
            if (errno || end == optarg || *end || v < 1) {
                rc = ia_cli_usage_error("report",
                                        "--run needs a run id (a positive number "
                                        "from the runs table), not '%s'",
                                        optarg);
                goto out;
            }
            run_id = (int64_t)v;
            break;
        }
        case 'f': format = optarg; break;
        case 'q': quiet = 1; break;
        case 't': per_team = 1; break;
        case 'c': config = optarg; break;
        case 'h':
            fputs(s_usage, stdout);
            rc = IA_EXIT_OK;
            goto out;
        default: rc = ia_cli_usage_error("report", "unknown option"); goto out;
        }
    }
    if (optind < argc) {
        rc = ia_cli_usage_error("report", "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (format && ia_report_formats_parse(format, &formats, &err) != IA_OK) {
        rc = ia_cli_usage_error("report", "--format: %s", err.msg);
        goto out;
    }
    if (config && (rc = ia_cli_load_config("report", config, &cfg)) != IA_EXIT_OK)
        goto out;
    have_cfg = config != NULL;
    if (have_cfg) {
        if (!db_path)
            db_path = cfg.database;
        if (!out_dir)
            out_dir = cfg.reports;
    }
    if (!db_path) {
        rc = ia_cli_usage_error("report", "--db FILE is required (or --config FILE with "
                                          "[audit] database)");
        goto out;
    }
    if (!out_dir) {
        rc = ia_cli_usage_error("report", "--out DIR is required (or --config FILE with "
                                          "[audit] reports)");
        goto out;
    }
    struct ia_step_report step = { .cfg = have_cfg ? &cfg : NULL,
                                   .config_path = config,
                                   .db = db_path,
                                   .out = out_dir,
                                   .formats = format ? formats : 0,
                                   .per_team = per_team,
                                   .run = run_id,
                                   .quiet = quiet };
    rc = ia_step_report(&step);
out:
    if (have_cfg)
        ia_config_release(&cfg);
    return rc;
}

int
ia_step_report(const struct ia_step_report *s)
{
    const struct ia_config *c = s->cfg;
    const char *db_path = s->db ? s->db : c ? c->database : NULL;
    char *beside = NULL;
    const char *out_dir = s->out ? s->out : c ? c->reports : NULL;
    unsigned formats = s->formats ? s->formats : IA_REPORT_ALL;
    int per_team = s->per_team >= 0 ? s->per_team : c ? c->report_per_team : 0;
    int rc = IA_EXIT_FAILED;
    struct ia_err err;
    struct ia_db *db = NULL;
    struct ia_report_summary sum;

    ia_err_clear(&err);
    memset(&sum, 0, sizeof(sum));
    IA_ASSERT(db_path);
    /* Reports go beside the database, never the current directory (cron's is $HOME). */
    if (!out_dir)
        out_dir = beside = ia_cli_reports_beside(db_path);
    if (!s->formats && c && formats_from_config(c, &formats, &err) != 0) {
        fprintf(stderr, "iam-audit report: %s: [reports] formats: %s\n",
                s->config_path ? s->config_path : "config", err.msg);
        rc = IA_EXIT_CONFIG;
        goto out;
    }
    if (ia_db_open(db_path, IA_DB_READONLY, &db, &err) != IA_OK) {
        fprintf(stderr, "iam-audit report: %s\n", err.msg);
        rc = ia_cli_exit_code(err.code);
        goto out;
    }
    if (ia_report_write(db, s->run, out_dir, formats, per_team > 0, &sum, &err) != IA_OK) {
        fprintf(stderr, "iam-audit report: %s\n", err.msg);
        rc = ia_cli_exit_code(err.code);
        goto out;
    }
    for (size_t i = 0; !s->quiet && i < sum.n_files; i++)
        printf("%s\n", sum.files[i]);
    if (fflush(stdout) != 0) {
        rc = IA_EXIT_FAILED;
        goto out;
    }
    fprintf(stderr, "iam-audit report: run %lld (%s): %zu findings, %zu files in %s\n",
            (long long)sum.run_id, sum.run_date, sum.findings, sum.n_files, out_dir);
    rc = IA_EXIT_OK;
out:
    free(beside);
    ia_report_summary_release(&sum);
    ia_db_close(db);
    return rc;
}
