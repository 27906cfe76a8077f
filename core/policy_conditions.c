/* IAM policy grammar: the condition helpers (MFA required, pins, values of a key). */
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

/* ---- conditions ---------------------------------------------------------------------------- */

/* A condition as text, loaded within the same bounds; NULL when absent or unusable. */
static json_t *
load_condition(const char *cond_json)
{
    json_t *c = NULL;

    if (!cond_json)
        return NULL;
    if (ia_pol_load_json(cond_json, strlen(cond_json), "condition", &c, NULL, NULL) != IA_OK)
        return NULL;
    if (!json_is_object(c)) {
        json_decref(c);
        return NULL;
    }
    return c;
}

/* An operator split into its set prefix, base name and IfExists suffix. */
struct op {
    char base[64];
    int any;       /* ForAnyValue: */
    int all;       /* ForAllValues: */
    int if_exists; /* ...IfExists */
};

static int
split_op(const char *name, struct op *o)
{
    size_t n;

    memset(o, 0, sizeof(*o));
    if (strncmp(name, "ForAnyValue:", 12) == 0) {
        o->any = 1;
        name += 12;
    } else if (strncmp(name, "ForAllValues:", 13) == 0) {
        o->all = 1;
        name += 13;
    }
    n = strlen(name);
    if (n > 8 && strcmp(name + n - 8, "IfExists") == 0) {
        o->if_exists = 1;
        n -= 8;
    }
    if (n >= sizeof(o->base))
        return -1;
    memcpy(o->base, name, n);
    o->base[n] = '\0';
    return 0;
}

static int
is_true_value(const json_t *v)
{
    return json_is_true(v) || (json_is_string(v) && strcasecmp(json_string_value(v), "true") == 0);
}

static int
is_false_value(const json_t *v)
{
    return json_is_false(v) ||
           (json_is_string(v) && strcasecmp(json_string_value(v), "false") == 0);
}

/* pred holds for v, or v is a non-empty array and pred holds for every item. */
static int
all_values(const json_t *v, int (*pred)(const json_t *))
{
    size_t i;
    if (!json_is_array(v))
        return pred(v);
    if (json_array_size(v) == 0)
        return 0;
    for (i = 0; i < json_array_size(v); i++)
        if (!pred(json_array_get(v, i)))
            return 0;
    return 1;
}

static int
is_bound_value(const json_t *v)
{
    return json_is_number(v) || (json_is_string(v) && json_string_length(v) > 0);
}

#define MFA_PRESENT "aws:MultiFactorAuthPresent"
#define MFA_AGE "aws:MultiFactorAuthAge"

enum ia_policy_mfa
ia_policy_condition_requires_mfa(const char *cond_json)
{
    json_t *c = load_condition(cond_json), *keys, *v;
    const char *opname, *key;
    int required = 0, if_exists = 0;

    json_object_foreach(c, opname, keys)
    {
        struct op o;
        int weak;

        if (split_op(opname, &o) != 0 || !json_is_object(keys))
            continue;
        weak = o.if_exists || o.all;
        json_object_foreach(keys, key, v)
        {
            int hit = 0;
            if (strcasecmp(key, MFA_PRESENT) == 0 && strcmp(o.base, "Bool") == 0)
                hit = all_values(v, is_true_value);
            else if (strcasecmp(key, MFA_AGE) == 0 &&
                     (strcmp(o.base, "NumericLessThan") == 0 ||
                      strcmp(o.base, "NumericLessThanEquals") == 0))
                hit = all_values(v, is_bound_value);
            else if (strcasecmp(key, MFA_AGE) == 0 && strcmp(o.base, "Null") == 0 && !weak &&
                     !o.any)
                hit = all_values(v, is_false_value);
            if (hit && weak)
                if_exists = 1;
            else if (hit)
                required = 1;
        }
    }
    json_decref(c);
    if (required)
        return IA_POLICY_MFA_REQUIRED;
    return if_exists ? IA_POLICY_MFA_IF_EXISTS_ONLY : IA_POLICY_MFA_NONE;
}

enum ia_policy_mfa
ia_policy_deny_requires_mfa(const char *cond_json)
{
    json_t *c = load_condition(cond_json), *keys, *v;
    const char *opname, *key;
    enum ia_policy_mfa result = IA_POLICY_MFA_NONE;
    struct op o;
    void *it;
    int fires_when_absent;

    if (!c || json_object_size(c) != 1)
        goto out;
    it = json_object_iter(c);
    opname = json_object_iter_key(it);
    keys = json_object_iter_value(it);
    if (split_op(opname, &o) != 0 || !json_is_object(keys) || json_object_size(keys) != 1)
        goto out;
    it = json_object_iter(keys);
    key = json_object_iter_key(it);
    v = json_object_iter_value(it);
    fires_when_absent = o.if_exists || o.all;
    if (strcasecmp(key, MFA_PRESENT) == 0 && strcmp(o.base, "Bool") == 0 &&
        all_values(v, is_false_value)) {
        /* Without IfExists, long-term keys (key absent) are not denied. */
        result = fires_when_absent ? IA_POLICY_MFA_REQUIRED : IA_POLICY_MFA_IF_EXISTS_ONLY;
    } else if (strcasecmp(key, MFA_AGE) == 0 &&
               (strcmp(o.base, "NumericGreaterThan") == 0 ||
                strcmp(o.base, "NumericGreaterThanEquals") == 0) &&
               all_values(v, is_bound_value)) {
        /* Without IfExists every request without MFA (age absent) passes. */
        result = fires_when_absent ? IA_POLICY_MFA_REQUIRED : IA_POLICY_MFA_NONE;
    } else if (strcasecmp(key, MFA_AGE) == 0 && strcmp(o.base, "Null") == 0 && !fires_when_absent &&
               !o.any && all_values(v, is_true_value)) {
        result = IA_POLICY_MFA_REQUIRED;
    }
out:
    json_decref(c);
    return result;
}

