/* The formats people have, end to end: a WebP, TIFF, GIF, BMP, HEIC or PDF
 * is checked like any picture (its format fails, saying fix converts it)
 * and fix makes a JPEG within the limits whose pixels are the source's;
 * TIFF orientation and HEIC rotation come out upright, a TIFF's or PDF's
 * pages and a GIF's frames are reported, a wide-gamut source keeps its
 * colours, damaged files say so. The inputs are made here with each
 * format's own library (the decoders' own tests cover their corners). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <gif_lib.h>
#include <lcms2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <turbojpeg.h>
#include <webp/encode.h>
#include <cairo-pdf.h>

#include "internal.h"
#include "testutil.h"

#define W 320
#define H 240
#define PATCH 80 /* a 4 x 3 grid of flat patches */

/* The colour of patch (i, j) of picture variant v. */
static void patch_colour(int i, int j, int v, uint8_t c[3])
{
    static const uint8_t base[12][3] = {
        {230, 40, 40}, {40, 200, 60}, {40, 60, 220}, {240, 220, 40},
        {30, 30, 30}, {250, 250, 250}, {200, 100, 180}, {90, 200, 210},
        {120, 80, 40}, {160, 160, 160}, {250, 140, 30}, {60, 120, 60}};
    const uint8_t *b = base[(j * 4 + i + 5 * v) % 12];
    memcpy(c, b, 3);
}

/* w x h RGB of the patch grid (w = 4 patches across), variant v. */
static uint8_t *patches(uint32_t w, uint32_t h, int v)
{
    uint8_t *rgb = malloc((size_t)w * h * 3);
    assert_non_null(rgb);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++)
            patch_colour((int)(x * 4 / w), (int)(y * 3 / h), v,
                         rgb + ((size_t)y * w + x) * 3);
    return rgb;
}

static pf_ctx *small_ctx(void)
{
    pf_ctx *ctx = pf_ctx_new();
    pf_rules r;
    assert_int_equal(pf_profile_rules("wechat", &r), PF_OK);
    r.min_long = W, r.min_short = H; /* fix keeps the size: patches stay put */
    r.image_checks = 0; /* the patch grid is no document */
    assert_int_equal(pf_ctx_set_rules(ctx, &r), PF_OK);
    return ctx;
}

static const pf_check *find(const pf_report *r, pf_check_id id)
{
    for (int i = 0; i < r->n_checks; i++)
        if (r->checks[i].id == id)
            return &r->checks[i];
    return NULL;
}

static int has_action(const pf_report *r, const char *text)
{
    for (int i = 0; i < r->n_actions; i++)
        if (strstr(r->actions[i], text))
            return 1;
    return 0;
}

/* The fixed JPEG's pixels, decoded with TurboJPEG. */
static uint8_t *decode_jpeg(const uint8_t *jpg, size_t len, int *w, int *h)
{
    tjhandle tj = tjInitDecompress();
    int sub, cs;
    assert_non_null(tj);
    assert_int_equal(tjDecompressHeader3(tj, jpg, (unsigned long)len, w, h, &sub, &cs), 0);
    uint8_t *rgb = malloc((size_t)*w * *h * 3);
    assert_non_null(rgb);
    assert_int_equal(tjDecompress2(tj, jpg, (unsigned long)len, rgb, *w, 0, *h, TJPF_RGB,
                                   0), 0);
    tjDestroy(tj);
    return rgb;
}

/* Each patch's centre in the w x h output is its colour (variant v, or
 * want[12] when given) within tol per channel. */
static void assert_patches(const uint8_t *rgb, int w, int h, int v,
                           const uint8_t (*want)[3], int tol)
{
    for (int j = 0; j < 3; j++)
        for (int i = 0; i < 4; i++) {
            uint8_t c[3];
            patch_colour(i, j, v, c);
            const uint8_t *expect = want ? want[j * 4 + i] : c;
            int x = (2 * i + 1) * w / 8, y = (2 * j + 1) * h / 6;
            const uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            for (int k = 0; k < 3; k++)
                if (abs(p[k] - expect[k]) > tol)
                    fail_msg("patch (%d,%d) channel %d: %d, expected %d +- %d", i, j, k,
                             p[k], expect[k], tol);
        }
}

