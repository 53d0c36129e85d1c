/* An agency's own profiles: the rules files' parser (every key, bases,
 * errors with their line), the precedence of --rules over the user's and
 * the system's files, and `preflight profiles`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preflight.h"
#include "testutil.h"

static pf_profiles *load(const char *text, pf_status want)
{
    pf_profiles *set = pf_profiles_new();
    assert_non_null(set);
    pf_status st = pf_profiles_load_text(set, text, strlen(text), "agency.ini");
    if (st != want)
        fail_msg("load: %d, wanted %d (%s)", st, want, pf_profiles_error(set));
    return set;
}

/* The first error, as the user sees it. */
static void expect_error(const char *text, const char *message)
{
    pf_profiles *set = load(text, PF_ERR_RULES);
    if (!strstr(pf_profiles_error(set), message))
        fail_msg("error '%s' lacks '%s'", pf_profiles_error(set), message);
    /* Nothing of a bad file is taken. */
    assert_int_equal(pf_profiles_count(set), 8);
    pf_profiles_free(set);
}

static void test_builtins_listed(void **state)
{
    (void)state;
    pf_profiles *set = pf_profiles_new();
    size_t n = 0;
    for (; pf_profile_name(n); n++) {
        const pf_profile *p = pf_profiles_get(set, n);
        assert_string_equal(p->rules.name, pf_profile_name(n));
        assert_string_equal(p->origin, "built-in");
        assert_true(p->title[0] && p->stated[0] && p->rules.source[0]);
    }
    assert_int_equal(pf_profiles_count(set), n);
    assert_null(pf_profiles_find(set, "agency"));
    pf_profiles_free(set);
}

/* The example, and every key a flag can set. */
static void test_every_key(void **state)
{
    (void)state;
    pf_profiles *set = load(
        "\xEF\xBB\xBF; an agency's checklist\r\n"
        "[agency-licence]\r\n"
        "base = wechat          ; start from a profile, then override\r\n"
        "max-bytes = 500KB\r\n"
        "min-bytes = 50KB\r\n"
        "min-size = 1024x768\r\n"
        "max-size = 5000x5000\r\n"
        "color = yes\r\n"
        "\r\n"
        "[all]\n"
        "title = 代理机构: 全部\n"
        "source = checklist v3\n"
        "orientation = portrait\n"
        "color = no\n"
        "formats = jpg, png\n"
        "check = sharpness glare, white-background\n"
        "skip = glare\n"
        "min-sharpness = 25\n"
        "max-glare = 0.03,0.02\n"
        "min-brightness = 80,100\n"
        "max-washout = 170\n"
        "min-fill = 0.4\n"
        "min-face-size = 0.1,0.2\n"
        "white-threshold = 0.85\n"
        "white-level = 225\n"
        "white-spread = 20\n"
        "fix-max-side = 1800\n"
        "# a comment\n", PF_OK);
    assert_int_equal(pf_profiles_count(set), 10);
    const pf_profile *a = pf_profiles_find(set, "agency-licence");
    assert_non_null(a);
    assert_int_equal(a->rules.max_bytes, 500000);
    assert_int_equal(a->rules.min_bytes, 50000);
    assert_int_equal(a->rules.min_long, 1024);
    assert_int_equal(a->rules.min_short, 768);
    assert_int_equal(a->rules.max_long, 5000);
    assert_int_equal(a->rules.image_checks, PF_RULE_DOCUMENT_ALL); /* wechat's */
    assert_string_equal(a->base, "wechat");
    assert_int_equal(a->line, 2);
    assert_non_null(strstr(a->rules.source, "agency.ini:2"));
    assert_non_null(strstr(a->rules.source, "the rest from wechat"));
    const pf_profile *b = pf_profiles_find(set, "all");
    const pf_rules *r = &b->rules;
    assert_string_equal(b->title, "代理机构: 全部");
    assert_string_equal(b->base, "");
    assert_string_equal(r->source, "agency.ini:10 (checklist v3)");
    assert_int_equal(r->orientation, PF_ORIENT_PORTRAIT);
    assert_int_equal(r->require_color, 0);
    assert_int_equal(r->accepted_formats, (1u << PF_FORMAT_JPEG) | (1u << PF_FORMAT_PNG));
    assert_int_equal(r->image_checks, PF_RULE_SHARPNESS);
    assert_int_equal(r->white_background, 1);
    assert_true(r->min_sharpness == 25 && r->warn_sharpness == 37.5);
    assert_true(r->max_glare == 0.03 && r->warn_glare == 0.02);
    assert_true(r->min_brightness == 80 && r->warn_brightness == 100);
    assert_true(r->max_washout == 170);
    assert_true(r->min_fill == 0.4);
    assert_true(r->min_face_size == 0.1 && r->warn_face_size == 0.2);
    assert_true(r->white_min_share == 0.85);
    assert_int_equal(r->white_level, 225);
    assert_int_equal(r->white_spread, 20);
    assert_int_equal(r->fix_max_long, 1800);
    /* Every key pf_rules_set knows is a key of the file (and was used). */
    size_t n = 0;
    while (pf_rule_key(n))
        n++;
    assert_int_equal(n, 20);
    pf_profiles_free(set);
}

