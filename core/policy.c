/*
 * IAM policy grammar: decode, bounded parse, trust-policy rows, condition helpers, permission
 * policies and the side-effect decision. The only jansson user in core/; no json_t leaves.
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

/* ---- small helpers ------------------------------------------------------------------------- */

struct problems {
    struct ia_policy_problem *v;
    size_t n, alloc;
};

struct strv {
    const char **v; /* borrowed from the json_t tree */
    size_t n, alloc;
};

static void
strv_push(struct strv *sv, const char *s)
{
    sv->v = ia_xgrow(sv->v, sv->n + 1, &sv->alloc, sizeof(*sv->v));
    sv->v[sv->n++] = s;
}

static void
strv_release(struct strv *sv)
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

static int
is_account_id(const char *s, size_t n)
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

/* arn:partition:service:region:account:resource; the resource may contain ':'. */
struct arn {
    const char *f[6];
    size_t l[6];
};

static int
split_arn(const char *s, struct arn *a)
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
static enum ia_code
load_json(const char *text, size_t len, const char *what, json_t **out, struct problems *pl,
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

    json_object_foreach(obj, key, v) {
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

static const char *const s_top_elems[] = {"Version", "Id", "Statement"};
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
    json_t *root = NULL, *stmts = NULL, *found[IA_ARRAY_LEN(s_top_elems)] = {NULL};
    enum ia_code rc;

    rc = ia_policy_decode(doc, len, &text, &text_len, err);
    if (rc != IA_OK)
        goto out;
    rc = load_json(text, text_len, what, &root, pl, err);
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

static const char *const s_stmt_elems[] = {"Sid",          "Effect",      "Principal",
                                           "NotPrincipal", "Action",      "NotAction",
                                           "Resource",     "NotResource", "Condition"};
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
    json_t *f[IA_ARRAY_LEN(s_stmt_elems)] = {NULL};
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
        strv_push(out, json_string_value(v));
        return;
    }
    if (!json_is_array(v)) {
        problem_add(pl, idx, "%s is %s, not a string or an array of strings", label, type_name(v));
        return;
    }
    if (json_array_size(v) == 0)
        problem_add(pl, idx, "%s is an empty array", label);
    json_array_foreach(v, i, item) {
        if (json_is_string(item))
            strv_push(out, json_string_value(item));
        else
            problem_add(pl, idx, "%s has %s item; it was ignored", label, type_name(item));
    }
}

