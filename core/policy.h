/*
 * The IAM policy grammar, shared by the collector (which stores trust policies as rows) and the
 * analyser (which reads conditions and permission policies).
 *
 * Input documents are untrusted. Every entry point that takes a document accepts it either as
 * raw JSON or URL-encoded as IAM's API returns it (see ia_policy_decode), and enforces:
 *   - at most IA_POLICY_MAX_BYTES of JSON after decoding (IA_ERR_TOO_LARGE);
 *   - at most IA_POLICY_MAX_DEPTH nested objects/arrays (IA_ERR_TOO_LARGE);
 *   - at most IA_POLICY_MAX_STATEMENTS statements (IA_ERR_TOO_LARGE);
 *   - valid UTF-8 JSON whose top level is an object with a Statement (IA_ERR_PARSE).
 * Anything else that is wrong with a document (a statement that is not an object, a Principal
 * that is a number, an unknown element, duplicate keys...) is not an error: it is recorded as a
 * problem (struct ia_policy_problem) and the rest of the document is still read, so one odd
 * statement never hides the others from an audit.
 *
 * Duplicate object keys: AWS rejects them on write, so a stored document should not have them.
 * We parse such a document anyway (jansson keeps the last value of a repeated key) and record a
 * document-level problem naming the key, so the analyser can show it.
 *
 * Element names (Effect, Principal, ...) and principal kinds (AWS, Service, ...) are matched
 * case-insensitively; a non-canonical spelling is recorded as a problem. Effect values are
 * matched case-insensitively too ("allow" reads as Allow, with a problem). Condition operators
 * are matched exactly (AWS treats them case-sensitively); condition keys case-insensitively.
 *
 * No jansson type appears here: every string handed out is a plain C string owned as stated.
 */
#ifndef IA_CORE_POLICY_H
#define IA_CORE_POLICY_H

#include <stddef.h>

#include "core/actions.h"
#include "core/err.h"

#define IA_POLICY_MAX_BYTES (128 * 1024) /* decoded JSON */
#define IA_POLICY_MAX_DEPTH 32
#define IA_POLICY_MAX_STATEMENTS 1000
#define IA_POLICY_MAX_PROBLEMS 64     /* per document; the last one says "more omitted" */
#define IA_POLICY_MAX_SIDE_EFFECTS 64 /* items kept in a side-effect report */
/* Glob table cells one ia_policy_side_effects call may spend on Deny checks (about 0.3 s). */
#define IA_POLICY_MATCH_BUDGET ((size_t)100 * 1000 * 1000)

/* statement_index of a problem that concerns the whole document. */
#define IA_POLICY_DOC_LEVEL ((size_t)-1)

enum ia_policy_effect {
    IA_POLICY_ALLOW,
    IA_POLICY_DENY,
};

/* What a principal value is. Names (ia_policy_principal_type_name) are the database values. */
enum ia_policy_principal_type {
    IA_POLICY_PRINCIPAL_OTHER,          /* "other": none of the below */
    IA_POLICY_PRINCIPAL_WILDCARD,       /* "wildcard": "*", bare or under any kind */
    IA_POLICY_PRINCIPAL_ACCOUNT_ROOT,   /* "account-root": arn:P:iam::ACCT:root */
    IA_POLICY_PRINCIPAL_ACCOUNT_ID,     /* "account-id": a bare 12-digit account id */
    IA_POLICY_PRINCIPAL_USER,           /* "user": arn:P:iam::ACCT:user/... */
    IA_POLICY_PRINCIPAL_ROLE,           /* "role": arn:P:iam::ACCT:role/... */
    IA_POLICY_PRINCIPAL_ASSUMED_ROLE,   /* "assumed-role": arn:P:sts::ACCT:assumed-role/... */
    IA_POLICY_PRINCIPAL_FEDERATED_USER, /* "federated-user": arn:P:sts::ACCT:federated-user/... */
    IA_POLICY_PRINCIPAL_GROUP,          /* "group": arn:P:iam::ACCT:group/... (invalid in IAM) */
    IA_POLICY_PRINCIPAL_UNIQUE_ID,      /* "unique-id": AIDA.../AROA...: a deleted principal */
    IA_POLICY_PRINCIPAL_SERVICE,        /* "service": a Service principal */
    IA_POLICY_PRINCIPAL_FEDERATED,      /* "federated": a Federated principal (IdP) */
    IA_POLICY_PRINCIPAL_CANONICAL_USER, /* "canonical-user": a CanonicalUser principal */
};

