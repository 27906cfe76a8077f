/*
 * iam-audit's own identities (issue 19.1): the audit role of every account and the runner
 * that assumes it are machinery, not people or human roles. ia_an_own decides, from the
 * configuration alone, whether an ARN is one of them; ia_an_emit drops the people/human-role
 * findings about them; audit-role-broader and audit-runner-broader check instead that they are no
 * broader than the least-privilege policy and trust of docs/permissions.md (audit-role-broader,
 * audit-runner-broader).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyser/internal.h"
#include "core/glob.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/policy.h"

/* docs/permissions.md, "Permissions policy (least privilege)". Keep the two in step. */
static const char *const s_audit_actions[] = {
    "iam:GetAccountAuthorizationDetails",
    "iam:ListRoles",
    "iam:ListAccountAliases",
    "iam:GetAccountPasswordPolicy",
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:ListVirtualMFADevices",
    "iam:ListMFADevices",
    "iam:ListAccessKeys",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    NULL,
};
/* The audit role's trust may let its runner do these, and nothing else. */
static const char *const s_trust_actions[] = { "sts:AssumeRole", "sts:TagSession",
                                               "sts:SetSourceIdentity", NULL };

/* Findings that treat a principal as a person or a role as a human role. */
static const char *const s_role_exempt[] = {
    "trust-no-mfa", "trust-mfa-if-exists",        "role-name-nonstandard",
    "role-unused",  "readonly-role-side-effects", NULL
};
static const char *const s_user_exempt[] = { "user-no-mfa",         "mfa-device-name-prefix",
                                             "user-name-not-email", "user-not-in-group",
                                             "team-account-user",   "user-not-in-roster",
                                             "user-inactive",       NULL };

static int
in_list(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (strcasecmp(list[i], s) == 0)
            return 1;
    return 0;
}

/* Split "arn:P:iam::ACCT:(user|role)/[path/]NAME": kind 'u'/'r', account, name (borrowed). */
static int
split_arn(const char *arn, char *kind, char acct[13], const char **name)
{
    const char *p = arn ? strstr(arn, ":iam::") : NULL;
    if (!p || strncmp(arn, "arn:", 4) != 0 || strlen(p + 6) < 14 || p[18] != ':')
        return -1;
    memcpy(acct, p + 6, 12);
    acct[12] = '\0';
    const char *rest = p + 19;
    if (strncmp(rest, "role/", 5) == 0)
        *kind = 'r';
    else if (strncmp(rest, "user/", 5) == 0)
        *kind = 'u';
    else
        return -1;
    *name = strrchr(rest, '/') + 1;
    return **name ? 0 : -1;
}

/* Same principal: kind, account and name (paths aside: a config ARN may omit the path). */
static int
same_principal(const char *a, const char *b)
{
    char ka, kb, aa[13], ab[13];
    const char *na, *nb;
    if (split_arn(a, &ka, aa, &na) != 0 || split_arn(b, &kb, ab, &nb) != 0)
        return 0;
    return ka == kb && strcmp(aa, ab) == 0 && strcmp(na, nb) == 0;
}

enum ia_own_kind
ia_an_own(const struct ia_an_ctx *ctx, const char *arn)
{
    const struct ia_config *cfg = ctx->cfg;
    char kind, acct[13];
    const char *name;
    if (!cfg || split_arn(arn, &kind, acct, &name) != 0)
        return IA_OWN_NONE;
    if (cfg->runner && same_principal(cfg->runner, arn))
        return IA_OWN_RUNNER;
    if (kind != 'r')
        return IA_OWN_NONE;
    if (cfg->role_name && strcmp(name, cfg->role_name) == 0)
        return IA_OWN_AUDIT_ROLE;
    const char *explicit[] = { cfg->base_role_arn, cfg->org_role_arn };
    for (size_t i = 0; i < IA_ARRAY_LEN(explicit); i++)
        if (explicit[i] && same_principal(explicit[i], arn))
            return IA_OWN_AUDIT_ROLE;
    for (size_t i = 0; i < cfg->n_accounts; i++)
        if (cfg->accounts[i].role_arn && same_principal(cfg->accounts[i].role_arn, arn))
            return IA_OWN_AUDIT_ROLE;
    return IA_OWN_NONE;
}

