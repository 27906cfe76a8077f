#include "collector/aws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/crypto.h"
#include "collector/json.h"
#include "collector/sigv4.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"

/* A skew smaller than this is not what made a signature fail. */
#define IA_SKEW_MIN_S 240

const char *
ia_aws_query_version(enum ia_service svc)
{
    switch (svc) {
    case IA_SVC_IAM: return "2010-05-08";
    case IA_SVC_STS: return "2011-06-15";
    case IA_SVC_ORGANIZATIONS: return "2016-11-28";
    case IA_SVC_SES: return "2010-12-01";
    case IA_SVC_SECURITYHUB: return "2018-10-26";
    case IA_SVC_COUNT: break;
    }
    IA_BUG("no Query version for service %d", (int)svc);
}

enum ia_code
ia_aws_client_init(struct ia_aws_client *c, struct ia_http_ops http,
                   struct ia_creds_provider *creds, const char *region,
                   const char *profile_endpoint_url, struct ia_err *err)
{
    memset(c, 0, sizeof(*c));
    for (int s = 0; s < IA_SVC_COUNT; s++) {
        enum ia_code rc =
            ia_endpoint_resolve((enum ia_service)s, region, profile_endpoint_url, &c->ep[s], err);
        if (rc != IA_OK)
            return rc;
    }
    c->http = http;
    c->creds = creds;
    c->retry = (struct ia_retry_policy)IA_RETRY_POLICY_DEFAULT;
    ia_retry_quota_init(&c->quota);
    ia_rate_limiter_init(&c->limiter);
    c->sleep_ms = ia_time_sleep_ms;
    snprintf(c->label, sizeof(c->label), "caller");
    ia_sigv4_key_cache_init(&c->keys);
    return IA_OK;
}

void
ia_aws_client_release(struct ia_aws_client *c)
{
    if (!c)
        return;
    ia_retry_quota_release(&c->quota);
    ia_rate_limiter_release(&c->limiter);
    ia_sigv4_key_cache_release(&c->keys);
}

struct call {
    enum ia_service svc;
    const char *action; /* for logs and errors */
    const char *content_type;
    const char *target; /* X-Amz-Target or NULL */
    const char *body;
    size_t body_len;
    int json;              /* error body is JSON rather than XML */
    const char *method;    /* NULL: POST */
    const char *rest_path; /* REST-JSON: path after the endpoint's ("/findings/import") */
};

/* Sign and send one attempt. */
static enum ia_code
attempt_once(struct ia_aws_client *c, const struct call *call, struct ia_http_response *resp,
             struct ia_err *err)
{
    const struct ia_endpoint *ep = &c->ep[call->svc];
    struct ia_buf scheme = IA_BUF_INIT, host = IA_BUF_INIT, path = IA_BUF_INIT;
    struct ia_buf authz = IA_BUF_INIT, creq = IA_BUF_INIT, sts = IA_BUF_INIT;
    struct ia_buf url = IA_BUF_INIT;
    struct ia_buf hdr[6];
    const char *hdr_ptrs[6];
    struct ia_sigv4_header sh[5];
    size_t nh = 0;
    struct ia_creds cr;
    char amzdate[IA_TIME_AMZ_LEN];
    enum ia_code rc;

    memset(&cr, 0, sizeof(cr));
    for (int i = 0; i < 6; i++)
        ia_buf_init(&hdr[i]);
    rc = ia_http_url_split(ep->url, &scheme, &host, &path, err);
    if (rc != IA_OK)
        goto out;
    ia_buf_addstr(&url, ep->url);
    if (call->rest_path) {
        /* A REST path is appended to the endpoint's own ("/" or an override's prefix). */
        if (path.len && path.buf[path.len - 1] == '/')
            ia_buf_setlen(&path, path.len - 1);
        ia_buf_addstr(&path, call->rest_path);
        ia_buf_addstr(&url, call->rest_path);
    }
    /* No provider: an anonymous call (AssumeRoleWithWebIdentity, whose proof is the token). */
    if (c->creds) {
        rc = ia_creds_get(c->creds, &cr, err);
        if (rc != IA_OK)
            goto out;
    }

    time_t now = ia_time_now() + atomic_load(&c->skew_s);
    ia_time_format_amz(now, amzdate);
    sh[nh++] = (struct ia_sigv4_header){ "Host", host.buf };
    sh[nh++] = (struct ia_sigv4_header){ "Content-Type", call->content_type };
    sh[nh++] = (struct ia_sigv4_header){ "X-Amz-Date", amzdate };
    if (cr.session_token[0])
        sh[nh++] = (struct ia_sigv4_header){ "X-Amz-Security-Token", cr.session_token };
    if (call->target)
        sh[nh++] = (struct ia_sigv4_header){ "X-Amz-Target", call->target };

