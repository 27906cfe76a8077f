/*
 * The AWS client layer without sockets: retries (standard mode), clock skew, error
 * parsing, endpoints and partitions, the loopback rule, XML safety. A scripted fake
 * transport answers each request in turn and records what was sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "collector/aws.h"
#include "collector/iam_api.h"
#include "collector/json.h"
#include "collector/org_api.h"
#include "collector/retry.h"
#include "collector/sts_api.h"
#include "collector/xml.h"
#include "core/clock.h"

#define MAX_STEPS 16

struct step {
    enum ia_code rc; /* transport result */
    long status;
    const char *body;
    const char *date;
    long retry_after_ms;
};

struct fake {
    struct step steps[MAX_STEPS];
    int n, at;
    char bodies[MAX_STEPS][2048];
    char auth[MAX_STEPS][512];
    char amzdate[MAX_STEPS][32];
};

static uint64_t s_slept[64];
static int s_n_sleeps;

static void
fake_sleep(uint64_t ms)
{
    if (s_n_sleeps < 64)
        s_slept[s_n_sleeps] = ms;
    s_n_sleeps++;
}

static enum ia_code
fake_send(void *ctx, const struct ia_http_request *req, struct ia_http_response *resp,
          struct ia_err *err)
{
    struct fake *f = ctx;
    assert_true(f->at < f->n);
    int i = f->at++;
    snprintf(f->bodies[i], sizeof(f->bodies[i]), "%.*s", (int)req->body_len,
             (const char *)req->body);
    for (size_t h = 0; h < req->n_headers; h++) {
        if (strncmp(req->headers[h], "Authorization: ", 15) == 0)
            snprintf(f->auth[i], sizeof(f->auth[i]), "%s", req->headers[h] + 15);
        if (strncmp(req->headers[h], "X-Amz-Date: ", 12) == 0)
            snprintf(f->amzdate[i], sizeof(f->amzdate[i]), "%s", req->headers[h] + 12);
    }
    ia_http_response_reset(resp);
    const struct step *s = &f->steps[i];
    if (s->rc != IA_OK)
        return ia_err_set(err, s->rc, "fake transport failure %d", i);
    resp->status = s->status;
    ia_buf_addstr(&resp->body, s->body ? s->body : "");
    snprintf(resp->date, sizeof(resp->date), "%s", s->date ? s->date : "");
    resp->retry_after_ms = s->retry_after_ms ? s->retry_after_ms : -1;
    snprintf(resp->request_id, sizeof(resp->request_id), "req-%d", i);
    return IA_OK;
}

static const char s_ok_identity[] =
    "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::111111111111:user/a"
    "</Arn><UserId>AIDAX</UserId><Account>111111111111</Account></GetCallerIdentityResult>"
    "</GetCallerIdentityResponse>";

static const char s_throttle[] =
    "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded"
    "</Message></Error><RequestId>r1</RequestId></ErrorResponse>";

static const char s_denied[] =
    "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>"
    "<Code>AccessDenied</Code><Message>not authorized</Message></Error>"
    "<RequestId>r-denied</RequestId></ErrorResponse>";

struct rig {
    struct fake f;
    struct ia_creds_provider *creds;
    struct ia_aws_client c;
};

static void
rig_init(struct rig *r)
{
    struct ia_creds cr;
    struct ia_err err;
    memset(r, 0, sizeof(*r));
    memset(&cr, 0, sizeof(cr));
    snprintf(cr.access_key_id, sizeof(cr.access_key_id), "AKIDEXAMPLE");
    snprintf(cr.secret_access_key, sizeof(cr.secret_access_key), "secretsecretsecret");
    r->creds = ia_creds_static_new(&cr);
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_STS");
    unsetenv("AWS_ENDPOINT_URL_IAM");
    struct ia_http_ops ops = { fake_send, &r->f };
    assert_int_equal(ia_aws_client_init(&r->c, ops, r->creds, "eu-west-2", NULL, &err), IA_OK);
    r->c.sleep_ms = fake_sleep;
    r->c.retry.max_attempts = 4;
    s_n_sleeps = 0;
}

