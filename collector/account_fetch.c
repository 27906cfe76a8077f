/*
 * Reading one account: the bulk reads (generating the credential report, GAAD, ListRoles,
 * ListVirtualMFADevices, alias, password policy, GetAccountSummary) all at once, the
 * credential report, then the per-user calls that the bulk data leaves a gap for, each
 * started as soon as what it needs is in (fetch_done). They share the account's
 * connections: its own client and helpers (one connection each; at most 8 in all, see
 * batch_connections), under the account's one retry quota and rate limiter.
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
        for (const struct ia_xml_node *m =
                 ia_xml_child(ia_xml_child(r, "VirtualMFADevices"), "member");
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

/* Called with each page as it arrives (NULL: none). */
typedef void (*page_seen_fn)(void *ctx, const struct ia_xml_doc *page, int n);

static enum ia_code
all_pages_seen(struct ia_aws_client *c, const char *action, page_fn fn, const char *user,
               struct doclist *into, page_seen_fn seen, void *seen_ctx, struct ia_err *err)
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
        if (seen)
            seen(seen_ctx, doc, page);
        marker = ia_iam_next_marker(doc, action);
        if (!marker)
            return IA_OK;
    }
    free(marker);
    return ia_err_set(err, IA_ERR_PARSE, "%s %s: more than 100000 pages; giving up", c->label,
                      action);
}

static enum ia_code
all_pages(struct ia_aws_client *c, const char *action, page_fn fn, const char *user,
          struct doclist *into, struct ia_err *err)
{
    return all_pages_seen(c, action, fn, user, into, NULL, NULL, err);
}

/*
 * The first GAAD page says how many people the account holds (up to a page of them): its
 * per-user reads to come, so its weight in the run's connections (batch_connections).
 */
static void
gaad_weigh(void *ctx, const struct ia_xml_doc *page, int n)
{
    struct job *j = ctx;
    long users = 0;
    if (n != 0)
        return;
    const struct ia_xml_node *r = ia_iam_result(page, "GetAccountAuthorizationDetails");
    for (const struct ia_xml_node *m = ia_xml_child(ia_xml_child(r, "UserDetailList"), "member"); m;
         m = ia_xml_next(m, "member"))
        users++;
    atomic_store(&j->weight, 1 + users);
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

/* ---- one account's connections ---- */

/*
 * IAM throttles per account: however many accounts run at once, one account is read over
 * at most this many connections, its own client's included.
 */
#define IA_ACCOUNT_MAX_CONNECTIONS 8

/* A helper connection of one account: its own HTTP handle, a client like the account's. */
struct conn {
    struct ia_http *http;
    struct ia_aws_client c;
    int ok;
};

/*
 * The connections one account is read over: the account's client (the worker's) and up to
 * max - 1 helpers, opened when first needed and kept for the rest of the account. Helper
 * clients share the account client's credentials, endpoints, retry policy, retry quota,
 * rate limiter and response byte budget, so the account is retried and throttled as one.
 */
struct pool {
    struct run_ctx *rc;
    struct job *j;
    struct ia_aws_client *parent;
    size_t max;         /* connections, the account client's included */
    struct conn *extra; /* max - 1, opened on first use */
};

/*
 * Connections the account may use now (worked out again whenever one of its tasks ends).
 * The run's budget is c x min(c, 8) connections (c = concurrency), shared between the
 * accounts in progress in proportion to their expected work (struct job's weight: 1 until
 * the first GAAD page, then 1 + the users it lists, so the account that holds the people
 * and will make their per-user reads takes the most); each gets at least min(c, 8) and at
 * most 8. An account left running alone takes over the connections the finished workers
 * no longer use, in the middle of a batch. With c = 1, one connection, always.
 */
static size_t
batch_connections(const struct pool *p)
{
    const struct run_ctx *rc = p->rc;
    int ci = rc->opts->concurrency > 0 ? rc->opts->concurrency : rc->cfg->concurrency;
    size_t c = ci > 0 ? (size_t)ci : 1;
    size_t floor_n = c < IA_ACCOUNT_MAX_CONNECTIONS ? c : IA_ACCOUNT_MAX_CONNECTIONS;
    long mine = atomic_load(&p->j->weight), all = 0;
    if (mine < 1)
        mine = 1;
    for (size_t i = 0; i < rc->n_jobs; i++)
        if (&rc->jobs[i] != p->j)
            all += atomic_load(&rc->jobs[i].weight);
    all += mine;
    size_t share = (size_t)((double)(c * floor_n) * (double)mine / (double)all);
    if (share < floor_n)
        share = floor_n;
    return share < p->max ? share : p->max;
}

static void
pool_init(struct pool *p, struct run_ctx *rc, struct job *j, struct ia_aws_client *parent)
{
    memset(p, 0, sizeof(*p));
    p->rc = rc;
    p->j = j;
    p->parent = parent;
    p->max = IA_ACCOUNT_MAX_CONNECTIONS;
    p->extra = ia_xcalloc(p->max - 1, sizeof(*p->extra));
}

/*
 * Helper connections outlive their account: when it is done they wait, still open, for the
 * next account's helpers. One endpoint serves every account (each request is signed with
 * its own account's credentials; nothing on a connection belongs to an account), so the
 * run opens each connection once instead of once per account: against AWS that is a TCP
 * and TLS handshake saved per helper and account, and no burst of new connections each
 * time an account starts.
 */
static struct ia_http *
idle_take(struct run_ctx *rc)
{
    struct ia_http *h = NULL;
    pthread_mutex_lock(&rc->idle_mu);
    if (rc->n_idle)
        h = rc->idle[--rc->n_idle];
    pthread_mutex_unlock(&rc->idle_mu);
    if (!h) {
        struct ia_http_options hopts = { .timeout_ms = (long)rc->cfg->request_timeout_s * 1000,
                                         .ca_bundle = rc->cfg->ca_bundle };
        h = ia_http_new(&hopts);
    }
    return h;
}

static void
idle_put(struct run_ctx *rc, struct ia_http *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&rc->idle_mu);
    rc->idle = ia_xgrow(rc->idle, rc->n_idle + 1, &rc->alloc_idle, sizeof(*rc->idle));
    rc->idle[rc->n_idle++] = h;
    pthread_mutex_unlock(&rc->idle_mu);
}

