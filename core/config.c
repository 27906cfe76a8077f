#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/mem.h"

/* Debian's libinih is built with a 200-byte line buffer: longer lines are refused up front. */
#define IA_INI_MAX_LINE 199

struct parse_state {
    struct ia_config *c;
    struct ia_err *err;
    char section[256];
    int line_hint;
    char **closed_sections;
    FILE *f;
    int line;         /* the line just read */
    int continuation; /* it is indented: inih hands it over as more of the previous key */
    char **seen_keys; /* "section\nkey" of every key given so far */
    int *seen_lines;  /* the line each was given on */
};

size_t
ia_strlist_len(char *const *list)
{
    size_t n = 0;
    while (list && list[n])
        n++;
    return n;
}

void
ia_strlist_free(char **list)
{
    for (size_t i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}

static void
strlist_add(char ***list, const char *s)
{
    size_t n = ia_strlist_len(*list);
    *list = ia_xrealloc(*list, (n + 2) * sizeof(char *));
    (*list)[n] = ia_xstrdup(s);
    (*list)[n + 1] = NULL;
}

static void
setstr(char **dst, const char *v)
{
    free(*dst);
    *dst = ia_xstrdup(v);
}

void
ia_config_init(struct ia_config *c)
{
    memset(c, 0, sizeof(*c));
    c->database = ia_xstrdup("iam-audit.db");
    c->base_name = ia_xstrdup("gds-users");
    c->role_name = ia_xstrdup("iam-audit");
    c->session_name = ia_xstrdup("iam-audit");
    c->concurrency = 8;
    c->max_attempts = 10;
    c->retry_base_ms = 1000;
    c->request_timeout_s = 60;
    c->max_account_mib = 1024;
    c->rules.stale_days = 90;
    c->rules.bootstrap_role_pattern = ia_xstrdup("*bootstrap*");
    c->rules.bootstrap_grace_days = 30;
    c->rules.max_key_age_days = 90;
    c->rules.min_password_length = 16;
    c->rules.max_exception_days = 365;
    /* GDS naming: Admin / TrustedUser / ReadOnly and per-person first.last-admin etc. */
    static const char *human[] = { "admin",     "*-admin",   "trusted*user", "*-trusted*user",
                                   "*-trusted", "read*only", "*-read*only",  "*-readonly",
                                   "trusted",   NULL };
    for (int i = 0; human[i]; i++)
        strlist_add(&c->rules.human_role_patterns, human[i]);
    c->rules.readonly_role_pattern = ia_xstrdup("*read*only*");
    c->rules.trusted_role_pattern = ia_xstrdup("*trusted*");
    c->rules.admin_role_pattern = ia_xstrdup("*admin*");
    strlist_add(&c->report_formats, "csv");
    strlist_add(&c->report_formats, "xlsx");
    strlist_add(&c->report_formats, "jsonl");
    c->delivery.sendmail = ia_xstrdup("/usr/sbin/sendmail");
    c->delivery.email_when_clean = 1;
    c->delivery.securityhub_workflow = 1;
}

void
ia_config_release(struct ia_config *c)
{
    if (!c)
        return;
    char **strs[] = { &c->path,
                      &c->database,
                      &c->base_account,
                      &c->base_name,
                      &c->role_name,
                      &c->base_role_arn,
                      &c->external_id,
                      &c->profile,
                      &c->region,
                      &c->session_name,
                      &c->leavers,
                      &c->roster,
                      &c->exceptions,
                      &c->reports,
                      &c->ca_bundle,
                      &c->on_failure,
                      &c->runner,
                      &c->org_role_arn,
                      &c->org_external_id,
                      &c->rules.bootstrap_role_pattern,
                      &c->rules.readonly_role_pattern,
                      &c->rules.required_group,
                      &c->rules.admin_role_pattern,
                      &c->rules.trusted_role_pattern };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        free(*strs[i]);
    for (size_t i = 0; i < c->n_accounts; i++) {
        free(c->accounts[i].name);
        free(c->accounts[i].id);
        free(c->accounts[i].team);
        free(c->accounts[i].role_arn);
        free(c->accounts[i].external_id);
    }
    free(c->accounts);
    ia_strlist_free(c->org_exclude);
    ia_strlist_free(c->rules.human_role_patterns);
    ia_strlist_free(c->rules.allowed_email_domains);
    ia_strlist_free(c->rules.known_accounts);
    free(c->rules.organization_id);
    ia_strlist_free(c->report_formats);
    struct ia_config_delivery *d = &c->delivery;
    char **dstrs[] = { &d->from,
                       &d->ses_region,
                       &d->sendmail,
                       &d->securityhub_region,
                       &d->securityhub_role_arn,
                       &d->rules_url,
                       &d->slack_webhook_file };
    for (size_t i = 0; i < sizeof(dstrs) / sizeof(dstrs[0]); i++)
        free(*dstrs[i]);
    ia_strlist_free(d->security_email);
    for (size_t i = 0; i < c->n_teams; i++) {
        free(c->teams[i].name);
        ia_strlist_free(c->teams[i].email);
    }
    free(c->teams);
    memset(c, 0, sizeof(*c));
}

int
ia_config_valid_account_id(const char *s)
{
    if (!s || strlen(s) != 12)
        return 0;
    for (int i = 0; i < 12; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

int
ia_config_valid_role_arn(const char *s)
{
    /* arn:aws:iam::123456789012:role/path/name */
    static const char *const parts[] = { "arn:aws:iam::", "arn:aws-us-gov:iam::",
                                         "arn:aws-cn:iam::" };
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(parts[i]);
        if (strncmp(s, parts[i], n) != 0)
            continue;
        char acct[13];
        if (strlen(s + n) < 19)
            return 0;
        memcpy(acct, s + n, 12);
        acct[12] = '\0';
        return ia_config_valid_account_id(acct) && strncmp(s + n + 12, ":role/", 6) == 0 &&
               s[n + 18] != '\0';
    }
    return 0;
}

int
ia_config_valid_principal_arn(const char *s)
{
    if (ia_config_valid_role_arn(s))
        return 1;
    /* The same shape with :user/ instead of :role/. */
    const char *u = strstr(s, ":user/");
    if (!u || !u[6] || strchr(s, ' '))
        return 0;
    struct ia_buf b = IA_BUF_INIT;
    ia_buf_add(&b, s, (size_t)(u - s));
    ia_buf_addstr(&b, ":role/");
    ia_buf_addstr(&b, u + 6);
    int ok = ia_config_valid_role_arn(b.buf);
    ia_buf_release(&b);
    return ok;
}

static int fail(struct parse_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct parse_state *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ia_err_vset(st->err, IA_ERR_CONFIG, fmt, ap);
    va_end(ap);
    return 0; /* inih reports the first failing line's number */
}

static int
parse_int(struct parse_state *st, const char *name, const char *v, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi)
        return fail(st, "%s must be a whole number from %d to %d, not '%s'", name, lo, hi, v);
    *out = (int)n;
    return 1;
}

static int
parse_bool(struct parse_state *st, const char *name, const char *v, int *out)
{
    if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1") || !strcasecmp(v, "on"))
        *out = 1;
    else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0") ||
             !strcasecmp(v, "off"))
        *out = 0;
    else
        return fail(st, "%s must be true or false, not '%s'", name, v);
    return 1;
}

