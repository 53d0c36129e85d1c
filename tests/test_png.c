/* pf_png_decode / pf_png_strip_metadata against PNGs made by tu_png (libpng
 * directly) and hand-built chunk streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <sys/resource.h>

#include "internal.h"
#include "testutil.h"

#define W 13 /* odd sizes exercise every Adam7 pass edge */
#define H 11
#define CAP 100000000ULL

/* ---- helpers ---- */

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* Appends one chunk with a correct CRC; returns the new length. */
static size_t put_chunk(uint8_t *buf, size_t pos, const char *type,
                        const uint8_t *data, uint32_t len)
{
    put_be32(buf + pos, len);
    memcpy(buf + pos + 4, type, 4);
    if (len)
        memcpy(buf + pos + 8, data, len);
    uLong crc = crc32(0L, buf + pos + 4, len + 4);
    put_be32(buf + pos + 8 + len, (uint32_t)crc);
    return pos + 12 + len;
}

/* A copy of png with an extra chunk inserted right after IHDR. */
static uint8_t *insert_chunk(const uint8_t *png, size_t len,
                             const char *type, const uint8_t *data,
                             uint32_t dlen, size_t *out_len)
{
    uint8_t *buf = malloc(len + 12 + dlen);
    assert_non_null(buf);
    size_t at = 8 + 12 + 13; /* signature + IHDR */
    memcpy(buf, png, at);
    size_t pos = put_chunk(buf, at, type, data, dlen);
    memcpy(buf + pos, png + at, len - at);
    *out_len = pos + len - at;
    return buf;
}

static int contains(const uint8_t *data, size_t len, const char *what)
{
    size_t n = strlen(what);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(data + i, what, n) == 0)
            return 1;
    return 0;
}

static int has_chunk(const uint8_t *png, size_t len, const char *type)
{
    return contains(png, len, type);
}

/* Expected 8-bit value of an 8-bit sample stored at bit_depth and expanded
 * back by the decoder (low depths replicate bits; 16-bit scales exactly). */
static uint8_t through_depth(uint8_t v, int depth)
{
    if (depth >= 8)
        return v;
    unsigned s = (unsigned)v >> (8 - depth);
    unsigned max = (1u << depth) - 1;
    return (uint8_t)(s * 255 / max);
}