/* Something wrong with a document that did not stop it being read. */
struct ia_policy_problem {
    size_t statement_index; /* 0-based; IA_POLICY_DOC_LEVEL for the document as a whole */
    char *message;          /* owned by the enclosing result; one line, no trailing dot */
};

/*
 * Decode a policy document that is either raw JSON or URL-encoded. If the first non-space
 * byte is '{' the text is raw JSON and is copied unchanged; otherwise %XX escapes are decoded
 * and everything else (including '+', which IAM does not use for spaces) is kept.
 * On success *out is new (caller frees with free()), NUL-terminated, *out_len its length
 * (out_len may be NULL). Returns IA_ERR_PARSE on a malformed %-escape, IA_ERR_TOO_LARGE when
 * the decoded text would exceed IA_POLICY_MAX_BYTES. The result may still be invalid JSON.
 */
IA_MUST_USE enum ia_code ia_policy_decode(const char *doc, size_t len, char **out, size_t *out_len,
                                          struct ia_err *err);

/* ---- Trust policies ------------------------------------------------------------------------ */

/* One (statement, principal) pair of a trust policy. Every string is owned by the row. */
struct ia_trust_row {
    size_t statement_index; /* 0-based position in the Statement list */
    char *sid;              /* Sid, or NULL when absent (or not a string: a problem) */
    enum ia_policy_effect effect;
    int not_principal;       /* 1: from NotPrincipal, 0: from Principal */
    char *principal_kind;    /* "*" (bare Principal "*"), "AWS", "Service", "Federated",
                                "CanonicalUser", or an unknown kind exactly as written */
    char *principal;         /* the value as written, e.g. "arn:aws:iam::111122223333:root" */
    char *principal_account; /* 12-digit account id when derivable (iam/sts ARN with a
                                12-digit account field, or a bare id), else NULL */
    enum ia_policy_principal_type principal_type;
    char *actions;    /* compact JSON array of the Action (or NotAction) strings in
                         document order, e.g. ["sts:AssumeRole"]; "[]" if none */
    int not_action;   /* 1 when actions come from NotAction */
    char *conditions; /* the Condition as JSON with sorted keys, compact
                         (json_dumps JSON_COMPACT|JSON_SORT_KEYS), or NULL if none */
};

struct ia_trust_rows {
    struct ia_trust_row *rows; /* n_rows rows, in document order */
    size_t n_rows;
    struct ia_policy_problem *problems; /* n_problems problems, in document order */
    size_t n_problems;
};

/*
 * Normalise a trust policy (raw or URL-encoded, len bytes; doc need not be NUL-terminated)
 * into one row per (statement, principal). Principal "*" gives one row of kind "*"; an object
 * gives one row per value of each kind, in document order. A statement with both Principal
 * and NotPrincipal gives rows for both (and a problem). A statement that yields no principal,
 * has no valid Effect, or is not an object yields no rows and a problem.
 *
 * On success fills *out (caller's storage; release with ia_policy_trust_rows_release) and
 * returns IA_OK, even when problems were recorded. On failure returns IA_ERR_PARSE or
 * IA_ERR_TOO_LARGE with err set and *out untouched.
 */
IA_MUST_USE enum ia_code ia_policy_trust_rows(const char *doc, size_t len,
                                              struct ia_trust_rows *out, struct ia_err *err);

/* Free everything rows holds and zero it. NULL-safe; safe on a zeroed struct. */
void ia_policy_trust_rows_release(struct ia_trust_rows *rows);

/* Database name of a principal type ("account-root", ...); static string, never NULL. */
const char *ia_policy_principal_type_name(enum ia_policy_principal_type type);

/* "Allow" or "Deny"; static string. */
const char *ia_policy_effect_name(enum ia_policy_effect effect);

/* ---- Conditions ---------------------------------------------------------------------------- */

/*
 * How strongly a statement's Condition requires MFA. A condition is given as JSON text (a
 * row's `conditions`, or an ia_policy_statement's `condition`); NULL, invalid JSON or a
 * non-object read as "no condition" (IA_POLICY_MFA_NONE): the conservative answer.
 */
enum ia_policy_mfa {
    IA_POLICY_MFA_NONE,           /* nothing in the condition requires MFA */
    IA_POLICY_MFA_REQUIRED,       /* MFA required for every caller */
    IA_POLICY_MFA_IF_EXISTS_ONLY, /* required only when the key is present: long-term access
                                     keys (where aws:MultiFactorAuthPresent is absent) pass */
};

