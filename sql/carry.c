/*
 * Carrying accounts forward: a run collected for some accounts only (`collect --account`)
 * takes every other account's rows from the latest earlier run, so that the latest snapshot
 * is always the whole estate (issue 19.3). Plain SQL through db.c's statements: the tables
 * and their columns are read from the schema, so a table or column added by a later
 * migration is carried too without touching this file.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "sql/db.h"

/* Tables with run_id that are not per-account snapshot data, and never carried. */
static int
skipped(const char *table)
{
    static const char *const s[] = { "accounts", "findings",         "analyses",
                                     "runs",     "managed_policies", "access_paths" };
    for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
        if (strcmp(table, s[i]) == 0)
            return 1;
    return 0;
}

/* Names of a NULL-terminated list, new (ia_strlist_free-like release below). */
static void
list_free(char **l)
{
    for (size_t i = 0; l && l[i]; i++)
        free(l[i]);
    free(l);
}

/* One text column of every row of sql (which may bind :t); *out new NULL-terminated. */
static enum ia_code
names(struct ia_db *db, const char *sql, const char *t, char ***out, struct ia_err *err)
{
    struct ia_db_stmt *st;
    char **l = ia_xcalloc(1, sizeof(*l));
    size_t n = 0;
    int r;
    if (ia_db_prepare(db, sql, &st, err) != IA_OK) {
        free(l);
        return IA_ERR_DB;
    }
    if (t)
        ia_db_bind_text(st, ":t", t);
    while ((r = ia_db_step(st, err)) == 1) {
        l = ia_xrealloc(l, (n + 2) * sizeof(*l));
        l[n++] = ia_xstrdup(ia_db_col_text(st, 0) ? ia_db_col_text(st, 0) : "");
        l[n] = NULL;
    }
    ia_db_finalize(st);
    if (r < 0) {
        list_free(l);
        return IA_ERR_DB;
    }
    *out = l;
    return IA_OK;
}

/* Run an INSERT ... SELECT with :new, :src bound. */
static enum ia_code
run2(struct ia_db *db, const char *sql, int64_t run_id, int64_t src, struct ia_err *err)
{
    struct ia_db_stmt *st;
    if (ia_db_prepare(db, sql, &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":new", run_id);
    ia_db_bind_int(st, ":src", src);
    enum ia_code rc = ia_db_run(st, err);
    ia_db_finalize(st);
    return rc;
}

/*
 * "INSERT INTO t (cols) SELECT cols FROM t WHERE run_id = :src AND <where>", with run_id
 * replaced by :new and data_run_id (accounts) by where the data really comes from.
 */
static enum ia_code
copy_table(struct ia_db *db, const char *table, const char *where, int64_t run_id, int64_t src,
           struct ia_err *err)
{
    char **cols = NULL;
    struct ia_buf sql = IA_BUF_INIT, sel = IA_BUF_INIT;
    enum ia_code rc;
    if ((rc = names(db, "SELECT name FROM pragma_table_info(:t) ORDER BY cid", table, &cols,
                    err)) != IA_OK)
        return rc;
    ia_buf_addf(&sql, "INSERT INTO \"%s\" (", table);
    for (size_t i = 0; cols[i]; i++) {
        ia_buf_addf(&sql, "%s\"%s\"", i ? ", " : "", cols[i]);
        if (strcmp(cols[i], "run_id") == 0)
            ia_buf_addf(&sel, "%s:new", i ? ", " : "");
        else if (strcmp(cols[i], "data_run_id") == 0)
            ia_buf_addf(&sel, "%sCOALESCE(data_run_id, run_id)", i ? ", " : "");
        else
            ia_buf_addf(&sel, "%s\"%s\"", i ? ", " : "", cols[i]);
    }
    ia_buf_addf(&sql, ") SELECT %s FROM \"%s\" WHERE run_id = :src AND %s", sel.buf, table, where);
    rc = run2(db, sql.buf, run_id, src, err);
    if (rc != IA_OK)
        ia_err_prefix(err, "carry %s forward: ", table);
    ia_buf_release(&sql);
    ia_buf_release(&sel);
    list_free(cols);
    return rc;
}

enum ia_code
ia_db_carry_forward(struct ia_db *db, int64_t run_id, struct ia_db_carried *out, struct ia_err *err)
{
    struct ia_db_stmt *st;
    struct ia_db_carried c = { 0, 0, 0 };
    char **tables = NULL;
    enum ia_code rc = IA_ERR_DB;
    int r;
    /* Accounts of the source run that this run did not collect. */
    static const char carried[] =
        "account_id IN (SELECT account_id FROM accounts WHERE run_id = :src AND account_id "
        "NOT IN (SELECT account_id FROM accounts WHERE run_id = :new))";

    if (ia_db_prepare(db, "carry_source_run", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", run_id);
    r = ia_db_step(st, err);
    if (r == 1 && !ia_db_col_is_null(st, 0))
        c.from_run = ia_db_col_int(st, 0);
    ia_db_reset(st);
    if (r < 0)
        return IA_ERR_DB;
    if (!c.from_run) {
        *out = c;
        return IA_OK;
    }
    if (names(db,
              "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND EXISTS "
              "(SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'run_id') AND EXISTS "
              "(SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'account_id') "
              "ORDER BY m.name",
              NULL, &tables, err) != IA_OK)
        return IA_ERR_DB;
    /* The data first: the account rows decide what "not collected by this run" means. */
    for (size_t i = 0; tables[i]; i++)
        if (!skipped(tables[i]) &&
            (rc = copy_table(db, tables[i], carried, run_id, c.from_run, err)) != IA_OK)
            goto out;
    /* AWS-managed policies are per run: the ones the carried accounts use. */
    if ((rc = run2(db,
                   "INSERT OR IGNORE INTO managed_policies (run_id, arn, version_id, "
                   "document, error) SELECT :new, arn, version_id, document, error FROM "
                   "managed_policies WHERE run_id = :src",
                   run_id, c.from_run, err)) != IA_OK)
        goto out;
    if ((rc = copy_table(db, "accounts", carried, run_id, c.from_run, err)) != IA_OK)
        goto out;
    rc = IA_ERR_DB;
    if (ia_db_prepare(db, "carry_counts", &st, err) != IA_OK)
        goto out;
    ia_db_bind_int(st, ":run_id", run_id);
    r = ia_db_step(st, err);
    if (r == 1) {
        c.accounts = (int)ia_db_col_int(st, 0);
        c.failed = (int)ia_db_col_int(st, 1);
    }
    ia_db_reset(st);
    if (r < 0)
        goto out;
    *out = c;
    rc = IA_OK;
out:
    list_free(tables);
    return rc;
}
