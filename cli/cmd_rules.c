/* iam-audit rules: the rule table, one line per rule. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "analyser/analyser.h"
#include "cli/cli.h"
#include "cli/cmd_analyser.h"

static const char s_usage[] =
    "usage: iam-audit rules [--help]\n"
    "\n"
    "Lists every rule the analyser evaluates: its stable id (used in findings, in the\n"
    "exceptions file's 'rule =' key and in reports), its default severity, and one line.\n"
    "A rule may lower or raise the severity of a single finding (e.g. user-no-mfa is low\n"
    "for a user who has neither a password nor access keys); docs/rules.md says when, why\n"
    "each rule exists, and how to fix what it finds.\n"
    "\n"
    "Output (stdout): ID<TAB>SEVERITY<TAB>FAMILY<TAB>DESCRIPTION, one rule a line.\n"
    "Exit: 0, or 64 on a usage error.\n";

int
cmd_rules(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int opt;
    size_t n;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(s_usage, stdout);
            return IA_EXIT_OK;
        }
        return ia_cli_usage_error("rules", "unknown option");
    }
    if (optind < argc)
        return ia_cli_usage_error("rules", "unexpected argument '%s'", argv[optind]);
    const struct ia_rule *rules = ia_rules_table(&n);
    for (size_t i = 0; i < n; i++)
        printf("%s\t%s\t%s\t%s\n", rules[i].id, ia_severity_name(rules[i].severity),
               rules[i].family, rules[i].title);
    return IA_EXIT_OK;
}
