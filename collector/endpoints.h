/*
 * Where each AWS service is reached and how it is signed: the partitions aws,
 * aws-us-gov and aws-cn, regional STS, and the SDKs' endpoint overrides
 * (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, a profile's endpoint_url).
 */
#ifndef IA_COLLECTOR_ENDPOINTS_H
#define IA_COLLECTOR_ENDPOINTS_H

#include "core/err.h"

enum ia_service {
    IA_SVC_IAM = 0,
    IA_SVC_STS,
    IA_SVC_ORGANIZATIONS,
    IA_SVC_SES,         /* delivery: SES v1 (Query API), endpoint email.REGION, signed "ses" */
    IA_SVC_SECURITYHUB, /* delivery: Security Hub (REST-JSON) */
    IA_SVC_COUNT
};

struct ia_endpoint {
    char url[512];           /* e.g. "https://iam.amazonaws.com" (no trailing slash) */
    char signing_region[32]; /* region in the credential scope */
    char service[32];        /* signing name: "iam", "sts", "organizations" */
    char partition[16];      /* "aws", "aws-us-gov", "aws-cn" */
    int overridden;          /* 1 when an override chose the URL */
};

/* Partition of a region ("us-gov-west-1" -> "aws-us-gov", "cn-north-1" -> "aws-cn"). */
const char *ia_endpoint_partition(const char *region);

/*
 * Resolve svc for region (NULL or "" means us-east-1). Overrides, first found wins:
 * AWS_ENDPOINT_URL_<IAM|STS|ORGANIZATIONS|SES|SECURITYHUB>, AWS_ENDPOINT_URL, then
 * profile_endpoint_url (may be NULL). IA_ERR_CONFIG for an override that is not an http(s) URL, or
 * http to a host that is not loopback.
 */
IA_MUST_USE enum ia_code ia_endpoint_resolve(enum ia_service svc, const char *region,
                                             const char *profile_endpoint_url,
                                             struct ia_endpoint *out, struct ia_err *err);

/* The region to use: AWS_REGION, AWS_DEFAULT_REGION, profile_region, else "us-east-1". */
const char *ia_endpoint_default_region(const char *profile_region);

#endif
