#include "collector/collect.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector/aws.h"
#include "collector/http.h"
#include "collector/iam_api.h"
#include "collector/org_api.h"
#include "collector/sts_api.h"
#include "collector/xml.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/csv.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/policy.h"
#include "sql/db.h"

/* Give up on a credential report that is still being generated after this long. */
#define IA_CRED_REPORT_MAX_WAIT_MS (10u * 60u * 1000u)

struct doclist {
    struct ia_xml_doc **docs;
    char **tags; /* per doc: the user it belongs to, or NULL */
    size_t n, alloc;
};

struct job {
    /* what to collect */
    char *account_id, *name, *team, *role_arn, *external_id;
    int is_base;
    int use_caller; /* collect with the caller's own credentials */
    /* what was collected */
    char alias[256];
    struct ia_xml_doc *password_policy; /* NULL: none set */
    struct doclist gaad, roles, vmfa, user_mfa, keys;
    struct ia_buf cred_csv;
    char cred_generated[32];
    /* outcome */
    enum ia_code rc;
    struct ia_err err;
    long calls, retries, throttles;
};

struct managed {
    char *arn;
    char *version;
    char *document;
    char *error;
    int done;
};

struct run_ctx {
    const struct ia_collect_options *opts;
    const struct ia_config *cfg;
    struct ia_db *db;
    int64_t run_id;
    char caller_account[16];
    char caller_arn[2048];
    struct job *jobs;
    size_t n_jobs;
    _Atomic size_t next;
    _Atomic int done;
    _Atomic int db_failed;
    pthread_mutex_t db_mu;
    struct ia_err db_err;
    pthread_mutex_t mp_mu;
    struct managed *mp;
    size_t n_mp, alloc_mp;
    pthread_mutex_t progress_mu;
    long caller_calls, caller_retries, caller_throttles; /* identity and discovery calls */
    _Atomic long done_calls, done_retries, done_throttles; /* of finished accounts, for progress */
};

static void
doclist_add(struct doclist *l, struct ia_xml_doc *d, const char *tag)
{
    l->docs = ia_xgrow(l->docs, l->n + 1, &l->alloc, sizeof(*l->docs));
    size_t a = l->n; /* tags grow alongside docs */
    l->tags = ia_xrealloc(l->tags, (a + 1) * sizeof(*l->tags));
    l->docs[l->n] = d;
    l->tags[l->n] = tag ? ia_xstrdup(tag) : NULL;
    l->n++;
}

static void
doclist_release(struct doclist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        ia_xml_free(l->docs[i]);
        free(l->tags[i]);
    }
    free(l->docs);
    free(l->tags);
    memset(l, 0, sizeof(*l));
}

static void
job_release(struct job *j)
{
    free(j->account_id);
    free(j->name);
    free(j->team);
    free(j->role_arn);
    free(j->external_id);
    ia_xml_free(j->password_policy);
    doclist_release(&j->gaad);
    doclist_release(&j->roles);
    doclist_release(&j->vmfa);
    doclist_release(&j->user_mfa);
    doclist_release(&j->keys);
    ia_buf_release(&j->cred_csv);
}

/* ---- time and text helpers ---- */

/* AWS dates to our one form, "2026-11-27T02:00:01Z"; NULL for N/A and friends. */
static char *
norm_time(const char *s)
{
    time_t t;
    char iso[IA_TIME_ISO_LEN];
    if (!s || !*s || ia_time_parse_iso(s, &t) != 0)
        return NULL;
    ia_time_format_iso(t, iso);
    return ia_xstrdup(iso);
}

static void
bind_time(struct ia_db_stmt *st, const char *param, const char *s)
{
    char *t = norm_time(s);
    ia_db_bind_text(st, param, t);
    free(t);
}

/* Bind the text at path under n (NULL when absent). */
static void
bind_path(struct ia_db_stmt *st, const char *param, const struct ia_xml_node *n,
          const char *path)
{
    char *t = ia_xml_path_text(n, path);
    ia_db_bind_text(st, param, t);
    free(t);
}

static void
bind_path_time(struct ia_db_stmt *st, const char *param, const struct ia_xml_node *n,
               const char *path)
{
    char *t = ia_xml_path_text(n, path);
    bind_time(st, param, t);
    free(t);
}

/* Tags as a JSON object {"Key": "Value"}, or NULL when there are none. */
static char *
tags_json(const struct ia_xml_node *n)
{
    struct ia_buf b = IA_BUF_INIT;
    const struct ia_xml_node *tags = ia_xml_child(n, "Tags");
    int first = 1;
    for (const struct ia_xml_node *m = ia_xml_child(tags, "member"); m;
         m = ia_xml_next(m, "member")) {
        char *k = ia_xml_path_text(m, "Key"), *v = ia_xml_path_text(m, "Value");
        ia_buf_addstr(&b, first ? "{" : ",");
        first = 0;
        for (int i = 0; i < 2; i++) {
            const char *s = i ? (v ? v : "") : (k ? k : "");
            ia_buf_addch(&b, '"');
            for (const char *p = s; *p; p++) {
                unsigned char ch = (unsigned char)*p;
                if (ch == '"' || ch == '\\')
                    ia_buf_addf(&b, "\\%c", ch);
                else if (ch < 0x20)
                    ia_buf_addf(&b, "\\u%04x", ch);
                else
                    ia_buf_addch(&b, (char)ch);
            }
            ia_buf_addstr(&b, i ? "\"" : "\":");
        }
        free(k);
        free(v);
    }
    if (first)
        return NULL;
    ia_buf_addch(&b, '}');
    return ia_buf_detach(&b, NULL);
}

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
static void
fetch_managed_of_page(struct run_ctx *rc, struct ia_aws_client *c, const struct ia_xml_doc *page)
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

/* ---- credential report helpers ---- */

struct cred_cols {
    int idx[22];
};

static const char *const s_cred_cols[22] = {
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used",
    "password_last_changed", "password_next_rotation", "mfa_active", "access_key_1_active",
    "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region",
    "access_key_1_last_used_service", "access_key_2_active", "access_key_2_last_rotated",
    "access_key_2_last_used_date", "access_key_2_last_used_region",
    "access_key_2_last_used_service", "cert_1_active", "cert_1_last_rotated", "cert_2_active",
    "cert_2_last_rotated",
};

enum { C_USER, C_ARN, C_CREATED, C_PW_ENABLED, C_PW_USED, C_PW_CHANGED, C_PW_NEXT, C_MFA,
       C_K1_ACTIVE, C_K1_ROTATED, C_K1_USED, C_K1_REGION, C_K1_SERVICE, C_K2_ACTIVE,
       C_K2_ROTATED, C_K2_USED, C_K2_REGION, C_K2_SERVICE };

static enum ia_code
cred_header(const struct ia_csv_table *t, struct cred_cols *cols, struct ia_err *err)
{
    if (t->n_rows == 0)
        return ia_err_set(err, IA_ERR_PARSE, "credential report is empty");
    const struct ia_csv_row *h = &t->rows[0];
    for (int c = 0; c < 22; c++) {
        cols->idx[c] = -1;
        for (size_t i = 0; i < h->n; i++)
            if (strcmp(h->fields[i], s_cred_cols[c]) == 0)
                cols->idx[c] = (int)i;
        if (c <= C_MFA && cols->idx[c] < 0)
            return ia_err_set(err, IA_ERR_PARSE, "credential report has no '%s' column",
                              s_cred_cols[c]);
    }
    return IA_OK;
}

static const char *
cred_field(const struct ia_csv_row *r, const struct cred_cols *cols, int c)
{
    int i = cols->idx[c];
    return i >= 0 && (size_t)i < r->n ? r->fields[i] : NULL;
}

static int
is_true(const char *s)
{
    return s && strcasecmp(s, "true") == 0;
}

