/*
 * Delivery without sockets: the MIME builder (base64 lines, RFC 2047 subjects, header
 * injection refused), the [delivery] and [team] configuration, and Security Hub through a
 * recording fake transport (batches of 100, stable Ids, archive and workflow updates,
 * idempotence).
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
#include <jansson.h>

#include "collector/aws.h"
#include "collector/creds.h"
#include "collector/crypto.h"
#include "core/config.h"
#include "deliver/internal.h"
#include "deliver/mime.h"
#include "sql/db.h"

/* ---- MIME ------------------------------------------------------------------------------ */

static void
test_base64_lines(void **state)
{
    (void)state;
    unsigned char data[1000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 7 + 3);
    for (size_t len = 0; len < sizeof(data); len += 37) {
        struct ia_buf b = IA_BUF_INIT, back = IA_BUF_INIT;
        ia_mime_base64(&b, data, len, 76, "\r\n");
        /* every line at most 76 characters, CRLF between lines */
        const char *p = b.buf;
        while (*p) {
            const char *e = strstr(p, "\r\n");
            size_t l = e ? (size_t)(e - p) : strlen(p);
            assert_true(l <= 76);
            p += l + (e ? 2 : 0);
        }
        struct ia_buf flat = IA_BUF_INIT;
        for (const char *q = b.buf; *q; q++)
            if (*q != '\r' && *q != '\n')
                ia_buf_addch(&flat, *q);
        assert_int_equal(ia_crypto_base64_decode(flat.buf, flat.len, &back), 0);
        assert_int_equal(back.len, len);
        assert_memory_equal(back.buf, data, len);
        ia_buf_release(&b);
        ia_buf_release(&back);
        ia_buf_release(&flat);
    }
    struct ia_buf b = IA_BUF_INIT;
    ia_mime_base64(&b, "foobar", 6, 0, "");
    assert_string_equal(b.buf, "Zm9vYmFy");
    ia_buf_reset(&b);
    ia_mime_base64(&b, "fooba", 5, 0, "");
    assert_string_equal(b.buf, "Zm9vYmE=");
    ia_buf_release(&b);
}

/* Decode "Subject: =?UTF-8?B?...?=\r\n =?UTF-8?B?...?=" back to the text, checking lengths. */
static void
decode_words(const char *hdr, struct ia_buf *out)
{
    const char *p = hdr;
    while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
        p += 10;
        const char *end = strstr(p, "?=");
        assert_non_null(end);
        assert_true(end - p + 12 <= 75);
        assert_int_equal(ia_crypto_base64_decode(p, (size_t)(end - p), out), 0);
        p = end + 2;
    }
}

static void
test_subject_words(void **state)
{
    (void)state;
    /* ASCII that fits stays as it is. */
    struct ia_buf b = IA_BUF_INIT;
    ia_mime_header_words(&b, "iam-audit: team paas", 9, "\r\n");
    assert_string_equal(b.buf, "iam-audit: team paas");
    ia_buf_reset(&b);
    /* UTF-8: encoded words, each line within 78, split between characters. */
    const char *subj =
        "iam-audit \xe2\x80\x94 team \xc3\xa9quipe-d\xc3\xa9j\xc3\xa0-vu \xe2\x80\x94 "
        "12 open (3 critical, 4 high) \xe2\x80\x94 2026-12-03 \xf0\x9f\x94\x92";
    ia_buf_addstr(&b, "Subject: ");
    ia_mime_header_words(&b, subj, 9, "\r\n");
    const char *p = b.buf;
    int lines = 0;
    while (*p) {
        const char *e = strstr(p, "\r\n");
        size_t l = e ? (size_t)(e - p) : strlen(p);
        assert_true(l <= 78);
        lines++;
        if (lines > 1)
            assert_int_equal(p[0], ' ');
        p += l + (e ? 2 : 0);
    }
    assert_true(lines >= 2);
    struct ia_buf back = IA_BUF_INIT;
    decode_words(b.buf, &back);
    assert_string_equal(back.buf, subj);
    /* each word on its own is whole UTF-8 */
    p = b.buf;
    while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
        struct ia_buf one = IA_BUF_INIT;
        p += 10;
        const char *end = strstr(p, "?=");
        assert_int_equal(ia_crypto_base64_decode(p, (size_t)(end - p), &one), 0);
        assert_true(ia_mime_utf8_valid(one.buf, one.len));
        ia_buf_release(&one);
        p = end;
    }
    /* "=?" in ASCII is encoded, so it cannot be read as a word */
    ia_buf_reset(&b);
    ia_mime_header_words(&b, "a =?x?= b", 9, "\r\n");
    assert_non_null(strstr(b.buf, "=?UTF-8?B?"));
    ia_buf_release(&b);
    ia_buf_release(&back);
    struct ia_buf dirty = IA_BUF_INIT;
    ia_buf_addstr(&dirty, "ok \xe2\x80\x94 \xff bad \xe2\x80 cut \xc3\xa9");
    ia_mime_utf8_sanitize(&dirty);
    assert_string_equal(dirty.buf, "ok \xe2\x80\x94 ? bad ?? cut \xc3\xa9");
    ia_buf_release(&dirty);
    assert_false(ia_mime_utf8_valid("\xc0\xaf", 2));     /* overlong */
    assert_false(ia_mime_utf8_valid("\xed\xa0\x80", 3)); /* surrogate */
    assert_false(ia_mime_utf8_valid("\xe2\x80", 2));     /* cut short */
}

