/* iam-audit whoami: the identity the credential chain finds, and where it came from. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "collector/aws.h"
#include "collector/creds_chain.h"
#include "collector/endpoints.h"
#include "collector/http.h"
#include "collector/sts_api.h"
#include "core/clock.h"

static void
whoami_usage(FILE *f)
{
    fputs("usage: iam-audit whoami [--profile NAME] [--region REGION] [--mfa-token CODE]\n"
          "\n"
          "Shows the AWS identity iam-audit would use (sts:GetCallerIdentity) and where its\n"
          "credentials came from, without printing any secret. Run it to check a set-up\n"
          "before the nightly job does.\n"
          "\n"
          "Options:\n"
          "  --profile NAME    use this profile of the AWS config and credentials files;\n"
          "                    AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are then ignored\n"
          "                    (AWS_PROFILE=NAME does not ignore them, as in the AWS CLI)\n"
          "  --region REGION   region of the STS endpoint (default: AWS_REGION,\n"
          "                    AWS_DEFAULT_REGION, the profile's region, else us-east-1)\n"
          "  --mfa-token CODE  the six digits your MFA device shows now, for a role profile\n"
          "                    with mfa_serial; without it you are asked on the terminal.\n"
          "                    '-' reads them from standard input; a CODE here is visible to\n"
          "                    other local users while iam-audit starts (a warning says so)\n"
          "  -h, --help        show this text\n"
          "\n"
          "Credentials are taken from the first of these that is set up:\n"
          "  1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN\n"
          "  2. the profile's role_arn, with source_profile or credential_source\n"
          "  3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (CI OIDC)\n"
          "  4. the profile's keys in the shared credentials file\n"
          "  5. the profile's credential_process\n"
          "  6. the profile's keys in the config file\n"
          "  7. ECS container credentials\n"
          "  8. EC2 instance metadata (IMDSv2)\n"
          "\n"
          "Environment variables honoured:\n"
          "  AWS_PROFILE, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, AWS_ACCESS_KEY_ID,\n"
          "  AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION,\n"
          "  AWS_REGION, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_STS,\n"
          "  AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME,\n"
          "  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, AWS_CONTAINER_CREDENTIALS_FULL_URI,\n"
          "  AWS_CONTAINER_AUTHORIZATION_TOKEN, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE,\n"
          "  AWS_EC2_METADATA_DISABLED, AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_CA_BUNDLE,\n"
          "  HTTPS_PROXY, NO_PROXY.\n"
          "\n"
          "Example:\n"
          "  $ iam-audit whoami --profile audit\n"
          "  Account: 222222222222\n"
          "  Arn: arn:aws:sts::222222222222:assumed-role/audit/iam-audit\n"
          "  UserId: AROAEXAMPLEID:iam-audit\n"
          "  Source: profile audit: assume-role arn:aws:iam::222222222222:role/audit via\n"
          "          profile base (shared credentials file)\n"
          "  Expires: 2026-11-27T03:00:00Z\n"
          "\n"
          "Exit codes: 0 ok, 3 the AWS call failed, 64 usage error, 78 credentials not\n"
          "set up, or set up wrongly. See docs/credentials.md.\n",
          f);
}

/* "--name value" or "--name=value"; returns 1 when argv[*i] is that option. */
static int
option(int argc, char **argv, int *i, const char *name, const char **value, int *missing)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return 0;
    if (argv[*i][n] == '=') {
        *value = argv[*i] + n + 1;
    } else if (argv[*i][n] != '\0') {
        return 0;
    } else if (*i + 1 < argc) {
        *value = argv[++*i];
    } else {
        *missing = 1;
    }
    if (!*missing && !**value)
        *missing = 1;
    return 1;
}

/* One line on stderr: a message never spans lines, whatever an error body held. */
static void
fail_line(const char *msg)
{
    fputs("iam-audit whoami: ", stderr);
    for (const char *p = msg; *p; p++)
        fputc(*p == '\n' || *p == '\r' ? ' ' : *p, stderr);
    fputc('\n', stderr);
}

