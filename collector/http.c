#include "collector/http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/mem.h"

struct ia_http {
    CURL *curl;
    struct ia_http_options opts;
    char *ca_bundle;
};

struct sink {
    struct ia_http_response *resp;
    size_t max_body;
    int over;
};

void
ia_http_response_init(struct ia_http_response *r)
{
    memset(r, 0, sizeof(*r));
    ia_buf_init(&r->body);
    r->retry_after_ms = -1;
}

void
ia_http_response_release(struct ia_http_response *r)
{
    if (!r)
        return;
    ia_buf_release(&r->body);
    ia_http_response_init(r);
}

void
ia_http_response_reset(struct ia_http_response *r)
{
    struct ia_buf keep = r->body;
    memset(r, 0, sizeof(*r));
    r->body = keep;
    ia_buf_reset(&r->body);
    r->retry_after_ms = -1;
}

enum ia_code
ia_http_global_init(struct ia_err *err)
{
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK)
        return ia_err_set(err, IA_ERR_NET, "cannot initialise libcurl: %s", curl_easy_strerror(rc));
    return IA_OK;
}

void
ia_http_global_cleanup(void)
{
    curl_global_cleanup();
}

struct ia_http *
ia_http_new(const struct ia_http_options *opts)
{
    struct ia_http *h = ia_xcalloc(1, sizeof(*h));
    if (opts)
        h->opts = *opts;
    if (!h->opts.connect_timeout_ms)
        h->opts.connect_timeout_ms = 10000;
    if (!h->opts.timeout_ms)
        h->opts.timeout_ms = 60000;
    if (!h->opts.max_body)
        h->opts.max_body = (size_t)64 << 20;
    /* A configured ca_bundle wins over AWS_CA_BUNDLE, as a profile's does in the SDKs. */
    const char *env_ca = getenv("AWS_CA_BUNDLE");
    if (!h->opts.ca_bundle && env_ca && *env_ca)
        h->opts.ca_bundle = env_ca;
    if (h->opts.ca_bundle)
        h->ca_bundle = ia_xstrdup(h->opts.ca_bundle);
    h->opts.ca_bundle = h->ca_bundle;
    h->curl = curl_easy_init();
    if (!h->curl)
        IA_BUG("curl_easy_init failed");
    return h;
}

void
ia_http_free(struct ia_http *h)
{
    if (!h)
        return;
    curl_easy_cleanup(h->curl);
    free(h->ca_bundle);
    free(h);
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    struct sink *s = userp;
    size_t n = size * nmemb;
    /* The cap lives where untrusted data arrives: refuse rather than grow without bound. */
    if (s->resp->body.len + n > s->max_body) {
        s->over = 1;
        return 0;
    }
    ia_buf_add(&s->resp->body, data, n);
    return n;
}

