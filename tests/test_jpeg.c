/* Tests for src/codec/jpeg_codec.c: decode (colour spaces, caps, damage, scaling),
 * header, encode, lossless upright transform and metadata stripping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jpeglib.h>

#include "internal.h"
#include "testutil.h"

/* ---- helpers ---- */

static int contains(const uint8_t *d, size_t len, const void *needle, size_t n)
{
    for (size_t i = 0; n <= len && i <= len - n; i++)
        if (memcmp(d + i, needle, n) == 0)
            return 1;
    return 0;
}

/* A JPEG of w x h from the given pattern; fails the test on error. */
static uint8_t *make_jpeg(uint32_t w, uint32_t h, enum tu_pattern pat,
                          int components, int progressive, const uint8_t *exif,
                          size_t exif_len, size_t *len)
{
    uint8_t *rgb = tu_make_rgb(w, h, pat, 7);
    uint8_t *jpg = NULL;
    assert_non_null(rgb);
    assert_int_equal(tu_jpeg(rgb, w, h, components, 92, progressive, exif,
                             exif_len, &jpg, len), 0);
    free(rgb);
    return jpg;
}

/* Copy of a JPEG with one segment inserted right after SOI. */
static uint8_t *insert_segment(const uint8_t *jpg, size_t len, int marker,
                               const void *payload, size_t plen,
                               size_t *out_len)
{
    uint8_t *o = malloc(len + plen + 4);
    assert_non_null(o);
    memcpy(o, jpg, 2);
    o[2] = 0xFF, o[3] = (uint8_t)marker;
    o[4] = (uint8_t)((plen + 2) >> 8), o[5] = (uint8_t)(plen + 2);
    memcpy(o + 6, payload, plen);
    memcpy(o + 6 + plen, jpg + 2, len - 2);
    *out_len = len + plen + 4;
    return o;
}

static const uint8_t *px(const pf_bitmap *b, uint32_t x, uint32_t y)
{
    return b->rgb + ((size_t)y * b->width + x) * 3;
}

static void assert_near(int got, int want, int tol)
{
    if (abs(got - want) > tol)
        fail_msg("value %d not within %d of %d", got, tol, want);
}

static void decode_ok(const uint8_t *jpg, size_t len, int eighths, pf_decoded *d)
{
    char err[PF_ERR_LEN];
    pf_status st = pf_jpeg_decode(jpg, len, PF_DEFAULT_MAX_PIXELS, eighths, d, err);
    if (st != PF_OK)
        fail_msg("decode failed: %s (%s)", pf_strerror(st), err);
}

/* CMYK JPEG written directly with libjpeg: every pixel (c, m, y, k) as
 * stored, with or without the Adobe APP14 marker. */
static uint8_t *make_cmyk(const uint8_t cmyk[4], int adobe, size_t *len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    unsigned char *mem = NULL;
    unsigned long mem_len = 0;
    uint8_t row[16 * 4];
    for (int x = 0; x < 16; x++)
        memcpy(row + x * 4, cmyk, 4);
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &mem_len);
    c.image_width = 16, c.image_height = 16;
    c.input_components = 4, c.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 100, TRUE);
    c.write_Adobe_marker = adobe ? TRUE : FALSE;
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < 16) {
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    *len = mem_len;
    return mem;
}

/* Grey progressive JPEG with 1 + 63 * 10 scans: each AC coefficient in its
 * own band, refined bit by bit. Valid, but far over the 500-scan cap. */
static uint8_t *make_many_scans(size_t *len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    unsigned char *mem = NULL;
    unsigned long mem_len = 0;
    enum { AL = 9, NSCANS = 1 + 63 * (AL + 1) };
    jpeg_scan_info *scans = calloc(NSCANS, sizeof *scans);
    uint8_t row[16];
    assert_non_null(scans);
    memset(row, 128, sizeof row);
    int n = 0;
    scans[n].comps_in_scan = 1, n++; /* DC, all zero fields */
    for (int k = 1; k <= 63; k++)
        for (int a = AL; a >= 0; a--, n++) {
            scans[n].comps_in_scan = 1;
            scans[n].Ss = k, scans[n].Se = k;
            scans[n].Ah = a == AL ? 0 : a + 1, scans[n].Al = a;
        }
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &mem_len);
    c.image_width = 16, c.image_height = 16;
    c.input_components = 1, c.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    c.scan_info = scans, c.num_scans = n;
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < 16) {
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(scans);
    *len = mem_len;
    return mem;
}

