/*
 * Reading one account: the bulk listings (GAAD, ListRoles, ListVirtualMFADevices), the
 * credential report cycle, GetAccountSummary, and the per-user calls that the bulk data
 * leaves a gap for, shared between helpers (one connection each) in large accounts.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector/collect_int.h"
#include "collector/http.h"
#include "collector/iam_api.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"

/* Give up on a credential report that is still being generated after this long. */
#define IA_CRED_REPORT_MAX_WAIT_MS (10u * 60u * 1000u)

/* ---- collecting one account ---- */

/* The users whose assigned virtual MFA device the bulk listing shows, sorted (new). */
static char **
virtual_mfa_users(const struct job *j, size_t *n_out)
{
    char **names = NULL;
    size_t n = 0, alloc = 0;
    for (size_t d = 0; d < j->vmfa.n; d++) {
        const struct ia_xml_node *r = ia_iam_result(j->vmfa.docs[d], "ListVirtualMFADevices");
        for (const struct ia_xml_node *m = ia_xml_child(ia_xml_child(r, "VirtualMFADevices"),
                                                        "member");
             m; m = ia_xml_next(m, "member")) {
            char *name = ia_xml_path_text(m, "User/UserName");
            if (!name || !*name) {
                free(name);
                continue;
            }
            names = ia_xgrow(names, n + 1, &alloc, sizeof(*names));
            names[n++] = name;
        }
    }
    if (n)
        qsort(names, n, sizeof(*names), ia_cmp_str);
    *n_out = n;
    return names;
}


typedef enum ia_code (*page_fn)(struct ia_aws_client *c, const char *user, const char *marker,
                                struct ia_xml_doc **out, struct ia_err *err);

static enum ia_code
all_pages(struct ia_aws_client *c, const char *action, page_fn fn, const char *user,
          struct doclist *into, struct ia_err *err)
{
    char *marker = NULL;
    /* A page cap stops a server that never says IsTruncated=false. */
    for (int page = 0; page < 100000; page++) {
        struct ia_xml_doc *doc = NULL;
        enum ia_code rc = fn(c, user, marker, &doc, err);
        free(marker);
        marker = NULL;
        if (rc != IA_OK)
            return rc;
        ia_doclist_add(into, doc, user);
        marker = ia_iam_next_marker(doc, action);
        if (!marker)
            return IA_OK;
    }
    free(marker);
    return ia_err_set(err, IA_ERR_PARSE, "%s %s: more than 100000 pages; giving up", c->label,
                      action);
}

static enum ia_code
gaad_fn(struct ia_aws_client *c, const char *user, const char *marker, struct ia_xml_doc **out,
        struct ia_err *err)
{
    (void)user;
    return ia_iam_gaad_page(c, marker, out, err);
}

static enum ia_code
roles_fn(struct ia_aws_client *c, const char *user, const char *marker, struct ia_xml_doc **out,
         struct ia_err *err)
{
    (void)user;
    return ia_iam_list_roles_page(c, marker, out, err);
}

static enum ia_code
vmfa_fn(struct ia_aws_client *c, const char *user, const char *marker, struct ia_xml_doc **out,
        struct ia_err *err)
{
    (void)user;
    return ia_iam_list_virtual_mfa_page(c, marker, out, err);
}