/* A comma-separated list; continuation lines call us again and append. */
static void
parse_list(char ***list, const char *v)
{
    const char *p = v;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        struct ia_buf item = IA_BUF_INIT;
        ia_buf_add(&item, p, len);
        ia_buf_trim(&item);
        if (item.len)
            strlist_add(list, item.buf);
        ia_buf_release(&item);
        p += len + (comma ? 1 : 0);
    }
}

static int
check_account_id(struct parse_state *st, const char *key, const char *v)
{
    if (!ia_config_valid_account_id(v))
        return fail(st,
                    "%s '%s' is not an AWS account id: write all 12 digits, keeping leading "
                    "zeros",
                    key, v);
    return 1;
}

static int
check_role_arn(struct parse_state *st, const char *key, const char *v)
{
    if (!ia_config_valid_role_arn(v))
        return fail(st, "%s '%s' is not a role ARN like arn:aws:iam::123456789012:role/iam-audit",
                    key, v);
    return 1;
}

static int
audit_key(struct parse_state *st, const char *k, const char *v)
{
    struct ia_config *c = st->c;
    struct {
        const char *name;
        char **dst;
    } strs[] = {
        { "database", &c->database },
        { "base_name", &c->base_name },
        { "role_name", &c->role_name },
        { "external_id", &c->external_id },
        { "profile", &c->profile },
        { "region", &c->region },
        { "session_name", &c->session_name },
        { "leavers", &c->leavers },
        { "roster", &c->roster },
        { "exceptions", &c->exceptions },
        { "reports", &c->reports },
        { "ca_bundle", &c->ca_bundle },
        { "on_failure", &c->on_failure },
    };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        if (strcmp(k, strs[i].name) == 0) {
            if (!*v)
                return fail(st, "[audit] %s is empty; give a value or delete the line", k);
            setstr(strs[i].dst, v);
            return 1;
        }
    }
    if (!strcmp(k, "base_account")) {
        if (!check_account_id(st, "[audit] base_account", v))
            return 0;
        setstr(&c->base_account, v);
    } else if (!strcmp(k, "base_role_arn")) {
        if (!check_role_arn(st, "[audit] base_role_arn", v))
            return 0;
        setstr(&c->base_role_arn, v);
    } else if (!strcmp(k, "runner")) {
        if (!ia_config_valid_principal_arn(v))
            return fail(st,
                        "[audit] runner '%s' is not a user or role ARN like "
                        "arn:aws:iam::123456789012:user/iam-audit (the identity that runs the "
                        "job; docs/permissions.md)",
                        v);
        setstr(&c->runner, v);
    } else if (!strcmp(k, "concurrency")) {
        return parse_int(st, "[audit] concurrency", v, 1, 64, &c->concurrency);
    } else if (!strcmp(k, "keep_days")) {
        return parse_int(st, "[audit] keep_days", v, 0, 36500, &c->keep_days);
    } else if (!strcmp(k, "max_attempts")) {
        return parse_int(st, "[audit] max_attempts", v, 1, 50, &c->max_attempts);
    } else if (!strcmp(k, "retry_base_ms")) {
        return parse_int(st, "[audit] retry_base_ms", v, 1, 60000, &c->retry_base_ms);
    } else if (!strcmp(k, "request_timeout_s")) {
        return parse_int(st, "[audit] request_timeout_s", v, 1, 600, &c->request_timeout_s);
    } else if (!strcmp(k, "max_account_mib")) {
        return parse_int(st, "[audit] max_account_mib", v, 16, 65536, &c->max_account_mib);
    } else {
        return fail(st,
                    "unknown key '%s' in [audit]; known keys: database, base_account, base_name, "
                    "base_role_arn, role_name, external_id, concurrency, profile, region, "
                    "session_name, leavers, roster, exceptions, reports, keep_days, max_attempts, "
                    "retry_base_ms, request_timeout_s, max_account_mib, ca_bundle, on_failure, "
                    "runner",
                    k);
    }
    return 1;
}