    const char *method = call->method ? call->method : "POST";
    struct ia_sigv4_request sreq = {
        method, path.buf, NULL, sh, nh, call->body, call->body_len, 1
    };
    struct ia_sigv4_params sp = { .access_key_id = cr.access_key_id,
                                  .secret_access_key = cr.secret_access_key,
                                  .region = ep->signing_region,
                                  .service = ep->service,
                                  .when = now,
                                  .cache = &c->keys };
    size_t n_send = nh;
    if (c->creds) {
        rc = ia_sigv4_authorization(&sreq, &sp, &authz, &creq, &sts, err);
        if (rc != IA_OK)
            goto out;
        /* What a SignatureDoesNotMatch needs, with the session token line blanked. */
        if (ia_log_get_level() >= IA_LOG_DEBUG) {
            struct ia_buf safe = IA_BUF_INIT;
            ia_sigv4_redact_creq(creq.buf, &safe);
            ia_log_write(IA_LOG_DEBUG, "sigv4",
                         "msg=\"signed\" action=%s canonical_request=\"%s\" "
                         "string_to_sign=\"%s\"",
                         call->action, safe.buf, sts.buf);
            ia_buf_release(&safe);
        }
        ia_buf_addf(&hdr[nh], "Authorization: %s", authz.buf);
        hdr_ptrs[nh] = hdr[nh].buf;
        n_send++;
    }
    for (size_t i = 0; i < nh; i++) {
        ia_buf_addf(&hdr[i], "%s: %s", sh[i].name, sh[i].value);
        hdr_ptrs[i] = hdr[i].buf;
    }

    struct ia_http_request req = {
        method, url.buf, hdr_ptrs, n_send, call->body, call->body_len, 0
    };
    atomic_fetch_add(&c->stats.calls, 1);
    rc = c->http.send(c->http.ctx, &req, resp, err);
out:
    ia_creds_release(&cr);
    /* Header buffers held the token and signature: wipe before freeing. */
    for (int i = 0; i < 6; i++) {
        ia_crypto_cleanse(hdr[i].buf, hdr[i].len);
        ia_buf_release(&hdr[i]);
    }
    ia_buf_release(&scheme);
    ia_buf_release(&host);
    ia_buf_release(&path);
    ia_buf_release(&url);
    ia_buf_release(&authz);
    ia_buf_release(&creq);
    ia_buf_release(&sts);
    return rc;
}

/* Turn a non-2xx response into err; returns IA_ERR_AWS or IA_ERR_HTTP. */
static enum ia_code
response_error(struct ia_aws_client *c, const struct call *call,
               const struct ia_http_response *resp, struct ia_err *err)
{
    char code[96] = "", msg[512] = "", type[32] = "", reqid[96] = "";
    int is_aws;

    if (call->json)
        is_aws =
            ia_json_aws_error(resp->body.buf, resp->body.len, code, sizeof(code), msg, sizeof(msg));
    else
        is_aws = ia_xml_aws_error(resp->body.buf, resp->body.len, code, sizeof(code), msg,
                                  sizeof(msg), type, sizeof(type), reqid, sizeof(reqid));
    if (!reqid[0])
        snprintf(reqid, sizeof(reqid), "%s", resp->request_id);
    if (err) {
        err->http_status = resp->status;
        snprintf(err->aws_code, sizeof(err->aws_code), "%s", is_aws ? code : "");
        snprintf(err->request_id, sizeof(err->request_id), "%s", reqid);
    }
    if (is_aws)
        return ia_err_set(err, IA_ERR_AWS, "%s %s (%s, HTTP %ld): %s%s%s", c->label, call->action,
                          code, resp->status, msg, reqid[0] ? "; request id " : "", reqid);
    return ia_err_set(err, IA_ERR_HTTP, "%s %s: HTTP %ld from %s with no AWS error in the body",
                      c->label, call->action, resp->status, c->ep[call->svc].url);
}

/*
 * A 2xx answer must be the document the action returns: <ActionResponse> holding an
 * <ActionResult> for the Query protocol, a JSON object for JSON 1.1. Anything else (a
 * captive portal, a corporate block page) would read as an empty page and turn a whole
 * estate into a "complete" run with nothing in it; it is a transient failure instead.
 */
