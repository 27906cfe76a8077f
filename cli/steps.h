/*
 * The steps of the nightly job, callable without an argv: `collect`, `analyse`, `report` and
 * `deliver` parse their options into these and call them; `run` calls them in turn with the
 * configuration it loaded and the database lock it holds. Each prints its own messages
 * ("iam-audit NAME: ...") and returns an exit code of cli/cli.h's table. The caller has
 * loaded cfg (ia_cli_load_config) and holds the database lock (ia_cli_lock_db) where a step
 * writes the database: collect, analyse, deliver (not a dry run).
 */
#ifndef IA_CLI_STEPS_H
#define IA_CLI_STEPS_H

#include <stdint.h>

#include "analyser/analyser.h"
#include "core/config.h"

struct ia_step_collect {
    const struct ia_config *cfg; /* borrowed */
    const char *db;              /* NULL: cfg->database */
    char *const *only;           /* --account ids (NULL-terminated), or NULL: every account */
    int concurrency;             /* 0: cfg->concurrency */
    const char *profile;         /* NULL: cfg->profile */
    const char *mfa;             /* MFA code for the profile's role, or NULL */
    int quiet;
};
int ia_step_collect(const struct ia_step_collect *s);

struct ia_step_analyse {
    const struct ia_config *cfg;
    const char *db;                /* NULL: cfg->database */
    int64_t run;                   /* 0: the latest collected run */
    struct ia_analyse_paths paths; /* each NULL: the config's */
    int have_fail_on;
    enum ia_severity fail_on; /* with have_fail_on: exit 1 at or above it */
};
int ia_step_analyse(const struct ia_step_analyse *s);

struct ia_step_report {
    const struct ia_config *cfg; /* may be NULL (report --db --out without a config) */
    const char *config_path;     /* for messages; may be NULL */
    const char *db;              /* NULL: cfg->database */
    const char *out;             /* NULL: cfg->reports, else a reports folder beside the db */
    unsigned formats;            /* 0: [reports] formats, else every format */
    int per_team;                /* -1: [reports] per_team */
    int64_t run;                 /* 0: the latest analysed run */
    int quiet;                   /* 1: no file list on stdout */
};
int ia_step_report(const struct ia_step_report *s);

struct ia_step_deliver {
    const struct ia_config *cfg;
    const char *config_path; /* for messages */
    int64_t run;             /* 0: the latest analysed run */
    int dry_run;
    const char *profile, *mfa;
};
int ia_step_deliver(const struct ia_step_deliver *s);

#endif
