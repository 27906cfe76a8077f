/*
 * The analyser against synthetic snapshots: every rule with positive and negative cases
 * (table-driven), the false-alarm guards, exceptions, leavers/roster parsing, fingerprints
 * and run-to-run history, diff. Each case builds a fresh database in a temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyser/analyser.h"
#include "analyser/internal.h"
#include "collector/snapshot_write.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/mem.h"
#include "core/policy.h"
#include "sql/db.h"

/* "Now" for every test: 2026-11-27T12:00:00Z (IA_FAKE_NOW). */
#define OLD "2026-01-01T00:00:00Z"    /* 330 days before now */
#define MID "2026-09-28T00:00:00Z"    /* 60 days before now */
#define RECENT "2026-11-20T00:00:00Z" /* 7 days before now */
#define BASE "111111111111"
#define TEAM "222222222222"
#define UARN(n) "arn:aws:iam::111111111111:user/" n
#define TARN(n) "arn:aws:iam::222222222222:user/" n
#define RARN "arn:aws:iam::222222222222:role/Admin"

struct env {
    char dir[64];
    struct ia_db *db;
    struct ia_config cfg;
};

static const char s_fixture[] =
    "INSERT INTO runs (id, started_at, finished_at, status, tool_version) VALUES "
    "(1, '2026-11-26T02:00:00Z', '2026-11-26T02:10:00Z', 'complete', 'test');"
    "INSERT INTO accounts (run_id, account_id, name, team, is_base, status) VALUES "
    "(1, '" BASE "', 'gds-users', 'gds', 1, 'ok'), (1, '" TEAM "', 'team-a', 'a', 0, 'ok');"
    "INSERT INTO password_policies (run_id, account_id, present, minimum_length) VALUES "
    "(1, '" BASE "', 1, 16);";

static void
path_in(const struct env *e, const char *name, struct ia_buf *out)
{
    ia_buf_reset(out);
    ia_buf_addf(out, "%s/%s", e->dir, name);
}

static void
exec(struct env *e, const char *sql)
{
    struct ia_err err;
    ia_err_clear(&err);
    if (ia_db_exec(e->db, sql, &err) != IA_OK)
        fail_msg("SQL failed: %s\n%s", err.msg, sql);
}

static void
env_open(struct env *e)
{
    struct ia_err err;
    struct ia_buf p = IA_BUF_INIT;
    char now[32];
    snprintf(now, sizeof(now), "%lld", (long long)ia_time_from_utc(2026, 11, 27, 12, 0, 0));
    setenv("IA_FAKE_NOW", now, 1);
    snprintf(e->dir, sizeof(e->dir), "/tmp/ia-analyser-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    path_in(e, "ia.db", &p);
    ia_err_clear(&err);
    assert_int_equal(ia_db_open(p.buf, IA_DB_READWRITE, &e->db, &err), IA_OK);
    ia_buf_release(&p);
    exec(e, s_fixture);
    ia_config_init(&e->cfg);
}

static void
env_close(struct env *e)
{
    static const char *const files[] = { "ia.db",       "ia.db-wal",  "ia.db-shm",
                                         "leavers.csv", "roster.csv", "exceptions.ini" };
    struct ia_buf p = IA_BUF_INIT;
    ia_db_close(e->db);
    ia_config_release(&e->cfg);
    for (size_t i = 0; i < IA_ARRAY_LEN(files); i++) {
        path_in(e, files[i], &p);
        unlink(p.buf);
    }
    ia_buf_release(&p);
    rmdir(e->dir);
}

static void
write_file(const struct env *e, const char *name, const char *text, struct ia_buf *path)
{
    path_in(e, name, path);
    FILE *f = fopen(path->buf, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
}

/* A role and its trust rows, written by the collector's own trust-row writer. */
static void
add_role(struct env *e, int64_t run, const char *acct, const char *name, const char *path,
         const char *created, const char *last_used, const char *trust)
{
    struct ia_err err;
    struct ia_db_stmt *st;
    struct ia_buf arn = IA_BUF_INIT;

    ia_err_clear(&err);
    ia_buf_addf(&arn, "arn:aws:iam::%s:role/%s", acct, name);
    assert_int_equal(ia_db_prepare(e->db, "role_insert", &st, &err), IA_OK);
    ia_db_bind_int(st, ":run_id", run);
    ia_db_bind_text(st, ":account_id", acct);
    ia_db_bind_text(st, ":role_name", name);
    ia_db_bind_text(st, ":role_id", "AROAEXAMPLEROLEID0001");
    ia_db_bind_text(st, ":arn", arn.buf);
    ia_db_bind_text(st, ":path", path ? path : "/");
    ia_db_bind_text(st, ":created_at", created);
    ia_db_bind_text(st, ":last_used_at", last_used);
    ia_db_bind_null(st, ":last_used_region");
    ia_db_bind_null(st, ":permissions_boundary");
    ia_db_bind_null(st, ":tags");
    ia_db_bind_text(st, ":trust_policy", trust);
    ia_db_bind_null(st, ":trust_error");
    assert_int_equal(ia_db_run(st, &err), IA_OK);
    if (trust) {
        char *terr = NULL;
        assert_int_equal(
            ia_snapshot_write_trust_rows(e->db, run, acct, name, arn.buf, trust, &terr, &err),
            IA_OK);
        free(terr);
    }
    ia_buf_release(&arn);
}

static enum ia_code
analyse(struct env *e, int64_t run, const char *leavers, const char *roster, const char *exc,
        struct ia_analyse_summary *sum, struct ia_err *err)
{
    struct ia_buf pl = IA_BUF_INIT, pr = IA_BUF_INIT, px = IA_BUF_INIT;
    struct ia_analyse_paths paths = { NULL, NULL, NULL };
    if (leavers) {
        write_file(e, "leavers.csv", leavers, &pl);
        paths.leavers = pl.buf;
    }
    if (roster) {
        write_file(e, "roster.csv", roster, &pr);
        paths.roster = pr.buf;
    }
    if (exc) {
        write_file(e, "exceptions.ini", exc, &px);
        paths.exceptions = px.buf;
    }
    ia_err_clear(err);
    enum ia_code rc = ia_analyse_run(e->db, &e->cfg, run, &paths, sum, err);
    ia_buf_release(&pl);
    ia_buf_release(&pr);
    ia_buf_release(&px);
    return rc;
}

/* "SEVERITY RESOURCE PRINCIPAL\n" for every finding of rule in run, sorted. New string. */
static char *
findings_of(struct env *e, int64_t run, const char *rule)
{
    struct ia_db_stmt *st;
    struct ia_err err;
    struct ia_buf b = IA_BUF_INIT;
    ia_err_clear(&err);
    assert_int_equal(ia_db_prepare(e->db,
                                   "SELECT severity || ' ' || resource_arn || ' ' || "
                                   "COALESCE(principal, '-') FROM findings WHERE run_id = :run "
                                   "AND rule_id = :rule ORDER BY 1",
                                   &st, &err),
                     IA_OK);
    ia_db_bind_int(st, ":run", run);
    ia_db_bind_text(st, ":rule", rule);
    while (ia_db_step(st, &err) == 1) {
        ia_buf_addstr(&b, ia_db_col_text(st, 0));
        ia_buf_addch(&b, '\n');
    }
    ia_db_finalize(st);
    return ia_buf_detach(&b, NULL);
}

/* One text column of the first row of sql (which must mention :run), or NULL. New string. */
static char *
query1(struct env *e, const char *sql, int64_t run)
{
    struct ia_db_stmt *st;
    struct ia_err err;
    char *out = NULL;
    ia_err_clear(&err);
    assert_int_equal(ia_db_prepare(e->db, sql, &st, &err), IA_OK);
    ia_db_bind_int(st, ":run", run);
    if (ia_db_step(st, &err) == 1 && ia_db_col_text(st, 0))
        out = ia_xstrdup(ia_db_col_text(st, 0));
    ia_db_finalize(st);
    return out;
}

/* ---- the rule table ------------------------------------------------------------------------ */

static void
cfg_domains(struct ia_config *c)
{
    c->rules.allowed_email_domains = ia_xcalloc(2, sizeof(char *));
    c->rules.allowed_email_domains[0] = ia_xstrdup("digital.example.gov.uk");
}

static void
cfg_group(struct ia_config *c)
{
    c->rules.required_group = ia_xstrdup("cross-account-users");
}

static void
cfg_known(struct ia_config *c)
{
    c->rules.known_accounts = ia_xcalloc(2, sizeof(char *));
    c->rules.known_accounts[0] = ia_xstrdup("999999999999");
}

static void
cfg_min15(struct ia_config *c)
{
    c->rules.min_password_length = 15;
}

static void
cfg_runner(struct ia_config *c)
{
    c->runner = ia_xstrdup("arn:aws:iam::" BASE ":user/iam-audit-runner");
}

struct rcase {
    const char *name;
    const char *rule;
    const char *sql;
    const char *trust; /* a role Admin in TEAM (unless role_* say otherwise) */
    const char *role_acct, *role_name, *role_path, *role_created, *role_used;
    void (*tweak)(struct ia_config *);
    const char *leavers, *roster;
    const char *post_sql; /* run after the role is added */
    const char *expect;
};

#define USER(acct, name, created, pw, pw_used, mfa)                                                \
    "INSERT INTO users (run_id, account_id, user_name, user_id, arn, created_at, "                 \
    "password_enabled, password_last_used, mfa_active) VALUES (1, '" acct "', '" name "', "        \
    "'AIDA" name "', 'arn:aws:iam::" acct ":user/" name "', " created ", " pw ", " pw_used         \
    ", " mfa ");"
#define Q(s) "'" s "'"
#define DEVICE(acct, user, name, kind)                                                             \
    "INSERT INTO mfa_devices (run_id, account_id, user_name, serial_number, device_name, kind) "   \
    "VALUES (1, '" acct "', '" user "', 'arn:aws:iam::" acct ":mfa/" name "', '" name "', '" kind  \
    "');"
#define KEY(acct, user, id, status, created, used)                                                 \
    "INSERT INTO access_keys (run_id, account_id, user_name, access_key_id, status, "              \
    "created_at, last_used_at) VALUES (1, '" acct "', '" user "', '" id "', '" status              \
    "', " created ", " used ");"
#define ROOT(acct, mfa, k1, k2)                                                                    \
    "INSERT INTO credential_report (run_id, account_id, user, arn, password_enabled, "             \
    "mfa_active, access_key_1_active, access_key_2_active) VALUES (1, '" acct "', "                \
    "'<root_account>', 'arn:aws:iam::" acct ":root', 'not_supported', '" mfa "', '" k1 "', '" k2   \
    "');"
#define DOC(stmts) "{\"Version\":\"2012-10-17\",\"Statement\":[" stmts "]}"
#define ALLOW(p, extra)                                                                            \
    "{\"Effect\":\"Allow\",\"Principal\":" p ",\"Action\":\"sts:AssumeRole\"" extra "}"
#define COND(c) ",\"Condition\":{" c "}"
#define MFA COND("\"Bool\":{\"aws:MultiFactorAuthPresent\":\"true\"}")
#define AWS(v) "{\"AWS\":\"" v "\"}"
#define A_USER AWS(UARN("a@digital.example.gov.uk"))
#define A_USER_ROW                                                                                 \
    USER(BASE, "a@digital.example.gov.uk", Q(OLD), "1", Q(RECENT), "1")                            \
    DEVICE(BASE, "a@digital.example.gov.uk", "a@digital.example.gov.uk-phone", "virtual")

/* Issue 14: a user's inline policy allowing sts:AssumeRole on every role. */
#define ASSUME_GRANT(user)                                                                         \
    "INSERT INTO principal_policies VALUES (1, '" BASE "', 'user', '" user "', 'inline', "         \
    "'assume', NULL, '{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\","        \
    "\"Resource\":\"*\"}]}');"

/* Issue 13 fixtures. */
#define GH "token.actions.githubusercontent.com"
#define GH_ARN "arn:aws:iam::" TEAM ":oidc-provider/" GH
#define OIDC_PROVIDER(host) "arn:aws:iam::" TEAM ":oidc-provider/" host
#define EKS "oidc.eks.eu-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
#define SAML_ARN "arn:aws:iam::" TEAM ":saml-provider/ExampleOrgSSOProvider"
#define FED(p, action, extra)                                                                      \
    "{\"Effect\":\"Allow\",\"Principal\":{\"Federated\":\"" p "\"},\"Action\":\"" action           \
    "\"" extra "}"
#define FED_GH(cond) FED(GH_ARN, "sts:AssumeRoleWithWebIdentity", COND(cond))
#define COGNITO_AUD                                                                                \
    "\"StringEquals\":{\"cognito-identity.amazonaws.com:aud\":"                                    \
    "\"us-east-1:12345678-abcd-abcd-abcd-123456790ab\"}"
#define DATADOG                                                                                    \
    ALLOW(AWS("arn:aws:iam::464622532012:root"),                                                   \
          COND("\"StringEquals\":{\"sts:ExternalId\":\"0123456789abcdef0123456789abcdef\"}"))
#define FASTLY                                                                                     \
    ALLOW(AWS("arn:aws:iam::717331877981:root"),                                                   \
          COND("\"StringEquals\":{\"sts:ExternalId\":\"7mPlUMpXK1PHJOdZQSHsJ\"}"))
#define MFA_AND(c) COND("\"Bool\":{\"aws:MultiFactorAuthPresent\":\"true\"}," c)
#define INLINE(role, stmts)                                                                        \
    "INSERT INTO principal_policies VALUES (1, '" TEAM "', 'role', '" role "', 'inline', 'p', "    \
    "NULL, '{\"Version\":\"2012-10-17\",\"Statement\":[" stmts "]}');"
/* A role of TEAM trusting one AWS service. */
#define SERVICE_ROLE(name, service)                                                                \
    "INSERT INTO roles (run_id, account_id, role_name, role_id, arn, trust_policy) VALUES "        \
    "(1, '" TEAM "', '" name "', 'AROA" name "', 'arn:aws:iam::" TEAM ":role/" name "', '{}');"    \
    "INSERT INTO trusts (run_id, account_id, role_name, role_arn, statement_index, "               \
    "principal_index, effect, not_principal, principal_kind, principal, principal_type, "          \
    "actions) VALUES (1, '" TEAM "', '" name "', 'arn:aws:iam::" TEAM ":role/" name "', 0, 0, "    \
    "'Allow', 0, 'Service', '" service "', 'service', '[\"sts:AssumeRole\"]');"
/* A second role, Admin, trusting the team account as a whole. */
#define ADMIN_TRUSTING_TEAM                                                                        \
    "INSERT INTO roles (run_id, account_id, role_name, role_id, arn, trust_policy) VALUES "        \
    "(1, '" TEAM "', 'Admin', 'AROAADMIN', '" RARN "', '{}');"                                     \
    "INSERT INTO trusts (run_id, account_id, role_name, role_arn, statement_index, "               \
    "principal_index, effect, not_principal, principal_kind, principal, principal_account, "       \
    "principal_type, actions) VALUES (1, '" TEAM "', 'Admin', '" RARN "', 0, 0, 'Allow', 0, "      \
    "'AWS', 'arn:aws:iam::" TEAM ":root', '" TEAM "', 'account-root', '[\"sts:AssumeRole\"]');"

/*
 * An admin role in another account (acct) that trusts TEAM's TrustedUser by its ARN. The
 * analyser reads trust rows one account at a time (issue 16): with acct before TEAM (BASE) and
 * after it (333333333333), the escalation must see the admin role's trust either way.
 */
#define ADMIN_IN(acct)                                                                             \
    "INSERT INTO roles (run_id, account_id, role_name, role_id, arn, trust_policy) VALUES "        \
    "(1, '" acct "', 'Admin', 'AROAADMIN" acct "', 'arn:aws:iam::" acct ":role/Admin', '{}');"     \
    "INSERT INTO trusts (run_id, account_id, role_name, role_arn, statement_index, "               \
    "principal_index, effect, not_principal, principal_kind, principal, principal_account, "       \
    "principal_type, actions) VALUES (1, '" acct "', 'Admin', 'arn:aws:iam::" acct                 \
    ":role/Admin', 0, 0, 'Allow', 0, 'AWS', 'arn:aws:iam::" TEAM ":role/TrustedUser', '" TEAM      \
    "', 'role', '[\"sts:AssumeRole\"]');"
#define ASSUME_IN(acct)                                                                            \
    INLINE("TrustedUser", "{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\","                   \
                          "\"Resource\":\"arn:aws:iam::" acct ":role/*\"}")

static void
cfg_fastly(struct ia_config *c)
{
    c->rules.known_accounts = ia_xcalloc(2, sizeof(char *));
    c->rules.known_accounts[0] = ia_xstrdup("717331877981");
}

static void
cfg_org(struct ia_config *c)
{
    c->rules.organization_id = ia_xstrdup("o-abc1234567");
}

static void
cfg_grace0(struct ia_config *c)
{
    c->rules.bootstrap_grace_days = 0;
}

static const struct rcase s_cases[] = {
    /* ---- user-no-mfa ---- */
    { .name = "no MFA, password: critical",
      .rule = "user-no-mfa",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "0"),
      .expect = "critical " UARN("a@x.gov.uk") " a@x.gov.uk\n" },
    { .name = "no MFA, active key only: critical",
      .rule = "user-no-mfa",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "0", "NULL", "0")
          KEY(BASE, "a@x.gov.uk", "AKIA1", "Active", Q(OLD), Q(RECENT)),
      .expect = "critical " UARN("a@x.gov.uk") " a@x.gov.uk\n" },
    { .name = "no MFA, no password, inactive key: low (guard)",
      .rule = "user-no-mfa",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "0", "NULL", "0")
          KEY(BASE, "a@x.gov.uk", "AKIA1", "Inactive", Q(OLD), "NULL"),
      .expect = "low " UARN("a@x.gov.uk") " a@x.gov.uk\n" },
    { .name = "MFA device present",
      .rule = "user-no-mfa",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "0")
          DEVICE(BASE, "a@x.gov.uk", "a@x.gov.uk", "virtual"),
      .expect = "" },
    { .name = "MFA active per credential report",
      .rule = "user-no-mfa",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1"),
      .expect = "" },
    { .name = "team-account user is not this rule",
      .rule = "user-no-mfa",
      .sql = USER(TEAM, "svc", Q(OLD), "1", Q(RECENT), "0"),
      .expect = "" },
    { .name = "root row is never a user (guard)",
      .rule = "user-no-mfa",
      .sql = USER(BASE, "<root_account>", Q(OLD), "1", Q(RECENT), "0"),
      .expect = "" },
    /* ---- mfa-device-name-prefix ---- */
    { .name = "device named after user",
      .rule = "mfa-device-name-prefix",
      .sql = DEVICE(BASE, "a@x.gov.uk", "A@X.gov.uk-phone", "virtual"),
      .expect = "" },
    { .name = "device with another name",
      .rule = "mfa-device-name-prefix",
      .sql = DEVICE(BASE, "a@x.gov.uk", "iphone", "virtual"),
      .expect = "low arn:aws:iam::" BASE ":mfa/iphone a@x.gov.uk\n" },
    { .name = "hardware token serial is exempt",
      .rule = "mfa-device-name-prefix",
      .sql = DEVICE(BASE, "a@x.gov.uk", "GAHT12345678", "hardware"),
      .expect = "" },
    { .name = "team account devices are not checked",
      .rule = "mfa-device-name-prefix",
      .sql = DEVICE(TEAM, "svc", "iphone", "virtual"),
      .expect = "" },
    /* ---- root-no-mfa / root-access-key ---- */
    { .name = "root without MFA",
      .rule = "root-no-mfa",
      .sql = ROOT(TEAM, "false", "false", "false"),
      .expect = "critical arn:aws:iam::" TEAM ":root <root_account>\n" },
    { .name = "root with MFA",
      .rule = "root-no-mfa",
      .sql = ROOT(TEAM, "true", "false", "false"),
      .expect = "" },
    { .name = "root of a failed account is not judged",
      .rule = "root-no-mfa",
      .sql = ROOT(TEAM, "false", "false",
                  "false") "UPDATE accounts SET status = 'failed' WHERE account_id = '" TEAM "';",
      .expect = "" },
    { .name = "root with key 2 active",
      .rule = "root-access-key",
      .sql = ROOT(BASE, "true", "false", "true"),
      .expect = "critical arn:aws:iam::" BASE ":root <root_account>\n" },
    { .name = "root without keys",
      .rule = "root-access-key",
      .sql = ROOT(BASE, "true", "false", "false"),
      .expect = "" },
    /* ---- password-policy-weak ---- */
    { .name = "policy at 16", .rule = "password-policy-weak", .sql = "", .expect = "" },
    { .name = "no policy",
      .rule = "password-policy-weak",
      .sql = "UPDATE password_policies SET present = 0, minimum_length = NULL;",
      .expect = "high arn:aws:iam::" BASE ":account-password-policy -\n" },
    { .name = "policy at 15",
      .rule = "password-policy-weak",
      .sql = "UPDATE password_policies SET minimum_length = 15;",
      .expect = "medium arn:aws:iam::" BASE ":account-password-policy -\n" },
    { .name = "policy at 15 with min_password_length 15",
      .rule = "password-policy-weak",
      .sql = "UPDATE password_policies SET minimum_length = 15;",
      .tweak = cfg_min15,
      .expect = "" },
    /* ---- user-name-not-email ---- */
    { .name = "rule off without allowed domains",
      .rule = "user-name-not-email",
      .sql = USER(BASE, "bob", Q(OLD), "1", Q(RECENT), "1"),
      .expect = "" },
    { .name = "plain name",
      .rule = "user-name-not-email",
      .tweak = cfg_domains,
      .sql = USER(BASE, "bob", Q(OLD), "1", Q(RECENT), "1"),
      .expect = "medium " UARN("bob") " bob\n" },
    { .name = "other domain",
      .rule = "user-name-not-email",
      .tweak = cfg_domains,
      .sql = USER(BASE, "bob@evil.example.com", Q(OLD), "1", Q(RECENT), "1"),
      .expect = "medium " UARN("bob@evil.example.com") " bob@evil.example.com\n" },
    { .name = "allowed domain, any case",
      .rule = "user-name-not-email",
      .tweak = cfg_domains,
      .sql = USER(BASE, "bob@Digital.Example.gov.uk", Q(OLD), "1", Q(RECENT), "1"),
      .expect = "" },
    /* ---- user-not-in-group ---- */
    { .name = "outside the group",
      .rule = "user-not-in-group",
      .tweak = cfg_group,
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT),
                  "1") "INSERT INTO group_members VALUES (1, '" BASE "', 'other', 'a@x.gov.uk');",
      .expect = "medium " UARN("a@x.gov.uk") " a@x.gov.uk\n" },
    { .name = "in the group",
      .rule = "user-not-in-group",
      .tweak = cfg_group,
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT),
                  "1") "INSERT INTO group_members VALUES (1, '" BASE "', 'cross-account-users', "
                       "'a@x.gov.uk');",
      .expect = "" },
    /* ---- team-account-user ---- */
    { .name = "team user with password",
      .rule = "team-account-user",
      .sql = USER(TEAM, "jo", Q(OLD), "1", Q(RECENT), "1"),
      .expect = "high " TARN("jo") " jo\n" },
    { .name = "team user with active key",
      .rule = "team-account-user",
      .sql = USER(TEAM, "ci", Q(OLD), "0", "NULL", "0")
          KEY(TEAM, "ci", "AKIA2", "Active", Q(RECENT), Q(RECENT)),
      .expect = "high " TARN("ci") " ci\n" },
    { .name = "team user without credentials",
      .rule = "team-account-user",
      .sql = USER(TEAM, "ci", Q(OLD), "0", "NULL", "0")
          KEY(TEAM, "ci", "AKIA2", "Inactive", Q(RECENT), Q(RECENT)),
      .expect = "" },
    /* ---- leaver-present ---- */
    { .name = "leaver with password: critical",
      .rule = "leaver-present",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1"),
      .leavers = "email,leaving_date\n  A@X.GOV.UK ,2026-11-01\n",
      .expect = "critical " UARN("a@x.gov.uk") " a@x.gov.uk\n" },
    { .name = "leaver without credentials: high",
      .rule = "leaver-present",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "0", "NULL", "1"),
      .leavers = "email,leaving_date\na@x.gov.uk,2026-11-01\n",
      .expect = "high " UARN("a@x.gov.uk") " a@x.gov.uk\n" },
    { .name = "leaving today has not passed",
      .rule = "leaver-present",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1"),
      .leavers = "email,leaving_date\na@x.gov.uk,2026-11-27\n",
      .expect = "" },
    { .name = "leaving date in the future",
      .rule = "leaver-present",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1"),
      .leavers = "email,leaving_date\na@x.gov.uk,2027-01-31\n",
      .expect = "" },
    { .name = "username column",
      .rule = "leaver-present",
      .sql = USER(BASE, "jdoe", Q(OLD), "1", Q(RECENT), "1"),
      .leavers = "username,leaving_date,team\njdoe,2026-10-01,x\n",
      .expect = "critical " UARN("jdoe") " jdoe\n" },
