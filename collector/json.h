/* jansson for the collector: AWS JSON 1.1 error bodies and small field readers. */
#ifndef IA_COLLECTOR_JSON_H
#define IA_COLLECTOR_JSON_H

#include <stddef.h>

/*
 * Recognise an AWS JSON error body ({"__type": "...#Code", "message": "..."}).
 * Returns 1 and fills code/message (truncated to capacity), or 0.
 */
int ia_json_aws_error(const char *body, size_t len, char *code, size_t code_cap, char *message,
                      size_t message_cap);

struct ia_org_account;

/* The body of an Organizations ListAccounts request (new: free()). token may be NULL. */
char *ia_json_org_list_request(const char *next_token);
/*
 * Append the accounts of one ListAccounts page to *accts (grown with ia_xgrow; entries
 * without a 12-digit Id are skipped) and set *next_token (new, or NULL on the last page).
 * Returns 0, or -1 when body is not a ListAccounts page.
 */
int ia_json_org_accounts_page(const char *body, size_t len, struct ia_org_account **accts,
                              size_t *n, size_t *alloc, char **next_token);

/* ia_creds_parse_json (credential JSON of credential_process, ECS and IMDS) is declared
 * in collector/creds_chain.h and lives in json.c with the rest of jansson. */

/* 1 when body is a JSON object (the shape of every AWS JSON 1.1 answer), else 0. */
int ia_json_is_object(const char *body, size_t len);

#endif
