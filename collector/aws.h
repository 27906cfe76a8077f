/*
 * One signed AWS call with the SDKs' standard retries: the AWS Query protocol (IAM,
 * STS) and JSON 1.1 (Organizations). A client belongs to one identity (one account's
 * credentials); its stats count what it did for the run record.
 */
#ifndef IA_COLLECTOR_AWS_H
#define IA_COLLECTOR_AWS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "collector/creds.h"
#include "collector/endpoints.h"
#include "collector/http.h"
#include "collector/retry.h"
#include "collector/sigv4.h"
#include "collector/xml.h"
#include "core/buf.h"
#include "core/err.h"

struct ia_aws_stats {
    _Atomic long calls;     /* HTTP requests sent, retries included */
    _Atomic long retries;   /* attempts after the first */
    _Atomic long throttles; /* attempts answered with a throttling error */
};

/* Called before every attempt (tests count requests; benchmarks tally per action). */
typedef void (*ia_aws_call_hook_fn)(void *ctx, const char *action, int attempt);
typedef void (*ia_aws_sleep_fn)(uint64_t ms);

struct ia_aws_client {
    struct ia_http_ops http;         /* borrowed transport */
    struct ia_creds_provider *creds; /* borrowed; NULL sends unsigned (anonymous) calls */
    struct ia_endpoint ep[IA_SVC_COUNT];
    struct ia_retry_policy retry;
    struct ia_retry_quota quota;
    struct ia_rate_limiter limiter;
    _Atomic long skew_s; /* server time minus ours, learnt from a skew error */
    struct ia_aws_stats stats;
    char label[64];           /* for logs: the account id or "caller" */
    ia_aws_sleep_fn sleep_ms; /* ia_time_sleep_ms; tests substitute */
    ia_aws_call_hook_fn on_call;
    void *on_call_ctx;
    /* Response bytes held for one account, shared by the clients working on it; a call
     * that takes the total past max_bytes fails with IA_ERR_TOO_LARGE. NULL: no bound. */
    _Atomic uint64_t *bytes;
    uint64_t max_bytes;
    /* Borrowed: another client's retry quota and rate limiter to use instead of this one's
     * (a helper connection working on the same account). NULL: this client's own. */
    struct ia_retry_quota *shared_quota;
    struct ia_rate_limiter *shared_limiter;
    /* Signing keys per (credentials, date, region, service), kept between calls. */
    struct ia_sigv4_key_cache keys;
};

/* One Query parameter (borrowed). */
struct ia_aws_param {
    const char *name;
    const char *value;
};

/*
 * Set up c for region with these endpoints (each resolved by ia_endpoint_resolve with
 * profile_endpoint_url, which may be NULL). http and creds are borrowed and must
 * outlive c. IA_ERR_CONFIG when an endpoint override is unusable.
 */
IA_MUST_USE enum ia_code ia_aws_client_init(struct ia_aws_client *c, struct ia_http_ops http,
                                            struct ia_creds_provider *creds, const char *region,
                                            const char *profile_endpoint_url, struct ia_err *err);
void ia_aws_client_release(struct ia_aws_client *c);

/*
 * AWS Query: POST Action/Version/params to svc, with retries. On success *out is the
 * parsed response (new: ia_xml_free). On an AWS error: IA_ERR_AWS with err->aws_code,
 * the message, err->request_id and err->http_status set.
 */
IA_MUST_USE enum ia_code ia_aws_query(struct ia_aws_client *c, enum ia_service svc,
                                      const char *action, const struct ia_aws_param *params,
                                      size_t n_params, struct ia_xml_doc **out, struct ia_err *err);

/*
 * AWS JSON 1.1: POST body with X-Amz-Target target (e.g.
 * "AWSOrganizationsV20161128.ListAccounts"), with retries. The response body is
 * appended to out. Errors as for ia_aws_query (the `__type` gives the code).
 */
IA_MUST_USE enum ia_code ia_aws_json(struct ia_aws_client *c, enum ia_service svc,
                                     const char *target, const char *body, struct ia_buf *out,
                                     struct ia_err *err);

/*
 * AWS REST-JSON (Security Hub): method ("POST", "PATCH") to the endpoint plus path
 * ("/findings/import") with a JSON body, signed and retried as above; action names the
 * operation in logs and errors. The response body is appended to out. Errors as for
 * ia_aws_json (the body's "__type", "code" or "Code" gives the code).
 */
IA_MUST_USE enum ia_code ia_aws_rest_json(struct ia_aws_client *c, enum ia_service svc,
                                          const char *action, const char *method, const char *path,
                                          const char *body, struct ia_buf *out, struct ia_err *err);

/* The API version string of a Query service ("2010-05-08" for IAM). */
const char *ia_aws_query_version(enum ia_service svc);

#endif
