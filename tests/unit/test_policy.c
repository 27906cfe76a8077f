/* IAM policy grammar: trust rows, bounds, conditions, side effects, glob. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "core/actions.h"
#include "core/buf.h"
#include "core/glob.h"
#include "core/mem.h"
#include "core/policy.h"

/* ---- trust rows: grammar variants ---------------------------------------------------------- */

struct exp_row {
    size_t stmt;
    const char *sid;
    enum ia_policy_effect effect;
    int not_principal;
    const char *kind;
    const char *value;
    const char *account;
    const char *type;
    const char *actions;
    int not_action;
    const char *conditions;
};

struct trust_case {
    const char *name;
    const char *doc;
    const struct exp_row *rows;
    size_t n_rows;
    size_t n_problems;
    size_t problem_stmt;      /* statement_index of the first problem */
    const char *problem_text; /* substring of the first problem */
};

#define ROWS(...)                                                                                  \
    .rows = (const struct exp_row[]){ __VA_ARGS__ },                                               \
    .n_rows = sizeof((const struct exp_row[]){ __VA_ARGS__ }) / sizeof(struct exp_row)
#define A IA_POLICY_ALLOW
#define D IA_POLICY_DENY
#define ASSUME "[\"sts:AssumeRole\"]"
#define DOC_LVL IA_POLICY_DOC_LEVEL

