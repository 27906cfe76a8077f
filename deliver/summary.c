/* What a team (or the security team) is told: counts and the short lists behind them. */
#include <string.h>

#include "core/clock.h"
#include "deliver/internal.h"

const char *const ia_dl_severities[5] = { "critical", "high", "medium", "low", "info" };

/* At most this many lines of each list in an e-mail; the workbook has them all. */
#define IA_DL_LIST_MAX 20

static int
sev_index(const char *s)
{
    for (int i = 0; s && i < 5; i++)
        if (!strcmp(s, ia_dl_severities[i]))
            return i;
    return 4;
}

static void
bind_team(struct ia_db_stmt *st, const struct ia_dl_run *run, const char *team)
{
    ia_db_bind_int(st, ":run_id", run->run_id);
    ia_db_bind_text(st, ":team", team);
}

enum ia_code
ia_dl_summary(struct ia_db *db, const struct ia_dl_run *run, const char *team,
              struct ia_dl_counts *counts, struct ia_buf *text, struct ia_err *err)
{
    struct ia_db_stmt *st = NULL;
    struct ia_dl_counts c;
    struct ia_buf leavers = IA_BUF_INIT, boot = IA_BUF_INIT, failed = IA_BUF_INIT;
    enum ia_code rc = IA_ERR_DB;
    int r;

    memset(&c, 0, sizeof(c));
    if (ia_db_prepare(db, "report_severity_counts", &st, err) != IA_OK)
        goto out;
    bind_team(st, run, team);
    while ((r = ia_db_step(st, err)) == 1) {
        int i = sev_index(ia_db_col_text(st, 0));
        c.open[i] += (size_t)ia_db_col_int(st, 1);
        c.open_total += (size_t)ia_db_col_int(st, 1);
        c.suppressed += (size_t)ia_db_col_int(st, 2);
    }
    ia_db_reset(st);
    if (r < 0)
        goto out;

    if (run->prev_id) {
        if (ia_db_prepare(db, "report_change_counts", &st, err) != IA_OK)
            goto out;
        bind_team(st, run, team);
        ia_db_bind_int(st, ":prev_id", run->prev_id);
        if ((r = ia_db_step(st, err)) == 1)
            c.n_new = (size_t)ia_db_col_int(st, 0);
        ia_db_reset(st);
        if (r < 0)
            goto out;
    }

    /* Leavers a role in these accounts still trusts: access that should be gone. */
    if (ia_db_prepare(db, "report_leavers", &st, err) != IA_OK)
        goto out;
    bind_team(st, run, team);
    while ((r = ia_db_step(st, err)) == 1) {
        const char *role = ia_db_col_text(st, 8);
        /* A role still trusting them, or (whole estate) their IAM user still there. */
        if (role) {
            if (c.leavers++ < IA_DL_LIST_MAX)
                ia_buf_addf(&leavers, "  - %s, trusted by %s\n", ia_db_col_text(st, 1), role);
        } else if (!team && ia_db_col_int(st, 7)) {
            if (c.leavers++ < IA_DL_LIST_MAX)
                ia_buf_addf(&leavers,
                            "  - %s: IAM user still present (%s, %lld active "
                            "key(s))\n",
                            ia_db_col_text(st, 1),
                            ia_db_col_int(st, 4) ? "console password" : "no password",
                            (long long)ia_db_col_int(st, 5));
        }
    }
    ia_db_reset(st);
    if (r < 0)
        goto out;

    if (ia_db_prepare(db, "report_bootstrap_roles", &st, err) != IA_OK)
        goto out;
    bind_team(st, run, team);
    while ((r = ia_db_step(st, err)) == 1) {
        if (ia_db_col_text(st, 8))
            continue; /* suppressed by an exception */
        if (c.bootstrap++ < IA_DL_LIST_MAX)
            ia_buf_addf(&boot, "  - %s\n", ia_db_col_text(st, 3));
    }
    ia_db_reset(st);
    if (r < 0)
        goto out;

