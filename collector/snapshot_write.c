/*
 * Writing one account's answers into the run: GAAD pages (users, groups, roles, trust rows,
 * policies), ListRoles details, MFA devices, the credential report and what was read per
 * user, the password policy and the run warnings, all in one transaction with the account's
 * status, so an account is in the database whole or not at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector/collect_int.h"
#include "collector/iam_api.h"
#include "collector/snapshot_write.h"
#include "core/clock.h"
#include "core/mem.h"
#include "core/policy.h"

/* ---- time and text helpers ---- */

/* AWS dates to our one form, "2026-11-27T02:00:01Z"; NULL for N/A and friends. */
static char *
norm_time(const char *s)
{
    time_t t;
    char iso[IA_TIME_ISO_LEN];
    if (!s || !*s || ia_time_parse_iso(s, &t) != 0)
        return NULL;
    ia_time_format_iso(t, iso);
    return ia_xstrdup(iso);
}

static void
bind_time(struct ia_db_stmt *st, const char *param, const char *s)
{
    char *t = norm_time(s);
    ia_db_bind_text(st, param, t);
    free(t);
}

/* Bind the text at path under n (NULL when absent). */
static void
bind_path(struct ia_db_stmt *st, const char *param, const struct ia_xml_node *n, const char *path)
{
    char *t = ia_xml_path_text(n, path);
    ia_db_bind_text(st, param, t);
    free(t);
}

static void
bind_path_time(struct ia_db_stmt *st, const char *param, const struct ia_xml_node *n,
               const char *path)
{
    char *t = ia_xml_path_text(n, path);
    bind_time(st, param, t);
    free(t);
}

/* Tags as a JSON object {"Key": "Value"}, or NULL when there are none. */
static char *
tags_json(const struct ia_xml_node *n)
{
    struct ia_buf b = IA_BUF_INIT;
    const struct ia_xml_node *tags = ia_xml_child(n, "Tags");
    int first = 1;
    for (const struct ia_xml_node *m = ia_xml_child(tags, "member"); m;
         m = ia_xml_next(m, "member")) {
        char *k = ia_xml_path_text(m, "Key"), *v = ia_xml_path_text(m, "Value");
        ia_buf_addstr(&b, first ? "{" : ",");
        first = 0;
        for (int i = 0; i < 2; i++) {
            const char *s = i ? (v ? v : "") : (k ? k : "");
            ia_buf_addch(&b, '"');
            for (const char *p = s; *p; p++) {
                unsigned char ch = (unsigned char)*p;
                if (ch == '"' || ch == '\\')
                    ia_buf_addf(&b, "\\%c", ch);
                else if (ch < 0x20)
                    ia_buf_addf(&b, "\\u%04x", ch);
                else
                    ia_buf_addch(&b, (char)ch);
            }
            ia_buf_addstr(&b, i ? "\"" : "\":");
        }
        free(k);
        free(v);
    }
    if (first)
        return NULL;
    ia_buf_addch(&b, '}');
    return ia_buf_detach(&b, NULL);
}

/* ---- writing one account ---- */

struct writer {
    struct ia_db *db;
    int64_t run_id;
    const char *account;
};

static struct ia_db_stmt *
stmt(struct writer *w, const char *name, struct ia_err *err)
{
    struct ia_db_stmt *st = NULL;
    if (ia_db_prepare(w->db, name, &st, err) != IA_OK)
        return NULL;
    ia_db_bind_int(st, ":run_id", w->run_id);
    if (strcmp(name, "managed_policy_insert") != 0 && strcmp(name, "principal_id_upsert") != 0)
        ia_db_bind_text(st, ":account_id", w->account);
    return st;
}

