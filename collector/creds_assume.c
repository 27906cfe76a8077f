/*
 * A role profile: sts:AssumeRole with the credentials of a source provider (another
 * profile, or credential_source), refreshed by the provider cache before expiry. An
 * MFA code is good for one call only, so with mfa_serial every refresh asks again.
 */
#include "collector/creds_chain.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "collector/aws.h"
#include "collector/crypto.h"
#include "collector/sts_api.h"
#include "core/mem.h"

#define MFA_CODE_MAX 16

struct assume_impl {
    struct ia_creds_provider *source; /* owned */
    struct ia_aws_client client;      /* signs with source */
    char *profile;                    /* for messages; "" when none */
    char *role_arn;
    char *session_name;
    char *external_id;
    char *mfa_serial;
    int duration_seconds;
    char mfa_token[MFA_CODE_MAX]; /* --mfa-token, used once then wiped */
    ia_creds_mfa_fn mfa_prompt;
    void *mfa_ctx;
    int fetched; /* a call succeeded: the next one is a refresh */
};

static int
six_digits(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!isdigit((unsigned char)s[n]))
            return 0;
    return n == 6;
}

/* Restores the terminal if a signal ends us while echo is off. */
static volatile sig_atomic_t s_tty_fd = -1;
static struct termios s_tty_saved;

static void
restore_tty(int sig)
{
    if (s_tty_fd >= 0)
        tcsetattr(s_tty_fd, TCSAFLUSH, &s_tty_saved);
    raise(sig); /* SA_RESETHAND: the default action now */
}

