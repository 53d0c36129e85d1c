/* Finding the document (pf_find_document) and rectifying it
 * (pf_document_warp) on generated photos: a light card with dark print on
 * a wood-grain table, turned and placed inside the frame or cut off by it;
 * a page filling the frame like a flatbed scan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "testutil.h"
#include "measure/document_lines.h"

#define W 1600
#define H 1200
#define CARD_RATIO 1.586

/* The card's corners: centre (cx, cy), long side len, turned deg. */
static void card_corners(double cx, double cy, double len, double deg,
                         double q[4][2])
{
    double a = deg * 3.14159265358979323846 / 180, c = cos(a), s = sin(a);
    double hw = len / 2, hh = len / CARD_RATIO / 2;
    const double base[4][2] = {{-hw, -hh}, {hw, -hh}, {hw, hh}, {-hw, hh}};
    for (int i = 0; i < 4; i++) {
        q[i][0] = cx + c * base[i][0] - s * base[i][1];
        q[i][1] = cy + s * base[i][0] + c * base[i][1];
    }
}

/* Card coordinates (u, v in 0..1) of (x, y), or -1 outside the card. */
static int card_uv(const double q[4][2], double x, double y, double *u, double *v)
{
    double ex[2] = {q[1][0] - q[0][0], q[1][1] - q[0][1]};
    double ey[2] = {q[3][0] - q[0][0], q[3][1] - q[0][1]};
    double px = x - q[0][0], py = y - q[0][1];
    *u = (px * ex[0] + py * ex[1]) / (ex[0] * ex[0] + ex[1] * ex[1]);
    *v = (px * ey[0] + py * ey[1]) / (ey[0] * ey[0] + ey[1] * ey[1]);
    return *u >= 0 && *u <= 1 && *v >= 0 && *v <= 1 ? 0 : -1;
}

/* A photo of the card q on a table (q NULL: a scanned page, all paper);
 * surface 1: a plain grey desk instead of wood, 2: a boldly striped
 * cloth; print 0: blank paper. */
static void render_on(pf_bitmap *bmp, const double (*q)[2], int surface,
                      int print)
{
    unsigned seed = 7;
    assert_int_equal(pf_bitmap_alloc(bmp, W, H), PF_OK);
    for (uint32_t y = 0; y < H; y++) {
        for (uint32_t x = 0; x < W; x++) {
            uint8_t *p = bmp->rgb + ((size_t)y * W + x) * 3;
            int n = (int)(tu_rand(&seed) % 9) - 4;
            double u = (double)x / W, v = (double)y / H, rgb[3];
            int paper = !q || card_uv(q, x, y, &u, &v) == 0;
            if (paper) { /* print: rows of dark bars on light paper */
                int ink = print && fmod(v * 14, 1.0) > 0.55 && fmod(u * 9, 1.0) > 0.15 &&
                          u > 0.06 && u < 0.94 && v > 0.08 && v < 0.92;
                rgb[0] = ink ? 60 : 236, rgb[1] = ink ? 60 : 232, rgb[2] = ink ? 70 : 222;
            } else if (surface == 2) { /* bold stripes, each at its own
                                        * angle within about 7 degrees */
                double g = fmod(y + 0.12 * x * sin(y * 0.004), 40.0) < 20;
                rgb[0] = 90 + 80 * g, rgb[1] = 60 + 50 * g, rgb[2] = 40 + 30 * g;
            } else if (surface) {
                rgb[0] = 96, rgb[1] = 100, rgb[2] = 108;
            } else { /* wood grain */
                double g = 0.5 + 0.5 * sin(y * 0.05 + 3 * sin(x * 0.004));
                rgb[0] = 130 + 30 * g, rgb[1] = 85 + 20 * g, rgb[2] = 50 + 10 * g;
            }
            for (int c = 0; c < 3; c++)
                p[c] = (uint8_t)fmin(255, fmax(0, rgb[c] + n));
        }
    }
}

static void render(pf_bitmap *bmp, const double (*q)[2])
{
    render_on(bmp, q, 0, 1);
}

/* A dark box ruled on bmp: bands BOX_PX wide along x0..x1, y0..y1, with
 * blank paper BOX_PX wide either side of them (print stops short of a
 * form's rules). */
