/* The two ways a message leaves: SES SendRawEmail (signed Query call) or a local sendmail. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "collector/xml.h"
#include "deliver/internal.h"
#include "deliver/mime.h"

extern char **environ;

/* SES v1 refuses raw messages over 10 MB (after base64 of the whole message). */
#define IA_SES_MAX_RAW (10u * 1024u * 1024u)

enum ia_code
ia_dl_ses_send(struct ia_aws_client *c, const char *from, const struct ia_buf *msg,
               char *message_id, size_t cap, struct ia_err *err)
{
    struct ia_buf data = IA_BUF_INIT;
    struct ia_xml_doc *doc = NULL;
    enum ia_code rc;

    ia_mime_base64(&data, msg->buf, msg->len, 0, "");
    if (data.len > IA_SES_MAX_RAW) {
        rc = ia_err_set(err, IA_ERR_TOO_LARGE,
                        "the message is %zu bytes encoded, over SES's 10 MB limit; turn "
                        "[reports] per_team on so teams get their own smaller workbook",
                        data.len);
        goto out;
    }
    /* No Destinations: SES takes the recipients from the To header, as sendmail -t does. */
    struct ia_aws_param params[] = { { "Source", from }, { "RawMessage.Data", data.buf } };
    rc = ia_aws_query(c, IA_SVC_SES, "SendRawEmail", params, 2, &doc, err);
    if (rc != IA_OK)
        goto out;
    const struct ia_xml_node *r = ia_xml_path(ia_xml_root(doc), "SendRawEmailResult");
    ia_xml_path_copy(r, "MessageId", message_id, cap);
    if (!message_id[0])
        rc = ia_err_set(err, IA_ERR_PARSE, "SES answered SendRawEmail without a MessageId");
out:
    ia_xml_free(doc);
    ia_buf_release(&data);
    return rc;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

enum ia_code
ia_dl_sendmail(const char *sendmail, const struct ia_buf *msg, int timeout_s, struct ia_err *err)
{
    int fds[2] = { -1, -1 }, status = 0, spawned = 0;
    pid_t pid = -1;
    posix_spawn_file_actions_t fa;
    struct sigaction ign, old;
    enum ia_code rc = IA_ERR_IO;
    char *argv[] = { (char *)sendmail, "-t", "-i", NULL };

    if (pipe(fds) != 0)
        return ia_err_set(err, IA_ERR_IO, "cannot make a pipe for sendmail: %s", strerror(errno));
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    /* sendmail's own messages go to our stderr; its stdout is not our command output. */
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    int e = posix_spawn(&pid, sendmail, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[0]);
    if (e != 0) {
        close(fds[1]);
        return ia_err_set(err, IA_ERR_IO,
                          "cannot run %s: %s; install a mail transfer agent or set [delivery] "
                          "sendmail to its sendmail program",
                          sendmail, strerror(e));
    }
    spawned = 1;
    /* A sendmail that exits early must not kill us with SIGPIPE. */
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old);
    size_t off = 0;
    int write_errno = 0;
    while (off < msg->len) {
        ssize_t n = write(fds[1], msg->buf + off, msg->len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            write_errno = errno;
            break;
        }
        off += (size_t)n;
    }
    close(fds[1]);
    sigaction(SIGPIPE, &old, NULL);

    long waited = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            rc = ia_err_set(err, IA_ERR_IO, "waiting for %s: %s", sendmail, strerror(errno));
            spawned = 0;
            goto out;
        }
        if (waited >= (long)timeout_s * 1000) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            rc = ia_err_set(err, IA_ERR_TIMEOUT, "%s did not finish within %d s; killed it",
                            sendmail, timeout_s);
            spawned = 0;
            goto out;
        }
        sleep_ms(50);
        waited += 50;
    }
    spawned = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        rc = ia_err_set(err, IA_ERR_IO, "%s -t -i %s %d; see the mail log", sendmail,
                        WIFEXITED(status) ? "exited with status" : "was killed by signal",
                        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        goto out;
    }
    if (write_errno) {
        rc = ia_err_set(err, IA_ERR_IO, "%s stopped reading the message: %s", sendmail,
                        strerror(write_errno));
        goto out;
    }
    rc = IA_OK;
out:
    if (spawned)
        waitpid(pid, &status, 0);
    return rc;
}
