#include "deliver/mime.h"

#include <stdio.h>
#include <string.h>

/* RFC 5322 section 2.1.1: lines SHOULD be at most 78 characters. */
#define IA_MIME_LINE 78
/* RFC 2047 section 2: an encoded word is at most 75 characters. */
#define IA_MIME_WORD 75

static const char s_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
ia_mime_base64(struct ia_buf *out, const void *data, size_t len, size_t line_len, const char *eol)
{
    const unsigned char *p = data;
    size_t col = 0;
    /* line_len is rounded down to whole quanta so a line never splits one. */
    size_t quanta = line_len / 4;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        size_t n = len - i < 3 ? len - i : 3;
        if (n > 1)
            v |= (unsigned)p[i + 1] << 8;
        if (n > 2)
            v |= p[i + 2];
        char q[4] = { s_b64[(v >> 18) & 63], s_b64[(v >> 12) & 63],
                      n > 1 ? s_b64[(v >> 6) & 63] : '=', n > 2 ? s_b64[v & 63] : '=' };
        ia_buf_add(out, q, 4);
        if (quanta && ++col == quanta && i + 3 < len) {
            ia_buf_addstr(out, eol);
            col = 0;
        }
    }
}

int
ia_mime_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t k;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + k >= n)
            return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((p[i + j] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + j] & 0x3f);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

void
ia_mime_utf8_sanitize(struct ia_buf *b)
{
    size_t i = 0;
    while (i < b->len) {
        unsigned char c = (unsigned char)b->buf[i];
        size_t k = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (i + k <= b->len && ia_mime_utf8_valid(b->buf + i, k)) {
            i += k;
            continue;
        }
        b->buf[i++] = '?';
    }
}

/* Length of the UTF-8 sequence starting with byte c (1 for anything unexpected). */
static size_t
utf8_len(unsigned char c)
{
    return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

void
ia_mime_header_words(struct ia_buf *out, const char *text, size_t indent, const char *eol)
{
    size_t n = strlen(text);
    int plain = indent + n <= IA_MIME_LINE;
    for (size_t i = 0; plain && i < n; i++)
        plain = text[i] >= 0x20 && text[i] < 0x7f;
    /* "=?" in plain text would read as the start of an encoded word: encode it. */
    if (plain && !strstr(text, "=?")) {
        ia_buf_addstr(out, text);
        return;
    }
    size_t pos = 0, col = indent;
    int first = 1;
    while (pos < n) {
        if (!first || col + 12 + 4 > IA_MIME_LINE) {
            /* Each further word on its own folded line. */
            ia_buf_addstr(out, eol);
            ia_buf_addch(out, ' ');
            col = 1;
        }
        size_t budget = IA_MIME_LINE - col;
        if (budget > IA_MIME_WORD)
            budget = IA_MIME_WORD;
        /* "=?UTF-8?B?" + base64 + "?=": 12 characters around 4 per 3 bytes. */
        size_t max_bytes = (budget - 12) / 4 * 3;
        size_t take = 0;
        while (pos + take < n) {
            size_t l = utf8_len((unsigned char)text[pos + take]);
            if (pos + take + l > n)
                l = n - pos - take;
            if (take + l > max_bytes)
                break;
            take += l;
        }
        if (take == 0) /* cannot happen with 45 bytes a word; never loop forever */
            take = 1;
        ia_buf_addstr(out, "=?UTF-8?B?");
        ia_mime_base64(out, text + pos, take, 0, eol);
        ia_buf_addstr(out, "?=");
        col += 12 + (take + 2) / 3 * 4;
        pos += take;
        first = 0;
    }
}

/* Keep [A-Za-z0-9-] of s (at most cap bytes), for the boundary and the Message-ID. */
static void
add_token(struct ia_buf *out, const char *s, size_t cap)
{
    for (size_t i = 0; s && s[i] && cap; i++) {
        char c = s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-') {
            ia_buf_addch(out, c);
            cap--;
        }
    }
}

static int
valid_address(const char *s)
{
    const char *at = s ? strchr(s, '@') : NULL;
    if (!at || at == s || !at[1] || strlen(s) > 254)
        return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr("<>()[]\\,;:\"", *p))
            return 0;
    return 1;
}

