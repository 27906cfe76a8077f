/*
 * The credential providers and the chain, without sockets: every HTTP call goes to a
 * fake transport that records the request sequence and answers from a script. The
 * shared files, token files and credential_process scripts live in a temp directory;
 * the environment is reset before each test. Every fake secret holds "s3cr3t" and
 * every fake token "t0k3n", so one check proves no error message carries one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/creds_chain.h"
#include "collector/http.h"
#include "collector/xml.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/mem.h"

/* ---- fake transport ------------------------------------------------------------------ */

#define MAX_EXCHANGES 24

struct fake_req {
    char method[8];
    char url[512];
    char headers[8][1024];
    size_t n_headers;
    char body[4096]; /* URL-decoded, for readable assertions */
    long timeout_ms;
};

struct fake_resp {
    enum ia_code rc; /* IA_OK: answer with status/body; else a transport failure */
    long status;
    char body[2048];
};

struct fake_http {
    struct fake_resp resp[MAX_EXCHANGES];
    size_t n_resp, next;
    struct fake_req req[MAX_EXCHANGES];
    size_t n_req;
};

static struct fake_http s_fake;
static char s_dir[256];

static enum ia_code
fake_send(void *ctx, const struct ia_http_request *req, struct ia_http_response *resp,
          struct ia_err *err)
{
    struct fake_http *f = ctx;
    assert_true(f->n_req < MAX_EXCHANGES);
    struct fake_req *r = &f->req[f->n_req++];
    struct ia_buf body = IA_BUF_INIT;

    memset(r, 0, sizeof(*r));
    snprintf(r->method, sizeof(r->method), "%s", req->method);
    snprintf(r->url, sizeof(r->url), "%s", req->url);
    for (size_t i = 0; i < req->n_headers && i < 8; i++)
        snprintf(r->headers[i], sizeof(r->headers[i]), "%s", req->headers[i]);
    r->n_headers = req->n_headers;
    if (req->body_len)
        assert_int_equal(ia_buf_add_urldecoded(&body, req->body, req->body_len), 0);
    snprintf(r->body, sizeof(r->body), "%s", body.buf);
    ia_buf_release(&body);
    r->timeout_ms = req->timeout_ms;

    ia_http_response_reset(resp);
    if (f->next >= f->n_resp)
        return ia_err_set(err, IA_ERR_NET, "fake: no answer scripted for %s", req->url);
    const struct fake_resp *a = &f->resp[f->next++];
    if (a->rc != IA_OK)
        return ia_err_set(err, a->rc, "fake: connection to %s failed", req->url);
    resp->status = a->status;
    ia_buf_addstr(&resp->body, a->body);
    return IA_OK;
}

static struct ia_http_ops
fake_ops(void)
{
    struct ia_http_ops ops = { fake_send, &s_fake };
    return ops;
}

static void
answer(long status, const char *body)
{
    assert_true(s_fake.n_resp < MAX_EXCHANGES);
    struct fake_resp *a = &s_fake.resp[s_fake.n_resp++];
    a->rc = IA_OK;
    a->status = status;
    snprintf(a->body, sizeof(a->body), "%s", body);
}

static void
answer_fail(enum ia_code rc)
{
    struct fake_resp *a = &s_fake.resp[s_fake.n_resp++];
    memset(a, 0, sizeof(*a));
    a->rc = rc;
}

static void
answer_sts(const char *action, const char *id, const char *secret, const char *token,
           const char *exp)
{
    char xml[2048];
    snprintf(xml, sizeof(xml),
             "<%sResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><%sResult>"
             "<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey>"
             "<SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>"
             "</%sResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>"
             "</%sResponse>",
             action, action, id, secret, token, exp, action, action);
    answer(200, xml);
}

static const char *
header(const struct fake_req *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->n_headers; i++)
        if (strncasecmp(r->headers[i], name, n) == 0 && r->headers[i][n] == ':')
            return r->headers[i] + n + 2;
    return NULL;
}

/* ---- environment and files ----------------------------------------------------------- */

static const char *const s_vars[] = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_IAM",
    "AWS_ENDPOINT_URL_ORGANIZATIONS",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "IA_FAKE_NOW",
};

static void
path_in(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", s_dir, name);
}

static void
write_file(const char *name, const char *text, mode_t mode)
{
    char path[512];
    path_in(path, sizeof(path), name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

static void
write_config(const char *text)
{
    write_file("config", text, 0600);
}

static void
write_credentials(const char *text)
{
    write_file("credentials", text, 0600);
}

static int
setup(void **state)
{
    char path[512];
    (void)state;
    for (size_t i = 0; i < IA_ARRAY_LEN(s_vars); i++)
        unsetenv(s_vars[i]);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("HOME", s_dir, 1);
    path_in(path, sizeof(path), "config");
    setenv("AWS_CONFIG_FILE", path, 1);
    unlink(path);
    path_in(path, sizeof(path), "credentials");
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    unlink(path);
    memset(&s_fake, 0, sizeof(s_fake));
    return 0;
}

/* No fake secret or token in a message, ever. */
static void
assert_clean(const struct ia_err *e)
{
    if (strstr(e->msg, "s3cr3t") || strstr(e->msg, "t0k3n"))
        fail_msg("a secret leaked into an error message: %s", e->msg);
}

static struct ia_creds_options
options(const char *profile)
{
    struct ia_creds_options o;
    memset(&o, 0, sizeof(o));
    o.profile = profile;
    o.http = fake_ops();
    return o;
}

/* Resolve the chain and fetch once; returns the code and fills cr/info. */
static enum ia_code
resolve_get(const struct ia_creds_options *o, struct ia_creds *cr, struct ia_profile_info *info,
            struct ia_err *e)
{
    struct ia_creds_provider *p = NULL;
    ia_err_clear(e);
    enum ia_code rc = ia_creds_chain_resolve(o, &p, info, e);
    if (rc == IA_OK) {
        rc = ia_creds_get(p, cr, e);
        ia_creds_provider_free(p);
    }
    assert_clean(e);
    return rc;
}

/* ---- environment --------------------------------------------------------------------- */

static void
test_env(void **state)
{
    struct ia_creds_provider *p = NULL;
    struct ia_creds cr;
    struct ia_err e;
    (void)state;

    ia_err_clear(&e);
    assert_int_equal(ia_creds_env_new(&p, &e), IA_ERR_NOT_FOUND);
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    assert_int_equal(ia_creds_env_new(&p, &e), IA_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "AWS_SECRET_ACCESS_KEY"));
    setenv("AWS_SECRET_ACCESS_KEY", "env-s3cr3t", 1);
    setenv("AWS_SECURITY_TOKEN", "env-old-t0k3n", 1);
    setenv("AWS_CREDENTIAL_EXPIRATION", "2030-01-01T00:00:00Z", 1);
    assert_int_equal(ia_creds_env_new(&p, &e), IA_OK);
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "AKIAENV");
    assert_string_equal(cr.secret_access_key, "env-s3cr3t");
    assert_string_equal(cr.session_token, "env-old-t0k3n");
    assert_int_equal(cr.expiration, ia_time_from_utc(2030, 1, 1, 0, 0, 0));
    ia_creds_release(&cr);
    ia_creds_provider_free(p);

    setenv("AWS_SESSION_TOKEN", "env-t0k3n", 1); /* wins over the old name */
    assert_int_equal(ia_creds_env_new(&p, &e), IA_OK);
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_OK);
    assert_string_equal(cr.session_token, "env-t0k3n");
    ia_creds_release(&cr);
    ia_creds_provider_free(p);

    setenv("AWS_CREDENTIAL_EXPIRATION", "2001-01-01T00:00:00Z", 1);
    assert_int_equal(ia_creds_env_new(&p, &e), IA_ERR_CREDS);
    assert_non_null(strstr(e.msg, "expired"));
    setenv("AWS_CREDENTIAL_EXPIRATION", "tomorrow", 1);
    assert_int_equal(ia_creds_env_new(&p, &e), IA_ERR_CONFIG);
    assert_clean(&e);
}

