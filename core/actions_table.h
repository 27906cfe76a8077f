/* The generated action table's shape (scripts/gen_actions.py); core/actions.h is the API. */
#ifndef IA_CORE_ACTIONS_TABLE_H
#define IA_CORE_ACTIONS_TABLE_H

#include <stddef.h>

#include "core/actions.h"

struct ia_action_entry {
    const char *name; /* "iam:PassRole", as the reference spells it */
    enum ia_access_level level;
    unsigned char iam_admin; /* IAM administration (see core/actions.h) */
};

/* Sorted by the lower-case name. */
extern const struct ia_action_entry ia_actions_table[];
extern const size_t ia_actions_table_count;
extern const char ia_actions_table_version[];
extern const size_t ia_actions_table_max_len; /* the longest name, in bytes */

#endif
