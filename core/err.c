#include "core/err.h"

#include <stdio.h>
#include <string.h>

#include "core/mem.h"

void
ia_err_clear(struct ia_err *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
}

/*
 * Messages end up in logs, on terminals and in the database, and often quote what a remote
 * party sent (an AWS error Message): control characters are written as \n, \r, \t or
 * \xNN so that no message can hold a line break or a terminal escape.
 */
static void
escape_controls(char *msg, size_t cap)
{
    char out[IA_ERR_MSG_MAX];
    size_t o = 0;
    IA_ASSERT(cap <= sizeof(out));
    for (size_t i = 0; msg[i] && o + 1 < cap; i++) {
        unsigned char c = (unsigned char)msg[i];
        char esc[5];
        if (c >= 0x20 && c != 0x7f) {
            out[o++] = (char)c;
            continue;
        }
        int n = c == '\n'   ? snprintf(esc, sizeof(esc), "\\n")
                : c == '\r' ? snprintf(esc, sizeof(esc), "\\r")
                : c == '\t' ? snprintf(esc, sizeof(esc), "\\t")
                            : snprintf(esc, sizeof(esc), "\\x%02x", c);
        if (o + (size_t)n + 1 > cap)
            break;
        memcpy(out + o, esc, (size_t)n);
        o += (size_t)n;
    }
    out[o] = '\0';
    memcpy(msg, out, o + 1);
}

enum ia_code
ia_err_vset(struct ia_err *err, enum ia_code code, const char *fmt, va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    escape_controls(err->msg, sizeof(err->msg));
    return code;
}

enum ia_code
ia_err_set(struct ia_err *err, enum ia_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ia_err_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void
ia_err_prefix(struct ia_err *err, const char *fmt, ...)
{
    char pre[256], old[IA_ERR_MSG_MAX];
    va_list ap;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof(pre), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    size_t plen = strnlen(pre, sizeof(err->msg) - 1);
    memcpy(err->msg, pre, plen);
    /* Truncation is acceptable: the message is bounded by design. */
    size_t rest = sizeof(err->msg) - 1 - plen;
    size_t olen = strnlen(old, rest);
    memcpy(err->msg + plen, old, olen);
    err->msg[plen + olen] = '\0';
    escape_controls(err->msg, sizeof(err->msg));
}

const char *
ia_code_name(enum ia_code code)
{
    switch (code) {
    case IA_OK: return "ok";
    case IA_ERR_INVALID: return "invalid";
    case IA_ERR_CONFIG: return "config";
    case IA_ERR_IO: return "io";
    case IA_ERR_NET: return "net";
    case IA_ERR_TIMEOUT: return "timeout";
    case IA_ERR_HTTP: return "http";
    case IA_ERR_AWS: return "aws";
    case IA_ERR_PARSE: return "parse";
    case IA_ERR_TOO_LARGE: return "too-large";
    case IA_ERR_CREDS: return "credentials";
    case IA_ERR_NOT_FOUND: return "not-found";
    case IA_ERR_DB: return "database";
    case IA_ERR_BUSY: return "busy";
    }
    return "unknown";
}
