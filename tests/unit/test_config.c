/*
 * The configuration reader: every mistake is one line naming the file, the line and the
 * fix, before any AWS call; a good file loads with its defaults and lists.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"

static char s_path[64];

static const char *
write_conf(const char *text)
{
    snprintf(s_path, sizeof(s_path), "/tmp/ia-test-config-XXXXXX");
    int fd = mkstemp(s_path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return s_path;
}

struct bad_case {
    const char *text;
    const char *where; /* ":LINE:" expected in the message, or NULL */
    const char *says;  /* a phrase of the message */
};

static const struct bad_case s_bad[] = {
    { "[audit]\nbase_account = 111111111111\ndatabse = x.db\n", ":3:", "unknown key 'databse'" },
    { "[audit]\nbase_account = 12345\n", ":2:", "not an AWS account id" },
    { "[audit]\nbase_account = 11111111111a\n", ":2:", "12 digits" },
    { "[account a]\nid = 222222222222\n[account b]\nid = 222222222222\n", ":4:", "listed twice" },
    { "[account a]\nid = 222222222222\nrole_arn = arn:aws:iam::2222:role/x\n",
      ":3:", "not a role ARN" },
    { "[account a]\nid = 222222222222\n[rules]\nstale_days = 9\n[account a]\nteam = x\n",
      ":6:", "appears twice" },
    { "base_account = 111111111111\n", ":1:", "outside any section" },
    { "[audti]\nbase_account = 111111111111\n", ":2:", "unknown section [audti]" },
    { "[audit]\nbase_account = 111111111111\nconcurrency = 0\n", ":3:", "1 to 64" },
    { "[audit]\nbase_account = 111111111111\nconcurrency = 0\nmax_attempts = 0\n",
      ":3:", "concurrency" },
    { "[rules]\nknown_accounts = 123\n", ":2:", "known_accounts" },
    { "[rules]\norganization_id = O-ABC123\n", ":2:", "not an AWS organization id" },
    { "[organization]\ndiscover = maybe\n", ":2:", "true or false" },
    { "[account a]\nteam = x\n", NULL, "has no id" },
    { "[organization]\ndiscover = true\n", NULL, "needs role_arn" },
    { "[rules]\nstale_days = 30\n", NULL, "no account to audit" },
    { "[account ]\nid = 111111111111\nid = 222222222222\n", ":2:", "needs a name" },
    { "[reports]\nformats = csv, pdf\n", ":2:", "unknown format 'pdf'" },
    /* A repeated key would silently win (issue 12 item 6): base_account twice, id twice. */
    { "[audit]\nbase_account = 111111111111\nbase_account = 222222222222\n",
      ":3:", "'base_account' is given twice in [audit] (first on line 2)" },
    { "[audit]\nbase_account = 111111111111\nregion = eu-west-2\n\n; again\n"
      "base_account = 222222222222\n",
      ":6:", "given twice in [audit]" },
    { "[account a]\nid = 222222222222\nteam = t\nid = 333333333333\n",
      ":4:", "'id' is given twice in [account a] (first on line 2)" },
    { "[audit]\nbase_account = 111111111111\n[rules]\nstale_days = 30\nstale_days = 900\n",
      ":5:", "given twice in [rules]" },
    { "[audit]\nbase_account = 111111111111\n  222222222222\n", ":3:", "takes one value" },
    { "[audit]\nbase_account = 111111111111\n[rules]\nmax_exception_days = 0\n",
      ":4:", "max_exception_days must be a whole number from 1 to 3650" },
};

static void
test_bad_configs(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(s_bad) / sizeof(s_bad[0]); i++) {
        struct ia_config c;
        struct ia_err err;
        ia_err_clear(&err);
        const char *path = write_conf(s_bad[i].text);
        enum ia_code rc = ia_config_load(path, &c, &err);
        if (rc != IA_ERR_CONFIG || !strstr(err.msg, path) ||
            (s_bad[i].where && !strstr(err.msg, s_bad[i].where)) ||
            !strstr(err.msg, s_bad[i].says) || strchr(err.msg, '\n')) {
            fprintf(stderr, "case %zu: rc %d msg '%s'\n", i, (int)rc, err.msg);
            fail();
        }
        ia_config_release(&c);
        unlink(path);
    }
}

