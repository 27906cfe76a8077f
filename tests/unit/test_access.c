/*
 * Access paths (issue 14): the pure evaluation (analyser/access.c) on a table of cases, the
 * index by principal over several people and roles, and one analysis of a database that
 * writes access_paths and the rules access-without-mfa and leaver-has-access.
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

#include "analyser/access.h"
#include "collector/snapshot_write.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"
#include "sql/db.h"

#define BASE "111111111111"
#define TEAM "222222222222"
#define OTHER "333333333333"
#define ALICE "arn:aws:iam::111111111111:user/alice@example.gov.uk"

/* ---- building an input ------------------------------------------------------------------ */

struct built {
    struct ia_an_trust *trusts;
    size_t n_trusts, alloc;
    struct ia_policy *pols[8];
    struct ia_access_policy apols[8];
    size_t n_pols;
};

static char *
dup_or_null(const char *s)
{
    return s ? ia_xstrdup(s) : NULL;
}

/* Trust rows of doc for role (account, name), via the collector's own normaliser. */
static void
add_trust(struct built *b, const char *account, const char *name, const char *doc)
{
    struct ia_trust_rows rows;
    struct ia_err err;
    char arn[256];
    snprintf(arn, sizeof(arn), "arn:aws:iam::%s:role/%s", account, name);
    assert_int_equal(ia_policy_trust_rows(doc, strlen(doc), &rows, &err), IA_OK);
    for (size_t i = 0; i < rows.n_rows; i++) {
        const struct ia_trust_row *r = &rows.rows[i];
        b->trusts = ia_xgrow(b->trusts, b->n_trusts + 1, &b->alloc, sizeof(*b->trusts));
        struct ia_an_trust *t = &b->trusts[b->n_trusts++];
        memset(t, 0, sizeof(*t));
        t->account_id = ia_xstrdup(account);
        t->role_name = ia_xstrdup(name);
        t->role_arn = ia_xstrdup(arn);
        t->effect = ia_xstrdup(ia_policy_effect_name(r->effect));
        t->principal_kind = ia_xstrdup(r->principal_kind);
        t->principal = ia_xstrdup(r->principal);
        t->principal_account = dup_or_null(r->principal_account);
        t->principal_type = ia_xstrdup(ia_policy_principal_type_name(r->principal_type));
        t->actions = ia_xstrdup(r->actions);
        t->conditions = dup_or_null(r->conditions);
        t->statement_index = (int)r->statement_index;
        t->not_principal = r->not_principal;
        t->not_action = r->not_action;
        t->assumes = ia_an_trust_compute_assumes(t);
    }
    ia_policy_trust_rows_release(&rows);
}

static void
add_policy(struct built *b, const char *label, const char *doc)
{
    struct ia_err err;
    assert_true(b->n_pols < 8);
    assert_int_equal(ia_policy_parse(doc, strlen(doc), &b->pols[b->n_pols], &err), IA_OK);
    b->apols[b->n_pols].label = label;
    b->apols[b->n_pols].policy = b->pols[b->n_pols];
    b->n_pols++;
}

static void
built_release(struct built *b)
{
    for (size_t i = 0; i < b->n_trusts; i++) {
        struct ia_an_trust *t = &b->trusts[i];
        char *s[] = { t->account_id,     t->role_name, t->role_arn,          t->effect,
                      t->principal_kind, t->principal, t->principal_account, t->principal_type,
                      t->actions,        t->conditions };
        for (size_t k = 0; k < IA_ARRAY_LEN(s); k++)
            free(s[k]);
    }
    free(b->trusts);
    for (size_t i = 0; i < b->n_pols; i++)
        ia_policy_free(b->pols[i]);
    memset(b, 0, sizeof(*b));
}

/* ---- the table of cases ----------------------------------------------------------------- */

#define TRUST(stmts) "{\"Version\":\"2012-10-17\",\"Statement\":[" stmts "]}"
#define ALLOW_ASSUME(principal)                                                                    \
    "{\"Effect\":\"Allow\",\"Principal\":" principal ",\"Action\":\"sts:AssumeRole\"}"