static void
copy_value(char *dst, size_t cap, const char *v, size_t n)
{
    while (n && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static size_t
on_header(char *data, size_t size, size_t nitems, void *userp)
{
    struct sink *s = userp;
    size_t n = size * nitems;
    const char *colon = memchr(data, ':', n);
    if (!colon)
        return n;
    size_t klen = (size_t)(colon - data);
    const char *v = colon + 1;
    size_t vlen = n - klen - 1;
#define IS(name) (klen == sizeof(name) - 1 && strncasecmp(data, name, klen) == 0)
    if (IS("x-amzn-RequestId") || IS("x-amz-request-id"))
        copy_value(s->resp->request_id, sizeof(s->resp->request_id), v, vlen);
    else if (IS("Date"))
        copy_value(s->resp->date, sizeof(s->resp->date), v, vlen);
    else if (IS("Content-Type"))
        copy_value(s->resp->content_type, sizeof(s->resp->content_type), v, vlen);
    else if (IS("x-amz-retry-after")) {
        char tmp[32];
        char *end;
        copy_value(tmp, sizeof(tmp), v, vlen);
        long ms = strtol(tmp, &end, 10);
        if (end != tmp && *end == '\0' && ms >= 0)
            s->resp->retry_after_ms = ms;
    }
#undef IS
    return n;
}

static enum ia_code
http_send(void *ctx, const struct ia_http_request *req, struct ia_http_response *resp,
          struct ia_err *err)
{
    struct ia_http *h = ctx;
    CURL *c = h->curl;
    struct curl_slist *hdrs = NULL;
    struct sink sink = { resp, h->opts.max_body, 0 };
    char errbuf[CURL_ERROR_SIZE] = "";
    enum ia_code rc = IA_ERR_NET;
    int metadata = ia_http_url_is_metadata(req->url);
    int loopback = metadata || ia_http_url_is_loopback(req->url);

    ia_http_response_reset(resp);
    curl_easy_reset(c); /* keeps the connection cache, drops per-request options */
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    /* Plain http only for a loopback endpoint (moto in tests and the demo) or metadata. */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, loopback ? "http,https" : "https");
    /*
     * Never through a proxy in clear: with plain http (loopback, metadata) an http_proxy
     * would see the Authorization header and the credentials that come back. A link-local
     * metadata service or a loopback endpoint answers only this host anyway.
     */
    if (loopback || strncasecmp(req->url, "http:", 5) == 0)
        curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (h->opts.ca_bundle)
        curl_easy_setopt(c, CURLOPT_CAINFO, h->opts.ca_bundle);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->opts.connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms ? req->timeout_ms : h->opts.timeout_ms);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "iam-audit/" IA_VERSION);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &sink);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    for (size_t i = 0; i < req->n_headers; i++)
        hdrs = curl_slist_append(hdrs, req->headers[i]);
    hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (strcmp(req->method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }

    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    if (cc == CURLE_OK) {
        rc = IA_OK;
        goto out;
    }
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(cc);
    if (sink.over) {
        rc = ia_err_set(err, IA_ERR_TOO_LARGE,
                        "response from %s is larger than the %zu-byte limit; refusing it", req->url,
                        h->opts.max_body);
    } else if (cc == CURLE_OPERATION_TIMEDOUT) {
        rc = ia_err_set(err, IA_ERR_TIMEOUT, "request to %s timed out: %s", req->url, detail);
    } else if (cc == CURLE_UNSUPPORTED_PROTOCOL) {
        rc = ia_err_set(err, IA_ERR_INVALID,
                        "refusing %s: plain http is allowed only for a loopback endpoint; "
                        "use https",
                        req->url);
    } else if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CACERT_BADFILE) {
        rc = ia_err_set(err, IA_ERR_NET,
                        "TLS verification failed for %s: %s (set AWS_CA_BUNDLE or ca_bundle to "
                        "your CA file if a proxy re-signs traffic)",
                        req->url, detail);
    } else {
        rc = ia_err_set(err, IA_ERR_NET, "request to %s failed: %s", req->url, detail);
    }
    if (err)
        err->http_status = resp->status;
out:
    curl_slist_free_all(hdrs);
    return rc;
}

struct ia_http_ops
ia_http_ops_of(struct ia_http *h)
{
    struct ia_http_ops ops = { http_send, h };
    return ops;
}

enum ia_code
ia_http_url_split(const char *url, struct ia_buf *scheme, struct ia_buf *hostport,
                  struct ia_buf *path, struct ia_err *err)
{
    enum ia_code rc = IA_ERR_INVALID;
    char *sch = NULL, *host = NULL, *port = NULL, *p = NULL;
    CURLU *u = curl_url();

    if (!u)
        IA_BUG("curl_url failed");
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &sch, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        ia_err_set(err, IA_ERR_INVALID,
                   "'%s' is not an absolute URL; write it like https://iam.amazonaws.com", url);
        goto out;
    }
    if (strcmp(sch, "https") != 0 && strcmp(sch, "http") != 0) {
        ia_err_set(err, IA_ERR_INVALID, "'%s': only https (or http on loopback) URLs work", url);
        goto out;
    }
    curl_url_get(u, CURLUPART_PORT, &port, 0);
    curl_url_get(u, CURLUPART_PATH, &p, 0);
    ia_buf_addstr(scheme, sch);
    ia_buf_addstr(hostport, host);
    if (port)
        ia_buf_addf(hostport, ":%s", port);
    ia_buf_addstr(path, p && *p ? p : "/");
    rc = IA_OK;
out:
    curl_free(sch);
    curl_free(host);
    curl_free(port);
    curl_free(p);
    curl_url_cleanup(u);
    return rc;
}

int
ia_http_url_is_loopback(const char *url)
{
    char *host = NULL;
    int yes = 0;
    CURLU *u = curl_url();
    if (!u)
        IA_BUG("curl_url failed");
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
            yes = 1;
        else if (strncmp(host, "127.", 4) == 0) {
            /* Must be a dotted quad, not "127.evil.example". */
            int a, b, c, d;
            char tail;
            yes = sscanf(host, "%3d.%3d.%3d.%3d%c", &a, &b, &c, &d, &tail) == 4 && a == 127 &&
                  b >= 0 && b < 256 && c >= 0 && c < 256 && d >= 0 && d < 256;
        }
    }
    curl_free(host);
    curl_url_cleanup(u);
    return yes;
}

int
ia_http_url_is_metadata(const char *url)
{
    char *scheme = NULL, *host = NULL;
    int yes = 0;
    CURLU *u = curl_url();
    if (!u)
        IA_BUG("curl_url failed");
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        yes = strcmp(scheme, "http") == 0 &&
              (strcmp(host, "169.254.169.254") == 0 || strcmp(host, "169.254.170.2") == 0);
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return yes;
}
