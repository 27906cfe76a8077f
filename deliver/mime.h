/*
 * Internet mail built by hand (RFC 5322 headers, RFC 2045 MIME, RFC 2047 encoded words):
 * one multipart/mixed message with a UTF-8 text part and base64 attachments, every
 * base64 line at most 76 characters, every header line within 78. Pure: no I/O.
 */
#ifndef IA_DELIVER_MIME_H
#define IA_DELIVER_MIME_H

#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"

/* An attachment. All borrowed for the call. filename must be plain ASCII [A-Za-z0-9._-]. */
struct ia_mime_attachment {
    const char *filename;
    const char *content_type; /* e.g. the XLSX media type */
    const void *data;
    size_t len;
};

/* A message. All borrowed for the call. */
struct ia_mime_message {
    const char *from;    /* plain address (core/config.h ia_config_valid_email) */
    char *const *to;     /* NULL-terminated plain addresses, at least one */
    const char *subject; /* UTF-8; encoded per RFC 2047 when not plain ASCII */
    const char *text;    /* UTF-8 body of the text/plain part */
    const struct ia_mime_attachment *attachments;
    size_t n_attachments;
    time_t date;        /* the Date header */
    const char *unique; /* makes Message-ID and the boundary unique, e.g. "run12-paas" */
    int lf_only;        /* 1: end lines with LF (for sendmail), else CRLF (SES, SMTP) */
};

/*
 * Append the whole message to out. IA_ERR_INVALID (naming the field) for an address that
 * is not plain, no recipient, a filename outside [A-Za-z0-9._-], or text that is not UTF-8.
 */
IA_MUST_USE enum ia_code ia_mime_build(const struct ia_mime_message *m, struct ia_buf *out,
                                       struct ia_err *err);

/* Base64 (RFC 4648) of data appended to out; line_len > 0 breaks lines with eol. */
void ia_mime_base64(struct ia_buf *out, const void *data, size_t len, size_t line_len,
                    const char *eol);

/*
 * A header value as RFC 2047 encoded words when it is not printable ASCII: "=?UTF-8?B?...?="
 * words of at most 75 characters, split between UTF-8 characters, folded with eol + " ".
 * indent is the length of "Name: " already on the line. Printable ASCII is appended as is.
 */
void ia_mime_header_words(struct ia_buf *out, const char *text, size_t indent, const char *eol);

/* Whether s is valid UTF-8 (no overlongs, no surrogates). */
int ia_mime_utf8_valid(const char *s, size_t n);

/*
 * Replace every byte that does not start a valid UTF-8 character in b with '?', in place,
 * so text from the database or the configuration can always be sent.
 */
void ia_mime_utf8_sanitize(struct ia_buf *b);

#endif