#define BOX_PX 14
static void rule_box(pf_bitmap *bmp, uint32_t x0, uint32_t y0, uint32_t x1,
                     uint32_t y1)
{
    for (uint32_t y = y0 - BOX_PX; y <= y1 + BOX_PX; y++)
        for (uint32_t x = x0 - BOX_PX; x <= x1 + BOX_PX; x++) {
            uint8_t *p = bmp->rgb + ((size_t)y * bmp->width + x) * 3;
            int in = x >= x0 && x <= x1 && y >= y0 && y <= y1;
            int band = in && (x < x0 + BOX_PX || x + BOX_PX > x1 ||
                              y < y0 + BOX_PX || y + BOX_PX > y1);
            int margin = x < x0 + 2 * BOX_PX || x + 2 * BOX_PX > x1 ||
                         y < y0 + 2 * BOX_PX || y + 2 * BOX_PX > y1;
            if (band)
                memset(p, 40, 3);
            else if (margin)
                p[0] = 236, p[1] = 232, p[2] = 222;
        }
}

static double corner_error(const pf_document *doc, const double q[4][2])
{
    double worst = 0;
    for (int i = 0; i < 4; i++)
        worst = fmax(worst, hypot(doc->corners[i][0] - q[i][0],
                                  doc->corners[i][1] - q[i][1]));
    return worst;
}

static void test_card_inside(void **state)
{
    (void)state;
    double q[4][2];
    pf_bitmap bmp;
    pf_document doc;
    double conf = 1;
    card_corners(760, 640, 900, 6.0, q);
    render(&bmp, (const double (*)[2])q);
    memset(&doc, 0, sizeof doc);
    assert_int_equal(pf_find_document_ex(&bmp, &doc, &conf), PF_OK);
    assert_int_equal(doc.found, 1);
    assert_int_equal(doc.cut_sides, 0);
    assert_true(conf == 0);
    assert_true(corner_error(&doc, (const double (*)[2])q) < 15);
    assert_true(fabs(doc.tilt - 6.0) < 1.0);
    double fill = 900 * 900 / CARD_RATIO / (W * H);
    assert_true(fabs(doc.fill - fill) < 0.03);
    pf_bitmap_free(&bmp);
}

static void test_card_cut_right(void **state)
{
    (void)state;
    double q[4][2];
    pf_bitmap bmp;
    pf_document doc;
    double conf = 0;
    /* 20% of the card's width beyond the right edge */
    card_corners(W - 900 * 0.3, 600, 900, -3.0, q);
    render(&bmp, (const double (*)[2])q);
    assert_int_equal(pf_find_document_ex(&bmp, &doc, &conf), PF_OK);
    assert_int_equal(doc.found, 1);
    assert_int_equal(doc.cut_sides, PF_SIDE_RIGHT);
    assert_true(conf >= PF_CUT_FAIL);
    /* the corners the frame cut off are placed outside it */
    assert_true(doc.corners[1][0] > W && doc.corners[2][0] > W);
    pf_bitmap_free(&bmp);
}

static void test_corner_cut(void **state)
{
    (void)state;
    double q[4][2];
    pf_bitmap bmp;
    pf_document doc;
    double conf = 0;
    /* turned 12 degrees: the bottom-right corner pokes out at the bottom */
    card_corners(800, H - 300, 1000, 12.0, q);
    assert_true(q[2][1] > H + 30);
    render(&bmp, (const double (*)[2])q);
    assert_int_equal(pf_find_document_ex(&bmp, &doc, &conf), PF_OK);
    assert_int_equal(doc.found, 1);
    assert_true(doc.cut_sides & PF_SIDE_BOTTOM);
    assert_true(conf >= PF_CUT_FAIL);
    pf_bitmap_free(&bmp);
}

static void test_scan_no_boundary(void **state)
{
    (void)state;
    pf_bitmap bmp;
    pf_document doc;
    double conf = 1;
    render(&bmp, NULL);
    assert_int_equal(pf_find_document_ex(&bmp, &doc, &conf), PF_OK);
    assert_int_equal(doc.found, 0);
    assert_int_equal(doc.cut_sides, 0);
    assert_true(conf == 0);
    pf_bitmap_free(&bmp);
}

static void test_tiny_and_bad_args(void **state)
{
    (void)state;
    pf_bitmap bmp;
    pf_document doc;
    assert_int_equal(pf_bitmap_alloc(&bmp, 8, 8), PF_OK);
    memset(bmp.rgb, 200, 8 * 8 * 3);
    assert_int_equal(pf_find_document(&bmp, &doc), PF_OK);
    assert_int_equal(doc.found, 0);
    assert_int_equal(pf_find_document(NULL, &doc), PF_ERR_INVALID_ARG);
    assert_int_equal(pf_find_document(&bmp, NULL), PF_ERR_INVALID_ARG);
    pf_bitmap out;
    assert_int_equal(pf_document_warp(&bmp, &doc, 0, &out, NULL), PF_ERR_INVALID_ARG);
    pf_bitmap_free(&bmp);
}

