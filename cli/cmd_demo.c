/* iam-audit demo: the whole job against a local moto estate, for a first look. */
#include <errno.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_analyser.h"
#include "cli/cmd_deliver.h"
#include "cli/cmd_report.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/mem.h"

extern char **environ;

static const char s_usage[] =
    "usage: iam-audit demo [--out DIR]\n"
    "\n"
    "Starts a moto_server (a local AWS emulator) on a free 127.0.0.1 port, builds a sample\n"
    "GDS-style estate in it (a base account of users, team accounts with Admin / Trusted\n"
    "user / Read only roles, a planted problem of every rule family, a leavers file), runs\n"
    "whoami, collect, analyse and report against it through AWS_ENDPOINT_URL, then\n"
    "deliver to a second local moto standing in for SES and Security Hub (the e-mails and\n"
    "findings it received are saved under DIR/delivered), prints where the results are,\n"
    "and stops the servers. Nothing leaves the machine; your own AWS settings are ignored.\n"
    "\n"
    "  --out DIR   where the estate, database and reports go (default ./iam-audit-demo;\n"
    "              emptied first)\n"
    "\n"
    "Needs python3 with moto and boto3 (scripts/install-deps installs them). The estate\n"
    "tooling is found in IA_ESTATE_DIR, else in share/iam-audit/demo beside the binary.\n"
    "Exit: 0 the demo ran (its findings are expected), 3 a step failed, 64 usage.\n";

static int
run_child(char *const argv[])
{
    pid_t pid;
    int status;
    int e = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    if (e != 0) {
        fprintf(stderr, "iam-audit demo: cannot run %s: %s\n", argv[0], strerror(e));
        return -1;
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
has_estate(const char *dir)
{
    struct ia_buf p = IA_BUF_INIT;
    ia_buf_addf(&p, "%s/build_estate.py", dir);
    int ok = access(p.buf, R_OK) == 0;
    ia_buf_release(&p);
    return ok;
}

/*
 * The demo's estate tooling, a part of the product (demo/ in the source): IA_ESTATE_DIR;
 * else relative to the running binary, PREFIX/bin/iam-audit -> PREFIX/share/iam-audit/demo
 * whatever --prefix the install used (the build tree has the same layout: build/cli/iam-audit
 * -> build/share/iam-audit/demo); else the configured data folder.
 */
static const char *
estate_dir(void)
{
    static char s_exe_dir[4096];
    const char *env = getenv("IA_ESTATE_DIR");
    if (env && *env)
        return env;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            slash = strrchr(exe, '/'); /* PREFIX/bin -> PREFIX */
            if (slash) {
                *slash = '\0';
                int w = snprintf(s_exe_dir, sizeof(s_exe_dir), "%s/share/iam-audit/demo", exe);
                if (w > 0 && (size_t)w < sizeof(s_exe_dir) && has_estate(s_exe_dir))
                    return s_exe_dir;
            }
        }
    }
    return has_estate(IA_DATA_DEMO_DIR) ? IA_DATA_DEMO_DIR : NULL;
}

/* Use only the estate's audit user and the local endpoint: nothing of the user's AWS set-up. */
static int
load_env(const char *path, const char *endpoint)
{
    char line[1024];
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    for (char **e = environ; *e;) {
        if (strncmp(*e, "AWS_", 4) == 0) {
            char name[256];
            size_t n = strcspn(*e, "=");
            snprintf(name, sizeof(name), "%.*s", (int)n, *e);
            unsetenv(name);
            e = environ;
            continue;
        }
        e++;
    }
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        setenv(line, eq + 1, 1);
    }
    fclose(f);
    setenv("AWS_ENDPOINT_URL", endpoint, 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    return 0;
}

/* Read the first line of path into out (cap bytes), without its line end. */
static int
read_line(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    int ok = f && fgets(out, (int)cap, f) != NULL;
    if (f)
        fclose(f);
    if (ok)
        out[strcspn(out, "\r\n")] = '\0';
    return ok ? 0 : -1;
}

