/*
 * Log lines and error messages cannot be forged by what they quote: a value with a newline,
 * a quote or a control character stays inside its own key=value pair on its own line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/err.h"
#include "core/log.h"

/* Run IA_LOG_WARN-style output into a temporary file and return what came after "level=". */
static char s_out[4096];

static FILE *s_cap;
static int s_saved = -1;

static void
capture_begin(void)
{
    fflush(stderr);
    s_cap = tmpfile();
    assert_non_null(s_cap);
    s_saved = dup(STDERR_FILENO);
    assert_true(dup2(fileno(s_cap), STDERR_FILENO) >= 0);
}

static const char *
capture_end(void)
{
    dup2(s_saved, STDERR_FILENO);
    close(s_saved);
    rewind(s_cap);
    size_t n = fread(s_out, 1, sizeof(s_out) - 1, s_cap);
    s_out[n] = '\0';
    fclose(s_cap);
    const char *lvl = strstr(s_out, " level=");
    assert_non_null(lvl);
    return lvl + 1;
}

static size_t
count(const char *s, char c)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

static void
test_newline_in_value_stays_on_its_line(void **state)
{
    (void)state;
    ia_log_set_level(IA_LOG_DEBUG);
    capture_begin();
    IA_LOG_ERR("collect", "msg=\"account failed\" account=%s error=\"%s\"", "111111111111",
               "denied\n2026-12-03T00:00:00Z level=info mod=auth msg=\"login ok\"");
    const char *line = capture_end();
    assert_int_equal(count(s_out, '\n'), 1);
    assert_string_equal(line, "level=error mod=collect msg=\"account failed\" account=111111111111 "
                              "error=\"denied\\n2026-12-03T00:00:00Z level=info mod=auth "
                              "msg=\\\"login ok\\\"\"\n");
}

static void
test_quote_in_bare_value_is_quoted(void **state)
{
    (void)state;
    capture_begin();
    IA_LOG_WARN("collect", "msg=\"skipped\" name=%s id=%s", "prod\" admin=\"true", "");
    const char *line = capture_end();
    /* One value for name (quoted, its quotes escaped), an explicit empty id. */
    assert_string_equal(line, "level=warn mod=collect msg=\"skipped\" "
                              "name=\"prod\\\" admin=\\\"true\" id=\"\"\n");
    capture_begin();
    IA_LOG_WARN("t", "a=%s b=%s c=%s", "x y", "k=v", "back\\slash\x1b[31m");
    line = capture_end();
    assert_string_equal(line,
                        "level=warn mod=t a=\"x y\" b=\"k=v\" c=\"back\\\\slash\\x1b[31m\"\n");
}

static void
test_other_conversions_unchanged(void **state)
{
    (void)state;
    capture_begin();
    IA_LOG_INFO("t", "d=%d ld=%ld lld=%lld llu=%llu zu=%zu x=%04x f=%.2f p=%.*s pct=100%% c=%c", -7,
                123456789L, -9000000000LL, 18000000000ULL, (size_t)42, 255u, 2.5, 3, "abcdef", 'Q');
    const char *line = capture_end();
    assert_string_equal(line, "level=info mod=t d=-7 ld=123456789 lld=-9000000000 "
                              "llu=18000000000 zu=42 x=00ff f=2.50 p=abc pct=100% c=Q\n");
}

static void
test_error_messages_hold_no_control_characters(void **state)
{
    (void)state;
    struct ia_err e;
    ia_err_clear(&e);
    ia_err_set(&e, IA_ERR_AWS, "AccessDenied: %s", "no\r\nlevel=info msg=\"forged\"\ttab\x07");
    assert_string_equal(e.msg, "AccessDenied: no\\r\\nlevel=info msg=\"forged\"\\ttab\\x07");
    ia_err_prefix(&e, "account %s: ", "a\nb");
    assert_string_equal(
        e.msg, "account a\\nb: AccessDenied: no\\r\\nlevel=info msg=\"forged\"\\ttab\\x07");
    /* A long message full of newlines is cut, never overrun. */
    char big[2000];
    memset(big, '\n', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ia_err_set(&e, IA_ERR_AWS, "%s", big);
    assert_true(strlen(e.msg) < sizeof(e.msg));
    assert_null(strchr(e.msg, '\n'));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_newline_in_value_stays_on_its_line),
        cmocka_unit_test(test_quote_in_bare_value_is_quoted),
        cmocka_unit_test(test_other_conversions_unchanged),
        cmocka_unit_test(test_error_messages_hold_no_control_characters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
