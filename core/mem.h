/* Allocation that cannot fail (aborts on out-of-memory) and always-on assertions. */
#ifndef IA_CORE_MEM_H
#define IA_CORE_MEM_H

#include <stddef.h>

/* Each returns new memory (caller frees with free()); aborts the process on OOM. */
void *ia_xmalloc(size_t n);
void *ia_xcalloc(size_t count, size_t size);
void *ia_xrealloc(void *p, size_t n);
char *ia_xstrdup(const char *s);
char *ia_xstrndup(const char *s, size_t n);
/* Grow-array helper: returns an array of at least `need` elements of `size`, updating *alloc. */
void *ia_xgrow(void *p, size_t need, size_t *alloc, size_t size);

/* Abort with file:line and a message. Used by IA_ASSERT/IA_BUG; never returns. */
_Noreturn void ia_bug(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Stay on in every build: an audit job must crash rather than report wrong data. */
#define IA_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ia_bug(__FILE__, __LINE__, "assertion failed: %s", #cond);                             \
    } while (0)
#define IA_BUG(...) ia_bug(__FILE__, __LINE__, __VA_ARGS__)

#define IA_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