/* ---- shared files -------------------------------------------------------------------- */

static void
test_profile_parsing(void **state)
{
    struct ia_creds_config *c = NULL;
    struct ia_err e;
    char token[1601], creds[2048];
    (void)state;

    /* Debian's libinih stops at 200 bytes a line; a session token is far longer. */
    memset(token, 'T', sizeof(token) - 1);
    token[sizeof(token) - 1] = '\0';
    memcpy(token, "t0k3n", 5);
    write_config("\xEF\xBB\xBF# comment\n"
                 "[default]\n"
                 "region = eu-west-2\n"
                 "\n"
                 "[profile dev]\n"
                 "Region = us-west-1 ; inline comment\n"
                 "s3 =\n"
                 "  region = nested-not-a-region\n"
                 "endpoint_url = http://127.0.0.1:5000\n"
                 "aws_access_key_id = AKIACONFIG\n"
                 "[sso-session corp]\n"
                 "sso_region = us-east-1\n"
                 "[notaprofile]\n"
                 "region = ignored-1\n"
                 "[profile   spaced  ]\n"
                 "region = ap-south-1\n"
                 "[profile empty]\n");
    snprintf(creds, sizeof(creds),
             "[dev]\n"
             "aws_access_key_id = AKIADEV\n"
             "AWS_SECRET_ACCESS_KEY = dev-s3cr3t\n"
             "aws_session_token = %s\n"
             "[profile odd]\n"
             "aws_access_key_id = AKIAODD\n",
             token);
    write_credentials(creds);
    ia_err_clear(&e);
    assert_int_equal(ia_creds_config_load(&c, &e), IA_OK);
    assert_string_equal(ia_creds_config_get(c, "default", "region", IA_CREDS_FILE_ANY),
                        "eu-west-2");
    assert_string_equal(ia_creds_config_get(c, "dev", "region", IA_CREDS_FILE_ANY), "us-west-1");
    assert_string_equal(ia_creds_config_get(c, "dev", "endpoint_url", IA_CREDS_FILE_CONFIG),
                        "http://127.0.0.1:5000");
    /* The credentials file wins; each file can still be asked alone. */
    assert_string_equal(ia_creds_config_get(c, "dev", "aws_access_key_id", IA_CREDS_FILE_ANY),
                        "AKIADEV");
    assert_string_equal(ia_creds_config_get(c, "dev", "aws_access_key_id", IA_CREDS_FILE_CONFIG),
                        "AKIACONFIG");
    assert_string_equal(ia_creds_config_get(c, "dev", "aws_session_token", IA_CREDS_FILE_ANY),
                        token);
    assert_string_equal(ia_creds_config_get(c, "spaced", "region", IA_CREDS_FILE_ANY),
                        "ap-south-1");
    assert_true(ia_creds_config_has_profile(c, "empty"));
    assert_true(ia_creds_config_has_profile(c, "profile odd")); /* credentials: name as is */
    assert_false(ia_creds_config_has_profile(c, "notaprofile"));
    assert_false(ia_creds_config_has_profile(c, "corp"));
    assert_false(ia_creds_config_has_profile(c, "nosuch"));
    assert_null(ia_creds_config_get(c, "dev", "nosuch", IA_CREDS_FILE_ANY));

    struct ia_creds_provider *p = NULL;
    struct ia_creds cr;
    assert_int_equal(ia_creds_profile_new(c, "dev", IA_CREDS_FILE_CREDENTIALS, &p, &e), IA_OK);
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_OK);
    assert_string_equal(cr.secret_access_key, "dev-s3cr3t");
    assert_string_equal(cr.session_token, token);
    assert_int_equal(cr.expiration, 0);
    ia_creds_release(&cr);
    ia_creds_provider_free(p);
    /* Half a pair is an error naming what is missing, never the value. */
    assert_int_equal(ia_creds_profile_new(c, "dev", IA_CREDS_FILE_CONFIG, &p, &e), IA_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "aws_secret_access_key"));
    assert_clean(&e);
    assert_int_equal(ia_creds_profile_new(c, "empty", IA_CREDS_FILE_CONFIG, &p, &e),
                     IA_ERR_NOT_FOUND);
    ia_creds_config_free(c);

    /* Syntax errors name the file and line. */
    write_config("[profile x]\nregion = eu-west-1\nthis line is wrong\n");
    assert_int_equal(ia_creds_config_load(&c, &e), IA_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "line 3"));
    assert_non_null(strstr(e.msg, "/config"));
    write_config("region = eu-west-1\n[default]\n");
    assert_int_equal(ia_creds_config_load(&c, &e), IA_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "line 1"));

    /* Missing files are empty ones. */
    unlink(getenv("AWS_CONFIG_FILE"));
    unlink(getenv("AWS_SHARED_CREDENTIALS_FILE"));
    assert_int_equal(ia_creds_config_load(&c, &e), IA_OK);
    assert_false(ia_creds_config_has_profile(c, "default"));
    ia_creds_config_free(c);

    /* Defaults under HOME. */
    char aws[512];
    path_in(aws, sizeof(aws), ".aws");
    mkdir(aws, 0700);
    write_file(".aws/credentials", "[home]\naws_access_key_id = AKIAHOME\n", 0600);
    unsetenv("AWS_CONFIG_FILE");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    assert_int_equal(ia_creds_config_load(&c, &e), IA_OK);
    assert_string_equal(ia_creds_config_get(c, "home", "aws_access_key_id", IA_CREDS_FILE_ANY),
                        "AKIAHOME");
    assert_non_null(strstr(ia_creds_config_path(c, IA_CREDS_FILE_CONFIG), "/.aws/config"));
    ia_creds_config_free(c);
    path_in(aws, sizeof(aws), ".aws/credentials");
    unlink(aws);
    path_in(aws, sizeof(aws), ".aws");
    rmdir(aws);
}

/* ---- chain order --------------------------------------------------------------------- */

