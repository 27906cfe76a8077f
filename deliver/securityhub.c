/*
 * AWS Security Hub in the AWS Security Finding Format (ASFF, schema 2018-10-08).
 * Provider-owned fields (everything but Workflow, Note, UserDefinedFields, VerificationState)
 * go through BatchImportFindings, which creates or replaces a finding by Id: importing the
 * same run twice changes nothing. Workflow.Status belongs to the customer side: Security Hub
 * takes it from BatchImportFindings only when a finding is created, so changes to it
 * (SUPPRESSED, RESOLVED, back to NEW) go through BatchUpdateFindings.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/endpoints.h"
#include "core/mem.h"
#include "deliver/internal.h"
#include "deliver/mime.h"

/* Both batch APIs take at most 100 findings a call. */
#define IA_SH_BATCH 100

struct sh_finding {
    char *fp;
    json_t *asff; /* what we import (new reference) */
    int suppressed;
    /* from the state table, when known */
    int known;
    char record_state[16];
    char workflow[16];
};

struct sh_state {
    char *fp;
    char record_state[16];
    char workflow[16];
    char *asff;
    int in_run;
};

static void
copy16(char dst[16], const char *src)
{
    snprintf(dst, 16, "%s", src ? src : "");
}

/* s as a JSON string of at most max bytes, cut between UTF-8 characters ("..." when cut);
   bytes that are not UTF-8 become '?' (jansson refuses them). */
static json_t *
json_trunc(const char *s, size_t max)
{
    struct ia_buf b = IA_BUF_INIT;
    ia_buf_addstr(&b, s ? s : "");
    ia_mime_utf8_sanitize(&b);
    if (b.len > max) {
        size_t cut = max - 3;
        while (cut > 0 && ((unsigned char)b.buf[cut] & 0xc0) == 0x80)
            cut--;
        ia_buf_setlen(&b, cut);
        ia_buf_addstr(&b, "...");
    }
    json_t *j = json_string(b.buf);
    ia_buf_release(&b);
    return j;
}

static json_t *
jstr(const char *s)
{
    return json_trunc(s, 4096);
}

static const char *
resource_type(const char *arn)
{
    size_t n = strlen(arn);
    if (strstr(arn, ":user/"))
        return "AwsIamUser";
    if (strstr(arn, ":role/"))
        return "AwsIamRole";
    if (strstr(arn, ":group/"))
        return "AwsIamGroup";
    if (strstr(arn, ":policy/"))
        return "AwsIamPolicy";
    if (n > 5 && !strcmp(arn + n - 5, ":root"))
        return "AwsAccount";
    return "Other";
}

static const char *
severity_label(const char *sev)
{
    if (!strcmp(sev, "critical"))
        return "CRITICAL";
    if (!strcmp(sev, "high"))
        return "HIGH";
    if (!strcmp(sev, "medium"))
        return "MEDIUM";
    if (!strcmp(sev, "low"))
        return "LOW";
    return "INFORMATIONAL";
}

static void
product_arn(struct ia_buf *b, const char *region, const char *account)
{
    ia_buf_addf(b, "arn:%s:securityhub:%s:%s:product/%s/default", ia_endpoint_partition(region),
                region, account, account);
}