/* check: status fail on the format alone, the pixels measured; fix: a
 * JPEG within the limits, "converted LABEL to JPEG", the patches kept. */
static void check_and_fix(const uint8_t *data, size_t len, const char *label,
                          uint32_t w, uint32_t h, int v, int tol)
{
    pf_ctx *ctx = small_ctx();
    pf_report report;
    char converted[64];
    assert_int_equal(pf_check_buffer(ctx, data, len, "in", &report), PF_OK);
    assert_int_equal(report.status, PF_FILE_FAIL);
    assert_int_equal(report.input.width, w);
    assert_int_equal(report.input.height, h);
    const pf_check *f = find(&report, PF_CHECK_FORMAT);
    assert_non_null(f);
    assert_int_equal(f->status, PF_FAIL);
    assert_non_null(strstr(f->message, "'preflight fix' converts it to JPEG"));
    assert_non_null(strstr(f->message, label));
    assert_non_null(find(&report, PF_CHECK_MIN_SIZE)); /* pixels were read */

    uint8_t *out = NULL;
    size_t out_len = 0;
    pf_format fmt = PF_FORMAT_UNKNOWN;
    assert_int_equal(pf_fix_buffer(ctx, data, len, "in", &out, &out_len, &fmt, &report),
                     PF_OK);
    assert_int_equal(fmt, PF_FORMAT_JPEG);
    assert_int_equal(report.status, PF_FILE_FIXED);
    assert_true(out_len <= 200000);
    snprintf(converted, sizeof converted, "converted %s to JPEG", label);
    assert_true(has_action(&report, converted));
    int ow, oh;
    uint8_t *rgb = decode_jpeg(out, out_len, &ow, &oh);
    assert_int_equal(ow, (int)w);
    assert_int_equal(oh, (int)h);
    assert_patches(rgb, ow, oh, v, NULL, tol);
    free(rgb);
    free(out);
    pf_ctx_free(ctx);
}

/* ---- WebP ---- */

static void test_webp(void **state)
{
    (void)state;
    uint8_t *rgb = patches(W, H, 0), *webp = NULL;
    size_t len = WebPEncodeLosslessRGB(rgb, W, H, W * 3, &webp);
    assert_true(len > 0);
    check_and_fix(webp, len, "WebP", W, H, 0, 6);
    WebPFree(webp);
    free(rgb);
}

/* ---- TIFF ---- */

/* A TIFF of the given pages (each w x h RGB, stored as given) with an
 * Orientation tag; its bytes. */
static uint8_t *tiff_of(uint8_t *const *pages, int n, uint32_t w, uint32_t h,
                        int orientation, size_t *len)
{
    char *dir = tu_mkdtemp(), path[512];
    snprintf(path, sizeof path, "%s/t.tif", dir);
    TIFF *tif = TIFFOpen(path, "w");
    assert_non_null(tif);
    for (int p = 0; p < n; p++) {
        TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, w);
        TIFFSetField(tif, TIFFTAG_IMAGELENGTH, h);
        TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 3);
        TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8);
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
        TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
        TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
        TIFFSetField(tif, TIFFTAG_ORIENTATION, orientation);
        TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, 16);
        if (n > 1) {
            TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
            TIFFSetField(tif, TIFFTAG_PAGENUMBER, p, n);
        }
        for (uint32_t y = 0; y < h; y++)
            assert_int_equal(TIFFWriteScanline(tif, pages[p] + (size_t)y * w * 3, y, 0), 1);
        assert_int_equal(TIFFWriteDirectory(tif), 1);
    }
    TIFFClose(tif);
    uint8_t *data = tu_read(path, len);
    tu_rm_rf(dir);
    free(dir);
    assert_non_null(data);
    return data;
}

