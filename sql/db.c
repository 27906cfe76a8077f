#include <string.h>
#include "sql/embed.h"
const char *
ia_sql_text(const char *name)
{
    for (size_t i = 0; i < ia_sql_files_count; i++)
        if (strcmp(ia_sql_files[i].name, name) == 0)
            return ia_sql_files[i].text;
    return NULL;
}