/* ---- decode ---- */

static void test_decode_flat_rgb(void **state)
{
    (void)state;
    size_t len;
    uint8_t *jpg = make_jpeg(64, 48, TU_PATTERN_FLAT, 3, 0, NULL, 0, &len);
    pf_decoded d;
    decode_ok(jpg, len, 8, &d);
    assert_int_equal(d.bmp.width, 64);
    assert_int_equal(d.bmp.height, 48);
    assert_int_equal(d.source_grey, 0);
    assert_int_equal(d.has_alpha, 0);
    assert_int_equal(d.exif_orientation, 0);
    assert_int_equal(d.has_gps, 0);
    for (uint32_t y = 0; y < 48; y++)
        for (uint32_t x = 0; x < 64; x++) {
            const uint8_t *p = px(&d.bmp, x, y);
            assert_near(p[0], 200, 2);
            assert_near(p[1], 60, 2);
            assert_near(p[2], 40, 2);
        }
    pf_decoded_free(&d);
    free(jpg);
}

static void test_decode_grey(void **state)
{
    (void)state;
    size_t len;
    uint8_t *jpg = make_jpeg(40, 30, TU_PATTERN_FLAT, 1, 0, NULL, 0, &len);
    pf_decoded d;
    decode_ok(jpg, len, 8, &d);
    assert_int_equal(d.source_grey, 1);
    for (size_t i = 0; i < (size_t)40 * 30; i++) {
        const uint8_t *p = d.bmp.rgb + i * 3;
        assert_int_equal(p[0], p[1]);
        assert_int_equal(p[1], p[2]);
        assert_near(p[0], 200, 2); /* tu_jpeg keeps the R channel */
    }
    pf_decoded_free(&d);
    free(jpg);
}

static void test_decode_cmyk_tu_adobe(void **state)
{
    (void)state;
    size_t len;
    uint8_t *jpg = make_jpeg(32, 32, TU_PATTERN_FLAT, 4, 0, NULL, 0, &len);
    pf_decoded d;
    decode_ok(jpg, len, 8, &d);
    assert_int_equal(d.source_grey, 0);
    const uint8_t *p = px(&d.bmp, 10, 10);
    assert_near(p[0], 200, 3);
    assert_near(p[1], 60, 3);
    assert_near(p[2], 40, 3);
    pf_decoded_free(&d);
    free(jpg);
}

/* Same ink, both conventions: Adobe stores 255 - ink, plain CMYK the ink. */
static void test_decode_cmyk_both_conventions(void **state)
{
    (void)state;
    /* Ink C=0 M=200 Y=220 K=50 -> R=205, G=44, B=28. */
    const uint8_t plain[4] = {0, 200, 220, 50};
    const uint8_t inverted[4] = {255, 55, 35, 205};
    for (int adobe = 0; adobe <= 1; adobe++) {
        size_t len;
        uint8_t *jpg = make_cmyk(adobe ? inverted : plain, adobe, &len);
        pf_decoded d;
        decode_ok(jpg, len, 8, &d);
        const uint8_t *p = px(&d.bmp, 5, 5);
        assert_near(p[0], 205, 3);
        assert_near(p[1], 44, 3);
        assert_near(p[2], 28, 3);
        pf_decoded_free(&d);
        free(jpg);
    }
}

static void test_decode_progressive(void **state)
{
    (void)state;
    size_t len;
    uint8_t *jpg = make_jpeg(100, 60, TU_PATTERN_FLAT, 3, 1, NULL, 0, &len);
    pf_decoded d;
    decode_ok(jpg, len, 8, &d);
    assert_int_equal(d.bmp.width, 100);
    assert_near(px(&d.bmp, 50, 30)[0], 200, 2);
    pf_decoded_free(&d);
    free(jpg);
}