static void test_tiff(void **state)
{
    (void)state;
    uint8_t *rgb = patches(W, H, 1);
    size_t len;
    uint8_t *tif = tiff_of(&rgb, 1, W, H, ORIENTATION_TOPLEFT, &len);
    check_and_fix(tif, len, "TIFF", W, H, 1, 6);
    free(tif);
    free(rgb);
}

/* Orientation 6 ("turn 90 degrees clockwise to show"): stored H x W, the
 * picture comes out W x H and upright, in check and in the fixed file. */
static void test_tiff_orientation(void **state)
{
    (void)state;
    uint8_t *up = patches(W, H, 2), *stored = malloc((size_t)W * H * 3);
    assert_non_null(stored);
    for (uint32_t sy = 0; sy < W; sy++)      /* stored is H wide, W high */
        for (uint32_t sx = 0; sx < H; sx++)
            memcpy(stored + ((size_t)sy * H + sx) * 3,
                   up + ((size_t)sx * W + (W - 1 - sy)) * 3, 3);
    size_t len;
    uint8_t *tif = tiff_of(&stored, 1, H, W, ORIENTATION_RIGHTTOP, &len);
    check_and_fix(tif, len, "TIFF", W, H, 2, 6);
    free(tif);
    free(stored);
    free(up);
}

/* Two pages: pages = 2; page 1 (options.page) is the second picture and
 * fix says "page 2 of 2". */
static void test_tiff_pages(void **state)
{
    (void)state;
    uint8_t *pages[2] = {patches(W, H, 3), patches(W, H, 4)};
    size_t len;
    uint8_t *tif = tiff_of(pages, 2, W, H, ORIENTATION_TOPLEFT, &len);
    int n = 0;
    assert_int_equal(pf_page_count(tif, len, &n), PF_OK);
    assert_int_equal(n, 2);
    pf_ctx *ctx = small_ctx();
    pf_options o = *pf_ctx_options(ctx);
    o.page = 1;
    assert_int_equal(pf_ctx_set_options(ctx, &o), PF_OK);
    pf_report report;
    uint8_t *out = NULL;
    size_t out_len;
    assert_int_equal(pf_fix_buffer(ctx, tif, len, "two.tif", &out, &out_len, NULL, &report),
                     PF_OK);
    assert_int_equal(report.input.pages, 2);
    assert_int_equal(report.input.page, 1);
    assert_true(has_action(&report, "converted TIFF to JPEG (page 2 of 2)"));
    int ow, oh;
    uint8_t *rgb = decode_jpeg(out, out_len, &ow, &oh);
    assert_patches(rgb, ow, oh, 4, NULL, 6);
    free(rgb);
    free(out);
    o.page = 2; /* there is no third page */
    assert_int_equal(pf_ctx_set_options(ctx, &o), PF_OK);
    assert_int_not_equal(pf_check_buffer(ctx, tif, len, "two.tif", &report), PF_OK);
    assert_int_equal(report.status, PF_FILE_ERROR);
    pf_ctx_free(ctx);
    free(tif);
    free(pages[0]);
    free(pages[1]);
}

/* ---- GIF ---- */

static int gif_write(GifFileType *gif, const GifByteType *buf, int n)
{
    FILE *f = gif->UserData;
    return (int)fwrite(buf, 1, (size_t)n, f);
}

