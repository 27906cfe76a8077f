/*
 * The collector's parts without a network: the plan (accounts, roles, discovery's states),
 * the per-user call planning from what the bulk calls and the credential report say, and
 * the snapshot writer (what lands in the database for given AWS answers).
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

#include "collector/collect_int.h"
#include "collector/org_api.h"
#include "collector/snapshot_write.h"
#include "core/mem.h"

static char s_dir[64];

static int
setup(void **state)
{
    (void)state;
    snprintf(s_dir, sizeof(s_dir), "/tmp/ia-test-collect-XXXXXX");
    return mkdtemp(s_dir) ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void
load_config(const char *text, struct ia_config *cfg)
{
    char path[128];
    struct ia_err err;
    snprintf(path, sizeof(path), "%s/c.ini", s_dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    if (ia_config_load(path, cfg, &err) != IA_OK)
        fail_msg("%s", err.msg);
}

static const struct job *
job_of(const struct run_ctx *rc, const char *id)
{
    for (size_t i = 0; i < rc->n_jobs; i++)
        if (strcmp(rc->jobs[i].account_id, id) == 0)
            return &rc->jobs[i];
    return NULL;
}

static void
test_plan(void **state)
{
    (void)state;
    struct ia_config cfg;
    struct ia_collect_options o;
    struct run_ctx rc;
    load_config("[audit]\nbase_account = 111111111111\nrole_name = iam-audit\n"
                "external_id = ext-all\n"
                "[account paas]\nid = 222222222222\nteam = paas\nexternal_id = ext-paas\n"
                "[account notify]\nid = 033333333333\nteam = notify\n"
                "role_arn = arn:aws:iam::033333333333:role/custom/auditor\n"
                "[organization]\ndiscover = true\nexclude = 055555555555\n"
                "role_arn = arn:aws:iam::999999999999:role/org-reader\n",
                &cfg);
    memset(&o, 0, sizeof(o));
    memset(&rc, 0, sizeof(rc));
    o.cfg = &cfg;
    rc.opts = &o;
    rc.cfg = &cfg;
    /* The caller is a session of the base account's audit role: no hop there. */
    snprintf(rc.caller_arn, sizeof(rc.caller_arn),
             "arn:aws:sts::111111111111:assumed-role/iam-audit/nightly");
    ia_collect_plan_configured(&rc);
    struct ia_org_account org[] = {
        { .id = "222222222222", .name = "paas-from-org", .state = "SUSPENDED" },
        { .id = "044444444444", .name = "new-team", .state = "ACTIVE" },
        { .id = "055555555555", .name = "excluded", .state = "ACTIVE" },
        { .id = "066666666666", .name = "old", .state = "PENDING_CLOSURE" },
        { .id = "077777777777", .name = "", .state = "" },
    };
    ia_collect_plan_discovered(&rc, org, IA_ARRAY_LEN(org));

    assert_int_equal(rc.n_jobs, 4);
    const struct job *base = job_of(&rc, "111111111111");
    assert_non_null(base);
    assert_true(base->is_base);
    assert_true(base->use_caller);
    assert_null(base->role_arn);
    const struct job *paas = job_of(&rc, "222222222222");
    assert_non_null(paas); /* configured: audited whatever Organizations says */
    assert_string_equal(paas->name, "paas");
    assert_string_equal(paas->role_arn, "arn:aws:iam::222222222222:role/iam-audit");
    assert_string_equal(paas->external_id, "ext-paas");
    const struct job *notify = job_of(&rc, "033333333333");
    assert_string_equal(notify->role_arn, "arn:aws:iam::033333333333:role/custom/auditor");
    assert_string_equal(notify->external_id, "ext-all");
    const struct job *found = job_of(&rc, "044444444444");
    assert_non_null(found);
    assert_string_equal(found->name, "new-team");
    assert_null(found->team);

    assert_int_equal(rc.n_skipped, 3);
    assert_string_equal(rc.skipped[0].account_id, "055555555555");
    assert_non_null(strstr(rc.skipped[0].reason, "exclude"));
    assert_string_equal(rc.skipped[1].state, "PENDING_CLOSURE");
    assert_non_null(strstr(rc.skipped[1].reason, "PENDING_CLOSURE"));
    assert_null(rc.skipped[2].state);
    assert_non_null(strstr(rc.skipped[2].reason, "no State"));

    /* --account: only those, and no "not audited" noise about the others. */
    ia_collect_plan_release(&rc);
    char *only[] = { "044444444444", NULL };
    o.only_accounts = only;
    ia_collect_plan_configured(&rc);
    ia_collect_plan_discovered(&rc, org, IA_ARRAY_LEN(org));
    assert_int_equal(rc.n_jobs, 1);
    assert_int_equal(rc.n_skipped, 0);
    ia_collect_plan_release(&rc);
    ia_config_release(&cfg);
}