void
ia_account_idle_release(struct run_ctx *rc)
{
    for (size_t i = 0; i < rc->n_idle; i++)
        ia_http_free(rc->idle[i]);
    free(rc->idle);
    rc->idle = NULL;
    rc->n_idle = rc->alloc_idle = 0;
}

/* Open helper k (0-based) if it is not yet; 0 when it cannot be (the others carry on). */
static int
pool_open(struct pool *p, size_t k)
{
    struct conn *x = &p->extra[k];
    struct ia_aws_client *parent = p->parent;
    struct ia_err e;
    if (x->ok)
        return 1;
    if (x->http)
        return 0; /* tried, failed */
    x->http = idle_take(p->rc);
    ia_err_clear(&e);
    if (ia_aws_client_init(&x->c, ia_http_ops_of(x->http), parent->creds,
                           parent->ep[IA_SVC_STS].signing_region, NULL, &e) != IA_OK) {
        IA_LOG_WARN("collect", "msg=\"helper connection not opened\" account=%s error=\"%s\"",
                    parent->label, e.msg);
        return 0;
    }
    /* The parent's endpoints (overrides included), retry policy, label and budgets. */
    memcpy(x->c.ep, parent->ep, sizeof(x->c.ep));
    x->c.retry = parent->retry;
    x->c.sleep_ms = parent->sleep_ms;
    x->c.bytes = parent->bytes;
    x->c.max_bytes = parent->max_bytes;
    x->c.shared_quota = parent->shared_quota ? parent->shared_quota : &parent->quota;
    x->c.shared_limiter = parent->shared_limiter ? parent->shared_limiter : &parent->limiter;
    memcpy(x->c.label, parent->label, sizeof(x->c.label));
    x->ok = 1;
    return 1;
}