#define POLICY(stmts) "{\"Version\":\"2012-10-17\",\"Statement\":[" stmts "]}"
#define GRANT(res) "{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":" res "}"
#define TEAM_ADMIN "\"arn:aws:iam::222222222222:role/Admin\""
#define FORCE_MFA                                                                                  \
    "{\"Effect\":\"Deny\",\"NotAction\":[\"iam:ChangePassword\",\"sts:GetSessionToken\"],"         \
    "\"Resource\":\"*\",\"Condition\":{\"BoolIfExists\":{\"aws:MultiFactorAuthPresent\":"          \
    "\"false\"}}}"

struct tcase {
    const char *name;
    const char *account, *role; /* the role */
    const char *trust;
    const char *user_policy;  /* "user inline assume", or NULL */
    const char *group_policy; /* "group admins: inline assume", or NULL */
    int path;                 /* expect a path */
    const char *via;
    const char *identity_via;
    int mfa, mfa_trust, mfa_identity, conditional;
};

static const struct tcase s_cases[] = {
    { "named user + identity grant", TEAM, "Admin", TRUST(ALLOW_ASSUME("{\"AWS\":\"" ALICE "\"}")),
      POLICY(GRANT(TEAM_ADMIN)), NULL, 1, "user", "user inline assume", 0, 0, 0, 0 },
    { "whole account (root) + group grant", TEAM, "Admin",
      TRUST(ALLOW_ASSUME("{\"AWS\":\"arn:aws:iam::111111111111:root\"}")), NULL,
      POLICY(GRANT(TEAM_ADMIN)), 1, "account", "group admins: inline assume", 0, 0, 0, 0 },
    { "whole account (bare id) + group grant", TEAM, "Admin",
      TRUST(ALLOW_ASSUME("{\"AWS\":\"111111111111\"}")), NULL, POLICY(GRANT(TEAM_ADMIN)), 1,
      "account", "group admins: inline assume", 0, 0, 0, 0 },
    { "named in the trust, no identity grant: no path", TEAM, "Admin",
      TRUST(ALLOW_ASSUME("{\"AWS\":\"" ALICE "\"}")), NULL, NULL, 0, NULL, NULL, 0, 0, 0, 0 },
    { "grant for another role only: no path", TEAM, "Admin",
      TRUST(ALLOW_ASSUME("{\"AWS\":\"" ALICE "\"}")),
      POLICY(GRANT("\"arn:aws:iam::222222222222:role/ReadOnly\"")), NULL, 0, NULL, NULL, 0, 0, 0,
      0 },
    { "explicit Deny in a group: no path", TEAM, "Admin",
      TRUST(ALLOW_ASSUME("{\"AWS\":\"" ALICE "\"}")), POLICY(GRANT(TEAM_ADMIN)),
      POLICY("{\"Effect\":\"Deny\",\"Action\":\"sts:*\",\"Resource\":"
             "\"arn:aws:iam::222222222222:role/*\"}"),
      0, NULL, NULL, 0, 0, 0, 0 },
    { "Resource * grants", TEAM, "Admin", TRUST(ALLOW_ASSUME("{\"AWS\":\"" ALICE "\"}")),
      POLICY(GRANT("\"*\"")), NULL, 1, "user", "user inline assume", 0, 0, 0, 0 },
    { "Action * with Resource * grants", TEAM, "Admin",
      TRUST(ALLOW_ASSUME("{\"AWS\":\"" ALICE "\"}")),
      POLICY("{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}"), NULL, 1, "user",
      "user inline assume", 0, 0, 0, 0 },
    { "NotAction iam:* grants sts:AssumeRole", TEAM, "Admin",
      TRUST(ALLOW_ASSUME("{\"AWS\":\"" ALICE "\"}")),
      POLICY("{\"Effect\":\"Allow\",\"NotAction\":\"iam:*\",\"Resource\":\"*\"}"), NULL, 1, "user",
      "user inline assume", 0, 0, 0, 0 },
    { "NotResource excluding the role: no path", TEAM, "Admin",
      TRUST(ALLOW_ASSUME("{\"AWS\":\"" ALICE "\"}")),
      POLICY("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"NotResource\":"
             "\"arn:aws:iam::222222222222:role/Adm*\"}"),
      NULL, 0, NULL, NULL, 0, 0, 0, 0 },
    { "force-MFA Deny: mfa_required though the trust has no MFA condition", TEAM, "Admin",
      TRUST(ALLOW_ASSUME("{\"AWS\":\"arn:aws:iam::111111111111:root\"}")),
      POLICY(GRANT(TEAM_ADMIN)), POLICY(FORCE_MFA), 1, "account", "user inline assume", 1, 0, 1,
      0 },
    { "trust Bool MultiFactorAuthPresent true: MFA", TEAM, "Admin",
      TRUST("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111111111111:root\"},"
            "\"Action\":\"sts:AssumeRole\",\"Condition\":{\"Bool\":"
            "{\"aws:MultiFactorAuthPresent\":\"true\"}}}"),
      POLICY(GRANT(TEAM_ADMIN)), NULL, 1, "account", "user inline assume", 1, 1, 0, 0 },
    { "trust MultiFactorAuthAge: MFA", TEAM, "Admin",
      TRUST("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111111111111:root\"},"
            "\"Action\":\"sts:AssumeRole\",\"Condition\":{\"NumericLessThan\":"
            "{\"aws:MultiFactorAuthAge\":\"3600\"}}}"),
      POLICY(GRANT(TEAM_ADMIN)), NULL, 1, "account", "user inline assume", 1, 1, 0, 0 },
    { "trust BoolIfExists: not MFA", TEAM, "Admin",
      TRUST("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111111111111:root\"},"
            "\"Action\":\"sts:AssumeRole\",\"Condition\":{\"BoolIfExists\":"
            "{\"aws:MultiFactorAuthPresent\":\"true\"}}}"),
      POLICY(GRANT(TEAM_ADMIN)), NULL, 1, "account", "user inline assume", 0, 0, 0, 0 },
    { "identity Allow requiring MFA: MFA on the identity side", TEAM, "Admin",
      TRUST(ALLOW_ASSUME("{\"AWS\":\"arn:aws:iam::111111111111:root\"}")),
      POLICY("{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\","
             "\"Condition\":{\"Bool\":{\"aws:MultiFactorAuthPresent\":\"true\"}}}"),
      NULL, 1, "account", "user inline assume", 1, 0, 1, 0 },
    { "NotPrincipal Allow excluding the user: no path", TEAM, "Admin",
      TRUST("{\"Effect\":\"Allow\",\"NotPrincipal\":{\"AWS\":\"" ALICE "\"},"
            "\"Action\":\"sts:AssumeRole\"}"),
      POLICY(GRANT(TEAM_ADMIN)), NULL, 0, NULL, NULL, 0, 0, 0, 0 },
    { "NotPrincipal Allow excluding someone else: wildcard", TEAM, "Admin",
      TRUST("{\"Effect\":\"Allow\",\"NotPrincipal\":{\"AWS\":"
            "\"arn:aws:iam::111111111111:user/bob\"},\"Action\":\"sts:AssumeRole\"}"),
      POLICY(GRANT(TEAM_ADMIN)), NULL, 1, "wildcard", "user inline assume", 0, 0, 0, 0 },
    { "Deny statement naming the user: no path", TEAM, "Admin",
      TRUST(ALLOW_ASSUME(
          "{\"AWS\":\"arn:aws:iam::111111111111:root\"}") ","
                                                          "{\"Effect\":\"Deny\",\"Principal\":{"
                                                          "\"AWS\":\"" ALICE "\"},"
                                                          "\"Action\":\"sts:AssumeRole\"}"),
      POLICY(GRANT(TEAM_ADMIN)), NULL, 0, NULL, NULL, 0, 0, 0, 0 },
    { "Deny NotPrincipal excluding the user: path stays", TEAM, "Admin",
      TRUST(ALLOW_ASSUME(
          "{\"AWS\":\"arn:aws:iam::111111111111:root\"}") ","
                                                          "{\"Effect\":\"Deny\",\"NotPrincipal\":{"
                                                          "\"AWS\":\"" ALICE "\"},"
                                                          "\"Action\":\"sts:AssumeRole\"}"),
      POLICY(GRANT(TEAM_ADMIN)), NULL, 1, "account", "user inline assume", 0, 0, 0, 0 },
    { "Deny NotPrincipal not excluding the user: no path", TEAM, "Admin",
      TRUST(ALLOW_ASSUME(
          "{\"AWS\":\"arn:aws:iam::111111111111:root\"}") ","
                                                          "{\"Effect\":\"Deny\",\"NotPrincipal\":{"
                                                          "\"AWS\":"
                                                          "\"arn:aws:iam::111111111111:user/"
                                                          "bob\"},\"Action\":\"sts:AssumeRole\"}"),
      POLICY(GRANT(TEAM_ADMIN)), NULL, 0, NULL, NULL, 0, 0, 0, 0 },
    { "trust Deny without MFA: MFA on the trust side", TEAM, "Admin",
      TRUST(ALLOW_ASSUME(
          "{\"AWS\":\"arn:aws:iam::111111111111:root\"}") ","
                                                          "{\"Effect\":\"Deny\",\"Principal\":{"
                                                          "\"AWS\":\"*\"},\"Action\":\"sts:"
                                                          "AssumeRole\","
                                                          "\"Condition\":{\"BoolIfExists\":{\"aws:"
                                                          "MultiFactorAuthPresent\":\"false\"}}}"),
      POLICY(GRANT(TEAM_ADMIN)), NULL, 1, "account", "user inline assume", 1, 1, 0, 0 },
    { "base-account role naming the user: no identity grant needed", BASE, "Self",
      TRUST(ALLOW_ASSUME("{\"AWS\":\"" ALICE "\"}")), NULL, NULL, 1, "user",
      "trust policy (same account)", 0, 0, 0, 0 },
    { "base-account role trusting the account: needs a grant", BASE, "Self",
      TRUST(ALLOW_ASSUME("{\"AWS\":\"arn:aws:iam::111111111111:root\"}")), NULL, NULL, 0, NULL,
      NULL, 0, 0, 0, 0 },
    { "base-account role trusting the account, with a grant", BASE, "Self",
      TRUST(ALLOW_ASSUME("{\"AWS\":\"arn:aws:iam::111111111111:root\"}")),
      POLICY(GRANT("\"arn:aws:iam::111111111111:role/Self\"")), NULL, 1, "account",
      "user inline assume", 0, 0, 0, 0 },
    { "base-account role naming the user, identity Deny: no path", BASE, "Self",
      TRUST(ALLOW_ASSUME("{\"AWS\":\"" ALICE "\"}")), NULL,
      POLICY("{\"Effect\":\"Deny\",\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"}"), 0, NULL,
      NULL, 0, 0, 0, 0 },
    { "* trust: wildcard", TEAM, "Admin", TRUST(ALLOW_ASSUME("\"*\"")), POLICY(GRANT(TEAM_ADMIN)),
      NULL, 1, "wildcard", "user inline assume", 0, 0, 0, 0 },
    { "{AWS: *} pinned to the base account: account", TEAM, "Admin",
      TRUST("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"sts:AssumeRole\","
            "\"Condition\":{\"StringEquals\":{\"aws:PrincipalAccount\":\"111111111111\"}}}"),
      POLICY(GRANT(TEAM_ADMIN)), NULL, 1, "account", "user inline assume", 0, 0, 0, 0 },
    { "* pinned to another account: no path", TEAM, "Admin",
      TRUST("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"sts:AssumeRole\","
            "\"Condition\":{\"StringEquals\":{\"aws:PrincipalAccount\":\"333333333333\"}}}"),
      POLICY(GRANT(TEAM_ADMIN)), NULL, 0, NULL, NULL, 0, 0, 0, 0 },
    { "another account's root: no path", TEAM, "Admin",
      TRUST(ALLOW_ASSUME("{\"AWS\":\"arn:aws:iam::333333333333:root\"}")),
      POLICY(GRANT(TEAM_ADMIN)), NULL, 0, NULL, NULL, 0, 0, 0, 0 },
    { "service principal: no path", TEAM, "Admin",
      TRUST(ALLOW_ASSUME("{\"Service\":\"ec2.amazonaws.com\"}")), POLICY(GRANT("\"*\"")), NULL, 0,
      NULL, NULL, 0, 0, 0, 0 },
    { "aws:PrincipalTag condition: conditional", TEAM, "Admin",
      TRUST("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111111111111:root\"},"
            "\"Action\":\"sts:AssumeRole\",\"Condition\":{\"StringEquals\":"
            "{\"aws:PrincipalTag/team\":\"a\"}}}"),
      POLICY(GRANT(TEAM_ADMIN)), NULL, 1, "account", "user inline assume", 0, 0, 0, 1 },
    { "unique id in the trust: user", TEAM, "Admin",
      TRUST(ALLOW_ASSUME("{\"AWS\":\"AIDAALICEEXAMPLE0001\"}")), POLICY(GRANT(TEAM_ADMIN)), NULL, 1,
      "user", "user inline assume", 0, 0, 0, 0 },
    { "trust for sts:TagSession only: no path", TEAM, "Admin",
      TRUST("{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"" ALICE "\"},"
            "\"Action\":\"sts:TagSession\"}"),
      POLICY(GRANT(TEAM_ADMIN)), NULL, 0, NULL, NULL, 0, 0, 0, 0 },
};

