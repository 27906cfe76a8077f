/*
 * The AWS SDKs' "standard" retry mode (botocore's retryhandler/standard.py, Go v2's
 * retry package), pure except for the quota's lock: classification of failures,
 * full-jitter backoff, the retry quota, and a client-side rate limiter that slows an
 * account's calls after throttling (a simplified form of the SDKs' "adaptive" mode).
 */
#ifndef IA_COLLECTOR_RETRY_H
#define IA_COLLECTOR_RETRY_H

#include <pthread.h>
#include <stdint.h>

#include "core/err.h"

enum ia_retry_kind {
    IA_RETRY_NO = 0,    /* not retryable: surface at once */
    IA_RETRY_THROTTLE,  /* throttling code: back off, slow down */
    IA_RETRY_TRANSIENT, /* 500/502/503/504, RequestTimeout, connection error */
    IA_RETRY_TIMEOUT,   /* our own transport time-out (costs more quota) */
    IA_RETRY_SKEW,      /* clock skew: correct from the server's Date and retry once */
};

struct ia_retry_policy {
    int max_attempts;        /* total attempts incl. the first; default 10 */
    uint32_t base_ms;        /* backoff base; botocore's 1000 */
    uint32_t max_backoff_ms; /* cap; botocore's 20000 */
};

#define IA_RETRY_POLICY_DEFAULT                                                                    \
    {                                                                                              \
        10, 1000, 20000                                                                            \
    }

/*
 * Classify one failed attempt. rc is the transport's result (IA_OK when an HTTP
 * response arrived), status the HTTP status, aws_code the AWS error code or "".
 */
enum ia_retry_kind ia_retry_classify(enum ia_code rc, long status, const char *aws_code);

/* True for codes the SDKs treat as throttling. */
int ia_retry_is_throttle_code(const char *aws_code);

/*
 * Delay before attempt number `attempt` (2 for the first retry): full jitter,
 * r01 * min(base * 2^(attempt-2), cap), r01 in [0,1). A non-negative retry_after_ms
 * (x-amz-retry-after) is used instead, bounded by the cap.
 */
uint64_t ia_retry_backoff_ms(const struct ia_retry_policy *p, int attempt, double r01,
                             long retry_after_ms);

/* The retry quota shared by every call of one client (botocore: 500 tokens). */
struct ia_retry_quota {
    pthread_mutex_t mu;
    int tokens;
    int max_tokens;
};

#define IA_RETRY_QUOTA_MAX 500
#define IA_RETRY_COST 5
#define IA_RETRY_TIMEOUT_COST 10

void ia_retry_quota_init(struct ia_retry_quota *q);
void ia_retry_quota_release(struct ia_retry_quota *q);
/* Take the cost of one retry of this kind; returns the cost taken, or 0 if exhausted. */
int ia_retry_quota_acquire(struct ia_retry_quota *q, enum ia_retry_kind kind);
/* After a success: refund `cost` (the last retry's), or 1 when the call did not retry. */
void ia_retry_quota_success(struct ia_retry_quota *q, int cost);

/*
 * Client-side rate limiter for one account: unlimited until the first throttle, then a
 * request rate that is cut by 30% at each throttle and grows 5% a success, until it is
 * unlimited again. One per account; safe to share between threads.
 */
struct ia_rate_limiter {
    pthread_mutex_t mu;
    int active;
    double rate;           /* requests per second allowed while active */
    uint64_t next_slot_ms; /* monotonic ms at which the next request may go */
    double observed_rate;  /* successes per second before the last throttle */
};

void ia_rate_limiter_init(struct ia_rate_limiter *l);
void ia_rate_limiter_release(struct ia_rate_limiter *l);
/* Milliseconds the caller must wait before sending at now_ms (reserves the slot). */
uint64_t ia_rate_limiter_reserve(struct ia_rate_limiter *l, uint64_t now_ms);
void ia_rate_limiter_on_throttle(struct ia_rate_limiter *l, double recent_rate);
void ia_rate_limiter_on_success(struct ia_rate_limiter *l);

#endif