static void test_decode_max_pixels(void **state)
{
    (void)state;
    size_t len;
    uint8_t *jpg = make_jpeg(64, 48, TU_PATTERN_COLOR, 3, 0, NULL, 0, &len);
    pf_decoded d;
    char err[PF_ERR_LEN];
    assert_int_equal(pf_jpeg_decode(jpg, len, 64 * 48 - 1, 8, &d, err),
                     PF_ERR_TOO_LARGE);
    assert_null(d.bmp.rgb);
    assert_non_null(strstr(err, "64×48"));
    assert_non_null(strstr(err, "MP limit"));
    /* Exactly at the cap is allowed. */
    assert_int_equal(pf_jpeg_decode(jpg, len, 64 * 48, 8, &d, err), PF_OK);
    pf_decoded_free(&d);
    free(jpg);
}

/* Offset of the first SOS marker: where the image data starts. */
static size_t first_scan_offset(const uint8_t *jpg, size_t len)
{
    for (size_t i = 2; i + 1 < len; i++)
        if (jpg[i] == 0xFF && jpg[i + 1] == 0xDA)
            return i;
    fail_msg("no SOS");
    return 0;
}

static pf_status decode_cut(const uint8_t *jpg, size_t cut, char *err)
{
    /* An exact-size copy, so ASan sees any over-read. */
    uint8_t *part = malloc(cut);
    memcpy(part, jpg, cut);
    pf_decoded d;
    pf_status st = pf_jpeg_decode(part, cut, 0, 8, &d, err);
    if (st == PF_OK) {
        assert_int_equal(d.bmp.width, 200);
        assert_int_equal(d.bmp.height, 160);
    } else {
        assert_null(d.bmp.rgb);
    }
    pf_decoded_free(&d);
    free(part);
    return st;
}

/* A file cut short is an error naming how much is there, never a picture
 * with a grey bottom; one missing only its end marker is whole. */
static void test_decode_truncated(void **state)
{
    (void)state;
    char err[PF_ERR_LEN];
    for (int prog = 0; prog <= 1; prog++) {
        size_t len;
        uint8_t *jpg = make_jpeg(200, 160, TU_PATTERN_COLOR, 3, prog, NULL, 0,
                                 &len);
        size_t sos = first_scan_offset(jpg, len);
        assert_int_equal(decode_cut(jpg, len - 2, err), PF_OK);
        assert_int_equal(decode_cut(jpg, 20, err), PF_ERR_TRUNCATED);
        assert_string_equal(err, "truncated JPEG: the file ends inside its header");
        for (int quarter = 1; quarter <= 3; quarter++) {
            size_t cut = sos + (len - sos) * (size_t)quarter / 4;
            assert_int_equal(decode_cut(jpg, cut, err), PF_ERR_TRUNCATED);
            int pct = -1;
            if (prog) {
                assert_non_null(strstr(err, "truncated JPEG: the data stops in scan"));
                continue;
            }
            assert_int_equal(sscanf(err, "truncated JPEG: %d%% of the image "
                                    "data present", &pct), 1);
            /* Rows of this picture cost about the same bytes each. */
            if (pct < 25 * quarter - 10 || pct > 25 * quarter + 10)
                fail_msg("cut at %d%% of the scan reported %d%%", 25 * quarter, pct);
        }
        free(jpg);
    }
}

static void test_decode_garbage(void **state)
{
    (void)state;
    uint8_t junk[1000];
    unsigned s = 1;
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)((s = s * 1103515245u + 12345u) >> 16);
    pf_decoded d;
    char err[PF_ERR_LEN];
    assert_int_equal(pf_jpeg_decode(junk, sizeof junk, 0, 8, &d, err),
                     PF_ERR_NOT_IMAGE);
    assert_int_equal(pf_jpeg_decode(NULL, 0, 0, 8, &d, err), PF_ERR_NOT_IMAGE);
    assert_int_equal(pf_jpeg_decode(junk, 2, 0, 8, &d, err), PF_ERR_NOT_IMAGE);
    /* A JPEG start followed by noise gets past the sniff, not the decoder. */
    junk[0] = 0xFF, junk[1] = 0xD8, junk[2] = 0xFF;
    assert_int_not_equal(pf_jpeg_decode(junk, sizeof junk, 0, 8, &d, err), PF_OK);
    assert_null(d.bmp.rgb);
    assert_true(err[0] != '\0');
}

