/*
 * CSV through libcsv (the only includer of csv.h): reading whole documents into rows of
 * fields (credential report, leavers, roster) and writing RFC 4180 fields for reports.
 */
#ifndef IA_CORE_CSV_H
#define IA_CORE_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "core/err.h"

struct ia_csv_row {
    char **fields; /* each NUL-terminated, owned by the table */
    size_t n;
    int line; /* 1-based line where the row starts */
};

struct ia_csv_table {
    struct ia_csv_row *rows;
    size_t n_rows, alloc_rows;
};

#define IA_CSV_MAX_BYTES ((size_t)256 << 20)
#define IA_CSV_MAX_FIELDS 1024

/*
 * Parse data (a UTF-8 BOM is skipped; CRLF or LF; quoted fields; blank lines dropped)
 * into *out (caller frees with ia_csv_table_release). IA_ERR_PARSE naming the line for
 * malformed quoting; IA_ERR_TOO_LARGE over the bounds.
 */
IA_MUST_USE enum ia_code ia_csv_parse(const char *data, size_t len, struct ia_csv_table *out,
                                      struct ia_err *err);
void ia_csv_table_release(struct ia_csv_table *t);

/* Read a whole file and parse it (the error names the file). */
IA_MUST_USE enum ia_code ia_csv_parse_file(const char *path, struct ia_csv_table *out,
                                           struct ia_err *err);

/*
 * The delimiter of a spreadsheet export: whichever of ',' ';' and TAB occurs most often
 * outside quotes in the first non-blank line (the header); ',' when none does.
 */
char ia_csv_sniff_delim(const char *data, size_t len);
/*
 * As ia_csv_parse_file, but with delim not NULL the delimiter is sniffed from the header
 * (ia_csv_sniff_delim) and stored in *delim; with NULL it is ','.
 */
IA_MUST_USE enum ia_code ia_csv_parse_file_sniff(const char *path, struct ia_csv_table *out,
                                                 char *delim, struct ia_err *err);

/*
 * Write one field as RFC 4180 (quoted when needed). With inert, a value starting with
 * '=', '+', '-', '@', TAB or CR is prefixed with a single quote, as OWASP advises
 * against formula injection. Returns 0 or -1 on a write error.
 */
int ia_csv_write_field(FILE *f, const char *value, int inert);
/* Write a row of n fields and CRLF. */
int ia_csv_write_row(FILE *f, const char *const *fields, size_t n, int inert);

#endif
