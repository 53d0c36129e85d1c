/* The CLI's JSON string escaper and number test (src/cli/cli_json.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* cli_json_string_n(input) into a malloc'd string. */
static char *escape_n(const char *input, size_t len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    assert_non_null(f);
    cli_json_string_n(f, input, len);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void assert_escapes_n(const char *input, size_t len, const char *want)
{
    char *got = escape_n(input, len);
    assert_string_equal(got, want);
    free(got);
}

static void assert_escapes(const char *input, const char *want)
{
    assert_escapes_n(input, strlen(input), want);
}

static void test_plain_ascii(void **state)
{
    (void)state;
    assert_escapes("", "\"\"");
    assert_escapes("id-front.jpg", "\"id-front.jpg\"");
    assert_escapes("a/b c~\x7f", "\"a/b c~\x7f\""); /* DEL is legal JSON */
}

static void test_quotes_and_backslash(void **state)
{
    (void)state;
    assert_escapes("say \"hi\"", "\"say \\\"hi\\\"\"");
    assert_escapes("C:\\scans\\", "\"C:\\\\scans\\\\\"");
}

static void test_named_control_escapes(void **state)
{
    (void)state;
    assert_escapes("a\nb", "\"a\\nb\"");
    assert_escapes("a\tb", "\"a\\tb\"");
    assert_escapes("\r\b\f", "\"\\r\\b\\f\"");
}

static void test_other_control_chars(void **state)
{
    (void)state;
    assert_escapes("\x01", "\"\\u0001\"");
    assert_escapes("\x1b[31m", "\"\\u001b[31m\"");
    assert_escapes("\x1f", "\"\\u001f\"");
    assert_escapes_n("a\0b", 3, "\"a\\u0000b\"");
}

static void test_chinese_passes_through(void **state)
{
    (void)state;
    assert_escapes("身份证正面.jpg", "\"身份证正面.jpg\"");
    assert_escapes("营业执照 (副本)", "\"营业执照 (副本)\"");
}

static void test_four_byte_emoji_passes_through(void **state)
{
    (void)state;
    assert_escapes("\xF0\x9F\x98\x80", "\"\xF0\x9F\x98\x80\"");      /* U+1F600 */
    assert_escapes("\xF4\x8F\xBF\xBF", "\"\xF4\x8F\xBF\xBF\"");      /* U+10FFFF */
}

static void test_invalid_bytes_become_fffd(void **state)
{
    (void)state;
    assert_escapes("\xFF", "\"\\ufffd\"");
    assert_escapes("a\xFE" "b", "\"a\\ufffdb\"");
    assert_escapes("\x80", "\"\\ufffd\"");            /* lone continuation */
    assert_escapes("\xC3(", "\"\\ufffd(\"");          /* lead, no continuation */
    assert_escapes("\xF5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

static void test_overlongs_are_invalid(void **state)
{
    (void)state;
    assert_escapes("\xC0\xAF", "\"\\ufffd\\ufffd\"");             /* '/' */
    assert_escapes("\xC1\xBF", "\"\\ufffd\\ufffd\"");
    assert_escapes("\xE0\x80\xAF", "\"\\ufffd\\ufffd\\ufffd\"");
    assert_escapes("\xF0\x80\x80\xAF", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    assert_escapes("\xE0\xA0\x80", "\"\xE0\xA0\x80\"");   /* U+0800: smallest */
}

static void test_surrogates_are_invalid(void **state)
{
    (void)state;
    assert_escapes("\xED\xA0\x80", "\"\\ufffd\\ufffd\\ufffd\"");  /* U+D800 */
    assert_escapes("\xED\xBF\xBF", "\"\\ufffd\\ufffd\\ufffd\"");  /* U+DFFF */
    assert_escapes("\xED\x9F\xBF", "\"\xED\x9F\xBF\"");           /* U+D7FF */
}

static void test_above_10ffff_is_invalid(void **state)
{
    (void)state;
    assert_escapes("\xF4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

static void test_truncated_sequence_at_end(void **state)
{
    (void)state;
    /* One U+FFFD for the whole cut-off prefix, as Unicode recommends. */
    assert_escapes("ab\xE4\xB8", "\"ab\\ufffd\"");
    assert_escapes("\xF0\x9F\x98", "\"\\ufffd\"");
    assert_escapes("\xE4", "\"\\ufffd\"");
    assert_escapes("\xE4\xB8x", "\"\\ufffdx\"");
    /* A length cut inside a valid sequence must not read past it. */
    assert_escapes_n("\xE4\xB8\xAD", 2, "\"\\ufffd\"");
}

static void test_line_separators_escaped(void **state)
{
    (void)state;
    assert_escapes("\xE2\x80\xA8|\xE2\x80\xA9", "\"\\u2028|\\u2029\"");
}

static void test_null_string_is_empty(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    assert_non_null(f);
    cli_json_string(f, NULL);
    fclose(f);
    assert_string_equal(buf, "\"\"");
    free(buf);
}

static void test_utf8_sequence_length(void **state)
{
    (void)state;
    assert_int_equal(cli_utf8_sequence_length((const unsigned char *)"A", 1), 1);
    assert_int_equal(cli_utf8_sequence_length((const unsigned char *)"\xC3\xA9", 2), 2);
    assert_int_equal(cli_utf8_sequence_length((const unsigned char *)"\xE8\xAF\x81", 3), 3);
    assert_int_equal(cli_utf8_sequence_length((const unsigned char *)"\xE8\xAF\x81", 2), 0);
    assert_int_equal(cli_utf8_sequence_length((const unsigned char *)"\xC0\x80", 2), 0);
}

static void test_json_number_grammar(void **state)
{
    (void)state;
    const char *good[] = {"0", "-0", "7", "200000", "83.48", "-1.5e3",
                          "1E+9", "0.5", "2e-7"};
    const char *bad[] = {"", "-", "01", "1.", ".5", "+1", "1e", "1e+",
                         "nan", "inf", "0x10", "1,000", "12 ", "1500x1100"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(cli_json_is_number(good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(cli_json_is_number(bad[i]));
    assert_false(cli_json_is_number(NULL));
}

static void test_thousands(void **state)
{
    (void)state;
    char buf[32];
    pf_format_thousands(0, buf, sizeof buf);
    assert_string_equal(buf, "0");
    pf_format_thousands(999, buf, sizeof buf);
    assert_string_equal(buf, "999");
    pf_format_thousands(1000, buf, sizeof buf);
    assert_string_equal(buf, "1,000");
    pf_format_thousands(1482113, buf, sizeof buf);
    assert_string_equal(buf, "1,482,113");
    pf_format_thousands(UINT64_MAX, buf, sizeof buf);
    assert_string_equal(buf, "18,446,744,073,709,551,615");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_ascii),
        cmocka_unit_test(test_quotes_and_backslash),
        cmocka_unit_test(test_named_control_escapes),
        cmocka_unit_test(test_other_control_chars),
        cmocka_unit_test(test_chinese_passes_through),
        cmocka_unit_test(test_four_byte_emoji_passes_through),
        cmocka_unit_test(test_invalid_bytes_become_fffd),
        cmocka_unit_test(test_overlongs_are_invalid),
        cmocka_unit_test(test_surrogates_are_invalid),
        cmocka_unit_test(test_above_10ffff_is_invalid),
        cmocka_unit_test(test_truncated_sequence_at_end),
        cmocka_unit_test(test_line_separators_escaped),
        cmocka_unit_test(test_null_string_is_empty),
        cmocka_unit_test(test_utf8_sequence_length),
        cmocka_unit_test(test_json_number_grammar),
        cmocka_unit_test(test_thousands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
