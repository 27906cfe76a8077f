/*
 * Reports against a synthetic database built here through sql/db.h (two analysed runs,
 * one collected but not analysed): findings.csv and users.csv compared byte for byte,
 * including user names that look like formulas arriving inert; roles and trusts columns;
 * findings.jsonl with nested evidence; file modes under a permissive umask; per-team
 * workbook names; the errors a user can cause. The XLSX content itself is read back by an
 * independent reader in tests/integration/test_reports.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/mem.h"
#include "reports/report.h"
#include "sql/db.h"

#define BASE "111111111111"
#define ALPHA "222222222222"
#define BETA "333333333333"
#define HYPER "=HYPERLINK(\"http://x\",\"y\")"
#define ALICE_ARN "arn:aws:iam::" BASE ":user/alice@example.gov.uk"

/* Run 1 and 2 analysed, run 3 collected only. Run 2 is the one reported. */
static const char s_fixture[] =
    "INSERT INTO runs (id, started_at, finished_at, status, tool_version) VALUES"
    " (1, '2026-11-20T02:00:00Z', '2026-11-20T02:10:00Z', 'complete', '0.1.0'),"
    " (2, '2026-11-27T02:00:01Z', '2026-11-27T02:10:00Z', 'partial', '0.1.0'),"
    " (3, '2026-11-28T02:00:00Z', NULL, 'complete', '0.1.0');"
    "INSERT INTO accounts (run_id, account_id, name, team, is_base, status, error_code,"
    " error_message) VALUES"
    " (1, '" BASE "', 'gds-users', NULL, 1, 'ok', NULL, NULL),"
    " (1, '" ALPHA "', 'alpha-prod', 'alpha', 0, 'ok', NULL, NULL),"
    " (2, '" BASE "', 'gds-users', NULL, 1, 'ok', NULL, NULL),"
    " (2, '" ALPHA "', 'alpha-prod', 'alpha', 0, 'ok', NULL, NULL),"
    " (2, '" BETA "', 'beta-dev', 'beta team/x', 0, 'failed', 'AccessDenied',"
    "  'cannot assume the audit role');"
    "INSERT INTO users (run_id, account_id, user_name, user_id, arn, created_at,"
    " password_enabled, password_last_used, mfa_active) VALUES"
    " (2, '" BASE "', '" HYPER "', 'AIDA1', 'arn:aws:iam::" BASE ":user/" HYPER "',"
    "  '2026-01-02T03:04:05Z', 0, NULL, 0),"
    " (2, '" BASE "', '+cmd', 'AIDA2', 'arn:aws:iam::" BASE ":user/+cmd',"
    "  '2026-01-02T03:04:05Z', 1, '2026-11-01T09:00:00Z', 0),"
    " (2, '" BASE "', 'alice@example.gov.uk', 'AIDA3', '" ALICE_ARN "',"
    "  '2025-05-05T05:05:05Z', 1, NULL, 1);"
    "INSERT INTO mfa_devices (run_id, account_id, user_name, serial_number, device_name, kind)"
    " VALUES (2, '" BASE "', 'alice@example.gov.uk', 'arn:aws:iam::" BASE ":mfa/alice',"
    " 'alice@example.gov.uk', 'virtual');"
    "INSERT INTO access_keys (run_id, account_id, user_name, access_key_id, status, created_at,"
    " last_used_at) VALUES"
    " (2, '" BASE "', 'alice@example.gov.uk', 'AKIAEXAMPLE1', 'Active', '2025-06-01T00:00:00Z',"
    "  '2026-10-01T12:00:00Z'),"
    " (2, '" BASE "', 'alice@example.gov.uk', 'AKIAEXAMPLE2', 'Inactive',"
    "  '2025-06-01T00:00:00Z', NULL);"
    "INSERT INTO roles (run_id, account_id, role_name, role_id, arn, created_at, last_used_at,"
    " max_session_duration) VALUES"
    " (2, '" ALPHA "', 'alice-admin', 'AROA1', 'arn:aws:iam::" ALPHA ":role/alice-admin',"
    "  '2025-05-06T00:00:00Z', NULL, 3600),"
    " (2, '" ALPHA "', 'bootstrap', 'AROA2', 'arn:aws:iam::" ALPHA ":role/bootstrap',"
    "  '2024-01-01T00:00:00Z', '2024-02-01T00:00:00Z', 3600);"
    "INSERT INTO trusts (run_id, account_id, role_name, role_arn, statement_index,"
    " principal_index, effect, not_principal, principal_kind, principal, principal_account,"
    " principal_type, actions) VALUES"
    " (2, '" ALPHA "', 'alice-admin', 'arn:aws:iam::" ALPHA ":role/alice-admin', 0, 0,"
    "  'Allow', 0, 'AWS', '" ALICE_ARN "', '" BASE "', 'user', '[\"sts:AssumeRole\"]'),"
    " (2, '" ALPHA "', 'bootstrap', 'arn:aws:iam::" ALPHA ":role/bootstrap', 0, 0,"
    "  'Allow', 0, 'AWS', 'arn:aws:iam::" BASE ":root', '" BASE "', 'account-root',"
    "  '[\"sts:AssumeRole\"]');"
    "INSERT INTO analyses (run_id, analysed_at, tool_version) VALUES"
    " (1, '2026-11-20T03:00:00Z', '0.1.0'), (2, '2026-11-27T03:00:00Z', '0.1.0');"
    "INSERT INTO findings (run_id, fingerprint, rule_id, severity, account_id, resource_arn,"
    " principal, title, evidence, first_seen, status, suppressed_by) VALUES"
    " (1, 'fp-hyper', 'user-no-mfa', 'critical', '" BASE "',"
    "  'arn:aws:iam::" BASE ":user/" HYPER "', '" HYPER "', 'no MFA', '{}', '2026-11-20',"
    "  'new', NULL),"
    " (1, 'fp-gone', 'access-key-old', 'medium', '" ALPHA "', 'arn:aws:iam::" ALPHA ":user/x',"
    "  'x', 'old key', '{}', '2026-11-20', 'new', NULL),"
    " (2, 'fp-hyper', 'user-no-mfa', 'critical', '" BASE "',"
    "  'arn:aws:iam::" BASE ":user/" HYPER "', '" HYPER "',"
    "  'user " HYPER " has no MFA device', '{\"password_enabled\":false,\"active_keys\":0}',"
    "  '2026-11-20', 'persisting', NULL),"
    " (2, 'fp-cmd', 'user-no-mfa', 'critical', '" BASE "', 'arn:aws:iam::" BASE ":user/+cmd',"
    "  '+cmd', 'user +cmd has no MFA device', '{\"password_enabled\":true}', '2026-11-27',"
    "  'new', NULL),"
    " (2, 'fp-leaver', 'leaver-present', 'high', '" BASE "', '" ALICE_ARN "', '" ALICE_ARN "',"
    "  'leaver alice@example.gov.uk still has a user',"
    "  '{\"leaving_date\":\"2026-10-28\",\"password_enabled\":true}', '2026-11-27', 'new', NULL),"
    " (2, 'fp-trust', 'leaver-trusted-by-role', 'high', '" ALPHA "',"
    "  'arn:aws:iam::" ALPHA ":role/alice-admin', '" ALICE_ARN "',"
    "  'role alice-admin trusts leaver alice@example.gov.uk',"
    "  '{\"statement_index\":0,\"leaving_date\":\"2026-10-28\"}', '2026-11-27', 'new', NULL),"
    " (2, 'fp-boot', 'bootstrap-role-present', 'medium', '" ALPHA "',"
    "  'arn:aws:iam::" ALPHA ":role/bootstrap', NULL, 'bootstrap role still present',"
    "  '{\"created_at\":\"2024-01-01T00:00:00Z\",\"policies\":[\"AdministratorAccess\"]}',"
    "  '2026-11-27', 'new', 'bootstrap-accepted');";