static void
test_chain_order(void **state)
{
    struct ia_creds_options o = options(NULL);
    struct ia_profile_info info;
    struct ia_creds cr;
    struct ia_err e;
    (void)state;

    write_config("[default]\nregion = eu-west-1\n"
                 "[profile dev]\nregion = us-west-2\nendpoint_url = http://127.0.0.1:9\n");
    write_credentials("[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = dev-s3cr3t\n");
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-s3cr3t", 1);

    /* AWS_PROFILE alone does not skip the environment keys (botocore's rule)... */
    setenv("AWS_PROFILE", "dev", 1);
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "AKIAENV");
    assert_string_equal(info.source, "environment (AWS_ACCESS_KEY_ID)");
    assert_string_equal(info.profile, "dev");
    assert_string_equal(info.region, "us-west-2");
    assert_string_equal(info.endpoint_url, "http://127.0.0.1:9");
    assert_int_equal(info.profile_explicit, 0);
    ia_creds_release(&cr);

    /* ...but an explicit --profile does. */
    o = options("dev");
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "AKIADEV");
    assert_string_equal(info.source, "profile dev (shared credentials file)");
    assert_int_equal(info.profile_explicit, 1);
    ia_creds_release(&cr);

    /* A profile asked for by name must exist; the message names both files and the fix. */
    o = options("nosuch");
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "profile nosuch"));
    assert_non_null(strstr(e.msg, "/config"));
    assert_non_null(strstr(e.msg, "/credentials"));
    assert_non_null(strstr(e.msg, "--profile"));
    setenv("AWS_PROFILE", "gone", 1);
    o = options(NULL);
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "AWS_PROFILE"));

    /* Nothing anywhere: one line listing what was tried and the fix. */
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_ERR_CREDS);
    assert_non_null(strstr(e.msg, "no AWS credentials found"));
    assert_non_null(strstr(e.msg, "environment"));
    assert_non_null(strstr(e.msg, "profile default"));
    assert_non_null(strstr(e.msg, "AWS_EC2_METADATA_DISABLED"));
    assert_non_null(strstr(e.msg, "docs/credentials.md"));
    assert_null(strchr(e.msg, '\n'));
    assert_int_equal(s_fake.n_req, 0);

    /* Config-file keys come after credential_process, which comes after the credentials file. */
    write_config("[profile p]\naws_access_key_id = AKIACFG\naws_secret_access_key = cfg-s3cr3t\n");
    o = options("p");
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_OK);
    assert_string_equal(info.source, "profile p (config file)");
    ia_creds_release(&cr);
}

static void
test_chain_container_and_imds(void **state)
{
    struct ia_creds_options o = options(NULL);
    struct ia_profile_info info;
    struct ia_creds cr;
    struct ia_err e;
    (void)state;

    /* Container before instance metadata. */
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc", 1);
    answer(200, "{\"AccessKeyId\":\"ASIACONT\",\"SecretAccessKey\":\"cont-s3cr3t\","
                "\"Token\":\"cont-t0k3n\",\"Expiration\":\"2030-01-01T00:00:00Z\"}");
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "ASIACONT");
    assert_string_equal(info.source, "container credentials");
    assert_int_equal(s_fake.n_req, 1);
    ia_creds_release(&cr);
    unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");

    /* IMDS is probed at resolve time; the probe's answer is what the first get returns. */
    memset(&s_fake, 0, sizeof(s_fake));
    unsetenv("AWS_EC2_METADATA_DISABLED");
    answer(200, "imds-t0k3n");
    answer(200, "ec2-role\n");
    answer(200, "{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"ASIAEC2\","
                "\"SecretAccessKey\":\"ec2-s3cr3t\",\"Token\":\"ec2-t0k3n\","
                "\"Expiration\":\"2030-01-01T00:00:00Z\"}");
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "ASIAEC2");
    assert_string_equal(info.source, "EC2 instance metadata (role ec2-role)");
    assert_int_equal(s_fake.n_req, 3);
    ia_creds_release(&cr);

    /* IMDS that does not answer means "not found", not an error of its own. */
    memset(&s_fake, 0, sizeof(s_fake));
    answer_fail(IA_ERR_TIMEOUT);
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_ERR_CREDS);
    assert_non_null(strstr(e.msg, "EC2 instance metadata: no answer"));
    assert_int_equal(s_fake.n_req, 1);
}

/* ---- assume role --------------------------------------------------------------------- */

static const char s_exp[] = "2030-01-01T00:00:00Z";

static void
test_assume_role_request(void **state)
{
    struct ia_creds_options o = options("audit");
    struct ia_profile_info info;
    struct ia_creds cr;
    struct ia_err e;
    (void)state;

    write_config("[profile audit]\n"
                 "role_arn = arn:aws:iam::222222222222:role/audit\n"
                 "source_profile = base\n"
                 "external_id = ext-42\n"
                 "mfa_serial = arn:aws:iam::111111111111:mfa/alice\n"
                 "duration_seconds = 1800\n"
                 "role_session_name = nightly\n"
                 "region = eu-west-2\n"
                 "[profile base]\n"
                 "region = us-east-1\n");
    write_credentials("[base]\naws_access_key_id = AKIABASE\n"
                      "aws_secret_access_key = base-s3cr3t\n");
    o.mfa_token = "123456";
    answer_sts("AssumeRole", "ASIAROLE", "role-s3cr3t", "role-t0k3n", s_exp);
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "ASIAROLE");
    assert_string_equal(cr.session_token, "role-t0k3n");
    assert_int_equal(cr.expiration, ia_time_from_utc(2030, 1, 1, 0, 0, 0));
    assert_string_equal(info.source, "profile audit: assume-role arn:aws:iam::222222222222:role/"
                                     "audit via profile base (shared credentials file)");
    ia_creds_release(&cr);

    assert_int_equal(s_fake.n_req, 1);
    const struct fake_req *r = &s_fake.req[0];
    assert_string_equal(r->method, "POST");
    /* The profile's region picks the regional STS endpoint. */
    assert_string_equal(r->url, "https://sts.eu-west-2.amazonaws.com");
    assert_non_null(strstr(r->body, "Action=AssumeRole&"));
    assert_non_null(strstr(r->body, "RoleArn=arn:aws:iam::222222222222:role/audit"));
    assert_non_null(strstr(r->body, "RoleSessionName=nightly"));
    assert_non_null(strstr(r->body, "ExternalId=ext-42"));
    assert_non_null(strstr(r->body, "SerialNumber=arn:aws:iam::111111111111:mfa/alice"));
    assert_non_null(strstr(r->body, "TokenCode=123456"));
    assert_non_null(strstr(r->body, "DurationSeconds=1800"));
    /* Signed with the source profile's key, never carrying the secret itself. */
    const char *authz = header(r, "Authorization");
    assert_non_null(authz);
    assert_non_null(strstr(authz, "Credential=AKIABASE/"));
    assert_null(strstr(authz, "s3cr3t"));
    assert_null(header(r, "X-Amz-Security-Token"));

    /* AccessDenied comes back with AWS's code and a hint, no secret. */
    memset(&s_fake, 0, sizeof(s_fake));
    answer(403, "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>"
                "not authorized</Message></Error><RequestId>req-9</RequestId></ErrorResponse>");
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_ERR_AWS);
    assert_string_equal(e.aws_code, "AccessDenied");
    assert_non_null(strstr(e.msg, "cannot assume arn:aws:iam::222222222222:role/audit"));
    assert_non_null(strstr(e.msg, "trust policy"));
    assert_int_equal(s_fake.n_req, 1); /* AccessDenied is not retried */

    /* A bad --mfa-token is refused before any call. */
    memset(&s_fake, 0, sizeof(s_fake));
    o.mfa_token = "12345x";
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "--mfa-token"));
    assert_int_equal(s_fake.n_req, 0);
}