/* One row of deliver_findings as an ASFF finding. */
static json_t *
build_asff(struct ia_db_stmt *st, const struct ia_config *cfg, const struct ia_dl_run *run,
           const char *region, const char *account)
{
    const char *fp = ia_db_col_text(st, 0), *rule = ia_db_col_text(st, 1),
               *sev = ia_db_col_text(st, 2), *acct = ia_db_col_text(st, 3),
               *acct_name = ia_db_col_text(st, 4), *team = ia_db_col_text(st, 5),
               *arn = ia_db_col_text(st, 6), *principal = ia_db_col_text(st, 7),
               *title = ia_db_col_text(st, 8), *first = ia_db_col_text(st, 9),
               *supp = ia_db_col_text(st, 10);
    struct ia_buf b = IA_BUF_INIT;
    json_t *f = json_object();

    json_object_set_new(f, "SchemaVersion", json_string("2018-10-08"));
    ia_buf_addf(&b, "iam-audit/%s", fp);
    json_object_set_new(f, "Id", jstr(b.buf));
    ia_buf_reset(&b);
    product_arn(&b, region, account);
    json_object_set_new(f, "ProductArn", json_string(b.buf));
    ia_buf_reset(&b);
    ia_buf_addf(&b, "iam-audit/%s", rule);
    json_object_set_new(f, "GeneratorId", jstr(b.buf));
    ia_buf_reset(&b);
    json_object_set_new(f, "AwsAccountId", json_string(account));
    json_object_set_new(f, "Types",
                        json_pack("[s]", "Software and Configuration Checks/AWS "
                                         "Security Best Practices"));
    if (first && strlen(first) == 10)
        ia_buf_addf(&b, "%sT00:00:00Z", first);
    else
        ia_buf_addstr(&b, first ? first : run->analysed_at);
    json_object_set_new(f, "CreatedAt", json_string(b.buf));
    ia_buf_reset(&b);
    json_object_set_new(f, "UpdatedAt", json_string(run->analysed_at));
    json_object_set_new(
        f, "Severity", json_pack("{s:s,s:o}", "Label", severity_label(sev), "Original", jstr(sev)));
    /* Security Hub keeps a provider's later Severity and Types changes only from here once
       anyone has set them with BatchUpdateFindings. */
    json_object_set_new(f, "FindingProviderFields",
                        json_pack("{s:{s:s,s:o},s:[s]}", "Severity", "Label", severity_label(sev),
                                  "Original", jstr(sev), "Types",
                                  "Software and Configuration Checks/AWS Security Best "
                                  "Practices"));
    json_object_set_new(f, "Title", json_trunc(title, 256));
    ia_buf_addf(&b, "%s. Account %s%s%s%s, team %s.", title, acct ? acct : "?",
                acct_name ? " (" : "", acct_name ? acct_name : "", acct_name ? ")" : "",
                team ? team : "(none)");
    if (principal)
        ia_buf_addf(&b, " Principal: %s.", principal);
    ia_buf_addf(&b, " Rule %s.", rule);
    json_object_set_new(f, "Description", json_trunc(b.buf, 1024));
    ia_buf_reset(&b);
    ia_buf_addf(&b, "How to fix: docs/rules.md, section %s", rule);
    json_t *rec = json_pack("{s:o}", "Text", json_trunc(b.buf, 512));
    ia_buf_reset(&b);
    if (cfg->delivery.rules_url) {
        ia_buf_addf(&b, "%s#%s", cfg->delivery.rules_url, rule);
        json_object_set_new(rec, "Url", jstr(b.buf));
        ia_buf_reset(&b);
    }
    json_object_set_new(f, "Remediation", json_pack("{s:o}", "Recommendation", rec));
    char part[16] = "aws";
    if (!strncmp(arn, "arn:", 4)) {
        const char *colon = strchr(arn + 4, ':');
        if (colon && (size_t)(colon - arn - 4) < sizeof(part))
            snprintf(part, sizeof(part), "%.*s", (int)(colon - arn - 4), arn + 4);
    }
    json_object_set_new(f, "Resources",
                        json_pack("[{s:s,s:o,s:o,s:s}]", "Type", resource_type(arn), "Id",
                                  json_trunc(arn, 512), "Partition", jstr(part), "Region", region));
    json_t *pf = json_object();
    json_object_set_new(pf, "iam-audit/rule", jstr(rule));
    if (acct)
        json_object_set_new(pf, "iam-audit/account", jstr(acct));
    if (team)
        json_object_set_new(pf, "iam-audit/team", jstr(team));
    if (supp)
        json_object_set_new(pf, "iam-audit/exception", jstr(supp));
    json_object_set_new(f, "ProductFields", pf);
    json_object_set_new(f, "RecordState", json_string("ACTIVE"));
    /* Taken by Security Hub only when the finding is created; see the file comment. */
    json_object_set_new(f, "Workflow", json_pack("{s:s}", "Status", supp ? "SUPPRESSED" : "NEW"));
    ia_buf_release(&b);
    return f;
}