struct fx {
    char dir[64];
    char db_path[128];
    char out[128];
    struct ia_db *db;
};

static void
join(char *out, size_t n, const char *dir, const char *name)
{
    int w = snprintf(out, n, "%s/%s", dir, name);
    assert_true(w > 0 && (size_t)w < n);
}

static void
rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        join(path, sizeof(path), dir, e->d_name);
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            rm_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int
setup(void **state)
{
    struct fx *fx = ia_xcalloc(1, sizeof(*fx));
    struct ia_err err;

    ia_err_clear(&err);
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/ia-test-reports-XXXXXX");
    if (!mkdtemp(fx->dir))
        return -1;
    join(fx->db_path, sizeof(fx->db_path), fx->dir, "t.db");
    join(fx->out, sizeof(fx->out), fx->dir, "out");
    if (ia_db_open(fx->db_path, IA_DB_READWRITE, &fx->db, &err) != IA_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    if (ia_db_exec(fx->db, s_fixture, &err) != IA_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *fx = *state;
    ia_db_close(fx->db);
    rm_tree(fx->dir);
    free(fx);
    return 0;
}

static char *
slurp(const char *path)
{
    struct ia_buf b = IA_BUF_INIT;
    char chunk[4096];
    size_t n;
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ia_buf_add(&b, chunk, n);
    fclose(f);
    return ia_buf_detach(&b, NULL);
}

static char *
out_file(struct fx *fx, const char *name)
{
    char path[256];
    join(path, sizeof(path), fx->out, name);
    return slurp(path);
}

static void
write_reports(struct fx *fx, int64_t run, unsigned formats, int per_team,
              struct ia_report_summary *sum)
{
    struct ia_err err;
    ia_err_clear(&err);
    enum ia_code rc = ia_report_write(fx->db, run, fx->out, formats, per_team, sum, &err);
    if (rc != IA_OK)
        fail_msg("ia_report_write: %s", err.msg);
}

#define HDR                                                                                        \
    "\"rule_id\",\"severity\",\"account_id\",\"account_name\",\"team\",\"resource_arn\","          \
    "\"principal\",\"title\",\"first_seen\",\"status\",\"suppressed_by\",\"evidence\"\r\n"
/* csv_fwrite quotes every field and doubles inner quotes; inert adds the leading '. */
#define HYPER_CSV "'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")"
#define HYPER_ARN_CSV "arn:aws:iam::" BASE ":user/=HYPERLINK(\"\"http://x\"\",\"\"y\"\")"

static void
test_findings_csv_exact(void **state)
{
    struct fx *fx = *state;
    struct ia_report_summary sum;
    static const char expect[] = HDR
        "\"user-no-mfa\",\"critical\",\"" BASE "\",\"gds-users\",\"\","
        "\"arn:aws:iam::" BASE ":user/+cmd\",\"'+cmd\",\"user +cmd has no MFA device\","
        "\"2026-11-27\",\"new\",\"\",\"{\"\"password_enabled\"\":true}\"\r\n"
        "\"user-no-mfa\",\"critical\",\"" BASE "\",\"gds-users\",\"\","
        "\"" HYPER_ARN_CSV "\",\"" HYPER_CSV "\","
        "\"user =HYPERLINK(\"\"http://x\"\",\"\"y\"\") has no MFA device\","
        "\"2026-11-20\",\"persisting\",\"\","
        "\"{\"\"password_enabled\"\":false,\"\"active_keys\"\":0}\"\r\n"
        "\"leaver-present\",\"high\",\"" BASE "\",\"gds-users\",\"\",\"" ALICE_ARN "\","
        "\"" ALICE_ARN "\",\"leaver alice@example.gov.uk still has a user\",\"2026-11-27\","
        "\"new\",\"\",\"{\"\"leaving_date\"\":\"\"2026-10-28\"\",\"\"password_enabled\"\":true}\""
        "\r\n"
        "\"leaver-trusted-by-role\",\"high\",\"" ALPHA "\",\"alpha-prod\",\"alpha\","
        "\"arn:aws:iam::" ALPHA ":role/alice-admin\",\"" ALICE_ARN "\","
        "\"role alice-admin trusts leaver alice@example.gov.uk\",\"2026-11-27\",\"new\",\"\","
        "\"{\"\"statement_index\"\":0,\"\"leaving_date\"\":\"\"2026-10-28\"\"}\"\r\n"
        "\"bootstrap-role-present\",\"medium\",\"" ALPHA "\",\"alpha-prod\",\"alpha\","
        "\"arn:aws:iam::" ALPHA ":role/bootstrap\",\"\",\"bootstrap role still present\","
        "\"2026-11-27\",\"new\",\"bootstrap-accepted\","
        "\"{\"\"created_at\"\":\"\"2024-01-01T00:00:00Z\"\",\"\"policies\"\":"
        "[\"\"AdministratorAccess\"\"]}\"\r\n";

    write_reports(fx, 0, IA_REPORT_CSV, 0, &sum);
    assert_int_equal(sum.run_id, 2);
    assert_int_equal(sum.previous_run, 1);
    assert_string_equal(sum.run_date, "2026-11-27");
    assert_int_equal(sum.findings, 5);
    assert_int_equal(sum.n_files, 5);
    assert_non_null(strstr(sum.files[0], "/out/findings.csv"));
    assert_non_null(strstr(sum.files[1], "/out/users.csv"));
    assert_non_null(strstr(sum.files[2], "/out/roles.csv"));
    assert_non_null(strstr(sum.files[3], "/out/trusts.csv"));
    assert_non_null(strstr(sum.files[4], "/out/access.csv"));
    ia_report_summary_release(&sum);

    char *got = out_file(fx, "findings.csv");
    assert_string_equal(got, expect);
    /* No field anywhere starts a formula: every field opens with a quote then not = + - @. */
    assert_null(strstr(got, "\"="));
    assert_null(strstr(got, "\"+"));
    free(got);
}

static void
test_users_csv_exact(void **state)
{
    struct fx *fx = *state;
    struct ia_report_summary sum;
    static const char expect[] =
        "\"account_id\",\"account_name\",\"team\",\"user_name\",\"arn\",\"path\","
        "\"created_at\",\"password_enabled\",\"password_last_used\",\"mfa_active\","
        "\"mfa_devices\",\"active_keys\",\"key_last_used\",\"leaver\"\r\n"
        "\"" BASE "\",\"gds-users\",\"\",\"'+cmd\",\"arn:aws:iam::" BASE ":user/+cmd\",\"/\","
        "\"2026-01-02T03:04:05Z\",\"true\",\"2026-11-01T09:00:00Z\",\"false\",\"0\",\"0\",\"\","
        "\"false\"\r\n"
        "\"" BASE "\",\"gds-users\",\"\",\"" HYPER_CSV "\",\"" HYPER_ARN_CSV "\",\"/\","
        "\"2026-01-02T03:04:05Z\",\"false\",\"\",\"false\",\"0\",\"0\",\"\",\"false\"\r\n"
        "\"" BASE "\",\"gds-users\",\"\",\"alice@example.gov.uk\",\"" ALICE_ARN "\",\"/\","
        "\"2025-05-05T05:05:05Z\",\"true\",\"\",\"true\",\"1\",\"1\",\"2026-10-01T12:00:00Z\","
        "\"true\"\r\n";

    write_reports(fx, 2, IA_REPORT_CSV, 0, &sum);
    ia_report_summary_release(&sum);
    char *got = out_file(fx, "users.csv");
    assert_string_equal(got, expect);
    free(got);
}

static void
test_roles_and_trusts_csv(void **state)
{
    struct fx *fx = *state;
    struct ia_report_summary sum;

    write_reports(fx, 0, IA_REPORT_CSV, 0, &sum);
    ia_report_summary_release(&sum);
    char *roles = out_file(fx, "roles.csv");
    assert_non_null(strstr(roles, "\"account_id\",\"account_name\",\"team\",\"role_name\","
                                  "\"arn\",\"path\",\"created_at\",\"last_used_at\","
                                  "\"last_used_region\",\"max_session_duration\","
                                  "\"trust_summary\",\"trust_error\"\r\n"));
    assert_non_null(strstr(roles, "\"alice-admin\",\"arn:aws:iam::" ALPHA ":role/alice-admin\","
                                  "\"/\",\"2025-05-06T00:00:00Z\",\"\",\"\",\"3600\","
                                  "\"Allow AWS " ALICE_ARN "\",\"\"\r\n"));
    free(roles);
    char *trusts = out_file(fx, "trusts.csv");
    assert_non_null(strstr(trusts, "\"" ALPHA "\",\"alpha-prod\",\"alpha\",\"bootstrap\","
                                   "\"arn:aws:iam::" ALPHA ":role/bootstrap\",\"0\",\"\","
                                   "\"Allow\",\"false\",\"AWS\",\"arn:aws:iam::" BASE ":root\","
                                   "\"" BASE "\",\"account-root\","
                                   "\"[\"\"sts:AssumeRole\"\"]\",\"\"\r\n"));
    free(trusts);
}

static void
test_jsonl(void **state)
{
    struct fx *fx = *state;
    struct ia_report_summary sum;
    char path[256];
    char line[4096];
    int n = 0;

    write_reports(fx, 0, IA_REPORT_JSONL, 0, &sum);
    assert_int_equal(sum.n_files, 1);
    ia_report_summary_release(&sum);
    join(path, sizeof(path), fx->out, "findings.jsonl");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f)) {
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        assert_non_null(o);
        assert_true(json_is_object(json_object_get(o, "evidence")));
        assert_int_equal(json_object_size(o), 12);
        if (n == 1) {
            /* Exactly as stored: no inert quote in a machine format. */
            assert_string_equal(json_string_value(json_object_get(o, "principal")), HYPER);
            assert_false(json_boolean_value(
                json_object_get(json_object_get(o, "evidence"), "password_enabled")));
            assert_true(json_is_null(json_object_get(o, "team")));
        }
        if (n == 4)
            assert_string_equal(json_string_value(json_object_get(o, "suppressed_by")),
                                "bootstrap-accepted");
        json_decref(o);
        n++;
    }
    fclose(f);
    assert_int_equal(n, 5);
}