static void
test_assume_role_chain(void **state)
{
    struct ia_creds_options o = options("top");
    struct ia_profile_info info;
    struct ia_creds cr;
    struct ia_err e;
    (void)state;

    write_config("[profile top]\nrole_arn = arn:aws:iam::333333333333:role/top\n"
                 "source_profile = mid\n"
                 "[profile mid]\nrole_arn = arn:aws:iam::222222222222:role/mid\n"
                 "source_profile = base\n");
    write_credentials("[base]\naws_access_key_id = AKIABASE\n"
                      "aws_secret_access_key = base-s3cr3t\n");
    answer_sts("AssumeRole", "ASIAMID", "mid-s3cr3t", "mid-t0k3n", s_exp);
    answer_sts("AssumeRole", "ASIATOP", "top-s3cr3t", "top-t0k3n", s_exp);
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "ASIATOP");
    ia_creds_release(&cr);
    assert_string_equal(info.source,
                        "profile top: assume-role arn:aws:iam::333333333333:role/top via profile "
                        "mid: assume-role arn:aws:iam::222222222222:role/mid via profile base "
                        "(shared credentials file)");
    /* Innermost hop first, each signed with the previous hop's credentials. */
    assert_int_equal(s_fake.n_req, 2);
    assert_non_null(strstr(s_fake.req[0].body, "RoleArn=arn:aws:iam::222222222222:role/mid"));
    assert_non_null(strstr(header(&s_fake.req[0], "Authorization"), "Credential=AKIABASE/"));
    assert_null(strstr(s_fake.req[0].body, "SerialNumber"));
    assert_non_null(strstr(s_fake.req[1].body, "RoleArn=arn:aws:iam::333333333333:role/top"));
    assert_non_null(strstr(header(&s_fake.req[1], "Authorization"), "Credential=ASIAMID/"));
    assert_string_equal(header(&s_fake.req[1], "X-Amz-Security-Token"), "mid-t0k3n");

    /* A profile naming itself may use its own keys. */
    memset(&s_fake, 0, sizeof(s_fake));
    write_config("[profile self]\nrole_arn = arn:aws:iam::222222222222:role/x\n"
                 "source_profile = self\n"
                 "aws_access_key_id = AKIASELF\naws_secret_access_key = self-s3cr3t\n");
    o = options("self");
    answer_sts("AssumeRole", "ASIASELF", "x-s3cr3t", "x-t0k3n", s_exp);
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "ASIASELF");
    assert_non_null(strstr(info.source, "via profile self (config file)"));
    ia_creds_release(&cr);
}

static void
test_assume_role_config_errors(void **state)
{
    struct ia_creds_options o = options("a");
    struct ia_profile_info info;
    struct ia_creds cr;
    struct ia_err e;
    (void)state;

    /* A loop. */
    write_config("[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
                 "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = c\n"
                 "[profile c]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = a\n");
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "source_profile loop: a -> b -> c -> a"));
    /* Naming itself without keys is a loop too. */
    write_config("[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = a\n");
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "loop"));
    /* Too deep: p0 -> p1 -> ... -> p10. */
    struct ia_buf cfg = IA_BUF_INIT;
    for (int i = 0; i < 10; i++)
        ia_buf_addf(&cfg,
                    "[profile p%d]\nrole_arn = arn:aws:iam::1:role/p%d\nsource_profile = p%d\n", i,
                    i, i + 1);
    ia_buf_addstr(&cfg,
                  "[profile p10]\naws_access_key_id = AKIA\naws_secret_access_key = k-s3cr3t\n");
    write_config(cfg.buf);
    ia_buf_release(&cfg);
    o = options("p0");
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "longer than 8 hops"));
    o = options("p1"); /* nine hops: too many */
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_ERR_CONFIG);
    o = options("p2"); /* eight hops: fine */
    for (int i = 0; i < 8; i++)
        answer_sts("AssumeRole", "ASIAHOP", "hop-s3cr3t", "hop-t0k3n", s_exp);
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_OK);
    assert_int_equal(s_fake.n_req, 8);
    ia_creds_release(&cr);

    o = options("a");
    write_config("[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
                 "credential_source = Environment\n");
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "both source_profile and credential_source"));
    write_config("[profile a]\nrole_arn = arn:aws:iam::1:role/a\n");
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "neither source_profile nor credential_source"));
    write_config("[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = ghost\n");
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "source_profile ghost of profile a"));
    write_config("[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
                 "[profile b]\nregion = eu-west-1\n");
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "source_profile b of profile a has no credentials"));
    write_config("[profile a]\nrole_arn = arn:aws:iam::1:role/a\ncredential_source = Laptop\n");
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "Laptop"));
    write_config("[profile a]\nrole_arn = arn:aws:iam::1:role/a\ncredential_source = Environment\n"
                 "duration_seconds = 60\n");
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "duration_seconds"));
    write_config(
        "[profile a]\nrole_arn = arn:aws:iam::1:role/a\ncredential_source = Environment\n");
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "credential_source Environment finds nothing"));
    assert_int_equal(s_fake.n_req, 8);

    /* credential_source = Environment works even though --profile skips env at the top. */
    setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "env-s3cr3t", 1);
    answer_sts("AssumeRole", "ASIAENVROLE", "er-s3cr3t", "er-t0k3n", s_exp);
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "ASIAENVROLE");
    assert_non_null(strstr(info.source, "via credential_source Environment (environment)"));
    assert_non_null(strstr(header(&s_fake.req[8], "Authorization"), "Credential=AKIAENV/"));
    ia_creds_release(&cr);
}

static int s_prompts, s_prompt_fails;

static enum ia_code
fake_prompt(void *ctx, const char *serial, char *code, size_t cap, struct ia_err *err)
{
    (void)ctx;
    assert_string_equal(serial, "arn:aws:iam::111111111111:mfa/alice");
    if (s_prompt_fails)
        return ia_err_set(err, IA_ERR_CREDS, "no terminal to ask on");
    s_prompts++;
    snprintf(code, cap, "%06d", 100000 + s_prompts);
    return IA_OK;
}