/* ---- iam-audit's own role and runner (issue 19.1) ---- */
#define RUNNER "arn:aws:iam::" BASE ":user/iam-audit-runner"
#define AUDIT_ARN "arn:aws:iam::" TEAM ":role/iam-audit"
#define OWN_POLICY(kind, name, doc)                                                                \
    "INSERT INTO principal_policies (run_id, account_id, principal_kind, principal_name, kind, "   \
    "policy_name, document) VALUES (1, '" TEAM "', '" kind "', '" name "', 'inline', 'p', '" doc   \
    "');"
#define READ_DOC                                                                                   \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":["                \
    "\"iam:GetAccountAuthorizationDetails\",\"iam:ListRoles\",\"iam:GetCredentialReport\","        \
    "\"iam:GenerateCredentialReport\"],\"Resource\":\"*\"}]}"
    { .name = "audit role as documented (no MFA on its trust is by design)",
      .rule = "trust-no-mfa",
      .role_name = "iam-audit",
      .tweak = cfg_runner,
      .trust = DOC(ALLOW(AWS(RUNNER), "")),
      .post_sql = OWN_POLICY("role", "iam-audit", READ_DOC),
      .expect = "" },
    { .name = "audit role as documented: not a human role",
      .rule = "role-name-nonstandard",
      .role_name = "iam-audit",
      .tweak = cfg_runner,
      .trust = DOC(ALLOW(AWS(RUNNER), "")),
      .expect = "" },
    { .name = "audit role as documented: not broader",
      .rule = "audit-role-broader",
      .role_name = "iam-audit",
      .tweak = cfg_runner,
      .trust = DOC(ALLOW(AWS(RUNNER), "")),
      .post_sql = OWN_POLICY("role", "iam-audit", READ_DOC),
      .expect = "" },
    { .name = "audit role that can write",
      .rule = "audit-role-broader",
      .role_name = "iam-audit",
      .tweak = cfg_runner,
      .trust = DOC(ALLOW(AWS(RUNNER), "")),
      .post_sql = OWN_POLICY("role", "iam-audit",
                             "{\"Statement\":[{\"Effect\":\"Allow\","
                             "\"Action\":\"iam:*\",\"Resource\":\"*\"}]}"),
      .expect = "high " AUDIT_ARN " -\n" },
    { .name = "audit role trusting the whole base account",
      .rule = "audit-role-broader",
      .role_name = "iam-audit",
      .tweak = cfg_runner,
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), "")),
      .expect = "high " AUDIT_ARN " -\n" },
    { .name = "another role trusting the base account without MFA is still reported",
      .rule = "trust-no-mfa",
      .role_name = "iam-auditor",
      .tweak = cfg_runner,
      .trust = DOC(ALLOW(AWS(RUNNER), "")),
      .expect = "high arn:aws:iam::" TEAM ":role/iam-auditor " RUNNER "\n" },
    { .name = "the runner is not a person",
      .rule = "user-no-mfa",
      .tweak = cfg_runner,
      .sql = USER(BASE, "iam-audit-runner", Q(OLD), "0", "NULL", "0")
          KEY(BASE, "iam-audit-runner", "AKIA1", "Active", Q(OLD), Q(RECENT)),
      .expect = "" },
    { .name = "runner that only assumes the audit roles",
      .rule = "audit-runner-broader",
      .tweak = cfg_runner,
      .sql =
          USER(BASE, "iam-audit-runner", Q(OLD), "0", "NULL",
               "0") "INSERT INTO principal_policies (run_id, account_id, principal_kind, "
                    "principal_name, kind, policy_name, document) VALUES (1, '" BASE "', 'user', "
                    "'iam-audit-runner', 'inline', 'p', '{\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":\"sts:AssumeRole\",\"Resource\":\"arn:aws:iam::*:role/"
                    "iam-audit\"}]}');",
      .expect = "" },
    { .name = "runner that may assume any role",
      .rule = "audit-runner-broader",
      .tweak = cfg_runner,
      .sql =
          USER(BASE, "iam-audit-runner", Q(OLD), "0", "NULL",
               "0") "INSERT INTO principal_policies (run_id, account_id, principal_kind, "
                    "principal_name, kind, policy_name, document) VALUES (1, '" BASE "', 'user', "
                    "'iam-audit-runner', 'inline', 'p', '{\"Statement\":[{\"Effect\":\"Allow\","
                    "\"Action\":\"sts:AssumeRole\",\"Resource\":\"*\"}]}');",
      .expect = "high " RUNNER " -\n" },
    /* ---- leavers-matched-nobody (issue 19.6) ---- */
    { .name = "a leavers file with no leaver in it",
      .rule = "leavers-matched-nobody",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1"),
      .leavers = "email,leaving_date\n",
      .expect = "" },
    { .name = "leavers file of display names matches nobody",
      .rule = "leavers-matched-nobody",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1"),
      .leavers = "username,leaving_date\nJane Doe,2026-11-01\n",
      .expect = "medium iam-audit:leavers-file -\n" },
    { .name = "one leaver matched",
      .rule = "leavers-matched-nobody",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1"),
      .leavers = "email,leaving_date\nb@x.gov.uk,2026-11-01\na@x.gov.uk,2027-01-01\n",
      .expect = "" },
    /* ---- access-without-mfa ---- */
    { .name = "path to an admin role without MFA: critical",
      .rule = "access-without-mfa",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1") ASSUME_GRANT("a@x.gov.uk"),
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), "")),
      .expect = "critical " RARN " a@x.gov.uk\n" },
    { .name = "path to a read-only role without MFA: high",
      .rule = "access-without-mfa",
      .role_name = "ReadOnly",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1") ASSUME_GRANT("a@x.gov.uk"),
      .trust = DOC(ALLOW(AWS(UARN("a@x.gov.uk")), "")),
      .expect = "high arn:aws:iam::" TEAM ":role/ReadOnly a@x.gov.uk\n" },
    { .name = "trust requires MFA",
      .rule = "access-without-mfa",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1") ASSUME_GRANT("a@x.gov.uk"),
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .expect = "" },
    { .name = "no identity grant: no path",
      .rule = "access-without-mfa",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1"),
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), "")),
      .expect = "" },
    /* ---- leaver-trusted-by-role ---- */
    { .name = "role trusts leaver (two statements: one finding)",
      .rule = "leaver-trusted-by-role",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1"),
      .trust = DOC(ALLOW(AWS(UARN("a@x.gov.uk")), MFA) "," ALLOW(AWS(UARN("a@x.gov.uk")), "")),
      .leavers = "email,leaving_date\na@x.gov.uk,2026-11-01\n",
      .expect = "high " RARN " " UARN("a@x.gov.uk") "\n" },
    { .name = "role trusts a leaver deleted since (unique id)",
      .rule = "leaver-trusted-by-role",
      .sql = "INSERT INTO principal_ids VALUES ('AIDAJQABLZS4A3QDU576Q', 'user', '" BASE "', "
             "'gone@x.gov.uk', '" UARN("gone@x.gov.uk") "', 1, 1);",
      .trust = DOC(ALLOW(AWS("AIDAJQABLZS4A3QDU576Q"), MFA)),
      .leavers = "email,leaving_date\ngone@x.gov.uk,2026-11-01\n",
      .expect = "high " RARN " " UARN("gone@x.gov.uk") "\n" },
    { .name = "list of users: only the leaver",
      .rule = "leaver-trusted-by-role",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1")
          USER(BASE, "b@x.gov.uk", Q(OLD), "1", Q(RECENT), "1"),
      .trust = DOC(ALLOW("{\"AWS\":[\"" UARN("b@x.gov.uk") "\",\"" UARN("a@x.gov.uk") "\"]}", MFA)),
      .leavers = "email,leaving_date\na@x.gov.uk,2026-11-01\n",
      .expect = "high " RARN " " UARN("a@x.gov.uk") "\n" },
    { .name = "base root narrowed by aws:PrincipalArn to a leaver",
      .rule = "leaver-trusted-by-role",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"),
                         COND("\"ArnEquals\":{\"aws:PrincipalArn\":[\"" UARN(
                             "b@x.gov.uk") "\",\"" UARN("a@x.gov.uk") "\"]}"))),
      .leavers = "email,leaving_date\na@x.gov.uk,2026-11-01\n",
      .expect = "high " RARN " " UARN("a@x.gov.uk") "\n" },
    { .name = "role trusts someone still here",
      .rule = "leaver-trusted-by-role",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1"),
      .trust = DOC(ALLOW(AWS(UARN("a@x.gov.uk")), MFA)),
      .leavers = "email,leaving_date\nb@x.gov.uk,2026-11-01\n",
      .expect = "" },
    /* ---- leaver-has-access ---- */
    { .name = "leaver with a path (account trust + own grant)",
      .rule = "leaver-has-access",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1") ASSUME_GRANT("a@x.gov.uk"),
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .leavers = "email,leaving_date\na@x.gov.uk,2026-11-01\n",
      .expect = "critical " UARN("a@x.gov.uk") " a@x.gov.uk\n" },
    { .name = "leaver named in a trust but without a grant: no path",
      .rule = "leaver-has-access",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1"),
      .trust = DOC(ALLOW(AWS(UARN("a@x.gov.uk")), MFA)),
      .leavers = "email,leaving_date\na@x.gov.uk,2026-11-01\n",
      .expect = "" },
    { .name = "leaving in the future: not yet",
      .rule = "leaver-has-access",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1") ASSUME_GRANT("a@x.gov.uk"),
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .leavers = "email,leaving_date\na@x.gov.uk,2027-01-01\n",
      .expect = "" },
    /* ---- user-not-in-roster ---- */
    { .name = "not in roster nor leavers",
      .rule = "user-not-in-roster",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1")
          USER(BASE, "b@x.gov.uk", Q(OLD), "1", Q(RECENT), "1")
              USER(BASE, "c@x.gov.uk", Q(OLD), "1", Q(RECENT), "1"),
      .roster = "name,email\nA,A@x.gov.uk\n",
      .leavers = "email,leaving_date\nc@x.gov.uk,"
                 "2026-11-01\n",
      .expect = "medium " UARN("b@x.gov.uk") " b@x.gov.uk\n" },
    { .name = "no roster: rule off",
      .rule = "user-not-in-roster",
      .sql = USER(BASE, "b@x.gov.uk", Q(OLD), "1", Q(RECENT), "1"),
      .expect = "" },
    /* ---- user-inactive ---- */
    { .name = "password last used long ago",
      .rule = "user-inactive",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(OLD), "1"),
      .expect = "medium " UARN("a@x.gov.uk") " a@x.gov.uk\n" },
    { .name = "key used recently keeps the user active",
      .rule = "user-inactive",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(OLD), "1")
          KEY(BASE, "a@x.gov.uk", "AKIA3", "Active", Q(OLD), Q(RECENT)),
      .expect = "" },
    { .name = "never used, created long ago",
      .rule = "user-inactive",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "1", "NULL", "1"),
      .expect = "medium " UARN("a@x.gov.uk") " a@x.gov.uk\n" },
    { .name = "never used, created recently (guard)",
      .rule = "user-inactive",
      .sql = USER(BASE, "a@x.gov.uk", Q(RECENT), "1", "NULL", "1"),
      .expect = "" },
    { .name = "no credentials: low",
      .rule = "user-inactive",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "0", Q(OLD), "1"),
      .expect = "low " UARN("a@x.gov.uk") " a@x.gov.uk\n" },
    /* ---- access-key-unused / access-key-old ---- */
    { .name = "key unused for 60 days",
      .rule = "access-key-unused",
      .sql = USER(TEAM, "ci", Q(OLD), "0", "NULL", "0")
          KEY(TEAM, "ci", "AKIA4", "Active", Q(OLD), Q(OLD)),
      .expect = "medium " TARN("ci") " AKIA4\n" },
    { .name = "key never used, created long ago",
      .rule = "access-key-unused",
      .sql = USER(TEAM, "ci", Q(OLD), "0", "NULL", "0")
          KEY(TEAM, "ci", "AKIA4", "Active", Q(OLD), "NULL"),
      .expect = "medium " TARN("ci") " AKIA4\n" },
    { .name = "key never used, created last week (guard)",
      .rule = "access-key-unused",
      .sql = USER(TEAM, "ci", Q(OLD), "0", "NULL", "0")
          KEY(TEAM, "ci", "AKIA4", "Active", Q(RECENT), "NULL"),
      .expect = "" },
    { .name = "inactive key is not judged",
      .rule = "access-key-unused",
      .sql = KEY(TEAM, "ci", "AKIA4", "Inactive", Q(OLD), Q(OLD)),
      .expect = "" },
    { .name = "key 330 days old",
      .rule = "access-key-old",
      .sql = USER(BASE, "a@x.gov.uk", Q(OLD), "0", "NULL", "1")
          KEY(BASE, "a@x.gov.uk", "AKIA5", "Active", Q(OLD), Q(RECENT)),
      .expect = "medium " UARN("a@x.gov.uk") " AKIA5\n" },
    { .name = "key 60 days old",
      .rule = "access-key-old",
      .sql = KEY(BASE, "a@x.gov.uk", "AKIA5", "Active", Q(MID), Q(RECENT)),
      .expect = "" },
    /* ---- bootstrap-role-present ---- */
    { .name = "bootstrap role alone: medium",
      .rule = "bootstrap-role-present",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "Bootstrap",
      .expect = "medium arn:aws:iam::" TEAM ":role/Bootstrap -\n" },
    { .name = "bootstrap role with an admin role: high",
      .rule = "bootstrap-role-present",
      .sql = "INSERT INTO roles (run_id, account_id, role_name, role_id, arn, created_at) "
             "VALUES (1, '" TEAM "', 'jane.doe-admin', 'AROA2', 'arn:aws:iam::" TEAM
             ":role/jane.doe-admin', '" OLD "');",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "gds-bootstrap-role",
      .expect = "high arn:aws:iam::" TEAM ":role/gds-bootstrap-role -\n" },
    { .name = "bootstrap role inside the grace period",
      .rule = "bootstrap-role-present",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "bootstrap",
      .role_created = RECENT,
      .expect = "" },
    { .name = "service-linked role is exempt",
      .rule = "bootstrap-role-present",
      .trust = DOC(ALLOW("{\"Service\":\"ssm.amazonaws.com\"}", "")),
      .role_name = "AWSServiceRoleForBootstrap",
      .role_path = "/aws-service-role/ssm/",
      .expect = "" },
    /* ---- role-unused ---- */
    { .name = "human role unused for 330 days",
      .rule = "role-unused",
      .sql = A_USER_ROW,
      .trust = DOC(ALLOW(A_USER, MFA)),
      .role_used = OLD,
      .expect = "low " RARN " -\n" },
    { .name = "human role never used, created last week (guard)",
      .rule = "role-unused",
      .sql = A_USER_ROW,
      .trust = DOC(ALLOW(A_USER, MFA)),
      .role_created = RECENT,
      .role_used = "",
      .expect = "" },
    { .name = "service role is not human-assumable",
      .rule = "role-unused",
      .trust = DOC(ALLOW("{\"Service\":\"lambda.amazonaws.com\"}", "")),
      .role_used = OLD,
      .expect = "" },
    { .name = "service-linked role is exempt",
      .rule = "role-unused",
      .sql = A_USER_ROW,
      .trust = DOC(ALLOW(A_USER, MFA)),
      .role_used = OLD,
      .role_path = "/aws-service-role/x/",
      .expect = "" },
    /* ---- role-name-nonstandard ---- */
    { .name = "PowerUser trusted by the base account",
      .rule = "role-name-nonstandard",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "PowerUser",
      .expect = "info arn:aws:iam::" TEAM ":role/PowerUser -\n" },
    { .name = "per-person admin",
      .rule = "role-name-nonstandard",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "jane.doe-admin",
      .expect = "" },
    { .name = "per-person readonly",
      .rule = "role-name-nonstandard",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "jane.doe-readonly",
      .expect = "" },
    { .name = "TrustedUser",
      .rule = "role-name-nonstandard",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "TrustedUser",
      .expect = "" },
    { .name = "ReadOnly",
      .rule = "role-name-nonstandard",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "ReadOnly",
      .expect = "" },
    { .name = "machine role (team account root) is not human",
      .rule = "role-name-nonstandard",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" TEAM ":root"), "")),
      .role_name = "deployer",
      .expect = "" },
    /* ---- readonly-role-side-effects ---- */
    { .name = "inline ssm:GetParameter",
      .rule = "readonly-role-side-effects",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "ReadOnly",
      .sql = "INSERT INTO principal_policies VALUES (1, '" TEAM "', 'role', 'ReadOnly', "
             "'inline', 'params', NULL, '{\"Version\":\"2012-10-17\",\"Statement\":"
             "{\"Effect\":\"Allow\",\"Action\":\"ssm:GetParameter\",\"Resource\":\"*\"}}');",
      .expect = "high arn:aws:iam::" TEAM ":role/ReadOnly -\n" },
    { .name = "AWS-managed with ssm:Describe*",
      .rule = "readonly-role-side-effects",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "jane.doe-readonly",
      .sql = "INSERT INTO principal_policies VALUES (1, '" TEAM "', 'role', 'jane.doe-readonly', "
             "'attached', 'ViewOnly', 'arn:aws:iam::aws:policy/ViewOnly', NULL);"
             "INSERT INTO managed_policies VALUES (1, 'arn:aws:iam::aws:policy/ViewOnly', 'v1', "
             "'{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
             "[\"ec2:Describe*\",\"ssm:Describe*\"],\"Resource\":\"*\"}]}', NULL);",
      .expect = "high arn:aws:iam::" TEAM ":role/jane.doe-readonly -\n" },
    { .name = "customer-managed describe-only",
      .rule = "readonly-role-side-effects",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "ReadOnly",
      .sql =
          "INSERT INTO principal_policies VALUES (1, '" TEAM "', 'role', 'ReadOnly', "
          "'attached', 'ro', 'arn:aws:iam::" TEAM ":policy/ro', NULL);"
          "INSERT INTO policies (run_id, account_id, arn, policy_name, document) VALUES (1, '" TEAM
          "', 'arn:aws:iam::" TEAM ":policy/ro', 'ro', '{\"Version\":\"2012-10-17\","
          "\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"ec2:Describe*\",\"s3:List*\"],"
          "\"Resource\":\"*\"}]}');",
      .expect = "" },
    { .name = "explicit Deny honoured",
      .rule = "readonly-role-side-effects",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "ReadOnly",
      .sql = "INSERT INTO principal_policies VALUES (1, '" TEAM "', 'role', 'ReadOnly', "
             "'inline', 'p', NULL, '{\"Version\":\"2012-10-17\",\"Statement\":["
             "{\"Effect\":\"Allow\",\"Action\":[\"ec2:Describe*\",\"ssm:*\"],\"Resource\":\"*\"},"
             "{\"Effect\":\"Deny\",\"Action\":\"ssm:*\",\"Resource\":\"*\"}]}');",
      .expect = "" },
    { .name = "admin role is not read-only",
      .rule = "readonly-role-side-effects",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .sql = "INSERT INTO principal_policies VALUES (1, '" TEAM "', 'role', 'Admin', "
             "'inline', 'p', NULL, '{\"Version\":\"2012-10-17\",\"Statement\":["
             "{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}');",
      .expect = "" },
    /* The catalogue's own classes (issue 18): IAMReadOnlyAccess's GenerateCredentialReport,
     * ViewOnlyAccess's lightsail:IsVpcPeered are reads (verb guessing called them writes). */
    { .name = "AWS calls GenerateCredentialReport and IsVpcPeered Read",
      .rule = "readonly-role-side-effects",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "ReadOnly",
      .sql = "INSERT INTO principal_policies VALUES (1, '" TEAM "', 'role', 'ReadOnly', "
             "'inline', 'p', NULL, '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":"
             "\"Allow\",\"Action\":[\"iam:GenerateCredentialReport\",\"iam:Get*\","
             "\"lightsail:IsVpcPeered\",\"cleanrooms:PreviewPrivacyImpact\"],\"Resource\":"
             "\"*\"}]}');",
      .expect = "" },
    { .name = "a tagging action is a side effect",
      .rule = "readonly-role-side-effects",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "ReadOnly",
      .sql = "INSERT INTO principal_policies VALUES (1, '" TEAM "', 'role', 'ReadOnly', "
             "'inline', 'p', NULL, '{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":"
             "\"Allow\",\"Action\":\"ec2:CreateTags\",\"Resource\":\"*\"}}');",
      .expect = "high arn:aws:iam::" TEAM ":role/ReadOnly -\n" },
    /* ---- trusted-role-iam-admin ---- */
    { .name = "IAMFullAccess on a trusted role",
      .rule = "trusted-role-iam-admin",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "TrustedUser",
      .sql = "INSERT INTO principal_policies VALUES (1, '" TEAM "', 'role', 'TrustedUser', "
             "'attached', 'IAMFullAccess', 'arn:aws:iam::aws:policy/IAMFullAccess', NULL);"
             "INSERT INTO managed_policies VALUES (1, 'arn:aws:iam::aws:policy/IAMFullAccess', "
             "'v2', '{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
             "\"Action\":[\"iam:*\",\"organizations:DescribeAccount\"],\"Resource\":\"*\"}]}',"
             " NULL);",
      .expect = "high arn:aws:iam::" TEAM ":role/TrustedUser -\n" },
    { .name = "PowerUserAccess (service-linked roles only) is not IAM administration",
      .rule = "trusted-role-iam-admin",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "TrustedUser",
      .sql = "INSERT INTO principal_policies VALUES (1, '" TEAM "', 'role', 'TrustedUser', "
             "'inline', 'power', NULL, '{\"Version\":\"2012-10-17\",\"Statement\":["
             "{\"Effect\":\"Allow\",\"NotAction\":[\"iam:*\",\"organizations:*\","
             "\"account:*\"],\"Resource\":\"*\"},{\"Effect\":\"Allow\",\"Action\":["
             "\"iam:CreateServiceLinkedRole\",\"iam:DeleteServiceLinkedRole\",\"iam:ListRoles\","
             "\"iam:PassRole\"],\"Resource\":\"*\"}]}');",
      .expect = "" },
    { .name = "an explicit Deny of iam:* removes it",
      .rule = "trusted-role-iam-admin",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "jane.doe-trusted",
      .sql = "INSERT INTO principal_policies VALUES (1, '" TEAM "', 'role', 'jane.doe-trusted', "
             "'inline', 'p', NULL, '{\"Version\":\"2012-10-17\",\"Statement\":["
             "{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},"
             "{\"Effect\":\"Deny\",\"Action\":\"iam:*\",\"Resource\":\"*\"}]}');",
      .expect = "" },
    /* ---- policy-unknown-action ---- */
    { .name = "a typo grants nothing",
      .rule = "policy-unknown-action",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "ReadOnly",
      .sql = "INSERT INTO principal_policies VALUES (1, '" TEAM "', 'role', 'ReadOnly', "
             "'inline', 'typo', NULL, '{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":"
             "\"Allow\",\"Action\":[\"s3:GetObjekt\",\"s3:ListBucket\"],\"Resource\":\"*\"}}');",
      .expect = "info arn:aws:iam::" TEAM ":role/ReadOnly#typo -\n" },
    { .name = "known actions and wildcards are fine",
      .rule = "policy-unknown-action",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "ReadOnly",
      .sql =
          "INSERT INTO policies (run_id, account_id, arn, policy_name, document) VALUES (1, '" TEAM
          "', 'arn:aws:iam::" TEAM ":policy/ok', 'ok', '{\"Version\":\"2012-10-17\","
          "\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"S3:getobject\",\"ec2:Describe*\","
          "\"*\"],\"Resource\":\"*\"},{\"Effect\":\"Deny\",\"Action\":\"s3:Nope\","
          "\"Resource\":\"*\"}]}');",
      .expect = "" },
    /* ---- trust-wildcard-principal: each grammar variant ---- */
    { .name = "Principal \"*\"",
      .rule = "trust-wildcard-principal",
      .trust = DOC(ALLOW("\"*\"", "")),
      .expect = "critical " RARN " *\n" },
    { .name = "Principal {AWS: *}",
      .rule = "trust-wildcard-principal",
      .trust = DOC(ALLOW(AWS("*"), "")),
      .expect = "critical " RARN " *\n" },
    { .name = "Principal {AWS: [*]} in a single statement object",
      .rule = "trust-wildcard-principal",
      .trust = "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Principal\":"
               "{\"AWS\":[\"*\"]},\"Action\":[\"sts:AssumeRole\",\"sts:TagSession\"]}}",
      .expect = "critical " RARN " *\n" },
    { .name = "pinned by StringEquals aws:PrincipalOrgID",
      .rule = "trust-wildcard-principal",
      .trust = DOC(ALLOW(AWS("*"), COND("\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-abc123\"}"))),
      .expect = "medium " RARN " *\n" },
    { .name = "pinned by ForAnyValue:StringEquals aws:PrincipalOrgID",
      .rule = "trust-wildcard-principal",
      .trust = DOC(ALLOW(AWS("*"), COND("\"ForAnyValue:StringEquals\":{\"aws:PrincipalOrgID\":"
                                        "[\"o-abc123\"]}"))),
      .expect = "medium " RARN " *\n" },
    /* Issue 13 item 3: sts:ExternalId is not a secret (AWS docs, "How to use an external
     * ID"), so it pins nothing: still critical (was medium). */
    { .name = "sts:ExternalId alone does not pin *",
      .rule = "trust-wildcard-principal",
      .trust = DOC(ALLOW(AWS("*"), COND("\"StringEquals\":{\"sts:ExternalId\":\"x-1\"}"))),
      .expect = "critical " RARN " *\n" },
    { .name = "StringEqualsIfExists does not pin",
      .rule = "trust-wildcard-principal",
      .trust = DOC(ALLOW(AWS("*"), COND("\"StringEqualsIfExists\":{\"aws:PrincipalOrgID\":"
                                        "\"o-abc123\"}"))),
      .expect = "critical " RARN " *\n" },
    { .name = "narrowed by a Deny StringNotEquals aws:PrincipalOrgID",
      .rule = "trust-wildcard-principal",
      .trust = DOC(ALLOW("\"*\"", "") ",{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":"
                                      "\"sts:AssumeRole\"" COND(
                                          "\"StringNotEquals\":{\"aws:PrincipalOrgID\":"
                                          "\"o-abc123\"}") "}"),
      .expect = "medium " RARN " *\n" },
    { .name = "unconditional Deny * makes the Allow moot",
      .rule = "trust-wildcard-principal",
      .trust = DOC(ALLOW("\"*\"", "") ",{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"*\"},"
                                      "\"Action\":\"sts:*\"}"),
      .expect = "" },
    { .name = "Deny on sts:AssumeRoleWithSAML does not cancel AssumeRole",
      .rule = "trust-wildcard-principal",
      .trust = DOC(ALLOW("\"*\"", "") ",{\"Effect\":\"Deny\",\"Principal\":\"*\","
                                      "\"Action\":\"sts:AssumeRoleWithSAML\"}"),
      .expect = "critical " RARN " *\n" },
    { .name = "Service principal is not a wildcard",
      .rule = "trust-wildcard-principal",
      .trust = DOC(ALLOW("{\"Service\":[\"ec2.amazonaws.com\",\"lambda.amazonaws.com\"]}", "")),
      .expect = "" },
    { .name = "NotAction sts:TagSession still allows AssumeRole",
      .rule = "trust-wildcard-principal",
      .trust = DOC("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"NotAction\":\"sts:TagSession\"}"),
      .expect = "critical " RARN " *\n" },
    { .name = "Action sts:* with AWS and Service kinds in one statement",
      .rule = "trust-wildcard-principal",
      .trust = DOC("{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\","
                   "\"AWS\":[\"arn:aws:iam::" TEAM ":role/ci\",\"*\"]},\"Action\":\"sts:*\"}"),
      .expect = "critical " RARN " *\n" },
    { .name = "Allow * on sts:TagSession only",
      .rule = "trust-wildcard-principal",
      .trust = DOC("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:TagSession\"}"),
      .expect = "" },
    { .name = "service-linked role is exempt",
      .rule = "trust-wildcard-principal",
      .trust = DOC(ALLOW("\"*\"", "")),
      .role_path = "/aws-service-role/x/",
      .expect = "" },
    /* ---- trust-account-root ---- */
    { .name = "base account root: high",
      .rule = "trust-account-root",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .expect = "high " RARN " arn:aws:iam::" BASE ":root\n" },
    { .name = "bare base account id: high",
      .rule = "trust-account-root",
      .trust = DOC(ALLOW(AWS(BASE), MFA)),
      .expect = "high " RARN " " BASE "\n" },
    { .name = "team account root: medium",
      .rule = "trust-account-root",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" TEAM ":root"), "")),
      .expect = "medium " RARN " arn:aws:iam::" TEAM ":root\n" },
    { .name = "base root narrowed by StringLike aws:PrincipalArn: lowered",
      .rule = "trust-account-root",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"),
                         COND("\"Bool\":{\"aws:MultiFactorAuthPresent\":\"true\"},\"StringLike\":"
                              "{\"aws:PrincipalArn\":\"arn:aws:iam::" BASE ":user/a@*\"}"))),
      .expect = "medium " RARN " arn:aws:iam::" BASE ":root\n" },
    { .name = "base root narrowed by aws:PrincipalAccount: lowered",
      .rule = "trust-account-root",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"),
                         COND("\"StringEquals\":{\"aws:PrincipalAccount\":\"" BASE "\"}"))),
      .expect = "medium " RARN " arn:aws:iam::" BASE ":root\n" },
    { .name = "base root narrowed by StringEquals aws:PrincipalArn: lowered",
      .rule = "trust-account-root",
      .trust =
          DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"),
                    COND("\"StringEquals\":{\"aws:PrincipalArn\":\"" UARN("a@x.gov.uk") "\"}"))),
      .expect = "medium " RARN " arn:aws:iam::" BASE ":root\n" },
    { .name = "team root narrowed by aws:PrincipalOrgID: low",
      .rule = "trust-account-root",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" TEAM ":root"),
                         COND("\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-abc123\"}"))),
      .expect = "low " RARN " arn:aws:iam::" TEAM ":root\n" },
    { .name = "sts:ExternalId does not narrow a whole account",
      .rule = "trust-account-root",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" TEAM ":root"),
                         COND("\"StringEquals\":{\"sts:ExternalId\":\"x\"}"))),
      .expect = "medium " RARN " arn:aws:iam::" TEAM ":root\n" },
    { .name = "named user is not a whole account",
      .rule = "trust-account-root",
      .sql = A_USER_ROW,
      .trust = DOC(ALLOW(A_USER, MFA)),
      .expect = "" },
    /* ---- trust-no-mfa / trust-mfa-if-exists: each operator ---- */
    { .name = "user without MFA condition",
      .rule = "trust-no-mfa",
      .sql = A_USER_ROW,
      .trust = DOC(ALLOW(A_USER, "")),
      .expect = "high " RARN " " UARN("a@digital.example.gov.uk") "\n" },
    { .name = "Bool aws:MultiFactorAuthPresent true",
      .rule = "trust-no-mfa",
      .sql = A_USER_ROW,
      .trust = DOC(ALLOW(A_USER, MFA)),
      .expect = "" },
    { .name = "Bool aws:MultiFactorAuthPresent false",
      .rule = "trust-no-mfa",
      .sql = A_USER_ROW,
      .trust = DOC(ALLOW(A_USER, COND("\"Bool\":{\"aws:MultiFactorAuthPresent\":\"false\"}"))),
      .expect = "high " RARN " " UARN("a@digital.example.gov.uk") "\n" },
    { .name = "NumericLessThan aws:MultiFactorAuthAge",
      .rule = "trust-no-mfa",
      .sql = A_USER_ROW,
      .trust = DOC(ALLOW(A_USER, COND("\"NumericLessThan\":{\"aws:MultiFactorAuthAge\":"
                                      "\"3600\"}"))),
      .expect = "" },
    { .name = "ForAnyValue:Bool reads as Bool",
      .rule = "trust-no-mfa",
      .sql = A_USER_ROW,
      .trust = DOC(ALLOW(A_USER, COND("\"ForAnyValue:Bool\":{\"aws:MultiFactorAuthPresent\":"
                                      "\"true\"}"))),
      .expect = "" },
    { .name = "BoolIfExists is not trust-no-mfa",
      .rule = "trust-no-mfa",
      .sql = A_USER_ROW,
      .trust = DOC(ALLOW(A_USER, COND("\"BoolIfExists\":{\"aws:MultiFactorAuthPresent\":"
                                      "\"true\"}"))),
      .expect = "" },
    { .name = "BoolIfExists",
      .rule = "trust-mfa-if-exists",
      .sql = A_USER_ROW,
      .trust = DOC(ALLOW(A_USER, COND("\"BoolIfExists\":{\"aws:MultiFactorAuthPresent\":"
                                      "\"true\"}"))),
      .expect = "medium " RARN " " UARN("a@digital.example.gov.uk") "\n" },
    { .name = "Bool is not if-exists",
      .rule = "trust-mfa-if-exists",
      .sql = A_USER_ROW,
      .trust = DOC(ALLOW(A_USER, MFA)),
      .expect = "" },
    { .name = "Deny BoolIfExists false enforces MFA",
      .rule = "trust-no-mfa",
      .sql = A_USER_ROW,
      .trust = DOC(ALLOW(A_USER, "") ",{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"*\"},"
                                     "\"Action\":\"sts:AssumeRole\"" COND(
                                         "\"BoolIfExists\":{\"aws:MultiFactor"
                                         "AuthPresent\":\"false\"}") "}"),
      .expect = "" },
    { .name = "Deny Bool false lets keys through: if-exists",
      .rule = "trust-mfa-if-exists",
      .sql = A_USER_ROW,
      .trust = DOC(
          ALLOW(A_USER, "") ",{\"Effect\":\"Deny\",\"Principal\":{\"AWS\":\"*\"},"
                            "\"Action\":\"sts:AssumeRole\"" COND("\"Bool\":{\"aws:MultiFactor"
                                                                 "AuthPresent\":\"false\"}") "}"),
      .expect = "medium " RARN " " UARN("a@digital.example.gov.uk") "\n" },
    { .name = "base account root without MFA: high",
      .rule = "trust-no-mfa",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), "")),
      .expect = "high " RARN " arn:aws:iam::" BASE ":root\n" },
    { .name = "team account root without MFA: medium",
      .rule = "trust-no-mfa",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" TEAM ":root"), "")),
      .expect = "medium " RARN " arn:aws:iam::" TEAM ":root\n" },
    { .name = "Service principal is out of scope",
      .rule = "trust-no-mfa",
      .trust = DOC(ALLOW("{\"Service\":\"ec2.amazonaws.com\"}", "")),
      .expect = "" },
    { .name = "Federated principal is out of scope",
      .rule = "trust-no-mfa",
      .trust = DOC("{\"Effect\":\"Allow\",\"Principal\":{\"Federated\":\"arn:aws:iam::" TEAM
                   ":saml-provider/idp\"},\"Action\":\"sts:AssumeRoleWithSAML\"}"),
      .expect = "" },
    { .name = "role principal is out of scope",
      .rule = "trust-no-mfa",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" TEAM ":role/ci"), "")),
      .expect = "" },
    /* ---- trust-external-account ---- */
    { .name = "unknown account root",
      .rule = "trust-external-account",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::999999999999:root"), "")),
      .expect = "high " RARN " arn:aws:iam::999999999999:root\n" },
    { .name = "unknown account with sts:ExternalId: medium",
      .rule = "trust-external-account",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::999999999999:role/vendor"),
                         COND("\"StringEquals\":{\"sts:ExternalId\":\"abc-123\"}"))),
      .expect = "medium " RARN " arn:aws:iam::999999999999:role/vendor\n" },
    { .name = "known account",
      .rule = "trust-external-account",
      .tweak = cfg_known,
      .trust = DOC(ALLOW(AWS("arn:aws:iam::999999999999:root"), "")),
      .expect = "" },
    { .name = "audited account",
      .rule = "trust-external-account",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" TEAM ":root"), "")),
      .expect = "" },
    /* ---- trust-dangling-principal ---- */
    { .name = "unique id of a deleted user",
      .rule = "trust-dangling-principal",
      .sql = "INSERT INTO principal_ids VALUES ('AIDAJQABLZS4A3QDU576Q', 'user', '" BASE "', "
             "'gone@x.gov.uk', '" UARN("gone@x.gov.uk") "', 1, 1);",
      .trust = DOC(ALLOW(AWS("AIDAJQABLZS4A3QDU576Q"), MFA)),
      .expect = "medium " RARN " AIDAJQABLZS4A3QDU576Q\n" },
    { .name = "ARN of a user gone from the base account",
      .rule = "trust-dangling-principal",
      .trust = DOC(ALLOW(AWS(UARN("gone@x.gov.uk")), MFA)),
      .expect = "medium " RARN " " UARN("gone@x.gov.uk") "\n" },
    { .name = "ARN of an existing user",
      .rule = "trust-dangling-principal",
      .sql = A_USER_ROW,
      .trust = DOC(ALLOW(A_USER, MFA)),
      .expect = "" },
    { .name = "base account not collected: cannot tell",
      .rule = "trust-dangling-principal",
      .sql = "UPDATE accounts SET status = 'failed' WHERE account_id = '" BASE "';",
      .trust = DOC(ALLOW(AWS(UARN("gone@x.gov.uk")), MFA)),
      .expect = "" },
    /* ---- trust-policy-unreadable ---- */
    /* Issue 12 item 12: fail closed (high, was medium); critical when "*" shows. */
    { .name = "no trust rows: high",
      .rule = "trust-policy-unreadable",
      .sql = "INSERT INTO roles (run_id, account_id, role_name, role_id, arn, trust_policy, "
             "trust_error) VALUES (1, '" TEAM "', 'Admin', 'AROA9', '" RARN "', '{oops', "
             "'not JSON');",
      .expect = "high " RARN " -\n" },
    { .name = "read in part: low",
      .rule = "trust-policy-unreadable",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" TEAM ":root"), "")),
      .post_sql = "UPDATE roles SET trust_error = 'statement 1: no Effect';",
      .expect = "low " RARN " -\n" },
    { .name = "clean trust policy",
      .rule = "trust-policy-unreadable",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" TEAM ":root"), "")),
      .expect = "" },
    { .name = "service-linked role is exempt",
      .rule = "trust-policy-unreadable",
      .trust = DOC(ALLOW("{\"Service\":\"ssm.amazonaws.com\"}", "")),
      .role_path = "/aws-service-role/ssm/",
      .post_sql = "UPDATE roles SET trust_error = 'x';",
      .expect = "" },
    /* ---- trust-not-principal: critical, broader than "*" (issue 13 item 5) ---- */
    { .name = "Allow NotPrincipal",
      .rule = "trust-not-principal",
      .trust = DOC("{\"Effect\":\"Allow\",\"NotPrincipal\":{\"AWS\":\"arn:aws:iam::" TEAM
                   ":root\"},\"Action\":\"sts:AssumeRole\"}"),
      .expect = "critical " RARN " arn:aws:iam::" TEAM ":root\n" },
    { .name = "Deny NotPrincipal",
      .rule = "trust-not-principal",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" TEAM ":root"),
                         "") ",{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\"arn:aws:iam::" TEAM
                             ":root\"},\"Action\":\"sts:AssumeRole\"}"),
      .expect = "" },
    /* ---- issue 13: real trust policies, each pattern as found in the wild ---- */
    /* trust-federated-unscoped. GitHub Actions, as in GitHub's docs "Configuring OpenID Connect
     * in Amazon Web Services" (aud sts.amazonaws.com, sub repo:octo-org/octo-repo:*). */
    { .name = "GitHub OIDC pinned to one repository (GitHub docs)",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED_GH("\"StringEquals\":{\"" GH ":aud\":\"sts.amazonaws.com\"},"
                          "\"StringLike\":{\"" GH ":sub\":\"repo:octo-org/octo-repo:*\"}")),
      .expect = "" },
    /* GitHub docs, environment form: repo:octo-org/octo-repo:environment:prod. */
    { .name = "GitHub OIDC pinned to one repository's environment",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED_GH("\"StringEquals\":{\"" GH ":aud\":\"sts.amazonaws.com\",\"" GH
                          ":sub\":\"repo:octo-org/octo-repo:environment:prod\"}")),
      .expect = "" },
    /* The aud-only trust that aws-actions/configure-aws-credentials' README warns about and
     * that public scans of GitHub OIDC roles keep finding: any repository gets in. */
    { .name = "GitHub OIDC with aud only: critical",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED_GH("\"StringEquals\":{\"" GH ":aud\":\"sts.amazonaws.com\"}")),
      .expect = "critical " RARN " " GH_ARN "\n" },
    { .name = "GitHub OIDC sub repo:*: critical",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED_GH("\"StringLike\":{\"" GH ":sub\":\"repo:*\"}")),
      .expect = "critical " RARN " " GH_ARN "\n" },
    { .name = "GitHub OIDC sub repo:*/*: critical",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED_GH("\"StringLike\":{\"" GH ":sub\":[\"repo:octo-org/octo-repo:*\","
                          "\"repo:*/*\"]}")),
      .expect = "critical " RARN " " GH_ARN "\n" },
    /* A public CTF write-up's target: a branch pin does not help when the owner is "*". */
    { .name = "GitHub OIDC sub repo:*/*:ref:refs/heads/corgi: critical",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED_GH("\"StringLike\":{\"" GH ":sub\":\"repo:*/*:ref:refs/heads/corgi\"}")),
      .expect = "critical " RARN " " GH_ARN "\n" },
    /* Several named repositories and pull_request / branch forms, as public Terraform lists
     * them ("repo:ORG/infra:ref:refs/heads/stage", "repo:ORG/infra:pull_request"). */
    { .name = "GitHub OIDC list of pinned repositories and events",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED_GH("\"StringEquals\":{\"" GH ":aud\":\"sts.amazonaws.com\"},"
                          "\"StringLike\":{\"" GH ":sub\":[\"repo:org/infra:ref:refs/heads/"
                          "stage\",\"repo:org/infra:pull_request\",\"repo:org/backend:*\"]}")),
      .expect = "" },
    { .name = "GitHub OIDC sub *: critical",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED_GH("\"StringLike\":{\"" GH ":sub\":\"*\"}")),
      .expect = "critical " RARN " " GH_ARN "\n" },
    /* Owner wildcard: "repo:octo-org*" also admits octo-org-evil. */
    { .name = "GitHub OIDC owner prefix wildcard: critical",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED_GH("\"StringLike\":{\"" GH ":sub\":\"repo:octo-org*\"}")),
      .expect = "critical " RARN " " GH_ARN "\n" },
    /* Organisation-wide, as alphagov Terraform and many others write it ("repo:ORG/" and a star).
     */
    { .name = "GitHub OIDC any repository of one organisation: medium",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED_GH("\"StringLike\":{\"" GH ":sub\":\"repo:alphagov/*\"}")),
      .expect = "medium " RARN " " GH_ARN "\n" },
    { .name = "GitHub OIDC StringLikeIfExists does not pin",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED_GH("\"StringLikeIfExists\":{\"" GH ":sub\":\"repo:octo-org/x:*\"}")),
      .expect = "critical " RARN " " GH_ARN "\n" },
    /* EKS IRSA, as in the EKS user guide ("Assign IAM roles to Kubernetes service accounts"). */
    { .name = "EKS OIDC pinned by sub and aud (EKS docs)",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED(OIDC_PROVIDER(EKS), "sts:AssumeRoleWithWebIdentity",
                       COND("\"StringEquals\":{\"" EKS ":sub\":\"system:serviceaccount:default:"
                            "my-service-account\",\"" EKS ":aud\":\"sts.amazonaws.com\"}"))),
      .expect = "" },
    { .name = "EKS OIDC without conditions: high",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED(OIDC_PROVIDER(EKS), "sts:AssumeRoleWithWebIdentity", "")),
      .expect = "high " RARN " " OIDC_PROVIDER(EKS) "\n" },
    /* Terraform Cloud dynamic credentials, as in HashiCorp's docs (aud aws.workload.identity,
     * sub organization:ORG:project:...:workspace:...:run_phase:*). */
    { .name = "Terraform Cloud pinned (HashiCorp docs)",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED(OIDC_PROVIDER("app.terraform.io"), "sts:AssumeRoleWithWebIdentity",
                       COND("\"StringEquals\":{\"app.terraform.io:aud\":\"aws.workload.identity\"}"
                            ",\"StringLike\":{\"app.terraform.io:sub\":\"organization:my-org:"
                            "project:my-project:workspace:my-workspace:run_phase:*\"}"))),
      .expect = "" },
    { .name = "Terraform Cloud with sub * and aud *: high",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED(OIDC_PROVIDER("app.terraform.io"), "sts:AssumeRoleWithWebIdentity",
                       COND("\"StringLike\":{\"app.terraform.io:sub\":\"*\","
                            "\"app.terraform.io:aud\":\"*\"}"))),
      .expect = "high " RARN " " OIDC_PROVIDER("app.terraform.io") "\n" },
    /* Cognito identity pools, as in the Cognito developer guide ("IAM roles": aud is the pool
     * id, amr authenticated or unauthenticated). */
    { .name = "Cognito pinned pool, authenticated (Cognito docs)",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED("cognito-identity.amazonaws.com", "sts:AssumeRoleWithWebIdentity",
                       COND(COGNITO_AUD ",\"ForAnyValue:StringLike\":{\"cognito-identity."
                                        "amazonaws.com:amr\":\"authenticated\"}"))),
      .expect = "" },
    { .name = "Cognito guest access: low",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED("cognito-identity.amazonaws.com", "sts:AssumeRoleWithWebIdentity",
                       COND(COGNITO_AUD ",\"ForAnyValue:StringLike\":{\"cognito-identity."
                                        "amazonaws.com:amr\":\"unauthenticated\"}"))),
      .expect = "low " RARN " cognito-identity.amazonaws.com\n" },
    { .name = "Cognito without aud (any pool): high",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED("cognito-identity.amazonaws.com", "sts:AssumeRoleWithWebIdentity",
                       COND("\"ForAnyValue:StringLike\":{\"cognito-identity.amazonaws.com:amr\":"
                            "\"authenticated\"}"))),
      .expect = "high " RARN " cognito-identity.amazonaws.com\n" },
    /* SAML 2.0 federation, as in the IAM user guide ("Configure SAML 2.0 federation"). */
    { .name = "SAML with SAML:aud (IAM docs)",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED(SAML_ARN, "sts:AssumeRoleWithSAML",
                       COND("\"StringEquals\":{\"SAML:aud\":"
                            "\"https://signin.aws.amazon.com/saml\"}"))),
      .expect = "" },
    { .name = "SAML without SAML:aud: medium",
      .rule = "trust-federated-unscoped",
      .trust = DOC(FED(SAML_ARN, "sts:AssumeRoleWithSAML", "")),
      .expect = "medium " RARN " " SAML_ARN "\n" },
    { .name = "AWS principal is not federated",
      .rule = "trust-federated-unscoped",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" TEAM ":root"), "")),
      .expect = "" },
    /* Machine trusts: Datadog's AWS integration role (Datadog docs: account 464622532012,
     * sts:ExternalId) and Fastly's log-streaming role (Fastly docs: account 717331877981,
     * sts:ExternalId = the customer id). No person, so no MFA to ask for. */
    { .name = "Datadog ExternalId trust is not trust-no-mfa (Datadog docs)",
      .rule = "trust-no-mfa",
      .trust = DOC(DATADOG),
      .expect = "" },
    { .name = "Datadog ExternalId trust: external account, medium",
      .rule = "trust-external-account",
      .trust = DOC(DATADOG),
      .expect = "medium " RARN " arn:aws:iam::464622532012:root\n" },
    { .name = "Fastly ExternalId trust in known_accounts is not trust-no-mfa (Fastly docs)",
      .rule = "trust-no-mfa",
      .tweak = cfg_fastly,
      .trust = DOC(FASTLY),
      .expect = "" },
    { .name = "Fastly trust without ExternalId still needs MFA",
      .rule = "trust-no-mfa",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::717331877981:root"), "")),
      .expect = "medium " RARN " arn:aws:iam::717331877981:root\n" },
    { .name = "audited account with ExternalId still needs MFA",
      .rule = "trust-no-mfa",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"),
                         COND("\"StringEquals\":{\"sts:ExternalId\":\"x-1\"}"))),
      .expect = "high " RARN " arn:aws:iam::" BASE ":root\n" },
    /* "*" with ExternalId and aws:PrincipalOrgID: the org pins it (AWS docs, aws:PrincipalOrgID).
     */
    { .name = "* with ExternalId and PrincipalOrgID: medium",
      .rule = "trust-wildcard-principal",
      .trust = DOC(ALLOW("\"*\"", COND("\"StringEquals\":{\"sts:ExternalId\":\"x-1\","
                                       "\"aws:PrincipalOrgID\":\"o-abc123\"}"))),
      .expect = "medium " RARN " *\n" },
    /* "*" pinned to one account by aws:PrincipalAccount (IAM docs, global condition keys). */
    { .name = "* pinned to the base account is its root: trust-account-root high",
      .rule = "trust-account-root",
      .trust =
          DOC(ALLOW(AWS("*"), COND("\"StringEquals\":{\"aws:PrincipalAccount\":\"" BASE "\"}"))),
      .expect = "high " RARN " *\n" },
    { .name = "* pinned to the base account without MFA: trust-no-mfa high",
      .rule = "trust-no-mfa",
      .trust =
          DOC(ALLOW(AWS("*"), COND("\"StringEquals\":{\"aws:PrincipalAccount\":\"" BASE "\"}"))),
      .expect = "high " RARN " *\n" },
    { .name = "* pinned to the base account is not trust-wildcard-principal",
      .rule = "trust-wildcard-principal",
      .trust =
          DOC(ALLOW(AWS("*"), COND("\"StringEquals\":{\"aws:PrincipalAccount\":\"" BASE "\"}"))),
      .expect = "" },
    { .name = "* pinned to the base account is human-assumable",
      .rule = "role-name-nonstandard",
      .trust =
          DOC(ALLOW(AWS("*"), MFA_AND("\"StringEquals\":{\"aws:PrincipalAccount\":\"" BASE "\"}"))),
      .role_name = "deployer",
      .expect = "info arn:aws:iam::" TEAM ":role/deployer -\n" },
    /* aws:PrincipalOrgID of the base account's organisation (AWS docs, aws:PrincipalOrgID). */
    { .name = "* pinned to the base account's organisation is the base account",
      .rule = "trust-account-root",
      .tweak = cfg_org,
      .trust = DOC(ALLOW(AWS("*"), MFA_AND("\"StringEquals\":{\"aws:PrincipalOrgID\":"
                                           "\"o-abc1234567\"}"))),
      .expect = "high " RARN " *\n" },
    { .name = "* pinned to another organisation stays a pinned wildcard",
      .rule = "trust-account-root",
      .tweak = cfg_org,
      .trust = DOC(ALLOW(AWS("*"), MFA_AND("\"StringEquals\":{\"aws:PrincipalOrgID\":"
                                           "\"o-zzz9999999\"}"))),
      .expect = "" },
    { .name = "* pinned to an unaudited account stays a pinned wildcard",
      .rule = "trust-account-root",
      .trust = DOC(ALLOW(AWS("*"), COND("\"StringEquals\":{\"aws:PrincipalAccount\":"
                                        "\"999999999999\"}"))),
      .expect = "" },
    /* ---- bootstrap_grace_days = 0 means no grace (issue 13 item 6) ---- */
    { .name = "grace 0: a bootstrap role created today is reported",
      .rule = "bootstrap-role-present",
      .tweak = cfg_grace0,
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .role_name = "bootstrap",
      .role_created = "2026-11-27T08:00:00Z",
      .expect = "medium arn:aws:iam::" TEAM ":role/bootstrap -\n" },
    /* ---- trust-policy-unreadable fails closed (issue 12 item 12) ---- */
    { .name = "unparsable text showing Principal *: critical",
      .rule = "trust-policy-unreadable",
      .sql = "INSERT INTO roles (run_id, account_id, role_name, role_id, arn, trust_policy, "
             "trust_error) VALUES (1, '" TEAM "', 'Admin', 'AROA9', '" RARN "', "
             "'{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"arn:aws:iam::" BASE
             ":root\",\"*\"]},\"Action\":\"sts:AssumeRole\"', 'not JSON');",
      .expect = "critical " RARN " -\n" },
    { .name = "URL-encoded unparsable text with Principal \\u002a: critical",
      .rule = "trust-policy-unreadable",
      .sql = "INSERT INTO roles (run_id, account_id, role_name, role_id, arn, trust_policy, "
             "trust_error) VALUES (1, '" TEAM "', 'Admin', 'AROA9', '" RARN "', "
             "'%7B%22Statement%22%3A%5B%7B%22Principal%22%3A%22%5Cu002a%22', 'too large');",
      .expect = "critical " RARN " -\n" },
    { .name = "read in part, * in the part read: low (trust-wildcard-principal has it)",
      .rule = "trust-policy-unreadable",
      .trust = DOC(ALLOW("\"*\"", "")),
      .post_sql = "UPDATE roles SET trust_error = 'statement 1: no Effect';",
      .expect = "low " RARN " -\n" },
    /* ---- role-privilege-escalation (issue 13 item 7). The paths are those of Rhino
     * Security Labs' "AWS IAM privilege escalation" list, which Prowler's
     * iam_policy_allows_privilege_escalation and PMapper also check. ---- */
    { .name = "TrustedUser with iam:AttachRolePolicy on *: critical",
      .rule = "role-privilege-escalation",
      .role_name = "TrustedUser",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .sql = INLINE("TrustedUser", "{\"Effect\":\"Allow\",\"Action\":[\"ec2:*\","
                                   "\"iam:AttachRolePolicy\"],\"Resource\":\"*\"}"),
      .expect = "critical arn:aws:iam::" TEAM ":role/TrustedUser -\n" },
    { .name = "iam:Put* wildcard expanded: critical",
      .rule = "role-privilege-escalation",
      .role_name = "jane.doe-trusted",
      .trust = DOC(ALLOW(A_USER, MFA)),
      .sql = INLINE("jane.doe-trusted", "{\"Effect\":\"Allow\",\"Action\":\"iam:Put*\","
                                        "\"Resource\":\"*\"}"),
      .expect = "critical arn:aws:iam::" TEAM ":role/jane.doe-trusted -\n" },
    { .name = "iam:CreateAccessKey on some users: high",
      .rule = "role-privilege-escalation",
      .role_name = "TrustedUser",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .sql = INLINE("TrustedUser", "{\"Effect\":\"Allow\",\"Action\":\"iam:CreateAccessKey\","
                                   "\"Resource\":\"arn:aws:iam::" TEAM ":user/ci-*\"}"),
      .expect = "high arn:aws:iam::" TEAM ":role/TrustedUser -\n" },
    { .name = "iam:PassRole of an admin-capable Lambda role with lambda:CreateFunction: critical",
      .rule = "role-privilege-escalation",
      .role_name = "TrustedUser",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .sql = INLINE("TrustedUser", "{\"Effect\":\"Allow\",\"Action\":[\"iam:PassRole\","
                                   "\"lambda:*\"],\"Resource\":\"*\"}")
          SERVICE_ROLE("lambda-ops", "lambda.amazonaws.com")
              INLINE("lambda-ops", "{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}"),
      .expect = "critical arn:aws:iam::" TEAM ":role/TrustedUser -\n" },
    { .name = "iam:PassRole of a Lambda role that cannot attach policies: no escalation",
      .rule = "role-privilege-escalation",
      .role_name = "TrustedUser",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .sql = INLINE("TrustedUser", "{\"Effect\":\"Allow\",\"Action\":[\"iam:PassRole\","
                                   "\"lambda:*\"],\"Resource\":\"*\"}")
          SERVICE_ROLE("lambda-logs", "lambda.amazonaws.com") INLINE(
              "lambda-logs", "{\"Effect\":\"Allow\",\"Action\":\"logs:*\",\"Resource\":\"*\"}"),
      .expect = "" },
    { .name = "iam:PassRole of an admin role that trusts another service: no escalation",
      .rule = "role-privilege-escalation",
      .role_name = "TrustedUser",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .sql = INLINE("TrustedUser", "{\"Effect\":\"Allow\",\"Action\":[\"iam:PassRole\","
                                   "\"lambda:*\"],\"Resource\":\"*\"}")
          SERVICE_ROLE("ec2-admin", "ec2.amazonaws.com"),
      .expect = "" },
    { .name = "iam:PassRole scoped away from the admin-capable role: no escalation",
      .rule = "role-privilege-escalation",
      .role_name = "TrustedUser",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .sql = INLINE("TrustedUser",
                    "{\"Effect\":\"Allow\",\"Action\":\"lambda:*\","
                    "\"Resource\":\"*\"},{\"Effect\":\"Allow\",\"Action\":\"iam:PassRole\","
                    "\"Resource\":\"arn:aws:iam::" TEAM ":role/app-*\"}")
          SERVICE_ROLE("lambda-admin", "lambda.amazonaws.com"),
      .expect = "" },
    { .name = "iam:PassRole alone is not an escalation",
      .rule = "role-privilege-escalation",
      .role_name = "TrustedUser",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .sql = INLINE("TrustedUser", "{\"Effect\":\"Allow\",\"Action\":[\"iam:PassRole\","
                                   "\"s3:*\"],\"Resource\":\"*\"}"),
      .expect = "" },
    { .name = "Deny iam:* cancels the escalation",
      .rule = "role-privilege-escalation",
      .role_name = "TrustedUser",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .sql =
          INLINE("TrustedUser", "{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},"
                                "{\"Effect\":\"Deny\",\"Action\":[\"iam:*\",\"sts:*\",\"lambda:*\","
                                "\"ec2:RunInstances\",\"cloudformation:*\",\"glue:*\",\"ecs:*\","
                                "\"codebuild:*\",\"sagemaker:*\"],\"Resource\":\"*\"}"),
      .expect = "" },
    { .name = "read-only IAM (iam:Get*, iam:List*) is not an escalation",
      .rule = "role-privilege-escalation",
      .role_name = "ReadOnly",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .sql = INLINE("ReadOnly", "{\"Effect\":\"Allow\",\"Action\":[\"iam:Get*\",\"iam:List*\"],"
                                "\"Resource\":\"*\"}"),
      .expect = "" },
    { .name = "an admin role is not checked",
      .rule = "role-privilege-escalation",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .sql = INLINE("Admin", "{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}"),
      .expect = "" },
    { .name = "a machine role is not checked",
      .rule = "role-privilege-escalation",
      .role_name = "deployer",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" TEAM ":root"), "")),
      .sql = INLINE("deployer", "{\"Effect\":\"Allow\",\"Action\":\"iam:*\",\"Resource\":\"*\"}"),
      .expect = "" },
    { .name = "sts:AssumeRole on an admin role that trusts it: critical",
      .rule = "role-privilege-escalation",
      .role_name = "TrustedUser",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .sql = INLINE("TrustedUser", "{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\","
                                   "\"Resource\":\"arn:aws:iam::" TEAM ":role/*\"}")
          ADMIN_TRUSTING_TEAM,
      .expect = "critical arn:aws:iam::" TEAM ":role/TrustedUser -\n" },
    { .name = "sts:AssumeRole on an admin role of an account read before its own: critical",
      .rule = "role-privilege-escalation",
      .role_name = "TrustedUser",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .sql = ASSUME_IN(BASE) ADMIN_IN(BASE),
      .expect = "critical arn:aws:iam::" TEAM ":role/TrustedUser -\n" },
    { .name = "sts:AssumeRole on an admin role of an account read after its own: critical",
      .rule = "role-privilege-escalation",
      .role_name = "TrustedUser",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .sql = ASSUME_IN("333333333333") ADMIN_IN("333333333333"),
      .expect = "critical arn:aws:iam::" TEAM ":role/TrustedUser -\n" },
    { .name = "sts:AssumeRole on other roles only",
      .rule = "role-privilege-escalation",
      .role_name = "TrustedUser",
      .trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)),
      .sql = INLINE("TrustedUser", "{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\","
                                   "\"Resource\":\"arn:aws:iam::" TEAM ":role/deploy-*\"}")
          ADMIN_TRUSTING_TEAM,
      .expect = "" },
};