/*
 * For an Allow statement (conditions are ANDed, so any one clause suffices):
 *   REQUIRED when the condition has
 *     Bool aws:MultiFactorAuthPresent "true" (or true, or an array all of true), or
 *     NumericLessThan / NumericLessThanEquals aws:MultiFactorAuthAge (any bound), or
 *     Null aws:MultiFactorAuthAge "false" (the key is present only after MFA);
 *     a ForAnyValue: prefix reads as the plain operator;
 *   IF_EXISTS_ONLY when the only MFA clauses are the ...IfExists forms of the above (or the
 *     ForAllValues: forms, which are also true when the key is absent);
 *   NONE otherwise (including Bool aws:MultiFactorAuthPresent "false").
 * REQUIRED wins over IF_EXISTS_ONLY when both are present.
 */
enum ia_policy_mfa ia_policy_condition_requires_mfa(const char *cond_json);

/*
 * For a Deny statement: does this Deny enforce MFA on what it covers? The standard form
 *   Deny ... "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}
 * denies every request without MFA, including long-term keys (key absent): REQUIRED. So do
 * NumericGreaterThan(Equals)IfExists aws:MultiFactorAuthAge and Null aws:MultiFactorAuthAge
 * "true". The forms without IfExists (Bool ... "false", NumericGreaterThan ...) do not fire
 * when the key is absent, so long-term keys pass: IF_EXISTS_ONLY.
 * Conservative: the condition must consist of exactly that one clause (one operator, one
 * key); any further clause narrows when the Deny applies, so the answer is then NONE.
 * Whether the Deny's principals and actions cover a given Allow is for the caller to decide.
 */
enum ia_policy_mfa ia_policy_deny_requires_mfa(const char *cond_json);

/* Narrowing keys found by ia_policy_condition_pins. */
enum ia_policy_pin {
    IA_POLICY_PIN_PRINCIPAL_ORG_ID = 1u << 0,    /* aws:PrincipalOrgID */
    IA_POLICY_PIN_PRINCIPAL_ACCOUNT = 1u << 1,   /* aws:PrincipalAccount */
    IA_POLICY_PIN_PRINCIPAL_ARN = 1u << 2,       /* aws:PrincipalArn */
    IA_POLICY_PIN_SOURCE_ACCOUNT = 1u << 3,      /* aws:SourceAccount */
    IA_POLICY_PIN_SOURCE_ARN = 1u << 4,          /* aws:SourceArn */
    IA_POLICY_PIN_EXTERNAL_ID = 1u << 5,         /* sts:ExternalId */
    IA_POLICY_PIN_PRINCIPAL_ORG_PATHS = 1u << 6, /* aws:PrincipalOrgPaths */
    IA_POLICY_PIN_USERID = 1u << 7,              /* aws:userid */
    IA_POLICY_PIN_USERNAME = 1u << 8,            /* aws:username */
};

/*
 * Which narrowing keys does an Allow statement's Condition pin to a concrete value? Returns
 * an OR of enum ia_policy_pin (0 for NULL, invalid JSON or no pins); it cannot fail.
 * A key counts when it appears under a positive operator (StringEquals,
 * StringEqualsIgnoreCase, StringLike, ArnEquals, ArnLike, or one of those with a ForAnyValue:
 * prefix) and every value is concrete: a non-empty string or a number, without '*' or '?' —
 * except that aws:PrincipalArn / aws:SourceArn values may have wildcards in the resource part
 * when partition, service, region and a 12-digit account are literal
 * ("arn:aws:iam::111122223333:role/team-*"), aws:PrincipalOrgPaths values may have them after
 * the organisation id ("o-abc/r-ab12/ou-*"), and aws:userid values after a literal unique id
 * and ':' ("AROAEXAMPLEID:*", any session of one role). Not counted: ...IfExists and ForAllValues:
 * forms (true when the key is absent), negated operators, and Deny-based narrowing.
 */
unsigned ia_policy_condition_pins(const char *cond_json);

/*
 * The values an Allow statement's Condition requires of key (matched case-insensitively)
 * under a positive string operator: StringEquals, StringEqualsIgnoreCase or StringLike, with
 * or without a ForAnyValue: prefix (not the ...IfExists or ForAllValues: forms, which are
 * true when the key is absent). Values are returned as written, wildcards kept; integers as
 * decimal text; other JSON values are skipped. Values from several clauses are returned
 * together. Returns a new NULL-terminated array (free with ia_policy_strv_free; possibly
 * empty when the key is only given non-string values), or NULL when no such clause names the
 * key (also for NULL or invalid JSON).
 */
