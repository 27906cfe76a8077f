/*
 * Leavers and inactive people: leaver-present, user-not-in-roster, user-inactive,
 * access-key-unused, access-key-old. (leaver-trusted-by-role lives with the trust rules, which
 * walk the trust rows.)
 */
#include <stdlib.h>
#include <string.h>

#include "analyser/internal.h"
#include "core/clock.h"
#include "core/mem.h"

/* Columns of analyser_users (as in rule_mfa.c). */
enum { U_ACCOUNT, U_NAME, U_ARN, U_CREATED, U_PASSWORD, U_PW_USED, U_MFA_ACTIVE, U_ID, U_N_MFA,
       U_N_KEYS, U_KEY_USED };

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

static enum ia_code
people(struct ia_an_ctx *ctx, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    long stale = ctx->rules->stale_days;
    size_t n_users = 0, n_matched = 0;

    if (!ctx->base)
        return IA_OK;
    if (ia_db_prepare(ctx->db, "analyser_users", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    while ((r = ia_db_step(st, err)) == 1) {
        const char *acct = ia_db_col_text(st, U_ACCOUNT), *name = ia_db_col_text(st, U_NAME);
        const char *arn = ia_db_col_text(st, U_ARN);
        const char *created = ia_db_col_text(st, U_CREATED);
        const char *pw_used = ia_db_col_text(st, U_PW_USED);
        const char *key_used = ia_db_col_text(st, U_KEY_USED);
        int password = ia_db_col_int(st, U_PASSWORD) == 1;
        int64_t keys = ia_db_col_int(st, U_N_KEYS);
        if (strcmp(acct, ctx->base) != 0 || strcmp(name, "<root_account>") == 0)
            continue;
        json_t *creds = json_pack("{s:s, s:o, s:b, s:o, s:I, s:o}", "arn", arn, "created_at",
                                  ia_an_jstr(created), "password_enabled", password,
                                  "password_last_used", ia_an_jstr(pw_used),
                                  "active_access_keys", (json_int_t)keys, "key_last_used",
                                  ia_an_jstr(key_used));
        long d_pw = ia_an_days_since(ctx, pw_used), d_key = ia_an_days_since(ctx, key_used);
        json_object_set_new(creds, "days_since_password_use",
                            d_pw >= 0 ? json_integer(d_pw) : json_null());
        json_object_set_new(creds, "days_since_key_use",
                            d_key >= 0 ? json_integer(d_key) : json_null());

        const struct ia_leaver *lv = ia_people_find(&ctx->leavers, name);
        n_users++;
        n_matched += lv != NULL;
        /* A leaving date has passed once it is before today: people work their last day. */
        if (lv && strcmp(lv->date, ctx->today) < 0) {
            json_t *ev = json_deep_copy(creds);
            long days = ia_an_days_since(ctx, lv->date);
            json_object_set_new(ev, "leaving_date", json_string(lv->date));
            json_object_set_new(ev, "days_since_leaving", json_integer(days));
            json_object_set_new(ev, "leavers_line", json_integer(lv->line));
            enum ia_severity sev = password || keys ? IA_SEV_CRITICAL : IA_SEV_HIGH;
            ia_an_emit(ctx, "leaver-present", sev, acct, arn, name, ev,
                       "leaver %s (left %s, %ld days ago) still has a user%s", name, lv->date,
                       days, password || keys ? " with a password or active keys" : "");
        }
        if (ctx->have_roster && !ia_people_find(&ctx->roster, name) && !lv) {
            ia_an_emit(ctx, "user-not-in-roster", IA_SEV_MEDIUM, acct, arn, name,
                       json_deep_copy(creds),
                       "user %s is in neither the roster nor the leavers file", name);
        }
        time_t when;
        const char *last = latest(pw_used, key_used, &when);
        long since = last ? ia_an_days_since(ctx, last) : -1;
        long age = ia_an_days_since(ctx, created);
        if ((last && since >= stale) || (!last && age >= stale)) {
            json_t *ev = json_deep_copy(creds);
            json_object_set_new(ev, "last_activity", ia_an_jstr(last));
            json_object_set_new(ev, "days_since_activity",
                                last ? json_integer(since) : json_null());
            json_object_set_new(ev, "stale_days", json_integer(stale));
            enum ia_severity sev = IA_SEV_MEDIUM;
            if (!password && keys == 0) {
                sev = IA_SEV_LOW;
                json_object_set_new(ev, "severity_reason",
                                    json_string("no console password and no active access key"));
            }
            if (last)
                ia_an_emit(ctx, "user-inactive", sev, acct, arn, name, ev,
                           "user %s has not signed in or used a key for %ld days", name, since);
            else
                ia_an_emit(ctx, "user-inactive", sev, acct, arn, name, ev,
                           "user %s has never signed in or used a key (created %ld days ago)",
                           name, age);
        }
        json_decref(creds);
    }
    ia_db_reset(st);
    if (r < 0)
        return IA_ERR_DB;
    /*
     * Leavers named, none of them a user: the wrong column (a display name, an HR id) or
     * the wrong file reads as "no leaver has access" (issue 19.6). Only when the base
     * account was read: an empty snapshot matches nobody for another reason.
     */
    if (ctx->leavers.n && n_users && !n_matched && ctx->base_ok) {
        json_t *ev = json_pack("{s:o, s:I, s:I, s:s}", "leavers_file",
                               ia_an_jstr(ctx->leavers_path), "leavers", (json_int_t)ctx->leavers.n,
                               "base_account_users", (json_int_t)n_users, "first_leaver",
                               ctx->leavers.items[0].id);
        ia_an_emit(ctx, "leavers-matched-nobody", IA_SEV_MEDIUM, ctx->base,
                   "iam-audit:leavers-file", NULL, ev,
                   "leavers file matched nobody: none of its %zu leavers is a user of the base "
                   "account (%zu users); check the column holds the IAM user names or e-mails",
                   ctx->leavers.n, n_users);
    }
    return IA_OK;
}

static enum ia_code
keys(struct ia_an_ctx *ctx, struct ia_err *err)
{
    struct ia_db_stmt *st;
    int r;
    long stale = ctx->rules->stale_days, max_age = ctx->rules->max_key_age_days;

    if (ia_db_prepare(ctx->db, "analyser_access_keys", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", ctx->run_id);
    while ((r = ia_db_step(st, err)) == 1) {
        const char *acct = ia_db_col_text(st, 0), *user = ia_db_col_text(st, 1);
        const char *id = ia_db_col_text(st, 2), *created = ia_db_col_text(st, 3);
        const char *used = ia_db_col_text(st, 4), *service = ia_db_col_text(st, 5);
        const char *uarn = ia_db_col_text(st, 6);
        struct ia_buf arn = IA_BUF_INIT;
        if (uarn)
            ia_buf_addstr(&arn, uarn);
        else
            ia_buf_addf(&arn, "arn:aws:iam::%s:user/%s", acct, user);
        long age = ia_an_days_since(ctx, created);
        long since = ia_an_days_since(ctx, used);
        json_t *ev = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "user", user,
                               "access_key_id", id, "created_at", ia_an_jstr(created),
                               "age_days", age >= 0 ? json_integer(age) : json_null(),
                               "last_used_at", ia_an_jstr(used), "days_since_use",
                               since >= 0 ? json_integer(since) : json_null(),
                               "last_used_service", ia_an_jstr(service));
        /* Never used and created recently is a new key, not an unused one. */
        if ((since >= 0 && since >= stale) || (since < 0 && age >= stale)) {
            json_t *e = json_deep_copy(ev);
            json_object_set_new(e, "stale_days", json_integer(stale));
            if (since >= 0)
                ia_an_emit(ctx, "access-key-unused", IA_SEV_MEDIUM, acct, arn.buf, id, e,
                           "access key %s of %s unused for %ld days", id, user, since);
            else
                ia_an_emit(ctx, "access-key-unused", IA_SEV_MEDIUM, acct, arn.buf, id, e,
                           "access key %s of %s never used (created %ld days ago)", id, user,
                           age);
        }
        if (age > max_age) {
            json_t *e = json_deep_copy(ev);
            json_object_set_new(e, "max_key_age_days", json_integer(max_age));
            ia_an_emit(ctx, "access-key-old", IA_SEV_MEDIUM, acct, arn.buf, id, e,
                       "access key %s of %s is %ld days old (limit %ld)", id, user, age,
                       max_age);
        }
        json_decref(ev);
        ia_buf_release(&arn);
    }
    ia_db_reset(st);
    return r < 0 ? IA_ERR_DB : IA_OK;
}

enum ia_code
ia_rules_leavers(struct ia_an_ctx *ctx, struct ia_err *err)
{
    if (people(ctx, err) != IA_OK || keys(ctx, err) != IA_OK)
        return IA_ERR_DB;
    return IA_OK;
}