static void
test_cases(void **state)
{
    (void)state;
    for (size_t c = 0; c < IA_ARRAY_LEN(s_cases); c++) {
        const struct tcase *tc = &s_cases[c];
        struct built b;
        memset(&b, 0, sizeof(b));
        add_trust(&b, tc->account, tc->role, tc->trust);
        if (tc->user_policy)
            add_policy(&b, "user inline assume", tc->user_policy);
        if (tc->group_policy)
            add_policy(&b, "group admins: inline assume", tc->group_policy);
        char arn[256];
        snprintf(arn, sizeof(arn), "arn:aws:iam::%s:role/%s", tc->account, tc->role);
        struct ia_access_user u = { "alice@example.gov.uk", ALICE, "AIDAALICEEXAMPLE0001", b.apols,
                                    b.n_pols };
        struct ia_access_role r = { tc->account, tc->role, arn };
        struct ia_access_input in = { BASE, NULL, &u, 1, &r, 1, b.trusts, b.n_trusts };
        struct ia_access_paths out;
        ia_access_evaluate(&in, &out);
        print_message("case: %s\n", tc->name);
        assert_int_equal(out.n, (size_t)tc->path);
        if (tc->path) {
            const struct ia_access_path *p = &out.items[0];
            assert_string_equal(ia_access_via_name(p->via), tc->via);
            assert_string_equal(p->identity_via, tc->identity_via);
            assert_int_equal(p->mfa_required, tc->mfa);
            assert_int_equal(p->mfa_trust, tc->mfa_trust);
            assert_int_equal(p->mfa_identity, tc->mfa_identity);
            assert_int_equal(p->conditional, tc->conditional);
            assert_int_equal(p->conditions != NULL, tc->conditional);
        }
        ia_access_paths_release(&out);
        built_release(&b);
    }
}