static enum ia_code
write_policies_of(struct writer *w, const struct ia_xml_node *m, const char *kind, const char *name,
                  const char *inline_list, struct ia_err *err)
{
    struct ia_db_stmt *st = stmt(w, "principal_policy_insert", err);
    if (!st)
        return IA_ERR_DB;
    for (const struct ia_xml_node *p = ia_xml_child(ia_xml_child(m, inline_list), "member"); p;
         p = ia_xml_next(p, "member")) {
        char *raw = ia_xml_path_text(p, "PolicyDocument"), *doc = NULL;
        size_t len;
        struct ia_err pe;
        if (raw && ia_policy_decode(raw, strlen(raw), &doc, &len, &pe) != IA_OK)
            doc = ia_xstrdup(raw); /* keep what AWS sent; the analyser reports it unreadable */
        ia_db_bind_int(st, ":run_id", w->run_id);
        ia_db_bind_text(st, ":account_id", w->account);
        ia_db_bind_text(st, ":principal_kind", kind);
        ia_db_bind_text(st, ":principal_name", name);
        ia_db_bind_text(st, ":kind", "inline");
        bind_path(st, ":policy_name", p, "PolicyName");
        ia_db_bind_null(st, ":policy_arn");
        ia_db_bind_text(st, ":document", doc);
        free(raw);
        free(doc);
        if (ia_db_run(st, err) != IA_OK)
            return IA_ERR_DB;
    }
    for (const struct ia_xml_node *p =
             ia_xml_child(ia_xml_child(m, "AttachedManagedPolicies"), "member");
         p; p = ia_xml_next(p, "member")) {
        ia_db_bind_int(st, ":run_id", w->run_id);
        ia_db_bind_text(st, ":account_id", w->account);
        ia_db_bind_text(st, ":principal_kind", kind);
        ia_db_bind_text(st, ":principal_name", name);
        ia_db_bind_text(st, ":kind", "attached");
        bind_path(st, ":policy_name", p, "PolicyName");
        bind_path(st, ":policy_arn", p, "PolicyArn");
        ia_db_bind_null(st, ":document");
        if (ia_db_run(st, err) != IA_OK)
            return IA_ERR_DB;
    }
    return IA_OK;
}

static enum ia_code
remember_id(struct writer *w, const char *kind, const char *id, const char *name, const char *arn,
            struct ia_err *err)
{
    struct ia_db_stmt *st = stmt(w, "principal_id_upsert", err);
    if (!st)
        return IA_ERR_DB;
    ia_db_bind_text(st, ":unique_id", id);
    ia_db_bind_text(st, ":kind", kind);
    ia_db_bind_text(st, ":account_id", w->account);
    ia_db_bind_text(st, ":name", name);
    ia_db_bind_text(st, ":arn", arn);
    return ia_db_run(st, err);
}

static enum ia_code
write_trusts(struct writer *w, const char *role, const char *role_arn, const char *doc,
             char **trust_error, struct ia_err *err)
{
    struct ia_trust_rows rows;
    struct ia_err pe;
    ia_err_clear(&pe);
    if (ia_policy_trust_rows(doc, strlen(doc), &rows, &pe) != IA_OK) {
        *trust_error = ia_xstrdup(pe.msg);
        return IA_OK;
    }
    struct ia_db_stmt *st = stmt(w, "trust_insert", err);
    if (!st)
        return IA_ERR_DB;
    size_t prev_stmt = (size_t)-1;
    int64_t pidx = 0;
    for (size_t i = 0; i < rows.n_rows; i++) {
        const struct ia_trust_row *r = &rows.rows[i];
        pidx = r->statement_index == prev_stmt ? pidx + 1 : 0;
        prev_stmt = r->statement_index;
        ia_db_bind_int(st, ":run_id", w->run_id);
        ia_db_bind_text(st, ":account_id", w->account);
        ia_db_bind_text(st, ":role_name", role);
        ia_db_bind_text(st, ":role_arn", role_arn);
        ia_db_bind_int(st, ":statement_index", (int64_t)r->statement_index);
        ia_db_bind_int(st, ":principal_index", pidx);
        ia_db_bind_text(st, ":sid", r->sid);
        ia_db_bind_text(st, ":effect", ia_policy_effect_name(r->effect));
        ia_db_bind_int(st, ":not_principal", r->not_principal);
        ia_db_bind_text(st, ":principal_kind", r->principal_kind);
        ia_db_bind_text(st, ":principal", r->principal);
        ia_db_bind_text(st, ":principal_account", r->principal_account);
        ia_db_bind_text(st, ":principal_type", ia_policy_principal_type_name(r->principal_type));
        ia_db_bind_text(st, ":actions", r->actions);
        ia_db_bind_int(st, ":not_action", r->not_action);
        ia_db_bind_text(st, ":conditions", r->conditions);
        if (ia_db_run(st, err) != IA_OK) {
            ia_policy_trust_rows_release(&rows);
            return IA_ERR_DB;
        }
    }
    if (rows.n_problems) {
        struct ia_buf b = IA_BUF_INIT;
        for (size_t i = 0; i < rows.n_problems; i++)
            ia_buf_addf(&b, "%s%s", i ? "; " : "", rows.problems[i].message);
        *trust_error = ia_buf_detach(&b, NULL);
    }
    ia_policy_trust_rows_release(&rows);
    return IA_OK;
}

