/*
 * Delivery: the last step of the nightly job. For one analysed run it e-mails every team
 * with a [team NAME] email its summary and team-NAME.xlsx, and the security team the whole
 * workbook (SES SendRawEmail or sendmail -t -i); imports the findings into AWS Security Hub
 * (ASFF, archiving the fixed ones); and posts one message to an incoming webhook. Every
 * attempt, sent or failed, is a row of the deliveries table. docs/config.md [delivery].
 */
#ifndef IA_DELIVER_DELIVER_H
#define IA_DELIVER_DELIVER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "collector/creds_chain.h"
#include "core/config.h"
#include "core/err.h"
#include "sql/db.h"

struct ia_deliver_options {
    const struct ia_config *cfg;          /* borrowed; [delivery] and [team NAME] */
    int64_t run_id;                       /* 0: the latest analysed complete or partial run */
    int dry_run;                          /* 1: print the plan, send and record nothing */
    const struct ia_creds_options *creds; /* how to find the caller's credentials (borrowed) */
    FILE *out;                            /* one line per delivery (or planned one) */
};

struct ia_deliver_result {
    int64_t run_id;
    size_t sent;   /* deliveries that succeeded (planned ones with dry_run) */
    size_t failed; /* deliveries that failed, each recorded with its error */
};

/* Whether cfg asks for any delivery at all (e-mail, Security Hub or a webhook). */
int ia_deliver_configured(const struct ia_config *cfg);

/*
 * Deliver run o->run_id of db. A failed delivery is counted in res->failed, recorded in
 * the deliveries table and printed; it does not stop the others, and nothing else of the
 * run is changed. Returns IA_OK when the deliveries could be attempted (look at
 * res->failed), IA_ERR_NOT_FOUND when there is no such analysed run, IA_ERR_DB, IA_ERR_IO
 * (temporary workbooks), IA_ERR_CONFIG (a [delivery] setting unusable at run time, e.g.
 * credentials).
 */
IA_MUST_USE enum ia_code ia_deliver_run(struct ia_db *db, const struct ia_deliver_options *o,
                                        struct ia_deliver_result *res, struct ia_err *err);

#endif
