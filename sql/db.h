/*
 * The database: the only door to SQLite. Opens (creating owner-only, WAL mode),
 * migrates with PRAGMA user_version from the embedded sql/NNNN_*.sql files, and offers
 * prepared statements by name from sql/queries.sql ("-- name: X" sections) or by text.
 */
#ifndef IA_SQL_DB_H
#define IA_SQL_DB_H

#include <stdint.h>

#include "core/err.h"

struct ia_db;
struct ia_db_stmt;

enum ia_db_mode {
    IA_DB_READWRITE = 0, /* create if missing, migrate */
    IA_DB_READONLY = 1,  /* must exist and be migrated already */
};

/*
 * Open path (new: ia_db_close). A new file is created with mode 0600. Sets WAL,
 * foreign keys on, a busy time-out, and applies pending migrations in one transaction.
 * IA_ERR_DB with SQLite's message and the fix (e.g. a read-only directory).
 */
IA_MUST_USE enum ia_code ia_db_open(const char *path, enum ia_db_mode mode, struct ia_db **out,
                                    struct ia_err *err);
/* Finalises every cached statement and closes. NULL-safe. */
void ia_db_close(struct ia_db *db);
/* The schema version after migration (PRAGMA user_version). */
int ia_db_schema_version(struct ia_db *db);

/* Run one or more statements with no results. */
IA_MUST_USE enum ia_code ia_db_exec(struct ia_db *db, const char *sql, struct ia_err *err);
IA_MUST_USE enum ia_code ia_db_begin(struct ia_db *db, struct ia_err *err); /* BEGIN IMMEDIATE */
IA_MUST_USE enum ia_code ia_db_commit(struct ia_db *db, struct ia_err *err);
void ia_db_rollback(struct ia_db *db); /* never fails loudly */

/*
 * A prepared statement: name is a "-- name:" entry of sql/queries.sql, or, when it
 * contains a space, SQL text. Statements by name are cached on db (borrowed: valid
 * until ia_db_close; reset before return); by text they are new (ia_db_finalize).
 */
IA_MUST_USE enum ia_code ia_db_prepare(struct ia_db *db, const char *name_or_sql,
                                       struct ia_db_stmt **out, struct ia_err *err);
void ia_db_finalize(struct ia_db_stmt *st); /* no-op for cached statements; NULL-safe */
void ia_db_reset(struct ia_db_stmt *st);    /* reset and clear bindings */

/* Bind by parameter name (":name"); a missing name is a bug (IA_BUG). text may be NULL. */
void ia_db_bind_text(struct ia_db_stmt *st, const char *param, const char *text);
void ia_db_bind_int(struct ia_db_stmt *st, const char *param, int64_t v);
void ia_db_bind_null(struct ia_db_stmt *st, const char *param);
/* Bind an optional tri-state: v < 0 binds NULL. */
void ia_db_bind_bool(struct ia_db_stmt *st, const char *param, int v);

/* Step: 1 a row is ready, 0 done, -1 error (err filled). */
int ia_db_step(struct ia_db_stmt *st, struct ia_err *err);
/* Step a statement that returns no rows, then reset it. */
IA_MUST_USE enum ia_code ia_db_run(struct ia_db_stmt *st, struct ia_err *err);

/* Column accessors for the current row. Text is borrowed until the next step/reset. */
const char *ia_db_col_text(struct ia_db_stmt *st, int col); /* NULL for SQL NULL */
int64_t ia_db_col_int(struct ia_db_stmt *st, int col);
int ia_db_col_is_null(struct ia_db_stmt *st, int col);
int ia_db_col_count(struct ia_db_stmt *st);
const char *ia_db_col_name(struct ia_db_stmt *st, int col);

int64_t ia_db_last_insert_id(struct ia_db *db);
/* Rows changed by the last statement. */
int64_t ia_db_changes(struct ia_db *db);

/*
 * The advisory lock that keeps two runs off one database: flock(2) on "<db>.lock"
 * (created 0600), held until ia_db_unlock. Returns at once with IA_ERR_BUSY naming the
 * holder's pid when another process has it. *fd_out is the lock's descriptor.
 */
IA_MUST_USE enum ia_code ia_db_lock(const char *db_path, int *fd_out, struct ia_err *err);
/* Release a lock from ia_db_lock (fd < 0 is a no-op). */
void ia_db_unlock(int fd);

/*
 * Delete the runs started before cutoff (ISO time) and all their rows, in one
 * transaction, never the latest complete run; then reclaim the space. *deleted is the
 * number of runs removed.
 */
IA_MUST_USE enum ia_code ia_db_prune(struct ia_db *db, const char *cutoff, int64_t *deleted,
                                     struct ia_err *err);

/* What ia_db_carry_forward did. */
struct ia_db_carried {
    int64_t from_run; /* the run the accounts were carried from; 0: none (nothing carried) */
    int accounts;     /* accounts carried into the run */
    int failed;       /* of which failed in from_run (no data to carry) */
};

/*
 * For a run collected for some accounts only: copy every other account of the latest
 * earlier complete or partial run into run_id, with all its rows (every table with run_id
 * and account_id, found from the schema; findings, analyses and access_paths excepted) and
 * the AWS-managed policies, so the run holds the whole estate. accounts.data_run_id of a carried
 * account is the run that really read it, collected_at when. Runs inside the caller's transaction
 * (call it between ia_db_begin and ia_db_commit). *out is filled on success.
 */
IA_MUST_USE enum ia_code ia_db_carry_forward(struct ia_db *db, int64_t run_id,
                                             struct ia_db_carried *out, struct ia_err *err);

#endif
