/* iam-audit analyse: evaluate every rule on one run and write its findings. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyser/analyser.h"
#include "cli/cli.h"
#include "cli/steps.h"
#include "cli/cmd_analyser.h"
#include "core/config.h"
#include "sql/db.h"

static const char s_usage[] =
    "usage: iam-audit analyse --config FILE [--db FILE] [--run ID] [--leavers CSV]\n"
    "                         [--roster CSV] [--exceptions FILE] [--fail-on SEVERITY]\n"
    "\n"
    "Evaluates every rule ('iam-audit rules'; docs/rules.md) on a collected run and writes\n"
    "that run's findings into the database, replacing any earlier analysis of the same run.\n"
    "Works offline on any past run. Each finding has a stable fingerprint (rule, account,\n"
    "resource, principal), so its first-seen date and status (new or persisting) carry\n"
    "over from the previous analysed run; see them with the latest_findings view or\n"
    "'iam-audit diff'.\n"
    "\n"
    "  --config FILE       the configuration; its [rules] section sets thresholds and\n"
    "                      patterns, its [audit] keys the defaults below (docs/config.md)\n"
    "  --db FILE           database (default: [audit] database)\n"
    "  --run ID            run to analyse (default: the latest complete or partial run)\n"
    "  --leavers CSV       people who left: header with email (or username) and\n"
    "                      leaving_date (YYYY-MM-DD or DD/MM/YYYY); ',' ';' or tab\n"
    "                      (default: [audit] leavers)\n"
    "  --roster CSV        everyone still here: header with email (default: [audit] roster)\n"
    "  --exceptions FILE   accepted risks, [exception NAME] sections with rule, resource,\n"
    "                      reason, owner, ticket, expires (default: [audit] exceptions)\n"
    "  --fail-on SEVERITY  exit 1 when an unsuppressed finding is at or above SEVERITY\n"
    "                      (info, low, medium, high, critical); for CI gates\n"
    "\n"
    "A leaver or roster row that cannot be read is a configuration error (exit 78) naming\n"
    "its line and the header found: no row is ever skipped. Without a leavers file (or\n"
    "roster) the rules that need it are NOT CHECKED, said before the summary.\n"
    "A summary (counts by severity; new, persisting and suppressed) goes to stderr.\n"
    "\n"
    "Exit: 0 done (and nothing at or above --fail-on), 1 a finding at or above --fail-on,\n"
    "3 failed, 64 usage, 75 database busy, 78 configuration (config, leavers, roster or\n"
    "exceptions file).\n"
    "Example: iam-audit analyse --config /etc/iam-audit/iam-audit.conf --fail-on high\n";

int
cmd_analyse(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "db", required_argument, NULL, 'd' },
        { "run", required_argument, NULL, 'r' },
        { "leavers", required_argument, NULL, 'l' },
        { "roster", required_argument, NULL, 'R' },
        { "exceptions", required_argument, NULL, 'x' },
        { "fail-on", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL, *dbpath = NULL;
    struct ia_analyse_paths paths = { NULL, NULL, NULL };
    int64_t run = 0;
    int have_fail = 0, opt, rc = IA_EXIT_FAILED;
    enum ia_severity fail_on = IA_SEV_CRITICAL;
    struct ia_config cfg;
    int lock_fd = -1;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:d:r:l:R:x:f:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': config = optarg; break;
        case 'd': dbpath = optarg; break;
        case 'r': {
            char *end;
            long long v = strtoll(optarg, &end, 10);
            if (*end || end == optarg || v < 1)
                return ia_cli_usage_error("analyse",
                                          "--run needs a run id (a positive "
                                          "number), not '%s'",
                                          optarg);
            run = (int64_t)v;
            break;
        }
        case 'l': paths.leavers = optarg; break;
        case 'R': paths.roster = optarg; break;
        case 'x': paths.exceptions = optarg; break;
        case 'f':
            if (ia_severity_parse(optarg, &fail_on) != 0)
                return ia_cli_usage_error("analyse",
                                          "--fail-on must be info, low, medium, "
                                          "high or critical, not '%s'",
                                          optarg);
            have_fail = 1;
            break;
        case 'h': fputs(s_usage, stdout); return IA_EXIT_OK;
        default: return ia_cli_usage_error("analyse", "unknown option");
        }
    }
    if (optind < argc)
        return ia_cli_usage_error("analyse", "unexpected argument '%s'", argv[optind]);
    if (!config)
        return ia_cli_usage_error("analyse", "--config FILE is required");
    if ((rc = ia_cli_load_config("analyse", config, &cfg)) != IA_EXIT_OK)
        return rc;
    struct ia_step_analyse step = { .cfg = &cfg,
                                    .db = dbpath,
                                    .run = run,
                                    .paths = paths,
                                    .have_fail_on = have_fail,
                                    .fail_on = fail_on };
    const char *lock_path = dbpath ? dbpath : cfg.database;
    /* Analysing never creates a database: a missing one is a wrong path, not an empty estate. */
    if (access(lock_path, F_OK) != 0) {
        fprintf(stderr,
                "iam-audit analyse: database %s does not exist; give --db or [audit] "
                "database, or run 'iam-audit collect' first\n",
                lock_path);
        rc = IA_EXIT_FAILED;
    } else if ((rc = ia_cli_lock_db("analyse", lock_path, &lock_fd)) == IA_EXIT_OK) {
        rc = ia_step_analyse(&step);
        ia_db_unlock(lock_fd);
    }
    ia_config_release(&cfg);
    return rc;
}

