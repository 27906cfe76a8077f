/* iam-audit report: the subcommand that writes CSV, JSONL and XLSX reports of a run. */
#ifndef IA_CLI_CMD_REPORT_H
#define IA_CLI_CMD_REPORT_H

/*
 * Run `iam-audit report`; argv[0] is "report". Prints the files written to stdout, one per
 * line. Returns an exit code of cli/cli.h: 0 ok, 3 failed, 64 usage, 75 database busy,
 * 78 configuration.
 */
int cmd_report(int argc, char **argv);

#endif
