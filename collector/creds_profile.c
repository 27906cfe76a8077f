/*
 * The shared config and credentials files, read with libinih, and the static keys of
 * a profile. botocore's rules: config sections are [default] and [profile NAME]
 * (others such as [sso-session x] are not profiles), credentials sections are [NAME],
 * key names are case-insensitive, and the credentials file wins where both set a key.
 */
#include "collector/creds_chain.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/crypto.h"
#include "core/mem.h"

#define MAX_FILE_BYTES ((size_t)1 << 20)
/*
 * Debian builds libinih with INI_MAX_LINE 200 and no realloc, and a session token is
 * about a thousand characters: the reader hands such a line to inih as
 * "<LONG_KEY> = <index>" and keeps the real line aside for the handler.
 */
#define LONG_KEY "\x01long"

struct entry {
    char *profile;
    char *key;   /* NULL: only records that the section exists */
    char *value; /* may be a secret */
    enum ia_creds_file file;
};

struct ia_creds_config {
    char *path[3]; /* indexed by enum ia_creds_file; [IA_CREDS_FILE_ANY] unused */
    struct entry *e;
    size_t n, alloc;
};

struct parse_state {
    struct ia_creds_config *cfg;
    enum ia_creds_file file;
    const char *data;
    size_t len, pos;
    char *profile;    /* profile of the current section, NULL when not a profile */
    int in_section;   /* a section header has been seen */
    int after_key;    /* a key line has been seen in this section */
    int continuation; /* the last line handed to inih was an indented continuation */
    char **longs;     /* long lines set aside, by index */
    size_t n_longs, alloc_longs;
};

static void
add_entry(struct ia_creds_config *c, const char *profile, const char *key, const char *value,
          enum ia_creds_file file)
{
    c->e = ia_xgrow(c->e, c->n + 1, &c->alloc, sizeof(*c->e));
    struct entry *e = &c->e[c->n++];
    e->profile = ia_xstrdup(profile);
    e->key = key ? ia_xstrdup(key) : NULL;
    e->value = value ? ia_xstrdup(value) : NULL;
    e->file = file;
    if (e->key)
        for (char *p = e->key; *p; p++)
            *p = (char)tolower((unsigned char)*p);
}

static void
wipe_free(char *s)
{
    if (s) {
        ia_crypto_cleanse(s, strlen(s));
        free(s);
    }
}

void
ia_creds_config_free(struct ia_creds_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->e[i].profile);
        free(c->e[i].key);
        wipe_free(c->e[i].value);
    }
    free(c->e);
    for (size_t i = 0; i < IA_ARRAY_LEN(c->path); i++)
        free(c->path[i]);
    free(c);
}

static const char *
skip_blank(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

/* The profile a section header names in this file, or NULL when it is not a profile. */
static char *
section_profile(enum ia_creds_file file, const char *name, size_t n)
{
    const char *end = name + n;
    if (file == IA_CREDS_FILE_CREDENTIALS)
        return ia_xstrndup(name, n);
    if (n == 7 && memcmp(name, "default", 7) == 0)
        return ia_xstrdup("default");
    if (n > 8 && memcmp(name, "profile", 7) == 0 && (name[7] == ' ' || name[7] == '\t')) {
        const char *p = skip_blank(name + 8, end);
        while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end > p)
            return ia_xstrndup(p, (size_t)(end - p));
    }
    return NULL;
}

/* Track sections here rather than trusting inih's 50-byte section buffer. */
static int
note_section(struct parse_state *st, const char *line, size_t n)
{
    const char *end = line + n;
    const char *p = skip_blank(line, end);
    if (p == end || *p != '[')
        return 0;
    const char *close = memchr(p, ']', (size_t)(end - p));
    if (!close)
        return 0; /* inih reports the error */
    free(st->profile);
    st->profile = section_profile(st->file, p + 1, (size_t)(close - p - 1));
    st->in_section = 1;
    if (st->profile)
        add_entry(st->cfg, st->profile, NULL, NULL, st->file);
    return 1;
}