static int
account_key(struct parse_state *st, const char *name, const char *k, const char *v)
{
    struct ia_config *c = st->c;
    struct ia_config_account *a = &c->accounts[c->n_accounts - 1];
    (void)name;
    if (!strcmp(k, "id")) {
        if (!check_account_id(st, "id", v))
            return 0;
        for (size_t i = 0; i + 1 < c->n_accounts; i++)
            if (c->accounts[i].id && !strcmp(c->accounts[i].id, v))
                return fail(st,
                            "account %s is listed twice ([account %s] and [account %s]); keep "
                            "one section per account",
                            v, c->accounts[i].name, a->name);
        setstr(&a->id, v);
    } else if (!strcmp(k, "team")) {
        setstr(&a->team, v);
    } else if (!strcmp(k, "role_arn")) {
        if (!check_role_arn(st, "role_arn", v))
            return 0;
        setstr(&a->role_arn, v);
    } else if (!strcmp(k, "external_id")) {
        setstr(&a->external_id, v);
    } else {
        return fail(st,
                    "unknown key '%s' in [account %s]; known keys: id, team, role_arn, "
                    "external_id",
                    k, a->name);
    }
    return 1;
}

static int
rules_key(struct parse_state *st, const char *k, const char *v)
{
    struct ia_config_rules *r = &st->c->rules;
    if (!strcmp(k, "stale_days"))
        return parse_int(st, "[rules] stale_days", v, 1, 3650, &r->stale_days);
    if (!strcmp(k, "bootstrap_grace_days"))
        return parse_int(st, "[rules] bootstrap_grace_days", v, 0, 3650, &r->bootstrap_grace_days);
    if (!strcmp(k, "max_key_age_days"))
        return parse_int(st, "[rules] max_key_age_days", v, 1, 3650, &r->max_key_age_days);
    if (!strcmp(k, "min_password_length"))
        return parse_int(st, "[rules] min_password_length", v, 6, 128, &r->min_password_length);
    if (!strcmp(k, "max_exception_days"))
        return parse_int(st, "[rules] max_exception_days", v, 1, 3650, &r->max_exception_days);
    if (!strcmp(k, "bootstrap_role_pattern"))
        setstr(&r->bootstrap_role_pattern, v);
    else if (!strcmp(k, "readonly_role_pattern"))
        setstr(&r->readonly_role_pattern, v);
    else if (!strcmp(k, "trusted_role_pattern"))
        setstr(&r->trusted_role_pattern, v);
    else if (!strcmp(k, "admin_role_pattern"))
        setstr(&r->admin_role_pattern, v);
    else if (!strcmp(k, "required_group"))
        setstr(&r->required_group, v);
    else if (!strcmp(k, "human_role_patterns")) {
        /* Giving the key replaces the defaults; continuation lines append. */
        if (st->line_hint != 1) {
            ia_strlist_free(r->human_role_patterns);
            r->human_role_patterns = NULL;
            st->line_hint = 1;
        }
        parse_list(&r->human_role_patterns, v);
    } else if (!strcmp(k, "allowed_email_domains"))
        parse_list(&r->allowed_email_domains, v);
    else if (!strcmp(k, "known_accounts")) {
        size_t before = ia_strlist_len(r->known_accounts);
        parse_list(&r->known_accounts, v);
        for (size_t i = before; r->known_accounts && r->known_accounts[i]; i++)
            if (!check_account_id(st, "[rules] known_accounts entry", r->known_accounts[i]))
                return 0;
    } else if (!strcmp(k, "organization_id")) {
        /* AWS: "o-" then 10 to 32 lower-case letters or digits. */
        size_t n = strlen(v), ok = n >= 12 && n <= 34 && !strncmp(v, "o-", 2);
        for (size_t i = 2; ok && i < n; i++)
            ok = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9');
        if (!ok)
            return fail(st,
                        "[rules] organization_id '%s' is not an AWS organization id: write "
                        "it as shown by 'aws organizations describe-organization', e.g. "
                        "o-a1b2c3d4e5",
                        v);
        setstr(&r->organization_id, v);
    } else
        return fail(st,
                    "unknown key '%s' in [rules]; known keys: stale_days, bootstrap_role_pattern, "
                    "bootstrap_grace_days, human_role_patterns, readonly_role_pattern, "
                    "trusted_role_pattern, admin_role_pattern, max_key_age_days, "
                    "min_password_length, allowed_email_domains, required_group, known_accounts, "
                    "max_exception_days, organization_id",
                    k);
    return 1;
}

