#include "collector/iam_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/crypto.h"
#include "core/clock.h"
#include "core/mem.h"
#include "core/policy.h"

const struct ia_xml_node *
ia_iam_result(const struct ia_xml_doc *doc, const char *action)
{
    char name[96];
    snprintf(name, sizeof(name), "%sResult", action);
    return ia_xml_child(ia_xml_root(doc), name);
}

char *
ia_iam_next_marker(const struct ia_xml_doc *page, const char *action)
{
    const struct ia_xml_node *r = ia_iam_result(page, action);
    char trunc[8];
    /* moto omits IsTruncated on some actions: absent means the last page. */
    ia_xml_path_copy(r, "IsTruncated", trunc, sizeof(trunc));
    if (strcmp(trunc, "true") != 0)
        return NULL;
    char *m = ia_xml_path_text(r, "Marker");
    if (m && !*m) {
        free(m);
        return NULL;
    }
    return m;
}

enum ia_code
ia_iam_account_alias(struct ia_aws_client *c, char *out, size_t cap, struct ia_err *err)
{
    struct ia_xml_doc *doc = NULL;
    enum ia_code rc = ia_aws_query(c, IA_SVC_IAM, "ListAccountAliases", NULL, 0, &doc, err);
    if (rc != IA_OK)
        return rc;
    ia_xml_path_copy(ia_iam_result(doc, "ListAccountAliases"), "AccountAliases/member", out, cap);
    ia_xml_free(doc);
    return IA_OK;
}

enum ia_code
ia_iam_password_policy(struct ia_aws_client *c, struct ia_xml_doc **out, struct ia_err *err)
{
    struct ia_err e;
    ia_err_clear(&e);
    enum ia_code rc = ia_aws_query(c, IA_SVC_IAM, "GetAccountPasswordPolicy", NULL, 0, out, &e);
    if (rc == IA_ERR_AWS && strcmp(e.aws_code, "NoSuchEntity") == 0) {
        *out = NULL;
        return IA_OK;
    }
    if (rc != IA_OK && err)
        *err = e;
    return rc;
}

enum ia_code
ia_iam_gaad_page(struct ia_aws_client *c, const char *marker, struct ia_xml_doc **out,
                 struct ia_err *err)
{
    struct ia_aws_param p[] = {
        { "Filter.member.1", "User" },    { "Filter.member.2", "Role" },
        { "Filter.member.3", "Group" },   { "Filter.member.4", "LocalManagedPolicy" },
        { "MaxItems", IA_IAM_MAX_ITEMS }, { "Marker", marker },
    };
    return ia_aws_query(c, IA_SVC_IAM, "GetAccountAuthorizationDetails", p, IA_ARRAY_LEN(p), out,
                        err);
}

static enum ia_code
list_page(struct ia_aws_client *c, const char *action, const char *user, const char *marker,
          struct ia_xml_doc **out, struct ia_err *err)
{
    struct ia_aws_param p[] = {
        { "MaxItems", IA_IAM_MAX_ITEMS },
        { "Marker", marker },
        { "UserName", user },
    };
    return ia_aws_query(c, IA_SVC_IAM, action, p, IA_ARRAY_LEN(p), out, err);
}

enum ia_code
ia_iam_list_roles_page(struct ia_aws_client *c, const char *marker, struct ia_xml_doc **out,
                       struct ia_err *err)
{
    return list_page(c, "ListRoles", NULL, marker, out, err);
}

enum ia_code
ia_iam_list_virtual_mfa_page(struct ia_aws_client *c, const char *marker, struct ia_xml_doc **out,
                             struct ia_err *err)
{
    struct ia_aws_param p[] = {
        { "AssignmentStatus", "Any" },
        { "MaxItems", IA_IAM_MAX_ITEMS },
        { "Marker", marker },
    };
    return ia_aws_query(c, IA_SVC_IAM, "ListVirtualMFADevices", p, IA_ARRAY_LEN(p), out, err);
}

enum ia_code
ia_iam_list_mfa_devices_page(struct ia_aws_client *c, const char *user, const char *marker,
                             struct ia_xml_doc **out, struct ia_err *err)
{
    return list_page(c, "ListMFADevices", user, marker, out, err);
}

enum ia_code
ia_iam_list_access_keys_page(struct ia_aws_client *c, const char *user, const char *marker,
                             struct ia_xml_doc **out, struct ia_err *err)
{
    return list_page(c, "ListAccessKeys", user, marker, out, err);
}

enum ia_code
ia_iam_generate_credential_report(struct ia_aws_client *c, char *state, size_t cap,
                                  struct ia_err *err)
{
    struct ia_xml_doc *doc = NULL;
    enum ia_code rc = ia_aws_query(c, IA_SVC_IAM, "GenerateCredentialReport", NULL, 0, &doc, err);
    if (rc != IA_OK)
        return rc;
    ia_xml_path_copy(ia_iam_result(doc, "GenerateCredentialReport"), "State", state, cap);
    ia_xml_free(doc);
    return IA_OK;
}