enum ia_code
ia_creds_mfa_prompt_tty(void *ctx, const char *mfa_serial, char *code, size_t cap,
                        struct ia_err *err)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
    struct sigaction sa, old[IA_ARRAY_LEN(sigs)];
    struct termios quiet;
    char line[64], prompt[512];
    size_t n = 0;
    int echo_off = 0;
    enum ia_code rc = IA_ERR_CREDS;
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);

    (void)ctx;
    if (fd < 0)
        return ia_err_set(err, IA_ERR_CREDS,
                          "MFA device %s needs a code and there is no terminal to ask on; pass "
                          "--mfa-token CODE",
                          mfa_serial);
    if (tcgetattr(fd, &s_tty_saved) == 0) {
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = restore_tty;
        sa.sa_flags = (int)SA_RESETHAND; /* glibc defines it as an unsigned 0x80000000 */
        sigemptyset(&sa.sa_mask);
        s_tty_fd = fd;
        for (size_t i = 0; i < IA_ARRAY_LEN(sigs); i++)
            sigaction(sigs[i], &sa, &old[i]);
        quiet = s_tty_saved;
        quiet.c_lflag &= (tcflag_t)~ECHO;
        quiet.c_lflag |= ECHONL;
        echo_off = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
    }
    snprintf(prompt, sizeof(prompt), "MFA code for %s: ", mfa_serial);
    if (write(fd, prompt, strlen(prompt)) < 0) {
        ia_err_set(err, IA_ERR_CREDS,
                   "MFA device %s needs a code and the terminal cannot be written to; pass "
                   "--mfa-token CODE",
                   mfa_serial);
        goto out;
    }
    while (n < sizeof(line) - 1) {
        ssize_t r = read(fd, line + n, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
        line[--n] = '\0';
    if (!six_digits(line) || n >= cap) {
        rc = ia_err_set(err, IA_ERR_CONFIG,
                        "the MFA code must be the six digits device %s shows; run again",
                        mfa_serial);
        goto out;
    }
    memcpy(code, line, n + 1);
    rc = IA_OK;
out:
    if (echo_off)
        tcsetattr(fd, TCSAFLUSH, &s_tty_saved);
    if (s_tty_fd >= 0) {
        s_tty_fd = -1;
        for (size_t i = 0; i < IA_ARRAY_LEN(sigs); i++)
            sigaction(sigs[i], &old[i], NULL);
    }
    ia_crypto_cleanse(line, sizeof(line));
    close(fd);
    return rc;
}

/* What to do about a failed AssumeRole, by AWS's code. */
static const char *
assume_hint(const char *aws_code, int mfa)
{
    if (strcmp(aws_code, "AccessDenied") == 0)
        return mfa ? "the role's trust policy must allow the source identity with this MFA "
                     "device, and the code must be current; see docs/credentials.md"
                   : "the role's trust policy must allow the source identity (and the "
                     "external_id, if it asks for one); see docs/credentials.md";
    if (strcmp(aws_code, "InvalidClientTokenId") == 0 ||
        strcmp(aws_code, "SignatureDoesNotMatch") == 0 || strcmp(aws_code, "ExpiredToken") == 0)
        return "the source credentials are wrong or expired; fix the source profile";
    if (strcmp(aws_code, "ValidationError") == 0)
        return "check role_arn, role_session_name and duration_seconds (at most the role's "
               "maximum session duration)";
    return NULL;
}

static enum ia_code
assume_fetch(void *impl, struct ia_creds *out, struct ia_err *err)
{
    struct assume_impl *ai = impl;
    struct ia_creds src;
    char code[MFA_CODE_MAX] = "";
    enum ia_code rc;

    memset(&src, 0, sizeof(src));
    /* The source first, so its failure is reported as such and not retried as STS's. */
    rc = ia_creds_get(ai->source, &src, err);
    ia_creds_release(&src);
    if (rc != IA_OK) {
        ia_err_prefix(err, "source credentials for %s: ", ai->role_arn);
        goto out;
    }
    if (ai->mfa_serial) {
        if (ai->mfa_token[0]) {
            memcpy(code, ai->mfa_token, sizeof(code));
            ia_crypto_cleanse(ai->mfa_token, sizeof(ai->mfa_token));
        } else {
            rc = ai->mfa_prompt(ai->mfa_ctx, ai->mfa_serial, code, sizeof(code), err);
            if (rc != IA_OK) {
                ia_err_prefix(err, "profile %s (role %s)%s: ", ai->profile, ai->role_arn,
                              ai->fetched ? ": the session expired and a code is needed again "
                                            "(a longer duration_seconds avoids this)"
                                          : "");
                goto out;
            }
        }
    }
    struct ia_assume_role_params p = { .role_arn = ai->role_arn,
                                       .session_name = ai->session_name,
                                       .external_id = ai->external_id,
                                       .serial_number = ai->mfa_serial,
                                       .token_code = ai->mfa_serial ? code : NULL,
                                       .duration_seconds = ai->duration_seconds };
    rc = ia_sts_assume_role(&ai->client, &p, out, err);
    if (rc == IA_OK)
        ai->fetched = 1;
    if (rc != IA_OK && err && err->aws_code[0]) {
        const char *hint = assume_hint(err->aws_code, ai->mfa_serial != NULL);
        if (hint) {
            char msg[IA_ERR_MSG_MAX];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            ia_err_set(err, rc, "%s; %s", msg, hint);
        }
    }
out:
    ia_crypto_cleanse(code, sizeof(code));
    return rc;
}

static void
assume_destroy(void *impl)
{
    struct assume_impl *ai = impl;
    ia_aws_client_release(&ai->client);
    ia_creds_provider_free(ai->source);
    free(ai->profile);
    free(ai->role_arn);
    free(ai->session_name);
    free(ai->external_id);
    free(ai->mfa_serial);
    ia_crypto_cleanse(ai->mfa_token, sizeof(ai->mfa_token));
    free(ai);
}

static char *
dup_or_null(const char *s)
{
    return s && *s ? ia_xstrdup(s) : NULL;
}

enum ia_code
ia_creds_assume_new(const struct ia_creds_assume_config *cfg, struct ia_creds_provider *source,
                    const struct ia_creds_sts *sts, struct ia_creds_provider **out,
                    struct ia_err *err)
{
    const char *prof = cfg->profile ? cfg->profile : "";
    struct assume_impl *ai = NULL;
    enum ia_code rc = IA_ERR_CONFIG;

    if (!cfg->role_arn || !*cfg->role_arn) {
        ia_err_set(err, IA_ERR_CONFIG, "profile %s: role_arn is empty; set it to the role's ARN",
                   prof);
        goto out;
    }
    if (cfg->duration_seconds && (cfg->duration_seconds < 900 || cfg->duration_seconds > 43200)) {
        ia_err_set(err, IA_ERR_CONFIG,
                   "profile %s: duration_seconds %d is outside 900..43200; pick a value in that "
                   "range (and within the role's maximum session duration)",
                   prof, cfg->duration_seconds);
        goto out;
    }
    if (cfg->mfa_serial && cfg->mfa_token && !six_digits(cfg->mfa_token)) {
        ia_err_set(err, IA_ERR_CONFIG, "--mfa-token must be the six digits your MFA device shows");
        goto out;
    }
    ai = ia_xcalloc(1, sizeof(*ai));
    rc = ia_aws_client_init(&ai->client, sts->http, source, sts->region, sts->endpoint_url, err);
    if (rc != IA_OK) {
        ia_err_prefix(err, "profile %s: ", prof);
        free(ai);
        goto out;
    }
    /* A credential call should fail fast rather than wait through a batch job's retries. */
    ai->client.retry.max_attempts = 3;
    snprintf(ai->client.label, sizeof(ai->client.label), "sts");
    ai->source = source;
    source = NULL;
    ai->profile = ia_xstrdup(prof);
    ai->role_arn = ia_xstrdup(cfg->role_arn);
    ai->session_name = dup_or_null(cfg->session_name);
    ai->external_id = dup_or_null(cfg->external_id);
    ai->mfa_serial = dup_or_null(cfg->mfa_serial);
    ai->duration_seconds = cfg->duration_seconds;
    if (ai->mfa_serial && cfg->mfa_token)
        snprintf(ai->mfa_token, sizeof(ai->mfa_token), "%s", cfg->mfa_token);
    ai->mfa_prompt = cfg->mfa_prompt ? cfg->mfa_prompt : ia_creds_mfa_prompt_tty;
    ai->mfa_ctx = cfg->mfa_ctx;
    *out = ia_creds_provider_new("assume-role", assume_fetch, assume_destroy, ai);
    rc = IA_OK;
out:
    ia_creds_provider_free(source);
    return rc;
}
