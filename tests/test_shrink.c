/* The streaming resampler: exact pixels where the filters make them exact,
 * and the decoder's streamed (and threaded) path equal to resizing a full
 * decode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "testutil.h"

static pf_bitmap random_bitmap(uint32_t w, uint32_t h, unsigned seed)
{
    pf_bitmap bmp;
    assert_int_equal(pf_bitmap_alloc(&bmp, w, h), PF_OK);
    for (size_t i = 0; i < (size_t)w * h * 3; i++) {
        seed = seed * 1103515245u + 12345u;
        bmp.rgb[i] = (uint8_t)(seed >> 16);
    }
    return bmp;
}

/* Halving exactly: the box of 2 does all of it and Lanczos at ratio 1 is
 * the identity, so every output pixel is its 2x2 block's mean, rounded. */
static void test_exact_half_is_box_mean(void **state)
{
    (void)state;
    pf_bitmap in = random_bitmap(64, 48, 1), out;
    assert_int_equal(pf_resize(&in, 32, 24, &out), PF_OK);
    for (uint32_t y = 0; y < 24; y++)
        for (uint32_t x = 0; x < 32; x++)
            for (int c = 0; c < 3; c++) {
                unsigned sum = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++)
                        sum += in.rgb[((y * 2 + dy) * 64 + x * 2 + dx) * 3 + c];
                /* sum / 4 rounded half up (float rounding may go either way
                 * at exactly .5). */
                int want = (int)((sum + 2) / 4), got = out.rgb[(y * 32 + x) * 3 + c];
                if (sum % 4 == 2)
                    assert_true(got == want || got == want - 1);
                else
                    assert_int_equal(got, want);
            }
    pf_bitmap_free(&in);
    pf_bitmap_free(&out);
}

/* The same size: the identity, to the last bit. */
static void test_same_size_is_identity(void **state)
{
    (void)state;
    pf_bitmap in = random_bitmap(37, 23, 2), out;
    assert_int_equal(pf_resize(&in, 37, 23, &out), PF_OK);
    assert_memory_equal(in.rgb, out.rgb, 37 * 23 * 3);
    pf_bitmap_free(&in);
    pf_bitmap_free(&out);
}

/* Flat colours stay exactly flat at every ratio, shrinking and enlarging
 * (weights sum to one, edges clamp). */
static void test_flat_stays_flat(void **state)
{
    (void)state;
    static const uint32_t sizes[][2] = {{13, 7}, {100, 75}, {33, 97}, {250, 190}, {1, 1}};
    pf_bitmap in;
    assert_int_equal(pf_bitmap_alloc(&in, 101, 77), PF_OK);
    for (size_t i = 0; i < 101 * 77; i++)
        in.rgb[i * 3] = 200, in.rgb[i * 3 + 1] = 60, in.rgb[i * 3 + 2] = 41;
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        pf_bitmap out;
        assert_int_equal(pf_resize(&in, sizes[s][0], sizes[s][1], &out), PF_OK);
        assert_int_equal(out.width, sizes[s][0]);
        assert_int_equal(out.height, sizes[s][1]);
        for (size_t i = 0; i < (size_t)out.width * out.height; i++) {
            assert_int_equal(out.rgb[i * 3], 200);
            assert_int_equal(out.rgb[i * 3 + 1], 60);
            assert_int_equal(out.rgb[i * 3 + 2], 41);
        }
        pf_bitmap_free(&out);
    }
    pf_bitmap_free(&in);
}

/* Lanczos keeps a sharp edge sharp: a black/white step shrunk by 3 still
 * goes from black to white within two output pixels, and the plateaus
 * away from it keep their exact values. */
static void test_edge_stays_sharp(void **state)
{
    (void)state;
    pf_bitmap in, out;
    assert_int_equal(pf_bitmap_alloc(&in, 300, 30), PF_OK);
    for (uint32_t y = 0; y < 30; y++)
        for (uint32_t x = 0; x < 300; x++)
            memset(in.rgb + (y * 300 + x) * 3, x < 150 ? 0 : 255, 3);
    assert_int_equal(pf_resize(&in, 100, 10, &out), PF_OK);
    for (uint32_t y = 0; y < 10; y++) {
        const uint8_t *row = out.rgb + y * 100 * 3;
        assert_int_equal(row[40 * 3], 0);
        assert_int_equal(row[60 * 3], 255);
        assert_true(row[48 * 3] < 16);
        assert_true(row[51 * 3] > 239);
    }
    pf_bitmap_free(&in);
    pf_bitmap_free(&out);
}