static void
rig_release(struct rig *r)
{
    ia_aws_client_release(&r->c);
    ia_creds_provider_free(r->creds);
}

static void
test_throttle_then_success(void **state)
{
    (void)state;
    struct rig r;
    struct ia_caller_identity id;
    struct ia_err err;
    rig_init(&r);
    r.f.steps[0] = (struct step){ IA_OK, 400, s_throttle, NULL, 0 };
    r.f.steps[1] = (struct step){ IA_OK, 503, "", NULL, 0 };
    r.f.steps[2] = (struct step){ IA_OK, 200, s_ok_identity, NULL, 0 };
    r.f.n = 3;
    assert_int_equal(ia_sts_get_caller_identity(&r.c, &id, &err), IA_OK);
    assert_string_equal(id.account, "111111111111");
    assert_int_equal(r.f.at, 3);
    assert_int_equal(r.c.stats.calls, 3);
    assert_int_equal(r.c.stats.retries, 2);
    assert_int_equal(r.c.stats.throttles, 1);
    /* Full jitter: the first backoff is under its 1 s cap, none over the second's 2 s;
     * after the throttle the client-side limiter also spaces the calls out. */
    assert_true(s_n_sleeps >= 2);
    assert_true(s_slept[0] < 1000);
    for (int i = 0; i < s_n_sleeps; i++)
        assert_true(s_slept[i] < 2000);
    assert_true(r.c.limiter.active);
    /* Every attempt was signed again. */
    assert_non_null(strstr(r.f.auth[2], "Credential=AKIDEXAMPLE/"));
    assert_non_null(strstr(r.f.auth[2], "/eu-west-2/sts/aws4_request"));
    assert_non_null(strstr(r.f.bodies[0], "Action=GetCallerIdentity&Version=2011-06-15"));
    rig_release(&r);
}

/* A helper connection of an account retries and throttles against the account's quota and
 * limiter, not its own (issue 16: an account read over several connections). */
static void
test_shared_quota_and_limiter(void **state)
{
    (void)state;
    struct rig acct, helper;
    struct ia_caller_identity id;
    struct ia_err err;
    rig_init(&acct);
    rig_init(&helper);
    helper.c.shared_quota = &acct.c.quota;
    helper.c.shared_limiter = &acct.c.limiter;
    /* The account's quota is spent: the helper's throttled call is not retried. */
    while (ia_retry_quota_acquire(&acct.c.quota, IA_RETRY_TRANSIENT))
        ;
    helper.f.steps[0] = (struct step){ IA_OK, 400, s_throttle, NULL, 0 };
    helper.f.steps[1] = (struct step){ IA_OK, 200, s_ok_identity, NULL, 0 };
    helper.f.n = 2;
    ia_err_clear(&err);
    assert_int_equal(ia_sts_get_caller_identity(&helper.c, &id, &err), IA_ERR_AWS);
    assert_non_null(strstr(err.msg, "retry quota exhausted"));
    assert_int_equal(helper.f.at, 1);
    /* The throttle slowed the account's limiter, which every connection reserves from. */
    assert_true(acct.c.limiter.active);
    assert_false(helper.c.limiter.active);
    assert_int_equal(helper.c.quota.tokens, IA_RETRY_QUOTA_MAX);
    rig_release(&helper);
    rig_release(&acct);
}

