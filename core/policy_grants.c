/*
 * What permission policies grant, by AWS's action catalogue: side effects and sensitive reads,
 * grants of one action, actions AWS does not publish, and the raw scan that finds a "*"
 * principal in a trust policy too broken to parse.
 */
#include "core/policy.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/actions.h"
#include "core/buf.h"
#include "core/glob.h"
#include "core/mem.h"
#include "core/policy_int.h"

/* ---- side effects -------------------------------------------------------------------------- */

/*
 * Sensitive reads and escalation paths: AWS calls most of them Read or List, but reading
 * them from a read-only role is a finding (docs/rules.md lists and explains them).
 */
static const char *const s_sensitive[] = {
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
    "ssm:DescribeParameters",
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "redshift:GetClusterCredentials",
    "lightsail:GetInstanceAccessDetails",
    "sts:AssumeRole",
    "iam:PassRole",
};

static int
is_sensitive(const char *action)
{
    for (size_t i = 0; i < IA_ARRAY_LEN(s_sensitive); i++)
        if (strcasecmp(s_sensitive[i], action) == 0)
            return 1;
    return 0;
}

/* The Deny statements that may cancel an Allow: unconditional, on every resource. */
struct denies {
    const struct ia_policy_statement **v;
    size_t n, alloc;
};

static int
deny_applies(const struct ia_policy_statement *s)
{
    size_t i;
    if (s->effect != IA_POLICY_DENY || s->condition || s->not_resource)
        return 0;
    for (i = 0; i < s->n_resources; i++)
        if (ia_glob_covers(s->resources[i], "arn:*") == 1)
            return 1;
    return 0;
}

static int
any_matches(char *const *patterns, size_t n, const char *action)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (ia_glob_match(patterns[i], action))
            return 1;
    return 0;
}

static int
denied_action(const struct denies *d, const char *action)
{
    size_t i;
    for (i = 0; i < d->n; i++) {
        const struct ia_policy_statement *s = d->v[i];
        if (any_matches(s->actions, s->n_actions, action) != s->not_action)
            return 1;
    }
    return 0;
}

/* Every item found (uncapped until the end, so that side effects can come first). */
struct report {
    struct ia_side_effect *v;
    size_t n, alloc;
};

/* One Allow statement's expansion against the catalogue. */
struct expand {
    const struct ia_policy_statement *s;
    size_t doc;
    const struct denies *d;
    struct report *rep;
    const char *pattern; /* the Allow pattern, or the NotAction list as JSON */
    ia_policy_action_pred pred;
    void *pred_ctx;
};

static int
pred_side_effect(void *ctx, const char *action, enum ia_access_level level)
{
    (void)ctx;
    return is_sensitive(action) || ia_access_level_changes(level);
}

static void
report_action(void *ctx, const char *action, enum ia_access_level level)
{
    struct expand *x = ctx;
    if (x->s->not_action && any_matches(x->s->actions, x->s->n_actions, action))
        return; /* excluded by the NotAction list */
    if (!x->pred(x->pred_ctx, action, level) || denied_action(x->d, action))
        return;
    x->rep->v = ia_xgrow(x->rep->v, x->rep->n + 1, &x->rep->alloc, sizeof(*x->rep->v));
    struct ia_side_effect *it = &x->rep->v[x->rep->n++];
    it->doc_index = x->doc;
    it->statement_index = x->s->index;
    it->kind = ia_access_level_changes(level) ? IA_SIDE_EFFECT_WRITE : IA_SIDE_EFFECT_SENSITIVE;
    it->not_action = x->s->not_action;
    it->pattern = ia_xstrdup(x->pattern);
    it->matched = ia_xstrdup(action);
    it->level = ia_access_level_name(level);
}

/*
 * Each action an Allow grants, taken from AWS's catalogue: its patterns expanded against
 * the real list of actions (an action AWS does not publish grants nothing), or, for
 * NotAction, every catalogue action none of its patterns matches.
 */
static void
allow_effects(const struct ia_policy_statement *s, size_t doc, const struct denies *d,
              struct report *rep, ia_policy_action_pred pred, void *pred_ctx)
{
    struct expand x = { s, doc, d, rep, NULL, pred, pred_ctx };
    if (s->not_action) {
        struct strv sv = { 0 };
        for (size_t i = 0; i < s->n_actions; i++)
            ia_pol_strv_push(&sv, s->actions[i]);
        char *list = ia_pol_strv_json(&sv);
        x.pattern = list;
        ia_actions_expand("*", report_action, &x);
        free(list);
        ia_pol_strv_release(&sv);
        return;
    }
    for (size_t i = 0; i < s->n_actions; i++) {
        x.pattern = s->actions[i];
        ia_actions_expand(s->actions[i], report_action, &x);
    }
}

/* Side effects first, then sensitive reads, each in document and expansion order. */
static void
side_effects_first(struct report *rep)
{
    struct ia_side_effect *v = ia_xcalloc(rep->n ? rep->n : 1, sizeof(*v));
    size_t k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < rep->n; i++)
            if ((rep->v[i].kind == IA_SIDE_EFFECT_WRITE) == (pass == 0))
                v[k++] = rep->v[i];
    free(rep->v);
    rep->v = v;
    rep->alloc = rep->n;
}

