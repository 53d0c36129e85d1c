/* Pixel operations: EXIF orientation 1-8, colour measurement, resizing and
 * the byte-budget search. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

/* A 3x2 image whose pixels are labelled 'A'..'F' in the red channel. */
static void make_labelled(pf_bitmap *bmp)
{
    assert_int_equal(pf_bitmap_alloc(bmp, 3, 2), PF_OK);
    for (int i = 0; i < 6; i++) {
        bmp->rgb[i * 3] = (uint8_t)('A' + i);
        bmp->rgb[i * 3 + 1] = 0;
        bmp->rgb[i * 3 + 2] = (uint8_t)i;
    }
}

static void expect_layout(int orientation, uint32_t w, uint32_t h, const char *rows)
{
    pf_bitmap bmp;
    make_labelled(&bmp);
    assert_int_equal(pf_orient_apply(&bmp, orientation), PF_OK);
    assert_int_equal(bmp.width, w);
    assert_int_equal(bmp.height, h);
    char got[7] = {0};
    for (uint32_t i = 0; i < w * h; i++)
        got[i] = (char)bmp.rgb[i * 3];
    assert_string_equal(got, rows);
    pf_bitmap_free(&bmp);
}

static void test_orientations(void **state)
{
    (void)state;
    expect_layout(0, 3, 2, "ABCDEF");
    expect_layout(1, 3, 2, "ABCDEF");
    expect_layout(2, 3, 2, "CBAFED");
    expect_layout(3, 3, 2, "FEDCBA");
    expect_layout(4, 3, 2, "DEFABC");
    expect_layout(5, 2, 3, "ADBECF");
    expect_layout(6, 2, 3, "DAEBFC");
    expect_layout(7, 2, 3, "FCEBDA");
    expect_layout(8, 2, 3, "CFBEAD");
    expect_layout(9, 3, 2, "ABCDEF"); /* invalid tag: left alone */
}

static void test_color_measure(void **state)
{
    (void)state;
    pf_bitmap bmp;
    pf_color_stats st;
    assert_int_equal(pf_bitmap_alloc(&bmp, 10, 10), PF_OK);
    memset(bmp.rgb, 128, 300);
    pf_measure_color(&bmp, &st);
    assert_true(st.color_share == 0.0);
    assert_true(st.mean_chroma == 0.0);
    /* Scanner noise: channels differ by a few levels, still grey. */
    for (int i = 0; i < 100; i++)
        bmp.rgb[i * 3] = (uint8_t)(128 + i % 5);
    pf_measure_color(&bmp, &st);
    assert_true(st.color_share == 0.0);
    assert_true(st.mean_chroma > 1.5 && st.mean_chroma < 2.5);
    /* One pixel in a hundred clearly red: 1% colour. */
    bmp.rgb[0] = 220, bmp.rgb[1] = 40, bmp.rgb[2] = 40;
    pf_measure_color(&bmp, &st);
    assert_true(st.color_share > 0.99 && st.color_share < 1.01);
    pf_bitmap_free(&bmp);
}

static void test_resize_dims_and_colour(void **state)
{
    (void)state;
    pf_bitmap in, out;
    assert_int_equal(pf_bitmap_alloc(&in, 40, 30), PF_OK);
    for (int i = 0; i < 40 * 30; i++)
        in.rgb[i * 3] = 200, in.rgb[i * 3 + 1] = 60, in.rgb[i * 3 + 2] = 40;
    assert_int_equal(pf_resize(&in, 15, 11, &out), PF_OK);
    assert_int_equal(out.width, 15);
    assert_int_equal(out.height, 11);
    /* A flat colour stays that colour (within rounding). */
    for (int i = 0; i < 15 * 11; i++) {
        assert_true(abs(out.rgb[i * 3] - 200) <= 1);
        assert_true(abs(out.rgb[i * 3 + 1] - 60) <= 1);
        assert_true(abs(out.rgb[i * 3 + 2] - 40) <= 1);
    }
    pf_bitmap_free(&out);
    assert_int_equal(pf_resize(&in, 80, 60, &out), PF_OK);
    assert_int_equal(out.width, 80);
    pf_bitmap_free(&out);
    pf_bitmap_free(&in);
}

static void photo(pf_bitmap *bmp, uint32_t w, uint32_t h)
{
    bmp->width = w, bmp->height = h;
    bmp->rgb = tu_make_rgb(w, h, TU_PATTERN_COLOR, 7);
    assert_non_null(bmp->rgb);
}

