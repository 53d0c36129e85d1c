/* Rate-distortion-optimised quantization (src/codec/jpeg_rdo.c): its files
 * decode, keep the picture, and are smaller than the plain encoder's at the
 * same quality; the budget search that uses it still lands under the cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "internal.h"
#include "testutil.h"

#define W 1600
#define H 1200

/* Photo-like: testutil's slow colour waves and grain, plus hard-edged
 * shapes. */
static void make_photo(pf_bitmap *bmp)
{
    static const uint8_t colours[4][3] = {
        {30, 32, 40}, {230, 225, 210}, {180, 40, 30}, {40, 90, 160}};
    unsigned seed = 17;
    bmp->width = W, bmp->height = H;
    bmp->rgb = tu_make_rgb(W, H, TU_PATTERN_SMOOTH, 11);
    assert_non_null(bmp->rgb);
    for (int i = 0; i < 60; i++) {
        double x = tu_rand(&seed) % W, y = tu_rand(&seed) % H;
        double w = 8 + tu_rand(&seed) % 200, h = 4 + tu_rand(&seed) % 120;
        tu_fill_rect(bmp->rgb, W, H, x, y, x + w, y + h, colours[i % 4]);
    }
}

static pf_bitmap decode(const uint8_t *jpg, size_t len)
{
    pf_decoded dec;
    char err[PF_ERR_LEN];
    assert_int_equal(pf_jpeg_decode(jpg, len, 0, 8, &dec, err), PF_OK);
    assert_int_equal(dec.bmp.width, W);
    assert_int_equal(dec.bmp.height, H);
    return dec.bmp;
}

static double luma(const uint8_t *p)
{
    return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
}

static double psnr(const pf_bitmap *a, const pf_bitmap *b)
{
    double se = 0;
    size_t n = (size_t)a->width * a->height * 3;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a->rgb[i] - b->rgb[i];
        se += d * d;
    }
    return 10 * log10(255.0 * 255.0 / (se / (double)n));
}

/* Mean SSIM of luma over 8x8 windows (Wang et al.'s constants). */
static double ssim(const pf_bitmap *a, const pf_bitmap *b)
{
    const double c1 = 6.5025, c2 = 58.5225;
    double sum = 0;
    int windows = 0;
    for (uint32_t y = 0; y + 8 <= a->height; y += 8)
        for (uint32_t x = 0; x + 8 <= a->width; x += 8, windows++) {
            double ma = 0, mb = 0, va = 0, vb = 0, cov = 0;
            for (int j = 0; j < 64; j++) {
                size_t at = ((size_t)(y + j / 8) * a->width + x + j % 8) * 3;
                double p = luma(a->rgb + at), q = luma(b->rgb + at);
                ma += p, mb += q, va += p * p, vb += q * q, cov += p * q;
            }
            ma /= 64, mb /= 64;
            va = va / 64 - ma * ma, vb = vb / 64 - mb * mb, cov = cov / 64 - ma * mb;
            sum += (2 * ma * mb + c1) * (2 * cov + c2) /
                   ((ma * ma + mb * mb + c1) * (va + vb + c2));
        }
    return sum / windows;
}

static void encode_both(const pf_bitmap *bmp, double quality, uint8_t **plain,
                        size_t *plain_len, uint8_t **rdo, size_t *rdo_len)
{
    char err[PF_ERR_LEN];
    pf_jpeg_coefs *coefs = NULL;
    assert_int_equal(pf_jpeg_encode_chroma(bmp, quality, 0, plain, plain_len, err),
                     PF_OK);
    assert_int_equal(pf_jpeg_coefs_new(bmp, 0, 2, &coefs), PF_OK);
    assert_int_equal(pf_jpeg_encode_rdo(coefs, quality, rdo, rdo_len, err), PF_OK);
    pf_jpeg_coefs_free(coefs);
}