static void
test_long_line_refused(void **state)
{
    (void)state;
    char text[512];
    snprintf(text, sizeof(text), "[audit]\nbase_account = 111111111111\nexternal_id = %0250d\n", 7);
    struct ia_config c;
    struct ia_err err;
    const char *path = write_conf(text);
    assert_int_equal(ia_config_load(path, &c, &err), IA_ERR_CONFIG);
    assert_non_null(strstr(err.msg, ":3:"));
    assert_non_null(strstr(err.msg, "continuation lines"));
    ia_config_release(&c);
    unlink(path);
}

static void
test_good_config(void **state)
{
    (void)state;
    struct ia_config c;
    struct ia_err err;
    const char *path = write_conf("; comment\n"
                                  "[audit]\n"
                                  "base_account = 011111111111\n"
                                  "role_name = security-audit   ; inline comment\n"
                                  "concurrency = 3\n"
                                  "[account gds-users]\n"
                                  "id = 011111111111\n"
                                  "[account paas-prod]\n"
                                  "id = 222222222222\n"
                                  "team = paas\n"
                                  "role_arn = arn:aws:iam::222222222222:role/path/audit\n"
                                  "external_id = ext-1\n"
                                  "[rules]\n"
                                  "human_role_patterns = Admin, ReadOnly\n"
                                  "  *-admin\n"
                                  "known_accounts = 333333333333,\n"
                                  "  444444444444\n"
                                  "allowed_email_domains = example.gov.uk\n"
                                  "[organization]\n"
                                  "discover = yes\n"
                                  "role_arn = arn:aws-us-gov:iam::555555555555:role/org\n");
    assert_int_equal(ia_config_load(path, &c, &err), IA_OK);
    assert_string_equal(c.base_account, "011111111111");
    assert_string_equal(c.role_name, "security-audit");
    assert_string_equal(c.database, "iam-audit.db");
    assert_int_equal(c.concurrency, 3);
    assert_int_equal(c.rules.stale_days, 90);
    assert_int_equal(c.rules.min_password_length, 16);
    assert_int_equal(c.rules.max_exception_days, 365);
    assert_int_equal(c.n_accounts, 2);
    assert_string_equal(c.accounts[0].team, "gds-users"); /* the base account's team */
    assert_string_equal(c.accounts[1].role_arn, "arn:aws:iam::222222222222:role/path/audit");
    assert_string_equal(c.accounts[1].external_id, "ext-1");
    /* Giving the key replaces the default patterns; continuation lines append. */
    assert_int_equal(ia_strlist_len(c.rules.human_role_patterns), 3);
    assert_string_equal(c.rules.human_role_patterns[2], "*-admin");
    assert_int_equal(ia_strlist_len(c.rules.known_accounts), 2);
    assert_string_equal(c.rules.known_accounts[1], "444444444444");
    assert_int_equal(c.org_discover, 1);
    ia_config_release(&c);
    unlink(path);
}

static void
test_missing_file(void **state)
{
    (void)state;
    struct ia_config c;
    struct ia_err err;
    assert_int_equal(ia_config_load("/nonexistent/iam-audit.conf", &c, &err), IA_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "iam-audit.conf.example"));
    ia_config_release(&c);
}

static void
test_validators(void **state)
{
    (void)state;
    assert_true(ia_config_valid_account_id("012345678901"));
    assert_false(ia_config_valid_account_id("12345678901"));
    assert_false(ia_config_valid_account_id("0123456789012"));
    assert_true(ia_config_valid_role_arn("arn:aws:iam::123456789012:role/a"));
    assert_true(ia_config_valid_role_arn("arn:aws-cn:iam::123456789012:role/p/a"));
    assert_false(ia_config_valid_role_arn("arn:aws:iam::123456789012:user/a"));
    assert_false(ia_config_valid_role_arn("arn:aws:iam::123456789012:role/"));
    assert_false(ia_config_valid_role_arn("arn:aws:sts::123456789012:role/a"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_configs), cmocka_unit_test(test_long_line_refused),
        cmocka_unit_test(test_good_config), cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_validators),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
