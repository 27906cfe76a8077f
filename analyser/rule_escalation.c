/*
 * role-privilege-escalation: a non-admin role people assume whose policies allow a known way
 * to admin (the list is s_escalations below; docs/rules.md explains each).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyser/internal.h"
#include "core/glob.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/policy.h"

/*
 * Known ways from IAM permissions to admin: the one list, so that a fuller catalogue (AWS's
 * action list, PMapper's or Prowler's) can replace it in one place. Every action of an entry
 * must be allowed. An entry with a service runs code as a role passed to it: iam:PassRole
 * must then be allowed on a role of the same account that trusts that service and is
 * admin-capable (see passable). sts:AssumeRole on an admin role is checked apart: it depends
 * on the admin role's trust.
 */
static const struct escalation {
    const char *name;
    const char *action;  /* the action besides iam:PassRole */
    const char *service; /* the service a passed role must trust, or NULL: no iam:PassRole */
    const char *how;
} s_escalations[] = {
    { "iam:CreatePolicyVersion", "iam:CreatePolicyVersion", NULL,
      "write a new default version of a policy attached to itself" },
    { "iam:SetDefaultPolicyVersion", "iam:SetDefaultPolicyVersion", NULL,
      "switch a policy attached to itself to a broader old version" },
    { "iam:AttachUserPolicy", "iam:AttachUserPolicy", NULL,
      "attach AdministratorAccess to a user" },
    { "iam:AttachGroupPolicy", "iam:AttachGroupPolicy", NULL,
      "attach AdministratorAccess to a group" },
    { "iam:AttachRolePolicy", "iam:AttachRolePolicy", NULL,
      "attach AdministratorAccess to a role, itself included" },
    { "iam:PutUserPolicy", "iam:PutUserPolicy", NULL, "write an admin inline policy on a user" },
    { "iam:PutGroupPolicy", "iam:PutGroupPolicy", NULL, "write an admin inline policy on a group" },
    { "iam:PutRolePolicy", "iam:PutRolePolicy", NULL,
      "write an admin inline policy on a role, itself included" },
    { "iam:UpdateAssumeRolePolicy", "iam:UpdateAssumeRolePolicy", NULL,
      "let itself assume an admin role by rewriting its trust" },
    { "iam:CreateAccessKey", "iam:CreateAccessKey", NULL, "create keys for another (admin) user" },
    { "iam:CreateLoginProfile", "iam:CreateLoginProfile", NULL,
      "set a console password for another (admin) user" },
    { "iam:UpdateLoginProfile", "iam:UpdateLoginProfile", NULL,
      "change another (admin) user's console password" },
    { "iam:AddUserToGroup", "iam:AddUserToGroup", NULL, "add a user to an admin group" },
    { "iam:PassRole+lambda:CreateFunction", "lambda:CreateFunction", "lambda.amazonaws.com",
      "run code as an admin-capable role in a Lambda function" },
    { "iam:PassRole+ec2:RunInstances", "ec2:RunInstances", "ec2.amazonaws.com",
      "run code as an admin-capable role on an EC2 instance" },
    { "iam:PassRole+cloudformation:CreateStack", "cloudformation:CreateStack",
      "cloudformation.amazonaws.com",
      "have CloudFormation create resources as an admin-capable role" },
    { "iam:PassRole+glue:CreateDevEndpoint", "glue:CreateDevEndpoint", "glue.amazonaws.com",
      "run code as an admin-capable role on a Glue endpoint" },
    { "iam:PassRole+ecs:RunTask", "ecs:RunTask", "ecs-tasks.amazonaws.com",
      "run a container as an admin-capable role" },
    { "iam:PassRole+codebuild:CreateProject", "codebuild:CreateProject", "codebuild.amazonaws.com",
      "run a build as an admin-capable role" },
    { "iam:PassRole+sagemaker:CreateNotebookInstance", "sagemaker:CreateNotebookInstance",
      "sagemaker.amazonaws.com", "run a notebook as an admin-capable role" },
};

