/* iam-audit deliver: e-mail, Security Hub and webhook delivery of an analysed run. */
#include "cli/cmd_deliver.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/steps.h"
#include "collector/creds_chain.h"
#include "core/config.h"
#include "deliver/deliver.h"
#include "sql/db.h"

static const char s_usage[] =
    "usage: iam-audit deliver --config FILE [--run ID] [--dry-run] [--profile P]\n"
    "                         [--mfa-token CODE]\n"
    "\n"
    "Delivers an analysed run as [delivery] of the configuration says (docs/config.md):\n"
    "  e-mail       each [team NAME] with an email gets a summary and its team-NAME.xlsx;\n"
    "               security_email gets the whole workbook (email = ses: SES SendRawEmail,\n"
    "               email = sendmail: sendmail -t -i)\n"
    "  securityhub  every finding imported into AWS Security Hub (ASFF, batches of 100);\n"
    "               fixed ones ARCHIVED, suppressed ones SUPPRESSED; re-running is idempotent\n"
    "  webhook      one message (counts, what is new, failed accounts) to the URL held in\n"
    "               slack_webhook_file (mode 0600; the URL is never logged or stored)\n"
    "Every attempt, sent or failed, is a row of the deliveries table. A failed delivery\n"
    "never changes the run, its findings or its reports.\n"
    "\n"
    "  --config FILE     the configuration (docs/config.md)\n"
    "  --run ID          the run to deliver (default: the latest analysed run)\n"
    "  --dry-run         print what would be delivered to whom; send and record nothing\n"
    "  --profile P       AWS profile for SES and Security Hub (default: [audit] profile)\n"
    "  --mfa-token CODE  MFA code when the profile's role needs one\n"
    "\n"
    "Prints one line per delivery on stdout: sent, failed, skipped (or would deliver).\n"
    "Exit: 0 every delivery sent (or nothing configured), 4 some delivery failed (see the\n"
    "deliveries table), 3 failed (no analysed run, unreadable database), 64 usage,\n"
    "75 database busy, 78 configuration.\n"
    "Example: iam-audit deliver --config /etc/iam-audit/iam-audit.conf --dry-run\n";

int
cmd_deliver(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "run", required_argument, NULL, 'r' },
        { "dry-run", no_argument, NULL, 'n' },
        { "profile", required_argument, NULL, 'p' },
        { "mfa-token", required_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL, *profile = NULL, *mfa = NULL;
    int64_t run_id = 0;
    int dry_run = 0, opt, rc = IA_EXIT_FAILED, lock_fd = -1;
    struct ia_config cfg;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:r:np:m:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': config = optarg; break;
        case 'r': {
            char *end;
            errno = 0;
            long long v = strtoll(optarg, &end, 10);
            if (errno || end == optarg || *end || v < 1)
                return ia_cli_usage_error("deliver",
                                          "--run needs a run id (a positive number "
                                          "from the runs table), not '%s'",
                                          optarg);
            run_id = (int64_t)v;
            break;
        }
        case 'n': dry_run = 1; break;
        case 'p': profile = optarg; break;
        case 'm': mfa = optarg; break;
        case 'h': fputs(s_usage, stdout); return IA_EXIT_OK;
        default: return ia_cli_usage_error("deliver", "unknown option");
        }
    }
    if (optind < argc)
        return ia_cli_usage_error("deliver", "unexpected argument '%s'", argv[optind]);
    if (!config)
        return ia_cli_usage_error("deliver", "--config FILE is required");
    if ((rc = ia_cli_load_config("deliver", config, &cfg)) != IA_EXIT_OK)
        return rc;
    struct ia_step_deliver step = { .cfg = &cfg,
                                    .config_path = config,
                                    .run = run_id,
                                    .dry_run = dry_run,
                                    .profile = profile,
                                    .mfa = mfa };
    if (!ia_deliver_configured(&cfg) || dry_run)
        rc = ia_step_deliver(&step);
    else if ((rc = ia_cli_lock_db("deliver", cfg.database, &lock_fd)) == IA_EXIT_OK) {
        rc = ia_step_deliver(&step);
        ia_db_unlock(lock_fd);
    }
    ia_config_release(&cfg);
    return rc;
}

int
ia_step_deliver(const struct ia_step_deliver *s)
{
    const struct ia_config *c = s->cfg;
    int dry_run = s->dry_run, rc = IA_EXIT_FAILED;
    struct ia_err err;
    struct ia_db *db = NULL;

    ia_err_clear(&err);
    if (!ia_deliver_configured(c)) {
        fprintf(stderr,
                "iam-audit deliver: %s has no [delivery] email, securityhub or "
                "slack_webhook_file; nothing to deliver\n",
                s->config_path);
        rc = IA_EXIT_OK;
        goto out;
    }
    if (ia_db_open(c->database, dry_run ? IA_DB_READONLY : IA_DB_READWRITE, &db, &err) != IA_OK) {
        fprintf(stderr, "iam-audit deliver: %s\n", err.msg);
        rc = ia_cli_exit_code(err.code);
        goto out;
    }
    struct ia_creds_options copts;
    memset(&copts, 0, sizeof(copts));
    copts.profile = s->profile ? s->profile : c->profile;
    copts.region = c->region;
    copts.mfa_token = s->mfa;
    struct ia_deliver_options o = {
        .cfg = c, .run_id = s->run, .dry_run = dry_run, .creds = &copts, .out = stdout
    };
    struct ia_deliver_result res;
    enum ia_code r = ia_deliver_run(db, &o, &res, &err);
    fflush(stdout);
    if (r != IA_OK) {
        fprintf(stderr, "iam-audit deliver: %s\n", err.msg);
        rc = ia_cli_exit_code(r);
        goto out;
    }
    fprintf(stderr, "iam-audit deliver: run %lld: %zu %s, %zu failed%s\n", (long long)res.run_id,
            res.sent, dry_run ? "planned" : "sent", res.failed,
            res.failed && !dry_run ? " (see: sqlite3 DB \"SELECT channel, target, error FROM "
                                     "deliveries WHERE status = 'failed'\")"
                                   : "");
    rc = res.failed ? IA_EXIT_DELIVERY : IA_EXIT_OK;
out:
    ia_db_close(db);
    return rc;
}