/* inih's ini_reader over the file held in memory: one line per call, as fgets would. */
static char *
read_line(char *str, int num, void *stream)
{
    struct parse_state *st = stream;
    if (st->pos == 0 && st->len >= 3 && memcmp(st->data, "\xEF\xBB\xBF", 3) == 0)
        st->pos = 3; /* a UTF-8 byte order mark, as Windows editors write */
    if (st->pos >= st->len || num < 32)
        return NULL;
    const char *line = st->data + st->pos;
    const char *nl = memchr(line, '\n', st->len - st->pos);
    size_t n = nl ? (size_t)(nl - line) + 1 : st->len - st->pos;
    size_t body = n;
    while (body && (line[body - 1] == '\n' || line[body - 1] == '\r'))
        body--;
    st->pos += n;
    int header = note_section(st, line, body);
    const char *first = skip_blank(line, line + body);
    int blank = first == line + body;
    int comment = !blank && (*first == ';' || *first == '#');
    /* Indented after a key: a continuation, as for inih and configparser alike. */
    st->continuation = !header && !blank && !comment && first > line && st->after_key;
    if (header)
        st->after_key = 0;
    else if (!blank && !comment && !st->continuation)
        st->after_key = 1;
    if (n < (size_t)num) {
        memcpy(str, line, n);
        str[n] = '\0';
    } else if (header || st->continuation) {
        /* A long header is already handled; a long continuation is ignored anyway. */
        memcpy(str, "\n", 2);
    } else {
        st->longs = ia_xgrow(st->longs, st->n_longs + 1, &st->alloc_longs, sizeof(*st->longs));
        st->longs[st->n_longs] = ia_xstrndup(line, body);
        snprintf(str, (size_t)num, "%s = %zu\n", LONG_KEY, st->n_longs);
        st->n_longs++;
    }
    return str;
}

static char *
trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* Split a long line set aside by read_line as inih would: at the first '=' or ':'. */
static int
split_long(char *line, const char **name, const char **value)
{
    char *d = line + strcspn(line, "=:");
    if (!*d)
        return 0;
    *d = '\0';
    char *v = d + 1;
    /* inih's inline comments: ';' after whitespace. */
    for (char *p = v; *p; p++)
        if (*p == ';' && p > v && (p[-1] == ' ' || p[-1] == '\t')) {
            *p = '\0';
            break;
        }
    *name = trim(line);
    *value = trim(v);
    return **name != '\0';
}

static int
on_value(void *user, const char *section, const char *name, const char *value)
{
    struct parse_state *st = user;
    (void)section;
    /* An indented line continues the previous value (nested s3 settings and the
     * like); configparser would append it, and no key we read is ever written so. */
    if (st->continuation)
        return 1;
    if (strcmp(name, LONG_KEY) == 0) {
        char *end;
        unsigned long idx = strtoul(value, &end, 10);
        if (*end || idx >= st->n_longs || !split_long(st->longs[idx], &name, &value))
            return 0;
    }
    if (!st->in_section)
        return 0; /* a key before any [section]: configparser refuses it too */
    if (st->profile)
        add_entry(st->cfg, st->profile, name, value, st->file);
    return 1;
}

static const char *
file_label(enum ia_creds_file which)
{
    return which == IA_CREDS_FILE_CREDENTIALS ? "shared credentials file" : "config file";
}

void
ia_creds_buf_wipe(struct ia_buf *b)
{
    if (!b)
        return;
    if (b->alloc)
        ia_crypto_cleanse(b->buf, b->alloc);
    ia_buf_release(b);
}

