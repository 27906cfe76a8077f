/*
 * credential_process: how aws-vault, gds-cli and friends hand credentials over. The
 * command is split like botocore's shlex.split and run with fork/execvp, never through
 * a shell, so nothing in it is expanded or injected. Its stdout holds secrets: it is
 * bounded, wiped, and never quoted in a message. Also the JSON reader shared with the
 * container and IMDS providers.
 */
#include "collector/creds_chain.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collector/crypto.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/mem.h"

struct process_impl {
    char **argv;
    char *profile;
    long timeout_ms;
};

void
ia_creds_process_argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **a = argv; *a; a++) {
        ia_crypto_cleanse(*a, strlen(*a)); /* arguments may carry a secret */
        free(*a);
    }
    free(argv);
}

static void
push_word(char ***argv, size_t *n, size_t *alloc, struct ia_buf *word)
{
    *argv = ia_xgrow(*argv, *n + 2, alloc, sizeof(**argv));
    (*argv)[(*n)++] = ia_buf_detach(word, NULL);
    (*argv)[*n] = NULL;
}

enum ia_code
ia_creds_process_split(const char *cmdline, char ***argv_out, struct ia_err *err)
{
    char **argv = NULL;
    size_t n = 0, alloc = 0;
    struct ia_buf word = IA_BUF_INIT;
    int in_word = 0;
    enum ia_code rc = IA_ERR_CONFIG;
    const char *p = cmdline;

    /* Python's shlex in POSIX mode with whitespace_split and no comment characters. */
    while (*p) {
        char ch = *p++;
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
            if (in_word)
                push_word(&argv, &n, &alloc, &word);
            in_word = 0;
        } else if (ch == '\\') {
            if (!*p) {
                ia_err_set(err, IA_ERR_CONFIG,
                           "credential_process ends with a lone backslash; remove it or quote "
                           "it");
                goto out;
            }
            ia_buf_addch(&word, *p++);
            in_word = 1;
        } else if (ch == '\'') {
            const char *close = strchr(p, '\'');
            if (!close) {
                ia_err_set(err, IA_ERR_CONFIG,
                           "credential_process has a ' without its closing quote; close it");
                goto out;
            }
            ia_buf_add(&word, p, (size_t)(close - p));
            p = close + 1;
            in_word = 1;
        } else if (ch == '"') {
            while (*p && *p != '"') {
                /* Inside double quotes a backslash escapes only " and \ (and stays
                 * otherwise), as shlex does. */
                if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
                    p++;
                ia_buf_addch(&word, *p++);
            }
            if (!*p) {
                ia_err_set(err, IA_ERR_CONFIG,
                           "credential_process has a \" without its closing quote; close it");
                goto out;
            }
            p++;
            in_word = 1;
        } else {
            ia_buf_addch(&word, ch);
            in_word = 1;
        }
    }
    if (in_word)
        push_word(&argv, &n, &alloc, &word);
    if (!n) {
        ia_err_set(err, IA_ERR_CONFIG, "credential_process is empty; give it a command to run");
        goto out;
    }
    *argv_out = argv;
    argv = NULL;
    rc = IA_OK;
out:
    ia_creds_buf_wipe(&word);
    ia_creds_process_argv_free(argv);
    return rc;
}

/* Wait for pid until deadline (monotonic ms); kill it at the deadline. Returns status. */
static int
reap(pid_t pid, uint64_t deadline, int *timed_out)
{
    int status = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -1;
        if (ia_time_mono_ms() >= deadline) {
            *timed_out = 1;
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            return status;
        }
        ia_time_sleep_ms(10);
    }
}

static int
set_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    return flags < 0 ? -1 : fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