static enum ia_code
credential_report(struct ia_aws_client *c, struct job *j, struct ia_err *err)
{
    char state[32];
    uint64_t waited = 0, delay = 250;
    /*
     * Generation was started before the account's pages were read, so the report is
     * usually ready by now: ask for it first, and poll only while AWS says it is not.
     */
    int ask = 1;
    for (;;) {
        if (ask) {
            struct ia_err e;
            ia_err_clear(&e);
            enum ia_code rc = ia_iam_get_credential_report(c, &j->cred_csv, j->cred_generated,
                                                           sizeof(j->cred_generated), &e);
            if (rc == IA_OK)
                return IA_OK;
            if (rc != IA_ERR_AWS || (strcmp(e.aws_code, "ReportInProgress") != 0 &&
                                     strcmp(e.aws_code, "ReportNotPresent") != 0 &&
                                     strcmp(e.aws_code, "ReportExpired") != 0)) {
                if (err)
                    *err = e;
                return rc;
            }
        }
        if (waited >= IA_CRED_REPORT_MAX_WAIT_MS)
            return ia_err_set(err, IA_ERR_TIMEOUT,
                              "%s: the credential report was still being generated after %u s",
                              c->label, IA_CRED_REPORT_MAX_WAIT_MS / 1000);
        c->sleep_ms(delay);
        waited += delay;
        delay = delay * 2 > 5000 ? 5000 : delay * 2;
        /* Asking again is how AWS documents polling (and it restarts an expired report). */
        enum ia_code rc = ia_iam_generate_credential_report(c, state, sizeof(state), err);
        if (rc != IA_OK)
            return rc;
        ask = strcmp(state, "COMPLETE") == 0;
    }
}

/* ---- per-user calls, in parallel for large accounts ---- */

/* Fan out only when there is enough to share; each helper has its own connection. */
#define IA_USER_TASKS_PER_HELPER 16

struct user_helper {
    struct run_ctx *rc;
    struct ia_aws_client *parent;
    const struct user_tasks *ut;
    _Atomic size_t *next;
    _Atomic int *failed;
    struct doclist mfa, keys, login, user, key_used;
    struct ia_err err;
    enum ia_code r;
};

/* Where one client's per-user answers go (a helper's own, or the account's). */
struct user_lists {
    struct doclist *mfa, *keys, *login, *user, *key_used;
};

/* GetAccessKeyLastUsed for every key of the last ListAccessKeys pages, from `first` on. */
static enum ia_code
keys_last_used(struct ia_aws_client *c, const struct user_lists *l, size_t first,
               struct ia_err *err)
{
    for (size_t d = first; d < l->keys->n; d++) {
        const struct ia_xml_node *r = ia_iam_result(l->keys->docs[d], "ListAccessKeys");
        for (const struct ia_xml_node *m =
                 ia_xml_child(ia_xml_child(r, "AccessKeyMetadata"), "member");
             m; m = ia_xml_next(m, "member")) {
            char id[128];
            struct ia_xml_doc *doc = NULL;
            ia_xml_path_copy(m, "AccessKeyId", id, sizeof(id));
            enum ia_code rc = ia_iam_access_key_last_used(c, id, &doc, err);
            if (rc != IA_OK)
                return rc;
            ia_doclist_add(l->key_used, doc, id);
        }
    }
    return IA_OK;
}

static enum ia_code
do_user_task(struct ia_aws_client *c, const struct user_task *t, const struct user_lists *l,
             struct ia_err *err)
{
    enum ia_code r = IA_OK;
    if (t->login) {
        /* What the credential report would have said: password, its last use. */
        struct ia_xml_doc *doc = NULL;
        if ((r = ia_iam_login_profile(c, t->user, &doc, err)) != IA_OK)
            return r;
        ia_doclist_add(l->login, doc, t->user);
        if ((r = ia_iam_get_user(c, t->user, &doc, err)) != IA_OK)
            return r;
        ia_doclist_add(l->user, doc, t->user);
    }
    if (t->mfa)
        r = all_pages(c, "ListMFADevices", ia_iam_list_mfa_devices_page, t->user, l->mfa, err);
    size_t first_key_page = l->keys->n;
    if (r == IA_OK && t->keys)
        r = all_pages(c, "ListAccessKeys", ia_iam_list_access_keys_page, t->user, l->keys, err);
    /* The report's key columns (last use) for a user it does not have. */
    if (r == IA_OK && t->keys && t->login)
        r = keys_last_used(c, l, first_key_page, err);
    return r;
}