/* Several people and roles: each gets exactly the roles admitting them (the index). */
static void
test_index(void **state)
{
    (void)state;
    struct built b;
    memset(&b, 0, sizeof(b));
    /* Sorted by (account, role), as the analyser reads them. */
    add_trust(&b, BASE, "Self",
              TRUST(ALLOW_ASSUME("{\"AWS\":\"arn:aws:iam::111111111111:user/Bob\"}")));
    add_trust(&b, TEAM, "Admin", TRUST(ALLOW_ASSUME("{\"AWS\":\"" ALICE "\"}")));
    add_trust(&b, TEAM, "Other",
              TRUST(ALLOW_ASSUME("{\"AWS\":\"arn:aws:iam::333333333333:root\"}")));
    add_trust(&b, TEAM, "ReadOnly",
              TRUST(ALLOW_ASSUME("{\"AWS\":\"arn:aws:iam::111111111111:root\"}")));
    add_policy(&b, "group all: inline any", POLICY(GRANT("\"*\"")));
    struct ia_access_role roles[] = {
        { BASE, "Self", "arn:aws:iam::111111111111:role/Self" },
        { TEAM, "Admin", "arn:aws:iam::222222222222:role/Admin" },
        { TEAM, "Other", "arn:aws:iam::222222222222:role/Other" },
        { TEAM, "ReadOnly", "arn:aws:iam::222222222222:role/ReadOnly" },
    };
    struct ia_access_user users[] = {
        { "alice@example.gov.uk", ALICE, NULL, b.apols, 1 },
        /* ARNs are matched ignoring case, as IAM names are unique ignoring case */
        { "bob", "arn:aws:iam::111111111111:user/bob", NULL, NULL, 0 },
        { "carol", "arn:aws:iam::111111111111:user/carol", NULL, b.apols, 1 },
    };
    struct ia_access_input in = { BASE, NULL, users, 3, roles, 4, b.trusts, b.n_trusts };
    struct ia_access_paths out;
    ia_access_evaluate(&in, &out);
    struct ia_buf got = IA_BUF_INIT;
    for (size_t i = 0; i < out.n; i++)
        ia_buf_addf(&got, "%s %s %s\n", users[out.items[i].user].name,
                    roles[out.items[i].role].name, ia_access_via_name(out.items[i].via));
    assert_string_equal(got.buf, "alice@example.gov.uk Admin user\n"
                                 "alice@example.gov.uk ReadOnly account\n"
                                 "bob Self user\n"
                                 "carol ReadOnly account\n");
    /* Role by role, as the analyser's trust pass gives them (here last role first): the same
     * paths, in the same (user, role) order. */
    struct ia_access_paths walked;
    struct ia_access_walk *w = ia_access_walk_begin(&in, &walked);
    assert_non_null(w);
    for (size_t r = IA_ARRAY_LEN(roles); r-- > 0;) {
        size_t first = 0, n = 0;
        for (size_t k = 0; k < b.n_trusts; k++) {
            if (strcmp(b.trusts[k].account_id, roles[r].account) != 0 ||
                strcmp(b.trusts[k].role_name, roles[r].name) != 0)
                continue;
            if (n++ == 0)
                first = k;
        }
        ia_access_walk_role(w, r, &b.trusts[first], n);
    }
    ia_access_walk_end(w);
    assert_int_equal(walked.n, out.n);
    for (size_t i = 0; i < out.n; i++) {
        assert_int_equal(walked.items[i].user, out.items[i].user);
        assert_int_equal(walked.items[i].role, out.items[i].role);
        assert_int_equal(walked.items[i].via, out.items[i].via);
        assert_string_equal(walked.items[i].identity_via, out.items[i].identity_via);
    }
    ia_access_paths_release(&walked);
    ia_buf_release(&got);
    ia_access_paths_release(&out);
    built_release(&b);
}