static void
test_not_retried(void **state)
{
    (void)state;
    struct rig r;
    struct ia_caller_identity id;
    struct ia_err err;
    rig_init(&r);
    r.f.steps[0] = (struct step){ IA_OK, 403, s_denied, NULL, 0 };
    r.f.n = 1;
    ia_err_clear(&err);
    assert_int_equal(ia_sts_get_caller_identity(&r.c, &id, &err), IA_ERR_AWS);
    assert_int_equal(r.f.at, 1);
    assert_string_equal(err.aws_code, "AccessDenied");
    assert_string_equal(err.request_id, "r-denied");
    assert_int_equal(err.http_status, 403);
    assert_non_null(strstr(err.msg, "not authorized"));
    assert_null(strstr(err.msg, "secretsecret"));
    rig_release(&r);
}

static void
test_gives_up_after_max_attempts(void **state)
{
    (void)state;
    struct rig r;
    struct ia_caller_identity id;
    struct ia_err err;
    rig_init(&r);
    for (int i = 0; i < 4; i++)
        r.f.steps[i] = (struct step){ IA_ERR_NET, 0, NULL, NULL, 0 };
    r.f.n = 4;
    assert_int_equal(ia_sts_get_caller_identity(&r.c, &id, &err), IA_ERR_NET);
    assert_int_equal(r.f.at, 4);
    assert_non_null(strstr(err.msg, "gave up after 4 attempts"));
    rig_release(&r);
}

static void
test_retry_after_honoured(void **state)
{
    (void)state;
    struct rig r;
    struct ia_caller_identity id;
    struct ia_err err;
    rig_init(&r);
    r.f.steps[0] = (struct step){ IA_OK, 400, s_throttle, NULL, 1500 };
    r.f.steps[1] = (struct step){ IA_OK, 200, s_ok_identity, NULL, 0 };
    r.f.n = 2;
    assert_int_equal(ia_sts_get_caller_identity(&r.c, &id, &err), IA_OK);
    assert_int_equal(s_slept[s_n_sleeps - 1], 1500);
    rig_release(&r);
}

static void
test_clock_skew_corrected_once(void **state)
{
    (void)state;
    struct rig r;
    struct ia_caller_identity id;
    struct ia_err err;
    static const char skew[] =
        "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>Signature expired"
        "</Message></Error></ErrorResponse>";
    rig_init(&r);
    setenv("IA_FAKE_NOW", "1790000000", 1); /* 2026-09-21T14:13:20Z */
    /* The server is an hour ahead. */
    r.f.steps[0] = (struct step){ IA_OK, 403, skew, "Mon, 21 Sep 2026 15:13:20 GMT", 0 };
    r.f.steps[1] = (struct step){ IA_OK, 200, s_ok_identity, NULL, 0 };
    r.f.n = 2;
    assert_int_equal(ia_sts_get_caller_identity(&r.c, &id, &err), IA_OK);
    assert_string_equal(r.f.amzdate[0], "20260921T141320Z");
    assert_string_equal(r.f.amzdate[1], "20260921T151320Z");
    /* A signature failure without skew is a real one: not retried. */
    r.f.at = 0;
    r.f.steps[0] = (struct step){ IA_OK, 403, skew, "Mon, 21 Sep 2026 15:13:21 GMT", 0 };
    r.f.n = 1;
    assert_int_equal(ia_sts_get_caller_identity(&r.c, &id, &err), IA_ERR_AWS);
    assert_string_equal(err.aws_code, "SignatureDoesNotMatch");
    assert_int_equal(r.f.at, 1);
    unsetenv("IA_FAKE_NOW");
    rig_release(&r);
}

static void
test_password_policy_none_is_an_answer(void **state)
{
    (void)state;
    struct rig r;
    struct ia_xml_doc *doc = (struct ia_xml_doc *)1;
    struct ia_err err;
    rig_init(&r);
    r.f.steps[0] = (struct step){ IA_OK, 404,
                                  "<ErrorResponse><Error><Code>NoSuchEntity</Code><Message>The "
                                  "Password Policy cannot be found.</Message></Error>"
                                  "</ErrorResponse>",
                                  NULL, 0 };
    r.f.n = 1;
    assert_int_equal(ia_iam_password_policy(&r.c, &doc, &err), IA_OK);
    assert_null(doc);
    assert_int_equal(r.f.at, 1);
    assert_non_null(strstr(r.f.auth[0], "/us-east-1/iam/aws4_request")); /* IAM: global */
    rig_release(&r);
}