int
ia_an_own_exempt(const struct ia_an_ctx *ctx, const char *rule_id, const char *resource)
{
    int role_rule = in_list(s_role_exempt, rule_id), user_rule = in_list(s_user_exempt, rule_id);
    if (!role_rule && !user_rule)
        return 0;
    enum ia_own_kind k = ia_an_own(ctx, resource);
    return k != IA_OWN_NONE &&
           ((role_rule && strstr(resource, ":role/")) || (user_rule && strstr(resource, ":user/")));
}

/* ---- least privilege ----------------------------------------------------------------------- */

/* The documents of a role's or user's policies (a user's groups included). */
static enum ia_code
policy_docs(struct ia_an_ctx *ctx, const char *account, char kind, const char *name, json_t *docs,
            json_t *problems, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    struct {
        char *kind, *name, *arn, *doc;
    } *rows = NULL;
    size_t n = 0, alloc = 0;
    enum ia_code rc = IA_ERR_DB;
    if (ia_db_prepare(ctx->db, "own_policies", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    ia_db_bind_text(st, ":account_id", account);
    ia_db_bind_text(st, ":kind", kind == 'r' ? "role" : "user");
    ia_db_bind_text(st, ":name", name);
    while ((r = ia_db_step(st, err)) == 1) {
        rows = ia_xgrow(rows, n + 1, &alloc, sizeof(*rows));
        const char *v[4];
        for (int c = 0; c < 4; c++)
            v[c] = ia_db_col_text(st, c);
        rows[n].kind = ia_xstrdup(v[0] ? v[0] : "");
        rows[n].name = ia_xstrdup(v[1] ? v[1] : "");
        rows[n].arn = v[2] ? ia_xstrdup(v[2]) : NULL;
        rows[n].doc = v[3] ? ia_xstrdup(v[3]) : NULL;
        n++;
    }
    ia_db_reset(st);
    if (r < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const char *doc = rows[i].doc;
        char *fetched = NULL;
        if (!doc && rows[i].arn) {
            if (ia_an_attached_doc(ctx, rows[i].arn, &fetched, err) != IA_OK)
                goto out;
            doc = fetched;
        }
        const char *label = rows[i].arn ? rows[i].arn : rows[i].name;
        if (doc)
            json_array_append_new(docs, json_pack("{s:s, s:s}", "policy", label, "doc", doc));
        else
            json_array_append_new(problems, json_pack("{s:s, s:s}", "policy", label, "problem",
                                                      "document not in this run: cannot show "
                                                      "it is least privilege"));
        free(fetched);
    }
    rc = IA_OK;
out:
    for (size_t i = 0; i < n; i++) {
        free(rows[i].kind);
        free(rows[i].name);
        free(rows[i].arn);
        free(rows[i].doc);
    }
    free(rows);
    return rc;
}

/* Whether a sts:AssumeRole Resource pattern only reaches audit roles. */
static int
audit_role_resource(const struct ia_an_ctx *ctx, const char *pattern)
{
    const char *r = strstr(pattern, ":role/");
    if (!r || !ctx->cfg->role_name)
        return 0;
    const char *name = strrchr(r, '/') + 1;
    return !strchr(name, '*') && !strchr(name, '?') &&
           (strcmp(name, ctx->cfg->role_name) == 0 || ia_an_own(ctx, pattern) == IA_OWN_AUDIT_ROLE);
}

/* Every Allow statement of docs checked against what the identity may do; into problems. */
static void
check_permissions(struct ia_an_ctx *ctx, json_t *docs, int runner, json_t *problems)
{
    size_t i;
    json_t *d;
    json_array_foreach(docs, i, d)
    {
        const char *label = json_string_value(json_object_get(d, "policy"));
        const char *doc = json_string_value(json_object_get(d, "doc"));
        struct ia_policy *pol = NULL;
        struct ia_err perr;
        if (ia_policy_parse(doc, strlen(doc), &pol, &perr) != IA_OK) {
            json_array_append_new(
                problems, json_pack("{s:s, s:s}", "policy", label, "problem", "unreadable policy"));
            continue;
        }
        for (size_t s = 0; s < pol->n_statements; s++) {
            const struct ia_policy_statement *st = &pol->statements[s];
            if (st->effect != IA_POLICY_ALLOW)
                continue;
            if (st->not_action) {
                json_array_append_new(problems,
                                      json_pack("{s:s, s:I, s:s}", "policy", label, "statement",
                                                (json_int_t)st->index, "problem",
                                                "Allow with NotAction allows nearly everything"));
                continue;
            }
            for (size_t a = 0; a < st->n_actions; a++) {
                const char *act = st->actions[a];
                int ok;
                if (runner) {
                    ok = strcasecmp(act, "sts:GetCallerIdentity") == 0;
                    if (strcasecmp(act, "sts:AssumeRole") == 0) {
                        ok = st->n_resources > 0 && !st->not_resource;
                        for (size_t r = 0; ok && r < st->n_resources; r++)
                            ok = audit_role_resource(ctx, st->resources[r]);
                    }
                } else {
                    ok = in_list(s_audit_actions, act) ||
                         (strcasecmp(act, "organizations:ListAccounts") == 0 &&
                          ctx->cfg->org_role_arn);
                }
                if (!ok)
                    json_array_append_new(
                        problems, json_pack("{s:s, s:I, s:s, s:s}", "policy", label, "statement",
                                            (json_int_t)st->index, "action", act, "problem",
                                            runner ? "the runner needs only sts:AssumeRole on "
                                                     "the audit roles"
                                                   : "not in the documented read-only list"));
            }
        }
        ia_policy_free(pol);
    }
}

/* The audit role's trust: only the runner (when declared), only AssumeRole. Its rows are read
 * here, by an indexed query: the trust pass's window is another account's, or none. */
static enum ia_code
check_trust(struct ia_an_ctx *ctx, const char *account, const char *role, json_t *problems,
            struct ia_err *err)
{
    size_t n;
    struct ia_an_trust *t;
    if (ia_an_role_trusts_read(ctx, account, role, &t, &n, err) != IA_OK)
        return IA_ERR_DB;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].effect, "Allow") != 0)
            continue;
        const char *why = NULL;
        if (t[i].not_principal)
            why = "Allow with NotPrincipal trusts nearly everyone";
        else if (strcmp(t[i].principal_kind, "AWS") != 0)
            why = "trusts a non-AWS principal";
        else if (ctx->cfg->runner && !same_principal(ctx->cfg->runner, t[i].principal))
            why = "trusts a principal other than [audit] runner";
        else if (!ctx->cfg->runner && strcmp(t[i].principal_type, "user") != 0 &&
                 strcmp(t[i].principal_type, "role") != 0)
            why = "trusts more than one named user or role (set [audit] runner to check it "
                  "names the runner)";
        if (!why && t[i].actions) {
            json_t *acts = json_loads(t[i].actions, 0, NULL);
            size_t k;
            json_t *v;
            if (t[i].not_action || !json_is_array(acts))
                why = "trust Action is NotAction or unreadable";
            json_array_foreach(acts, k, v)
            {
                if (!why &&
                    (!json_string_value(v) || !in_list(s_trust_actions, json_string_value(v))))
                    why = "trust allows more than sts:AssumeRole";
            }
            json_decref(acts);
        }
        if (why)
            json_array_append_new(problems, json_pack("{s:I, s:s, s:s}", "statement",
                                                      (json_int_t)t[i].statement_index, "principal",
                                                      t[i].principal, "problem", why));
    }
    free(t);
    return IA_OK;
}