static const struct trust_case s_trust[] = {
    { "statement object, AWS root string",
      "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
      "\"arn:aws:iam::111122223333:root\"},\"Action\":\"sts:AssumeRole\"}}",
      ROWS({ 0, NULL, A, 0, "AWS", "arn:aws:iam::111122223333:root", "111122223333", "account-root",
             ASSUME, 0, NULL }) },
    { "statement array, Sid, bare *",
      "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Any\",\"Effect\":\"Allow\","
      "\"Principal\":\"*\",\"Action\":[\"sts:AssumeRole\"]},{\"Sid\":\"Two\",\"Effect\":\"Deny\","
      "\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"}]}",
      ROWS({ 0, "Any", A, 0, "*", "*", NULL, "wildcard", ASSUME, 0, NULL },
           { 1, "Two", D, 0, "*", "*", NULL, "wildcard", ASSUME, 0, NULL }) },
    { "AWS *",
      "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},"
      "\"Action\":\"sts:AssumeRole\"}]}",
      ROWS({ 0, NULL, A, 0, "AWS", "*", NULL, "wildcard", ASSUME, 0, NULL }) },
    { "AWS array: id, user, role, assumed-role, federated-user, unique id",
      "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"444455556666\","
      "\"arn:aws:iam::111122223333:user/alice@example.gov.uk\","
      "\"arn:aws:iam::111122223333:role/path/to/Admin\","
      "\"arn:aws:sts::222233334444:assumed-role/Admin/alice\","
      "\"arn:aws:sts::222233334444:federated-user/bob\","
      "\"AROA3XFRBF535PLBIFPI4\",\"AIDAJQABLZS4A3QDU576Q\"]},"
      "\"Action\":[\"sts:AssumeRole\",\"sts:TagSession\"]}}",
      ROWS({ 0, NULL, A, 0, "AWS", "444455556666", "444455556666", "account-id",
             "[\"sts:AssumeRole\",\"sts:TagSession\"]", 0, NULL },
           { 0, NULL, A, 0, "AWS", "arn:aws:iam::111122223333:user/alice@example.gov.uk",
             "111122223333", "user", "[\"sts:AssumeRole\",\"sts:TagSession\"]", 0, NULL },
           { 0, NULL, A, 0, "AWS", "arn:aws:iam::111122223333:role/path/to/Admin", "111122223333",
             "role", "[\"sts:AssumeRole\",\"sts:TagSession\"]", 0, NULL },
           { 0, NULL, A, 0, "AWS", "arn:aws:sts::222233334444:assumed-role/Admin/alice",
             "222233334444", "assumed-role", "[\"sts:AssumeRole\",\"sts:TagSession\"]", 0, NULL },
           { 0, NULL, A, 0, "AWS", "arn:aws:sts::222233334444:federated-user/bob", "222233334444",
             "federated-user", "[\"sts:AssumeRole\",\"sts:TagSession\"]", 0, NULL },
           { 0, NULL, A, 0, "AWS", "AROA3XFRBF535PLBIFPI4", NULL, "unique-id",
             "[\"sts:AssumeRole\",\"sts:TagSession\"]", 0, NULL },
           { 0, NULL, A, 0, "AWS", "AIDAJQABLZS4A3QDU576Q", NULL, "unique-id",
             "[\"sts:AssumeRole\",\"sts:TagSession\"]", 0, NULL }) },
    { "near misses: 11 and 13 digits, short id, lower-case id, other iam ARN",
      "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"11112222333\","
      "\"1111222233334\",\"AIDA123\",\"aida3xfrbf535plbifpi4\","
      "\"arn:aws:iam::111122223333:saml-provider/X\",\"arn:aws:s3:::bucket\"]},"
      "\"Action\":\"sts:AssumeRole\"}}",
      ROWS({ 0, NULL, A, 0, "AWS", "11112222333", NULL, "other", ASSUME, 0, NULL },
           { 0, NULL, A, 0, "AWS", "1111222233334", NULL, "other", ASSUME, 0, NULL },
           { 0, NULL, A, 0, "AWS", "AIDA123", NULL, "other", ASSUME, 0, NULL },
           { 0, NULL, A, 0, "AWS", "aida3xfrbf535plbifpi4", NULL, "other", ASSUME, 0, NULL },
           { 0, NULL, A, 0, "AWS", "arn:aws:iam::111122223333:saml-provider/X", "111122223333",
             "other", ASSUME, 0, NULL },
           { 0, NULL, A, 0, "AWS", "arn:aws:s3:::bucket", NULL, "other", ASSUME, 0, NULL }) },
    { "other partitions",
      "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":["
      "\"arn:aws-cn:iam::111122223333:root\",\"arn:aws-us-gov:iam::012345678901:role/R\"]},"
      "\"Action\":\"sts:AssumeRole\"}}",
      ROWS({ 0, NULL, A, 0, "AWS", "arn:aws-cn:iam::111122223333:root", "111122223333",
             "account-root", ASSUME, 0, NULL },
           { 0, NULL, A, 0, "AWS", "arn:aws-us-gov:iam::012345678901:role/R", "012345678901",
             "role", ASSUME, 0, NULL }) },
    { "Service string and array, mixed kinds keep document order",
      "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},"
      "\"Action\":\"sts:AssumeRole\"},{\"Effect\":\"Allow\",\"Principal\":{\"Service\":"
      "[\"lambda.amazonaws.com\",\"ecs-tasks.amazonaws.com\"],\"AWS\":\"123456789012\"},"
      "\"Action\":\"sts:AssumeRole\"}]}",
      ROWS(
          { 0, NULL, A, 0, "Service", "ec2.amazonaws.com", NULL, "service", ASSUME, 0, NULL },
          { 1, NULL, A, 0, "Service", "lambda.amazonaws.com", NULL, "service", ASSUME, 0, NULL },
          { 1, NULL, A, 0, "Service", "ecs-tasks.amazonaws.com", NULL, "service", ASSUME, 0, NULL },
          { 1, NULL, A, 0, "AWS", "123456789012", "123456789012", "account-id", ASSUME, 0,
            NULL }) },
    { "Service *",
      "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"*\"},"
      "\"Action\":\"sts:AssumeRole\"}}",
      ROWS({ 0, NULL, A, 0, "Service", "*", NULL, "wildcard", ASSUME, 0, NULL }) },
    { "Federated SAML with condition",
      "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"Federated\":"
      "\"arn:aws:iam::111122223333:saml-provider/ADFS\"},\"Action\":\"sts:AssumeRoleWithSAML\","
      "\"Condition\":{\"StringEquals\":{\"SAML:aud\":\"https://signin.aws.amazon.com/saml\"}}}}",
      ROWS({ 0, NULL, A, 0, "Federated", "arn:aws:iam::111122223333:saml-provider/ADFS",
             "111122223333", "federated", "[\"sts:AssumeRoleWithSAML\"]", 0,
             "{\"StringEquals\":{\"SAML:aud\":\"https://signin.aws.amazon.com/saml\"}}" }) },
    { "Federated OIDC and web identity; condition keys sorted",
      "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"Federated\":["
      "\"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com\","
      "\"cognito-identity.amazonaws.com\"]},\"Action\":\"sts:AssumeRoleWithWebIdentity\","
      "\"Condition\":{\"StringLike\":{\"token.actions.githubusercontent.com:sub\":"
      "\"repo:alphagov/*\"},\"StringEquals\":{\"token.actions.githubusercontent.com:aud\":"
      "\"sts.amazonaws.com\"}}}}",
      ROWS(
          { 0, NULL, A, 0, "Federated",
            "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
            "111122223333", "federated", "[\"sts:AssumeRoleWithWebIdentity\"]", 0,
            "{\"StringEquals\":{\"token.actions.githubusercontent.com:aud\":\"sts.amazonaws.com\"},"
            "\"StringLike\":{\"token.actions.githubusercontent.com:sub\":\"repo:alphagov/*\"}}" },
          { 0, NULL, A, 0, "Federated", "cognito-identity.amazonaws.com", NULL, "federated",
            "[\"sts:AssumeRoleWithWebIdentity\"]", 0,
            "{\"StringEquals\":{\"token.actions.githubusercontent.com:aud\":\"sts.amazonaws.com\"},"
            "\"StringLike\":{\"token.actions.githubusercontent.com:sub\":\"repo:alphagov/"
            "*\"}}" }) },
    { "CanonicalUser",
      "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"CanonicalUser\":"
      "\"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be\"},"
      "\"Action\":\"s3:GetObject\"}}",
      ROWS({ 0, NULL, A, 0, "CanonicalUser",
             "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", NULL,
             "canonical-user", "[\"s3:GetObject\"]", 0, NULL }) },
    { "NotPrincipal with Deny",
      "{\"Statement\":{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":["
      "\"arn:aws:iam::111122223333:role/Audit\",\"111122223333\"]},\"Action\":\"*\"}}",
      ROWS({ 0, NULL, D, 1, "AWS", "arn:aws:iam::111122223333:role/Audit", "111122223333", "role",
             "[\"*\"]", 0, NULL },
           { 0, NULL, D, 1, "AWS", "111122223333", "111122223333", "account-id", "[\"*\"]", 0,
             NULL }) },
    { "NotPrincipal * and NotAction",
      "{\"Statement\":{\"Effect\":\"Allow\",\"NotPrincipal\":\"*\",\"NotAction\":"
      "[\"sts:AssumeRoleWithSAML\",\"sts:AssumeRoleWithWebIdentity\"]}}",
      ROWS({ 0, NULL, A, 1, "*", "*", NULL, "wildcard",
             "[\"sts:AssumeRoleWithSAML\",\"sts:AssumeRoleWithWebIdentity\"]", 1, NULL }) },
    { "conditions: IfExists, ForAnyValue, ForAllValues, bool, number, array",
      "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:"
      "root\"},\"Action\":\"sts:AssumeRole\",\"Condition\":{"
      "\"BoolIfExists\":{\"aws:MultiFactorAuthPresent\":true},"
      "\"NumericLessThan\":{\"aws:MultiFactorAuthAge\":3600},"
      "\"ForAnyValue:StringLike\":{\"aws:PrincipalOrgPaths\":[\"o-a1b2c3d4e5/r-ab12/ou-*\"]},"
      "\"ForAllValues:StringEquals\":{\"aws:TagKeys\":[\"team\",\"env\"]},"
      "\"NumericGreaterThanEquals\":{\"aws:EpochTime\":1.5},"
      "\"StringEqualsIfExists\":{\"sts:ExternalId\":\"x\",\"aws:PrincipalTag/team\":\"a\"}}}}",
      ROWS(
          { 0, NULL, A, 0, "AWS", "arn:aws:iam::111122223333:root", "111122223333", "account-root",
            ASSUME, 0,
            "{\"BoolIfExists\":{\"aws:MultiFactorAuthPresent\":true},"
            "\"ForAllValues:StringEquals\":{\"aws:TagKeys\":[\"team\",\"env\"]},"
            "\"ForAnyValue:StringLike\":{\"aws:PrincipalOrgPaths\":[\"o-a1b2c3d4e5/r-ab12/ou-*\"]},"
            "\"NumericGreaterThanEquals\":{\"aws:EpochTime\":1.5},"
            "\"NumericLessThan\":{\"aws:MultiFactorAuthAge\":3600},"
            "\"StringEqualsIfExists\":{\"aws:PrincipalTag/team\":\"a\","
            "\"sts:ExternalId\":\"x\"}}" }) },
    { "unicode and escapes",
      "{\"Statement\":{\"Sid\":\"caf\\u00e9 \\\"q\\\" \\\\ \\/ \xe2\x82\xac\",\"Effect\":\"Allow\","
      "\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:user/j\\u00f6rg\"},"
      "\"Action\":\"sts:AssumeRole\",\"Condition\":{\"StringEquals\":{\"aws:username\":"
      "\"\\u00e9\\n\"}}}}",
      ROWS({ 0, "caf\xc3\xa9 \"q\" \\ / \xe2\x82\xac", A, 0, "AWS",
             "arn:aws:iam::111122223333:user/j\xc3\xb6rg", "111122223333", "user", ASSUME, 0,
             "{\"StringEquals\":{\"aws:username\":\"\xc3\xa9\\n\"}}" }) },
    { "leading white space before raw JSON",
      " \n\t{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"a:b\"}}",
      ROWS({ 0, NULL, A, 0, "*", "*", NULL, "wildcard", "[\"a:b\"]", 0, NULL }) },
    { "URL-encoded with a literal +",
      "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Sid%22%3A%22a+b%2Bc%20d"
      "%22%2C%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam"
      "%3A%3A111122223333%3Aroot%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D",
      ROWS({ 0, "a+b+c d", A, 0, "AWS", "arn:aws:iam::111122223333:root", "111122223333",
             "account-root", ASSUME, 0, NULL }) },
    { "URL-encoded partially, as some SDKs do",
      "%7B%22Statement%22:%7B%22Effect%22:%22Allow%22,%22Principal%22:%7B%22Service%22:"
      "%22ec2.amazonaws.com%22%7D,%22Action%22:%22sts:AssumeRole%22%7D%7D",
      ROWS({ 0, NULL, A, 0, "Service", "ec2.amazonaws.com", NULL, "service", ASSUME, 0, NULL }) },
    { "empty Statement array", "{\"Version\":\"2012-10-17\",\"Statement\":[]}", .n_rows = 0 },

    /* Problems that do not stop the document being read. */
    { "group principal is recorded, with a problem",
      "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
      "\"arn:aws:iam::111122223333:group/Admins\"},\"Action\":\"sts:AssumeRole\"}}",
      ROWS({ 0, NULL, A, 0, "AWS", "arn:aws:iam::111122223333:group/Admins", "111122223333",
             "group", ASSUME, 0, NULL }),
      1, 0, "is a group" },
    { "wildcard inside a principal ARN",
      "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::*:root\"},"
      "\"Action\":\"sts:AssumeRole\"}}",
      ROWS({ 0, NULL, A, 0, "AWS", "arn:aws:iam::*:root", NULL, "account-root", ASSUME, 0, NULL }),
      1, 0, "wildcard in principal" },
    { "unknown principal kind is kept as written",
      "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"Foo\":[\"bar\",\"*\"]},"
      "\"Action\":\"sts:AssumeRole\"}}",
      ROWS({ 0, NULL, A, 0, "Foo", "bar", NULL, "other", ASSUME, 0, NULL },
           { 0, NULL, A, 0, "Foo", "*", NULL, "wildcard", ASSUME, 0, NULL }),
      1, 0, "unknown principal kind \"Foo\"" },
    { "principal kind and element names in another case",
      "{\"statement\":{\"effect\":\"allow\",\"principal\":{\"aws\":\"111122223333\"},"
      "\"action\":\"sts:AssumeRole\"}}",
      ROWS({ 0, NULL, A, 0, "AWS", "111122223333", "111122223333", "account-id", ASSUME, 0, NULL }),
      6, DOC_LVL, "element Statement is spelt \"statement\"" },
    { "Principal as a number gives no rows",
      "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":123456789012,\"Action\":\"sts:"
      "AssumeRole\"},{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"}]}",
      ROWS({ 1, NULL, A, 0, "*", "*", NULL, "wildcard", ASSUME, 0, NULL }), 1, 0,
      "Principal is a number, not \"*\" or an object" },
    { "Principal as a non-* string",
      "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"arn:aws:iam::111122223333:root\","
      "\"Action\":\"sts:AssumeRole\"}}",
      .n_rows = 0, 1, 0, "only \"*\" may stand alone" },
    { "AWS value of the wrong type, and an array with a non-string",
      "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[123456789012,"
      "\"111122223333\"],\"Service\":{\"a\":1}},\"Action\":\"sts:AssumeRole\"}}",
      ROWS({ 0, NULL, A, 0, "AWS", "111122223333", "111122223333", "account-id", ASSUME, 0, NULL }),
      2, 0, "Principal \"AWS\" has a number item; it was ignored" },
    { "statement that is not an object; others still read",
      "{\"Statement\":[42,{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s:a\"}]}",
      ROWS({ 1, NULL, A, 0, "*", "*", NULL, "wildcard", "[\"s:a\"]", 0, NULL }), 1, 0,
      "statement is a number, not an object; skipped" },
    { "no Effect", "{\"Statement\":{\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"}}",
      .n_rows = 0, 1, 0, "no Effect" },
    { "bad Effect",
      "{\"Statement\":{\"Effect\":\"Permit\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"}}",
      .n_rows = 0, 1, 0, "Effect \"Permit\" is neither Allow nor Deny" },
    { "no Principal", "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\"}}",
      .n_rows = 0, 1, 0, "no Principal or NotPrincipal" },
    { "no Action", "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\"}}",
      ROWS({ 0, NULL, A, 0, "*", "*", NULL, "wildcard", "[]", 0, NULL }), 1, 0,
      "no Action or NotAction" },
    { "Action and NotAction both",
      "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"a:b\","
      "\"NotAction\":\"c:d\"}}",
      ROWS({ 0, NULL, A, 0, "*", "*", NULL, "wildcard", "[\"a:b\"]", 0, NULL }), 1, 0,
      "both Action and NotAction" },
    { "Condition that is not an object is kept as evidence",
      "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"a:b\","
      "\"Condition\":\"mfa\"}}",
      ROWS({ 0, NULL, A, 0, "*", "*", NULL, "wildcard", "[\"a:b\"]", 0, "\"mfa\"" }), 1, 0,
      "Condition is a string, not an object" },
    { "duplicate key: recorded, last value read",
      "{\"Statement\":{\"Effect\":\"Allow\",\"Effect\":\"Deny\",\"Principal\":\"*\","
      "\"Action\":\"sts:AssumeRole\"}}",
      ROWS({ 0, NULL, D, 0, "*", "*", NULL, "wildcard", ASSUME, 0, NULL }), 1, DOC_LVL,
      "duplicate key" },
    { "unknown top-level and statement elements, odd Version, Sid not a string",
      "{\"Version\":\"2020-01-01\",\"Extra\":1,\"Statement\":{\"Sid\":7,\"Effect\":\"Allow\","
      "\"Principal\":\"*\",\"Action\":\"a:b\",\"Resources\":\"*\"}}",
      ROWS({ 0, NULL, A, 0, "*", "*", NULL, "wildcard", "[\"a:b\"]", 0, NULL }), 4, DOC_LVL,
      "unknown element \"Extra\"" },
    { "control characters in a key are not echoed",
      "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"a:b\","
      "\"x\\ny\":1}}",
      ROWS({ 0, NULL, A, 0, "*", "*", NULL, "wildcard", "[\"a:b\"]", 0, NULL }), 1, 0,
      "unknown element \"x?y\"" },
};

