#include "collector/sts_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/mem.h"

enum ia_code
ia_sts_get_caller_identity(struct ia_aws_client *c, struct ia_caller_identity *out,
                           struct ia_err *err)
{
    struct ia_xml_doc *doc = NULL;
    enum ia_code rc = ia_aws_query(c, IA_SVC_STS, "GetCallerIdentity", NULL, 0, &doc, err);
    if (rc != IA_OK)
        return rc;
    const struct ia_xml_node *r = ia_xml_path(ia_xml_root(doc), "GetCallerIdentityResult");
    struct ia_caller_identity id;
    ia_xml_path_copy(r, "Account", id.account, sizeof(id.account));
    ia_xml_path_copy(r, "Arn", id.arn, sizeof(id.arn));
    ia_xml_path_copy(r, "UserId", id.user_id, sizeof(id.user_id));
    ia_xml_free(doc);
    if (!id.account[0] || !id.arn[0])
        return ia_err_set(err, IA_ERR_PARSE, "GetCallerIdentity answered without Account or Arn");
    *out = id;
    return IA_OK;
}

/* Copy text into a fixed field; fail rather than truncate a credential. */
static int
copy_field(const struct ia_xml_node *n, const char *name, char *dst, size_t cap)
{
    char *t = ia_xml_path_text(n, name);
    int ok = t && *t && strlen(t) < cap;
    if (ok)
        memcpy(dst, t, strlen(t) + 1);
    if (t) {
        memset(t, 0, strlen(t));
        free(t);
    }
    return ok;
}

enum ia_code
ia_sts_parse_credentials(const struct ia_xml_node *cn, struct ia_creds *out, struct ia_err *err)
{
    struct ia_creds cr;
    char exp[64];
    time_t t;

    memset(&cr, 0, sizeof(cr));
    if (!cn || !copy_field(cn, "AccessKeyId", cr.access_key_id, sizeof(cr.access_key_id)) ||
        !copy_field(cn, "SecretAccessKey", cr.secret_access_key, sizeof(cr.secret_access_key)) ||
        !copy_field(cn, "SessionToken", cr.session_token, sizeof(cr.session_token))) {
        ia_creds_release(&cr);
        return ia_err_set(err, IA_ERR_PARSE,
                          "STS answered without complete Credentials (AccessKeyId, "
                          "SecretAccessKey, SessionToken)");
    }
    ia_xml_path_copy(cn, "Expiration", exp, sizeof(exp));
    if (ia_time_parse_iso(exp, &t) != 0) {
        ia_creds_release(&cr);
        return ia_err_set(err, IA_ERR_PARSE, "STS Credentials carry an unreadable Expiration '%s'",
                          exp);
    }
    cr.expiration = t;
    *out = cr;
    ia_creds_release(&cr);
    return IA_OK;
}

static enum ia_code
assume_common(struct ia_aws_client *c, const char *action, const struct ia_aws_param *params,
              size_t n, const char *role_arn, const char *source_kind, struct ia_creds *out,
              struct ia_err *err)
{
    struct ia_xml_doc *doc = NULL;
    enum ia_code rc = ia_aws_query(c, IA_SVC_STS, action, params, n, &doc, err);
    if (rc != IA_OK) {
        ia_err_prefix(err, "cannot assume %s: ", role_arn);
        return rc;
    }
    char result[64];
    snprintf(result, sizeof(result), "%sResult", action);
    const struct ia_xml_node *cn = ia_xml_path(ia_xml_root(doc), result);
    rc = ia_sts_parse_credentials(ia_xml_child(cn, "Credentials"), out, err);
    ia_xml_free(doc);
    if (rc == IA_OK)
        snprintf(out->source, sizeof(out->source), "%s %s", source_kind, role_arn);
    return rc;
}

enum ia_code
ia_sts_assume_role(struct ia_aws_client *c, const struct ia_assume_role_params *p,
                   struct ia_creds *out, struct ia_err *err)
{
    char dur[16] = "";
    if (p->duration_seconds)
        snprintf(dur, sizeof(dur), "%d", p->duration_seconds);
    struct ia_aws_param params[] = {
        { "RoleArn", p->role_arn },
        { "RoleSessionName", p->session_name ? p->session_name : "iam-audit" },
        { "ExternalId", p->external_id },
        { "SerialNumber", p->serial_number },
        { "TokenCode", p->token_code },
        { "DurationSeconds", dur[0] ? dur : NULL },
    };
    return assume_common(c, "AssumeRole", params, IA_ARRAY_LEN(params), p->role_arn, "assume-role",
                         out, err);
}

enum ia_code
ia_sts_assume_role_with_web_identity(struct ia_aws_client *c, const char *role_arn,
                                     const char *session_name, const char *token,
                                     int duration_seconds, struct ia_creds *out, struct ia_err *err)
{
    char dur[16] = "";
    if (duration_seconds)
        snprintf(dur, sizeof(dur), "%d", duration_seconds);
    struct ia_aws_param params[] = {
        { "RoleArn", role_arn },
        { "RoleSessionName", session_name ? session_name : "iam-audit" },
        { "WebIdentityToken", token },
        { "DurationSeconds", dur[0] ? dur : NULL },
    };
    return assume_common(c, "AssumeRoleWithWebIdentity", params, IA_ARRAY_LEN(params), role_arn,
                         "web-identity", out, err);
}
