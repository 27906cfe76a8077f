/* iam-audit collect: the config's accounts into a new run of the database. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/steps.h"
#include "collector/collect.h"
#include "collector/creds_chain.h"
#include "collector/endpoints.h"
#include "collector/http.h"
#include "core/config.h"
#include "core/log.h"
#include "core/mem.h"
#include "sql/db.h"

static const char s_usage[] =
    "usage: iam-audit collect --config FILE [--db FILE] [--account ID]... [--concurrency N]\n"
    "                         [--profile P] [--mfa-token CODE] [--quiet | --verbose]\n"
    "\n"
    "Reads IAM from the base account and every team account into a new run of the\n"
    "SQLite database: users, groups, MFA devices, access keys, roles with their trust\n"
    "policies (normalised, one row per principal), policies, the credential report and\n"
    "last-used data. Team accounts are reached with sts:AssumeRole on [audit] role_name\n"
    "(or an account's role_arn). Each account is written in one transaction, so a crash\n"
    "never leaves half an account looking complete.\n"
    "\n"
    "  --config FILE     the configuration (see docs/config.md)\n"
    "  --db FILE         database to write (default: [audit] database, iam-audit.db)\n"
    "  --account ID      collect only this account (repeatable); the other accounts are\n"
    "                    carried forward from the latest run, so the new run is still the\n"
    "                    whole estate (accounts.data_run_id says where each came from)\n"
    "  --concurrency N   accounts collected at once (default: [audit] concurrency, 8)\n"
    "  --profile P       AWS profile for the caller's credentials (default: [audit] profile,\n"
    "                    then the usual chain: see docs/credentials.md)\n"
    "  --mfa-token CODE  MFA code when the profile's role needs one; '-' reads it from\n"
    "                    standard input (a CODE here is briefly visible to local users)\n"
    "  --quiet           only errors and the closing summary\n"
    "  --verbose         log every retry (level info); IA_LOG_LEVEL=debug logs signing\n"
    "\n"
    "Exit: 0 every account collected, 2 partial (some accounts failed; see\n"
    "latest_accounts), 3 failed, 64 usage, 75 database busy, 78 configuration.\n"
    "Example: iam-audit collect --config /etc/iam-audit/iam-audit.conf\n";

void
ia_cli_progress_line(void *ctx, const struct ia_collect_progress *p)
{
    (void)ctx;
    fprintf(stderr, "\rcollect: %d/%d accounts, %ld calls, %ld retries, %ld throttles   ", p->done,
            p->total, p->calls, p->retries, p->throttles);
    fflush(stderr);
}

int
cmd_collect(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "db", required_argument, NULL, 'd' },
        { "account", required_argument, NULL, 'a' },
        { "concurrency", required_argument, NULL, 'n' },
        { "profile", required_argument, NULL, 'p' },
        { "mfa-token", required_argument, NULL, 'm' },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL, *db = NULL, *profile = NULL, *mfa = NULL;
    char **only = NULL;
    size_t n_only = 0;
    int concurrency = 0, quiet = 0, opt, rc = IA_EXIT_FAILED, lock_fd = -1;
    struct ia_config cfg;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:d:a:n:p:m:qvh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': config = optarg; break;
        case 'd': db = optarg; break;
        case 'a':
            if (!ia_config_valid_account_id(optarg)) {
                rc = ia_cli_usage_error("collect", "--account '%s' is not a 12-digit account id",
                                        optarg);
                goto out;
            }
            only = ia_xrealloc(only, (n_only + 2) * sizeof(*only));
            only[n_only++] = optarg;
            only[n_only] = NULL;
            break;
        case 'n': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 64) {
                rc = ia_cli_usage_error("collect", "--concurrency must be 1 to 64, not '%s'",
                                        optarg);
                goto out;
            }
            concurrency = (int)v;
            break;
        }
        case 'p': profile = optarg; break;
        case 'm': mfa = optarg; break;
        case 'q': quiet = 1; break;
        case 'v':
            if (ia_log_get_level() < IA_LOG_INFO)
                ia_log_set_level(IA_LOG_INFO);
            break;
        case 'h':
            fputs(s_usage, stdout);
            rc = IA_EXIT_OK;
            goto out;
        default: rc = ia_cli_usage_error("collect", "unknown option"); goto out;
        }
    }
    if (optind < argc) {
        rc = ia_cli_usage_error("collect", "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if (!config) {
        rc = ia_cli_usage_error("collect", "--config FILE is required");
        goto out;
    }
    if ((rc = ia_cli_load_config("collect", config, &cfg)) != IA_EXIT_OK)
        goto out;
    const char *dbpath = db ? db : cfg.database;
    if ((rc = ia_cli_check_db_folder("collect", dbpath)) == IA_EXIT_OK &&
        (rc = ia_cli_lock_db("collect", dbpath, &lock_fd)) == IA_EXIT_OK) {
        struct ia_step_collect step = { .cfg = &cfg,
                                        .db = db,
                                        .only = only,
                                        .concurrency = concurrency,
                                        .profile = profile,
                                        .mfa = mfa,
                                        .quiet = quiet };
        rc = ia_step_collect(&step);
        ia_db_unlock(lock_fd);
    }
    ia_config_release(&cfg);
out:
    free(only);
    return rc;
}

int
ia_step_collect(const struct ia_step_collect *s)
{
    const struct ia_config *c = s->cfg;
    const char *db = s->db;
    int rc = IA_EXIT_FAILED;
    struct ia_err err;
    struct ia_creds_provider *caller = NULL;
    struct ia_profile_info info;
    struct ia_http *chain_http = NULL;

    ia_err_clear(&err);
    struct ia_http_options hopts = { .ca_bundle = c->ca_bundle };
    chain_http = ia_http_new(&hopts);
    struct ia_creds_options copts;
    memset(&copts, 0, sizeof(copts));
    copts.profile = s->profile ? s->profile : c->profile;
    copts.region = c->region;
    copts.mfa_token = s->mfa;
    copts.http = ia_http_ops_of(chain_http);
    if (ia_creds_chain_resolve(&copts, &caller, &info, &err) != IA_OK) {
        fprintf(stderr, "iam-audit collect: %s\n", err.msg);
        rc = IA_EXIT_CONFIG;
        goto out;
    }
    const char *region = c->region ? c->region : ia_endpoint_default_region(info.region);
    int live = !s->quiet && isatty(STDERR_FILENO);
    struct ia_collect_options o = {
        .cfg = c,
        .db_path = db,
        .only_accounts = s->only,
        .concurrency = s->concurrency,
        .caller = caller,
        .region = region,
        .profile_endpoint_url = info.endpoint_url[0] ? info.endpoint_url : NULL,
        .on_progress = live ? ia_cli_progress_line : NULL,
        .quiet = s->quiet,
        .db_locked = 1, /* the caller holds the lock (ia_cli_lock_db) */
    };
    struct ia_collect_result res;
    enum ia_code r = ia_collect_run(&o, &res, &err);
    if (live)
        fputc('\n', stderr);
    if (r != IA_OK) {
        fprintf(stderr, "iam-audit collect: %s\n", err.msg);
        rc = ia_cli_exit_code(r);
        goto out;
    }
    fprintf(stderr,
            "iam-audit collect: run %lld %s: %d/%d accounts collected, %ld calls, %ld retries, "
            "%ld throttles\n",
            (long long)res.run_id, res.status, res.accounts - res.failed, res.accounts, res.calls,
            res.retries, res.throttles);
    if (res.carried)
        fprintf(stderr,
                "iam-audit collect: %d other account(s) carried forward from run %lld (%d failed "
                "there), so run %lld holds the whole estate; see accounts.data_run_id\n",
                res.carried, (long long)res.carried_from, res.carried_failed,
                (long long)res.run_id);
    if (res.failed)
        fprintf(stderr,
                "iam-audit collect: %d account(s) failed; see: sqlite3 %s \"SELECT account_id, "
                "error_code, error_message FROM accounts WHERE run_id = %lld AND status = "
                "'failed'\"\n",
                res.failed, db ? db : c->database, (long long)res.run_id);
    if (res.not_audited)
        fprintf(stderr,
                "iam-audit collect: %d discovered account(s) not audited (suspended, closing or "
                "excluded); see: sqlite3 %s \"SELECT account_id, state, reason FROM "
                "accounts_not_audited WHERE run_id = %lld\"\n",
                res.not_audited, db ? db : c->database, (long long)res.run_id);
    if (res.warnings)
        fprintf(stderr,
                "iam-audit collect: %d warning(s) about what AWS sent; see: sqlite3 %s "
                "\"SELECT account_id, kind, subject, message FROM run_warnings WHERE run_id = "
                "%lld\"\n",
                res.warnings, db ? db : c->database, (long long)res.run_id);
    rc = strcmp(res.status, "complete") == 0  ? IA_EXIT_OK
         : strcmp(res.status, "partial") == 0 ? IA_EXIT_PARTIAL
                                              : IA_EXIT_FAILED;
out:
    ia_creds_provider_free(caller);
    ia_http_free(chain_http);
    return rc;
}
