/* Drives the report writers for one run: resolve the run, then each format in turn. */
#include "reports/report.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyser/analyser.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "reports/report_int.h"

static const struct ia_report_col s_findings_cols[] = {
    { "rule_id", IA_RCOL_TEXT, 26 },       { "severity", IA_RCOL_SEVERITY, 10 },
    { "account_id", IA_RCOL_TEXT, 14 },    { "account_name", IA_RCOL_TEXT, 18 },
    { "team", IA_RCOL_TEXT, 14 },          { "resource_arn", IA_RCOL_TEXT, 48 },
    { "principal", IA_RCOL_TEXT, 40 },     { "title", IA_RCOL_TEXT, 60 },
    { "first_seen", IA_RCOL_DATE, 12 },    { "status", IA_RCOL_TEXT, 11 },
    { "suppressed_by", IA_RCOL_TEXT, 18 }, { "evidence", IA_RCOL_JSON, 80 },
};
const struct ia_report_table ia_report_findings_table = {
    "report_findings", "findings.csv", "Findings", s_findings_cols, IA_ARRAY_LEN(s_findings_cols),
};

static const struct ia_report_col s_users_cols[] = {
    { "account_id", IA_RCOL_TEXT, 14 },
    { "account_name", IA_RCOL_TEXT, 18 },
    { "team", IA_RCOL_TEXT, 14 },
    { "user_name", IA_RCOL_TEXT, 30 },
    { "arn", IA_RCOL_TEXT, 50 },
    { "path", IA_RCOL_TEXT, 10 },
    { "created_at", IA_RCOL_DATE, 17 },
    { "password_enabled", IA_RCOL_BOOL, 10 },
    { "password_last_used", IA_RCOL_DATE, 17 },
    { "mfa_active", IA_RCOL_BOOL, 10 },
    { "mfa_devices", IA_RCOL_INT, 8 },
    { "active_keys", IA_RCOL_INT, 8 },
    { "key_last_used", IA_RCOL_DATE, 17 },
    { "leaver", IA_RCOL_BOOL, 8 },
};
const struct ia_report_table ia_report_users_table = {
    "report_users", "users.csv", "Users", s_users_cols, IA_ARRAY_LEN(s_users_cols),
};

static const struct ia_report_col s_roles_cols[] = {
    { "account_id", IA_RCOL_TEXT, 14 },
    { "account_name", IA_RCOL_TEXT, 18 },
    { "team", IA_RCOL_TEXT, 14 },
    { "role_name", IA_RCOL_TEXT, 30 },
    { "arn", IA_RCOL_TEXT, 50 },
    { "path", IA_RCOL_TEXT, 10 },
    { "created_at", IA_RCOL_DATE, 17 },
    { "last_used_at", IA_RCOL_DATE, 17 },
    { "last_used_region", IA_RCOL_TEXT, 12 },
    { "max_session_duration", IA_RCOL_INT, 10 },
    { "trust_summary", IA_RCOL_TEXT, 70 },
    { "trust_error", IA_RCOL_TEXT, 20 },
};
const struct ia_report_table ia_report_roles_table = {
    "report_roles", "roles.csv", "Roles", s_roles_cols, IA_ARRAY_LEN(s_roles_cols),
};

static const struct ia_report_col s_trusts_cols[] = {
    { "account_id", IA_RCOL_TEXT, 14 },
    { "account_name", IA_RCOL_TEXT, 18 },
    { "team", IA_RCOL_TEXT, 14 },
    { "role_name", IA_RCOL_TEXT, 30 },
    { "role_arn", IA_RCOL_TEXT, 50 },
    { "statement_index", IA_RCOL_INT, 9 },
    { "sid", IA_RCOL_TEXT, 14 },
    { "effect", IA_RCOL_TEXT, 8 },
    { "not_principal", IA_RCOL_BOOL, 9 },
    { "principal_kind", IA_RCOL_TEXT, 10 },
    { "principal", IA_RCOL_TEXT, 50 },
    { "principal_account", IA_RCOL_TEXT, 14 },
    { "principal_type", IA_RCOL_TEXT, 14 },
    { "actions", IA_RCOL_TEXT, 30 },
    { "conditions", IA_RCOL_TEXT, 50 },
};
const struct ia_report_table ia_report_trusts_table = {
    "report_trusts", "trusts.csv", "Trusts", s_trusts_cols, IA_ARRAY_LEN(s_trusts_cols),
};

