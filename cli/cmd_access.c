/* iam-audit access: who can get into what, from the latest analysed run (docs/access.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli.h"
#include "cli/cmd_analyser.h"
#include "core/config.h"
#include "core/csv.h"
#include "core/glob.h"
#include "core/mem.h"
#include "sql/db.h"

static const char s_usage[] =
    "usage: iam-audit access [--db FILE] [--config FILE] [--person NAME|EMAIL]\n"
    "                        [--account ID|NAME] [--role PATTERN] [--no-mfa]\n"
    "                        [--format table|csv|json]\n"
    "\n"
    "Lists the effective access paths of the latest analysed run: each person (base-account\n"
    "user) and each role they can assume, with how (the trust's principal, the policy that\n"
    "grants sts:AssumeRole) and whether MFA is required on the way (docs/access.md). Offline:\n"
    "it reads the database only.\n"
    "\n"
    "  --db FILE          database (default: the config's [audit] database, else iam-audit.db)\n"
    "  --config FILE      configuration, only to find the database\n"
    "  --person NAME      only this person: user name or e-mail, ignoring case (the part\n"
    "                     before '@' also matches)\n"
    "  --account ID|NAME  only roles of this account (12-digit id, or name ignoring case)\n"
    "  --role PATTERN     only roles whose name (or ARN, when PATTERN has a ':') matches the\n"
    "                     glob PATTERN ('*' and '?'), ignoring case\n"
    "  --no-mfa           only paths on which nothing requires MFA\n"
    "  --format F         table (default), csv (a header row, RFC 4180) or json (one array)\n"
    "\n"
    "Columns: person, account_id, account_name, team, role_name, role_arn, role_kind\n"
    "(admin | trusted | readonly | other), via (user | account | wildcard), identity_via,\n"
    "mfa_required (0/1), conditional (0/1), conditions (JSON), role_last_used_at.\n"
    "Exit: 0 (also when no path matches), 3 failed (e.g. no analysed run), 64 usage,\n"
    "78 configuration.\n";

enum {
    C_PERSON,
    C_ARN,
    C_ACCOUNT,
    C_ACCOUNT_NAME,
    C_TEAM,
    C_ROLE,
    C_ROLE_ARN,
    C_KIND,
    C_VIA,
    C_IDENTITY,
    C_MFA,
    C_COND,
    C_CONDS,
    C_LAST_USED,
    C_N
};

/* Output names of the columns shown (C_ARN is not shown). */
static const int s_shown[] = { C_PERSON,   C_ACCOUNT, C_ACCOUNT_NAME, C_TEAM,     C_ROLE,
                               C_ROLE_ARN, C_KIND,    C_VIA,          C_IDENTITY, C_MFA,
                               C_COND,     C_CONDS,   C_LAST_USED };
static const char *const s_names[C_N] = {
    "person",     "user_arn",         "account_id", "account_name", "team",         "role_name",
    "role_arn",   "role_kind",        "via",        "identity_via", "mfa_required", "conditional",
    "conditions", "role_last_used_at"
};

struct filter {
    const char *person, *account, *role;
    int no_mfa;
};

static int
person_matches(const char *want, const char *name)
{
    if (!strcasecmp(want, name))
        return 1;
    const char *at = strchr(name, '@');
    return at && !strchr(want, '@') && strlen(want) == (size_t)(at - name) &&
           !strncasecmp(want, name, (size_t)(at - name));
}

static int
keep_row(const struct filter *f, char *const *row)
{
    if (f->person && !person_matches(f->person, row[C_PERSON]))
        return 0;
    if (f->account && strcmp(f->account, row[C_ACCOUNT]) != 0 &&
        !(row[C_ACCOUNT_NAME] && !strcasecmp(f->account, row[C_ACCOUNT_NAME])))
        return 0;
    if (f->role && !ia_glob_match(f->role, strchr(f->role, ':') ? row[C_ROLE_ARN] : row[C_ROLE]))
        return 0;
    if (f->no_mfa && strcmp(row[C_MFA], "0") != 0)
        return 0;
    return 1;
}

