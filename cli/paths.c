/*
 * What the subcommands share when they set up: the configuration, the database's folder and
 * lock, and the reports folder beside the database.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/config.h"
#include "sql/db.h"

/* The folder part of path ("." when it has none). New string (free). */
static char *
folder_of(const char *path)
{
    struct ia_buf b = IA_BUF_INIT;
    const char *slash = strrchr(path, '/');
    if (!slash)
        ia_buf_addstr(&b, ".");
    else if (slash == path)
        ia_buf_addstr(&b, "/");
    else
        ia_buf_add(&b, path, (size_t)(slash - path));
    return ia_buf_detach(&b, NULL);
}

int
ia_cli_check_db_folder(const char *cmd, const char *db_path)
{
    struct stat st;
    char *dir = folder_of(db_path);
    int rc = IA_EXIT_OK;
    int exists = stat(dir, &st) == 0;
    if (!exists || !S_ISDIR(st.st_mode)) {
        fprintf(stderr,
                "iam-audit %s: the database folder %s %s; create it for the user that runs the "
                "job (e.g. sudo install -d -o iam-audit -g iam-audit -m 0700 %s) or set "
                "[audit] database to a path in an existing folder\n",
                cmd, dir, exists ? "is not a folder" : "does not exist", dir);
        rc = IA_EXIT_CONFIG;
    }
    free(dir);
    return rc;
}

char *
ia_cli_reports_beside(const char *db_path)
{
    char *dir = folder_of(db_path);
    struct ia_buf b = IA_BUF_INIT;
    ia_buf_addf(&b, "%s/reports", dir);
    free(dir);
    return ia_buf_detach(&b, NULL);
}

int
ia_cli_load_config(const char *cmd, const char *path, struct ia_config *cfg)
{
    struct ia_err err;
    ia_err_clear(&err);
    if (ia_config_load(path, cfg, &err) == IA_OK)
        return IA_EXIT_OK;
    ia_config_release(cfg);
    fprintf(stderr, "iam-audit %s: %s\n", cmd, err.msg);
    return IA_EXIT_CONFIG;
}

int
ia_cli_lock_db(const char *cmd, const char *db_path, int *fd)
{
    struct ia_err err;
    ia_err_clear(&err);
    *fd = -1;
    enum ia_code rc = ia_db_lock(db_path, fd, &err);
    if (rc == IA_OK)
        return IA_EXIT_OK;
    fprintf(stderr, "iam-audit %s: %s\n", cmd, err.msg);
    return ia_cli_exit_code(rc);
}
