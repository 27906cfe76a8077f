/*
 * libFuzzer target for the configuration reader (core/config.c over libinih): the input
 * is written to a temporary file and loaded with ia_config_load, as the CLI does. A
 * loaded config must satisfy what the rest of the program relies on (valid account ids,
 * bounded concurrency, positive retry settings); a refused one must carry a one-line
 * message. Seeds: tests/fuzz/corpus/config/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char s_path[64];

static void
cleanup(void)
{
    if (s_path[0])
        unlink(s_path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ia_config c;
    struct ia_err err;
    FILE *f;

    if (!s_path[0]) {
        snprintf(s_path, sizeof(s_path), "/tmp/ia-fuzz-config-XXXXXX");
        int fd = mkstemp(s_path);
        IA_ASSERT(fd >= 0);
        close(fd);
        atexit(cleanup);
    }
    f = fopen(s_path, "wb");
    IA_ASSERT(f != NULL);
    IA_ASSERT(fwrite(data, 1, size, f) == size);
    IA_ASSERT(fclose(f) == 0);

    memset(&err, 0, sizeof(err));
    if (ia_config_load(s_path, &c, &err) == IA_OK) {
        IA_ASSERT(c.concurrency >= 1 && c.concurrency <= 64);
        IA_ASSERT(c.max_attempts >= 1 && c.retry_base_ms >= 0);
        IA_ASSERT(c.database && c.role_name && c.session_name);
        IA_ASSERT(!c.base_account || ia_config_valid_account_id(c.base_account));
        for (size_t i = 0; i < c.n_accounts; i++) {
            IA_ASSERT(ia_config_valid_account_id(c.accounts[i].id));
            IA_ASSERT(!c.accounts[i].role_arn || ia_config_valid_role_arn(c.accounts[i].role_arn));
            for (size_t j = 0; j < i; j++)
                IA_ASSERT(strcmp(c.accounts[i].id, c.accounts[j].id) != 0);
        }
        /* Delivery addresses go into mail headers: each must be plain (no CR/LF, no list). */
        for (size_t i = 0; c.delivery.security_email && c.delivery.security_email[i]; i++)
            IA_ASSERT(ia_config_valid_email(c.delivery.security_email[i]));
        for (size_t t = 0; t < c.n_teams; t++)
            for (size_t i = 0; c.teams[t].email && c.teams[t].email[i]; i++)
                IA_ASSERT(ia_config_valid_email(c.teams[t].email[i]));
        IA_ASSERT(c.delivery.email == IA_EMAIL_OFF || ia_config_valid_email(c.delivery.from));
        IA_ASSERT(!c.delivery.securityhub_role_arn ||
                  ia_config_valid_role_arn(c.delivery.securityhub_role_arn));
        (void)ia_strlist_len(c.rules.human_role_patterns);
        (void)ia_strlist_len(c.report_formats);
    } else {
        IA_ASSERT(err.msg[0] && !strchr(err.msg, '\n'));
    }
    ia_config_release(&c);
    return 0;
}
