/*
 * The rule table: every rule's stable id, default severity, family, one line, and the one
 * function that evaluates it. A rule id is written here and nowhere else in the code.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "analyser/internal.h"

/* Keep in step with docs/rules.md (one section per id, same order). */
static const struct ia_rule s_rules[] = {
    /* MFA and sign-in */
    { "user-no-mfa", IA_SEV_CRITICAL, "mfa",
      "base-account user without an MFA device (low when it has neither password nor keys)",
      ia_rule_user_no_mfa, 0 },
    { "mfa-device-name-prefix", IA_SEV_LOW, "mfa",
      "MFA device whose name does not start with its user's name", ia_rule_mfa_device_name_prefix,
      0 },
    { "root-no-mfa", IA_SEV_CRITICAL, "mfa", "account root user without MFA", ia_rule_root_no_mfa,
      0 },
    { "root-access-key", IA_SEV_CRITICAL, "mfa", "account root user with active access keys",
      ia_rule_root_access_key, 0 },
    { "password-policy-weak", IA_SEV_HIGH, "mfa",
      "base account without a password policy, or minimum length under min_password_length",
      ia_rule_password_policy_weak, 0 },
    { "user-name-not-email", IA_SEV_MEDIUM, "mfa",
      "base-account user not named by an e-mail address in allowed_email_domains",
      ia_rule_user_name_not_email, 0 },
    { "user-not-in-group", IA_SEV_MEDIUM, "mfa", "base-account user outside required_group",
      ia_rule_user_not_in_group, 0 },
    { "team-account-user", IA_SEV_HIGH, "mfa",
      "IAM user with a password or active keys in a team account", ia_rule_team_account_user, 0 },
    /* Leavers and inactive people */
    { "leaver-present", IA_SEV_HIGH, "leavers",
      "leaver still has a user in the base account (critical with password or keys)",
      ia_rule_leaver_present, 0 },
    { "leaver-trusted-by-role", IA_SEV_HIGH, "leavers",
      "role whose trust policy still names a leaver", ia_rule_leaver_trusted_by_role, 1 },
    { "leaver-has-access", IA_SEV_CRITICAL, "leavers",
      "leaver who can still assume a role (trust and own policies both allow it)",
      ia_rule_leaver_has_access, 0 },
    { "user-not-in-roster", IA_SEV_MEDIUM, "leavers",
      "base-account user in neither the roster nor the leavers file", ia_rule_user_not_in_roster,
      0 },
    { "leavers-matched-nobody", IA_SEV_MEDIUM, "leavers",
      "leavers file names nobody who has a user in the base account: check its column",
      ia_rule_leavers_matched_nobody, 0 },
    { "user-inactive", IA_SEV_MEDIUM, "leavers", "user with no password or key use for stale_days",
      ia_rule_user_inactive, 0 },
    { "access-key-unused", IA_SEV_MEDIUM, "leavers", "active access key unused for stale_days",
      ia_rule_access_key_unused, 0 },
    { "access-key-old", IA_SEV_MEDIUM, "leavers", "active access key older than max_key_age_days",
      ia_rule_access_key_old, 0 },
    /* Roles and trust */
    { "bootstrap-role-present", IA_SEV_MEDIUM, "roles",
      "bootstrap role older than the grace period (high once an admin role exists)",
      ia_rule_bootstrap_role_present, 0 },
    { "trust-wildcard-principal", IA_SEV_CRITICAL, "trust",
      "trust policy allows Principal * (lower when a condition pins the caller)",
      ia_rule_trust_wildcard_principal, 1 },
    { "trust-account-root", IA_SEV_MEDIUM, "trust",
      "trust policy trusts a whole account (high for the base account)", ia_rule_trust_account_root,
      1 },
    { "trust-no-mfa", IA_SEV_HIGH, "trust",
      "trust policy lets IAM users or a whole account in without requiring MFA",
      ia_rule_trust_no_mfa, 1 },
    { "trust-mfa-if-exists", IA_SEV_MEDIUM, "trust",
      "trust policy requires MFA only through ...IfExists, which access keys pass",
      ia_rule_trust_mfa_if_exists, 1 },
    { "trust-external-account", IA_SEV_HIGH, "trust",
      "trust policy names an account neither audited nor in known_accounts",
      ia_rule_trust_external_account, 1 },
    { "trust-dangling-principal", IA_SEV_MEDIUM, "trust",
      "trust policy names a deleted principal (unique id, or a user gone from the base account)",
      ia_rule_trust_dangling_principal, 1 },
    { "trust-federated-unscoped", IA_SEV_HIGH, "trust",
      "federated (OIDC, SAML, Cognito) trust that does not pin who may come in (GitHub: "
      "critical for any repository)",
      ia_rule_trust_federated_unscoped, 1 },
    { "trust-not-principal", IA_SEV_CRITICAL, "trust",
      "trust policy uses NotPrincipal with Allow (everyone but the listed principals)",
      ia_rule_trust_not_principal, 1 },
    { "trust-policy-unreadable", IA_SEV_HIGH, "trust",
      "trust policy that could not be read, failing closed (critical when it shows \"*\" as a "
      "principal; low when read in part)",
      ia_rule_trust_policy_unreadable, 0 },
    { "role-unused", IA_SEV_LOW, "roles", "human-assumable role not used for stale_days",
      ia_rule_role_unused, 0 },
    { "role-name-nonstandard", IA_SEV_INFO, "roles",
      "human-assumable role whose name fits none of human_role_patterns",
      ia_rule_role_name_nonstandard, 0 },
    { "readonly-role-side-effects", IA_SEV_HIGH, "roles",
      "read-only role whose policies allow writes or reading secrets",
      ia_rule_readonly_role_side_effects, 0 },
    { "role-privilege-escalation", IA_SEV_HIGH, "roles",
      "non-admin role people assume whose policies allow a known escalation to admin",
      ia_rule_role_privilege_escalation, 0 },
    { "trusted-role-iam-admin", IA_SEV_HIGH, "roles",
      "trusted-user role whose policies allow IAM administration (AWS's catalogue)",
      ia_rule_trusted_role_iam_admin, 0 },
    { "policy-unknown-action", IA_SEV_INFO, "roles",
      "policy allowing an action that is not in AWS's catalogue: it grants nothing",
      ia_rule_policy_unknown_action, 0 },
    /* Access paths (docs/access.md) */
    { "access-without-mfa", IA_SEV_HIGH, "access",
      "person who can assume a role without MFA on the path (critical for admin roles)",
      ia_rule_access_without_mfa, 0 },
    /* iam-audit's own identities */
    { "audit-role-broader", IA_SEV_HIGH, "own",
      "iam-audit's own audit role allows more than docs/permissions.md (policy or trust)",
      ia_rule_audit_role_broader, 0 },
    { "audit-runner-broader", IA_SEV_HIGH, "own",
      "the identity that runs iam-audit can do more than assume the audit roles",
      ia_rule_audit_runner_broader, 0 },
    /* Exceptions */
    { "exception-expired", IA_SEV_MEDIUM, "exceptions",
      "exception past its expiry date: it no longer suppresses anything", ia_rule_exception_expired,
      0 },
    { "exception-unused", IA_SEV_LOW, "exceptions", "exception that matched no finding",
      ia_rule_exception_unused, 0 },
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