enum ia_code
ia_policy_side_effects(const char *const *docs, size_t n_docs, struct ia_side_effect_report *out,
                       struct ia_err *err)
{
    return ia_policy_grants_matching(docs, n_docs, pred_side_effect, NULL, out, err);
}

enum ia_code
ia_policy_grants_matching(const char *const *docs, size_t n_docs, ia_policy_action_pred pred,
                          void *pred_ctx, struct ia_side_effect_report *out, struct ia_err *err)
{
    struct ia_policy **pols = ia_xcalloc(n_docs ? n_docs : 1, sizeof(*pols));
    struct denies d = { 0 };
    struct report rep = { 0 };
    enum ia_code rc = IA_ERR_PARSE;
    size_t i, j;

    IA_ASSERT(out != NULL && (docs || !n_docs));
    for (i = 0; i < n_docs; i++) {
        IA_ASSERT(docs[i] != NULL);
        rc = ia_policy_parse(docs[i], strlen(docs[i]), &pols[i], err);
        if (rc != IA_OK) {
            ia_err_prefix(err, "policy %zu: ", i);
            goto out;
        }
    }
    for (i = 0; i < n_docs; i++) {
        for (j = 0; j < pols[i]->n_statements; j++) {
            const struct ia_policy_statement *s = &pols[i]->statements[j];
            if (deny_applies(s)) {
                d.v = ia_xgrow(d.v, d.n + 1, &d.alloc, sizeof(*d.v));
                d.v[d.n++] = s;
            }
        }
    }
    for (i = 0; i < n_docs; i++)
        for (j = 0; j < pols[i]->n_statements; j++)
            if (pols[i]->statements[j].effect == IA_POLICY_ALLOW)
                allow_effects(&pols[i]->statements[j], i, &d, &rep, pred, pred_ctx);
    /* Side effects first; one item per (statement, pattern, action); keep the first few. */
    side_effects_first(&rep);
    memset(out, 0, sizeof(*out));
    out->n_total = rep.n;
    out->n_items = rep.n < IA_POLICY_MAX_SIDE_EFFECTS ? rep.n : IA_POLICY_MAX_SIDE_EFFECTS;
    for (i = out->n_items; i < rep.n; i++) {
        free(rep.v[i].pattern);
        free(rep.v[i].matched);
    }
    out->items = rep.v;
    rep.v = NULL;
    rep.n = 0;
    rc = IA_OK;
out:
    for (i = 0; i < rep.n; i++) {
        free(rep.v[i].pattern);
        free(rep.v[i].matched);
    }
    free(rep.v);
    free(d.v);
    for (i = 0; i < n_docs; i++)
        ia_policy_free(pols[i]);
    free(pols);
    return rc;
}

void
ia_policy_side_effect_report_release(struct ia_side_effect_report *report)
{
    size_t i;
    if (!report)
        return;
    for (i = 0; i < report->n_items; i++) {
        free(report->items[i].pattern);
        free(report->items[i].matched);
    }
    free(report->items);
    memset(report, 0, sizeof(*report));
}

enum ia_code
ia_policy_unknown_actions(const char *doc, char ***out, size_t *n_out, struct ia_err *err)
{
    struct ia_policy *pol = NULL;
    char **v = NULL;
    size_t n = 0, alloc = 0;
    enum ia_code rc = ia_policy_parse(doc, strlen(doc), &pol, err);
    if (rc != IA_OK)
        return rc;
    for (size_t i = 0; i < pol->n_statements; i++) {
        const struct ia_policy_statement *st = &pol->statements[i];
        if (st->effect != IA_POLICY_ALLOW || st->not_action)
            continue;
        for (size_t k = 0; k < st->n_actions; k++) {
            if (ia_actions_expand(st->actions[k], NULL, NULL) != 0)
                continue;
            v = ia_xgrow(v, n + 1, &alloc, sizeof(*v));
            v[n++] = ia_xstrdup(st->actions[k]);
        }
    }
    ia_policy_free(pol);
    *out = v;
    *n_out = n;
    return IA_OK;
}

/* ---- Grants -------------------------------------------------------------------------------- */

static int
resource_allowed(const struct ia_policy_statement *s, const char *resource)
{
    if (!resource || s->n_resources == 0)
        return 1;
    return any_matches(s->resources, s->n_resources, resource) != s->not_resource;
}