/* Two frames of the patch grid (variants 5 and 6), 12 colours each. */
static uint8_t *gif_animation(size_t *len)
{
    char *dir = tu_mkdtemp(), path[512];
    snprintf(path, sizeof path, "%s/a.gif", dir);
    FILE *f = fopen(path, "wb");
    int err = 0;
    GifFileType *gif = EGifOpen(f, gif_write, &err);
    assert_non_null(gif);
    GifColorType colours[16];
    memset(colours, 0, sizeof colours);
    for (int k = 0; k < 12; k++) {
        uint8_t c[3];
        patch_colour(k % 4, k / 4, 0, c);
        colours[k].Red = c[0], colours[k].Green = c[1], colours[k].Blue = c[2];
    }
    ColorMapObject *map = GifMakeMapObject(16, colours);
    EGifSetGifVersion(gif, true);
    assert_int_equal(EGifPutScreenDesc(gif, W, H, 4, 0, map), GIF_OK);
    GifByteType row[W];
    for (int frame = 0; frame < 2; frame++) {
        assert_int_equal(EGifPutImageDesc(gif, 0, 0, W, H, false, NULL), GIF_OK);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                uint8_t want[3];
                patch_colour(x * 4 / W, y * 3 / H, 5 + frame, want);
                for (int k = 0; k < 12; k++)
                    if (colours[k].Red == want[0] && colours[k].Green == want[1] &&
                        colours[k].Blue == want[2])
                        row[x] = (GifByteType)k;
            }
            assert_int_equal(EGifPutLine(gif, row, W), GIF_OK);
        }
    }
    assert_int_equal(EGifCloseFile(gif, &err), GIF_OK);
    GifFreeMapObject(map);
    fclose(f);
    uint8_t *data = tu_read(path, len);
    tu_rm_rf(dir);
    free(dir);
    return data;
}

static void test_gif_animation(void **state)
{
    (void)state;
    size_t len;
    uint8_t *gif = gif_animation(&len);
    assert_non_null(gif);
    pf_ctx *ctx = small_ctx();
    pf_report report;
    uint8_t *out = NULL;
    size_t out_len;
    assert_int_equal(pf_fix_buffer(ctx, gif, len, "a.gif", &out, &out_len, NULL, &report),
                     PF_OK);
    assert_true(report.input.animated);
    assert_int_equal(report.input.pages, 2);
    assert_true(has_action(&report, "converted GIF to JPEG (the first frame of 2)"));
    int ow, oh;
    uint8_t *rgb = decode_jpeg(out, out_len, &ow, &oh);
    assert_patches(rgb, ow, oh, 5, NULL, 6);
    free(rgb);
    free(out);
    pf_ctx_free(ctx);
    free(gif);
}

/* ---- BMP: written by hand (24-bit, bottom-up) ---- */

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}

static void test_bmp(void **state)
{
    (void)state;
    uint8_t *rgb = patches(W, H, 7);
    size_t stride = W * 3, len = 54 + stride * H;
    uint8_t *bmp = calloc(1, len);
    assert_non_null(bmp);
    bmp[0] = 'B', bmp[1] = 'M';
    put32(bmp + 2, (uint32_t)len);
    put32(bmp + 10, 54);
    put32(bmp + 14, 40);
    put32(bmp + 18, W);
    put32(bmp + 22, H);
    bmp[26] = 1, bmp[28] = 24;
    for (uint32_t y = 0; y < H; y++)
        for (uint32_t x = 0; x < W; x++) {
            const uint8_t *s = rgb + ((size_t)y * W + x) * 3;
            uint8_t *d = bmp + 54 + (size_t)(H - 1 - y) * stride + x * 3;
            d[0] = s[2], d[1] = s[1], d[2] = s[0];
        }
    check_and_fix(bmp, len, "BMP", W, H, 7, 6);
    free(bmp);
    free(rgb);
}

/* ---- HEIC: the committed 64 x 48 sample turned by irot, with GPS ---- */

static void test_heic_rotated(void **state)
{
    (void)state;
    size_t len;
    uint8_t *heic = tu_read("testdata/formats/rotated-gps.heic", &len);
    assert_non_null(heic);
    pf_ctx *ctx = small_ctx();
    pf_rules r = *pf_ctx_rules(ctx);
    r.min_long = 32, r.min_short = 16;
    assert_int_equal(pf_ctx_set_rules(ctx, &r), PF_OK);
    pf_report report;
    assert_int_equal(pf_check_buffer(ctx, heic, len, "r.heic", &report), PF_OK);
    assert_int_equal(report.input.format, PF_FORMAT_HEIF);
    /* irot 90 applied once: portrait, and no EXIF turn on top of it */
    assert_true(report.input.height > report.input.width);
    assert_true(report.input.exif_orientation <= 1);
    assert_true(report.input.has_gps);
    uint8_t *out = NULL;
    size_t out_len;
    assert_int_equal(pf_fix_buffer(ctx, heic, len, "r.heic", &out, &out_len, NULL, &report),
                     PF_OK);
    assert_true(has_action(&report, "converted HEIC to JPEG"));
    assert_true(has_action(&report, "removed the GPS position"));
    assert_false(report.output.has_gps);
    int ow, oh;
    uint8_t *rgb = decode_jpeg(out, out_len, &ow, &oh);
    assert_true(oh > ow);
    free(rgb);
    free(out);
    pf_ctx_free(ctx);
    free(heic);
}

