/* Wall-clock time as UTC text, without the non-reentrant libc calls. */
#ifndef IA_CORE_CLOCK_H
#define IA_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

#define IA_TIME_ISO_LEN 21 /* "2026-11-27T02:00:01Z" + NUL */
#define IA_TIME_AMZ_LEN 17 /* "20261127T020001Z" + NUL */

/*
 * Current time (core/clock_now.c). Only the unit-test executables can move it, with
 * IA_FAKE_NOW=<epoch seconds> (tests/unit/fake_now.c); the installed binary ignores it.
 */
time_t ia_time_now(void);
/* Monotonic milliseconds, for time-outs and backoff. */
uint64_t ia_time_mono_ms(void);
/* Sleep for ms milliseconds. */
void ia_time_sleep_ms(uint64_t ms);

void ia_time_format_iso(time_t t, char out[IA_TIME_ISO_LEN]);
void ia_time_format_amz(time_t t, char out[IA_TIME_AMZ_LEN]);
/* "YYYY-MM-DD" + NUL */
void ia_time_format_date(time_t t, char out[11]);

/*
 * Parse ISO 8601 UTC as AWS writes it: "2026-11-27T02:00:01Z", with optional
 * fractional seconds, "+00:00" offsets, or a bare date "2026-11-27".
 * Returns 0 and sets *out, or -1 on anything else.
 */
int ia_time_parse_iso(const char *s, time_t *out);
/* Parse an HTTP Date header (RFC 7231 IMF-fixdate). Returns 0 or -1. */
int ia_time_parse_http(const char *s, time_t *out);
/* Seconds since the epoch for a UTC calendar date/time (no libc timegm). */
time_t ia_time_from_utc(int year, int mon, int day, int hour, int min, int sec);

#endif