static void test_decode_scale(void **state)
{
    (void)state;
    size_t len;
    uint8_t *jpg = make_jpeg(101, 75, TU_PATTERN_COLOR, 3, 0, NULL, 0, &len);
    /* Every M/8 gives ceil(stored * M / 8) and remembers the stored size. */
    for (int m = 1; m <= 8; m++) {
        pf_decoded d;
        decode_ok(jpg, len, m, &d);
        assert_int_equal(d.bmp.width, (101 * m + 7) / 8);
        assert_int_equal(d.bmp.height, (75 * m + 7) / 8);
        assert_int_equal(d.stored_width, 101);
        assert_int_equal(d.stored_height, 75);
        pf_decoded_free(&d);
    }
    pf_decoded d;
    assert_int_equal(pf_jpeg_decode(jpg, len, 0, 0, &d, NULL),
                     PF_ERR_INVALID_ARG);
    assert_int_equal(pf_jpeg_decode(jpg, len, 0, 9, &d, NULL),
                     PF_ERR_INVALID_ARG);
    free(jpg);
}

static void test_decode_exif(void **state)
{
    (void)state;
    uint8_t exif[128];
    size_t elen = tu_exif_orientation(6, 1, 1, 1, exif, sizeof exif);
    assert_true(elen > 0);
    size_t len;
    uint8_t *jpg = make_jpeg(32, 16, TU_PATTERN_COLOR, 3, 0, exif, elen, &len);
    pf_decoded d;
    decode_ok(jpg, len, 8, &d);
    assert_int_equal(d.exif_orientation, 6);
    assert_int_equal(d.has_gps, 1);
    assert_int_equal(d.bmp.width, 32); /* pixels still as stored */
    pf_decoded_free(&d);
    free(jpg);
}

static void test_decode_scan_limit(void **state)
{
    (void)state;
    size_t len;
    uint8_t *jpg = make_many_scans(&len);
    pf_decoded d;
    char err[PF_ERR_LEN];
    assert_int_equal(pf_jpeg_decode(jpg, len, 0, 8, &d, err), PF_ERR_CORRUPT);
    assert_non_null(strstr(err, "scans"));
    uint8_t *out = NULL;
    size_t out_len;
    assert_int_equal(pf_jpeg_transform_upright(jpg, len, 6, 0, &out, &out_len,
                                               err), PF_ERR_CORRUPT);
    assert_null(out);
    free(jpg);
}

/* ---- header ---- */

static void test_header(void **state)
{
    (void)state;
    size_t len;
    uint8_t *jpg = make_jpeg(77, 33, TU_PATTERN_COLOR, 1, 0, NULL, 0, &len);
    uint32_t w = 0, h = 0;
    int comps = 0;
    char err[PF_ERR_LEN];
    assert_int_equal(pf_jpeg_header(jpg, len, &w, &h, &comps, err), PF_OK);
    assert_int_equal(w, 77);
    assert_int_equal(h, 33);
    assert_int_equal(comps, 1);
    assert_int_equal(pf_jpeg_header(jpg, 40, &w, &h, &comps, err),
                     PF_ERR_CORRUPT);
    assert_int_equal(pf_jpeg_header((const uint8_t *)"GIF89a", 6, &w, &h,
                                    &comps, err), PF_ERR_NOT_IMAGE);
    free(jpg);
}

/* ---- encode ---- */

