/*
 * libFuzzer target for the IAM policy grammar (core/policy.c, core/glob.c): the input is fed,
 * unterminated, to trust-row normalisation, the raw Principal scan and permission parsing (and
 * grants over the parsed policy), and NUL-terminated to the side-effect decision and the
 * condition helpers; glob invariants are checked on the input
 * split at its first newline. Seeds: tests/fuzz/corpus/policy/.
 *
 *   clang -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *       tests/fuzz/fuzz_policy.c core/policy.c core/glob.c core/buf.c core/mem.c core/err.c \
 *       -ljansson -o fuzz_policy && ./fuzz_policy tests/fuzz/corpus/policy
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/glob.h"
#include "core/mem.h"
#include "core/actions.h"
#include "core/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed second document, so explicit-Deny handling runs against every input. */
static const char s_deny[] = "{\"Statement\":[{\"Effect\":\"Deny\",\"Action\":[\"ec2:*\","
                             "\"ssm:GetParameter\"],\"Resource\":\"*\"},{\"Effect\":\"Deny\","
                             "\"NotAction\":[\"s3:Get*\",\"iam:*\"],\"Resource\":\"arn:*\"}]}";

static void
check_rows(const struct ia_trust_rows *rows)
{
    size_t i;
    for (i = 0; i < rows->n_rows; i++) {
        const struct ia_trust_row *r = &rows->rows[i];
        IA_ASSERT(r->principal_kind && r->principal && r->actions);
        IA_ASSERT(!r->principal_account || strlen(r->principal_account) == 12);
        IA_ASSERT(ia_policy_principal_type_name(r->principal_type) != NULL);
        (void)ia_policy_condition_requires_mfa(r->conditions);
        (void)ia_policy_deny_requires_mfa(r->conditions);
        (void)ia_policy_condition_pins(r->conditions);
    }
    IA_ASSERT(rows->n_problems <= IA_POLICY_MAX_PROBLEMS);
    for (i = 0; i < rows->n_problems; i++)
        IA_ASSERT(rows->problems[i].message && !strchr(rows->problems[i].message, '\n'));
}

static void
check_glob(const char *text)
{
    const char *nl = strchr(text, '\n');
    char *a;
    const char *b;
    int cv, in;

    if (!nl)
        return;
    a = ia_xstrndup(text, (size_t)(nl - text));
    b = nl + 1;
    cv = ia_glob_covers(a, b);
    in = ia_glob_intersects(a, b);
    IA_ASSERT(in == ia_glob_intersects(b, a));
    if (cv == 1)
        IA_ASSERT(in != 0); /* a pattern's language is never empty */
    if (!strpbrk(b, "*?") && cv != IA_GLOB_UNDECIDED) {
        /* Against a literal, coverage and intersection are plain matching. */
        IA_ASSERT(cv == ia_glob_match(a, b));
        IA_ASSERT(in == ia_glob_match(a, b));
    }
    free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ia_trust_rows rows = { 0 };
    struct ia_side_effect_report rep = { 0 };
    struct ia_policy *pol = NULL;
    struct ia_err err = { 0 };
    const char *docs[2];
    char *text = ia_xmalloc(size + 1);

    memcpy(text, data, size);
    text[size] = '\0';

    /* Unterminated on purpose: ASan catches any read past len. */
    if (ia_policy_trust_rows((const char *)data, size, &rows, &err) == IA_OK)
        check_rows(&rows);
    ia_policy_trust_rows_release(&rows);
    /* The last-resort scan of unreadable trust policies, unterminated too. */
    (void)ia_policy_raw_wildcard_principal((const char *)data, size);
    if (ia_policy_parse((const char *)data, size, &pol, &err) == IA_OK) {
        struct ia_policy_grants g;
        IA_ASSERT(pol->n_statements <= IA_POLICY_MAX_STATEMENTS);
        ia_policy_grants((const struct ia_policy *const *)&pol, 1, "iam:PassRole",
                         "arn:aws:iam::111122223333:role/Admin", &g);
        for (size_t i = 0; i < g.n; i++)
            IA_ASSERT(g.items[i].pattern != NULL);
        ia_policy_grants_release(&g);
    }
    ia_policy_free(pol);

    docs[0] = text;
    docs[1] = s_deny;
    if (ia_policy_side_effects(docs, 2, &rep, &err) == IA_OK)
        IA_ASSERT(rep.n_items <= IA_POLICY_MAX_SIDE_EFFECTS && rep.n_items <= rep.n_total);
    ia_policy_side_effect_report_release(&rep);

    (void)ia_policy_condition_requires_mfa(text);
    (void)ia_policy_deny_requires_mfa(text);
    (void)ia_policy_condition_pins(text);
    (void)ia_actions_expand(text, NULL, NULL);
    (void)ia_action_lookup(text, NULL, NULL);
    ia_policy_strv_free(
        ia_policy_condition_values(text, "token.actions.githubusercontent.com:sub"));
    check_glob(text);

    free(text);
    return 0;
}