/* Same quality: RDO drops bits the picture barely needs, and the picture
 * stays above a floor set from measurement (at quality 85: 14% smaller
 * than the plain encoder's file, PSNR 38.59 dB against its 37.98, SSIM
 * 0.9746). */
static void test_rdo_smaller_same_quality(void **state)
{
    (void)state;
    pf_bitmap bmp;
    uint8_t *plain, *rdo;
    size_t plain_len, rdo_len;
    make_photo(&bmp);
    encode_both(&bmp, 85, &plain, &plain_len, &rdo, &rdo_len);
    pf_bitmap a = decode(plain, plain_len), b = decode(rdo, rdo_len);
    double db_plain = psnr(&bmp, &a), db_rdo = psnr(&bmp, &b);
    double ss_rdo = ssim(&bmp, &b);
    print_message("quality 85: plain %zu B %.2f dB, rdo %zu B %.2f dB SSIM %.4f\n",
                  plain_len, db_plain, rdo_len, db_rdo, ss_rdo);
    assert_true(rdo_len < 0.90 * (double)plain_len);
    assert_true(db_rdo > 38.0);
    assert_true(ss_rdo > 0.972);
    assert_true(db_rdo > db_plain);
    pf_bitmap_free(&a);
    pf_bitmap_free(&b);
    free(plain);
    free(rdo);
    pf_bitmap_free(&bmp);
}

/* Same bytes: the plain encoder's highest quality that is no bigger than
 * the RDO file at quality 85 gives a worse picture (measured: 37.91 dB,
 * SSIM 0.9739, against 38.59 dB, SSIM 0.9746; of the 0.68 dB, the sharper
 * chroma gives most, the trellis alone about break-even in PSNR, since it
 * weighs each error by its step as the tables do, not as plain squared
 * error). */
static void test_rdo_not_worse_same_bytes(void **state)
{
    (void)state;
    pf_bitmap bmp;
    uint8_t *plain, *rdo;
    size_t plain_len, rdo_len;
    char err[PF_ERR_LEN];
    make_photo(&bmp);
    encode_both(&bmp, 85, &plain, &plain_len, &rdo, &rdo_len);
    free(plain);
    double lo = 30, hi = 85;
    while (hi - lo > 0.05) {
        double mid = (lo + hi) / 2;
        assert_int_equal(pf_jpeg_encode_chroma(&bmp, mid, 0, &plain, &plain_len, err),
                         PF_OK);
        free(plain);
        *(plain_len <= rdo_len ? &lo : &hi) = mid;
    }
    assert_int_equal(pf_jpeg_encode_chroma(&bmp, lo, 0, &plain, &plain_len, err), PF_OK);
    assert_true(plain_len <= rdo_len);
    pf_bitmap a = decode(plain, plain_len), b = decode(rdo, rdo_len);
    double db_plain = psnr(&bmp, &a), db_rdo = psnr(&bmp, &b);
    double ss_plain = ssim(&bmp, &a), ss_rdo = ssim(&bmp, &b);
    print_message("%zu B: plain q%.2f %.2f dB SSIM %.4f, rdo %.2f dB SSIM %.4f\n",
                  rdo_len, lo, db_plain, ss_plain, db_rdo, ss_rdo);
    assert_true(db_rdo > db_plain + 0.3);
    assert_true(ss_rdo >= ss_plain);
    pf_bitmap_free(&a);
    pf_bitmap_free(&b);
    free(plain);
    free(rdo);
    pf_bitmap_free(&bmp);
}

/* The budget search uses the RDO files: under the cap, >= 97% of it, and
 * the next quality up (RDO too) would not have fitted. */