static void test_encode_roundtrip(void **state)
{
    (void)state;
    pf_bitmap bmp;
    assert_int_equal(pf_bitmap_alloc(&bmp, 120, 80), PF_OK);
    uint8_t *rgb = tu_make_rgb(120, 80, TU_PATTERN_COLOR, 3);
    memcpy(bmp.rgb, rgb, (size_t)120 * 80 * 3);
    uint8_t *jpg = NULL;
    size_t len = 0;
    char err[PF_ERR_LEN];
    assert_int_equal(pf_jpeg_encode(&bmp, 90, &jpg, &len, err), PF_OK);
    assert_true(len > 100);
    assert_memory_equal(jpg, "\xFF\xD8\xFF\xE0", 4);
    assert_true(contains(jpg, len, "JFIF", 5));
    assert_false(contains(jpg, len, "Exif", 4));
    assert_memory_equal(jpg + len - 2, "\xFF\xD9", 2);
    pf_decoded d;
    decode_ok(jpg, len, 8, &d);
    assert_int_equal(d.bmp.width, 120);
    assert_int_equal(d.bmp.height, 80);
    uint64_t diff = 0;
    for (size_t i = 0; i < (size_t)120 * 80 * 3; i++)
        diff += (uint64_t)abs(d.bmp.rgb[i] - rgb[i]);
    assert_true(diff / ((size_t)120 * 80 * 3) <= 6); /* noise costs a little */
    pf_decoded_free(&d);
    free(jpg);
    free(rgb);
    pf_bitmap_free(&bmp);
}

static void test_encode_sizes_and_args(void **state)
{
    (void)state;
    pf_bitmap bmp;
    assert_int_equal(pf_bitmap_alloc(&bmp, 200, 150), PF_OK);
    uint8_t *rgb = tu_make_rgb(200, 150, TU_PATTERN_COLOR, 5);
    memcpy(bmp.rgb, rgb, (size_t)200 * 150 * 3);
    uint8_t *hi = NULL, *lo = NULL, *bad = (uint8_t *)1;
    size_t hi_len, lo_len, bad_len;
    assert_int_equal(pf_jpeg_encode(&bmp, 90, &hi, &hi_len, NULL), PF_OK);
    assert_int_equal(pf_jpeg_encode(&bmp, 30, &lo, &lo_len, NULL), PF_OK);
    assert_true(hi_len > lo_len);
    assert_int_equal(pf_jpeg_encode(&bmp, 0, &bad, &bad_len, NULL),
                     PF_ERR_INVALID_ARG);
    assert_null(bad);
    assert_int_equal(pf_jpeg_encode(&bmp, 101, &bad, &bad_len, NULL),
                     PF_ERR_INVALID_ARG);
    free(hi);
    free(lo);
    free(rgb);
    pf_bitmap_free(&bmp);
}

/* ---- transform ---- */

/* Stored pixel that a viewer shows at (x, y) for the EXIF orientation. */
static void stored_of(int o, uint32_t x, uint32_t y, uint32_t w, uint32_t h,
                      uint32_t *sx, uint32_t *sy)
{
    switch (o) {
    case 2: *sx = w - 1 - x, *sy = y; break;
    case 3: *sx = w - 1 - x, *sy = h - 1 - y; break;
    case 4: *sx = x, *sy = h - 1 - y; break;
    case 5: *sx = y, *sy = x; break;
    case 6: *sx = y, *sy = h - 1 - x; break;
    case 7: *sx = w - 1 - y, *sy = h - 1 - x; break;
    case 8: *sx = w - 1 - y, *sy = x; break;
    default: *sx = x, *sy = y; break;
    }
}

/* 32x16, MCU-aligned for 4:2:0; the top-left 8x8 block white, rest black,
 * so luma carries the marker exactly and chroma stays neutral. */