/*
 * What the escalation checks need of the trust rows, gathered by the trust pass (analyse.c)
 * account by account (ia_an_escalation_gather), since the rows are never all held at once.
 * Strings are the analysis's pooled ones: they outlive each window of rows.
 */
struct ia_an_esc {
    struct svc_trust {
        size_t role;         /* index into ctx->roles */
        const char *service; /* pooled */
    } * svc;                 /* every role's Allow for a Service, by (account, role) */
    size_t n_svc, alloc_svc;
    struct admin_trust {
        const char *key; /* who the admin role lets in: an account id, an ARN, or "*" */
        size_t admin;    /* index into ctx->roles */
    } * in;              /* sorted by key (case-insensitive) once the pass is over */
    size_t n_in, alloc_in;
    int sorted;
};

/* What the escalation checks share across roles: computed once per analysis. */
struct esc_state {
    const char *admin_pat;
    int *capable; /* per role: -1 not yet known, 0/1 admin-capable */
    const struct svc_trust *svc;
    size_t n_svc;
    const struct admin_trust *in;
    size_t n_in;
};

static int
cmp_admin_trust(const void *a, const void *b)
{
    const struct admin_trust *x = a, *y = b;
    int c = strcasecmp(x->key, y->key);
    return c ? c : (x->admin > y->admin) - (x->admin < y->admin);
}

/* A role's permission policies, parsed; names[i] is where pols[i] came from. */
struct parsed {
    struct ia_an_policy_docs pd;
    struct ia_policy **pols;
    size_t n;
};

static void
parsed_release(struct parsed *p)
{
    for (size_t i = 0; i < p->n; i++)
        ia_policy_free(p->pols[i]);
    free(p->pols);
    ia_an_policy_docs_release(&p->pd);
    memset(p, 0, sizeof(*p));
}

static enum ia_code
parse_role(struct ia_an_ctx *ctx, const struct ia_an_role *ro, struct parsed *out,
           struct ia_err *err)
{
    memset(out, 0, sizeof(*out));
    if (ia_an_role_policies(ctx, ro, 1, &out->pd, err) != IA_OK)
        return IA_ERR_DB;
    out->pols = ia_xcalloc(out->pd.n ? out->pd.n : 1, sizeof(*out->pols));
    for (size_t i = 0; i < out->pd.n; i++) {
        struct ia_err perr;
        /* A policy that cannot be parsed is unread: its grants are unknown. */
        if (ia_policy_parse(out->pd.docs[i], strlen(out->pd.docs[i]), &out->pols[out->n], &perr) !=
            IA_OK) {
            json_array_append_new(out->pd.unread, json_string(out->pd.names[i]));
            continue;
        }
        if (out->n != i) { /* keep names aligned with the parsed policies */
            char *name = out->pd.names[out->n];
            out->pd.names[out->n] = out->pd.names[i];
            out->pd.names[i] = name;
        }
        out->n++;
    }
    return IA_OK;
}

static const struct ia_policy *const *
cpols(const struct parsed *p)
{
    return (const struct ia_policy *const *)p->pols;
}

/* The statements that grant one action, as evidence; *every_resource set when one grants it
 * on every resource. */
static json_t *
grants_json(const struct ia_policy_grants *g, const struct parsed *p, int *every_resource)
{
    json_t *a = json_array();
    for (size_t i = 0; i < g->n; i++) {
        const struct ia_policy_grant *it = &g->items[i];
        const struct ia_policy *pol = p->pols[it->doc_index];
        int all = 0;
        for (size_t s = 0; s < pol->n_statements; s++) {
            const struct ia_policy_statement *st = &pol->statements[s];
            if (st->index != it->statement_index || st->not_resource)
                continue;
            all = st->n_resources == 0;
            for (size_t r = 0; r < st->n_resources; r++)
                all |= strcmp(st->resources[r], "*") == 0;
        }
        *every_resource |= all;
        json_array_append_new(a, json_pack("{s:s, s:I, s:s, s:b, s:b}", "policy",
                                           p->pd.names[it->doc_index], "statement",
                                           (json_int_t)it->statement_index, "pattern", it->pattern,
                                           "not_action", it->not_action, "every_resource", all));
    }
    return a;
}

