/* The exceptions file: accepted risks, each a [exception NAME] section read with libinih. */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyser/internal.h"
#include "core/clock.h"
#include "core/glob.h"
#include "core/mem.h"

struct parse {
    struct ia_exceptions *x;
    struct ia_err *err;
    const char *path;
    FILE *f;
    int line;         /* line just read */
    int section_line; /* line of the latest section header */
    int too_long;
    int header_line; /* section_line of the section being filled */
    char section[256];
    int failed;
};

/* The reader counts lines so every message can name one (inih does not pass it). */
static char *
reader(char *str, int num, void *stream)
{
    struct parse *p = stream;
    if (!fgets(str, num, p->f))
        return NULL;
    p->line++;
    size_t n = strlen(str);
    if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(p->f))
        p->too_long = 1;
    const char *s = str;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '[')
        p->section_line = p->line;
    return str;
}

static int fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct parse *p, const char *fmt, ...)
{
    struct ia_buf b = IA_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    ia_buf_vaddf(&b, fmt, ap);
    va_end(ap);
    if (!p->failed)
        ia_err_set(p->err, IA_ERR_CONFIG, "%s:%d: %s", p->path, p->line, b.buf);
    p->failed = 1;
    ia_buf_release(&b);
    return 0;
}

static int
valid_date(const char *s)
{
    int y, m, d;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return 0;
    if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1)
        return 0;
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] && !(m == 2 && d == 29 && !leap);
}

static void
add_rule(struct ia_exception *e, const char *id)
{
    size_t n = 0;
    while (e->rules && e->rules[n])
        n++;
    e->rules = ia_xrealloc(e->rules, (n + 2) * sizeof(*e->rules));
    e->rules[n] = ia_xstrdup(id);
    e->rules[n + 1] = NULL;
}

static int
on_key(void *user, const char *section, const char *name, const char *value)
{
    struct parse *p = user;
    struct ia_exceptions *x = p->x;
    struct ia_exception *e;

    if (p->too_long)
        return fail(p, "line longer than 196 characters; split the rule list over indented "
                       "continuation lines");
    /* A header line we have not seen yet starts a section, even under the same name. */
    if (strcmp(section, p->section) != 0 || p->section_line != p->header_line) {
        if (strncmp(section, "exception ", 10) != 0 || !section[10])
            return fail(p, "section [%s] is not an exception; write [exception NAME]", section);
        for (size_t i = 0; i < x->n; i++)
            if (strcmp(x->items[i].name, section + 10) == 0)
                return fail(p, "[%s] appears twice; give each exception its own name", section);
        x->items = ia_xgrow(x->items, x->n + 1, &x->alloc, sizeof(*x->items));
        e = &x->items[x->n++];
        memset(e, 0, sizeof(*e));
        e->name = ia_xstrdup(section + 10);
        e->line = p->section_line;
        p->header_line = p->section_line;
        snprintf(p->section, sizeof(p->section), "%s", section);
    }
    e = &x->items[x->n - 1];
    if (!strcmp(name, "rule")) {
        const char *s = value;
        while (*s) {
            const char *comma = strchr(s, ',');
            size_t len = comma ? (size_t)(comma - s) : strlen(s);
            struct ia_buf id = IA_BUF_INIT;
            ia_buf_add(&id, s, len);
            ia_buf_trim(&id);
            if (id.len) {
                if (strcmp(id.buf, "*") != 0 && !ia_rules_find(id.buf)) {
                    int r = fail(p, "unknown rule id '%s'; 'iam-audit rules' lists them", id.buf);
                    ia_buf_release(&id);
                    return r;
                }
                add_rule(e, id.buf);
            }
            ia_buf_release(&id);
            s += len + (comma ? 1 : 0);
        }
    } else if (!strcmp(name, "resource")) {
        e->resource_line = p->line;
        free(e->resource);
        e->resource = ia_xstrdup(value);
    } else if (!strcmp(name, "reason")) {
        free(e->reason);
        e->reason = ia_xstrdup(value);
    } else if (!strcmp(name, "owner")) {
        free(e->owner);
        e->owner = ia_xstrdup(value);
    } else if (!strcmp(name, "ticket")) {
        free(e->ticket);
        e->ticket = ia_xstrdup(value);
    } else if (!strcmp(name, "expires")) {
        if (!valid_date(value))
            return fail(p, "expires '%s' is not a date YYYY-MM-DD", value);
        memcpy(e->expires, value, 11);
        e->expires_line = p->line;
    } else {
        return fail(p,
                    "unknown key '%s' in [%s]; keys are rule, resource, reason, owner, "
                    "ticket, expires",
                    name, section);
    }
    return 1;
}