/* Count the helpers' calls as the account's; their connections go back to the run. */
static void
pool_release(struct pool *p)
{
    for (size_t k = 0; p->extra && k + 1 < p->max; k++) {
        struct conn *x = &p->extra[k];
        if (x->ok) {
            atomic_fetch_add(&p->parent->stats.calls, atomic_load(&x->c.stats.calls));
            atomic_fetch_add(&p->parent->stats.retries, atomic_load(&x->c.stats.retries));
            atomic_fetch_add(&p->parent->stats.throttles, atomic_load(&x->c.stats.throttles));
            ia_aws_client_release(&x->c);
        }
        idle_put(p->rc, x->http);
    }
    free(p->extra);
    memset(p, 0, sizeof(*p));
}

/* Task i of a batch, on connection `worker` (0: the account's client) with client c. */
typedef enum ia_code (*task_fn)(struct ia_aws_client *c, void *ctx, size_t i, size_t worker,
                                struct ia_err *err);

struct batch;
/* Task i has ended well: publish the tasks it made ready (called with the batch locked). */
typedef void (*task_done_fn)(struct batch *b, void *ctx, size_t i);

/* A worker's first failure: the batch reports the one of the lowest task index. */
struct worker_result {
    enum ia_code r;
    size_t task;
    struct ia_err err;
};

struct helper_arg {
    struct batch *b;
    struct ia_aws_client *c;
    size_t worker;
    struct worker_result res;
};

/*
 * The tasks of one account over its connections. Tasks are published as they become
 * ready (a task's on_done publishes those that waited for it) and taken in publication
 * order by whichever connection is free. The batch starts on the account's share of the
 * run's connections and grows while it runs: whenever a task ends, the share is worked
 * out again (batch_connections), so connections that other accounts give back as they
 * finish go to the tasks still waiting. It ends when nothing is waiting or running (so
 * nothing more can be published), or at the first failure.
 */
struct batch {
    task_fn fn;
    task_done_fn on_done;
    void *ctx;
    struct pool *p;
    pthread_mutex_t mu; /* guards what follows */
    pthread_cond_t cv;  /* a task was published or ended */
    size_t *ready;      /* published task ids, in order */
    size_t n_ready, alloc_ready;
    size_t next;      /* ready[next] is the next task to take */
    size_t running;   /* tasks taken and not yet ended */
    int failed;       /* a task failed: take no more */
    int closed;       /* the account's thread is joining: start no helper */
    size_t n_helpers; /* helper threads started, in hs[] and th[] */
    size_t next_conn; /* the pool's next helper connection to try */
    struct helper_arg *hs;
    pthread_t *th; /* both p->max - 1 long */
};

/* Make task i ready (the batch locked). */
static void
batch_publish(struct batch *b, size_t i)
{
    b->ready = ia_xgrow(b->ready, b->n_ready + 1, &b->alloc_ready, sizeof(*b->ready));
    b->ready[b->n_ready++] = i;
    pthread_cond_broadcast(&b->cv);
}

static void *helper_main(void *arg);

/* Start helpers up to the account's current share, one per ready task not taken (locked). */
static void
batch_grow_locked(struct batch *b)
{
    struct pool *p = b->p;
    size_t want = b->closed ? 0 : batch_connections(p), started = 0;
    while (1 + b->n_helpers < want && b->next_conn + 1 < p->max) {
        if (b->failed || b->next + started >= b->n_ready)
            break;
        size_t k = b->next_conn++;
        if (!pool_open(p, k))
            continue;
        struct helper_arg *h = &b->hs[b->n_helpers];
        *h = (struct helper_arg){ .b = b, .c = &p->extra[k].c, .worker = k + 1 };
        if (pthread_create(&b->th[b->n_helpers], NULL, helper_main, h) != 0)
            IA_BUG("pthread_create failed");
        b->n_helpers++;
        started++;
    }
}