static enum ia_code
check_identity(struct ia_an_ctx *ctx, const struct ia_rule *rule, const char *account,
               const char *arn, char kind, const char *name, enum ia_own_kind own, int password,
               struct ia_err *err)
{
    json_t *docs = json_array(), *problems = json_array();
    enum ia_code rc = policy_docs(ctx, account, kind, name, docs, problems, err);
    if (rc != IA_OK)
        goto out;
    check_permissions(ctx, docs, own == IA_OWN_RUNNER, problems);
    if (own == IA_OWN_AUDIT_ROLE && (rc = check_trust(ctx, account, name, problems, err)) != IA_OK)
        goto out;
    if (own == IA_OWN_RUNNER && password)
        json_array_append_new(problems, json_pack("{s:s}", "problem",
                                                  "the runner has a console password; it "
                                                  "needs access keys (or a role) only"));
    if (json_array_size(problems)) {
        size_t n = json_array_size(problems);
        json_t *ev = json_pack("{s:s, s:O, s:s}", "identity", arn, "problems", problems,
                               "documented", "docs/permissions.md");
        if (own == IA_OWN_AUDIT_ROLE)
            ia_an_emit(ctx, rule, rule->severity, account, arn, NULL, ev,
                       "iam-audit's audit role %s is broader than docs/permissions.md (%zu "
                       "problem%s)",
                       name, n, n == 1 ? "" : "s");
        else
            ia_an_emit(ctx, rule, rule->severity, account, arn, NULL, ev,
                       "iam-audit's runner %s is broader than docs/permissions.md (%zu "
                       "problem%s)",
                       name, n, n == 1 ? "" : "s");
    }
out:
    json_decref(docs);
    json_decref(problems);
    return rc;
}

