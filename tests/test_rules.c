/* Profiles, size parsing and each rule at and around its limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "internal.h"

static void test_parse_size_units(void **state)
{
    (void)state;
    uint64_t b = 0;
    assert_int_equal(pf_parse_size("200000", &b), PF_OK);
    assert_int_equal(b, 200000);
    assert_int_equal(pf_parse_size("200KB", &b), PF_OK);
    assert_int_equal(b, 200000);
    assert_int_equal(pf_parse_size("200K", &b), PF_OK);
    assert_int_equal(b, 200000);
    assert_int_equal(pf_parse_size("200KiB", &b), PF_OK);
    assert_int_equal(b, 204800);
    assert_int_equal(pf_parse_size("200kib", &b), PF_OK);
    assert_int_equal(b, 204800);
    assert_int_equal(pf_parse_size("2MB", &b), PF_OK);
    assert_int_equal(b, 2000000);
    assert_int_equal(pf_parse_size("2MiB", &b), PF_OK);
    assert_int_equal(b, 2097152);
    assert_int_equal(pf_parse_size("1.5MB", &b), PF_OK);
    assert_int_equal(b, 1500000);
    assert_int_equal(pf_parse_size("100B", &b), PF_OK);
    assert_int_equal(b, 100);
}

static void test_parse_size_rejects(void **state)
{
    (void)state;
    uint64_t b = 7;
    const char *bad[] = {"", "KB", "-5", "12XB", "1.5", "0.1B", "200 K B", "abc",
                         "99999999999999999999GB"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(pf_parse_size(bad[i], &b), PF_ERR_INVALID_ARG);
    assert_int_equal(b, 7);
}

static void test_parse_dims(void **state)
{
    (void)state;
    uint32_t w, h;
    assert_int_equal(pf_parse_dims("1500x1100", &w, &h), PF_OK);
    assert_int_equal(w, 1500);
    assert_int_equal(h, 1100);
    assert_int_equal(pf_parse_dims("720X1280", &w, &h), PF_OK);
    assert_int_equal(w, 720);
    assert_int_equal(pf_parse_dims("1280\xC3\x97" "720", &w, &h), PF_OK);
    assert_int_equal(h, 720);
    assert_int_equal(pf_parse_dims("1500", &w, &h), PF_ERR_INVALID_ARG);
    assert_int_equal(pf_parse_dims("1500x", &w, &h), PF_ERR_INVALID_ARG);
    assert_int_equal(pf_parse_dims("x1100", &w, &h), PF_ERR_INVALID_ARG);
    assert_int_equal(pf_parse_dims("1500x1100px", &w, &h), PF_ERR_INVALID_ARG);
}

static void test_profiles(void **state)
{
    (void)state;
    pf_rules r;
    assert_int_equal(pf_profile_rules("wechat", &r), PF_OK);
    assert_int_equal(r.max_bytes, 200000);
    assert_int_equal(r.min_bytes, 0);
    assert_int_equal(r.min_long, 1500);
    assert_int_equal(r.min_short, 1100);
    assert_true(r.require_color);
    /* "100K" as a minimum: the safe side is 100 x 1024. */
    assert_int_equal(pf_profile_rules("alipay-license", &r), PF_OK);
    assert_int_equal(r.min_bytes, 102400);
    assert_int_equal(r.max_bytes, 2000000);
    assert_int_equal(r.min_long, 1500);
    assert_int_equal(pf_profile_rules("alipay-idcard", &r), PF_OK);
    assert_int_equal(r.min_long, 1280);
    assert_int_equal(r.min_short, 720);
    assert_int_equal(pf_profile_rules("nope", &r), PF_ERR_INVALID_ARG);
    assert_string_equal(pf_profile_name(0), "wechat");
    /* Every built-in names where its figures are stated. */
    for (size_t i = 0; pf_profile_name(i); i++) {
        const char *name = pf_profile_name(i);
        assert_int_equal(pf_profile_rules(name, &r), PF_OK);
        assert_non_null(strstr(r.source, "(read 2026-11-30)"));
    }
}