/* ---- PDF: pages drawn with cairo ---- */

static cairo_status_t pdf_sink(void *closure, const unsigned char *data, unsigned int n)
{
    FILE *f = closure;
    return fwrite(data, 1, n, f) == n ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* An A4 PDF of n pages, page p showing the patch grid of variant 10 + p. */
static uint8_t *pdf_pages(int n, const char *path, size_t *len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(pdf_sink, f, 595, 842);
    cairo_t *cr = cairo_create(s);
    for (int p = 0; p < n; p++) {
        for (int j = 0; j < 3; j++)
            for (int i = 0; i < 4; i++) {
                uint8_t c[3];
                patch_colour(i, j, 10 + p, c);
                cairo_set_source_rgb(cr, c[0] / 255.0, c[1] / 255.0, c[2] / 255.0);
                cairo_rectangle(cr, i * 595.0 / 4, j * 842.0 / 3, 595.0 / 4 + 1,
                                842.0 / 3 + 1);
                cairo_fill(cr);
            }
        cairo_show_page(cr);
    }
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_surface_destroy(s);
    fclose(f);
    return tu_read(path, len);
}

static void test_pdf(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp(), path[512];
    snprintf(path, sizeof path, "%s/doc.pdf", dir);
    size_t len;
    uint8_t *pdf = pdf_pages(3, path, &len);
    assert_non_null(pdf);
    int n = 0;
    assert_int_equal(pf_page_count(pdf, len, &n), PF_OK);
    assert_int_equal(n, 3);
    /* The wechat profile: at 200 dpi an A4 page is 1654 x 2339, over the
     * 1500 x 1100 minimum, and fix fits it under 200,000 B. */
    pf_ctx *ctx = pf_ctx_new();
    pf_rules r;
    assert_int_equal(pf_profile_rules("wechat", &r), PF_OK);
    r.image_checks = 0;
    assert_int_equal(pf_ctx_set_rules(ctx, &r), PF_OK);
    pf_report report;
    uint8_t *out = NULL;
    size_t out_len;
    assert_int_equal(pf_fix_buffer(ctx, pdf, len, "doc.pdf", &out, &out_len, NULL, &report),
                     PF_OK);
    assert_int_equal(report.input.pages, 3);
    assert_true(report.input.width >= 1100 && report.input.height >= 1500);
    assert_true(has_action(&report, "converted PDF to JPEG (page 1 of 3)"));
    assert_true(out_len <= 200000);
    int ow, oh;
    uint8_t *rgb = decode_jpeg(out, out_len, &ow, &oh);
    assert_true(ow >= 1100 && oh >= 1500);
    assert_patches(rgb, ow, oh, 10, NULL, 8);
    free(rgb);
    free(out);
    pf_ctx_free(ctx);

    /* fix --pages all: doc.jpg, doc-p2.jpg, doc-p3.jpg, each its page. */
    char *cmd_out = NULL;
    /* (the patch grid is no photographed document: those checks skipped) */
    int rc = tu_runf(&cmd_out, "%s fix --pages all --skip document-complete --skip glare "
                     "--skip document-fill --skip sharpness -o %s/out %s 2>&1", tu_pf_bin(),
                     dir, path);
    if (rc != 0)
        fail_msg("preflight fix --pages all: exit %d: %s", rc, cmd_out);
    for (int p = 0; p < 3; p++) {
        char name[600];
        snprintf(name, sizeof name, p ? "%s/out/doc-p%d.jpg" : "%s/out/doc.jpg", dir, p + 1);
        size_t jl;
        uint8_t *jpg = tu_read(name, &jl);
        if (!jpg)
            fail_msg("%s missing; preflight said: %s", name, cmd_out);
        assert_true(jl <= 200000);
        rgb = decode_jpeg(jpg, jl, &ow, &oh);
        assert_patches(rgb, ow, oh, 10 + p, NULL, 8);
        free(rgb);
        free(jpg);
    }
    free(cmd_out);
    free(pdf);
    tu_rm_rf(dir);
    free(dir);
}

/* ---- colours: a Display P3 PNG comes out as the same colours in sRGB ---- */

static uint8_t *p3_profile(size_t *len)
{
    cmsCIExyY d65 = {0.3127, 0.3290, 1.0};
    cmsCIExyYTRIPLE p3 = {{0.680, 0.320, 1.0}, {0.265, 0.690, 1.0}, {0.150, 0.060, 1.0}};
    double params[5] = {2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045};
    cmsToneCurve *curve = cmsBuildParametricToneCurve(NULL, 4, params);
    cmsToneCurve *curves[3] = {curve, curve, curve};
    cmsHPROFILE prof = cmsCreateRGBProfile(&d65, &p3, curves);
    cmsUInt32Number n = 0;
    assert_true(cmsSaveProfileToMem(prof, NULL, &n));
    uint8_t *icc = malloc(n);
    assert_true(cmsSaveProfileToMem(prof, icc, &n));
    *len = n;
    cmsCloseProfile(prof);
    cmsFreeToneCurve(curve);
    return icc;
}

/* A PNG with an iCCP chunk inserted before IDAT (by hand: libpng is not
 * what is tested, and tu_png writes none). */
static uint8_t *png_with_icc(const uint8_t *png, size_t len, const uint8_t *icc,
                             size_t icc_len, size_t *out_len);

static void test_wide_gamut(void **state)
{
    (void)state;
    size_t icc_len, png_len, len;
    uint8_t *icc = p3_profile(&icc_len);
    uint8_t *rgb = patches(W, H, 0), *png = NULL;
    assert_int_equal(tu_png(rgb, NULL, W, H, 2, 8, 0, NULL, 0, &png, &png_len), 0);
    uint8_t *tagged = png_with_icc(png, png_len, icc, icc_len, &len);
    /* What the patches are in sRGB, by Little CMS (relative colorimetric:
     * saturated P3 colours clip to the sRGB gamut's edge). */
    cmsHPROFILE in = cmsOpenProfileFromMem(icc, (cmsUInt32Number)icc_len);
    cmsHPROFILE srgb = cmsCreate_sRGBProfile();
    cmsHTRANSFORM xf = cmsCreateTransform(in, TYPE_RGB_8, srgb, TYPE_RGB_8,
                                          INTENT_PERCEPTUAL, cmsFLAGS_BLACKPOINTCOMPENSATION);
    uint8_t want[12][3];
    for (int k = 0; k < 12; k++) {
        uint8_t c[3];
        patch_colour(k % 4, k / 4, 0, c);
        cmsDoTransform(xf, c, want[k], 1);
    }
    /* The saturated red must move: P3's red is outside sRGB. */
    uint8_t red[3];
    patch_colour(0, 0, 0, red);
    assert_true(abs(want[0][1] - red[1]) + abs(want[0][2] - red[2]) > 20 ||
                abs(want[0][0] - red[0]) > 5);
    cmsDeleteTransform(xf);
    cmsCloseProfile(in);
    cmsCloseProfile(srgb);

    pf_ctx *ctx = small_ctx();
    pf_rules r = *pf_ctx_rules(ctx);
    r.min_long = 160, r.min_short = 120;
    r.max_long = 300; /* a PNG that passes would be copied with its profile */
    assert_int_equal(pf_ctx_set_rules(ctx, &r), PF_OK);
    pf_report report;
    uint8_t *out = NULL;
    size_t out_len;
    assert_int_equal(pf_fix_buffer(ctx, tagged, len, "p3.png", &out, &out_len, NULL,
                                   &report), PF_OK);
    assert_true(report.input.icc_converted);
    assert_true(has_action(&report, "converted its colours to sRGB"));
    int ow, oh;
    uint8_t *fixed = decode_jpeg(out, out_len, &ow, &oh);
    assert_patches(fixed, ow, oh, 0, (const uint8_t(*)[3])want, 6);
    free(fixed);
    free(out);
    pf_ctx_free(ctx);
    free(tagged);
    free(png);
    free(rgb);
    free(icc);
}

/* ---- damaged files say which format and what to do ---- */

static void test_damaged(void **state)
{
    (void)state;
    uint8_t *rgb = patches(W, H, 0), *webp = NULL;
    size_t wlen = WebPEncodeLosslessRGB(rgb, W, H, W * 3, &webp);
    size_t tlen;
    uint8_t *tif = tiff_of(&rgb, 1, W, H, ORIENTATION_TOPLEFT, &tlen);
    const struct {
        const uint8_t *data;
        size_t len;
        const char *label;
    } cases[] = {{webp, wlen / 2, "WebP"}, {tif, tlen / 3, "TIFF"}};
    pf_ctx *ctx = small_ctx();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pf_report report;
        assert_int_not_equal(pf_check_buffer(ctx, cases[i].data, cases[i].len, "d",
                                             &report), PF_OK);
        assert_int_equal(report.status, PF_FILE_ERROR);
        assert_non_null(strstr(report.message, cases[i].label));
    }
    const char broken_pdf[] = "%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
    pf_report report;
    assert_int_not_equal(pf_check_buffer(ctx, (const uint8_t *)broken_pdf,
                                         sizeof broken_pdf - 1, "b.pdf", &report), PF_OK);
    assert_int_equal(report.status, PF_FILE_ERROR);
    assert_non_null(strstr(report.message, "PDF"));
    pf_ctx_free(ctx);
    WebPFree(webp);
    free(tif);
    free(rgb);
}