static void test_budget_never_over_and_highest(void **state)
{
    (void)state;
    pf_bitmap bmp;
    photo(&bmp, 400, 300);
    char err[PF_ERR_LEN];
    uint8_t *out = NULL;
    size_t len = 0;
    double q = 0;
    const uint64_t budgets[] = {12000, 20000, 30000, 45000};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(pf_fit_jpeg_to_budget(&bmp, budgets[i], 0, 30, 95, 2, &out,
                                               &len, &q, err, NULL), PF_OK);
        /* Never one byte over, and at least 97% of the budget used. */
        assert_true(len <= budgets[i]);
        assert_true(len >= 0.97 * (double)budgets[i]);
        assert_true(q >= 30 && q <= 95);
        /* A visibly higher quality would not have fitted. */
        uint8_t *next = NULL;
        size_t next_len = 0;
        assert_int_equal(pf_jpeg_encode(&bmp, q + 1, &next, &next_len, err), PF_OK);
        assert_true(next_len > budgets[i]);
        free(next);
        free(out);
    }
    /* A budget the top quality fits: top quality, no search beyond it. */
    assert_int_equal(pf_fit_jpeg_to_budget(&bmp, 10000000, 0, 30, 95, 2, &out, &len,
                                           &q, err, NULL), PF_OK);
    assert_true(q == 95);
    free(out);
    pf_bitmap_free(&bmp);
}

static void test_budget_impossible(void **state)
{
    (void)state;
    pf_bitmap bmp;
    photo(&bmp, 400, 300);
    char err[PF_ERR_LEN] = "";
    uint8_t *out = (uint8_t *)1;
    size_t len = 0;
    double q = 0;
    assert_int_equal(pf_fit_jpeg_to_budget(&bmp, 800, 0, 30, 95, 2, &out, &len, &q,
                                           err, NULL), PF_ERR_BUDGET);
    assert_null(out);
    assert_non_null(strstr(err, "quality 30"));
    /* A minimum the image cannot reach even at the top quality. */
    out = (uint8_t *)1;
    pf_budget_info info;
    assert_int_equal(pf_fit_jpeg_to_budget(&bmp, 0, 10000000, 30, 100, 2, &out, &len,
                                           &q, err, &info), PF_ERR_UNDER_MIN);
    assert_null(out);
    /* The last try was full chroma at quality 100, the largest file there is. */
    assert_true(info.full_chroma);
    assert_true(info.largest > 0 && info.largest < 10000000);
    uint8_t *top = NULL;
    size_t top_len = 0;
    assert_int_equal(pf_jpeg_encode_chroma(&bmp, 100, 1, &top, &top_len, err), PF_OK);
    assert_int_equal(info.largest, top_len);
    free(top);
    pf_bitmap_free(&bmp);
}

static void test_budget_between_min_and_max(void **state)
{
    (void)state;
    pf_bitmap bmp;
    photo(&bmp, 400, 300);
    char err[PF_ERR_LEN];
    uint8_t *out = NULL;
    size_t len = 0;
    double q = 0;
    assert_int_equal(pf_fit_jpeg_to_budget(&bmp, 40000, 15000, 30, 100, 2, &out, &len,
                                           &q, err, NULL), PF_OK);
    assert_true(len >= 15000 && len <= 40000);
    free(out);
    pf_bitmap_free(&bmp);
}

static void test_budget_spare_bytes_buy_full_chroma(void **state)
{
    (void)state;
    pf_bitmap bmp;
    photo(&bmp, 400, 300);
    char err[PF_ERR_LEN];
    uint8_t *out = NULL;
    size_t len = 0;
    double q = 0;
    /* Tight budget: 4:2:0 at the best quality that fits. */
    assert_int_equal(pf_fit_jpeg_to_budget(&bmp, 20000, 0, 30, 95, 2, &out, &len, &q,
                                           err, NULL), PF_OK);
    assert_int_equal(tu_luma_sampling(out, len), 0x22);
    free(out);
    /* Room to spare at quality 95: full chroma, still within the budget. */
    assert_int_equal(pf_fit_jpeg_to_budget(&bmp, 400000, 0, 30, 95, 2, &out, &len, &q,
                                           err, NULL), PF_OK);
    assert_int_equal(tu_luma_sampling(out, len), 0x11);
    assert_true(len <= 400000 && q >= 90);
    free(out);
    pf_bitmap_free(&bmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_orientations),
        cmocka_unit_test(test_color_measure),
        cmocka_unit_test(test_resize_dims_and_colour),
        cmocka_unit_test(test_budget_never_over_and_highest),
        cmocka_unit_test(test_budget_impossible),
        cmocka_unit_test(test_budget_between_min_and_max),
        cmocka_unit_test(test_budget_spare_bytes_buy_full_chroma),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
