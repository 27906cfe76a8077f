/*
 * ia_time_now for the unit tests only: IA_FAKE_NOW=<epoch seconds> moves "now" for the dated
 * rules and credential expiries. Linked into each test executable ahead of libia_core, so
 * core/clock_now.c (the real clock, all the production binary has) is not pulled in.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/clock.h"

time_t
ia_time_now(void)
{
    const char *fake = getenv("IA_FAKE_NOW");
    if (fake && *fake) {
        char *end;
        errno = 0;
        long long v = strtoll(fake, &end, 10);
        if (!errno && *end == '\0' && v > 0)
            return (time_t)v;
    }
    return time(NULL);
}
