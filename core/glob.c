/* IAM-style '*' / '?' wildcard matching, coverage and intersection of patterns. */
#include "core/glob.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

static unsigned char
fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static int
same(unsigned char a, unsigned char b, int ci)
{
    return ci ? fold(a) == fold(b) : a == b;
}

static int
is_wild(char c)
{
    return c == '*' || c == '?';
}

/*
 * Iterative match with one backtrack point (the last '*'): O(len(p) * len(t)) time in the worst
 * case, O(1) memory, no recursion, so hostile patterns cannot blow the stack.
 */
static int
match(const char *p, const char *t, int ci)
{
    const char *star_p = NULL, *star_t = NULL;

    while (*t) {
        if (*p == '*') {
            while (*p == '*')
                p++;
            if (!*p)
                return 1;
            star_p = p;
            star_t = t;
        } else if (*p && (*p == '?' || same((unsigned char)*p, (unsigned char)*t, ci))) {
            p++;
            t++;
        } else if (star_p) {
            p = star_p;
            t = ++star_t;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

int
ia_glob_match(const char *pattern, const char *text)
{
    IA_ASSERT(pattern && text);
    return match(pattern, text, 1);
}

int
ia_glob_match_cs(const char *pattern, const char *text)
{
    IA_ASSERT(pattern && text);
    return match(pattern, text, 0);
}

static int
same_n(const char *a, const char *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (!same((unsigned char)a[i], (unsigned char)b[i], 1))
            return 0;
    return 1;
}

/* Length of the literal text before the first wildcard, and after the last one. */
static size_t
lit_prefix(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && !is_wild(p[i]))
        i++;
    return i;
}

static size_t
lit_suffix(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n && !is_wild(p[n - 1 - i]))
        i++;
    return i;
}

/*
 * Exact necessary conditions, checked in O(n) before the quadratic work: every string outer
 * matches starts with outer's literal prefix and ends with its literal suffix, so inner must
 * have the same literal text there. Returns 1 when outer certainly does not cover inner.
 */
static int
covers_rejects(const char *o, size_t lo, const char *in, size_t li)
{
    size_t po = lit_prefix(o, lo), pi = lit_prefix(in, li);
    size_t so = lit_suffix(o, lo), si = lit_suffix(in, li);

    if (po == lo) /* outer is literal: only the same literal is covered */
        return !(pi == li && li == lo && same_n(o, in, lo));
    return pi < po || !same_n(o, in, po) || si < so || !same_n(o + lo - so, in + li - so, so);
}

/* Returns 1 when no string can match both (their literal ends disagree). */
static int
intersects_rejects(const char *a, size_t la, const char *b, size_t lb)
{
    size_t pa = lit_prefix(a, la), pb = lit_prefix(b, lb);
    size_t sa = lit_suffix(a, la), sb = lit_suffix(b, lb);
    size_t p = pa < pb ? pa : pb, sfx = sa < sb ? sa : sb;

    if (pa == la && pb == lb)
        return !(la == lb && same_n(a, b, la));
    return !same_n(a, b, p) || !same_n(a + la - sfx, b + lb - sfx, sfx);
}

/* Charge (la + 1) * (lb + 1) table cells to *budget; 0 if that would overdraw it. */
static int
charge(size_t *budget, size_t la, size_t lb)
{
    size_t cost = (la + 1) * (lb + 1);
    if (!budget)
        return 1;
    if (cost > *budget)
        return 0;
    *budget -= cost;
    return 1;
}

/*
 * Canonical form for coverage: in every run of wildcards, the '?'s come first and the '*'s
 * collapse to one ("*?*" and "?*" both mean "one or more characters"). Without this the token
 * comparison below would miss "*?" covering "?*". out has room for strlen(in) + 1 bytes.
 */
static size_t
canonical(const char *in, char *out)
{
    size_t n = 0;

    while (*in) {
        if (!is_wild(*in)) {
            out[n++] = *in++;
            continue;
        }
        size_t q = 0;
        int star = 0;
        for (; is_wild(*in); in++) {
            if (*in == '?')
                q++;
            else
                star = 1;
        }
        while (q--)
            out[n++] = '?';
        if (star)
            out[n++] = '*';
    }
    out[n] = '\0';
    return n;
}

/*
 * Token matching of outer against inner, inner's wildcards treated as symbols: outer '*'
 * absorbs any inner tokens, outer '?' one non-'*' token, an outer literal only the equal
 * literal. If that succeeds every expansion of inner is an expansion of outer (sound).
 * dp[i][j]: outer[i..] covers inner[j..]; filled bottom-up so no recursion.
 */
int
ia_glob_covers_budget(const char *outer, const char *inner, size_t *budget)
{
    size_t lo_raw, li_raw, lo, li, i, j, w;
    char *o = NULL, *in = NULL;
    unsigned char *dp = NULL;
    int result = IA_GLOB_UNDECIDED;

    IA_ASSERT(outer && inner);
    lo_raw = strlen(outer);
    li_raw = strlen(inner);
    if (lo_raw > IA_GLOB_MAX_PATTERN || li_raw > IA_GLOB_MAX_PATTERN)
        goto out;
    if (covers_rejects(outer, lo_raw, inner, li_raw)) {
        result = 0;
        goto out;
    }
    if (!charge(budget, lo_raw, li_raw))
        goto out;
    o = ia_xmalloc(lo_raw + 1);
    in = ia_xmalloc(li_raw + 1);
    lo = canonical(outer, o);
    li = canonical(inner, in);
    w = li + 1;
    dp = ia_xcalloc((lo + 1) * w, 1);

    dp[lo * w + li] = 1;
    for (i = lo; i-- > 0;) {
        for (j = li + 1; j-- > 0;) {
            unsigned char v;
            if (o[i] == '*')
                v = dp[(i + 1) * w + j] || (j < li && dp[i * w + j + 1]);
            else if (j == li)
                v = 0;
            else if (o[i] == '?')
                v = in[j] != '*' && dp[(i + 1) * w + j + 1];
            else
                v = !is_wild(in[j]) && same((unsigned char)o[i], (unsigned char)in[j], 1) &&
                    dp[(i + 1) * w + j + 1];
            dp[i * w + j] = v;
        }
    }
    result = dp[0];
out:
    free(dp);
    free(o);
    free(in);
    return result;
}

/*
 * dp[i][j]: some string matches both a[i..] and b[j..]. A '*' on either side either ends
 * (advance past it) or swallows the next character the other side produces (advance the other
 * side); two non-'*' tokens must agree on one character.
 */
int
ia_glob_covers(const char *outer, const char *inner)
{
    return ia_glob_covers_budget(outer, inner, NULL);
}

int
ia_glob_intersects_budget(const char *a, const char *b, size_t *budget)
{
    size_t la, lb, i, j, w;
    unsigned char *dp = NULL;
    int result = IA_GLOB_UNDECIDED;

    IA_ASSERT(a && b);
    la = strlen(a);
    lb = strlen(b);
    if (la > IA_GLOB_MAX_PATTERN || lb > IA_GLOB_MAX_PATTERN)
        goto out;
    if (intersects_rejects(a, la, b, lb)) {
        result = 0;
        goto out;
    }
    if (!charge(budget, la, lb))
        goto out;
    w = lb + 1;
    dp = ia_xcalloc((la + 1) * w, 1);

    for (i = la + 1; i-- > 0;) {
        for (j = lb + 1; j-- > 0;) {
            unsigned char v;
            if (i == la && j == lb)
                v = 1;
            else if (i < la && a[i] == '*')
                v = dp[(i + 1) * w + j] || (j < lb && dp[i * w + j + 1]);
            else if (j < lb && b[j] == '*')
                v = dp[i * w + j + 1] || (i < la && dp[(i + 1) * w + j]);
            else if (i < la && j < lb)
                v = (a[i] == '?' || b[j] == '?' ||
                     same((unsigned char)a[i], (unsigned char)b[j], 1)) &&
                    dp[(i + 1) * w + j + 1];
            else
                v = 0;
            dp[i * w + j] = v;
        }
    }
    result = dp[0];
out:
    free(dp);
    return result;
}

int
ia_glob_intersects(const char *a, const char *b)
{
    return ia_glob_intersects_budget(a, b, NULL);
}