static void test_bases_and_replacing(void **state)
{
    (void)state;
    pf_profiles *set = load("[wechat]\nmax-bytes = 150KB\n"
                            "[mine]\nbase = wechat\nmin-bytes = 10KB\n"
                            "[strict]\nbase = mine\nmin-size = 2000x1500\n",
                            PF_OK);
    /* A section named as a built-in replaces it, starting from it. */
    assert_int_equal(pf_profiles_count(set), 10);
    const pf_profile *w = pf_profiles_find(set, "wechat");
    assert_int_equal(w->rules.max_bytes, 150000);
    assert_int_equal(w->rules.min_long, 1500);
    assert_string_equal(w->origin, "agency.ini");
    /* A base is the profile as it stands at that point: the new wechat. */
    const pf_profile *s = pf_profiles_find(set, "strict");
    assert_int_equal(s->rules.max_bytes, 150000);
    assert_int_equal(s->rules.min_bytes, 10000);
    assert_int_equal(s->rules.min_long, 2000);
    /* A later file replaces a profile of an earlier one. */
    assert_int_equal(pf_profiles_load_text(set, "[strict]\nmax-bytes = 1MB\n", 23,
                                           "later.ini"), PF_OK);
    s = pf_profiles_find(set, "strict");
    assert_int_equal(s->rules.max_bytes, 1000000);
    assert_int_equal(s->rules.min_long, 2000); /* from the strict it replaces */
    assert_string_equal(s->origin, "later.ini");
    assert_int_equal(pf_profiles_count(set), 10);
    pf_profiles_free(set);
}

static void test_errors_name_the_line(void **state)
{
    (void)state;
    expect_error("[x]\nmax-bytes = 5QB\n",
                 "agency.ini:2: max-bytes = 5QB: expected a size such as 200000");
    expect_error("[x]\n\n; fine\nmax-byts = 5KB\n",
                 "agency.ini:4: unknown key 'max-byts' in [x] (keys: base, title");
    expect_error("[x]\nbase = nope\n", "agency.ini:2: [x]: base 'nope' is not a profile");
    expect_error("max-bytes = 5KB\n", "agency.ini:1: 'max-bytes' is outside a [profile]");
    expect_error("[x]\nmax-bytes = 5KB\nnot a pair\n",
                 "agency.ini:3: expected 'key = value', '[profile]' or a comment");
    expect_error("[x]\nmin-bytes = 5MB\nmax-bytes = 1MB\n",
                 "agency.ini:1: [x]: min-bytes is over max-bytes");
    expect_error("[x]\nmin-size = 800x600\nmax-size = 640x480\n",
                 "agency.ini:1: [x]: min-size is over max-size");
    expect_error("[x]\nmax-bytes = 1MB\n[y]\n[x]\n",
                 "agency.ini:4: profile [x] is defined twice (also on line 1)");
    expect_error("[x]\nmax-bytes = 1MB\nmax-bytes = 2MB\n",
                 "agency.ini:3: 'max-bytes' is set twice in [x] (also on line 2)");
    expect_error("[a b]\n", "agency.ini:1: '[a b]' is not a profile name");
    expect_error("[x]\norientation = sideways\n",
                 "agency.ini:2: orientation = sideways: expected any, landscape");
    expect_error("[x]\ncolor = maybe\n", "agency.ini:2: color = maybe: expected yes or no");
    expect_error("[x]\ncheck = focus\n", "agency.ini:2: check = focus: expected rule names");
    expect_error("[x]\nmax-glare = 0.01,0.02\n", "agency.ini:2: max-glare = 0.01,0.02");
    expect_error("[x]\nformats = gifs\n", "agency.ini:2: formats = gifs");
    char longline[400];
    snprintf(longline, sizeof longline, "[x]\ntitle = %0300d\n", 7);
    expect_error(longline, "agency.ini:2: line longer than");
    pf_profiles *set = pf_profiles_new();
    assert_int_equal(pf_profiles_load_text(set, "[x]\n\0max-bytes=1\n", 17, "nul.ini"),
                     PF_ERR_RULES);
    assert_non_null(strstr(pf_profiles_error(set), "nul.ini:2: a NUL byte"));
    assert_int_equal(pf_profiles_load_file(set, "/nonexistent/rules.ini"), PF_ERR_IO);
    assert_non_null(strstr(pf_profiles_error(set), "/nonexistent/rules.ini: cannot read"));
    pf_profiles_free(set);
}

