/* The subcommands (one cmd_<name>.c each, git's builtin/ layout) and the exit codes. */
#ifndef IA_CLI_CLI_H
#define IA_CLI_CLI_H

/* One exit-code table for every subcommand (docs/exit-codes.md). */
enum ia_exit {
    IA_EXIT_OK = 0,        /* done; no finding at or above --fail-on */
    IA_EXIT_FINDINGS = 1,  /* analyse/run: an unsuppressed finding at or above --fail-on */
    IA_EXIT_PARTIAL = 2,   /* collection finished but some accounts failed */
    IA_EXIT_FAILED = 3,    /* the step failed: nothing usable was produced */
    IA_EXIT_DELIVERY = 4,  /* deliver/run: some delivery failed (the run itself is intact) */
    IA_EXIT_USAGE = 64,    /* EX_USAGE: bad command line */
    IA_EXIT_CONFIG = 78,   /* EX_CONFIG: bad configuration file or credentials setup */
    IA_EXIT_TEMPFAIL = 75, /* EX_TEMPFAIL: another run holds the database lock; retry later */
};

struct ia_cmd {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
    const char *summary;
};

int cmd_whoami(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_prune(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_config(int argc, char **argv);

/*
 * A missing database folder is a configuration mistake, not a failed run: print the fix
 * ("iam-audit CMD: the database folder X does not exist; create it ...") and return
 * IA_EXIT_CONFIG; IA_EXIT_OK when the folder of db_path exists.
 */
int ia_cli_check_db_folder(const char *cmd, const char *db_path);
/* "FOLDER-OF-DB/reports": where reports go when [audit] reports is not set. New string. */
char *ia_cli_reports_beside(const char *db_path);

struct ia_collect_progress;
/* collect's live progress line on a terminal (stderr, rewritten in place). */
void ia_cli_progress_line(void *ctx, const struct ia_collect_progress *p);
/*
 * The one mapping from an error to an exit code, for every subcommand (docs/exit-codes.md):
 * configuration and credentials set-up 78, a database another run holds 75, else 3.
 */
int ia_cli_exit_code(int code);

struct ia_config;
/*
 * Load the configuration FILE for subcommand cmd. On failure prints "iam-audit CMD: why"
 * and returns IA_EXIT_CONFIG (a missing, unreadable or wrong file is a configuration error
 * for every command); IA_EXIT_OK when cfg holds it (release with ia_config_release).
 */
int ia_cli_load_config(const char *cmd, const char *path, struct ia_config *cfg);

/*
 * Take the lock on db_path for cmd (one run per database): IA_EXIT_OK with *fd set
 * (release with ia_db_unlock), or the message printed and 75 (busy) / 78 (unsafe path) / 3.
 */
int ia_cli_lock_db(const char *cmd, const char *db_path, int *fd);

/* Print "iam-audit CMD: msg" to stderr (usage errors) and return IA_EXIT_USAGE. */
int ia_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