/*
 * Delivery in the demo: a second, plain moto_server stands in for SES and Security Hub
 * (docs/moto.md: the estate's server cannot show what SES received). conf gets a
 * [delivery] section and a [team] per team in delivery.conf; what the hub received is
 * saved under out/delivered. Returns an exit code.
 */
static int
demo_deliver(const char *py, const char *dir, const char *out, const char *conf)
{
    struct ia_buf ctl = IA_BUF_INIT, hubpy = IA_BUF_INIT, portf = IA_BUF_INIT, pidf = IA_BUF_INIT,
                  dconf = IA_BUF_INIT, hub = IA_BUF_INIT, delivered = IA_BUF_INIT,
                  text = IA_BUF_INIT;
    struct ia_config cfg;
    struct ia_err err;
    int rc = IA_EXIT_FAILED, started = 0, loaded = 0;
    char port[16];

    ia_buf_addf(&ctl, "%s/moto_ctl.py", dir);
    ia_buf_addf(&hubpy, "%s/delivery_hub.py", dir);
    ia_buf_addf(&portf, "%s/hub.port", out);
    ia_buf_addf(&pidf, "%s/hub.pid", out);
    ia_buf_addf(&dconf, "%s/estate/delivery.conf", out);
    ia_buf_addf(&delivered, "%s/delivered", out);
    char *start[] = { (char *)py, ctl.buf,      "start",  "--port-file",
                      portf.buf,  "--pid-file", pidf.buf, NULL };
    if (run_child(start) != 0 || read_line(portf.buf, port, sizeof(port)) != 0) {
        fprintf(stderr, "iam-audit demo: the SES / Security Hub stand-in did not start\n");
        goto out;
    }
    started = 1;
    ia_buf_addf(&hub, "http://127.0.0.1:%s", port);
    char *setup[] = { (char *)py,   hubpy.buf,  "setup",
                      "--endpoint", hub.buf,    "--region",
                      "eu-west-2",  "--sender", "iam-audit@example.gov.uk",
                      NULL };
    if (run_child(setup) != 0) {
        fprintf(stderr, "iam-audit demo: cannot verify the sender in the SES stand-in\n");
        goto out;
    }
    /* The estate's configuration plus delivery: every team lead, the security team, and
       Security Hub (workflow off: moto has no BatchUpdateFindings). */
    if (ia_config_load(conf, &cfg, &err) != IA_OK) {
        loaded = 1;
        fprintf(stderr, "iam-audit demo: %s\n", err.msg);
        goto out;
    }
    loaded = 1;
    FILE *in = fopen(conf, "r");
    char buf[4096];
    size_t n;
    while (in && (n = fread(buf, 1, sizeof(buf), in)) > 0)
        ia_buf_add(&text, buf, n);
    if (in)
        fclose(in);
    ia_buf_addstr(&text, "\n[delivery]\nfrom = iam-audit@example.gov.uk\nemail = ses\n"
                         "ses_region = eu-west-2\nsecurity_email = security-team@example.gov.uk\n"
                         "securityhub = on\nsecurityhub_workflow = off\n");
    for (size_t i = 0; i < cfg.n_accounts; i++) {
        const char *t = cfg.accounts[i].team;
        int seen = 0;
        for (size_t j = 0; t && j < i && !seen; j++)
            seen = cfg.accounts[j].team && !strcmp(cfg.accounts[j].team, t);
        if (t && !seen && (!cfg.base_account || strcmp(cfg.accounts[i].id, cfg.base_account)))
            ia_buf_addf(&text, "\n[team %s]\nemail = %s-lead@example.gov.uk\n", t, t);
    }
    FILE *o = fopen(dconf.buf, "w");
    if (!o || fwrite(text.buf, 1, text.len, o) != text.len) {
        if (o)
            fclose(o);
        fprintf(stderr, "iam-audit demo: cannot write %s\n", dconf.buf);
        goto out;
    }
    fclose(o);
    setenv("AWS_ENDPOINT_URL_SES", hub.buf, 1);
    setenv("AWS_ENDPOINT_URL_SECURITYHUB", hub.buf, 1);
    fprintf(stderr, "\n== iam-audit deliver --config %s (SES and Security Hub: moto at %s)\n",
            dconf.buf, hub.buf);
    char *d[] = { "deliver", "--config", dconf.buf, NULL };
    if ((rc = cmd_deliver(3, d)) != IA_EXIT_OK)
        goto out;
    fprintf(stderr, "\nWhat the stand-in received:\n");
    fflush(stderr);
    char *dump[] = { (char *)py, hubpy.buf,   "dump",  "--endpoint",  hub.buf,
                     "--region", "eu-west-2", "--out", delivered.buf, NULL };
    rc = run_child(dump) == 0 ? IA_EXIT_OK : IA_EXIT_FAILED;
out:
    if (started) {
        char *stop[] = { (char *)py, ctl.buf, "stop", "--pid-file", pidf.buf, NULL };
        run_child(stop);
    }
    if (loaded)
        ia_config_release(&cfg);
    struct ia_buf *all[] = { &ctl, &hubpy, &portf, &pidf, &dconf, &hub, &delivered, &text };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        ia_buf_release(all[i]);
    return rc;
}