static void test_budget_with_rdo(void **state)
{
    (void)state;
    pf_bitmap bmp;
    uint8_t *out = NULL, *next = NULL;
    size_t len = 0, next_len = 0;
    double q = 0;
    char err[PF_ERR_LEN];
    pf_jpeg_coefs *coefs = NULL;
    const uint64_t budget = 80000;
    make_photo(&bmp);
    assert_int_equal(pf_fit_jpeg_to_budget(&bmp, budget, 0, 30, 95, 2, &out, &len, &q,
                                           err, NULL), PF_OK);
    assert_true(len <= budget && len >= 0.97 * (double)budget);
    pf_bitmap b = decode(out, len);
    print_message("%zu B at quality %.2f: %.2f dB\n", len, q, psnr(&bmp, &b));
    assert_true(psnr(&bmp, &b) > 37.5);
    assert_int_equal(pf_jpeg_coefs_new(&bmp, 0, 2, &coefs), PF_OK);
    assert_int_equal(pf_jpeg_encode_rdo(coefs, q, &next, &next_len, err), PF_OK);
    assert_int_equal(next_len, len); /* the same encoder made the output */
    free(next);
    assert_int_equal(pf_jpeg_encode_rdo(coefs, q + 1, &next, &next_len, err), PF_OK);
    assert_true(next_len > budget);
    free(next);
    pf_jpeg_coefs_free(coefs);
    pf_bitmap_free(&b);
    free(out);
    pf_bitmap_free(&bmp);
}

/* The coefficients made on two threads are those made on one: the same
 * file, byte for byte, for 4:2:0 and 4:4:4, an odd size and a tall one
 * (strips split unevenly). */
static void test_coefs_threads_agree(void **state)
{
    (void)state;
    static const uint32_t sizes[][2] = {{301, 203}, {64, 1000}, {40, 17}};
    char err[PF_ERR_LEN];
    for (size_t i = 0; i < 3; i++)
        for (int full = 0; full < 2; full++) {
            pf_bitmap bmp = {sizes[i][0], sizes[i][1], NULL};
            uint8_t *jpg[2] = {NULL, NULL};
            size_t len[2] = {0, 0};
            bmp.rgb = tu_make_rgb(bmp.width, bmp.height, TU_PATTERN_COLOR, 5);
            for (int threads = 1; threads <= 2; threads++) {
                pf_jpeg_coefs *coefs = NULL;
                assert_int_equal(pf_jpeg_coefs_new(&bmp, full, threads, &coefs), PF_OK);
                assert_int_equal(pf_jpeg_encode_rdo(coefs, 80, &jpg[threads - 1],
                                                    &len[threads - 1], err), PF_OK);
                pf_jpeg_coefs_free(coefs);
            }
            assert_int_equal(len[0], len[1]);
            assert_memory_equal(jpg[0], jpg[1], len[0]);
            free(jpg[0]);
            free(jpg[1]);
            free(bmp.rgb);
        }
}

/* The budget search's counted sizes: the same count from an estimate as
 * from the real file's own blocks, growing with quality, and near the real
 * progressive file (a count that dropped the bits after each symbol, or a
 * code-length slip, lands 20-40% off). */
static void test_rdo_estimate(void **state)
{
    (void)state;
    pf_bitmap bmp = {640, 480, NULL};
    pf_jpeg_coefs *coefs = NULL;
    char err[PF_ERR_LEN];
    double previous = 0;
    bmp.rgb = tu_make_rgb(bmp.width, bmp.height, TU_PATTERN_COLOR, 21);
    assert_int_equal(pf_jpeg_coefs_new(&bmp, 0, 2, &coefs), PF_OK);
    static const double qualities[] = {40, 70, 90};
    for (size_t i = 0; i < 3; i++) {
        uint8_t *jpg = NULL;
        size_t len = 0;
        double counted = 0, of_file = 0;
        assert_int_equal(pf_jpeg_rdo_estimate(coefs, qualities[i], &counted, err), PF_OK);
        assert_int_equal(pf_jpeg_encode_rdo_estimated(coefs, qualities[i], &jpg, &len,
                                                      &of_file, err), PF_OK);
        assert_true(counted == of_file);
        assert_true(counted > previous);
        assert_true((double)len > 0.9 * counted && (double)len < 1.1 * counted);
        previous = counted;
        free(jpg);
    }
    double dummy;
    assert_int_equal(pf_jpeg_rdo_estimate(coefs, 0, &dummy, err), PF_ERR_INVALID_ARG);
    assert_int_equal(pf_jpeg_rdo_estimate(NULL, 50, &dummy, err), PF_ERR_INVALID_ARG);
    pf_jpeg_coefs_free(coefs);
    free(bmp.rgb);
}