static void
test_rule_cases(void **state)
{
    (void)state;
    size_t n_rules;
    const struct ia_rule *rules = ia_rules_table(&n_rules);
    size_t *covered = ia_xcalloc(n_rules, sizeof(size_t));
    size_t *negative = ia_xcalloc(n_rules, sizeof(size_t));
    int failed = 0;

    for (size_t i = 0; i < IA_ARRAY_LEN(s_cases); i++) {
        const struct rcase *c = &s_cases[i];
        struct env e;
        struct ia_analyse_summary sum;
        struct ia_err err;
        env_open(&e);
        if (c->sql)
            exec(&e, c->sql);
        if (c->trust) {
            const char *used = c->role_used ? (*c->role_used ? c->role_used : NULL) : RECENT;
            add_role(&e, 1, c->role_acct ? c->role_acct : TEAM,
                     c->role_name ? c->role_name : "Admin", c->role_path,
                     c->role_created ? c->role_created : OLD, used, c->trust);
        }
        if (c->post_sql)
            exec(&e, c->post_sql);
        if (c->tweak)
            c->tweak(&e.cfg);
        enum ia_code rc = analyse(&e, 0, c->leavers, c->roster, NULL, &sum, &err);
        if (rc != IA_OK)
            fail_msg("case '%s' (%s): analyse failed: %s", c->name, c->rule, err.msg);
        char *got = findings_of(&e, 1, c->rule);
        if (strcmp(got, c->expect) != 0) {
            print_error("case '%s' (%s):\n  expected: %s\n  got:      %s\n", c->name, c->rule,
                        c->expect, got);
            failed++;
        }
        free(got);
        for (size_t r = 0; r < n_rules; r++) {
            if (strcmp(rules[r].id, c->rule) == 0) {
                covered[r]++;
                if (!*c->expect)
                    negative[r]++;
            }
        }
        env_close(&e);
    }
    /* Every rule but the exception ones (tested below) has positive and negative cases. */
    for (size_t r = 0; r < n_rules; r++) {
        if (!strncmp(rules[r].id, "exception-", 10))
            continue;
        if (covered[r] == 0 || negative[r] == 0 || negative[r] == covered[r]) {
            print_error("rule %s lacks a positive or a negative case\n", rules[r].id);
            failed++;
        }
    }
    free(covered);
    free(negative);
    assert_int_equal(failed, 0);
}