static void test_homography(void **state)
{
    (void)state;
    const double q[4][2] = {{100, 50}, {900, 80}, {850, 600}, {120, 560}};
    const double uv[4][2] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
    double h[9], inv[9];
    assert_int_equal(pf_quad_homography(q, h), 1);
    assert_int_equal(pf_homography_invert(h, inv), 1);
    for (int i = 0; i < 4; i++) {
        double u = uv[i][0], v = uv[i][1], z = h[6] * u + h[7] * v + h[8];
        double x = (h[0] * u + h[1] * v + h[2]) / z, y = (h[3] * u + h[4] * v + h[5]) / z;
        assert_true(fabs(x - q[i][0]) < 1e-6 && fabs(y - q[i][1]) < 1e-6);
        z = inv[6] * x + inv[7] * y + inv[8];
        assert_true(fabs((inv[0] * x + inv[1] * y + inv[2]) / z - u) < 1e-9);
        assert_true(fabs((inv[3] * x + inv[4] * y + inv[5]) / z - v) < 1e-9);
    }
    const double flat[4][2] = {{0, 0}, {1, 1}, {2, 2}, {3, 3}};
    assert_int_equal(pf_quad_homography(flat, h), 0);
}

static size_t count_valid(const uint8_t *valid, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += valid[i] != 0;
    return k;
}

static void test_warp(void **state)
{
    (void)state;
    double q[4][2];
    pf_bitmap bmp, out;
    pf_document doc;
    uint8_t *valid = NULL;
    card_corners(800, 600, 1000, 8.0, q);
    render(&bmp, (const double (*)[2])q);
    memset(&doc, 0, sizeof doc);
    doc.found = 1;
    memcpy(doc.corners, q, sizeof doc.corners);
    assert_int_equal(pf_document_warp(&bmp, &doc, 800, &out, &valid), PF_OK);
    assert_int_equal(out.width, 800);
    assert_true(abs((int)out.height - (int)lround(800 / CARD_RATIO)) <= 1);
    assert_int_equal(count_valid(valid, (size_t)out.width * out.height),
                     (size_t)out.width * out.height);
    /* upright again: paper in the top-left margin, ink in the middle of
     * the first print row (v = 1.775 / 14, u = 4.575 / 9) */
    const uint8_t *tl = out.rgb + ((size_t)10 * out.width + 10) * 3;
    assert_true(tl[0] > 200);
    size_t iy = (size_t)lround(out.height * 1.775 / 14), ix = (size_t)lround(out.width * 4.575 / 9);
    assert_true(out.rgb[(iy * out.width + ix) * 3] < 120);
    pf_bitmap_free(&out), free(valid), valid = NULL;
    /* a quad running out of the frame: part of the output is not valid */
    for (int i = 0; i < 4; i++)
        doc.corners[i][0] += 500;
    assert_int_equal(pf_document_warp(&bmp, &doc, 400, &out, &valid), PF_OK);
    size_t n = (size_t)out.width * out.height, k = count_valid(valid, n);
    assert_true(k > n / 3 && k < n);
    pf_bitmap_free(&out), free(valid), valid = NULL;
    /* nothing found: the whole image, resized */
    doc.found = 0;
    assert_int_equal(pf_document_warp(&bmp, &doc, 400, &out, &valid), PF_OK);
    assert_int_equal(out.width, 400);
    assert_int_equal(out.height, 300);
    assert_int_equal(count_valid(valid, 400 * 300), 400 * 300);
    pf_bitmap_free(&out), free(valid);
    pf_bitmap_free(&bmp);
}


/* A blank card whose top-left corner region is off the frame: only its
 * right and bottom sides are seen, both running straight into the frame
 * (print rows would stand in for the top side: see test_corner_cut). */
static void test_corner_region_fails(void **state)
{
    (void)state;
    double q[4][2];
    pf_bitmap bmp;
    pf_document doc;
    double conf = 0;
    card_corners(250, 150, 1000, 2.0, q);
    render_on(&bmp, (const double (*)[2])q, 0, 0);
    assert_int_equal(pf_find_document_ex(&bmp, &doc, &conf), PF_OK);
    assert_int_equal(doc.found, 1);
    assert_int_equal(doc.cut_sides, PF_SIDE_TOP | PF_SIDE_LEFT);
    assert_true(conf >= PF_CUT_FAIL);
    pf_bitmap_free(&bmp);
}

/* A card cut off on the left lying on bold stripes at many slightly
 * different angles: their many strong edges, all near one direction,
 * must not crowd the card's only side across them (its right side) out
 * of the lines the finder looks at (document_lines.c keeps room for the
 * other direction). */