static void
test_truncated_body_retried(void **state)
{
    (void)state;
    struct rig r;
    struct ia_caller_identity id;
    struct ia_err err;
    rig_init(&r);
    r.f.steps[0] = (struct step){ IA_OK, 200, "<GetCallerIdentityResponse><GetCall", NULL, 0 };
    r.f.steps[1] = (struct step){ IA_OK, 200, s_ok_identity, NULL, 0 };
    r.f.n = 2;
    assert_int_equal(ia_sts_get_caller_identity(&r.c, &id, &err), IA_OK);
    assert_int_equal(r.f.at, 2);
    rig_release(&r);
}

/* A 2xx that is not <ActionResponse><ActionResult> (a portal's XHTML, another action's
 * answer) is retried, then fails naming what came: never read as an empty page. */
static void
test_wrong_document_is_not_an_answer(void **state)
{
    (void)state;
    struct rig r;
    struct ia_caller_identity id;
    struct ia_err err;
    rig_init(&r);
    r.c.retry.max_attempts = 2;
    r.f.steps[0] = (struct step){ IA_OK, 200, "<html><body><p>Sign in</p></body></html>", NULL, 0 };
    r.f.steps[1] =
        (struct step){ IA_OK, 200,
                       "<GetCallerIdentityResponse><Other/></GetCallerIdentityResponse>", NULL, 0 };
    r.f.n = 2;
    assert_int_equal(ia_sts_get_caller_identity(&r.c, &id, &err), IA_ERR_PARSE);
    assert_int_equal(r.f.at, 2);
    assert_non_null(strstr(err.msg, "is not an AWS answer"));
    assert_non_null(strstr(err.msg, "<GetCallerIdentityResponse> with <GetCallerIdentityResult>"));
    rig_release(&r);

    /* JSON 1.1: the answer must be an object. */
    struct ia_buf body = IA_BUF_INIT;
    rig_init(&r);
    r.c.retry.max_attempts = 1;
    r.f.steps[0] = (struct step){ IA_OK, 200, "[]", NULL, 0 };
    r.f.n = 1;
    assert_int_equal(ia_aws_json(&r.c, IA_SVC_ORGANIZATIONS,
                                 "AWSOrganizationsV20161128.ListAccounts", "{}", &body, &err),
                     IA_ERR_PARSE);
    assert_int_equal(body.len, 0);
    ia_buf_release(&body);
    rig_release(&r);
}

/* The per-account byte bound fails the call that passes it, without retrying. */
static void
test_byte_bound(void **state)
{
    (void)state;
    struct rig r;
    struct ia_caller_identity id;
    struct ia_err err;
    _Atomic uint64_t used = 0;
    rig_init(&r);
    r.c.bytes = &used;
    r.c.max_bytes = sizeof(s_ok_identity) + 10; /* one answer fits, two do not */
    for (int i = 0; i < 2; i++)
        r.f.steps[i] = (struct step){ IA_OK, 200, s_ok_identity, NULL, 0 };
    r.f.n = 2;
    assert_int_equal(ia_sts_get_caller_identity(&r.c, &id, &err), IA_OK);
    assert_int_equal(ia_sts_get_caller_identity(&r.c, &id, &err), IA_ERR_TOO_LARGE);
    assert_non_null(strstr(err.msg, "max_account_mib"));
    assert_int_equal(r.f.at, 2);
    rig_release(&r);
}