static void test_transform_rot90(void **state)
{
    (void)state;
    uint8_t *rgb = calloc((size_t)32 * 16 * 3, 1);
    for (int y = 0; y < 8; y++)
        memset(rgb + (size_t)y * 32 * 3, 255, 8 * 3);
    uint8_t *jpg, *out = NULL;
    size_t len, out_len;
    assert_int_equal(tu_jpeg(rgb, 32, 16, 3, 95, 0, NULL, 0, &jpg, &len), 0);
    char err[PF_ERR_LEN];
    assert_int_equal(pf_jpeg_transform_upright(jpg, len, 6, 0, &out, &out_len,
                                               err), PF_OK);
    pf_decoded d;
    decode_ok(out, out_len, 8, &d);
    assert_int_equal(d.bmp.width, 16);
    assert_int_equal(d.bmp.height, 32);
    assert_true(px(&d.bmp, 15, 0)[0] > 240);   /* was the top-left */
    assert_true(px(&d.bmp, 8, 7)[1] > 240);
    assert_true(px(&d.bmp, 0, 0)[0] < 15);
    assert_true(px(&d.bmp, 7, 0)[0] < 15);
    assert_true(px(&d.bmp, 15, 8)[0] < 15);
    assert_true(px(&d.bmp, 15, 31)[0] < 15);
    pf_decoded_free(&d);
    free(out);
    free(jpg);
    free(rgb);
}

/* Every orientation on a colour image, against the pixel mapping. */
static void test_transform_all_orientations(void **state)
{
    (void)state;
    size_t len;
    uint8_t *jpg = make_jpeg(48, 32, TU_PATTERN_COLOR, 3, 0, NULL, 0, &len);
    pf_decoded src;
    decode_ok(jpg, len, 8, &src);
    for (int o = 1; o <= 8; o++) {
        uint8_t *out = NULL;
        size_t out_len;
        char err[PF_ERR_LEN];
        assert_int_equal(pf_jpeg_transform_upright(jpg, len, o, 0, &out,
                                                   &out_len, err), PF_OK);
        pf_decoded d;
        decode_ok(out, out_len, 8, &d);
        assert_int_equal(d.bmp.width, o >= 5 ? 32 : 48);
        assert_int_equal(d.bmp.height, o >= 5 ? 48 : 32);
        uint64_t diff = 0;
        for (uint32_t y = 0; y < d.bmp.height; y++)
            for (uint32_t x = 0; x < d.bmp.width; x++) {
                uint32_t sx, sy;
                stored_of(o, x, y, 48, 32, &sx, &sy);
                for (int c = 0; c < 3; c++)
                    diff += (uint64_t)abs(px(&d.bmp, x, y)[c] -
                                          px(&src.bmp, sx, sy)[c]);
            }
        /* Chroma upsampling runs the other way round; luma is exact. */
        if (diff > (uint64_t)48 * 32 * 3)
            fail_msg("orientation %d: mean error %.2f", o,
                     diff / (48.0 * 32 * 3));
        pf_decoded_free(&d);
        free(out);
    }
    pf_decoded_free(&src);
    free(jpg);
}

static void test_transform_partial_mcu(void **state)
{
    (void)state;
    size_t len;
    uint8_t *jpg = make_jpeg(33, 17, TU_PATTERN_COLOR, 3, 0, NULL, 0, &len);
    uint8_t *out = NULL;
    size_t out_len;
    char err[PF_ERR_LEN];
    assert_int_equal(pf_jpeg_transform_upright(jpg, len, 6, 0, &out, &out_len,
                                               err), PF_ERR_UNFIXABLE);
    assert_null(out);
    assert_true(err[0] != '\0');
    /* A transpose never needs trimming: always perfect. */
    assert_int_equal(pf_jpeg_transform_upright(jpg, len, 5, 0, &out, &out_len,
                                               err), PF_OK);
    uint32_t w, h;
    int comps;
    assert_int_equal(pf_jpeg_header(out, out_len, &w, &h, &comps, err), PF_OK);
    assert_int_equal(w, 17);
    assert_int_equal(h, 33);
    free(out);
    free(jpg);
}

