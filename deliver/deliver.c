/* The delivery step: which message goes where, in what order, and the record of each. */
#include "deliver/deliver.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/aws.h"
#include "collector/creds.h"
#include "collector/crypto.h"
#include "collector/http.h"
#include "collector/sts_api.h"
#include "core/clock.h"
#include "core/mem.h"
#include "deliver/internal.h"
#include "deliver/mime.h"
#include "reports/report.h"

#define IA_XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
/* A workbook bigger than this is not ours to mail (SES's own limit is 10 MB). */
#define IA_ATTACH_MAX (40u * 1024u * 1024u)
#define IA_SENDMAIL_TIMEOUT_S 120

int
ia_deliver_configured(const struct ia_config *cfg)
{
    return cfg->delivery.email != IA_EMAIL_OFF || cfg->delivery.securityhub ||
           cfg->delivery.slack_webhook_file != NULL;
}

/* What the channels share during one delivery. */
struct ctx {
    struct ia_db *db;
    const struct ia_deliver_options *o;
    const struct ia_config *cfg;
    struct ia_dl_run run;
    struct ia_deliver_result *res;
    /* the workbooks, written once into a private temporary directory */
    char tmpdir[64];
    int have_workbooks;
    struct ia_report_summary books;
    /* credentials and transport for AWS, made on first use */
    struct ia_http *http;
    struct ia_creds_provider *caller;
    struct ia_profile_info info;
    int have_caller;
};