int
ia_step_analyse(const struct ia_step_analyse *s)
{
    const struct ia_config *c = s->cfg;
    const char *dbpath = s->db ? s->db : c->database;
    struct ia_analyse_paths paths = s->paths;
    int rc = IA_EXIT_FAILED;
    struct ia_err err;
    struct ia_db *db = NULL;
    struct ia_analyse_summary sum;

    ia_err_clear(&err);
    if (!paths.leavers)
        paths.leavers = c->leavers;
    if (!paths.roster)
        paths.roster = c->roster;
    if (!paths.exceptions)
        paths.exceptions = c->exceptions;
    if (ia_db_open(dbpath, IA_DB_READWRITE, &db, &err) != IA_OK) {
        fprintf(stderr, "iam-audit analyse: %s\n", err.msg);
        rc = ia_cli_exit_code(err.code);
        goto out;
    }
    if (ia_analyse_run(db, c, s->run, &paths, &sum, &err) != IA_OK) {
        fprintf(stderr, "iam-audit analyse: %s\n", err.msg);
        rc = ia_cli_exit_code(err.code);
        goto out;
    }
    if (sum.not_checked[0])
        fprintf(stderr, "iam-audit analyse: NOT CHECKED in run %lld: %s\n", (long long)sum.run_id,
                sum.not_checked);
    fprintf(stderr,
            "iam-audit analyse: run %lld: %zu findings; unsuppressed: critical %zu, high %zu, "
            "medium %zu, low %zu, info %zu; new %zu, persisting %zu, suppressed %zu",
            (long long)sum.run_id, sum.total, sum.by_severity[IA_SEV_CRITICAL],
            sum.by_severity[IA_SEV_HIGH], sum.by_severity[IA_SEV_MEDIUM],
            sum.by_severity[IA_SEV_LOW], sum.by_severity[IA_SEV_INFO], sum.n_new, sum.n_persisting,
            sum.n_suppressed);
    if (sum.n_input_warnings)
        fprintf(stderr, "; %zu input rows skipped (see above)", sum.n_input_warnings);
    fputc('\n', stderr);
    rc = IA_EXIT_OK;
    if (s->have_fail_on && sum.worst >= (int)s->fail_on) {
        fprintf(stderr, "iam-audit analyse: unsuppressed findings at or above %s: exit 1\n",
                ia_severity_name(s->fail_on));
        rc = IA_EXIT_FINDINGS;
    }
out:
    ia_db_close(db);
    return rc;
}
