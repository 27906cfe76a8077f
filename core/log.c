#include "core/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/mem.h"

static _Atomic int s_level = IA_LOG_WARN;

void
ia_log_set_level(enum ia_log_level level)
{
    atomic_store(&s_level, (int)level);
}

enum ia_log_level
ia_log_get_level(void)
{
    return (enum ia_log_level)atomic_load(&s_level);
}

static const char *s_names[] = { "error", "warn", "info", "debug" };

int
ia_log_level_parse(const char *name, enum ia_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, s_names[i]) == 0) {
            *out = (enum ia_log_level)i;
            return 0;
        }
    }
    return -1;
}

/* The line being built; writes past the end are dropped (the line is truncated). */
struct line {
    char buf[2048];
    size_t len;
};

static void
put(struct line *l, const char *s, size_t n)
{
    size_t room = sizeof(l->buf) - 2 - l->len; /* keep room for '\n' and NUL */
    if (n > room)
        n = room;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static int
needs_escape(unsigned char c)
{
    return c == '"' || c == '\\' || c < 0x20 || c == 0x7f;
}

/*
 * A value as logfmt wants it: '"', '\' and control characters escaped, so a value can never
 * end its quotes or its line (an AWS error Message with a newline, an account name with a
 * quote). Outside quotes in the format, a value that is empty or holds a space, '=' or an
 * escaped byte is quoted too, so it stays one key=value pair.
 */
static void
put_value(struct line *l, const char *v, size_t n, int in_quotes)
{
    int quote = 0;
    if (!in_quotes) {
        quote = n == 0;
        for (size_t i = 0; i < n && !quote; i++)
            quote = v[i] == ' ' || v[i] == '=' || needs_escape((unsigned char)v[i]);
    }
    if (quote)
        put(l, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        char esc[5];
        if (!needs_escape(c)) {
            put(l, (const char *)&c, 1);
            continue;
        }
        if (c == '"' || c == '\\')
            snprintf(esc, sizeof(esc), "\\%c", c);
        else if (c == '\n')
            snprintf(esc, sizeof(esc), "\\n");
        else if (c == '\r')
            snprintf(esc, sizeof(esc), "\\r");
        else if (c == '\t')
            snprintf(esc, sizeof(esc), "\\t");
        else
            snprintf(esc, sizeof(esc), "\\x%02x", c);
        put(l, esc, strlen(esc));
    }
    if (quote)
        put(l, "\"", 1);
}

/*
 * printf for log lines, where every %s argument is escaped by put_value. The format
 * attribute on ia_log_write has already checked each argument against its conversion, so
 * the non-string conversions are handed to snprintf one at a time, with their own spec.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void
format_line(struct line *l, const char *fmt, va_list ap)
{
    int in_quotes = 0;
    const char *p = fmt;
    while (*p) {
        if (*p != '%') {
            if (*p == '"')
                in_quotes = !in_quotes;
            put(l, p++, 1);
            continue;
        }
        if (p[1] == '%') {
            put(l, "%", 1);
            p += 2;
            continue;
        }
        char spec[32], num[64];
        size_t sn = 0;
        int prec = -1;
        spec[sn++] = *p++;
        while (*p && strchr("-+ #0", *p) && sn < 8)
            spec[sn++] = *p++;
        if (*p == '*') {
            sn += (size_t)snprintf(spec + sn, sizeof(spec) - sn, "%d", va_arg(ap, int));
            p++;
        }
        while (*p >= '0' && *p <= '9' && sn < 16)
            spec[sn++] = *p++;
        if (*p == '.') {
            spec[sn++] = *p++;
            if (*p == '*') {
                prec = va_arg(ap, int);
                p++;
            } else {
                prec = 0;
                while (*p >= '0' && *p <= '9')
                    prec = prec * 10 + (*p++ - '0');
            }
            sn += (size_t)snprintf(spec + sn, sizeof(spec) - sn, "%d", prec < 0 ? 0 : prec);
        }
        char len[3] = "";
        size_t ln = 0;
        while (*p && strchr("hlzjtL", *p) && ln < 2)
            len[ln++] = *p++;
        len[ln] = '\0';
        char conv = *p ? *p++ : 's';
        if (conv == 's') {
            const char *v = va_arg(ap, const char *);
            if (!v)
                v = "(null)";
            put_value(l, v, prec >= 0 ? strnlen(v, (size_t)prec) : strlen(v), in_quotes);
            continue;
        }
        memcpy(spec + sn, len, ln);
        sn += ln;
        spec[sn++] = conv;
        spec[sn] = '\0';
        int n = 0;
        switch (conv) {
        case 'd':
        case 'i':
            if (!strcmp(len, "ll"))
                n = snprintf(num, sizeof(num), spec, va_arg(ap, long long));
            else if (!strcmp(len, "l"))
                n = snprintf(num, sizeof(num), spec, va_arg(ap, long));
            else if (!strcmp(len, "z") || !strcmp(len, "t"))
                n = snprintf(num, sizeof(num), spec, va_arg(ap, ptrdiff_t));
            else if (!strcmp(len, "j"))
                n = snprintf(num, sizeof(num), spec, va_arg(ap, intmax_t));
            else
                n = snprintf(num, sizeof(num), spec, va_arg(ap, int));
            break;
        case 'u':
        case 'o':
        case 'x':
        case 'X':
            if (!strcmp(len, "ll"))
                n = snprintf(num, sizeof(num), spec, va_arg(ap, unsigned long long));
            else if (!strcmp(len, "l"))
                n = snprintf(num, sizeof(num), spec, va_arg(ap, unsigned long));
            else if (!strcmp(len, "z") || !strcmp(len, "t"))
                n = snprintf(num, sizeof(num), spec, va_arg(ap, size_t));
            else if (!strcmp(len, "j"))
                n = snprintf(num, sizeof(num), spec, va_arg(ap, uintmax_t));
            else
                n = snprintf(num, sizeof(num), spec, va_arg(ap, unsigned));
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            put_value(l, &c, 1, in_quotes);
            continue;
        }
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G':
        case 'a':
        case 'A':
            if (!strcmp(len, "L"))
                n = snprintf(num, sizeof(num), spec, va_arg(ap, long double));
            else
                n = snprintf(num, sizeof(num), spec, va_arg(ap, double));
            break;
        case 'p': n = snprintf(num, sizeof(num), spec, va_arg(ap, void *)); break;
        default: IA_BUG("log format conversion %%%c is not supported", conv);
        }
        if (n > 0)
            put(l, num, (size_t)n < sizeof(num) ? (size_t)n : sizeof(num) - 1);
    }
}
#pragma GCC diagnostic pop

void
ia_log_write(enum ia_log_level level, const char *mod, const char *fmt, ...)
{
    struct line l;
    char ts[IA_TIME_ISO_LEN];
    va_list ap;

    ia_time_format_iso(ia_time_now(), ts);
    l.len = 0;
    put(&l, ts, strlen(ts));
    put(&l, " level=", 7);
    put(&l, s_names[level], strlen(s_names[level]));
    put(&l, " mod=", 5);
    put_value(&l, mod, strlen(mod), 0);
    put(&l, " ", 1);
    va_start(ap, fmt);
    format_line(&l, fmt, ap);
    va_end(ap);
    l.buf[l.len++] = '\n';
    /* One write(2) per line keeps lines whole when workers log at once. */
    ssize_t w = write(STDERR_FILENO, l.buf, l.len);
    (void)w;
}