static void *
user_helper_main(void *arg)
{
    struct user_helper *h = arg;
    struct ia_http_options hopts = { .timeout_ms = (long)h->rc->cfg->request_timeout_s * 1000,
                                     .ca_bundle = h->rc->cfg->ca_bundle };
    struct ia_http *http = ia_http_new(&hopts);
    struct ia_aws_client c;
    h->r = ia_aws_client_init(&c, ia_http_ops_of(http), h->parent->creds,
                              h->parent->ep[IA_SVC_STS].signing_region, NULL, &h->err);
    if (h->r == IA_OK) {
        /* The parent's endpoints (overrides included), retry policy and label. */
        memcpy(c.ep, h->parent->ep, sizeof(c.ep));
        c.retry = h->parent->retry;
        c.sleep_ms = h->parent->sleep_ms;
        c.bytes = h->parent->bytes;
        c.max_bytes = h->parent->max_bytes;
        memcpy(c.label, h->parent->label, sizeof(c.label));
        for (;;) {
            if (atomic_load(h->failed))
                break;
            size_t i = atomic_fetch_add(h->next, 1);
            if (i >= h->ut->n)
                break;
            struct user_lists l = { &h->mfa, &h->keys, &h->login, &h->user, &h->key_used };
            h->r = do_user_task(&c, &h->ut->tasks[i], &l, &h->err);
            if (h->r != IA_OK) {
                atomic_store(h->failed, 1);
                break;
            }
        }
        atomic_fetch_add(&h->parent->stats.calls, atomic_load(&c.stats.calls));
        atomic_fetch_add(&h->parent->stats.retries, atomic_load(&c.stats.retries));
        atomic_fetch_add(&h->parent->stats.throttles, atomic_load(&c.stats.throttles));
        ia_aws_client_release(&c);
    }
    ia_http_free(http);
    return NULL;
}

static void
doclist_move(struct doclist *to, struct doclist *from)
{
    for (size_t i = 0; i < from->n; i++) {
        ia_doclist_add(to, from->docs[i], from->tags[i]);
        free(from->tags[i]);
    }
    free(from->docs);
    free(from->tags);
    memset(from, 0, sizeof(*from));
}

/*
 * ListMFADevices / ListAccessKeys for the users that need them. A base account of
 * thousands of people is hundreds of these: they are shared between up to `concurrency`
 * helpers (one connection each), so one big account does not serialise the run.
 */
static enum ia_code
run_user_tasks(struct run_ctx *rc, struct ia_aws_client *c, struct job *j,
               const struct user_tasks *ut, struct ia_err *err)
{
    size_t helpers = ut->n / IA_USER_TASKS_PER_HELPER;
    size_t max = (size_t)(rc->opts->concurrency > 0 ? rc->opts->concurrency
                                                    : rc->cfg->concurrency);
    if (helpers > max)
        helpers = max;
    if (helpers < 2) {
        struct user_lists l = { &j->user_mfa, &j->keys, &j->login, &j->user, &j->key_used };
        for (size_t i = 0; i < ut->n; i++) {
            enum ia_code r = do_user_task(c, &ut->tasks[i], &l, err);
            if (r != IA_OK)
                return r;
        }
        return IA_OK;
    }
    _Atomic size_t next = 0;
    _Atomic int failed = 0;
    struct user_helper *hs = ia_xcalloc(helpers, sizeof(*hs));
    pthread_t *th = ia_xcalloc(helpers, sizeof(*th));
    for (size_t i = 0; i < helpers; i++) {
        hs[i] = (struct user_helper){ .rc = rc, .parent = c, .ut = ut, .next = &next,
                                      .failed = &failed };
        if (pthread_create(&th[i], NULL, user_helper_main, &hs[i]) != 0)
            IA_BUG("pthread_create failed");
    }
    enum ia_code r = IA_OK;
    for (size_t i = 0; i < helpers; i++) {
        pthread_join(th[i], NULL);
        if (hs[i].r != IA_OK && r == IA_OK) {
            r = hs[i].r;
            if (err)
                *err = hs[i].err;
        }
        doclist_move(&j->user_mfa, &hs[i].mfa);
        doclist_move(&j->keys, &hs[i].keys);
        doclist_move(&j->login, &hs[i].login);
        doclist_move(&j->user, &hs[i].user);
        doclist_move(&j->key_used, &hs[i].key_used);
    }
    free(hs);
    free(th);
    return r;
}

/* A credential report row whose field count is the header's, found by the user's ARN. */
struct report_row {
    const char *arn;
    const struct ia_csv_row *row;
};