/* Organizations: State (since the 2026-09-09 retirement of Status), else Status. */
static void
test_org_state(void **state)
{
    (void)state;
    static const char page[] =
        "{\"Accounts\":[{\"Id\":\"111111111111\",\"Name\":\"a\",\"State\":\"ACTIVE\"},"
        "{\"Id\":\"222222222222\",\"Name\":\"b\",\"Status\":\"SUSPENDED\"},"
        "{\"Id\":\"333333333333\",\"Name\":\"c\",\"State\":\"PENDING_CLOSURE\","
        "\"Status\":\"ACTIVE\"},{\"Id\":\"444444444444\",\"Name\":\"d\"}]}";
    struct ia_org_account *a = NULL;
    size_t n = 0, alloc = 0;
    char *next = NULL;
    assert_int_equal(ia_json_org_accounts_page(page, strlen(page), &a, &n, &alloc, &next), 0);
    assert_int_equal(n, 4);
    assert_string_equal(a[0].state, "ACTIVE");
    assert_string_equal(a[1].state, "SUSPENDED");
    assert_string_equal(a[2].state, "PENDING_CLOSURE"); /* State wins over Status */
    assert_string_equal(a[3].state, "");
    assert_null(next);
    ia_org_accounts_free(a, n);
}

static void
test_classify(void **state)
{
    (void)state;
    assert_int_equal(ia_retry_classify(IA_OK, 400, "Throttling"), IA_RETRY_THROTTLE);
    assert_int_equal(ia_retry_classify(IA_OK, 400, "TooManyRequestsException"), IA_RETRY_THROTTLE);
    assert_int_equal(ia_retry_classify(IA_OK, 400, "RequestLimitExceeded"), IA_RETRY_THROTTLE);
    assert_int_equal(ia_retry_classify(IA_OK, 429, ""), IA_RETRY_THROTTLE);
    assert_int_equal(ia_retry_classify(IA_OK, 502, ""), IA_RETRY_TRANSIENT);
    assert_int_equal(ia_retry_classify(IA_OK, 504, ""), IA_RETRY_TRANSIENT);
    assert_int_equal(ia_retry_classify(IA_OK, 400, "RequestTimeout"), IA_RETRY_TRANSIENT);
    assert_int_equal(ia_retry_classify(IA_OK, 400, "PriorRequestNotComplete"), IA_RETRY_THROTTLE);
    assert_int_equal(ia_retry_classify(IA_ERR_NET, 0, ""), IA_RETRY_TRANSIENT);
    assert_int_equal(ia_retry_classify(IA_ERR_TIMEOUT, 0, ""), IA_RETRY_TIMEOUT);
    assert_int_equal(ia_retry_classify(IA_OK, 409, "LimitExceeded"), IA_RETRY_NO);
    assert_int_equal(ia_retry_classify(IA_OK, 404, "NoSuchEntity"), IA_RETRY_NO);
    assert_int_equal(ia_retry_classify(IA_OK, 403, "AccessDenied"), IA_RETRY_NO);
    assert_int_equal(ia_retry_classify(IA_OK, 400, "RequestTimeTooSkewed"), IA_RETRY_SKEW);
}

static void
test_backoff_and_quota(void **state)
{
    (void)state;
    struct ia_retry_policy p = IA_RETRY_POLICY_DEFAULT;
    assert_int_equal(ia_retry_backoff_ms(&p, 2, 0.5, -1), 500);
    assert_int_equal(ia_retry_backoff_ms(&p, 3, 0.5, -1), 1000);
    assert_int_equal(ia_retry_backoff_ms(&p, 30, 0.5, -1), 10000); /* capped at 20 s */
    assert_int_equal(ia_retry_backoff_ms(&p, 2, 0.0, -1), 0);
    assert_int_equal(ia_retry_backoff_ms(&p, 2, 0.5, 99999), 20000);
    struct ia_retry_quota q;
    ia_retry_quota_init(&q);
    int taken = 0, n = 0;
    while (ia_retry_quota_acquire(&q, IA_RETRY_TRANSIENT))
        n++;
    assert_int_equal(n, 100); /* 500 tokens, 5 each */
    ia_retry_quota_success(&q, 5);
    assert_int_equal(ia_retry_quota_acquire(&q, IA_RETRY_TIMEOUT), 0); /* needs 10 */
    assert_int_equal(taken = ia_retry_quota_acquire(&q, IA_RETRY_TRANSIENT), 5);
    ia_retry_quota_release(&q);
}

