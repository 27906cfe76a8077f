/* The rule table: every rule's stable id, default severity, family and one line. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "analyser/analyser.h"

/* Keep in step with docs/rules.md (one section per id, same order). */
static const struct ia_rule s_rules[] = {
    /* MFA and sign-in */
    { "user-no-mfa", IA_SEV_CRITICAL, "mfa",
      "base-account user without an MFA device (low when it has neither password nor keys)" },
    { "mfa-device-name-prefix", IA_SEV_LOW, "mfa",
      "MFA device whose name does not start with its user's name" },
    { "root-no-mfa", IA_SEV_CRITICAL, "mfa", "account root user without MFA" },
    { "root-access-key", IA_SEV_CRITICAL, "mfa", "account root user with active access keys" },
    { "password-policy-weak", IA_SEV_HIGH, "mfa",
      "base account without a password policy, or minimum length under min_password_length" },
    { "user-name-not-email", IA_SEV_MEDIUM, "mfa",
      "base-account user not named by an e-mail address in allowed_email_domains" },
    { "user-not-in-group", IA_SEV_MEDIUM, "mfa",
      "base-account user outside required_group" },
    { "team-account-user", IA_SEV_HIGH, "mfa",
      "IAM user with a password or active keys in a team account" },
    /* Leavers and inactive people */
    { "leaver-present", IA_SEV_HIGH, "leavers",
      "leaver still has a user in the base account (critical with password or keys)" },
    { "leaver-trusted-by-role", IA_SEV_HIGH, "leavers",
      "role whose trust policy still names a leaver" },
    { "user-not-in-roster", IA_SEV_MEDIUM, "leavers",
      "base-account user in neither the roster nor the leavers file" },
    { "leavers-matched-nobody", IA_SEV_MEDIUM, "leavers",
      "leavers file names nobody who has a user in the base account: check its column" },
    { "user-inactive", IA_SEV_MEDIUM, "leavers",
      "user with no password or key use for stale_days" },
    { "access-key-unused", IA_SEV_MEDIUM, "leavers", "active access key unused for stale_days" },
    { "access-key-old", IA_SEV_MEDIUM, "leavers",
      "active access key older than max_key_age_days" },
    /* Roles and trust */
    { "bootstrap-role-present", IA_SEV_MEDIUM, "roles",
      "bootstrap role older than the grace period (high once an admin role exists)" },
    { "trust-wildcard-principal", IA_SEV_CRITICAL, "trust",
      "trust policy allows Principal * (lower when a condition pins the caller)" },
    { "trust-account-root", IA_SEV_MEDIUM, "trust",
      "trust policy trusts a whole account (high for the base account)" },
    { "trust-no-mfa", IA_SEV_HIGH, "trust",
      "trust policy lets IAM users or a whole account in without requiring MFA" },
    { "trust-mfa-if-exists", IA_SEV_MEDIUM, "trust",
      "trust policy requires MFA only through ...IfExists, which access keys pass" },
    { "trust-external-account", IA_SEV_HIGH, "trust",
      "trust policy names an account neither audited nor in known_accounts" },
    { "trust-dangling-principal", IA_SEV_MEDIUM, "trust",
      "trust policy names a deleted principal (unique id, or a user gone from the base account)" },
    { "trust-not-principal", IA_SEV_HIGH, "trust", "trust policy uses NotPrincipal with Allow" },
    { "trust-policy-unreadable", IA_SEV_MEDIUM, "trust",
      "trust policy that could not be read (low when read only in part): the rules are blind" },
    { "role-unused", IA_SEV_LOW, "roles", "human-assumable role not used for stale_days" },
    { "role-name-nonstandard", IA_SEV_INFO, "roles",
      "human-assumable role whose name fits none of human_role_patterns" },
    { "readonly-role-side-effects", IA_SEV_HIGH, "roles",
      "read-only role whose policies allow writes or reading secrets" },
    { "trusted-role-iam-admin", IA_SEV_HIGH, "roles",
      "trusted-user role whose policies allow IAM administration (AWS's catalogue)" },
    { "policy-unknown-action", IA_SEV_INFO, "roles",
      "policy allowing an action that is not in AWS's catalogue: it grants nothing" },
    /* Exceptions */
    { "audit-role-broader", IA_SEV_HIGH, "own",
      "iam-audit's own audit role allows more than docs/permissions.md (policy or trust)" },
    { "audit-runner-broader", IA_SEV_HIGH, "own",
      "the identity that runs iam-audit can do more than assume the audit roles" },
    { "exception-expired", IA_SEV_MEDIUM, "exceptions",
      "exception past its expiry date: it no longer suppresses anything" },
    { "exception-unused", IA_SEV_LOW, "exceptions", "exception that matched no finding" },
};

static const char *const s_sev_names[IA_SEV_COUNT] = { "info", "low", "medium", "high",
                                                        "critical" };

const char *
ia_severity_name(enum ia_severity sev)
{
    if ((int)sev < 0 || (int)sev >= IA_SEV_COUNT)
        return "info";
    return s_sev_names[sev];
}

int
ia_severity_parse(const char *name, enum ia_severity *out)
{
    for (int i = 0; i < IA_SEV_COUNT; i++) {
        if (strcasecmp(name, s_sev_names[i]) == 0) {
            *out = (enum ia_severity)i;
            return 0;
        }
    }
    return -1;
}

const struct ia_rule *
ia_rules_table(size_t *n)
{
    *n = sizeof(s_rules) / sizeof(s_rules[0]);
    return s_rules;
}

const struct ia_rule *
ia_rules_find(const char *id)
{
    for (size_t i = 0; i < sizeof(s_rules) / sizeof(s_rules[0]); i++)
        if (strcmp(s_rules[i].id, id) == 0)
            return &s_rules[i];
    return NULL;
}
