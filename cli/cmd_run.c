/* iam-audit run: collect, analyse and report in one go, for cron and CI. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_analyser.h"
#include "cli/cmd_deliver.h"
#include "cli/cmd_report.h"
#include "core/config.h"
#include "deliver/deliver.h"
#include "sql/db.h"

static const char s_usage[] =
    "usage: iam-audit run --config FILE [--fail-on SEVERITY] [--profile P] [--mfa-token CODE]\n"
    "                     [--quiet]\n"
    "\n"
    "The nightly job: collect every account, analyse the new run, and write the reports,\n"
    "with every path from the config ([audit] database, reports (default: a reports\n"
    "folder beside the database), leavers, roster, exceptions; [reports] formats,\n"
    "per_team). A failed collect stops the job; a partial\n"
    "one is still analysed and reported (the reports name the accounts that failed).\n"
    "\n"
    "  --config FILE       the configuration (docs/config.md)\n"
    "  --fail-on SEVERITY  exit 1 when an unsuppressed finding is at or above it\n"
    "                      (critical, high, medium, low, info)\n"
    "  --profile P         AWS profile for the caller's credentials\n"
    "  --mfa-token CODE    MFA code when the profile's role needs one; '-' reads it from\n"
    "                      standard input (a CODE here is briefly visible to local users)\n"
    "  --quiet             errors and summaries only\n"
    "\n"
    "With [delivery] configured, `iam-audit deliver` runs last (e-mail, Security Hub,\n"
    "webhook); a failed delivery never changes the run or its reports.\n"
    "\n"
    "Exit: the worst of the three steps, worst first: 78 configuration, 64 usage, 3 failed,\n"
    "75 database busy, 2 partial collection, 1 findings at or above --fail-on, 0 ok;\n"
    "4 when a delivery failed and the steps were otherwise 0.\n"
    "Example: iam-audit run --config /etc/iam-audit/iam-audit.conf --fail-on high\n";

/* How bad an exit code is, for "the worst of the three steps". */
static int
badness(int code)
{
    switch (code) {
    case IA_EXIT_OK: return 0;
    case IA_EXIT_FINDINGS: return 1;
    case IA_EXIT_PARTIAL: return 2;
    case IA_EXIT_TEMPFAIL: return 3;
    case IA_EXIT_FAILED: return 4;
    case IA_EXIT_USAGE: return 5;
    case IA_EXIT_CONFIG: return 6;
    default: return 4;
    }
}

static int
worst(int a, int b)
{
    return badness(b) > badness(a) ? b : a;
}

static int run_steps(char *config, char *fail_on, char *profile, char *mfa, int quiet);

int
cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' }, { "fail-on", required_argument, NULL, 'f' },
        { "profile", required_argument, NULL, 'p' },
        { "mfa-token", required_argument, NULL, 'm' }, { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },         { NULL, 0, NULL, 0 },
    };
    char *config = NULL, *fail_on = NULL, *profile = NULL, *mfa = NULL;
    int quiet = 0, opt;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:f:p:m:qh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': config = optarg; break;
        case 'f': fail_on = optarg; break;
        case 'p': profile = optarg; break;
        case 'm': mfa = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(s_usage, stdout); return IA_EXIT_OK;
        default: return ia_cli_usage_error("run", "unknown option");
        }
    }
    if (optind < argc)
        return ia_cli_usage_error("run", "unexpected argument '%s'", argv[optind]);
    if (!config)
        return ia_cli_usage_error("run", "--config FILE is required");

    /* Hold the database lock across all three steps: a second run refuses at once. */
    struct ia_config lcfg;
    struct ia_err lerr;
    int lock_fd = -1;
    if (ia_config_load(config, &lcfg, &lerr) != IA_OK) {
        ia_config_release(&lcfg);
        fprintf(stderr, "iam-audit run: %s\n", lerr.msg);
        return lerr.code == IA_ERR_IO ? IA_EXIT_FAILED : IA_EXIT_CONFIG;
    }
    int drc = ia_cli_check_db_folder("run", lcfg.database);
    if (drc != IA_EXIT_OK) {
        ia_config_release(&lcfg);
        return drc;
    }
    enum ia_code lrc = ia_db_lock(lcfg.database, &lock_fd, &lerr);
    ia_config_release(&lcfg);
    if (lrc != IA_OK) {
        fprintf(stderr, "iam-audit run: %s\n", lerr.msg);
        return ia_cli_exit_of(lrc);
    }
    int rc = run_steps(config, fail_on, profile, mfa, quiet);
    ia_db_unlock(lock_fd);
    return rc;
}

static int
run_steps(char *config, char *fail_on, char *profile, char *mfa, int quiet)
{
    char *cargv[12];
    int n = 0;
    cargv[n++] = "collect";
    cargv[n++] = "--config";
    cargv[n++] = config;
    if (profile) {
        cargv[n++] = "--profile";
        cargv[n++] = profile;
    }
    if (mfa) {
        cargv[n++] = "--mfa-token";
        cargv[n++] = mfa;
    }
    if (quiet)
        cargv[n++] = "--quiet";
    cargv[n] = NULL;
    int rc = cmd_collect(n, cargv);
    if (rc != IA_EXIT_OK && rc != IA_EXIT_PARTIAL)
        return rc; /* nothing new to analyse */

    char *aargv[] = { "analyse", "--config", config, fail_on ? "--fail-on" : NULL, fail_on, NULL };
    int arc = cmd_analyse(fail_on ? 5 : 3, aargv);
    rc = worst(rc, arc);
    if (arc != IA_EXIT_OK && arc != IA_EXIT_FINDINGS)
        return rc;

    /* Reports go to [audit] reports, else a reports folder beside the database (never the
     * current directory: cron's is $HOME, systemd's /). */
    struct ia_config cfg;
    struct ia_err err;
    int loaded = ia_config_load(config, &cfg, &err) == IA_OK;
    int have_dir = loaded && cfg.reports;
    int have_delivery = loaded && ia_deliver_configured(&cfg);
    char *beside = loaded ? ia_cli_reports_beside(cfg.database) : NULL;
    ia_config_release(&cfg);
    char *rargv[7];
    int rn = 0;
    rargv[rn++] = "report";
    rargv[rn++] = "--config";
    rargv[rn++] = config;
    if (quiet)
        rargv[rn++] = "--quiet";
    if (!have_dir && beside) {
        rargv[rn++] = "--out";
        rargv[rn++] = beside;
    }
    rargv[rn] = NULL;
    rc = worst(rc, cmd_report(rn, rargv));
    free(beside);
    if (!have_delivery)
        return rc;

    /* Delivery last, over the analysed run. Its failure is told apart (4) but never hides
       what the run found: findings (1) and partial collection (2) keep their codes. */
    char *dargv[8];
    n = 0;
    dargv[n++] = "deliver";
    dargv[n++] = "--config";
    dargv[n++] = config;
    if (profile) {
        dargv[n++] = "--profile";
        dargv[n++] = profile;
    }
    dargv[n] = NULL;
    int drc = cmd_deliver(n, dargv);
    if (drc != IA_EXIT_OK) {
        fprintf(stderr, "iam-audit run: delivery failed (exit %d); the run and its reports are "
                        "complete; see the deliveries table and 'iam-audit deliver --help'\n",
                drc);
        if (rc == IA_EXIT_OK)
            rc = IA_EXIT_DELIVERY;
    }
    return rc;
}