char **ia_policy_condition_values(const char *cond_json, const char *key);

/* Free a NULL-terminated array of new strings. NULL-safe. */
void ia_policy_strv_free(char **v);

/* ---- Permission policies ------------------------------------------------------------------- */

/* One statement of a permission policy. Every pointer is owned by the enclosing ia_policy. */
struct ia_policy_statement {
    size_t index; /* 0-based position in the document's Statement list */
    char *sid;    /* or NULL */
    enum ia_policy_effect effect;
    int not_action; /* 1: actions lists NotAction patterns */
    char **actions; /* n_actions patterns as written, e.g. "ssm:Get*" */
    size_t n_actions;
    int not_resource; /* 1: resources lists NotResource patterns */
    char **resources; /* n_resources patterns (0 when neither element is present) */
    size_t n_resources;
    char *condition; /* compact JSON with sorted keys, or NULL when no Condition */
};

struct ia_policy {
    struct ia_policy_statement *statements; /* usable statements, in document order; a
                                               statement without a valid Effect or that is not
                                               an object is left out (and is a problem) */
    size_t n_statements;
    struct ia_policy_problem *problems;
    size_t n_problems;
};

/*
 * Parse a permission policy (raw or URL-encoded, len bytes). On success *out is new (free
 * with ia_policy_free). Errors as for ia_policy_trust_rows; *out untouched on failure.
 * A Principal/NotPrincipal element (resource policies) is accepted and ignored.
 */
IA_MUST_USE enum ia_code ia_policy_parse(const char *doc, size_t len, struct ia_policy **out,
                                         struct ia_err *err);

/* NULL-safe. */
void ia_policy_free(struct ia_policy *policy);

/* ---- Side effects -------------------------------------------------------------------------- */

enum ia_side_effect_kind {
    IA_SIDE_EFFECT_WRITE,     /* an action AWS classes Write, Permissions management or Tagging */
    IA_SIDE_EFFECT_SENSITIVE, /* a sensitive read (the project's list) */
};

/* One piece of evidence. Strings are owned by the enclosing report. */
struct ia_side_effect {
    size_t doc_index;       /* index into the docs array */
    size_t statement_index; /* 0-based position in that document's Statement list */
    enum ia_side_effect_kind kind;
    int not_action;    /* 1: the Allow used NotAction; pattern is then the compact JSON
                          array of its NotAction patterns */
    char *pattern;     /* the Allow's action pattern as written, e.g. "ssm:Describe*" */
    char *matched;     /* the granted action as AWS spells it, e.g. "ssm:DescribeParameters" */
    const char *level; /* its AWS access level ("Write", "Read", ...); static */
};

struct ia_side_effect_report {
    struct ia_side_effect *items; /* at most IA_POLICY_MAX_SIDE_EFFECTS: side effects first,
                                     then sensitive reads, each in document order */
    size_t n_items;
    size_t n_total;      /* items found; > n_items when the list was truncated */
    int deny_incomplete; /* always 0 since Denies are checked per catalogue action; kept
                            for readers of older evidence */
};

/*
 * Decide whether the union of n_docs permission policies (each NUL-terminated, raw or
 * URL-encoded) lets a holder do anything with side effects or read secrets. The answer is
 * "yes" exactly when out->n_total > 0 after IA_OK.
 *
 * Semantics: every action is classified by AWS's catalogue (core/actions.h, the Service
 * Authorization Reference), not by its verb.
 *  - Every Allow statement counts, whatever its Resource/NotResource (a kms:Decrypt on one key
 *    still reads that key's secrets) and whatever its Condition (we cannot evaluate it).
 *  - Each Allow action pattern is expanded against the catalogue (case-insensitively; an
 *    action AWS does not publish grants nothing); an Allow with NotAction grants every
 *    catalogue action none of its patterns matches (pattern is then the NotAction list as
 *    compact JSON, not_action 1).
 *  - Each granted action is one item: WRITE when AWS classes it Write, Permissions
 *    management or Tagging; SENSITIVE when it is on the project's list of sensitive reads
 *    (ssm:GetParameter, ssm:GetParameters, ssm:GetParametersByPath,
 *    ssm:GetParameterHistory, ssm:DescribeParameters, secretsmanager:GetSecretValue,
 *    secretsmanager:BatchGetSecretValue, kms:Decrypt, kms:GenerateDataKey,
 *    redshift:GetClusterCredentials, lightsail:GetInstanceAccessDetails, sts:AssumeRole,
 *    iam:PassRole); other reads and lists are not items.
 *  - Explicit Deny in any of the documents is honoured per action, but only from a Deny
 *    without a Condition (a conditional Deny may not apply) whose Resource covers every
 *    resource ("*" or "arn:*"; NotResource cancels nothing): it removes the actions its
 *    Action patterns match (with NotAction: those none of them match).
 *
 * On success fills *out (caller's storage; release with ia_policy_side_effect_report_release)
 * and returns IA_OK. If any document fails to parse, returns its error with "policy N: "
 * prefixed (N the index in docs) and leaves *out untouched. Statement-level problems in the
 * documents are ignored here (ia_policy_parse reports them).
 */
