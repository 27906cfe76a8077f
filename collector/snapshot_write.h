/*
 * The snapshot writer's one public piece: a role's trust policy as normalised trust rows
 * (core/policy.c) in table `trusts`, exactly as collect writes them. Tests that build a
 * database by hand use it so that they never drift from the collector.
 */
#ifndef IA_COLLECTOR_SNAPSHOT_WRITE_H
#define IA_COLLECTOR_SNAPSHOT_WRITE_H

#include <stdint.h>

#include "core/err.h"
#include "sql/db.h"

/*
 * Insert the trust rows of doc (a decoded JSON trust policy) for role role_arn of account
 * in run run_id. *trust_error gets a new string (free()) when the policy could not be read,
 * wholly or in part, else NULL. IA_ERR_DB on a write failure.
 */
IA_MUST_USE enum ia_code ia_snapshot_write_trust_rows(struct ia_db *db, int64_t run_id,
                                                      const char *account, const char *role,
                                                      const char *role_arn, const char *doc,
                                                      char **trust_error, struct ia_err *err);

#endif