/* Exit code while setting up credentials: an AWS or network failure is 3, the rest 78. */
static int
setup_exit(enum ia_code rc)
{
    switch (rc) {
    case IA_ERR_AWS:
    case IA_ERR_NET:
    case IA_ERR_TIMEOUT:
    case IA_ERR_HTTP: return IA_EXIT_FAILED;
    default: return IA_EXIT_CONFIG;
    }
}

int
cmd_whoami(int argc, char **argv)
{
    struct ia_creds_options opts;
    struct ia_http_options hopts;
    struct ia_profile_info info;
    struct ia_creds_provider *prov = NULL;
    struct ia_aws_client client;
    struct ia_caller_identity id;
    struct ia_creds cr;
    struct ia_err err;
    struct ia_http *http = NULL;
    int have_client = 0, ret = IA_EXIT_CONFIG;
    enum ia_code rc;

    memset(&opts, 0, sizeof(opts));
    memset(&hopts, 0, sizeof(hopts));
    memset(&cr, 0, sizeof(cr));
    ia_err_clear(&err);
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *v = NULL;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            whoami_usage(stdout);
            return IA_EXIT_OK;
        } else if (option(argc, argv, &i, "--profile", &v, &missing)) {
            opts.profile = v;
        } else if (option(argc, argv, &i, "--region", &v, &missing)) {
            opts.region = v;
        } else if (option(argc, argv, &i, "--mfa-token", &v, &missing)) {
            opts.mfa_token = v;
        } else {
            return ia_cli_usage_error("whoami", "unknown argument '%s'", argv[i]);
        }
        if (missing)
            return ia_cli_usage_error("whoami", "%s needs a value", argv[i]);
    }

    hopts.ca_bundle = getenv("AWS_CA_BUNDLE");
    if (hopts.ca_bundle && !*hopts.ca_bundle)
        hopts.ca_bundle = NULL;
    hopts.timeout_ms = 30000;
    http = ia_http_new(&hopts);
    opts.http = ia_http_ops_of(http);

    rc = ia_creds_chain_resolve(&opts, &prov, &info, &err);
    if (rc != IA_OK) {
        ret = setup_exit(rc);
        goto out;
    }
    /* Fetch once here, so a broken source is told apart from a failing AWS call. */
    rc = ia_creds_get(prov, &cr, &err);
    if (rc != IA_OK) {
        ret = setup_exit(rc);
        goto out;
    }
    const char *region = opts.region ? opts.region : ia_endpoint_default_region(info.region);
    rc = ia_aws_client_init(&client, opts.http, prov, region, info.endpoint_url, &err);
    if (rc != IA_OK) {
        ret = IA_EXIT_CONFIG;
        goto out;
    }
    have_client = 1;
    client.retry.max_attempts = 3;
    rc = ia_sts_get_caller_identity(&client, &id, &err);
    if (rc != IA_OK) {
        ret = rc == IA_ERR_CREDS || rc == IA_ERR_CONFIG ? IA_EXIT_CONFIG : IA_EXIT_FAILED;
        goto out;
    }
    char expires[IA_TIME_ISO_LEN] = "never";
    if (cr.expiration)
        ia_time_format_iso(cr.expiration, expires);
    printf("Account: %s\nArn: %s\nUserId: %s\nSource: %s\nExpires: %s\n", id.account, id.arn,
           id.user_id, info.source, expires);
    ret = IA_EXIT_OK;
out:
    if (ret != IA_EXIT_OK)
        fail_line(err.msg[0] ? err.msg : "failed without a message (a bug: please report it)");
    ia_creds_release(&cr);
    if (have_client)
        ia_aws_client_release(&client);
    ia_creds_provider_free(prov);
    ia_http_free(http);
    return ret;
}
