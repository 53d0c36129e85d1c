/* fix meets every limit honestly: a minimum file size reached by quality,
 * then full chroma, then more of the original's pixels, never by padding;
 * a maximum resolution by shrinking, keeping the minimum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pipeline.h"
#include "preflight.h"
#include "testutil.h"

static pf_report report; /* large: keep it off the stack */

/* A built-in profile without the document checks (generated waves are no
 * documents; test_checks covers those), plus key = value changes. */
static pf_ctx *ctx_for(const char *profile, const char *key, const char *value)
{
    pf_ctx *ctx = pf_ctx_new();
    pf_rules r;
    assert_int_equal(pf_profile_rules(profile, &r), PF_OK);
    r.image_checks = 0;
    if (key)
        assert_int_equal(pf_rules_set(&r, key, value, NULL, 0), PF_OK);
    assert_int_equal(pf_ctx_set_rules(ctx, &r), PF_OK);
    return ctx;
}

static uint8_t *jpeg_of(uint32_t w, uint32_t h, enum tu_pattern p, int quality,
                        size_t *len)
{
    uint8_t *rgb = tu_make_rgb(w, h, p, 1), *jpg = NULL;
    assert_int_equal(tu_jpeg(rgb, w, h, 3, quality, 0, NULL, 0, &jpg, len), 0);
    free(rgb);
    return jpg;
}

static int has_action(const char *text)
{
    for (int i = 0; i < report.n_actions; i++)
        if (strstr(report.actions[i], text))
            return 1;
    return 0;
}

/* The file is one JPEG and nothing else: SOI, only the segments an
 * encoder writes (JFIF, tables, frame, scans), EOI as its last two bytes.
 * Padding would show as bytes after EOI, a COM, or some other APPn. */
static void assert_plain_jpeg(const uint8_t *d, size_t len)
{
    assert_true(len > 4 && d[0] == 0xFF && d[1] == 0xD8);
    assert_true(d[len - 2] == 0xFF && d[len - 1] == 0xD9);
    size_t i = 2;
    while (i + 4 <= len) {
        assert_int_equal(d[i], 0xFF);
        uint8_t m = d[i + 1];
        size_t seg = ((size_t)d[i + 2] << 8) | d[i + 3];
        assert_true(m == 0xE0 || m == 0xDB || m == 0xC0 || m == 0xC2 ||
                    m == 0xC4 || m == 0xDD || m == 0xDA);
        if (m == 0xDA)
            break; /* entropy-coded data follows */
        i += 2 + seg;
    }
    /* No second image or trailer hidden inside: one EOI, at the end. */
    size_t eoi = 0;
    for (size_t k = 0; k + 1 < len; k++)
        eoi += d[k] == 0xFF && d[k + 1] == 0xD9;
    assert_int_equal(eoi, 1);
}

/* A smooth 1200x900 photo saved small: under Tencent's 204,800 B floor,
 * which fix reaches by raising the quality, at its own size. */
static void test_tencent_floor_by_quality(void **state)
{
    (void)state;
    pf_ctx *ctx = ctx_for("tencent", NULL, NULL);
    size_t len, out_len = 0;
    uint8_t *out = NULL;
    uint8_t *jpg = jpeg_of(1200, 900, TU_PATTERN_SMOOTH, 95, &len);
    assert_true(len < 204800);
    assert_int_equal(pf_check_buffer(ctx, jpg, len, "s.jpg", &report), PF_OK);
    assert_int_equal(report.status, PF_FILE_FAIL);
    assert_int_equal(pf_fix_buffer(ctx, jpg, len, "s.jpg", &out, &out_len, NULL,
                                   &report), PF_OK);
    assert_int_equal(report.status, PF_FILE_FIXED);
    assert_true(out_len >= 204800 && out_len <= 8000000);
    assert_true(report.quality > 95);
    assert_int_equal(report.output.width, 1200);
    assert_int_equal(report.output.height, 900);
    assert_plain_jpeg(out, out_len);
    free(out);
    free(jpg);
    pf_ctx_free(ctx);
}