enum ia_code
ia_creds_read_file(const char *path, size_t max, const char *what, const char *fix,
                   struct ia_buf *out, struct ia_err *err)
{
    enum ia_code rc = IA_ERR_IO;
    char msg[128];
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    /* Sized once: growing would leave copies of what we read in freed memory. */
    ia_buf_reset(out);
    ia_buf_grow(out, max + 1);
    if (fd < 0 && (errno == ENOENT || errno == ENOTDIR)) {
        rc = ia_err_set(err, IA_ERR_NOT_FOUND, "the %s %s does not exist; %s", what, path, fix);
        goto out;
    }
    if (fd < 0 || fstat(fd, &sb) != 0) {
        strerror_r(errno, msg, sizeof(msg));
        ia_err_set(err, IA_ERR_IO, "cannot read the %s %s: %s; %s", what, path, msg, fix);
        goto out;
    }
    if (S_ISDIR(sb.st_mode)) {
        ia_err_set(err, IA_ERR_IO, "the %s %s is a directory; %s", what, path, fix);
        goto out;
    }
    for (;;) {
        ssize_t r = read(fd, out->buf + out->len, max + 1 - out->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            strerror_r(errno, msg, sizeof(msg));
            ia_err_set(err, IA_ERR_IO, "cannot read the %s %s: %s; %s", what, path, msg, fix);
            goto out;
        }
        if (r == 0)
            break;
        ia_buf_setlen(out, out->len + (size_t)r);
        if (out->len > max) {
            rc = ia_err_set(err, IA_ERR_TOO_LARGE, "the %s %s is over %zu bytes; %s", what, path,
                            max, fix);
            goto out;
        }
    }
    rc = IA_OK;
out:
    if (rc != IA_OK)
        ia_creds_buf_wipe(out);
    if (fd >= 0)
        close(fd);
    return rc;
}

static enum ia_code
parse_file(struct ia_creds_config *c, enum ia_creds_file which, struct ia_err *err)
{
    const char *path = c->path[which];
    const char *fix = which == IA_CREDS_FILE_CREDENTIALS
                          ? "fix it or point AWS_SHARED_CREDENTIALS_FILE at the right file"
                          : "fix it or point AWS_CONFIG_FILE at the right file";
    char what[64];
    struct parse_state st;
    struct ia_buf data = IA_BUF_INIT;
    enum ia_code rc;

    if (!*path)
        return IA_OK;
    snprintf(what, sizeof(what), "AWS %s", file_label(which));
    rc = ia_creds_read_file(path, MAX_FILE_BYTES, what, fix, &data, err);
    if (rc == IA_ERR_NOT_FOUND)
        rc = IA_OK; /* a missing file is an empty one */
    if (rc != IA_OK || !data.len)
        goto out;
    memset(&st, 0, sizeof(st));
    st.cfg = c;
    st.file = which;
    st.data = data.buf;
    st.len = data.len;
    int line = ini_parse_stream(read_line, &st, on_value, &st);
    if (line != 0)
        rc = ia_err_set(err, IA_ERR_CONFIG,
                        "the %s %s: line %d is neither [section] nor key = value inside a "
                        "section; fix that line",
                        what, path, line);
    free(st.profile);
    for (size_t i = 0; i < st.n_longs; i++)
        wipe_free(st.longs[i]);
    free(st.longs);
out:
    ia_creds_buf_wipe(&data);
    return rc;
}

/* $VAR, else the default under HOME, with a leading ~ expanded; "" without HOME. */
static char *
file_path(const char *var, const char *dflt)
{
    const char *v = getenv(var);
    const char *home = getenv("HOME");
    const char *p = v && *v ? v : dflt;
    char *out;

    if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
        if (!home || !*home)
            return ia_xstrdup("");
        size_t n = strlen(home) + strlen(p);
        out = ia_xmalloc(n);
        snprintf(out, n, "%s%s", home, p + 1);
        return out;
    }
    return ia_xstrdup(p);
}

enum ia_code
ia_creds_config_load(struct ia_creds_config **out, struct ia_err *err)
{
    struct ia_creds_config *c = ia_xcalloc(1, sizeof(*c));
    enum ia_code rc;

    c->path[IA_CREDS_FILE_ANY] = ia_xstrdup("");
    c->path[IA_CREDS_FILE_CONFIG] = file_path("AWS_CONFIG_FILE", "~/.aws/config");
    c->path[IA_CREDS_FILE_CREDENTIALS] =
        file_path("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials");
    rc = parse_file(c, IA_CREDS_FILE_CONFIG, err);
    if (rc == IA_OK)
        rc = parse_file(c, IA_CREDS_FILE_CREDENTIALS, err);
    if (rc != IA_OK) {
        ia_creds_config_free(c);
        return rc;
    }
    *out = c;
    return IA_OK;
}

