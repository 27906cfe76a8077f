/*
 * The access paths in the reports (issue 14, docs/access.md): access.csv (one row per path),
 * and the workbook's and each team workbook's Access sheet (one row per person and account:
 * "who can get into your accounts").
 */
#include "core/mem.h"
#include "reports/report_int.h"

static const struct ia_report_col s_access_cols[] = {
    { "person", IA_RCOL_TEXT, 36 },
    { "account_id", IA_RCOL_TEXT, 14 },
    { "account_name", IA_RCOL_TEXT, 18 },
    { "team", IA_RCOL_TEXT, 12 },
    { "role_name", IA_RCOL_TEXT, 26 },
    { "role_arn", IA_RCOL_TEXT, 48 },
    { "role_kind", IA_RCOL_TEXT, 10 },
    { "via", IA_RCOL_TEXT, 10 },
    { "identity_via", IA_RCOL_TEXT, 44 },
    { "mfa_required", IA_RCOL_BOOL, 8 },
    { "conditional", IA_RCOL_BOOL, 8 },
    { "conditions", IA_RCOL_JSON, 40 },
    { "role_last_used_at", IA_RCOL_DATE, 12 },
};
const struct ia_report_table ia_report_access_table = {
    "report_access", "access.csv", NULL, s_access_cols, IA_ARRAY_LEN(s_access_cols),
};

static const struct ia_report_col s_access_sheet_cols[] = {
    { "person", IA_RCOL_TEXT, 36 },
    { "account_id", IA_RCOL_TEXT, 14 },
    { "account_name", IA_RCOL_TEXT, 18 },
    { "team", IA_RCOL_TEXT, 12 },
    { "roles", IA_RCOL_TEXT, 50 },
    { "paths", IA_RCOL_INT, 7 },
    { "admin", IA_RCOL_BOOL, 7 },
    { "mfa_on_every_path", IA_RCOL_BOOL, 10 },
    { "paths_without_mfa", IA_RCOL_INT, 10 },
    { "conditional", IA_RCOL_BOOL, 10 },
};
const struct ia_report_table ia_report_access_sheet_table = {
    "report_access_by_account",        NULL, "Access", s_access_sheet_cols,
    IA_ARRAY_LEN(s_access_sheet_cols),
};
