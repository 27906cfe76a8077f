/* iam-audit run: collect, analyse and report in one go, for cron and CI. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/steps.h"
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

static int run_steps(const struct ia_config *cfg, const char *config, int have_fail_on,
                     enum ia_severity fail_on, const char *profile, const char *mfa, int quiet);

int
cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "fail-on", required_argument, NULL, 'f' },
        { "profile", required_argument, NULL, 'p' },
        { "mfa-token", required_argument, NULL, 'm' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
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

    enum ia_severity fail_sev = IA_SEV_CRITICAL;
    if (fail_on && ia_severity_parse(fail_on, &fail_sev) != 0)
        return ia_cli_usage_error("run",
                                  "--fail-on must be info, low, medium, high or "
                                  "critical, not '%s'",
                                  fail_on);

    /* One configuration and one database lock for every step: a second run refuses at once. */
    struct ia_config cfg;
    int lock_fd = -1, rc;
    if ((rc = ia_cli_load_config("run", config, &cfg)) != IA_EXIT_OK)
        return rc;
    if ((rc = ia_cli_check_db_folder("run", cfg.database)) == IA_EXIT_OK &&
        (rc = ia_cli_lock_db("run", cfg.database, &lock_fd)) == IA_EXIT_OK) {
        rc = run_steps(&cfg, config, fail_on != NULL, fail_sev, profile, mfa, quiet);
        ia_db_unlock(lock_fd);
    }
    ia_config_release(&cfg);
    return rc;
}

static int
run_steps(const struct ia_config *cfg, const char *config, int have_fail_on,
          enum ia_severity fail_on, const char *profile, const char *mfa, int quiet)
{
    struct ia_step_collect collect = { .cfg = cfg, .profile = profile, .mfa = mfa, .quiet = quiet };
    int rc = ia_step_collect(&collect);
    if (rc != IA_EXIT_OK && rc != IA_EXIT_PARTIAL)
        return rc; /* nothing new to analyse */

    struct ia_step_analyse analyse = { .cfg = cfg,
                                       .have_fail_on = have_fail_on,
                                       .fail_on = fail_on };
    int arc = ia_step_analyse(&analyse);
    rc = worst(rc, arc);
    if (arc != IA_EXIT_OK && arc != IA_EXIT_FINDINGS)
        return rc;

    /* Reports go to [audit] reports, else a reports folder beside the database (never the
     * current directory: cron's is $HOME, systemd's /). */
    struct ia_step_report report = {
        .cfg = cfg, .config_path = config, .per_team = -1, .quiet = quiet
    };
    rc = worst(rc, ia_step_report(&report));
    if (!ia_deliver_configured(cfg))
        return rc;

    /* Delivery last, over the analysed run. Its failure is told apart (4) but never hides
       what the run found: findings (1) and partial collection (2) keep their codes. The MFA
       code went to collect's credentials: a code works once. */
    struct ia_step_deliver deliver = { .cfg = cfg, .config_path = config, .profile = profile };
    int drc = ia_step_deliver(&deliver);
    if (drc != IA_EXIT_OK) {
        fprintf(stderr,
                "iam-audit run: delivery failed (exit %d); the run and its reports are "
                "complete; see the deliveries table and 'iam-audit deliver --help'\n",
                drc);
        if (rc == IA_EXIT_OK)
            rc = IA_EXIT_DELIVERY;
    }
    return rc;
}
