/* pf_tiff_decode, pf_gif_decode and pf_bmp_decode against files made here:
 * TIFFs by libtiff's writer (and a few IFDs laid out by hand), GIFs by
 * giflib's encoder, BMPs written byte by byte. Then damaged files, and the
 * corpus's TIFF, GIF and BMP files when the corpus is present. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gif_lib.h>
#include <tiffio.h>

#include "internal.h"
#include "testutil.h"

#define CAP 100000000ULL /* the default 100 MP */

/* ---- shared helpers ---- */

static const uint8_t *px(const pf_bitmap *b, uint32_t x, uint32_t y)
{
    return b->rgb + ((size_t)y * b->width + x) * 3;
}

static void assert_rgb(const uint8_t *p, int r, int g, int b)
{
    if (p[0] != r || p[1] != g || p[2] != b)
        fail_msg("pixel (%d,%d,%d), expected (%d,%d,%d)", p[0], p[1], p[2], r, g, b);
}

static void assert_near(const uint8_t *p, int r, int g, int b, int tol)
{
    if (abs(p[0] - r) > tol || abs(p[1] - g) > tol || abs(p[2] - b) > tol)
        fail_msg("pixel (%d,%d,%d), expected (%d,%d,%d) +-%d", p[0], p[1], p[2],
                 r, g, b, tol);
}

/* The same picture as rgb (w x h RGB), pixel for pixel. */
static void assert_same(const pf_bitmap *b, const uint8_t *rgb, uint32_t w, uint32_t h)
{
    assert_int_equal(b->width, w);
    assert_int_equal(b->height, h);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            const uint8_t *e = rgb + ((size_t)y * w + x) * 3;
            if (memcmp(px(b, x, y), e, 3) != 0)
                fail_msg("(%u,%u): (%d,%d,%d), expected (%d,%d,%d)", x, y,
                         px(b, x, y)[0], px(b, x, y)[1], px(b, x, y)[2], e[0],
                         e[1], e[2]);
        }
}

static uint8_t flat(unsigned c, unsigned a)
{
    return (uint8_t)((c * a + 255u * (255u - a) + 127u) / 255u);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* An error: a status other than PF_OK, nothing allocated, a message. */
static void assert_clean_error(pf_status st, pf_status want, const pf_decoded *dec,
                               const char *err)
{
    if (want != PF_OK)
        assert_int_equal(st, want);
    else
        assert_int_not_equal(st, PF_OK);
    assert_null(dec->bmp.rgb);
    assert_null(dec->icc);
    assert_true(err[0] != '\0');
}

static void put_le16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

/* ---- TIFF: written by libtiff into a temporary file ---- */

typedef struct {
    uint32_t w, h;
    uint16_t spp, bps, photometric;
    uint16_t orientation;   /* 0: no tag */
    uint16_t extra;         /* the last sample is an extra one of this kind */
    int has_extra;
    uint16_t compression;   /* 0: none */
    uint32_t tile;          /* tile side (multiple of 16); 0: strips */
    const uint16_t *cmap;   /* palette: red, green, blue of 1 << bps each */
    const uint8_t *icc;
    uint32_t icc_len;
    const void *pixels;     /* rows of w * spp samples: uint8_t or uint16_t */
} tpage;

static void silent(const char *module, const char *fmt, va_list ap)
{
    (void)module, (void)fmt, (void)ap;
}

static void set_tags(TIFF *t, const tpage *p)
{
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, p->w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, p->h);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, p->bps);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, p->spp);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, p->photometric);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_COMPRESSION, p->compression ? p->compression : COMPRESSION_NONE);
    if (p->compression == COMPRESSION_LZW || p->compression == COMPRESSION_ADOBE_DEFLATE)
        TIFFSetField(t, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
    if (p->orientation)
        TIFFSetField(t, TIFFTAG_ORIENTATION, p->orientation);
    if (p->has_extra) {
        uint16_t kind = p->extra;
        TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &kind);
    }
    if (p->cmap) {
        size_t n = (size_t)1 << p->bps;
        TIFFSetField(t, TIFFTAG_COLORMAP, p->cmap, p->cmap + n, p->cmap + 2 * n);
    }
    if (p->icc)
        TIFFSetField(t, TIFFTAG_ICCPROFILE, p->icc_len, p->icc);
    if (p->tile) {
        TIFFSetField(t, TIFFTAG_TILEWIDTH, p->tile);
        TIFFSetField(t, TIFFTAG_TILELENGTH, p->tile);
    } else {
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, p->h / 2 + 1); /* two strips */
    }
}

static void write_pixels(TIFF *t, const tpage *p)
{
    size_t sample = p->bps / 8, row = (size_t)p->w * p->spp * sample;
    const uint8_t *data = p->pixels;
    if (!p->tile) { /* a copy: the predictor differences rows in place */
        uint8_t *copy = malloc(row);
        assert_non_null(copy);
        for (uint32_t y = 0; y < p->h; y++) {
            memcpy(copy, data + y * row, row);
            assert_true(TIFFWriteScanline(t, copy, y, 0) >= 0);
        }
        free(copy);
        return;
    }
    size_t trow = (size_t)p->tile * p->spp * sample;
    uint8_t *buf = malloc(trow * p->tile);
    assert_non_null(buf);
    for (uint32_t ty = 0; ty < p->h; ty += p->tile)
        for (uint32_t tx = 0; tx < p->w; tx += p->tile) {
            memset(buf, 0, trow * p->tile);
            for (uint32_t y = ty; y < ty + p->tile && y < p->h; y++) {
                uint32_t n = tx + p->tile <= p->w ? p->tile : p->w - tx;
                memcpy(buf + (y - ty) * trow, data + y * row + tx * p->spp * sample,
                       n * p->spp * sample);
            }
            assert_true(TIFFWriteTile(t, buf, tx, ty, 0, 0) >= 0);
        }
    free(buf);
}

static uint8_t *make_tiff_mode(const tpage *pages, int n, const char *mode,
                               size_t *len)
{
    char path[] = "/tmp/pf_tiff_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    TIFFErrorHandler old = TIFFSetErrorHandler(silent); /* test-only writer */
    TIFF *t = TIFFOpen(path, mode);
    assert_non_null(t);
    for (int i = 0; i < n; i++) {
        set_tags(t, &pages[i]);
        write_pixels(t, &pages[i]);
        assert_true(TIFFWriteDirectory(t));
    }
    TIFFClose(t);
    TIFFSetErrorHandler(old);
    uint8_t *data = tu_read(path, len);
    unlink(path);
    assert_non_null(data);
    return data;
}

static uint8_t *make_tiff(const tpage *pages, int n, size_t *len)
{
    return make_tiff_mode(pages, n, "w", len);
}

static tpage rgb_page(uint32_t w, uint32_t h, const void *rgb)
{
    tpage p = {0};
    p.w = w, p.h = h, p.spp = 3, p.bps = 8, p.photometric = PHOTOMETRIC_RGB;
    p.pixels = rgb;
    return p;
}

static void tiff_ok(const uint8_t *data, size_t len, int page, pf_decoded *dec)
{
    char err[PF_ERR_LEN] = "";
    pf_status st = pf_tiff_decode(data, len, CAP, page, dec, err);
    if (st != PF_OK)
        fail_msg("pf_tiff_decode: %d %s", st, err);
    assert_int_equal(dec->exif_orientation, 0);
    assert_int_equal(dec->stored_width, dec->bmp.width);
    assert_int_equal(dec->stored_height, dec->bmp.height);
}