static enum ia_code
write_gaad_page(struct writer *w, const struct ia_xml_doc *page, struct ia_err *err)
{
    const struct ia_xml_node *r = ia_iam_result(page, "GetAccountAuthorizationDetails");
    char name[512], id[256], arn[2048];

    struct ia_db_stmt *us = stmt(w, "user_insert", err);

    if (!us)

        return IA_ERR_DB;
    for (const struct ia_xml_node *m = ia_xml_child(ia_xml_child(r, "UserDetailList"), "member"); m;
         m = ia_xml_next(m, "member")) {
        ia_xml_path_copy(m, "UserName", name, sizeof(name));
        ia_xml_path_copy(m, "UserId", id, sizeof(id));
        ia_xml_path_copy(m, "Arn", arn, sizeof(arn));
        char *tags = tags_json(m);
        ia_db_bind_int(us, ":run_id", w->run_id);
        ia_db_bind_text(us, ":account_id", w->account);
        ia_db_bind_text(us, ":user_name", name);
        ia_db_bind_text(us, ":user_id", id);
        ia_db_bind_text(us, ":arn", arn);
        bind_path(us, ":path", m, "Path");
        bind_path_time(us, ":created_at", m, "CreateDate");
        bind_path(us, ":permissions_boundary", m, "PermissionsBoundary/PermissionsBoundaryArn");
        ia_db_bind_text(us, ":tags", tags);
        free(tags);
        if (ia_db_run(us, err) != IA_OK || remember_id(w, "user", id, name, arn, err) != IA_OK)
            return IA_ERR_DB;
        struct ia_db_stmt *gm = stmt(w, "group_member_insert", err);
        if (!gm)
            return IA_ERR_DB;
        for (const struct ia_xml_node *g = ia_xml_child(ia_xml_child(m, "GroupList"), "member"); g;
             g = ia_xml_next(g, "member")) {
            char *gname = ia_xml_text(g);
            ia_db_bind_int(gm, ":run_id", w->run_id);
            ia_db_bind_text(gm, ":account_id", w->account);
            ia_db_bind_text(gm, ":group_name", gname);
            ia_db_bind_text(gm, ":user_name", name);
            free(gname);
            if (ia_db_run(gm, err) != IA_OK)
                return IA_ERR_DB;
        }
        if (write_policies_of(w, m, "user", name, "UserPolicyList", err) != IA_OK)
            return IA_ERR_DB;
    }

    struct ia_db_stmt *gs = stmt(w, "group_insert", err);

    if (!gs)

        return IA_ERR_DB;
    for (const struct ia_xml_node *m = ia_xml_child(ia_xml_child(r, "GroupDetailList"), "member");
         m; m = ia_xml_next(m, "member")) {
        ia_xml_path_copy(m, "GroupName", name, sizeof(name));
        ia_db_bind_int(gs, ":run_id", w->run_id);
        ia_db_bind_text(gs, ":account_id", w->account);
        ia_db_bind_text(gs, ":group_name", name);
        bind_path(gs, ":group_id", m, "GroupId");
        bind_path(gs, ":arn", m, "Arn");
        bind_path(gs, ":path", m, "Path");
        bind_path_time(gs, ":created_at", m, "CreateDate");
        if (ia_db_run(gs, err) != IA_OK)
            return IA_ERR_DB;
        if (write_policies_of(w, m, "group", name, "GroupPolicyList", err) != IA_OK)
            return IA_ERR_DB;
    }

    struct ia_db_stmt *rs = stmt(w, "role_insert", err);

    if (!rs)

        return IA_ERR_DB;
    for (const struct ia_xml_node *m = ia_xml_child(ia_xml_child(r, "RoleDetailList"), "member"); m;
         m = ia_xml_next(m, "member")) {
        ia_xml_path_copy(m, "RoleName", name, sizeof(name));
        ia_xml_path_copy(m, "RoleId", id, sizeof(id));
        ia_xml_path_copy(m, "Arn", arn, sizeof(arn));
        char *raw = ia_xml_path_text(m, "AssumeRolePolicyDocument"), *doc = NULL;
        char *trust_error = NULL, *tags = tags_json(m);
        size_t len;
        struct ia_err pe;
        if (!raw)
            trust_error = ia_xstrdup("the role has no trust policy document");
        else if (ia_policy_decode(raw, strlen(raw), &doc, &len, &pe) != IA_OK)
            trust_error = ia_xstrdup(pe.msg);
        else if (write_trusts(w, name, arn, doc, &trust_error, err) != IA_OK) {
            free(raw);
            free(doc);
            free(tags);
            return IA_ERR_DB;
        }
        ia_db_bind_int(rs, ":run_id", w->run_id);
        ia_db_bind_text(rs, ":account_id", w->account);
        ia_db_bind_text(rs, ":role_name", name);
        ia_db_bind_text(rs, ":role_id", id);
        ia_db_bind_text(rs, ":arn", arn);
        bind_path(rs, ":path", m, "Path");
        bind_path_time(rs, ":created_at", m, "CreateDate");
        bind_path_time(rs, ":last_used_at", m, "RoleLastUsed/LastUsedDate");
        bind_path(rs, ":last_used_region", m, "RoleLastUsed/Region");
        bind_path(rs, ":permissions_boundary", m, "PermissionsBoundary/PermissionsBoundaryArn");
        ia_db_bind_text(rs, ":tags", tags);
        ia_db_bind_text(rs, ":trust_policy", doc ? doc : raw);
        ia_db_bind_text(rs, ":trust_error", trust_error);
        enum ia_code wr = ia_db_run(rs, err);
        free(raw);
        free(doc);
        free(trust_error);
        free(tags);
        if (wr != IA_OK || remember_id(w, "role", id, name, arn, err) != IA_OK)
            return IA_ERR_DB;
        if (write_policies_of(w, m, "role", name, "RolePolicyList", err) != IA_OK)
            return IA_ERR_DB;
    }

    struct ia_db_stmt *ps = stmt(w, "policy_insert", err);

    if (!ps)

        return IA_ERR_DB;
    for (const struct ia_xml_node *m = ia_xml_child(ia_xml_child(r, "Policies"), "member"); m;
         m = ia_xml_next(m, "member")) {
        char *doc = NULL, def[64], parn[2048], pname[512];
        ia_xml_path_copy(m, "Arn", parn, sizeof(parn));
        /* AWS-managed policies live in managed_policies, fetched once per run (our filter
         * keeps them out of GAAD; an emulator that ignores the filter must not add them). */
        if (strstr(parn, ":iam::aws:policy/"))
            continue;
        ia_xml_path_copy(m, "DefaultVersionId", def, sizeof(def));
        for (const struct ia_xml_node *v =
                 ia_xml_child(ia_xml_child(m, "PolicyVersionList"), "member");
             v; v = ia_xml_next(v, "member")) {
            char isdef[8], vid[64];
            ia_xml_path_copy(v, "IsDefaultVersion", isdef, sizeof(isdef));
            ia_xml_path_copy(v, "VersionId", vid, sizeof(vid));
            if (strcmp(isdef, "true") == 0 || (def[0] && strcmp(vid, def) == 0)) {
                char *raw = ia_xml_path_text(v, "Document");
                size_t len;
                struct ia_err pe;
                if (raw && ia_policy_decode(raw, strlen(raw), &doc, &len, &pe) != IA_OK)
                    doc = ia_xstrdup(raw);
                free(raw);
                break;
            }
        }
        char *cnt = ia_xml_path_text(m, "AttachmentCount");
        ia_db_bind_int(ps, ":run_id", w->run_id);
        ia_db_bind_text(ps, ":account_id", w->account);
        ia_xml_path_copy(m, "PolicyName", pname, sizeof(pname));
        /* moto omits PolicyName here; the ARN's last part is the name in AWS too. */
        if (!pname[0] && strrchr(parn, '/'))
            snprintf(pname, sizeof(pname), "%s", strrchr(parn, '/') + 1);
        ia_db_bind_text(ps, ":arn", parn);
        ia_db_bind_text(ps, ":policy_name", pname);
        bind_path(ps, ":policy_id", m, "PolicyId");
        bind_path(ps, ":path", m, "Path");
        ia_db_bind_text(ps, ":default_version_id", def[0] ? def : NULL);
        if (cnt && *cnt)
            ia_db_bind_int(ps, ":attachment_count", strtoll(cnt, NULL, 10));
        else
            ia_db_bind_null(ps, ":attachment_count");
        bind_path_time(ps, ":created_at", m, "CreateDate");
        bind_path_time(ps, ":updated_at", m, "UpdateDate");
        ia_db_bind_text(ps, ":document", doc);
        free(cnt);
        free(doc);
        if (ia_db_run(ps, err) != IA_OK)
            return IA_ERR_DB;
    }
    return IA_OK;
}

