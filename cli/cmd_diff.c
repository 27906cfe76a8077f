/* iam-audit diff: what changed between two analysed runs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyser/analyser.h"
#include "cli/cli.h"
#include "cli/cmd_analyser.h"
#include "core/config.h"
#include "sql/db.h"

static const char s_usage[] =
    "usage: iam-audit diff [--db FILE] [--config FILE] [--from RUN] [--to RUN]\n"
    "\n"
    "Compares the findings of two analysed runs by fingerprint (rule, account, resource,\n"
    "principal): what is new in --to, what was resolved since --from, and what persists.\n"
    "Both runs must have been analysed ('iam-audit analyse --run N').\n"
    "\n"
    "  --db FILE      database (default: the config's [audit] database, else iam-audit.db)\n"
    "  --config FILE  configuration, only to find the database\n"
    "  --from RUN     older run (default: the analysed run before --to)\n"
    "  --to RUN       newer run (default: the latest analysed run)\n"
    "\n"
    "A finding whose account was not collected in --to (failed, or no longer audited) is\n"
    "'not-collected', not 'resolved': nobody knows yet whether it was fixed. Likewise a\n"
    "finding of a rule --to did not evaluate (e.g. no leavers file) is 'not-checked'.\n"
    "\n"
    "Output (stdout), one finding a line: new, resolved, persisting, not-collected,\n"
    "not-checked:\n"
    "  STATUS<TAB>SEVERITY<TAB>RULE<TAB>ACCOUNT<TAB>RESOURCE<TAB>PRINCIPAL<TAB>TITLE\n"
    "with '-' for an empty field and '(suppressed: NAME)' after the title when an exception\n"
    "covers it; then a summary line on stderr.\n"
    "Exit: 0, 3 failed (e.g. a run without analysis), 64 usage, 78 configuration.\n";

static int
parse_run(const char *s, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end || end == s || v < 1)
        return -1;
    *out = (int64_t)v;
    return 0;
}

int
cmd_diff(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, 'd' },   { "config", required_argument, NULL, 'c' },
        { "from", required_argument, NULL, 'f' }, { "to", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
    };
    static const char *const kinds[] = { "new", "resolved", "persisting", "not-collected",
                                         "not-checked" };
    const char *dbpath = NULL, *config = NULL;
    int64_t from = 0, to = 0;
    int opt, rc = IA_EXIT_FAILED, have_cfg = 0;
    struct ia_config cfg;
    struct ia_err err;
    struct ia_db *db = NULL;
    struct ia_diff d = { 0 };

    ia_err_clear(&err);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "d:c:f:t:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': dbpath = optarg; break;
        case 'c': config = optarg; break;
        case 'f':
            if (parse_run(optarg, &from) != 0)
                return ia_cli_usage_error("diff", "--from needs a run id, not '%s'", optarg);
            break;
        case 't':
            if (parse_run(optarg, &to) != 0)
                return ia_cli_usage_error("diff", "--to needs a run id, not '%s'", optarg);
            break;
        case 'h': fputs(s_usage, stdout); return IA_EXIT_OK;
        default: return ia_cli_usage_error("diff", "unknown option");
        }
    }
    if (optind < argc)
        return ia_cli_usage_error("diff", "unexpected argument '%s'", argv[optind]);
    if (from && to && from >= to)
        return ia_cli_usage_error("diff", "--from (%lld) must be an earlier run than --to (%lld)",
                                  (long long)from, (long long)to);
    if (config) {
        if ((rc = ia_cli_load_config("diff", config, &cfg)) != IA_EXIT_OK)
            goto out;
        have_cfg = 1;
        if (!dbpath)
            dbpath = cfg.database;
    }
    if (!dbpath)
        dbpath = "iam-audit.db";
    if (ia_db_open(dbpath, IA_DB_READONLY, &db, &err) != IA_OK) {
        fprintf(stderr, "iam-audit diff: %s\n", err.msg);
        rc = ia_cli_exit_code(err.code);
        goto out;
    }
    if (ia_analyse_diff(db, from, to, &d, &err) != IA_OK) {
        fprintf(stderr, "iam-audit diff: %s\n", err.msg);
        goto out;
    }
    for (size_t i = 0; i < d.n_entries; i++) {
        const struct ia_diff_entry *e = &d.entries[i];
        printf("%s\t%s\t%s\t%s\t%s\t%s\t%s", kinds[e->kind], e->severity, e->rule_id,
               e->account_id ? e->account_id : "-", e->resource_arn,
               e->principal ? e->principal : "-", e->title);
        if (e->suppressed_by)
            printf(" (suppressed: %s)", e->suppressed_by);
        putchar('\n');
    }
    fprintf(stderr,
            "iam-audit diff: run %lld -> %lld: %zu new, %zu resolved, %zu persisting, %zu in "
            "accounts not collected, %zu of rules not checked\n",
            (long long)d.from_run, (long long)d.to_run, d.n_new, d.n_resolved, d.n_persisting,
            d.n_not_collected, d.n_not_checked);
    rc = IA_EXIT_OK;
out:
    ia_diff_release(&d);
    ia_db_close(db);
    if (have_cfg)
        ia_config_release(&cfg);
    return rc;
}