/* 900x675: quality 100 at 4:2:0 is not enough; full chroma is. */
static void test_tencent_floor_by_full_chroma(void **state)
{
    (void)state;
    pf_ctx *ctx = ctx_for("tencent", NULL, NULL);
    size_t len, out_len = 0, top_len = 0;
    uint8_t *out = NULL, *top = NULL;
    char err[PF_ERR_LEN];
    pf_decoded dec;
    uint8_t *jpg = jpeg_of(900, 675, TU_PATTERN_SMOOTH, 95, &len);
    /* The pixels fix starts from, at the top quality with halved chroma. */
    assert_int_equal(pf_jpeg_decode(jpg, len, 1u << 30, 8, &dec, err), PF_OK);
    assert_int_equal(pf_jpeg_encode_chroma(&dec.bmp, 100, 0, &top, &top_len, err),
                     PF_OK);
    assert_true(top_len < 204800);
    free(top);
    pf_decoded_free(&dec);
    assert_int_equal(pf_fix_buffer(ctx, jpg, len, "c.jpg", &out, &out_len, NULL,
                                   &report), PF_OK);
    assert_true(out_len >= 204800);
    assert_int_equal(tu_luma_sampling(out, out_len), 0x11);
    assert_true(has_action("4:4:4"));
    assert_int_equal(report.output.width, 900);
    assert_plain_jpeg(out, out_len);
    free(out);
    free(jpg);
    pf_ctx_free(ctx);
}

/* fix would write 600 px wide, too few pixels for 204,800 B even at the
 * top; the original has more, so more of them are kept (never beyond). */
static void test_tencent_floor_by_more_pixels(void **state)
{
    (void)state;
    pf_ctx *ctx = ctx_for("tencent", "fix-max-side", "600");
    size_t len, out_len = 0;
    uint8_t *out = NULL;
    uint8_t *jpg = jpeg_of(1200, 900, TU_PATTERN_SMOOTH, 80, &len);
    assert_true(len < 204800);
    assert_int_equal(pf_fix_buffer(ctx, jpg, len, "g.jpg", &out, &out_len, NULL,
                                   &report), PF_OK);
    assert_true(out_len >= 204800 && out_len <= 8000000);
    assert_true(report.output.width > 600 && report.output.width <= 1200);
    /* Proportions kept to the pixel. */
    assert_true(abs((int)report.output.height * 4 - (int)report.output.width * 3) <= 4);
    assert_true(has_action("kept more of the original's 1200\xC3\x97" "900 pixels"));
    assert_plain_jpeg(out, out_len);
    free(out);
    free(jpg);
    pf_ctx_free(ctx);
}

/* A tiny flat picture has no bytes to give: nothing is written, and the
 * message says to rescan. */
static void test_floor_out_of_reach_writes_nothing(void **state)
{
    (void)state;
    pf_ctx *ctx = ctx_for("tencent", NULL, NULL);
    size_t len, out_len = 0;
    uint8_t *out = NULL;
    uint8_t *jpg = jpeg_of(400, 300, TU_PATTERN_FLAT, 90, &len);
    assert_int_equal(pf_fix_buffer(ctx, jpg, len, "f.jpg", &out, &out_len, NULL,
                                   &report), PF_ERR_UNDER_MIN);
    assert_null(out);
    assert_int_equal(report.has_output, 0);
    assert_int_equal(report.status, PF_FILE_FAIL);
    assert_non_null(strstr(report.message, "f.jpg: only "));
    assert_non_null(strstr(report.message, "(the original's size)"));
    assert_non_null(strstr(report.message, "204,800 B"));
    assert_non_null(strstr(report.message, "rescan at a higher resolution"));
    free(jpg);
    pf_ctx_free(ctx);
}

/* max-size: fix shrinks into the box either way round, keeping the
 * proportions, and the copy passes max-size and min-size. */
