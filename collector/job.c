/* The per-account state of a run, and the credential-report helpers its parts share. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector/collect_int.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"

const char *const ia_cred_cols[22] = {
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "password_next_rotation",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active",
    "cert_1_last_rotated",
    "cert_2_active",
    "cert_2_last_rotated",
};

void
ia_doclist_add(struct doclist *l, struct ia_xml_doc *d, const char *tag)
{
    l->docs = ia_xgrow(l->docs, l->n + 1, &l->alloc, sizeof(*l->docs));
    size_t a = l->n; /* tags grow alongside docs */
    l->tags = ia_xrealloc(l->tags, (a + 1) * sizeof(*l->tags));
    l->docs[l->n] = d;
    l->tags[l->n] = tag ? ia_xstrdup(tag) : NULL;
    l->n++;
}

void
ia_doclist_release(struct doclist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        ia_xml_free(l->docs[i]);
        free(l->tags[i]);
    }
    free(l->docs);
    free(l->tags);
    memset(l, 0, sizeof(*l));
}

/* The answers an account sent: held only from its collection until it is written. */
void
ia_job_release_data(struct job *j)
{
    ia_xml_free(j->password_policy);
    j->password_policy = NULL;
    ia_doclist_release(&j->gaad);
    ia_doclist_release(&j->roles);
    ia_doclist_release(&j->vmfa);
    ia_doclist_release(&j->user_mfa);
    ia_doclist_release(&j->keys);
    ia_doclist_release(&j->login);
    ia_doclist_release(&j->user);
    ia_doclist_release(&j->key_used);
    ia_buf_release(&j->cred_csv);
}

void
ia_job_release(struct job *j)
{
    free(j->account_id);
    free(j->name);
    free(j->team);
    free(j->role_arn);
    free(j->external_id);
    ia_job_release_data(j);
    for (size_t i = 0; i < j->n_direct; i++)
        free(j->direct[i]);
    free(j->direct);
    for (size_t i = 0; i < j->n_warnings; i++) {
        free(j->warnings[i].kind);
        free(j->warnings[i].subject);
        free(j->warnings[i].message);
    }
    free(j->warnings);
}

void
ia_job_warn(struct job *j, const char *kind, const char *subject, const char *fmt, ...)
{
    struct ia_buf b = IA_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    ia_buf_vaddf(&b, fmt, ap);
    va_end(ap);
    j->warnings =
        ia_xgrow(j->warnings, j->n_warnings + 1, &j->alloc_warnings, sizeof(*j->warnings));
    struct warning *w = &j->warnings[j->n_warnings++];
    w->kind = ia_xstrdup(kind);
    w->subject = subject ? ia_xstrdup(subject) : NULL;
    w->message = ia_buf_detach(&b, NULL);
    IA_LOG_WARN("collect", "msg=\"%s\" account=%s kind=%s", w->message, j->account_id, kind);
}

enum ia_code
ia_cred_header(const struct ia_csv_table *t, struct cred_cols *cols, struct ia_err *err)
{
    if (t->n_rows == 0)
        return ia_err_set(err, IA_ERR_PARSE, "credential report is empty");
    const struct ia_csv_row *h = &t->rows[0];
    for (int c = 0; c < 22; c++) {
        cols->idx[c] = -1;
        for (size_t i = 0; i < h->n; i++)
            if (strcmp(h->fields[i], ia_cred_cols[c]) == 0)
                cols->idx[c] = (int)i;
        if (c <= C_MFA && cols->idx[c] < 0)
            return ia_err_set(err, IA_ERR_PARSE, "credential report has no '%s' column",
                              ia_cred_cols[c]);
    }
    return IA_OK;
}

const char *
ia_cred_field(const struct ia_csv_row *r, const struct cred_cols *cols, int c)
{
    int i = cols->idx[c];
    return i >= 0 && (size_t)i < r->n ? r->fields[i] : NULL;
}

int
ia_cred_true(const char *s)
{
    return s && strcasecmp(s, "true") == 0;
}

/* A key slot is in use when active or when it has a rotation date (inactive keys). */
int
ia_cred_has_key(const struct ia_csv_row *r, const struct cred_cols *cols)
{
    time_t t;
    const char *r1 = ia_cred_field(r, cols, C_K1_ROTATED),
               *r2 = ia_cred_field(r, cols, C_K2_ROTATED);
    return ia_cred_true(ia_cred_field(r, cols, C_K1_ACTIVE)) ||
           ia_cred_true(ia_cred_field(r, cols, C_K2_ACTIVE)) ||
           (r1 && ia_time_parse_iso(r1, &t) == 0) || (r2 && ia_time_parse_iso(r2, &t) == 0);
}

int
ia_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
ia_job_is_direct(const struct job *j, const char *user)
{
    return user && j->n_direct &&
           bsearch(&user, j->direct, j->n_direct, sizeof(*j->direct), ia_cmp_str) != NULL;
}
