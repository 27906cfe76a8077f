#include "core/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"

static _Atomic int s_level = IA_LOG_WARN;

void
ia_log_set_level(enum ia_log_level level)
{
    atomic_store(&s_level, (int)level);
}

enum ia_log_level
ia_log_get_level(void)
{
    return (enum ia_log_level)atomic_load(&s_level);
}

static const char *s_names[] = { "error", "warn", "info", "debug" };

int
ia_log_level_parse(const char *name, enum ia_log_level *out)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, s_names[i]) == 0) {
            *out = (enum ia_log_level)i;
            return 0;
        }
    }
    return -1;
}

void
ia_log_write(enum ia_log_level level, const char *mod, const char *fmt, ...)
{
    char line[2048], ts[IA_TIME_ISO_LEN];
    int n;
    va_list ap;

    ia_time_format_iso(ia_time_now(), ts);
    n = snprintf(line, sizeof(line), "%s level=%s mod=%s ", ts, s_names[level], mod);
    if (n < 0 || (size_t)n >= sizeof(line))
        return;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = strlen(line);
    line[len++] = '\n';
    /* One write(2) per line keeps lines whole when workers log at once. */
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