static enum ia_code
write_roles_details(struct writer *w, const struct ia_xml_doc *page, struct ia_err *err)
{
    struct ia_db_stmt *st = stmt(w, "role_set_details", err);
    if (!st)
        return IA_ERR_DB;
    const struct ia_xml_node *r = ia_iam_result(page, "ListRoles");
    for (const struct ia_xml_node *m = ia_xml_child(ia_xml_child(r, "Roles"), "member"); m;
         m = ia_xml_next(m, "member")) {
        char *msd = ia_xml_path_text(m, "MaxSessionDuration");
        ia_db_bind_int(st, ":run_id", w->run_id);
        ia_db_bind_text(st, ":account_id", w->account);
        bind_path(st, ":role_name", m, "RoleName");
        if (msd && *msd)
            ia_db_bind_int(st, ":max_session_duration", strtoll(msd, NULL, 10));
        else
            ia_db_bind_null(st, ":max_session_duration");
        bind_path(st, ":description", m, "Description");
        free(msd);
        if (ia_db_run(st, err) != IA_OK)
            return IA_ERR_DB;
    }
    return IA_OK;
}

/*
 * The device name is the serial's last path segment: a virtual device created with a path
 * has the serial arn:...:mfa/PATH/NAME and the name NAME; a FIDO key's serial is
 * arn:...:u2f/user/USER/NAME-ID. A hardware token's serial (GAKT...) is its name.
 */