static void
test_assume_role_refresh_mfa(void **state)
{
    struct ia_creds_options o = options("audit");
    struct ia_creds_provider *p = NULL;
    struct ia_profile_info info;
    struct ia_creds cr;
    struct ia_err e;
    time_t exp = ia_time_from_utc(2030, 1, 1, 0, 0, 0);
    char now[32];
    (void)state;

    write_config("[profile audit]\nrole_arn = arn:aws:iam::222222222222:role/audit\n"
                 "source_profile = base\nmfa_serial = arn:aws:iam::111111111111:mfa/alice\n"
                 "[profile base]\naws_access_key_id = AKIABASE\n"
                 "aws_secret_access_key = base-s3cr3t\n");
    o.mfa_token = "123456";
    o.mfa_prompt = fake_prompt;
    s_prompts = 0;
    answer_sts("AssumeRole", "ASIAONE", "one-s3cr3t", "one-t0k3n", s_exp);
    answer_sts("AssumeRole", "ASIATWO", "two-s3cr3t", "two-t0k3n", "2030-01-01T01:00:00Z");
    ia_err_clear(&e);
    assert_int_equal(ia_creds_chain_resolve(&o, &p, &info, &e), IA_OK);
    assert_int_equal(s_fake.n_req, 0); /* nothing fetched until asked */

    snprintf(now, sizeof(now), "%lld", (long long)(exp - 3600));
    setenv("IA_FAKE_NOW", now, 1);
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "ASIAONE");
    assert_non_null(strstr(s_fake.req[0].body, "TokenCode=123456")); /* --mfa-token first */
    assert_int_equal(s_prompts, 0);
    /* Still fresh: served from the cache. */
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_OK);
    assert_int_equal(s_fake.n_req, 1);
    /* Within the refresh margin: a new AssumeRole, with a new code asked for. */
    snprintf(now, sizeof(now), "%lld", (long long)(exp - IA_CREDS_REFRESH_MARGIN + 1));
    setenv("IA_FAKE_NOW", now, 1);
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "ASIATWO");
    assert_int_equal(s_fake.n_req, 2);
    assert_int_equal(s_prompts, 1);
    assert_non_null(strstr(s_fake.req[1].body, "TokenCode=100001"));
    /* No code to be had at the next refresh: said so, with the way out. */
    s_prompt_fails = 1;
    snprintf(now, sizeof(now), "%lld", (long long)(exp + 3600));
    setenv("IA_FAKE_NOW", now, 1);
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_ERR_CREDS);
    assert_non_null(strstr(e.msg, "the session expired and a code is needed again"));
    assert_non_null(strstr(e.msg, "duration_seconds"));
    assert_int_equal(s_fake.n_req, 2);
    s_prompt_fails = 0;
    ia_creds_release(&cr);
    ia_creds_provider_free(p);
}

/* ---- web identity -------------------------------------------------------------------- */

static void
test_web_identity(void **state)
{
    struct ia_creds_options o = options(NULL);
    struct ia_creds_provider *p = NULL;
    struct ia_profile_info info;
    struct ia_creds cr;
    struct ia_err e;
    char tokfile[512];
    (void)state;

    path_in(tokfile, sizeof(tokfile), "web-token");
    write_file("web-token", "jwt-t0k3n-one\n", 0600);
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tokfile, 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::222222222222:role/ci", 1);
    setenv("AWS_ROLE_SESSION_NAME", "gha-42", 1);
    answer_sts("AssumeRoleWithWebIdentity", "ASIAWEB1", "web1-s3cr3t", "web1-t0k3n", s_exp);
    answer_sts("AssumeRoleWithWebIdentity", "ASIAWEB2", "web2-s3cr3t", "web2-t0k3n",
               "2030-01-02T00:00:00Z");
    ia_err_clear(&e);
    assert_int_equal(ia_creds_chain_resolve(&o, &p, &info, &e), IA_OK);
    assert_string_equal(info.source, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE): "
                                     "assume-role-with-web-identity "
                                     "arn:aws:iam::222222222222:role/ci");
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "ASIAWEB1");
    const struct fake_req *r = &s_fake.req[0];
    /* Unsigned: the token is the proof. */
    assert_null(header(r, "Authorization"));
    assert_non_null(strstr(r->body, "Action=AssumeRoleWithWebIdentity"));
    assert_non_null(strstr(r->body, "RoleArn=arn:aws:iam::222222222222:role/ci"));
    assert_non_null(strstr(r->body, "RoleSessionName=gha-42"));
    assert_non_null(strstr(r->body, "WebIdentityToken=jwt-t0k3n-one"));
    assert_null(strstr(r->body, "one\n")); /* the file's newline is not part of the token */

    /* The file is read again at refresh: a rotated token is used. */
    write_file("web-token", "jwt-t0k3n-two", 0600);
    char now[32];
    snprintf(now, sizeof(now), "%lld", (long long)ia_time_from_utc(2029, 12, 31, 23, 58, 0));
    setenv("IA_FAKE_NOW", now, 1);
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "ASIAWEB2");
    assert_non_null(strstr(s_fake.req[1].body, "WebIdentityToken=jwt-t0k3n-two"));
    ia_creds_release(&cr);

    /* A vanished token file is a credentials error naming the file. */
    unlink(tokfile);
    snprintf(now, sizeof(now), "%lld", (long long)ia_time_from_utc(2030, 1, 2, 0, 0, 0));
    setenv("IA_FAKE_NOW", now, 1); /* the second set's expiry */
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_ERR_CREDS);
    assert_non_null(strstr(e.msg, tokfile));
    assert_clean(&e);
    ia_creds_provider_free(p);
    unsetenv("IA_FAKE_NOW");

    /* From a profile; with --profile the environment's token file is ignored. */
    memset(&s_fake, 0, sizeof(s_fake));
    write_file("web-token", "jwt-t0k3n-three", 0600);
    char cfg[1024];
    snprintf(cfg, sizeof(cfg),
             "[profile ci]\nweb_identity_token_file = %s\n"
             "role_arn = arn:aws:iam::444444444444:role/ci\n",
             tokfile);
    write_config(cfg);
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent", 1);
    o = options("ci");
    answer_sts("AssumeRoleWithWebIdentity", "ASIAWEB3", "web3-s3cr3t", "web3-t0k3n", s_exp);
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "ASIAWEB3");
    assert_non_null(strstr(s_fake.req[0].body, "RoleArn=arn:aws:iam::444444444444:role/ci"));
    assert_non_null(strstr(info.source, "profile ci: web identity (web_identity_token_file)"));
    ia_creds_release(&cr);

    /* A token file without a role is a configuration error. */
    unsetenv("AWS_ROLE_ARN");
    o = options(NULL);
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "AWS_ROLE_ARN"));
}

/* ---- container ----------------------------------------------------------------------- */

static const char s_container_json[] =
    "{\"AccessKeyId\":\"ASIACONT\",\"SecretAccessKey\":\"cont-s3cr3t\",\"Token\":\"cont-t0k3n\","
    "\"Expiration\":\"2030-01-01T00:00:00Z\",\"RoleArn\":\"arn:aws:iam::1:role/task\"}";