enum ia_code
ia_report_query(struct ia_report_ctx *ctx, const char *name, const char *team,
                struct ia_db_stmt **out, struct ia_err *err)
{
    struct ia_db_stmt *st;
    enum ia_code rc = ia_db_prepare(ctx->db, name, &st, err);
    if (rc != IA_OK)
        return rc;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":team", team);
    *out = st;
    return IA_OK;
}

enum ia_code
ia_report_file_open(struct ia_report_ctx *ctx, const char *name, int stream,
                    struct ia_report_file *out, struct ia_err *err)
{
    struct ia_buf path = IA_BUF_INIT, tmp = IA_BUF_INIT;
    enum ia_code rc = IA_ERR_IO;
    int fd = -1;

    memset(out, 0, sizeof(*out));
    ia_buf_addf(&path, "%s/%s", ctx->out_dir, name);
    IA_ASSERT(ctx->tmp_dir);
    ia_buf_addf(&tmp, "%s/%s", ctx->tmp_dir, name);
    fd = open(tmp.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        ia_err_set(err, IA_ERR_IO,
                   "cannot create %s: %s (check that the output directory is writable)", tmp.buf,
                   strerror(errno));
        goto out;
    }
    if (fchmod(fd, 0600) != 0) {
        ia_err_set(err, IA_ERR_IO, "cannot chmod %s: %s", tmp.buf, strerror(errno));
        close(fd);
        unlink(tmp.buf);
        goto out;
    }
    if (stream) {
        out->f = fdopen(fd, "wb");
        if (!out->f) {
            ia_err_set(err, IA_ERR_IO, "cannot open %s: %s", tmp.buf, strerror(errno));
            close(fd);
            unlink(tmp.buf);
            goto out;
        }
    } else {
        close(fd);
    }
    out->path = ia_buf_detach(&path, NULL);
    out->tmp = ia_buf_detach(&tmp, NULL);
    rc = IA_OK;
out:
    ia_buf_release(&path);
    ia_buf_release(&tmp);
    return rc;
}