/* An image with at most 2^depth distinct colours for palette PNGs. */
static uint8_t *make_palette_rgb(uint32_t w, uint32_t h, int depth)
{
    static const uint8_t colours[16][3] = {
        {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {250, 200, 10},
        {1, 2, 3}, {90, 40, 200}, {255, 255, 255}, {0, 0, 0},
        {17, 170, 99}, {128, 128, 128}, {200, 100, 50}, {30, 60, 90},
        {60, 30, 0}, {254, 253, 252}, {7, 77, 177}, {222, 111, 0}};
    unsigned n = depth >= 4 ? 16 : 1u << depth;
    uint8_t *rgb = malloc((size_t)w * h * 3);
    assert_non_null(rgb);
    for (uint32_t i = 0; i < w * h; i++)
        memcpy(rgb + i * 3, colours[(i * 7 + i / w) % n], 3);
    return rgb;
}

static void decode_ok(const uint8_t *png, size_t len, pf_decoded *dec)
{
    char err[PF_ERR_LEN];
    pf_status st = pf_png_decode(png, len, CAP, dec, err);
    if (st != PF_OK)
        fail_msg("decode failed: %s (%s)", pf_strerror(st), err);
}

/* ---- colour types and depths ---- */

static void check_case(int type, int depth, int interlace)
{
    int grey = type == 0 || type == 4;
    uint8_t *rgb = type == 3 ? make_palette_rgb(W, H, depth)
                             : tu_make_rgb(W, H, grey ? TU_PATTERN_GREY
                                                      : TU_PATTERN_COLOR, 7);
    uint8_t *png = NULL;
    size_t len = 0;
    pf_decoded dec;
    assert_int_equal(tu_png(rgb, NULL, W, H, type, depth, interlace, NULL, 0,
                            &png, &len), 0);
    decode_ok(png, len, &dec);
    assert_int_equal(dec.bmp.width, W);
    assert_int_equal(dec.bmp.height, H);
    for (size_t i = 0; i < (size_t)W * H * 3; i++) {
        uint8_t want = grey ? through_depth(rgb[i - i % 3], depth) : rgb[i];
        if (dec.bmp.rgb[i] != want)
            fail_msg("type %d depth %d interlace %d: byte %zu is %d, want %d",
                     type, depth, interlace, i, dec.bmp.rgb[i], want);
    }
    assert_int_equal(dec.source_grey, grey);
    assert_int_equal(dec.has_alpha, 0);
    assert_int_equal(dec.exif_orientation, 0);
    pf_decoded_free(&dec);
    free(png);
    free(rgb);
}

static void test_all_types(void **state)
{
    (void)state;
    static const struct { int type, depth; } cases[] = {
        {0, 1}, {0, 2}, {0, 4}, {0, 8}, {0, 16}, {2, 8}, {2, 16},
        {3, 1}, {3, 2}, {3, 4}, {3, 8}, {4, 8}, {4, 16}, {6, 8}, {6, 16}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int interlace = 0; interlace < 2; interlace++)
            check_case(cases[c].type, cases[c].depth, interlace);
}

/* A palette of greys only stores no colour either. */
static void test_grey_palette(void **state)
{
    (void)state;
    uint8_t *rgb = tu_make_rgb(W, H, TU_PATTERN_GREY, 3);
    uint8_t *png = NULL;
    size_t len = 0;
    pf_decoded dec;
    for (size_t i = 0; i < (size_t)W * H * 3; i++)
        rgb[i] = (uint8_t)(rgb[i - i % 3] & 0xF0); /* <= 16 greys */
    assert_int_equal(tu_png(rgb, NULL, W, H, 3, 4, 0, NULL, 0, &png, &len), 0);
    decode_ok(png, len, &dec);
    assert_int_equal(dec.source_grey, 1);
    assert_memory_equal(dec.bmp.rgb, rgb, (size_t)W * H * 3);
    pf_decoded_free(&dec);
    free(png);
    free(rgb);
}

/* ---- alpha ---- */

static void check_alpha(int type, int depth, int interlace)
{
    uint8_t rgb[4 * 3] = {255, 0, 0, 0, 0, 255, 10, 20, 30, 0, 0, 0};
    uint8_t alpha[4] = {128, 255, 0, 255};
    if (type == 4)
        for (int i = 0; i < 12; i++)
            rgb[i] = rgb[i - i % 3]; /* grey: R channel */
    uint8_t *png = NULL;
    size_t len = 0;
    pf_decoded dec;
    assert_int_equal(tu_png(rgb, alpha, 2, 2, type, depth, interlace, NULL, 0,
                            &png, &len), 0);
    decode_ok(png, len, &dec);
    assert_int_equal(dec.has_alpha, 1);
    for (int i = 0; i < 12; i++) {
        unsigned c = rgb[i], a = alpha[i / 3];
        int want = (int)((c * a + 255 * (255 - a) + 127) / 255);
        if (abs(dec.bmp.rgb[i] - want) > 1)
            fail_msg("type %d depth %d: byte %d is %d, want %d", type, depth,
                     i, dec.bmp.rgb[i], want);
    }
    if (type != 4) {
        /* (255,0,0) at alpha 128 over white is (255,127,127). */
        assert_int_equal(dec.bmp.rgb[0], 255);
        assert_in_range(dec.bmp.rgb[1], 126, 128);
        assert_in_range(dec.bmp.rgb[2], 126, 128);
    }
    assert_int_equal(dec.bmp.rgb[6], 255); /* fully transparent: white */
    pf_decoded_free(&dec);
    free(png);
}

static void test_alpha_flatten(void **state)
{
    (void)state;
    for (int interlace = 0; interlace < 2; interlace++) {
        check_alpha(6, 8, interlace);
        check_alpha(6, 16, interlace);
        check_alpha(4, 8, interlace);
        check_alpha(4, 16, interlace);
        check_alpha(3, 8, interlace); /* palette + tRNS */
        check_alpha(3, 2, interlace);
    }
}

/* An alpha channel that is opaque everywhere is not transparency. */
static void test_opaque_alpha(void **state)
{
    (void)state;
    uint8_t *rgb = tu_make_rgb(W, H, TU_PATTERN_COLOR, 9);
    uint8_t alpha[W * H];
    memset(alpha, 255, sizeof alpha);
    for (int type = 4; type <= 6; type += 2) {
        uint8_t *png = NULL;
        size_t len = 0;
        pf_decoded dec;
        assert_int_equal(tu_png(rgb, alpha, W, H, type, 8, 1, NULL, 0, &png,
                                &len), 0);
        decode_ok(png, len, &dec);
        assert_int_equal(dec.has_alpha, 0);
        if (type == 6)
            assert_memory_equal(dec.bmp.rgb, rgb, sizeof alpha * 3);
        pf_decoded_free(&dec);
        free(png);
    }
    free(rgb);
}

/* ---- limits and damage ---- */

/* Signature, IHDR for w x h grey 8-bit, a tiny IDAT, IEND. */
static size_t make_header_png(uint8_t *buf, uint32_t w, uint32_t h)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    uint8_t ihdr[13] = {0};
    uint8_t row[3] = {0, 0, 0}; /* filter byte + 2 grey pixels */
    uint8_t idat[64];
    uLongf idat_len = sizeof idat;
    put_be32(ihdr, w);
    put_be32(ihdr + 4, h);
    ihdr[8] = 8; /* depth; colour type 0, no interlace */
    assert_int_equal(compress(idat, &idat_len, row, sizeof row), Z_OK);
    memcpy(buf, sig, 8);
    size_t pos = put_chunk(buf, 8, "IHDR", ihdr, 13);
    pos = put_chunk(buf, pos, "IDAT", idat, (uint32_t)idat_len);
    return put_chunk(buf, pos, "IEND", NULL, 0);
}