static struct ia_xml_doc *
xml(const char *text)
{
    struct ia_xml_doc *d = NULL;
    struct ia_err err;
    assert_int_equal(ia_xml_parse(text, strlen(text), &d, &err), IA_OK);
    return d;
}

#define NS " xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\""
#define HEADER                                                                                     \
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"       \
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"             \
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"    \
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"                   \
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"                  \
    "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
#define TAIL ",N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"

static const char s_gaad[] =
    "<GetAccountAuthorizationDetailsResponse" NS "><GetAccountAuthorizationDetailsResult>"
    "<IsTruncated>false</IsTruncated><UserDetailList>"
    "<member><Path>/</Path><UserName>ann</UserName><UserId>AIDA1</UserId>"
    "<Arn>arn:aws:iam::111111111111:user/ann</Arn><CreateDate>2025-01-01T00:00:00Z</CreateDate>"
    "<GroupList/><AttachedManagedPolicies/><UserPolicyList/></member>"
    "<member><Path>/</Path><UserName>ben</UserName><UserId>AIDA2</UserId>"
    "<Arn>arn:aws:iam::111111111111:user/ben</Arn><CreateDate>2025-02-01T00:00:00Z</CreateDate>"
    "<GroupList/><AttachedManagedPolicies/><UserPolicyList/></member>"
    "<member><Path>/</Path><UserName>cy</UserName><UserId>AIDA3</UserId>"
    "<Arn>arn:aws:iam::111111111111:user/cy</Arn><CreateDate>2026-12-01T00:00:00Z</CreateDate>"
    "<GroupList/><AttachedManagedPolicies/><UserPolicyList/></member>"
    "<member><Path>/</Path><UserName>d,e</UserName><UserId>AIDA4</UserId>"
    "<Arn>arn:aws:iam::111111111111:user/d,e</Arn><CreateDate>2025-03-01T00:00:00Z</CreateDate>"
    "<GroupList/><AttachedManagedPolicies/><UserPolicyList/></member>"
    "<member><Path>/</Path><UserName>fay</UserName><UserId>AIDA5</UserId>"
    "<Arn>arn:aws:iam::111111111111:user/fay</Arn><CreateDate>2026-11-30T00:00:00Z</CreateDate>"
    "<GroupList/><AttachedManagedPolicies/><UserPolicyList/></member>"
    "</UserDetailList><GroupDetailList/><RoleDetailList>"
    "<member><Path>/</Path><RoleName>Admin</RoleName><RoleId>AROA1</RoleId>"
    "<Arn>arn:aws:iam::111111111111:role/Admin</Arn><CreateDate>2025-01-01T00:00:00Z</CreateDate>"
    "<AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B"
    "%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22arn%3Aaws%3Aiam%3A%3A"
    "111111111111%3Auser%2Fann%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D"
    "</AssumeRolePolicyDocument><RolePolicyList/><AttachedManagedPolicies/><RoleLastUsed/>"
    "</member></RoleDetailList><Policies/></GetAccountAuthorizationDetailsResult>"
    "</GetAccountAuthorizationDetailsResponse>";

/* ann: virtual device listed; ben: MFA in the report, none listed; cy: absent from the
 * report (created after it); d,e: an unquoted comma; fay: an older namesake's row. */
static const char s_report[] =
    HEADER "<root_account>,arn:aws:iam::111111111111:root,2014-01-01T00:00:00+00:00,"
           "not_supported,N/A,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false" TAIL
           "ann,arn:aws:iam::111111111111:user/ann,2025-01-01T00:00:00+00:00,true,"
           "2026-11-01T00:00:00+00:00,N/A,N/A,true,true,2025-06-01T00:00:00+00:00,"
           "2026-11-02T00:00:00+00:00,eu-west-2,s3,false" TAIL
           "ben,arn:aws:iam::111111111111:user/ben,2025-02-01T00:00:00+00:00,true,no_information,"
           "N/A,N/A,true,false,N/A,N/A,N/A,N/A,false" TAIL
           "d,e,arn:aws:iam::111111111111:user/d,e,2025-03-01T00:00:00+00:00,true,N/A,N/A,N/A,"
           "true,false,N/A,N/A,N/A,N/A,false" TAIL
           "fay,arn:aws:iam::111111111111:user/fay,2020-01-01T00:00:00+00:00,false,N/A,N/A,N/A,"
           "false,false,N/A,N/A,N/A,N/A,false" TAIL;