enum ia_code
ia_exceptions_load(const char *path, struct ia_exceptions *out, struct ia_err *err)
{
    struct ia_exceptions x = { 0 };
    struct parse p;
    enum ia_code rc = IA_ERR_CONFIG;

    memset(&p, 0, sizeof(p));
    p.x = &x;
    p.err = err;
    p.path = path;
    p.f = fopen(path, "r");
    if (!p.f) {
        ia_err_set(err, IA_ERR_CONFIG,
                   "cannot read exceptions file %s: %s; fix [audit] "
                   "exceptions or --exceptions",
                   path, strerror(errno));
        goto out;
    }
    int line = ini_parse_stream(reader, &p, on_key, &p);
    if (line != 0 || p.failed) {
        if (!p.failed)
            ia_err_set(err, IA_ERR_CONFIG,
                       "%s:%d: cannot parse this line; write 'key = value' "
                       "under an [exception NAME] section",
                       path, line);
        goto out;
    }
    for (size_t i = 0; i < x.n; i++) {
        const struct ia_exception *e = &x.items[i];
        const char *missing = !e->rules        ? "rule"
                              : !e->resource   ? "resource"
                              : !e->reason     ? "reason"
                              : !e->expires[0] ? "expires"
                                               : NULL;
        if (missing) {
            ia_err_set(err, IA_ERR_CONFIG,
                       "%s:%d: [exception %s] has no %s; every exception "
                       "needs rule, resource, reason and expires (YYYY-MM-DD)",
                       path, e->line, e->name, missing);
            goto out;
        }
    }
    x.path = ia_xstrdup(path);
    *out = x;
    memset(&x, 0, sizeof(x));
    rc = IA_OK;
out:
    if (p.f)
        fclose(p.f);
    ia_exceptions_release(&x);
    return rc;
}

/* Every IAM ARN, in any partition and account: a glob covering this hides everything. */
static int
matches_every_arn(const char *glob)
{
    static const char *const every[] = { "arn:aws:iam::*:*", "arn:aws-us-gov:iam::*:*",
                                         "arn:aws-cn:iam::*:*" };
    for (size_t i = 0; i < sizeof(every) / sizeof(every[0]); i++)
        if (ia_glob_covers(glob, every[i]) == 1)
            return 1;
    return 0;
}

enum ia_code
ia_exceptions_check(const struct ia_exceptions *x, const char *today, int max_days,
                    struct ia_err *err)
{
    time_t now, until;
    if (ia_time_parse_iso(today, &now) != 0)
        IA_BUG("today '%s' is not a date", today);
    for (size_t i = 0; i < x->n; i++) {
        const struct ia_exception *e = &x->items[i];
        int all_rules = 0;
        for (size_t r = 0; e->rules && e->rules[r]; r++)
            all_rules |= strcmp(e->rules[r], "*") == 0;
        if (all_rules && matches_every_arn(e->resource))
            return ia_err_set(err, IA_ERR_CONFIG,
                              "%s:%d: [exception %s] covers every rule (rule = *) on every "
                              "resource (resource = %s): it would suppress every finding; name "
                              "the rules, or narrow resource to the accounts or names accepted",
                              x->path, e->resource_line ? e->resource_line : e->line, e->name,
                              e->resource);
        if (ia_time_parse_iso(e->expires, &until) != 0)
            IA_BUG("expires '%s' was validated", e->expires);
        if (until > now && (until - now) / 86400 > max_days)
            return ia_err_set(err, IA_ERR_CONFIG,
                              "%s:%d: [exception %s] expires on %s, more than %d days from "
                              "today (%s); accept a risk for at most [rules] max_exception_days "
                              "and review it then",
                              x->path, e->expires_line ? e->expires_line : e->line, e->name,
                              e->expires, max_days, today);
    }
    return IA_OK;
}

void
ia_exceptions_release(struct ia_exceptions *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < x->n; i++) {
        struct ia_exception *e = &x->items[i];
        free(e->name);
        for (size_t r = 0; e->rules && e->rules[r]; r++)
            free(e->rules[r]);
        free(e->rules);
        free(e->resource);
        free(e->reason);
        free(e->owner);
        free(e->ticket);
    }
    free(x->items);
    free(x->path);
    memset(x, 0, sizeof(*x));
}

struct ia_exception *
ia_exceptions_match(struct ia_exceptions *x, const char *rule_id, const char *resource)
{
    for (size_t i = 0; x && i < x->n; i++) {
        struct ia_exception *e = &x->items[i];
        int rule_ok = 0;
        if (e->expired)
            continue;
        for (size_t r = 0; e->rules[r] && !rule_ok; r++)
            rule_ok = strcmp(e->rules[r], "*") == 0 || strcmp(e->rules[r], rule_id) == 0;
        /* ARNs: IAM names are unique case-insensitively, so the glob is too. */
        if (rule_ok && ia_glob_match(e->resource, resource))
            return e;
    }
    return NULL;
}