static void test_transform_metadata(void **state)
{
    (void)state;
    uint8_t exif[128];
    size_t elen = tu_exif_orientation(6, 1, 1, 0, exif, sizeof exif);
    size_t len;
    uint8_t *jpg = make_jpeg(32, 16, TU_PATTERN_COLOR, 3, 0, exif, elen, &len);
    uint8_t *out = NULL;
    size_t out_len;
    pf_decoded d;
    char err[PF_ERR_LEN];
    /* Kept: the tag now says "upright", GPS still there. */
    assert_int_equal(pf_jpeg_transform_upright(jpg, len, 6, 1, &out, &out_len,
                                               err), PF_OK);
    decode_ok(out, out_len, 8, &d);
    assert_int_equal(d.exif_orientation, 1);
    assert_int_equal(d.has_gps, 1);
    assert_int_equal(d.bmp.width, 16);
    pf_decoded_free(&d);
    free(out);
    /* Dropped. */
    assert_int_equal(pf_jpeg_transform_upright(jpg, len, 6, 0, &out, &out_len,
                                               err), PF_OK);
    assert_false(contains(out, out_len, "Exif", 4));
    decode_ok(out, out_len, 8, &d);
    assert_int_equal(d.exif_orientation, 0);
    pf_decoded_free(&d);
    free(out);
    /* Orientation 1: a copy, stripped or not. */
    assert_int_equal(pf_jpeg_transform_upright(jpg, len, 1, 1, &out, &out_len,
                                               err), PF_OK);
    assert_int_equal(out_len, len);
    assert_memory_equal(out, jpg, len);
    free(out);
    assert_int_equal(pf_jpeg_transform_upright(jpg, len, 0, 0, &out, &out_len,
                                               err), PF_OK);
    assert_false(contains(out, out_len, "Exif", 4));
    free(out);
    assert_int_equal(pf_jpeg_transform_upright(jpg, len, 9, 0, &out, &out_len,
                                               err), PF_ERR_INVALID_ARG);
    free(jpg);
}

/* ---- strip ---- */

static void assert_same_pixels(const uint8_t *a, size_t alen, const uint8_t *b,
                               size_t blen)
{
    pf_decoded da, db;
    decode_ok(a, alen, 8, &da);
    decode_ok(b, blen, 8, &db);
    assert_int_equal(da.bmp.width, db.bmp.width);
    assert_int_equal(da.bmp.height, db.bmp.height);
    assert_memory_equal(da.bmp.rgb, db.bmp.rgb,
                        (size_t)da.bmp.width * da.bmp.height * 3);
    pf_decoded_free(&da);
    pf_decoded_free(&db);
}

static void test_strip_metadata(void **state)
{
    (void)state;
    uint8_t exif[128];
    size_t elen = tu_exif_orientation(3, 1, 1, 1, exif, sizeof exif);
    size_t l0, l1, l2, l3, len;
    uint8_t *j0 = make_jpeg(64, 40, TU_PATTERN_COLOR, 3, 1, exif, elen, &l0);
    const char com[] = "secret-comment";
    const char icc[] = "ICC_PROFILE\0\1\1fake-profile";
    const char iptc[] = "Photoshop 3.0\0iptc";
    uint8_t *j1 = insert_segment(j0, l0, 0xFE, com, sizeof com, &l1);
    uint8_t *j2 = insert_segment(j1, l1, 0xE2, icc, sizeof icc, &l2);
    uint8_t *j3 = insert_segment(j2, l2, 0xED, iptc, sizeof iptc, &l3);
    uint8_t *jpg = insert_segment(j3, l3, 0xE0, "JFXX\0\x10thumb", 11, &len);
    uint8_t *out = NULL;
    size_t out_len;
    char err[PF_ERR_LEN];
    assert_int_equal(pf_jpeg_strip_metadata(jpg, len, &out, &out_len, err), PF_OK);
    assert_false(contains(out, out_len, "Exif", 4));
    assert_false(contains(out, out_len, "secret-comment", 14));
    assert_false(contains(out, out_len, "\xFF\xFE", 2));
    assert_false(contains(out, out_len, "Photoshop", 9));
    assert_false(contains(out, out_len, "JFXX", 4));
    assert_true(contains(out, out_len, "ICC_PROFILE", 11));
    assert_true(contains(out, out_len, "JFIF", 5));
    assert_true(out_len < len);
    assert_same_pixels(jpg, len, out, out_len);
    pf_decoded d;
    decode_ok(out, out_len, 8, &d);
    assert_int_equal(d.exif_orientation, 0);
    assert_int_equal(d.has_gps, 0);
    pf_decoded_free(&d);
    free(out);
    free(jpg), free(j0), free(j1), free(j2), free(j3);
}