static int
org_key(struct parse_state *st, const char *k, const char *v)
{
    struct ia_config *c = st->c;
    if (!strcmp(k, "discover"))
        return parse_bool(st, "[organization] discover", v, &c->org_discover);
    if (!strcmp(k, "role_arn")) {
        if (!check_role_arn(st, "[organization] role_arn", v))
            return 0;
        setstr(&c->org_role_arn, v);
    } else if (!strcmp(k, "external_id")) {
        setstr(&c->org_external_id, v);
    } else if (!strcmp(k, "exclude")) {
        size_t before = ia_strlist_len(c->org_exclude);
        parse_list(&c->org_exclude, v);
        for (size_t i = before; c->org_exclude && c->org_exclude[i]; i++)
            if (!check_account_id(st, "[organization] exclude entry", c->org_exclude[i]))
                return 0;
    } else {
        return fail(st,
                    "unknown key '%s' in [organization]; known keys: discover, role_arn, "
                    "external_id, exclude",
                    k);
    }
    return 1;
}

static int
reports_key(struct parse_state *st, const char *k, const char *v)
{
    struct ia_config *c = st->c;
    if (!strcmp(k, "formats")) {
        ia_strlist_free(c->report_formats);
        c->report_formats = NULL;
        parse_list(&c->report_formats, v);
        for (size_t i = 0; c->report_formats && c->report_formats[i]; i++) {
            const char *f = c->report_formats[i];
            if (strcmp(f, "csv") && strcmp(f, "xlsx") && strcmp(f, "jsonl"))
                return fail(st, "[reports] formats: unknown format '%s'; use csv, xlsx, jsonl", f);
        }
        return 1;
    }
    if (!strcmp(k, "per_team"))
        return parse_bool(st, "[reports] per_team", v, &c->report_per_team);
    return fail(st, "unknown key '%s' in [reports]; known keys: formats, per_team", k);
}

