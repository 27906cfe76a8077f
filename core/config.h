/*
 * The iam-audit configuration file (INI, read with libinih). Every key is validated
 * before any API call: a wrong or unknown key, a malformed account id or ARN, or a
 * duplicate account is a one-line error naming the file, the line and the fix.
 * docs/config.md is the reference; cron/iam-audit.conf.example an annotated example.
 */
#ifndef IA_CORE_CONFIG_H
#define IA_CORE_CONFIG_H

#include <stddef.h>

#include "core/err.h"

struct ia_config_account {
    char *name;        /* the section name: [account NAME] */
    char *id;          /* 12 digits, kept as text */
    char *team;        /* may be NULL */
    char *role_arn;    /* overrides [audit] role_name; may be NULL */
    char *external_id; /* overrides [audit] external_id; may be NULL */
};

struct ia_config_rules {
    int stale_days;               /* 90 */
    char *bootstrap_role_pattern; /* "*bootstrap*" */
    int bootstrap_grace_days;     /* 30 */
    char **human_role_patterns;   /* NULL-terminated */
    char *readonly_role_pattern;
    char *trusted_role_pattern;   /* "*trusted*": GDS's Trusted user roles */
    int max_key_age_days;         /* 90 */
    int min_password_length;      /* 16 */
    char **allowed_email_domains; /* NULL-terminated; empty: rule off */
    char *required_group;         /* NULL: rule off */
    char **known_accounts;        /* NULL-terminated account ids */
    char *admin_role_pattern;
    int max_exception_days; /* 365: furthest an exception's expires may lie ahead */
    char *organization_id;  /* o-...: the base account's organisation, or NULL */
};

/* [delivery] (issue 17; docs/config.md). */
enum ia_delivery_email { IA_EMAIL_OFF = 0, IA_EMAIL_SES, IA_EMAIL_SENDMAIL };

struct ia_config_delivery {
    char *from;                   /* sender address; required when email is not off */
    enum ia_delivery_email email; /* off */
    char *ses_region;             /* NULL: [audit] region, else the default region */
    char *sendmail;               /* "/usr/sbin/sendmail" */
    char **security_email;        /* NULL-terminated; gets the whole workbook */
    int email_when_clean;         /* 1: teams with nothing open get a short message */
    int securityhub;              /* 0 */
    char *securityhub_region;     /* NULL: as ses_region */
    char *securityhub_role_arn;   /* NULL: the caller's credentials */
    int securityhub_workflow;     /* 1: BatchUpdateFindings sets Workflow.Status */
    char *rules_url;              /* base URL of docs/rules.md for Remediation links; may be NULL */
    char *slack_webhook_file;     /* path of a 0600 file holding the URL; NULL: no webhook */
};

/* [team NAME]: who hears about a team's accounts. */
struct ia_config_team {
    char *name;
    char **email; /* NULL-terminated */
};

struct ia_config {
    char *path;
    /* [audit] */
    char *database;      /* "iam-audit.db" */
    char *base_account;  /* 12 digits; may be NULL when no base account is set */
    char *base_name;     /* "gds-users" */
    char *role_name;     /* "iam-audit" (the audit role in every account) */
    char *base_role_arn; /* role to assume in the base account; NULL: use the caller */
    char *external_id;
    int concurrency; /* 8 */
    char *profile;
    char *region;
    char *session_name; /* "iam-audit" */
    char *leavers, *roster, *exceptions, *reports;
    int keep_days;         /* 0: keep every run */
    int max_attempts;      /* 10 */
    int retry_base_ms;     /* 1000 */
    int request_timeout_s; /* 60: whole-request time-out of each AWS call */
    int max_account_mib;   /* 1024: AWS answers held for one account before it fails */
    char *ca_bundle;
    char *on_failure; /* command run by cron/iam-audit-nightly on failure */
    char *runner;     /* ARN of the user or role that runs the job (assumes the audit role);
                         NULL: not declared */
    /* [account NAME] */
    struct ia_config_account *accounts;
    size_t n_accounts;
    /* [organization] */
    int org_discover;
    char *org_role_arn;
    char *org_external_id;
    char **org_exclude;
    /* [rules] */
    struct ia_config_rules rules;
    /* [reports] */
    char **report_formats; /* csv, xlsx, jsonl */
    int report_per_team;
    /* [delivery] and [team NAME] */
    struct ia_config_delivery delivery;
    struct ia_config_team *teams;
    size_t n_teams;
};

/* Defaults, no file. Release with ia_config_release. */
void ia_config_init(struct ia_config *c);
void ia_config_release(struct ia_config *c);

/*
 * Read path into c (initialised by ia_config_load). IA_ERR_CONFIG with
 * "FILE:LINE: problem; fix" on the first problem; IA_ERR_IO when unreadable.
 */
IA_MUST_USE enum ia_code ia_config_load(const char *path, struct ia_config *c, struct ia_err *err);

/* Whether s is a 12-digit account id. */
int ia_config_valid_account_id(const char *s);
/* Whether s looks like an IAM user or role ARN: arn:PARTITION:iam::ACCOUNT:user|role/NAME. */
int ia_config_valid_principal_arn(const char *s);
/* Whether s looks like an IAM role ARN: arn:PARTITION:iam::ACCOUNT:role/NAME. */
int ia_config_valid_role_arn(const char *s);
/* Whether s is a plain e-mail address local@domain.tld (no name, no spaces, no CR/LF). */
int ia_config_valid_email(const char *s);
/* The [team NAME] section of team, or NULL (borrowed from c). */
const struct ia_config_team *ia_config_team_find(const struct ia_config *c, const char *team);
/* Count of a NULL-terminated list (NULL counts 0). */
size_t ia_strlist_len(char *const *list);
void ia_strlist_free(char **list);

#endif
