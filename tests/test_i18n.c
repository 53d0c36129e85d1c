/* Simplified Chinese: the demo, usage errors, --help, profiles, the HTML
 * report, the drop script and the library's own messages in Chinese, on a
 * machine whose only locale is C.UTF-8 (as CI's), chosen by --lang zh or
 * LANGUAGE; machine output the same in every language. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preflight.h"
#include "testutil.h"

/* The environment of a server with no zh_CN locale generated. */
#define C_UTF8 "env -u LC_ALL -u LC_MESSAGES -u LANGUAGE LANG=C.UTF-8"

static int has_cjk(const char *s)
{
    /* U+4E00..U+9FFF are E4..E9 lead bytes in UTF-8. */
    for (; *s; s++)
        if ((unsigned char)*s >= 0xE4 && (unsigned char)*s <= 0xE9)
            return 1;
    return 0;
}

/* Words that stay as they are in Chinese text: names of formats, units,
 * the program, profiles, checks (as typed in --check/--skip), statuses of
 * machine output, and brand names. */
static int allowed_word(const char *w, size_t n)
{
    static const char *const words[] = {
        "JPEG", "JPG", "PNG", "PDF", "HEIC", "HEIF", "WebP", "GIF", "TIFF", "BMP",
        "EXIF", "GPS", "ICP", "KB", "MB", "KiB", "MiB", "MP", "px", "preflight",
        "html", "jpg", "png", "pdf", "ini", "wechat", "alipay-license",
        "alipay-idcard", "face", "tencent", "aliyun", "huawei", "volcengine",
        "format", "max-bytes", "min-bytes", "min-size", "max-size", "color",
        "orientation", "transparency", "white-background", "sharpness",
        "document-complete", "document-fill", "glare", "exposure", "RGB",
        "sRGB", "CMYK", "JFIF", "WeChat", "Alipay", "Tencent", "Cloud",
        "Alibaba", "Huawei", "Volcano", "Engine", "SDK", "API", "docs",
        "qcloud-documents", "huaweicloud-skills", "alipay-sdk-java-all",
        "UTF-8", "Chromium", "README", "wordpower", "help", "aliyun.com",
        "fix", "check", "profiles"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == n && strncmp(words[i], w, n) == 0)
            return 1;
    return 0;
}

/* The first English word left in a line once file names, paths, URLs,
 * options and the allowed words are set aside; NULL when none. A word is
 * a run of ASCII letters and hyphens of three or more. */
static const char *english_word(const char *line, char *word, size_t cap)
{
    const char *p = line;
    while (*p) {
        /* Skip whole tokens that name things: paths, URLs, options. */
        if (p == line || isspace((unsigned char)p[-1])) {
            size_t tok = strcspn(p, " \t");
            if (memchr(p, '/', tok) || memchr(p, '.', tok) || strncmp(p, "--", 2) == 0) {
                p += tok;
                continue;
            }
        }
        if (!isalpha((unsigned char)*p)) {
            p++;
            continue;
        }
        size_t n = 0;
        while (isalpha((unsigned char)p[n]) || (p[n] == '-' && isalpha((unsigned char)p[n + 1])))
            n++;
        if (n >= 3 && !allowed_word(p, n)) {
            snprintf(word, cap, "%.*s", (int)n, p);
            return word;
        }
        p += n;
    }
    return NULL;
}

/* Every non-empty line has Chinese and no English word outside the names. */
static void assert_all_chinese(const char *text, const char *what)
{
    char *copy = strdup(text), *save = NULL, word[64];
    int lines = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!*line)
            continue;
        lines++;
        if (!has_cjk(line))
            fail_msg("%s: a line without Chinese: %s", what, line);
        if (english_word(line, word, sizeof word))
            fail_msg("%s: English '%s' left in: %s", what, word, line);
    }
    assert_true(lines > 0);
    free(copy);
}

static char *scratch;
static char *run_out;

static int setup(void **state)
{
    (void)state;
    scratch = tu_mkdtemp();
    return scratch ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tu_rm_rf(scratch);
    free(scratch);
    return 0;
}

static const char *testdata(void)
{
    const char *t = getenv("PF_TESTDATA");
    return t ? t : "testdata";
}