static void
json_str(const char *s)
{
    if (!s) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void
print_json(char ***rows, size_t n)
{
    fputs("[", stdout);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n {" : "\n {", stdout);
        for (size_t k = 0; k < IA_ARRAY_LEN(s_shown); k++) {
            int c = s_shown[k];
            printf("%s\"%s\": ", k ? ", " : "", s_names[c]);
            if (c == C_MFA || c == C_COND)
                fputs(strcmp(rows[i][c], "0") ? "true" : "false", stdout);
            else if (c == C_CONDS && rows[i][c])
                fputs(rows[i][c], stdout); /* already JSON, written by the analyser */
            else
                json_str(rows[i][c]);
        }
        putchar('}');
    }
    fputs(n ? "\n]\n" : "]\n", stdout);
}

static void
print_table(char ***rows, size_t n)
{
    static const int cols[] = { C_PERSON, C_ACCOUNT_NAME, C_ROLE, C_KIND,
                                C_VIA,    C_MFA,          C_COND, C_IDENTITY };
    static const char *const heads[] = { "PERSON", "ACCOUNT", "ROLE", "KIND",
                                         "VIA",    "MFA",     "COND", "IDENTITY_VIA" };
    size_t w[IA_ARRAY_LEN(cols)];
    for (size_t k = 0; k < IA_ARRAY_LEN(cols); k++) {
        w[k] = strlen(heads[k]);
        for (size_t i = 0; i < n; i++) {
            const char *v = rows[i][cols[k]] ? rows[i][cols[k]] : "-";
            if (strlen(v) > w[k])
                w[k] = strlen(v);
        }
    }
    for (size_t k = 0; k < IA_ARRAY_LEN(cols); k++)
        printf("%-*s%s", (int)(k + 1 < IA_ARRAY_LEN(cols) ? w[k] : 0), heads[k],
               k + 1 < IA_ARRAY_LEN(cols) ? "  " : "\n");
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < IA_ARRAY_LEN(cols); k++) {
            const char *v = rows[i][cols[k]] ? rows[i][cols[k]] : "-";
            if (cols[k] == C_MFA)
                v = strcmp(v, "0") ? "yes" : "NO";
            else if (cols[k] == C_COND)
                v = strcmp(v, "0") ? "yes" : "no";
            printf("%-*s%s", (int)(k + 1 < IA_ARRAY_LEN(cols) ? w[k] : 0), v,
                   k + 1 < IA_ARRAY_LEN(cols) ? "  " : "\n");
        }
    }
}