enum pin_shape { PIN_PLAIN, PIN_ARN, PIN_ORG_PATHS, PIN_USERID };

static const struct {
    const char *key;
    unsigned flag;
    enum pin_shape shape;
} s_pins[] = {
    { "aws:PrincipalOrgID", IA_POLICY_PIN_PRINCIPAL_ORG_ID, PIN_PLAIN },
    { "aws:PrincipalAccount", IA_POLICY_PIN_PRINCIPAL_ACCOUNT, PIN_PLAIN },
    { "aws:PrincipalArn", IA_POLICY_PIN_PRINCIPAL_ARN, PIN_ARN },
    { "aws:SourceAccount", IA_POLICY_PIN_SOURCE_ACCOUNT, PIN_PLAIN },
    { "aws:SourceArn", IA_POLICY_PIN_SOURCE_ARN, PIN_ARN },
    { "sts:ExternalId", IA_POLICY_PIN_EXTERNAL_ID, PIN_PLAIN },
    { "aws:PrincipalOrgPaths", IA_POLICY_PIN_PRINCIPAL_ORG_PATHS, PIN_ORG_PATHS },
    { "aws:userid", IA_POLICY_PIN_USERID, PIN_USERID },
    { "aws:username", IA_POLICY_PIN_USERNAME, PIN_PLAIN },
};

static const char *const s_pin_ops[] = { "StringEquals", "StringEqualsIgnoreCase", "StringLike",
                                         "ArnEquals", "ArnLike" };

static int
concrete(const json_t *v, enum pin_shape shape)
{
    const char *s, *w;
    struct arn a;
    int i;

    if (json_is_integer(v))
        return 1;
    if (!json_is_string(v) || json_string_length(v) == 0)
        return 0;
    s = json_string_value(v);
    w = strpbrk(s, "*?");
    if (!w)
        return 1;
    switch (shape) {
    case PIN_ARN:
        /* Literal partition, service, region and a 12-digit account; wildcards only after. */
        if (ia_pol_split_arn(s, &a) != 0 || !ia_pol_is_account_id(a.f[4], a.l[4]))
            return 0;
        for (i = 0; i < 5; i++)
            if (memchr(a.f[i], '*', a.l[i]) || memchr(a.f[i], '?', a.l[i]))
                return 0;
        return 1;
    case PIN_ORG_PATHS: {
        /* "o-<id>/..." with the first wildcard after the organisation id. */
        const char *slash = strchr(s, '/');
        return strncmp(s, "o-", 2) == 0 && slash && slash > s + 2 && w > slash;
    }
    case PIN_USERID: {
        /* "AROA...:*" is the usual way to pin a role (any session) by its unique id. */
        const char *colon = strchr(s, ':');
        return colon && colon > s && w > colon;
    }
    case PIN_PLAIN: break;
    }
    return 0;
}

static int
all_concrete(const json_t *v, enum pin_shape shape)
{
    size_t i;
    if (!json_is_array(v))
        return concrete(v, shape);
    if (json_array_size(v) == 0)
        return 0;
    for (i = 0; i < json_array_size(v); i++)
        if (!concrete(json_array_get(v, i), shape))
            return 0;
    return 1;
}

unsigned
ia_policy_condition_pins(const char *cond_json)
{
    json_t *c = load_condition(cond_json), *keys, *v;
    const char *opname, *key;
    unsigned flags = 0;
    size_t i;

    json_object_foreach(c, opname, keys)
    {
        struct op o;
        int positive = 0;

        if (split_op(opname, &o) != 0 || o.all || o.if_exists || !json_is_object(keys))
            continue;
        for (i = 0; i < IA_ARRAY_LEN(s_pin_ops); i++)
            positive |= strcmp(o.base, s_pin_ops[i]) == 0;
        if (!positive)
            continue;
        json_object_foreach(keys, key, v)
        {
            for (i = 0; i < IA_ARRAY_LEN(s_pins); i++)
                if (strcasecmp(key, s_pins[i].key) == 0 && all_concrete(v, s_pins[i].shape))
                    flags |= s_pins[i].flag;
        }
    }
    json_decref(c);
    return flags;
}

char **
ia_policy_condition_values(const char *cond_json, const char *key)
{
    json_t *c = load_condition(cond_json), *keys, *v;
    const char *opname, *k;
    char **out = NULL;
    size_t n = 0, alloc = 0, i;
    int found = 0;

    json_object_foreach(c, opname, keys)
    {
        struct op o;
        if (split_op(opname, &o) != 0 || o.all || o.if_exists || !json_is_object(keys) ||
            (strcmp(o.base, "StringEquals") != 0 && strcmp(o.base, "StringEqualsIgnoreCase") != 0 &&
             strcmp(o.base, "StringLike") != 0))
            continue;
        json_object_foreach(keys, k, v)
        {
            if (strcasecmp(k, key) != 0)
                continue;
            found = 1;
            for (i = 0; i < (json_is_array(v) ? json_array_size(v) : 1); i++) {
                const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;
                char num[32];
                const char *text = NULL;
                if (json_is_string(e)) {
                    text = json_string_value(e);
                } else if (json_is_integer(e)) {
                    snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(e));
                    text = num;
                }
                if (!text)
                    continue;
                out = ia_xgrow(out, n + 2, &alloc, sizeof(*out));
                out[n++] = ia_xstrdup(text);
            }
        }
    }
    json_decref(c);
    if (!found)
        return NULL;
    if (!out)
        out = ia_xcalloc(1, sizeof(*out));
    out[n] = NULL;
    return out;
}

void
ia_policy_strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}
