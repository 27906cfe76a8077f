/*
 * A Slack-style incoming webhook: one JSON message per run. The URL is the credential
 * (anyone holding it can post), so it lives in a file only we can read, is never logged,
 * never put in an error message, and never stored in the database.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/crypto.h"
#include "collector/http.h"
#include "deliver/internal.h"
#include "deliver/mime.h"

/* Webhook URLs are about 80 characters; anything this long is not one. */
#define IA_WEBHOOK_URL_MAX 2048
/* New findings listed in the message; the rest are counted. */
#define IA_WEBHOOK_LIST 10

enum ia_code
ia_dl_webhook_url(const char *path, struct ia_buf *url, struct ia_err *err)
{
    char buf[IA_WEBHOOK_URL_MAX + 2];
    struct stat sb;
    ssize_t n;
    enum ia_code rc = IA_ERR_CONFIG;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

    if (fd < 0)
        return ia_err_set(err, IA_ERR_CONFIG,
                          "cannot open [delivery] slack_webhook_file %s: %s (a regular file, "
                          "not a symlink, holding the webhook URL)",
                          path, strerror(errno));
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        ia_err_set(err, IA_ERR_CONFIG, "[delivery] slack_webhook_file %s is not a regular file",
                   path);
        goto out;
    }
    if (sb.st_mode & 077) {
        ia_err_set(err, IA_ERR_CONFIG,
                   "[delivery] slack_webhook_file %s has mode %04o: the URL is a secret; run "
                   "chmod 600 %s",
                   path, (unsigned)(sb.st_mode & 07777), path);
        goto out;
    }
    if (sb.st_uid != geteuid()) {
        ia_err_set(err, IA_ERR_CONFIG,
                   "[delivery] slack_webhook_file %s belongs to uid %ld, not to the user running "
                   "iam-audit (%ld); chown it",
                   path, (long)sb.st_uid, (long)geteuid());
        goto out;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    if (n < 0) {
        ia_err_set(err, IA_ERR_IO, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    buf[n] = '\0';
    size_t len = (size_t)n;
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
        buf[--len] = '\0';
    size_t start = 0;
    while (start < len && buf[start] == ' ')
        start++;
    int ok = len - start > 8 && len < IA_WEBHOOK_URL_MAX;
    for (size_t i = start; ok && i < len; i++)
        ok = (unsigned char)buf[i] > 0x20 && (unsigned char)buf[i] < 0x7f;
    if (ok)
        ok = !strncmp(buf + start, "https://", 8) ||
             (!strncmp(buf + start, "http://", 7) && ia_http_url_is_loopback(buf + start));
    if (!ok) {
        /* Say what is wrong without quoting the file: it may be the secret, slightly off. */
        ia_err_set(err, IA_ERR_CONFIG,
                   "[delivery] slack_webhook_file %s must hold one https:// URL on one line "
                   "(plain http only to a loopback address)",
                   path);
        goto out;
    }
    ia_buf_add(url, buf + start, len - start);
    rc = IA_OK;
out:
    ia_crypto_cleanse(buf, sizeof(buf));
    close(fd);
    return rc;
}

enum ia_code
ia_dl_webhook_message(struct ia_db *db, const struct ia_dl_run *run, struct ia_buf *json,
                      struct ia_err *err)
{
    struct ia_dl_counts c;
    struct ia_buf text = IA_BUF_INIT;
    struct ia_db_stmt *st;
    enum ia_code rc = IA_ERR_DB;
    size_t listed = 0;
    int r;

    if (ia_dl_summary(db, run, NULL, &c, NULL, err) != IA_OK)
        goto out;
    ia_buf_addf(&text, "*iam-audit* run %lld of %s (%s): %zu open finding%s",
                (long long)run->run_id, run->date, run->status, c.open_total,
                c.open_total == 1 ? "" : "s");
    for (int i = 0; i < 5; i++)
        ia_buf_addf(&text, "%s%zu %s", i ? ", " : " - ", c.open[i], ia_dl_severities[i]);
    ia_buf_addf(&text, "; %zu new since the previous run", c.n_new);
    if (!run->prev_id)
        ia_buf_addstr(&text, " (first analysed run)");
    ia_buf_addstr(&text, ".\n");
    if (run->prev_id) {
        if (ia_db_prepare(db, "report_changes", &st, err) != IA_OK)
            goto out;
        ia_db_bind_int(st, ":run_id", run->run_id);
        ia_db_bind_text(st, ":team", NULL);
        ia_db_bind_int(st, ":prev_id", run->prev_id);
        while ((r = ia_db_step(st, err)) == 1) {
            if (strcmp(ia_db_col_text(st, 0), "new") != 0)
                continue;
            if (listed++ < IA_WEBHOOK_LIST)
                ia_buf_addf(&text, "- new %s %s: %s (%s)\n", ia_db_col_text(st, 1),
                            ia_db_col_text(st, 2), ia_db_col_text(st, 6),
                            ia_db_col_text(st, 3) ? ia_db_col_text(st, 3) : "");
        }
        ia_db_reset(st);
        if (r < 0)
            goto out;
        if (listed > IA_WEBHOOK_LIST)
            ia_buf_addf(&text, "- and %zu more new\n", listed - IA_WEBHOOK_LIST);
    }
    if (ia_db_prepare(db, "report_accounts", &st, err) != IA_OK)
        goto out;
    ia_db_bind_int(st, ":run_id", run->run_id);
    ia_db_bind_text(st, ":team", NULL);
    size_t nfailed = 0;
    while ((r = ia_db_step(st, err)) == 1) {
        if (!strcmp(ia_db_col_text(st, 3), "ok"))
            continue;
        ia_buf_addf(&text, "%s%s (%s)",
                    nfailed++ ? ", " : "Accounts not audited: ", ia_db_col_text(st, 0),
                    ia_db_col_text(st, 1) ? ia_db_col_text(st, 1) : "");
    }
    ia_db_reset(st);
    if (r < 0)
        goto out;
    if (nfailed)
        ia_buf_addstr(&text, "\n");
    /* Slack's incoming webhooks take {"text": ...}; mrkdwn is on by default. */
    ia_mime_utf8_sanitize(&text);
    json_t *msg = json_pack("{s:s}", "text", text.buf);
    if (!msg) {
        rc = ia_err_set(err, IA_ERR_INVALID, "the webhook message is not valid UTF-8");
        goto out;
    }
    char *dump = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    ia_buf_addstr(json, dump);
    free(dump);
    rc = IA_OK;
out:
    ia_buf_release(&text);
    return rc;
}

enum ia_code
ia_dl_webhook_post(const char *url, const char *json, const char *ca_bundle, struct ia_err *err)
{
    struct ia_http_options o = { 0, 30000, 64 * 1024, ca_bundle };
    struct ia_http *h = ia_http_new(&o);
    struct ia_http_ops ops = ia_http_ops_of(h);
    struct ia_http_response resp;
    const char *hdrs[] = { "Content-Type: application/json; charset=utf-8" };
    struct ia_http_request req = { "POST", url, hdrs, 1, json, strlen(json), 0 };
    struct ia_err e;
    enum ia_code rc;

    ia_http_response_init(&resp);
    ia_err_clear(&e);
    rc = ops.send(ops.ctx, &req, &resp, &e);
    /* The transport's own message names the URL: keep only its kind. */
    if (rc != IA_OK)
        rc = ia_err_set(err, rc,
                        "webhook POST failed (%s: the connection or TLS did not complete); "
                        "check the URL in slack_webhook_file and the network",
                        ia_code_name(rc));
    else if (resp.status < 200 || resp.status > 299) {
        rc = ia_err_set(err, IA_ERR_HTTP,
                        "webhook answered HTTP %ld; check the URL in slack_webhook_file (a "
                        "revoked webhook answers 403, 404 or 410)",
                        resp.status);
        if (err)
            err->http_status = resp.status;
    }
    ia_crypto_cleanse(&e, sizeof(e));
    ia_http_response_release(&resp);
    ia_http_free(h);
    return rc;
}
