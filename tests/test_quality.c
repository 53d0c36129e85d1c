/* The focus, glare and exposure measures on generated pages: a text-like
 * page (strokes of glyph size on paper), blurred by known amounts, under a
 * glare blob, too dark and washed out. Asserts the order of the figures,
 * that they do not depend on the image's resolution or the amount of text,
 * and the default limits' verdicts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "testutil.h"

/* tu_fill_rect on a bitmap. */
static void fill_rect(pf_bitmap *b, double x0, double y0, double x1, double y1,
                      const uint8_t rgb[3])
{
    tu_fill_rect(b->rgb, b->width, b->height, x0, y0, x1, y1, rgb);
}

/* A page 1000 x 700 units drawn at scale px per unit: lines of words whose
 * glyphs are 2-unit strokes in 8 x 11 cells; every line_every-th line
 * carries text (1: dense, 4: sparse). The same page at every scale. */
static void make_page(pf_bitmap *b, double scale, const uint8_t paper[3],
                      const uint8_t ink[3], int line_every)
{
    unsigned seed = 7;
    assert_int_equal(pf_bitmap_alloc(b, (uint32_t)(1000 * scale),
                                     (uint32_t)(700 * scale)), PF_OK);
    fill_rect(b, 0, 0, b->width, b->height, paper);
    for (int line = 0; line < 24; line++) {
        double y = (40 + line * 26) * scale, x = 50 * scale;
        while (x < 940 * scale) {
            int letters = 2 + (int)(tu_rand(&seed) % 7);
            for (int g = 0; g < letters; g++, x += 10 * scale) {
                unsigned shape = tu_rand(&seed);
                if (line % line_every)
                    continue;
                if (shape & 1) fill_rect(b, x, y, x + 2 * scale, y + 11 * scale, ink);
                if (shape & 2) fill_rect(b, x + 6 * scale, y + 3 * scale, x + 8 * scale, y + 11 * scale, ink);
                if (shape & 4) fill_rect(b, x, y + 3 * scale, x + 8 * scale, y + 5 * scale, ink);
                if (shape & 8) fill_rect(b, x, y + 9 * scale, x + 8 * scale, y + 11 * scale, ink);
            }
            x += 8 * scale;
        }
    }
}

/* Separable Gaussian blur in place (edges clamped). */
static void blur(pf_bitmap *b, double sigma)
{
    int rad = (int)ceil(3 * sigma), w = (int)b->width, h = (int)b->height;
    double *k = malloc((size_t)(2 * rad + 1) * sizeof *k), sum = 0;
    uint8_t *tmp = malloc((size_t)w * h * 3);
    assert_non_null(k);
    assert_non_null(tmp);
    for (int t = -rad; t <= rad; t++)
        sum += k[t + rad] = exp(-0.5 * t * t / (sigma * sigma));
    for (int pass = 0; pass < 2; pass++) {
        const uint8_t *src = pass ? tmp : b->rgb;
        uint8_t *dst = pass ? b->rgb : tmp;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++) {
                    double s = 0;
                    for (int t = -rad; t <= rad; t++) {
                        int xx = pass ? x : x + t, yy = pass ? y + t : y;
                        xx = xx < 0 ? 0 : xx >= w ? w - 1 : xx;
                        yy = yy < 0 ? 0 : yy >= h ? h - 1 : yy;
                        s += k[t + rad] * src[((size_t)yy * w + xx) * 3 + c];
                    }
                    dst[((size_t)y * w + x) * 3 + c] = (uint8_t)lround(s / sum);
                }
    }
    free(k);
    free(tmp);
}

/* Horizontal shake of len px in place. */
static void shake(pf_bitmap *b, int len)
{
    int w = (int)b->width;
    uint8_t *row = malloc((size_t)w * 3);
    assert_non_null(row);
    for (uint32_t y = 0; y < b->height; y++) {
        uint8_t *p = b->rgb + (size_t)y * w * 3;
        memcpy(row, p, (size_t)w * 3);
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                int s = 0;
                for (int t = 0; t < len; t++) {
                    int xx = x + t - len / 2;
                    s += row[(xx < 0 ? 0 : xx >= w ? w - 1 : xx) * 3 + c];
                }
                p[x * 3 + c] = (uint8_t)(s / len);
            }
    }
    free(row);
}

static double sharpness_of(const pf_bitmap *b)
{
    pf_document doc;
    double s = -1;
    memset(&doc, 0, sizeof doc);
    assert_int_equal(pf_measure_quality(b, &doc), PF_OK);
    s = doc.sharpness;
    return s;
}