/* Send one BatchImportFindings; ok[i] = 1 for each finding imported. */
static enum ia_code
import_batch(struct ia_aws_client *c, json_t *const *items, size_t n, int *ok, struct ia_err *err)
{
    json_t *body = json_object(), *arr = json_array();
    struct ia_buf out = IA_BUF_INIT;
    enum ia_code rc;
    for (size_t i = 0; i < n; i++) {
        json_array_append(arr, items[i]);
        ok[i] = 1;
    }
    json_object_set_new(body, "Findings", arr);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    rc = ia_aws_rest_json(c, IA_SVC_SECURITYHUB, "BatchImportFindings", "POST", "/findings/import",
                          text, &out, err);
    free(text);
    if (rc != IA_OK)
        goto out;
    json_error_t je;
    json_t *resp = json_loadb(out.buf, out.len, 0, &je);
    json_t *failed = json_object_get(resp, "FailedFindings");
    if (!json_is_object(resp) || !json_is_integer(json_object_get(resp, "SuccessCount"))) {
        json_decref(resp);
        rc = ia_err_set(err, IA_ERR_PARSE,
                        "Security Hub answered BatchImportFindings without "
                        "SuccessCount");
        goto out;
    }
    size_t idx;
    json_t *ff;
    json_array_foreach(failed, idx, ff)
    {
        const char *id = json_string_value(json_object_get(ff, "Id"));
        for (size_t i = 0; id && i < n; i++)
            if (!strcmp(id, json_string_value(json_object_get(items[i], "Id"))))
                ok[i] = 0;
        if (idx == 0) {
            const char *code = json_string_value(json_object_get(ff, "ErrorCode"));
            const char *msg = json_string_value(json_object_get(ff, "ErrorMessage"));
            ia_err_set(err, IA_ERR_AWS,
                       "BatchImportFindings refused %zu finding(s), the first "
                       "%s: %s: %s",
                       json_array_size(failed), id ? id : "?", code ? code : "?", msg ? msg : "");
            rc = IA_ERR_AWS;
        }
    }
    json_decref(resp);
out:
    ia_buf_release(&out);
    return rc;
}

/* One BatchUpdateFindings of Workflow.Status; ok[i] = 1 for each finding processed. */
static enum ia_code
workflow_batch(struct ia_aws_client *c, const char *product, char *const *ids, size_t n,
               const char *status, int *ok, struct ia_err *err)
{
    json_t *body = json_object(), *arr = json_array();
    struct ia_buf out = IA_BUF_INIT;
    enum ia_code rc;
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(arr, json_pack("{s:s,s:s}", "Id", ids[i], "ProductArn", product));
        ok[i] = 0;
    }
    json_object_set_new(body, "FindingIdentifiers", arr);
    json_object_set_new(body, "Workflow", json_pack("{s:s}", "Status", status));
    json_object_set_new(body, "Note",
                        json_pack("{s:s,s:s}", "Text",
                                  !strcmp(status, "RESOLVED")     ? "fixed: no longer found by "
                                                                    "iam-audit"
                                  : !strcmp(status, "SUPPRESSED") ? "accepted by an iam-audit "
                                                                    "exception"
                                                                  : "found again by iam-audit",
                                  "UpdatedBy", "iam-audit"));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    rc = ia_aws_rest_json(c, IA_SVC_SECURITYHUB, "BatchUpdateFindings", "PATCH",
                          "/findings/batchupdate", text, &out, err);
    free(text);
    if (rc != IA_OK)
        goto out;
    json_error_t je;
    json_t *resp = json_loadb(out.buf, out.len, 0, &je);
    json_t *done = json_object_get(resp, "ProcessedFindings");
    if (!json_is_array(done)) {
        json_decref(resp);
        rc = ia_err_set(err, IA_ERR_PARSE,
                        "Security Hub answered BatchUpdateFindings without "
                        "ProcessedFindings");
        goto out;
    }
    size_t idx;
    json_t *p;
    json_array_foreach(done, idx, p)
    {
        const char *id = json_string_value(json_object_get(p, "Id"));
        for (size_t i = 0; id && i < n; i++)
            if (!strcmp(id, ids[i]))
                ok[i] = 1;
    }
    json_t *un = json_object_get(resp, "UnprocessedFindings");
    if (json_array_size(un) > 0) {
        json_t *u = json_array_get(un, 0);
        const char *code = json_string_value(json_object_get(u, "ErrorCode"));
        const char *msg = json_string_value(json_object_get(u, "ErrorMessage"));
        rc = ia_err_set(err, IA_ERR_AWS,
                        "BatchUpdateFindings left %zu finding(s) unprocessed: "
                        "%s: %s",
                        json_array_size(un), code ? code : "?", msg ? msg : "");
    }
    json_decref(resp);