/* The demo (fix on testdata/samples) in Chinese, chosen two ways. */
static void test_demo_in_chinese(void **state)
{
    (void)state;
    const char *ways[] = {"--lang zh", ""};
    const char *envs[] = {C_UTF8, C_UTF8 " LANGUAGE=zh_CN"};
    for (int i = 0; i < 2; i++) {
        int status = tu_runf(&run_out, "%s %s fix %s --force -o '%s/demo' '%s/samples' 2>&1",
                             envs[i], tu_pf_bin(), ways[i], scratch, testdata());
        assert_int_equal(status, 1); /* the grey copy and the PDF fail */
        assert_all_chinese(run_out, ways[i][0] ? "--lang zh" : "LANGUAGE=zh_CN");
        free(run_out);
    }
    /* A zh_CN locale that is not installed still gets Chinese. */
    assert_int_equal(tu_runf(&run_out, "env -u LC_ALL -u LANGUAGE LANG=zh_CN.UTF-8 %s "
                             "check '%s/samples' 2>&1", tu_pf_bin(), testdata()), 1);
    assert_all_chinese(run_out, "LANG=zh_CN.UTF-8");
    free(run_out);
    /* --lang en wins over the environment. */
    assert_int_equal(tu_runf(&run_out, "%s LANGUAGE=zh_CN %s check --lang en '%s/samples' 2>&1",
                             C_UTF8, tu_pf_bin(), testdata()), 1);
    assert_false(has_cjk(strstr(run_out, "photocopy-grey.jpg")));
    assert_non_null(strstr(run_out, "6 files: 2 passed, 0 fixed, 4 failed, 0 errors"));
    free(run_out);
}

static void test_usage_and_help_in_chinese(void **state)
{
    (void)state;
    const char *bad[] = {"check --lang zh --max-bytes x a.jpg", "--lang zh frobnicate",
                         "fix --lang zh a.jpg", "check --lang zh --nope a.jpg",
                         "check --lang zh -p nope a.jpg"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int status = tu_runf(&run_out, "%s %s %s 2>&1", C_UTF8, tu_pf_bin(), bad[i]);
        assert_int_equal(status, 2);
        if (!has_cjk(run_out))
            fail_msg("usage error not in Chinese: preflight %s: %s", bad[i], run_out);
        free(run_out);
    }
    assert_int_equal(tu_runf(&run_out, "%s %s --help --lang zh", C_UTF8, tu_pf_bin()), 0);
    assert_non_null(strstr(run_out, "--lang"));
    assert_true(has_cjk(run_out));
    free(run_out);
    assert_int_equal(tu_runf(&run_out, "%s %s profiles --lang zh", C_UTF8, tu_pf_bin()), 0);
    assert_true(has_cjk(run_out));
    free(run_out);
}

/* JSON is the same document in both languages but for the human text. */
static void test_json_same_in_both_languages(void **state)
{
    (void)state;
    if (!tu_have("python3")) {
        fprintf(stderr, "python3 missing: JSON comparison not run\n");
        return;
    }
    const char *strip =
        "import json,sys\n"
        "def s(o):\n"
        "    if isinstance(o, dict):\n"
        "        return {k: s(v) for k, v in o.items()\n"
        "                if k not in ('message', 'error', 'actions', 'source')}\n"
        "    if isinstance(o, list):\n"
        "        return [s(v) for v in o]\n"
        "    return o\n"
        "a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))\n"
        "assert s(a) == s(b), 'JSON differs beyond messages'\n"
        "ma = [c['message'] for f in a['files'] for c in f['checks']]\n"
        "mb = [c['message'] for f in b['files'] for c in f['checks']]\n"
        "assert ma != mb, 'messages did not change language'\n"
        "print('same')\n";
    char py[512];
    snprintf(py, sizeof py, "%s/strip.py", scratch);
    assert_int_equal(tu_write(py, (const uint8_t *)strip, strlen(strip)), 0);
    tu_runf(NULL, "%s %s check --json --lang en '%s/samples' > '%s/en.json'", C_UTF8,
            tu_pf_bin(), testdata(), scratch);
    tu_runf(NULL, "%s %s check --json --lang zh '%s/samples' > '%s/zh.json'", C_UTF8,
            tu_pf_bin(), testdata(), scratch);
    assert_int_equal(tu_runf(&run_out, "python3 '%s' '%s/en.json' '%s/zh.json' 2>&1", py,
                             scratch, scratch), 0);
    assert_string_equal(run_out, "same\n");
    free(run_out);
    /* The CSV header line is the same too. */
    tu_runf(NULL, "%s %s check --lang zh --csv '%s/zh.csv' '%s/samples' >/dev/null", C_UTF8,
            tu_pf_bin(), scratch, testdata());
    tu_runf(NULL, "%s %s check --lang en --csv '%s/en.csv' '%s/samples' >/dev/null", C_UTF8,
            tu_pf_bin(), scratch, testdata());
    assert_int_equal(tu_runf(NULL, "test \"$(head -n1 '%s/en.csv')\" = "
                             "\"$(head -n1 '%s/zh.csv')\"", scratch, scratch), 0);
}