static void test_tiff_rgb(void **state)
{
    (void)state;
    uint8_t *rgb = tu_make_rgb(13, 11, TU_PATTERN_COLOR, 1);
    tpage p = rgb_page(13, 11, rgb);
    size_t len;
    uint8_t *data = make_tiff(&p, 1, &len);
    pf_decoded dec;
    tiff_ok(data, len, 0, &dec);
    assert_same(&dec.bmp, rgb, 13, 11);
    assert_int_equal(dec.pages, 1);
    assert_int_equal(dec.animated, 0);
    assert_int_equal(dec.has_alpha, 0);
    assert_int_equal(dec.source_grey, 0);
    assert_int_equal(dec.has_gps, 0);
    assert_null(dec.icc);
    pf_decoded_free(&dec);
    free(data);
    /* Tiled (partial tiles at the right and bottom), LZW with a predictor. */
    uint8_t *big = tu_make_rgb(40, 37, TU_PATTERN_COLOR, 2);
    p = rgb_page(40, 37, big);
    p.tile = 16;
    p.compression = COMPRESSION_LZW;
    data = make_tiff(&p, 1, &len);
    tiff_ok(data, len, 0, &dec);
    assert_same(&dec.bmp, big, 40, 37);
    pf_decoded_free(&dec);
    free(data);
    free(big);
    free(rgb);
}

/* Where the stored pixel (sx, sy) of a w x h page appears in the upright
 * picture, from the Orientation tag's definition (TIFF 6.0: which visual
 * side the 0th row and the 0th column represent). */
static void visual_of(int o, uint32_t sx, uint32_t sy, uint32_t w, uint32_t h,
                      uint32_t *vx, uint32_t *vy)
{
    switch (o) {
    case 1: *vx = sx, *vy = sy; break;                 /* row 0 top, col 0 left */
    case 2: *vx = w - 1 - sx, *vy = sy; break;         /* top, right */
    case 3: *vx = w - 1 - sx, *vy = h - 1 - sy; break; /* bottom, right */
    case 4: *vx = sx, *vy = h - 1 - sy; break;         /* bottom, left */
    case 5: *vx = sy, *vy = sx; break;                 /* row 0 left, col 0 top */
    case 6: *vx = h - 1 - sy, *vy = sx; break;         /* right, top */
    case 7: *vx = h - 1 - sy, *vy = w - 1 - sx; break; /* right, bottom */
    default: *vx = sy, *vy = w - 1 - sx; break;        /* 8: left, bottom */
    }
}

static void test_tiff_orientation(void **state)
{
    (void)state;
    const uint32_t w = 5, h = 3;
    uint8_t rgb[5 * 3 * 3];
    for (uint32_t i = 0; i < w * h; i++) /* every pixel its own colour */
        rgb[i * 3] = (uint8_t)(i * 16), rgb[i * 3 + 1] = (uint8_t)(255 - i * 8),
        rgb[i * 3 + 2] = (uint8_t)(i * 3 + 7);
    for (int o = 1; o <= 8; o++) {
        tpage p = rgb_page(w, h, rgb);
        p.orientation = (uint16_t)o;
        size_t len;
        uint8_t *data = make_tiff(&p, 1, &len);
        pf_decoded dec;
        tiff_ok(data, len, 0, &dec);
        uint32_t uw = o >= 5 ? h : w, uh = o >= 5 ? w : h;
        assert_int_equal(dec.bmp.width, uw);
        assert_int_equal(dec.bmp.height, uh);
        for (uint32_t sy = 0; sy < h; sy++)
            for (uint32_t sx = 0; sx < w; sx++) {
                uint32_t vx, vy;
                visual_of(o, sx, sy, w, h, &vx, &vy);
                const uint8_t *e = rgb + (sy * w + sx) * 3;
                if (memcmp(px(&dec.bmp, vx, vy), e, 3) != 0)
                    fail_msg("orientation %d: stored (%u,%u) not at (%u,%u)", o,
                             sx, sy, vx, vy);
            }
        pf_decoded_free(&dec);
        free(data);
    }
}

static void test_tiff_16bit_grey_palette(void **state)
{
    (void)state;
    const uint32_t w = 9, h = 7;
    uint8_t *rgb = tu_make_rgb(w, h, TU_PATTERN_COLOR, 3);
    uint16_t *rgb16 = malloc(sizeof *rgb16 * w * h * 3);
    uint8_t grey[9 * 7], idx[9 * 7], expect[9 * 7 * 3];
    assert_non_null(rgb16);
    for (uint32_t i = 0; i < w * h * 3; i++)
        rgb16[i] = (uint16_t)(rgb[i] * 257u); /* 8-bit v as 16-bit: exact back */
    tpage p = rgb_page(w, h, rgb16);
    p.bps = 16;
    size_t len;
    uint8_t *data = make_tiff(&p, 1, &len);
    pf_decoded dec;
    tiff_ok(data, len, 0, &dec);
    assert_same(&dec.bmp, rgb, w, h);
    assert_int_equal(dec.source_grey, 0);
    pf_decoded_free(&dec);
    free(data);

    /* 8-bit grey. */
    for (uint32_t i = 0; i < w * h; i++) {
        grey[i] = rgb[i * 3 + 1];
        memset(expect + i * 3, grey[i], 3);
    }
    p = rgb_page(w, h, grey);
    p.spp = 1, p.photometric = PHOTOMETRIC_MINISBLACK;
    data = make_tiff(&p, 1, &len);
    tiff_ok(data, len, 0, &dec);
    assert_same(&dec.bmp, expect, w, h);
    assert_int_equal(dec.source_grey, 1);
    pf_decoded_free(&dec);
    free(data);

    /* 8-bit palette: 256 colours, index i -> (i, 255 - i, 3i). */
    uint16_t cmap[3 * 256];
    for (int i = 0; i < 256; i++) {
        cmap[i] = (uint16_t)(i * 257);
        cmap[256 + i] = (uint16_t)((255 - i) * 257);
        cmap[512 + i] = (uint16_t)((i * 3 & 255) * 257);
    }
    for (uint32_t i = 0; i < w * h; i++) {
        idx[i] = (uint8_t)(i * 37);
        expect[i * 3] = idx[i], expect[i * 3 + 1] = (uint8_t)(255 - idx[i]);
        expect[i * 3 + 2] = (uint8_t)(idx[i] * 3);
    }
    p = rgb_page(w, h, idx);
    p.spp = 1, p.photometric = PHOTOMETRIC_PALETTE, p.cmap = cmap;
    data = make_tiff(&p, 1, &len);
    tiff_ok(data, len, 0, &dec);
    assert_same(&dec.bmp, expect, w, h);
    assert_int_equal(dec.source_grey, 0);
    pf_decoded_free(&dec);
    free(data);
    /* A palette of greys stores no colour. */
    for (int i = 0; i < 256; i++)
        cmap[256 + i] = cmap[512 + i] = cmap[i];
    data = make_tiff(&p, 1, &len);
    tiff_ok(data, len, 0, &dec);
    assert_int_equal(dec.source_grey, 1);
    assert_rgb(px(&dec.bmp, 1, 0), 37, 37, 37);
    pf_decoded_free(&dec);
    free(data);
    free(rgb16);
    free(rgb);
}

/* Alpha, unassociated and associated (premultiplied), RGB and grey: each
 * flattened onto white as a browser shows it. */