enum ia_code
ia_iam_get_credential_report(struct ia_aws_client *c, struct ia_buf *csv, char *generated,
                             size_t cap, struct ia_err *err)
{
    struct ia_xml_doc *doc = NULL;
    enum ia_code rc = ia_aws_query(c, IA_SVC_IAM, "GetCredentialReport", NULL, 0, &doc, err);
    if (rc != IA_OK)
        return rc;
    const struct ia_xml_node *r = ia_iam_result(doc, "GetCredentialReport");
    char *content = ia_xml_path_text(r, "Content");
    char gen[64];
    time_t t;
    ia_xml_path_copy(r, "GeneratedTime", gen, sizeof(gen));
    if (ia_time_parse_iso(gen, &t) == 0) {
        char iso[IA_TIME_ISO_LEN];
        ia_time_format_iso(t, iso);
        snprintf(generated, cap, "%s", iso);
    } else {
        snprintf(generated, cap, "%s", "");
    }
    if (!content || ia_crypto_base64_decode(content, strlen(content), csv) != 0)
        rc = ia_err_set(err, IA_ERR_PARSE,
                        "%s GetCredentialReport: Content is missing or not base64", c->label);
    free(content);
    ia_xml_free(doc);
    return rc;
}

enum ia_code
ia_iam_policy_default_version(struct ia_aws_client *c, const char *arn, char *version, size_t cap,
                              struct ia_err *err)
{
    struct ia_xml_doc *doc = NULL;
    struct ia_aws_param p[] = { { "PolicyArn", arn } };
    enum ia_code rc = ia_aws_query(c, IA_SVC_IAM, "GetPolicy", p, 1, &doc, err);
    if (rc != IA_OK)
        return rc;
    ia_xml_path_copy(ia_iam_result(doc, "GetPolicy"), "Policy/DefaultVersionId", version, cap);
    ia_xml_free(doc);
    if (!version[0])
        return ia_err_set(err, IA_ERR_PARSE, "GetPolicy %s: no DefaultVersionId", arn);
    return IA_OK;
}

enum ia_code
ia_iam_policy_version_document(struct ia_aws_client *c, const char *arn, const char *version,
                               char **doc_out, struct ia_err *err)
{
    struct ia_xml_doc *doc = NULL;
    struct ia_aws_param p[] = { { "PolicyArn", arn }, { "VersionId", version } };
    enum ia_code rc = ia_aws_query(c, IA_SVC_IAM, "GetPolicyVersion", p, 2, &doc, err);
    if (rc != IA_OK)
        return rc;
    char *raw = ia_xml_path_text(ia_iam_result(doc, "GetPolicyVersion"), "PolicyVersion/Document");
    ia_xml_free(doc);
    if (!raw)
        return ia_err_set(err, IA_ERR_PARSE, "GetPolicyVersion %s: no Document", arn);
    size_t len;
    rc = ia_policy_decode(raw, strlen(raw), doc_out, &len, err);
    free(raw);
    return rc;
}

enum ia_code
ia_iam_mfa_devices_in_use(struct ia_aws_client *c, long *out, struct ia_err *err)
{
    struct ia_xml_doc *doc = NULL;
    enum ia_code rc = ia_aws_query(c, IA_SVC_IAM, "GetAccountSummary", NULL, 0, &doc, err);
    if (rc != IA_OK)
        return rc;
    *out = -1;
    const struct ia_xml_node *map =
        ia_xml_child(ia_iam_result(doc, "GetAccountSummary"), "SummaryMap");
    for (const struct ia_xml_node *e = ia_xml_child(map, "entry"); e; e = ia_xml_next(e, "entry")) {
        char key[64], val[32], *end = NULL;
        ia_xml_path_copy(e, "key", key, sizeof(key));
        if (strcmp(key, "MFADevicesInUse") != 0)
            continue;
        ia_xml_path_copy(e, "value", val, sizeof(val));
        long v = strtol(val, &end, 10);
        if (end != val && *end == '\0' && v >= 0)
            *out = v;
    }
    ia_xml_free(doc);
    return IA_OK;
}

enum ia_code
ia_iam_login_profile(struct ia_aws_client *c, const char *user, struct ia_xml_doc **out,
                     struct ia_err *err)
{
    struct ia_err e;
    struct ia_aws_param p[] = { { "UserName", user } };
    ia_err_clear(&e);
    enum ia_code rc = ia_aws_query(c, IA_SVC_IAM, "GetLoginProfile", p, 1, out, &e);
    if (rc == IA_ERR_AWS && strcmp(e.aws_code, "NoSuchEntity") == 0) {
        *out = NULL;
        return IA_OK;
    }
    if (rc != IA_OK && err)
        *err = e;
    return rc;
}

enum ia_code
ia_iam_get_user(struct ia_aws_client *c, const char *user, struct ia_xml_doc **out,
                struct ia_err *err)
{
    struct ia_aws_param p[] = { { "UserName", user } };
    return ia_aws_query(c, IA_SVC_IAM, "GetUser", p, 1, out, err);
}

enum ia_code
ia_iam_access_key_last_used(struct ia_aws_client *c, const char *key_id, struct ia_xml_doc **out,
                            struct ia_err *err)
{
    struct ia_aws_param p[] = { { "AccessKeyId", key_id } };
    return ia_aws_query(c, IA_SVC_IAM, "GetAccessKeyLastUsed", p, 1, out, err);
}