/* ---- a clean estate: precision ------------------------------------------------------------- */

static void
test_clean_estate(void **state)
{
    (void)state;
    struct env e;
    struct ia_analyse_summary sum;
    struct ia_err err;
    env_open(&e);
    exec(&e,
         A_USER_ROW KEY(BASE, "a@digital.example.gov.uk", "AKIA9", "Active", Q(RECENT), Q(RECENT))
             ROOT(BASE, "true", "false", "false") ROOT(TEAM, "true", "false", "false"));
    add_role(&e, 1, TEAM, "Admin", "/", OLD, RECENT, DOC(ALLOW(A_USER, MFA)));
    add_role(&e, 1, TEAM, "AWSServiceRoleForSupport", "/aws-service-role/support.amazonaws.com/",
             OLD, NULL, DOC(ALLOW("{\"Service\":\"support.amazonaws.com\"}", "")));
    assert_int_equal(analyse(&e, 0, "email,leaving_date\n", "email\na@digital.example.gov.uk\n",
                             NULL, &sum, &err),
                     IA_OK);
    char *all = query1(&e,
                       "SELECT group_concat(rule_id || ' ' || resource_arn, '; ') FROM "
                       "findings WHERE run_id = :run",
                       1);
    assert_null(all);
    assert_int_equal(sum.total, 0);
    assert_int_equal(sum.worst, -1);
    env_close(&e);
}