static void test_too_large(void **state)
{
    (void)state;
    uint8_t buf[256];
    char err[PF_ERR_LEN];
    pf_decoded dec;
    size_t len = make_header_png(buf, 16384, 16384);
    /* Refused from the header: 268 MP of pixels would need 805 MB. */
    assert_int_equal(pf_png_decode(buf, len, CAP, &dec, err), PF_ERR_TOO_LARGE);
    assert_null(dec.bmp.rgb);
    assert_non_null(strstr(err, "16384"));
    assert_non_null(strstr(err, "268.4 MP"));
    assert_non_null(strstr(err, "100 MP"));
    /* A real image over a small cap. */
    len = make_header_png(buf, 2, 1);
    assert_int_equal(pf_png_decode(buf, len, 1, &dec, err), PF_ERR_TOO_LARGE);
    /* Beyond libpng's per-side limit, even if the area is small. */
    len = make_header_png(buf, 2000000, 1);
    assert_int_equal(pf_png_decode(buf, len, CAP, &dec, err), PF_ERR_TOO_LARGE);
    assert_true(err[0] != '\0');
    /* The tiny file itself is fine. */
    len = make_header_png(buf, 2, 1);
    decode_ok(buf, len, &dec);
    assert_int_equal(dec.bmp.width, 2);
    assert_int_equal(dec.bmp.rgb[0], 0);
    pf_decoded_free(&dec);
}