static void test_tiff_alpha(void **state)
{
    (void)state;
    static const uint8_t alphas[4] = {0, 64, 128, 255};
    const uint8_t c[3] = {200, 100, 50};
    uint8_t rgba[4 * 4], grey[4 * 2];
    for (int assoc = 0; assoc <= 1; assoc++) {
        for (int i = 0; i < 4; i++) {
            unsigned a = alphas[i];
            for (int k = 0; k < 3; k++)
                rgba[i * 4 + k] = assoc ? (uint8_t)((c[k] * a + 127) / 255) : c[k];
            rgba[i * 4 + 3] = (uint8_t)a;
            grey[i * 2] = assoc ? (uint8_t)((100 * a + 127) / 255) : 100;
            grey[i * 2 + 1] = (uint8_t)a;
        }
        uint16_t kind = assoc ? EXTRASAMPLE_ASSOCALPHA : EXTRASAMPLE_UNASSALPHA;
        tpage p = rgb_page(4, 1, rgba);
        p.spp = 4, p.has_extra = 1, p.extra = kind;
        size_t len;
        uint8_t *data = make_tiff(&p, 1, &len);
        pf_decoded dec;
        tiff_ok(data, len, 0, &dec);
        assert_int_equal(dec.has_alpha, 1);
        for (int i = 0; i < 4; i++)
            assert_near(px(&dec.bmp, (uint32_t)i, 0), flat(c[0], alphas[i]),
                        flat(c[1], alphas[i]), flat(c[2], alphas[i]), 1);
        assert_rgb(px(&dec.bmp, 0, 0), 255, 255, 255);
        assert_rgb(px(&dec.bmp, 3, 0), 200, 100, 50);
        pf_decoded_free(&dec);
        free(data);

        /* Grey + alpha: libtiff leaves an unassociated grey as stored. */
        p = rgb_page(4, 1, grey);
        p.spp = 2, p.photometric = PHOTOMETRIC_MINISBLACK, p.has_extra = 1;
        p.extra = kind;
        data = make_tiff(&p, 1, &len);
        tiff_ok(data, len, 0, &dec);
        assert_int_equal(dec.has_alpha, 1);
        assert_int_equal(dec.source_grey, 1);
        for (int i = 0; i < 4; i++) {
            uint8_t v = flat(100, alphas[i]);
            assert_near(px(&dec.bmp, (uint32_t)i, 0), v, v, v, 1);
        }
        pf_decoded_free(&dec);
        free(data);
    }
}

static void test_tiff_pages_icc(void **state)
{
    (void)state;
    uint8_t *a = tu_make_rgb(13, 11, TU_PATTERN_COLOR, 4);
    uint8_t *b = tu_make_rgb(7, 5, TU_PATTERN_COLOR, 5);
    uint8_t icc[300];
    for (size_t i = 0; i < sizeof icc; i++)
        icc[i] = (uint8_t)(i * 7 + 1);
    tpage pages[2] = {rgb_page(13, 11, a), rgb_page(7, 5, b)};
    pages[1].compression = COMPRESSION_ADOBE_DEFLATE;
    pages[1].icc = icc, pages[1].icc_len = sizeof icc;
    size_t len;
    uint8_t *data = make_tiff(pages, 2, &len);
    pf_decoded dec;
    tiff_ok(data, len, 0, &dec);
    assert_int_equal(dec.pages, 2);
    assert_int_equal(dec.animated, 0);
    assert_same(&dec.bmp, a, 13, 11);
    assert_null(dec.icc);
    pf_decoded_free(&dec);
    tiff_ok(data, len, 1, &dec);
    assert_int_equal(dec.pages, 2);
    assert_same(&dec.bmp, b, 7, 5);
    assert_non_null(dec.icc);
    assert_int_equal(dec.icc_len, sizeof icc);
    assert_memory_equal(dec.icc, icc, sizeof icc);
    pf_decoded_free(&dec);
    char err[PF_ERR_LEN] = "";
    assert_clean_error(pf_tiff_decode(data, len, CAP, 2, &dec, err),
                       PF_ERR_INVALID_ARG, &dec, err);
    assert_clean_error(pf_tiff_decode(data, len, CAP, -1, &dec, err),
                       PF_ERR_INVALID_ARG, &dec, err);
    free(data);
    /* The same as BigTIFF, big-endian. */
    data = make_tiff_mode(pages, 2, "w8b", &len);
    assert_memory_equal(data, "MM\0+", 4);
    tiff_ok(data, len, 1, &dec);
    assert_int_equal(dec.pages, 2);
    assert_same(&dec.bmp, b, 7, 5);
    assert_memory_equal(dec.icc, icc, sizeof icc);
    pf_decoded_free(&dec);
    free(data);
    free(a);
    free(b);
}

/* ---- TIFF laid out by hand: for what libtiff's writer will not make ---- */

typedef struct {
    uint16_t tag, type;
    uint32_t count, value; /* value: inline (left-justified) or an offset */
} ifd_entry;

/* A little-endian IFD at buf + at; returns the offset after it. */
static size_t put_ifd(uint8_t *buf, size_t at, const ifd_entry *e, int n,
                      uint32_t next)
{
    put_le16(buf + at, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        uint8_t *p = buf + at + 2 + 12 * i;
        put_le16(p, e[i].tag);
        put_le16(p + 2, e[i].type);
        put_le32(p + 4, e[i].count);
        put_le32(p + 8, e[i].value);
    }
    put_le32(buf + at + 2 + 12 * n, next);
    return at + 2 + 12 * (size_t)n + 4;
}

/* A 2 x 2 grey 8-bit TIFF: header, pixels at 8, IFD at 12 (next: next_ifd,
 * 0 for none; gps: a GPS IFD offset or 0). Returns its length. */
static size_t hand_tiff(uint8_t *buf, uint32_t w, uint32_t h, uint32_t next_ifd,
                        uint32_t gps)
{
    memset(buf, 0, 512);
    memcpy(buf, "II*\0", 4);
    put_le32(buf + 4, 12);
    buf[8] = 10, buf[9] = 20, buf[10] = 30, buf[11] = 40; /* the pixels */
    ifd_entry e[] = {
        {256, 4, 1, w},   {257, 4, 1, h},  {258, 3, 1, 8}, {259, 3, 1, 1},
        {262, 3, 1, 1},   {273, 4, 1, 8},  {277, 3, 1, 1}, {278, 4, 1, h},
        {279, 4, 1, 4},   {34853, 4, 1, gps},
    };
    return put_ifd(buf, 12, e, gps ? 10 : 9, next_ifd);
}

static void test_tiff_by_hand(void **state)
{
    (void)state;
    uint8_t buf[512];
    char err[PF_ERR_LEN] = "";
    pf_decoded dec;
    size_t len = hand_tiff(buf, 2, 2, 0, 0);
    tiff_ok(buf, len, 0, &dec);
    assert_rgb(px(&dec.bmp, 1, 1), 40, 40, 40);
    assert_int_equal(dec.pages, 1);
    assert_int_equal(dec.has_gps, 0);
    pf_decoded_free(&dec);

    /* A GPS IFD with a version and a latitude reference. */
    len = hand_tiff(buf, 2, 2, 0, 200);
    ifd_entry g[] = {{0, 1, 4, 0x00000202}, {1, 2, 2, 'N'}};
    put_ifd(buf, 200, g, 2, 0);
    tiff_ok(buf, 240, 0, &dec);
    assert_int_equal(dec.has_gps, 1);
    pf_decoded_free(&dec);

    /* The IFD chain loops back onto itself: one page, at once. */
    len = hand_tiff(buf, 2, 2, 12, 0);
    double t0 = now();
    tiff_ok(buf, len, 0, &dec);
    assert_int_equal(dec.pages, 1);
    assert_true(now() - t0 < 1.0);
    pf_decoded_free(&dec);
    assert_clean_error(pf_tiff_decode(buf, len, CAP, 1, &dec, err),
                       PF_ERR_INVALID_ARG, &dec, err);

    /* A header declaring 100000 x 100000 over 4 bytes of pixels: refused
     * from the header, before any pixel memory. */
    len = hand_tiff(buf, 100000, 100000, 0, 0);
    assert_clean_error(pf_tiff_decode(buf, len, CAP, 0, &dec, err),
                       PF_ERR_TOO_LARGE, &dec, err);
    assert_non_null(strstr(err, "100000"));
    /* Within the cap but the strip is not in the file. */
    len = hand_tiff(buf, 2, 2, 0, 0);
    put_le32(buf + 12 + 2 + 12 * 5 + 8, 5000); /* StripOffsets */
    assert_clean_error(pf_tiff_decode(buf, len, CAP, 0, &dec, err),
                       PF_ERR_TRUNCATED, &dec, err);
}