static pf_image_info good_info(void)
{
    pf_image_info in;
    memset(&in, 0, sizeof in);
    in.format = PF_FORMAT_JPEG;
    in.bytes = 150000;
    in.width = 1500, in.height = 1100;
    in.color_share = 20;
    in.mean_chroma = 30;
    return in;
}

static const pf_check *find(const pf_report *r, pf_check_id id)
{
    for (int i = 0; i < r->n_checks; i++)
        if (r->checks[i].id == id)
            return &r->checks[i];
    return NULL;
}

static pf_check_status status_of(const pf_rules *rules, const pf_image_info *in,
                                 pf_check_id id)
{
    static pf_report r;
    memset(&r, 0, sizeof r);
    pf_rules_evaluate(rules, in, &r);
    const pf_check *c = find(&r, id);
    assert_non_null(c);
    return c->status;
}

/* Each built-in profile's figures, checked at and around its limits. */
static void test_builtin_limits(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint64_t min_bytes, max_bytes;
        uint32_t min_long, min_short, max_long, max_short;
    } want[] = {
        {"wechat", 0, 200000, 1500, 1100, 0, 0},
        {"alipay-license", 102400, 2000000, 1500, 1100, 0, 0},
        {"alipay-idcard", 102400, 2000000, 1280, 720, 0, 0},
        {"face", 0, 200000, 0, 0, 0, 0},
        {"tencent", 204800, 8000000, 0, 0, 0, 0},
        {"aliyun", 0, 4000000, 0, 0, 0, 0},
        {"huawei", 0, 4000000, 0, 0, 0, 0},
        {"volcengine", 0, 5000000, 500, 300, 5000, 5000},
    };
    size_t n_builtin = 0;
    while (pf_profile_name(n_builtin))
        n_builtin++;
    assert_int_equal(n_builtin, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        pf_rules r;
        assert_int_equal(pf_profile_rules(want[i].name, &r), PF_OK);
        assert_int_equal(r.min_bytes, want[i].min_bytes);
        assert_int_equal(r.max_bytes, want[i].max_bytes);
        assert_int_equal(r.min_long, want[i].min_long);
        assert_int_equal(r.min_short, want[i].min_short);
        assert_int_equal(r.max_long, want[i].max_long);
        assert_int_equal(r.max_short, want[i].max_short);
        pf_image_info in = good_info();
        in.width = want[i].min_long ? want[i].min_long : 1600;
        in.height = want[i].min_short ? want[i].min_short : 1200;
        if (r.max_bytes) {
            in.bytes = r.max_bytes;
            assert_int_equal(status_of(&r, &in, PF_CHECK_MAX_BYTES), PF_PASS);
            in.bytes = r.max_bytes + 1;
            assert_int_equal(status_of(&r, &in, PF_CHECK_MAX_BYTES), PF_FAIL);
        }
        if (r.min_bytes) {
            in.bytes = r.min_bytes;
            assert_int_equal(status_of(&r, &in, PF_CHECK_MIN_BYTES), PF_PASS);
            in.bytes = r.min_bytes - 1;
            assert_int_equal(status_of(&r, &in, PF_CHECK_MIN_BYTES), PF_FAIL);
        }
        in.bytes = r.min_bytes ? r.min_bytes : 1000;
        if (r.min_long) {
            in.width = r.min_short, in.height = r.min_long;  /* portrait */
            assert_int_equal(status_of(&r, &in, PF_CHECK_MIN_SIZE), PF_PASS);
            in.height = r.min_long - 1;
            assert_int_equal(status_of(&r, &in, PF_CHECK_MIN_SIZE), PF_FAIL);
        }
        if (r.max_long) {
            in.width = r.max_long, in.height = r.max_short;
            assert_int_equal(status_of(&r, &in, PF_CHECK_MAX_SIZE), PF_PASS);
            in.width = r.max_long + 1;
            assert_int_equal(status_of(&r, &in, PF_CHECK_MAX_SIZE), PF_FAIL);
            in.width = r.max_short, in.height = r.max_long + 1;
            assert_int_equal(status_of(&r, &in, PF_CHECK_MAX_SIZE), PF_FAIL);
        } else {
            pf_report rep;
            memset(&rep, 0, sizeof rep);
            pf_rules_evaluate(&r, &in, &rep);
            assert_null(find(&rep, PF_CHECK_MAX_SIZE));
        }
    }
}

