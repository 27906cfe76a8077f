/*
 * Credentials and the providers that find them. A provider fetches credentials and
 * caches them, refreshing temporary ones before they expire. Secrets live only in
 * struct ia_creds, which is wiped with ia_creds_release.
 */
#ifndef IA_COLLECTOR_CREDS_H
#define IA_COLLECTOR_CREDS_H

#include <pthread.h>
#include <time.h>

#include "core/err.h"

struct ia_creds {
    char access_key_id[128];
    char secret_access_key[128]; /* secret: never logged, stored or put in a message */
    char session_token[4096];    /* secret; "" for long-term keys */
    time_t expiration;           /* 0 for credentials that do not expire */
    char source[160];            /* where they came from, e.g. "profile audit (assume-role)" */
};

/* Wipe every secret in c (OPENSSL_cleanse). NULL-safe. */
void ia_creds_release(struct ia_creds *c);

/* Fetch fresh credentials into *out (written only on success). */
typedef enum ia_code (*ia_creds_fetch_fn)(void *impl, struct ia_creds *out, struct ia_err *err);
typedef void (*ia_creds_destroy_fn)(void *impl);

/* Refresh temporary credentials this many seconds before they expire. */
#define IA_CREDS_REFRESH_MARGIN 300

struct ia_creds_provider {
    char name[64]; /* "environment", "assume-role", ... */
    ia_creds_fetch_fn fetch;
    ia_creds_destroy_fn destroy; /* frees impl; may be NULL */
    void *impl;
    pthread_mutex_t mu;
    struct ia_creds cached;
    int have_cached;
};

/* New provider around fetch/impl (steals impl: destroy frees it). Free with _free. */
struct ia_creds_provider *ia_creds_provider_new(const char *name, ia_creds_fetch_fn fetch,
                                                ia_creds_destroy_fn destroy, void *impl);
/* Wipes the cache, destroys impl. NULL-safe. */
void ia_creds_provider_free(struct ia_creds_provider *p);

/*
 * Copy current credentials into *out (caller wipes with ia_creds_release), fetching or
 * refreshing when none are cached or they expire within IA_CREDS_REFRESH_MARGIN.
 * Thread-safe.
 */
IA_MUST_USE enum ia_code ia_creds_get(struct ia_creds_provider *p, struct ia_creds *out,
                                      struct ia_err *err);

/* A provider that always returns a copy of c (for tests and static keys). */
struct ia_creds_provider *ia_creds_static_new(const struct ia_creds *c);

#endif
