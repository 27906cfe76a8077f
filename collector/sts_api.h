/* STS actions, one small function each. */
#ifndef IA_COLLECTOR_STS_API_H
#define IA_COLLECTOR_STS_API_H

#include "collector/aws.h"
#include "collector/creds.h"

struct ia_caller_identity {
    char account[16];
    char arn[2048];
    char user_id[256];
};

/* sts:GetCallerIdentity with c's credentials. */
IA_MUST_USE enum ia_code ia_sts_get_caller_identity(struct ia_aws_client *c,
                                                    struct ia_caller_identity *out,
                                                    struct ia_err *err);

/* Inputs of sts:AssumeRole. Borrowed; optional fields NULL or 0. token_code is a secret. */
struct ia_assume_role_params {
    const char *role_arn;
    const char *session_name; /* default "iam-audit" */
    const char *external_id;
    const char *serial_number; /* MFA device */
    const char *token_code;    /* MFA code: never logged */
    int duration_seconds;      /* 0: AWS's default (3600) */
};

/*
 * sts:AssumeRole. On success *out holds the temporary credentials (caller wipes them
 * with ia_creds_release) with expiration set and source "assume-role ROLE_ARN".
 */
IA_MUST_USE enum ia_code ia_sts_assume_role(struct ia_aws_client *c,
                                            const struct ia_assume_role_params *p,
                                            struct ia_creds *out, struct ia_err *err);

/*
 * sts:AssumeRoleWithWebIdentity (unsigned: the token is the proof). token is a secret.
 */
IA_MUST_USE enum ia_code ia_sts_assume_role_with_web_identity(
    struct ia_aws_client *c, const char *role_arn, const char *session_name, const char *token,
    int duration_seconds, struct ia_creds *out, struct ia_err *err);

/* Fill *out from a <Credentials> element of an STS response. Exposed for tests. */
IA_MUST_USE enum ia_code ia_sts_parse_credentials(const struct ia_xml_node *credentials,
                                                  struct ia_creds *out, struct ia_err *err);

#endif