static void
test_container(void **state)
{
    struct ia_creds_provider *p = NULL;
    struct ia_creds cr;
    struct ia_err e;
    (void)state;

    ia_err_clear(&e);
    assert_int_equal(ia_creds_container_new(fake_ops(), &p, &e), IA_ERR_NOT_FOUND);

    /* Relative URI: the ECS agent's address, no Authorization. */
    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/uuid", 1);
    assert_int_equal(ia_creds_container_new(fake_ops(), &p, &e), IA_OK);
    answer(200, s_container_json);
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "ASIACONT");
    assert_string_equal(cr.secret_access_key, "cont-s3cr3t");
    assert_string_equal(cr.session_token, "cont-t0k3n");
    assert_int_equal(cr.expiration, ia_time_from_utc(2030, 1, 1, 0, 0, 0));
    ia_creds_release(&cr);
    ia_creds_provider_free(p);
    assert_string_equal(s_fake.req[0].method, "GET");
    assert_string_equal(s_fake.req[0].url, "http://169.254.170.2/v2/credentials/uuid");
    assert_null(header(&s_fake.req[0], "Authorization"));
    assert_string_equal(header(&s_fake.req[0], "Accept"), "application/json");
    unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");

    /* Full URI with a token from the environment, then from a file (which wins). */
    memset(&s_fake, 0, sizeof(s_fake));
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:51679/creds", 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "auth-t0k3n-env", 1);
    assert_int_equal(ia_creds_container_new(fake_ops(), &p, &e), IA_OK);
    answer(200, s_container_json);
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_OK);
    assert_string_equal(s_fake.req[0].url, "http://127.0.0.1:51679/creds");
    assert_string_equal(header(&s_fake.req[0], "Authorization"), "auth-t0k3n-env");
    char tok[512];
    path_in(tok, sizeof(tok), "ecs-token");
    write_file("ecs-token", "auth-t0k3n-file\n", 0600);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tok, 1);
    setenv("IA_FAKE_NOW", "1893455900", 1); /* 100 s before expiry: refresh */
    answer(200, s_container_json);
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_OK);
    assert_string_equal(header(&s_fake.req[1], "Authorization"), "auth-t0k3n-file");
    /* A token with a line break would smuggle a header in: refused. */
    write_file("ecs-token", "auth-t0k3n\r\nX-Evil: 1", 0600);
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_ERR_CREDS);
    assert_non_null(strstr(e.msg, "line break"));
    assert_clean(&e);
    assert_int_equal(s_fake.n_req, 2);
    /* Errors from the endpoint name the status only. */
    write_file("ecs-token", "auth-t0k3n-file", 0600);
    answer(500, "{\"message\":\"t0k3n broken\"}");
    answer(403, "{\"message\":\"t0k3n denied\"}");
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_ERR_CREDS);
    assert_non_null(strstr(e.msg, "HTTP 403"));
    assert_int_equal(s_fake.n_req, 4); /* one retry after the 500 */
    assert_clean(&e);
    ia_creds_release(&cr);
    ia_creds_provider_free(p);
    unsetenv("IA_FAKE_NOW");

    /* Only https, loopback or the ECS agent for a full URI. */
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds", 1);
    assert_int_equal(ia_creds_container_new(fake_ops(), &p, &e), IA_ERR_CONFIG);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.169.254/creds", 1);
    assert_int_equal(ia_creds_container_new(fake_ops(), &p, &e), IA_ERR_CONFIG);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.2:80/creds", 1);
    assert_int_equal(ia_creds_container_new(fake_ops(), &p, &e), IA_OK);
    ia_creds_provider_free(p);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "https://creds.example.com/x", 1);
    assert_int_equal(ia_creds_container_new(fake_ops(), &p, &e), IA_OK);
    /* Bad JSON: position only, never the text. */
    memset(&s_fake, 0, sizeof(s_fake));
    answer(200, "cont-s3cr3t is not json");
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_ERR_PARSE);
    assert_clean(&e);
    ia_creds_provider_free(p);
}

/* ---- IMDS ---------------------------------------------------------------------------- */

static const char s_imds_json[] =
    "{\"Code\":\"Success\",\"LastUpdated\":\"2026-11-27T00:00:00Z\",\"Type\":\"AWS-HMAC\","
    "\"AccessKeyId\":\"ASIAEC2\",\"SecretAccessKey\":\"ec2-s3cr3t\",\"Token\":\"ec2-t0k3n\","
    "\"Expiration\":\"2030-01-01T00:00:00Z\"}";

static void
test_imds(void **state)
{
    struct ia_creds_provider *p = NULL;
    struct ia_creds cr;
    struct ia_err e;
    (void)state;

    ia_err_clear(&e);
    assert_int_equal(ia_creds_imds_new(fake_ops(), &p, &e), IA_ERR_NOT_FOUND); /* disabled */
    setenv("AWS_EC2_METADATA_DISABLED", "false", 1);
    assert_int_equal(ia_creds_imds_new(fake_ops(), &p, &e), IA_OK);
    answer(200, "imds-t0k3n\n");
    answer(200, "audit-role");
    answer(200, s_imds_json);
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "ASIAEC2");
    assert_string_equal(cr.session_token, "ec2-t0k3n");
    assert_string_equal(cr.source, "EC2 instance metadata (role audit-role)");
    ia_creds_release(&cr);
    ia_creds_provider_free(p);

    /* IMDSv2: token PUT with its TTL, then two GETs carrying the token; 1 s each. */
    assert_int_equal(s_fake.n_req, 3);
    assert_string_equal(s_fake.req[0].method, "PUT");
    assert_string_equal(s_fake.req[0].url, "http://169.254.169.254/latest/api/token");
    assert_string_equal(header(&s_fake.req[0], "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
    assert_string_equal(s_fake.req[1].method, "GET");
    assert_string_equal(s_fake.req[1].url,
                        "http://169.254.169.254/latest/meta-data/iam/security-credentials/");
    assert_string_equal(header(&s_fake.req[1], "X-aws-ec2-metadata-token"), "imds-t0k3n");
    assert_string_equal(s_fake.req[2].url, "http://169.254.169.254/latest/meta-data/iam/"
                                           "security-credentials/audit-role");
    assert_string_equal(header(&s_fake.req[2], "X-aws-ec2-metadata-token"), "imds-t0k3n");
    for (int i = 0; i < 3; i++)
        assert_int_equal(s_fake.req[i].timeout_ms, 1000);

    /* Endpoint override; no role attached; a role name that would change the URL. */
    memset(&s_fake, 0, sizeof(s_fake));
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338/", 1);
    assert_int_equal(ia_creds_imds_new(fake_ops(), &p, &e), IA_OK);
    answer(200, "imds-t0k3n");
    answer(404, "");
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_ERR_CREDS);
    assert_non_null(strstr(e.msg, "no IAM role"));
    assert_string_equal(s_fake.req[0].url, "http://127.0.0.1:1338/latest/api/token");
    answer(200, "imds-t0k3n");
    answer(200, "../../evil");
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_ERR_CREDS);
    /* A token request refused (IMDSv1-only instance): no fallback to v1. */
    answer(403, "");
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_ERR_CREDS);
    assert_non_null(strstr(e.msg, "IMDSv1 is not used"));
    answer(200, "imds-t0k3n");
    answer(200, "r");
    answer(200, "{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"Message\":\"t0k3n\"}");
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_ERR_CREDS);
    assert_non_null(strstr(e.msg, "AssumeRoleUnauthorizedAccess"));
    assert_clean(&e);
    assert_int_equal(s_fake.n_req, 8);
    ia_creds_provider_free(p);
}

static void
test_metadata_urls(void **state)
{
    (void)state;
    assert_true(ia_http_url_is_metadata("http://169.254.169.254/latest/api/token"));
    assert_true(ia_http_url_is_metadata("http://169.254.170.2/v2/credentials/x"));
    assert_true(ia_http_url_is_metadata("http://169.254.170.2:80/x"));
    assert_false(ia_http_url_is_metadata("http://169.254.170.3/x"));
    assert_false(ia_http_url_is_metadata("http://169.254.169.254.evil.example/x"));
    assert_false(ia_http_url_is_metadata("http://example.com/169.254.169.254"));
    assert_false(ia_http_url_is_metadata("ftp://169.254.169.254/x"));
    assert_false(ia_http_url_is_metadata("not a url"));
}

