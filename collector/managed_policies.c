/* AWS-managed policies: fetched once per run, whichever account meets one first, shared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector/collect_int.h"
#include "collector/iam_api.h"
#include "core/log.h"
#include "core/mem.h"

/* ---- AWS-managed policies: fetched once per run, shared between accounts ---- */

/* Returns 1 when the caller should fetch arn (nobody has claimed it yet). */
static int
managed_claim(struct run_ctx *rc, const char *arn)
{
    int claim = 1;
    pthread_mutex_lock(&rc->mp_mu);
    for (size_t i = 0; i < rc->n_mp; i++)
        if (strcmp(rc->mp[i].arn, arn) == 0)
            claim = 0;
    if (claim) {
        rc->mp = ia_xgrow(rc->mp, rc->n_mp + 1, &rc->alloc_mp, sizeof(*rc->mp));
        memset(&rc->mp[rc->n_mp], 0, sizeof(*rc->mp));
        rc->mp[rc->n_mp].arn = ia_xstrdup(arn);
        rc->n_mp++;
    }
    pthread_mutex_unlock(&rc->mp_mu);
    return claim;
}

static void
managed_store(struct run_ctx *rc, const char *arn, char *version, char *doc, char *error)
{
    pthread_mutex_lock(&rc->mp_mu);
    for (size_t i = 0; i < rc->n_mp; i++) {
        if (strcmp(rc->mp[i].arn, arn) == 0) {
            rc->mp[i].version = version;
            rc->mp[i].document = doc;
            rc->mp[i].error = error;
            rc->mp[i].done = 1;
        }
    }
    pthread_mutex_unlock(&rc->mp_mu);
}

static void
fetch_managed(struct run_ctx *rc, struct ia_aws_client *c, const char *arn)
{
    char version[64];
    char *doc = NULL;
    struct ia_err e;
    ia_err_clear(&e);
    if (!managed_claim(rc, arn))
        return;
    if (ia_iam_policy_default_version(c, arn, version, sizeof(version), &e) == IA_OK &&
        ia_iam_policy_version_document(c, arn, version, &doc, &e) == IA_OK) {
        managed_store(rc, arn, ia_xstrdup(version), doc, NULL);
        return;
    }
    IA_LOG_WARN("collect", "msg=\"cannot read AWS-managed policy\" arn=%s code=%s", arn,
                e.aws_code[0] ? e.aws_code : ia_code_name(e.code));
    managed_store(rc, arn, NULL, NULL, ia_xstrdup(e.msg));
}

/* Every AWS-managed policy ARN attached in a GAAD page. */
void
ia_managed_fetch_page(struct run_ctx *rc, struct ia_aws_client *c, const struct ia_xml_doc *page)
{
    static const char *const lists[] = { "UserDetailList", "GroupDetailList", "RoleDetailList" };
    const struct ia_xml_node *r = ia_iam_result(page, "GetAccountAuthorizationDetails");
    for (size_t l = 0; l < 3; l++) {
        for (const struct ia_xml_node *m = ia_xml_child(ia_xml_child(r, lists[l]), "member"); m;
             m = ia_xml_next(m, "member")) {
            const struct ia_xml_node *att = ia_xml_child(m, "AttachedManagedPolicies");
            for (const struct ia_xml_node *p = ia_xml_child(att, "member"); p;
                 p = ia_xml_next(p, "member")) {
                char arn[2048];
                ia_xml_path_copy(p, "PolicyArn", arn, sizeof(arn));
                if (strstr(arn, ":iam::aws:policy/"))
                    fetch_managed(rc, c, arn);
            }
        }
    }
}

enum ia_code
ia_managed_write(struct run_ctx *rc, struct ia_err *err)
{
    for (size_t i = 0; i < rc->n_mp; i++) {
        struct ia_db_stmt *mp;
        enum ia_code r;
        if ((r = ia_db_prepare(rc->db, "managed_policy_insert", &mp, err)) != IA_OK)
            return r;
        ia_db_bind_int(mp, ":run_id", rc->run_id);
        ia_db_bind_text(mp, ":arn", rc->mp[i].arn);
        ia_db_bind_text(mp, ":version_id", rc->mp[i].version);
        ia_db_bind_text(mp, ":document", rc->mp[i].document);
        ia_db_bind_text(mp, ":error", rc->mp[i].done ? rc->mp[i].error : "not fetched");
        if ((r = ia_db_run(mp, err)) != IA_OK)
            return r;
    }
    return IA_OK;
}

void
ia_managed_release(struct run_ctx *rc)
{
    for (size_t i = 0; i < rc->n_mp; i++) {
        free(rc->mp[i].arn);
        free(rc->mp[i].version);
        free(rc->mp[i].document);
        free(rc->mp[i].error);
    }
    free(rc->mp);
    rc->mp = NULL;
    rc->n_mp = 0;
}
