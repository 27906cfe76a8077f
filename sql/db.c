#include "sql/db.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "sql/embed.h"

#ifndef S_ISVTX
#define S_ISVTX 01000 /* the sticky bit: XSI, hidden by _POSIX_C_SOURCE alone */
#endif

struct ia_db_stmt {
    sqlite3_stmt *st;
    struct ia_db *db;
    int cached;
    char *name;
};

struct ia_db {
    sqlite3 *h;
    char *path;
    struct ia_db_stmt **cache;
    size_t n_cache, alloc_cache;
};

const char *
ia_sql_text(const char *name)
{
    for (size_t i = 0; i < ia_sql_files_count; i++)
        if (strcmp(ia_sql_files[i].name, name) == 0)
            return ia_sql_files[i].text;
    return NULL;
}

static enum ia_code
db_error(struct ia_db *db, struct ia_err *err, const char *what)
{
    int code = sqlite3_extended_errcode(db->h);
    enum ia_code rc =
        (code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED ? IA_ERR_BUSY : IA_ERR_DB;
    const char *hint = "";
    switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        hint = " (another process holds the database; wait for it or check for a stuck run)";
        break;
    case SQLITE_FULL:
        hint = " (the disk is full; free space and run again: nothing partial was committed)";
        break;
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
        hint = " (check that the database file and its directory are writable by this user)";
        break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        hint = " (the file is not a healthy iam-audit database; restore it or start a new one)";
        break;
    }
    ia_err_set(err, rc, "database %s: %s: %s%s", db->path, what, sqlite3_errmsg(db->h), hint);
    return rc; /* never IA_OK */
}

enum ia_code
ia_db_exec(struct ia_db *db, const char *sql, struct ia_err *err)
{
    if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_error(db, err, "statement failed");
    return IA_OK;
}

enum ia_code
ia_db_begin(struct ia_db *db, struct ia_err *err)
{
    return ia_db_exec(db, "BEGIN IMMEDIATE", err);
}

enum ia_code
ia_db_commit(struct ia_db *db, struct ia_err *err)
{
    return ia_db_exec(db, "COMMIT", err);
}

void
ia_db_rollback(struct ia_db *db)
{
    if (!sqlite3_get_autocommit(db->h))
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

int
ia_db_schema_version(struct ia_db *db)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Migrations are the embedded files named NNNN_*.sql, applied in order. */
static enum ia_code
migrate(struct ia_db *db, enum ia_db_mode mode, struct ia_err *err)
{
    int have = ia_db_schema_version(db), latest = 0;
    enum ia_code rc = IA_OK;

    for (size_t i = 0; i < ia_sql_files_count; i++) {
        int n = 0;
        if (sscanf(ia_sql_files[i].name, "%4d_", &n) == 1 && n > latest)
            latest = n;
    }
    if (have > latest)
        return ia_err_set(err, IA_ERR_DB,
                          "database %s has schema version %d, newer than this iam-audit "
                          "knows (%d); use a newer iam-audit",
                          db->path, have, latest);
    if (have == latest)
        return IA_OK;
    if (mode == IA_DB_READONLY)
        return ia_err_set(err, IA_ERR_DB,
                          "database %s has schema version %d and needs migrating to %d; run "
                          "'iam-audit collect' once with write access",
                          db->path, have, latest);
    if ((rc = ia_db_begin(db, err)) != IA_OK)
        return rc;
    for (size_t i = 0; i < ia_sql_files_count; i++) {
        int n = 0;
        char pragma[64];
        if (sscanf(ia_sql_files[i].name, "%4d_", &n) != 1 || n <= have)
            continue;
        if (sqlite3_exec(db->h, ia_sql_files[i].text, NULL, NULL, NULL) != SQLITE_OK) {
            rc = db_error(db, err, ia_sql_files[i].name);
            ia_db_rollback(db);
            return rc;
        }
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", n);
        if ((rc = ia_db_exec(db, pragma, err)) != IA_OK) {
            ia_db_rollback(db);
            return rc;
        }
    }
    return ia_db_commit(db, err);
}

/*
 * iam-audit usually runs as root. A database folder that another user can write to (and
 * that lacks the sticky bit) lets that user swap the database or its lock for a symlink or
 * a hard link between our check and our open, so such folders are refused outright. In a
 * sticky shared folder (/tmp) others cannot replace our files, but they can create theirs
 * first: there a file must belong to us. A symlink at the database path is refused in
 * every folder. Returns IA_ERR_CONFIG (exit 78) with the fix.
 */
static enum ia_code
check_db_folder(const char *path, int *shared, struct ia_err *err)
{
    char dir[4096];
    struct stat st;
    const char *slash = strrchr(path, '/');

    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else if ((size_t)(slash - path) >= sizeof(dir))
        return ia_err_set(err, IA_ERR_INVALID, "database path is too long: %s", path);
    else
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    *shared = 0;
    if (stat(dir, &st) != 0)
        return IA_OK; /* the open that follows names the missing folder */
    if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
        return ia_err_set(err, IA_ERR_CONFIG,
                          "database folder %s is writable by every user (mode %04o, no sticky "
                          "bit): another user could swap the database or its lock for a link; "
                          "run 'chmod o-w %s' or keep the database in a folder only its owner "
                          "can write (e.g. /var/lib/iam-audit)",
                          dir, (unsigned)(st.st_mode & 07777), dir);
    *shared = (st.st_mode & S_IWOTH) != 0;
    return IA_OK;
}

/* fstat checks on a database or lock file we opened: see check_db_folder. */
static enum ia_code
check_db_file(int fd, const char *path, int shared, struct ia_err *err)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return ia_err_set(err, IA_ERR_IO, "cannot stat %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return ia_err_set(err, IA_ERR_CONFIG,
                          "%s is not a regular file; remove it or give "
                          "another database path",
                          path);
    if (st.st_nlink != 1)
        return ia_err_set(err, IA_ERR_CONFIG,
                          "%s has %lu hard links: another name could point iam-audit's writes at "
                          "someone else's file; remove it (iam-audit creates it again)",
                          path, (unsigned long)st.st_nlink);
    if (shared && st.st_uid != geteuid())
        return ia_err_set(err, IA_ERR_CONFIG,
                          "%s belongs to uid %lu, not to this user (uid %lu), in a folder every "
                          "user can write: remove it, or keep the database in a folder only its "
                          "owner can write",
                          path, (unsigned long)st.st_uid, (unsigned long)geteuid());
    return IA_OK;
}