static void
batch_work(struct batch *b, struct ia_aws_client *c, size_t worker, struct worker_result *res)
{
    res->r = IA_OK;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        if (b->failed)
            break;
        if (b->next == b->n_ready) {
            if (b->running == 0)
                break; /* nothing waiting, nothing that could publish more */
            pthread_cond_wait(&b->cv, &b->mu);
            continue;
        }
        size_t i = b->ready[b->next++];
        b->running++;
        pthread_mutex_unlock(&b->mu);
        struct ia_err e;
        ia_err_clear(&e);
        enum ia_code r = b->fn(c, b->ctx, i, worker, &e);
        pthread_mutex_lock(&b->mu);
        b->running--;
        if (r != IA_OK) {
            /* Tasks not started are not started; those under way finish. */
            if (res->r == IA_OK) {
                res->r = r;
                res->task = i;
                res->err = e;
            }
            b->failed = 1;
        } else if (b->on_done) {
            b->on_done(b, b->ctx, i);
        }
        pthread_cond_broadcast(&b->cv);
        batch_grow_locked(b);
    }
    pthread_mutex_unlock(&b->mu);
}

static void *
helper_main(void *arg)
{
    struct helper_arg *h = arg;
    batch_work(h->b, h->c, h->worker, &h->res);
    return NULL;
}

/*
 * Run the tasks `first` publishes (n_first of them; on_done publishes the rest) over the
 * account's share of connections (the pool's, taken in order; the calling thread works on
 * the account's client), more as the share grows. Returns IA_OK, or the error of the
 * failed task of the lowest id (tasks not yet taken after a failure are not started).
 */
static enum ia_code
pool_run(struct pool *p, task_fn fn, task_done_fn on_done, void *ctx, const size_t *first,
         size_t n_first, struct ia_err *err)
{
    struct batch b = { .fn = fn, .on_done = on_done, .ctx = ctx, .p = p };
    struct worker_result mine;

    pthread_mutex_init(&b.mu, NULL);
    pthread_cond_init(&b.cv, NULL);
    b.hs = ia_xcalloc(p->max - 1, sizeof(*b.hs));
    b.th = ia_xcalloc(p->max - 1, sizeof(*b.th));
    pthread_mutex_lock(&b.mu);
    for (size_t i = 0; i < n_first; i++)
        batch_publish(&b, first[i]);
    batch_grow_locked(&b);
    pthread_mutex_unlock(&b.mu);
    memset(&mine, 0, sizeof(mine));
    batch_work(&b, p->parent, 0, &mine);
    /* Nothing is waiting or running (or the batch failed): no helper starts after this. */
    pthread_mutex_lock(&b.mu);
    b.closed = 1;
    pthread_mutex_unlock(&b.mu);
    struct worker_result *first_err = mine.r != IA_OK ? &mine : NULL;
    for (size_t k = 0; k < b.n_helpers; k++) {
        pthread_join(b.th[k], NULL);
        if (b.hs[k].res.r != IA_OK && (!first_err || b.hs[k].res.task < first_err->task))
            first_err = &b.hs[k].res;
    }
    enum ia_code r = IA_OK;
    if (first_err) {
        r = first_err->r;
        if (err)
            *err = first_err->err;
    }
    free(b.hs);
    free(b.th);
    free(b.ready);
    pthread_cond_destroy(&b.cv);
    pthread_mutex_destroy(&b.mu);
    return r;
}

/* ---- the bulk reads, concurrently ---- */

/*
 * An account's tasks, by id (the order in which they are published and, on failure, the
 * order that decides which error is reported). The independent bulk reads come first:
 * generating the credential report first (AWS builds it while the others run), then the
 * longest listing (GAAD, with the AWS-managed policies its pages attach). Then
 * GetCredentialReport, the planning of the per-user reads, and those reads.
 */
enum {
    BULK_GENERATE,
    BULK_GAAD,
    BULK_ROLES,
    BULK_VMFA,
    BULK_ALIAS,
    BULK_POLICY,
    BULK_SUMMARY,
    BULK_N,
    T_REPORT = BULK_N, /* GetCredentialReport (polling while AWS still generates it) */
    T_PLAN,            /* which users need per-user reads (no network) */
    T_USER0            /* per-user task i is T_USER0 + i */
};

/* Where one connection's per-user answers go (a helper's own, or the account's). */
struct user_lists {
    struct doclist *mfa, *keys, *login, *user, *key_used;
};