IA_MUST_USE enum ia_code ia_policy_side_effects(const char *const *docs, size_t n_docs,
                                                struct ia_side_effect_report *out,
                                                struct ia_err *err);

/* Whether an action is of the kind asked about (ia_policy_grants). */
typedef int (*ia_policy_action_pred)(void *ctx, const char *action, enum ia_access_level level);

/*
 * As ia_policy_side_effects, for any kind of action: every catalogue action the Allows grant
 * (Denies honoured as there) for which pred returns non-zero is an item (kind WRITE when
 * AWS classes it as changing something, else SENSITIVE). E.g. IAM administration:
 * ia_action_is_iam_admin.
 */
IA_MUST_USE enum ia_code ia_policy_grants_matching(const char *const *docs, size_t n_docs,
                                                   ia_policy_action_pred pred, void *pred_ctx,
                                                   struct ia_side_effect_report *out,
                                                   struct ia_err *err);

/*
 * The Allow action patterns of doc (raw or URL-encoded) that match no action in AWS's
 * catalogue (a typo, a retired action): they grant nothing. *out is a new array of new
 * strings (free each, then the array), *n_out its length; IA_ERR_PARSE for a bad document.
 */
IA_MUST_USE enum ia_code ia_policy_unknown_actions(const char *doc, char ***out, size_t *n_out,
                                                   struct ia_err *err);

/* Free everything report holds and zero it. NULL-safe; safe on a zeroed struct. */
void ia_policy_side_effect_report_release(struct ia_side_effect_report *report);

/*
 * A last-resort scan of a trust policy that could not be parsed (too large, too deep, not
 * JSON): does any "Principal" or "NotPrincipal" value (a string, or anywhere inside its
 * object or arrays) hold the string "*"? text may be raw or URL-encoded (decoded on the fly
 * as ia_policy_decode would); JSON string escapes are decoded (so "\u002a" is "*"), keys
 * are matched case-insensitively. Linear in len, no allocation, no limit on size or depth;
 * a document that ends mid-way is read up to there. Returns 1 or 0 (also for NULL).
 */
int ia_policy_raw_wildcard_principal(const char *text, size_t len);

/* ---- Grants -------------------------------------------------------------------------------- */

/* One Allow statement that grants an action. The pattern is owned by the enclosing list. */
struct ia_policy_grant {
    size_t doc_index;       /* index into the policies array */
    size_t statement_index; /* 0-based position in that document's Statement list */
    int not_action;         /* 1: granted through NotAction; pattern is then its JSON list */
    char *pattern;          /* the Action pattern that matched, as written */
};

struct ia_policy_grants {
    struct ia_policy_grant *items; /* in document order */
    size_t n;
};

/*
 * Which Allow statements of n_pols parsed permission policies grant action (e.g.
 * "iam:PassRole"), with the wildcard and Deny semantics of ia_policy_side_effects: a pattern
 * grants the action when it glob-matches it (an Allow with NotAction: when none of its
 * patterns does); an unconditional Deny on every resource whose Action matches it (NotAction:
 * does not) cancels every grant. Allow conditions are not evaluated (conservative: they may
 * hold). resource NULL: any Resource counts; otherwise the statement's Resource must match it
 * (NotResource: must not), and a statement without either element counts. Fills *out
 * (caller's storage, release with ia_policy_grants_release); n 0 when nothing grants it.
 */
void ia_policy_grants(const struct ia_policy *const *pols, size_t n_pols, const char *action,
                      const char *resource, struct ia_policy_grants *out);

/* Free everything grants holds and zero it. NULL-safe. */
void ia_policy_grants_release(struct ia_policy_grants *grants);

#endif