/* Refuse a symlink at the database path before anything opens it. */
static enum ia_code
check_db_path(const char *path, int *shared, struct ia_err *err)
{
    struct stat st;
    enum ia_code rc = check_db_folder(path, shared, err);
    if (rc != IA_OK)
        return rc;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
        return ia_err_set(err, IA_ERR_CONFIG,
                          "database path %s is a symbolic link; give the real path (a link in "
                          "the database folder could point root's writes anywhere)",
                          path);
    return IA_OK;
}

enum ia_code
ia_db_open(const char *path, enum ia_db_mode mode, struct ia_db **out, struct ia_err *err)
{
    struct ia_db *db = ia_xcalloc(1, sizeof(*db));
    enum ia_code rc = IA_ERR_DB;
    int flags =
        mode == IA_DB_READONLY ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

    int shared = 0;
    db->path = ia_xstrdup(path);
    if ((rc = check_db_path(path, &shared, err)) != IA_OK)
        goto out;
    rc = IA_ERR_DB;
    if (mode == IA_DB_READONLY && access(path, F_OK) != 0) {
        rc = ia_err_set(err, IA_ERR_NOT_FOUND,
                        "database %s does not exist; run 'iam-audit collect' first or pass "
                        "--db",
                        path);
        goto out;
    }
    if (mode == IA_DB_READWRITE) {
        /* Create it owner-only before SQLite does (SQLite would honour the umask). */
        int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            rc = ia_err_set(err, errno == ELOOP ? IA_ERR_CONFIG : IA_ERR_IO,
                            "cannot create database %s: %s (check the directory exists and is "
                            "writable, and that the path is not a symbolic link)",
                            path, strerror(errno));
            goto out;
        }
        rc = check_db_file(fd, path, shared, err);
        close(fd);
        if (rc != IA_OK)
            goto out;
        rc = IA_ERR_DB;
    }
    /* NOFOLLOW again: the path is checked above, SQLite opens it by name. */
    if (sqlite3_open_v2(path, &db->h, flags | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW, NULL) !=
        SQLITE_OK) {
        rc = db_error(db, err, "cannot open");
        goto out;
    }
    sqlite3_extended_result_codes(db->h, 1);
    sqlite3_busy_timeout(db->h, 5000);
    if (mode == IA_DB_READWRITE) {
        if ((rc = ia_db_exec(db, "PRAGMA journal_mode = WAL", err)) != IA_OK)
            goto out;
        if ((rc = ia_db_exec(db, "PRAGMA synchronous = NORMAL", err)) != IA_OK)
            goto out;
    }
    if ((rc = ia_db_exec(db, "PRAGMA foreign_keys = ON", err)) != IA_OK)
        goto out;
    /* Validate: a file that is not a database fails here, with SQLite's word for it. */
    if ((rc = ia_db_exec(db, "SELECT count(*) FROM sqlite_schema", err)) != IA_OK)
        goto out;
    if ((rc = migrate(db, mode, err)) != IA_OK)
        goto out;
    *out = db;
    db = NULL;
    rc = IA_OK;