static void
expect_str(const char *want, const char *got, const char *what, const char *name, size_t row)
{
    if (want == NULL && got == NULL)
        return;
    if (want == NULL || got == NULL || strcmp(want, got) != 0)
        fail_msg("%s row %zu %s: want %s%s%s, got %s%s%s", name, row, what, want ? "'" : "",
                 want ? want : "NULL", want ? "'" : "", got ? "'" : "", got ? got : "NULL",
                 got ? "'" : "");
}

static void
test_trust_variants(void **state)
{
    size_t c, r;
    (void)state;
    for (c = 0; c < IA_ARRAY_LEN(s_trust); c++) {
        const struct trust_case *tc = &s_trust[c];
        struct ia_trust_rows out = { 0 };
        struct ia_err err = { 0 };
        enum ia_code rc = ia_policy_trust_rows(tc->doc, strlen(tc->doc), &out, &err);

        if (rc != IA_OK)
            fail_msg("%s: rc %d: %s", tc->name, rc, err.msg);
        if (out.n_rows != tc->n_rows)
            fail_msg("%s: %zu rows, want %zu", tc->name, out.n_rows, tc->n_rows);
        for (r = 0; r < tc->n_rows; r++) {
            const struct exp_row *w = &tc->rows[r];
            const struct ia_trust_row *g = &out.rows[r];
            if (g->statement_index != w->stmt || g->effect != w->effect ||
                g->not_principal != w->not_principal || g->not_action != w->not_action)
                fail_msg("%s row %zu: stmt %zu/%zu effect %d/%d notp %d/%d nota %d/%d", tc->name, r,
                         g->statement_index, w->stmt, g->effect, w->effect, g->not_principal,
                         w->not_principal, g->not_action, w->not_action);
            expect_str(w->sid, g->sid, "sid", tc->name, r);
            expect_str(w->kind, g->principal_kind, "kind", tc->name, r);
            expect_str(w->value, g->principal, "principal", tc->name, r);
            expect_str(w->account, g->principal_account, "account", tc->name, r);
            expect_str(w->type, ia_policy_principal_type_name(g->principal_type), "type", tc->name,
                       r);
            expect_str(w->actions, g->actions, "actions", tc->name, r);
            expect_str(w->conditions, g->conditions, "conditions", tc->name, r);
        }
        if (out.n_problems != tc->n_problems) {
            for (r = 0; r < out.n_problems; r++)
                print_message("  problem %zu: %s\n", out.problems[r].statement_index,
                              out.problems[r].message);
            fail_msg("%s: %zu problems, want %zu", tc->name, out.n_problems, tc->n_problems);
        }
        if (tc->n_problems) {
            if (out.problems[0].statement_index != tc->problem_stmt ||
                !strstr(out.problems[0].message, tc->problem_text))
                fail_msg("%s: problem [%zu] '%s', want [%zu] containing '%s'", tc->name,
                         out.problems[0].statement_index, out.problems[0].message, tc->problem_stmt,
                         tc->problem_text);
        }
        ia_policy_trust_rows_release(&out);
        assert_null(out.rows);
        assert_int_equal(out.n_rows, 0);
    }
}

/* ---- trust rows: malformed and bounded input ----------------------------------------------- */

static char *
repeat(const char *head, const char *unit, size_t n, const char *tail)
{
    struct ia_buf b = IA_BUF_INIT;
    size_t i;
    ia_buf_addstr(&b, head);
    for (i = 0; i < n; i++)
        ia_buf_addstr(&b, unit);
    ia_buf_addstr(&b, tail);
    return ia_buf_detach(&b, NULL);
}

/* A doc whose Id is an array nested `levels` deep: total depth levels + 1. */
static char *
nested(size_t levels)
{
    struct ia_buf b = IA_BUF_INIT;
    size_t i;
    ia_buf_addstr(&b, "{\"Statement\":[],\"Id\":");
    for (i = 0; i < levels; i++)
        ia_buf_addch(&b, '[');
    for (i = 0; i < levels; i++)
        ia_buf_addch(&b, ']');
    ia_buf_addch(&b, '}');
    return ia_buf_detach(&b, NULL);
}

struct bad_case {
    const char *name;
    char *doc; /* owned; filled in by the test for generated cases */
    size_t len;
    enum ia_code code;
    const char *msg;
};

static void
run_bad(const struct bad_case *bc)
{
    struct ia_trust_rows out;
    struct ia_err err = { 0 };
    struct ia_policy *pol = NULL;
    enum ia_code rc;

    memset(&out, 0xAB, sizeof(out));
    rc = ia_policy_trust_rows(bc->doc, bc->len, &out, &err);
    if (rc != bc->code)
        fail_msg("%s: rc %d want %d (%s)", bc->name, rc, bc->code, err.msg);
    if (!strstr(err.msg, bc->msg))
        fail_msg("%s: message '%s' lacks '%s'", bc->name, err.msg, bc->msg);
    assert_int_equal(err.code, bc->code);
    assert_true(out.n_rows == (size_t)0xABABABABABABABABull);
    rc = ia_policy_parse(bc->doc, bc->len, &pol, &err);
    assert_int_equal(rc, bc->code);
    assert_null(pol);
}

static void
test_trust_malformed(void **state)
{
    struct bad_case cases[] = {
        { "invalid JSON", "{\"Statement\": [", 0, IA_ERR_PARSE, "trust policy is not valid JSON" },
        { "empty", "", 0, IA_ERR_PARSE, "trust policy is empty" },
        { "white space", "  \n ", 0, IA_ERR_PARSE, "trust policy is empty" },
        { "top-level array", "[{\"Effect\":\"Allow\"}]", 0, IA_ERR_PARSE, "is an array, not a" },
        { "top-level string", "\"x\"", 0, IA_ERR_PARSE, "not valid JSON" },
        { "no Statement", "{\"Version\":\"2012-10-17\"}", 0, IA_ERR_PARSE, "no Statement" },
        { "Statement a number", "{\"Statement\":1}", 0, IA_ERR_PARSE,
          "Statement is a number, not an object or an array" },
        { "Statement null", "{\"Statement\":null}", 0, IA_ERR_PARSE, "Statement is null" },
        { "truncated %-escape", "%7B%22Statement%2", 0, IA_ERR_PARSE, "malformed %-escape" },
        { "bad %-escape", "%7B%ZZ", 0, IA_ERR_PARSE, "malformed %-escape" },
        { "%00 inside", "%7B%22Statement%22%00:[]%7D", 0, IA_ERR_PARSE, "not valid JSON" },
        { "\\u0000 inside a string", "{\"Statement\":[],\"Id\":\"a\\u0000b\"}", 0, IA_ERR_PARSE,
          "not valid JSON" },
        { "invalid UTF-8", "{\"Statement\":[],\"Id\":\"\xff\xfe\"}", 0, IA_ERR_PARSE,
          "not valid JSON" },
        { "trailing garbage", "{\"Statement\":[]} x", 0, IA_ERR_PARSE, "not valid JSON" },
        { "integer too big", "{\"Statement\":[],\"Id\":123456789012345678901234567890}", 0,
          IA_ERR_PARSE, "not valid JSON" },
        { "huge raw", NULL, 0, IA_ERR_TOO_LARGE, "over the 131072-byte limit" },
        { "huge encoded", NULL, 0, IA_ERR_TOO_LARGE, "URL-encoded policy document is" },
        { "huge once decoded", NULL, 0, IA_ERR_TOO_LARGE, "bytes decoded, over" },
        { "deep nesting", NULL, 0, IA_ERR_TOO_LARGE, "deeper than 32 levels" },
        { "very deep nesting", NULL, 0, IA_ERR_TOO_LARGE, "deeper than 32 levels" },
        { "too many statements", NULL, 0, IA_ERR_TOO_LARGE, "1001 statements, over the limit" },
    };
    size_t i;
    (void)state;

    for (i = 0; i < IA_ARRAY_LEN(cases); i++) {
        int owned = 0;
        if (strcmp(cases[i].name, "huge raw") == 0) {
            cases[i].doc = repeat("{\"Statement\":[],\"Id\":\"", "a", 131072 - 23, "\"}");
            owned = 1;
        } else if (strcmp(cases[i].name, "huge encoded") == 0) {
            cases[i].doc = repeat("", "%41", 131072 + 2, "");
            owned = 1;
        } else if (strcmp(cases[i].name, "huge once decoded") == 0) {
            cases[i].doc = repeat("%7B", "a", 131072, "%7D");
            owned = 1;
        } else if (strcmp(cases[i].name, "deep nesting") == 0) {
            cases[i].doc = nested(IA_POLICY_MAX_DEPTH);
            owned = 1;
        } else if (strcmp(cases[i].name, "very deep nesting") == 0) {
            cases[i].doc = nested(5000);
            owned = 1;
        } else if (strcmp(cases[i].name, "too many statements") == 0) {
            cases[i].doc = repeat("{\"Statement\":[", "{},", 1000, "{}]}");
            owned = 1;
        }
        cases[i].len = strlen(cases[i].doc);
        run_bad(&cases[i]);
        if (owned)
            free(cases[i].doc);
    }
}