static void
test_mime_message(void **state)
{
    (void)state;
    char *to[] = { "a@example.gov.uk", "b@example.gov.uk", NULL };
    struct ia_mime_attachment att = { "team-paas.xlsx", "application/octet-stream", "PK\x03\x04",
                                      4 };
    struct ia_mime_message m = { "iam-audit@example.gov.uk",
                                 to,
                                 "s \xe2\x80\x94 t",
                                 "body\n",
                                 &att,
                                 1,
                                 1764763200,
                                 "run1-paas",
                                 0 };
    struct ia_buf out = IA_BUF_INIT;
    struct ia_err err;
    assert_int_equal(ia_mime_build(&m, &out, &err), IA_OK);
    assert_non_null(strstr(out.buf, "To: a@example.gov.uk, b@example.gov.uk\r\n"));
    assert_non_null(strstr(out.buf, "Subject: =?UTF-8?B?"));
    assert_non_null(strstr(out.buf, "Date: Wed, 03 Dec 2025 12:00:00 +0000\r\n"));
    assert_non_null(strstr(out.buf, "MIME-Version: 1.0\r\n"));
    assert_non_null(strstr(out.buf, "filename=\"team-paas.xlsx\""));
    assert_non_null(strstr(out.buf, "UEsDBA==")); /* the attachment's bytes */
    /* no bare LF: every line ends CRLF */
    for (size_t i = 0; i < out.len; i++)
        if (out.buf[i] == '\n')
            assert_int_equal(out.buf[i - 1], '\r');
    /* sendmail form: LF only */
    ia_buf_reset(&out);
    m.lf_only = 1;
    assert_int_equal(ia_mime_build(&m, &out, &err), IA_OK);
    assert_null(strchr(out.buf, '\r'));

    /* header injection and odd names are refused, naming the field */
    char *evil[] = { "a@example.gov.uk\r\nBcc: x@evil.example", NULL };
    m.to = evil;
    assert_int_equal(ia_mime_build(&m, &out, &err), IA_ERR_INVALID);
    assert_non_null(strstr(err.msg, "recipient"));
    m.to = to;
    m.from = "Name <x@example.gov.uk>";
    assert_int_equal(ia_mime_build(&m, &out, &err), IA_ERR_INVALID);
    m.from = "iam-audit@example.gov.uk";
    att.filename = "../../etc/passwd";
    assert_int_equal(ia_mime_build(&m, &out, &err), IA_ERR_INVALID);
    assert_non_null(strstr(err.msg, "attachment"));
    att.filename = "team-paas.xlsx";
    m.subject = "bad \xff utf-8";
    assert_int_equal(ia_mime_build(&m, &out, &err), IA_ERR_INVALID);
    ia_buf_release(&out);
}

/* ---- configuration --------------------------------------------------------------------- */

static enum ia_code
load(const char *text, struct ia_config *c, struct ia_err *err)
{
    char path[] = "/tmp/ia-test-deliver-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    enum ia_code rc = ia_config_load(path, c, err);
    unlink(path);
    return rc;
}

