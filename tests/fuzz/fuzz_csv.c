/*
 * libFuzzer target for the CSV reader (core/csv.c over libcsv): credential reports (from
 * AWS, base64-decoded), leavers and roster files all arrive through ia_csv_parse. The
 * input is the document, unterminated. On success every row is checked against the
 * bounds, then written back with ia_csv_write_row and read again: the fields must come
 * back identical (the writer and the reader agree on quoting). Seeds: tests/fuzz/corpus/csv/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Rows the writer cannot reproduce exactly: a lone empty field is a blank line (dropped). */
static int
round_trippable(const struct ia_csv_row *r)
{
    return !(r->n == 1 && r->fields[0][0] == '\0');
}

static void
round_trip(const struct ia_csv_table *t)
{
    char *text = NULL;
    size_t len = 0, kept = 0, j = 0;
    FILE *f = open_memstream(&text, &len);
    struct ia_csv_table again;
    struct ia_err err;

    IA_ASSERT(f != NULL);
    for (size_t i = 0; i < t->n_rows; i++) {
        if (!round_trippable(&t->rows[i]))
            continue;
        /* A BOM opening the first row written would be skipped on reading: not comparable. */
        if (kept == 0 && strncmp(t->rows[i].fields[0], "\xEF\xBB\xBF", 3) == 0)
            goto out;
        IA_ASSERT(ia_csv_write_row(f, (const char *const *)t->rows[i].fields, t->rows[i].n, 0) ==
                  0);
        kept++;
    }
    IA_ASSERT(fclose(f) == 0);
    f = NULL;
    memset(&err, 0, sizeof(err));
    memset(&again, 0, sizeof(again));
    IA_ASSERT(ia_csv_parse(text, len, &again, &err) == IA_OK);
    IA_ASSERT(again.n_rows == kept);
    for (size_t i = 0; i < t->n_rows; i++) {
        if (!round_trippable(&t->rows[i]))
            continue;
        const struct ia_csv_row *a = &t->rows[i], *b = &again.rows[j++];
        IA_ASSERT(a->n == b->n);
        for (size_t k = 0; k < a->n; k++)
            IA_ASSERT(strcmp(a->fields[k], b->fields[k]) == 0);
    }
    ia_csv_table_release(&again);
out:
    if (f)
        fclose(f);
    free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ia_csv_table t;
    struct ia_err err;
    int embedded_nul = memchr(data, '\0', size) != NULL;

    memset(&t, 0, sizeof(t));
    memset(&err, 0, sizeof(err));
    if (ia_csv_parse((const char *)data, size, &t, &err) == IA_OK) {
        int last_line = 0;
        for (size_t i = 0; i < t.n_rows; i++) {
            const struct ia_csv_row *r = &t.rows[i];
            IA_ASSERT(r->n >= 1 && r->n <= IA_CSV_MAX_FIELDS && r->fields != NULL);
            IA_ASSERT(r->line >= 1 && r->line >= last_line);
            last_line = r->line;
            for (size_t k = 0; k < r->n; k++)
                IA_ASSERT(r->fields[k] != NULL);
        }
        /* A NUL inside a field is cut there by the C strings: no exact round trip then. */
        if (!embedded_nul)
            round_trip(&t);
    } else {
        IA_ASSERT(err.code != IA_OK && err.msg[0]);
    }
    ia_csv_table_release(&t);
    return 0;
}