/* inih does not pass line numbers: this reader counts them and notes indented lines. */
static char *
reader(char *str, int num, void *stream)
{
    struct parse_state *st = stream;
    if (!fgets(str, num, st->f))
        return NULL;
    st->line++;
    st->continuation = str[0] == ' ' || str[0] == '\t';
    return str;
}

/* Keys whose value is a list: only these may go on over indented continuation lines. */
static int
is_list_key(const char *section, const char *name)
{
    static const char *const lists[] = {
        "rules\nhuman_role_patterns", "rules\nallowed_email_domains", "rules\nknown_accounts",
        "organization\nexclude",      "delivery\nsecurity_email",
    };
    /* [team NAME] email is a list of addresses too. */
    if (!strncmp(section, "team ", 5) && !strcmp(name, "email"))
        return 1;
    char key[512];
    snprintf(key, sizeof(key), "%s\n%s", section, name);
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
        if (!strcmp(key, lists[i]))
            return 1;
    return 0;
}

/*
 * A key given twice in one section would let the later value win silently (a second
 * base_account left the real one unaudited; a second id dropped an account): refuse it,
 * and a continuation line under a single-value key, which would do the same.
 */
static int
check_repeat(struct parse_state *st, const char *section, const char *name)
{
    if (st->continuation) {
        if (!is_list_key(section, name))
            return fail(st,
                        "indented line continues [%s] %s, which takes one value; put the "
                        "value on one line (only lists go on over indented lines)",
                        section, name);
        return 1;
    }
    struct ia_buf key = IA_BUF_INIT;
    ia_buf_addf(&key, "%s\n%s", section, name);
    size_t n = ia_strlist_len(st->seen_keys);
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(st->seen_keys[i], key.buf)) {
            ia_buf_release(&key);
            return fail(st,
                        "'%s' is given twice in [%s] (first on line %d); keep one: the "
                        "later value would silently replace the earlier",
                        name, section, st->seen_lines[i]);
        }
    }
    strlist_add(&st->seen_keys, key.buf);
    st->seen_lines = ia_xrealloc(st->seen_lines, (n + 1) * sizeof(*st->seen_lines));
    st->seen_lines[n] = st->line;
    ia_buf_release(&key);
    return 1;
}