/* Admin-capable: named as an admin role, or its own policies let it attach any policy to a
 * role (AdministratorAccess and "*" included). */
static enum ia_code
admin_capable(struct ia_an_ctx *ctx, struct esc_state *es, size_t idx, int *out, struct ia_err *err)
{
    const struct ia_an_role *t = &ctx->roles[idx];
    struct parsed p;
    struct ia_policy_grants g;
    if (es->capable[idx] >= 0) {
        *out = es->capable[idx];
        return IA_OK;
    }
    *out = ia_glob_match(es->admin_pat, t->name);
    if (*out) {
        es->capable[idx] = 1;
        return IA_OK;
    }
    if (parse_role(ctx, t, &p, err) != IA_OK) {
        parsed_release(&p);
        return IA_ERR_DB;
    }
    ia_policy_grants(cpols(&p), p.n, "iam:AttachRolePolicy", NULL, &g);
    *out = g.n > 0;
    es->capable[idx] = *out;
    ia_policy_grants_release(&g);
    parsed_release(&p);
    return IA_OK;
}

/*
 * The roles of ro's account that trust `service` and are admin-capable, and that ro may pass
 * (iam:PassRole on their ARN): as evidence, or NULL when there are none.
 */
static enum ia_code
passable(struct ia_an_ctx *ctx, struct esc_state *es, const struct ia_an_role *ro,
         const struct parsed *p, const char *service, json_t **out, struct ia_err *err)
{
    /* Service trusts come ordered by account (as the roles): scan this account's only. */
    size_t lo = 0, hi = es->n_svc;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ctx->roles[es->svc[mid].role].account, ro->account) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *out = NULL;
    size_t last = (size_t)-1; /* a role trusting the service twice is listed once */
    for (size_t k = lo;
         k < es->n_svc && strcmp(ctx->roles[es->svc[k].role].account, ro->account) == 0; k++) {
        size_t i = es->svc[k].role;
        const struct ia_an_role *t = &ctx->roles[i];
        struct ia_policy_grants g;
        int capable, every = 0;
        if (t == ro || i == last || strcasecmp(es->svc[k].service, service) != 0)
            continue;
        last = i;
        ia_policy_grants(cpols(p), p->n, "iam:PassRole", t->arn, &g);
        if (g.n == 0) {
            ia_policy_grants_release(&g);
            continue;
        }
        if (admin_capable(ctx, es, i, &capable, err) != IA_OK) {
            ia_policy_grants_release(&g);
            json_decref(*out);
            *out = NULL;
            return IA_ERR_DB;
        }
        if (capable) {
            if (!*out)
                *out = json_array();
            json_array_append_new(*out, json_pack("{s:s, s:o}", "role", t->arn, "allowed_by",
                                                  grants_json(&g, p, &every)));
        }
        ia_policy_grants_release(&g);
    }
    return IA_OK;
}

/* Whether found already lists an escalation to admin role arn. */
static int
reached(json_t *found, const char *arn)
{
    size_t i;
    json_t *v;
    json_array_foreach(found, i, v)
    {
        const char *a = json_string_value(json_object_get(v, "admin_role"));
        if (a && strcmp(a, arn) == 0)
            return 1;
    }
    return 0;
}