/* ---- evidence ------------------------------------------------------------------------------ */

static void
test_evidence(void **state)
{
    (void)state;
    struct env e;
    struct ia_analyse_summary sum;
    struct ia_err err;
    env_open(&e);
    exec(&e, "INSERT INTO principal_ids VALUES ('AIDAJQABLZS4A3QDU576Q', 'user', '" BASE "', "
             "'gone@x.gov.uk', '" UARN("gone@x.gov.uk") "', 1, 3);");
    add_role(&e, 1, TEAM, "Admin", "/", OLD, RECENT,
             DOC(ALLOW(AWS("AIDAJQABLZS4A3QDU576Q"),
                       "") "," ALLOW(AWS("arn:aws:iam::" BASE ":root"),
                                     COND("\"StringEquals\":{\"aws:PrincipalOrgID\":\"o-1\"}"))));
    assert_int_equal(analyse(&e, 0, NULL, NULL, NULL, &sum, &err), IA_OK);
    char *ev = query1(&e,
                      "SELECT evidence FROM findings WHERE run_id = :run AND rule_id = "
                      "'trust-dangling-principal'",
                      1);
    assert_non_null(ev);
    json_t *j = json_loads(ev, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "was"), "name")),
                        "gone@x.gov.uk");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "was"), "first_seen_run")), 1);
    assert_string_equal(json_string_value(json_object_get(j, "principal")),
                        "AIDAJQABLZS4A3QDU576Q");
    assert_int_equal(json_integer_value(json_object_get(j, "statement_index")), 0);
    json_decref(j);
    free(ev);
    /* The lowered whole-account trust says why. */
    ev = query1(&e,
                "SELECT evidence FROM findings WHERE run_id = :run AND rule_id = "
                "'trust-account-root'",
                1);
    j = json_loads(ev, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "narrowed_by"), 0)),
                        "aws:PrincipalOrgID");
    assert_non_null(strstr(json_string_value(json_object_get(j, "severity_reason")), "lowered"));
    json_t *org = json_object_get(json_object_get(json_object_get(j, "conditions"), "StringEquals"),
                                  "aws:PrincipalOrgID");
    assert_string_equal(json_string_value(org), "o-1");
    json_decref(j);
    free(ev);
    env_close(&e);
}

