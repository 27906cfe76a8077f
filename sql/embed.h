/* The sql/NNNN_name.sql files, embedded at build time (see sql/embed.cmake), sorted by name. */
#ifndef IA_SQL_EMBED_H
#define IA_SQL_EMBED_H

#include <stddef.h>

struct ia_sql_file {
    const char *name; /* file name, e.g. "0001_init.sql" */
    const char *text; /* NUL-terminated contents */
};

extern const struct ia_sql_file ia_sql_files[];
extern const size_t ia_sql_files_count;

/* The text of the embedded file with this name, or NULL (borrowed, static). */
const char *ia_sql_text(const char *name);

#endif
