#include "core/err.h"

#include <stdio.h>
#include <string.h>

void
ia_err_clear(struct ia_err *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
}

enum ia_code
ia_err_vset(struct ia_err *err, enum ia_code code, const char *fmt, va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
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