/* Run the command; its stdout (bounded) into out, which the caller pre-sized. */
static enum ia_code
run(const struct process_impl *pi, const char *what, struct ia_buf *out, struct ia_err *err)
{
    int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
    long maxfd = sysconf(_SC_OPEN_MAX);
    long timeout = pi->timeout_ms > 0 ? pi->timeout_ms : IA_CREDS_PROCESS_TIMEOUT_MS;
    uint64_t deadline = ia_time_mono_ms() + (uint64_t)timeout;
    enum ia_code rc = IA_ERR_CREDS;
    int timed_out = 0, too_large = 0, exec_errno = 0, status;
    char msg[128];
    pid_t pid = -1;

    if (maxfd < 0 || maxfd > 65536)
        maxfd = 65536;
    if (pipe(outp) != 0 || pipe(errp) != 0 || set_cloexec(outp[0]) || set_cloexec(errp[0]) ||
        set_cloexec(errp[1])) {
        strerror_r(errno, msg, sizeof(msg));
        ia_err_set(err, IA_ERR_IO, "%s: cannot create a pipe: %s", what, msg);
        goto out;
    }
    pid = fork();
    if (pid < 0) {
        strerror_r(errno, msg, sizeof(msg));
        ia_err_set(err, IA_ERR_IO, "%s: cannot start a process: %s", what, msg);
        goto out;
    }
    if (pid == 0) {
        /* Child: only async-signal-safe calls until execvp. stdin and stderr stay ours. */
        if (outp[1] != STDOUT_FILENO)
            dup2(outp[1], STDOUT_FILENO);
        for (int fd = 3; fd < maxfd; fd++)
            if (fd != errp[1])
                close(fd);
        execvp(pi->argv[0], pi->argv);
        int e = errno;
        ssize_t w = write(errp[1], &e, sizeof(e));
        (void)w;
        _exit(127);
    }
    close(outp[1]);
    close(errp[1]);
    outp[1] = errp[1] = -1;
    /* EOF (exec closed it) means the command started; an int is exec's errno. */
    while (read(errp[0], &exec_errno, sizeof(exec_errno)) < 0 && errno == EINTR)
        ;
    for (;;) {
        uint64_t now = ia_time_mono_ms();
        if (exec_errno || now >= deadline) {
            timed_out = !exec_errno;
            break;
        }
        struct pollfd pfd = { outp[0], POLLIN, 0 };
        int pr = poll(&pfd, 1, (int)(deadline - now));
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            continue; /* time-out: caught at the top */
        ssize_t r = read(outp[0], out->buf + out->len, IA_CREDS_PROCESS_MAX_OUTPUT + 1 - out->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        ia_buf_setlen(out, out->len + (size_t)r);
        if (out->len > IA_CREDS_PROCESS_MAX_OUTPUT) {
            too_large = 1;
            break;
        }
    }
    /* Stop a command that overran; otherwise give it until the deadline to exit. */
    if (timed_out || too_large)
        kill(pid, SIGKILL);
    status = reap(pid, deadline, &timed_out);
    if (exec_errno) {
        strerror_r(exec_errno, msg, sizeof(msg));
        ia_err_set(err, IA_ERR_CREDS,
                   "%s: cannot run '%s': %s; fix credential_process (it is run without a "
                   "shell: give the full path, quote arguments with spaces)",
                   what, pi->argv[0], msg);
    } else if (too_large) {
        rc = ia_err_set(err, IA_ERR_TOO_LARGE,
                        "%s: '%s' printed more than %zu bytes; it must print one small JSON "
                        "document",
                        what, pi->argv[0], IA_CREDS_PROCESS_MAX_OUTPUT);
    } else if (timed_out) {
        ia_err_set(err, IA_ERR_CREDS,
                   "%s: '%s' did not finish within %.1f s and was stopped; check that it "
                   "can run without waiting for input",
                   what, pi->argv[0], (double)timeout / 1000.0);
    } else if (status == -1) {
        ia_err_set(err, IA_ERR_CREDS, "%s: lost track of '%s'", what, pi->argv[0]);
    } else if (WIFSIGNALED(status)) {
        ia_err_set(err, IA_ERR_CREDS, "%s: '%s' was killed by signal %d; its messages are above",
                   what, pi->argv[0], WTERMSIG(status));
    } else if (WEXITSTATUS(status) != 0) {
        ia_err_set(err, IA_ERR_CREDS,
                   "%s: '%s' failed with exit status %d; its own messages (stderr) are above", what,
                   pi->argv[0], WEXITSTATUS(status));
    } else {
        rc = IA_OK;
    }
out:
    for (int i = 0; i < 2; i++) {
        if (outp[i] >= 0)
            close(outp[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    return rc;
}

static enum ia_code
process_fetch(void *impl, struct ia_creds *out, struct ia_err *err)
{
    const struct process_impl *pi = impl;
    struct ia_buf buf = IA_BUF_INIT;
    char what[192];
    enum ia_code rc;

    snprintf(what, sizeof(what), "credential_process of profile %s", pi->profile);
    /* Sized once: growing would leave copies of the secrets in freed memory. */
    ia_buf_grow(&buf, IA_CREDS_PROCESS_MAX_OUTPUT + 1);
    rc = run(pi, what, &buf, err);
    if (rc == IA_OK)
        rc = ia_creds_parse_json(buf.buf, buf.len, IA_CREDS_JSON_PROCESS, what, out, err);
    if (rc == IA_OK)
        snprintf(out->source, sizeof(out->source), "profile %s (credential_process)", pi->profile);
    ia_creds_buf_wipe(&buf);
    return rc;
}

static void
process_destroy(void *impl)
{
    struct process_impl *pi = impl;
    ia_creds_process_argv_free(pi->argv);
    free(pi->profile);
    free(pi);
}

enum ia_code
ia_creds_process_new(const char *command, const char *profile, long timeout_ms,
                     struct ia_creds_provider **out, struct ia_err *err)
{
    char **argv = NULL;
    enum ia_code rc = ia_creds_process_split(command, &argv, err);
    if (rc != IA_OK) {
        ia_err_prefix(err, "profile %s: ", profile);
        return rc;
    }
    struct process_impl *pi = ia_xcalloc(1, sizeof(*pi));
    pi->argv = argv;
    pi->profile = ia_xstrdup(profile);
    pi->timeout_ms = timeout_ms;
    *out = ia_creds_provider_new("credential-process", process_fetch, process_destroy, pi);
    return IA_OK;
}