static enum ia_code
load_run(struct ia_db *db, int64_t run_id, struct ia_dl_run *run, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    memset(run, 0, sizeof(*run));
    if (!run_id) {
        if (ia_db_prepare(db, "report_latest_analysed_run", &st, err) != IA_OK)
            return IA_ERR_DB;
        r = ia_db_step(st, err);
        if (r == 1)
            run_id = ia_db_col_int(st, 0);
        ia_db_reset(st);
        if (r < 0)
            return IA_ERR_DB;
        if (r == 0)
            return ia_err_set(err, IA_ERR_NOT_FOUND,
                              "no analysed run to deliver; run 'iam-audit collect' and "
                              "'iam-audit analyse' first");
    }
    if (ia_db_prepare(db, "report_run", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", run_id);
    r = ia_db_step(st, err);
    if (r == 1) {
        const char *started = ia_db_col_text(st, 1), *status = ia_db_col_text(st, 2),
                   *analysed = ia_db_col_text(st, 3);
        run->run_id = run_id;
        snprintf(run->started_at, sizeof(run->started_at), "%s", started ? started : "");
        snprintf(run->status, sizeof(run->status), "%s", status ? status : "");
        snprintf(run->analysed_at, sizeof(run->analysed_at), "%s", analysed ? analysed : "");
        snprintf(run->date, sizeof(run->date), "%.10s", run->started_at);
        run->prev_id = ia_db_col_is_null(st, 4) ? 0 : ia_db_col_int(st, 4);
    }
    ia_db_reset(st);
    if (r < 0)
        return IA_ERR_DB;
    if (r == 0 || !run->analysed_at[0] ||
        (strcmp(run->status, "complete") != 0 && strcmp(run->status, "partial") != 0))
        return ia_err_set(err, IA_ERR_NOT_FOUND,
                          "run %lld does not exist or was never analysed; deliver an analysed "
                          "run ('iam-audit analyse --run %lld' first)",
                          (long long)run_id, (long long)run_id);
    return IA_OK;
}

/* Print one line of what a dry run would do. */
static void
say(struct ctx *x, const char *channel, const char *target, const char *note)
{
    fprintf(x->o->out, "would deliver %s %s: %s\n", channel, target, note);
}

/* Record an attempt and count it; a failure is printed on stderr. */
static void
outcome(struct ctx *x, const char *channel, const char *target, const char *team,
        const char *detail, const struct ia_err *e)
{
    struct ia_err derr;
    ia_err_clear(&derr);
    if (e) {
        x->res->failed++;
        fprintf(stderr, "iam-audit deliver: %s %s: %s\n", channel, target, e->msg);
        fprintf(x->o->out, "failed %s %s: %s\n", channel, target, e->msg);
    } else {
        x->res->sent++;
        fprintf(x->o->out, "sent %s %s%s%s\n", channel, target, detail ? ": " : "",
                detail ? detail : "");
    }
    if (ia_dl_record(x->db, &x->run, channel, target, team, detail, e ? e->msg : NULL, &derr) !=
        IA_OK) {
        /* The record is the audit trail of what went out: losing it is a failure too. */
        fprintf(stderr, "iam-audit deliver: %s %s was %s but cannot be recorded: %s\n", channel,
                target, e ? "not sent" : "sent", derr.msg);
        if (!e) {
            x->res->sent--;
            x->res->failed++;
        }
    }
}

static enum ia_code
caller_creds(struct ctx *x, struct ia_err *err)
{
    if (x->have_caller)
        return IA_OK;
    struct ia_http_options hopts = { 0, (long)x->cfg->request_timeout_s * 1000, 0,
                                     x->cfg->ca_bundle };
    x->http = ia_http_new(&hopts);
    struct ia_creds_options copts = *x->o->creds;
    copts.http = ia_http_ops_of(x->http);
    if (ia_creds_chain_resolve(&copts, &x->caller, &x->info, err) != IA_OK)
        return IA_ERR_CREDS;
    x->have_caller = 1;
    return IA_OK;
}

static const char *
region_of(struct ctx *x, const char *want)
{
    if (want)
        return want;
    if (x->cfg->region)
        return x->cfg->region;
    return ia_endpoint_default_region(x->have_caller ? x->info.region : NULL);
}

static enum ia_code
client_for(struct ctx *x, const char *region, struct ia_creds_provider *prov,
           struct ia_aws_client *c, struct ia_err *err)
{
    enum ia_code rc =
        ia_aws_client_init(c, ia_http_ops_of(x->http), prov, region,
                           x->info.endpoint_url[0] ? x->info.endpoint_url : NULL, err);
    if (rc != IA_OK)
        return rc;
    c->retry.max_attempts = x->cfg->max_attempts;
    c->retry.base_ms = (uint32_t)x->cfg->retry_base_ms;
    snprintf(c->label, sizeof(c->label), "delivery");
    return IA_OK;
}

static enum ia_code
workbooks(struct ctx *x, struct ia_err *err)
{
    if (x->have_workbooks)
        return IA_OK;
    const char *base = getenv("TMPDIR");
    snprintf(x->tmpdir, sizeof(x->tmpdir), "%s/iam-audit-deliver-XXXXXX",
             base && *base && strlen(base) < 30 ? base : "/tmp");
    if (!mkdtemp(x->tmpdir)) {
        x->tmpdir[0] = '\0';
        return ia_err_set(err, IA_ERR_IO,
                          "cannot create a temporary directory for the "
                          "workbooks: %s (set TMPDIR)",
                          strerror(errno));
    }
    if (ia_report_write(x->db, x->run.run_id, x->tmpdir, IA_REPORT_XLSX, 1, &x->books, err) !=
        IA_OK)
        return err ? err->code : IA_ERR_IO;
    x->have_workbooks = 1;
    return IA_OK;
}

/* The workbook whose name ends with suffix ("/team-paas.xlsx"), read whole into out. */
static enum ia_code
read_workbook(struct ctx *x, const char *name, struct ia_buf *out, struct ia_err *err)
{
    const char *path = NULL;
    size_t nl = strlen(name);
    for (size_t i = 0; i < x->books.n_files; i++) {
        size_t l = strlen(x->books.files[i]);
        if (l > nl && x->books.files[i][l - nl - 1] == '/' &&
            !strcmp(x->books.files[i] + l - nl, name))
            path = x->books.files[i];
    }
    if (!path)
        return ia_err_set(err, IA_ERR_NOT_FOUND, "no workbook %s was written for run %lld", name,
                          (long long)x->run.run_id);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        if (fd >= 0)
            close(fd);
        return ia_err_set(err, IA_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    }
    if ((size_t)sb.st_size > IA_ATTACH_MAX) {
        close(fd);
        return ia_err_set(err, IA_ERR_TOO_LARGE, "%s is %lld bytes, too big to e-mail", name,
                          (long long)sb.st_size);
    }
    ia_buf_grow(out, (size_t)sb.st_size);
    for (;;) {
        char chunk[65536];
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            return ia_err_set(err, IA_ERR_IO, "cannot read %s: %s", path, strerror(errno));
        }
        if (n == 0)
            break;
        ia_buf_add(out, chunk, (size_t)n);
    }
    close(fd);
    return IA_OK;
}

static void
subject_for(struct ia_buf *s, const struct ia_dl_run *run, const char *team,
            const struct ia_dl_counts *c)
{
    /* UTF-8 on purpose: the dashes read better, and RFC 2047 carries them. */
    ia_buf_addf(s, "iam-audit \xe2\x80\x94 %s%s: ", team ? "team " : "",
                team ? team : "every team");
    if (c->open_total == 0 && c->failed_accounts == 0)
        ia_buf_addstr(s, "nothing to do");
    else
        ia_buf_addf(s, "%zu open (%zu critical, %zu high)", c->open_total, c->open[0], c->open[1]);
    ia_buf_addf(s, " \xe2\x80\x94 %s", run->date);
}

static void
join(struct ia_buf *b, char *const *list)
{
    for (size_t i = 0; list && list[i]; i++)
        ia_buf_addf(b, "%s%s", i ? ", " : "", list[i]);
}

/* One e-mail: summary of team (NULL: every team) to `to`, with the workbook `book`. */
static void
email_one(struct ctx *x, const char *team, char *const *to, const char *book)
{
    const struct ia_config_delivery *d = &x->cfg->delivery;
    struct ia_buf text = IA_BUF_INIT, subject = IA_BUF_INIT, target = IA_BUF_INIT,
                  data = IA_BUF_INIT, msg = IA_BUF_INIT, uniq = IA_BUF_INIT, detail = IA_BUF_INIT;
    struct ia_dl_counts c;
    struct ia_err e;
    struct ia_aws_client client;
    int have_client = 0;
    const char *who = team ? team : "security";

    ia_err_clear(&e);
    join(&target, to);
    if (ia_dl_summary(x->db, &x->run, team, &c, &text, &e) != IA_OK)
        goto failed;
    if (team && c.open_total == 0 && c.failed_accounts == 0 && !d->email_when_clean) {
        fprintf(x->o->out, "skipped email team %s: nothing open (email_when_clean = false)\n",
                team);
        goto out;
    }
    subject_for(&subject, &x->run, team, &c);
    ia_mime_utf8_sanitize(&subject);
    ia_mime_utf8_sanitize(&text);
    if (x->o->dry_run) {
        ia_buf_addf(&detail, "to %s, \"%s\", attaching %s", target.buf, subject.buf, book);
        say(x, "email", who, detail.buf);
        x->res->sent++;
        goto out;
    }
    if (workbooks(x, &e) != IA_OK || read_workbook(x, book, &data, &e) != IA_OK)
        goto failed;
    ia_buf_addf(&uniq, "run%lld-%s-%ld", (long long)x->run.run_id, who, (long)getpid());
    struct ia_mime_attachment att = { book, IA_XLSX_TYPE, data.buf, data.len };
    struct ia_mime_message m = { d->from,       to,       subject.buf,
                                 text.buf,      &att,     1,
                                 ia_time_now(), uniq.buf, d->email == IA_EMAIL_SENDMAIL };
    if (ia_mime_build(&m, &msg, &e) != IA_OK)
        goto failed;
    if (d->email == IA_EMAIL_SENDMAIL) {
        if (ia_dl_sendmail(d->sendmail, &msg, IA_SENDMAIL_TIMEOUT_S, &e) != IA_OK)
            goto failed;
        ia_buf_addf(&detail, "sendmail, %zu bytes", msg.len);
    } else {
        char mid[128] = "";
        if (caller_creds(x, &e) != IA_OK)
            goto failed;
        if (client_for(x, region_of(x, d->ses_region), x->caller, &client, &e) != IA_OK)
            goto failed;
        have_client = 1;
        if (ia_dl_ses_send(&client, d->from, &msg, mid, sizeof(mid), &e) != IA_OK)
            goto failed;
        ia_buf_addf(&detail, "SES MessageId %s", mid);
    }
    outcome(x, "email", target.buf, who, detail.buf, NULL);
    goto out;
failed:
    if (x->o->dry_run) {
        fprintf(x->o->out, "cannot deliver email %s: %s\n", who, e.msg);
        x->res->failed++;
    } else {
        outcome(x, "email", target.buf[0] ? target.buf : who, who, NULL, &e);
    }
out:
    if (have_client)
        ia_aws_client_release(&client);
    struct ia_buf *all[] = { &text, &subject, &target, &data, &msg, &uniq, &detail };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        ia_buf_release(all[i]);
}

static enum ia_code
deliver_email(struct ctx *x, struct ia_err *err)
{
    struct ia_db_stmt *st;
    char **teams = NULL;
    size_t n = 0, alloc = 0;
    int r;

    if (ia_db_prepare(x->db, "report_teams", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", x->run.run_id);
    while ((r = ia_db_step(st, err)) == 1) {
        teams = ia_xgrow(teams, n + 1, &alloc, sizeof(*teams));
        teams[n++] = ia_xstrdup(ia_db_col_text(st, 0));
    }
    ia_db_reset(st);
    if (r < 0)
        goto out;
    for (size_t i = 0; i < x->cfg->n_teams; i++) {
        const struct ia_config_team *t = &x->cfg->teams[i];
        int found = 0;
        for (size_t j = 0; j < n && !found; j++)
            found = !strcmp(teams[j], t->name);
        if (!t->email)
            continue;
        if (!found) {
            fprintf(x->o->out, "skipped email team %s: no account of run %lld has team = %s\n",
                    t->name, (long long)x->run.run_id, t->name);
            continue;
        }
        char part[65];
        struct ia_buf book = IA_BUF_INIT;
        ia_report_team_file_part(t->name, part);
        ia_buf_addf(&book, "team-%s.xlsx", part);
        email_one(x, t->name, t->email, book.buf);
        ia_buf_release(&book);
    }
    if (x->cfg->delivery.security_email) {
        struct ia_buf book = IA_BUF_INIT;
        ia_buf_addf(&book, "iam-audit-%s.xlsx", x->run.date);
        email_one(x, NULL, x->cfg->delivery.security_email, book.buf);
        ia_buf_release(&book);
    }
    r = 0;
out:
    for (size_t i = 0; i < n; i++)
        free(teams[i]);
    free(teams);
    return r < 0 ? IA_ERR_DB : IA_OK;
}

static void
deliver_securityhub(struct ctx *x)
{
    const struct ia_config_delivery *d = &x->cfg->delivery;
    struct ia_err e;
    struct ia_buf target = IA_BUF_INIT, detail = IA_BUF_INIT;
    struct ia_aws_client client, sts_client;
    struct ia_creds_provider *assumed = NULL;
    int have_client = 0, have_sts = 0;
    struct ia_dl_sh_plan plan;
    char account[16] = "";

    ia_err_clear(&e);
    if (!x->o->dry_run && caller_creds(x, &e) != IA_OK) {
        ia_buf_addf(&target, "%s",
                    region_of(x, d->securityhub_region ? d->securityhub_region : d->ses_region));
        goto failed;
    }
    const char *region =
        region_of(x, d->securityhub_region ? d->securityhub_region : d->ses_region);
    ia_buf_addf(&target, "%s", region);
    if (x->o->dry_run) {
        if (ia_dl_securityhub(x->db, x->cfg, &x->run, NULL, region, NULL, &plan, &detail, &e) !=
            IA_OK)
            goto failed;
        ia_buf_reset(&detail);
        ia_buf_addf(&detail, "import %zu finding(s), archive %zu fixed since the last delivery",
                    plan.import, plan.archive);
        if (d->securityhub_role_arn)
            ia_buf_addf(&detail, ", as %s", d->securityhub_role_arn);
        say(x, "securityhub", target.buf, detail.buf);
        x->res->sent++;
        goto out;
    }
    struct ia_creds_provider *prov = x->caller;
    if (d->securityhub_role_arn) {
        /* The role's account is the hub's; the caller's chain is the source. */
        struct ia_creds_provider *source = NULL;
        struct ia_profile_info info2;
        struct ia_creds_options copts = *x->o->creds;
        copts.http = ia_http_ops_of(x->http);
        if (ia_creds_chain_resolve(&copts, &source, &info2, &e) != IA_OK)
            goto failed;
        struct ia_creds_sts sts;
        memset(&sts, 0, sizeof(sts));
        sts.http = ia_http_ops_of(x->http);
        snprintf(sts.region, sizeof(sts.region), "%s", region);
        snprintf(sts.endpoint_url, sizeof(sts.endpoint_url), "%s", x->info.endpoint_url);
        struct ia_creds_assume_config acfg;
        memset(&acfg, 0, sizeof(acfg));
        acfg.role_arn = d->securityhub_role_arn;
        acfg.session_name = x->cfg->session_name;
        if (ia_creds_assume_new(&acfg, source, &sts, &assumed, &e) != IA_OK)
            goto failed;
        prov = assumed;
        const char *p = strstr(d->securityhub_role_arn, ":iam::");
        snprintf(account, sizeof(account), "%.12s", p ? p + 6 : "");
    }
    if (client_for(x, region, prov, &client, &e) != IA_OK)
        goto failed;
    have_client = 1;
    if (!account[0]) {
        struct ia_caller_identity id;
        if (client_for(x, region, prov, &sts_client, &e) != IA_OK)
            goto failed;
        have_sts = 1;
        if (ia_sts_get_caller_identity(&sts_client, &id, &e) != IA_OK) {
            ia_err_prefix(&e, "finding the Security Hub account: ");
            goto failed;
        }
        snprintf(account, sizeof(account), "%s", id.account);
    }
    if (ia_dl_securityhub(x->db, x->cfg, &x->run, &client, region, account, &plan, &detail, &e) !=
        IA_OK)
        goto failed;
    ia_buf_addf(&target, " account %s", account);
    outcome(x, "securityhub", target.buf, NULL, detail.buf, NULL);
    goto out;
failed:
    if (x->o->dry_run) {
        fprintf(x->o->out, "cannot deliver securityhub %s: %s\n", target.buf, e.msg);
        x->res->failed++;
    } else {
        if (account[0])
            ia_buf_addf(&target, " account %s", account);
        outcome(x, "securityhub", target.buf, NULL, detail.len ? detail.buf : NULL, &e);
    }
out:
    if (have_client)
        ia_aws_client_release(&client);
    if (have_sts)
        ia_aws_client_release(&sts_client);
    ia_creds_provider_free(assumed);
    ia_buf_release(&target);
    ia_buf_release(&detail);
}

static void
deliver_webhook(struct ctx *x)
{
    struct ia_buf url = IA_BUF_INIT, msg = IA_BUF_INIT, detail = IA_BUF_INIT;
    struct ia_err e;
    ia_err_clear(&e);
    if (ia_dl_webhook_url(x->cfg->delivery.slack_webhook_file, &url, &e) != IA_OK ||
        ia_dl_webhook_message(x->db, &x->run, &msg, &e) != IA_OK)
        goto failed;
    ia_buf_addf(&detail, "one message, %zu bytes", msg.len);
    if (x->o->dry_run) {
        ia_buf_addf(&detail, " (URL from %s)", x->cfg->delivery.slack_webhook_file);
        say(x, "webhook", "webhook", detail.buf);
        x->res->sent++;
        goto out;
    }
    if (ia_dl_webhook_post(url.buf, msg.buf, x->cfg->ca_bundle, &e) != IA_OK)
        goto failed;
    outcome(x, "webhook", "webhook", NULL, detail.buf, NULL);
    goto out;
failed:
    if (x->o->dry_run) {
        fprintf(x->o->out, "cannot deliver webhook: %s\n", e.msg);
        x->res->failed++;
    } else {
        outcome(x, "webhook", "webhook", NULL, NULL, &e);
    }
out:
    ia_crypto_cleanse(url.buf, url.len);
    ia_buf_release(&url);
    ia_buf_release(&msg);
    ia_buf_release(&detail);
}

static void
remove_workbooks(struct ctx *x)
{
    for (size_t i = 0; i < x->books.n_files; i++)
        unlink(x->books.files[i]);
    if (x->tmpdir[0])
        rmdir(x->tmpdir);
}

enum ia_code
ia_deliver_run(struct ia_db *db, const struct ia_deliver_options *o, struct ia_deliver_result *res,
               struct ia_err *err)
{
    struct ctx x;
    enum ia_code rc;

    memset(&x, 0, sizeof(x));
    memset(res, 0, sizeof(*res));
    x.db = db;
    x.o = o;
    x.cfg = o->cfg;
    x.res = res;
    if ((rc = load_run(db, o->run_id, &x.run, err)) != IA_OK)
        return rc;
    res->run_id = x.run.run_id;
    if (o->cfg->delivery.email != IA_EMAIL_OFF && (rc = deliver_email(&x, err)) != IA_OK)
        goto out;
    if (o->cfg->delivery.securityhub)
        deliver_securityhub(&x);
    if (o->cfg->delivery.slack_webhook_file)
        deliver_webhook(&x);
    rc = IA_OK;
out:
    remove_workbooks(&x);
    ia_report_summary_release(&x.books);
    ia_creds_provider_free(x.caller);
    ia_http_free(x.http);
    return rc;
}
