#include "core/clock.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t
ia_time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
ia_time_sleep_ms(uint64_t ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void
ia_time_format_iso(time_t t, char out[IA_TIME_ISO_LEN])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, IA_TIME_ISO_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
ia_time_format_amz(time_t t, char out[IA_TIME_AMZ_LEN])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, IA_TIME_AMZ_LEN, "%Y%m%dT%H%M%SZ", &tm);
}

void
ia_time_format_date(time_t t, char out[11])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Howard Hinnant's days_from_civil: days since 1970-01-01 for a proleptic Gregorian date. */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3u : 9u)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

time_t
ia_time_from_utc(int year, int mon, int day, int hour, int min, int sec)
{
    long long days = days_from_civil(year, (unsigned)mon, (unsigned)day);
    return (time_t)(days * 86400 + hour * 3600 + min * 60 + sec);
}

static int
digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int
days_in_month(int y, int m)
{
    static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

int
ia_time_parse_iso(const char *s, time_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0, off = 0;
    size_t len = strlen(s);

    if (len < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || y < 1970)
        return -1;
    s += 10;
    if (*s == 'T' || *s == ' ') {
        if (strlen(s) < 9 || digits(s + 1, 2, &h) || s[3] != ':' || digits(s + 4, 2, &mi) ||
            s[6] != ':' || digits(s + 7, 2, &se))
            return -1;
        if (h > 23 || mi > 59 || se > 60)
            return -1;
        s += 9;
        if (*s == '.') {
            s++;
            if (!isdigit((unsigned char)*s))
                return -1;
            while (isdigit((unsigned char)*s))
                s++;
        }
        if (*s == 'Z') {
            s++;
        } else if (*s == '+' || *s == '-') {
            int oh, om;
            if (strlen(s) < 6 || digits(s + 1, 2, &oh) || s[3] != ':' || digits(s + 4, 2, &om))
                return -1;
            off = (oh * 60 + om) * 60 * (*s == '+' ? 1 : -1);
            s += 6;
        }
    }
    if (*s)
        return -1;
    *out = ia_time_from_utc(y, mo, d, h, mi, se) - off;
    return 0;
}

int
ia_time_parse_http(const char *s, time_t *out)
{
    static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    char mon[4] = { 0 };
    int d, y, h, mi, se, m = -1;
    /* "Sun, 06 Nov 1994 08:49:37 GMT" */
    const char *comma = strchr(s, ',');
    if (!comma)
        return -1;
    if (sscanf(comma + 1, " %2d %3s %4d %2d:%2d:%2d GMT", &d, mon, &y, &h, &mi, &se) != 6)
        return -1;
    for (int i = 0; i < 12; i++)
        if (strcmp(mon, months[i]) == 0)
            m = i + 1;
    if (m < 0 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || y < 1970)
        return -1;
    *out = ia_time_from_utc(y, m, d, h, mi, se);
    return 0;
}