    if (ia_db_prepare(db, "report_accounts", &st, err) != IA_OK)
        goto out;
    bind_team(st, run, team);
    while ((r = ia_db_step(st, err)) == 1) {
        const char *status = ia_db_col_text(st, 3);
        if (status && strcmp(status, "ok") != 0) {
            c.failed_accounts++;
            ia_buf_addf(&failed, "  - %s (%s): %s\n", ia_db_col_text(st, 0),
                        ia_db_col_text(st, 1) ? ia_db_col_text(st, 1) : "",
                        ia_db_col_text(st, 4) ? ia_db_col_text(st, 4) : status);
        }
    }
    ia_db_reset(st);
    if (r < 0)
        goto out;

    if (text) {
        if (team)
            ia_buf_addf(text, "iam-audit: team %s, run %lld of %s (%s)\n\n", team,
                        (long long)run->run_id, run->date, run->status);
        else
            ia_buf_addf(text, "iam-audit: every team, run %lld of %s (%s)\n\n",
                        (long long)run->run_id, run->date, run->status);
        if (c.open_total == 0 && c.failed_accounts == 0) {
            ia_buf_addstr(text, "Nothing to do: no open findings in these accounts.\n");
            if (c.suppressed)
                ia_buf_addf(text, "(%zu accepted by exception.)\n", c.suppressed);
        } else {
            ia_buf_addf(text, "Open findings: %zu", c.open_total);
            for (int i = 0; i < 5; i++)
                ia_buf_addf(text, "%s %zu %s", i ? "," : " -", c.open[i], ia_dl_severities[i]);
            ia_buf_addf(text, "\n%zu accepted by exception (not counted above).\n", c.suppressed);
            if (run->prev_id)
                ia_buf_addf(text, "New since the previous run (%lld): %zu\n",
                            (long long)run->prev_id, c.n_new);
            else
                ia_buf_addstr(text, "This is the first analysed run: every finding is new.\n");
            ia_buf_addf(text, "\nLeavers with access left: %zu\n%s", c.leavers, leavers.buf);
            if (c.leavers > IA_DL_LIST_MAX)
                ia_buf_addf(text, "  ... and %zu more (see the workbook)\n",
                            c.leavers - IA_DL_LIST_MAX);
            ia_buf_addf(text, "\nBootstrap roles still present: %zu\n%s", c.bootstrap, boot.buf);
            if (c.bootstrap > IA_DL_LIST_MAX)
                ia_buf_addf(text, "  ... and %zu more (see the workbook)\n",
                            c.bootstrap - IA_DL_LIST_MAX);
            if (c.failed_accounts)
                ia_buf_addf(text, "\nAccounts not audited in this run: %zu\n%s", c.failed_accounts,
                            failed.buf);
        }
        ia_buf_addstr(text, "\nThe attached workbook lists every finding with its evidence; "
                            "docs/rules.md says why each rule matters and how to fix it.\n");
    }
    if (counts)
        *counts = c;
    rc = IA_OK;
out:
    ia_buf_release(&leavers);
    ia_buf_release(&boot);
    ia_buf_release(&failed);
    return rc;
}

enum ia_code
ia_dl_record(struct ia_db *db, const struct ia_dl_run *run, const char *channel, const char *target,
             const char *team, const char *detail, const char *error, struct ia_err *err)
{
    struct ia_db_stmt *st;
    char now[IA_TIME_ISO_LEN];
    ia_time_format_iso(ia_time_now(), now);
    if (ia_db_prepare(db, "deliver_insert", &st, err) != IA_OK)
        return IA_ERR_DB;
    ia_db_bind_int(st, ":run_id", run->run_id);
    ia_db_bind_text(st, ":delivered_at", now);
    ia_db_bind_text(st, ":channel", channel);
    ia_db_bind_text(st, ":target", target);
    ia_db_bind_text(st, ":team", team);
    ia_db_bind_text(st, ":status", error ? "failed" : "sent");
    ia_db_bind_text(st, ":detail", detail);
    ia_db_bind_text(st, ":error", error);
    return ia_db_run(st, err);
}