out:
    ia_buf_release(&out);
    return rc;
}

/* What Security Hub now holds for one finding; a failure here would make the next
 * delivery re-import or miss an archive, so it is an error the caller keeps. */
static enum ia_code
state_put(struct ia_db *db, const char *region, const char *fp, const char *record,
          const char *workflow, int64_t run_id, const char *asff, struct ia_err *err)
{
    struct ia_db_stmt *st;
    enum ia_code rc = ia_db_prepare(db, "deliver_sh_upsert", &st, err);
    if (rc != IA_OK)
        return rc;
    ia_db_bind_text(st, ":region", region);
    ia_db_bind_text(st, ":fingerprint", fp);
    ia_db_bind_text(st, ":record_state", record);
    ia_db_bind_text(st, ":workflow", workflow);
    ia_db_bind_int(st, ":run_id", run_id);
    ia_db_bind_text(st, ":asff", asff);
    return ia_db_run(st, err);
}

/* Keep the first error: it is the one the user needs. */
static void
keep_first(struct ia_err *first, enum ia_code *first_rc, enum ia_code rc, const struct ia_err *e)
{
    if (*first_rc == IA_OK && rc != IA_OK) {
        *first_rc = rc;
        *first = *e;
    }
}

/* Set Workflow.Status of the given findings; updates the state table for the processed. */
static void
set_workflow(struct ia_db *db, struct ia_aws_client *c, const char *region, const char *product,
             char **ids, char **fps, size_t n, const char *status, size_t *done,
             struct ia_err *first, enum ia_code *first_rc)
{
    for (size_t off = 0; off < n; off += IA_SH_BATCH) {
        size_t k = n - off < IA_SH_BATCH ? n - off : IA_SH_BATCH;
        int ok[IA_SH_BATCH];
        struct ia_err e;
        ia_err_clear(&e);
        enum ia_code rc = workflow_batch(c, product, ids + off, k, status, ok, &e);
        keep_first(first, first_rc, rc, &e);
        for (size_t i = 0; i < k; i++) {
            if (!ok[i])
                continue;
            struct ia_db_stmt *st;
            if (ia_db_prepare(db, "deliver_sh_workflow", &st, &e) != IA_OK)
                continue;
            ia_db_bind_text(st, ":region", region);
            ia_db_bind_text(st, ":fingerprint", fps[off + i]);
            ia_db_bind_text(st, ":workflow", status);
            enum ia_code wrc = ia_db_run(st, &e);
            keep_first(first, first_rc, wrc, &e);
            if (wrc == IA_OK)
                (*done)++;
        }
    }
}

enum ia_code
ia_dl_securityhub(struct ia_db *db, const struct ia_config *cfg, const struct ia_dl_run *run,
                  struct ia_aws_client *c, const char *region, const char *account,
                  struct ia_dl_sh_plan *plan, struct ia_buf *detail, struct ia_err *err)
{
    struct sh_finding *fs = NULL;
    struct sh_state *ss = NULL;
    size_t nf = 0, af = 0, ns = 0, as = 0, imported = 0, archived = 0, updated = 0;
    struct ia_db_stmt *st;
    struct ia_err first;
    enum ia_code first_rc = IA_OK, rc = IA_ERR_DB;
    struct ia_buf product = IA_BUF_INIT;
    int r;