int
cmd_demo(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "out", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *out = "iam-audit-demo";
    int opt, rc = IA_EXIT_FAILED, started = 0;
    struct ia_buf portf = IA_BUF_INIT, pidf = IA_BUF_INIT, est = IA_BUF_INIT, ctl = IA_BUF_INIT,
                  build = IA_BUF_INIT, envf = IA_BUF_INIT, conf = IA_BUF_INIT,
                  endpoint = IA_BUF_INIT, reports = IA_BUF_INIT, f1 = IA_BUF_INIT, f2 = IA_BUF_INIT,
                  f3 = IA_BUF_INIT, db = IA_BUF_INIT;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': out = optarg; break;
        case 'h': fputs(s_usage, stdout); return IA_EXIT_OK;
        default: return ia_cli_usage_error("demo", "unknown option");
        }
    }
    if (optind < argc)
        return ia_cli_usage_error("demo", "unexpected argument '%s'", argv[optind]);
    const char *dir = estate_dir();
    if (!dir) {
        fprintf(stderr,
                "iam-audit demo: cannot find the demo's estate tooling (build_estate.py) "
                "in PREFIX/share/iam-audit/demo beside this binary or in %s; reinstall "
                "(cmake --install) or set IA_ESTATE_DIR to the folder holding "
                "build_estate.py\n",
                IA_DATA_DEMO_DIR);
        return IA_EXIT_FAILED;
    }
    const char *py = getenv("PYTHON");
    if (!py || !*py)
        py = "python3";
    if (mkdir(out, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "iam-audit demo: cannot create %s: %s\n", out, strerror(errno));
        return IA_EXIT_FAILED;
    }
    ia_buf_addf(&portf, "%s/moto.port", out);
    ia_buf_addf(&pidf, "%s/moto.pid", out);
    ia_buf_addf(&est, "%s/estate", out);
    ia_buf_addf(&ctl, "%s/moto_ctl.py", dir);
    ia_buf_addf(&build, "%s/build_estate.py", dir);
    ia_buf_addf(&envf, "%s/estate/env", out);
    ia_buf_addf(&conf, "%s/estate/iam-audit.conf", out);
    ia_buf_addf(&reports, "%s/reports", out);
    ia_buf_addf(&db, "%s/estate/iam-audit.db", out);
    ia_buf_addf(&f1, "%s/estate/leavers.csv", out);
    ia_buf_addf(&f2, "%s/estate/roster.csv", out);
    ia_buf_addf(&f3, "%s/estate/exceptions.ini", out);

    char *start[] = { (char *)py,   ctl.buf,  "start",  "--port-file", portf.buf,
                      "--pid-file", pidf.buf, "--auth", NULL };
    if (run_child(start) != 0) {
        fprintf(stderr, "iam-audit demo: moto_server did not start (is moto installed? run "
                        "scripts/install-deps)\n");
        goto out;
    }
    started = 1;
    FILE *pf = fopen(portf.buf, "r");
    char port[16] = "";
    if (!pf || !fgets(port, sizeof(port), pf)) {
        if (pf)
            fclose(pf);
        fprintf(stderr, "iam-audit demo: no port in %s\n", portf.buf);
        goto out;
    }
    fclose(pf);
    port[strcspn(port, "\r\n")] = '\0';
    ia_buf_addf(&endpoint, "http://127.0.0.1:%s", port);
    fprintf(stderr, "iam-audit demo: building a sample estate in moto at %s (tooling: %s)\n",
            endpoint.buf, dir);
    char *mk[] = { (char *)py, build.buf,   "--endpoint", endpoint.buf, "--spec",
                   "demo",     "--out-dir", est.buf,      NULL };
    if (run_child(mk) != 0) {
        fprintf(stderr, "iam-audit demo: building the estate failed\n");
        goto out;
    }
    if (load_env(envf.buf, endpoint.buf) != 0) {
        fprintf(stderr, "iam-audit demo: cannot read %s\n", envf.buf);
        goto out;
    }

    fprintf(stderr, "\n== iam-audit whoami\n");
    char *w[] = { "whoami", NULL };
    if ((rc = cmd_whoami(1, w)) != IA_EXIT_OK)
        goto out;
    fprintf(stderr, "\n== iam-audit collect --config %s\n", conf.buf);
    char *c[] = { "collect", "--config", conf.buf, NULL };
    rc = cmd_collect(3, c);
    if (rc != IA_EXIT_OK && rc != IA_EXIT_PARTIAL)
        goto out;
    fprintf(stderr, "\n== iam-audit analyse --leavers ... --roster ... --exceptions ...\n");
    char *a[] = { "analyse",  "--config", conf.buf,       "--leavers", f1.buf,
                  "--roster", f2.buf,     "--exceptions", f3.buf,      NULL };
    rc = cmd_analyse(9, a);
    if (rc != IA_EXIT_OK && rc != IA_EXIT_FINDINGS)
        goto out;
    fprintf(stderr, "\n== iam-audit report --per-team\n");
    char *r[] = { "report", "--db", db.buf, "--out", reports.buf, "--per-team", NULL };
    if ((rc = cmd_report(6, r)) != IA_EXIT_OK)
        goto out;
    if ((rc = demo_deliver(py, dir, out, conf.buf)) != IA_EXIT_OK)
        goto out;
    fprintf(stderr,
            "\niam-audit demo: done.\n"
            "  reports:   %s (open the .xlsx workbook; findings.csv for scripts)\n"
            "  database:  %s (try: sqlite3 %s 'SELECT rule_id, severity, resource_arn FROM "
            "latest_findings')\n"
            "  delivered: %s/delivered (each e-mail as .eml, Security Hub's findings as "
            "JSON; sqlite3 %s 'SELECT channel, target, status FROM deliveries')\n"
            "  rules:     iam-audit rules; rules.md in the documentation\n",
            reports.buf, db.buf, db.buf, out, db.buf);
    rc = IA_EXIT_OK;
out:
    if (started) {
        char *stop[] = { (char *)py, ctl.buf, "stop", "--pid-file", pidf.buf, NULL };
        if (run_child(stop) != 0)
            fprintf(stderr, "iam-audit demo: could not stop moto_server (pid file %s)\n", pidf.buf);
    }
    struct ia_buf *all[] = { &portf,    &pidf,    &est, &ctl, &build, &envf, &conf,
                             &endpoint, &reports, &f1,  &f2,  &f3,    &db };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        ia_buf_release(all[i]);
    return rc;
}