static void test_side_across_stripes(void **state)
{
    (void)state;
    double q[4][2];
    pf_bitmap bmp;
    doc_work *w = calloc(1, sizeof *w);
    assert_non_null(w);
    card_corners(220, 640, 700, 3.0, q);
    assert_true(q[0][0] < -80 && q[3][0] < -80);
    render_on(&bmp, (const double (*)[2])q, 2, 1);
    assert_int_equal(doc_find_lines(&bmp, w), PF_OK);
    /* the right side in reduced pixels: normal 3 degrees, through the
     * midpoint of q[1] and q[2] */
    double mx = (q[1][0] + q[2][0]) / 2 / w->k, my = (q[1][1] + q[2][1]) / 2 / w->k;
    int found = 0, across = 0;
    for (int i = 0; i < w->n_lines; i++) {
        const doc_line *l = &w->lines[i];
        double d = fmod(l->theta - 3.0 + 540.0, 180.0); /* 0..180 */
        d = fmin(d, 180.0 - d);
        across += !l->frame && fmin(fabs(l->theta - 90), 90) < 30;
        if (!l->frame && d < 2.0 && fabs(mx * l->nx + my * l->ny - l->rho) < 2.0)
            found = 1;
    }
    assert_true(across > 12); /* the stripes do give many lines */
    assert_int_equal(found, 1);
    doc_work_free(w);
    free(w);
    pf_bitmap_free(&bmp);
}

/* stands_out: a card on a table and a page on a plain desk stand out; a
 * box ruled on a page (the same paper either side of it) does not. */
static void test_stands_out(void **state)
{
    (void)state;
    double q[4][2];
    pf_bitmap bmp;
    pf_document doc;
    card_corners(800, 600, 700, 4.0, q);
    render(&bmp, (const double (*)[2])q);
    assert_int_equal(pf_find_document(&bmp, &doc), PF_OK);
    assert_true(doc.found && doc.fill < PF_FILL_WARN);
    assert_int_equal(doc.stands_out, 1);
    pf_bitmap_free(&bmp);
    /* a page (A4 ratio) on a grey desk */
    const double page[4][2] = {{560, 250}, {1010, 262}, {1000, 900}, {545, 890}};
    render_on(&bmp, page, 1, 1);
    assert_int_equal(pf_find_document(&bmp, &doc), PF_OK);
    assert_true(doc.found && doc.fill < PF_FILL_WARN);
    assert_true(corner_error(&doc, page) < 15);
    assert_int_equal(doc.stands_out, 1);
    pf_bitmap_free(&bmp);
    /* a scanned page with a box ruled on it in bands BOX_PX wide */
    render(&bmp, NULL);
    rule_box(&bmp, 500, 380, 1150, 820);
    assert_int_equal(pf_find_document(&bmp, &doc), PF_OK);
    assert_int_equal(doc.found, 1); /* the box is found ... */
    assert_int_equal(doc.stands_out, 0); /* ... but is not the document */
    pf_bitmap_free(&bmp);
}

/* A card on a plain desk whose lower part fades into the desk's colour
 * (a card in shadow, or of the desk's colour there): its bottom side is
 * not seen and the frame stands in for it, but the strip along the
 * frame is desk, like the card's outside, not like its inside: it passes. */
static void test_unseen_side_not_cut(void **state)
{
    (void)state;
    double q[4][2];
    pf_bitmap bmp;
    pf_document doc;
    double conf = 1;
    card_corners(800, 760, 1000, 0.0, q);
    render_on(&bmp, (const double (*)[2])q, 1, 0);
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++) {
            double u, v;
            if (card_uv((const double (*)[2])q, x, y, &u, &v) != 0)
                continue;
            double f = fmin(1, fmax(0, (v - 0.6) / 0.4)); /* desk's share */
            uint8_t *p = bmp.rgb + ((size_t)y * W + x) * 3;
            const double desk[3] = {96, 100, 108};
            for (int c = 0; c < 3; c++)
                p[c] = (uint8_t)(p[c] + f * (desk[c] - p[c]) + 0.5);
        }
    assert_int_equal(pf_find_document_ex(&bmp, &doc, &conf), PF_OK);
    assert_int_equal(doc.found, 1);
    assert_int_equal(doc.cut_sides, PF_SIDE_BOTTOM);
    assert_true(conf < PF_CUT_WARN);
    pf_bitmap_free(&bmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_card_inside),
        cmocka_unit_test(test_card_cut_right),
        cmocka_unit_test(test_corner_cut),
        cmocka_unit_test(test_scan_no_boundary),
        cmocka_unit_test(test_tiny_and_bad_args),
        cmocka_unit_test(test_homography),
        cmocka_unit_test(test_warp),
        cmocka_unit_test(test_corner_region_fails),
        cmocka_unit_test(test_stands_out),
        cmocka_unit_test(test_side_across_stripes),
        cmocka_unit_test(test_unseen_side_not_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