static int
cmp_report_row(const void *a, const void *b)
{
    return strcmp(((const struct report_row *)a)->arn, ((const struct report_row *)b)->arn);
}

/*
 * The user a malformed row is about, for the warning. IAM allows ',' in user names and an
 * unquoting writer splits both the name and the ARN at each: k commas make 2k extra
 * fields, and the name is the first k+1 joined again.
 */
static char *
malformed_row_user(const struct ia_csv_row *r, size_t header_n)
{
    struct ia_buf b = IA_BUF_INIT;
    size_t parts = 1;
    if (r->n > header_n && (r->n - header_n) % 2 == 0)
        parts = (r->n - header_n) / 2 + 1;
    for (size_t i = 0; i < parts && i < r->n; i++)
        ia_buf_addf(&b, "%s%s", i ? "," : "", r->fields[i]);
    return ia_buf_detach(&b, NULL);
}

/*
 * Whether the report row is about an older user of the same name (deleted and created again
 * after the report): its creation time is not the user's. Unreadable times prove nothing.
 * (The report's GeneratedTime is not used: moto always says 2015-02-02.)
 */
static int
row_is_older_namesake(const char *row_created, const char *created)
{
    time_t a, b;
    if (!row_created || !created || ia_time_parse_iso(row_created, &a) != 0 ||
        ia_time_parse_iso(created, &b) != 0)
        return 0;
    return a != b;
}

/*
 * Decide the per-user calls. The credential report (up to four hours old) and the bulk
 * listings answer most questions; a user is read directly (GetLoginProfile, ListMFADevices,
 * ListAccessKeys) when the report cannot speak for them: absent (created after the report,
 * or behind a row whose fields do not match the header), or present as an older namesake. ListMFADevices goes to MFA users
 * whose devices the virtual listing does not account for (hardware and FIDO devices are
 * only seen per user; GetAccountSummary's count says whether any exist).
 */
enum ia_code
ia_account_plan_user_tasks(struct job *j, const struct ia_csv_table *t, const struct cred_cols *cols,
                struct user_tasks *ut, char ***names_out, size_t *n_names_out)
{
    size_t header_n = t->rows[0].n, n_rows = 0, n_vmfa = 0, n_names = 0, alloc_names = 0;
    struct report_row *rows = ia_xcalloc(t->n_rows, sizeof(*rows));
    char **names = NULL;

    for (size_t i = 1; i < t->n_rows; i++) {
        const struct ia_csv_row *row = &t->rows[i];
        if (row->n != header_n) {
            char *who = malformed_row_user(row, header_n);
            ia_job_warn(j, "credential-report-row", who,
                     "credential report line %zu has %zu fields where the header has %zu "
                     "(a user name with a comma, unquoted?): its values are not trusted and "
                     "user '%s' is read directly",
                     i + 1, row->n, header_n, who);
            free(who);
            continue;
        }
        const char *user = ia_cred_field(row, cols, C_USER), *arn = ia_cred_field(row, cols, C_ARN);
        if (!user || !arn || strcmp(user, "<root_account>") == 0)
            continue;
        rows[n_rows++] = (struct report_row){ arn, row };
    }
    qsort(rows, n_rows, sizeof(*rows), cmp_report_row);
    char **vmfa = virtual_mfa_users(j, &n_vmfa);
    /* Every assigned device of every kind is virtual: nothing hides behind the listing. */
    int hidden_devices = j->mfa_in_use < 0 || (size_t)j->mfa_in_use != n_vmfa;