static enum ia_code
expect_document(struct ia_aws_client *c, const struct call *call,
                const struct ia_http_response *resp, const struct ia_xml_doc *doc,
                struct ia_err *err)
{
    char want[128];
    if (call->json) {
        if (ia_json_is_object(resp->body.buf, resp->body.len))
            return IA_OK;
        snprintf(want, sizeof(want), "a JSON object");
    } else {
        const struct ia_xml_node *root = ia_xml_root(doc);
        char result[128];
        snprintf(want, sizeof(want), "%sResponse", call->action);
        snprintf(result, sizeof(result), "%sResult", call->action);
        if (root && strcmp(ia_xml_name(root), want) == 0 && ia_xml_child(root, result))
            return IA_OK;
        snprintf(want, sizeof(want), "<%sResponse> with <%sResult>", call->action, call->action);
    }
    return ia_err_set(err, IA_ERR_PARSE,
                      "%s %s: HTTP %ld from %s is not an AWS answer (expected %s; "
                      "Content-Type '%s'): a proxy or captive portal in the way?",
                      c->label, call->action, resp->status, c->ep[call->svc].url, want,
                      resp->content_type);
}

/* The retry quota and rate limiter this client's calls count against. */
static struct ia_retry_quota *
quota_of(struct ia_aws_client *c)
{
    return c->shared_quota ? c->shared_quota : &c->quota;
}

static struct ia_rate_limiter *
limiter_of(struct ia_aws_client *c)
{
    return c->shared_limiter ? c->shared_limiter : &c->limiter;
}

static enum ia_code
call_with_retries(struct ia_aws_client *c, const struct call *call, struct ia_xml_doc **xml_out,
                  struct ia_buf *body_out, struct ia_err *err)
{
    struct ia_http_response resp;
    enum ia_code rc = IA_ERR_INVALID;
    int skew_retried = 0, last_cost = 0;
    struct ia_err e;
    uint64_t started = ia_time_mono_ms();
    long calls_before = atomic_load(&c->stats.calls);

    ia_http_response_init(&resp);
    for (int attempt = 1;; attempt++) {
        ia_err_clear(&e);
        if (c->on_call)
            c->on_call(c->on_call_ctx, call->action, attempt);
        uint64_t wait = ia_rate_limiter_reserve(limiter_of(c), ia_time_mono_ms());
        if (wait)
            c->sleep_ms(wait);
        rc = attempt_once(c, call, &resp, &e);
        if (rc == IA_ERR_CREDS || rc == IA_ERR_INVALID || rc == IA_ERR_CONFIG) {
            if (err)
                *err = e;
            goto out;
        }
        if (rc == IA_OK && resp.status >= 200 && resp.status < 300) {
            if (c->bytes && c->max_bytes &&
                atomic_fetch_add(c->bytes, (uint64_t)resp.body.len) + resp.body.len >
                    c->max_bytes) {
                /* An endpoint that pages for ever (or sends huge pages) must not take every
                 * other account down with the process: this account fails, alone. */
                rc = ia_err_set(err, IA_ERR_TOO_LARGE,
                                "%s %s: the answers for this account passed %llu MiB "
                                "([audit] max_account_mib); giving up on the account",
                                c->label, call->action, (unsigned long long)(c->max_bytes >> 20));
                goto out;
            }
            if (xml_out) {
                rc = ia_xml_parse(resp.body.buf, resp.body.len, xml_out, &e);
                if (rc != IA_OK) {
                    ia_err_prefix(&e,
                                  "%s %s: HTTP %ld from %s is not an AWS answer "
                                  "(Content-Type '%s'): ",
                                  c->label, call->action, resp.status, c->ep[call->svc].url,
                                  resp.content_type);
                    /* A DTD (an HTML page's DOCTYPE) is as retryable as a truncated body. */
                    rc = IA_ERR_PARSE;
                } else if ((rc = expect_document(c, call, &resp, *xml_out, &e)) != IA_OK) {
                    ia_xml_free(*xml_out);
                    *xml_out = NULL;
                }
            } else if ((rc = expect_document(c, call, &resp, NULL, &e)) == IA_OK) {
                ia_buf_add(body_out, resp.body.buf, resp.body.len);
            }
            if (rc == IA_OK) {
                ia_retry_quota_success(quota_of(c), last_cost);
                ia_rate_limiter_on_success(limiter_of(c));
                goto out;
            }
        } else if (rc == IA_OK) {
            rc = response_error(c, call, &resp, &e);
        } else {
            ia_err_prefix(&e, "%s %s: ", c->label, call->action);
        }

        enum ia_retry_kind kind = ia_retry_classify(rc, resp.status, e.aws_code);
        if (kind == IA_RETRY_SKEW) {
            time_t server;
            long skew = 0, off = 0;
            /* Measured against the clock as already corrected: only a new skew counts. */
            if (resp.date[0] && ia_time_parse_http(resp.date, &server) == 0) {
                skew = (long)(server - ia_time_now());
                off = skew - atomic_load(&c->skew_s);
            }
            if (skew_retried || (off < IA_SKEW_MIN_S && off > -IA_SKEW_MIN_S)) {
                kind = IA_RETRY_NO;
            } else {
                skew_retried = 1;
                atomic_store(&c->skew_s, skew);
                IA_LOG_WARN("aws", "msg=\"clock skew corrected\" account=%s action=%s skew_s=%ld",
                            c->label, call->action, skew);
                atomic_fetch_add(&c->stats.retries, 1);
                continue;
            }
        }
        if (kind == IA_RETRY_THROTTLE) {
            atomic_fetch_add(&c->stats.throttles, 1);
            double secs = (double)(ia_time_mono_ms() - started) / 1000.0;
            long done = atomic_load(&c->stats.calls) - calls_before;
            ia_rate_limiter_on_throttle(limiter_of(c), secs > 0.1 ? (double)done / secs : 0);
        }
        if (kind == IA_RETRY_NO) {
            if (err)
                *err = e;
            goto out;
        }
        if (attempt >= c->retry.max_attempts) {
            if (err) {
                *err = e;
                ia_err_prefix(err, "gave up after %d attempts: ", attempt);
            }
            goto out;
        }
        last_cost = ia_retry_quota_acquire(quota_of(c), kind);
        if (!last_cost) {
            if (err) {
                *err = e;
                ia_err_prefix(err, "retry quota exhausted after %d attempts: ", attempt);
            }
            goto out;
        }
        uint64_t delay = ia_retry_backoff_ms(&c->retry, attempt + 1, ia_crypto_random_unit(),
                                             resp.retry_after_ms);
        IA_LOG_INFO("aws",
                    "msg=\"retrying\" account=%s action=%s attempt=%d delay_ms=%llu code=%s "
                    "status=%ld request_id=%s",
                    c->label, call->action, attempt + 1, (unsigned long long)delay,
                    e.aws_code[0] ? e.aws_code : ia_code_name(rc), resp.status, e.request_id);
        atomic_fetch_add(&c->stats.retries, 1);
        c->sleep_ms(delay);
    }
out:
    ia_http_response_release(&resp);
    return rc;
}

