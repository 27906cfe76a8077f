/*
 * The default credential chain, in botocore's order, and the providers it is built
 * from, one file each ([AWS] aws-c-auth): creds_env.c, creds_profile.c,
 * creds_process.c, creds_assume.c, creds_web_identity.c, creds_container.c,
 * creds_imds.c, and creds_chain.c which picks one. docs/credentials.md is the user's
 * view of the same rules.
 *
 * Every provider is a struct ia_creds_provider (collector/creds.h): ia_creds_get
 * fetches, caches and refreshes; ia_creds_provider_free frees it together with
 * everything it owns (source providers, STS clients). Secrets stay in struct ia_creds
 * and are wiped after use; they are never logged, never put in an error message and
 * never written to disk.
 *
 * Constructors share one convention: IA_OK and *out (new: free with
 * ia_creds_provider_free); IA_ERR_NOT_FOUND when the source is simply not configured
 * (err->msg says what was looked for; the chain moves on); any other code when the
 * source is configured but wrong (the chain stops there, as botocore does).
 */
#ifndef IA_COLLECTOR_CREDS_CHAIN_H
#define IA_COLLECTOR_CREDS_CHAIN_H

#include <stddef.h>

#include "collector/creds.h"
#include "collector/http.h"
#include "core/buf.h"
#include "core/err.h"

/* ---- MFA codes ------------------------------------------------------------------- */

/*
 * Ask for the current code of MFA device mfa_serial; write it (NUL-terminated) into
 * code[cap]. The code is a secret: never log it.
 */
typedef enum ia_code (*ia_creds_mfa_fn)(void *ctx, const char *mfa_serial, char *code, size_t cap,
                                        struct ia_err *err);

/*
 * The default ia_creds_mfa_fn: prompts on /dev/tty with echo off and reads one line.
 * IA_ERR_CREDS when there is no terminal (a batch job: pass --mfa-token instead),
 * IA_ERR_CONFIG when the answer is not six digits. ctx is unused.
 */
IA_MUST_USE enum ia_code ia_creds_mfa_prompt_tty(void *ctx, const char *mfa_serial, char *code,
                                                 size_t cap, struct ia_err *err);

/* ---- the chain ------------------------------------------------------------------- */

/* What the caller tells the chain. Every pointer is borrowed for the call only. */
struct ia_creds_options {
    /*
     * --profile. Explicit: the environment keys are then skipped (botocore's rule; a
     * profile named only by AWS_PROFILE does not skip them). NULL: AWS_PROFILE, else
     * "default".
     */
    const char *profile;
    const char *region;         /* --region for the chain's STS calls, or NULL */
    const char *mfa_token;      /* --mfa-token: the code for the first AssumeRole, or NULL */
    ia_creds_mfa_fn mfa_prompt; /* asks for codes; NULL: ia_creds_mfa_prompt_tty */
    void *mfa_ctx;
    long process_timeout_ms; /* credential_process time-out; 0: IA_CREDS_PROCESS_TIMEOUT_MS */
    /*
     * Transport for STS, ECS and IMDS. Borrowed: must outlive the provider. It is
     * used only under the returned provider's lock, so give the chain a transport of
     * its own when worker threads share the provider.
     */
    struct ia_http_ops http;
};

/* What the chain learnt besides the credentials, for building the caller's clients. */
struct ia_profile_info {
    char profile[128];      /* the profile consulted ("default" when none was named) */
    int profile_explicit;   /* 1 when it came from --profile */
    char region[32];        /* the profile's region, "" when unset */
    char endpoint_url[512]; /* the profile's endpoint_url, "" when unset */
    char source[1024];      /* where the credentials come from, for whoami and logs */
    char config_file[512];  /* the config file searched ("" without HOME) */
    char credentials_file[512];
};

/*
 * Find credentials in botocore's order: environment (skipped when opts->profile is
 * set), the profile's role_arn (source_profile or credential_source), web identity,
 * the profile in the shared credentials file, its credential_process, its keys in the
 * config file, ECS container credentials, EC2 IMDSv2 (probed here, with a 1 s
 * time-out). No network call is made for the others: their first ia_creds_get does it.
 *
 * On success *out is the provider (new: ia_creds_provider_free, which frees every
 * intermediate provider and client) and *info describes it. IA_ERR_CREDS when nothing
 * was found (the message lists what was tried and the fix); IA_ERR_CONFIG for a
 * profile that does not exist or is wrong; other codes from a source that failed.
 */
IA_MUST_USE enum ia_code ia_creds_chain_resolve(const struct ia_creds_options *opts,
                                                struct ia_creds_provider **out,
                                                struct ia_profile_info *info, struct ia_err *err);

/* ---- environment (creds_env.c) ----------------------------------------------------- */

/*
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (or the older
 * AWS_SECURITY_TOKEN) and AWS_CREDENTIAL_EXPIRATION (ISO 8601), read again at every
 * refresh. NOT_FOUND when AWS_ACCESS_KEY_ID is unset; IA_ERR_CONFIG when the secret is
 * missing or a value is unusable.
 */
