#include "collector/endpoints.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/http.h"

const char *
ia_endpoint_partition(const char *region)
{
    if (region && strncmp(region, "us-gov-", 7) == 0)
        return "aws-us-gov";
    if (region && strncmp(region, "cn-", 3) == 0)
        return "aws-cn";
    return "aws";
}

const char *
ia_endpoint_default_region(const char *profile_region)
{
    const char *r = getenv("AWS_REGION");
    if (!r || !*r)
        r = getenv("AWS_DEFAULT_REGION");
    if (!r || !*r)
        r = profile_region;
    return r && *r ? r : "us-east-1";
}

static int
valid_region(const char *r)
{
    if (!*r || strlen(r) > 25)
        return 0;
    for (const char *p = r; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return 0;
    return 1;
}

static void
set(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

enum ia_code
ia_endpoint_resolve(enum ia_service svc, const char *region, const char *profile_endpoint_url,
                    struct ia_endpoint *out, struct ia_err *err)
{
    static const char *const env_names[] = { "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS",
                                             "AWS_ENDPOINT_URL_ORGANIZATIONS",
                                             "AWS_ENDPOINT_URL_SES",
                                             "AWS_ENDPOINT_URL_SECURITYHUB" };
    static const char *const names[] = { "iam", "sts", "organizations", "ses", "securityhub" };
    struct ia_endpoint ep;
    const char *override = NULL, *origin = NULL;

    memset(&ep, 0, sizeof(ep));
    if (!region || !*region)
        region = "us-east-1";
    if (!valid_region(region))
        return ia_err_set(err, IA_ERR_CONFIG,
                          "region '%s' is not a region name like eu-west-2; fix AWS_REGION or "
                          "the profile's region",
                          region);
    const char *part = ia_endpoint_partition(region);
    const char *dns = strcmp(part, "aws-cn") == 0 ? "amazonaws.com.cn" : "amazonaws.com";
    set(ep.partition, sizeof(ep.partition), part);
    set(ep.service, sizeof(ep.service), names[svc]);

    switch (svc) {
    case IA_SVC_IAM:
        /* IAM is global per partition, signed in the partition's home region. */
        if (strcmp(part, "aws-us-gov") == 0) {
            set(ep.url, sizeof(ep.url), "https://iam.us-gov.amazonaws.com");
            set(ep.signing_region, sizeof(ep.signing_region), "us-gov-west-1");
        } else if (strcmp(part, "aws-cn") == 0) {
            set(ep.url, sizeof(ep.url), "https://iam.cn-north-1.amazonaws.com.cn");
            set(ep.signing_region, sizeof(ep.signing_region), "cn-north-1");
        } else {
            set(ep.url, sizeof(ep.url), "https://iam.amazonaws.com");
            set(ep.signing_region, sizeof(ep.signing_region), "us-east-1");
        }
        break;
    case IA_SVC_STS:
        /* Regional STS, as the SDKs now default to. */
        snprintf(ep.url, sizeof(ep.url), "https://sts.%s.%s", region, dns);
        set(ep.signing_region, sizeof(ep.signing_region), region);
        break;
    case IA_SVC_ORGANIZATIONS:
        if (strcmp(part, "aws-us-gov") == 0) {
            set(ep.url, sizeof(ep.url), "https://organizations.us-gov-west-1.amazonaws.com");
            set(ep.signing_region, sizeof(ep.signing_region), "us-gov-west-1");
        } else if (strcmp(part, "aws-cn") == 0) {
            set(ep.url, sizeof(ep.url), "https://organizations.cn-northwest-1.amazonaws.com.cn");
            set(ep.signing_region, sizeof(ep.signing_region), "cn-northwest-1");
        } else {
            set(ep.url, sizeof(ep.url), "https://organizations.us-east-1.amazonaws.com");
            set(ep.signing_region, sizeof(ep.signing_region), "us-east-1");
        }
        break;
    case IA_SVC_SES:
        /* SES v1's host is email.REGION; its signing name is "ses". */
        snprintf(ep.url, sizeof(ep.url), "https://email.%s.%s", region, dns);
        set(ep.signing_region, sizeof(ep.signing_region), region);
        break;
    case IA_SVC_SECURITYHUB:
        snprintf(ep.url, sizeof(ep.url), "https://securityhub.%s.%s", region, dns);
        set(ep.signing_region, sizeof(ep.signing_region), region);
        break;
    case IA_SVC_COUNT: return ia_err_set(err, IA_ERR_INVALID, "no such service");
    }

    if ((override = getenv(env_names[svc])) && *override)
        origin = env_names[svc];
    else if ((override = getenv("AWS_ENDPOINT_URL")) && *override)
        origin = "AWS_ENDPOINT_URL";
    else if ((override = profile_endpoint_url) && *override)
        origin = "the profile's endpoint_url";
    if (origin) {
        struct ia_buf scheme = IA_BUF_INIT, host = IA_BUF_INIT, path = IA_BUF_INIT;
        struct ia_err e2;
        enum ia_code rc = ia_http_url_split(override, &scheme, &host, &path, &e2);
        int http_ok =
            rc == IA_OK && (strcmp(scheme.buf, "https") == 0 || ia_http_url_is_loopback(override));
        ia_buf_release(&scheme);
        ia_buf_release(&host);
        ia_buf_release(&path);
        if (rc != IA_OK)
            return ia_err_set(err, IA_ERR_CONFIG, "%s: %s", origin, e2.msg);
        if (!http_ok)
            return ia_err_set(err, IA_ERR_CONFIG,
                              "%s is '%s': plain http is allowed only for a loopback address "
                              "(127.0.0.1, ::1, localhost); use https",
                              origin, override);
        if (strlen(override) >= sizeof(ep.url))
            return ia_err_set(err, IA_ERR_CONFIG, "%s is too long", origin);
        set(ep.url, sizeof(ep.url), override);
        size_t n = strlen(ep.url);
        while (n > 0 && ep.url[n - 1] == '/')
            ep.url[--n] = '\0';
        ep.overridden = 1;
    }
    *out = ep;
    return IA_OK;
}