enum ia_code
ia_report_file_commit(struct ia_report_ctx *ctx, struct ia_report_file *file, struct ia_err *err)
{
    enum ia_code rc = IA_ERR_IO;
    struct ia_report_summary *s = ctx->sum;

    if (file->f) {
        int bad = fflush(file->f) != 0 || ferror(file->f);
        bad |= fsync(fileno(file->f)) != 0;
        bad |= fclose(file->f) != 0;
        file->f = NULL;
        if (bad) {
            ia_err_set(err, IA_ERR_IO, "cannot write %s: %s (is the disk full?)", file->tmp,
                       strerror(errno));
            goto out;
        }
    }
    if (!file->f && file->tmp) {
        /* libxlsxwriter fopen()ed it by name, in our private folder; make sure of the mode
         * on the descriptor, never by path. */
        int fd = open(file->tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        int bad = fd < 0 || fchmod(fd, 0600) != 0 || fsync(fd) != 0;
        int e = errno;
        if (fd >= 0)
            close(fd);
        if (bad) {
            ia_err_set(err, IA_ERR_IO, "cannot finish %s: %s", file->tmp, strerror(e));
            goto out;
        }
    }
    /* From our 0700 folder into out_dir: rename replaces a name, it never follows a link. */
    if (rename(file->tmp, file->path) != 0) {
        ia_err_set(err, IA_ERR_IO, "cannot move %s into place as %s: %s", file->tmp, file->path,
                   strerror(errno));
        goto out;
    }
    s->files = ia_xrealloc(s->files, (s->n_files + 1) * sizeof(*s->files));
    s->files[s->n_files++] = file->path;
    file->path = NULL;
    free(file->tmp);
    file->tmp = NULL;
    rc = IA_OK;
out:
    if (rc != IA_OK)
        ia_report_file_abort(file);
    return rc;
}

void
ia_report_file_abort(struct ia_report_file *file)
{
    if (!file)
        return;
    if (file->f)
        fclose(file->f);
    if (file->tmp)
        unlink(file->tmp);
    free(file->tmp);
    free(file->path);
    memset(file, 0, sizeof(*file));
}

void
ia_report_leaver_parse(struct ia_report_ctx *ctx, const char *evidence,
                       struct ia_report_leaver *out)
{
    json_t *root = evidence ? json_loads(evidence, 0, NULL) : NULL;
    const char *date;
    time_t t;

    out->leaving_date[0] = '\0';
    out->days = -1;
    if (!json_is_object(root))
        goto out;
    date = json_string_value(json_object_get(root, IA_EV_LEAVING_DATE));
    if (date && ia_time_parse_iso(date, &t) == 0) {
        ia_time_format_date(t, out->leaving_date);
        if (ctx->run_time >= t)
            out->days = (long)((ctx->run_time - t) / 86400);
    }
    json_t *days = json_object_get(root, IA_EV_DAYS_SINCE_LEAVING);
    if (json_is_integer(days))
        out->days = (long)json_integer_value(days);
out:
    json_decref(root);
}

void
ia_report_team_file_part(const char *team, char out[65])
{
    size_t n = 0;
    for (const char *p = team ? team : ""; *p && n < 64; p++) {
        unsigned char c = (unsigned char)*p;
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        out[n] = ok && !(n == 0 && c == '.') ? (char)c : '_';
        n++;
    }
    out[n] = '\0';
    if (n == 0)
        memcpy(out, "unnamed", sizeof("unnamed"));
}

enum ia_code
ia_report_formats_parse(const char *list, unsigned *out, struct ia_err *err)
{
    unsigned f = 0;
    const char *p = list;

    while (*p) {
        size_t n;
        while (*p == ' ' || *p == ',')
            p++;
        n = strcspn(p, ", ");
        if (!n)
            break;
        if (n == 3 && strncmp(p, "csv", 3) == 0)
            f |= IA_REPORT_CSV;
        else if (n == 4 && strncmp(p, "xlsx", 4) == 0)
            f |= IA_REPORT_XLSX;
        else if (n == 5 && strncmp(p, "jsonl", 5) == 0)
            f |= IA_REPORT_JSONL;
        else
            return ia_err_set(err, IA_ERR_INVALID,
                              "unknown report format '%.*s'; use csv, xlsx and/or jsonl, "
                              "comma-separated",
                              (int)(n > 40 ? 40 : n), p);
        p += n;
    }
    if (!f)
        return ia_err_set(err, IA_ERR_INVALID,
                          "no report format given; use csv, xlsx and/or jsonl, comma-separated");
    *out = f;
    return IA_OK;
}

/* Resolve run_id (0: latest analysed) and fill the run facts of ctx. */
static enum ia_code
resolve_run(struct ia_report_ctx *ctx, int64_t run_id, struct ia_err *err)
{
    struct ia_db_stmt *st = NULL;
    enum ia_code rc;
    int r;

    if (run_id == 0) {
        if ((rc = ia_db_prepare(ctx->db, "report_latest_analysed_run", &st, err)) != IA_OK)
            return rc;
        r = ia_db_step(st, err);
        if (r < 0)
            return IA_ERR_DB;
        if (r == 0)
            return ia_err_set(err, IA_ERR_NOT_FOUND,
                              "no analysed run in the database; run 'iam-audit analyse' first");
        run_id = ia_db_col_int(st, 0);
        ia_db_reset(st);
    }
    if ((rc = ia_db_prepare(ctx->db, "report_run", &st, err)) != IA_OK)
        return rc;
    ia_db_bind_int(st, ":run_id", run_id);
    r = ia_db_step(st, err);
    if (r < 0)
        return IA_ERR_DB;
    if (r == 0) {
        ia_db_reset(st);
        return ia_err_set(err, IA_ERR_NOT_FOUND,
                          "run %lld does not exist; list runs with 'sqlite3 DB \"SELECT id, "
                          "started_at, status FROM runs\"' or omit --run for the latest",
                          (long long)run_id);
    }
    if (ia_db_col_is_null(st, 3)) {
        ia_db_reset(st);
        return ia_err_set(err, IA_ERR_NOT_FOUND,
                          "run %lld has not been analysed; run 'iam-audit analyse --run %lld' "
                          "first",
                          (long long)run_id, (long long)run_id);
    }
    ctx->run_id = run_id;
    ctx->prev_run_id = ia_db_col_is_null(st, 4) ? 0 : ia_db_col_int(st, 4);
    snprintf(ctx->run_status, sizeof(ctx->run_status), "%s",
             ia_db_col_text(st, 2) ? ia_db_col_text(st, 2) : "");
    if (!ia_db_col_text(st, 1) || ia_time_parse_iso(ia_db_col_text(st, 1), &ctx->run_time) != 0) {
        rc = ia_err_set(err, IA_ERR_DB,
                        "run %lld has an unreadable start time '%s'; the database is damaged",
                        (long long)run_id, ia_db_col_text(st, 1) ? ia_db_col_text(st, 1) : "");
        ia_db_reset(st);
        return rc;
    }
    ia_db_reset(st);
    ia_time_format_date(ctx->run_time, ctx->run_date);
    ia_time_format_iso(ctx->run_time, ctx->run_iso);
    return IA_OK;
}

static enum ia_code
count_findings(struct ia_report_ctx *ctx, size_t *out, struct ia_err *err)
{
    struct ia_db_stmt *st;
    enum ia_code rc = ia_report_query(ctx, "report_severity_counts", NULL, &st, err);
    size_t n = 0;
    int r;

    if (rc != IA_OK)
        return rc;
    while ((r = ia_db_step(st, err)) == 1)
        n += (size_t)(ia_db_col_int(st, 1) + ia_db_col_int(st, 2));
    ia_db_reset(st);
    if (r < 0)
        return IA_ERR_DB;
    *out = n;
    return IA_OK;
}

static enum ia_code
ensure_dir(const char *dir, struct ia_err *err)
{
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode))
            return ia_err_set(err, IA_ERR_IO, "%s is not a directory; pass --out DIR", dir);
        /* Anyone who can write here could swap a report for a link as it is moved in. */
        if (sb.st_mode & S_IWOTH)
            return ia_err_set(err, IA_ERR_CONFIG,
                              "output directory %s is writable by every user (mode %04o): "
                              "another user could replace the reports; run 'chmod o-w %s' or "
                              "pass --out a directory only you can write",
                              dir, (unsigned)(sb.st_mode & 07777), dir);
        return IA_OK;
    }
    if (errno == ENOENT && mkdir(dir, 0700) == 0)
        return IA_OK;
    return ia_err_set(err, IA_ERR_IO,
                      "cannot create output directory %s: %s (create it, or check its parent "
                      "is writable)",
                      dir, strerror(errno));
}

