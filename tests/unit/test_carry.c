/*
 * sql/carry.c: a run collected for some accounts carries the others forward from the latest
 * run (issue 19.3), next to this run's own AWS-managed policies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "sql/db.h"

static void
exec(struct ia_db *db, const char *sql)
{
    struct ia_err err;
    if (ia_db_exec(db, sql, &err) != IA_OK)
        fail_msg("SQL failed: %s\n%s", err.msg, sql);
}

static char *
query1(struct ia_db *db, const char *sql)
{
    struct ia_db_stmt *st;
    struct ia_err err;
    char *out = NULL;
    assert_int_equal(ia_db_prepare(db, sql, &st, &err), IA_OK);
    if (ia_db_step(st, &err) == 1 && ia_db_col_text(st, 0))
        out = strdup(ia_db_col_text(st, 0));
    ia_db_finalize(st);
    return out;
}

static void
test_carry_forward(void **state)
{
    (void)state;
    char dir[] = "/tmp/ia-carry-XXXXXX", path[64];
    struct ia_db *db = NULL;
    struct ia_err err;
    struct ia_db_carried c;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/ia.db", dir);
    assert_int_equal(ia_db_open(path, IA_DB_READWRITE, &db, &err), IA_OK);
    /* Run 1: A ok, B ok, C failed; managed policy X. Run 2 (collect --account A): A, X. */
    exec(db, "INSERT INTO runs (id, started_at, status, tool_version) VALUES "
             "(1, '2026-11-26T02:00:00Z', 'partial', 't'), (2, '2026-11-27T02:00:00Z', "
             "'running', 't');"
             "INSERT INTO accounts (run_id, account_id, name, status, collected_at) VALUES "
             "(1, '111111111111', 'a', 'ok', '2026-11-26T02:01:00Z'),"
             "(1, '222222222222', 'b', 'ok', '2026-11-26T02:02:00Z'),"
             "(1, '333333333333', 'c', 'failed', '2026-11-26T02:03:00Z'),"
             "(2, '111111111111', 'a', 'ok', '2026-11-27T02:01:00Z');"
             "INSERT INTO users (run_id, account_id, user_name, user_id, arn) VALUES "
             "(1, '111111111111', 'old-a', 'AIDA1', 'arn:aws:iam::111111111111:user/old-a'),"
             "(1, '222222222222', 'u', 'AIDA2', 'arn:aws:iam::222222222222:user/u'),"
             "(2, '111111111111', 'new-a', 'AIDA3', 'arn:aws:iam::111111111111:user/new-a');"
             "INSERT INTO managed_policies (run_id, arn, version_id) VALUES "
             "(1, 'arn:aws:iam::aws:policy/X', 'v1'), (1, 'arn:aws:iam::aws:policy/Y', 'v1'),"
             "(2, 'arn:aws:iam::aws:policy/X', 'v2');"
             /* An analysis's access paths (migration 0009) belong to their run only. */
             "INSERT INTO access_paths VALUES (1, '222222222222', 'Admin', "
             "'arn:aws:iam::222222222222:role/Admin', 'u', 'arn:aws:iam::111111111111:user/u', "
             "'user', 0, 'inline p', 0, 0, 0, 0, NULL, 'admin');");
    assert_int_equal(ia_db_begin(db, &err), IA_OK);
    assert_int_equal(ia_db_carry_forward(db, 2, &c, &err), IA_OK);
    assert_int_equal(ia_db_commit(db, &err), IA_OK);
    assert_int_equal(c.from_run, 1);
    assert_int_equal(c.accounts, 2);
    assert_int_equal(c.failed, 1);
    char *s = query1(db, "SELECT group_concat(account_id || ':' || status || ':' || "
                         "COALESCE(data_run_id, '-') || ':' || collected_at, ' ') FROM "
                         "(SELECT * FROM accounts WHERE run_id = 2 ORDER BY account_id)");
    assert_string_equal(s, "111111111111:ok:-:2026-11-27T02:01:00Z "
                           "222222222222:ok:1:2026-11-26T02:02:00Z "
                           "333333333333:failed:1:2026-11-26T02:03:00Z");
    free(s);
    /* A's own new data stays; B's rows come along; nothing of A's old run is copied. */
    s = query1(db, "SELECT group_concat(user_name, ' ') FROM (SELECT user_name FROM users "
                   "WHERE run_id = 2 ORDER BY user_name)");
    assert_string_equal(s, "new-a u");
    free(s);
    /* Access paths are the analysis's, never carried: the next analysis writes them. */
    s = query1(db, "SELECT count(*) FROM access_paths WHERE run_id = 2");
    assert_string_equal(s, "0");
    free(s);
    /* This run's managed policy wins; the carried one it lacked is added. */
    s = query1(db, "SELECT group_concat(arn || '@' || version_id, ' ') FROM (SELECT * FROM "
                   "managed_policies WHERE run_id = 2 ORDER BY arn)");
    assert_string_equal(s, "arn:aws:iam::aws:policy/X@v2 arn:aws:iam::aws:policy/Y@v1");
    free(s);
    ia_db_close(db);
    const char *files[] = { "ia.db", "ia.db-wal", "ia.db-shm" };
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

static void
test_nothing_to_carry(void **state)
{
    (void)state;
    char dir[] = "/tmp/ia-carry-XXXXXX", path[64];
    struct ia_db *db = NULL;
    struct ia_err err;
    struct ia_db_carried c;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/ia.db", dir);
    assert_int_equal(ia_db_open(path, IA_DB_READWRITE, &db, &err), IA_OK);
    exec(db, "INSERT INTO runs (id, started_at, status, tool_version) VALUES "
             "(1, '2026-11-27T02:00:00Z', 'running', 't');");
    assert_int_equal(ia_db_carry_forward(db, 1, &c, &err), IA_OK);
    assert_int_equal(c.from_run, 0);
    assert_int_equal(c.accounts, 0);
    ia_db_close(db);
    const char *files[] = { "ia.db", "ia.db-wal", "ia.db-shm" };
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_carry_forward),
        cmocka_unit_test(test_nothing_to_carry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