static void
test_config_delivery(void **state)
{
    (void)state;
    struct ia_config c;
    struct ia_err err;
    assert_int_equal(load("[audit]\nbase_account = 111111111111\n"
                          "[delivery]\nfrom = iam-audit@example.gov.uk\nemail = ses\n"
                          "ses_region = eu-west-2\nsecurityhub = on\n"
                          "securityhub_role_arn = arn:aws:iam::999999999999:role/sh\n"
                          "security_email = sec@example.gov.uk, soc@example.gov.uk\n"
                          "email_when_clean = false\nslack_webhook_file = /etc/x\n"
                          "[team paas]\nemail = paas-lead@example.gov.uk, "
                          "paas-deputy@example.gov.uk\n",
                          &c, &err),
                     IA_OK);
    assert_int_equal(c.delivery.email, IA_EMAIL_SES);
    assert_string_equal(c.delivery.ses_region, "eu-west-2");
    assert_int_equal(c.delivery.securityhub, 1);
    assert_int_equal(c.delivery.securityhub_workflow, 1);
    assert_int_equal(c.delivery.email_when_clean, 0);
    assert_int_equal(ia_strlist_len(c.delivery.security_email), 2);
    assert_string_equal(c.delivery.sendmail, "/usr/sbin/sendmail");
    const struct ia_config_team *t = ia_config_team_find(&c, "paas");
    assert_non_null(t);
    assert_string_equal(t->email[1], "paas-deputy@example.gov.uk");
    assert_null(ia_config_team_find(&c, "verify"));
    ia_config_release(&c);

    static const struct {
        const char *text, *says;
    } bad[] = {
        { "[delivery]\nemail = smtp\n", "ses, sendmail or off" },
        { "[delivery]\nfrom = Name <a@b.c>\n", "plain e-mail address" },
        { "[delivery]\nsecurity_email = a@b.c\r\nBcc: evil@x.y\n", "" },
        { "[team paas]\nemail = lead@example.gov.uk, not an address\n", "[team paas] email" },
        { "[team paas]\nmail = lead@example.gov.uk\n", "unknown key 'mail' in [team paas]" },
        { "[delivery]\nses_region = EU_WEST\n", "region name" },
        { "[delivery]\nsecurityhub_role_arn = sh\n", "role ARN" },
        { "[delivery]\nwebhook = x\n", "unknown key 'webhook' in [delivery]" },
        { "[delivery]\nemail = ses\n", "needs from" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ia_buf text = IA_BUF_INIT;
        ia_buf_addf(&text, "[audit]\nbase_account = 111111111111\n%s", bad[i].text);
        ia_err_clear(&err);
        assert_int_equal(load(text.buf, &c, &err), IA_ERR_CONFIG);
        if (!strstr(err.msg, bad[i].says))
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].says);
        ia_config_release(&c);
        ia_buf_release(&text);
    }
    assert_true(ia_config_valid_email("first.last@digital.cabinet-office.gov.uk"));
    assert_false(ia_config_valid_email("a@b"));
    assert_false(ia_config_valid_email("a b@c.d"));
    assert_false(ia_config_valid_email("a@b.c,d@e.f"));
}

/* ---- Security Hub through a fake transport ---------------------------------------------- */

#define MAX_CALLS 64

struct rec {
    int n;
    char method[MAX_CALLS][8];
    char path[MAX_CALLS][64];
    json_t *body[MAX_CALLS];
    int fail_from; /* calls at or after this index fail with a transport error; 0: never */
};