/* ---- the PNG chunk writer for test_wide_gamut ---- */

static uint32_t crc_of(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

static void put32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8),
    p[3] = (uint8_t)v;
}

#include <zlib.h>

static uint8_t *png_with_icc(const uint8_t *png, size_t len, const uint8_t *icc,
                             size_t icc_len, size_t *out_len)
{
    uLongf zlen = compressBound((uLong)icc_len);
    size_t most = 4 + zlen; /* name "p3", NUL, method 0, then the data */
    uint8_t *chunk = malloc(12 + most), *out = malloc(len + 12 + most);
    assert_non_null(chunk);
    assert_non_null(out);
    memcpy(chunk + 4, "iCCPp3\0\0", 8); /* type, name "p3", NUL, method 0 */
    assert_int_equal(compress2(chunk + 12, &zlen, icc, (uLong)icc_len, 9), Z_OK);
    size_t data_len = 4 + zlen; /* "p3\0" + method + compressed */
    put32be(chunk, (uint32_t)data_len);
    put32be(chunk + 8 + data_len, crc_of(chunk + 4, 4 + data_len));
    size_t ihdr_end = 8 + 25; /* signature + IHDR chunk */
    memcpy(out, png, ihdr_end);
    memcpy(out + ihdr_end, chunk, 12 + data_len);
    memcpy(out + ihdr_end + 12 + data_len, png + ihdr_end, len - ihdr_end);
    *out_len = len + 12 + data_len;
    free(chunk);
    return out;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webp),
        cmocka_unit_test(test_tiff),
        cmocka_unit_test(test_tiff_orientation),
        cmocka_unit_test(test_tiff_pages),
        cmocka_unit_test(test_gif_animation),
        cmocka_unit_test(test_bmp),
        cmocka_unit_test(test_heic_rotated),
        cmocka_unit_test(test_pdf),
        cmocka_unit_test(test_wide_gamut),
        cmocka_unit_test(test_damaged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