/* One account's reading: what its tasks share. */
struct fetch {
    struct run_ctx *rc;
    struct job *j;
    char gen_state[32]; /* GenerateCredentialReport's State (written by that task only) */
    /* guarded by the batch's lock: */
    unsigned done; /* bit per task up to T_PLAN that has ended well */
    int report_published, plan_published;
    /* written by T_PLAN, read by the per-user tasks it publishes: */
    struct ia_csv_table t;
    int have_table;
    struct user_tasks ut;
    char **names;
    size_t n_names;
    struct user_lists *lists; /* per connection; [0] the job's own lists */
    struct doclist (*own)[5]; /* helpers' lists, moved into the job at the end */
};

static enum ia_code
bulk_task(struct ia_aws_client *c, struct fetch *x, size_t i, struct ia_err *err)
{
    struct job *j = x->j;
    enum ia_code r;

    switch (i) {
    case BULK_GENERATE:
        return ia_iam_generate_credential_report(c, x->gen_state, sizeof(x->gen_state), err);
    case BULK_GAAD:
        r = all_pages_seen(c, "GetAccountAuthorizationDetails", gaad_fn, NULL, &j->gaad, gaad_weigh,
                           j, err);
        /* Once per run, whichever account meets one first; failures are recorded there. */
        for (size_t d = 0; r == IA_OK && d < j->gaad.n; d++)
            ia_managed_fetch_page(x->rc, c, j->gaad.docs[d]);
        return r;
    case BULK_ROLES: return all_pages(c, "ListRoles", roles_fn, NULL, &j->roles, err);
    case BULK_VMFA: return all_pages(c, "ListVirtualMFADevices", vmfa_fn, NULL, &j->vmfa, err);
    case BULK_ALIAS: return ia_iam_account_alias(c, j->alias, sizeof(j->alias), err);
    case BULK_POLICY: return ia_iam_password_policy(c, &j->password_policy, err);
    case BULK_SUMMARY: return ia_iam_mfa_devices_in_use(c, &j->mfa_in_use, err);
    }
    IA_BUG("no bulk task %zu", i);
}