static void test_truncated(void **state)
{
    (void)state;
    uint8_t *rgb = tu_make_rgb(64, 48, TU_PATTERN_COLOR, 5);
    uint8_t *png = NULL;
    size_t len = 0;
    char err[PF_ERR_LEN];
    pf_decoded dec;
    assert_int_equal(tu_png(rgb, NULL, 64, 48, 2, 8, 1, NULL, 0, &png, &len),
                     0);
    /* Every cut: no crash, no leak, and an error unless only IEND is gone;
     * from the signature on, the error says the file was cut short. */
    for (size_t cut = 0; cut < len; cut++) {
        pf_status st = pf_png_decode(png, cut, CAP, &dec, err);
        if (cut < len - 12) {
            if (st == PF_OK)
                fail_msg("cut at %zu of %zu decoded", cut, len);
            assert_null(dec.bmp.rgb);
            assert_true(err[0] != '\0');
            if (cut >= 8)
                assert_int_equal(st, PF_ERR_TRUNCATED);
            if (cut >= 8 && cut < 33) /* signature + IHDR */
                assert_string_equal(err, "truncated PNG: the file ends "
                                         "before the image data");
        }
        pf_decoded_free(&dec);
    }
    /* Interlaced: the pass the data stops in. */
    assert_int_equal(pf_png_decode(png, len - 40, CAP, &dec, err),
                     PF_ERR_TRUNCATED);
    unsigned pct = 0;
    assert_int_equal(sscanf(err, "truncated PNG: %u%% of the image data present",
                            &pct), 1);
    assert_in_range(pct, 85, 99);
    /* Not interlaced, incompressible rows: the share of rows present. */
    free(png);
    uint32_t noise = 2463534242u;
    for (size_t i = 0; i < 64 * 48 * 3; i++) {
        noise ^= noise << 13, noise ^= noise >> 17, noise ^= noise << 5;
        rgb[i] = (uint8_t)noise;
    }
    /* 40x30: one IDAT chunk */
    assert_int_equal(tu_png(rgb, NULL, 40, 30, 2, 8, 0, NULL, 0, &png, &len),
                     0);
    size_t idat = 8;
    while (memcmp(png + idat + 4, "IDAT", 4) != 0)
        idat += 12 + ((size_t)png[idat + 2] << 8 | png[idat + 3]);
    size_t idat_len = (size_t)png[idat + 2] << 8 | png[idat + 3];
    assert_int_equal(pf_png_decode(png, idat + 8 + idat_len / 2, CAP, &dec, err),
                     PF_ERR_TRUNCATED);
    assert_int_equal(sscanf(err, "truncated PNG: %u%% of the image data present",
                            &pct), 1);
    assert_in_range(pct, 45, 50);
    /* A flipped bit inside IDAT fails its CRC. */
    png[len - 20] ^= 0x10;
    assert_int_not_equal(pf_png_decode(png, len, CAP, &dec, err), PF_OK);
    assert_non_null(strstr(err, "PNG"));
    free(png);
    free(rgb);
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Metadata made to exhaust memory: a zTXt that inflates to 64 MB, 40 times
 * over (2.5 GB if each were kept); a 3 MB tEXt; a tEXt that says it is
 * 1 GB long. Each decodes or is refused with a named limit, and the peak
 * memory of this process grows by far less than the bombs ask for. */
static void test_metadata_limits(void **state)
{
    (void)state;
    uint8_t *rgb = tu_make_rgb(32, 24, TU_PATTERN_COLOR, 3), *png = NULL;
    size_t len = 0, big_len = 0, zlen = (64u << 20) / 1000 + 64;
    char err[PF_ERR_LEN];
    pf_decoded dec;
    assert_int_equal(tu_png(rgb, NULL, 32, 24, 2, 8, 0, NULL, 0, &png, &len), 0);
    uint8_t *zeros = calloc(1, 64u << 20), *ztxt = malloc(zlen + 8);
    assert_non_null(zeros);
    memcpy(ztxt, "Comment\0\0", 9); /* keyword, NUL, method 0 */
    uLongf clen = zlen;
    assert_int_equal(compress2(ztxt + 9, &clen, zeros, 64u << 20, 9), Z_OK);
    free(zeros);
    long before = peak_rss_kb();
    uint8_t *bomb = png;
    for (int i = 0; i < 40; i++) {
        uint8_t *next = insert_chunk(bomb, len, "zTXt", ztxt, (uint32_t)clen + 9, &big_len);
        if (bomb != png)
            free(bomb);
        bomb = next, len = big_len;
    }
    decode_ok(bomb, len, &dec);
    assert_int_equal(dec.bmp.width, 32);
    pf_decoded_free(&dec);
    free(bomb);
    /* A tEXt of 3 MB of real bytes: over the 2 MB metadata limit. */
    size_t tlen = 3u << 20;
    uint8_t *text = calloc(1, tlen);
    memcpy(text, "Comment", 7);
    memset(text + 8, 'a', tlen - 8);
    free(png);
    assert_int_equal(tu_png(rgb, NULL, 32, 24, 2, 8, 0, NULL, 0, &png, &len), 0);
    bomb = insert_chunk(png, len, "tEXt", text, (uint32_t)tlen, &big_len);
    assert_int_equal(pf_png_decode(bomb, big_len, CAP, &dec, err), PF_ERR_TOO_LARGE);
    assert_string_equal(err, "PNG tEXt chunk of 3145728 B is over the 2097152 B "
                             "limit for metadata");
    /* A tEXt claiming 1 GB in a tiny file: cut short, nothing allocated. */
    put_be32(bomb + 33, 0x3FFFFFFFu);
    assert_int_equal(pf_png_decode(bomb, 33 + 12 + 100, CAP, &dec, err),
                     PF_ERR_TRUNCATED);
    assert_string_equal(err, "truncated PNG: the file ends before the image data");
    long grown_mb = (peak_rss_kb() - before) / 1024;
    if (grown_mb > 256)
        fail_msg("peak memory grew by %ld MB", grown_mb);
    free(bomb), free(text), free(ztxt), free(png), free(rgb);
}

static void test_bad_input(void **state)
{
    (void)state;
    char err[PF_ERR_LEN];
    pf_decoded dec;
    const uint8_t jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I',
                            'F'};
    assert_int_equal(pf_png_decode(jpeg, sizeof jpeg, CAP, &dec, err),
                     PF_ERR_NOT_IMAGE);
    assert_int_equal(pf_png_decode(NULL, 0, CAP, &dec, err), PF_ERR_NOT_IMAGE);
    assert_int_equal(pf_png_decode(jpeg, sizeof jpeg, CAP, NULL, err),
                     PF_ERR_INVALID_ARG);
    uint8_t *out = NULL;
    size_t out_len = 0;
    assert_int_equal(pf_png_strip_metadata(jpeg, sizeof jpeg, &out, &out_len,
                                           err), PF_ERR_NOT_IMAGE);
    assert_null(out);
}