out:
    ia_db_close(db);
    return rc;
}

void
ia_db_close(struct ia_db *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < db->n_cache; i++) {
        sqlite3_finalize(db->cache[i]->st);
        free(db->cache[i]->name);
        free(db->cache[i]);
    }
    free(db->cache);
    sqlite3_close(db->h);
    free(db->path);
    free(db);
}

/* Find "-- name: NAME" in queries.sql; the statement runs to the next "-- name:" or the end. */
static char *
named_query(const char *name)
{
    const char *q = ia_sql_text("queries.sql");
    size_t nlen = strlen(name);
    if (!q)
        return NULL;
    for (const char *p = strstr(q, "-- name: "); p; p = strstr(p + 1, "-- name: ")) {
        const char *n = p + 9;
        if (strncmp(n, name, nlen) == 0 && (n[nlen] == '\n' || n[nlen] == '\r' || n[nlen] == ' ')) {
            const char *start = strchr(n, '\n');
            if (!start)
                return NULL;
            const char *end = strstr(start, "-- name: ");
            return ia_xstrndup(start + 1, end ? (size_t)(end - start - 1) : strlen(start + 1));
        }
    }
    return NULL;
}

enum ia_code
ia_db_prepare(struct ia_db *db, const char *name_or_sql, struct ia_db_stmt **out,
              struct ia_err *err)
{
    int by_name = !strchr(name_or_sql, ' ') && !strchr(name_or_sql, '\n');
    char *sql = NULL;
    sqlite3_stmt *st = NULL;

    if (by_name) {
        for (size_t i = 0; i < db->n_cache; i++) {
            if (strcmp(db->cache[i]->name, name_or_sql) == 0) {
                sqlite3_reset(db->cache[i]->st);
                sqlite3_clear_bindings(db->cache[i]->st);
                *out = db->cache[i];
                return IA_OK;
            }
        }
        sql = named_query(name_or_sql);
        if (!sql)
            IA_BUG("no query named '%s' in sql/queries.sql", name_or_sql);
    }
    if (sqlite3_prepare_v2(db->h, sql ? sql : name_or_sql, -1, &st, NULL) != SQLITE_OK) {
        enum ia_code rc = db_error(db, err, by_name ? name_or_sql : "prepare");
        free(sql);
        return rc;
    }
    free(sql);
    struct ia_db_stmt *s = ia_xcalloc(1, sizeof(*s));
    s->st = st;
    s->db = db;
    if (by_name) {
        s->cached = 1;
        s->name = ia_xstrdup(name_or_sql);
        db->cache = ia_xgrow(db->cache, db->n_cache + 1, &db->alloc_cache, sizeof(*db->cache));
        db->cache[db->n_cache++] = s;
    }
    *out = s;
    return IA_OK;
}

void
ia_db_finalize(struct ia_db_stmt *st)
{
    if (!st)
        return;
    if (st->cached) {
        sqlite3_reset(st->st);
        return;
    }
    sqlite3_finalize(st->st);
    free(st);
}

void
ia_db_reset(struct ia_db_stmt *st)
{
    sqlite3_reset(st->st);
    sqlite3_clear_bindings(st->st);
}

static int
param_index(struct ia_db_stmt *st, const char *param)
{
    int i = sqlite3_bind_parameter_index(st->st, param);
    if (!i)
        IA_BUG("statement has no parameter %s: %s", param, sqlite3_sql(st->st));
    return i;
}

void
ia_db_bind_text(struct ia_db_stmt *st, const char *param, const char *text)
{
    int i = param_index(st, param);
    if (text)
        sqlite3_bind_text(st->st, i, text, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st->st, i);
}

void
ia_db_bind_int(struct ia_db_stmt *st, const char *param, int64_t v)
{
    sqlite3_bind_int64(st->st, param_index(st, param), v);
}

void
ia_db_bind_null(struct ia_db_stmt *st, const char *param)
{
    sqlite3_bind_null(st->st, param_index(st, param));
}

void
ia_db_bind_bool(struct ia_db_stmt *st, const char *param, int v)
{
    if (v < 0)
        ia_db_bind_null(st, param);
    else
        ia_db_bind_int(st, param, v ? 1 : 0);
}

