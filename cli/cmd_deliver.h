/* iam-audit deliver: the subcommand that e-mails, imports into Security Hub and posts. */
#ifndef IA_CLI_CMD_DELIVER_H
#define IA_CLI_CMD_DELIVER_H

/*
 * Run `iam-audit deliver`; argv[0] is "deliver". Returns an exit code of cli/cli.h:
 * 0 delivered (or nothing configured), 4 some delivery failed, 3 failed, 64 usage,
 * 75 database busy, 78 configuration.
 */
int cmd_deliver(int argc, char **argv);

#endif