/* Non-zero AC coefficients of a JPEG's luma (the test's own files: no
 * error handling beyond libjpeg's default). */
static long luma_ac_nonzero(const uint8_t *jpg, size_t len)
{
    struct jpeg_decompress_struct c;
    struct jpeg_error_mgr e;
    long n = 0;
    c.err = jpeg_std_error(&e);
    jpeg_create_decompress(&c);
    jpeg_mem_src(&c, jpg, (unsigned long)len);
    jpeg_read_header(&c, TRUE);
    jvirt_barray_ptr *arrays = jpeg_read_coefficients(&c);
    jpeg_component_info *y = &c.comp_info[0];
    for (JDIMENSION row = 0; row < y->height_in_blocks; row++) {
        JBLOCKARRAY b = (*c.mem->access_virt_barray)((j_common_ptr)&c, arrays[0], row, 1,
                                                    FALSE);
        for (JDIMENSION x = 0; x < y->width_in_blocks; x++)
            for (int k = 1; k < 64; k++)
                n += b[0][x][k] != 0;
    }
    jpeg_finish_decompress(&c);
    jpeg_destroy_decompress(&c);
    return n;
}

/* At the qualities a noisy photo needs the trellis steps aside: at 30 the
 * RDO file keeps the coefficients plain rounding keeps (libjpeg's own file
 * at that quality; with the full lambda it dropped 8% of them), at 85 it
 * still drops some and makes the file smaller than libjpeg's. */
static void test_rdo_low_quality_rounds(void **state)
{
    (void)state;
    pf_bitmap bmp;
    pf_jpeg_coefs *coefs = NULL;
    char err[PF_ERR_LEN];
    make_photo(&bmp);
    assert_int_equal(pf_jpeg_coefs_new(&bmp, 0, 2, &coefs), PF_OK);
    static const double qualities[] = {30, 85};
    for (size_t i = 0; i < 2; i++) {
        uint8_t *rdo = NULL, *plain = NULL;
        size_t rdo_len = 0, plain_len = 0;
        assert_int_equal(pf_jpeg_encode_rdo(coefs, qualities[i], &rdo, &rdo_len, err), PF_OK);
        assert_int_equal(pf_jpeg_encode_chroma(&bmp, qualities[i], 0, &plain, &plain_len, err),
                         PF_OK);
        long kept = luma_ac_nonzero(rdo, rdo_len), rounded = luma_ac_nonzero(plain, plain_len);
        print_message("q%.0f: RDO %zu B, %ld AC; plain %zu B, %ld AC\n", qualities[i],
                      rdo_len, kept, plain_len, rounded);
        if (qualities[i] < 40) {
            assert_true(kept > 0.98 * (double)rounded);
        } else {
            assert_true(kept < 0.95 * (double)rounded);
            assert_true(rdo_len < plain_len);
        }
        free(rdo);
        free(plain);
    }
    pf_jpeg_coefs_free(coefs);
    pf_bitmap_free(&bmp);
}

