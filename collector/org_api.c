#include "collector/org_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/json.h"
#include "collector/sts_api.h"
#include "core/mem.h"

#define IA_ORG_MAX_PAGES 10000

void
ia_org_accounts_free(struct ia_org_account *a, size_t n)
{
    (void)n;
    free(a);
}

enum ia_code
ia_org_list_accounts(struct ia_aws_client *c, struct ia_org_account **out, size_t *n_out,
                     struct ia_err *err)
{
    struct ia_org_account *accts = NULL;
    size_t n = 0, alloc = 0;
    char *token = NULL;
    enum ia_code rc = IA_OK;

    for (int page = 1; page <= IA_ORG_MAX_PAGES; page++) {
        struct ia_buf body = IA_BUF_INIT;
        char *req = ia_json_org_list_request(token);
        rc = ia_aws_json(c, IA_SVC_ORGANIZATIONS, "AWSOrganizationsV20161128.ListAccounts", req,
                         &body, err);
        free(req);
        free(token);
        token = NULL;
        if (rc == IA_OK &&
            ia_json_org_accounts_page(body.buf, body.len, &accts, &n, &alloc, &token) != 0)
            rc = ia_err_set(err, IA_ERR_PARSE,
                            "Organizations ListAccounts page %d is not the expected JSON", page);
        ia_buf_release(&body);
        if (rc != IA_OK)
            goto out;
        if (!token)
            break;
    }
    if (token) {
        rc = ia_err_set(err, IA_ERR_PARSE, "Organizations ListAccounts: more than %d pages",
                        IA_ORG_MAX_PAGES);
        goto out;
    }
    *out = accts;
    *n_out = n;
    accts = NULL;
out:
    free(token);
    free(accts);
    return rc;
}

struct org_impl {
    struct ia_aws_client *caller;
    const char *role_arn, *external_id, *session_name;
};

static enum ia_code
org_fetch(void *impl, struct ia_creds *out, struct ia_err *err)
{
    struct org_impl *o = impl;
    struct ia_assume_role_params p = { .role_arn = o->role_arn,
                                       .session_name = o->session_name,
                                       .external_id = o->external_id };
    return ia_sts_assume_role(o->caller, &p, out, err);
}

enum ia_code
ia_org_discover(struct ia_aws_client *caller, const char *role_arn, const char *external_id,
                const char *session_name, struct ia_org_account **out, size_t *n_out,
                struct ia_err *err)
{
    struct org_impl impl = { caller, role_arn, external_id, session_name };
    struct ia_creds_provider *p = ia_creds_provider_new("organization", org_fetch, NULL, &impl);
    struct ia_aws_client c;
    enum ia_code rc =
        ia_aws_client_init(&c, caller->http, p, caller->ep[IA_SVC_STS].signing_region, NULL, err);
    if (rc == IA_OK) {
        /* The same endpoints as the caller's (overrides included). */
        memcpy(c.ep, caller->ep, sizeof(c.ep));
        snprintf(c.label, sizeof(c.label), "organization");
        rc = ia_org_list_accounts(&c, out, n_out, err);
        /* Count these calls with the caller's, so the run record has them. */
        atomic_fetch_add(&caller->stats.calls, atomic_load(&c.stats.calls));
        atomic_fetch_add(&caller->stats.retries, atomic_load(&c.stats.retries));
        atomic_fetch_add(&caller->stats.throttles, atomic_load(&c.stats.throttles));
        ia_aws_client_release(&c);
    }
    ia_creds_provider_free(p);
    if (rc != IA_OK)
        ia_err_prefix(err, "[organization] discover: ");
    return rc;
}