static void test_max_bytes_at_limit(void **state)
{
    (void)state;
    pf_rules rules;
    pf_profile_rules("wechat", &rules);
    pf_image_info in = good_info();
    in.bytes = 200000;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_MAX_BYTES), PF_PASS);
    in.bytes = 200001;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_MAX_BYTES), PF_FAIL);
    pf_report r;
    memset(&r, 0, sizeof r);
    in.bytes = 1482113;
    pf_rules_evaluate(&rules, &in, &r);
    const pf_check *c = find(&r, PF_CHECK_MAX_BYTES);
    assert_string_equal(c->message, "size 1,482,113 B > 200,000 B");
    assert_string_equal(c->value, "1482113");
    assert_string_equal(c->limit, "200000");
    assert_true(c->numeric);
}

static void test_min_bytes_at_limit(void **state)
{
    (void)state;
    pf_rules rules;
    pf_profile_rules("alipay-idcard", &rules);
    pf_image_info in = good_info();
    in.bytes = 102400;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_MIN_BYTES), PF_PASS);
    in.bytes = 102399;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_MIN_BYTES), PF_FAIL);
    in.bytes = 2000001;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_MAX_BYTES), PF_FAIL);
}

static void test_min_size_either_orientation(void **state)
{
    (void)state;
    pf_rules rules;
    pf_profile_rules("wechat", &rules);
    pf_image_info in = good_info();
    assert_int_equal(status_of(&rules, &in, PF_CHECK_MIN_SIZE), PF_PASS);
    in.width = 1100, in.height = 1500;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_MIN_SIZE), PF_PASS);
    in.width = 1499, in.height = 1100;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_MIN_SIZE), PF_FAIL);
    in.width = 1500, in.height = 1099;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_MIN_SIZE), PF_FAIL);
    in.width = 1099, in.height = 4000;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_MIN_SIZE), PF_FAIL);
    pf_profile_rules("alipay-idcard", &rules);
    in.width = 720, in.height = 1280;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_MIN_SIZE), PF_PASS);
    in.width = 1279, in.height = 720;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_MIN_SIZE), PF_FAIL);
}

static void test_color_rule(void **state)
{
    (void)state;
    pf_rules rules;
    pf_profile_rules("wechat", &rules);
    pf_image_info in = good_info();
    in.color_share = PF_MIN_COLOR_SHARE;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_COLOR), PF_PASS);
    in.color_share = PF_MIN_COLOR_SHARE - 0.01;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_COLOR), PF_FAIL);
    in.color_share = 50;
    in.source_grey = 1;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_COLOR), PF_FAIL);
    rules.require_color = 0;
    pf_report r;
    memset(&r, 0, sizeof r);
    pf_rules_evaluate(&rules, &in, &r);
    assert_null(find(&r, PF_CHECK_COLOR));
}

static void test_orientation_rule(void **state)
{
    (void)state;
    pf_rules rules;
    pf_profile_rules("wechat", &rules);
    pf_image_info in = good_info();
    assert_int_equal(status_of(&rules, &in, PF_CHECK_ORIENTATION), PF_PASS);
    in.exif_orientation = 6;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_ORIENTATION), PF_WARN);
    in.exif_orientation = 1;
    rules.orientation = PF_ORIENT_PORTRAIT;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_ORIENTATION), PF_FAIL);
    in.width = 1100, in.height = 1500;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_ORIENTATION), PF_PASS);
    rules.orientation = PF_ORIENT_LANDSCAPE;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_ORIENTATION), PF_FAIL);
}

