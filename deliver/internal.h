/* Shared between the channels of deliver/ (not installed, not for other modules). */
#ifndef IA_DELIVER_INTERNAL_H
#define IA_DELIVER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "collector/aws.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "sql/db.h"

/* The run being delivered and what every channel reads of it. */
struct ia_dl_run {
    int64_t run_id;
    int64_t prev_id; /* the analysed run before it, 0 when none */
    char started_at[32];
    char analysed_at[32]; /* ISO UTC, the run's analysis time: ASFF UpdatedAt */
    char date[11];        /* YYYY-MM-DD */
    char status[16];      /* complete | partial */
};

/* Counts for one team (team NULL: every team). */
struct ia_dl_counts {
    size_t open[5]; /* unsuppressed, by severity: critical, high, medium, low, info */
    size_t open_total;
    size_t suppressed;
    size_t n_new;     /* unsuppressed or not, new since prev_id */
    size_t leavers;   /* leavers a role still trusts; with team NULL also those whose
                         IAM user is still there */
    size_t bootstrap; /* bootstrap roles still present */
    size_t failed_accounts;
};

/* Severity order used in texts: index 0 critical ... 4 info. */
extern const char *const ia_dl_severities[5];

/* Fill counts for team (NULL: all) and append the plain-text summary to text (may be NULL). */
IA_MUST_USE enum ia_code ia_dl_summary(struct ia_db *db, const struct ia_dl_run *run,
                                       const char *team, struct ia_dl_counts *counts,
                                       struct ia_buf *text, struct ia_err *err);

/* Record one delivery attempt (team: an e-mail's team or "security", else NULL). error
   NULL: sent. */
IA_MUST_USE enum ia_code ia_dl_record(struct ia_db *db, const struct ia_dl_run *run,
                                      const char *channel, const char *target, const char *team,
                                      const char *detail, const char *error, struct ia_err *err);

/* ---- e-mail (email.c) ---- */

/* Send a built message through SES SendRawEmail; *message_id (cap 128) on success. */
IA_MUST_USE enum ia_code ia_dl_ses_send(struct ia_aws_client *c, const char *from,
                                        const struct ia_buf *msg, char *message_id, size_t cap,
                                        struct ia_err *err);
/* Pipe a built message (LF line ends) into `sendmail -t -i`; waits at most timeout_s. */
IA_MUST_USE enum ia_code ia_dl_sendmail(const char *sendmail, const struct ia_buf *msg,
                                        int timeout_s, struct ia_err *err);

/* ---- Security Hub (securityhub.c) ---- */

struct ia_dl_sh_plan {
    size_t import;  /* findings to import (open and suppressed) */
    size_t archive; /* fixed since the last delivery: to ARCHIVED */
};

/*
 * Import the run's findings into Security Hub in region (account: the hub's account id),
 * archive the ones fixed since, and (workflow) set Workflow.Status with
 * BatchUpdateFindings. With c NULL only fills plan (dry run). *detail gets a summary.
 */
IA_MUST_USE enum ia_code ia_dl_securityhub(struct ia_db *db, const struct ia_config *cfg,
                                           const struct ia_dl_run *run, struct ia_aws_client *c,
                                           const char *region, const char *account,
                                           struct ia_dl_sh_plan *plan, struct ia_buf *detail,
                                           struct ia_err *err);

/* ---- webhook (webhook.c) ---- */

/*
 * Read the webhook URL from path: a regular file of ours, not readable by group or others,
 * holding one https URL (http only to loopback). The URL goes into url (wipe it after);
 * errors name the file, never its content.
 */
IA_MUST_USE enum ia_code ia_dl_webhook_url(const char *path, struct ia_buf *url,
                                           struct ia_err *err);
/* The JSON message for the run (Slack's {"text": ...}). */
IA_MUST_USE enum ia_code ia_dl_webhook_message(struct ia_db *db, const struct ia_dl_run *run,
                                               struct ia_buf *json, struct ia_err *err);
/* POST json to url; errors never hold the URL. */
IA_MUST_USE enum ia_code ia_dl_webhook_post(const char *url, const char *json,
                                            const char *ca_bundle, struct ia_err *err);

#endif