/* A long chain of (empty) IFDs: counted up to 10,000, quickly; a chain
 * looping back counts each directory once. */
static void test_tiff_many_pages(void **state)
{
    (void)state;
    const uint32_t n = 20000;
    size_t len = 512 + (size_t)n * 6;
    uint8_t *buf = calloc(1, len);
    assert_non_null(buf);
    size_t at = hand_tiff(buf, 2, 2, 0, 0), ifd1 = at; /* IFD 0 at 12 */
    put_le32(buf + at - 4, (uint32_t)at);
    for (uint32_t i = 1; i < n; i++, at += 6) {
        put_le16(buf + at, 0);
        put_le32(buf + at + 2, i + 1 < n ? (uint32_t)(at + 6) : 0);
    }
    pf_decoded dec;
    double t0 = now();
    tiff_ok(buf, at, 0, &dec);
    double t = now() - t0;
    assert_int_equal(dec.pages, 10000);
    assert_true(t < 1.0);
    pf_decoded_free(&dec);
    /* IFD 0 -> 1 -> 2 -> 1 -> ... (IFD k > 0 at ifd1 + 6 (k - 1)) */
    put_le32(buf + ifd1 + 6 + 2, (uint32_t)ifd1);
    tiff_ok(buf, at, 0, &dec);
    assert_int_equal(dec.pages, 3);
    pf_decoded_free(&dec);
    free(buf);
}

static void test_tiff_damaged(void **state)
{
    (void)state;
    uint8_t *rgb = tu_make_rgb(64, 48, TU_PATTERN_COLOR, 6);
    tpage p = rgb_page(64, 48, rgb);
    size_t len;
    uint8_t *data = make_tiff(&p, 1, &len);
    char err[PF_ERR_LEN] = "";
    pf_decoded dec;
    /* Every cut: a clean error, never a crash (libtiff writes the pixels
     * first, the directory last). */
    for (size_t cut = 0; cut < len; cut += (cut < 64 ? 1 : 97)) {
        err[0] = '\0';
        pf_status st = pf_tiff_decode(data, cut, CAP, 0, &dec, err);
        assert_clean_error(st, PF_OK, &dec, err);
    }
    /* Pixels cut, directory kept: the strips run past the end. */
    uint8_t *cut = malloc(len);
    assert_non_null(cut);
    memcpy(cut, data, len);
    size_t ifd = (size_t)cut[4] | (size_t)cut[5] << 8 | (size_t)cut[6] << 16;
    assert_true(ifd > 64 * 48 * 3);
    /* Move the directory to offset 8, over the pixels; the file ends after. */
    memmove(cut + 8, cut + ifd, len - ifd);
    put_le32(cut + 4, 8);
    size_t n = 8 + len - ifd;
    /* The IFD's out-of-line values (written after it) move with it. */
    uint16_t entries = (uint16_t)(cut[8] | cut[9] << 8);
    for (uint16_t i = 0; i < entries; i++) {
        uint8_t *e = cut + 8 + 2 + 12 * i;
        uint32_t tag = e[0] | e[1] << 8, type = e[2] | e[3] << 8;
        uint32_t count = e[4] | e[5] << 8 | (uint32_t)e[6] << 16 | (uint32_t)e[7] << 24;
        uint32_t size = count * (type == 3 ? 2 : type == 4 ? 4 : type == 5 ? 8 : 1);
        uint32_t v = e[8] | e[9] << 8 | (uint32_t)e[10] << 16 | (uint32_t)e[11] << 24;
        (void)tag;
        if (size > 4)
            put_le32(e + 8, v - (uint32_t)ifd + 8);
    }
    assert_clean_error(pf_tiff_decode(cut, n, CAP, 0, &dec, err), PF_ERR_TRUNCATED,
                       &dec, err);
    /* Corrupted header: wrong magic, an IFD offset past the end. */
    memcpy(cut, data, len);
    cut[2] = 43, cut[3] = 0; /* "II+\0": BigTIFF header fields now garbage */
    assert_clean_error(pf_tiff_decode(cut, len, CAP, 0, &dec, err), PF_OK, &dec, err);
    memcpy(cut, data, len);
    put_le32(cut + 4, (uint32_t)len + 1000);
    assert_clean_error(pf_tiff_decode(cut, len, CAP, 0, &dec, err), PF_OK, &dec, err);
    /* A small cap. */
    assert_clean_error(pf_tiff_decode(data, len, 64 * 47, 0, &dec, err),
                       PF_ERR_TOO_LARGE, &dec, err);
    /* Bytes flipped throughout: anything but a crash. */
    unsigned seed = 7;
    for (int round = 0; round < 300; round++) {
        memcpy(cut, data, len);
        for (int k = 0; k < 4; k++)
            cut[tu_rand(&seed) % len] ^= (uint8_t)(1 + tu_rand(&seed) % 255);
        pf_status st = pf_tiff_decode(cut, len, CAP, 0, &dec, err);
        if (st == PF_OK)
            assert_non_null(dec.bmp.rgb);
        else
            assert_null(dec.bmp.rgb);
        pf_decoded_free(&dec);
    }
    free(cut);
    free(data);
    free(rgb);
}

/* ---- GIF: written by giflib's encoder into memory ---- */

typedef struct {
    uint8_t *data;
    size_t len, cap;
} membuf;

static int gif_write(GifFileType *gif, const GifByteType *buf, int n)
{
    membuf *m = gif->UserData;
    if (m->len + (size_t)n > m->cap) {
        m->cap = (m->len + (size_t)n) * 2 + 256;
        m->data = realloc(m->data, m->cap);
        assert_non_null(m->data);
    }
    memcpy(m->data + m->len, buf, (size_t)n);
    m->len += (size_t)n;
    return n;
}

/* Palette used by the GIF tests: index i -> (i, 255 - i, (7 i) & 255). */
static ColorMapObject *test_map(void)
{
    GifColorType c[256];
    for (int i = 0; i < 256; i++)
        c[i].Red = (GifByteType)i, c[i].Green = (GifByteType)(255 - i),
        c[i].Blue = (GifByteType)(i * 7);
    ColorMapObject *m = GifMakeMapObject(256, c);
    assert_non_null(m);
    return m;
}

typedef struct {
    uint32_t left, top, w, h;
    int interlace, transparent; /* transparent: index or -1 */
    const uint8_t *idx;         /* w * h indices, top to bottom */
    int local_map;
} gframe;