/* Just inside every bound is accepted. */
static void
test_trust_bounds_inside(void **state)
{
    struct ia_trust_rows out = { 0 };
    struct ia_err err = { 0 };
    char *doc;
    (void)state;

    doc = nested(IA_POLICY_MAX_DEPTH - 1); /* depth exactly 32 */
    assert_int_equal(ia_policy_trust_rows(doc, strlen(doc), &out, &err), IA_OK);
    ia_policy_trust_rows_release(&out);
    free(doc);

    /* Brackets and quotes inside strings do not count as nesting. */
    doc = repeat("{\"Statement\":[],\"Id\":\"\\\"", "[{", 100, "\"}");
    assert_int_equal(ia_policy_trust_rows(doc, strlen(doc), &out, &err), IA_OK);
    ia_policy_trust_rows_release(&out);
    free(doc);

    /* 1000 statements: one row each. */
#define ONE_STMT "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"a:b\"}"
    doc = repeat("{\"Statement\":[", ONE_STMT ",", 999, ONE_STMT "]}");
#undef ONE_STMT
    assert_int_equal(ia_policy_trust_rows(doc, strlen(doc), &out, &err), IA_OK);
    assert_int_equal(out.n_rows, 1000);
    assert_int_equal(out.rows[999].statement_index, 999);
    ia_policy_trust_rows_release(&out);
    free(doc);

    /* Exactly 128 KiB of raw JSON. */
    doc = repeat("{\"Statement\":[],\"Id\":\"", "a", 131072 - 24, "\"}");
    assert_int_equal(strlen(doc), 131072);
    assert_int_equal(ia_policy_trust_rows(doc, strlen(doc), &out, &err), IA_OK);
    ia_policy_trust_rows_release(&out);
    free(doc);

    /* A doc need not be NUL-terminated: len is honoured. */
    {
        const char d[] = "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
                         "\"Action\":\"a:b\"}}GARBAGE";
        assert_int_equal(ia_policy_trust_rows(d, strlen(d) - 7, &out, &err), IA_OK);
        assert_int_equal(out.n_rows, 1);
        ia_policy_trust_rows_release(&out);
    }
}

static void
test_problem_cap(void **state)
{
    struct ia_trust_rows out = { 0 };
    struct ia_err err = { 0 };
    char *doc = repeat("{\"Statement\":[", "1,", 200, "1]}");
    (void)state;

    assert_int_equal(ia_policy_trust_rows(doc, strlen(doc), &out, &err), IA_OK);
    assert_int_equal(out.n_problems, IA_POLICY_MAX_PROBLEMS);
    assert_int_equal(out.problems[0].statement_index, 0);
    assert_int_equal(out.problems[62].statement_index, 62);
    assert_string_equal(out.problems[63].message, "further problems omitted");
    assert_int_equal(out.problems[63].statement_index, IA_POLICY_DOC_LEVEL);
    ia_policy_trust_rows_release(&out);
    free(doc);
}

static void
test_free_null_safe(void **state)
{
    struct ia_trust_rows rows = { 0 };
    struct ia_side_effect_report rep = { 0 };
    (void)state;
    ia_policy_trust_rows_release(NULL);
    ia_policy_trust_rows_release(&rows);
    ia_policy_side_effect_report_release(NULL);
    ia_policy_side_effect_report_release(&rep);
    ia_policy_free(NULL);
}

static void
test_decode(void **state)
{
    struct {
        const char *in;
        const char *out;
    } ok[] = {
        { "%7B%22a%22%3A%22b+c%2Bd%20e%22%7D", "{\"a\":\"b+c+d e\"}" },
        { "{\"a\":\"100%\"}", "{\"a\":\"100%\"}" }, /* raw JSON: '%' left alone */
        { "  {\"a\":1}", "  {\"a\":1}" },
        { "", "" },
    };
    char *s;
    size_t n, i;
    struct ia_err err = { 0 };
    (void)state;

    for (i = 0; i < IA_ARRAY_LEN(ok); i++) {
        assert_int_equal(ia_policy_decode(ok[i].in, strlen(ok[i].in), &s, &n, &err), IA_OK);
        assert_string_equal(s, ok[i].out);
        assert_int_equal(n, strlen(ok[i].out));
        free(s);
    }
    s = (char *)"untouched";
    assert_int_equal(ia_policy_decode("%7", 2, &s, NULL, &err), IA_ERR_PARSE);
    assert_string_equal(s, "untouched");
}

/* ---- conditions ---------------------------------------------------------------------------- */

static void
test_mfa(void **state)
{
    static const struct {
        const char *cond;
        enum ia_policy_mfa allow, deny;
    } cases[] = {
        { NULL, IA_POLICY_MFA_NONE, IA_POLICY_MFA_NONE },
        { "not json", IA_POLICY_MFA_NONE, IA_POLICY_MFA_NONE },
        { "\"mfa\"", IA_POLICY_MFA_NONE, IA_POLICY_MFA_NONE },
        { "{}", IA_POLICY_MFA_NONE, IA_POLICY_MFA_NONE },
        { "{\"Bool\":{\"aws:MultiFactorAuthPresent\":\"true\"}}", IA_POLICY_MFA_REQUIRED,
          IA_POLICY_MFA_NONE },
        { "{\"Bool\":{\"aws:MultiFactorAuthPresent\":true}}", IA_POLICY_MFA_REQUIRED,
          IA_POLICY_MFA_NONE },
        { "{\"Bool\":{\"aws:multifactorauthpresent\":[\"TRUE\"]}}", IA_POLICY_MFA_REQUIRED,
          IA_POLICY_MFA_NONE },
        { "{\"Bool\":{\"aws:MultiFactorAuthPresent\":[\"true\",\"false\"]}}", IA_POLICY_MFA_NONE,
          IA_POLICY_MFA_NONE },
        { "{\"Bool\":{\"aws:MultiFactorAuthPresent\":[]}}", IA_POLICY_MFA_NONE,
          IA_POLICY_MFA_NONE },
        { "{\"Bool\":{\"aws:MultiFactorAuthPresent\":\"false\"}}", IA_POLICY_MFA_NONE,
          IA_POLICY_MFA_IF_EXISTS_ONLY },
        { "{\"bool\":{\"aws:MultiFactorAuthPresent\":\"true\"}}", IA_POLICY_MFA_NONE,
          IA_POLICY_MFA_NONE },
        { "{\"BoolIfExists\":{\"aws:MultiFactorAuthPresent\":\"true\"}}",
          IA_POLICY_MFA_IF_EXISTS_ONLY, IA_POLICY_MFA_NONE },
        { "{\"BoolIfExists\":{\"aws:MultiFactorAuthPresent\":false}}", IA_POLICY_MFA_NONE,
          IA_POLICY_MFA_REQUIRED },
        { "{\"BoolIfExists\":{\"aws:MultiFactorAuthPresent\":\"false\"},"
          "\"StringEquals\":{\"aws:RequestedRegion\":\"eu-west-2\"}}",
          IA_POLICY_MFA_NONE, IA_POLICY_MFA_NONE },
        { "{\"BoolIfExists\":{\"aws:MultiFactorAuthPresent\":\"true\"},"
          "\"Bool\":{\"aws:MultiFactorAuthPresent\":\"true\"}}",
          IA_POLICY_MFA_REQUIRED, IA_POLICY_MFA_NONE },
        { "{\"NumericLessThan\":{\"aws:MultiFactorAuthAge\":\"3600\"}}", IA_POLICY_MFA_REQUIRED,
          IA_POLICY_MFA_NONE },
        { "{\"NumericLessThanEquals\":{\"aws:MultiFactorAuthAge\":43200}}", IA_POLICY_MFA_REQUIRED,
          IA_POLICY_MFA_NONE },
        { "{\"NumericLessThanIfExists\":{\"aws:MultiFactorAuthAge\":3600}}",
          IA_POLICY_MFA_IF_EXISTS_ONLY, IA_POLICY_MFA_NONE },
        { "{\"NumericGreaterThan\":{\"aws:MultiFactorAuthAge\":3600}}", IA_POLICY_MFA_NONE,
          IA_POLICY_MFA_NONE },
        { "{\"NumericGreaterThanIfExists\":{\"aws:MultiFactorAuthAge\":3600}}", IA_POLICY_MFA_NONE,
          IA_POLICY_MFA_REQUIRED },
        { "{\"Null\":{\"aws:MultiFactorAuthAge\":\"false\"}}", IA_POLICY_MFA_REQUIRED,
          IA_POLICY_MFA_NONE },
        { "{\"Null\":{\"aws:MultiFactorAuthAge\":\"true\"}}", IA_POLICY_MFA_NONE,
          IA_POLICY_MFA_REQUIRED },
        { "{\"ForAnyValue:Bool\":{\"aws:MultiFactorAuthPresent\":\"true\"}}",
          IA_POLICY_MFA_REQUIRED, IA_POLICY_MFA_NONE },
        { "{\"ForAllValues:Bool\":{\"aws:MultiFactorAuthPresent\":\"true\"}}",
          IA_POLICY_MFA_IF_EXISTS_ONLY, IA_POLICY_MFA_NONE },
        { "{\"StringEquals\":{\"aws:MultiFactorAuthPresent\":\"true\"}}", IA_POLICY_MFA_NONE,
          IA_POLICY_MFA_NONE },
        { "{\"Bool\":\"aws:MultiFactorAuthPresent\"}", IA_POLICY_MFA_NONE, IA_POLICY_MFA_NONE },
        { "{\"Bool\":{\"aws:SecureTransport\":\"true\"},\"StringEquals\":{\"sts:ExternalId\":"
          "\"x\"}}",
          IA_POLICY_MFA_NONE, IA_POLICY_MFA_NONE },
    };
    size_t i;
    (void)state;
    for (i = 0; i < IA_ARRAY_LEN(cases); i++) {
        enum ia_policy_mfa a = ia_policy_condition_requires_mfa(cases[i].cond);
        enum ia_policy_mfa d = ia_policy_deny_requires_mfa(cases[i].cond);
        if (a != cases[i].allow || d != cases[i].deny)
            fail_msg("case %zu %s: allow %d want %d, deny %d want %d", i,
                     cases[i].cond ? cases[i].cond : "NULL", a, cases[i].allow, d, cases[i].deny);
    }
}