/* A key slot is in use when active or when it has a rotation date (inactive keys). */
static int
has_key(const struct ia_csv_row *r, const struct cred_cols *cols)
{
    time_t t;
    const char *r1 = cred_field(r, cols, C_K1_ROTATED), *r2 = cred_field(r, cols, C_K2_ROTATED);
    return is_true(cred_field(r, cols, C_K1_ACTIVE)) || is_true(cred_field(r, cols, C_K2_ACTIVE)) ||
           (r1 && ia_time_parse_iso(r1, &t) == 0) || (r2 && ia_time_parse_iso(r2, &t) == 0);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

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
        qsort(names, n, sizeof(*names), cmp_str);
    *n_out = n;
    return names;
}

/* ---- collecting one account ---- */

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
        doclist_add(into, doc, user);
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

struct user_task {
    const char *user; /* borrowed from the parsed credential report */
    int mfa;          /* ListMFADevices: MFA active, no virtual device listed */
    int keys;         /* ListAccessKeys: the report shows a key */
};

struct user_tasks {
    struct user_task *tasks;
    size_t n, alloc;
};

/* Fan out only when there is enough to share; each helper has its own connection. */
#define IA_USER_TASKS_PER_HELPER 16

struct user_helper {
    struct run_ctx *rc;
    struct ia_aws_client *parent;
    const struct user_tasks *ut;
    _Atomic size_t *next;
    _Atomic int *failed;
    struct doclist mfa, keys;
    struct ia_err err;
    enum ia_code r;
};

static enum ia_code
do_user_task(struct ia_aws_client *c, const struct user_task *t, struct doclist *mfa,
             struct doclist *keys, struct ia_err *err)
{
    enum ia_code r = IA_OK;
    if (t->mfa)
        r = all_pages(c, "ListMFADevices", ia_iam_list_mfa_devices_page, t->user, mfa, err);
    if (r == IA_OK && t->keys)
        r = all_pages(c, "ListAccessKeys", ia_iam_list_access_keys_page, t->user, keys, err);
    return r;
}