static void test_max_size_shrinks(void **state)
{
    (void)state;
    pf_ctx *ctx = ctx_for("volcengine", "min-size", "200x150");
    pf_rules r = *pf_ctx_rules(ctx);
    assert_int_equal(pf_rules_set(&r, "max-size", "400x300", NULL, 0), PF_OK);
    assert_int_equal(pf_ctx_set_rules(ctx, &r), PF_OK);
    size_t len, out_len = 0;
    uint8_t *out = NULL;
    /* Portrait 600x1000: bounded by its long side, 1000 -> 400. */
    uint8_t *jpg = jpeg_of(600, 1000, TU_PATTERN_COLOR, 90, &len);
    assert_int_equal(pf_check_buffer(ctx, jpg, len, "p.jpg", &report), PF_OK);
    assert_int_equal(report.status, PF_FILE_FAIL);
    int max_size_failed = 0;
    for (int i = 0; i < report.n_checks; i++)
        if (report.checks[i].id == PF_CHECK_MAX_SIZE)
            max_size_failed = report.checks[i].status == PF_FAIL;
    assert_true(max_size_failed);
    assert_int_equal(pf_fix_buffer(ctx, jpg, len, "p.jpg", &out, &out_len, NULL,
                                   &report), PF_OK);
    assert_int_equal(report.output.width, 240);
    assert_int_equal(report.output.height, 400);
    for (int i = 0; i < report.n_checks; i++)
        assert_int_not_equal(report.checks[i].status, PF_FAIL);
    free(out);
    free(jpg);
    /* Wide 1000x500: the short side is within 300, the long one is not. */
    jpg = jpeg_of(1000, 500, TU_PATTERN_COLOR, 90, &len);
    assert_int_equal(pf_fix_buffer(ctx, jpg, len, "w.jpg", &out, &out_len, NULL,
                                   &report), PF_OK);
    assert_int_equal(report.output.width, 400);
    assert_int_equal(report.output.height, 200);
    free(out);
    free(jpg);
    pf_ctx_free(ctx);
}

/* The sizes fix aims at: the minimum when no fix-max-side (a tight budget
 * on the fewest pixels that pass), else the own size shrunk to it, grown to
 * the minimum, and always within the maximum. */
static void test_fix_dims(void **state)
{
    (void)state;
    pf_rules r;
    uint32_t w, h;
    pf_profile_rules("wechat", &r);
    pf_fix_dims(&r, 4000, 3000, &w, &h);
    assert_int_equal(w, 1500), assert_int_equal(h, 1125);
    pf_profile_rules("volcengine", &r);       /* 500x300 .. 5000x5000, 2400 */
    pf_fix_dims(&r, 4000, 3000, &w, &h);
    assert_int_equal(w, 2400), assert_int_equal(h, 1800);
    pf_fix_dims(&r, 1000, 750, &w, &h);       /* its own size */
    assert_int_equal(w, 1000), assert_int_equal(h, 750);
    pf_fix_dims(&r, 400, 200, &w, &h);        /* grown to the minimum */
    assert_int_equal(w, 600), assert_int_equal(h, 300);
    r.fix_max_long = 0;
    r.min_long = r.min_short = 0;
    pf_fix_dims(&r, 12000, 3000, &w, &h);     /* within 5000x5000 */
    assert_int_equal(w, 5000), assert_int_equal(h, 1250);
    pf_profile_rules("tencent", &r);          /* no minimum, 2400 */
    pf_fix_dims(&r, 3000, 4000, &w, &h);
    assert_int_equal(w, 1800), assert_int_equal(h, 2400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tencent_floor_by_quality),
        cmocka_unit_test(test_tencent_floor_by_full_chroma),
        cmocka_unit_test(test_tencent_floor_by_more_pixels),
        cmocka_unit_test(test_floor_out_of_reach_writes_nothing),
        cmocka_unit_test(test_max_size_shrinks),
        cmocka_unit_test(test_fix_dims),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