static void
test_pins(void **state)
{
    static const struct {
        const char *cond;
        unsigned flags;
    } cases[] = {
        { NULL, 0 },
        { "[]", 0 },
        { "{\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-a1b2c3d4e5\"}}",
          IA_POLICY_PIN_PRINCIPAL_ORG_ID },
        { "{\"StringEquals\":{\"aws:principalorgid\":[\"o-a1b2c3d4e5\",\"o-zzzzzzzzzz\"]}}",
          IA_POLICY_PIN_PRINCIPAL_ORG_ID },
        { "{\"StringLike\":{\"aws:PrincipalOrgID\":\"*\"}}", 0 },
        { "{\"StringLike\":{\"aws:PrincipalOrgID\":[\"o-a1b2c3d4e5\",\"*\"]}}", 0 },
        { "{\"StringLike\":{\"aws:PrincipalOrgID\":\"o-*\"}}", 0 },
        { "{\"StringEquals\":{\"aws:PrincipalOrgID\":\"\"}}", 0 },
        { "{\"StringEquals\":{\"aws:PrincipalOrgID\":[]}}", 0 },
        { "{\"StringEqualsIfExists\":{\"aws:PrincipalOrgID\":\"o-a1b2c3d4e5\"}}", 0 },
        { "{\"StringNotEquals\":{\"aws:PrincipalOrgID\":\"o-a1b2c3d4e5\"}}", 0 },
        { "{\"ForAllValues:StringEquals\":{\"aws:PrincipalOrgID\":\"o-a1b2c3d4e5\"}}", 0 },
        { "{\"stringequals\":{\"aws:PrincipalOrgID\":\"o-a1b2c3d4e5\"}}", 0 },
        { "{\"StringEquals\":{\"aws:PrincipalAccount\":\"111122223333\","
          "\"aws:SourceAccount\":111122223333}}",
          IA_POLICY_PIN_PRINCIPAL_ACCOUNT | IA_POLICY_PIN_SOURCE_ACCOUNT },
        { "{\"ArnLike\":{\"aws:PrincipalArn\":\"arn:aws:iam::111122223333:role/team-*\"}}",
          IA_POLICY_PIN_PRINCIPAL_ARN },
        { "{\"ArnEquals\":{\"aws:PrincipalArn\":\"arn:aws:iam::111122223333:role/Admin\"}}",
          IA_POLICY_PIN_PRINCIPAL_ARN },
        { "{\"ArnLike\":{\"aws:PrincipalArn\":\"arn:aws:iam::*:role/Admin\"}}", 0 },
        { "{\"ArnLike\":{\"aws:PrincipalArn\":\"arn:*:iam::111122223333:role/Admin\"}}", 0 },
        { "{\"StringLike\":{\"aws:PrincipalArn\":\"*\"}}", 0 },
        { "{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:s3:::my-bucket\"}}",
          IA_POLICY_PIN_SOURCE_ARN },
        { "{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:s3:::my-*\"}}", 0 },
        { "{\"StringEquals\":{\"sts:ExternalId\":\"s3cr3t\"}}", IA_POLICY_PIN_EXTERNAL_ID },
        { "{\"StringEquals\":{\"sts:externalid\":true}}", 0 },
        { "{\"ForAnyValue:StringLike\":{\"aws:PrincipalOrgPaths\":"
          "[\"o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*\"]}}",
          IA_POLICY_PIN_PRINCIPAL_ORG_PATHS },
        { "{\"ForAnyValue:StringLike\":{\"aws:PrincipalOrgPaths\":\"o-*/r-ab12/*\"}}", 0 },
        { "{\"ForAnyValue:StringLike\":{\"aws:PrincipalOrgPaths\":\"*\"}}", 0 },
        { "{\"StringLike\":{\"aws:userid\":\"AROAEXAMPLEID:alice\"},"
          "\"StringEquals\":{\"aws:username\":\"alice\"}}",
          IA_POLICY_PIN_USERID | IA_POLICY_PIN_USERNAME },
        { "{\"StringLike\":{\"aws:userid\":\"AROAEXAMPLEID:*\"}}", IA_POLICY_PIN_USERID },
        { "{\"StringLike\":{\"aws:userid\":\"*:alice\"}}", 0 },
        { "{\"StringLike\":{\"aws:userid\":\"AROA*:alice\"}}", 0 },
        { "{\"StringEquals\":{\"aws:PrincipalTag/team\":\"a\",\"aws:SourceIp\":\"10.0.0.1\"}}", 0 },
        { "{\"Bool\":{\"aws:MultiFactorAuthPresent\":\"true\"},"
          "\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-a1b2c3d4e5\",\"sts:ExternalId\":\"x\"}}",
          IA_POLICY_PIN_PRINCIPAL_ORG_ID | IA_POLICY_PIN_EXTERNAL_ID },
    };
    size_t i;
    (void)state;
    for (i = 0; i < IA_ARRAY_LEN(cases); i++) {
        unsigned got = ia_policy_condition_pins(cases[i].cond);
        if (got != cases[i].flags)
            fail_msg("case %zu %s: flags 0x%x want 0x%x", i, cases[i].cond ? cases[i].cond : "NULL",
                     got, cases[i].flags);
    }
}

/* Conditions as stored in rows feed the helpers unchanged. */
static void
test_row_conditions_feed_helpers(void **state)
{
    static const char doc[] =
        "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"111122223333\"},"
        "\"Action\":\"sts:AssumeRole\",\"Condition\":{\"BoolIfExists\":"
        "{\"aws:MultiFactorAuthPresent\":\"true\"},\"StringEquals\":{\"aws:PrincipalOrgID\":"
        "\"o-a1b2c3d4e5\"}}}}";
    struct ia_trust_rows out = { 0 };
    struct ia_err err = { 0 };
    (void)state;
    assert_int_equal(ia_policy_trust_rows(doc, strlen(doc), &out, &err), IA_OK);
    assert_int_equal(out.n_rows, 1);
    assert_int_equal(ia_policy_condition_requires_mfa(out.rows[0].conditions),
                     IA_POLICY_MFA_IF_EXISTS_ONLY);
    assert_int_equal(ia_policy_condition_pins(out.rows[0].conditions),
                     IA_POLICY_PIN_PRINCIPAL_ORG_ID);
    ia_policy_trust_rows_release(&out);
}

/* ---- permission policies ------------------------------------------------------------------- */

static void
test_parse_permission(void **state)
{
    static const char doc[] =
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"R\",\"Effect\":\"Allow\","
        "\"Action\":[\"ec2:Describe*\",\"s3:List*\"],\"Resource\":\"*\"},"
        "{\"Effect\":\"Deny\",\"NotAction\":\"iam:*\",\"NotResource\":[\"arn:aws:s3:::a\","
        "\"arn:aws:s3:::b/*\"],\"Condition\":{\"Bool\":{\"aws:SecureTransport\":false}}},"
        "\"junk\",{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\"}]}";
    struct ia_policy *p = NULL;
    struct ia_err err = { 0 };
    (void)state;

    assert_int_equal(ia_policy_parse(doc, strlen(doc), &p, &err), IA_OK);
    assert_int_equal(p->n_statements, 3);
    assert_int_equal(p->statements[0].index, 0);
    assert_string_equal(p->statements[0].sid, "R");
    assert_int_equal(p->statements[0].effect, IA_POLICY_ALLOW);
    assert_int_equal(p->statements[0].not_action, 0);
    assert_int_equal(p->statements[0].n_actions, 2);
    assert_string_equal(p->statements[0].actions[1], "s3:List*");
    assert_int_equal(p->statements[0].n_resources, 1);
    assert_string_equal(p->statements[0].resources[0], "*");
    assert_null(p->statements[0].condition);
    assert_int_equal(p->statements[1].index, 1);
    assert_null(p->statements[1].sid);
    assert_int_equal(p->statements[1].effect, IA_POLICY_DENY);
    assert_int_equal(p->statements[1].not_action, 1);
    assert_string_equal(p->statements[1].actions[0], "iam:*");
    assert_int_equal(p->statements[1].not_resource, 1);
    assert_int_equal(p->statements[1].n_resources, 2);
    assert_string_equal(p->statements[1].resources[1], "arn:aws:s3:::b/*");
    assert_string_equal(p->statements[1].condition, "{\"Bool\":{\"aws:SecureTransport\":false}}");
    assert_int_equal(p->statements[2].index, 3);
    assert_int_equal(p->statements[2].n_resources, 0);
    assert_int_equal(p->n_problems, 2);
    assert_int_equal(p->problems[0].statement_index, 2);
    assert_string_equal(p->problems[0].message, "statement is a string, not an object; skipped");
    assert_int_equal(p->problems[1].statement_index, 3);
    assert_string_equal(p->problems[1].message, "statement has no Resource or NotResource");
    ia_policy_free(p);
}

/* ---- side effects -------------------------------------------------------------------------- */

struct exp_effect {
    size_t doc, stmt;
    enum ia_side_effect_kind kind;
    int not_action;
    const char *pattern;
    const char *matched;
};

/*
 * Expected counts come from the catalogue itself (how many actions a pattern grants that
 * change something or are sensitive reads), so that a newer catalogue does not break the
 * test while the semantics hold; the named items are checked exactly.
 */
enum count_kind { N_FIXED, N_GRANTED };

struct effects_case {
    const char *name;
    const char *docs[3];
    size_t n_docs;
    enum count_kind count;
    size_t n_total;                 /* N_FIXED: exactly this many items */
    const char *grant;              /* N_GRANTED: the Allow pattern ... */
    const char *minus;              /* ... minus the actions this pattern matches (or NULL) */
    const struct exp_effect *items; /* the first n_items are checked exactly */
    size_t n_items;
};

#define ITEMS(...)                                                                                 \
    .items = (const struct exp_effect[]){ __VA_ARGS__ },                                           \
    .n_items = sizeof((const struct exp_effect[]){ __VA_ARGS__ }) / sizeof(struct exp_effect)
#define W IA_SIDE_EFFECT_WRITE
#define S IA_SIDE_EFFECT_SENSITIVE
#define ALLOW(actions)                                                                             \
    "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":" actions ",\"Resource\":\"*\"}}"