static void *
user_helper_main(void *arg)
{
    struct user_helper *h = arg;
    struct ia_http_options hopts = { 0, (long)h->rc->cfg->request_timeout_s * 1000, 0,
                                     h->rc->cfg->ca_bundle };
    struct ia_http *http = ia_http_new(&hopts);
    struct ia_aws_client c;
    h->r = ia_aws_client_init(&c, ia_http_ops_of(http), h->parent->creds,
                              h->parent->ep[IA_SVC_STS].signing_region, NULL, &h->err);
    if (h->r == IA_OK) {
        /* The parent's endpoints (overrides included), retry policy and label. */
        memcpy(c.ep, h->parent->ep, sizeof(c.ep));
        c.retry = h->parent->retry;
        c.sleep_ms = h->parent->sleep_ms;
        memcpy(c.label, h->parent->label, sizeof(c.label));
        for (;;) {
            if (atomic_load(h->failed))
                break;
            size_t i = atomic_fetch_add(h->next, 1);
            if (i >= h->ut->n)
                break;
            h->r = do_user_task(&c, &h->ut->tasks[i], &h->mfa, &h->keys, &h->err);
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
        doclist_add(to, from->docs[i], from->tags[i]);
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
        for (size_t i = 0; i < ut->n; i++) {
            enum ia_code r = do_user_task(c, &ut->tasks[i], &j->user_mfa, &j->keys, err);
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
    }
    free(hs);
    free(th);
    return r;
}

static enum ia_code
collect_account(struct run_ctx *rc, struct ia_aws_client *c, struct job *j, struct ia_err *err)
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
    if ((r = cred_header(&t, &cols, err)) != IA_OK)
        goto out;
    size_t n_vmfa = 0;
    char **vmfa = virtual_mfa_users(j, &n_vmfa);
    struct user_tasks ut;
    memset(&ut, 0, sizeof(ut));
    for (size_t i = 1; i < t.n_rows; i++) {
        const struct ia_csv_row *row = &t.rows[i];
        const char *user = cred_field(row, &cols, C_USER);
        if (!user || strcmp(user, "<root_account>") == 0)
            continue;
        /* Per-user calls only where the bulk data leaves a gap. */
        int mfa = is_true(cred_field(row, &cols, C_MFA)) &&
                  !(n_vmfa && bsearch(&user, vmfa, n_vmfa, sizeof(*vmfa), cmp_str));
        int keys = has_key(row, &cols);
        if (!mfa && !keys)
            continue;
        ut.tasks = ia_xgrow(ut.tasks, ut.n + 1, &ut.alloc, sizeof(*ut.tasks));
        ut.tasks[ut.n++] = (struct user_task){ user, mfa, keys };
    }
    for (size_t i = 0; i < n_vmfa; i++)
        free(vmfa[i]);
    free(vmfa);
    r = run_user_tasks(rc, c, j, &ut, err);
    free(ut.tasks);
    if (r != IA_OK)
        goto out;
    for (size_t i = 0; i < j->gaad.n; i++)
        fetch_managed_of_page(rc, c, j->gaad.docs[i]);
    r = IA_OK;
out:
    ia_csv_table_release(&t);
    return r;
}

/* ---- writing one account ---- */

struct writer {
    struct ia_db *db;
    int64_t run_id;
    const char *account;
};

static struct ia_db_stmt *
stmt(struct writer *w, const char *name, struct ia_err *err)
{
    struct ia_db_stmt *st = NULL;
    if (ia_db_prepare(w->db, name, &st, err) != IA_OK)
        return NULL;
    ia_db_bind_int(st, ":run_id", w->run_id);
    if (strcmp(name, "managed_policy_insert") != 0 && strcmp(name, "principal_id_upsert") != 0)
        ia_db_bind_text(st, ":account_id", w->account);
    return st;
}

#define STMT(var, name)                                                                           \
    struct ia_db_stmt *var = stmt(w, name, err);                                                  \
    if (!var)                                                                                     \
        return IA_ERR_DB

static enum ia_code
write_policies_of(struct writer *w, const struct ia_xml_node *m, const char *kind,
                  const char *name, const char *inline_list, struct ia_err *err)
{
    STMT(st, "principal_policy_insert");
    for (const struct ia_xml_node *p = ia_xml_child(ia_xml_child(m, inline_list), "member"); p;
         p = ia_xml_next(p, "member")) {
        char *raw = ia_xml_path_text(p, "PolicyDocument"), *doc = NULL;
        size_t len;
        struct ia_err pe;
        if (raw && ia_policy_decode(raw, strlen(raw), &doc, &len, &pe) != IA_OK)
            doc = ia_xstrdup(raw); /* keep what AWS sent; the analyser reports it unreadable */
        ia_db_bind_int(st, ":run_id", w->run_id);
        ia_db_bind_text(st, ":account_id", w->account);
        ia_db_bind_text(st, ":principal_kind", kind);
        ia_db_bind_text(st, ":principal_name", name);
        ia_db_bind_text(st, ":kind", "inline");
        bind_path(st, ":policy_name", p, "PolicyName");
        ia_db_bind_null(st, ":policy_arn");
        ia_db_bind_text(st, ":document", doc);
        free(raw);
        free(doc);
        if (ia_db_run(st, err) != IA_OK)
            return IA_ERR_DB;
    }
    for (const struct ia_xml_node *p =
             ia_xml_child(ia_xml_child(m, "AttachedManagedPolicies"), "member");
         p; p = ia_xml_next(p, "member")) {
        ia_db_bind_int(st, ":run_id", w->run_id);
        ia_db_bind_text(st, ":account_id", w->account);
        ia_db_bind_text(st, ":principal_kind", kind);
        ia_db_bind_text(st, ":principal_name", name);
        ia_db_bind_text(st, ":kind", "attached");
        bind_path(st, ":policy_name", p, "PolicyName");
        bind_path(st, ":policy_arn", p, "PolicyArn");
        ia_db_bind_null(st, ":document");
        if (ia_db_run(st, err) != IA_OK)
            return IA_ERR_DB;
    }
    return IA_OK;
}

static enum ia_code
remember_id(struct writer *w, const char *kind, const char *id, const char *name,
            const char *arn, struct ia_err *err)
{
    STMT(st, "principal_id_upsert");
    ia_db_bind_text(st, ":unique_id", id);
    ia_db_bind_text(st, ":kind", kind);
    ia_db_bind_text(st, ":account_id", w->account);
    ia_db_bind_text(st, ":name", name);
    ia_db_bind_text(st, ":arn", arn);
    return ia_db_run(st, err);
}

static enum ia_code
write_trusts(struct writer *w, const char *role, const char *role_arn, const char *doc,
             char **trust_error, struct ia_err *err)
{
    struct ia_trust_rows rows;
    struct ia_err pe;
    ia_err_clear(&pe);
    if (ia_policy_trust_rows(doc, strlen(doc), &rows, &pe) != IA_OK) {
        *trust_error = ia_xstrdup(pe.msg);
        return IA_OK;
    }
    STMT(st, "trust_insert");
    size_t prev_stmt = (size_t)-1;
    int64_t pidx = 0;
    for (size_t i = 0; i < rows.n_rows; i++) {
        const struct ia_trust_row *r = &rows.rows[i];
        pidx = r->statement_index == prev_stmt ? pidx + 1 : 0;
        prev_stmt = r->statement_index;
        ia_db_bind_int(st, ":run_id", w->run_id);
        ia_db_bind_text(st, ":account_id", w->account);
        ia_db_bind_text(st, ":role_name", role);
        ia_db_bind_text(st, ":role_arn", role_arn);
        ia_db_bind_int(st, ":statement_index", (int64_t)r->statement_index);
        ia_db_bind_int(st, ":principal_index", pidx);
        ia_db_bind_text(st, ":sid", r->sid);
        ia_db_bind_text(st, ":effect", ia_policy_effect_name(r->effect));
        ia_db_bind_int(st, ":not_principal", r->not_principal);
        ia_db_bind_text(st, ":principal_kind", r->principal_kind);
        ia_db_bind_text(st, ":principal", r->principal);
        ia_db_bind_text(st, ":principal_account", r->principal_account);
        ia_db_bind_text(st, ":principal_type", ia_policy_principal_type_name(r->principal_type));
        ia_db_bind_text(st, ":actions", r->actions);
        ia_db_bind_int(st, ":not_action", r->not_action);
        ia_db_bind_text(st, ":conditions", r->conditions);
        if (ia_db_run(st, err) != IA_OK) {
            ia_policy_trust_rows_release(&rows);
            return IA_ERR_DB;
        }
    }
    if (rows.n_problems) {
        struct ia_buf b = IA_BUF_INIT;
        for (size_t i = 0; i < rows.n_problems; i++)
            ia_buf_addf(&b, "%s%s", i ? "; " : "", rows.problems[i].message);
        *trust_error = ia_buf_detach(&b, NULL);
    }
    ia_policy_trust_rows_release(&rows);
    return IA_OK;
}

static enum ia_code
write_gaad_page(struct writer *w, const struct ia_xml_doc *page, struct ia_err *err)
{
    const struct ia_xml_node *r = ia_iam_result(page, "GetAccountAuthorizationDetails");
    char name[512], id[256], arn[2048];

    STMT(us, "user_insert");
    for (const struct ia_xml_node *m = ia_xml_child(ia_xml_child(r, "UserDetailList"), "member");
         m; m = ia_xml_next(m, "member")) {
        ia_xml_path_copy(m, "UserName", name, sizeof(name));
        ia_xml_path_copy(m, "UserId", id, sizeof(id));
        ia_xml_path_copy(m, "Arn", arn, sizeof(arn));
        char *tags = tags_json(m);
        ia_db_bind_int(us, ":run_id", w->run_id);
        ia_db_bind_text(us, ":account_id", w->account);
        ia_db_bind_text(us, ":user_name", name);
        ia_db_bind_text(us, ":user_id", id);
        ia_db_bind_text(us, ":arn", arn);
        bind_path(us, ":path", m, "Path");
        bind_path_time(us, ":created_at", m, "CreateDate");
        bind_path(us, ":permissions_boundary", m, "PermissionsBoundary/PermissionsBoundaryArn");
        ia_db_bind_text(us, ":tags", tags);
        free(tags);
        if (ia_db_run(us, err) != IA_OK || remember_id(w, "user", id, name, arn, err) != IA_OK)
            return IA_ERR_DB;
        STMT(gm, "group_member_insert");
        for (const struct ia_xml_node *g = ia_xml_child(ia_xml_child(m, "GroupList"), "member");
             g; g = ia_xml_next(g, "member")) {
            char *gname = ia_xml_text(g);
            ia_db_bind_int(gm, ":run_id", w->run_id);
            ia_db_bind_text(gm, ":account_id", w->account);
            ia_db_bind_text(gm, ":group_name", gname);
            ia_db_bind_text(gm, ":user_name", name);
            free(gname);
            if (ia_db_run(gm, err) != IA_OK)
                return IA_ERR_DB;
        }
        if (write_policies_of(w, m, "user", name, "UserPolicyList", err) != IA_OK)
            return IA_ERR_DB;
    }

    STMT(gs, "group_insert");
    for (const struct ia_xml_node *m = ia_xml_child(ia_xml_child(r, "GroupDetailList"), "member");
         m; m = ia_xml_next(m, "member")) {
        ia_xml_path_copy(m, "GroupName", name, sizeof(name));
        ia_db_bind_int(gs, ":run_id", w->run_id);
        ia_db_bind_text(gs, ":account_id", w->account);
        ia_db_bind_text(gs, ":group_name", name);
        bind_path(gs, ":group_id", m, "GroupId");
        bind_path(gs, ":arn", m, "Arn");
        bind_path(gs, ":path", m, "Path");
        bind_path_time(gs, ":created_at", m, "CreateDate");
        if (ia_db_run(gs, err) != IA_OK)
            return IA_ERR_DB;
        if (write_policies_of(w, m, "group", name, "GroupPolicyList", err) != IA_OK)
            return IA_ERR_DB;
    }

    STMT(rs, "role_insert");
    for (const struct ia_xml_node *m = ia_xml_child(ia_xml_child(r, "RoleDetailList"), "member");
         m; m = ia_xml_next(m, "member")) {
        ia_xml_path_copy(m, "RoleName", name, sizeof(name));
        ia_xml_path_copy(m, "RoleId", id, sizeof(id));
        ia_xml_path_copy(m, "Arn", arn, sizeof(arn));
        char *raw = ia_xml_path_text(m, "AssumeRolePolicyDocument"), *doc = NULL;
        char *trust_error = NULL, *tags = tags_json(m);
        size_t len;
        struct ia_err pe;
        if (!raw)
            trust_error = ia_xstrdup("the role has no trust policy document");
        else if (ia_policy_decode(raw, strlen(raw), &doc, &len, &pe) != IA_OK)
            trust_error = ia_xstrdup(pe.msg);
        else if (write_trusts(w, name, arn, doc, &trust_error, err) != IA_OK) {
            free(raw);
            free(doc);
            free(tags);
            return IA_ERR_DB;
        }
        ia_db_bind_int(rs, ":run_id", w->run_id);
        ia_db_bind_text(rs, ":account_id", w->account);
        ia_db_bind_text(rs, ":role_name", name);
        ia_db_bind_text(rs, ":role_id", id);
        ia_db_bind_text(rs, ":arn", arn);
        bind_path(rs, ":path", m, "Path");
        bind_path_time(rs, ":created_at", m, "CreateDate");
        bind_path_time(rs, ":last_used_at", m, "RoleLastUsed/LastUsedDate");
        bind_path(rs, ":last_used_region", m, "RoleLastUsed/Region");
        bind_path(rs, ":permissions_boundary", m, "PermissionsBoundary/PermissionsBoundaryArn");
        ia_db_bind_text(rs, ":tags", tags);
        ia_db_bind_text(rs, ":trust_policy", doc ? doc : raw);
        ia_db_bind_text(rs, ":trust_error", trust_error);
        enum ia_code wr = ia_db_run(rs, err);
        free(raw);
        free(doc);
        free(trust_error);
        free(tags);
        if (wr != IA_OK || remember_id(w, "role", id, name, arn, err) != IA_OK)
            return IA_ERR_DB;
        if (write_policies_of(w, m, "role", name, "RolePolicyList", err) != IA_OK)
            return IA_ERR_DB;
    }

    STMT(ps, "policy_insert");
    for (const struct ia_xml_node *m = ia_xml_child(ia_xml_child(r, "Policies"), "member"); m;
         m = ia_xml_next(m, "member")) {
        char *doc = NULL, def[64], parn[2048], pname[512];
        ia_xml_path_copy(m, "Arn", parn, sizeof(parn));
        /* AWS-managed policies live in managed_policies, fetched once per run (our filter
         * keeps them out of GAAD; an emulator that ignores the filter must not add them). */
        if (strstr(parn, ":iam::aws:policy/"))
            continue;
        ia_xml_path_copy(m, "DefaultVersionId", def, sizeof(def));
        for (const struct ia_xml_node *v =
                 ia_xml_child(ia_xml_child(m, "PolicyVersionList"), "member");
             v; v = ia_xml_next(v, "member")) {
            char isdef[8], vid[64];
            ia_xml_path_copy(v, "IsDefaultVersion", isdef, sizeof(isdef));
            ia_xml_path_copy(v, "VersionId", vid, sizeof(vid));
            if (strcmp(isdef, "true") == 0 || (def[0] && strcmp(vid, def) == 0)) {
                char *raw = ia_xml_path_text(v, "Document");
                size_t len;
                struct ia_err pe;
                if (raw && ia_policy_decode(raw, strlen(raw), &doc, &len, &pe) != IA_OK)
                    doc = ia_xstrdup(raw);
                free(raw);
                break;
            }
        }
        char *cnt = ia_xml_path_text(m, "AttachmentCount");
        ia_db_bind_int(ps, ":run_id", w->run_id);
        ia_db_bind_text(ps, ":account_id", w->account);
        ia_xml_path_copy(m, "PolicyName", pname, sizeof(pname));
        /* moto omits PolicyName here; the ARN's last part is the name in AWS too. */
        if (!pname[0] && strrchr(parn, '/'))
            snprintf(pname, sizeof(pname), "%s", strrchr(parn, '/') + 1);
        ia_db_bind_text(ps, ":arn", parn);
        ia_db_bind_text(ps, ":policy_name", pname);
        bind_path(ps, ":policy_id", m, "PolicyId");
        bind_path(ps, ":path", m, "Path");
        ia_db_bind_text(ps, ":default_version_id", def[0] ? def : NULL);
        if (cnt && *cnt)
            ia_db_bind_int(ps, ":attachment_count", strtoll(cnt, NULL, 10));
        else
            ia_db_bind_null(ps, ":attachment_count");
        bind_path_time(ps, ":created_at", m, "CreateDate");
        bind_path_time(ps, ":updated_at", m, "UpdateDate");
        ia_db_bind_text(ps, ":document", doc);
        free(cnt);
        free(doc);
        if (ia_db_run(ps, err) != IA_OK)
            return IA_ERR_DB;
    }
    return IA_OK;
}

static enum ia_code
write_roles_details(struct writer *w, const struct ia_xml_doc *page, struct ia_err *err)
{
    STMT(st, "role_set_details");
    const struct ia_xml_node *r = ia_iam_result(page, "ListRoles");
    for (const struct ia_xml_node *m = ia_xml_child(ia_xml_child(r, "Roles"), "member"); m;
         m = ia_xml_next(m, "member")) {
        char *msd = ia_xml_path_text(m, "MaxSessionDuration");
        ia_db_bind_int(st, ":run_id", w->run_id);
        ia_db_bind_text(st, ":account_id", w->account);
        bind_path(st, ":role_name", m, "RoleName");
        if (msd && *msd)
            ia_db_bind_int(st, ":max_session_duration", strtoll(msd, NULL, 10));
        else
            ia_db_bind_null(st, ":max_session_duration");
        bind_path(st, ":description", m, "Description");
        free(msd);
        if (ia_db_run(st, err) != IA_OK)
            return IA_ERR_DB;
    }
    return IA_OK;
}

/* The device name is the serial's last path part for virtual devices (arn:...:mfa/NAME). */
static const char *
device_name(const char *serial, const char **kind)
{
    const char *p;
    if ((p = strstr(serial, ":mfa/"))) {
        *kind = "virtual";
        return p + 5;
    }
    if ((p = strstr(serial, ":u2f/"))) {
        *kind = "fido";
        const char *slash = strrchr(p, '/');
        return slash ? slash + 1 : p + 5;
    }
    *kind = strncmp(serial, "arn:", 4) == 0 ? "unknown" : "hardware";
    return serial;
}

static enum ia_code
write_mfa(struct writer *w, const struct job *j, struct ia_err *err)
{
    STMT(st, "mfa_insert");
    for (size_t d = 0; d < j->vmfa.n; d++) {
        const struct ia_xml_node *r = ia_iam_result(j->vmfa.docs[d], "ListVirtualMFADevices");
        for (const struct ia_xml_node *m = ia_xml_child(ia_xml_child(r, "VirtualMFADevices"),
                                                        "member");
             m; m = ia_xml_next(m, "member")) {
            char serial[1024], user[512];
            const char *kind;
            ia_xml_path_copy(m, "SerialNumber", serial, sizeof(serial));
            ia_xml_path_copy(m, "User/UserName", user, sizeof(user));
            const char *dname = device_name(serial, &kind);
            ia_db_bind_int(st, ":run_id", w->run_id);
            ia_db_bind_text(st, ":account_id", w->account);
            ia_db_bind_text(st, ":user_name", user[0] ? user : NULL);
            ia_db_bind_text(st, ":serial_number", serial);
            ia_db_bind_text(st, ":device_name", dname);
            ia_db_bind_text(st, ":kind", "virtual");
            bind_path_time(st, ":enabled_at", m, "EnableDate");
            if (ia_db_run(st, err) != IA_OK)
                return IA_ERR_DB;
        }
    }
    for (size_t d = 0; d < j->user_mfa.n; d++) {
        const struct ia_xml_node *r = ia_iam_result(j->user_mfa.docs[d], "ListMFADevices");
        for (const struct ia_xml_node *m = ia_xml_child(ia_xml_child(r, "MFADevices"), "member");
             m; m = ia_xml_next(m, "member")) {
            char serial[1024];
            const char *kind;
            ia_xml_path_copy(m, "SerialNumber", serial, sizeof(serial));
            const char *dname = device_name(serial, &kind);
            ia_db_bind_int(st, ":run_id", w->run_id);
            ia_db_bind_text(st, ":account_id", w->account);
            ia_db_bind_text(st, ":user_name", j->user_mfa.tags[d]);
            ia_db_bind_text(st, ":serial_number", serial);
            ia_db_bind_text(st, ":device_name", dname);
            ia_db_bind_text(st, ":kind", kind);
            bind_path_time(st, ":enabled_at", m, "EnableDate");
            if (ia_db_run(st, err) != IA_OK)
                return IA_ERR_DB;
        }
    }
    return IA_OK;
}

/* Access keys from ListAccessKeys; last use from the credential report's matching slot. */
static enum ia_code
write_keys(struct writer *w, const struct job *j, const struct ia_csv_table *t,
           const struct cred_cols *cols, struct ia_err *err)
{
    STMT(st, "access_key_insert");
    for (size_t d = 0; d < j->keys.n; d++) {
        const char *user = j->keys.tags[d];
        const struct ia_csv_row *row = NULL;
        for (size_t i = 1; i < t->n_rows && !row; i++) {
            const char *u = cred_field(&t->rows[i], cols, C_USER);
            if (u && strcmp(u, user) == 0)
                row = &t->rows[i];
        }
        const struct ia_xml_node *r = ia_iam_result(j->keys.docs[d], "ListAccessKeys");
        for (const struct ia_xml_node *m =
                 ia_xml_child(ia_xml_child(r, "AccessKeyMetadata"), "member");
             m; m = ia_xml_next(m, "member")) {
            char created[64];
            ia_xml_path_copy(m, "CreateDate", created, sizeof(created));
            char *ncreated = norm_time(created);
            const char *used = NULL, *svc = NULL, *region = NULL;
            /* The report's slot 1/2 is the key whose rotation time is its creation time. */
            for (int slot = 0; row && slot < 2 && ncreated; slot++) {
                char *rot = norm_time(cred_field(row, cols, slot ? C_K2_ROTATED : C_K1_ROTATED));
                if (rot && strcmp(rot, ncreated) == 0) {
                    used = cred_field(row, cols, slot ? C_K2_USED : C_K1_USED);
                    svc = cred_field(row, cols, slot ? C_K2_SERVICE : C_K1_SERVICE);
                    region = cred_field(row, cols, slot ? C_K2_REGION : C_K1_REGION);
                }
                free(rot);
            }
            ia_db_bind_int(st, ":run_id", w->run_id);
            ia_db_bind_text(st, ":account_id", w->account);
            ia_db_bind_text(st, ":user_name", user);
            bind_path(st, ":access_key_id", m, "AccessKeyId");
            bind_path(st, ":status", m, "Status");
            ia_db_bind_text(st, ":created_at", ncreated);
            bind_time(st, ":last_used_at", used);
            /* "N/A" and moto's "not_supported" are not a service or region. */
            ia_db_bind_text(st, ":last_used_service",
                            svc && strcmp(svc, "N/A") && strcmp(svc, "not_supported") ? svc : NULL);
            ia_db_bind_text(st, ":last_used_region",
                            region && strcmp(region, "N/A") && strcmp(region, "not_supported")
                                ? region
                                : NULL);
            free(ncreated);
            if (ia_db_run(st, err) != IA_OK)
                return IA_ERR_DB;
        }
    }
    return IA_OK;
}

static enum ia_code
write_credential_report(struct writer *w, const struct job *j, struct ia_err *err)
{
    struct ia_csv_table t;
    struct cred_cols cols;
    enum ia_code rc;
    if ((rc = ia_csv_parse(j->cred_csv.buf, j->cred_csv.len, &t, err)) != IA_OK)
        return rc;
    if ((rc = cred_header(&t, &cols, err)) != IA_OK)
        goto out;
    rc = IA_ERR_DB;
    STMT(cr, "credential_report_insert");
    STMT(us, "user_set_credentials");
    for (size_t i = 1; i < t.n_rows; i++) {
        const struct ia_csv_row *row = &t.rows[i];
        if (!cred_field(row, &cols, C_USER) || !cred_field(row, &cols, C_ARN))
            continue;
        ia_db_bind_int(cr, ":run_id", w->run_id);
        ia_db_bind_text(cr, ":account_id", w->account);
        ia_db_bind_text(cr, ":generated_at", j->cred_generated[0] ? j->cred_generated : NULL);
        for (int c = 0; c < 22; c++) {
            char param[64];
            snprintf(param, sizeof(param), ":%s", s_cred_cols[c]);
            ia_db_bind_text(cr, param, cred_field(row, &cols, c));
        }
        if (ia_db_run(cr, err) != IA_OK)
            goto out;
        ia_db_bind_int(us, ":run_id", w->run_id);
        ia_db_bind_text(us, ":account_id", w->account);
        ia_db_bind_text(us, ":arn", cred_field(row, &cols, C_ARN));
        ia_db_bind_bool(us, ":password_enabled", is_true(cred_field(row, &cols, C_PW_ENABLED)));
        bind_time(us, ":password_last_used", cred_field(row, &cols, C_PW_USED));
        bind_time(us, ":password_last_changed", cred_field(row, &cols, C_PW_CHANGED));
        ia_db_bind_bool(us, ":mfa_active", is_true(cred_field(row, &cols, C_MFA)));
        if (ia_db_run(us, err) != IA_OK)
            goto out;
    }
    rc = write_keys(w, j, &t, &cols, err);
out:
    ia_csv_table_release(&t);
    return rc;
}

static enum ia_code
write_password_policy(struct writer *w, const struct job *j, struct ia_err *err)
{
    STMT(st, "password_policy_insert");
    static const char *const ints[][2] = {
        { ":minimum_length", "MinimumPasswordLength" }, { ":max_password_age", "MaxPasswordAge" },
        { ":password_reuse_prevention", "PasswordReusePrevention" },
    };
    static const char *const bools[][2] = {
        { ":require_symbols", "RequireSymbols" }, { ":require_numbers", "RequireNumbers" },
        { ":require_uppercase", "RequireUppercaseCharacters" },
        { ":require_lowercase", "RequireLowercaseCharacters" },
        { ":allow_users_to_change", "AllowUsersToChangePassword" },
        { ":expire_passwords", "ExpirePasswords" }, { ":hard_expiry", "HardExpiry" },
    };
    const struct ia_xml_node *p =
        j->password_policy
            ? ia_xml_child(ia_iam_result(j->password_policy, "GetAccountPasswordPolicy"),
                           "PasswordPolicy")
            : NULL;
    ia_db_bind_int(st, ":present", p ? 1 : 0);
    for (size_t i = 0; i < IA_ARRAY_LEN(ints); i++) {
        char *v = ia_xml_path_text(p, ints[i][1]);
        if (v && *v)
            ia_db_bind_int(st, ints[i][0], strtoll(v, NULL, 10));
        else
            ia_db_bind_null(st, ints[i][0]);
        free(v);
    }
    for (size_t i = 0; i < IA_ARRAY_LEN(bools); i++) {
        char *v = ia_xml_path_text(p, bools[i][1]);
        ia_db_bind_bool(st, bools[i][0], v ? strcmp(v, "true") == 0 : -1);
        free(v);
    }
    return ia_db_run(st, err);
}

static enum ia_code
write_account(struct run_ctx *rc, struct job *j, struct ia_err *err)
{
    struct writer w = { rc->db, rc->run_id, j->account_id };
    enum ia_code r;
    char now[IA_TIME_ISO_LEN];

    if ((r = ia_db_begin(rc->db, err)) != IA_OK)
        return r;
    for (size_t i = 0; i < j->gaad.n; i++)
        if ((r = write_gaad_page(&w, j->gaad.docs[i], err)) != IA_OK)
            goto fail;
    for (size_t i = 0; i < j->roles.n; i++)
        if ((r = write_roles_details(&w, j->roles.docs[i], err)) != IA_OK)
            goto fail;
    if ((r = write_mfa(&w, j, err)) != IA_OK || (r = write_credential_report(&w, j, err)) != IA_OK ||
        (r = write_password_policy(&w, j, err)) != IA_OK)
        goto fail;
    struct ia_db_stmt *st = stmt(&w, "account_ok", err);
    if (!st) {
        r = IA_ERR_DB;
        goto fail;
    }
    ia_time_format_iso(ia_time_now(), now);
    ia_db_bind_text(st, ":alias", j->alias[0] ? j->alias : NULL);
    ia_db_bind_text(st, ":collected_at", now);
    ia_db_bind_int(st, ":api_calls", j->calls);
    ia_db_bind_int(st, ":retries", j->retries);
    ia_db_bind_int(st, ":throttles", j->throttles);
    if ((r = ia_db_run(st, err)) != IA_OK)
        goto fail;
    /* The account becomes visible, whole, only here. */
    if ((r = ia_db_commit(rc->db, err)) != IA_OK)
        goto fail;
    return IA_OK;
fail:
    ia_db_rollback(rc->db);
    return r;
}

static enum ia_code
write_failure(struct run_ctx *rc, struct job *j, struct ia_err *err)
{
    struct writer w = { rc->db, rc->run_id, j->account_id };
    char now[IA_TIME_ISO_LEN];
    struct ia_db_stmt *st = stmt(&w, "account_failed", err);
    if (!st)
        return IA_ERR_DB;
    ia_time_format_iso(ia_time_now(), now);
    ia_db_bind_text(st, ":error_code",
                    j->err.aws_code[0] ? j->err.aws_code : ia_code_name(j->err.code));
    ia_db_bind_text(st, ":error_message", j->err.msg);
    ia_db_bind_text(st, ":collected_at", now);
    ia_db_bind_int(st, ":api_calls", j->calls);
    ia_db_bind_int(st, ":retries", j->retries);
    ia_db_bind_int(st, ":throttles", j->throttles);
    return ia_db_run(st, err);
}

/* ---- workers ---- */

struct assume_impl {
    struct ia_aws_client *caller_client; /* borrowed, shared: its calls are thread-safe */
    char *role_arn, *external_id, *session_name;
};

static enum ia_code
assume_fetch(void *impl, struct ia_creds *out, struct ia_err *err)
{
    struct assume_impl *a = impl;
    struct ia_assume_role_params p = { a->role_arn, a->session_name, a->external_id, NULL, NULL,
                                       0 };
    return ia_sts_assume_role(a->caller_client, &p, out, err);
}

static void
assume_destroy(void *impl)
{
    struct assume_impl *a = impl;
    free(a->role_arn);
    free(a->external_id);
    free(a->session_name);
    free(a);
}

static void
progress(struct run_ctx *rc)
{
    const struct ia_collect_options *o = rc->opts;
    if (!o->progress || o->quiet)
        return;
    long calls = atomic_load(&rc->done_calls), retries = atomic_load(&rc->done_retries),
         throttles = atomic_load(&rc->done_throttles);
    pthread_mutex_lock(&rc->progress_mu);
    fprintf(stderr, "\rcollect: %d/%zu accounts, %ld calls, %ld retries, %ld throttles   ",
            atomic_load(&rc->done), rc->n_jobs, calls, retries, throttles);
    fflush(stderr);
    pthread_mutex_unlock(&rc->progress_mu);
}

struct worker {
    struct run_ctx *rc;
    struct ia_http *http;
    struct ia_aws_client caller; /* the caller's identity, for AssumeRole */
};

static void
run_job(struct worker *wk, struct job *j)
{
    struct run_ctx *rc = wk->rc;
    struct ia_creds_provider *prov = NULL;
    struct ia_aws_client c;
    int have_client = 0;
    uint64_t t0 = ia_time_mono_ms();
    long calls0 = atomic_load(&wk->caller.stats.calls);
    long retries0 = atomic_load(&wk->caller.stats.retries);
    long throttles0 = atomic_load(&wk->caller.stats.throttles);

    ia_err_clear(&j->err);
    if (j->use_caller) {
        prov = NULL;
    } else {
        struct assume_impl *a = ia_xcalloc(1, sizeof(*a));
        a->caller_client = &wk->caller;
        a->role_arn = ia_xstrdup(j->role_arn);
        a->external_id = j->external_id ? ia_xstrdup(j->external_id) : NULL;
        a->session_name = ia_xstrdup(rc->cfg->session_name);
        prov = ia_creds_provider_new("assume-role", assume_fetch, assume_destroy, a);
    }
    j->rc = ia_aws_client_init(&c, ia_http_ops_of(wk->http), prov ? prov : rc->opts->caller,
                               rc->opts->region, rc->opts->profile_endpoint_url, &j->err);
    if (j->rc == IA_OK) {
        have_client = 1;
        c.retry.max_attempts = rc->cfg->max_attempts;
        c.retry.base_ms = (uint32_t)rc->cfg->retry_base_ms;
        snprintf(c.label, sizeof(c.label), "account %s", j->account_id);
        j->rc = collect_account(rc, &c, j, &j->err);
    }
    if (have_client) {
        /* AssumeRole went through the worker's caller client: count it for this account. */
        j->calls = atomic_load(&c.stats.calls) + atomic_load(&wk->caller.stats.calls) - calls0;
        j->retries = atomic_load(&c.stats.retries) + atomic_load(&wk->caller.stats.retries) -
                     retries0;
        j->throttles = atomic_load(&c.stats.throttles) +
                       atomic_load(&wk->caller.stats.throttles) - throttles0;
        ia_aws_client_release(&c);
    }
    ia_creds_provider_free(prov);

    pthread_mutex_lock(&rc->db_mu);
    struct ia_err werr;
    ia_err_clear(&werr);
    enum ia_code wr = j->rc == IA_OK ? write_account(rc, j, &werr) : IA_OK;
    if (wr != IA_OK) {
        /* A local write failure (disk full, locked) is not the account's fault: stop the run. */
        atomic_store(&rc->db_failed, 1);
        rc->db_err = werr;
    } else if (j->rc != IA_OK && write_failure(rc, j, &werr) != IA_OK) {
        atomic_store(&rc->db_failed, 1);
        rc->db_err = werr;
    }
    pthread_mutex_unlock(&rc->db_mu);

    /* Free the account's documents as soon as it is written: memory stays flat. */
    doclist_release(&j->gaad);
    doclist_release(&j->roles);
    doclist_release(&j->vmfa);
    doclist_release(&j->user_mfa);
    doclist_release(&j->keys);
    ia_buf_release(&j->cred_csv);
    atomic_fetch_add(&rc->done_calls, j->calls);
    atomic_fetch_add(&rc->done_retries, j->retries);
    atomic_fetch_add(&rc->done_throttles, j->throttles);
    atomic_fetch_add(&rc->done, 1);
    if (!rc->opts->quiet && !rc->opts->progress) {
        if (j->rc == IA_OK)
            /* Without a terminal, one timestamped line per account, whatever the level. */
            ia_log_write(IA_LOG_INFO, "collect",
                        "msg=\"account collected\" account=%s name=\"%s\" calls=%ld retries=%ld "
                        "throttles=%ld ms=%llu",
                        j->account_id, j->name, j->calls, j->retries, j->throttles,
                        (unsigned long long)(ia_time_mono_ms() - t0));
    }
    if (j->rc != IA_OK)
        IA_LOG_ERR("collect", "msg=\"account failed\" account=%s code=%s error=\"%s\"",
                   j->account_id, j->err.aws_code[0] ? j->err.aws_code : ia_code_name(j->err.code),
                   j->err.msg);
    progress(rc);
}

static void *
worker_main(void *arg)
{
    struct worker *wk = arg;
    struct run_ctx *rc = wk->rc;
    for (;;) {
        if (atomic_load(&rc->db_failed))
            break;
        size_t i = atomic_fetch_add(&rc->next, 1);
        if (i >= rc->n_jobs)
            break;
        run_job(wk, &rc->jobs[i]);
    }
    return NULL;
}

/* ---- planning ---- */

static int
wanted(const struct ia_collect_options *o, const char *id)
{
    if (!o->only_accounts || !o->only_accounts[0])
        return 1;
    for (size_t i = 0; o->only_accounts[i]; i++)
        if (strcmp(o->only_accounts[i], id) == 0)
            return 1;
    return 0;
}

static struct job *
add_job(struct run_ctx *rc, size_t *alloc, const char *id, const char *name, const char *team)
{
    for (size_t i = 0; i < rc->n_jobs; i++)
        if (strcmp(rc->jobs[i].account_id, id) == 0)
            return NULL;
    rc->jobs = ia_xgrow(rc->jobs, rc->n_jobs + 1, alloc, sizeof(*rc->jobs));
    struct job *j = &rc->jobs[rc->n_jobs++];
    memset(j, 0, sizeof(*j));
    j->account_id = ia_xstrdup(id);
    j->name = ia_xstrdup(name);
    j->team = team ? ia_xstrdup(team) : NULL;
    return j;
}

static char *
role_arn_for(const struct run_ctx *rc, const char *id)
{
    struct ia_buf b = IA_BUF_INIT;
    const char *part = ia_endpoint_partition(rc->opts->region);
    ia_buf_addf(&b, "arn:%s:iam::%s:role/%s", part, id, rc->cfg->role_name);
    return ia_buf_detach(&b, NULL);
}

/* Whether caller (an assumed-role ARN) is a session of role_arn. */
static int
caller_is_role(const char *caller, const char *role_arn)
{
    /* arn:P:sts::ACCT:assumed-role/NAME/SESSION vs arn:P:iam::ACCT:role/[path/]NAME */
    const char *ar = strstr(caller, ":assumed-role/");
    const char *r = strstr(role_arn, ":role/");
    if (!ar || !r)
        return 0;
    const char *cacct = ar, *racct = r;
    while (cacct > caller && cacct[-1] != ':')
        cacct--;
    while (racct > role_arn && racct[-1] != ':')
        racct--;
    if (ar - cacct != 12 || r - racct != 12 || strncmp(cacct, racct, 12) != 0)
        return 0;
    const char *name = strrchr(r, '/') + 1;
    const char *cname = ar + 14, *slash = strchr(cname, '/');
    size_t clen = slash ? (size_t)(slash - cname) : strlen(cname);
    return strlen(name) == clen && strncmp(name, cname, clen) == 0;
}

static void
finish_job_plan(struct run_ctx *rc, struct job *j, const char *explicit_arn, const char *ext)
{
    const struct ia_config *cfg = rc->cfg;
    j->is_base = cfg->base_account && strcmp(cfg->base_account, j->account_id) == 0;
    if (j->is_base && !explicit_arn)
        explicit_arn = cfg->base_role_arn;
    j->role_arn = explicit_arn ? ia_xstrdup(explicit_arn) : role_arn_for(rc, j->account_id);
    /*
     * The audit role is assumed in every account, the caller's own included (least
     * privilege for the caller). Only when the caller already is that role (a scheduled
     * job running as it) is no hop needed.
     */
    if (caller_is_role(rc->caller_arn, j->role_arn)) {
        j->use_caller = 1;
        free(j->role_arn);
        j->role_arn = NULL;
        return;
    }
    ext = ext ? ext : cfg->external_id;
    j->external_id = ext ? ia_xstrdup(ext) : NULL;
}

static enum ia_code
plan(struct run_ctx *rc, struct ia_aws_client *caller, struct ia_err *err)
{
    const struct ia_config *cfg = rc->cfg;
    size_t alloc = 0;
    enum ia_code r;

    if (cfg->base_account && wanted(rc->opts, cfg->base_account)) {
        const char *ext = NULL, *arn = NULL, *name = cfg->base_name;
        for (size_t i = 0; i < cfg->n_accounts; i++)
            if (strcmp(cfg->accounts[i].id, cfg->base_account) == 0) {
                ext = cfg->accounts[i].external_id;
                arn = cfg->accounts[i].role_arn;
                name = cfg->accounts[i].name;
            }
        struct job *j = add_job(rc, &alloc, cfg->base_account, name, cfg->base_name);
        finish_job_plan(rc, j, arn, ext);
    }
    for (size_t i = 0; i < cfg->n_accounts; i++) {
        const struct ia_config_account *a = &cfg->accounts[i];
        if (!wanted(rc->opts, a->id))
            continue;
        struct job *j = add_job(rc, &alloc, a->id, a->name, a->team);
        if (j)
            finish_job_plan(rc, j, a->role_arn, a->external_id);
    }
    if (cfg->org_discover) {
        struct ia_org_account *accts = NULL;
        size_t n = 0;
        if ((r = ia_org_discover(caller, cfg->org_role_arn, cfg->org_external_id,
                                 cfg->session_name, &accts, &n, err)) != IA_OK)
            return r;
        for (size_t i = 0; i < n; i++) {
            int excluded = 0;
            for (size_t x = 0; cfg->org_exclude && cfg->org_exclude[x]; x++)
                excluded |= strcmp(cfg->org_exclude[x], accts[i].id) == 0;
            if (excluded || strcmp(accts[i].status, "ACTIVE") != 0 ||
                !wanted(rc->opts, accts[i].id))
                continue;
            struct job *j = add_job(rc, &alloc, accts[i].id,
                                    accts[i].name[0] ? accts[i].name : accts[i].id, NULL);
            if (j)
                finish_job_plan(rc, j, NULL, NULL);
        }
        ia_org_accounts_free(accts, n);
    }
    if (rc->n_jobs == 0)
        return ia_err_set(err, IA_ERR_CONFIG,
                          "no account matches: check --account ids against the config's "
                          "[audit] base_account and [account NAME] ids");
    return IA_OK;
}

static enum ia_code
record_run_start(struct run_ctx *rc, const char *caller_arn, struct ia_err *err)
{
    struct ia_db_stmt *st;
    char now[IA_TIME_ISO_LEN];
    enum ia_code r;

    ia_time_format_iso(ia_time_now(), now);
    if ((r = ia_db_begin(rc->db, err)) != IA_OK)
        return r;
    /* A run still 'running' here was interrupted (we hold the lock): say so. */
    if ((r = ia_db_prepare(rc->db, "runs_mark_interrupted", &st, err)) != IA_OK)
        goto fail;
    ia_db_bind_text(st, ":now", now);
    if ((r = ia_db_run(st, err)) != IA_OK)
        goto fail;
    if ((r = ia_db_prepare(rc->db, "run_insert", &st, err)) != IA_OK)
        goto fail;
    ia_db_bind_text(st, ":started_at", now);
    ia_db_bind_text(st, ":tool_version", IA_VERSION);
    ia_db_bind_int(st, ":accounts_attempted", (int64_t)rc->n_jobs);
    ia_db_bind_text(st, ":caller_arn", caller_arn);
    ia_db_bind_text(st, ":config_path", rc->cfg->path);
    if ((r = ia_db_run(st, err)) != IA_OK)
        goto fail;
    rc->run_id = ia_db_last_insert_id(rc->db);
    if ((r = ia_db_prepare(rc->db, "account_insert", &st, err)) != IA_OK)
        goto fail;
    for (size_t i = 0; i < rc->n_jobs; i++) {
        ia_db_bind_int(st, ":run_id", rc->run_id);
        ia_db_bind_text(st, ":account_id", rc->jobs[i].account_id);
        ia_db_bind_text(st, ":name", rc->jobs[i].name);
        ia_db_bind_text(st, ":team", rc->jobs[i].team);
        ia_db_bind_int(st, ":is_base", rc->jobs[i].is_base);
        ia_db_bind_text(st, ":role_arn", rc->jobs[i].role_arn);
        if ((r = ia_db_run(st, err)) != IA_OK)
            goto fail;
    }
    return ia_db_commit(rc->db, err);
fail:
    ia_db_rollback(rc->db);
    return r;
}

static enum ia_code
record_run_end(struct run_ctx *rc, struct ia_collect_result *res, struct ia_err *err)
{
    struct ia_db_stmt *st;
    char now[IA_TIME_ISO_LEN];
    enum ia_code r;

    memset(res, 0, sizeof(*res));
    res->run_id = rc->run_id;
    res->accounts = (int)rc->n_jobs;
    res->calls = rc->caller_calls;
    res->retries = rc->caller_retries;
    res->throttles = rc->caller_throttles;
    for (size_t i = 0; i < rc->n_jobs; i++) {
        res->failed += rc->jobs[i].rc != IA_OK;
        res->calls += rc->jobs[i].calls;
        res->retries += rc->jobs[i].retries;
        res->throttles += rc->jobs[i].throttles;
    }
    snprintf(res->status, sizeof(res->status), "%s",
             res->failed == 0 ? "complete" : res->failed < res->accounts ? "partial" : "failed");
    if ((r = ia_db_begin(rc->db, err)) != IA_OK)
        return r;
    /* Some accounts only (--account): the others come forward from the latest run, in this
     * transaction, so the run is the whole estate the moment it is complete (sql/carry.c). */
    if (rc->opts->only_accounts && rc->opts->only_accounts[0] && res->failed < res->accounts) {
        struct ia_db_carried c;
        if ((r = ia_db_carry_forward(rc->db, rc->run_id, &c, err)) != IA_OK)
            goto fail;
        res->carried = c.accounts;
        res->carried_failed = c.failed;
        res->carried_from = c.from_run;
        if (c.failed)
            snprintf(res->status, sizeof(res->status), "partial");
    }
    for (size_t i = 0; i < rc->n_mp; i++) {
        struct ia_db_stmt *mp;
        if ((r = ia_db_prepare(rc->db, "managed_policy_insert", &mp, err)) != IA_OK)
            goto fail;
        ia_db_bind_int(mp, ":run_id", rc->run_id);
        ia_db_bind_text(mp, ":arn", rc->mp[i].arn);
        ia_db_bind_text(mp, ":version_id", rc->mp[i].version);
        ia_db_bind_text(mp, ":document", rc->mp[i].document);
        ia_db_bind_text(mp, ":error", rc->mp[i].done ? rc->mp[i].error : "not fetched");
        if ((r = ia_db_run(mp, err)) != IA_OK)
            goto fail;
    }
    if ((r = ia_db_prepare(rc->db, "run_finish", &st, err)) != IA_OK)
        goto fail;
    ia_time_format_iso(ia_time_now(), now);
    ia_db_bind_int(st, ":run_id", rc->run_id);
    ia_db_bind_text(st, ":finished_at", now);
    ia_db_bind_text(st, ":status", res->status);
    ia_db_bind_int(st, ":accounts_failed", res->failed + res->carried_failed);
    ia_db_bind_int(st, ":api_calls", res->calls);
    ia_db_bind_int(st, ":retries", res->retries);
    ia_db_bind_int(st, ":throttles", res->throttles);
    if ((r = ia_db_run(st, err)) != IA_OK)
        goto fail;
    return ia_db_commit(rc->db, err);
fail:
    ia_db_rollback(rc->db);
    return r;
}

enum ia_code
ia_collect_run(const struct ia_collect_options *opts, struct ia_collect_result *result,
               struct ia_err *err)
{
    struct run_ctx rc;
    struct ia_http *http = NULL;
    struct ia_aws_client caller;
    struct ia_caller_identity id;
    struct worker *workers = NULL;
    pthread_t *threads = NULL;
    int have_caller = 0, nthreads = 0, lock_fd = -1;
    enum ia_code r;

    memset(&rc, 0, sizeof(rc));
    rc.opts = opts;
    rc.cfg = opts->cfg;
    pthread_mutex_init(&rc.db_mu, NULL);
    pthread_mutex_init(&rc.mp_mu, NULL);
    pthread_mutex_init(&rc.progress_mu, NULL);

    struct ia_http_options hopts = { 0, (long)rc.cfg->request_timeout_s * 1000, 0,
                                     rc.cfg->ca_bundle };
    http = ia_http_new(&hopts);
    if ((r = ia_aws_client_init(&caller, ia_http_ops_of(http), opts->caller, opts->region,
                                opts->profile_endpoint_url, err)) != IA_OK)
        goto out;
    have_caller = 1;
    caller.retry.max_attempts = rc.cfg->max_attempts;
    caller.retry.base_ms = (uint32_t)rc.cfg->retry_base_ms;
    if ((r = ia_sts_get_caller_identity(&caller, &id, err)) != IA_OK) {
        ia_err_prefix(err, "cannot establish who is running the audit: ");
        goto out;
    }
    snprintf(rc.caller_account, sizeof(rc.caller_account), "%s", id.account);
    snprintf(rc.caller_arn, sizeof(rc.caller_arn), "%s", id.arn);
    if ((r = plan(&rc, &caller, err)) != IA_OK)
        goto out;
    const char *db_path = opts->db_path ? opts->db_path : rc.cfg->database;
    /* One run per database at a time: a second one refuses at once, changing nothing. */
    if ((r = ia_db_lock(db_path, &lock_fd, err)) != IA_OK)
        goto out;
    if ((r = ia_db_open(db_path, IA_DB_READWRITE, &rc.db, err)) != IA_OK)
        goto out;
    if ((r = record_run_start(&rc, id.arn, err)) != IA_OK)
        goto out;

    nthreads = opts->concurrency > 0 ? opts->concurrency : rc.cfg->concurrency;
    if ((size_t)nthreads > rc.n_jobs)
        nthreads = (int)rc.n_jobs;
    workers = ia_xcalloc((size_t)nthreads, sizeof(*workers));
    threads = ia_xcalloc((size_t)nthreads, sizeof(*threads));
    for (int i = 0; i < nthreads; i++) {
        workers[i].rc = &rc;
        workers[i].http = ia_http_new(&hopts);
        r = ia_aws_client_init(&workers[i].caller, ia_http_ops_of(workers[i].http), opts->caller,
                               opts->region, opts->profile_endpoint_url, err);
        IA_ASSERT(r == IA_OK); /* the same settings already worked for `caller` */
        workers[i].caller.retry.max_attempts = rc.cfg->max_attempts;
        workers[i].caller.retry.base_ms = (uint32_t)rc.cfg->retry_base_ms;
        if (pthread_create(&threads[i], NULL, worker_main, &workers[i]) != 0)
            IA_BUG("pthread_create failed");
    }
    for (int i = 0; i < nthreads; i++)
        pthread_join(threads[i], NULL);
    if (opts->progress && !opts->quiet)
        fputc('\n', stderr);
    if (atomic_load(&rc.db_failed)) {
        /* Say so in the run record if the database still lets us; it may not (disk full). */
        struct ia_db_stmt *st;
        char now[IA_TIME_ISO_LEN];
        ia_time_format_iso(ia_time_now(), now);
        if (ia_db_prepare(rc.db, "run_finish", &st, NULL) == IA_OK) {
            ia_db_bind_int(st, ":run_id", rc.run_id);
            ia_db_bind_text(st, ":finished_at", now);
            ia_db_bind_text(st, ":status", "failed");
            ia_db_bind_int(st, ":accounts_failed", (int64_t)rc.n_jobs);
            ia_db_bind_int(st, ":api_calls", 0);
            ia_db_bind_int(st, ":retries", 0);
            ia_db_bind_int(st, ":throttles", 0);
            ia_db_run(st, NULL);
        }
        if (err)
            *err = rc.db_err;
        r = IA_ERR_DB;
        goto out;
    }
    rc.caller_calls = atomic_load(&caller.stats.calls);
    rc.caller_retries = atomic_load(&caller.stats.retries);
    rc.caller_throttles = atomic_load(&caller.stats.throttles);
    r = record_run_end(&rc, result, err);
out:
    for (int i = 0; i < nthreads; i++) {
        ia_aws_client_release(&workers[i].caller);
        ia_http_free(workers[i].http);
    }
    free(workers);
    free(threads);
    if (have_caller)
        ia_aws_client_release(&caller);
    ia_http_free(http);
    for (size_t i = 0; i < rc.n_jobs; i++)
        job_release(&rc.jobs[i]);
    free(rc.jobs);
    for (size_t i = 0; i < rc.n_mp; i++) {
        free(rc.mp[i].arn);
        free(rc.mp[i].version);
        free(rc.mp[i].document);
        free(rc.mp[i].error);
    }
    free(rc.mp);
    ia_db_close(rc.db);
    ia_db_unlock(lock_fd);
    pthread_mutex_destroy(&rc.db_mu);
    pthread_mutex_destroy(&rc.mp_mu);
    pthread_mutex_destroy(&rc.progress_mu);
    return r;
}