/*
 * Team workbooks of teams this run no longer has (renamed, or their accounts gone) would
 * sit beside tonight's as if current (issue 19.9): remove every team-*.xlsx of out_dir that
 * this run did not write. Only regular files with exactly that name shape are touched.
 */
static void
remove_stale_teams(struct ia_report_ctx *ctx, char *const *parts, size_t n)
{
    DIR *d = opendir(ctx->out_dir);
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 11 || strncmp(e->d_name, "team-", 5) != 0 ||
            strcmp(e->d_name + len - 5, ".xlsx") != 0)
            continue;
        int current = 0;
        for (size_t i = 0; i < n && !current; i++)
            current =
                strlen(parts[i]) == len - 10 && strncmp(e->d_name + 5, parts[i], len - 10) == 0;
        if (current)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) != 0)
            fprintf(stderr,
                    "iam-audit report: cannot remove the stale team workbook %s/%s: "
                    "%s\n",
                    ctx->out_dir, e->d_name, strerror(errno));
    }
    closedir(d);
}

/* One workbook per team; names that sanitise alike get -2, -3... so none is overwritten. */
static enum ia_code
write_teams(struct ia_report_ctx *ctx, struct ia_err *err)
{
    struct ia_db_stmt *st;
    char **teams = NULL, **parts = NULL;
    size_t n = 0;
    enum ia_code rc;
    int r;

    if ((rc = ia_db_prepare(ctx->db, "report_teams", &st, err)) != IA_OK)
        return rc;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    while ((r = ia_db_step(st, err)) == 1) {
        teams = ia_xrealloc(teams, (n + 1) * sizeof(*teams));
        teams[n++] = ia_xstrdup(ia_db_col_text(st, 0));
    }
    ia_db_reset(st);
    if (r < 0) {
        rc = IA_ERR_DB;
        goto out;
    }
    parts = ia_xcalloc(n ? n : 1, sizeof(*parts));
    for (size_t i = 0; i < n; i++) {
        char base[65];
        struct ia_buf part = IA_BUF_INIT;
        ia_report_team_file_part(teams[i], base);
        ia_buf_addstr(&part, base);
        for (int k = 2;; k++) {
            int clash = 0;
            for (size_t j = 0; j < i; j++)
                clash |= strcmp(parts[j], part.buf) == 0;
            if (!clash)
                break;
            ia_buf_reset(&part);
            ia_buf_addf(&part, "%s-%d", base, k);
        }
        parts[i] = ia_buf_detach(&part, NULL);
        if ((rc = ia_report_xlsx_team_write(ctx, teams[i], parts[i], err)) != IA_OK)
            goto out;
    }
    remove_stale_teams(ctx, parts, n);
    rc = IA_OK;
out:
    for (size_t i = 0; i < n; i++) {
        free(teams[i]);
        if (parts)
            free(parts[i]);
    }
    free(teams);
    free(parts);
    return rc;
}

