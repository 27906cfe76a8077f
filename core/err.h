/* Error reporting shared by every module: an enum code plus a fixed-size record. */
#ifndef IA_CORE_ERR_H
#define IA_CORE_ERR_H

#include <stdarg.h>
#include <stddef.h>

/* Result of every fallible function. */
enum ia_code {
    IA_OK = 0,
    IA_ERR_INVALID,   /* bad argument or malformed input we were given */
    IA_ERR_CONFIG,    /* configuration file or option is wrong */
    IA_ERR_IO,        /* local file or process failure */
    IA_ERR_NET,       /* transport failure: DNS, connect, TLS, reset, time-out */
    IA_ERR_TIMEOUT,   /* transport time-out (a kind of NET failure, kept apart for retries) */
    IA_ERR_HTTP,      /* HTTP status without an AWS error body */
    IA_ERR_AWS,       /* AWS returned an error; aws_code holds its code */
    IA_ERR_PARSE,     /* a response or document could not be parsed */
    IA_ERR_TOO_LARGE, /* input over a size bound */
    IA_ERR_CREDS,     /* no credentials, or a credential source failed */
    IA_ERR_NOT_FOUND, /* the thing asked for does not exist */
    IA_ERR_DB,        /* SQLite failure */
    IA_ERR_BUSY,      /* resource locked by someone else */
};

/*
 * On every function that returns enum ia_code: an error dropped on the floor is a finding
 * lost or a run wrongly called complete, so the compiler refuses to let a caller ignore one.
 * (ia_err_set, which returns its code for "return ia_err_set(...)", is exempt.)
 */
#define IA_MUST_USE __attribute__((warn_unused_result))

#define IA_ERR_MSG_MAX 768

/*
 * Details of a failure. Written only by the failing call; untouched on success.
 * Never holds a secret: callers must not format keys or tokens into msg.
 */
struct ia_err {
    enum ia_code code;
    long http_status;    /* 0 when no HTTP response was received */
    char aws_code[96];   /* AWS error code, e.g. "AccessDenied"; "" if none */
    char request_id[96]; /* x-amzn-RequestId or <RequestId>; "" if none */
    char msg[IA_ERR_MSG_MAX];
};

/* Reset err to "no error". NULL-safe. */
void ia_err_clear(struct ia_err *err);

/*
 * Record a failure: sets code and formats msg; leaves http_status, aws_code and
 * request_id as they were (set them directly when known). Returns code, so a
 * caller can write `return ia_err_set(err, IA_ERR_IO, "...")`. err may be NULL.
 */
enum ia_code ia_err_set(struct ia_err *err, enum ia_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
enum ia_code ia_err_vset(struct ia_err *err, enum ia_code code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Prepend context ("collect account 1234: ") to msg; code and other fields kept. */
void ia_err_prefix(struct ia_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Short stable name of a code ("aws", "net", ...), for logs and the database. */
const char *ia_code_name(enum ia_code code);

#endif