static const char s_vmfa[] =
    "<ListVirtualMFADevicesResponse" NS "><ListVirtualMFADevicesResult><VirtualMFADevices>"
    "<member><SerialNumber>arn:aws:iam::111111111111:mfa/team/ann</SerialNumber>"
    "<User><UserName>ann</UserName><Arn>arn:aws:iam::111111111111:user/ann</Arn></User></member>"
    "<member><SerialNumber>arn:aws:iam::111111111111:mfa/root-account-mfa-device</SerialNumber>"
    "<User><UserId>111111111111</UserId><Arn>arn:aws:iam::111111111111:root</Arn></User></member>"
    "<member><SerialNumber>arn:aws:iam::111111111111:mfa/spare</SerialNumber></member>"
    "</VirtualMFADevices><IsTruncated>false</IsTruncated></ListVirtualMFADevicesResult>"
    "</ListVirtualMFADevicesResponse>";

static const struct user_task *
task_of(const struct user_tasks *ut, const char *user)
{
    for (size_t i = 0; i < ut->n; i++)
        if (strcmp(ut->tasks[i].user, user) == 0)
            return &ut->tasks[i];
    return NULL;
}

static void
prepare_job(struct job *j, long mfa_in_use, struct ia_csv_table *t, struct cred_cols *cols)
{
    struct ia_err err;
    memset(j, 0, sizeof(*j));
    j->account_id = ia_xstrdup("111111111111");
    j->mfa_in_use = mfa_in_use;
    ia_doclist_add(&j->gaad, xml(s_gaad), NULL);
    ia_doclist_add(&j->vmfa, xml(s_vmfa), NULL);
    ia_buf_addstr(&j->cred_csv, s_report);
    snprintf(j->cred_generated, sizeof(j->cred_generated), "2026-11-30T12:00:00Z");
    assert_int_equal(ia_csv_parse(j->cred_csv.buf, j->cred_csv.len, t, &err), IA_OK);
    assert_int_equal(ia_cred_header(t, cols, &err), IA_OK);
}

static void
free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static void
test_user_tasks(void **state)
{
    (void)state;
    struct job j;
    struct ia_csv_table t;
    struct cred_cols cols;
    struct user_tasks ut;
    char **names;
    size_t n_names;

    /* MFADevicesInUse = 1 = ann's one virtual device: nothing hides behind the listing. */
    prepare_job(&j, 1, &t, &cols);
    memset(&ut, 0, sizeof(ut));
    assert_int_equal(ia_account_plan_user_tasks(&j, &t, &cols, &ut, &names, &n_names), IA_OK);
    const struct user_task *ann = task_of(&ut, "ann"), *ben = task_of(&ut, "ben");
    const struct user_task *cy = task_of(&ut, "cy"), *de = task_of(&ut, "d,e");
    const struct user_task *fay = task_of(&ut, "fay");
    assert_non_null(ann);
    assert_false(ann->mfa); /* listed virtual device */
    assert_true(ann->keys); /* the report shows a key */
    assert_false(ann->login);
    assert_non_null(ben);
    assert_true(ben->mfa); /* MFA in the report, no virtual device listed */
    assert_false(ben->keys);
    assert_true(cy && cy->login && cy->mfa && cy->keys);     /* absent from the report */
    assert_true(de && de->login && de->mfa && de->keys);     /* untrusted row */
    assert_true(fay && fay->login && fay->mfa && fay->keys); /* an older namesake's row */
    assert_int_equal(ut.n, 5);
    assert_int_equal(j.n_direct, 3);
    assert_true(ia_job_is_direct(&j, "cy") && ia_job_is_direct(&j, "d,e") &&
                ia_job_is_direct(&j, "fay") && !ia_job_is_direct(&j, "ann"));
    assert_int_equal(j.n_warnings, 1);
    assert_string_equal(j.warnings[0].kind, "credential-report-row");
    assert_string_equal(j.warnings[0].subject, "d,e");
    free(ut.tasks);
    free_names(names, n_names);
    ia_csv_table_release(&t);
    ia_job_release(&j);

    /* MFADevicesInUse = 3 > 1 virtual: hardware or FIDO somewhere: ask every MFA user. */
    prepare_job(&j, 3, &t, &cols);
    memset(&ut, 0, sizeof(ut));
    assert_int_equal(ia_account_plan_user_tasks(&j, &t, &cols, &ut, &names, &n_names), IA_OK);
    assert_true(task_of(&ut, "ann")->mfa);
    free(ut.tasks);
    free_names(names, n_names);
    ia_csv_table_release(&t);
    ia_job_release(&j);
}