    for (size_t d = 0; d < j->gaad.n; d++) {
        const struct ia_xml_node *r = ia_iam_result(j->gaad.docs[d],
                                                    "GetAccountAuthorizationDetails");
        for (const struct ia_xml_node *m = ia_xml_child(ia_xml_child(r, "UserDetailList"),
                                                        "member");
             m; m = ia_xml_next(m, "member")) {
            char *name = ia_xml_path_text(m, "UserName"), *arn = ia_xml_path_text(m, "Arn");
            char *created = ia_xml_path_text(m, "CreateDate");
            struct report_row key = { arn ? arn : "", NULL };
            const struct report_row *found =
                n_rows ? bsearch(&key, rows, n_rows, sizeof(*rows), cmp_report_row) : NULL;
            int direct = !found || row_is_older_namesake(ia_cred_field(found->row, cols, C_CREATED),
                                                         created);
            int mfa = 0, keys = 0;
            if (direct) {
                mfa = keys = 1;
            } else {
                const char *u = name;
                int listed = n_vmfa && u && bsearch(&u, vmfa, n_vmfa, sizeof(*vmfa), ia_cmp_str);
                mfa = ia_cred_true(ia_cred_field(found->row, cols, C_MFA)) &&
                      (hidden_devices || !listed);
                keys = ia_cred_has_key(found->row, cols);
            }
            free(arn);
            free(created);
            if (!name || (!direct && !mfa && !keys)) {
                free(name);
                continue;
            }
            names = ia_xgrow(names, n_names + 1, &alloc_names, sizeof(*names));
            names[n_names++] = name;
            ut->tasks = ia_xgrow(ut->tasks, ut->n + 1, &ut->alloc, sizeof(*ut->tasks));
            ut->tasks[ut->n++] = (struct user_task){ name, mfa, keys, direct };
            if (direct) {
                j->direct = ia_xrealloc(j->direct, (j->n_direct + 1) * sizeof(*j->direct));
                j->direct[j->n_direct++] = ia_xstrdup(name);
            }
        }
    }
    if (j->n_direct)
        qsort(j->direct, j->n_direct, sizeof(*j->direct), ia_cmp_str);
    for (size_t i = 0; i < n_vmfa; i++)
        free(vmfa[i]);
    free(vmfa);
    free(rows);
    *names_out = names;
    *n_names_out = n_names;
    return IA_OK;
}


enum ia_code
ia_account_fetch(struct run_ctx *rc, struct ia_aws_client *c, struct job *j, struct ia_err *err)
{
    enum ia_code r;
    char state[32];

    /* Start the credential report first: AWS builds it while we page through the rest. */
    if ((r = ia_iam_generate_credential_report(c, state, sizeof(state), err)) != IA_OK)
        return r;
    if ((r = ia_iam_account_alias(c, j->alias, sizeof(j->alias), err)) != IA_OK)
        return r;
    if ((r = ia_iam_password_policy(c, &j->password_policy, err)) != IA_OK)
        return r;
    if ((r = ia_iam_mfa_devices_in_use(c, &j->mfa_in_use, err)) != IA_OK)
        return r;
    if ((r = all_pages(c, "GetAccountAuthorizationDetails", gaad_fn, NULL, &j->gaad, err)) !=
        IA_OK)
        return r;
    if ((r = all_pages(c, "ListRoles", roles_fn, NULL, &j->roles, err)) != IA_OK)
        return r;
    if ((r = all_pages(c, "ListVirtualMFADevices", vmfa_fn, NULL, &j->vmfa, err)) != IA_OK)
        return r;
    if ((r = credential_report(c, j, err)) != IA_OK)
        return r;

    struct ia_csv_table t;
    struct cred_cols cols;
    if ((r = ia_csv_parse(j->cred_csv.buf, j->cred_csv.len, &t, err)) != IA_OK) {
        ia_err_prefix(err, "%s credential report: ", c->label);
        return r;
    }
    if ((r = ia_cred_header(&t, &cols, err)) != IA_OK)
        goto out;
    struct user_tasks ut;
    char **names = NULL;
    size_t n_names = 0;
    memset(&ut, 0, sizeof(ut));
    r = ia_account_plan_user_tasks(j, &t, &cols, &ut, &names, &n_names);
    if (r == IA_OK)
        r = run_user_tasks(rc, c, j, &ut, err);
    free(ut.tasks);
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    if (r != IA_OK)
        goto out;
    for (size_t i = 0; i < j->gaad.n; i++)
        ia_managed_fetch_page(rc, c, j->gaad.docs[i]);
    r = IA_OK;
out:
    ia_csv_table_release(&t);
    return r;
}