/* The glare share pf_measure_quality finds on the whole of b. */
static double glare_of(const pf_bitmap *b)
{
    pf_document doc;
    memset(&doc, 0, sizeof doc);
    assert_int_equal(pf_measure_quality(b, &doc), PF_OK);
    return doc.glare;
}

static const uint8_t PAPER[3] = {236, 234, 228}, INK[3] = {30, 32, 40};

/* More blur, lower figure; sharp passes, clear blur fails, mild blur is
 * between the limits or passes. */
static void test_sharpness_orders_blur(void **state)
{
    (void)state;
    static const double sigmas[] = {0, 1.0, 2.5, 4.0};
    double s[4];
    for (int i = 0; i < 4; i++) {
        pf_bitmap b;
        make_page(&b, 1.0, PAPER, INK, 1);
        if (sigmas[i] > 0)
            blur(&b, sigmas[i]);
        s[i] = sharpness_of(&b);
        print_message("sigma %.1f: sharpness %.1f\n", sigmas[i], s[i]);
        pf_bitmap_free(&b);
    }
    for (int i = 1; i < 4; i++)
        assert_true(s[i] < s[i - 1]);
    assert_true(s[0] >= PF_SHARPNESS_WARN);
    assert_true(s[1] >= PF_SHARPNESS_FAIL);
    assert_true(s[2] < PF_SHARPNESS_FAIL);
    assert_true(s[3] < PF_SHARPNESS_FAIL);
}

/* The same page at 1000 and 2400 px, blurred by the same amount relative
 * to its size, gives nearly the same figure (sigma 1: mid-scale) and the
 * same verdict (sigma 2.5 fails at both); a 600 px copy of the sharp page
 * still passes (a small file is not judged blurred for its size). */
static void test_sharpness_resolution_independent(void **state)
{
    (void)state;
    double s[5];
    static const double scales[] = {1.0, 2.4, 1.0, 2.4, 0.6};
    static const double sigmas[] = {1.0, 1.0, 2.5, 2.5, 0};
    for (int i = 0; i < 5; i++) {
        pf_bitmap b;
        make_page(&b, scales[i], PAPER, INK, 1);
        if (sigmas[i] > 0)
            blur(&b, sigmas[i] * scales[i]);
        s[i] = sharpness_of(&b);
        pf_bitmap_free(&b);
    }
    print_message("sigma 1 at 1000: %.1f, at 2400: %.1f; sigma 2.5: %.1f, %.1f; "
                  "sharp at 600: %.1f\n", s[0], s[1], s[2], s[3], s[4]);
    assert_true(fabs(s[0] - s[1]) <= 0.15 * s[0]);
    assert_true(s[2] < PF_SHARPNESS_FAIL && s[3] < PF_SHARPNESS_FAIL);
    assert_true(s[4] >= PF_SHARPNESS_WARN);
}

/* Dense and sparse text give close figures; a blank card is not blurred. */
static void test_sharpness_content_independent(void **state)
{
    (void)state;
    pf_bitmap dense, sparse, card;
    make_page(&dense, 1.0, PAPER, INK, 1);
    make_page(&sparse, 1.0, PAPER, INK, 4);
    make_page(&card, 1.0, PAPER, INK, 1000); /* line 0 only: nearly blank */
    blur(&dense, 1.5);
    blur(&sparse, 1.5);
    double d = sharpness_of(&dense), s = sharpness_of(&sparse);
    double c = sharpness_of(&card);
    print_message("dense %.1f sparse %.1f card %.1f\n", d, s, c);
    assert_true(fabs(d - s) <= 0.15 * d);
    assert_true(c >= PF_SHARPNESS_WARN);
    pf_bitmap_free(&dense);
    pf_bitmap_free(&sparse);
    pf_bitmap_free(&card);
}

/* A horizontal shake widens only vertical edges: the worse direction
 * counts. */
static void test_sharpness_motion(void **state)
{
    (void)state;
    pf_bitmap b;
    make_page(&b, 1.0, PAPER, INK, 1);
    shake(&b, 12);
    double s = sharpness_of(&b);
    pf_bitmap_free(&b);
    make_page(&b, 1.0, PAPER, INK, 1);
    blur(&b, 1.2); /* a lens is never perfect: the shake on a soft page */
    shake(&b, 12);
    double soft = sharpness_of(&b);
    print_message("shake 12 px: %.1f; on a slightly soft page: %.1f\n", s, soft);
    /* A box shake turns a thin stroke into a faint plateau with steep
     * sides: the width of its sides does not show it (make eval: motion
     * blur is the weaker case); on a soft page it does. */
    assert_true(soft < PF_SHARPNESS_WARN);
    pf_bitmap_free(&b);
}