static void
test_modes_and_files(void **state)
{
    struct fx *fx = *state;
    struct ia_report_summary sum;
    struct stat st;
    mode_t old = umask(0);
    DIR *d;
    struct dirent *e;
    int files = 0;

    write_reports(fx, 0, IA_REPORT_ALL, 1, &sum);
    umask(old);
    /* 5 CSV (access.csv included), 1 JSONL, the workbook, alpha and "beta team/x" sanitised. */
    assert_int_equal(sum.n_files, 9);
    assert_non_null(strstr(sum.files[6], "/out/iam-audit-2026-11-27.xlsx"));
    assert_non_null(strstr(sum.files[7], "/out/team-alpha.xlsx"));
    assert_non_null(strstr(sum.files[8], "/out/team-beta_team_x.xlsx"));
    for (size_t i = 0; i < sum.n_files; i++) {
        assert_int_equal(stat(sum.files[i], &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        assert_true(st.st_size > 0);
    }
    ia_report_summary_release(&sum);
    assert_int_equal(stat(fx->out, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    /* No temporary file left behind. */
    d = opendir(fx->out);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            assert_true(!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."));
            continue;
        }
        files++;
    }
    closedir(d);
    assert_int_equal(files, 9);

    /* A workbook is a zip file. */
    char *x = out_file(fx, "iam-audit-2026-11-27.xlsx");
    assert_memory_equal(x, "PK\x03\x04", 4);
    free(x);
}

static void
test_errors(void **state)
{
    struct fx *fx = *state;
    struct ia_err err;
    struct ia_report_summary sum;
    unsigned f = 0;
    char part[65];

    memset(&sum, 0, sizeof(sum));
    ia_err_clear(&err);
    assert_int_equal(ia_report_write(fx->db, 99, fx->out, IA_REPORT_CSV, 0, &sum, &err),
                     IA_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "run 99 does not exist"));
    assert_int_equal(sum.n_files, 0);
    ia_err_clear(&err);
    assert_int_equal(ia_report_write(fx->db, 3, fx->out, IA_REPORT_CSV, 0, &sum, &err),
                     IA_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "iam-audit analyse --run 3"));
    ia_err_clear(&err);
    assert_int_equal(ia_report_write(fx->db, 0, "/proc/no/such/dir", IA_REPORT_CSV, 0, &sum, &err),
                     IA_ERR_IO);
    assert_non_null(strstr(err.msg, "cannot create output directory"));

    assert_int_equal(ia_report_formats_parse("csv, jsonl", &f, &err), IA_OK);
    assert_int_equal(f, IA_REPORT_CSV | IA_REPORT_JSONL);
    assert_int_equal(ia_report_formats_parse("xlsx", &f, &err), IA_OK);
    assert_int_equal(f, IA_REPORT_XLSX);
    assert_int_equal(ia_report_formats_parse("csv,pdf", &f, &err), IA_ERR_INVALID);
    assert_non_null(strstr(err.msg, "'pdf'"));
    assert_int_equal(ia_report_formats_parse(" , ", &f, &err), IA_ERR_INVALID);

    ia_report_team_file_part("Platform Team", part);
    assert_string_equal(part, "Platform_Team");
    ia_report_team_file_part("../../etc/passwd", part);
    assert_string_equal(part, "_._.._etc_passwd");
    ia_report_team_file_part("", part);
    assert_string_equal(part, "unnamed");
    ia_report_team_file_part("caf\xc3\xa9", part);
    assert_string_equal(part, "caf__");
}

static void
test_no_analysed_run(void **state)
{
    struct fx *fx = *state;
    struct ia_err err;
    struct ia_report_summary sum;

    memset(&sum, 0, sizeof(sum));
    ia_err_clear(&err);
    assert_int_equal(ia_db_exec(fx->db, "DELETE FROM analyses", &err), IA_OK);
    assert_int_equal(ia_report_write(fx->db, 0, fx->out, IA_REPORT_CSV, 0, &sum, &err),
                     IA_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "run 'iam-audit analyse' first"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_findings_csv_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_users_csv_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roles_and_trusts_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jsonl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modes_and_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_analysed_run, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