/* ---- the command line ---- */

static char *dir;

static void write_rules(const char *path, const char *text)
{
    assert_int_equal(tu_write(path, (const uint8_t *)text, strlen(text)), 0);
}

/* `profiles --json` for one profile's max_bytes, with the system file, the
 * user's and --rules as given. */
static long max_bytes_of(const char *env, const char *extra)
{
    char *out = NULL;
    int status = tu_runf(&out, "%s %s profiles --json %s", env, tu_pf_bin(), extra);
    assert_int_equal(status, 0);
    const char *p = strstr(out, "{\"name\":\"p\"");
    long v = -1;
    if (p && (p = strstr(p, "\"max_bytes\":")))
        v = strtol(p + 12, NULL, 10);
    free(out);
    return v;
}

static void test_precedence(void **state)
{
    (void)state;
    char path[512], env[1024];
    dir = tu_mkdtemp();
    snprintf(path, sizeof path, "mkdir -p %s/etc/preflight %s/xdg/preflight", dir, dir);
    assert_int_equal(tu_run(path, NULL), 0);
    snprintf(path, sizeof path, "%s/etc/preflight/profiles.ini", dir);
    write_rules(path, "[p]\nmax-bytes = 1KB\n");
    snprintf(path, sizeof path, "%s/xdg/preflight/profiles.ini", dir);
    write_rules(path, "[p]\nmax-bytes = 2KB\n");
    snprintf(path, sizeof path, "%s/cli.ini", dir);
    write_rules(path, "[p]\nmax-bytes = 3KB\n");
    snprintf(env, sizeof env, "PREFLIGHT_SYSCONFDIR=%s/etc XDG_CONFIG_HOME=%s/xdg",
             dir, dir);
    snprintf(path, sizeof path, "--rules %s/cli.ini", dir);
    assert_int_equal(max_bytes_of(env, path), 3000);  /* --rules wins */
    assert_int_equal(max_bytes_of(env, ""), 2000);    /* then the user's */
    snprintf(env, sizeof env, "PREFLIGHT_SYSCONFDIR=%s/etc XDG_CONFIG_HOME=%s/none",
             dir, dir);
    assert_int_equal(max_bytes_of(env, ""), 1000);    /* then the system's */
    tu_rm_rf(dir);
    free(dir);
}