IA_MUST_USE enum ia_code ia_creds_env_new(struct ia_creds_provider **out, struct ia_err *err);

/* ---- shared config and credentials files (creds_profile.c) ------------------------- */

enum ia_creds_file {
    IA_CREDS_FILE_ANY = 0,     /* merged view: the credentials file wins, as in botocore */
    IA_CREDS_FILE_CONFIG,      /* AWS_CONFIG_FILE, default ~/.aws/config */
    IA_CREDS_FILE_CREDENTIALS, /* AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials */
};

/* Both files, parsed. Holds secrets (static keys): wiped by ia_creds_config_free. */
struct ia_creds_config;

/*
 * Read both files (a missing file is an empty one). Config sections are [default] and
 * [profile NAME]; credentials sections are [NAME]. Key names are case-insensitive and
 * unknown keys are kept but ignored. On success *out is new (ia_creds_config_free);
 * IA_ERR_CONFIG for a syntax error (file and line named), IA_ERR_IO for an unreadable
 * file, IA_ERR_TOO_LARGE for a file over 1 MiB.
 */
IA_MUST_USE enum ia_code ia_creds_config_load(struct ia_creds_config **out, struct ia_err *err);
void ia_creds_config_free(struct ia_creds_config *c);

/* Whether either file has a section for profile. */
int ia_creds_config_has_profile(const struct ia_creds_config *c, const char *profile);

/* Value of key (lower case) in profile, or NULL. Borrowed: valid until _free. */
const char *ia_creds_config_get(const struct ia_creds_config *c, const char *profile,
                                const char *key, enum ia_creds_file where);

/* The path of that file as searched (borrowed); "" when HOME is unset. */
const char *ia_creds_config_path(const struct ia_creds_config *c, enum ia_creds_file which);

/*
 * Static keys (aws_access_key_id, aws_secret_access_key, aws_session_token) of
 * profile in one file (IA_CREDS_FILE_CONFIG or _CREDENTIALS). NOT_FOUND when that
 * file has no key id for it; IA_ERR_CONFIG when one of the pair is missing.
 */
IA_MUST_USE enum ia_code ia_creds_profile_new(const struct ia_creds_config *c, const char *profile,
                                              enum ia_creds_file where,
                                              struct ia_creds_provider **out, struct ia_err *err);

/*
 * Read the small file at path whole into out (reset first; sized once to max + 1 so no
 * copy of a secret is left behind by growing). On error out is wiped and messages read
 * "the <what> <path> ...; <fix>": IA_ERR_NOT_FOUND when it does not exist, IA_ERR_IO,
 * IA_ERR_TOO_LARGE over max bytes. Shared by the providers that read token files.
 */
IA_MUST_USE enum ia_code ia_creds_read_file(const char *path, size_t max, const char *what,
                                            const char *fix, struct ia_buf *out,
                                            struct ia_err *err);

/*
 * Overwrite every allocated byte of b (not only the first len: trimming and shrinking
 * leave secrets beyond it), then release it. NULL-safe.
 */
void ia_creds_buf_wipe(struct ia_buf *b);

/* ---- credential_process (creds_process.c) ------------------------------------------ */

#define IA_CREDS_PROCESS_MAX_OUTPUT ((size_t)64 << 10) /* bytes of stdout accepted */
#define IA_CREDS_PROCESS_TIMEOUT_MS 120000L            /* long enough for an MFA prompt */

/*
 * Split a command line the way botocore does (Python's shlex.split, POSIX mode):
 * words separated by blanks; '...' taken literally; "..." where a backslash escapes
 * only " and \; elsewhere a backslash escapes the next character; no comments, no
 * expansion of any kind. On success *argv_out is a new NULL-terminated vector
 * (ia_creds_process_argv_free); IA_ERR_CONFIG for an unclosed quote, a trailing
 * backslash or an empty command.
 */
IA_MUST_USE enum ia_code ia_creds_process_split(const char *cmdline, char ***argv_out,
                                                struct ia_err *err);
void ia_creds_process_argv_free(char **argv);

/*
 * A provider running `command` (split as above, run with fork/execvp: no shell) at
 * every fetch. stdout is read up to IA_CREDS_PROCESS_MAX_OUTPUT within timeout_ms
 * (0: IA_CREDS_PROCESS_TIMEOUT_MS); stdin and stderr are the caller's, so the command
 * can prompt. profile names the profile in messages. The output is never echoed
 * into a message: it holds secrets. IA_ERR_CONFIG when command cannot be split.
 */
IA_MUST_USE enum ia_code ia_creds_process_new(const char *command, const char *profile,
                                              long timeout_ms, struct ia_creds_provider **out,
                                              struct ia_err *err);