    ia_err_clear(&first);
    memset(plan, 0, sizeof(*plan));
    product_arn(&product, region, account ? account : "000000000000");
    if (ia_db_prepare(db, "deliver_findings", &st, err) != IA_OK)
        goto out;
    ia_db_bind_int(st, ":run_id", run->run_id);
    while ((r = ia_db_step(st, err)) == 1) {
        fs = ia_xgrow(fs, nf + 1, &af, sizeof(*fs));
        memset(&fs[nf], 0, sizeof(*fs));
        fs[nf].fp = ia_xstrdup(ia_db_col_text(st, 0));
        fs[nf].suppressed = ia_db_col_text(st, 10) != NULL;
        fs[nf].asff = build_asff(st, cfg, run, region, account ? account : "000000000000");
        nf++;
    }
    ia_db_reset(st);
    if (r < 0)
        goto out;
    if (ia_db_prepare(db, "deliver_sh_state", &st, err) != IA_OK)
        goto out;
    ia_db_bind_text(st, ":region", region);
    while ((r = ia_db_step(st, err)) == 1) {
        ss = ia_xgrow(ss, ns + 1, &as, sizeof(*ss));
        ss[ns].fp = ia_xstrdup(ia_db_col_text(st, 0));
        copy16(ss[ns].record_state, ia_db_col_text(st, 1));
        copy16(ss[ns].workflow, ia_db_col_text(st, 2));
        ss[ns].asff = ia_xstrdup(ia_db_col_text(st, 3));
        ss[ns].in_run = 0;
        ns++;
    }
    ia_db_reset(st);
    if (r < 0)
        goto out;

    /* Both lists are sorted by fingerprint: one merge pairs a finding with its state. */
    size_t *gone = ia_xcalloc(ns + 1, sizeof(*gone)), n_gone = 0;
    for (size_t i = 0, j = 0; i < nf || j < ns;) {
        int cmp = i >= nf ? 1 : j >= ns ? -1 : strcmp(fs[i].fp, ss[j].fp);
        if (cmp == 0) {
            fs[i].known = 1;
            copy16(fs[i].record_state, ss[j].record_state);
            copy16(fs[i].workflow, ss[j].workflow);
            ss[j].in_run = 1;
            i++, j++;
        } else if (cmp < 0) {
            i++;
        } else {
            if (!strcmp(ss[j].record_state, "ACTIVE"))
                gone[n_gone++] = j;
            j++;
        }
    }
    plan->import = nf;
    plan->archive = n_gone;
    if (!c) {
        free(gone);
        rc = IA_OK;
        goto out;
    }

    /* 1. Import every finding of the run. */
    for (size_t off = 0; off < nf; off += IA_SH_BATCH) {
        size_t k = nf - off < IA_SH_BATCH ? nf - off : IA_SH_BATCH;
        json_t *items[IA_SH_BATCH];
        int ok[IA_SH_BATCH];
        struct ia_err e;
        ia_err_clear(&e);
        for (size_t i = 0; i < k; i++)
            items[i] = fs[off + i].asff;
        enum ia_code brc = import_batch(c, items, k, ok, &e);
        if (brc != IA_OK && brc != IA_ERR_AWS)
            for (size_t i = 0; i < k; i++)
                ok[i] = 0;
        keep_first(&first, &first_rc, brc, &e);
        if (ia_db_begin(db, err) != IA_OK) {
            free(gone);
            goto out;
        }
        for (size_t i = 0; i < k; i++) {
            struct sh_finding *f = &fs[off + i];
            if (!ok[i])
                continue;
            imported++;
            char *text = json_dumps(f->asff, JSON_COMPACT | JSON_SORT_KEYS);
            /* What Security Hub's Workflow.Status is now: a new finding takes the import's;
               an existing one keeps its own, except that re-activating an archived finding
               turns RESOLVED back into NEW. */
            char wf_now[16];
            const char *wf;
            copy16(wf_now, f->workflow);
            if (!f->known)
                wf = f->suppressed ? "SUPPRESSED" : "NEW";
            else if (!strcmp(f->record_state, "ARCHIVED") && !strcmp(f->workflow, "RESOLVED"))
                wf = "NEW";
            else
                wf = wf_now[0] ? wf_now : "NEW";
            copy16(f->workflow, wf);
            copy16(f->record_state, "ACTIVE");
            f->known = 1;
            enum ia_code prc = state_put(db, region, f->fp, "ACTIVE", wf, run->run_id, text, err);
            free(text);
            if (prc != IA_OK) {
                ia_db_rollback(db);
                free(gone);
                rc = prc;
                goto out;
            }
        }
        if (ia_db_commit(db, err) != IA_OK) {
            free(gone);
            goto out;
        }
    }