enum ia_code
ia_aws_query(struct ia_aws_client *c, enum ia_service svc, const char *action,
             const struct ia_aws_param *params, size_t n_params, struct ia_xml_doc **out,
             struct ia_err *err)
{
    struct ia_buf body = IA_BUF_INIT;
    ia_buf_addstr(&body, "Action=");
    ia_buf_add_urlencoded(&body, action, strlen(action), 0);
    ia_buf_addstr(&body, "&Version=");
    ia_buf_addstr(&body, ia_aws_query_version(svc));
    for (size_t i = 0; i < n_params; i++) {
        if (!params[i].value)
            continue;
        ia_buf_addch(&body, '&');
        ia_buf_add_urlencoded(&body, params[i].name, strlen(params[i].name), 0);
        ia_buf_addch(&body, '=');
        ia_buf_add_urlencoded(&body, params[i].value, strlen(params[i].value), 0);
    }
    struct call call = { .svc = svc,
                         .action = action,
                         .content_type = "application/x-www-form-urlencoded; charset=utf-8",
                         .body = body.buf,
                         .body_len = body.len };
    enum ia_code rc = call_with_retries(c, &call, out, NULL, err);
    /* The body may carry a TokenCode or a web identity token: wipe it. */
    ia_crypto_cleanse(body.buf, body.len);
    ia_buf_release(&body);
    return rc;
}

enum ia_code
ia_aws_json(struct ia_aws_client *c, enum ia_service svc, const char *target, const char *body,
            struct ia_buf *out, struct ia_err *err)
{
    const char *dot = strrchr(target, '.');
    struct call call = { .svc = svc,
                         .action = dot ? dot + 1 : target,
                         .content_type = "application/x-amz-json-1.1",
                         .target = target,
                         .body = body,
                         .body_len = strlen(body),
                         .json = 1 };
    return call_with_retries(c, &call, NULL, out, err);
}

enum ia_code
ia_aws_rest_json(struct ia_aws_client *c, enum ia_service svc, const char *action,
                 const char *method, const char *path, const char *body, struct ia_buf *out,
                 struct ia_err *err)
{
    struct call call = { .svc = svc,
                         .action = action,
                         .content_type = "application/json",
                         .body = body,
                         .body_len = strlen(body),
                         .json = 1,
                         .method = method,
                         .rest_path = path };
    return call_with_retries(c, &call, NULL, out, err);
}
