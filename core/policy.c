/*
 * IAM policy grammar: decode, bounded parse, trust-policy rows and permission policies (the
 * condition helpers are in policy_conditions.c, what policies grant in policy_grants.c). The
 * policy parts are the only jansson users in core/; no json_t leaves them.
 *
 * Grammar reference: IAM User Guide, "IAM JSON policy element reference" and "Grammar of the
 * IAM JSON policy language".
 */
#include "core/policy.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/actions.h"
#include "core/glob.h"
#include "core/mem.h"
#include "core/policy_int.h"

/* ---- small helpers ------------------------------------------------------------------------- */

void
ia_pol_strv_push(struct strv *sv, const char *s)
{
    sv->v = ia_xgrow(sv->v, sv->n + 1, &sv->alloc, sizeof(*sv->v));
    sv->v[sv->n++] = s;
}

void
ia_pol_strv_release(struct strv *sv)
{
    free(sv->v);
    memset(sv, 0, sizeof(*sv));
}

/*
 * Document text quoted for a one-line message: at most 64 bytes (cut on a UTF-8 boundary),
 * control characters shown as '?', so a hostile key cannot forge lines in logs or reports.
 */
struct quoted {
    char s[80];
};

static struct quoted
quote(const char *in)
{
    struct quoted q;
    size_t n = strlen(in), i, o = 0;
    int cut = n > 64;

    if (cut) {
        n = 64;
        while (n > 0 && ((unsigned char)in[n] & 0xC0) == 0x80)
            n--;
    }
    q.s[o++] = '"';
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        q.s[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    q.s[o++] = '"';
    if (cut) {
        memcpy(q.s + o, "...", 3);
        o += 3;
    }
    q.s[o] = '\0';
    return q;
}

static void problem_add(struct problems *pl, size_t idx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
problem_add(struct problems *pl, size_t idx, const char *fmt, ...)
{
    struct ia_buf b = IA_BUF_INIT;
    va_list ap;

    if (!pl || pl->n >= IA_POLICY_MAX_PROBLEMS)
        return;
    if (pl->n == IA_POLICY_MAX_PROBLEMS - 1) {
        idx = IA_POLICY_DOC_LEVEL;
        ia_buf_addstr(&b, "further problems omitted");
    } else {
        va_start(ap, fmt);
        ia_buf_vaddf(&b, fmt, ap);
        va_end(ap);
    }
    pl->v = ia_xgrow(pl->v, pl->n + 1, &pl->alloc, sizeof(*pl->v));
    pl->v[pl->n].statement_index = idx;
    pl->v[pl->n].message = ia_buf_detach(&b, NULL);
    pl->n++;
}

static void
problems_free(struct ia_policy_problem *v, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        free(v[i].message);
    free(v);
}

static const char *
type_name(const json_t *v)
{
    if (!v)
        return "missing";
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "a value";
}

/* json_dumps output is jansson's memory: copy it into ours so callers free() with no doubt. */
static char *
dump_compact(const json_t *v)
{
    char *j = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    char *s;
    IA_ASSERT(j != NULL);
    s = ia_xstrdup(j);
    free(j);
    return s;
}

static char *
xstrdup_or_null(const char *s)
{
    return s ? ia_xstrdup(s) : NULL;
}

int
ia_pol_is_account_id(const char *s, size_t n)
{
    size_t i;
    if (n != 12)
        return 0;
    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Unique ids of IAM principals (AIDA user, AROA role, AIPA instance profile...). */
static int
is_unique_id(const char *s)
{
    size_t i, n = strlen(s);
    if (n < 16 || s[0] != 'A')
        return 0;
    for (i = 1; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return 1;
}

int
ia_pol_split_arn(const char *s, struct arn *a)
{
    const char *p = s;
    int i;

    if (strncmp(s, "arn:", 4) != 0)
        return -1;
    for (i = 0; i < 5; i++) {
        const char *c = strchr(p, ':');
        if (!c)
            return -1;
        a->f[i] = p;
        a->l[i] = (size_t)(c - p);
        p = c + 1;
    }
    a->f[5] = p;
    a->l[5] = strlen(p);
    return a->l[1] ? 0 : -1;
}

static int
field_is(const struct arn *a, int i, const char *lit)
{
    size_t n = strlen(lit);
    return a->l[i] == n && memcmp(a->f[i], lit, n) == 0;
}

static int
resource_starts(const struct arn *a, const char *prefix)
{
    size_t n = strlen(prefix);
    return a->l[5] >= n && memcmp(a->f[5], prefix, n) == 0;
}

/* ---- decoding and bounded loading ---------------------------------------------------------- */

enum ia_code
ia_policy_decode(const char *doc, size_t len, char **out, size_t *out_len, struct ia_err *err)
{
    struct ia_buf b = IA_BUF_INIT;
    enum ia_code rc = IA_ERR_PARSE;
    size_t i = 0;

    IA_ASSERT(out && (doc || !len));
    while (i < len && isspace((unsigned char)doc[i]))
        i++;
    if (i < len && doc[i] == '{') {
        if (len > IA_POLICY_MAX_BYTES) {
            rc = ia_err_set(err, IA_ERR_TOO_LARGE,
                            "policy document is %zu bytes, over the %d-byte limit", len,
                            IA_POLICY_MAX_BYTES);
            goto out;
        }
        ia_buf_add(&b, doc, len);
    } else {
        /* Each decoded byte takes at most 3 encoded ones: refuse before decoding. */
        if (len / 3 > IA_POLICY_MAX_BYTES) {
            rc = ia_err_set(err, IA_ERR_TOO_LARGE,
                            "URL-encoded policy document is %zu bytes, over the limit", len);
            goto out;
        }
        if (len)
            ia_buf_grow(&b, len);
        if (ia_buf_add_urldecoded(&b, doc, len) != 0) {
            rc = ia_err_set(err, IA_ERR_PARSE,
                            "policy document is neither JSON nor valid URL-encoding "
                            "(malformed %%-escape)");
            goto out;
        }
        if (b.len > IA_POLICY_MAX_BYTES) {
            rc = ia_err_set(err, IA_ERR_TOO_LARGE,
                            "policy document is %zu bytes decoded, over the %d-byte limit", b.len,
                            IA_POLICY_MAX_BYTES);
            goto out;
        }
    }
    *out = ia_buf_detach(&b, out_len);
    rc = IA_OK;
out:
    ia_buf_release(&b);
    return rc;
}

/*
 * Scan nesting before jansson sees the text, so depth is bounded by our limit rather than by
 * jansson's compiled-in 2048 and the error says what was wrong.
 */
static int
too_deep(const char *s, size_t n)
{
    size_t i;
    int depth = 0, in_str = 0;

    for (i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > IA_POLICY_MAX_DEPTH)
                return 1;
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return 0;
}

/* jansson's messages quote the input ("near '...'"): keep them to one printable line. */
static void
sanitise(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

/*
 * Parse bounded JSON text (no URL-decoding). Duplicate keys: first try with
 * JSON_REJECT_DUPLICATES so we notice them, then read the document anyway (the last value of
 * a repeated key wins, as in jansson) and record a problem in pl (when given).
 */
enum ia_code
ia_pol_load_json(const char *text, size_t len, const char *what, json_t **out, struct problems *pl,
                 struct ia_err *err)
{
    json_error_t je;
    json_t *root = NULL;
    enum ia_code rc = IA_ERR_PARSE;
    size_t i = 0;
    int dup;

    while (i < len && isspace((unsigned char)text[i]))
        i++;
    if (i == len) {
        rc = ia_err_set(err, IA_ERR_PARSE, "%s is empty", what);
        goto out;
    }
    if (len > IA_POLICY_MAX_BYTES) {
        rc = ia_err_set(err, IA_ERR_TOO_LARGE, "%s is %zu bytes, over the %d-byte limit", what, len,
                        IA_POLICY_MAX_BYTES);
        goto out;
    }
    if (too_deep(text, len)) {
        rc = ia_err_set(err, IA_ERR_TOO_LARGE, "%s nests objects/arrays deeper than %d levels",
                        what, IA_POLICY_MAX_DEPTH);
        goto out;
    }
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    /* json_error_code() lives in the last byte of je.text: read it before sanitising. */
    dup = !root && json_error_code(&je) == json_error_duplicate_key;
    sanitise(je.text);
    if (dup) {
        problem_add(pl, IA_POLICY_DOC_LEVEL,
                    "duplicate key in a JSON object (%s, line %d): AWS rejects such documents; "
                    "the last value of the key was read",
                    je.text, je.line);
        root = json_loadb(text, len, 0, &je);
        sanitise(je.text);
    }
    if (!root) {
        rc = ia_err_set(err, IA_ERR_PARSE, "%s is not valid JSON: %s (line %d, column %d)", what,
                        je.text, je.line, je.column);
        goto out;
    }
    *out = root;
    rc = IA_OK;
out:
    return rc;
}

/*
 * Look up the elements of obj named in names[] (case-insensitively), recording unknown,
 * misspelt and repeated elements as problems. found[i] is borrowed from obj.
 */
static void
elements(json_t *obj, const char *const *names, size_t n, json_t **found, size_t idx,
         struct problems *pl)
{
    const char *key;
    json_t *v;
    size_t i;

    json_object_foreach(obj, key, v)
    {
        for (i = 0; i < n; i++)
            if (strcasecmp(key, names[i]) == 0)
                break;
        if (i == n) {
            problem_add(pl, idx, "unknown element %s", quote(key).s);
            continue;
        }
        if (found[i]) {
            problem_add(pl, idx, "element %s appears more than once (as %s); the first was read",
                        names[i], quote(key).s);
            continue;
        }
        if (strcmp(key, names[i]) != 0)
            problem_add(pl, idx, "element %s is spelt %s", names[i], quote(key).s);
        found[i] = v;
    }
}

static const char *const s_top_elems[] = { "Version", "Id", "Statement" };
enum { TOP_VERSION, TOP_ID, TOP_STATEMENT };

/*
 * Decode and load a policy; *stmts_out is a new reference to an array of statements (a lone
 * Statement object is wrapped in one). Caller json_decref()s both outputs.
 */
static enum ia_code
open_policy(const char *doc, size_t len, const char *what, json_t **root_out, json_t **stmts_out,
            struct problems *pl, struct ia_err *err)
{
    char *text = NULL;
    size_t text_len = 0;
    json_t *root = NULL, *stmts = NULL, *found[IA_ARRAY_LEN(s_top_elems)] = { NULL };
    enum ia_code rc;

    rc = ia_policy_decode(doc, len, &text, &text_len, err);
    if (rc != IA_OK)
        goto out;
    rc = ia_pol_load_json(text, text_len, what, &root, pl, err);
    if (rc != IA_OK)
        goto out;
    rc = IA_ERR_PARSE;
    if (!json_is_object(root)) {
        rc = ia_err_set(err, IA_ERR_PARSE, "%s is %s, not a JSON object", what, type_name(root));
        goto out;
    }
    elements(root, s_top_elems, IA_ARRAY_LEN(s_top_elems), found, IA_POLICY_DOC_LEVEL, pl);
    if (found[TOP_VERSION]) {
        const char *ver = json_string_value(found[TOP_VERSION]);
        if (!ver || (strcmp(ver, "2012-10-17") != 0 && strcmp(ver, "2008-10-17") != 0))
            problem_add(pl, IA_POLICY_DOC_LEVEL, "Version is not \"2012-10-17\" or \"2008-10-17\"");
    }
    if (!found[TOP_STATEMENT]) {
        rc = ia_err_set(err, IA_ERR_PARSE, "%s has no Statement element", what);
        goto out;
    }
    if (json_is_object(found[TOP_STATEMENT])) {
        stmts = json_array();
        IA_ASSERT(stmts != NULL);
        json_array_append(stmts, found[TOP_STATEMENT]);
    } else if (json_is_array(found[TOP_STATEMENT])) {
        stmts = json_incref(found[TOP_STATEMENT]);
    } else {
        rc = ia_err_set(err, IA_ERR_PARSE, "%s: Statement is %s, not an object or an array", what,
                        type_name(found[TOP_STATEMENT]));
        goto out;
    }
    if (json_array_size(stmts) > IA_POLICY_MAX_STATEMENTS) {
        rc = ia_err_set(err, IA_ERR_TOO_LARGE, "%s has %zu statements, over the limit of %d", what,
                        json_array_size(stmts), IA_POLICY_MAX_STATEMENTS);
        goto out;
    }
    *root_out = root;
    *stmts_out = stmts;
    root = NULL;
    stmts = NULL;
    rc = IA_OK;
out:
    json_decref(stmts);
    json_decref(root);
    free(text);
    return rc;
}

/* ---- statements ---------------------------------------------------------------------------- */

static const char *const s_stmt_elems[] = { "Sid",          "Effect",      "Principal",
                                            "NotPrincipal", "Action",      "NotAction",
                                            "Resource",     "NotResource", "Condition" };
enum {
    ST_SID,
    ST_EFFECT,
    ST_PRINCIPAL,
    ST_NOT_PRINCIPAL,
    ST_ACTION,
    ST_NOT_ACTION,
    ST_RESOURCE,
    ST_NOT_RESOURCE,
    ST_CONDITION
};

/* A statement's elements, borrowed from the json_t tree. */
struct stmt {
    size_t index;
    const char *sid;
    enum ia_policy_effect effect;
    json_t *principal;
    json_t *not_principal;
    json_t *action;
    int not_action;
    json_t *resource;
    int not_resource;
    json_t *condition;
};

/* Returns 0 when the statement is usable (an object with a valid Effect), -1 otherwise. */
static int
read_statement(json_t *st, size_t idx, struct stmt *s, struct problems *pl)
{
    json_t *f[IA_ARRAY_LEN(s_stmt_elems)] = { NULL };
    const char *eff;

    memset(s, 0, sizeof(*s));
    s->index = idx;
    if (!json_is_object(st)) {
        problem_add(pl, idx, "statement is %s, not an object; skipped", type_name(st));
        return -1;
    }
    elements(st, s_stmt_elems, IA_ARRAY_LEN(s_stmt_elems), f, idx, pl);
    if (f[ST_SID]) {
        s->sid = json_string_value(f[ST_SID]);
        if (!s->sid)
            problem_add(pl, idx, "Sid is %s, not a string", type_name(f[ST_SID]));
    }
    if (!f[ST_EFFECT]) {
        problem_add(pl, idx, "statement has no Effect; skipped");
        return -1;
    }
    eff = json_string_value(f[ST_EFFECT]);
    if (!eff) {
        problem_add(pl, idx, "Effect is %s, not a string; skipped", type_name(f[ST_EFFECT]));
        return -1;
    }
    if (strcasecmp(eff, "Allow") == 0) {
        s->effect = IA_POLICY_ALLOW;
    } else if (strcasecmp(eff, "Deny") == 0) {
        s->effect = IA_POLICY_DENY;
    } else {
        problem_add(pl, idx, "Effect %s is neither Allow nor Deny; skipped", quote(eff).s);
        return -1;
    }
    if (strcmp(eff, "Allow") != 0 && strcmp(eff, "Deny") != 0)
        problem_add(pl, idx, "Effect %s is spelt differently from %s", quote(eff).s,
                    ia_policy_effect_name(s->effect));

    s->principal = f[ST_PRINCIPAL];
    s->not_principal = f[ST_NOT_PRINCIPAL];
    if (f[ST_ACTION] && f[ST_NOT_ACTION])
        problem_add(pl, idx, "statement has both Action and NotAction; Action was read");
    if (f[ST_ACTION]) {
        s->action = f[ST_ACTION];
    } else if (f[ST_NOT_ACTION]) {
        s->action = f[ST_NOT_ACTION];
        s->not_action = 1;
    } else {
        problem_add(pl, idx, "statement has no Action or NotAction");
    }
    if (f[ST_RESOURCE] && f[ST_NOT_RESOURCE])
        problem_add(pl, idx, "statement has both Resource and NotResource; Resource was read");
    if (f[ST_RESOURCE]) {
        s->resource = f[ST_RESOURCE];
    } else if (f[ST_NOT_RESOURCE]) {
        s->resource = f[ST_NOT_RESOURCE];
        s->not_resource = 1;
    }
    s->condition = f[ST_CONDITION];
    if (s->condition && !json_is_object(s->condition))
        problem_add(pl, idx, "Condition is %s, not an object", type_name(s->condition));
    return 0;
}

/* A string or an array of strings; anything else is a problem (and non-strings are skipped). */
static void
strings_of(json_t *v, const char *label, size_t idx, struct strv *out, struct problems *pl)
{
    size_t i;
    json_t *item;

    if (!v)
        return;
    if (json_is_string(v)) {
        ia_pol_strv_push(out, json_string_value(v));
        return;
    }
    if (!json_is_array(v)) {
        problem_add(pl, idx, "%s is %s, not a string or an array of strings", label, type_name(v));
        return;
    }
    if (json_array_size(v) == 0)
        problem_add(pl, idx, "%s is an empty array", label);
    json_array_foreach(v, i, item)
    {
        if (json_is_string(item))
            ia_pol_strv_push(out, json_string_value(item));
        else
            problem_add(pl, idx, "%s has %s item; it was ignored", label, type_name(item));
    }
}

char *
ia_pol_strv_json(const struct strv *sv)
{
    json_t *arr = json_array();
    char *s;
    size_t i;

    IA_ASSERT(arr != NULL);
    for (i = 0; i < sv->n; i++)
        json_array_append_new(arr, json_string(sv->v[i]));
    s = dump_compact(arr);
    json_decref(arr);
    return s;
}

/* ---- trust rows ---------------------------------------------------------------------------- */

enum kind { KIND_AWS, KIND_SERVICE, KIND_FEDERATED, KIND_CANONICAL, KIND_UNKNOWN };
static const char *const s_kinds[] = { "AWS", "Service", "Federated", "CanonicalUser" };

struct rowv {
    struct ia_trust_row *v;
    size_t n, alloc;
};

static void
rows_free(struct ia_trust_row *v, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        free(v[i].sid);
        free(v[i].principal_kind);
        free(v[i].principal);
        free(v[i].principal_account);
        free(v[i].actions);
        free(v[i].conditions);
    }
    free(v);
}

/* What an AWS-kind (or Federated) value is, and its account when an ARN or id names one. */
static enum ia_policy_principal_type
classify(enum kind kind, const char *v, char **account, size_t idx, struct problems *pl)
{
    struct arn a;
    int is_arn;

    *account = NULL;
    if (strcmp(v, "*") == 0)
        return IA_POLICY_PRINCIPAL_WILDCARD;
    is_arn = ia_pol_split_arn(v, &a) == 0;
    if (is_arn && (field_is(&a, 2, "iam") || field_is(&a, 2, "sts"))) {
        if (ia_pol_is_account_id(a.f[4], a.l[4]))
            *account = ia_xstrndup(a.f[4], a.l[4]);
        if (strpbrk(v, "*?"))
            problem_add(pl, idx, "wildcard in principal %s: IAM does not allow them there",
                        quote(v).s);
    }
    switch (kind) {
    case KIND_SERVICE: return IA_POLICY_PRINCIPAL_SERVICE;
    case KIND_FEDERATED: return IA_POLICY_PRINCIPAL_FEDERATED;
    case KIND_CANONICAL: return IA_POLICY_PRINCIPAL_CANONICAL_USER;
    case KIND_UNKNOWN: return IA_POLICY_PRINCIPAL_OTHER;
    case KIND_AWS: break;
    }
    if (ia_pol_is_account_id(v, strlen(v))) {
        *account = ia_xstrdup(v);
        return IA_POLICY_PRINCIPAL_ACCOUNT_ID;
    }
    if (is_arn && field_is(&a, 2, "iam")) {
        if (field_is(&a, 5, "root"))
            return IA_POLICY_PRINCIPAL_ACCOUNT_ROOT;
        if (resource_starts(&a, "user/"))
            return IA_POLICY_PRINCIPAL_USER;
        if (resource_starts(&a, "role/"))
            return IA_POLICY_PRINCIPAL_ROLE;
        if (resource_starts(&a, "group/")) {
            problem_add(pl, idx, "principal %s is a group, which cannot be a principal",
                        quote(v).s);
            return IA_POLICY_PRINCIPAL_GROUP;
        }
        return IA_POLICY_PRINCIPAL_OTHER;
    }
    if (is_arn && field_is(&a, 2, "sts")) {
        if (resource_starts(&a, "assumed-role/"))
            return IA_POLICY_PRINCIPAL_ASSUMED_ROLE;
        if (resource_starts(&a, "federated-user/"))
            return IA_POLICY_PRINCIPAL_FEDERATED_USER;
        return IA_POLICY_PRINCIPAL_OTHER;
    }
    if (is_unique_id(v))
        return IA_POLICY_PRINCIPAL_UNIQUE_ID;
    return IA_POLICY_PRINCIPAL_OTHER;
}

/* What every row of one statement shares. */
struct row_common {
    const struct stmt *s;
    const char *actions;
    const char *conditions;
    int not_principal;
};

static void
push_row(struct rowv *rows, const struct row_common *c, const char *kind, const char *value,
         enum ia_policy_principal_type type, char *account /* steals */)
{
    struct ia_trust_row *r;

    rows->v = ia_xgrow(rows->v, rows->n + 1, &rows->alloc, sizeof(*rows->v));
    r = &rows->v[rows->n++];
    memset(r, 0, sizeof(*r));
    r->statement_index = c->s->index;
    r->sid = xstrdup_or_null(c->s->sid);
    r->effect = c->s->effect;
    r->not_principal = c->not_principal;
    r->principal_kind = ia_xstrdup(kind);
    r->principal = ia_xstrdup(value);
    r->principal_account = account;
    r->principal_type = type;
    r->actions = ia_xstrdup(c->actions);
    r->not_action = c->s->not_action;
    r->conditions = xstrdup_or_null(c->conditions);
}

static void
principal_rows(json_t *p, const struct row_common *c, struct rowv *rows, struct problems *pl)
{
    const char *elem = c->not_principal ? "NotPrincipal" : "Principal";
    size_t idx = c->s->index;
    const char *key;
    json_t *val;

    if (json_is_string(p)) {
        if (strcmp(json_string_value(p), "*") == 0)
            push_row(rows, c, "*", "*", IA_POLICY_PRINCIPAL_WILDCARD, NULL);
        else
            problem_add(pl, idx, "%s is the string %s; only \"*\" may stand alone", elem,
                        quote(json_string_value(p)).s);
        return;
    }
    if (!json_is_object(p)) {
        problem_add(pl, idx, "%s is %s, not \"*\" or an object", elem, type_name(p));
        return;
    }
    if (json_object_size(p) == 0)
        problem_add(pl, idx, "%s is an empty object", elem);
    json_object_foreach(p, key, val)
    {
        struct strv vals = { 0 };
        char label[96];
        const char *kind_name = key;
        enum kind kind = KIND_UNKNOWN;
        size_t i;

        for (i = 0; i < IA_ARRAY_LEN(s_kinds); i++) {
            if (strcasecmp(key, s_kinds[i]) == 0) {
                kind = (enum kind)i;
                kind_name = s_kinds[i];
                if (strcmp(key, s_kinds[i]) != 0)
                    problem_add(pl, idx, "principal kind %s is spelt %s", s_kinds[i], quote(key).s);
                break;
            }
        }
        if (kind == KIND_UNKNOWN)
            problem_add(pl, idx, "unknown principal kind %s", quote(key).s);
        snprintf(label, sizeof(label), "%s %s", elem, quote(key).s);
        strings_of(val, label, idx, &vals, pl);
        for (i = 0; i < vals.n; i++) {
            char *account;
            enum ia_policy_principal_type t = classify(kind, vals.v[i], &account, idx, pl);
            push_row(rows, c, kind_name, vals.v[i], t, account);
        }
        ia_pol_strv_release(&vals);
    }
}

enum ia_code
ia_policy_trust_rows(const char *doc, size_t len, struct ia_trust_rows *out, struct ia_err *err)
{
    struct problems pl = { 0 };
    struct rowv rows = { 0 };
    json_t *root = NULL, *stmts = NULL, *st;
    enum ia_code rc;
    size_t i;

    IA_ASSERT(out != NULL);
    rc = open_policy(doc, len, "trust policy", &root, &stmts, &pl, err);
    if (rc != IA_OK)
        goto out;
    json_array_foreach(stmts, i, st)
    {
        struct stmt s;
        struct strv acts = { 0 };
        struct row_common c;
        char *actions, *conditions;

        if (read_statement(st, i, &s, &pl) != 0)
            continue;
        if (!s.principal && !s.not_principal) {
            problem_add(&pl, i, "statement has no Principal or NotPrincipal");
            continue;
        }
        if (s.principal && s.not_principal)
            problem_add(&pl, i, "statement has both Principal and NotPrincipal");
        strings_of(s.action, s.not_action ? "NotAction" : "Action", i, &acts, &pl);
        actions = ia_pol_strv_json(&acts);
        conditions = s.condition ? dump_compact(s.condition) : NULL;
        c.s = &s;
        c.actions = actions;
        c.conditions = conditions;
        if (s.principal) {
            c.not_principal = 0;
            principal_rows(s.principal, &c, &rows, &pl);
        }
        if (s.not_principal) {
            c.not_principal = 1;
            principal_rows(s.not_principal, &c, &rows, &pl);
        }
        free(actions);
        free(conditions);
        ia_pol_strv_release(&acts);
    }
    out->rows = rows.v;
    out->n_rows = rows.n;
    out->problems = pl.v;
    out->n_problems = pl.n;
    memset(&rows, 0, sizeof(rows));
    memset(&pl, 0, sizeof(pl));
    rc = IA_OK;
out:
    rows_free(rows.v, rows.n);
    problems_free(pl.v, pl.n);
    json_decref(stmts);
    json_decref(root);
    return rc;
}

void
ia_policy_trust_rows_release(struct ia_trust_rows *rows)
{
    if (!rows)
        return;
    rows_free(rows->rows, rows->n_rows);
    problems_free(rows->problems, rows->n_problems);
    memset(rows, 0, sizeof(*rows));
}

const char *
ia_policy_principal_type_name(enum ia_policy_principal_type type)
{
    switch (type) {
    case IA_POLICY_PRINCIPAL_OTHER: return "other";
    case IA_POLICY_PRINCIPAL_WILDCARD: return "wildcard";
    case IA_POLICY_PRINCIPAL_ACCOUNT_ROOT: return "account-root";
    case IA_POLICY_PRINCIPAL_ACCOUNT_ID: return "account-id";
    case IA_POLICY_PRINCIPAL_USER: return "user";
    case IA_POLICY_PRINCIPAL_ROLE: return "role";
    case IA_POLICY_PRINCIPAL_ASSUMED_ROLE: return "assumed-role";
    case IA_POLICY_PRINCIPAL_FEDERATED_USER: return "federated-user";
    case IA_POLICY_PRINCIPAL_GROUP: return "group";
    case IA_POLICY_PRINCIPAL_UNIQUE_ID: return "unique-id";
    case IA_POLICY_PRINCIPAL_SERVICE: return "service";
    case IA_POLICY_PRINCIPAL_FEDERATED: return "federated";
    case IA_POLICY_PRINCIPAL_CANONICAL_USER: return "canonical-user";
    }
    return "other";
}

const char *
ia_policy_effect_name(enum ia_policy_effect effect)
{
    return effect == IA_POLICY_DENY ? "Deny" : "Allow";
}

/* ---- permission policies ------------------------------------------------------------------- */

static void
statement_release(struct ia_policy_statement *s)
{
    size_t i;
    free(s->sid);
    for (i = 0; i < s->n_actions; i++)
        free(s->actions[i]);
    free(s->actions);
    for (i = 0; i < s->n_resources; i++)
        free(s->resources[i]);
    free(s->resources);
    free(s->condition);
}

static char **
strv_dup(const struct strv *sv)
{
    char **v = ia_xcalloc(sv->n ? sv->n : 1, sizeof(*v));
    size_t i;
    for (i = 0; i < sv->n; i++)
        v[i] = ia_xstrdup(sv->v[i]);
    return v;
}

enum ia_code
ia_policy_parse(const char *doc, size_t len, struct ia_policy **out, struct ia_err *err)
{
    struct problems pl = { 0 };
    struct ia_policy *p = ia_xcalloc(1, sizeof(*p));
    size_t alloc = 0, i;
    json_t *root = NULL, *stmts = NULL, *st;
    enum ia_code rc;

    IA_ASSERT(out != NULL);
    rc = open_policy(doc, len, "policy", &root, &stmts, &pl, err);
    if (rc != IA_OK)
        goto out;
    json_array_foreach(stmts, i, st)
    {
        struct stmt s;
        struct strv acts = { 0 }, res = { 0 };
        struct ia_policy_statement *ps;

        if (read_statement(st, i, &s, &pl) != 0)
            continue;
        if (!s.resource)
            problem_add(&pl, i, "statement has no Resource or NotResource");
        strings_of(s.action, s.not_action ? "NotAction" : "Action", i, &acts, &pl);
        strings_of(s.resource, s.not_resource ? "NotResource" : "Resource", i, &res, &pl);
        p->statements =
            ia_xgrow(p->statements, p->n_statements + 1, &alloc, sizeof(*p->statements));
        ps = &p->statements[p->n_statements++];
        memset(ps, 0, sizeof(*ps));
        ps->index = i;
        ps->sid = xstrdup_or_null(s.sid);
        ps->effect = s.effect;
        ps->not_action = s.not_action;
        ps->actions = strv_dup(&acts);
        ps->n_actions = acts.n;
        ps->not_resource = s.not_resource;
        ps->resources = strv_dup(&res);
        ps->n_resources = res.n;
        ps->condition = s.condition ? dump_compact(s.condition) : NULL;
        ia_pol_strv_release(&acts);
        ia_pol_strv_release(&res);
    }
    p->problems = pl.v;
    p->n_problems = pl.n;
    memset(&pl, 0, sizeof(pl));
    *out = p;
    p = NULL;
    rc = IA_OK;
out:
    ia_policy_free(p);
    problems_free(pl.v, pl.n);
    json_decref(stmts);
    json_decref(root);
    return rc;
}

void
ia_policy_free(struct ia_policy *policy)
{
    size_t i;
    if (!policy)
        return;
    for (i = 0; i < policy->n_statements; i++)
        statement_release(&policy->statements[i]);
    free(policy->statements);
    problems_free(policy->problems, policy->n_problems);
    free(policy);
}
