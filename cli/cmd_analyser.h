/*
 * The analyser's subcommands (cli/cmd_analyse.c, cmd_rules.c, cmd_diff.c). Each takes argv
 * with argv[0] the subcommand name and returns an exit code of cli/cli.h's table.
 */
#ifndef IA_CLI_CMD_ANALYSER_H
#define IA_CLI_CMD_ANALYSER_H

/* iam-audit analyse: evaluate the rules on a run and write its findings. */
int cmd_analyse(int argc, char **argv);
/* iam-audit rules: list every rule with its id, severity and one line. */
int cmd_rules(int argc, char **argv);
/* iam-audit diff: new, resolved and persisting findings between two analysed runs. */
int cmd_diff(int argc, char **argv);
/* iam-audit access: the access paths of the latest analysed run (cli/cmd_access.c). */
int cmd_access(int argc, char **argv);

#endif