static const char *const s_sensitive_reads[] = {
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

struct granted {
    const char *minus;
    size_t n;
};

static void
granted_fn(void *ctx, const char *action, enum ia_access_level level)
{
    struct granted *g = ctx;
    int sensitive = 0;
    for (size_t i = 0; i < IA_ARRAY_LEN(s_sensitive_reads); i++)
        sensitive |= strcasecmp(s_sensitive_reads[i], action) == 0;
    if (g->minus && ia_glob_match(g->minus, action))
        return;
    g->n += sensitive || ia_access_level_changes(level);
}

static size_t
granted(const char *pattern, const char *minus)
{
    struct granted g = { minus, 0 };
    ia_actions_expand(pattern, granted_fn, &g);
    return g.n;
}

static const char s_readonly_like[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":["
    "\"cloudwatch:Describe*\",\"cloudwatch:Get*\",\"cloudwatch:List*\",\"ec2:Describe*\","
    "\"ec2:Get*\",\"iam:Get*\",\"iam:List*\",\"s3:Get*\",\"s3:List*\",\"ssm:Describe*\","
    "\"ssm:Get*\",\"ssm:List*\",\"dynamodb:BatchGet*\",\"dynamodb:Query\",\"dynamodb:Scan\"],"
    "\"Resource\":\"*\"}]}";

static const char s_viewonly_like[] =
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":["
    "\"acm:ListCertificates\",\"cloudwatch:ListMetrics\",\"ec2:DescribeInstances\","
    "\"ec2:DescribeVpcs\",\"iam:ListRoles\",\"iam:ListUsers\",\"s3:ListAllMyBuckets\","
    "\"logs:Describe*\",\"dynamodb:ListTables\",\"lambda:ListFunctions\"],\"Resource\":\"*\"}]}";

static const struct effects_case s_effects[] = {
    /* What verb-guessing got wrong: AWS classes these Read (issue 18). */
    { "IAMReadOnlyAccess's GenerateCredentialReport is a read",
      { ALLOW("[\"iam:GenerateCredentialReport\",\"iam:Get*\",\"iam:List*\"]") },
      1,
      N_FIXED,
      0,
      .n_items = 0 },
    { "ViewOnlyAccess's lightsail:IsVpcPeered is a read",
      { ALLOW("\"lightsail:IsVpcPeered\"") },
      1,
      N_FIXED,
      0,
      .n_items = 0 },
    { "SecurityAudit's cleanrooms:PreviewPrivacyImpact is a read",
      { ALLOW("\"cleanrooms:PreviewPrivacyImpact\"") },
      1,
      N_FIXED,
      0,
      .n_items = 0 },
    { "ViewOnlyAccess-like: nothing", { s_viewonly_like }, 1, N_FIXED, 0, .n_items = 0 },
    { "ReadOnlyAccess-like: the ssm reads, as AWS names them",
      { s_readonly_like },
      1,
      N_FIXED,
      5,
      ITEMS({ 0, 0, S, 0, "ssm:Describe*", "ssm:DescribeParameters" },
            { 0, 0, S, 0, "ssm:Get*", "ssm:GetParameter" },
            { 0, 0, S, 0, "ssm:Get*", "ssm:GetParameterHistory" },
            { 0, 0, S, 0, "ssm:Get*", "ssm:GetParameters" },
            { 0, 0, S, 0, "ssm:Get*", "ssm:GetParametersByPath" }) },
    { "case-insensitive and ?",
      { ALLOW("[\"SSM:getparamete?\",\"Secretsmanager:GetSecret*\"]") },
      1,
      N_FIXED,
      2,
      ITEMS({ 0, 0, S, 0, "SSM:getparamete?", "ssm:GetParameter" },
            { 0, 0, S, 0, "Secretsmanager:GetSecret*", "secretsmanager:GetSecretValue" }) },
    { "an action AWS does not publish grants nothing",
      { ALLOW("[\"s3:GetObjekt\",\"s3:Get*x*y*z\"]") },
      1,
      N_FIXED,
      0,
      .n_items = 0 },
    { "kms:Decrypt on one key still counts (AWS: Write)",
      { "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"kms:Decrypt\",\"Resource\":"
        "\"arn:aws:kms:eu-west-2:111122223333:key/abc\"}}" },
      1,
      N_FIXED,
      1,
      ITEMS({ 0, 0, W, 0, "kms:Decrypt", "kms:Decrypt" }) },
    { "writes by AWS's level, side effects first",
      { ALLOW("[\"ssm:GetParameter\",\"s3:PutObject\",\"iam:TagRole\",\"iam:AttachRolePolicy\"]") },
      1,
      N_FIXED,
      4,
      ITEMS({ 0, 0, W, 0, "s3:PutObject", "s3:PutObject" },
            { 0, 0, W, 0, "iam:TagRole", "iam:TagRole" },
            { 0, 0, W, 0, "iam:AttachRolePolicy", "iam:AttachRolePolicy" },
            { 0, 0, S, 0, "ssm:GetParameter", "ssm:GetParameter" }) },
    { "ec2:D* grants what the catalogue has under it",
      { ALLOW("\"ec2:D*\"") },
      1,
      N_GRANTED,
      0,
      "ec2:D*",
      NULL,
      .n_items = 0 },
    { "* grants every change and every sensitive read",
      { ALLOW("\"*\"") },
      1,
      N_GRANTED,
      0,
      "*",
      NULL,
      .n_items = 0 },
    { "conditional Allow still counts",
      { "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"ec2:TerminateInstances\",\"Resource\":"
        "\"*\",\"Condition\":{\"StringEquals\":{\"aws:ResourceTag/team\":\"a\"}}}}" },
      1,
      N_FIXED,
      1,
      ITEMS({ 0, 0, W, 0, "ec2:TerminateInstances", "ec2:TerminateInstances" }) },
    { "explicit Deny ec2:* cancels ec2:Delete*",
      { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"ec2:Delete*\",\"ec2:Describe*\"],"
        "\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Action\":\"ec2:*\",\"Resource\":\"*\"}]}" },
      1,
      N_FIXED,
      0,
      .n_items = 0 },
    { "explicit Deny ec2:Delete* removes just those",
      { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ec2:*\",\"Resource\":\"*\"},"
        "{\"Effect\":\"Deny\",\"Action\":\"ec2:Delete*\",\"Resource\":\"*\"}]}" },
      1,
      N_GRANTED,
      0,
      "ec2:*",
      "ec2:Delete*",
      .n_items = 0 },
    { "Deny * cancels everything",
      { ALLOW("\"*\""),
        "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}}" },
      2,
      N_FIXED,
      0,
      .n_items = 0 },
    { "Deny in another document cancels sensitive reads one by one",
      { ALLOW("\"ssm:GetParameter*\""),
        "{\"Statement\":{\"Effect\":\"Deny\",\"Action\":[\"ssm:GetParameter\","
        "\"ssm:GetParametersBy*\"],\"Resource\":[\"arn:*\"]}}" },
      2,
      N_FIXED,
      2,
      ITEMS({ 0, 0, S, 0, "ssm:GetParameter*", "ssm:GetParameterHistory" },
            { 0, 0, S, 0, "ssm:GetParameter*", "ssm:GetParameters" }) },
    { "conditional Deny does not cancel",
      { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ssm:GetParameter\",\"Resource\":\"*\"},"
        "{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"Bool\":"
        "{\"aws:MultiFactorAuthPresent\":\"false\"}}}]}" },
      1,
      N_FIXED,
      1,
      ITEMS({ 0, 0, S, 0, "ssm:GetParameter", "ssm:GetParameter" }) },
    { "Deny on some resources does not cancel",
      { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:PutObject\",\"Resource\":\"*\"},"
        "{\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":\"arn:aws:s3:::prod/*\"},"
        "{\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"NotResource\":\"arn:aws:s3:::x\"}]}" },
      1,
      N_FIXED,
      1,
      ITEMS({ 0, 0, W, 0, "s3:PutObject", "s3:PutObject" }) },
    { "Allow NotAction grants every other action",
      { "{\"Statement\":{\"Effect\":\"Allow\",\"NotAction\":\"iam:*\",\"Resource\":\"*\"}}" },
      1,
      N_GRANTED,
      0,
      "*",
      "iam:*",
      .n_items = 0 },
    { "Allow NotAction * allows nothing",
      { "{\"Statement\":{\"Effect\":\"Allow\",\"NotAction\":\"*\",\"Resource\":\"*\"}}" },
      1,
      N_FIXED,
      0,
      .n_items = 0 },
    { "Allow NotAction, Deny * cancels",
      { "{\"Statement\":[{\"Effect\":\"Allow\",\"NotAction\":\"iam:*\",\"Resource\":\"*\"},"
        "{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}]}" },
      1,
      N_FIXED,
      0,
      .n_items = 0 },
    { "Deny NotAction leaves only what it names",
      { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ssm:*\",\"Resource\":\"*\"},"
        "{\"Effect\":\"Deny\",\"NotAction\":\"ssm:DescribeParameters\",\"Resource\":\"*\"}]}" },
      1,
      N_FIXED,
      1,
      ITEMS({ 0, 0, S, 0, "ssm:*", "ssm:DescribeParameters" }) },
    { "Deny NotAction disjoint from the Allow cancels it",
      { "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"ec2:*\",\"Resource\":\"*\"},"
        "{\"Effect\":\"Deny\",\"NotAction\":\"s3:*\",\"Resource\":\"*\"}]}" },
      1,
      N_FIXED,
      0,
      .n_items = 0 },
    { "three documents, side effects first, document order kept",
      { ALLOW("\"s3:List*\""), ALLOW("\"sns:Publish\""), ALLOW("\"ssm:GetParameters\"") },
      3,
      N_FIXED,
      2,
      ITEMS({ 1, 0, W, 0, "sns:Publish", "sns:Publish" },
            { 2, 0, S, 0, "ssm:GetParameters", "ssm:GetParameters" }) },
    { "URL-encoded permission policy",
      { "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22kms%3ADecrypt%22"
        "%2C%22Resource%22%3A%22*%22%7D%7D" },
      1,
      N_FIXED,
      1,
      ITEMS({ 0, 0, W, 0, "kms:Decrypt", "kms:Decrypt" }) },
};

static void
test_side_effects(void **state)
{
    size_t c, i;
    (void)state;
    for (c = 0; c < IA_ARRAY_LEN(s_effects); c++) {
        const struct effects_case *ec = &s_effects[c];
        struct ia_side_effect_report rep = { 0 };
        struct ia_err err = { 0 };
        enum ia_code rc = ia_policy_side_effects(ec->docs, ec->n_docs, &rep, &err);

        if (rc != IA_OK)
            fail_msg("%s: rc %d %s", ec->name, rc, err.msg);
        size_t want = ec->count == N_FIXED ? ec->n_total : granted(ec->grant, ec->minus);
        if (ec->count == N_GRANTED && want < 10)
            fail_msg("%s: the catalogue grants only %zu: too few to test", ec->name, want);
        if (rep.n_total != want) {
            for (i = 0; i < rep.n_items; i++)
                print_message("  %zu/%zu %s -> %s\n", rep.items[i].doc_index,
                              rep.items[i].statement_index, rep.items[i].pattern,
                              rep.items[i].matched);
            fail_msg("%s: %zu items, want %zu", ec->name, rep.n_total, want);
        }
        assert_int_equal(rep.n_items, want < IA_POLICY_MAX_SIDE_EFFECTS
                                          ? want
                                          : (size_t)IA_POLICY_MAX_SIDE_EFFECTS);
        for (i = 0; i < rep.n_items; i++) {
            enum ia_access_level level;
            const char *canon;
            /* Every item is a catalogue action, named as AWS names it, with its level. */
            if (!ia_action_lookup(rep.items[i].matched, &level, &canon) ||
                strcmp(canon, rep.items[i].matched) != 0 ||
                strcmp(rep.items[i].level, ia_access_level_name(level)) != 0 ||
                (rep.items[i].kind == W) != (ia_access_level_changes(level) != 0))
                fail_msg("%s item %zu: %s (%s) is not as the catalogue says", ec->name, i,
                         rep.items[i].matched, rep.items[i].level);
            /* Side effects first. */
            if (i && rep.items[i - 1].kind == S && rep.items[i].kind == W)
                fail_msg("%s: a side effect after a sensitive read", ec->name);
        }
        assert_int_equal(rep.deny_incomplete, 0);
        for (i = 0; i < ec->n_items; i++) {
            const struct exp_effect *w = &ec->items[i];
            const struct ia_side_effect *g = &rep.items[i];
            if (g->doc_index != w->doc || g->statement_index != w->stmt || g->kind != w->kind ||
                g->not_action != w->not_action || strcmp(g->pattern, w->pattern) != 0 ||
                strcmp(g->matched, w->matched) != 0)
                fail_msg("%s item %zu: got %zu/%zu %d %d %s -> %s, want %zu/%zu %d %d %s -> %s",
                         ec->name, i, g->doc_index, g->statement_index, g->kind, g->not_action,
                         g->pattern, g->matched, w->doc, w->stmt, w->kind, w->not_action,
                         w->pattern, w->matched);
        }
        ia_policy_side_effect_report_release(&rep);
    }
}

static void
test_side_effects_bounds(void **state)
{
    const char *docs[6];
    struct ia_side_effect_report rep = { 0 };
    struct ia_err err = { 0 };
    size_t i, all = granted("*", NULL);
    (void)state;

    for (i = 0; i < 6; i++)
        docs[i] = ALLOW("\"*\"");
    assert_int_equal(ia_policy_side_effects(docs, 6, &rep, &err), IA_OK);
    assert_int_equal(rep.n_total, 6 * all);
    assert_int_equal(rep.n_items, IA_POLICY_MAX_SIDE_EFFECTS);
    assert_int_equal(rep.items[63].kind, W);
    ia_policy_side_effect_report_release(&rep);

    assert_int_equal(ia_policy_side_effects(NULL, 0, &rep, &err), IA_OK);
    assert_int_equal(rep.n_total, 0);
    ia_policy_side_effect_report_release(&rep);

    /* Hostile patterns longer than any action match nothing, at once. */
    {
        struct ia_buf b = IA_BUF_INIT;
        char *hostile;
        size_t k, r;
        ia_buf_addstr(&b, "{\"Statement\":[{\"Effect\":\"Allow\",\"Resource\":\"*\",\"Action\":[");
        for (k = 0; k < 200; k++) {
            ia_buf_addstr(&b, k ? ",\"*" : "\"*");
            for (r = 0; r < 150; r++)
                ia_buf_addstr(&b, "a*");
            ia_buf_addf(&b, "x%zu*\"", k);
        }
        ia_buf_addstr(&b, "]}]}");
        hostile = ia_buf_detach(&b, NULL);
        docs[0] = hostile;
        assert_int_equal(ia_policy_side_effects(docs, 1, &rep, &err), IA_OK);
        assert_int_equal(rep.n_total, 0);
        ia_policy_side_effect_report_release(&rep);
        free(hostile);
        docs[0] = ALLOW("\"*\"");
    }

    docs[1] = "{\"Statement\":";
    memset(&rep, 0x5A, sizeof(rep));
    assert_int_equal(ia_policy_side_effects(docs, 2, &rep, &err), IA_ERR_PARSE);
    assert_non_null(strstr(err.msg, "policy 1: policy is not valid JSON"));
    assert_true(rep.n_total == (size_t)0x5A5A5A5A5A5A5A5Aull);
}

/* ---- glob ---------------------------------------------------------------------------------- */

static void
test_glob(void **state)
{
    static const struct {
        const char *a, *b;
        int match, match_cs, covers, intersects;
    } cases[] = {
        /* a as pattern, b as text (match) or inner pattern (covers) */
        { "*", "", 1, 1, 1, 1 },
        { "", "", 1, 1, 1, 1 },
        { "", "a", 0, 0, 0, 0 },
        { "*", "ec2:RunInstances", 1, 1, 1, 1 },
        { "ec2:*", "EC2:RunInstances", 1, 0, 1, 1 },
        { "ec2:*", "ec2:Delete*", 1, 1, 1, 1 },
        { "ec2:Delete*", "ec2:*", 0, 0, 0, 1 },
        { "ec2:Delete*", "ec2:Describe*", 0, 0, 0, 0 },
        { "ssm:Describe*", "ssm:DescribeParameters", 1, 1, 1, 1 },
        { "ssm:GetParameter?", "ssm:GetParameters", 1, 1, 1, 1 },
        { "ssm:GetParameter?", "ssm:GetParameter", 0, 0, 0, 0 },
        { "*?", "?*", 1, 1, 1, 1 },
        { "?*", "*?", 1, 1, 1, 1 },
        { "a*b*c", "aXbYc", 1, 1, 1, 1 },
        { "a*b*c", "a*c", 0, 0, 0, 1 },
        { "*a*", "*a*a*", 1, 1, 1, 1 },
        { "*ab*", "*a*b*", 0, 0, 0, 1 },
        { "a?c", "abc", 1, 1, 1, 1 },
        { "a?c", "a*c", 1, 1, 0, 1 },
        { "s3:*", "ec2:*", 0, 0, 0, 0 },
        { "*:Get*", "ssm:*", 0, 0, 0, 1 },
        { "arn:*", "*", 0, 0, 0, 1 },
        { "*", "arn:*", 1, 1, 1, 1 },
        { "**", "x", 1, 1, 1, 1 },
        { "a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, 0, 0, 0 },
        { "caf\xc3\xa9*", "CAF\xc3\xa9s", 1, 0, 1, 1 },
        /* literal prefixes and suffixes (the quick rejects) */
        { "*ab", "*b", 0, 0, 0, 1 },
        { "*b", "*ab", 1, 1, 1, 1 },
        { "ab*", "a*", 0, 0, 0, 1 },
        { "a*", "ab*", 1, 1, 1, 1 },
        { "a*x", "b*x", 0, 0, 0, 0 },
        { "*x", "*y", 0, 0, 0, 0 },
        { "*x*", "*y*", 0, 0, 0, 1 },
        { "ab*ba", "aba", 0, 0, 0, 0 },
        { "ab*ba", "abba", 1, 1, 1, 1 },
        { "abc", "ABC", 1, 0, 1, 1 },
        { "abc", "abd", 0, 0, 0, 0 },
    };
    size_t i;
    char *long_p;
    (void)state;
    for (i = 0; i < IA_ARRAY_LEN(cases); i++) {
        int m = ia_glob_match(cases[i].a, cases[i].b);
        int mc = ia_glob_match_cs(cases[i].a, cases[i].b);
        int cv = ia_glob_covers(cases[i].a, cases[i].b);
        int in = ia_glob_intersects(cases[i].a, cases[i].b);
        int in2 = ia_glob_intersects(cases[i].b, cases[i].a);
        if (m != cases[i].match || mc != cases[i].match_cs || cv != cases[i].covers ||
            in != cases[i].intersects || in2 != in)
            fail_msg("'%s' vs '%s': match %d/%d cs %d/%d covers %d/%d intersects %d/%d/%d",
                     cases[i].a, cases[i].b, m, cases[i].match, mc, cases[i].match_cs, cv,
                     cases[i].covers, in, in2, cases[i].intersects);
    }
    {
        size_t budget = 10;
        /* Needs (5 + 1) * (7 + 1) = 48 cells: refused, budget untouched; then charged. */
        assert_int_equal(ia_glob_covers_budget("*a*b*", "*a*c*b*", &budget), IA_GLOB_UNDECIDED);
        assert_int_equal(budget, 10);
        assert_int_equal(ia_glob_intersects_budget("*a*b*", "*a*c*b*", &budget), IA_GLOB_UNDECIDED);
        budget = 1000;
        assert_int_equal(ia_glob_covers_budget("*a*b*", "*a*c*b*", &budget), 1);
        assert_int_equal(budget, 1000 - 48);
        assert_int_equal(ia_glob_intersects_budget("*a*b*", "*a*c*b*", &budget), 1);
        assert_int_equal(budget, 1000 - 96);
        /* Decided by the literal ends alone: free, even with no budget. */
        budget = 0;
        assert_int_equal(ia_glob_covers_budget("ec2:Delete*", "s3:*", &budget), 0);
        assert_int_equal(ia_glob_intersects_budget("*x", "*y", &budget), 0);
        assert_int_equal(budget, 0);
    }
    long_p = repeat("", "*a", IA_GLOB_MAX_PATTERN, "");
    assert_int_equal(ia_glob_covers(long_p, "a"), IA_GLOB_UNDECIDED);
    assert_int_equal(ia_glob_intersects("a", long_p), IA_GLOB_UNDECIDED);
    assert_int_equal(ia_glob_match(long_p, "aaaa"), 0);
    free(long_p);
}

/* ---- issue 13 / issue 12 item 12: condition values, grants, the raw scan ------------------ */

static void
test_condition_values(void **state)
{
    char **v;
    (void)state;
    /* GitHub's documented trust: aud under StringEquals, sub under StringLike. */
    const char *gh = "{\"StringEquals\":{\"token.actions.githubusercontent.com:aud\":"
                     "\"sts.amazonaws.com\"},\"StringLike\":{\"Token.Actions.GitHubUserContent.com"
                     ":sub\":[\"repo:o/a:*\",\"repo:o/b:*\"]}}";
    v = ia_policy_condition_values(gh, "token.actions.githubusercontent.com:sub");
    assert_non_null(v);
    assert_string_equal(v[0], "repo:o/a:*");
    assert_string_equal(v[1], "repo:o/b:*");
    assert_null(v[2]);
    ia_policy_strv_free(v);
    v = ia_policy_condition_values(gh, "token.actions.githubusercontent.com:aud");
    assert_non_null(v);
    assert_string_equal(v[0], "sts.amazonaws.com");
    assert_null(v[1]);
    ia_policy_strv_free(v);
    /* Absent key, IfExists and ForAllValues forms, negated operators: NULL. */
    assert_null(ia_policy_condition_values(gh, "token.actions.githubusercontent.com:ref"));
    assert_null(ia_policy_condition_values("{\"StringLikeIfExists\":{\"k\":\"v\"}}", "k"));
    assert_null(ia_policy_condition_values("{\"ForAllValues:StringLike\":{\"k\":\"v\"}}", "k"));
    assert_null(ia_policy_condition_values("{\"StringNotEquals\":{\"k\":\"v\"}}", "k"));
    assert_null(ia_policy_condition_values(NULL, "k"));
    assert_null(ia_policy_condition_values("not json", "k"));
    /* ForAnyValue: reads as the plain operator; numbers as text; other values skipped. */
    v = ia_policy_condition_values("{\"ForAnyValue:StringEquals\":{\"aws:PrincipalAccount\":"
                                   "[111122223333,true,\"444455556666\"]}}",
                                   "aws:PrincipalAccount");
    assert_non_null(v);
    assert_string_equal(v[0], "111122223333");
    assert_string_equal(v[1], "444455556666");
    assert_null(v[2]);
    ia_policy_strv_free(v);
    v = ia_policy_condition_values("{\"StringEquals\":{\"k\":{}}}", "k");
    assert_non_null(v);
    assert_null(v[0]);
    ia_policy_strv_free(v);
    ia_policy_strv_free(NULL);
}

static struct ia_policy *
parse_or_fail(const char *doc)
{
    struct ia_policy *p = NULL;
    struct ia_err err = { 0 };
    assert_int_equal(ia_policy_parse(doc, strlen(doc), &p, &err), IA_OK);
    return p;
}

static void
test_grants(void **state)
{
    struct ia_policy_grants g;
    (void)state;
    struct ia_policy *p[2];
    p[0] = parse_or_fail("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"ec2:*\","
                         "\"iam:Put*\"],\"Resource\":\"*\"},{\"Effect\":\"Allow\",\"Action\":"
                         "\"sts:AssumeRole\",\"Resource\":\"arn:aws:iam::1:role/adm*\"}]}");
    p[1] = parse_or_fail("{\"Statement\":{\"Effect\":\"Allow\",\"NotAction\":[\"iam:*\","
                         "\"organizations:*\"],\"Resource\":\"*\"}}");
    const struct ia_policy *const *cp = (const struct ia_policy *const *)p;

    ia_policy_grants(cp, 2, "iam:PutRolePolicy", NULL, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.items[0].doc_index, 0);
    assert_string_equal(g.items[0].pattern, "iam:Put*");
    ia_policy_grants_release(&g);
    /* NotAction grants everything it does not list: lambda yes, iam no. */
    ia_policy_grants(cp, 2, "lambda:CreateFunction", NULL, &g);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.items[0].not_action, 1);
    assert_string_equal(g.items[0].pattern, "[\"iam:*\",\"organizations:*\"]");
    ia_policy_grants_release(&g);
    ia_policy_grants(cp, 2, "iam:CreateAccessKey", NULL, &g);
    assert_int_equal(g.n, 0);
    ia_policy_grants_release(&g);
    /* Resource matching: the admin role matches, another role does not (but NotAction's "*"
     * Resource grants sts:AssumeRole everywhere). */
    ia_policy_grants(cp, 1, "sts:AssumeRole", "arn:aws:iam::1:role/admin", &g);
    assert_int_equal(g.n, 1);
    ia_policy_grants_release(&g);
    ia_policy_grants(cp, 1, "sts:AssumeRole", "arn:aws:iam::1:role/deploy", &g);
    assert_int_equal(g.n, 0);
    ia_policy_grants_release(&g);
    ia_policy_free(p[1]);
    /* An unconditional Deny on every resource cancels; a conditional one does not. */
    p[1] = parse_or_fail("{\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"iam:*\","
                         "\"Resource\":\"*\"}]}");
    ia_policy_grants(cp, 2, "iam:PutRolePolicy", NULL, &g);
    assert_int_equal(g.n, 0);
    ia_policy_grants_release(&g);
    ia_policy_free(p[1]);
    p[1] = parse_or_fail("{\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"iam:*\","
                         "\"Resource\":\"*\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":"
                         "\"false\"}}}]}");
    ia_policy_grants(cp, 2, "iam:PutRolePolicy", NULL, &g);
    assert_int_equal(g.n, 1);
    ia_policy_grants_release(&g);
    ia_policy_free(p[0]);
    ia_policy_free(p[1]);
    ia_policy_grants_release(NULL);
}

static void
test_raw_wildcard(void **state)
{
    static const struct {
        const char *text;
        int star;
    } cases[] = {
        { "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\"", 1 },
        { "{\"Statement\":[{\"Principal\" : { \"AWS\" : [\"arn:aws:iam::1:root\", \"*\"]}}]}", 1 },
        { "{\"Statement\":[{\"principal\":{\"AWS\":\"*\"}}]}", 1 },
        { "{\"Statement\":[{\"NotPrincipal\":{\"AWS\":\"arn:aws:iam::1:root\"}}]}", 0 },
        { "{\"Statement\":[{\"NotPrincipal\":{\"AWS\":\"*\"}}]}", 1 },
        { "{\"Statement\":[{\"Principal\":\"\\u002a\"}]}", 1 },
        { "{\"Statement\":[{\"Principal\":\"\\u002A\"}]}", 1 },
        /* URL-encoded, as IAM returns documents. */
        { "%7B%22Statement%22%3A%5B%7B%22Principal%22%3A%7B%22AWS%22%3A%22*%22%7D", 1 },
        { "%7B%22Statement%22%3A%5B%7B%22Principal%22%3A%7B%22AWS%22%3A%22%2A%22%7D", 1 },
        /* "*" elsewhere is not a principal. */
        { "{\"Statement\":[{\"Principal\":{\"AWS\":\"arn:aws:iam::1:root\"},\"Action\":\"*\","
          "\"Resource\":\"*\",\"Condition\":{\"StringLike\":{\"aws:PrincipalArn\":\"*\"}}}]}",
          0 },
        { "{\"Statement\":[{\"Principal\":\"arn:aws:iam::1:root\",\"Sid\":\"*\"}]}", 0 },
        { "{\"Id\":\"Principal\",\"Statement\":[{\"Sid\":\"*\"}]}", 0 },
        { "{\"Statement\":[{\"Principal\":{\"AWS\":\"a*\"}}]}", 0 },
        { "{\"Statement\":[{\"Principal\":{\"AWS\":\"*", 0 }, /* ends mid-string */
        { "", 0 },
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = ia_policy_raw_wildcard_principal(cases[i].text, strlen(cases[i].text));
        if (got != cases[i].star)
            fail_msg("case %zu: %s: expected %d, got %d", i, cases[i].text, cases[i].star, got);
    }
    assert_int_equal(ia_policy_raw_wildcard_principal(NULL, 0), 0);

    /* Over every parser limit (1001 statements, > 128 KiB), "*" in the last statement. */
    struct ia_buf b = IA_BUF_INIT;
    struct ia_trust_rows rows = { 0 };
    struct ia_err err = { 0 };
    ia_buf_addstr(&b, "{\"Statement\":[");
    for (int i = 0; i < 1000; i++)
        ia_buf_addf(&b,
                    "{\"Sid\":\"s%04d%0120d\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
                    "\"arn:aws:iam::111122223333:root\"},\"Action\":\"sts:AssumeRole\"},",
                    i, 0);
    ia_buf_addstr(&b, "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":"
                      "\"sts:AssumeRole\"}]}");
    assert_true(b.len > IA_POLICY_MAX_BYTES);
    assert_int_equal(ia_policy_trust_rows(b.buf, b.len, &rows, &err), IA_ERR_TOO_LARGE);
    assert_int_equal(ia_policy_raw_wildcard_principal(b.buf, b.len), 1);
    ia_buf_release(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trust_variants),
        cmocka_unit_test(test_trust_malformed),
        cmocka_unit_test(test_trust_bounds_inside),
        cmocka_unit_test(test_problem_cap),
        cmocka_unit_test(test_free_null_safe),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_mfa),
        cmocka_unit_test(test_pins),
        cmocka_unit_test(test_row_conditions_feed_helpers),
        cmocka_unit_test(test_parse_permission),
        cmocka_unit_test(test_side_effects),
        cmocka_unit_test(test_side_effects_bounds),
        cmocka_unit_test(test_glob),
        cmocka_unit_test(test_condition_values),
        cmocka_unit_test(test_grants),
        cmocka_unit_test(test_raw_wildcard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