static void
test_role_kind(void **state)
{
    (void)state;
    assert_string_equal(ia_access_role_kind(NULL, "gds-Admin"), "admin");
    assert_string_equal(ia_access_role_kind(NULL, "trusted-user"), "trusted");
    assert_string_equal(ia_access_role_kind(NULL, "read-only"), "readonly");
    assert_string_equal(ia_access_role_kind(NULL, "deploy"), "other");
}

/* ---- one analysis of a database ------------------------------------------------------------ */

static void
exec(struct ia_db *db, const char *sql)
{
    struct ia_err err;
    ia_err_clear(&err);
    if (ia_db_exec(db, sql, &err) != IA_OK)
        fail_msg("SQL failed: %s\n%s", err.msg, sql);
}

static void
add_role(struct ia_db *db, const char *acct, const char *name, const char *trust)
{
    struct ia_err err;
    struct ia_db_stmt *st;
    char arn[256];
    char *terr = NULL;
    ia_err_clear(&err);
    snprintf(arn, sizeof(arn), "arn:aws:iam::%s:role/%s", acct, name);
    assert_int_equal(ia_db_prepare(db, "role_insert", &st, &err), IA_OK);
    ia_db_bind_int(st, ":run_id", 1);
    ia_db_bind_text(st, ":account_id", acct);
    ia_db_bind_text(st, ":role_name", name);
    ia_db_bind_text(st, ":role_id", "AROAEXAMPLEROLEID0001");
    ia_db_bind_text(st, ":arn", arn);
    ia_db_bind_text(st, ":path", "/");
    ia_db_bind_text(st, ":created_at", "2026-01-01T00:00:00Z");
    ia_db_bind_text(st, ":last_used_at", "2026-11-20T00:00:00Z");
    ia_db_bind_null(st, ":last_used_region");
    ia_db_bind_null(st, ":permissions_boundary");
    ia_db_bind_null(st, ":tags");
    ia_db_bind_text(st, ":trust_policy", trust);
    ia_db_bind_null(st, ":trust_error");
    assert_int_equal(ia_db_run(st, &err), IA_OK);
    assert_int_equal(ia_snapshot_write_trust_rows(db, 1, acct, name, arn, trust, &terr, &err),
                     IA_OK);
    free(terr);
}