/* Decoding with a target streams the rows through the shrinker (in a
 * second thread from 2 MP up): the same pixels as decoding in full and
 * resizing. A grey JPEG, so chroma upsampling plays no part. */
static void decode_resized_equals_resize(uint32_t w, uint32_t h, uint32_t tw,
                                         uint32_t th, int threads)
{
    uint8_t *rgb = tu_make_rgb(w, h, TU_PATTERN_COLOR, 3), *jpg = NULL;
    size_t len = 0;
    char err[PF_ERR_LEN];
    assert_int_equal(tu_jpeg(rgb, w, h, 1, 90, 0, NULL, 0, &jpg, &len), 0);
    pf_decoded full, streamed;
    pf_bitmap resized;
    assert_int_equal(pf_jpeg_decode(jpg, len, 0, 8, &full, err), PF_OK);
    assert_int_equal(pf_resize(&full.bmp, tw, th, &resized), PF_OK);
    assert_int_equal(pf_jpeg_decode_resized(jpg, len, 0, 8, tw, th, threads, &streamed, err),
                     PF_OK);
    assert_int_equal(streamed.bmp.width, tw);
    assert_int_equal(streamed.bmp.height, th);
    assert_int_equal(streamed.stored_width, w);
    assert_memory_equal(streamed.bmp.rgb, resized.rgb, (size_t)tw * th * 3);
    pf_bitmap_free(&resized);
    pf_decoded_free(&full);
    pf_decoded_free(&streamed);
    free(jpg);
    free(rgb);
}

static void test_decode_resized_small(void **state)
{
    (void)state;
    decode_resized_equals_resize(640, 480, 250, 188, 2);
}

static void test_decode_resized_threaded(void **state)
{
    (void)state;
    decode_resized_equals_resize(2000, 1200, 1500, 900, 2); /* 2.4 MP: threaded */
    decode_resized_equals_resize(2000, 1200, 1500, 900, 1); /* the same, in line */
}

static void test_bad_arguments(void **state)
{
    (void)state;
    pf_shrinker *s = NULL;
    const double bad_span[2] = {1.5, 1};
    uint8_t row[30] = {0};
    pf_bitmap out;
    assert_int_equal(pf_shrinker_new(0, 10, NULL, 5, 5, &s), PF_ERR_INVALID_ARG);
    assert_int_equal(pf_shrinker_new(10, 10, NULL, 0, 5, &s), PF_ERR_INVALID_ARG);
    assert_int_equal(pf_shrinker_new(10, 10, bad_span, 5, 5, &s), PF_ERR_INVALID_ARG);
    assert_int_equal(pf_shrinker_new(10, 2, NULL, 5, 1, &s), PF_OK);
    /* Not finished until every row is in; no row past the last. */
    assert_int_equal(pf_shrinker_push(s, row), PF_OK);
    assert_int_equal(pf_shrinker_finish(s, &out), PF_ERR_INVALID_ARG);
    assert_int_equal(pf_shrinker_push(s, row), PF_OK);
    assert_int_equal(pf_shrinker_push(s, row), PF_ERR_INVALID_ARG);
    assert_int_equal(pf_shrinker_finish(s, &out), PF_OK);
    assert_int_equal(out.width, 5);
    pf_bitmap_free(&out);
    pf_shrinker_free(s);
    pf_shrinker_free(NULL);
    pf_rowpipe_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_half_is_box_mean),
        cmocka_unit_test(test_same_size_is_identity),
        cmocka_unit_test(test_flat_stays_flat),
        cmocka_unit_test(test_edge_stays_sharp),
        cmocka_unit_test(test_decode_resized_small),
        cmocka_unit_test(test_decode_resized_threaded),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