static void test_html_in_chinese(void **state)
{
    (void)state;
    char html[512];
    snprintf(html, sizeof html, "%s/report.html", scratch);
    tu_runf(NULL, "%s %s check --lang zh --html '%s' '%s/samples' >/dev/null", C_UTF8,
            tu_pf_bin(), html, testdata());
    char *page = tu_read_text(html);
    assert_non_null(page);
    assert_non_null(strstr(page, "<html lang=\"zh-CN\""));
    free(page);
    if (!tu_have("chromium")) {
        fprintf(stderr, "chromium missing: HTML not rendered\n");
        return;
    }
    char *dom = tu_render_html(html, "");
    assert_non_null(dom);
    assert_non_null(strstr(dom, "lang=\"zh-CN\""));
    /* The filter buttons and the column heads are Chinese. */
    const char *button = strstr(dom, "data-filter=\"all\">");
    assert_non_null(button);
    assert_true(has_cjk(button + strlen("data-filter=\"all\">")) &&
                (unsigned char)button[strlen("data-filter=\"all\">")] >= 0xE4);
    const char *head = strstr(dom, "<thead>");
    assert_non_null(head);
    char row[2048];
    snprintf(row, sizeof row, "%.*s", (int)(strstr(head, "</thead>") - head), head);
    assert_true(has_cjk(row));
    free(dom);
}

/* The drop script speaks the language of its environment. */
static void test_drop_script_in_chinese(void **state)
{
    (void)state;
    if (!tu_have("gettext")) {
        fprintf(stderr, "gettext (gettext-base) missing: drop script not run\n");
        return;
    }
    assert_int_equal(tu_runf(NULL, "mkdir -p '%s/dropped' && cp '%s/samples/ready.jpg' "
                             "'%s/dropped/'", scratch, testdata(), scratch), 0);
    tu_runf(&run_out, "cd '%s' && %s LANGUAGE=zh_CN PREFLIGHT='%s' sh '%s/../scripts/"
            "preflight-drop' dropped < /dev/null 2>&1", scratch, C_UTF8, tu_pf_bin(),
            testdata());
    assert_all_chinese(run_out, "preflight-drop");
    free(run_out);
    char desktop[512];
    snprintf(desktop, sizeof desktop, "%s/../scripts/preflight-drop.desktop", testdata());
    char *entry = tu_read_text(desktop);
    assert_non_null(entry);
    assert_non_null(strstr(entry, "\nName[zh_CN]="));
    assert_non_null(strstr(entry, "\nComment[zh_CN]="));
    free(entry);
}

/* A program linking the library gets its messages in its language. */
static void test_library_messages_follow_the_locale(void **state)
{
    (void)state;
    char dir[4096];
    const char *bin = tu_pf_bin(), *slash = strrchr(bin, '/');
    snprintf(dir, sizeof dir, "%.*s/locale", slash ? (int)(slash - bin) : 1,
             slash ? bin : ".");
    assert_int_equal(pf_set_locale_dir(dir), PF_OK);
    assert_non_null(setlocale(LC_ALL, "C.UTF-8"));
    setenv("LANGUAGE", "zh_CN", 1);
    pf_ctx *ctx = pf_ctx_new();
    pf_report *report = calloc(1, sizeof *report);
    uint8_t *rgb = tu_make_rgb(600, 400, TU_PATTERN_GREY, 1), *jpg = NULL;
    size_t len;
    assert_int_equal(tu_jpeg(rgb, 600, 400, 1, 90, 0, NULL, 0, &jpg, &len), 0);
    assert_int_equal(pf_check_buffer(ctx, jpg, len, "g.jpg", report), PF_OK);
    int chinese = 0;
    for (int i = 0; i < report->n_checks; i++) {
        assert_true(strcmp(pf_check_name(report->checks[i].id), "") != 0);
        chinese += has_cjk(report->checks[i].message);
    }
    assert_int_equal(chinese, report->n_checks);
    assert_true(has_cjk(report->message));
    /* Names stay English: they are the machine's. */
    assert_string_equal(pf_check_name(PF_CHECK_MAX_BYTES), "max-bytes");
    assert_string_equal(pf_check_status_name(PF_FAIL), "fail");
    /* (English from the same library: test_demo_in_chinese's --lang en.
     * libintl caches lookups per locale, not per LANGUAGE, so one process
     * keeps the language it started with.) */
    unsetenv("LANGUAGE");
    setlocale(LC_ALL, "C");
    free(rgb);
    free(jpg);
    free(report);
    pf_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_in_chinese),
        cmocka_unit_test(test_usage_and_help_in_chinese),
        cmocka_unit_test(test_json_same_in_both_languages),
        cmocka_unit_test(test_html_in_chinese),
        cmocka_unit_test(test_drop_script_in_chinese),
        cmocka_unit_test(test_library_messages_follow_the_locale),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
