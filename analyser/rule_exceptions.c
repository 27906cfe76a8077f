/*
 * Exceptions: exception-expired, exception-unused. They run after the exceptions have been
 * applied to every other finding (analyse.c), since "unused" depends on what was matched.
 */
#include <string.h>

#include "analyser/internal.h"
#include "core/buf.h"

/* Decides one rule for one exception. */
typedef void exception_check_fn(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                                const struct ia_exception *e, const char *resource, json_t *ev);

static enum ia_code
walk_exceptions(struct ia_an_ctx *ctx, const struct ia_rule *rule, exception_check_fn *check)
{
    const struct ia_exceptions *x = ctx->exceptions;
    for (size_t i = 0; x && i < x->n; i++) {
        const struct ia_exception *e = &x->items[i];
        struct ia_buf res = IA_BUF_INIT;
        ia_buf_addf(&res, "iam-audit:exception/%s", e->name);
        json_t *rules = json_array();
        for (size_t r = 0; e->rules[r]; r++)
            json_array_append_new(rules, json_string(e->rules[r]));
        json_t *ev =
            json_pack("{s:s, s:i, s:s, s:o, s:s, s:s, s:o, s:o}", "file", x->path, "line", e->line,
                      "exception", e->name, "rules", rules, "resource", e->resource, "expires",
                      e->expires, "owner", ia_an_jstr(e->owner), "ticket", ia_an_jstr(e->ticket));
        check(ctx, rule, e, res.buf, ev);
        ia_buf_release(&res);
    }
    return IA_OK;
}

static void
expired(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_exception *e,
        const char *resource, json_t *ev)
{
    if (!e->expired) {
        json_decref(ev);
        return;
    }
    json_object_set_new(ev, "days_expired", json_integer(ia_an_days_since(ctx, e->expires)));
    ia_an_emit(ctx, rule, rule->severity, NULL, resource, NULL, ev,
               "exception %s expired on %s and no longer suppresses anything; renew or remove "
               "it",
               e->name, e->expires);
}

static void
unused(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct ia_exception *e,
       const char *resource, json_t *ev)
{
    /* An expired exception matches nothing by definition: exception-expired says so. */
    if (e->expired || e->matched != 0) {
        json_decref(ev);
        return;
    }
    ia_an_emit(ctx, rule, rule->severity, NULL, resource, NULL, ev,
               "exception %s matched no finding; remove it or fix its rule/resource", e->name);
}

enum ia_code
ia_rule_exception_expired(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    (void)err;
    return walk_exceptions(ctx, rule, expired);
}

enum ia_code
ia_rule_exception_unused(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    (void)err;
    return walk_exceptions(ctx, rule, unused);
}
