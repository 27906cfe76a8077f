/*
 * policy-unknown-action: an Allow naming an action that is not in AWS's action catalogue
 * (core/actions.h): a typo or a retired action. It grants nothing, and whoever wrote it
 * believes it does. Inline policies of users, groups and roles, and customer-managed
 * policies; AWS's own managed policies are AWS's to fix.
 */
#include <stdlib.h>
#include <string.h>

#include "analyser/internal.h"
#include "core/actions.h"
#include "core/mem.h"
#include "core/policy.h"

/* Columns of analyser_policy_documents. */
enum { P_ACCOUNT, P_RESOURCE, P_KIND, P_OWNER, P_NAME, P_DOC };

static void
check_document(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_db_stmt *st)
{
    const char *doc = ia_db_col_text(st, P_DOC), *resource = ia_db_col_text(st, P_RESOURCE);
    const char *name = ia_db_col_text(st, P_NAME);
    char **unknown = NULL;
    size_t n = 0;
    struct ia_err perr;
    /* An unreadable document is reported by the rules that read it; nothing to add here. */
    if (!doc || ia_policy_unknown_actions(doc, &unknown, &n, &perr) != IA_OK || n == 0) {
        free(unknown);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_string(unknown[i]));
    json_t *ev =
        json_pack("{s:s, s:s, s:o, s:o, s:s}", "policy", name, "kind", ia_db_col_text(st, P_KIND),
                  "attached_to", ia_an_jstr(ia_db_col_text(st, P_OWNER)), "unknown_actions", list,
                  "action_catalogue", ia_actions_version());
    ia_an_emit(ctx, rule, rule->severity, ia_db_col_text(st, P_ACCOUNT), resource, NULL, ev,
               "policy %s allows %s, which is not an AWS action (catalogue %s): it grants "
               "nothing",
               name, unknown[0], ia_actions_version());
    for (size_t i = 0; i < n; i++)
        free(unknown[i]);
    free(unknown);
}

enum ia_code
ia_rule_policy_unknown_action(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    if (ia_db_prepare(ctx->db, "analyser_policy_documents", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    while ((r = ia_db_step(st, err)) == 1)
        check_document(ctx, rule, st);
    ia_db_reset(st);
    return r < 0 ? IA_ERR_DB : IA_OK;
}