static void test_format_and_transparency(void **state)
{
    (void)state;
    pf_rules rules;
    pf_profile_rules("wechat", &rules);
    pf_image_info in = good_info();
    in.has_alpha = 1;
    in.format = PF_FORMAT_PNG;
    assert_int_equal(status_of(&rules, &in, PF_CHECK_TRANSPARENCY), PF_WARN);
    assert_int_equal(status_of(&rules, &in, PF_CHECK_FORMAT), PF_PASS);
    in.format = PF_FORMAT_HEIF; /* decoded: judged as any picture, fix converts it */
    pf_report r;
    memset(&r, 0, sizeof r);
    pf_rules_evaluate(&rules, &in, &r);
    assert_int_equal(find(&r, PF_CHECK_FORMAT)->status, PF_FAIL);
    assert_string_equal(find(&r, PF_CHECK_FORMAT)->value, "heic");
    assert_non_null(strstr(find(&r, PF_CHECK_FORMAT)->message,
                           "HEIC is not accepted by the filing portals; 'preflight fix' "
                           "converts it to JPEG"));
    assert_non_null(find(&r, PF_CHECK_MIN_SIZE));
    in.format = PF_FORMAT_AVIF; /* no decoder: named, never measured */
    memset(&r, 0, sizeof r);
    pf_rules_evaluate(&rules, &in, &r);
    assert_int_equal(find(&r, PF_CHECK_FORMAT)->status, PF_FAIL);
    assert_string_equal(find(&r, PF_CHECK_FORMAT)->value, "avif");
    assert_null(find(&r, PF_CHECK_MIN_SIZE));
}

static void test_fit_dims(void **state)
{
    (void)state;
    uint32_t w, h;
    pf_fit_dims(4000, 3000, 1500, 1100, &w, &h);
    assert_int_equal(w, 1500);
    assert_int_equal(h, 1125);
    pf_fit_dims(3000, 4000, 1500, 1100, &w, &h);
    assert_int_equal(w, 1125);
    assert_int_equal(h, 1500);
    /* Wide: the short side decides. */
    pf_fit_dims(4000, 2000, 1500, 1100, &w, &h);
    assert_int_equal(w, 2200);
    assert_int_equal(h, 1100);
    /* Upscale from a small scan. */
    pf_fit_dims(1200, 900, 1500, 1100, &w, &h);
    assert_int_equal(w, 1500);
    assert_int_equal(h, 1125);
    /* Never below by rounding, for many aspect ratios. */
    for (uint32_t a = 1000; a < 5000; a += 37) {
        for (uint32_t b = 700; b < 5000; b += 211) {
            pf_fit_dims(a, b, 1500, 1100, &w, &h);
            uint32_t l = w > h ? w : h, s = w > h ? h : w;
            assert_true(l >= 1500 && s >= 1100);
            /* minimal: one pixel less on the pinned side would fail */
            assert_true(l == 1500 || s == 1100);
            assert_true(a > b ? w >= h : w <= h); /* never flips */
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_size_units),
        cmocka_unit_test(test_parse_size_rejects),
        cmocka_unit_test(test_parse_dims),
        cmocka_unit_test(test_profiles),
        cmocka_unit_test(test_builtin_limits),
        cmocka_unit_test(test_max_bytes_at_limit),
        cmocka_unit_test(test_min_bytes_at_limit),
        cmocka_unit_test(test_min_size_either_orientation),
        cmocka_unit_test(test_color_rule),
        cmocka_unit_test(test_orientation_rule),
        cmocka_unit_test(test_format_and_transparency),
        cmocka_unit_test(test_fit_dims),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