static char *
strv_json(const struct strv *sv)
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
static const char *const s_kinds[] = {"AWS", "Service", "Federated", "CanonicalUser"};

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
    is_arn = split_arn(v, &a) == 0;
    if (is_arn && (field_is(&a, 2, "iam") || field_is(&a, 2, "sts"))) {
        if (is_account_id(a.f[4], a.l[4]))
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
    if (is_account_id(v, strlen(v))) {
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
    json_object_foreach(p, key, val) {
        struct strv vals = {0};
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
        strv_release(&vals);
    }
}

enum ia_code
ia_policy_trust_rows(const char *doc, size_t len, struct ia_trust_rows *out, struct ia_err *err)
{
    struct problems pl = {0};
    struct rowv rows = {0};
    json_t *root = NULL, *stmts = NULL, *st;
    enum ia_code rc;
    size_t i;

    IA_ASSERT(out != NULL);
    rc = open_policy(doc, len, "trust policy", &root, &stmts, &pl, err);
    if (rc != IA_OK)
        goto out;
    json_array_foreach(stmts, i, st) {
        struct stmt s;
        struct strv acts = {0};
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
        actions = strv_json(&acts);
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
        strv_release(&acts);
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

/* ---- conditions ---------------------------------------------------------------------------- */

/* A condition as text, loaded within the same bounds; NULL when absent or unusable. */
static json_t *
load_condition(const char *cond_json)
{
    json_t *c = NULL;

    if (!cond_json)
        return NULL;
    if (load_json(cond_json, strlen(cond_json), "condition", &c, NULL, NULL) != IA_OK)
        return NULL;
    if (!json_is_object(c)) {
        json_decref(c);
        return NULL;
    }
    return c;
}

/* An operator split into its set prefix, base name and IfExists suffix. */
struct op {
    char base[64];
    int any;       /* ForAnyValue: */
    int all;       /* ForAllValues: */
    int if_exists; /* ...IfExists */
};

static int
split_op(const char *name, struct op *o)
{
    size_t n;

    memset(o, 0, sizeof(*o));
    if (strncmp(name, "ForAnyValue:", 12) == 0) {
        o->any = 1;
        name += 12;
    } else if (strncmp(name, "ForAllValues:", 13) == 0) {
        o->all = 1;
        name += 13;
    }
    n = strlen(name);
    if (n > 8 && strcmp(name + n - 8, "IfExists") == 0) {
        o->if_exists = 1;
        n -= 8;
    }
    if (n >= sizeof(o->base))
        return -1;
    memcpy(o->base, name, n);
    o->base[n] = '\0';
    return 0;
}

static int
is_true_value(const json_t *v)
{
    return json_is_true(v) || (json_is_string(v) && strcasecmp(json_string_value(v), "true") == 0);
}

static int
is_false_value(const json_t *v)
{
    return json_is_false(v) ||
           (json_is_string(v) && strcasecmp(json_string_value(v), "false") == 0);
}

/* pred holds for v, or v is a non-empty array and pred holds for every item. */
static int
all_values(const json_t *v, int (*pred)(const json_t *))
{
    size_t i;
    if (!json_is_array(v))
        return pred(v);
    if (json_array_size(v) == 0)
        return 0;
    for (i = 0; i < json_array_size(v); i++)
        if (!pred(json_array_get(v, i)))
            return 0;
    return 1;
}

static int
is_bound_value(const json_t *v)
{
    return json_is_number(v) || (json_is_string(v) && json_string_length(v) > 0);
}

#define MFA_PRESENT "aws:MultiFactorAuthPresent"
#define MFA_AGE "aws:MultiFactorAuthAge"

enum ia_policy_mfa
ia_policy_condition_requires_mfa(const char *cond_json)
{
    json_t *c = load_condition(cond_json), *keys, *v;
    const char *opname, *key;
    int required = 0, if_exists = 0;

    json_object_foreach(c, opname, keys) {
        struct op o;
        int weak;

        if (split_op(opname, &o) != 0 || !json_is_object(keys))
            continue;
        weak = o.if_exists || o.all;
        json_object_foreach(keys, key, v) {
            int hit = 0;
            if (strcasecmp(key, MFA_PRESENT) == 0 && strcmp(o.base, "Bool") == 0)
                hit = all_values(v, is_true_value);
            else if (strcasecmp(key, MFA_AGE) == 0 &&
                     (strcmp(o.base, "NumericLessThan") == 0 ||
                      strcmp(o.base, "NumericLessThanEquals") == 0))
                hit = all_values(v, is_bound_value);
            else if (strcasecmp(key, MFA_AGE) == 0 && strcmp(o.base, "Null") == 0 && !weak &&
                     !o.any)
                hit = all_values(v, is_false_value);
            if (hit && weak)
                if_exists = 1;
            else if (hit)
                required = 1;
        }
    }
    json_decref(c);
    if (required)
        return IA_POLICY_MFA_REQUIRED;
    return if_exists ? IA_POLICY_MFA_IF_EXISTS_ONLY : IA_POLICY_MFA_NONE;
}

enum ia_policy_mfa
ia_policy_deny_requires_mfa(const char *cond_json)
{
    json_t *c = load_condition(cond_json), *keys, *v;
    const char *opname, *key;
    enum ia_policy_mfa result = IA_POLICY_MFA_NONE;
    struct op o;
    void *it;
    int fires_when_absent;

    if (!c || json_object_size(c) != 1)
        goto out;
    it = json_object_iter(c);
    opname = json_object_iter_key(it);
    keys = json_object_iter_value(it);
    if (split_op(opname, &o) != 0 || !json_is_object(keys) || json_object_size(keys) != 1)
        goto out;
    it = json_object_iter(keys);
    key = json_object_iter_key(it);
    v = json_object_iter_value(it);
    fires_when_absent = o.if_exists || o.all;
    if (strcasecmp(key, MFA_PRESENT) == 0 && strcmp(o.base, "Bool") == 0 &&
        all_values(v, is_false_value)) {
        /* Without IfExists, long-term keys (key absent) are not denied. */
        result = fires_when_absent ? IA_POLICY_MFA_REQUIRED : IA_POLICY_MFA_IF_EXISTS_ONLY;
    } else if (strcasecmp(key, MFA_AGE) == 0 &&
               (strcmp(o.base, "NumericGreaterThan") == 0 ||
                strcmp(o.base, "NumericGreaterThanEquals") == 0) &&
               all_values(v, is_bound_value)) {
        /* Without IfExists every request without MFA (age absent) passes. */
        result = fires_when_absent ? IA_POLICY_MFA_REQUIRED : IA_POLICY_MFA_NONE;
    } else if (strcasecmp(key, MFA_AGE) == 0 && strcmp(o.base, "Null") == 0 && !fires_when_absent &&
               !o.any && all_values(v, is_true_value)) {
        result = IA_POLICY_MFA_REQUIRED;
    }
out:
    json_decref(c);
    return result;
}

enum pin_shape { PIN_PLAIN, PIN_ARN, PIN_ORG_PATHS, PIN_USERID };

static const struct {
    const char *key;
    unsigned flag;
    enum pin_shape shape;
} s_pins[] = {
    {"aws:PrincipalOrgID", IA_POLICY_PIN_PRINCIPAL_ORG_ID, PIN_PLAIN},
    {"aws:PrincipalAccount", IA_POLICY_PIN_PRINCIPAL_ACCOUNT, PIN_PLAIN},
    {"aws:PrincipalArn", IA_POLICY_PIN_PRINCIPAL_ARN, PIN_ARN},
    {"aws:SourceAccount", IA_POLICY_PIN_SOURCE_ACCOUNT, PIN_PLAIN},
    {"aws:SourceArn", IA_POLICY_PIN_SOURCE_ARN, PIN_ARN},
    {"sts:ExternalId", IA_POLICY_PIN_EXTERNAL_ID, PIN_PLAIN},
    {"aws:PrincipalOrgPaths", IA_POLICY_PIN_PRINCIPAL_ORG_PATHS, PIN_ORG_PATHS},
    {"aws:userid", IA_POLICY_PIN_USERID, PIN_USERID},
    {"aws:username", IA_POLICY_PIN_USERNAME, PIN_PLAIN},
};

static const char *const s_pin_ops[] = {"StringEquals", "StringEqualsIgnoreCase", "StringLike",
                                        "ArnEquals", "ArnLike"};

static int
concrete(const json_t *v, enum pin_shape shape)
{
    const char *s, *w;
    struct arn a;
    int i;

    if (json_is_integer(v))
        return 1;
    if (!json_is_string(v) || json_string_length(v) == 0)
        return 0;
    s = json_string_value(v);
    w = strpbrk(s, "*?");
    if (!w)
        return 1;
    switch (shape) {
    case PIN_ARN:
        /* Literal partition, service, region and a 12-digit account; wildcards only after. */
        if (split_arn(s, &a) != 0 || !is_account_id(a.f[4], a.l[4]))
            return 0;
        for (i = 0; i < 5; i++)
            if (memchr(a.f[i], '*', a.l[i]) || memchr(a.f[i], '?', a.l[i]))
                return 0;
        return 1;
    case PIN_ORG_PATHS: {
        /* "o-<id>/..." with the first wildcard after the organisation id. */
        const char *slash = strchr(s, '/');
        return strncmp(s, "o-", 2) == 0 && slash && slash > s + 2 && w > slash;
    }
    case PIN_USERID: {
        /* "AROA...:*" is the usual way to pin a role (any session) by its unique id. */
        const char *colon = strchr(s, ':');
        return colon && colon > s && w > colon;
    }
    case PIN_PLAIN: break;
    }
    return 0;
}

static int
all_concrete(const json_t *v, enum pin_shape shape)
{
    size_t i;
    if (!json_is_array(v))
        return concrete(v, shape);
    if (json_array_size(v) == 0)
        return 0;
    for (i = 0; i < json_array_size(v); i++)
        if (!concrete(json_array_get(v, i), shape))
            return 0;
    return 1;
}

unsigned
ia_policy_condition_pins(const char *cond_json)
{
    json_t *c = load_condition(cond_json), *keys, *v;
    const char *opname, *key;
    unsigned flags = 0;
    size_t i;

    json_object_foreach(c, opname, keys) {
        struct op o;
        int positive = 0;

        if (split_op(opname, &o) != 0 || o.all || o.if_exists || !json_is_object(keys))
            continue;
        for (i = 0; i < IA_ARRAY_LEN(s_pin_ops); i++)
            positive |= strcmp(o.base, s_pin_ops[i]) == 0;
        if (!positive)
            continue;
        json_object_foreach(keys, key, v) {
            for (i = 0; i < IA_ARRAY_LEN(s_pins); i++)
                if (strcasecmp(key, s_pins[i].key) == 0 && all_concrete(v, s_pins[i].shape))
                    flags |= s_pins[i].flag;
        }
    }
    json_decref(c);
    return flags;
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
    struct problems pl = {0};
    struct ia_policy *p = ia_xcalloc(1, sizeof(*p));
    size_t alloc = 0, i;
    json_t *root = NULL, *stmts = NULL, *st;
    enum ia_code rc;

    IA_ASSERT(out != NULL);
    rc = open_policy(doc, len, "policy", &root, &stmts, &pl, err);
    if (rc != IA_OK)
        goto out;
    json_array_foreach(stmts, i, st) {
        struct stmt s;
        struct strv acts = {0}, res = {0};
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
        strv_release(&acts);
        strv_release(&res);
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

/* ---- side effects -------------------------------------------------------------------------- */

/*
 * Sensitive reads and escalation paths: AWS calls most of them Read or List, but reading
 * them from a read-only role is a finding (docs/rules.md lists and explains them).
 */
static const char *const s_sensitive[] = {
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
    "ssm:DescribeParameters",
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "redshift:GetClusterCredentials",
    "lightsail:GetInstanceAccessDetails",
    "sts:AssumeRole",
    "iam:PassRole",
};

static int
is_sensitive(const char *action)
{
    for (size_t i = 0; i < IA_ARRAY_LEN(s_sensitive); i++)
        if (strcasecmp(s_sensitive[i], action) == 0)
            return 1;
    return 0;
}

/* The Deny statements that may cancel an Allow: unconditional, on every resource. */
struct denies {
    const struct ia_policy_statement **v;
    size_t n, alloc;
};

static int
deny_applies(const struct ia_policy_statement *s)
{
    size_t i;
    if (s->effect != IA_POLICY_DENY || s->condition || s->not_resource)
        return 0;
    for (i = 0; i < s->n_resources; i++)
        if (ia_glob_covers(s->resources[i], "arn:*") == 1)
            return 1;
    return 0;
}

static int
any_matches(char *const *patterns, size_t n, const char *action)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (ia_glob_match(patterns[i], action))
            return 1;
    return 0;
}

static int
denied_action(const struct denies *d, const char *action)
{
    size_t i;
    for (i = 0; i < d->n; i++) {
        const struct ia_policy_statement *s = d->v[i];
        if (any_matches(s->actions, s->n_actions, action) != s->not_action)
            return 1;
    }
    return 0;
}

/* Every item found (uncapped until the end, so that side effects can come first). */
struct report {
    struct ia_side_effect *v;
    size_t n, alloc;
};

/* One Allow statement's expansion against the catalogue. */
struct expand {
    const struct ia_policy_statement *s;
    size_t doc;
    const struct denies *d;
    struct report *rep;
    const char *pattern; /* the Allow pattern, or the NotAction list as JSON */
    ia_policy_action_pred pred;
    void *pred_ctx;
};

static int
pred_side_effect(void *ctx, const char *action, enum ia_access_level level)
{
    (void)ctx;
    return is_sensitive(action) || ia_access_level_changes(level);
}

static void
report_action(void *ctx, const char *action, enum ia_access_level level)
{
    struct expand *x = ctx;
    if (x->s->not_action && any_matches(x->s->actions, x->s->n_actions, action))
        return; /* excluded by the NotAction list */
    if (!x->pred(x->pred_ctx, action, level) || denied_action(x->d, action))
        return;
    x->rep->v = ia_xgrow(x->rep->v, x->rep->n + 1, &x->rep->alloc, sizeof(*x->rep->v));
    struct ia_side_effect *it = &x->rep->v[x->rep->n++];
    it->doc_index = x->doc;
    it->statement_index = x->s->index;
    it->kind = ia_access_level_changes(level) ? IA_SIDE_EFFECT_WRITE : IA_SIDE_EFFECT_SENSITIVE;
    it->not_action = x->s->not_action;
    it->pattern = ia_xstrdup(x->pattern);
    it->matched = ia_xstrdup(action);
    it->level = ia_access_level_name(level);
}

/*
 * Each action an Allow grants, taken from AWS's catalogue: its patterns expanded against
 * the real list of actions (an action AWS does not publish grants nothing), or, for
 * NotAction, every catalogue action none of its patterns matches.
 */
static void
allow_effects(const struct ia_policy_statement *s, size_t doc, const struct denies *d,
              struct report *rep, ia_policy_action_pred pred, void *pred_ctx)
{
    struct expand x = { s, doc, d, rep, NULL, pred, pred_ctx };
    if (s->not_action) {
        struct strv sv = {0};
        for (size_t i = 0; i < s->n_actions; i++)
            strv_push(&sv, s->actions[i]);
        char *list = strv_json(&sv);
        x.pattern = list;
        ia_actions_expand("*", report_action, &x);
        free(list);
        strv_release(&sv);
        return;
    }
    for (size_t i = 0; i < s->n_actions; i++) {
        x.pattern = s->actions[i];
        ia_actions_expand(s->actions[i], report_action, &x);
    }
}

/* Side effects first, then sensitive reads, each in document and expansion order. */
static void
side_effects_first(struct report *rep)
{
    struct ia_side_effect *v = ia_xcalloc(rep->n ? rep->n : 1, sizeof(*v));
    size_t k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < rep->n; i++)
            if ((rep->v[i].kind == IA_SIDE_EFFECT_WRITE) == (pass == 0))
                v[k++] = rep->v[i];
    free(rep->v);
    rep->v = v;
    rep->alloc = rep->n;
}

enum ia_code
ia_policy_side_effects(const char *const *docs, size_t n_docs, struct ia_side_effect_report *out,
                       struct ia_err *err)
{
    return ia_policy_grants(docs, n_docs, pred_side_effect, NULL, out, err);
}

enum ia_code
ia_policy_grants(const char *const *docs, size_t n_docs, ia_policy_action_pred pred,
                 void *pred_ctx, struct ia_side_effect_report *out, struct ia_err *err)
{
    struct ia_policy **pols = ia_xcalloc(n_docs ? n_docs : 1, sizeof(*pols));
    struct denies d = {0};
    struct report rep = {0};
    enum ia_code rc = IA_ERR_PARSE;
    size_t i, j;

    IA_ASSERT(out != NULL && (docs || !n_docs));
    for (i = 0; i < n_docs; i++) {
        IA_ASSERT(docs[i] != NULL);
        rc = ia_policy_parse(docs[i], strlen(docs[i]), &pols[i], err);
        if (rc != IA_OK) {
            ia_err_prefix(err, "policy %zu: ", i);
            goto out;
        }
    }
    for (i = 0; i < n_docs; i++) {
        for (j = 0; j < pols[i]->n_statements; j++) {
            const struct ia_policy_statement *s = &pols[i]->statements[j];
            if (deny_applies(s)) {
                d.v = ia_xgrow(d.v, d.n + 1, &d.alloc, sizeof(*d.v));
                d.v[d.n++] = s;
            }
        }
    }
    for (i = 0; i < n_docs; i++)
        for (j = 0; j < pols[i]->n_statements; j++)
            if (pols[i]->statements[j].effect == IA_POLICY_ALLOW)
                allow_effects(&pols[i]->statements[j], i, &d, &rep, pred, pred_ctx);
    /* Side effects first; one item per (statement, pattern, action); keep the first few. */
    side_effects_first(&rep);
    memset(out, 0, sizeof(*out));
    out->n_total = rep.n;
    out->n_items = rep.n < IA_POLICY_MAX_SIDE_EFFECTS ? rep.n : IA_POLICY_MAX_SIDE_EFFECTS;
    for (i = out->n_items; i < rep.n; i++) {
        free(rep.v[i].pattern);
        free(rep.v[i].matched);
    }
    out->items = rep.v;
    rep.v = NULL;
    rep.n = 0;
    rc = IA_OK;
out:
    for (i = 0; i < rep.n; i++) {
        free(rep.v[i].pattern);
        free(rep.v[i].matched);
    }
    free(rep.v);
    free(d.v);
    for (i = 0; i < n_docs; i++)
        ia_policy_free(pols[i]);
    free(pols);
    return rc;
}

void
ia_policy_side_effect_report_release(struct ia_side_effect_report *report)
{
    size_t i;
    if (!report)
        return;
    for (i = 0; i < report->n_items; i++) {
        free(report->items[i].pattern);
        free(report->items[i].matched);
    }
    free(report->items);
    memset(report, 0, sizeof(*report));
}

enum ia_code
ia_policy_unknown_actions(const char *doc, char ***out, size_t *n_out, struct ia_err *err)
{
    struct ia_policy *pol = NULL;
    char **v = NULL;
    size_t n = 0, alloc = 0;
    enum ia_code rc = ia_policy_parse(doc, strlen(doc), &pol, err);
    if (rc != IA_OK)
        return rc;
    for (size_t i = 0; i < pol->n_statements; i++) {
        const struct ia_policy_statement *st = &pol->statements[i];
        if (st->effect != IA_POLICY_ALLOW || st->not_action)
            continue;
        for (size_t k = 0; k < st->n_actions; k++) {
            if (ia_actions_expand(st->actions[k], NULL, NULL) != 0)
                continue;
            v = ia_xgrow(v, n + 1, &alloc, sizeof(*v));
            v[n++] = ia_xstrdup(st->actions[k]);
        }
    }
    ia_policy_free(pol);
    *out = v;
    *n_out = n;
    return IA_OK;
}
