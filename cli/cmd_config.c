/*
 * iam-audit config get: one value of the configuration, read with iam-audit's own parser, so
 * scripts (cron/iam-audit-nightly) never parse the INI file themselves (issue 12.16).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/config.h"

static const char s_usage[] =
    "usage: iam-audit config get KEY --config FILE\n"
    "\n"
    "Prints the value of one [audit] key of the configuration, as iam-audit reads it (after\n"
    "validation: a configuration error is reported as by every other command). KEY is\n"
    "audit.NAME, NAME one of: database, base_account, base_name, role_name, runner, profile,\n"
    "region, leavers, roster, exceptions, reports, on_failure. Only the [audit] section is\n"
    "read for it: an on_failure line anywhere else is not [audit] on_failure.\n"
    "\n"
    "  --config FILE  the configuration (docs/config.md)\n"
    "\n"
    "Exit: 0 printed (one line), 1 the key is not set, 64 usage (unknown key), 78\n"
    "configuration (an invalid or unreadable file).\n"
    "Example: iam-audit config get audit.on_failure --config /etc/iam-audit/iam-audit.conf\n";

int
cmd_config(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config = NULL;
    int opt;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': config = optarg; break;
        case 'h': fputs(s_usage, stdout); return IA_EXIT_OK;
        default: return ia_cli_usage_error("config", "unknown option");
        }
    }
    if (argc - optind != 2 || strcmp(argv[optind], "get") != 0)
        return ia_cli_usage_error("config", "usage: iam-audit config get KEY --config FILE");
    const char *key = argv[optind + 1];
    if (!config)
        return ia_cli_usage_error("config", "--config FILE is required");

    struct ia_config cfg;
    int rc = ia_cli_load_config("config", config, &cfg);
    if (rc != IA_EXIT_OK)
        return rc;
    struct {
        const char *name;
        const char *value;
    } keys[] = {
        { "audit.database", cfg.database },   { "audit.base_account", cfg.base_account },
        { "audit.base_name", cfg.base_name }, { "audit.role_name", cfg.role_name },
        { "audit.runner", cfg.runner },       { "audit.profile", cfg.profile },
        { "audit.region", cfg.region },       { "audit.leavers", cfg.leavers },
        { "audit.roster", cfg.roster },       { "audit.exceptions", cfg.exceptions },
        { "audit.reports", cfg.reports },     { "audit.on_failure", cfg.on_failure },
    };
    rc = -1;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(keys[i].name, key) != 0)
            continue;
        if (keys[i].value) {
            printf("%s\n", keys[i].value);
            rc = IA_EXIT_OK;
        } else {
            rc = 1; /* not set: nothing printed */
        }
    }
    ia_config_release(&cfg);
    if (rc < 0)
        return ia_cli_usage_error("config",
                                  "unknown key '%s'; keys: audit.database, "
                                  "audit.base_account, audit.base_name, audit.role_name, "
                                  "audit.runner, audit.profile, audit.region, audit.leavers, "
                                  "audit.roster, audit.exceptions, audit.reports, "
                                  "audit.on_failure",
                                  key);
    return rc;
}