static void
test_evidence_dates(void **state)
{
    (void)state;
    struct env e;
    struct ia_analyse_summary sum;
    struct ia_err err;
    env_open(&e);
    exec(&e, USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "0")
                 KEY(BASE, "a@x.gov.uk", "AKIA1", "Active", Q(OLD), Q(MID)));
    assert_int_equal(
        analyse(&e, 0, "email,leaving_date\n\nA@x.gov.uk,2026-11-01\n", NULL, NULL, &sum, &err),
        IA_OK);
    char *ev = query1(&e,
                      "SELECT evidence FROM findings WHERE run_id = :run AND rule_id = "
                      "'leaver-present'",
                      1);
    json_t *j = json_loads(ev, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "days_since_leaving")), 26);
    assert_int_equal(json_integer_value(json_object_get(j, "leavers_line")), 3);
    assert_int_equal(json_integer_value(json_object_get(j, "days_since_password_use")), 7);
    assert_int_equal(json_integer_value(json_object_get(j, "days_since_key_use")), 60);
    assert_string_equal(json_string_value(json_object_get(j, "leaving_date")), "2026-11-01");
    assert_true(json_is_true(json_object_get(j, "password_enabled")));
    json_decref(j);
    free(ev);
    ev = query1(&e,
                "SELECT evidence FROM findings WHERE run_id = :run AND rule_id = "
                "'access-key-old'",
                1);
    j = json_loads(ev, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "age_days")), 330);
    assert_int_equal(json_integer_value(json_object_get(j, "max_key_age_days")), 90);
    assert_string_equal(json_string_value(json_object_get(j, "last_used_at")), MID);
    json_decref(j);
    free(ev);
    env_close(&e);
}

/* ---- exceptions ---------------------------------------------------------------------------- */

static const char s_exc_doc[] = DOC(ALLOW(AWS("arn:aws:iam::" TEAM ":root"), ""));

static void
test_exception_suppresses(void **state)
{
    (void)state;
    struct env e;
    struct ia_analyse_summary sum;
    struct ia_err err;
    env_open(&e);
    add_role(&e, 1, TEAM, "audit", "/", OLD, RECENT, s_exc_doc);
    assert_int_equal(analyse(&e, 0, NULL, NULL,
                             "[exception audit-role]\n"
                             "rule = trust-account-root, trust-no-mfa      ; one or more\n"
                             "resource = arn:aws:iam::*:role/audit\n"
                             "reason = the nightly audit job assumes this role without MFA\n"
                             "owner = security-team@example.gov.uk\n"
                             "ticket = SEC-1234\n"
                             "expires = 2027-06-30\n",
                             &sum, &err),
                     IA_OK);
    char *s = query1(&e,
                     "SELECT group_concat(rule_id || '=' || COALESCE(suppressed_by, '-'), "
                     "' ') FROM (SELECT * FROM findings WHERE run_id = :run ORDER BY rule_id)",
                     1);
    assert_string_equal(s, "trust-account-root=audit-role trust-no-mfa=audit-role");
    free(s);
    assert_int_equal(sum.n_suppressed, 2);
    assert_int_equal(sum.worst, -1);
    assert_int_equal(sum.total, 2);
    s = query1(&e, "SELECT suppressed FROM analyses WHERE run_id = :run", 1);
    assert_string_equal(s, "2");
    free(s);
    /* The exception is in the stored evidence, which stays compact with its keys sorted. */
    s = query1(&e,
               "SELECT json_extract(evidence, '$.exception') FROM findings WHERE run_id = :run"
               " AND rule_id = 'trust-no-mfa'",
               1);
    assert_string_equal(s, "{\"expires\":\"2027-06-30\",\"name\":\"audit-role\","
                           "\"owner\":\"security-team@example.gov.uk\",\"reason\":\"the nightly "
                           "audit job assumes this role without MFA\",\"ticket\":\"SEC-1234\"}");
    free(s);
    s = query1(
        &e, "SELECT count(*) FROM findings WHERE run_id = :run AND evidence != json(evidence)", 1);
    assert_string_equal(s, "0");
    free(s);
    env_close(&e);
}

/* Whether a trust row admits sts:AssumeRole is worked out once per (action list, NotAction)
 * when the run is loaded (issue 16): the same list under Action and under NotAction, in one
 * run, must still give opposite answers. */
static void
test_trust_assumes_per_action_kind(void **state)
{
    (void)state;
    struct env e;
    struct ia_analyse_summary sum;
    struct ia_err err;
    env_open(&e);
    add_role(&e, 1, TEAM, "tag-only", "/", OLD, RECENT,
             DOC("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:TagSession\"}"));
    add_role(&e, 1, TEAM, "all-but-tag", "/", OLD, RECENT,
             DOC("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"NotAction\":\"sts:TagSession\"}"));
    add_role(&e, 1, TEAM, "tag-only-2", "/", OLD, RECENT,
             DOC("{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:TagSession\"}"));
    assert_int_equal(analyse(&e, 0, NULL, NULL, NULL, &sum, &err), IA_OK);
    char *s = findings_of(&e, 1, "trust-wildcard-principal");
    assert_string_equal(s, "critical arn:aws:iam::" TEAM ":role/all-but-tag *\n");
    free(s);
    env_close(&e);
}

/* Policy verdicts are kept per document set for the analysis (issue 16): roles with the same
 * documents share one, roles with other documents do not. */
#define RO_INLINE(role, name, doc)                                                                 \
    "INSERT INTO principal_policies VALUES (1, '" TEAM "', 'role', '" role "', 'inline', '" name   \
    "', NULL, '" doc "');"
#define RO_DOC(action)                                                                             \
    "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"" action         \
    "\",\"Resource\":\"*\"}}"

static void
test_policy_verdicts_per_document_set(void **state)
{
    (void)state;
    struct env e;
    struct ia_analyse_summary sum;
    struct ia_err err;
    const char *trust = DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA));
    env_open(&e);
    add_role(&e, 1, TEAM, "ReadOnly", "/", OLD, RECENT, trust);
    add_role(&e, 1, TEAM, "jane.doe-readonly", "/", OLD, RECENT, trust);
    add_role(&e, 1, TEAM, "john.doe-readonly", "/", OLD, RECENT, trust);
    add_role(&e, 1, TEAM, "mary.doe-readonly", "/", OLD, RECENT, trust);
    exec(&e, RO_INLINE("ReadOnly", "p", RO_DOC("ssm:GetParameter"))
                 RO_INLINE("jane.doe-readonly", "p", RO_DOC("ec2:DescribeInstances"))
                     RO_INLINE("john.doe-readonly", "p", RO_DOC("ssm:GetParameter"))
                         RO_INLINE("mary.doe-readonly", "p", RO_DOC("ec2:DescribeInstances"))
                             RO_INLINE("mary.doe-readonly", "q", RO_DOC("s3:PutObject")));
    assert_int_equal(analyse(&e, 0, NULL, NULL, NULL, &sum, &err), IA_OK);
    char *s = findings_of(&e, 1, "readonly-role-side-effects");
    assert_string_equal(s, "high arn:aws:iam::" TEAM ":role/ReadOnly -\n"
                           "high arn:aws:iam::" TEAM ":role/john.doe-readonly -\n"
                           "high arn:aws:iam::" TEAM ":role/mary.doe-readonly -\n");
    free(s);
    /* Each finding names its own role's policy, though the verdict was shared. */
    s = query1(&e,
               "SELECT group_concat(json_extract(evidence, '$.role'), ' ') FROM (SELECT"
               " evidence FROM findings WHERE run_id = :run AND rule_id ="
               " 'readonly-role-side-effects' ORDER BY resource_arn)",
               1);
    assert_string_equal(s, "ReadOnly john.doe-readonly mary.doe-readonly");
    free(s);
    env_close(&e);
}