/* ---- per-user calls, shared between the account's connections ---- */

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
 * or behind a row whose fields do not match the header), or present as an older namesake.
 * ListMFADevices goes to MFA users whose devices the virtual listing does not account for (hardware
 * and FIDO devices are only seen per user; GetAccountSummary's count says whether any exist).
 */
enum ia_code
ia_account_plan_user_tasks(struct job *j, const struct ia_csv_table *t,
                           const struct cred_cols *cols, struct user_tasks *ut, char ***names_out,
                           size_t *n_names_out)
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
        const struct ia_xml_node *r =
            ia_iam_result(j->gaad.docs[d], "GetAccountAuthorizationDetails");
        for (const struct ia_xml_node *m =
                 ia_xml_child(ia_xml_child(r, "UserDetailList"), "member");
             m; m = ia_xml_next(m, "member")) {
            char *name = ia_xml_path_text(m, "UserName"), *arn = ia_xml_path_text(m, "Arn");
            char *created = ia_xml_path_text(m, "CreateDate");
            struct report_row key = { arn ? arn : "", NULL };
            const struct report_row *found =
                n_rows ? bsearch(&key, rows, n_rows, sizeof(*rows), cmp_report_row) : NULL;
            int direct = !found ||
                         row_is_older_namesake(ia_cred_field(found->row, cols, C_CREATED), created);
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

/* T_PLAN: parse the report and decide the per-user reads (GAAD, VMFA, summary all in). */
static enum ia_code
plan_task(struct ia_aws_client *c, struct fetch *x, struct ia_err *err)
{
    struct cred_cols cols;
    enum ia_code r = ia_csv_parse(x->j->cred_csv.buf, x->j->cred_csv.len, &x->t, err);
    if (r != IA_OK) {
        ia_err_prefix(err, "%s credential report: ", c->label);
        return r;
    }
    x->have_table = 1;
    if ((r = ia_cred_header(&x->t, &cols, err)) != IA_OK)
        return r;
    return ia_account_plan_user_tasks(x->j, &x->t, &cols, &x->ut, &x->names, &x->n_names);
}

static enum ia_code
fetch_task(struct ia_aws_client *c, void *ctx, size_t i, size_t worker, struct ia_err *err)
{
    struct fetch *x = ctx;
    if (i < BULK_N)
        return bulk_task(c, x, i, err);
    if (i == T_REPORT)
        return credential_report(c, x->j, err);
    if (i == T_PLAN)
        return plan_task(c, x, err);
    return do_user_task(c, &x->ut.tasks[i - T_USER0], &x->lists[worker], err);
}

#define DONE(t) (1u << (t))
#define BULK_ALL (DONE(BULK_N) - 1u)

/*
 * What a task's end makes ready. GetCredentialReport: as soon as GenerateCredentialReport
 * says COMPLETE (a report under four hours old exists: asking now costs nothing more);
 * otherwise after every other bulk read, so that AWS has had that long to build it and
 * the first ask usually finds it ready (each early ask would cost a ReportInProgress and a
 * poll). The plan: once the report, GAAD, the virtual MFA devices and the summary are in
 * (it needs nothing else), so the per-user reads start while the other listings may still
 * be paging.
 */
static void
fetch_done(struct batch *b, void *ctx, size_t i)
{
    struct fetch *x = ctx;
    if (i <= T_PLAN)
        x->done |= DONE(i);
    if (!x->report_published && (x->done & DONE(BULK_GENERATE)) &&
        (strcmp(x->gen_state, "COMPLETE") == 0 || (x->done & BULK_ALL) == BULK_ALL)) {
        x->report_published = 1;
        batch_publish(b, T_REPORT);
    }
    unsigned need = DONE(T_REPORT) | DONE(BULK_GAAD) | DONE(BULK_VMFA) | DONE(BULK_SUMMARY);
    if (!x->plan_published && (x->done & need) == need) {
        x->plan_published = 1;
        batch_publish(b, T_PLAN);
    }
    if (i == T_PLAN)
        for (size_t k = 0; k < x->ut.n; k++)
            batch_publish(b, T_USER0 + k);
}

enum ia_code
ia_account_fetch(struct run_ctx *rc, struct ia_aws_client *c, struct job *j, struct ia_err *err)
{
    static const size_t bulk[BULK_N] = { BULK_GENERATE, BULK_GAAD,   BULK_ROLES,  BULK_VMFA,
                                         BULK_ALIAS,    BULK_POLICY, BULK_SUMMARY };
    struct pool pool;
    struct fetch x;

    memset(&x, 0, sizeof(x));
    x.rc = rc;
    x.j = j;
    pool_init(&pool, rc, j, c);
    x.lists = ia_xcalloc(pool.max, sizeof(*x.lists));
    x.own = ia_xcalloc(pool.max, sizeof(*x.own));
    x.lists[0] = (struct user_lists){ &j->user_mfa, &j->keys, &j->login, &j->user, &j->key_used };
    for (size_t w = 1; w < pool.max; w++)
        x.lists[w] = (struct user_lists){ &x.own[w][0], &x.own[w][1], &x.own[w][2], &x.own[w][3],
                                          &x.own[w][4] };
    /* Everything the account needs, each read as soon as what it depends on is in. */
    enum ia_code r = pool_run(&pool, fetch_task, fetch_done, &x, bulk, BULK_N, err);
    for (size_t w = 1; w < pool.max; w++) {
        doclist_move(&j->user_mfa, &x.own[w][0]);
        doclist_move(&j->keys, &x.own[w][1]);
        doclist_move(&j->login, &x.own[w][2]);
        doclist_move(&j->user, &x.own[w][3]);
        doclist_move(&j->key_used, &x.own[w][4]);
    }
    free(x.lists);
    free(x.own);
    free(x.ut.tasks);
    for (size_t i = 0; i < x.n_names; i++)
        free(x.names[i]);
    free(x.names);
    if (x.have_table)
        ia_csv_table_release(&x.t);
    pool_release(&pool);
    return r;
}