/* The JFIF thumbnail goes; the Adobe marker CMYK needs stays. */
static void test_strip_jfif_thumb_and_adobe(void **state)
{
    (void)state;
    size_t l0, len;
    uint8_t *j0 = make_jpeg(32, 32, TU_PATTERN_FLAT, 4, 0, NULL, 0, &l0);
    /* JFIF 1.02, no units, 1:1, with a 1x1 RGB thumbnail. */
    const uint8_t jfif[] = {'J', 'F', 'I', 'F', 0, 1, 2, 0, 0, 1, 0, 1,
                            1, 1, 9, 9, 9};
    uint8_t *jpg = insert_segment(j0, l0, 0xE0, jfif, sizeof jfif, &len);
    uint8_t *out = NULL;
    size_t out_len;
    assert_int_equal(pf_jpeg_strip_metadata(jpg, len, &out, &out_len, NULL),
                     PF_OK);
    const uint8_t want[] = {0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F',
                            0, 1, 2, 0, 0, 1, 0, 1, 0, 0};
    assert_memory_equal(out, want, sizeof want);
    assert_true(contains(out, out_len, "Adobe", 5));
    assert_same_pixels(jpg, len, out, out_len);
    free(out);
    free(jpg);
    free(j0);
}

static void test_strip_malformed(void **state)
{
    (void)state;
    size_t len;
    uint8_t *jpg = make_jpeg(16, 16, TU_PATTERN_COLOR, 3, 0, NULL, 0, &len);
    uint8_t *out = (uint8_t *)1;
    size_t out_len;
    char err[PF_ERR_LEN];
    /* Every cut before the first scan is a broken marker walk. */
    for (size_t cut = 4; cut < 100; cut++) {
        uint8_t *part = malloc(cut);
        memcpy(part, jpg, cut);
        pf_status st = pf_jpeg_strip_metadata(part, cut, &out, &out_len, err);
        assert_true(st == PF_OK || st == PF_ERR_CORRUPT);
        if (st == PF_OK)
            free(out);
        else
            assert_null(out);
        free(part);
    }
    /* A segment length running past the end. */
    uint8_t bad[] = {0xFF, 0xD8, 0xFF, 0xE1, 0x40, 0x00, 'E', 'x'};
    assert_int_equal(pf_jpeg_strip_metadata(bad, sizeof bad, &out, &out_len, err),
                     PF_ERR_CORRUPT);
    uint8_t tiny[] = {0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01, 0xFF, 0xDA};
    assert_int_equal(pf_jpeg_strip_metadata(tiny, sizeof tiny, &out, &out_len,
                                            err), PF_ERR_CORRUPT);
    assert_int_equal(pf_jpeg_strip_metadata((const uint8_t *)"\x89PNG", 4, &out,
                                            &out_len, err), PF_ERR_NOT_IMAGE);
    free(jpg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_flat_rgb),
        cmocka_unit_test(test_decode_grey),
        cmocka_unit_test(test_decode_cmyk_tu_adobe),
        cmocka_unit_test(test_decode_cmyk_both_conventions),
        cmocka_unit_test(test_decode_progressive),
        cmocka_unit_test(test_decode_max_pixels),
        cmocka_unit_test(test_decode_truncated),
        cmocka_unit_test(test_decode_garbage),
        cmocka_unit_test(test_decode_scale),
        cmocka_unit_test(test_decode_exif),
        cmocka_unit_test(test_decode_scan_limit),
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_encode_roundtrip),
        cmocka_unit_test(test_encode_sizes_and_args),
        cmocka_unit_test(test_transform_rot90),
        cmocka_unit_test(test_transform_all_orientations),
        cmocka_unit_test(test_transform_partial_mcu),
        cmocka_unit_test(test_transform_metadata),
        cmocka_unit_test(test_strip_metadata),
        cmocka_unit_test(test_strip_jfif_thumb_and_adobe),
        cmocka_unit_test(test_strip_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