static enum ia_code
rec_send(void *ctx, const struct ia_http_request *req, struct ia_http_response *resp,
         struct ia_err *err)
{
    struct rec *r = ctx;
    assert_true(r->n < MAX_CALLS);
    int i = r->n++;
    json_error_t je;
    snprintf(r->method[i], sizeof(r->method[i]), "%s", req->method);
    const char *path = strstr(req->url, "://");
    path = path ? strchr(path + 3, '/') : NULL;
    snprintf(r->path[i], sizeof(r->path[i]), "%s", path ? path : "");
    r->body[i] = json_loadb(req->body, req->body_len, 0, &je);
    ia_http_response_reset(resp);
    if (r->fail_from && i >= r->fail_from)
        return ia_err_set(err, IA_ERR_NET, "connection refused");
    resp->status = 200;
    if (!strcmp(r->path[i], "/findings/import")) {
        size_t n = json_array_size(json_object_get(r->body[i], "Findings"));
        ia_buf_addf(&resp->body, "{\"FailedCount\":0,\"SuccessCount\":%zu,\"FailedFindings\":[]}",
                    n);
    } else if (!strcmp(r->path[i], "/findings/batchupdate")) {
        json_t *ids = json_object_get(r->body[i], "FindingIdentifiers");
        json_t *out = json_pack("{s:O,s:[]}", "ProcessedFindings", ids, "UnprocessedFindings");
        char *t = json_dumps(out, JSON_COMPACT);
        ia_buf_addstr(&resp->body, t);
        free(t);
        json_decref(out);
    } else {
        resp->status = 404;
    }
    return IA_OK;
}

static void
rec_reset(struct rec *r)
{
    for (int i = 0; i < r->n; i++)
        json_decref(r->body[i]);
    memset(r, 0, sizeof(*r));
}

static void
no_sleep(uint64_t ms)
{
    (void)ms;
}

static void
exec_ok(struct ia_db *db, const char *sql)
{
    struct ia_err err;
    if (ia_db_exec(db, sql, &err) != IA_OK)
        fail_msg("%s: %s", sql, err.msg);
}

/* Run `run` with findings fp0000..fp(n-1), of which every 10th is suppressed. */
static void
add_run(struct ia_db *db, int run, int from, int n)
{
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "INSERT INTO runs (id, started_at, status, tool_version) VALUES (%d, "
             "'2026-12-0%dT02:00:00Z', 'complete', 't');"
             "INSERT INTO analyses (run_id, analysed_at, tool_version) VALUES (%d, "
             "'2026-12-0%dT02:10:00Z', 't');",
             run, run, run, run);
    exec_ok(db, sql);
    exec_ok(db, "BEGIN");
    for (int i = from; i < from + n; i++) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO findings (run_id, fingerprint, rule_id, severity, account_id, "
                 "resource_arn, principal, title, evidence, first_seen, status, suppressed_by) "
                 "VALUES (%d, 'fp%04d', 'user-no-mfa', '%s', '222222222222', "
                 "'arn:aws:iam::222222222222:user/u%d', NULL, 'User u%d has no MFA', '{}', "
                 "'2026-12-01', 'new', %s)",
                 run, i, i % 3 ? "high" : "critical", i, i, i % 10 == 0 ? "'audit-user'" : "NULL");
        exec_ok(db, sql);
    }
    exec_ok(db, "COMMIT");
}

static size_t
count_calls(const struct rec *r, const char *path)
{
    size_t n = 0;
    for (int i = 0; i < r->n; i++)
        n += !strcmp(r->path[i], path);
    return n;
}