int
ia_creds_config_has_profile(const struct ia_creds_config *c, const char *profile)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->e[i].profile, profile) == 0)
            return 1;
    return 0;
}

const char *
ia_creds_config_get(const struct ia_creds_config *c, const char *profile, const char *key,
                    enum ia_creds_file where)
{
    const char *from_config = NULL, *from_creds = NULL;
    for (size_t i = 0; i < c->n; i++) {
        const struct entry *e = &c->e[i];
        if (!e->key || strcmp(e->key, key) != 0 || strcmp(e->profile, profile) != 0)
            continue;
        if (e->file == IA_CREDS_FILE_CONFIG)
            from_config = e->value;
        else
            from_creds = e->value;
    }
    switch (where) {
    case IA_CREDS_FILE_CONFIG: return from_config;
    case IA_CREDS_FILE_CREDENTIALS: return from_creds;
    case IA_CREDS_FILE_ANY: break;
    }
    return from_creds ? from_creds : from_config;
}

const char *
ia_creds_config_path(const struct ia_creds_config *c, enum ia_creds_file which)
{
    return c->path[which];
}

static enum ia_code
copy_key(char *dst, size_t cap, const char *value, const char *key, const char *profile,
         const char *path, struct ia_err *err)
{
    size_t n = strlen(value);
    if (n >= cap)
        return ia_err_set(err, IA_ERR_CONFIG,
                          "%s of profile %s in %s is %zu characters, longer than any AWS "
                          "credential; fix it",
                          key, profile, path, n);
    memcpy(dst, value, n + 1);
    return IA_OK;
}

enum ia_code
ia_creds_profile_new(const struct ia_creds_config *c, const char *profile, enum ia_creds_file where,
                     struct ia_creds_provider **out, struct ia_err *err)
{
    const char *path = c->path[where];
    const char *id = ia_creds_config_get(c, profile, "aws_access_key_id", where);
    const char *secret = ia_creds_config_get(c, profile, "aws_secret_access_key", where);
    const char *token = ia_creds_config_get(c, profile, "aws_session_token", where);
    struct ia_creds cr;
    enum ia_code rc = IA_ERR_CONFIG;

    memset(&cr, 0, sizeof(cr));
    if (!id && !secret) {
        rc = ia_err_set(err, IA_ERR_NOT_FOUND, "profile %s has no keys in the %s %s", profile,
                        file_label(where), path);
        goto out;
    }
    if (!id || !secret || !*id || !*secret) {
        rc = ia_err_set(err, IA_ERR_CONFIG,
                        "profile %s in %s has %s but no %s; add it, or remove the other key",
                        profile, path, id && *id ? "aws_access_key_id" : "aws_secret_access_key",
                        id && *id ? "aws_secret_access_key" : "aws_access_key_id");
        goto out;
    }
    if (copy_key(cr.access_key_id, sizeof(cr.access_key_id), id, "aws_access_key_id", profile, path,
                 err) ||
        copy_key(cr.secret_access_key, sizeof(cr.secret_access_key), secret,
                 "aws_secret_access_key", profile, path, err) ||
        (token && copy_key(cr.session_token, sizeof(cr.session_token), token, "aws_session_token",
                           profile, path, err)))
        goto out;
    snprintf(cr.source, sizeof(cr.source), "profile %s (%s)", profile, file_label(where));
    *out = ia_creds_static_new(&cr);
    snprintf((*out)->name, sizeof((*out)->name), "%s",
             where == IA_CREDS_FILE_CREDENTIALS ? "shared-credentials-file" : "config-file");
    rc = IA_OK;
out:
    ia_creds_release(&cr);
    return rc;
}