static int64_t
count(struct ia_db *db, const char *sql)
{
    struct ia_db_stmt *st;
    struct ia_err err;
    assert_int_equal(ia_db_prepare(db, sql, &st, &err), IA_OK);
    assert_int_equal(ia_db_step(st, &err), 1);
    int64_t v = ia_db_col_int(st, 0);
    ia_db_finalize(st);
    return v;
}

static char *
text(struct ia_db *db, const char *sql)
{
    struct ia_db_stmt *st;
    struct ia_err err;
    assert_int_equal(ia_db_prepare(db, sql, &st, &err), IA_OK);
    assert_int_equal(ia_db_step(st, &err), 1);
    const char *v = ia_db_col_text(st, 0);
    char *out = v ? ia_xstrdup(v) : NULL;
    ia_db_finalize(st);
    return out;
}

static void
assert_text(struct ia_db *db, const char *sql, const char *want)
{
    char *got = text(db, sql);
    if (!want)
        assert_null(got);
    else
        assert_string_equal(got, want);
    free(got);
}

static void
test_writer(void **state)
{
    (void)state;
    struct ia_db *db;
    struct ia_err err;
    struct job j;
    struct ia_csv_table t;
    struct cred_cols cols;
    struct user_tasks ut;
    char **names, path[128];
    size_t n_names;

    snprintf(path, sizeof(path), "%s/w.db", s_dir);
    assert_int_equal(ia_db_open(path, IA_DB_READWRITE, &db, &err), IA_OK);
    assert_int_equal(ia_db_exec(db,
                                "INSERT INTO runs (id, started_at, status, tool_version) "
                                "VALUES (1, '2026-12-01T00:00:00Z', 'running', 't'); "
                                "INSERT INTO accounts (run_id, account_id, name, status) "
                                "VALUES (1, '111111111111', 'base', 'pending')",
                                &err),
                     IA_OK);
    prepare_job(&j, 1, &t, &cols);
    memset(&ut, 0, sizeof(ut));
    assert_int_equal(ia_account_plan_user_tasks(&j, &t, &cols, &ut, &names, &n_names), IA_OK);
    free(ut.tasks);
    free_names(names, n_names);
    ia_csv_table_release(&t);
    /* What the per-user calls answered for the users read directly. */
    ia_doclist_add(&j.login, NULL, "cy"); /* no password */
    ia_doclist_add(&j.login,
                   xml("<GetLoginProfileResponse" NS "><GetLoginProfileResult><LoginProfile>"
                       "<UserName>d,e</UserName></LoginProfile></GetLoginProfileResult>"
                       "</GetLoginProfileResponse>"),
                   "d,e");
    ia_doclist_add(&j.login, NULL, "fay");
    ia_doclist_add(&j.user,
                   xml("<GetUserResponse" NS "><GetUserResult><User><UserName>d,e</UserName>"
                       "<PasswordLastUsed>2026-11-29T08:00:00Z</PasswordLastUsed></User>"
                       "</GetUserResult></GetUserResponse>"),
                   "d,e");
    ia_doclist_add(&j.user_mfa,
                   xml("<ListMFADevicesResponse" NS "><ListMFADevicesResult><MFADevices>"
                       "<member><UserName>d,e</UserName><SerialNumber>GAKT000000DE</SerialNumber>"
                       "</member><member><UserName>d,e</UserName><SerialNumber>"
                       "arn:aws:iam::111111111111:u2f/user/d,e/d,e-key-ABC</SerialNumber>"
                       "</member></MFADevices><IsTruncated>false</IsTruncated>"
                       "</ListMFADevicesResult></ListMFADevicesResponse>"),
                   "d,e");
    ia_doclist_add(&j.keys,
                   xml("<ListAccessKeysResponse" NS "><ListAccessKeysResult><AccessKeyMetadata>"
                       "<member><UserName>cy</UserName><AccessKeyId>AKIACY</AccessKeyId>"
                       "<Status>Active</Status><CreateDate>2026-12-01T01:00:00Z</CreateDate>"
                       "</member></AccessKeyMetadata><IsTruncated>false</IsTruncated>"
                       "</ListAccessKeysResult></ListAccessKeysResponse>"),
                   "cy");
    ia_doclist_add(&j.key_used,
                   xml("<GetAccessKeyLastUsedResponse" NS "><GetAccessKeyLastUsedResult>"
                       "<AccessKeyLastUsed><Region>N/A</Region><ServiceName>N/A</ServiceName>"
                       "</AccessKeyLastUsed><UserName>cy</UserName></GetAccessKeyLastUsedResult>"
                       "</GetAccessKeyLastUsedResponse>"),
                   "AKIACY");
    ia_doclist_add(&j.keys,
                   xml("<ListAccessKeysResponse" NS "><ListAccessKeysResult><AccessKeyMetadata>"
                       "<member><UserName>ann</UserName><AccessKeyId>AKIAANN</AccessKeyId>"
                       "<Status>Active</Status><CreateDate>2025-06-01T00:00:00Z</CreateDate>"
                       "</member></AccessKeyMetadata><IsTruncated>false</IsTruncated>"
                       "</ListAccessKeysResult></ListAccessKeysResponse>"),
                   "ann");

    assert_int_equal(ia_snapshot_write_account(db, 1, &j, &err), IA_OK);

    assert_text(db, "SELECT status FROM accounts", "ok");
    assert_text(db, "SELECT credential_report_at FROM accounts", "2026-11-30T12:00:00Z");
    assert_int_equal(count(db, "SELECT count(*) FROM users"), 5);
    /* From the report, and read directly. */
    assert_text(db,
                "SELECT credentials_source || password_enabled || mfa_active FROM users "
                "WHERE user_name = 'ann'",
                "report11");
    assert_text(db,
                "SELECT credentials_source || password_enabled || mfa_active FROM users "
                "WHERE user_name = 'cy'",
                "direct00");
    assert_text(db,
                "SELECT credentials_source || password_enabled || mfa_active || "
                "password_last_used FROM users WHERE user_name = 'd,e'",
                "direct112026-11-29T08:00:00Z");
    /* fay's row is an older namesake's (password true there): not used. */
    assert_text(db,
                "SELECT credentials_source || password_enabled FROM users "
                "WHERE user_name = 'fay'",
                "direct0");
    /* Devices: root's is root's, path dropped, kinds. */
    assert_text(db,
                "SELECT user_name FROM mfa_devices WHERE device_name = "
                "'root-account-mfa-device'",
                "<root_account>");
    assert_text(db, "SELECT user_name FROM mfa_devices WHERE device_name = 'spare'", NULL);
    assert_text(db, "SELECT device_name FROM mfa_devices WHERE user_name = 'ann'", "ann");
    assert_text(db,
                "SELECT group_concat(kind || ':' || device_name, ' ') FROM (SELECT * FROM "
                "mfa_devices WHERE user_name = 'd,e' ORDER BY kind)",
                "fido:d,e-key-ABC hardware:GAKT000000DE");
    /* Keys: last use from the report's slot, or from GetAccessKeyLastUsed (N/A: none). */
    assert_text(db,
                "SELECT last_used_service || last_used_region FROM access_keys WHERE "
                "access_key_id = 'AKIAANN'",
                "s3eu-west-2");
    assert_text(db,
                "SELECT coalesce(last_used_at, 'none') || coalesce(last_used_service, "
                "'none') FROM access_keys WHERE access_key_id = 'AKIACY'",
                "nonenone");
    /* The untrusted row is not in credential_report; the warning is. */
    assert_int_equal(count(db, "SELECT count(*) FROM credential_report"), 4);
    assert_text(db, "SELECT subject FROM run_warnings", "d,e");
    /* The trust policy, URL-decoded, as rows. */
    assert_text(db, "SELECT principal FROM trusts WHERE role_name = 'Admin'",
                "arn:aws:iam::111111111111:user/ann");
    ia_job_release(&j);

    /* The exported trust-row writer is the collector's own. */
    char *terr = NULL;
    assert_int_equal(ia_snapshot_write_trust_rows(
                         db, 1, "111111111111", "Other", "arn:aws:iam::111111111111:role/Other",
                         "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\","
                         "\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"}}",
                         &terr, &err),
                     IA_OK);
    assert_null(terr);
    assert_text(db, "SELECT principal_type FROM trusts WHERE role_name = 'Other'", "wildcard");
    assert_int_equal(ia_snapshot_write_trust_rows(db, 1, "111111111111", "Bad",
                                                  "arn:aws:iam::111111111111:role/Bad", "{nope",
                                                  &terr, &err),
                     IA_OK);
    assert_non_null(terr);
    free(terr);
    ia_db_close(db);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_user_tasks),
        cmocka_unit_test(test_writer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