/* Edges that are not whole blocks or MCUs, 4:4:4, and bad arguments. */
static void test_rdo_odd_sizes(void **state)
{
    (void)state;
    static const uint32_t sizes[][2] = {{1, 1}, {17, 9}, {33, 70}};
    char err[PF_ERR_LEN];
    for (size_t i = 0; i < 3; i++)
        for (int full = 0; full < 2; full++) {
            pf_bitmap bmp = {sizes[i][0], sizes[i][1], NULL};
            pf_jpeg_coefs *coefs = NULL;
            uint8_t *jpg = NULL;
            size_t len = 0;
            pf_decoded dec;
            bmp.rgb = tu_make_rgb(bmp.width, bmp.height, TU_PATTERN_COLOR, 3);
            assert_int_equal(pf_jpeg_coefs_new(&bmp, full, 2, &coefs), PF_OK);
            assert_int_equal(pf_jpeg_encode_rdo(coefs, 90, &jpg, &len, err), PF_OK);
            assert_int_equal(tu_luma_sampling(jpg, len), full ? 0x11 : 0x22);
            assert_int_equal(pf_jpeg_decode(jpg, len, 0, 8, &dec, err), PF_OK);
            assert_int_equal(dec.bmp.width, bmp.width);
            assert_int_equal(dec.bmp.height, bmp.height);
            /* At quality 90 the colours stay close even on tiny pictures. */
            double se = 0;
            for (size_t k = 0; k < (size_t)bmp.width * bmp.height * 3; k++)
                se += ((double)dec.bmp.rgb[k] - bmp.rgb[k]) * ((double)dec.bmp.rgb[k] - bmp.rgb[k]);
            assert_true(se / ((double)bmp.width * bmp.height * 3) < 100);
            pf_decoded_free(&dec);
            free(jpg);
            assert_int_equal(pf_jpeg_encode_rdo(coefs, 0, &jpg, &len, err),
                             PF_ERR_INVALID_ARG);
            assert_null(jpg);
            pf_jpeg_coefs_free(coefs);
            free(bmp.rgb);
        }
    pf_bitmap empty = {0, 0, NULL};
    pf_jpeg_coefs *coefs = (pf_jpeg_coefs *)1;
    assert_int_equal(pf_jpeg_coefs_new(&empty, 0, 1, &coefs), PF_ERR_INVALID_ARG);
    assert_null(coefs);
}

/* Pure blue and red sit at the edge of the chroma range (Cb or Cr 127.5
 * before rounding): they must come back blue and red, not wrapped round. */
static void test_rdo_saturated_colours(void **state)
{
    (void)state;
    static const uint8_t blue[3] = {0, 0, 255}, red[3] = {255, 0, 0};
    pf_bitmap bmp = {64, 64, calloc(64 * 64, 3)};
    pf_jpeg_coefs *coefs = NULL;
    uint8_t *jpg = NULL;
    size_t len = 0;
    pf_decoded dec;
    char err[PF_ERR_LEN];
    assert_non_null(bmp.rgb);
    tu_fill_rect(bmp.rgb, 64, 64, 0, 0, 32, 64, blue);
    tu_fill_rect(bmp.rgb, 64, 64, 32, 0, 64, 64, red);
    assert_int_equal(pf_jpeg_coefs_new(&bmp, 0, 2, &coefs), PF_OK);
    assert_int_equal(pf_jpeg_encode_rdo(coefs, 90, &jpg, &len, err), PF_OK);
    assert_int_equal(pf_jpeg_decode(jpg, len, 0, 8, &dec, err), PF_OK);
    /* Away from the boundary, where 4:2:0 chroma blurs. */
    const uint8_t *b = dec.bmp.rgb + (32 * 64 + 8) * 3, *r = dec.bmp.rgb + (32 * 64 + 56) * 3;
    assert_true(b[0] < 20 && b[1] < 20 && b[2] > 235);
    assert_true(r[0] > 235 && r[1] < 20 && r[2] < 20);
    pf_decoded_free(&dec);
    free(jpg);
    pf_jpeg_coefs_free(coefs);
    free(bmp.rgb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rdo_smaller_same_quality),
        cmocka_unit_test(test_rdo_not_worse_same_bytes),
        cmocka_unit_test(test_budget_with_rdo),
        cmocka_unit_test(test_rdo_odd_sizes),
        cmocka_unit_test(test_coefs_threads_agree),
        cmocka_unit_test(test_rdo_estimate),
        cmocka_unit_test(test_rdo_low_quality_rounds),
        cmocka_unit_test(test_rdo_saturated_colours),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