static void test_cli_rules(void **state)
{
    (void)state;
    char path[512], *out = NULL;
    dir = tu_mkdtemp();
    /* A profile from --rules drives check, and the report says where its
     * limits come from. */
    snprintf(path, sizeof path, "%s/a.ini", dir);
    write_rules(path, "[agency]\nbase = tencent\nmin-bytes = 1KB\n");
    uint8_t *rgb = tu_make_rgb(300, 200, TU_PATTERN_COLOR, 3), *jpg = NULL;
    size_t len;
    assert_int_equal(tu_jpeg(rgb, 300, 200, 3, 90, 0, NULL, 0, &jpg, &len), 0);
    char img[512];
    snprintf(img, sizeof img, "%s/x.jpg", dir);
    assert_int_equal(tu_write(img, jpg, len), 0);
    int status = tu_runf(&out, "XDG_CONFIG_HOME=%s %s check --json -p agency "
                         "--rules %s --skip document --skip sharpness %s", dir,
                         tu_pf_bin(), path, img);
    assert_int_equal(status, 0);
    assert_non_null(strstr(out, "\"profile\":\"agency\""));
    assert_non_null(strstr(out, "\"min_bytes\":1000"));
    assert_non_null(strstr(out, "a.ini:1; the rest from tencent: https://github.com/tencentyun"));
    assert_non_null(strstr(out, "changed on the command line: --skip document --skip sharpness"));
    free(out);
    /* The text report ends with the same. */
    status = tu_runf(&out, "XDG_CONFIG_HOME=%s %s check -p tencent --max-bytes 1MB %s",
                     dir, tu_pf_bin(), img);
    assert_non_null(strstr(out, "Rules: profile tencent, from https://github.com/"));
    assert_non_null(strstr(out, "changed on the command line: --max-bytes 1MB\n"));
    free(out);
    /* So does the HTML report's header. */
    char html[512];
    snprintf(html, sizeof html, "%s/r.html", dir);
    tu_runf(&out, "%s check -p volcengine --html %s %s", tu_pf_bin(), html, img);
    free(out);
    out = tu_read_text(html);
    assert_non_null(out);
    assert_non_null(strstr(out, "<p id=\"source\">Rules from "
                                "https://www.volcengine.com/docs/6428/79355"));
    free(out);
    /* A bad file is a usage error naming the file and the line. */
    snprintf(path, sizeof path, "%s/bad.ini", dir);
    write_rules(path, "[agency]\nbase = tencent\nsize = 1KB\n");
    status = tu_runf(&out, "%s check -p agency --rules %s %s 2>&1", tu_pf_bin(), path,
                     img);
    assert_int_equal(status, 2);
    assert_non_null(strstr(out, "bad.ini:3: unknown key 'size' in [agency]"));
    free(out);
    status = tu_runf(&out, "%s profiles --rules %s/missing.ini 2>&1", tu_pf_bin(), dir);
    assert_int_equal(status, 2);
    assert_non_null(strstr(out, "missing.ini: cannot read it"));
    free(out);
    /* An unknown profile lists the ones there are; a bad flag names itself. */
    status = tu_runf(&out, "%s check -p nope %s 2>&1", tu_pf_bin(), img);
    assert_int_equal(status, 2);
    assert_non_null(strstr(out, "unknown profile 'nope'"));
    assert_non_null(strstr(out, "volcengine"));
    free(out);
    status = tu_runf(&out, "%s check --max-size 12 %s 2>&1", tu_pf_bin(), img);
    assert_int_equal(status, 2);
    assert_non_null(strstr(out, "invalid --max-size '12': expected dimensions"));
    free(out);
    status = tu_runf(&out, "%s check --min-bytes 3MB --max-bytes 1MB %s 2>&1",
                     tu_pf_bin(), img);
    assert_int_equal(status, 2);
    assert_non_null(strstr(out, "min-bytes is over max-bytes"));
    free(out);
    free(rgb);
    free(jpg);
    tu_rm_rf(dir);
    free(dir);
}

/* Every built-in in one line with its source, text and JSON. */
static void test_profiles_command(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(tu_runf(&out, "%s profiles", tu_pf_bin()), 0);
    for (size_t i = 0; pf_profile_name(i); i++) {
        const char *name = pf_profile_name(i);
        char line[64];
        snprintf(line, sizeof line, "\n%-15s ", name);
        if (!strstr(out, line) && strncmp(out, line + 1, strlen(line) - 1) != 0)
            fail_msg("no line for %s", name);
    }
    assert_int_equal(tu_count(out, "    source: "), 8);
    assert_non_null(strstr(out, "tencent         204,800\xE2\x80\x93" "8,000,000 B"));
    assert_non_null(strstr(out, "https://www.volcengine.com/docs/6428/79355"));
    assert_non_null(strstr(out, "a minimum of 200 KB as 204,800 B"));
    free(out);
    assert_int_equal(tu_runf(&out, "%s profiles --json", tu_pf_bin()), 0);
    assert_int_equal(tu_count(out, "\"origin\":\"built-in\""), 8);
    assert_non_null(strstr(out, "\"name\":\"volcengine\""));
    assert_non_null(strstr(out, "\"max_long\":5000,\"max_short\":5000"));
    if (tu_have("python3")) {
        char *check = NULL;
        assert_int_equal(tu_runf(&check, "%s profiles --json | python3 -c 'import json,"
                                 "sys; d=json.load(sys.stdin); print(len(d[\"profiles\"]))'",
                                 tu_pf_bin()), 0);
        assert_string_equal(check, "8\n");
        free(check);
    }
    free(out);
    assert_int_equal(tu_runf(&out, "%s profiles extra 2>&1", tu_pf_bin()), 2);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtins_listed),
        cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_bases_and_replacing),
        cmocka_unit_test(test_errors_name_the_line),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_cli_rules),
        cmocka_unit_test(test_profiles_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