static const char *
device_name(const char *serial, const char **kind)
{
    const char *p;
    if ((p = strstr(serial, ":mfa/"))) {
        *kind = "virtual";
        const char *slash = strrchr(p, '/');
        return slash[1] ? slash + 1 : p + 5;
    }
    if ((p = strstr(serial, ":u2f/"))) {
        *kind = "fido";
        const char *slash = strrchr(p, '/');
        return slash ? slash + 1 : p + 5;
    }
    *kind = strncmp(serial, "arn:", 4) == 0 ? "unknown" : "hardware";
    return serial;
}

static enum ia_code
write_mfa(struct writer *w, const struct job *j, struct ia_err *err)
{
    struct ia_db_stmt *st = stmt(w, "mfa_insert", err);
    if (!st)
        return IA_ERR_DB;
    for (size_t d = 0; d < j->vmfa.n; d++) {
        const struct ia_xml_node *r = ia_iam_result(j->vmfa.docs[d], "ListVirtualMFADevices");
        for (const struct ia_xml_node *m =
                 ia_xml_child(ia_xml_child(r, "VirtualMFADevices"), "member");
             m; m = ia_xml_next(m, "member")) {
            char serial[1024], user[512], uarn[2048];
            const char *kind;
            ia_xml_path_copy(m, "SerialNumber", serial, sizeof(serial));
            ia_xml_path_copy(m, "User/UserName", user, sizeof(user));
            ia_xml_path_copy(m, "User/Arn", uarn, sizeof(uarn));
            /* Root's device names no UserName, only arn:...:root: it is assigned, to the
             * user the credential report calls <root_account>. */
            size_t ul = strlen(uarn);
            if (!user[0] && ul > 5 && strcmp(uarn + ul - 5, ":root") == 0)
                snprintf(user, sizeof(user), "%s", "<root_account>");
            const char *dname = device_name(serial, &kind);
            ia_db_bind_int(st, ":run_id", w->run_id);
            ia_db_bind_text(st, ":account_id", w->account);
            ia_db_bind_text(st, ":user_name", user[0] ? user : NULL);
            ia_db_bind_text(st, ":serial_number", serial);
            ia_db_bind_text(st, ":device_name", dname);
            ia_db_bind_text(st, ":kind", "virtual");
            bind_path_time(st, ":enabled_at", m, "EnableDate");
            if (ia_db_run(st, err) != IA_OK)
                return IA_ERR_DB;
        }
    }
    for (size_t d = 0; d < j->user_mfa.n; d++) {
        const struct ia_xml_node *r = ia_iam_result(j->user_mfa.docs[d], "ListMFADevices");
        for (const struct ia_xml_node *m = ia_xml_child(ia_xml_child(r, "MFADevices"), "member"); m;
             m = ia_xml_next(m, "member")) {
            char serial[1024];
            const char *kind;
            ia_xml_path_copy(m, "SerialNumber", serial, sizeof(serial));
            const char *dname = device_name(serial, &kind);
            ia_db_bind_int(st, ":run_id", w->run_id);
            ia_db_bind_text(st, ":account_id", w->account);
            ia_db_bind_text(st, ":user_name", j->user_mfa.tags[d]);
            ia_db_bind_text(st, ":serial_number", serial);
            ia_db_bind_text(st, ":device_name", dname);
            ia_db_bind_text(st, ":kind", kind);
            bind_path_time(st, ":enabled_at", m, "EnableDate");
            if (ia_db_run(st, err) != IA_OK)
                return IA_ERR_DB;
        }
    }
    return IA_OK;
}

/* The AccessKeyLastUsed element GetAccessKeyLastUsed gave for key id, or NULL. */
static const struct ia_xml_node *
key_last_used_of(const struct job *j, const char *id)
{
    for (size_t d = 0; d < j->key_used.n; d++)
        if (j->key_used.tags[d] && strcmp(j->key_used.tags[d], id) == 0)
            return ia_xml_child(ia_iam_result(j->key_used.docs[d], "GetAccessKeyLastUsed"),
                                "AccessKeyLastUsed");
    return NULL;
}

/* Access keys from ListAccessKeys; last use from the credential report's matching slot
 * (or GetAccessKeyLastUsed for a user read directly). */