/* A glare blob over the text of a page photographed under room light
 * (paper at 200) is found and fails; the page without it, and a clipped
 * white scan, show none. */
static void test_glare(void **state)
{
    (void)state;
    static const uint8_t dim[3] = {204, 200, 192}, white[3] = {255, 255, 255};
    pf_bitmap page, scan;
    pf_document doc;
    double clean = -1, glared = -1, scanned = -1;
    memset(&doc, 0, sizeof doc);
    make_page(&page, 1.0, dim, INK, 1);
    make_page(&scan, 1.0, white, INK, 1);
    clean = glare_of(&page);
    scanned = glare_of(&scan);
    /* Light added towards white, full over a disc of radius 90 (5.8% of
     * the page), fading out over 40 px more; on both pages. */
    for (int k = 0; k < 2; k++)
        for (uint32_t y = 0; y < page.height; y++)
            for (uint32_t x = 0; x < page.width; x++) {
                double d = hypot(x - 480.0, y - 330.0);
                double w = d <= 90 ? 1 : d >= 130 ? 0 : (130 - d) / 40;
                uint8_t *p = (k ? scan : page).rgb + ((size_t)y * page.width + x) * 3;
                for (int c = 0; c < 3; c++)
                    p[c] = (uint8_t)lround(p[c] * (1 - w) + 255 * w);
            }
    glared = glare_of(&page);
    /* On white paper the blob hides text but is no brighter than the
     * paper: not called glare (what the check cannot see). */
    double on_white = -1;
    on_white = glare_of(&scan);
    assert_true(on_white <= PF_GLARE_WARN);
    print_message("glare: clean %.4f, white scan %.4f, blob %.4f\n", clean,
                  scanned, glared);
    assert_true(clean <= PF_GLARE_WARN);
    assert_true(scanned <= PF_GLARE_WARN);
    assert_true(glared > PF_GLARE_FAIL);
    assert_true(glared < 0.10);
    pf_bitmap_free(&page);
    pf_bitmap_free(&scan);
}

static void apply_exposure(pf_bitmap *b, double gain, double gamma)
{
    size_t n = (size_t)b->width * b->height * 3;
    for (size_t i = 0; i < n; i++) {
        double v = 255 * pow(b->rgb[i] / 255.0, gamma) * gain;
        b->rgb[i] = v >= 255 ? 255 : (uint8_t)lround(v);
    }
}

/* Haze or flare: every level pulled towards white by a. */
static void apply_haze(pf_bitmap *b, double a)
{
    size_t n = (size_t)b->width * b->height * 3;
    for (size_t i = 0; i < n; i++)
        b->rgb[i] = (uint8_t)lround(b->rgb[i] * (1 - a) + 255 * a);
}

/* The page passes; at a fifth of the light it is too dark; under a haze
 * of 0.7 (ink lifted to ~190) it is washed out; half as much haze is
 * not failed. */
static void test_exposure(void **state)
{
    (void)state;
    pf_bitmap b;
    pf_document doc;
    memset(&doc, 0, sizeof doc);
    make_page(&b, 1.0, PAPER, INK, 1);
    assert_int_equal(pf_measure_quality(&b, &doc), PF_OK);
    print_message("as is: %.0f/%.0f/%.0f clipped %.3f\n", doc.lum_low,
                  doc.lum_median, doc.lum_high, doc.clipped);
    assert_true(doc.lum_low <= PF_WASHOUT_WARN);
    assert_true(doc.lum_low < 45 && doc.lum_high > 225 && doc.clipped < 0.01);
    assert_true(doc.lum_high >= PF_DARK_WARN);
    apply_exposure(&b, 0.2, 1.0);
    assert_int_equal(pf_measure_quality(&b, &doc), PF_OK);
    assert_true(doc.lum_high < PF_DARK_FAIL);
    pf_bitmap_free(&b);
    make_page(&b, 1.0, PAPER, INK, 1);
    apply_haze(&b, 0.7);
    assert_int_equal(pf_measure_quality(&b, &doc), PF_OK);
    print_message("haze 0.7: %.0f/%.0f/%.0f\n", doc.lum_low, doc.lum_median,
                  doc.lum_high);
    assert_true(doc.lum_low > PF_WASHOUT_FAIL);
    assert_true(doc.lum_high >= PF_DARK_WARN);
    pf_bitmap_free(&b);
    make_page(&b, 1.0, PAPER, INK, 1);
    apply_haze(&b, 0.35);
    assert_int_equal(pf_measure_quality(&b, &doc), PF_OK);
    assert_true(doc.lum_low <= PF_WASHOUT_FAIL);
    pf_bitmap_free(&b);
}