    /* 2. Archive what was fixed since the last delivery. */
    for (size_t off = 0; off < n_gone; off += IA_SH_BATCH) {
        size_t k = n_gone - off < IA_SH_BATCH ? n_gone - off : IA_SH_BATCH;
        json_t *items[IA_SH_BATCH];
        int ok[IA_SH_BATCH];
        struct ia_err e;
        json_error_t je;
        ia_err_clear(&e);
        for (size_t i = 0; i < k; i++) {
            struct sh_state *s = &ss[gone[off + i]];
            items[i] = json_loads(s->asff, 0, &je);
            if (!json_is_object(items[i])) {
                json_decref(items[i]);
                items[i] = json_object();
            }
            json_object_set_new(items[i], "RecordState", json_string("ARCHIVED"));
            json_object_set_new(items[i], "UpdatedAt", json_string(run->analysed_at));
            json_object_set_new(items[i], "Workflow", json_pack("{s:s}", "Status", "RESOLVED"));
        }
        enum ia_code brc = import_batch(c, items, k, ok, &e);
        if (brc != IA_OK && brc != IA_ERR_AWS)
            for (size_t i = 0; i < k; i++)
                ok[i] = 0;
        keep_first(&first, &first_rc, brc, &e);
        for (size_t i = 0; i < k; i++) {
            struct sh_state *s = &ss[gone[off + i]];
            if (ok[i]) {
                archived++;
                char *text = json_dumps(items[i], JSON_COMPACT | JSON_SORT_KEYS);
                /* Workflow stays as Security Hub has it until BatchUpdateFindings says. */
                copy16(s->record_state, "ARCHIVED");
                struct ia_err pe;
                ia_err_clear(&pe);
                enum ia_code prc =
                    state_put(db, region, s->fp, "ARCHIVED", s->workflow, run->run_id, text, &pe);
                keep_first(&first, &first_rc, prc, &pe);
                free(text);
            }
            json_decref(items[i]);
        }
    }

    /* 3. Workflow.Status where it differs from what the finding's state asks for. */
    if (cfg->delivery.securityhub_workflow) {
        static const char *const statuses[] = { "NEW", "SUPPRESSED", "RESOLVED" };
        char **ids = ia_xcalloc(nf + ns + 1, sizeof(*ids));
        char **fps = ia_xcalloc(nf + ns + 1, sizeof(*fps));
        for (int s = 0; s < 3; s++) {
            size_t n = 0;
            for (size_t i = 0; i < nf; i++) {
                const char *want = fs[i].suppressed ? "SUPPRESSED" : "NEW";
                if (fs[i].known && !strcmp(want, statuses[s]) &&
                    strcmp(fs[i].workflow, want) != 0) {
                    ids[n] = ia_xstrdup(json_string_value(json_object_get(fs[i].asff, "Id")));
                    fps[n++] = fs[i].fp;
                }
            }
            /* Every archived finding, so one that failed last time is retried. */
            for (size_t g = 0; s == 2 && g < ns; g++) {
                struct sh_state *st2 = &ss[g];
                if (!st2->in_run && !strcmp(st2->record_state, "ARCHIVED") &&
                    strcmp(st2->workflow, "RESOLVED") != 0) {
                    struct ia_buf id = IA_BUF_INIT;
                    ia_buf_addf(&id, "iam-audit/%s", st2->fp);
                    ids[n] = ia_buf_detach(&id, NULL);
                    fps[n++] = st2->fp;
                }
            }
            set_workflow(db, c, region, product.buf, ids, fps, n, statuses[s], &updated, &first,
                         &first_rc);
            for (size_t i = 0; i < n; i++)
                free(ids[i]);
        }
        free(ids);
        free(fps);
    }
    free(gone);
    ia_buf_addf(detail, "imported %zu of %zu, archived %zu of %zu, workflow updated %zu", imported,
                nf, archived, plan->archive, updated);
    if (first_rc != IA_OK) {
        if (err)
            *err = first;
        rc = first_rc;
        goto out;
    }
    rc = IA_OK;
out:
    for (size_t i = 0; i < nf; i++) {
        free(fs[i].fp);
        json_decref(fs[i].asff);
    }
    free(fs);
    for (size_t i = 0; i < ns; i++) {
        free(ss[i].fp);
        free(ss[i].asff);
    }
    free(ss);
    ia_buf_release(&product);
    return rc;
}