/* The order an interlaced frame's rows are stored in. */
static uint32_t stored_row(uint32_t i, uint32_t h)
{
    static const uint32_t start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    for (int pass = 0; pass < 4; pass++)
        for (uint32_t y = start[pass]; y < h; y += step[pass])
            if (i-- == 0)
                return y;
    return 0;
}

static uint8_t *make_gif(uint32_t sw, uint32_t sh, const gframe *f, int n, size_t *len)
{
    membuf m = {0};
    int e = 0;
    GifFileType *g = EGifOpen(&m, gif_write, &e);
    assert_non_null(g);
    ColorMapObject *map = test_map();
    EGifSetGifVersion(g, true);
    assert_int_equal(EGifPutScreenDesc(g, (int)sw, (int)sh, 8, 0, map), GIF_OK);
    for (int i = 0; i < n; i++) {
        if (f[i].transparent >= 0 || n > 1) {
            GraphicsControlBlock gcb = {DISPOSE_DO_NOT, false, 10, f[i].transparent};
            GifByteType ext[4];
            size_t el = EGifGCBToExtension(&gcb, ext);
            assert_int_equal(EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, (int)el, ext),
                             GIF_OK);
        }
        assert_int_equal(EGifPutImageDesc(g, (int)f[i].left, (int)f[i].top, (int)f[i].w,
                                          (int)f[i].h, f[i].interlace,
                                          f[i].local_map ? map : NULL), GIF_OK);
        for (uint32_t r = 0; r < f[i].h; r++) {
            uint32_t y = f[i].interlace ? stored_row(r, f[i].h) : r;
            assert_int_equal(EGifPutLine(g, (GifPixelType *)f[i].idx + (size_t)y * f[i].w,
                                         (int)f[i].w), GIF_OK);
        }
    }
    assert_int_equal(EGifCloseFile(g, &e), GIF_OK);
    GifFreeMapObject(map);
    *len = m.len;
    return m.data;
}

static void index_rgb(uint8_t i, uint8_t *rgb)
{
    rgb[0] = i, rgb[1] = (uint8_t)(255 - i), rgb[2] = (uint8_t)(i * 7);
}

static void gif_ok(const uint8_t *data, size_t len, pf_decoded *dec)
{
    char err[PF_ERR_LEN] = "";
    pf_status st = pf_gif_decode(data, len, CAP, dec, err);
    if (st != PF_OK)
        fail_msg("pf_gif_decode: %d %s", st, err);
    assert_int_equal(dec->exif_orientation, 0);
    assert_int_equal(dec->stored_width, dec->bmp.width);
    assert_int_equal(dec->stored_height, dec->bmp.height);
    assert_null(dec->icc);
}

static void test_gif_still_interlaced(void **state)
{
    (void)state;
    const uint32_t w = 13, h = 11;
    uint8_t idx[13 * 11], expect[13 * 11 * 3];
    for (uint32_t i = 0; i < w * h; i++) {
        idx[i] = (uint8_t)(i * 5 + i / w);
        index_rgb(idx[i], expect + i * 3);
    }
    for (int interlace = 0; interlace <= 1; interlace++)
        for (int local = 0; local <= 1; local++) {
            gframe f = {0, 0, w, h, interlace, -1, idx, local};
            size_t len;
            uint8_t *data = make_gif(w, h, &f, 1, &len);
            pf_decoded dec;
            gif_ok(data, len, &dec);
            assert_same(&dec.bmp, expect, w, h);
            assert_int_equal(dec.pages, 1);
            assert_int_equal(dec.animated, 0);
            assert_int_equal(dec.has_alpha, 0);
            assert_int_equal(dec.source_grey, 0);
            pf_decoded_free(&dec);
            free(data);
        }
}

/* Two frames, the first with a transparent index, smaller than the screen
 * and offset: transparent and uncovered pixels are white. */
static void test_gif_animated(void **state)
{
    (void)state;
    const uint32_t sw = 12, sh = 10, w = 8, h = 6, left = 3, top = 2;
    uint8_t first[8 * 6], second[12 * 10];
    for (uint32_t i = 0; i < w * h; i++)
        first[i] = (uint8_t)(i % 7 == 0 ? 9 : 100 + i); /* 9: transparent */
    memset(second, 50, sizeof second);
    gframe f[2] = {{left, top, w, h, 1, 9, first, 0}, {0, 0, sw, sh, 0, -1, second, 0}};
    size_t len;
    uint8_t *data = make_gif(sw, sh, f, 2, &len);
    pf_decoded dec;
    gif_ok(data, len, &dec);
    assert_int_equal(dec.bmp.width, sw);
    assert_int_equal(dec.bmp.height, sh);
    assert_int_equal(dec.animated, 1);
    assert_int_equal(dec.pages, 2);
    assert_int_equal(dec.has_alpha, 1);
    for (uint32_t y = 0; y < sh; y++)
        for (uint32_t x = 0; x < sw; x++) {
            uint8_t e[3] = {255, 255, 255};
            if (x >= left && x < left + w && y >= top && y < top + h) {
                uint8_t i = first[(y - top) * w + (x - left)];
                if (i != 9)
                    index_rgb(i, e);
            }
            if (memcmp(px(&dec.bmp, x, y), e, 3) != 0)
                fail_msg("(%u,%u)", x, y);
        }
    pf_decoded_free(&dec);
    free(data);

    /* A first frame past a screen of 0 x 0 grows the screen. */
    gframe g = {2, 1, w, h, 0, -1, first, 0};
    data = make_gif(0, 0, &g, 1, &len);
    gif_ok(data, len, &dec);
    assert_int_equal(dec.bmp.width, w + 2);
    assert_int_equal(dec.bmp.height, h + 1);
    assert_rgb(px(&dec.bmp, 0, 0), 255, 255, 255);
    uint8_t e[3];
    index_rgb(first[1], e);
    assert_rgb(px(&dec.bmp, 3, 1), e[0], e[1], e[2]);
    pf_decoded_free(&dec);
    free(data);
}

/* Frames are counted up to 10,000, quickly, without decoding them. */
static void test_gif_many_frames(void **state)
{
    (void)state;
    enum { N = 10050 };
    gframe *f = calloc(N, sizeof *f);
    uint8_t one[4] = {1, 2, 3, 4};
    assert_non_null(f);
    for (int i = 0; i < N; i++)
        f[i] = (gframe){0, 0, 2, 2, 0, -1, one, 0};
    size_t len;
    uint8_t *data = make_gif(2, 2, f, N, &len);
    pf_decoded dec;
    double t0 = now();
    gif_ok(data, len, &dec);
    assert_true(now() - t0 < 2.0);
    assert_int_equal(dec.pages, 10000);
    assert_int_equal(dec.animated, 1);
    pf_decoded_free(&dec);
    /* Damage after the first frame: the first frame still counts. */
    gframe two[2] = {f[0], f[1]};
    free(data);
    data = make_gif(2, 2, two, 2, &len);
    gif_ok(data, len - 3, &dec);
    assert_int_equal(dec.pages, 1);
    pf_decoded_free(&dec);
    free(data);
    free(f);
}