int
ia_db_step(struct ia_db_stmt *st, struct ia_err *err)
{
    int rc = sqlite3_step(st->st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    db_error(st->db, err, st->name ? st->name : "query");
    sqlite3_reset(st->st);
    return -1;
}

enum ia_code
ia_db_run(struct ia_db_stmt *st, struct ia_err *err)
{
    int r = ia_db_step(st, err);
    ia_db_reset(st);
    if (r < 0)
        return err ? (err->code ? err->code : IA_ERR_DB) : IA_ERR_DB;
    return IA_OK;
}

const char *
ia_db_col_text(struct ia_db_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(st->st, col);
}

int64_t
ia_db_col_int(struct ia_db_stmt *st, int col)
{
    return sqlite3_column_int64(st->st, col);
}

int
ia_db_col_is_null(struct ia_db_stmt *st, int col)
{
    return sqlite3_column_type(st->st, col) == SQLITE_NULL;
}

int
ia_db_col_count(struct ia_db_stmt *st)
{
    return sqlite3_column_count(st->st);
}

const char *
ia_db_col_name(struct ia_db_stmt *st, int col)
{
    return sqlite3_column_name(st->st, col);
}

int64_t
ia_db_last_insert_id(struct ia_db *db)
{
    return sqlite3_last_insert_rowid(db->h);
}

int64_t
ia_db_changes(struct ia_db *db)
{
    return sqlite3_changes64(db->h);
}

/*
 * One lock per database, taken once per process: `run` takes it and hands it to each step
 * (cli/steps.h), so nothing takes it twice. flock(2) refuses a second descriptor even in the
 * same process, which is what makes a second run refuse at once.
 */
enum ia_code
ia_db_lock(const char *db_path, int *fd_out, struct ia_err *err)
{
    char path[4096], holder[32] = "";
    int n = snprintf(path, sizeof(path), "%s.lock", db_path);
    if (n < 0 || (size_t)n >= sizeof(path))
        return ia_err_set(err, IA_ERR_INVALID, "database path is too long: %s", db_path);
    int shared = 0;
    enum ia_code rc = check_db_path(db_path, &shared, err);
    if (rc != IA_OK)
        return rc;
    /* Never through a link: a planted symlink would make root truncate its target. */
    int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    for (int tries = 0; fd < 0 && errno == ENOENT && tries < 3; tries++) {
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST)
            fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0 && errno == ELOOP)
        return ia_err_set(err, IA_ERR_CONFIG,
                          "lock file %s is a symbolic link; remove it (iam-audit creates the lock "
                          "itself and never writes through a link)",
                          path);
    if (fd < 0)
        return ia_err_set(err, IA_ERR_IO, "cannot create lock file %s: %s", path, strerror(errno));
    if ((rc = check_db_file(fd, path, shared, err)) != IA_OK) {
        close(fd);
        return rc;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        ssize_t r = pread(fd, holder, sizeof(holder) - 1, 0);
        holder[r > 0 ? r : 0] = '\0';
        holder[strcspn(holder, "\n")] = '\0';
        close(fd);
        if (e == EWOULDBLOCK)
            return ia_err_set(err, IA_ERR_BUSY,
                              "another iam-audit run%s%s%s is using %s; wait for it to finish "
                              "(nothing was changed)",
                              holder[0] ? " (pid " : "", holder, holder[0] ? ")" : "", db_path);
        return ia_err_set(err, IA_ERR_IO, "cannot lock %s: %s", path, strerror(e));
    }
    char pid[32];
    int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) == 0 && len > 0 && pwrite(fd, pid, (size_t)len, 0) < 0)
        IA_LOG_DEBUG("db", "msg=\"cannot record pid in lock file\" path=%s", path);
    *fd_out = fd;
    return IA_OK;
}

void
ia_db_unlock(int fd)
{
    if (fd < 0)
        return;
    close(fd); /* closing drops the flock */
}

enum ia_code
ia_db_prune(struct ia_db *db, const char *cutoff, int64_t *deleted, struct ia_err *err)
{
    struct ia_db_stmt *st = NULL;
    enum ia_code rc;

    if ((rc = ia_db_begin(db, err)) != IA_OK)
        return rc;
    if ((rc = ia_db_prepare(db, "runs_prune", &st, err)) != IA_OK)
        goto fail;
    IA_ASSERT(st);
    ia_db_bind_text(st, ":cutoff", cutoff);
    if ((rc = ia_db_run(st, err)) != IA_OK)
        goto fail;
    *deleted = ia_db_changes(db);
    if ((rc = ia_db_commit(db, err)) != IA_OK)
        goto fail;
    /* VACUUM cannot run inside a transaction; a failure here loses nothing. */
    return ia_db_exec(db, "VACUUM", err);
fail:
    ia_db_rollback(db);
    return rc;
}