static void
test_securityhub_batches(void **state)
{
    (void)state;
    char path[] = "/tmp/ia-test-sh-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    unlink(path);
    struct ia_db *db = NULL;
    struct ia_err err;
    assert_int_equal(ia_db_open(path, IA_DB_READWRITE, &db, &err), IA_OK);
    add_run(db, 1, 0, 250);
    /* Text that is not UTF-8 still makes a finding (jansson would refuse the string). */
    exec_ok(db, "UPDATE findings SET title = 'bad ' || CAST(X'FF' AS TEXT) || ' title' "
                "WHERE fingerprint = 'fp0001'");

    struct rec r;
    memset(&r, 0, sizeof(r));
    struct ia_creds cr;
    memset(&cr, 0, sizeof(cr));
    snprintf(cr.access_key_id, sizeof(cr.access_key_id), "AKIAIOSFODNN7EXAMPLE");
    snprintf(cr.secret_access_key, sizeof(cr.secret_access_key), "secret");
    struct ia_creds_provider *prov = ia_creds_static_new(&cr);
    struct ia_http_ops ops = { rec_send, &r };
    struct ia_aws_client c;
    assert_int_equal(ia_aws_client_init(&c, ops, prov, "eu-west-2", NULL, &err), IA_OK);
    c.sleep_ms = no_sleep;
    c.retry.max_attempts = 1;

    struct ia_config cfg;
    ia_config_init(&cfg);
    cfg.delivery.rules_url = strdup("https://example.gov.uk/docs/rules.md");
    struct ia_dl_run run = {
        1, 0, "2026-12-01T02:00:00Z", "2026-12-01T02:10:00Z", "2026-12-01", "complete"
    };
    struct ia_dl_sh_plan plan;
    struct ia_buf detail = IA_BUF_INIT;

    /* Run 1: 250 findings in batches of 100, 100, 50; the 25 suppressed get SUPPRESSED
       at creation, so no BatchUpdateFindings is needed. */
    assert_int_equal(
        ia_dl_securityhub(db, &cfg, &run, &c, "eu-west-2", "999999999999", &plan, &detail, &err),
        IA_OK);
    assert_int_equal(plan.import, 250);
    assert_int_equal(r.n, 3);
    assert_int_equal(json_array_size(json_object_get(r.body[0], "Findings")), 100);
    assert_int_equal(json_array_size(json_object_get(r.body[1], "Findings")), 100);
    assert_int_equal(json_array_size(json_object_get(r.body[2], "Findings")), 50);
    assert_string_equal(r.method[0], "POST");
    json_t *f0 = json_array_get(json_object_get(r.body[0], "Findings"), 0);
    assert_string_equal(json_string_value(json_object_get(f0, "Id")), "iam-audit/fp0000");
    assert_string_equal(json_string_value(json_object_get(f0, "GeneratorId")),
                        "iam-audit/user-no-mfa");
    assert_string_equal(json_string_value(json_object_get(f0, "ProductArn")),
                        "arn:aws:securityhub:eu-west-2:999999999999:product/999999999999/"
                        "default");
    assert_string_equal(json_string_value(json_object_get(f0, "AwsAccountId")), "999999999999");
    assert_string_equal(json_string_value(json_object_get(f0, "CreatedAt")),
                        "2026-12-01T00:00:00Z");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(f0, "Severity"), "Label")), "CRITICAL");
    json_t *fpf = json_object_get(f0, "FindingProviderFields");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(fpf, "Severity"), "Label")), "CRITICAL");
    assert_int_equal(json_array_size(json_object_get(fpf, "Types")), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(f0, "Resources"), 0), "Type")),
                        "AwsIamUser");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(f0, "Remediation"), "Recommendation"), "Url")),
        "https://example.gov.uk/docs/rules.md#user-no-mfa");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(f0, "Workflow"), "Status")),
        "SUPPRESSED");
    json_t *f1 = json_array_get(json_object_get(r.body[0], "Findings"), 1);
    assert_string_equal(json_string_value(json_object_get(f1, "Title")), "bad ? title");
    assert_non_null(json_object_get(f1, "Resources"));
    char *first_body = json_dumps(r.body[0], JSON_SORT_KEYS);

    /* The same run again: the same 250 findings, byte for byte; nothing else. */
    rec_reset(&r);
    ia_buf_reset(&detail);
    assert_int_equal(
        ia_dl_securityhub(db, &cfg, &run, &c, "eu-west-2", "999999999999", &plan, &detail, &err),
        IA_OK);
    assert_int_equal(r.n, 3);
    char *again = json_dumps(r.body[0], JSON_SORT_KEYS);
    assert_string_equal(first_body, again);
    free(again);
    free(first_body);

    /* Run 2: fp0000..fp0004 fixed, fp0010 no longer suppressed, a new fp0250. */
    add_run(db, 2, 5, 246);
    exec_ok(db, "UPDATE findings SET suppressed_by = NULL WHERE run_id = 2 AND "
                "fingerprint = 'fp0010'");
    struct ia_dl_run run2 = {
        2, 1, "2026-12-02T02:00:00Z", "2026-12-02T02:10:00Z", "2026-12-02", "complete"
    };
    rec_reset(&r);
    ia_buf_reset(&detail);
    assert_int_equal(
        ia_dl_securityhub(db, &cfg, &run2, &c, "eu-west-2", "999999999999", &plan, &detail, &err),
        IA_OK);
    assert_int_equal(plan.import, 246);
    assert_int_equal(plan.archive, 5);
    assert_int_equal(count_calls(&r, "/findings/import"), 4); /* 100, 100, 46, then 5 archived */
    json_t *arch = json_object_get(r.body[3], "Findings");
    assert_int_equal(json_array_size(arch), 5);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arch, 0), "RecordState")),
                        "ARCHIVED");
    assert_string_equal(json_string_value(json_object_get(json_array_get(arch, 0), "UpdatedAt")),
                        "2026-12-02T02:10:00Z");
    /* BatchUpdateFindings: fp0010 back to NEW, then the five (one was SUPPRESSED) RESOLVED */
    assert_int_equal(count_calls(&r, "/findings/batchupdate"), 2);
    assert_string_equal(r.method[4], "PATCH");
    json_t *u = r.body[4];
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(u, "Workflow"), "Status")), "NEW");
    assert_int_equal(json_array_size(json_object_get(u, "FindingIdentifiers")), 1);
    u = r.body[5];
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(u, "Workflow"), "Status")), "RESOLVED");
    assert_int_equal(json_array_size(json_object_get(u, "FindingIdentifiers")), 5);

    /* Again: nothing more to archive or update. */
    rec_reset(&r);
    ia_buf_reset(&detail);
    assert_int_equal(
        ia_dl_securityhub(db, &cfg, &run2, &c, "eu-west-2", "999999999999", &plan, &detail, &err),
        IA_OK);
    assert_int_equal(plan.archive, 0);
    assert_int_equal(count_calls(&r, "/findings/batchupdate"), 0);
    assert_int_equal(count_calls(&r, "/findings/import"), 3);

    /* An unreachable hub: an error, and the state is not changed by what failed. */
    rec_reset(&r);
    r.fail_from = 1;
    ia_buf_reset(&detail);
    assert_int_equal(
        ia_dl_securityhub(db, &cfg, &run2, &c, "eu-west-2", "999999999999", &plan, &detail, &err),
        IA_ERR_NET);
    assert_non_null(strstr(detail.buf, "imported 100 of 246"));

    rec_reset(&r);
    ia_buf_release(&detail);
    ia_aws_client_release(&c);
    ia_creds_provider_free(prov);
    ia_config_release(&cfg);
    ia_db_close(db);
    unlink(path);
    char side[64];
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
}