static int
valid_filename(const char *s)
{
    if (!s || !*s || strlen(s) > 100)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

static void
add_date(struct ia_buf *out, time_t t)
{
    static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    struct tm tm;
    gmtime_r(&t, &tm);
    ia_buf_addf(out, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

enum ia_code
ia_mime_build(const struct ia_mime_message *m, struct ia_buf *out, struct ia_err *err)
{
    const char *eol = m->lf_only ? "\n" : "\r\n";
    struct ia_buf boundary = IA_BUF_INIT;
    size_t col;

    if (!valid_address(m->from))
        return ia_err_set(err, IA_ERR_INVALID, "sender '%s' is not a plain e-mail address",
                          m->from ? m->from : "");
    if (!m->to || !m->to[0])
        return ia_err_set(err, IA_ERR_INVALID, "no recipient");
    for (size_t i = 0; m->to[i]; i++)
        if (!valid_address(m->to[i]))
            return ia_err_set(err, IA_ERR_INVALID, "recipient '%s' is not a plain e-mail address",
                              m->to[i]);
    for (size_t i = 0; i < m->n_attachments; i++)
        if (!valid_filename(m->attachments[i].filename))
            return ia_err_set(err, IA_ERR_INVALID,
                              "attachment name '%s' must be letters, digits, '.', '_' or '-'",
                              m->attachments[i].filename ? m->attachments[i].filename : "");
    if (!ia_mime_utf8_valid(m->subject, strlen(m->subject)) ||
        !ia_mime_utf8_valid(m->text, strlen(m->text)))
        return ia_err_set(err, IA_ERR_INVALID, "the subject or text is not valid UTF-8");

    ia_buf_addstr(&boundary, "=_iam-audit_");
    add_token(&boundary, m->unique, 40);
    ia_buf_addf(&boundary, "_%lld", (long long)m->date);

    ia_buf_addf(out, "From: %s%s", m->from, eol);
    ia_buf_addstr(out, "To: ");
    col = 4;
    for (size_t i = 0; m->to[i]; i++) {
        size_t l = strlen(m->to[i]);
        if (i) {
            ia_buf_addch(out, ',');
            col++;
            if (col + 1 + l > IA_MIME_LINE) {
                ia_buf_addstr(out, eol);
                col = 0;
            }
            ia_buf_addch(out, ' ');
            col++;
        }
        ia_buf_addstr(out, m->to[i]);
        col += l;
    }
    ia_buf_addstr(out, eol);
    ia_buf_addstr(out, "Subject: ");
    ia_mime_header_words(out, m->subject, 9, eol);
    ia_buf_addstr(out, eol);
    ia_buf_addstr(out, "Date: ");
    add_date(out, m->date);
    ia_buf_addstr(out, eol);
    ia_buf_addstr(out, "Message-ID: <iam-audit.");
    add_token(out, m->unique, 40);
    ia_buf_addf(out, ".%lld@%s>%s", (long long)m->date, strchr(m->from, '@') + 1, eol);
    ia_buf_addf(out, "MIME-Version: 1.0%s", eol);
    /* RFC 3834: a machine wrote this; auto-responders should stay quiet. */
    ia_buf_addf(out, "Auto-Submitted: auto-generated%s", eol);
    ia_buf_addf(out, "Content-Type: multipart/mixed;%s boundary=\"%s\"%s", eol, boundary.buf, eol);
    ia_buf_addstr(out, eol);
    ia_buf_addf(out, "This is a MIME message: a text summary and the workbook attached.%s", eol);

    ia_buf_addf(out, "%s--%s%s", eol, boundary.buf, eol);
    ia_buf_addf(out, "Content-Type: text/plain; charset=utf-8%s", eol);
    ia_buf_addf(out, "Content-Transfer-Encoding: base64%s%s", eol, eol);
    ia_mime_base64(out, m->text, strlen(m->text), 76, eol);
    ia_buf_addstr(out, eol);
    for (size_t i = 0; i < m->n_attachments; i++) {
        const struct ia_mime_attachment *a = &m->attachments[i];
        ia_buf_addf(out, "%s--%s%s", eol, boundary.buf, eol);
        ia_buf_addf(out, "Content-Type: %s;%s name=\"%s\"%s", a->content_type, eol, a->filename,
                    eol);
        ia_buf_addf(out, "Content-Transfer-Encoding: base64%s", eol);
        ia_buf_addf(out, "Content-Disposition: attachment; filename=\"%s\"%s%s", a->filename, eol,
                    eol);
        ia_mime_base64(out, a->data, a->len, 76, eol);
        ia_buf_addstr(out, eol);
    }
    ia_buf_addf(out, "%s--%s--%s", eol, boundary.buf, eol);
    ia_buf_release(&boundary);
    return IA_OK;
}