int
ia_config_valid_email(const char *s)
{
    const char *at = s ? strchr(s, '@') : NULL;
    size_t n = s ? strlen(s) : 0;
    if (!at || at == s || n > 254 || strchr(at + 1, '@') || !strchr(at + 1, '.'))
        return 0;
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        /* No quoting, names or comments: nothing that could end or fold a header. */
        if (ch <= 0x20 || ch >= 0x7f || strchr("<>()[]\\,;:\"", ch))
            return 0;
    }
    return at[1] != '.' && s[n - 1] != '.';
}

const struct ia_config_team *
ia_config_team_find(const struct ia_config *c, const char *team)
{
    for (size_t i = 0; team && i < c->n_teams; i++)
        if (!strcmp(c->teams[i].name, team))
            return &c->teams[i];
    return NULL;
}

/* Append a list of e-mail addresses, each checked. */
static int
parse_emails(struct parse_state *st, const char *key, char ***list, const char *v)
{
    size_t before = ia_strlist_len(*list);
    parse_list(list, v);
    for (size_t i = before; *list && (*list)[i]; i++)
        if (!ia_config_valid_email((*list)[i]))
            return fail(st,
                        "%s: '%s' is not a plain e-mail address like "
                        "paas-lead@example.gov.uk (no names or <>; separate several with "
                        "commas)",
                        key, (*list)[i]);
    return 1;
}

static int
delivery_key(struct parse_state *st, const char *k, const char *v)
{
    struct ia_config_delivery *d = &st->c->delivery;
    struct {
        const char *name;
        char **dst;
    } strs[] = {
        { "sendmail", &d->sendmail },
        { "rules_url", &d->rules_url },
        { "slack_webhook_file", &d->slack_webhook_file },
    };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        if (strcmp(k, strs[i].name) == 0) {
            if (!*v)
                return fail(st, "[delivery] %s is empty; give a value or delete the line", k);
            setstr(strs[i].dst, v);
            return 1;
        }
    }
    if (!strcmp(k, "from")) {
        if (!ia_config_valid_email(v))
            return fail(st,
                        "[delivery] from '%s' is not a plain e-mail address like "
                        "iam-audit@example.gov.uk",
                        v);
        setstr(&d->from, v);
    } else if (!strcmp(k, "email")) {
        if (!strcmp(v, "ses"))
            d->email = IA_EMAIL_SES;
        else if (!strcmp(v, "sendmail"))
            d->email = IA_EMAIL_SENDMAIL;
        else if (!strcmp(v, "off"))
            d->email = IA_EMAIL_OFF;
        else
            return fail(st, "[delivery] email must be ses, sendmail or off, not '%s'", v);
    } else if (!strcmp(k, "ses_region") || !strcmp(k, "securityhub_region")) {
        size_t n = strlen(v);
        int ok = n > 0 && n <= 25;
        for (const char *p = v; ok && *p; p++)
            ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-';
        if (!ok)
            return fail(st, "[delivery] %s '%s' is not a region name like eu-west-2", k, v);
        setstr(!strcmp(k, "ses_region") ? &d->ses_region : &d->securityhub_region, v);
    } else if (!strcmp(k, "securityhub")) {
        return parse_bool(st, "[delivery] securityhub", v, &d->securityhub);
    } else if (!strcmp(k, "securityhub_workflow")) {
        return parse_bool(st, "[delivery] securityhub_workflow", v, &d->securityhub_workflow);
    } else if (!strcmp(k, "email_when_clean")) {
        return parse_bool(st, "[delivery] email_when_clean", v, &d->email_when_clean);
    } else if (!strcmp(k, "securityhub_role_arn")) {
        if (!check_role_arn(st, "[delivery] securityhub_role_arn", v))
            return 0;
        setstr(&d->securityhub_role_arn, v);
    } else if (!strcmp(k, "security_email")) {
        return parse_emails(st, "[delivery] security_email", &d->security_email, v);
    } else {
        return fail(st,
                    "unknown key '%s' in [delivery]; known keys: from, email, ses_region, "
                    "sendmail, security_email, email_when_clean, securityhub, "
                    "securityhub_region, securityhub_role_arn, securityhub_workflow, "
                    "rules_url, slack_webhook_file",
                    k);
    }
    return 1;
}

