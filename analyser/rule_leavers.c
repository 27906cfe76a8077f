/*
 * Leavers and inactive people: leaver-present, user-not-in-roster, user-inactive,
 * access-key-unused, access-key-old. (leaver-trusted-by-role lives with the trust rules, which
 * walk the trust rows.)
 */
#include <stdlib.h>
#include <string.h>

#include "analyser/internal.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"

/* The later of two ISO times (either may be NULL or unparsable: "no information"). */
static const char *
latest(const char *a, const char *b, time_t *out)
{
    time_t ta = 0, tb = 0;
    int oka = a && ia_time_parse_iso(a, &ta) == 0, okb = b && ia_time_parse_iso(b, &tb) == 0;
    if (oka && (!okb || ta >= tb)) {
        *out = ta;
        return a;
    }
    if (okb) {
        *out = tb;
        return b;
    }
    return NULL;
}

/* One base-account user (ctx->users), as the person rules see it. */
struct person {
    const char *acct, *name, *arn, *created, *pw_used, *key_used;
    int password;
    int64_t keys;
    json_t *creds; /* the credential evidence every person rule starts from */
};

typedef void person_check_fn(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                             const struct person *p);

static enum ia_code
walk_people(struct ia_an_ctx *ctx, const struct ia_rule *rule, person_check_fn *check,
            struct ia_err *err)
{
    (void)err;
    if (!ctx->base)
        return IA_OK;
    for (size_t i = 0; i < ctx->n_users; i++) {
        const struct ia_an_user *u = &ctx->users[i];
        struct person p;
        if (strcmp(u->account, ctx->base) != 0)
            continue;
        p.acct = u->account;
        p.name = u->name;
        p.arn = u->arn;
        p.created = u->created;
        p.pw_used = u->pw_used;
        p.key_used = u->key_used;
        p.password = u->password;
        p.keys = u->n_keys;
        p.creds = json_pack("{s:s, s:o, s:b, s:o, s:I, s:o}", "arn", p.arn, "created_at",
                            ia_an_jstr(p.created), "password_enabled", p.password,
                            "password_last_used", ia_an_jstr(p.pw_used), "active_access_keys",
                            (json_int_t)p.keys, "key_last_used", ia_an_jstr(p.key_used));
        long d_pw = ia_an_days_since(ctx, p.pw_used), d_key = ia_an_days_since(ctx, p.key_used);
        json_object_set_new(p.creds, "days_since_password_use",
                            d_pw >= 0 ? json_integer(d_pw) : json_null());
        json_object_set_new(p.creds, "days_since_key_use",
                            d_key >= 0 ? json_integer(d_key) : json_null());
        check(ctx, rule, &p);
        json_decref(p.creds);
    }
    return IA_OK;
}

/* The person's leaving date has passed: before today, since people work their last day. */
static const struct ia_leaver *
gone(const struct ia_an_ctx *ctx, const char *name)
{
    const struct ia_leaver *lv = ia_people_find(&ctx->leavers, name);
    return lv && strcmp(lv->date, ctx->today) < 0 ? lv : NULL;
}

static void
leaver_present(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct person *p)
{
    const struct ia_leaver *lv = gone(ctx, p->name);
    if (!lv)
        return;
    json_t *ev = json_deep_copy(p->creds);
    long days = ia_an_days_since(ctx, lv->date);
    json_object_set_new(ev, IA_EV_LEAVING_DATE, json_string(lv->date));
    json_object_set_new(ev, IA_EV_DAYS_SINCE_LEAVING, json_integer(days));
    json_object_set_new(ev, "leavers_line", json_integer(lv->line));
    enum ia_severity sev = rule->severity;
    if (p->password || p->keys) {
        sev = IA_SEV_CRITICAL;
        json_object_set_new(ev, IA_EV_SEVERITY_REASON,
                            json_string("raised: the leaver can still sign in (a console "
                                        "password or an active access key)"));
    }
    ia_an_emit(ctx, rule, sev, p->acct, p->arn, p->name, ev,
               "leaver %s (left %s, %ld days ago) still has a user%s", p->name, lv->date, days,
               p->password || p->keys ? " with a password or active keys" : "");
}

static void
user_not_in_roster(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct person *p)
{
    /* Anyone in the leavers file is accounted for, whatever the date. */
    if (!ctx->have_roster || ia_people_find(&ctx->roster, p->name) ||
        ia_people_find(&ctx->leavers, p->name))
        return;
    ia_an_emit(ctx, rule, rule->severity, p->acct, p->arn, p->name, json_deep_copy(p->creds),
               "user %s is in neither the roster nor the leavers file", p->name);
}

static void
user_inactive(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct person *p)
{
    long stale = ctx->rules->stale_days;
    time_t when;
    const char *last = latest(p->pw_used, p->key_used, &when);
    long since = last ? ia_an_days_since(ctx, last) : -1;
    long age = ia_an_days_since(ctx, p->created);
    if (!((last && since >= stale) || (!last && age >= stale)))
        return;
    json_t *ev = json_deep_copy(p->creds);
    json_object_set_new(ev, "last_activity", ia_an_jstr(last));
    json_object_set_new(ev, "days_since_activity", last ? json_integer(since) : json_null());
    json_object_set_new(ev, "stale_days", json_integer(stale));
    enum ia_severity sev = rule->severity;
    if (!p->password && p->keys == 0) {
        sev = IA_SEV_LOW;
        json_object_set_new(ev, IA_EV_SEVERITY_REASON,
                            json_string("no console password and no active access key"));
    }
    if (last)
        ia_an_emit(ctx, rule, sev, p->acct, p->arn, p->name, ev,
                   "user %s has not signed in or used a key for %ld days", p->name, since);
    else
        ia_an_emit(ctx, rule, sev, p->acct, p->arn, p->name, ev,
                   "user %s has never signed in or used a key (created %ld days ago)", p->name,
                   age);
}