static enum ia_code
escalation(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct esc_state *es,
           const struct ia_an_role *ro, struct ia_err *err)
{
    const char *admin_pat = es->admin_pat;
    struct parsed p = { 0 };
    json_t *found = NULL;
    int every = 0;
    enum ia_code rc = IA_ERR_DB;

    if (ia_glob_match(admin_pat, ro->name) || ia_an_is_bootstrap(ctx, ro) ||
        !ia_an_human_assumable(ro))
        return IA_OK;
    if (parse_role(ctx, ro, &p, err) != IA_OK)
        goto out;
    rc = IA_OK;
    if (p.n == 0)
        goto out;
    found = json_array();
    for (size_t e = 0; e < IA_ARRAY_LEN(s_escalations); e++) {
        const struct escalation *x = &s_escalations[e];
        struct ia_policy_grants g;
        json_t *roles = NULL;
        int on_all = 0;
        ia_policy_grants(cpols(&p), p.n, x->action, NULL, &g);
        if (g.n && x->service && passable(ctx, es, ro, &p, x->service, &roles, err) != IA_OK) {
            ia_policy_grants_release(&g);
            rc = IA_ERR_DB;
            goto out;
        }
        if (g.n && (!x->service || roles)) {
            json_t *by = json_object();
            json_object_set_new(by, x->action, grants_json(&g, &p, &on_all));
            json_t *item = json_pack("{s:s, s:s, s:o}", "escalation", x->name, "how", x->how,
                                     "allowed_by", by);
            /* Passing an admin-capable role reaches admin; otherwise the action must be
             * allowed on every resource for nothing to stop it at the role itself. */
            if (roles) {
                json_object_set_new(item, "passable_roles", roles);
                on_all = 1;
            }
            every |= on_all;
            json_array_append_new(found, item);
        }
        ia_policy_grants_release(&g);
    }
    /* sts:AssumeRole on an admin role of an audited account that trusts this role: by its
     * ARN, its account as a whole, or "*". */
    const char *keys[3] = { ro->arn, ro->account, "*" };
    size_t last = (size_t)-1;
    for (size_t q = 0; q < 3; q++) {
        struct admin_trust probe = { keys[q], 0 };
        size_t lo = 0, hi = es->n_in;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (cmp_admin_trust(&es->in[mid], &probe) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t k = lo; k < es->n_in && strcasecmp(es->in[k].key, keys[q]) == 0; k++) {
            const struct ia_an_role *adm = &ctx->roles[es->in[k].admin];
            struct ia_policy_grants g;
            if (adm == ro || es->in[k].admin == last || reached(found, adm->arn))
                continue;
            last = es->in[k].admin;
            ia_policy_grants(cpols(&p), p.n, "sts:AssumeRole", adm->arn, &g);
            if (g.n) {
                int on_all = 0;
                json_t *by = json_object();
                json_object_set_new(by, "sts:AssumeRole", grants_json(&g, &p, &on_all));
                every = 1; /* the admin role itself is reached */
                json_array_append_new(found, json_pack("{s:s, s:s, s:s, s:o}", "escalation",
                                                       "sts:AssumeRole", "how",
                                                       "assume an admin role that trusts it",
                                                       "admin_role", adm->arn, "allowed_by", by));
            }
            ia_policy_grants_release(&g);
        }
    }
    if (json_array_size(found) == 0)
        goto out;
    json_t *ev =
        json_pack("{s:s, s:s, s:O, s:O, s:O}", "role", ro->name, "admin_role_pattern", admin_pat,
                  "escalations", found, "policies", p.pd.list, "unread_policies", p.pd.unread);
    enum ia_severity sev = rule->severity;
    if (every) {
        sev = IA_SEV_CRITICAL;
        json_object_set_new(ev, IA_EV_SEVERITY_REASON,
                            json_string("raised: an escalation is allowed on every resource, "
                                        "or reaches an admin-capable role, so the role can "
                                        "give itself *:*"));
    }
    const char *first = json_string_value(json_object_get(json_array_get(found, 0), "escalation"));
    ia_an_emit(ctx, rule, sev, ro->account, ro->arn, NULL, ev,
               "role %s, which people assume, can escalate to admin (%s%s)", ro->name, first,
               json_array_size(found) > 1 ? " and more" : "");
out:
    json_decref(found);
    parsed_release(&p);
    return rc;
}