static int
team_key(struct parse_state *st, const char *k, const char *v)
{
    struct ia_config_team *t = &st->c->teams[st->c->n_teams - 1];
    char key[300];
    if (strcmp(k, "email") != 0)
        return fail(st, "unknown key '%s' in [team %s]; known keys: email", k, t->name);
    snprintf(key, sizeof(key), "[team %s] email", t->name);
    return parse_emails(st, key, &t->email, v);
}

static int
on_key(void *user, const char *section, const char *name, const char *value)
{
    struct parse_state *st = user;
    struct ia_config *c = st->c;

    /* Debian's libinih goes on calling after an error: keep the first and ignore the rest. */
    if (st->err->code != IA_OK)
        return 0;
    if (strcmp(section, st->section) != 0) {
        /* A section seen before and closed again is a duplicate. */
        for (size_t i = 0; st->closed_sections && st->closed_sections[i]; i++)
            if (!strcmp(st->closed_sections[i], section))
                return fail(st, "section [%s] appears twice; merge the two", section);
        if (st->section[0])
            strlist_add(&st->closed_sections, st->section);
        snprintf(st->section, sizeof(st->section), "%s", section);
        st->line_hint = 0;
        if (!strncmp(section, "account ", 8)) {
            const char *aname = section + 8;
            while (*aname == ' ')
                aname++;
            if (!*aname)
                return fail(st, "[account] needs a name, e.g. [account billing-prod]");
            c->accounts = ia_xrealloc(c->accounts, (c->n_accounts + 1) * sizeof(*c->accounts));
            memset(&c->accounts[c->n_accounts], 0, sizeof(*c->accounts));
            c->accounts[c->n_accounts].name = ia_xstrdup(aname);
            c->n_accounts++;
        }
        if (!strncmp(section, "team ", 5)) {
            const char *tname = section + 5;
            while (*tname == ' ')
                tname++;
            if (!*tname)
                return fail(st, "[team] needs the team's name as in the accounts' team = "
                                "lines, e.g. [team paas]");
            c->teams = ia_xrealloc(c->teams, (c->n_teams + 1) * sizeof(*c->teams));
            memset(&c->teams[c->n_teams], 0, sizeof(*c->teams));
            c->teams[c->n_teams].name = ia_xstrdup(tname);
            c->n_teams++;
        }
    }
    if (*section && !check_repeat(st, section, name))
        return 0;
    if (!strcmp(section, "audit"))
        return audit_key(st, name, value);
    if (!strncmp(section, "account ", 8))
        return account_key(st, section + 8, name, value);
    if (!strcmp(section, "rules"))
        return rules_key(st, name, value);
    if (!strcmp(section, "organization"))
        return org_key(st, name, value);
    if (!strcmp(section, "reports"))
        return reports_key(st, name, value);
    if (!strcmp(section, "delivery"))
        return delivery_key(st, name, value);
    if (!strncmp(section, "team ", 5))
        return team_key(st, name, value);
    if (!*section)
        return fail(st, "key '%s' is outside any section; put it under [audit]", name);
    return fail(st,
                "unknown section [%s]; sections are [audit], [account NAME], [organization], "
                "[rules], [reports], [delivery], [team NAME]",
                section);
}

/* Refuse lines libinih cannot hold, before it misreads them. */
static enum ia_code
check_lines(const char *path, FILE *f, struct ia_err *err)
{
    char buf[4096];
    int line = 1;
    size_t len = 0;
    while (fgets(buf, sizeof(buf), f)) {
        size_t n = strlen(buf);
        len += n;
        if (n && buf[n - 1] == '\n') {
            if (len - 1 > IA_INI_MAX_LINE)
                return ia_err_set(err, IA_ERR_CONFIG,
                                  "%s:%d: line is longer than %d characters; split a long list "
                                  "over indented continuation lines",
                                  path, line, IA_INI_MAX_LINE);
            line++;
            len = 0;
        }
    }
    if (len > IA_INI_MAX_LINE)
        return ia_err_set(err, IA_ERR_CONFIG, "%s:%d: line is longer than %d characters", path,
                          line, IA_INI_MAX_LINE);
    rewind(f);
    return IA_OK;
}