static void
test_endpoints(void **state)
{
    (void)state;
    struct ia_endpoint ep;
    struct ia_err err;
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_SES");
    unsetenv("AWS_ENDPOINT_URL_SECURITYHUB");
    assert_int_equal(ia_endpoint_resolve(IA_SVC_SES, "eu-west-2", NULL, &ep, &err), IA_OK);
    assert_string_equal(ep.url, "https://email.eu-west-2.amazonaws.com");
    assert_string_equal(ep.service, "ses");
    assert_string_equal(ep.signing_region, "eu-west-2");
    assert_int_equal(ia_endpoint_resolve(IA_SVC_SECURITYHUB, "cn-north-1", NULL, &ep, &err), IA_OK);
    assert_string_equal(ep.url, "https://securityhub.cn-north-1.amazonaws.com.cn");
    assert_string_equal(ep.service, "securityhub");
    setenv("AWS_ENDPOINT_URL_SES", "http://127.0.0.1:4566/", 1);
    assert_int_equal(ia_endpoint_resolve(IA_SVC_SES, "eu-west-2", NULL, &ep, &err), IA_OK);
    assert_string_equal(ep.url, "http://127.0.0.1:4566");
    assert_int_equal(ep.overridden, 1);
    /* only SES moved */
    assert_int_equal(ia_endpoint_resolve(IA_SVC_SECURITYHUB, "eu-west-2", NULL, &ep, &err), IA_OK);
    assert_int_equal(ep.overridden, 0);
    setenv("AWS_ENDPOINT_URL_SECURITYHUB", "http://hub.example.com", 1);
    assert_int_equal(ia_endpoint_resolve(IA_SVC_SECURITYHUB, "eu-west-2", NULL, &ep, &err),
                     IA_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "AWS_ENDPOINT_URL_SECURITYHUB"));
    unsetenv("AWS_ENDPOINT_URL_SES");
    unsetenv("AWS_ENDPOINT_URL_SECURITYHUB");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64_lines),        cmocka_unit_test(test_subject_words),
        cmocka_unit_test(test_mime_message),        cmocka_unit_test(test_config_delivery),
        cmocka_unit_test(test_securityhub_batches), cmocka_unit_test(test_endpoints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