enum ia_code
ia_rule_leaver_present(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    return walk_people(ctx, rule, leaver_present, err);
}

enum ia_code
ia_rule_user_not_in_roster(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    return walk_people(ctx, rule, user_not_in_roster, err);
}

enum ia_code
ia_rule_user_inactive(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    return walk_people(ctx, rule, user_inactive, err);
}

/*
 * leavers-matched-nobody: leavers named, none of them a user. The wrong column (a display
 * name, an HR id) or the wrong file would read as "no leaver has access" (issue 19.6). Only
 * when the base account was read: an empty snapshot matches nobody for another reason.
 */
enum ia_code
ia_rule_leavers_matched_nobody(struct ia_an_ctx *ctx, const struct ia_rule *rule,
                               struct ia_err *err)
{
    size_t n_users = 0, n_matched = 0;
    (void)err;
    if (!ctx->leavers.n || !ctx->base || !ctx->base_ok)
        return IA_OK;
    for (size_t i = 0; i < ctx->n_users; i++) {
        const struct ia_an_user *u = &ctx->users[i];
        if (strcmp(u->account, ctx->base) != 0 || strcmp(u->name, "<root_account>") == 0)
            continue;
        n_users++;
        n_matched += ia_people_find(&ctx->leavers, u->name) != NULL;
    }
    if (!n_users || n_matched)
        return IA_OK;
    json_t *ev = json_pack("{s:o, s:I, s:I, s:s}", "leavers_file", ia_an_jstr(ctx->leavers_path),
                           "leavers", (json_int_t)ctx->leavers.n, "base_account_users",
                           (json_int_t)n_users, "first_leaver", ctx->leavers.items[0].id);
    ia_an_emit(ctx, rule, rule->severity, ctx->base, "iam-audit:leavers-file", NULL, ev,
               "leavers file matched nobody: none of its %zu leavers is a user of the base "
               "account (%zu users); check the column holds the IAM user names or e-mails",
               ctx->leavers.n, n_users);
    return IA_OK;
}

/* One access key, as the key rules see it. */
struct key {
    const char *acct, *user, *id, *arn, *created, *used, *service;
    long age, since;
};

/* A key's evidence (new reference), built only for a key that is a finding. */
static json_t *
key_evidence(const struct key *k)
{
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "user", k->user, "access_key_id", k->id,
                     "created_at", ia_an_jstr(k->created), "age_days",
                     k->age >= 0 ? json_integer(k->age) : json_null(), "last_used_at",
                     ia_an_jstr(k->used), "days_since_use",
                     k->since >= 0 ? json_integer(k->since) : json_null(), "last_used_service",
                     ia_an_jstr(k->service));
}

typedef void key_check_fn(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct key *k);

static enum ia_code
walk_keys(struct ia_an_ctx *ctx, const struct ia_rule *rule, key_check_fn *check,
          struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;

    if (ia_db_prepare(ctx->db, "analyser_access_keys", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    while ((r = ia_db_step(st, err)) == 1) {
        struct key k;
        const char *uarn = ia_db_col_text(st, 6);
        struct ia_buf arn = IA_BUF_INIT;
        k.acct = ia_db_col_text(st, 0);
        k.user = ia_db_col_text(st, 1);
        k.id = ia_db_col_text(st, 2);
        if (uarn)
            ia_buf_addstr(&arn, uarn);
        else
            ia_buf_addf(&arn, "arn:aws:iam::%s:user/%s", k.acct, k.user);
        k.arn = arn.buf;
        k.created = ia_db_col_text(st, 3);
        k.used = ia_db_col_text(st, 4);
        k.service = ia_db_col_text(st, 5);
        k.age = ia_an_days_since(ctx, k.created);
        k.since = ia_an_days_since(ctx, k.used);
        check(ctx, rule, &k);
        ia_buf_release(&arn);
    }
    ia_db_reset(st);
    return r < 0 ? IA_ERR_DB : IA_OK;
}

static void
access_key_unused(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct key *k)
{
    long stale = ctx->rules->stale_days;
    /* Never used and created recently is a new key, not an unused one. */
    if (!((k->since >= 0 && k->since >= stale) || (k->since < 0 && k->age >= stale)))
        return;
    json_t *e = key_evidence(k);
    json_object_set_new(e, "stale_days", json_integer(stale));
    if (k->since >= 0)
        ia_an_emit(ctx, rule, rule->severity, k->acct, k->arn, k->id, e,
                   "access key %s of %s unused for %ld days", k->id, k->user, k->since);
    else
        ia_an_emit(ctx, rule, rule->severity, k->acct, k->arn, k->id, e,
                   "access key %s of %s never used (created %ld days ago)", k->id, k->user, k->age);
}

static void
access_key_old(struct ia_an_ctx *ctx, const struct ia_rule *rule, const struct key *k)
{
    long max_age = ctx->rules->max_key_age_days;
    if (k->age <= max_age)
        return;
    json_t *e = key_evidence(k);
    json_object_set_new(e, "max_key_age_days", json_integer(max_age));
    ia_an_emit(ctx, rule, rule->severity, k->acct, k->arn, k->id, e,
               "access key %s of %s is %ld days old (limit %ld)", k->id, k->user, k->age, max_age);
}

enum ia_code
ia_rule_access_key_unused(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    return walk_keys(ctx, rule, access_key_unused, err);
}

enum ia_code
ia_rule_access_key_old(struct ia_an_ctx *ctx, const struct ia_rule *rule, struct ia_err *err)
{
    return walk_keys(ctx, rule, access_key_old, err);
}