static void test_gif_grey(void **state)
{
    (void)state;
    /* A 2 x 1 GIF by hand: a palette of two greys, LZW codes clear (4),
     * 0, 1, end (5) at 3 bits each. */
    uint8_t gif[] = {
        'G', 'I', 'F', '8', '9', 'a', 2, 0, 1, 0, 0x80, 0, 0, /* 2x1, 2 colours */
        10, 10, 10, 200, 200, 200,                            /* grey palette */
        0x2C, 0, 0, 0, 0, 2, 0, 1, 0, 0,                      /* image 2x1 */
        2, 2, 0x44, 0x0A, 0,                                  /* LZW data */
        0x3B};
    pf_decoded dec;
    gif_ok(gif, sizeof gif, &dec);
    assert_int_equal(dec.source_grey, 1);
    assert_rgb(px(&dec.bmp, 0, 0), 10, 10, 10);
    assert_rgb(px(&dec.bmp, 1, 0), 200, 200, 200);
    pf_decoded_free(&dec);
}

static void test_gif_damaged(void **state)
{
    (void)state;
    uint8_t idx[40 * 30];
    for (size_t i = 0; i < sizeof idx; i++)
        idx[i] = (uint8_t)(i * 13 + i / 40);
    gframe f = {0, 0, 40, 30, 0, -1, idx, 0};
    size_t len;
    uint8_t *data = make_gif(40, 30, &f, 1, &len);
    char err[PF_ERR_LEN] = "";
    pf_decoded dec;
    /* Cut anywhere before the frame's end: a clean error. */
    for (size_t cut = 0; cut + 2 < len; cut += (cut < 800 ? 1 : 37)) {
        err[0] = '\0';
        pf_status st = pf_gif_decode(data, cut, CAP, &dec, err);
        assert_clean_error(st, PF_OK, &dec, err);
        if (cut > 13 + 768 + 10 + 8) /* inside the pixel data */
            assert_int_equal(st, PF_ERR_TRUNCATED);
    }
    uint8_t *bad = malloc(len);
    assert_non_null(bad);
    /* Not a GIF. */
    memcpy(bad, data, len);
    memcpy(bad, "GIX", 3);
    assert_clean_error(pf_gif_decode(bad, len, CAP, &dec, err), PF_ERR_CORRUPT, &dec, err);
    /* A screen of 65535 x 65535 (4.3 GP): refused before any pixel memory. */
    memcpy(bad, data, len);
    put_le16(bad + 6, 65535), put_le16(bad + 8, 65535);
    assert_clean_error(pf_gif_decode(bad, len, CAP, &dec, err), PF_ERR_TOO_LARGE, &dec, err);
    assert_non_null(strstr(err, "65535"));
    /* A first frame of 65535 x 65535 on a small screen. */
    memcpy(bad, data, len);
    size_t desc = 13 + 768 + 1; /* after the ',' */
    assert_int_equal(data[desc - 1], 0x2C);
    put_le16(bad + desc + 4, 65535), put_le16(bad + desc + 6, 65535);
    assert_clean_error(pf_gif_decode(bad, len, CAP, &dec, err), PF_ERR_TOO_LARGE, &dec, err);
    /* No image at all. */
    uint8_t empty[13 + 768 + 1];
    memcpy(empty, data, sizeof empty - 1);
    empty[sizeof empty - 1] = 0x3B;
    assert_clean_error(pf_gif_decode(empty, sizeof empty, CAP, &dec, err),
                       PF_ERR_CORRUPT, &dec, err);
    /* Bytes flipped throughout: anything but a crash. */
    unsigned seed = 11;
    for (int round = 0; round < 500; round++) {
        memcpy(bad, data, len);
        for (int k = 0; k < 3; k++)
            bad[tu_rand(&seed) % len] ^= (uint8_t)(1 + tu_rand(&seed) % 255);
        pf_status st = pf_gif_decode(bad, len, CAP, &dec, err);
        if (st != PF_OK)
            assert_null(dec.bmp.rgb);
        pf_decoded_free(&dec);
    }
    free(bad);
    free(data);
}

/* ---- BMP: written here byte by byte ---- */

typedef struct {
    uint32_t bpp;        /* 8, 24 or 32 */
    int top_down;
    uint32_t hsz;        /* info header: 12, 40, 108 or 124 */
    int bitfields;       /* 32-bit: BI_BITFIELDS with an alpha mask */
    const uint8_t *icc;  /* V5: an embedded profile */
    uint32_t icc_len;
} bmp_spec;

/* rgba: w*h RGBA (A used at 32 bits); 8 bits: R is a grey level and the
 * palette is 256 greys. */
static uint8_t *make_bmp(const bmp_spec *s, const uint8_t *rgba, uint32_t w,
                         uint32_t h, size_t *len)
{
    uint32_t pal = s->bpp == 8 ? 256 * (s->hsz == 12 ? 3 : 4) : 0;
    uint32_t masks = s->bitfields && s->hsz == 40 ? 12 : 0;
    uint32_t row = (w * s->bpp + 31) / 32 * 4;
    uint32_t off = 14 + s->hsz + masks + pal;
    uint32_t icc_at = off + row * h;
    *len = icc_at + s->icc_len;
    uint8_t *b = calloc(1, *len);
    assert_non_null(b);
    b[0] = 'B', b[1] = 'M';
    put_le32(b + 2, (uint32_t)*len);
    put_le32(b + 10, off);
    uint8_t *ih = b + 14;
    put_le32(ih, s->hsz);
    if (s->hsz == 12) {
        put_le16(ih + 4, w), put_le16(ih + 6, h), put_le16(ih + 8, 1);
        put_le16(ih + 10, s->bpp);
    } else {
        put_le32(ih + 4, w);
        put_le32(ih + 8, s->top_down ? (uint32_t)-(int32_t)h : h);
        put_le16(ih + 12, 1), put_le16(ih + 14, s->bpp);
        put_le32(ih + 16, s->bitfields ? 3 : 0);
        put_le32(ih + 20, row * h);
        if (s->bitfields) { /* after a 40-byte header, or inside V4/V5 */
            uint8_t *m = s->hsz == 40 ? ih + 40 : ih + 40;
            put_le32(m, 0x00FF0000), put_le32(m + 4, 0x0000FF00);
            put_le32(m + 8, 0x000000FF);
            if (s->hsz > 40)
                put_le32(m + 12, 0xFF000000);
        }
        if (s->hsz == 124 && s->icc) {
            put_le32(ih + 56, 0x4D424544); /* 'MBED' */
            put_le32(ih + 112, icc_at - 14);
            put_le32(ih + 116, s->icc_len);
            memcpy(b + icc_at, s->icc, s->icc_len);
        }
    }
    for (uint32_t i = 0; i < 256 && pal; i++) {
        uint8_t *e = b + 14 + s->hsz + masks + i * (s->hsz == 12 ? 3 : 4);
        e[0] = e[1] = e[2] = (uint8_t)i;
    }
    for (uint32_t y = 0; y < h; y++) {
        uint32_t fy = s->top_down ? y : h - 1 - y;
        uint8_t *dst = b + off + (size_t)fy * row;
        for (uint32_t x = 0; x < w; x++) {
            const uint8_t *p = rgba + ((size_t)y * w + x) * 4;
            if (s->bpp == 8) {
                dst[x] = p[0];
                continue;
            }
            uint8_t *d = dst + x * (s->bpp / 8);
            d[0] = p[2], d[1] = p[1], d[2] = p[0];
            if (s->bpp == 32)
                d[3] = p[3];
        }
    }
    return b;
}

static void bmp_ok(const uint8_t *data, size_t len, pf_decoded *dec)
{
    char err[PF_ERR_LEN] = "";
    pf_status st = pf_bmp_decode(data, len, CAP, dec, err);
    if (st != PF_OK)
        fail_msg("pf_bmp_decode: %d %s", st, err);
    assert_int_equal(dec->exif_orientation, 0);
    assert_int_equal(dec->stored_width, dec->bmp.width);
    assert_int_equal(dec->stored_height, dec->bmp.height);
}