static char *
rows_of(struct ia_db *db, const char *sql)
{
    struct ia_db_stmt *st;
    struct ia_err err;
    struct ia_buf b = IA_BUF_INIT;
    ia_err_clear(&err);
    assert_int_equal(ia_db_prepare(db, sql, &st, &err), IA_OK);
    while (ia_db_step(st, &err) == 1) {
        ia_buf_addstr(&b, ia_db_col_text(st, 0));
        ia_buf_addch(&b, '\n');
    }
    ia_db_finalize(st);
    return ia_buf_detach(&b, NULL);
}

static void
test_analysis(void **state)
{
    (void)state;
    char dir[] = "/tmp/ia-access-XXXXXX", path[96], leavers[96], now[32];
    struct ia_db *db = NULL;
    struct ia_err err;
    struct ia_config cfg;
    struct ia_analyse_summary sum;
    snprintf(now, sizeof(now), "%lld", (long long)ia_time_from_utc(2026, 11, 27, 12, 0, 0));
    setenv("IA_FAKE_NOW", now, 1);
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/ia.db", dir);
    snprintf(leavers, sizeof(leavers), "%s/leavers.csv", dir);
    FILE *f = fopen(leavers, "w");
    assert_non_null(f);
    fputs("email,leaving_date\nbob@example.gov.uk,2026-10-01\n", f);
    assert_int_equal(fclose(f), 0);
    ia_err_clear(&err);
    assert_int_equal(ia_db_open(path, IA_DB_READWRITE, &db, &err), IA_OK);
    exec(db,
         "INSERT INTO runs (id, started_at, finished_at, status, tool_version) VALUES "
         "(1, '2026-11-26T02:00:00Z', '2026-11-26T02:10:00Z', 'complete', 'test');"
         "INSERT INTO accounts (run_id, account_id, name, team, is_base, status) VALUES "
         "(1, '" BASE "', 'gds-users', 'gds', 1, 'ok'), (1, '" TEAM "', 'team-a', 'a', 0, 'ok');"
         "INSERT INTO users (run_id, account_id, user_name, user_id, arn) VALUES "
         "(1, '" BASE "', 'alice@example.gov.uk', 'AIDAALICE', '" ALICE "'),"
         "(1, '" BASE "', 'bob@example.gov.uk', 'AIDABOB', "
         "'arn:aws:iam::111111111111:user/bob@example.gov.uk');"
         "INSERT INTO group_members (run_id, account_id, group_name, user_name) VALUES "
         "(1, '" BASE "', 'admins', 'alice@example.gov.uk'),"
         "(1, '" BASE "', 'admins', 'bob@example.gov.uk'),"
         "(1, '" BASE "', 'mfa', 'alice@example.gov.uk');"
         "INSERT INTO policies (run_id, account_id, arn, policy_name, document) VALUES "
         "(1, '" BASE "', 'arn:aws:iam::111111111111:policy/assume', 'assume', "
         "'{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\","
         "\"Resource\":\"arn:aws:iam::222222222222:role/*\"}]}');"
         "INSERT INTO principal_policies (run_id, account_id, principal_kind, principal_name, "
         "kind, policy_name, policy_arn, document) VALUES "
         "(1, '" BASE "', 'group', 'admins', 'attached', 'assume', "
         "'arn:aws:iam::111111111111:policy/assume', NULL),"
         "(1, '" BASE "', 'group', 'mfa', 'inline', 'force-mfa', NULL, "
         "'{\"Statement\":[" FORCE_MFA "]}');");
    add_role(db, TEAM, "Admin",
             TRUST(ALLOW_ASSUME("{\"AWS\":\"arn:aws:iam::111111111111:root\"}")));
    add_role(db, TEAM, "deploy", TRUST(ALLOW_ASSUME("{\"Service\":\"ec2.amazonaws.com\"}")));
    ia_config_init(&cfg);
    struct ia_analyse_paths paths = { leavers, NULL, NULL };
    assert_int_equal(ia_analyse_run(db, &cfg, 1, &paths, &sum, &err), IA_OK);

    char *got = rows_of(db, "SELECT person || ' ' || role_name || ' ' || via || ' ' || "
                            "identity_via || ' mfa=' || mfa_required || ' ' || role_kind || ' '"
                            " || account_name || ' ' || team || ' ' || role_last_used_at "
                            "FROM latest_access ORDER BY person, role_name");
    assert_string_equal(got, "alice@example.gov.uk Admin account group admins: attached "
                             "arn:aws:iam::111111111111:policy/assume mfa=1 admin team-a a "
                             "2026-11-20T00:00:00Z\n"
                             "bob@example.gov.uk Admin account group admins: attached "
                             "arn:aws:iam::111111111111:policy/assume mfa=0 admin team-a a "
                             "2026-11-20T00:00:00Z\n");
    free(got);
    got = rows_of(db, "SELECT rule_id || ' ' || severity || ' ' || resource_arn || ' ' || "
                      "principal FROM findings WHERE rule_id IN ('access-without-mfa', "
                      "'leaver-has-access') ORDER BY 1");
    assert_string_equal(got, "access-without-mfa critical arn:aws:iam::222222222222:role/Admin "
                             "bob@example.gov.uk\n"
                             "leaver-has-access critical "
                             "arn:aws:iam::111111111111:user/bob@example.gov.uk "
                             "bob@example.gov.uk\n");
    free(got);
    /* the leaver's evidence lists every path */
    got = rows_of(db, "SELECT json_extract(evidence, '$.paths[0].role_arn') || ' ' || "
                      "json_array_length(evidence, '$.paths') FROM findings "
                      "WHERE rule_id = 'leaver-has-access'");
    assert_string_equal(got, "arn:aws:iam::222222222222:role/Admin 1\n");
    free(got);
    /* analysing again replaces the paths */
    assert_int_equal(ia_analyse_run(db, &cfg, 1, &paths, &sum, &err), IA_OK);
    got = rows_of(db, "SELECT count(*) FROM access_paths");
    assert_string_equal(got, "2\n");
    free(got);
    ia_config_release(&cfg);
    ia_db_close(db);
    const char *const files[] = { "ia.db", "ia.db-wal", "ia.db-shm", "leavers.csv" };
    for (size_t i = 0; i < IA_ARRAY_LEN(files); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_index),
        cmocka_unit_test(test_role_kind),
        cmocka_unit_test(test_analysis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