static enum ia_code
write_keys(struct writer *w, const struct job *j, const struct ia_csv_table *t,
           const struct cred_cols *cols, struct ia_err *err)
{
    struct ia_db_stmt *st = stmt(w, "access_key_insert", err);
    if (!st)
        return IA_ERR_DB;
    for (size_t d = 0; d < j->keys.n; d++) {
        const char *user = j->keys.tags[d];
        const struct ia_csv_row *row = NULL;
        /* A user read directly has no trustworthy row (or one about an older namesake). */
        for (size_t i = 1; i < t->n_rows && !row && !ia_job_is_direct(j, user); i++) {
            const char *u = ia_cred_field(&t->rows[i], cols, C_USER);
            if (u && t->rows[i].n == t->rows[0].n && strcmp(u, user) == 0)
                row = &t->rows[i];
        }
        const struct ia_xml_node *r = ia_iam_result(j->keys.docs[d], "ListAccessKeys");
        for (const struct ia_xml_node *m =
                 ia_xml_child(ia_xml_child(r, "AccessKeyMetadata"), "member");
             m; m = ia_xml_next(m, "member")) {
            char created[64];
            ia_xml_path_copy(m, "CreateDate", created, sizeof(created));
            char *ncreated = norm_time(created);
            const char *used = NULL, *svc = NULL, *region = NULL;
            char kid[128];
            ia_xml_path_copy(m, "AccessKeyId", kid, sizeof(kid));
            struct ia_xml_node const *klu =
                ia_job_is_direct(j, user) ? key_last_used_of(j, kid) : NULL;
            char *kused = ia_xml_path_text(klu, "LastUsedDate");
            char *ksvc = ia_xml_path_text(klu, "ServiceName");
            char *kregion = ia_xml_path_text(klu, "Region");
            if (klu) {
                used = kused;
                svc = ksvc;
                region = kregion;
            }
            /* The report's slot 1/2 is the key whose rotation time is its creation time. */
            for (int slot = 0; row && slot < 2 && ncreated; slot++) {
                char *rot = norm_time(ia_cred_field(row, cols, slot ? C_K2_ROTATED : C_K1_ROTATED));
                if (rot && strcmp(rot, ncreated) == 0) {
                    used = ia_cred_field(row, cols, slot ? C_K2_USED : C_K1_USED);
                    svc = ia_cred_field(row, cols, slot ? C_K2_SERVICE : C_K1_SERVICE);
                    region = ia_cred_field(row, cols, slot ? C_K2_REGION : C_K1_REGION);
                }
                free(rot);
            }
            ia_db_bind_int(st, ":run_id", w->run_id);
            ia_db_bind_text(st, ":account_id", w->account);
            ia_db_bind_text(st, ":user_name", user);
            bind_path(st, ":access_key_id", m, "AccessKeyId");
            bind_path(st, ":status", m, "Status");
            ia_db_bind_text(st, ":created_at", ncreated);
            bind_time(st, ":last_used_at", used);
            /* "N/A" and moto's "not_supported" are not a service or region. */
            ia_db_bind_text(st, ":last_used_service",
                            svc && strcmp(svc, "N/A") && strcmp(svc, "not_supported") ? svc : NULL);
            ia_db_bind_text(
                st, ":last_used_region",
                region && strcmp(region, "N/A") && strcmp(region, "not_supported") ? region : NULL);
            free(ncreated);
            free(kused);
            free(ksvc);
            free(kregion);
            if (ia_db_run(st, err) != IA_OK)
                return IA_ERR_DB;
        }
    }
    return IA_OK;
}

static enum ia_code
write_credential_report(struct writer *w, const struct job *j, struct ia_err *err)
{
    struct ia_csv_table t;
    struct cred_cols cols;
    enum ia_code rc;
    if ((rc = ia_csv_parse(j->cred_csv.buf, j->cred_csv.len, &t, err)) != IA_OK)
        return rc;
    if ((rc = ia_cred_header(&t, &cols, err)) != IA_OK)
        goto out;
    rc = IA_ERR_DB;
    struct ia_db_stmt *cr = stmt(w, "credential_report_insert", err);
    struct ia_db_stmt *us = cr ? stmt(w, "user_set_credentials", err) : NULL;
    if (!us)
        goto out;
    for (size_t i = 1; i < t.n_rows; i++) {
        const struct ia_csv_row *row = &t.rows[i];
        /* A row whose fields do not match the header is not trusted (run_warnings). */
        if (row->n != t.rows[0].n || !ia_cred_field(row, &cols, C_USER) ||
            !ia_cred_field(row, &cols, C_ARN))
            continue;
        ia_db_bind_int(cr, ":run_id", w->run_id);
        ia_db_bind_text(cr, ":account_id", w->account);
        ia_db_bind_text(cr, ":generated_at", j->cred_generated[0] ? j->cred_generated : NULL);
        for (int c = 0; c < 22; c++) {
            char param[64];
            snprintf(param, sizeof(param), ":%s", ia_cred_cols[c]);
            ia_db_bind_text(cr, param, ia_cred_field(row, &cols, c));
        }
        if (ia_db_run(cr, err) != IA_OK)
            goto out;
        if (ia_job_is_direct(j, ia_cred_field(row, &cols, C_USER)))
            continue;
        ia_db_bind_int(us, ":run_id", w->run_id);
        ia_db_bind_text(us, ":account_id", w->account);
        ia_db_bind_text(us, ":arn", ia_cred_field(row, &cols, C_ARN));
        ia_db_bind_bool(us, ":password_enabled",
                        ia_cred_true(ia_cred_field(row, &cols, C_PW_ENABLED)));
        bind_time(us, ":password_last_used", ia_cred_field(row, &cols, C_PW_USED));
        bind_time(us, ":password_last_changed", ia_cred_field(row, &cols, C_PW_CHANGED));
        ia_db_bind_bool(us, ":mfa_active", ia_cred_true(ia_cred_field(row, &cols, C_MFA)));
        if (ia_db_run(us, err) != IA_OK)
            goto out;
    }
    rc = write_keys(w, j, &t, &cols, err);
out:
    ia_csv_table_release(&t);
    return rc;
}