void
ia_policy_grants(const struct ia_policy *const *pols, size_t n_pols, const char *action,
                 const char *resource, struct ia_policy_grants *out)
{
    struct denies d = { 0 };
    size_t i, j, k, alloc = 0;

    IA_ASSERT(out && action && (pols || !n_pols));
    memset(out, 0, sizeof(*out));
    for (i = 0; i < n_pols; i++)
        for (j = 0; j < pols[i]->n_statements; j++)
            if (deny_applies(&pols[i]->statements[j])) {
                d.v = ia_xgrow(d.v, d.n + 1, &d.alloc, sizeof(*d.v));
                d.v[d.n++] = &pols[i]->statements[j];
            }
    if (denied_action(&d, action))
        goto out;
    for (i = 0; i < n_pols; i++) {
        for (j = 0; j < pols[i]->n_statements; j++) {
            const struct ia_policy_statement *s = &pols[i]->statements[j];
            const char *hit = NULL;
            if (s->effect != IA_POLICY_ALLOW || !resource_allowed(s, resource))
                continue;
            if (s->not_action) {
                if (any_matches(s->actions, s->n_actions, action))
                    continue;
            } else {
                for (k = 0; k < s->n_actions && !hit; k++)
                    if (ia_glob_match(s->actions[k], action))
                        hit = s->actions[k];
                if (!hit)
                    continue;
            }
            out->items = ia_xgrow(out->items, out->n + 1, &alloc, sizeof(*out->items));
            struct ia_policy_grant *g = &out->items[out->n++];
            g->doc_index = i;
            g->statement_index = s->index;
            g->not_action = s->not_action;
            if (hit) {
                g->pattern = ia_xstrdup(hit);
            } else {
                struct strv sv = { 0 };
                for (k = 0; k < s->n_actions; k++)
                    ia_pol_strv_push(&sv, s->actions[k]);
                g->pattern = ia_pol_strv_json(&sv);
                ia_pol_strv_release(&sv);
            }
        }
    }
out:
    free(d.v);
}

void
ia_policy_grants_release(struct ia_policy_grants *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++)
        free(g->items[i].pattern);
    free(g->items);
    memset(g, 0, sizeof(*g));
}

/* ---- Raw scan ------------------------------------------------------------------------------ */

/* A byte reader over raw or URL-encoded text (as ia_policy_decode would decode it). */
struct raw_reader {
    const unsigned char *p, *end;
    int encoded;
};

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The next decoded byte, or -1 at the end. A malformed escape is read as its bytes. */
static int
raw_next(struct raw_reader *r)
{
    if (r->p >= r->end)
        return -1;
    if (r->encoded && r->p[0] == '%' && r->end - r->p >= 3 && hexval(r->p[1]) >= 0 &&
        hexval(r->p[2]) >= 0) {
        int c = hexval(r->p[1]) * 16 + hexval(r->p[2]);
        r->p += 3;
        return c;
    }
    return *r->p++;
}

/*
 * Read a JSON string whose opening quote was consumed; keep its first cap-1 decoded bytes
 * (escapes \" \\ \/ and \u00XX decoded; other \u escapes kept as '?') in out. Returns the
 * decoded length (possibly more than kept), or -1 if the text ends first.
 */
static long
raw_string(struct raw_reader *r, char *out, size_t cap)
{
    size_t n = 0;
    int c;
    while ((c = raw_next(r)) >= 0) {
        if (c == '"') {
            out[n < cap ? n : cap - 1] = '\0';
            return (long)n;
        }
        if (c == '\\') {
            c = raw_next(r);
            if (c < 0)
                return -1;
            if (c == 'u') {
                int v = 0;
                for (int i = 0; i < 4; i++) {
                    int h = hexval(raw_next(r));
                    v = h < 0 || v < 0 ? -1 : v * 16 + h;
                }
                c = v >= 0 && v < 0x80 ? v : '?';
            }
        }
        if (n + 1 < cap)
            out[n] = (char)c;
        n++;
    }
    return -1;
}

int
ia_policy_raw_wildcard_principal(const char *text, size_t len)
{
    char tok[16];
    int c, after_key = 0; /* 1: a Principal key was read; 2: its ':' too */
    size_t depth = 0;     /* nesting inside a Principal value (0: not inside one) */

    if (!text)
        return 0;
    struct raw_reader r = { (const unsigned char *)text, (const unsigned char *)text + len, 0 };
    while (r.p < r.end && (*r.p == ' ' || *r.p == '\t' || *r.p == '\n' || *r.p == '\r'))
        r.p++;
    r.encoded = r.p < r.end && *r.p != '{';
    while ((c = raw_next(&r)) >= 0) {
        if (c == '"') {
            long n = raw_string(&r, tok, sizeof(tok));
            if (n < 0)
                return 0;
            if ((after_key == 2 || depth > 0) && n == 1 && tok[0] == '*')
                return 1;
            if (after_key) {
                /* after ':', a plain string value that was not "*"; before it, "Principal"
                 * was a value, not a key */
                after_key = 0;
                continue;
            }
            if (depth == 0 && (size_t)n < sizeof(tok) &&
                (strcasecmp(tok, "Principal") == 0 || strcasecmp(tok, "NotPrincipal") == 0))
                after_key = 1;
            continue;
        }
        if (c == ':' && after_key == 1) {
            after_key = 2;
        } else if (c == '{' || c == '[') {
            if (after_key == 2 || depth > 0)
                depth++;
            after_key = 0;
        } else if (c == '}' || c == ']') {
            if (depth > 0)
                depth--;
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            after_key = 0; /* a number, literal or ',' where a value or ':' was due */
        }
    }
    return 0;
}
