#include "core/csv.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"

struct collect {
    struct ia_csv_table *t;
    char **fields;
    size_t n, alloc;
    int line;     /* current physical line (counted from newlines seen) */
    int row_line; /* line where the current row started */
    int too_many;
};

static void
on_field(void *s, size_t len, void *data)
{
    struct collect *c = data;
    if (c->n >= IA_CSV_MAX_FIELDS) {
        c->too_many = 1;
        return;
    }
    c->fields = ia_xgrow(c->fields, c->n + 1, &c->alloc, sizeof(char *));
    c->fields[c->n++] = ia_xstrndup(s ? (const char *)s : "", len);
}

static void
on_row(int term, void *data)
{
    struct collect *c = data;
    (void)term;
    /* A blank line gives one empty field: drop it. */
    if (c->n == 1 && c->fields[0][0] == '\0') {
        free(c->fields[0]);
        c->n = 0;
        return;
    }
    struct ia_csv_table *t = c->t;
    t->rows = ia_xgrow(t->rows, t->n_rows + 1, &t->alloc_rows, sizeof(*t->rows));
    t->rows[t->n_rows].fields = ia_xmalloc((c->n ? c->n : 1) * sizeof(char *));
    memcpy(t->rows[t->n_rows].fields, c->fields, c->n * sizeof(char *));
    t->rows[t->n_rows].n = c->n;
    t->rows[t->n_rows].line = c->row_line;
    t->n_rows++;
    c->n = 0;
}

void
ia_csv_table_release(struct ia_csv_table *t)
{
    if (!t)
        return;
    for (size_t r = 0; r < t->n_rows; r++) {
        for (size_t i = 0; i < t->rows[r].n; i++)
            free(t->rows[r].fields[i]);
        free(t->rows[r].fields);
    }
    free(t->rows);
    memset(t, 0, sizeof(*t));
}

static enum ia_code parse_delim(const char *data, size_t len, unsigned char delim,
                                struct ia_csv_table *out, struct ia_err *err);

enum ia_code
ia_csv_parse(const char *data, size_t len, struct ia_csv_table *out, struct ia_err *err)
{
    return parse_delim(data, len, ',', out, err);
}

char
ia_csv_sniff_delim(const char *data, size_t len)
{
    size_t counts[3] = { 0, 0, 0 };
    static const char delims[3] = { ',', ';', '\t' };
    int quoted = 0, seen = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    /* The first line with anything on it: the header. */
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (c == '"')
            quoted = !quoted;
        if (!quoted && (c == '\n' || c == '\r')) {
            if (seen)
                break;
            continue;
        }
        if (c != ' ')
            seen = 1;
        for (int k = 0; k < 3 && !quoted; k++)
            counts[k] += c == delims[k];
    }
    int best = 0;
    for (int k = 1; k < 3; k++)
        if (counts[k] > counts[best])
            best = k;
    return delims[best];
}

static enum ia_code
parse_delim(const char *data, size_t len, unsigned char delim, struct ia_csv_table *out,
            struct ia_err *err)
{
    struct csv_parser p;
    struct collect c;
    struct ia_csv_table t;
    enum ia_code rc = IA_ERR_PARSE;

    if (len > IA_CSV_MAX_BYTES)
        return ia_err_set(err, IA_ERR_TOO_LARGE, "CSV of %zu bytes is over the %zu-byte limit", len,
                          IA_CSV_MAX_BYTES);
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    memset(&t, 0, sizeof(t));
    memset(&c, 0, sizeof(c));
    c.t = &t;
    c.line = 1;
    if (csv_init(&p, CSV_STRICT | CSV_APPEND_NULL) != 0)
        IA_BUG("csv_init failed");
    csv_set_delim(&p, delim);
    /*
     * Feed line by line so each row knows where it started: a row begins on the line
     * after the last complete row's newline.
     */
    c.row_line = 1;
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t chunk = nl ? (size_t)(nl - (data + pos)) + 1 : len - pos;
        size_t rows_before = t.n_rows;
        if (csv_parse(&p, data + pos, chunk, on_field, on_row, &c) != chunk) {
            ia_err_set(err, IA_ERR_PARSE, "line %d: %s (check the quotes in this row)", c.line,
                       csv_strerror(csv_error(&p)));
            goto out;
        }
        if (c.too_many) {
            ia_err_set(err, IA_ERR_TOO_LARGE, "line %d: more than %d fields", c.line,
                       IA_CSV_MAX_FIELDS);
            goto out;
        }
        pos += chunk;
        if (nl)
            c.line++;
        if (t.n_rows != rows_before || c.n == 0)
            c.row_line = c.line;
    }
    if (csv_fini(&p, on_field, on_row, &c) != 0) {
        ia_err_set(err, IA_ERR_PARSE, "line %d: %s (an opening quote is never closed)", c.row_line,
                   csv_strerror(csv_error(&p)));
        goto out;
    }
    *out = t;
    memset(&t, 0, sizeof(t));
    rc = IA_OK;
out:
    for (size_t i = 0; i < c.n; i++)
        free(c.fields[i]);
    free(c.fields);
    csv_free(&p);
    ia_csv_table_release(&t);
    return rc;
}

enum ia_code
ia_csv_parse_file(const char *path, struct ia_csv_table *out, struct ia_err *err)
{
    return ia_csv_parse_file_sniff(path, out, NULL, err);
}

enum ia_code
ia_csv_parse_file_sniff(const char *path, struct ia_csv_table *out, char *delim, struct ia_err *err)
{
    struct ia_buf b = IA_BUF_INIT;
    char chunk[65536];
    size_t n;
    enum ia_code rc;
    FILE *f = fopen(path, "rb");

    if (!f)
        return ia_err_set(err, IA_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + n > IA_CSV_MAX_BYTES) {
            fclose(f);
            ia_buf_release(&b);
            return ia_err_set(err, IA_ERR_TOO_LARGE, "%s is larger than %zu bytes", path,
                              IA_CSV_MAX_BYTES);
        }
        ia_buf_add(&b, chunk, n);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        ia_buf_release(&b);
        return ia_err_set(err, IA_ERR_IO, "cannot read %s", path);
    }
    char d = delim ? ia_csv_sniff_delim(b.buf, b.len) : ',';
    if (delim)
        *delim = d;
    rc = parse_delim(b.buf, b.len, (unsigned char)d, out, err);
    if (rc != IA_OK)
        ia_err_prefix(err, "%s: ", path);
    ia_buf_release(&b);
    return rc;
}

int
ia_csv_write_field(FILE *f, const char *value, int inert)
{
    const char *v = value ? value : "";
    int lead = inert && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' ||
                         v[0] == '\r');
    struct ia_buf b = IA_BUF_INIT;
    if (lead)
        ia_buf_addch(&b, '\'');
    ia_buf_addstr(&b, v);
    /* csv_fwrite always quotes; that is valid RFC 4180 and keeps every field unambiguous. */
    int rc = csv_fwrite(f, b.buf, b.len) == 0 ? 0 : -1;
    ia_buf_release(&b);
    return rc;
}

int
ia_csv_write_row(FILE *f, const char *const *fields, size_t n, int inert)
{
    for (size_t i = 0; i < n; i++) {
        if (i && fputc(',', f) == EOF)
            return -1;
        if (ia_csv_write_field(f, fields[i], inert) != 0)
            return -1;
    }
    return fputs("\r\n", f) == EOF ? -1 : 0;
}
