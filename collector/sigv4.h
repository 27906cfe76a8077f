/*
 * AWS Signature Version 4 (HMAC-SHA256), pure: the request, credentials and time go in,
 * the Authorization header comes out. Every step is exposed so tests can compare each
 * one with the published suite. No I/O, no clock, no logging.
 */
#ifndef IA_COLLECTOR_SIGV4_H
#define IA_COLLECTOR_SIGV4_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"

struct ia_sigv4_header {
    const char *name;  /* as sent; compared case-insensitively */
    const char *value; /* as sent; folded and trimmed when canonicalised */
};

/* A request exactly as it will go on the wire. All pointers borrowed. */
struct ia_sigv4_request {
    const char *method;                    /* "GET", "POST" */
    const char *path;                      /* raw path, may hold %XX, e.g. "/" */
    const char *query;                     /* raw query string without '?', or NULL */
    const struct ia_sigv4_header *headers; /* every header to sign, incl. Host and X-Amz-Date */
    size_t n_headers;
    const void *body;
    size_t body_len;
    int normalize_path; /* 1 for every service but S3: resolve "." and ".." and "//" */
};

struct ia_crypto_hmac;
struct ia_crypto_sha256;

#define IA_SIGV4_CACHE_SLOTS 4
#define IA_SIGV4_CACHE_SECRET_MAX 128 /* longer secrets are signed uncached */
#define IA_SIGV4_CACHE_NAME_MAX 64    /* longer regions or services likewise */

/*
 * Signing keys derived once per (secret, date, region, service) and kept, with the
 * buffers and hash context a signature needs, so that a signature under a known key
 * costs 1 HMAC instead of 5 and allocates nothing. Holds key material: the secret each
 * slot was derived from (to tell a refreshed credential apart) and the derived key, both
 * wiped by ia_sigv4_key_cache_release and on eviction. Thread-safe (one lock: signing
 * is ~0.02 ms). Caller's storage: _init / _release.
 */
struct ia_sigv4_key_cache {
    pthread_mutex_t lock;
    struct ia_sigv4_key_slot {
        char secret[IA_SIGV4_CACHE_SECRET_MAX]; /* secret; zero-padded */
        size_t secret_len;                      /* 0: slot empty */
        char date[9];                           /* YYYYMMDD */
        char region[IA_SIGV4_CACHE_NAME_MAX];
        char service[IA_SIGV4_CACHE_NAME_MAX];
        struct ia_crypto_hmac *key; /* kSigning, ready to sign */
        unsigned long used;         /* last use, for eviction */
    } slot[IA_SIGV4_CACHE_SLOTS];
    unsigned long tick;
    unsigned long derivations; /* keys derived (cache misses): tests and benchmarks read it */
    struct ia_crypto_sha256 *sha;
    struct ia_buf creq, sh, scope, sts, scratch; /* reused between signatures */
};

void ia_sigv4_key_cache_init(struct ia_sigv4_key_cache *c);
/* Wipes and frees everything; c can be initialised again. NULL-safe. */
void ia_sigv4_key_cache_release(struct ia_sigv4_key_cache *c);

/* Signing inputs. Borrowed. secret_access_key is never logged. */
struct ia_sigv4_params {
    const char *access_key_id;
    const char *secret_access_key;
    const char *region;  /* "us-east-1" */
    const char *service; /* "iam", "sts", "organizations" */
    time_t when;         /* the X-Amz-Date of the request */
    /* NULL: derive the key for this signature alone. Otherwise the key is looked up
     * (and kept) there; the signature is the same either way. */
    struct ia_sigv4_key_cache *cache;
};

/*
 * Step 1. Writes the canonical request into creq and the ';'-joined lower-case
 * signed-header list into signed_headers (both appended to, and only on success).
 * Headers with the same name are joined with ',' in the order given; values are
 * trimmed and inner runs of SP/HT folded to one SP, and an obs-fold (CRLF or LF
 * followed by SP/HT, RFC 7230 3.2.4) reads as one SP.
 * Path: normalised when req->normalize_path ("" and "." segments dropped, ".." pops
 * one, leading '/' always and trailing '/' kept, as aws-c-auth and botocore do), then
 * percent-encoded once more ('%' becomes %25: the "double encoding" every service but
 * S3 expects of an already-encoded path). NULL or "" reads as "/".
 * Query: split on '&' (empty pieces ignored), each key and value %-decoded ('+' stays
 * '+') and re-encoded with the RFC 3986 unreserved set, a key without '=' gets an
 * empty value, sorted by encoded key, then encoded value.
 * Returns IA_OK, or IA_ERR_INVALID: malformed %-escape in path or query, method or
 * header name that is not an RFC 7230 token, control character or bare line break in
 * a header value, no Host or no X-Amz-Date header. Messages never quote header values.
 */
IA_MUST_USE enum ia_code ia_sigv4_canonical_request(const struct ia_sigv4_request *req,
                                                    struct ia_buf *creq,
                                                    struct ia_buf *signed_headers,
                                                    struct ia_err *err);

/* Step 2. Credential scope "YYYYMMDD/region/service/aws4_request" appended to out. */
void ia_sigv4_scope(time_t when, const char *region, const char *service, struct ia_buf *out);
/* Step 2. String to sign for a canonical request, appended to sts. */
void ia_sigv4_string_to_sign(time_t when, const char *scope, const char *creq, struct ia_buf *sts);
/*
 * Step 3. Hex signature (64 chars + NUL) of sts. The derived keys are wiped before
 * returning. p is not validated here: ia_sigv4_authorization does that.
 */
void ia_sigv4_signature(const struct ia_sigv4_params *p, const char *sts, char out[65]);

/*
 * All steps: appends the full Authorization header value ("AWS4-HMAC-SHA256
 * Credential=..., SignedHeaders=..., Signature=...") to authz. If creq_out/sts_out
 * are not NULL the intermediate texts are appended there too. The string to sign holds
 * no secret; the canonical request holds the session token when X-Amz-Security-Token
 * is signed, so log it only through ia_sigv4_redact_creq.
 * Returns IA_OK; IA_ERR_INVALID for anything ia_sigv4_canonical_request rejects, for
 * an empty or malformed access key id, secret, region or service, a time outside
 * years 1970-9999, or an X-Amz-Date header that is not p->when. Nothing is appended
 * on failure.
 */
IA_MUST_USE enum ia_code ia_sigv4_authorization(const struct ia_sigv4_request *req,
                                                const struct ia_sigv4_params *p,
                                                struct ia_buf *authz, struct ia_buf *creq_out,
                                                struct ia_buf *sts_out, struct ia_err *err);

/*
 * Appends creq to out with the value of every x-amz-security-token canonical header
 * line replaced by "<redacted>", so the canonical request can be logged at debug level.
 */
void ia_sigv4_redact_creq(const char *creq, struct ia_buf *out);

#endif
