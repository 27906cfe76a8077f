/*
 * IAM-style wildcard patterns: '*' matches any run of characters (including none), '?' matches
 * exactly one character, every other byte matches itself. There is no escape character and no
 * character class, as in IAM Action, Resource and condition *Like values.
 *
 * Matching is ASCII case-insensitive (IAM action names are case-insensitive) unless the
 * function name ends in _cs. Bytes >= 0x80 (UTF-8) are compared exactly.
 *
 * All functions are pure: no allocation escapes, no global state, thread-safe.
 */
#ifndef IA_CORE_GLOB_H
#define IA_CORE_GLOB_H

#include <stddef.h>

/*
 * Longest pattern (in bytes) that ia_glob_covers and ia_glob_intersects decide exactly; they
 * work in O(len(a) * len(b)) time and memory. Longer inputs return IA_GLOB_UNDECIDED.
 * ia_glob_match has no such bound (O(1) memory, O(len(pattern) * len(text)) time at worst).
 */
#define IA_GLOB_MAX_PATTERN 512
#define IA_GLOB_UNDECIDED (-1)

/*
 * Does text match pattern? Returns 1 or 0. Both NUL-terminated; neither may be NULL.
 * Case-insensitive (ASCII).
 */
int ia_glob_match(const char *pattern, const char *text);

/* As ia_glob_match, but case-sensitive (ARNs' resource parts, for example). */
int ia_glob_match_cs(const char *pattern, const char *text);

/*
 * Does outer cover inner, i.e. does every string that inner matches also match outer?
 * ("ec2:*" covers "ec2:Delete*"; "ec2:Delete*" does not cover "ec2:*"; "*" covers everything.)
 * Case-insensitive. Returns 1 (covered), 0 (not covered, or not provably covered) or
 * IA_GLOB_UNDECIDED when a pattern is longer than IA_GLOB_MAX_PATTERN.
 *
 * Sound but, for exotic mixes of '?' and '*', not complete: a 1 is always right; a 0 may in
 * rare cases be a covered pair it could not prove. Callers that use it to cancel a finding
 * (an explicit Deny covering an Allow) therefore err towards reporting.
 */
int ia_glob_covers(const char *outer, const char *inner);

/*
 * Is there at least one string that both patterns match? Case-insensitive. Exact.
 * Returns 1, 0, or IA_GLOB_UNDECIDED when a pattern is longer than IA_GLOB_MAX_PATTERN.
 */
int ia_glob_intersects(const char *a, const char *b);

/*
 * As ia_glob_covers / ia_glob_intersects, with a work budget for callers that compare many
 * untrusted patterns. *budget is the number of table cells the call may still use; a call that
 * needs the quadratic step charges (len(a) + 1) * (len(b) + 1) cells to it, and when that would
 * overdraw the budget returns IA_GLOB_UNDECIDED instead, leaving *budget unchanged. Pairs whose
 * literal prefixes or suffixes already decide the answer cost nothing. budget may be NULL
 * (no limit).
 */
int ia_glob_covers_budget(const char *outer, const char *inner, size_t *budget);
int ia_glob_intersects_budget(const char *a, const char *b, size_t *budget);

#endif