/* ---- EXIF ---- */

static void check_exif(int big_endian, int gps)
{
    uint8_t exif[256];
    size_t exif_len = tu_exif_orientation(6, gps, 0, big_endian, exif,
                                          sizeof exif);
    uint8_t *rgb = tu_make_rgb(W, H, TU_PATTERN_COLOR, 2);
    uint8_t *png = NULL;
    size_t len = 0;
    pf_decoded dec;
    assert_true(exif_len > 0);
    assert_int_equal(tu_png(rgb, NULL, W, H, 2, 8, 0, exif, exif_len, &png,
                            &len), 0);
    decode_ok(png, len, &dec);
    assert_int_equal(dec.exif_orientation, 6);
    assert_int_equal(dec.has_gps, gps);
    /* Pixels stay as stored: orient.c turns them upright. */
    assert_int_equal(dec.bmp.width, W);
    assert_memory_equal(dec.bmp.rgb, rgb, (size_t)W * H * 3);
    pf_decoded_free(&dec);
    free(png);
    free(rgb);
}

static void test_exif(void **state)
{
    (void)state;
    check_exif(0, 0);
    check_exif(1, 0);
    check_exif(0, 1);
}

/* Legacy ImageMagick "Raw profile type exif" text chunk. */
static void test_raw_profile(void **state)
{
    (void)state;
    static const char text[] =
        "Raw profile type exif\0"
        "\nexif\n      32\n"
        "4578696600004d4d002a00000008000101120003000000010008000000000000\n";
    uint8_t *rgb = tu_make_rgb(W, H, TU_PATTERN_COLOR, 4);
    uint8_t *png = NULL, *png2 = NULL;
    size_t len = 0, len2 = 0;
    pf_decoded dec;
    assert_int_equal(tu_png(rgb, NULL, W, H, 2, 8, 0, NULL, 0, &png, &len), 0);
    png2 = insert_chunk(png, len, "tEXt", (const uint8_t *)text,
                        sizeof text - 1, &len2);
    decode_ok(png2, len2, &dec);
    assert_int_equal(dec.exif_orientation, 8);
    pf_decoded_free(&dec);
    free(png2);
    free(png);
    free(rgb);
}

static void test_corpus_raw_profile(void **state)
{
    (void)state;
    size_t len = 0;
    uint8_t *png = tu_read(
        "../shared/corpus/exif/pillow/exif_imagemagick_orientation.png", &len);
    if (!png)
        skip();
    pf_decoded dec;
    decode_ok(png, len, &dec);
    assert_int_equal(dec.exif_orientation, 3);
    assert_int_equal(dec.bmp.width, 512);
    pf_decoded_free(&dec);
    free(png);
}

/* ---- strip ---- */

