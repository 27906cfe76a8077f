/*
 * The action catalogue: a sorted, generated table (scripts/gen_actions.py) searched by
 * binary search. Wildcard patterns scan only their service's range when the service part is
 * literal (almost every real policy), else the whole table (~22,000 actions).
 */
#include "core/actions.h"

#include <string.h>
#include <strings.h>

#include "core/actions_table.h"
#include "core/glob.h"

const char *
ia_actions_version(void)
{
    return ia_actions_table_version;
}

size_t
ia_actions_count(void)
{
    return ia_actions_table_count;
}

const char *
ia_access_level_name(enum ia_access_level level)
{
    switch (level) {
    case IA_ACCESS_LIST: return "List";
    case IA_ACCESS_READ: return "Read";
    case IA_ACCESS_WRITE: return "Write";
    case IA_ACCESS_PERMISSIONS: return "Permissions management";
    case IA_ACCESS_TAGGING: return "Tagging";
    }
    return "unknown";
}

int
ia_access_level_changes(enum ia_access_level level)
{
    return level == IA_ACCESS_WRITE || level == IA_ACCESS_PERMISSIONS || level == IA_ACCESS_TAGGING;
}

/* First index whose lower-cased name is >= key (over its first n characters when n > 0). */
static size_t
lower_bound(const char *key, size_t n)
{
    size_t lo = 0, hi = ia_actions_table_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = n ? strncasecmp(ia_actions_table[mid].name, key, n)
                  : strcasecmp(ia_actions_table[mid].name, key);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const struct ia_action_entry *
find(const char *action)
{
    if (!action)
        return NULL;
    size_t i = lower_bound(action, 0);
    if (i < ia_actions_table_count && strcasecmp(ia_actions_table[i].name, action) == 0)
        return &ia_actions_table[i];
    return NULL;
}

int
ia_action_lookup(const char *action, enum ia_access_level *level, const char **canonical)
{
    const struct ia_action_entry *e = find(action);
    if (!e)
        return 0;
    if (level)
        *level = e->level;
    if (canonical)
        *canonical = e->name;
    return 1;
}

int
ia_action_is_iam_admin(const char *action)
{
    const struct ia_action_entry *e = find(action);
    return e && e->iam_admin;
}

size_t
ia_actions_expand(const char *pattern, ia_action_fn fn, void *ctx)
{
    size_t from = 0, to = ia_actions_table_count, n = 0;
    const char *colon = pattern ? strchr(pattern, ':') : NULL;
    if (!pattern)
        return 0;
    /* More literal characters than the longest action has: it matches nothing (and a long
     * hostile pattern costs nothing). */
    size_t literal = 0;
    for (const char *c = pattern; *c; c++)
        literal += *c != '*';
    if (literal > ia_actions_table_max_len)
        return 0;
    /* "svc:..." with a literal svc: only the rows that start with "svc:". */
    if (colon && !memchr(pattern, '*', (size_t)(colon - pattern)) &&
        !memchr(pattern, '?', (size_t)(colon - pattern))) {
        size_t plen = (size_t)(colon - pattern) + 1;
        from = lower_bound(pattern, plen);
        to = from;
        while (to < ia_actions_table_count &&
               strncasecmp(ia_actions_table[to].name, pattern, plen) == 0)
            to++;
    }
    for (size_t i = from; i < to; i++) {
        if (!ia_glob_match(pattern, ia_actions_table[i].name))
            continue;
        n++;
        if (fn)
            fn(ctx, ia_actions_table[i].name, ia_actions_table[i].level);
    }
    return n;
}
