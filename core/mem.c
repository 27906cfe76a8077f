#include "core/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void
oom(size_t n)
{
    fprintf(stderr, "iam-audit: out of memory allocating %zu bytes\n", n);
    abort();
}

void *
ia_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *
ia_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        oom(count * size);
    return p;
}

void *
ia_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *
ia_xstrdup(const char *s)
{
    return ia_xstrndup(s, strlen(s));
}

char *
ia_xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = ia_xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

void *
ia_xgrow(void *p, size_t need, size_t *alloc, size_t size)
{
    size_t n;
    if (need <= *alloc)
        return p;
    n = *alloc ? *alloc : 8;
    while (n < need) {
        if (n > ((size_t)-1) / 2 / size)
            oom(need * size);
        n *= 2;
    }
    p = ia_xrealloc(p, n * size);
    *alloc = n;
    return p;
}

void
ia_bug(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "iam-audit: BUG at %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}
