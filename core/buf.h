/* Growable byte/string buffer after git's strbuf: buf is never NULL and always NUL-terminated. */
#ifndef IA_CORE_BUF_H
#define IA_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct ia_buf {
    char *buf;    /* never NULL; points at a static "" until the first write */
    size_t len;   /* bytes in use, not counting the terminating NUL */
    size_t alloc; /* bytes allocated; 0 while buf is the static "" */
};

extern char ia_buf_empty[];
#define IA_BUF_INIT                                                                                \
    {                                                                                              \
        ia_buf_empty, 0, 0                                                                         \
    }

void ia_buf_init(struct ia_buf *b);
/* Free the storage and re-initialise. NULL-safe. */
void ia_buf_release(struct ia_buf *b);
/* Empty the buffer, keeping its allocation. */
void ia_buf_reset(struct ia_buf *b);
/* Hand the string out (new: caller frees with free()); b is re-initialised. */
char *ia_buf_detach(struct ia_buf *b, size_t *len_out);
/* Make room for n more bytes. */
void ia_buf_grow(struct ia_buf *b, size_t n);
void ia_buf_setlen(struct ia_buf *b, size_t len);

void ia_buf_add(struct ia_buf *b, const void *data, size_t n);
void ia_buf_addstr(struct ia_buf *b, const char *s);
void ia_buf_addch(struct ia_buf *b, char c);
void ia_buf_addf(struct ia_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ia_buf_vaddf(struct ia_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Lower-case hex of n bytes. */
void ia_buf_addhex(struct ia_buf *b, const unsigned char *data, size_t n);

/*
 * RFC 3986 percent-encoding as SigV4 and AWS Query forms want it: unreserved
 * characters (A-Z a-z 0-9 - _ . ~) kept, every other byte %XX upper-case.
 * With keep_slash, '/' is kept too (for URI paths).
 */
void ia_buf_add_urlencoded(struct ia_buf *b, const char *s, size_t n, int keep_slash);

/*
 * Decode %XX escapes of s (a '+' stays '+', as IAM policy documents need).
 * Returns 0, or -1 on a malformed escape (b then holds a partial result).
 */
int ia_buf_add_urldecoded(struct ia_buf *b, const char *s, size_t n);

/* Trim ASCII whitespace at both ends, in place. */
void ia_buf_trim(struct ia_buf *b);

#endif
