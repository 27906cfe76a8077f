#include "core/buf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

char ia_buf_empty[1];

void
ia_buf_init(struct ia_buf *b)
{
    b->buf = ia_buf_empty;
    b->len = 0;
    b->alloc = 0;
}

void
ia_buf_release(struct ia_buf *b)
{
    if (!b)
        return;
    if (b->alloc)
        free(b->buf);
    ia_buf_init(b);
}

void
ia_buf_reset(struct ia_buf *b)
{
    ia_buf_setlen(b, 0);
}

char *
ia_buf_detach(struct ia_buf *b, size_t *len_out)
{
    char *s;
    if (len_out)
        *len_out = b->len;
    s = b->alloc ? b->buf : ia_xstrdup("");
    /* A detached string is usually kept (titles, ids by the ten thousand): give back what
     * doubling left over when that is worth a call. */
    if (b->alloc && b->alloc - b->len > 32 && b->alloc - b->len > b->len / 4)
        s = ia_xrealloc(s, b->len + 1);
    ia_buf_init(b);
    return s;
}

void
ia_buf_grow(struct ia_buf *b, size_t n)
{
    size_t need;
    int fresh = !b->alloc;

    if (n > ((size_t)-1) - b->len - 1)
        IA_BUG("ia_buf_grow overflow");
    need = b->len + n + 1;
    if (need <= b->alloc)
        return;
    if (fresh)
        b->buf = NULL;
    b->buf = ia_xgrow(b->buf, need, &b->alloc, 1);
    if (fresh)
        b->buf[0] = '\0';
}

void
ia_buf_setlen(struct ia_buf *b, size_t len)
{
    IA_ASSERT(len <= (b->alloc ? b->alloc - 1 : 0));
    b->len = len;
    if (b->alloc)
        b->buf[len] = '\0';
}

void
ia_buf_add(struct ia_buf *b, const void *data, size_t n)
{
    if (!n)
        return;
    ia_buf_grow(b, n);
    memcpy(b->buf + b->len, data, n);
    ia_buf_setlen(b, b->len + n);
}

void
ia_buf_addstr(struct ia_buf *b, const char *s)
{
    ia_buf_add(b, s, strlen(s));
}

void
ia_buf_addch(struct ia_buf *b, char c)
{
    ia_buf_grow(b, 1);
    b->buf[b->len] = c;
    ia_buf_setlen(b, b->len + 1);
}

void
ia_buf_vaddf(struct ia_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n;

    ia_buf_grow(b, 64);
    va_copy(cp, ap);
    n = vsnprintf(b->buf + b->len, b->alloc - b->len, fmt, cp);
    va_end(cp);
    if (n < 0)
        IA_BUG("vsnprintf failed for format %s", fmt);
    if ((size_t)n >= b->alloc - b->len) {
        ia_buf_grow(b, (size_t)n);
        n = vsnprintf(b->buf + b->len, b->alloc - b->len, fmt, ap);
        IA_ASSERT(n >= 0 && (size_t)n < b->alloc - b->len);
    }
    ia_buf_setlen(b, b->len + (size_t)n);
}

void
ia_buf_addf(struct ia_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ia_buf_vaddf(b, fmt, ap);
    va_end(ap);
}

void
ia_buf_addhex(struct ia_buf *b, const unsigned char *data, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;
    ia_buf_grow(b, n * 2);
    for (i = 0; i < n; i++) {
        b->buf[b->len + 2 * i] = hex[data[i] >> 4];
        b->buf[b->len + 2 * i + 1] = hex[data[i] & 0xf];
    }
    ia_buf_setlen(b, b->len + n * 2);
}

void
ia_buf_add_urlencoded(struct ia_buf *b, const char *s, size_t n, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) && c < 0x80)
            ia_buf_addch(b, (char)c);
        else if (c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'))
            ia_buf_addch(b, (char)c);
        else {
            char e[3] = { '%', hex[c >> 4], hex[c & 0xf] };
            ia_buf_add(b, e, 3);
        }
    }
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
ia_buf_add_urldecoded(struct ia_buf *b, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi, lo;
            if (i + 2 >= n)
                return -1;
            hi = hexval(s[i + 1]);
            lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            ia_buf_addch(b, (char)(hi * 16 + lo));
            i += 2;
        } else {
            ia_buf_addch(b, s[i]);
        }
    }
    return 0;
}

void
ia_buf_trim(struct ia_buf *b)
{
    size_t start = 0, end = b->len;
    while (start < end && isspace((unsigned char)b->buf[start]))
        start++;
    while (end > start && isspace((unsigned char)b->buf[end - 1]))
        end--;
    if (!b->alloc)
        return;
    memmove(b->buf, b->buf + start, end - start);
    ia_buf_setlen(b, end - start);
}