/* Two statements reach the same (rule, resource, principal): one finding, the other's
 * evidence under "also" (kept as text between the rules and the write since issue 16). */
static void
test_duplicate_findings_joined(void **state)
{
    (void)state;
    struct env e;
    struct ia_analyse_summary sum;
    struct ia_err err;
    env_open(&e);
    add_role(&e, 1, TEAM, "audit", "/", OLD, RECENT,
             DOC(ALLOW(AWS("arn:aws:iam::" TEAM ":root"),
                       "") "," ALLOW(AWS("arn:aws:iam::" TEAM ":root"), ",\"Sid\":\"again\"")));
    assert_int_equal(analyse(&e, 0, NULL, NULL, NULL, &sum, &err), IA_OK);
    char *s = query1(&e,
                     "SELECT count(*) || ' ' || json_array_length(evidence, '$.also') || ' ' ||"
                     " json_type(evidence, '$.also[0].statement_index') || ' ' ||"
                     " (evidence = json(evidence)) FROM findings WHERE run_id = :run AND"
                     " rule_id = 'trust-account-root'",
                     1);
    assert_string_equal(s, "1 1 integer 1");
    free(s);
    env_close(&e);
}

/*
 * An analysis is one transaction (issue 16: findings stream through a temporary table of it):
 * one that fails after its rules have emitted findings leaves the run's earlier analysis
 * whole, and the database usable.
 */
static void
test_failed_analysis_rolls_back(void **state)
{
    (void)state;
    struct env e;
    struct ia_analyse_summary sum;
    struct ia_err err;
    env_open(&e);
    add_role(&e, 1, TEAM, "audit", "/", OLD, RECENT,
             DOC(ALLOW(AWS("arn:aws:iam::" TEAM ":root"), "")));
    assert_int_equal(analyse(&e, 0, NULL, NULL, NULL, &sum, &err), IA_OK);
    assert_true(sum.total > 0);
    char *before = query1(&e,
                          "SELECT count(*) || ' ' || group_concat(fingerprint) FROM findings"
                          " WHERE run_id = :run",
                          1);
    /* A table the later rules read is gone: the trust rules have emitted by then. */
    exec(&e, "ALTER TABLE password_policies RENAME TO password_policies_gone;");
    ia_err_clear(&err);
    assert_int_not_equal(analyse(&e, 0, NULL, NULL, NULL, &sum, &err), IA_OK);
    assert_non_null(strstr(err.msg, "password_policies"));
    exec(&e, "ALTER TABLE password_policies_gone RENAME TO password_policies;");
    char *after = query1(&e,
                         "SELECT count(*) || ' ' || group_concat(fingerprint) FROM findings"
                         " WHERE run_id = :run",
                         1);
    assert_string_equal(after, before);
    free(after);
    /* Nothing left open: the next analysis runs and writes the same findings. */
    assert_int_equal(analyse(&e, 0, NULL, NULL, NULL, &sum, &err), IA_OK);
    after = query1(&e,
                   "SELECT count(*) || ' ' || group_concat(fingerprint) FROM findings"
                   " WHERE run_id = :run",
                   1);
    assert_string_equal(after, before);
    free(after);
    free(before);
    env_close(&e);
}

static void
test_exception_expired_and_unused(void **state)
{
    (void)state;
    struct env e;
    struct ia_analyse_summary sum;
    struct ia_err err;
    env_open(&e);
    add_role(&e, 1, TEAM, "audit", "/", OLD, RECENT, s_exc_doc);
    assert_int_equal(analyse(&e, 0, NULL, NULL,
                             "[exception old]\nrule = *\nresource = arn:aws:iam::*:role/audit\n"
                             "reason = r\nexpires = 2026-11-26\n"
                             "[exception stale]\nrule = root-no-mfa\nresource = *\n"
                             "reason = r\nexpires = 2026-11-27\n",
                             &sum, &err),
                     IA_OK);
    char *s = findings_of(&e, 1, "exception-expired");
    assert_string_equal(s, "medium iam-audit:exception/old -\n");
    free(s);
    s = findings_of(&e, 1, "exception-unused");
    assert_string_equal(s, "low iam-audit:exception/stale -\n");
    free(s);
    /* The expired exception no longer suppresses. */
    assert_int_equal(sum.n_suppressed, 0);
    s = findings_of(&e, 1, "trust-no-mfa");
    assert_string_equal(s, "medium arn:aws:iam::" TEAM ":role/audit arn:aws:iam::" TEAM ":root\n");
    free(s);
    env_close(&e);
}

static void
test_exception_file_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } bad[] = {
        { "[exception a]\nrule = no-such-rule\nresource = *\nreason = r\nexpires = 2027-01-01\n",
          "exceptions.ini:2: unknown rule id 'no-such-rule'" },
        { "[exception a]\nrule = *\nresource = *\nreason = r\nexpires = 2027-01-01\nfoo = 1\n",
          "exceptions.ini:6: unknown key 'foo'" },
        { "[exception a]\nrule = *\nresource = *\nreason = r\nexpires = 1/2/2027\n",
          "exceptions.ini:5: expires '1/2/2027' is not a date" },
        { "\n[exception a]\nrule = *\nresource = *\nexpires = 2027-01-01\n",
          "exceptions.ini:2: [exception a] has no reason" },
        { "[other]\nx = 1\n", "exceptions.ini:2: section [other] is not an exception" },
        { "[exception a]\nrule = *\nresource = *\nreason = r\nexpires = 2027-02-29\n",
          "exceptions.ini:5: expires '2027-02-29' is not a date" },
        { "[exception a]\nrule = *\nresource = *\nreason = r\nexpires = 2027-01-01\n"
          "[exception a]\nrule = *\n",
          "exceptions.ini:7: [exception a] appears twice" },
        /* Catch-alls would suppress every finding (issue 12 item 7). */
        { "[exception all]\nrule = *\nresource = *\nreason = r\nexpires = 2027-01-01\n",
          "exceptions.ini:3: [exception all] covers every rule (rule = *) on every resource" },
        { "[exception all]\nrule = root-no-mfa, *\nresource = arn:aws:iam::*:*\nreason = r\n"
          "expires = 2027-01-01\n",
          "exceptions.ini:3: [exception all] covers every rule" },
        { "[exception all]\nreason = r\nrule = *\nexpires = 2027-01-01\nresource = ARN:*\n",
          "exceptions.ini:5: [exception all] covers every rule" },
        /* Now is 2026-11-27: at most 365 days ahead by default. */
        { "[exception far]\nrule = root-no-mfa\nresource = *\nreason = r\nexpires = 2027-11-29\n",
          "exceptions.ini:5: [exception far] expires on 2027-11-29, more than 365 days" },
    };
    for (size_t i = 0; i < IA_ARRAY_LEN(bad); i++) {
        struct env e;
        struct ia_analyse_summary sum;
        struct ia_err err;
        env_open(&e);
        assert_int_equal(analyse(&e, 0, NULL, NULL, bad[i].text, &sum, &err), IA_ERR_CONFIG);
        if (!strstr(err.msg, bad[i].msg))
            fail_msg("case %zu: '%s' not in '%s'", i, bad[i].msg, err.msg);
        /* Nothing was written. */
        assert_null(query1(&e, "SELECT run_id FROM analyses WHERE run_id = :run", 1));
        env_close(&e);
    }
}

static void
test_exception_limits_allowed(void **state)
{
    (void)state;
    struct env e;
    struct ia_analyse_summary sum;
    struct ia_err err;
    /* rule = * on one account's roles, and an expiry exactly 365 days ahead, are fine. */
    env_open(&e);
    add_role(&e, 1, TEAM, "audit", "/", OLD, RECENT, s_exc_doc);
    assert_int_equal(analyse(&e, 0, NULL, NULL,
                             "[exception team]\nrule = *\nresource = arn:aws:iam::" TEAM ":role/*\n"
                             "reason = r\nexpires = 2027-11-27\n",
                             &sum, &err),
                     IA_OK);
    assert_int_equal(sum.n_suppressed, 2);
    env_close(&e);
    /* [rules] max_exception_days moves the bound. */
    env_open(&e);
    e.cfg.rules.max_exception_days = 30;
    assert_int_equal(analyse(&e, 0, NULL, NULL,
                             "[exception a]\nrule = root-no-mfa\nresource = *\nreason = r\n"
                             "expires = 2027-01-01\n",
                             &sum, &err),
                     IA_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "more than 30 days"));
    env_close(&e);
}

/* ---- leavers and roster files -------------------------------------------------------------- */

/* Load text as a leavers (with_date) or roster file; the error message (or "") into msg. */
static enum ia_code
load_people(struct env *e, const char *text, int with_date, struct ia_people *p, char *msg,
            size_t size)
{
    struct ia_buf path = IA_BUF_INIT;
    struct ia_err err;
    write_file(e, with_date ? "leavers.csv" : "roster.csv", text, &path);
    ia_err_clear(&err);
    memset(p, 0, sizeof(*p));
    enum ia_code rc = ia_people_load(path.buf, with_date, p, NULL, &err);
    snprintf(msg, size, "%s", rc == IA_OK ? "" : err.msg);
    ia_buf_release(&path);
    return rc;
}

static void
test_leavers_csv(void **state)
{
    (void)state;
    struct env e;
    struct ia_people p = { 0 };
    char msg[1024];
    env_open(&e);
    assert_int_equal(load_people(&e,
                                 "\xEF\xBB\xBF"
                                 "Name, Email ,leaving_date\r\n"
                                 "\"Doe, Jane\",\" Jane.Doe@X.gov.uk \",2026-10-01\r\n"
                                 "\r\n"
                                 ",,\r\n"
                                 "Sam,sam@x.gov.uk,2026-11-02\r\n",
                                 1, &p, msg, sizeof(msg)),
                     IA_OK);
    assert_int_equal(p.n, 2);
    assert_string_equal(p.items[0].id, "jane.doe@x.gov.uk");
    assert_string_equal(p.items[0].date, "2026-10-01");
    assert_int_equal(p.items[0].line, 2);
    assert_string_equal(p.items[1].id, "sam@x.gov.uk");
    assert_int_equal(p.items[1].line, 5);
    assert_non_null(ia_people_find(&p, "JANE.doe@x.gov.uk "));
    ia_people_release(&p);

    /* Issue 12.8: a row that cannot be read is an error naming its line, never skipped. */
    assert_int_equal(load_people(&e,
                                 "email,leaving_date\nb@x.gov.uk,2026-10-01\n"
                                 "a@x.gov.uk,19-10-2026\n",
                                 1, &p, msg, sizeof(msg)),
                     IA_ERR_CONFIG);
    assert_non_null(strstr(msg, "leavers.csv:3: leaving date '19-10-2026' for a@x.gov.uk"));
    assert_non_null(strstr(msg, "YYYY-MM-DD or DD/MM/YYYY"));
    assert_non_null(strstr(msg, "header found: email,leaving_date"));
    assert_int_equal(
        load_people(&e, "email,leaving_date\na@x.gov.uk,2026-02-30\n", 1, &p, msg, sizeof(msg)),
        IA_ERR_CONFIG);
    assert_non_null(strstr(msg, "leavers.csv:2: "));
    /* Month first is not read as a date: 10/19/2026 has no 19th month. */
    assert_int_equal(
        load_people(&e, "email,leaving_date\na@x.gov.uk,10/19/2026\n", 1, &p, msg, sizeof(msg)),
        IA_ERR_CONFIG);
    assert_int_equal(
        load_people(&e, "email,leaving_date\na@x.gov.uk,tomorrow\n", 1, &p, msg, sizeof(msg)),
        IA_ERR_CONFIG);
    assert_int_equal(
        load_people(&e, "name,email,leaving_date\nNo mail,,2026-01-01\n", 1, &p, msg, sizeof(msg)),
        IA_ERR_CONFIG);
    assert_non_null(strstr(msg, "leavers.csv:2: this row has no email or username"));
    assert_int_equal(load_people(&e, "email\na@x.gov.uk\n,\nb,c\n", 0, &p, msg, sizeof(msg)),
                     IA_OK); /* a blank row (",") is not a row */
    assert_int_equal(p.n, 2);
    ia_people_release(&p);

    /* A header without leaving_date names the file, line, and the header found. */
    assert_int_equal(
        load_people(&e, "email,date\na@x.gov.uk,2026-01-01\n", 1, &p, msg, sizeof(msg)),
        IA_ERR_CONFIG);
    assert_non_null(strstr(msg, "leavers.csv:1: "));
    assert_non_null(strstr(msg, "leaving_date"));
    assert_non_null(strstr(msg, "found: email,date"));
    /* A roster needs only email. */
    assert_int_equal(load_people(&e, "email\nA@x.gov.uk\n\n b@x.gov.uk\n", 0, &p, msg, sizeof(msg)),
                     IA_OK);
    assert_int_equal(p.n, 2);
    assert_string_equal(p.items[1].id, "b@x.gov.uk");
    ia_people_release(&p);
    /* Missing file. */
    struct ia_buf path = IA_BUF_INIT;
    struct ia_err err;
    path_in(&e, "nope.csv", &path);
    assert_int_equal(ia_people_load(path.buf, 1, &p, NULL, &err), IA_ERR_CONFIG);
    ia_buf_release(&path);
    env_close(&e);
}

/* Issue 19.6: leavers files as Excel exports them (UK locale). */
static void
test_leavers_excel(void **state)
{
    (void)state;
    struct env e;
    struct ia_people p = { 0 };
    char msg[1024];
    static const char *const files[] = {
        /* semicolons, spaced and capitalised headers, day-first dates */
        "Username;Leaving Date;Team\r\njane.doe;01/11/2026;paas\r\nbob;2/3/2026;notify\r\n",
        /* tabs, underscores, upper case */
        "NAME\tUSER_NAME\tLEAVING_DATE\nJane\tjane.doe\t2026-11-01\nBob\tbob\t02/03/2026\n",
        /* commas with quoted names that hold semicolons, and aliases */
        "\"Full name; known as\",Login,Date Left\n\"Doe; Jane\",jane.doe,01/11/2026\n"
        "\"Bob; B\",bob,2026-03-02\n",
    };
    env_open(&e);
    for (size_t i = 0; i < IA_ARRAY_LEN(files); i++) {
        if (load_people(&e, files[i], 1, &p, msg, sizeof(msg)) != IA_OK)
            fail_msg("file %zu: %s", i, msg);
        assert_int_equal(p.n, 2);
        const struct ia_leaver *j = ia_people_find(&p, "Jane.Doe"), *b = ia_people_find(&p, "bob");
        assert_non_null(j);
        assert_non_null(b);
        assert_string_equal(j->date, "2026-11-01");
        assert_string_equal(b->date, "2026-03-02");
        ia_people_release(&p);
    }
    /* The semicolon file's header error shows the header as found. */
    assert_int_equal(load_people(&e, "Name;Left on\nJane;01/11/2026\n", 1, &p, msg, sizeof(msg)),
                     IA_ERR_CONFIG);
    assert_non_null(strstr(msg, "found: Name;Left on"));
    /* Every leaver's row unreadable (US dates) is an error, exit 78 in the CLI. */
    assert_int_equal(
        load_people(&e, "Username;Leaving Date\njane;11/30/2026\n", 1, &p, msg, sizeof(msg)),
        IA_ERR_CONFIG);
    assert_non_null(strstr(msg, "leavers.csv:2: leaving date '11/30/2026'"));
    assert_non_null(strstr(msg, "header found: Username;Leaving Date"));
    env_close(&e);
}

