#include "collector/retry.h"

#include <string.h>

/* botocore retryhandler/standard.py and Go v2 aws/retry: the same lists. */
static const char *const s_throttle_codes[] = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};

static const char *const s_transient_codes[] = {
    "RequestTimeout",  "RequestTimeoutException", "InternalError",
    "InternalFailure", "ServiceUnavailable",      "IDPCommunicationError",
};

static const char *const s_skew_codes[] = {
    "RequestTimeTooSkewed",  "RequestExpired", "InvalidSignatureException",
    "SignatureDoesNotMatch", "AuthFailure",    "RequestInTheFuture",
};

static int
in_list(const char *code, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(code, list[i]) == 0)
            return 1;
    return 0;
}

int
ia_retry_is_throttle_code(const char *aws_code)
{
    return aws_code && in_list(aws_code, s_throttle_codes,
                               sizeof(s_throttle_codes) / sizeof(s_throttle_codes[0]));
}

enum ia_retry_kind
ia_retry_classify(enum ia_code rc, long status, const char *aws_code)
{
    if (rc == IA_ERR_TIMEOUT)
        return IA_RETRY_TIMEOUT;
    if (rc == IA_ERR_NET)
        return IA_RETRY_TRANSIENT;
    if (rc != IA_OK && rc != IA_ERR_AWS && rc != IA_ERR_HTTP && rc != IA_ERR_PARSE)
        return IA_RETRY_NO;
    if (aws_code && *aws_code) {
        if (ia_retry_is_throttle_code(aws_code))
            return IA_RETRY_THROTTLE;
        /* IAM's LimitExceeded (409) is a quota, not throttling: retrying cannot help. */
        if (in_list(aws_code, s_transient_codes,
                    sizeof(s_transient_codes) / sizeof(s_transient_codes[0])))
            return IA_RETRY_TRANSIENT;
        if (in_list(aws_code, s_skew_codes, sizeof(s_skew_codes) / sizeof(s_skew_codes[0])))
            return IA_RETRY_SKEW;
    }
    if (status == 429)
        return IA_RETRY_THROTTLE;
    if (status == 500 || status == 502 || status == 503 || status == 504)
        return IA_RETRY_TRANSIENT;
    /* A 200 whose body would not parse (truncated by a proxy) is worth another try. */
    if (rc == IA_ERR_PARSE && status >= 200 && status < 300)
        return IA_RETRY_TRANSIENT;
    return IA_RETRY_NO;
}

uint64_t
ia_retry_backoff_ms(const struct ia_retry_policy *p, int attempt, double r01, long retry_after_ms)
{
    if (retry_after_ms >= 0)
        return (uint64_t)retry_after_ms < p->max_backoff_ms ? (uint64_t)retry_after_ms
                                                            : p->max_backoff_ms;
    int exp = attempt - 2;
    if (exp < 0)
        exp = 0;
    double cap = (double)p->base_ms;
    for (int i = 0; i < exp && cap < p->max_backoff_ms; i++)
        cap *= 2;
    if (cap > p->max_backoff_ms)
        cap = p->max_backoff_ms;
    if (r01 < 0)
        r01 = 0;
    if (r01 >= 1)
        r01 = 0.999999;
    return (uint64_t)(r01 * cap);
}

void
ia_retry_quota_init(struct ia_retry_quota *q)
{
    pthread_mutex_init(&q->mu, NULL);
    q->tokens = q->max_tokens = IA_RETRY_QUOTA_MAX;
}

void
ia_retry_quota_release(struct ia_retry_quota *q)
{
    if (q)
        pthread_mutex_destroy(&q->mu);
}

int
ia_retry_quota_acquire(struct ia_retry_quota *q, enum ia_retry_kind kind)
{
    int cost = kind == IA_RETRY_TIMEOUT ? IA_RETRY_TIMEOUT_COST : IA_RETRY_COST;
    pthread_mutex_lock(&q->mu);
    if (q->tokens < cost)
        cost = 0;
    else
        q->tokens -= cost;
    pthread_mutex_unlock(&q->mu);
    return cost;
}

void
ia_retry_quota_success(struct ia_retry_quota *q, int cost)
{
    pthread_mutex_lock(&q->mu);
    q->tokens += cost > 0 ? cost : 1;
    if (q->tokens > q->max_tokens)
        q->tokens = q->max_tokens;
    pthread_mutex_unlock(&q->mu);
}

void
ia_rate_limiter_init(struct ia_rate_limiter *l)
{
    memset(l, 0, sizeof(*l));
    pthread_mutex_init(&l->mu, NULL);
}

void
ia_rate_limiter_release(struct ia_rate_limiter *l)
{
    if (l)
        pthread_mutex_destroy(&l->mu);
}

uint64_t
ia_rate_limiter_reserve(struct ia_rate_limiter *l, uint64_t now_ms)
{
    uint64_t wait = 0;
    pthread_mutex_lock(&l->mu);
    if (l->active) {
        uint64_t slot = l->next_slot_ms > now_ms ? l->next_slot_ms : now_ms;
        wait = slot - now_ms;
        l->next_slot_ms = slot + (uint64_t)(1000.0 / l->rate);
    }
    pthread_mutex_unlock(&l->mu);
    return wait;
}

void
ia_rate_limiter_on_throttle(struct ia_rate_limiter *l, double recent_rate)
{
    pthread_mutex_lock(&l->mu);
    if (!l->active) {
        l->active = 1;
        l->rate = recent_rate > 1.0 ? recent_rate : 10.0;
    }
    l->rate *= 0.7;
    if (l->rate < 0.5)
        l->rate = 0.5;
    pthread_mutex_unlock(&l->mu);
}

void
ia_rate_limiter_on_success(struct ia_rate_limiter *l)
{
    pthread_mutex_lock(&l->mu);
    if (l->active) {
        l->rate *= 1.05;
        if (l->rate > 200.0)
            l->active = 0;
    }
    pthread_mutex_unlock(&l->mu);
}