static void test_strip(void **state)
{
    (void)state;
    static const char text[] = "Comment\0secret location";
    uint8_t exif[256];
    size_t exif_len = tu_exif_orientation(6, 1, 0, 0, exif, sizeof exif);
    uint8_t *rgb = tu_make_rgb(W, H, TU_PATTERN_COLOR, 8);
    uint8_t *png = NULL, *png2 = NULL, *out = NULL;
    size_t len = 0, len2 = 0, out_len = 0;
    char err[PF_ERR_LEN];
    pf_decoded a, b;
    uint8_t alpha[W * H];
    for (size_t i = 0; i < sizeof alpha; i++)
        alpha[i] = (uint8_t)(i * 37);
    assert_int_equal(tu_png(rgb, alpha, W, H, 6, 8, 1, exif, exif_len, &png,
                            &len), 0);
    png2 = insert_chunk(png, len, "tEXt", (const uint8_t *)text,
                        sizeof text - 1, &len2);
    assert_true(has_chunk(png2, len2, "eXIf") && has_chunk(png2, len2, "tEXt"));
    assert_int_equal(pf_png_strip_metadata(png2, len2, &out, &out_len, err),
                     PF_OK);
    assert_false(has_chunk(out, out_len, "eXIf"));
    assert_false(has_chunk(out, out_len, "tEXt"));
    assert_false(contains(out, out_len, "secret"));
    assert_true(out_len < len2);
    decode_ok(png2, len2, &a);
    decode_ok(out, out_len, &b);
    assert_int_equal(a.exif_orientation, 6);
    assert_int_equal(b.exif_orientation, 0);
    assert_int_equal(b.has_gps, 0);
    assert_int_equal(a.has_alpha, b.has_alpha);
    assert_memory_equal(a.bmp.rgb, b.bmp.rgb, (size_t)W * H * 3);
    pf_decoded_free(&a);
    pf_decoded_free(&b);
    free(out);
    free(png2);
    free(png);
    free(rgb);
}

/* Colour chunks stay, unknown private ancillary chunks go, the tail after
 * IEND goes; critical chunks are copied byte for byte. */
static void test_strip_keeps(void **state)
{
    (void)state;
    uint8_t buf[512];
    uint8_t small[16] = {0};
    size_t len = make_header_png(buf, 2, 1);
    size_t iend = len - 12;
    uint8_t tail[64];
    memcpy(tail, buf + iend, 12);
    size_t pos = put_chunk(buf, iend, "gAMA", small, 4);
    pos = put_chunk(buf, pos, "sRGB", small, 1);
    pos = put_chunk(buf, pos, "tIME", small, 7);
    pos = put_chunk(buf, pos, "zTXt", small, 5);
    pos = put_chunk(buf, pos, "prVt", small, 3);
    memcpy(buf + pos, tail, 12);
    len = pos + 12;
    memcpy(buf + len, "trailing", 8);
    uint8_t *out = NULL;
    size_t out_len = 0;
    char err[PF_ERR_LEN];
    assert_int_equal(pf_png_strip_metadata(buf, len + 8, &out, &out_len, err),
                     PF_OK);
    assert_true(has_chunk(out, out_len, "gAMA"));
    assert_true(has_chunk(out, out_len, "sRGB"));
    assert_false(has_chunk(out, out_len, "tIME"));
    assert_false(has_chunk(out, out_len, "zTXt"));
    assert_false(has_chunk(out, out_len, "prVt"));
    assert_int_equal(out_len, iend + 12 + 4 + 12 + 1 + 12);
    assert_memory_equal(out, buf, iend);
    assert_memory_equal(out + out_len - 12, tail, 12);
    free(out);
}

static void test_strip_damaged(void **state)
{
    (void)state;
    uint8_t buf[256];
    uint8_t *out = NULL;
    size_t out_len = 0;
    char err[PF_ERR_LEN];
    size_t len = make_header_png(buf, 2, 1);
    /* Every truncation fails (IEND is required). */
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_not_equal(
            pf_png_strip_metadata(buf, cut, &out, &out_len, err), PF_OK);
        assert_null(out);
    }
    /* A chunk length that runs far past the end. */
    put_be32(buf + 8 + 25, 0xFFFFFFF0u);
    assert_int_equal(pf_png_strip_metadata(buf, len, &out, &out_len, err),
                     PF_ERR_CORRUPT);
    /* First chunk not IHDR. */
    len = make_header_png(buf, 2, 1);
    memcpy(buf + 12, "IDAT", 4);
    assert_int_equal(pf_png_strip_metadata(buf, len, &out, &out_len, err),
                     PF_ERR_CORRUPT);
    /* A chunk name that is not letters. */
    len = make_header_png(buf, 2, 1);
    buf[8 + 25 + 4] = '1';
    assert_int_equal(pf_png_strip_metadata(buf, len, &out, &out_len, err),
                     PF_ERR_CORRUPT);
    assert_true(err[0] != '\0');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_types),
        cmocka_unit_test(test_grey_palette),
        cmocka_unit_test(test_alpha_flatten),
        cmocka_unit_test(test_opaque_alpha),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_metadata_limits),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_exif),
        cmocka_unit_test(test_raw_profile),
        cmocka_unit_test(test_corpus_raw_profile),
        cmocka_unit_test(test_strip),
        cmocka_unit_test(test_strip_keeps),
        cmocka_unit_test(test_strip_damaged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