static void
test_input_errors_stop_analysis(void **state)
{
    (void)state;
    struct env e;
    struct ia_analyse_summary sum;
    struct ia_err err;
    env_open(&e);
    assert_int_equal(
        analyse(&e, 0, "email,leaving_date\nx@x.gov.uk,tomorrow\n", NULL, NULL, &sum, &err),
        IA_ERR_CONFIG);
    assert_non_null(strstr(err.msg, "leavers.csv:2: leaving date 'tomorrow'"));
    /* Nothing was written. */
    char *w = query1(&e, "SELECT COUNT(*) FROM analyses WHERE run_id = :run", 1);
    assert_string_equal(w, "0");
    free(w);
    env_close(&e);
}

/* ---- fingerprints, history, diff ----------------------------------------------------------- */

static void
test_fingerprint(void **state)
{
    (void)state;
    char a[33], b[33], c[33];
    ia_analyse_fingerprint("trust-no-mfa", TEAM, RARN, "arn:aws:iam::" BASE ":root", a);
    ia_analyse_fingerprint("trust-no-mfa", TEAM, RARN, "arn:aws:iam::" BASE ":root", b);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), 32);
    /* Pinned (and checked by an independent Python FNV-1a): the value must never change
     * between versions, or exceptions and history would break. */
    assert_string_equal(a, "b30a44cb9654bd21dcd235fad835f1f5");
    ia_analyse_fingerprint("trust-no-mfa", TEAM, RARN, NULL, c);
    assert_string_not_equal(a, c);
    /* The separator keeps fields apart: ("ab", "c") is not ("a", "bc"). */
    ia_analyse_fingerprint("r", "ab", "c", NULL, b);
    ia_analyse_fingerprint("r", "a", "bc", NULL, c);
    assert_string_not_equal(b, c);
}

static void
second_run(struct env *e, const char *extra_role)
{
    exec(e, "INSERT INTO runs (id, started_at, finished_at, status, tool_version) VALUES "
            "(2, '2026-11-27T02:00:00Z', '2026-11-27T02:10:00Z', 'partial', 'test');"
            "INSERT INTO accounts (run_id, account_id, name, team, is_base, status) VALUES "
            "(2, '" BASE "', 'gds-users', 'gds', 1, 'ok'), (2, '" TEAM "', 'team-a', 'a', 0, "
            "'ok');"
            "INSERT INTO password_policies (run_id, account_id, present, minimum_length) VALUES "
            "(2, '" BASE "', 1, 16);");
    /* Re-collected: same names, different row order and ids. */
    if (extra_role)
        add_role(e, 2, TEAM, extra_role, "/", OLD, RECENT,
                 DOC(ALLOW(AWS("arn:aws:iam::999999999999:role/vendor"), MFA)));
    add_role(e, 2, TEAM, "Admin", "/", OLD, RECENT,
             DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), "")));
}

static void
test_history_and_diff(void **state)
{
    (void)state;
    struct env e;
    struct ia_analyse_summary sum;
    struct ia_err err;
    struct ia_diff d = { 0 };
    env_open(&e);
    add_role(&e, 1, TEAM, "Admin", "/", OLD, RECENT,
             DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), "")));
    add_role(&e, 1, TEAM, "Old", "/", OLD, RECENT, DOC(ALLOW("\"*\"", "")));
    assert_int_equal(analyse(&e, 1, NULL, NULL, NULL, &sum, &err), IA_OK);
    /* Re-analysing the same run replaces it. */
    assert_int_equal(analyse(&e, 1, NULL, NULL, NULL, &sum, &err), IA_OK);
    assert_int_equal(sum.n_new, 3);
    assert_int_equal(sum.n_persisting, 0);
    char *s = query1(&e, "SELECT COUNT(*) FROM findings WHERE run_id = :run", 1);
    assert_string_equal(s, "3");
    free(s);

    second_run(&e, "Vendor");
    assert_int_equal(analyse(&e, 0, NULL, NULL, NULL, &sum, &err), IA_OK);
    assert_int_equal(sum.run_id, 2);
    assert_int_equal(sum.n_persisting, 2); /* Admin: account-root + no-mfa */
    assert_int_equal(sum.n_new, 1);        /* Vendor: external account */
    s = query1(&e,
               "SELECT group_concat(rule_id || ':' || status || ':' || first_seen, ' ') "
               "FROM (SELECT * FROM findings WHERE run_id = :run ORDER BY rule_id)",
               2);
    assert_string_equal(s, "trust-account-root:persisting:2026-11-26 "
                           "trust-external-account:new:2026-11-27 "
                           "trust-no-mfa:persisting:2026-11-26");
    free(s);
    /* The view shows the latest analysed run with account names. */
    s = query1(&e,
               "SELECT COUNT(*) || ' ' || MIN(account_name) FROM latest_findings WHERE "
               "run_id = :run",
               2);
    assert_string_equal(s, "3 team-a");
    free(s);

    assert_int_equal(ia_analyse_diff(e.db, 0, 0, &d, &err), IA_OK);
    assert_int_equal(d.from_run, 1);
    assert_int_equal(d.to_run, 2);
    assert_int_equal(d.n_new, 1);
    assert_int_equal(d.n_resolved, 1);
    assert_int_equal(d.n_persisting, 2);
    assert_int_equal(d.n_entries, 4);
    assert_int_equal(d.entries[0].kind, IA_DIFF_NEW);
    assert_string_equal(d.entries[0].rule_id, "trust-external-account");
    assert_int_equal(d.entries[1].kind, IA_DIFF_RESOLVED);
    assert_string_equal(d.entries[1].rule_id, "trust-wildcard-principal");
    assert_string_equal(d.entries[1].resource_arn, "arn:aws:iam::" TEAM ":role/Old");
    assert_int_equal(d.entries[2].kind, IA_DIFF_PERSISTING);
    ia_diff_release(&d);
    /* A run without analysis is named in the error. */
    assert_int_equal(ia_analyse_diff(e.db, 5, 2, &d, &err), IA_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "iam-audit analyse --run 5"));
    env_close(&e);
}

/* A team account that failed in run 2 and came back in run 3. */
static void
test_partial_runs(void **state)
{
    (void)state;
    struct env e;
    struct ia_analyse_summary sum;
    struct ia_err err;
    struct ia_diff d = { 0 };
    env_open(&e);
    add_role(&e, 1, TEAM, "Admin", "/", OLD, RECENT,
             DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)));
    assert_int_equal(analyse(&e, 1, NULL, NULL, NULL, &sum, &err), IA_OK);
    exec(&e, "INSERT INTO runs (id, started_at, status, tool_version) VALUES "
             "(2, '2026-11-27T02:00:00Z', 'partial', 'test'),"
             "(3, '2026-11-27T04:00:00Z', 'complete', 'test');"
             "INSERT INTO accounts (run_id, account_id, name, is_base, status) VALUES "
             "(2, '" BASE "', 'gds-users', 1, 'ok'), (2, '" TEAM "', 'team-a', 0, 'failed'),"
             "(3, '" BASE "', 'gds-users', 1, 'ok'), (3, '" TEAM "', 'team-a', 0, 'ok');"
             "INSERT INTO password_policies (run_id, account_id, present, minimum_length) "
             "VALUES (2, '" BASE "', 1, 16), (3, '" BASE "', 1, 16);");
    assert_int_equal(analyse(&e, 2, NULL, NULL, NULL, &sum, &err), IA_OK);
    assert_int_equal(sum.total, 0);
    assert_int_equal(ia_analyse_diff(e.db, 1, 2, &d, &err), IA_OK);
    assert_int_equal(d.n_resolved, 0);
    assert_int_equal(d.n_not_collected, 1);
    assert_int_equal(d.entries[0].kind, IA_DIFF_NOT_COLLECTED);
    ia_diff_release(&d);
    add_role(&e, 3, TEAM, "Admin", "/", OLD, RECENT,
             DOC(ALLOW(AWS("arn:aws:iam::" BASE ":root"), MFA)));
    assert_int_equal(analyse(&e, 3, NULL, NULL, NULL, &sum, &err), IA_OK);
    /* Compared with run 1, the last run that collected team-a: still persisting. */
    assert_int_equal(sum.n_persisting, 1);
    assert_int_equal(sum.n_new, 0);
    char *s = query1(&e, "SELECT status || ' ' || first_seen FROM findings WHERE run_id = :run", 3);
    assert_string_equal(s, "persisting 2026-11-26");
    free(s);
    env_close(&e);
}

/*
 * Issue 19.2: a run analysed without a leavers file did not check the leaver rules. It says
 * so (summary, analyses.not_checked); diff calls the leaver finding not-checked, not
 * resolved; the next run with the file finds it persisting with its first-seen date.
 */
static void
test_not_checked(void **state)
{
    (void)state;
    struct env e;
    struct ia_analyse_summary sum;
    struct ia_err err;
    struct ia_diff d = { 0 };
    static const char leavers[] = "email,leaving_date\na@x.gov.uk,2026-11-01\n";
    env_open(&e);
    exec(&e, USER(BASE, "a@x.gov.uk", Q(OLD), "1", Q(RECENT), "1"));
    assert_int_equal(analyse(&e, 1, leavers, "email\nb@x.gov.uk\n", NULL, &sum, &err), IA_OK);
    assert_string_equal(sum.not_checked, "");
    char *s = query1(&e,
                     "SELECT rule_id || ' ' || status FROM findings WHERE run_id = :run "
                     "AND rule_id = 'leaver-present'",
                     1);
    assert_string_equal(s, "leaver-present new");
    free(s);
    for (int64_t run = 2; run <= 3; run++) {
        struct ia_buf sql = IA_BUF_INIT;
        ia_buf_addf(&sql,
                    "INSERT INTO runs (id, started_at, status, tool_version) VALUES "
                    "(%lld, '2026-11-2%lldT02:00:00Z', 'complete', 'test');"
                    "INSERT INTO accounts (run_id, account_id, name, is_base, status) VALUES "
                    "(%lld, '" BASE "', 'gds-users', 1, 'ok');"
                    "INSERT INTO password_policies (run_id, account_id, present, minimum_length)"
                    " VALUES (%lld, '" BASE "', 1, 16);"
                    "INSERT INTO users (run_id, account_id, user_name, user_id, arn, created_at,"
                    " password_enabled, password_last_used, mfa_active) SELECT %lld, account_id,"
                    " user_name, user_id, arn, created_at, password_enabled, password_last_used,"
                    " mfa_active FROM users WHERE run_id = 1;",
                    (long long)run, (long long)(5 + run), (long long)run, (long long)run,
                    (long long)run);
        exec(&e, sql.buf);
        ia_buf_release(&sql);
    }
    /* Run 2: no leavers file, no roster. */
    assert_int_equal(analyse(&e, 2, NULL, NULL, NULL, &sum, &err), IA_OK);
    assert_non_null(strstr(sum.not_checked, "leaver-present, leaver-trusted-by-role"));
    assert_non_null(strstr(sum.not_checked, "leaver-has-access"));
    assert_non_null(strstr(sum.not_checked, "no leavers file"));
    assert_non_null(strstr(sum.not_checked, "user-not-in-roster (no roster file"));
    s = query1(&e,
               "SELECT group_concat(json_extract(j.value, '$.rule'), ' ') FROM analyses a, "
               "json_each(a.not_checked) j WHERE a.run_id = :run",
               2);
    assert_non_null(s);
    assert_non_null(strstr(s, "leaver-present"));
    assert_non_null(strstr(s, "user-not-in-roster"));
    free(s);
    assert_int_equal(ia_analyse_diff(e.db, 1, 2, &d, &err), IA_OK);
    assert_int_equal(d.n_resolved, 0);
    assert_int_equal(d.n_not_checked, 1);
    size_t k = 0;
    while (k < d.n_entries && strcmp(d.entries[k].rule_id, "leaver-present") != 0)
        k++;
    assert_true(k < d.n_entries);
    assert_int_equal(d.entries[k].kind, IA_DIFF_NOT_CHECKED);
    ia_diff_release(&d);
    /* Run 3: the file is back. The finding persists from run 1, first seen kept. */
    assert_int_equal(analyse(&e, 3, leavers, "email\nb@x.gov.uk\n", NULL, &sum, &err), IA_OK);
    s = query1(&e,
               "SELECT status || ' ' || first_seen FROM findings WHERE run_id = :run AND "
               "rule_id = 'leaver-present'",
               3);
    assert_string_equal(s, "persisting 2026-11-26");
    free(s);
    assert_int_equal(ia_analyse_diff(e.db, 2, 3, &d, &err), IA_OK);
    assert_int_equal(d.n_resolved, 0);
    ia_diff_release(&d);
    env_close(&e);
}

static void
test_run_selection(void **state)
{
    (void)state;
    struct env e;
    struct ia_analyse_summary sum;
    struct ia_err err;
    env_open(&e);
    assert_int_equal(analyse(&e, 7, NULL, NULL, NULL, &sum, &err), IA_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "run 7 does not exist"));
    exec(&e, "INSERT INTO runs (id, started_at, status, tool_version) VALUES "
             "(3, '2026-11-27T03:00:00Z', 'running', 'test');");
    assert_int_equal(analyse(&e, 3, NULL, NULL, NULL, &sum, &err), IA_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "'running'"));
    /* The default is the latest complete or partial run, not the running one. */
    assert_int_equal(analyse(&e, 0, NULL, NULL, NULL, &sum, &err), IA_OK);
    assert_int_equal(sum.run_id, 1);
    env_close(&e);
}

static void
test_rule_table(void **state)
{
    (void)state;
    size_t n;
    const struct ia_rule *r = ia_rules_table(&n);
    enum ia_severity s;
    assert_int_equal(n, 37);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(ia_rules_find(r[i].id), &r[i]);
        assert_true(strlen(r[i].title) > 10);
        /* One function per rule: none shared, none missing. */
        assert_non_null(r[i].fn);
        for (size_t k = 0; k < i; k++)
            assert_true(r[k].fn != r[i].fn);
    }
    assert_null(ia_rules_find("nope"));
    assert_int_equal(ia_severity_parse("HIGH", &s), 0);
    assert_int_equal(s, IA_SEV_HIGH);
    assert_int_equal(ia_severity_parse("severe", &s), -1);
    assert_string_equal(ia_severity_name(IA_SEV_CRITICAL), "critical");
}

/* A finding away from its rule's default severity must say why (docs/rules.md). */
static void
test_emit_needs_reason(void **state)
{
    (void)state;
    size_t n;
    const struct ia_rule *rule = ia_rules_table(&n); /* any rule: the first one */
    IA_ASSERT(n > 0 && rule->severity != IA_SEV_INFO);
    for (int with_reason = 0; with_reason < 2; with_reason++) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            struct ia_an_ctx ctx;
            struct env e;
            struct ia_err err;
            memset(&ctx, 0, sizeof(ctx));
            env_open(&e);
            ctx.db = e.db;
            ctx.run_id = 1;
            if (ia_an_write_begin(&ctx, &err) != IA_OK)
                _exit(4);
            json_t *ev = json_object();
            if (with_reason)
                json_object_set_new(ev, "severity_reason", json_string("lowered: a test"));
            if (!freopen("/dev/null", "w", stderr))
                _exit(3);
            ia_an_emit(&ctx, rule, IA_SEV_INFO, NULL, "arn:aws:iam::1:role/x", NULL, ev, "t");
            int stored = ctx.n_emitted == 1 && !ctx.emit_failed;
            ia_db_rollback(e.db);
            env_close(&e);
            _exit(stored ? 0 : 2);
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (with_reason)
            assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        else
            assert_true(WIFSIGNALED(status)); /* IA_BUG aborts */
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_table),
        cmocka_unit_test(test_emit_needs_reason),
        cmocka_unit_test(test_rule_cases),
        cmocka_unit_test(test_clean_estate),
        cmocka_unit_test(test_evidence),
        cmocka_unit_test(test_evidence_dates),
        cmocka_unit_test(test_exception_suppresses),
        cmocka_unit_test(test_duplicate_findings_joined),
        cmocka_unit_test(test_failed_analysis_rolls_back),
        cmocka_unit_test(test_trust_assumes_per_action_kind),
        cmocka_unit_test(test_policy_verdicts_per_document_set),
        cmocka_unit_test(test_exception_expired_and_unused),
        cmocka_unit_test(test_exception_file_errors),
        cmocka_unit_test(test_exception_limits_allowed),
        cmocka_unit_test(test_leavers_csv),
        cmocka_unit_test(test_leavers_excel),
        cmocka_unit_test(test_input_errors_stop_analysis),
        cmocka_unit_test(test_fingerprint),
        cmocka_unit_test(test_history_and_diff),
        cmocka_unit_test(test_partial_runs),
        cmocka_unit_test(test_run_selection),
        cmocka_unit_test(test_not_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