/* ---- credential_process -------------------------------------------------------------- */

static void
test_process_split(void **state)
{
    static const struct {
        const char *in;
        const char *out[6];
    } cases[] = {
        { "cmd", { "cmd" } },
        { "  cmd  a\tb ", { "cmd", "a", "b" } },
        { "cmd 'a b' \"c d\"", { "cmd", "a b", "c d" } },
        { "cmd 'it''s' a\\ b", { "cmd", "its", "a b" } },
        { "cmd \"say \\\"hi\\\"\" \"back\\\\slash\" \"keep\\n\"",
          { "cmd", "say \"hi\"", "back\\slash", "keep\\n" } },
        { "cmd '$HOME' `x` ;rm #c", { "cmd", "$HOME", "`x`", ";rm", "#c" } },
        { "cmd '' x", { "cmd", "", "x" } },
        { "a\"b c\"d", { "ab cd" } },
    };
    struct ia_err e;
    (void)state;

    for (size_t i = 0; i < IA_ARRAY_LEN(cases); i++) {
        char **argv = NULL;
        assert_int_equal(ia_creds_process_split(cases[i].in, &argv, &e), IA_OK);
        size_t n = 0;
        for (; cases[i].out[n]; n++) {
            assert_non_null(argv[n]);
            assert_string_equal(argv[n], cases[i].out[n]);
        }
        assert_null(argv[n]);
        ia_creds_process_argv_free(argv);
    }
    static const char *const bad[] = { "", "   ", "cmd 'open", "cmd \"open", "cmd \\" };
    for (size_t i = 0; i < IA_ARRAY_LEN(bad); i++) {
        char **argv = NULL;
        assert_int_equal(ia_creds_process_split(bad[i], &argv, &e), IA_ERR_CONFIG);
        assert_null(argv);
    }
}

static const char s_good_json[] =
    "{\"Version\": 1, \"AccessKeyId\": \"AKIAPROC\", \"SecretAccessKey\": \"proc-s3cr3t\", "
    "\"SessionToken\": \"proc-t0k3n\", \"Expiration\": \"2030-01-01T00:00:00Z\"}";

/* A script in the temp dir printing `body` (a shell snippet); returns its quoted path. */
static void
script(const char *name, const char *body, char *cmd, size_t cap)
{
    char text[4096], file[256];
    snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
    snprintf(file, sizeof(file), "dir with space/%s", name);
    write_file(file, text, 0700);
    snprintf(cmd, cap, "'%s/%s'", s_dir, file);
}

static enum ia_code
run_process(const char *command, long timeout_ms, struct ia_creds *cr, struct ia_err *e)
{
    struct ia_creds_provider *p = NULL;
    ia_err_clear(e);
    enum ia_code rc = ia_creds_process_new(command, "dev", timeout_ms, &p, e);
    if (rc == IA_OK) {
        rc = ia_creds_get(p, cr, e);
        ia_creds_provider_free(p);
    }
    assert_clean(e);
    return rc;
}

static void
test_process(void **state)
{
    char cmd[1024], body[2048], dir[512];
    struct ia_creds cr;
    struct ia_err e;
    (void)state;

    path_in(dir, sizeof(dir), "dir with space");
    mkdir(dir, 0700);

    snprintf(body, sizeof(body), "echo '%s'", s_good_json);
    script("good.sh", body, cmd, sizeof(cmd));
    assert_int_equal(run_process(cmd, 0, &cr, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "AKIAPROC");
    assert_string_equal(cr.secret_access_key, "proc-s3cr3t");
    assert_string_equal(cr.session_token, "proc-t0k3n");
    assert_int_equal(cr.expiration, ia_time_from_utc(2030, 1, 1, 0, 0, 0));
    assert_string_equal(cr.source, "profile dev (credential_process)");
    ia_creds_release(&cr);

    /* Quoted arguments arrive intact, and nothing is expanded by a shell. */
    snprintf(body, sizeof(body),
             "[ \"$1\" = 'one two' ] && [ \"$2\" = 'say \"hi\"' ] && [ \"$3\" = \"it's\" ] && "
             "[ \"$4\" = '$HOME' ] && [ $# -eq 4 ] || { echo \"bad args: $*\" >&2; exit 9; }\n"
             "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIAARGS\", "
             "\"SecretAccessKey\": \"args-s3cr3t\"}'");
    script("args.sh", body, cmd, sizeof(cmd));
    char full[2048];
    snprintf(full, sizeof(full), "%s \"one two\" 'say \"hi\"' \"it's\" '$HOME'", cmd);
    assert_int_equal(run_process(full, 0, &cr, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "AKIAARGS");
    assert_int_equal(cr.expiration, 0); /* no Expiration: long-term */
    assert_string_equal(cr.session_token, "");
    ia_creds_release(&cr);

    /* Bad JSON: position only; the output (a secret) is never quoted. */
    script("badjson.sh", "echo 'bad-s3cr3t {\"Version\": 1'", cmd, sizeof(cmd));
    assert_int_equal(run_process(cmd, 0, &cr, &e), IA_ERR_PARSE);
    assert_non_null(strstr(e.msg, "not JSON (line 1"));
    script("trunc.sh", "printf '{\"Version\": 1, \"SecretAccessKey\": \"trunc-s3cr3t'", cmd,
           sizeof(cmd));
    assert_int_equal(run_process(cmd, 0, &cr, &e), IA_ERR_PARSE);

    /* Non-zero exit: the status, with stderr left to the terminal. */
    script("fail.sh", "echo 'fail.sh: no session' >&2; exit 3", cmd, sizeof(cmd));
    assert_int_equal(run_process(cmd, 0, &cr, &e), IA_ERR_CREDS);
    assert_non_null(strstr(e.msg, "exit status 3"));
    assert_non_null(strstr(e.msg, "profile dev"));

    script("v2.sh",
           "echo '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"v2-s3cr3t\"}'",
           cmd, sizeof(cmd));
    assert_int_equal(run_process(cmd, 0, &cr, &e), IA_ERR_CREDS);
    assert_non_null(strstr(e.msg, "Version 2"));
    script("nover.sh", "echo '{\"AccessKeyId\": \"A\", \"SecretAccessKey\": \"nv-s3cr3t\"}'", cmd,
           sizeof(cmd));
    assert_int_equal(run_process(cmd, 0, &cr, &e), IA_ERR_CREDS);
    script("nosecret.sh", "echo '{\"Version\": 1, \"AccessKeyId\": \"A\"}'", cmd, sizeof(cmd));
    assert_int_equal(run_process(cmd, 0, &cr, &e), IA_ERR_CREDS);
    assert_non_null(strstr(e.msg, "SecretAccessKey"));

    /* Output over the bound: stopped and refused. */
    /* exec: the process we stop is the one holding the pipes (else ctest waits for it). */
    script("big.sh", "head -c 70000 /dev/zero | tr '\\0' s; exec sleep 5", cmd, sizeof(cmd));
    uint64_t t0 = ia_time_mono_ms();
    assert_int_equal(run_process(cmd, 0, &cr, &e), IA_ERR_TOO_LARGE);
    assert_non_null(strstr(e.msg, "65536"));
    assert_true(ia_time_mono_ms() - t0 < 4000);

    /* Time-out: stopped. */
    script("slow.sh", "exec sleep 10", cmd, sizeof(cmd));
    t0 = ia_time_mono_ms();
    assert_int_equal(run_process(cmd, 300, &cr, &e), IA_ERR_CREDS);
    assert_non_null(strstr(e.msg, "did not finish"));
    assert_true(ia_time_mono_ms() - t0 < 5000);

    /* A command that does not exist. */
    assert_int_equal(run_process("/nonexistent/get-creds --x", 0, &cr, &e), IA_ERR_CREDS);
    assert_non_null(strstr(e.msg, "cannot run '/nonexistent/get-creds'"));
    assert_int_equal(run_process("'unclosed", 0, &cr, &e), IA_ERR_CONFIG);
}

static void
test_process_in_chain(void **state)
{
    struct ia_creds_options o = options("proc");
    struct ia_profile_info info;
    struct ia_creds cr;
    struct ia_err e;
    char cmd[1024], body[2048], cfg[2048], dir[512];
    (void)state;

    path_in(dir, sizeof(dir), "dir with space");
    mkdir(dir, 0700);
    snprintf(body, sizeof(body), "echo '%s'", s_good_json);
    script("good.sh", body, cmd, sizeof(cmd));
    /* The credentials file comes first, then credential_process, then config keys. */
    snprintf(cfg, sizeof(cfg),
             "[profile proc]\ncredential_process = %s\n"
             "aws_access_key_id = AKIACFG\naws_secret_access_key = cfg-s3cr3t\n",
             cmd);
    write_config(cfg);
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "AKIAPROC");
    assert_string_equal(info.source, "profile proc (credential_process)");
    ia_creds_release(&cr);
    write_credentials("[proc]\naws_access_key_id = AKIAFILE\naws_secret_access_key = f-s3cr3t\n");
    assert_int_equal(resolve_get(&o, &cr, &info, &e), IA_OK);
    assert_string_equal(cr.access_key_id, "AKIAFILE");
    ia_creds_release(&cr);
}

/* Refresh of expiring credentials, by the fake clock. */
static void
test_refresh(void **state)
{
    struct ia_creds_provider *p = NULL;
    struct ia_creds cr;
    struct ia_err e;
    time_t exp = ia_time_from_utc(2030, 1, 1, 0, 0, 0);
    char now[32];
    (void)state;

    setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c", 1);
    ia_err_clear(&e);
    assert_int_equal(ia_creds_container_new(fake_ops(), &p, &e), IA_OK);
    for (int i = 0; i < 3; i++)
        answer(200, s_container_json);
    snprintf(now, sizeof(now), "%lld", (long long)(exp - 3600));
    setenv("IA_FAKE_NOW", now, 1);
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_OK);
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_OK);
    assert_int_equal(s_fake.n_req, 1);
    snprintf(now, sizeof(now), "%lld", (long long)(exp - IA_CREDS_REFRESH_MARGIN - 1));
    setenv("IA_FAKE_NOW", now, 1);
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_OK);
    assert_int_equal(s_fake.n_req, 1);
    snprintf(now, sizeof(now), "%lld", (long long)(exp - IA_CREDS_REFRESH_MARGIN));
    setenv("IA_FAKE_NOW", now, 1);
    assert_int_equal(ia_creds_get(p, &cr, &e), IA_OK);
    assert_int_equal(s_fake.n_req, 2);
    ia_creds_release(&cr);
    ia_creds_provider_free(p);
}