static uint8_t *rgba_of(const uint8_t *rgb, uint32_t n, uint8_t alpha)
{
    uint8_t *rgba = malloc((size_t)n * 4);
    assert_non_null(rgba);
    for (uint32_t i = 0; i < n; i++) {
        memcpy(rgba + i * 4, rgb + i * 3, 3);
        rgba[i * 4 + 3] = alpha;
    }
    return rgba;
}

static void test_bmp_rgb(void **state)
{
    (void)state;
    const uint32_t w = 13, h = 11; /* 39 bytes a row at 24 bits: padded */
    uint8_t *rgb = tu_make_rgb(w, h, TU_PATTERN_COLOR, 8);
    uint8_t *rgba = rgba_of(rgb, w * h, 255);
    static const bmp_spec specs[] = {
        {24, 0, 40, 0, NULL, 0}, {24, 1, 40, 0, NULL, 0}, {24, 0, 12, 0, NULL, 0},
        {32, 0, 40, 0, NULL, 0}, {32, 1, 40, 0, NULL, 0}, {32, 0, 108, 1, NULL, 0},
        {32, 1, 124, 1, NULL, 0}, {32, 0, 40, 1, NULL, 0},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        size_t len;
        uint8_t *data = make_bmp(&specs[i], rgba, w, h, &len);
        pf_decoded dec;
        bmp_ok(data, len, &dec);
        assert_same(&dec.bmp, rgb, w, h);
        assert_int_equal(dec.has_alpha, 0);
        assert_int_equal(dec.source_grey, 0);
        assert_int_equal(dec.pages, 1);
        assert_null(dec.icc);
        pf_decoded_free(&dec);
        free(data);
    }
    /* 32 bits with every alpha byte 0: the usual "unused" byte, opaque. */
    uint8_t *zero = rgba_of(rgb, w * h, 0);
    size_t len;
    uint8_t *data = make_bmp(&specs[3], zero, w, h, &len);
    pf_decoded dec;
    bmp_ok(data, len, &dec);
    assert_same(&dec.bmp, rgb, w, h);
    assert_int_equal(dec.has_alpha, 0);
    pf_decoded_free(&dec);
    free(data);
    free(zero);
    free(rgba);
    free(rgb);
}

static void test_bmp_alpha_grey_icc(void **state)
{
    (void)state;
    uint8_t rgba[4 * 4] = {200, 100, 50, 0,   200, 100, 50, 64,
                           200, 100, 50, 128, 200, 100, 50, 255};
    bmp_spec s = {32, 0, 108, 1, NULL, 0};
    size_t len;
    uint8_t *data = make_bmp(&s, rgba, 4, 1, &len);
    pf_decoded dec;
    bmp_ok(data, len, &dec);
    assert_int_equal(dec.has_alpha, 1);
    for (uint32_t i = 0; i < 4; i++) {
        unsigned a = rgba[i * 4 + 3];
        assert_rgb(px(&dec.bmp, i, 0), flat(200, a), flat(100, a), flat(50, a));
    }
    pf_decoded_free(&dec);
    free(data);

    /* 8 bits, a palette of greys. */
    uint8_t grey[5 * 3 * 4];
    for (int i = 0; i < 15; i++)
        grey[i * 4] = (uint8_t)(i * 17), grey[i * 4 + 3] = 255;
    s = (bmp_spec){8, 0, 40, 0, NULL, 0};
    data = make_bmp(&s, grey, 5, 3, &len);
    bmp_ok(data, len, &dec);
    assert_int_equal(dec.source_grey, 1);
    assert_rgb(px(&dec.bmp, 4, 2), 14 * 17, 14 * 17, 14 * 17);
    assert_rgb(px(&dec.bmp, 1, 0), 17, 17, 17);
    pf_decoded_free(&dec);
    free(data);

    /* V5 with an embedded profile: copied byte for byte. */
    uint8_t icc[200];
    for (size_t i = 0; i < sizeof icc; i++)
        icc[i] = (uint8_t)(i ^ 0x5A);
    uint8_t *rgb = tu_make_rgb(3, 2, TU_PATTERN_COLOR, 9);
    uint8_t *px4 = rgba_of(rgb, 6, 255);
    s = (bmp_spec){24, 1, 124, 0, icc, sizeof icc};
    data = make_bmp(&s, px4, 3, 2, &len);
    bmp_ok(data, len, &dec);
    assert_same(&dec.bmp, rgb, 3, 2);
    assert_non_null(dec.icc);
    assert_int_equal(dec.icc_len, sizeof icc);
    assert_memory_equal(dec.icc, icc, sizeof icc);
    pf_decoded_free(&dec);
    free(data);
    free(px4);
    free(rgb);
}

/* 8 bits, 4 x 1, its palette of n greys (BITMAPINFOHEADER). */
static size_t palette_bmp(uint8_t *b, unsigned n, const uint8_t idx[4])
{
    uint32_t off = 54 + 4 * n;
    memset(b, 0, off + 4);
    b[0] = 'B', b[1] = 'M';
    put_le32(b + 2, off + 4), put_le32(b + 10, off), put_le32(b + 14, 40);
    put_le32(b + 18, 4), put_le32(b + 22, 1), put_le16(b + 26, 1);
    put_le16(b + 28, 8), put_le32(b + 46, n);
    for (unsigned i = 0; i < n; i++)
        memset(b + 54 + 4 * i, (int)(i * 16), 3);
    memcpy(b + off, idx, 4);
    return off + 4;
}

/* stb_image takes the colour of an index past the palette it read from
 * uninitialised memory: such files are refused. */
static void test_bmp_palette(void **state)
{
    (void)state;
    uint8_t b[54 + 1024 + 4];
    char err[PF_ERR_LEN] = "";
    pf_decoded dec;
    size_t len = palette_bmp(b, 16, (const uint8_t[4]){0, 5, 15, 1});
    bmp_ok(b, len, &dec);
    assert_rgb(px(&dec.bmp, 1, 0), 80, 80, 80);
    assert_rgb(px(&dec.bmp, 2, 0), 240, 240, 240);
    assert_int_equal(dec.source_grey, 1);
    pf_decoded_free(&dec);
    len = palette_bmp(b, 16, (const uint8_t[4]){0, 5, 16, 1});
    assert_clean_error(pf_bmp_decode(b, len, CAP, &dec, err), PF_ERR_CORRUPT, &dec, err);
    /* The core header: stb_image reads 4 entries fewer than the file's
     * 256, so indices 252..255 are refused too (a known stb_image limit). */
    uint8_t grey[4 * 4] = {0, 0, 0, 255, 100, 0, 0, 255, 251, 0, 0, 255, 7, 0, 0, 255};
    bmp_spec core = {8, 0, 12, 0, NULL, 0};
    uint8_t *data = make_bmp(&core, grey, 4, 1, &len);
    bmp_ok(data, len, &dec);
    assert_rgb(px(&dec.bmp, 2, 0), 251, 251, 251);
    pf_decoded_free(&dec);
    free(data);
    grey[8] = 252;
    data = make_bmp(&core, grey, 4, 1, &len);
    assert_clean_error(pf_bmp_decode(data, len, CAP, &dec, err), PF_ERR_CORRUPT, &dec, err);
    free(data);
}