/* The JSON documents credential sources answer with. */
enum ia_creds_json_kind {
    IA_CREDS_JSON_PROCESS,   /* {"Version": 1, AccessKeyId, SecretAccessKey, SessionToken?,
                                Expiration?} */
    IA_CREDS_JSON_CONTAINER, /* {AccessKeyId, SecretAccessKey, Token, Expiration} */
    IA_CREDS_JSON_IMDS,      /* {"Code": "Success", AccessKeyId, SecretAccessKey, Token,
                                Expiration} */
};

/*
 * Parse one such document into *out (caller wipes it with ia_creds_release). `what`
 * names the source in messages ("credential_process of profile dev"). IA_ERR_PARSE for
 * malformed JSON (line and column only: the text is never quoted), IA_ERR_CREDS for a
 * wrong Version, a missing field, a failure Code or an unreadable Expiration.
 */
IA_MUST_USE enum ia_code ia_creds_parse_json(const char *data, size_t len,
                                             enum ia_creds_json_kind kind, const char *what,
                                             struct ia_creds *out, struct ia_err *err);

/* ---- sts:AssumeRole (creds_assume.c) ----------------------------------------------- */

/* Where the chain's own STS calls go. */
struct ia_creds_sts {
    struct ia_http_ops http; /* borrowed transport */
    char region[32];         /* STS region ("" : us-east-1) */
    char endpoint_url[512];  /* the profile's endpoint_url, "" if none */
};

/* A role profile's settings. Borrowed for the constructor call; copied. */
struct ia_creds_assume_config {
    const char *profile; /* the profile holding role_arn, for messages; may be NULL */
    const char *role_arn;
    const char *session_name;   /* role_session_name; NULL: "iam-audit" */
    const char *external_id;    /* or NULL */
    const char *mfa_serial;     /* or NULL */
    int duration_seconds;       /* 0: AWS's default (one hour) */
    const char *mfa_token;      /* the code for the first call (--mfa-token), or NULL */
    ia_creds_mfa_fn mfa_prompt; /* NULL: ia_creds_mfa_prompt_tty */
    void *mfa_ctx;
};

/*
 * A provider assuming cfg->role_arn with the credentials of `source` (steals it, also
 * on failure). Refreshed by ia_creds_get before expiry. With mfa_serial every fetch
 * needs a fresh code (a code is good for one call): the first uses mfa_token if given,
 * later ones ask mfa_prompt, so without a terminal a refresh fails with IA_ERR_CREDS
 * (run again with a new code, or raise duration_seconds to cover the run).
 * IA_ERR_CONFIG for an empty role_arn, a duration outside 900..43200, or an mfa_token
 * that is not six digits.
 */
IA_MUST_USE enum ia_code ia_creds_assume_new(const struct ia_creds_assume_config *cfg,
                                             struct ia_creds_provider *source,
                                             const struct ia_creds_sts *sts,
                                             struct ia_creds_provider **out, struct ia_err *err);

/* ---- sts:AssumeRoleWithWebIdentity (creds_web_identity.c) --------------------------- */

/*
 * A provider calling AssumeRoleWithWebIdentity, unsigned (the token is the proof),
 * with the token read from token_file again at every fetch (CI runners and EKS rotate
 * it). session_name NULL: "iam-audit". IA_ERR_CONFIG when role_arn or token_file is
 * empty.
 */
IA_MUST_USE enum ia_code ia_creds_web_identity_new(const char *role_arn, const char *token_file,
                                                   const char *session_name,
                                                   const struct ia_creds_sts *sts,
                                                   struct ia_creds_provider **out,
                                                   struct ia_err *err);

/* ---- ECS container credentials (creds_container.c) --------------------------------- */

/*
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (http://169.254.170.2 + it) or
 * AWS_CONTAINER_CREDENTIALS_FULL_URI (https, loopback, or 169.254.170.2 only), with
 * the Authorization header from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read at every
 * fetch) or AWS_CONTAINER_AUTHORIZATION_TOKEN. NOT_FOUND when neither URI is set;
 * IA_ERR_CONFIG for a URI that is not allowed.
 */
IA_MUST_USE enum ia_code ia_creds_container_new(struct ia_http_ops http,
                                                struct ia_creds_provider **out, struct ia_err *err);

/* ---- EC2 instance metadata, IMDSv2 (creds_imds.c) ----------------------------------- */

#define IA_CREDS_IMDS_TIMEOUT_MS 1000L

/*
 * IMDSv2 at AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254): PUT
 * /latest/api/token, then GET /latest/meta-data/iam/security-credentials/ and /ROLE,
 * each once with a 1 s time-out. No IMDSv1 fallback. NOT_FOUND when
 * AWS_EC2_METADATA_DISABLED=true. Fetch errors are IA_ERR_CREDS.
 */
IA_MUST_USE enum ia_code ia_creds_imds_new(struct ia_http_ops http, struct ia_creds_provider **out,
                                           struct ia_err *err);

#endif
