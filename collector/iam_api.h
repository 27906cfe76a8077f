/*
 * IAM actions, one small function each. Paged actions take the previous page's marker
 * (NULL for the first) and return the parsed page; ia_iam_next_marker reads the next.
 */
#ifndef IA_COLLECTOR_IAM_API_H
#define IA_COLLECTOR_IAM_API_H

#include "collector/aws.h"

/* Largest page IAM serves for the list actions and GetAccountAuthorizationDetails. */
#define IA_IAM_MAX_ITEMS "1000"

/* The marker for the next page of a paged response (new: free()), or NULL on the last page. */
char *ia_iam_next_marker(const struct ia_xml_doc *page, const char *result_name);
/* The <...Result> element of a response (borrowed from doc). */
const struct ia_xml_node *ia_iam_result(const struct ia_xml_doc *doc, const char *action);

/* iam:ListAccountAliases: the first alias, or "" when none. */
IA_MUST_USE enum ia_code ia_iam_account_alias(struct ia_aws_client *c, char *out, size_t cap,
                                              struct ia_err *err);
/* iam:GetAccountPasswordPolicy: *out is the response, or NULL when none is set (a fact,
 * not an error: IAM's NoSuchEntity). */
IA_MUST_USE enum ia_code ia_iam_password_policy(struct ia_aws_client *c, struct ia_xml_doc **out,
                                                struct ia_err *err);
/* iam:GetAccountAuthorizationDetails for users, groups, roles and local managed policies. */
IA_MUST_USE enum ia_code ia_iam_gaad_page(struct ia_aws_client *c, const char *marker,
                                          struct ia_xml_doc **out, struct ia_err *err);
/* iam:ListRoles (carries MaxSessionDuration and Description, which GAAD lacks). */
IA_MUST_USE enum ia_code ia_iam_list_roles_page(struct ia_aws_client *c, const char *marker,
                                                struct ia_xml_doc **out, struct ia_err *err);
/* iam:ListVirtualMFADevices (assigned and unassigned). */
IA_MUST_USE enum ia_code ia_iam_list_virtual_mfa_page(struct ia_aws_client *c, const char *marker,
                                                      struct ia_xml_doc **out, struct ia_err *err);
/* iam:ListMFADevices for one user. */
IA_MUST_USE enum ia_code ia_iam_list_mfa_devices_page(struct ia_aws_client *c, const char *user,
                                                      const char *marker, struct ia_xml_doc **out,
                                                      struct ia_err *err);
/* iam:ListAccessKeys for one user (ids and status; never secrets). */
IA_MUST_USE enum ia_code ia_iam_list_access_keys_page(struct ia_aws_client *c, const char *user,
                                                      const char *marker, struct ia_xml_doc **out,
                                                      struct ia_err *err);
/* iam:GenerateCredentialReport: state is "STARTED", "INPROGRESS" or "COMPLETE". */
IA_MUST_USE enum ia_code ia_iam_generate_credential_report(struct ia_aws_client *c, char *state,
                                                           size_t cap, struct ia_err *err);
/*
 * iam:GetCredentialReport: the decoded CSV appended to csv, generated time (ISO) into
 * generated. IA_ERR_AWS with aws_code ReportInProgress / ReportNotPresent /
 * ReportExpired when not ready.
 */
IA_MUST_USE enum ia_code ia_iam_get_credential_report(struct ia_aws_client *c, struct ia_buf *csv,
                                                      char *generated, size_t cap,
                                                      struct ia_err *err);
/* iam:GetPolicy: the default version id. */
IA_MUST_USE enum ia_code ia_iam_policy_default_version(struct ia_aws_client *c, const char *arn,
                                                       char *version, size_t cap,
                                                       struct ia_err *err);
/* iam:GetPolicyVersion: the decoded document (new: free()). */
IA_MUST_USE enum ia_code ia_iam_policy_version_document(struct ia_aws_client *c, const char *arn,
                                                        const char *version, char **doc,
                                                        struct ia_err *err);

/*
 * iam:GetAccountSummary: SummaryMap's MFADevicesInUse (the IAM users' assigned devices of
 * every kind) into *out, or -1 when the answer lacks it.
 */
IA_MUST_USE enum ia_code ia_iam_mfa_devices_in_use(struct ia_aws_client *c, long *out,
                                                   struct ia_err *err);
/* iam:GetLoginProfile: the parsed answer, or *out NULL when the user has no password
 * (IAM's NoSuchEntity is not an error here). */
IA_MUST_USE enum ia_code ia_iam_login_profile(struct ia_aws_client *c, const char *user,
                                              struct ia_xml_doc **out, struct ia_err *err);

/* iam:GetUser (PasswordLastUsed, which GAAD lacks). */
IA_MUST_USE enum ia_code ia_iam_get_user(struct ia_aws_client *c, const char *user,
                                         struct ia_xml_doc **out, struct ia_err *err);
/* iam:GetAccessKeyLastUsed of one key. */
IA_MUST_USE enum ia_code ia_iam_access_key_last_used(struct ia_aws_client *c, const char *key_id,
                                                     struct ia_xml_doc **out, struct ia_err *err);

#endif