enum ia_code
ia_report_write(struct ia_db *db, int64_t run_id, const char *out_dir, unsigned formats,
                int per_team, struct ia_report_summary *out, struct ia_err *err)
{
    struct ia_report_summary sum;
    struct ia_report_ctx ctx;
    enum ia_code rc;

    memset(&sum, 0, sizeof(sum));
    memset(&ctx, 0, sizeof(ctx));
    ctx.db = db;
    ctx.out_dir = out_dir;
    ctx.sum = &sum;
    if (run_id < 0) {
        rc = ia_err_set(err, IA_ERR_INVALID,
                        "run id %lld is negative; pass a run id from the "
                        "runs table, or 0 for the latest analysed run",
                        (long long)run_id);
        goto out;
    }
    if ((rc = ensure_dir(out_dir, err)) != IA_OK)
        goto out;
    struct ia_buf tmpl = IA_BUF_INIT;
    ia_buf_addf(&tmpl, "%s/.iam-audit-XXXXXX", out_dir);
    ctx.tmp_dir = ia_buf_detach(&tmpl, NULL);
    if (!mkdtemp(ctx.tmp_dir)) {
        rc = ia_err_set(err, IA_ERR_IO,
                        "cannot create a working folder in %s: %s (check the "
                        "directory is writable)",
                        out_dir, strerror(errno));
        free(ctx.tmp_dir);
        ctx.tmp_dir = NULL;
        goto out;
    }
    if ((rc = resolve_run(&ctx, run_id, err)) != IA_OK)
        goto out;
    if ((rc = count_findings(&ctx, &sum.findings, err)) != IA_OK)
        goto out;
    if ((formats & IA_REPORT_CSV) && (rc = ia_report_csv_write(&ctx, err)) != IA_OK)
        goto out;
    if ((formats & IA_REPORT_JSONL) && (rc = ia_report_jsonl_write(&ctx, err)) != IA_OK)
        goto out;
    if ((formats & IA_REPORT_XLSX) && (rc = ia_report_xlsx_write(&ctx, err)) != IA_OK)
        goto out;
    if (per_team && (rc = write_teams(&ctx, err)) != IA_OK)
        goto out;
    sum.run_id = ctx.run_id;
    sum.previous_run = ctx.prev_run_id;
    memcpy(sum.run_date, ctx.run_date, sizeof(sum.run_date));
    if (out) {
        *out = sum;
        memset(&sum, 0, sizeof(sum));
    }
    rc = IA_OK;
out:
    if (ctx.tmp_dir) {
        /* Empty by now: every file was renamed out or removed by its abort. */
        if (rmdir(ctx.tmp_dir) != 0)
            IA_LOG_WARN("report", "msg=\"cannot remove working folder\" path=%s error=\"%s\"",
                        ctx.tmp_dir, strerror(errno));
        free(ctx.tmp_dir);
    }
    ia_report_summary_release(&sum);
    return rc;
}

void
ia_report_summary_release(struct ia_report_summary *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_files; i++)
        free(s->files[i]);
    free(s->files);
    memset(s, 0, sizeof(*s));
}