enum ia_code
ia_config_load(const char *path, struct ia_config *c, struct ia_err *err)
{
    struct parse_state st;
    struct ia_err perr;
    enum ia_code rc;
    FILE *f;

    ia_config_init(c);
    c->path = ia_xstrdup(path);
    f = fopen(path, "r");
    if (!f)
        return ia_err_set(
            err, errno == ENOENT ? IA_ERR_CONFIG : IA_ERR_IO,
            "cannot read config %s: %s (start from iam-audit.conf.example, installed in "
            "PREFIX/share/iam-audit/examples, e.g. /usr/local/share/iam-audit/"
            "examples)",
            path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f);
        return ia_err_set(err, IA_ERR_CONFIG,
                          "%s is a folder, not a configuration file; give the file itself, "
                          "e.g. --config %s/iam-audit.conf",
                          path, path);
    }
    if ((rc = check_lines(path, f, err)) != IA_OK) {
        fclose(f);
        return rc;
    }
    memset(&st, 0, sizeof(st));
    ia_err_clear(&perr);
    st.c = c;
    st.err = &perr;
    st.f = f;
    int line = ini_parse_stream(reader, &st, on_key, &st);
    fclose(f);
    ia_strlist_free(st.closed_sections);
    ia_strlist_free(st.seen_keys);
    free(st.seen_lines);
    if (line > 0) {
        if (perr.code == IA_OK)
            ia_err_set(&perr, IA_ERR_CONFIG,
                       "cannot parse this line; write 'key = value' under a [section]");
        return ia_err_set(err, IA_ERR_CONFIG, "%s:%d: %s", path, line, perr.msg);
    }
    if (line < 0)
        return ia_err_set(err, IA_ERR_IO, "cannot read config %s", path);
    for (size_t i = 0; i < c->n_accounts; i++)
        if (!c->accounts[i].id)
            return ia_err_set(err, IA_ERR_CONFIG,
                              "%s: [account %s] has no id; add 'id = 123456789012'", path,
                              c->accounts[i].name);
    if (c->base_account) {
        for (size_t i = 0; i < c->n_accounts; i++)
            if (!strcmp(c->accounts[i].id, c->base_account) && !c->accounts[i].team)
                setstr(&c->accounts[i].team, c->base_name);
    }
    if (c->org_discover && !c->org_role_arn)
        return ia_err_set(err, IA_ERR_CONFIG,
                          "%s: [organization] discover = true needs role_arn (a role in the "
                          "management account allowed organizations:ListAccounts)",
                          path);
    if (c->delivery.email != IA_EMAIL_OFF && !c->delivery.from)
        return ia_err_set(err, IA_ERR_CONFIG,
                          "%s: [delivery] email = %s needs from = ADDRESS (the sender; for SES "
                          "a verified identity)",
                          path, c->delivery.email == IA_EMAIL_SES ? "ses" : "sendmail");
    if (!c->base_account && !c->n_accounts && !c->org_discover)
        return ia_err_set(err, IA_ERR_CONFIG,
                          "%s: no account to audit; set [audit] base_account, add [account NAME] "
                          "sections, or enable [organization] discover",
                          path);
    /* Without it every base-account rule (MFA, leavers, roster...) silently does nothing. */
    if (!c->base_account)
        return ia_err_set(err, IA_ERR_CONFIG,
                          "%s: [audit] base_account is not set; set it to the 12-digit id of "
                          "the account where people have their IAM users (gds-users): the "
                          "MFA, leaver and roster rules check that account",
                          path);
    return IA_OK;
}