static void test_bmp_damaged(void **state)
{
    (void)state;
    const uint32_t w = 13, h = 11;
    uint8_t *rgb = tu_make_rgb(w, h, TU_PATTERN_COLOR, 10);
    uint8_t *rgba = rgba_of(rgb, w * h, 255);
    bmp_spec s = {24, 0, 40, 0, NULL, 0};
    size_t len;
    uint8_t *data = make_bmp(&s, rgba, w, h, &len);
    char err[PF_ERR_LEN] = "";
    pf_decoded dec;
    /* Every cut: a clean error, "truncated" once "BM" is there (the last
     * row's padding may go). */
    for (size_t cut = 0; cut < len - 1; cut++) {
        err[0] = '\0';
        pf_status st = pf_bmp_decode(data, cut, CAP, &dec, err);
        assert_clean_error(st, cut >= 2 ? PF_ERR_TRUNCATED : PF_OK, &dec, err);
    }
    bmp_ok(data, len - 1, &dec); /* one byte of padding missing */
    pf_decoded_free(&dec);
    uint8_t *bad = malloc(len);
    assert_non_null(bad);
    /* 100000 x 100000 in the header: refused before decoding. */
    memcpy(bad, data, len);
    put_le32(bad + 18, 100000), put_le32(bad + 22, 100000);
    assert_clean_error(pf_bmp_decode(bad, len, CAP, &dec, err), PF_ERR_TOO_LARGE, &dec, err);
    assert_non_null(strstr(err, "100000"));
    /* An unknown header size, a broken one, RLE, a PNG's bytes. */
    memcpy(bad, data, len);
    put_le32(bad + 14, 77);
    assert_clean_error(pf_bmp_decode(bad, len, CAP, &dec, err), PF_ERR_FORMAT, &dec, err);
    memcpy(bad, data, len);
    put_le16(bad + 26, 3); /* planes */
    assert_clean_error(pf_bmp_decode(bad, len, CAP, &dec, err), PF_ERR_CORRUPT, &dec, err);
    memcpy(bad, data, len);
    put_le32(bad + 30, 1);
    assert_clean_error(pf_bmp_decode(bad, len, CAP, &dec, err), PF_ERR_FORMAT, &dec, err);
    assert_non_null(strstr(err, "RLE8"));
    uint8_t *png = NULL;
    size_t png_len = 0;
    assert_int_equal(tu_png(rgb, NULL, w, h, 2, 8, 0, NULL, 0, &png, &png_len), 0);
    assert_clean_error(pf_bmp_decode(png, png_len, CAP, &dec, err), PF_ERR_CORRUPT, &dec, err);
    free(png);
    /* Bytes flipped throughout: anything but a crash. */
    unsigned seed = 13;
    for (int round = 0; round < 500; round++) {
        memcpy(bad, data, len);
        for (int k = 0; k < 3; k++)
            bad[tu_rand(&seed) % 80] ^= (uint8_t)(1 + tu_rand(&seed) % 255);
        pf_status st = pf_bmp_decode(bad, len, CAP, &dec, err);
        if (st != PF_OK)
            assert_null(dec.bmp.rgb);
        pf_decoded_free(&dec);
    }
    free(bad);
    free(data);
    free(rgba);
    free(rgb);
}

/* ---- the corpus ---- */

static const char *corpus_dir(void)
{
    static const char *const tries[] = {"../shared/corpus", "../../shared/corpus"};
    const char *c = getenv("PF_CORPUS");
    struct stat st;
    if (c && *c)
        return stat(c, &st) == 0 && S_ISDIR(st.st_mode) ? c : NULL;
    for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++)
        if (stat(tries[i], &st) == 0 && S_ISDIR(st.st_mode))
            return tries[i];
    return NULL;
}

static void test_corpus_docling_tiff(void **state)
{
    (void)state;
    const char *dir = corpus_dir();
    char path[4096];
    snprintf(path, sizeof path, "%s/formats/docling/2206.01062.tif", dir ? dir : ".");
    size_t len = 0;
    uint8_t *data = dir ? tu_read(path, &len) : NULL;
    if (!data) {
        fprintf(stderr, "no corpus: docling TIFF skipped\n");
        return;
    }
    for (int page = 0; page < 2; page++) {
        pf_decoded dec;
        tiff_ok(data, len, page, &dec);
        assert_int_equal(dec.pages, 2);
        assert_int_equal(dec.bmp.width, 612);
        assert_int_equal(dec.bmp.height, 792);
        assert_non_null(dec.icc);
        assert_int_equal(dec.icc_len, 560);
        assert_memory_equal((const char *)dec.icc + 36, "acsp", 4);
        pf_decoded_free(&dec);
    }
    free(data);
}

static int corpus_files;

/* Every TIFF, GIF and BMP (by content) under dir through its decoder:
 * success or a clean error. */
static void walk(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d))) {
        char path[4096];
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            walk(path);
            continue;
        }
        if (!S_ISREG(st.st_mode) || st.st_size < 4 || st.st_size > (64 << 20))
            continue;
        size_t len = 0;
        uint8_t *data = tu_read(path, &len);
        if (!data)
            continue;
        pf_format f = pf_sniff(data, len);
        char err[PF_ERR_LEN] = "";
        pf_decoded dec;
        pf_status s = PF_OK;
        if (f == PF_FORMAT_TIFF)
            s = pf_tiff_decode(data, len, CAP, 0, &dec, err);
        else if (f == PF_FORMAT_GIF)
            s = pf_gif_decode(data, len, CAP, &dec, err);
        else if (f == PF_FORMAT_BMP)
            s = pf_bmp_decode(data, len, CAP, &dec, err);
        if (f == PF_FORMAT_TIFF || f == PF_FORMAT_GIF || f == PF_FORMAT_BMP) {
            corpus_files++;
            fprintf(stderr, "corpus %s: %s %s\n", path,
                    s == PF_OK ? "decoded" : "refused", err);
            if (s == PF_OK) {
                assert_non_null(dec.bmp.rgb);
                assert_true(dec.pages >= 1);
            } else {
                assert_null(dec.bmp.rgb);
                assert_true(err[0] != '\0');
                assert_int_not_equal(s, PF_ERR_INTERNAL);
            }
            pf_decoded_free(&dec);
        }
        free(data);
    }
    closedir(d);
}

static void test_corpus_all(void **state)
{
    (void)state;
    const char *dir = corpus_dir();
    if (!dir) {
        fprintf(stderr, "no corpus: TIFF/GIF/BMP files skipped\n");
        return;
    }
    corpus_files = 0;
    walk(dir);
    assert_true(corpus_files >= 1); /* the docling TIFF at least */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiff_rgb),
        cmocka_unit_test(test_tiff_orientation),
        cmocka_unit_test(test_tiff_16bit_grey_palette),
        cmocka_unit_test(test_tiff_alpha),
        cmocka_unit_test(test_tiff_pages_icc),
        cmocka_unit_test(test_tiff_by_hand),
        cmocka_unit_test(test_tiff_many_pages),
        cmocka_unit_test(test_tiff_damaged),
        cmocka_unit_test(test_gif_still_interlaced),
        cmocka_unit_test(test_gif_animated),
        cmocka_unit_test(test_gif_many_frames),
        cmocka_unit_test(test_gif_grey),
        cmocka_unit_test(test_gif_damaged),
        cmocka_unit_test(test_bmp_rgb),
        cmocka_unit_test(test_bmp_alpha_grey_icc),
        cmocka_unit_test(test_bmp_palette),
        cmocka_unit_test(test_bmp_damaged),
        cmocka_unit_test(test_corpus_docling_tiff),
        cmocka_unit_test(test_corpus_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
