/* Organizations actions (AWS JSON 1.1). */
#ifndef IA_COLLECTOR_ORG_API_H
#define IA_COLLECTOR_ORG_API_H

#include <stddef.h>

#include "collector/aws.h"

struct ia_org_account {
    char id[16];
    char name[256];
    char state[32]; /* State (ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED), else the
                       retired Status; "" when the answer had neither */
    char email[256];
};

/*
 * organizations:ListAccounts, all pages, with c's credentials. *out is new (free with
 * ia_org_accounts_free). IA_ERR_PARSE for a malformed page, with the page number.
 */
IA_MUST_USE enum ia_code ia_org_list_accounts(struct ia_aws_client *c, struct ia_org_account **out,
                                              size_t *n_out, struct ia_err *err);
/* Assume role_arn with caller (external_id may be NULL), then list the accounts. */
IA_MUST_USE enum ia_code ia_org_discover(struct ia_aws_client *caller, const char *role_arn,
                                         const char *external_id, const char *session_name,
                                         struct ia_org_account **out, size_t *n_out,
                                         struct ia_err *err);
void ia_org_accounts_free(struct ia_org_account *a, size_t n);

#endif