static void
test_endpoints(void **state)
{
    (void)state;
    struct ia_endpoint ep;
    struct ia_err err;
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_IAM");
    unsetenv("AWS_ENDPOINT_URL_STS");
    unsetenv("AWS_ENDPOINT_URL_ORGANIZATIONS");
    assert_int_equal(ia_endpoint_resolve(IA_SVC_IAM, "eu-west-2", NULL, &ep, &err), IA_OK);
    assert_string_equal(ep.url, "https://iam.amazonaws.com");
    assert_string_equal(ep.signing_region, "us-east-1");
    assert_int_equal(ia_endpoint_resolve(IA_SVC_STS, "eu-west-2", NULL, &ep, &err), IA_OK);
    assert_string_equal(ep.url, "https://sts.eu-west-2.amazonaws.com");
    assert_string_equal(ep.signing_region, "eu-west-2");
    assert_int_equal(ia_endpoint_resolve(IA_SVC_IAM, "us-gov-west-1", NULL, &ep, &err), IA_OK);
    assert_string_equal(ep.url, "https://iam.us-gov.amazonaws.com");
    assert_string_equal(ep.partition, "aws-us-gov");
    assert_int_equal(ia_endpoint_resolve(IA_SVC_IAM, "cn-northwest-1", NULL, &ep, &err), IA_OK);
    assert_string_equal(ep.url, "https://iam.cn-north-1.amazonaws.com.cn");
    assert_string_equal(ep.signing_region, "cn-north-1");
    assert_int_equal(ia_endpoint_resolve(IA_SVC_STS, "cn-north-1", NULL, &ep, &err), IA_OK);
    assert_string_equal(ep.url, "https://sts.cn-north-1.amazonaws.com.cn");
    assert_int_equal(ia_endpoint_resolve(IA_SVC_ORGANIZATIONS, "eu-west-1", NULL, &ep, &err),
                     IA_OK);
    assert_string_equal(ep.url, "https://organizations.us-east-1.amazonaws.com");
    /* Overrides: service-specific beats general beats the profile's. */
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/", 1);
    assert_int_equal(ia_endpoint_resolve(IA_SVC_IAM, NULL, "https://profile.example", &ep, &err),
                     IA_OK);
    assert_string_equal(ep.url, "http://127.0.0.1:5000");
    assert_string_equal(ep.signing_region, "us-east-1");
    setenv("AWS_ENDPOINT_URL_IAM", "https://iam.internal.example", 1);
    assert_int_equal(ia_endpoint_resolve(IA_SVC_IAM, NULL, NULL, &ep, &err), IA_OK);
    assert_string_equal(ep.url, "https://iam.internal.example");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_IAM");
    assert_int_equal(
        ia_endpoint_resolve(IA_SVC_STS, "eu-west-2", "https://sts.proxy.example", &ep, &err),
        IA_OK);
    assert_string_equal(ep.url, "https://sts.proxy.example");
    /* Plain http anywhere but loopback is refused, with the reason. */
    setenv("AWS_ENDPOINT_URL_STS", "http://10.0.0.5:4566", 1);
    assert_int_equal(ia_endpoint_resolve(IA_SVC_STS, NULL, NULL, &ep, &err), IA_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "loopback"));
    unsetenv("AWS_ENDPOINT_URL_STS");
    assert_int_equal(ia_endpoint_resolve(IA_SVC_STS, "eu west", NULL, &ep, &err), IA_ERR_CONFIG);
}