static const char *
admin_pattern(const struct ia_an_ctx *ctx)
{
    return ctx->rules->admin_role_pattern ? ctx->rules->admin_role_pattern : "*admin*";
}

void
ia_an_escalation_free(struct ia_an_esc *e)
{
    if (!e)
        return;
    free(e->svc);
    free(e->in);
    free(e);
}

void
ia_an_escalation_gather(struct ia_an_ctx *ctx, size_t role, const struct ia_an_trust *r, size_t n)
{
    const struct ia_an_role *t = &ctx->roles[role];
    if (ia_an_service_linked(t->path))
        return;
    if (!ctx->esc)
        ctx->esc = ia_xcalloc(1, sizeof(*ctx->esc));
    struct ia_an_esc *e = ctx->esc;
    IA_ASSERT(!e->sorted);
    /* Roles a service can assume (the only ones iam:PassRole can hand to it). */
    for (size_t k = 0; k < n; k++) {
        if (strcmp(r[k].effect, "Allow") != 0 || r[k].not_principal ||
            strcmp(r[k].principal_kind, "Service") != 0 || !ia_an_trust_assumes(&r[k]))
            continue;
        e->svc = ia_xgrow(e->svc, e->n_svc + 1, &e->alloc_svc, sizeof(*e->svc));
        e->svc[e->n_svc].role = role;
        e->svc[e->n_svc++].service = r[k].principal;
    }
    /* Whom each admin role lets in, indexed, so each role finds its admins by lookup. */
    if (!ia_glob_match(admin_pattern(ctx), t->name))
        return;
    for (size_t k = 0; k < n; k++) {
        const char *key = NULL;
        if (strcmp(r[k].effect, "Allow") != 0 || r[k].not_principal ||
            (strcmp(r[k].principal_kind, "AWS") != 0 && strcmp(r[k].principal_kind, "*") != 0) ||
            !ia_an_trust_assumes(&r[k]))
            continue;
        if (strcmp(r[k].principal_type, "wildcard") == 0)
            key = "*";
        else if (strcmp(r[k].principal_type, "account-root") == 0 ||
                 strcmp(r[k].principal_type, "account-id") == 0)
            key = r[k].principal_account;
        else if (strcmp(r[k].principal_type, "role") == 0)
            key = r[k].principal;
        if (!key)
            continue;
        e->in = ia_xgrow(e->in, e->n_in + 1, &e->alloc_in, sizeof(*e->in));
        e->in[e->n_in].key = key;
        e->in[e->n_in++].admin = role;
    }
}

enum ia_code
ia_rule_role_privilege_escalation(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                                  struct ia_err *err)
{
    struct esc_state es = { 0 };
    enum ia_code rc = IA_OK;
    es.admin_pat = admin_pattern(ctx);
    if (ctx->esc) {
        /* Gathered in (account, role) order: svc is already by account, as passable() needs. */
        if (!ctx->esc->sorted && ctx->esc->n_in)
            qsort(ctx->esc->in, ctx->esc->n_in, sizeof(*ctx->esc->in), cmp_admin_trust);
        ctx->esc->sorted = 1;
        es.svc = ctx->esc->svc;
        es.n_svc = ctx->esc->n_svc;
        es.in = ctx->esc->in;
        es.n_in = ctx->esc->n_in;
    }
    es.capable = ia_xmalloc((ctx->n_roles ? ctx->n_roles : 1) * sizeof(*es.capable));
    for (size_t i = 0; i < ctx->n_roles; i++)
        es.capable[i] = -1;
    for (size_t i = 0; i < ctx->n_roles && rc == IA_OK; i++)
        if (!ia_an_service_linked(ctx->roles[i].path))
            rc = escalation(ctx, rule, &es, &ctx->roles[i], err);
    free(es.capable);
    return rc;
}