int
cmd_access(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "db", required_argument, NULL, 'd' },
        { "config", required_argument, NULL, 'c' },
        { "person", required_argument, NULL, 'p' },
        { "account", required_argument, NULL, 'a' },
        { "role", required_argument, NULL, 'r' },
        { "no-mfa", no_argument, NULL, 'n' },
        { "format", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *dbpath = NULL, *config = NULL, *format = "table";
    struct filter flt = { NULL, NULL, NULL, 0 };
    int opt, rc = IA_EXIT_FAILED, have_cfg = 0, r;
    struct ia_config cfg;
    struct ia_err err;
    struct ia_db *db = NULL;
    struct ia_db_stmt *st;
    char ***rows = NULL;
    size_t n = 0, alloc = 0;

    ia_err_clear(&err);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "d:c:p:a:r:nf:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'd': dbpath = optarg; break;
        case 'c': config = optarg; break;
        case 'p': flt.person = optarg; break;
        case 'a': flt.account = optarg; break;
        case 'r': flt.role = optarg; break;
        case 'n': flt.no_mfa = 1; break;
        case 'f': format = optarg; break;
        case 'h': fputs(s_usage, stdout); return IA_EXIT_OK;
        default: return ia_cli_usage_error("access", "unknown option; see --help");
        }
    }
    if (optind < argc)
        return ia_cli_usage_error("access", "unexpected argument '%s'", argv[optind]);
    if (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "json"))
        return ia_cli_usage_error("access", "--format is table, csv or json, not '%s'", format);
    const char *empty = flt.person && !*flt.person     ? "--person"
                        : flt.account && !*flt.account ? "--account"
                        : flt.role && !*flt.role       ? "--role"
                                                       : NULL;
    if (empty)
        return ia_cli_usage_error("access", "%s needs a value", empty);
    if (config) {
        if ((rc = ia_cli_load_config("access", config, &cfg)) != IA_EXIT_OK)
            goto out;
        have_cfg = 1;
        if (!dbpath)
            dbpath = cfg.database;
    }
    if (!dbpath)
        dbpath = "iam-audit.db";
    if (ia_db_open(dbpath, IA_DB_READONLY, &db, &err) != IA_OK) {
        fprintf(stderr, "iam-audit access: %s\n", err.msg);
        rc = ia_cli_exit_code(err.code);
        goto out;
    }
    if (ia_db_prepare(db, "analyser_latest_analysed", &st, &err) != IA_OK ||
        (r = ia_db_step(st, &err)) < 0) {
        fprintf(stderr, "iam-audit access: %s\n", err.msg);
        goto out;
    }
    if (r == 0) {
        ia_db_reset(st);
        fprintf(stderr,
                "iam-audit access: %s has no analysed run; run 'iam-audit analyse' "
                "(or 'iam-audit run') first\n",
                dbpath);
        goto out;
    }
    int64_t run = ia_db_col_int(st, 0);
    ia_db_reset(st);
    if (ia_db_prepare(db, "access_list", &st, &err) != IA_OK) {
        fprintf(stderr, "iam-audit access: %s\n", err.msg);
        goto out;
    }
    ia_db_bind_int(st, ":run_id", run);
    ia_db_bind_null(st, ":team");
    while ((r = ia_db_step(st, &err)) == 1) {
        char **row = ia_xcalloc(C_N, sizeof(char *));
        for (int c = 0; c < C_N; c++) {
            const char *v = ia_db_col_text(st, c);
            row[c] = v ? ia_xstrdup(v) : NULL;
        }
        if (!keep_row(&flt, row)) {
            for (int c = 0; c < C_N; c++)
                free(row[c]);
            free(row);
            continue;
        }
        rows = ia_xgrow(rows, n + 1, &alloc, sizeof(*rows));
        rows[n++] = row;
    }
    ia_db_reset(st);
    if (r < 0) {
        fprintf(stderr, "iam-audit access: %s\n", err.msg);
        goto out;
    }
    if (!strcmp(format, "json")) {
        print_json(rows, n);
    } else if (!strcmp(format, "csv")) {
        const char *f[IA_ARRAY_LEN(s_shown)];
        for (size_t k = 0; k < IA_ARRAY_LEN(s_shown); k++)
            f[k] = s_names[s_shown[k]];
        ia_csv_write_row(stdout, f, IA_ARRAY_LEN(s_shown), 1);
        for (size_t i = 0; i < n; i++) {
            for (size_t k = 0; k < IA_ARRAY_LEN(s_shown); k++)
                f[k] = rows[i][s_shown[k]] ? rows[i][s_shown[k]] : "";
            ia_csv_write_row(stdout, f, IA_ARRAY_LEN(s_shown), 1);
        }
    } else {
        print_table(rows, n);
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "iam-audit access: cannot write the output\n");
        goto out;
    }
    fprintf(stderr, "iam-audit access: run %lld: %zu path%s\n", (long long)run, n,
            n == 1 ? "" : "s");
    rc = IA_EXIT_OK;
out:
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < C_N; c++)
            free(rows[i][c]);
        free(rows[i]);
    }
    free(rows);
    ia_db_close(db);
    if (have_cfg)
        ia_config_release(&cfg);
    return rc;
}
