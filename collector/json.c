#include "collector/json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/creds_chain.h"
#include "collector/org_api.h"
#include "collector/crypto.h"
#include "core/clock.h"
#include "core/mem.h"

int
ia_json_aws_error(const char *body, size_t len, char *code, size_t code_cap, char *message,
                  size_t message_cap)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    int found = 0;
    if (!json_is_object(root))
        goto out;
    const char *type = json_string_value(json_object_get(root, "__type"));
    if (!type)
        type = json_string_value(json_object_get(root, "code"));
    if (!type) /* REST-JSON services (Security Hub): {"Code": ..., "Message": ...} */
        type = json_string_value(json_object_get(root, "Code"));
    if (!type)
        goto out;
    /* "com.amazonaws.organizations#AccessDeniedException" -> the part after '#'. */
    const char *hash = strrchr(type, '#');
    snprintf(code, code_cap, "%s", hash ? hash + 1 : type);
    const char *msg = json_string_value(json_object_get(root, "message"));
    if (!msg)
        msg = json_string_value(json_object_get(root, "Message"));
    snprintf(message, message_cap, "%s", msg ? msg : "");
    found = 1;
out:
    json_decref(root);
    return found;
}

/* Copy a required or optional string member; 0 when required and absent or unusable. */
static int
take(json_t *root, const char *key, char *dst, size_t cap, int required)
{
    json_t *v = json_object_get(root, key);
    if (!v || json_is_null(v))
        return !required;
    size_t n = json_string_length(v);
    if (!json_is_string(v) || (required && n == 0) || n >= cap || strlen(json_string_value(v)) != n)
        return 0;
    memcpy(dst, json_string_value(v), n + 1);
    return 1;
}

/* jansson frees without wiping: overwrite every string value of the document first. */
static void
wipe_strings(json_t *root)
{
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (json_is_string(v))
            ia_crypto_cleanse((char *)json_string_value(v), json_string_length(v));
    }
}

enum ia_code
ia_creds_parse_json(const char *data, size_t len, enum ia_creds_json_kind kind, const char *what,
                    struct ia_creds *out, struct ia_err *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(data, len, 0, &jerr);
    struct ia_creds cr;
    const char *token_key = kind == IA_CREDS_JSON_PROCESS ? "SessionToken" : "Token";
    const char *exp;
    enum ia_code rc = IA_ERR_CREDS;

    memset(&cr, 0, sizeof(cr));
    if (!json_is_object(root)) {
        /* jerr.text quotes the input ("near '...'"): give the position only. */
        if (root)
            ia_err_set(err, IA_ERR_PARSE, "%s: the output is JSON but not an object", what);
        else
            ia_err_set(err, IA_ERR_PARSE, "%s: the output is not JSON (line %d, column %d)", what,
                       jerr.line, jerr.column);
        rc = IA_ERR_PARSE;
        goto out;
    }
    if (kind == IA_CREDS_JSON_PROCESS) {
        json_t *ver = json_object_get(root, "Version");
        if (!json_is_integer(ver) || json_integer_value(ver) != 1) {
            if (json_is_integer(ver))
                ia_err_set(err, IA_ERR_CREDS,
                           "%s: the output has Version %" JSON_INTEGER_FORMAT
                           "; only Version 1 is supported",
                           what, json_integer_value(ver));
            else
                ia_err_set(err, IA_ERR_CREDS,
                           "%s: the output has no \"Version\": 1; it must print {\"Version\": 1, "
                           "\"AccessKeyId\": ..., \"SecretAccessKey\": ..., ...}",
                           what);
            goto out;
        }
    }
    if (kind == IA_CREDS_JSON_IMDS) {
        const char *code = json_string_value(json_object_get(root, "Code"));
        if (!code || strcmp(code, "Success") != 0) {
            ia_err_set(err, IA_ERR_CREDS, "%s: the answer's Code is '%.40s', not Success", what,
                       code ? code : "");
            goto out;
        }
    }
    if (!take(root, "AccessKeyId", cr.access_key_id, sizeof(cr.access_key_id), 1) ||
        !take(root, "SecretAccessKey", cr.secret_access_key, sizeof(cr.secret_access_key), 1) ||
        !take(root, token_key, cr.session_token, sizeof(cr.session_token),
              kind != IA_CREDS_JSON_PROCESS)) {
        ia_err_set(err, IA_ERR_CREDS,
                   "%s: the output lacks a usable AccessKeyId, SecretAccessKey or %s string", what,
                   token_key);
        goto out;
    }
    json_t *exp_v = json_object_get(root, "Expiration");
    exp = json_string_value(exp_v);
    if (!exp && (kind != IA_CREDS_JSON_PROCESS || (exp_v && !json_is_null(exp_v)))) {
        ia_err_set(err, IA_ERR_CREDS, "%s: the output lacks an Expiration string", what);
        goto out;
    }
    if (exp && ia_time_parse_iso(exp, &cr.expiration) != 0) {
        /* Not quoted: the output holds secrets, and a broken script may put one anywhere. */
        ia_err_set(err, IA_ERR_CREDS,
                   "%s: Expiration (%zu characters, not shown) is not an ISO 8601 time like "
                   "2026-11-27T02:00:00Z",
                   what, strlen(exp));
        goto out;
    }
    *out = cr;
    rc = IA_OK;
out:
    if (root) {
        wipe_strings(root);
        json_decref(root);
    }
    ia_creds_release(&cr);
    return rc;
}

char *
ia_json_org_list_request(const char *next_token)
{
    json_t *req = json_object();
    json_object_set_new(req, "MaxResults", json_integer(20));
    if (next_token)
        json_object_set_new(req, "NextToken", json_string(next_token));
    char *dump = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    IA_ASSERT(dump);
    char *out = ia_xstrdup(dump);
    free(dump);
    return out;
}

static void
copy_member(json_t *obj, const char *key, char *dst, size_t cap)
{
    const char *s = json_string_value(json_object_get(obj, key));
    snprintf(dst, cap, "%s", s ? s : "");
}

int
ia_json_org_accounts_page(const char *body, size_t len, struct ia_org_account **accts, size_t *n,
                          size_t *alloc, char **next_token)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    json_t *list = json_object_get(root, "Accounts");
    size_t i;
    json_t *a;

    *next_token = NULL;
    if (!json_is_array(list)) {
        json_decref(root);
        return -1;
    }
    json_array_foreach(list, i, a)
    {
        *accts = ia_xgrow(*accts, *n + 1, alloc, sizeof(**accts));
        struct ia_org_account *o = &(*accts)[*n];
        memset(o, 0, sizeof(*o));
        copy_member(a, "Id", o->id, sizeof(o->id));
        copy_member(a, "Name", o->name, sizeof(o->name));
        /* AWS retired Status on 2026-09-09 in favour of State; older answers (and moto)
         * still carry only Status. */
        copy_member(a, "State", o->state, sizeof(o->state));
        if (!o->state[0])
            copy_member(a, "Status", o->state, sizeof(o->state));
        copy_member(a, "Email", o->email, sizeof(o->email));
        if (strlen(o->id) == 12) /* not an account id: skip it rather than audit garbage */
            (*n)++;
    }
    const char *next = json_string_value(json_object_get(root, "NextToken"));
    *next_token = next && *next ? ia_xstrdup(next) : NULL;
    json_decref(root);
    return 0;
}

int
ia_json_is_object(const char *body, size_t len)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr);
    int ok = json_is_object(root);
    json_decref(root);
    return ok;
}