/* One of the two rules: the identities of kind `only` checked against the documented set-up. */
static enum ia_code
own_rule(struct ia_an_ctx *ctx, const struct ia_rule *rule, enum ia_own_kind only,
         struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    struct {
        char *account, *arn, *name;
        char kind;
        enum ia_own_kind own;
        int password;
    } *ids = NULL;
    size_t n = 0, alloc = 0;
    enum ia_code rc = IA_ERR_DB;

    /* The roles are in memory already (ctx->roles); users are read here, the credential
     * report's root row included (a runner could name it). */
    for (size_t i = 0; i < ctx->n_roles; i++) {
        const struct ia_an_role *ro = &ctx->roles[i];
        enum ia_own_kind own = ia_an_own(ctx, ro->arn);
        if (own != only)
            continue;
        ids = ia_xgrow(ids, n + 1, &alloc, sizeof(*ids));
        ids[n].account = ia_xstrdup(ro->account);
        ids[n].arn = ia_xstrdup(ro->arn);
        ids[n].name = ia_xstrdup(ro->name);
        ids[n].kind = 'r';
        ids[n].own = own;
        ids[n].password = 0;
        n++;
    }
    if (ia_db_prepare(ctx->db, "own_users", &st, err) != IA_OK)
        goto out;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    while ((r = ia_db_step(st, err)) == 1) {
        const char *arn = ia_db_col_text(st, 1);
        enum ia_own_kind own = ia_an_own(ctx, arn);
        if (own != only)
            continue;
        ids = ia_xgrow(ids, n + 1, &alloc, sizeof(*ids));
        ids[n].account = ia_xstrdup(ia_db_col_text(st, 0));
        ids[n].arn = ia_xstrdup(arn);
        ids[n].name = ia_xstrdup(ia_db_col_text(st, 2));
        ids[n].kind = 'u';
        ids[n].own = own;
        ids[n].password = (int)ia_db_col_int(st, 3) == 1;
        n++;
    }
    ia_db_reset(st);
    if (r < 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        if ((rc = check_identity(ctx, rule, ids[i].account, ids[i].arn, ids[i].kind, ids[i].name,
                                 ids[i].own, ids[i].password, err)) != IA_OK)
            goto out;
    rc = IA_OK;
out:
    for (size_t i = 0; i < n; i++) {
        free(ids[i].account);
        free(ids[i].arn);
        free(ids[i].name);
    }
    free(ids);
    return rc;
}

enum ia_code
ia_rule_audit_role_broader(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    return own_rule(ctx, rule, IA_OWN_AUDIT_ROLE, err);
}

enum ia_code
ia_rule_audit_runner_broader(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    return own_rule(ctx, rule, IA_OWN_RUNNER, err);
}