/* Whether ListMFADevices showed user any device. */
static int
has_listed_device(const struct job *j, const char *user)
{
    for (size_t d = 0; d < j->user_mfa.n; d++) {
        if (!j->user_mfa.tags[d] || strcmp(j->user_mfa.tags[d], user) != 0)
            continue;
        const struct ia_xml_node *r = ia_iam_result(j->user_mfa.docs[d], "ListMFADevices");
        if (ia_xml_child(ia_xml_child(r, "MFADevices"), "member"))
            return 1;
    }
    return 0;
}

/* What the credential report would have said of the users it could not speak for. */
static enum ia_code
write_direct(struct writer *w, const struct job *j, struct ia_err *err)
{
    struct ia_db_stmt *st = stmt(w, "user_set_direct", err);
    if (!st)
        return IA_ERR_DB;
    for (size_t i = 0; i < j->login.n; i++) {
        const char *user = j->login.tags[i];
        const struct ia_xml_node *lp =
            j->login.docs[i]
                ? ia_xml_child(ia_iam_result(j->login.docs[i], "GetLoginProfile"), "LoginProfile")
                : NULL;
        ia_db_bind_int(st, ":run_id", w->run_id);
        ia_db_bind_text(st, ":account_id", w->account);
        ia_db_bind_text(st, ":user_name", user);
        const struct ia_xml_node *u = NULL;
        for (size_t d = 0; d < j->user.n && !u; d++)
            if (j->user.tags[d] && strcmp(j->user.tags[d], user) == 0)
                u = ia_xml_child(ia_iam_result(j->user.docs[d], "GetUser"), "User");
        ia_db_bind_bool(st, ":password_enabled", lp != NULL);
        bind_path_time(st, ":password_last_used", u, "PasswordLastUsed");
        ia_db_bind_bool(st, ":mfa_active", has_listed_device(j, user));
        if (ia_db_run(st, err) != IA_OK)
            return IA_ERR_DB;
    }
    return IA_OK;
}

static enum ia_code
write_password_policy(struct writer *w, const struct job *j, struct ia_err *err)
{
    struct ia_db_stmt *st = stmt(w, "password_policy_insert", err);
    if (!st)
        return IA_ERR_DB;
    static const char *const ints[][2] = {
        { ":minimum_length", "MinimumPasswordLength" },
        { ":max_password_age", "MaxPasswordAge" },
        { ":password_reuse_prevention", "PasswordReusePrevention" },
    };
    static const char *const bools[][2] = {
        { ":require_symbols", "RequireSymbols" },
        { ":require_numbers", "RequireNumbers" },
        { ":require_uppercase", "RequireUppercaseCharacters" },
        { ":require_lowercase", "RequireLowercaseCharacters" },
        { ":allow_users_to_change", "AllowUsersToChangePassword" },
        { ":expire_passwords", "ExpirePasswords" },
        { ":hard_expiry", "HardExpiry" },
    };
    const struct ia_xml_node *p =
        j->password_policy
            ? ia_xml_child(ia_iam_result(j->password_policy, "GetAccountPasswordPolicy"),
                           "PasswordPolicy")
            : NULL;
    ia_db_bind_int(st, ":present", p ? 1 : 0);
    for (size_t i = 0; i < IA_ARRAY_LEN(ints); i++) {
        char *v = ia_xml_path_text(p, ints[i][1]);
        if (v && *v)
            ia_db_bind_int(st, ints[i][0], strtoll(v, NULL, 10));
        else
            ia_db_bind_null(st, ints[i][0]);
        free(v);
    }
    for (size_t i = 0; i < IA_ARRAY_LEN(bools); i++) {
        char *v = ia_xml_path_text(p, bools[i][1]);
        ia_db_bind_bool(st, bools[i][0], v ? strcmp(v, "true") == 0 : -1);
        free(v);
    }
    return ia_db_run(st, err);
}

