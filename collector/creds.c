#include "collector/creds.h"

#include <stdlib.h>
#include <string.h>

#include "collector/crypto.h"
#include "core/clock.h"
#include "core/mem.h"

void
ia_creds_release(struct ia_creds *c)
{
    if (c)
        ia_crypto_cleanse(c, sizeof(*c));
}

struct ia_creds_provider *
ia_creds_provider_new(const char *name, ia_creds_fetch_fn fetch, ia_creds_destroy_fn destroy,
                      void *impl)
{
    struct ia_creds_provider *p = ia_xcalloc(1, sizeof(*p));
    size_t n = strnlen(name, sizeof(p->name) - 1);
    memcpy(p->name, name, n);
    p->fetch = fetch;
    p->destroy = destroy;
    p->impl = impl;
    pthread_mutex_init(&p->mu, NULL);
    return p;
}

void
ia_creds_provider_free(struct ia_creds_provider *p)
{
    if (!p)
        return;
    ia_creds_release(&p->cached);
    if (p->destroy)
        p->destroy(p->impl);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

enum ia_code
ia_creds_get(struct ia_creds_provider *p, struct ia_creds *out, struct ia_err *err)
{
    enum ia_code rc = IA_OK;
    pthread_mutex_lock(&p->mu);
    int stale =
        !p->have_cached ||
        (p->cached.expiration && p->cached.expiration - IA_CREDS_REFRESH_MARGIN <= ia_time_now());
    if (stale) {
        struct ia_creds fresh;
        memset(&fresh, 0, sizeof(fresh));
        rc = p->fetch(p->impl, &fresh, err);
        if (rc == IA_OK) {
            ia_creds_release(&p->cached);
            p->cached = fresh;
            p->have_cached = 1;
        }
        ia_creds_release(&fresh);
    }
    if (rc == IA_OK)
        *out = p->cached;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

static enum ia_code
static_fetch(void *impl, struct ia_creds *out, struct ia_err *err)
{
    (void)err;
    *out = *(const struct ia_creds *)impl;
    return IA_OK;
}

static void
static_destroy(void *impl)
{
    ia_creds_release(impl);
    free(impl);
}

struct ia_creds_provider *
ia_creds_static_new(const struct ia_creds *c)
{
    struct ia_creds *copy = ia_xmalloc(sizeof(*copy));
    *copy = *c;
    return ia_creds_provider_new("static", static_fetch, static_destroy, copy);
}
