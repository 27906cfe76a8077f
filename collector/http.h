/*
 * HTTP for the AWS clients, behind a small ops table so credential, retry and paging
 * code can be tested without sockets ([AWS] http vtable). The real implementation is
 * libcurl, in http.c only.
 */
#ifndef IA_COLLECTOR_HTTP_H
#define IA_COLLECTOR_HTTP_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* One request. All pointers borrowed for the duration of the send. */
struct ia_http_request {
    const char *method;         /* "GET", "POST", "PUT" */
    const char *url;            /* absolute http(s) URL */
    const char *const *headers; /* "Name: value" strings */
    size_t n_headers;
    const void *body; /* may be NULL when body_len is 0 */
    size_t body_len;
    long timeout_ms; /* 0: the transport's default */
};

/* A response. The caller owns it: init with ia_http_response_init, free with _release. */
struct ia_http_response {
    long status;         /* HTTP status, 0 if none */
    struct ia_buf body;  /* the body, bounded by the transport's max_body */
    char request_id[96]; /* x-amzn-RequestId or x-amz-request-id, "" if absent */
    char date[64];       /* Date header, "" if absent (clock-skew correction) */
    char content_type[128];
    long retry_after_ms; /* x-amz-retry-after, -1 if absent */
};

void ia_http_response_init(struct ia_http_response *r);
void ia_http_response_release(struct ia_http_response *r);
void ia_http_response_reset(struct ia_http_response *r);

/*
 * The transport. send fills resp (status, body, headers) and returns IA_OK whenever an
 * HTTP response arrived, whatever its status; IA_ERR_NET / IA_ERR_TIMEOUT for transport
 * failures, IA_ERR_TOO_LARGE when the body exceeds the bound. ctx is the transport's.
 */
struct ia_http_ops {
    enum ia_code (*send)(void *ctx, const struct ia_http_request *req,
                         struct ia_http_response *resp, struct ia_err *err);
    void *ctx;
};

struct ia_http_options {
    long connect_timeout_ms; /* default 10 s */
    long timeout_ms;         /* whole request, default 60 s */
    size_t max_body;         /* default 64 MiB */
    const char *ca_bundle;   /* CA file overriding the system store; NULL: AWS_CA_BUNDLE, else
                                the system store (borrowed) */
};

/* One libcurl easy handle: reuse it for every call of one worker (keeps connections). */
struct ia_http;

/* Global libcurl set-up; call once from main before any thread starts. */
IA_MUST_USE enum ia_code ia_http_global_init(struct ia_err *err);
void ia_http_global_cleanup(void);

/* New transport (free with ia_http_free). opts may be NULL for defaults; copied. */
struct ia_http *ia_http_new(const struct ia_http_options *opts);
void ia_http_free(struct ia_http *h);
/* The ops table backed by h (borrowed: valid while h lives). */
struct ia_http_ops ia_http_ops_of(struct ia_http *h);

/*
 * Whether url's host is a loopback address (127.0.0.0/8, ::1, localhost). Plain http
 * is allowed only for such endpoints, and TLS verification can never be turned off
 * elsewhere.
 */
int ia_http_url_is_loopback(const char *url);

/*
 * Whether url is plain http to one of the two link-local metadata services the
 * credential chain reads: EC2 IMDS (169.254.169.254) and ECS container credentials
 * (169.254.170.2). Exactly those hosts, as dotted quads: these services have no TLS, so
 * plain http is allowed to them as to loopback, and never through a proxy.
 */
int ia_http_url_is_metadata(const char *url);

/*
 * Split an absolute URL into scheme ("https"), host (with :port when not default),
 * and path (at least "/"). Returns IA_ERR_INVALID for anything else.
 */
IA_MUST_USE enum ia_code ia_http_url_split(const char *url, struct ia_buf *scheme,
                                           struct ia_buf *hostport, struct ia_buf *path,
                                           struct ia_err *err);

#endif