static enum ia_code
write_warnings(struct writer *w, const struct job *j, struct ia_err *err)
{
    if (!j->n_warnings)
        return IA_OK;
    struct ia_db_stmt *st = stmt(w, "run_warning_insert", err);
    if (!st)
        return IA_ERR_DB;
    for (size_t i = 0; i < j->n_warnings; i++) {
        ia_db_bind_int(st, ":run_id", w->run_id);
        ia_db_bind_text(st, ":account_id", w->account);
        ia_db_bind_text(st, ":kind", j->warnings[i].kind);
        ia_db_bind_text(st, ":subject", j->warnings[i].subject);
        ia_db_bind_text(st, ":message", j->warnings[i].message);
        if (ia_db_run(st, err) != IA_OK)
            return IA_ERR_DB;
    }
    return IA_OK;
}

enum ia_code
ia_snapshot_write_account(struct ia_db *db, int64_t run_id, struct job *j, struct ia_err *err)
{
    struct writer w = { db, run_id, j->account_id };
    struct ia_db_stmt *st;
    enum ia_code r;
    char now[IA_TIME_ISO_LEN];

    if ((r = ia_db_begin(db, err)) != IA_OK)
        return r;
    for (size_t i = 0; i < j->gaad.n; i++)
        if ((r = write_gaad_page(&w, j->gaad.docs[i], err)) != IA_OK)
            goto fail;
    for (size_t i = 0; i < j->roles.n; i++)
        if ((r = write_roles_details(&w, j->roles.docs[i], err)) != IA_OK)
            goto fail;
    if ((r = write_mfa(&w, j, err)) != IA_OK ||
        (r = write_credential_report(&w, j, err)) != IA_OK ||
        (r = write_direct(&w, j, err)) != IA_OK ||
        (r = write_password_policy(&w, j, err)) != IA_OK ||
        (r = write_warnings(&w, j, err)) != IA_OK)
        goto fail;
    if (!(st = stmt(&w, "account_set_report_time", err))) {
        r = IA_ERR_DB;
        goto fail;
    }
    ia_db_bind_text(st, ":credential_report_at", j->cred_generated[0] ? j->cred_generated : NULL);
    if ((r = ia_db_run(st, err)) != IA_OK)
        goto fail;
    if (!(st = stmt(&w, "account_ok", err))) {
        r = IA_ERR_DB;
        goto fail;
    }
    ia_time_format_iso(ia_time_now(), now);
    ia_db_bind_text(st, ":alias", j->alias[0] ? j->alias : NULL);
    ia_db_bind_text(st, ":collected_at", now);
    ia_db_bind_int(st, ":api_calls", j->calls);
    ia_db_bind_int(st, ":retries", j->retries);
    ia_db_bind_int(st, ":throttles", j->throttles);
    if ((r = ia_db_run(st, err)) != IA_OK)
        goto fail;
    /* The account becomes visible, whole, only here. */
    if ((r = ia_db_commit(db, err)) != IA_OK)
        goto fail;
    return IA_OK;
fail:
    ia_db_rollback(db);
    return r;
}

enum ia_code
ia_snapshot_write_failure(struct ia_db *db, int64_t run_id, struct job *j, struct ia_err *err)
{
    struct writer w = { db, run_id, j->account_id };
    char now[IA_TIME_ISO_LEN];
    struct ia_db_stmt *st = stmt(&w, "account_failed", err);
    if (!st)
        return IA_ERR_DB;
    ia_time_format_iso(ia_time_now(), now);
    ia_db_bind_text(st, ":error_code",
                    j->err.aws_code[0] ? j->err.aws_code : ia_code_name(j->err.code));
    ia_db_bind_text(st, ":error_message", j->err.msg);
    ia_db_bind_text(st, ":collected_at", now);
    ia_db_bind_int(st, ":api_calls", j->calls);
    ia_db_bind_int(st, ":retries", j->retries);
    ia_db_bind_int(st, ":throttles", j->throttles);
    return ia_db_run(st, err);
}

enum ia_code
ia_snapshot_write_trust_rows(struct ia_db *db, int64_t run_id, const char *account,
                             const char *role, const char *role_arn, const char *doc,
                             char **trust_error, struct ia_err *err)
{
    struct writer w = { db, run_id, account };
    *trust_error = NULL;
    return write_trusts(&w, role, role_arn, doc, trust_error, err);
}