static void
test_parse_json(void **state)
{
    struct ia_creds cr;
    struct ia_err e;
    (void)state;

    ia_err_clear(&e);
    assert_int_equal(
        ia_creds_parse_json(s_good_json, strlen(s_good_json), IA_CREDS_JSON_PROCESS, "t", &cr, &e),
        IA_OK);
    ia_creds_release(&cr);
    /* The container form needs Token and Expiration. */
    assert_int_equal(ia_creds_parse_json(s_good_json, strlen(s_good_json), IA_CREDS_JSON_CONTAINER,
                                         "t", &cr, &e),
                     IA_ERR_CREDS);
    static const char *const bad[] = {
        "[1, 2]",
        "{\"Version\": \"1\", \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s3cr3t\"}",
        "{\"Version\": 1, \"AccessKeyId\": 5, \"SecretAccessKey\": \"s3cr3t\"}",
        "{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s3cr3t\", "
        "\"Expiration\": \"s3cr3t-not-a-time\"}",
        "{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s3cr3t\", "
        "\"Expiration\": 12}",
        "{\"Version\": 1, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"\"}",
    };
    for (size_t i = 0; i < IA_ARRAY_LEN(bad); i++) {
        assert_int_not_equal(
            ia_creds_parse_json(bad[i], strlen(bad[i]), IA_CREDS_JSON_PROCESS, "t", &cr, &e),
            IA_OK);
        /* Never an echo of the output, the Expiration value included (issue 12 item 11). */
        assert_clean(&e);
        assert_null(strstr(e.msg, "not-a-time"));
    }
}

static int
make_dir(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(s_dir, sizeof(s_dir), "%s/ia-creds-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    return mkdtemp(s_dir) ? 0 : -1;
}

static int
remove_tree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return -1;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *de;
        if (!d)
            return -1;
        while ((de = readdir(d))) {
            char sub[1024];
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
            remove_tree(sub);
        }
        closedir(d);
        return rmdir(path);
    }
    return unlink(path);
}

static int
remove_dir(void **state)
{
    (void)state;
    return remove_tree(s_dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_env, setup),
        cmocka_unit_test_setup(test_profile_parsing, setup),
        cmocka_unit_test_setup(test_chain_order, setup),
        cmocka_unit_test_setup(test_chain_container_and_imds, setup),
        cmocka_unit_test_setup(test_assume_role_request, setup),
        cmocka_unit_test_setup(test_assume_role_chain, setup),
        cmocka_unit_test_setup(test_assume_role_config_errors, setup),
        cmocka_unit_test_setup(test_assume_role_refresh_mfa, setup),
        cmocka_unit_test_setup(test_web_identity, setup),
        cmocka_unit_test_setup(test_container, setup),
        cmocka_unit_test_setup(test_imds, setup),
        cmocka_unit_test_setup(test_metadata_urls, setup),
        cmocka_unit_test_setup(test_process_split, setup),
        cmocka_unit_test_setup(test_process, setup),
        cmocka_unit_test_setup(test_process_in_chain, setup),
        cmocka_unit_test_setup(test_refresh, setup),
        cmocka_unit_test_setup(test_parse_json, setup),
    };
    ia_xml_global_init();
    int rc = cmocka_run_group_tests_name("credentials", tests, make_dir, remove_dir);
    ia_xml_global_cleanup();
    return rc ? 1 : 0;
}
