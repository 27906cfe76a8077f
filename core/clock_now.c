/*
 * The wall clock, alone in its file on purpose: the unit tests link their own ia_time_now
 * (tests/unit/fake_now.c, which honours IA_FAKE_NOW), and a static library member is only
 * pulled in for a symbol still undefined, so this one never meets it. The production binary
 * has no way to move "now": an environment variable that silently shifts every time-based
 * rule has no place in a root job.
 */
#include "core/clock.h"

time_t
ia_time_now(void)
{
    return time(NULL);
}
