/* iam-audit prune: delete old runs and reclaim the space. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/config.h"
#include "sql/db.h"

static const char s_usage[] =
    "usage: iam-audit prune (--config FILE | --db FILE) [--keep-days N]\n"
    "\n"
    "Deletes the runs that started more than N days ago, with every row that belongs to\n"
    "them (snapshots and findings), in one transaction, then reclaims the space. The\n"
    "latest complete run is never deleted, however old. Takes the database lock, so it\n"
    "never runs alongside a collect.\n"
    "\n"
    "  --config FILE   read [audit] database and keep_days from the config\n"
    "  --db FILE       the database (overrides the config)\n"
    "  --keep-days N   keep runs from the last N days (overrides [audit] keep_days); 0\n"
    "                  keeps every run, as keep_days = 0 (the default) does\n"
    "\n"
    "Exit: 0 done, 3 failed, 64 usage, 75 database busy, 78 configuration.\n"
    "Example: iam-audit prune --config /etc/iam-audit/iam-audit.conf --keep-days 400\n";

int
cmd_prune(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "db", required_argument, NULL, 'd' },
        { "keep-days", required_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL, *db_path = NULL;
    long keep = -1;
    int opt, rc = IA_EXIT_FAILED, have_cfg = 0, lock_fd = -1;
    struct ia_config cfg;
    struct ia_err err;
    struct ia_db *db = NULL;

    ia_err_clear(&err);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:d:k:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': config = optarg; break;
        case 'd': db_path = optarg; break;
        case 'k': {
            char *end;
            keep = strtol(optarg, &end, 10);
            if (*end || end == optarg || keep < 0 || keep > 36500)
                return ia_cli_usage_error("prune",
                                          "--keep-days must be 0 (keep every run) to "
                                          "36500, not '%s'",
                                          optarg);
            break;
        }
        case 'h': fputs(s_usage, stdout); return IA_EXIT_OK;
        default: return ia_cli_usage_error("prune", "unknown option");
        }
    }
    if (optind < argc)
        return ia_cli_usage_error("prune", "unexpected argument '%s'", argv[optind]);
    if (config) {
        if ((rc = ia_cli_load_config("prune", config, &cfg)) != IA_EXIT_OK)
            goto out;
        have_cfg = 1;
        if (!db_path)
            db_path = cfg.database;
        if (keep < 0)
            keep = cfg.keep_days;
    }
    if (!db_path) {
        rc = ia_cli_usage_error("prune", "give --db FILE or --config FILE");
        goto out;
    }
    if (keep < 0) {
        rc = ia_cli_usage_error("prune", "give --keep-days N (or [audit] keep_days)");
        goto out;
    }
    /* 0 keeps every run, as [audit] keep_days = 0 does: nothing to do. */
    if (keep == 0) {
        printf("keep-days 0: every run of %s is kept; nothing pruned\n", db_path);
        rc = IA_EXIT_OK;
        goto out;
    }
    if ((rc = ia_cli_lock_db("prune", db_path, &lock_fd)) != IA_EXIT_OK)
        goto out;
    if (ia_db_open(db_path, IA_DB_READWRITE, &db, &err) != IA_OK) {
        fprintf(stderr, "iam-audit prune: %s\n", err.msg);
        rc = ia_cli_exit_code(err.code);
        goto out;
    }
    char cutoff[IA_TIME_ISO_LEN];
    ia_time_format_iso(ia_time_now() - (time_t)keep * 86400, cutoff);
    int64_t deleted = 0;
    if (ia_db_prune(db, cutoff, &deleted, &err) != IA_OK) {
        fprintf(stderr, "iam-audit prune: %s\n", err.msg);
        rc = ia_cli_exit_code(err.code);
        goto out;
    }
    printf("pruned %lld run(s) started before %s from %s\n", (long long)deleted, cutoff, db_path);
    rc = IA_EXIT_OK;
out:
    ia_db_close(db);
    ia_db_unlock(lock_fd);
    if (have_cfg)
        ia_config_release(&cfg);
    return rc;
}