static void
test_loopback_rule(void **state)
{
    (void)state;
    assert_true(ia_http_url_is_loopback("http://127.0.0.1:5000/"));
    assert_true(ia_http_url_is_loopback("http://127.3.4.5/"));
    assert_true(ia_http_url_is_loopback("http://localhost:80/"));
    assert_true(ia_http_url_is_loopback("http://[::1]:9000/"));
    assert_false(ia_http_url_is_loopback("http://127.evil.example/"));
    assert_false(ia_http_url_is_loopback("http://10.0.0.1/"));
    assert_false(ia_http_url_is_loopback("http://example.com/"));
    assert_false(ia_http_url_is_loopback("http://127.0.0.1.nip.io/"));
}

static void
test_xml_safety(void **state)
{
    (void)state;
    struct ia_xml_doc *doc = NULL;
    struct ia_err err;
    static const char xxe[] =
        "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
        "<r>&x;</r>";
    static const char laughs[] =
        "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\">"
        "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
        "<r>&c;</r>";
    assert_int_not_equal(ia_xml_parse(xxe, sizeof(xxe) - 1, &doc, &err), IA_OK);
    assert_null(doc);
    assert_int_not_equal(ia_xml_parse(laughs, sizeof(laughs) - 1, &doc, &err), IA_OK);
    assert_int_equal(ia_xml_parse("<a><b>", 6, &doc, &err), IA_ERR_PARSE);
    assert_non_null(strstr(err.msg, "line"));
    assert_int_equal(ia_xml_parse("", 0, &doc, &err), IA_ERR_PARSE);
    /* Deep nesting is refused by libxml2's own limit, not a crash. */
    size_t depth = 5000;
    char *deep = malloc(depth * 7 + 1);
    size_t n = 0;
    for (size_t i = 0; i < depth; i++)
        n += (size_t)snprintf(deep + n, 4, "<a>");
    for (size_t i = 0; i < depth; i++)
        n += (size_t)snprintf(deep + n, 5, "</a>");
    assert_int_equal(ia_xml_parse(deep, n, &doc, &err), IA_ERR_PARSE);
    free(deep);
    /* Both AWS error shapes. */
    char code[64], msg[128], type[16], rid[64];
    static const char moto[] = "<ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code>"
                               "<Message>bad</Message></Error></Errors></ErrorResponse>";
    assert_true(ia_xml_aws_error(moto, sizeof(moto) - 1, code, sizeof(code), msg, sizeof(msg), type,
                                 sizeof(type), rid, sizeof(rid)));
    assert_string_equal(code, "InvalidClientTokenId");
    assert_true(ia_xml_aws_error(s_denied, sizeof(s_denied) - 1, code, sizeof(code), msg,
                                 sizeof(msg), type, sizeof(type), rid, sizeof(rid)));
    assert_string_equal(code, "AccessDenied");
    assert_string_equal(type, "Sender");
    assert_string_equal(rid, "r-denied");
    assert_false(ia_xml_aws_error(s_ok_identity, sizeof(s_ok_identity) - 1, code, sizeof(code), msg,
                                  sizeof(msg), type, sizeof(type), rid, sizeof(rid)));
}

int
main(void)
{
    ia_xml_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_throttle_then_success),
        cmocka_unit_test(test_not_retried),
        cmocka_unit_test(test_gives_up_after_max_attempts),
        cmocka_unit_test(test_retry_after_honoured),
        cmocka_unit_test(test_clock_skew_corrected_once),
        cmocka_unit_test(test_password_policy_none_is_an_answer),
        cmocka_unit_test(test_truncated_body_retried),
        cmocka_unit_test(test_wrong_document_is_not_an_answer),
        cmocka_unit_test(test_byte_bound),
        cmocka_unit_test(test_org_state),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_backoff_and_quota),
        cmocka_unit_test(test_shared_quota_and_limiter),
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_loopback_rule),
        cmocka_unit_test(test_xml_safety),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ia_xml_global_cleanup();
    return rc;
}