/* A portrait on a black backdrop (most of the frame near 0, a lit face):
 * neither too dark nor washed out. */
static void test_exposure_black_backdrop(void **state)
{
    (void)state;
    pf_bitmap b;
    pf_document doc;
    unsigned seed = 3;
    memset(&doc, 0, sizeof doc);
    assert_int_equal(pf_bitmap_alloc(&b, 900, 1200), PF_OK);
    for (uint32_t y = 0; y < b.height; y++)
        for (uint32_t x = 0; x < b.width; x++) {
            double d = hypot((x - 450.0) / 220, (y - 520.0) / 300);
            double v = d < 1 ? 150 + 60 * (1 - d) : 6 + tu_rand(&seed) % 6;
            uint8_t *p = b.rgb + ((size_t)y * b.width + x) * 3;
            p[0] = (uint8_t)fmin(255, v * 1.1), p[1] = (uint8_t)v, p[2] = (uint8_t)(v * 0.85);
        }
    assert_int_equal(pf_measure_quality(&b, &doc), PF_OK);
    print_message("black backdrop: %.0f/%.0f/%.0f\n", doc.lum_low,
                  doc.lum_median, doc.lum_high);
    assert_true(doc.lum_median < 20); /* the old median rule failed it */
    assert_true(doc.lum_high >= PF_DARK_WARN);
    assert_true(doc.lum_low <= PF_WASHOUT_WARN);
    pf_bitmap_free(&b);
}

/* pf_measure_quality (one region) gives what the three calls give. */
static void test_measure_quality_matches(void **state)
{
    (void)state;
    pf_bitmap b;
    pf_document all, one;
    double s, g;
    memset(&all, 0, sizeof all);
    memset(&one, 0, sizeof one);
    make_page(&b, 1.7, PAPER, INK, 2);
    blur(&b, 2.0);
    assert_int_equal(pf_measure_quality(&b, &all), PF_OK);
    /* The same figures, each from a region of its own. */
    pf_quality_region r;
    assert_int_equal(pf_quality_region_make(&b, &one, &r), PF_OK);
    assert_int_equal(pf_sharpness_of(&r, &s), PF_OK);
    pf_quality_region_free(&r);
    assert_int_equal(pf_quality_region_make(&b, &one, &r), PF_OK);
    assert_int_equal(pf_glare_of(&r, &g), PF_OK);
    pf_quality_region_free(&r);
    assert_int_equal(pf_quality_region_make(&b, &one, &r), PF_OK);
    pf_exposure_of(&r, &one);
    pf_quality_region_free(&r);
    assert_true(all.sharpness == s && all.glare == g);
    assert_true(all.lum_low == one.lum_low && all.lum_median == one.lum_median);
    assert_true(all.lum_high == one.lum_high && all.clipped == one.clipped);
    assert_int_equal(pf_measure_quality(NULL, &all), PF_ERR_INVALID_ARG);
    pf_bitmap_free(&b);
}

/* Tiny and blank images: one bright blob covering every glare block (its
 * box grown by one block is larger than the grid: found by make
 * test-hostile on a corpus file), and single pixels. */
static void test_tiny_images(void **state)
{
    (void)state;
    static const uint32_t sizes[][2] = {{1, 1}, {2, 3}, {5, 5}, {9, 4}, {40, 30}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        pf_bitmap b;
        pf_document doc;
        memset(&doc, 0, sizeof doc);
        assert_int_equal(pf_bitmap_alloc(&b, sizes[k][0], sizes[k][1]), PF_OK);
        memset(b.rgb, 255, (size_t)b.width * b.height * 3);
        assert_int_equal(pf_measure_quality(&b, &doc), PF_OK);
        assert_true(doc.glare >= 0 && doc.glare <= 1);
        assert_true(doc.lum_low == 255 && doc.lum_high == 255);
        pf_bitmap_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sharpness_orders_blur),
        cmocka_unit_test(test_sharpness_resolution_independent),
        cmocka_unit_test(test_sharpness_content_independent),
        cmocka_unit_test(test_sharpness_motion),
        cmocka_unit_test(test_glare),
        cmocka_unit_test(test_exposure),
        cmocka_unit_test(test_exposure_black_backdrop),
        cmocka_unit_test(test_measure_quality_matches),
        cmocka_unit_test(test_tiny_images),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
