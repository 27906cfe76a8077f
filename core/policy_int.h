/*
 * Inside the policy grammar (core/policy*.c only): the helpers its parts share. Not for use
 * outside core/policy*.c; the API is core/policy.h.
 *   policy.c            decoding, bounded loading, statements, trust rows, permission policies
 *   policy_conditions.c the condition helpers (MFA, pins, values)
 *   policy_grants.c     what permission policies grant: side effects, grants, unknown actions,
 *                       and the raw scan of unreadable trust policies
 */
#ifndef IA_CORE_POLICY_INT_H
#define IA_CORE_POLICY_INT_H

#include <jansson.h>
#include <stddef.h>

#include "core/policy.h"

struct problems {
    struct ia_policy_problem *v;
    size_t n, alloc;
};

struct strv {
    const char **v; /* borrowed from the json_t tree */
    size_t n, alloc;
};

/* arn:partition:service:region:account:resource; the resource may contain ':'. */
struct arn {
    const char *f[6];
    size_t l[6];
};

void ia_pol_strv_push(struct strv *sv, const char *s);
void ia_pol_strv_release(struct strv *sv);
/* The strings as a compact JSON array (new string). */
char *ia_pol_strv_json(const struct strv *sv);
int ia_pol_is_account_id(const char *s, size_t n);
/* Split an ARN into its six fields (borrowed from s); -1 when it is not one. */
int ia_pol_split_arn(const char *s, struct arn *a);
/* Bounded JSON load (see policy.c); problems into pl when given. */
IA_MUST_USE enum ia_code ia_pol_load_json(const char *text, size_t len, const char *what,
                                          json_t **out, struct problems *pl, struct ia_err *err);

#endif
