/* Tests for colour management (src/colour/icc.c) and the ICC profiles the
 * JPEG and PNG decoders hand on: pf_colour_to_srgb against profiles built
 * here with lcms2 (sRGB, Display P3, Adobe RGB (1998), grey, CMYK, Lab, a
 * device link) and against sRGB computed by hand; APP2 chunk reassembly
 * (in order, out of order, broken sets, the size cap); PNG iCCP; CMYK JPEGs
 * converted through their own CMYK profile; and, when the shared corpus is
 * there, its files that carry profiles. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>

#include <cmocka.h>
#include <jpeglib.h>
#include <lcms2.h>
#include <zlib.h>

#include "internal.h"
#include "testutil.h"

/* ---- profiles ---- */

static const cmsCIExyY D65 = {0.3127, 0.3290, 1.0};

/* The sRGB transfer curve as ICC parametric type 4. */
static cmsToneCurve *srgb_curve(void)
{
    const cmsFloat64Number p[5] = {2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92,
                                   0.04045};
    return cmsBuildParametricToneCurve(NULL, 4, p);
}

/* The profile's bytes (malloc'd); the profile is closed. */
static uint8_t *save_profile(cmsHPROFILE p, size_t *len)
{
    cmsUInt32Number n = 0;
    assert_non_null(p);
    assert_true(cmsSaveProfileToMem(p, NULL, &n));
    uint8_t *bytes = malloc(n);
    assert_non_null(bytes);
    assert_true(cmsSaveProfileToMem(p, bytes, &n));
    cmsCloseProfile(p);
    *len = n;
    return bytes;
}

static uint8_t *rgb_profile(const cmsCIExyYTRIPLE *primaries, cmsToneCurve *curve,
                            size_t *len)
{
    cmsToneCurve *c[3] = {curve, curve, curve};
    cmsHPROFILE p = cmsCreateRGBProfile(&D65, primaries, c);
    cmsFreeToneCurve(curve);
    return save_profile(p, len);
}

static const cmsCIExyYTRIPLE P3 = {{0.680, 0.320, 1}, {0.265, 0.690, 1},
                                   {0.150, 0.060, 1}};
static const cmsCIExyYTRIPLE ADOBE = {{0.64, 0.33, 1}, {0.21, 0.71, 1},
                                      {0.15, 0.06, 1}};
static const cmsCIExyYTRIPLE SRGB = {{0.64, 0.33, 1}, {0.30, 0.60, 1},
                                     {0.15, 0.06, 1}};

static uint8_t *p3_profile(size_t *len)
{
    return rgb_profile(&P3, srgb_curve(), len);
}

static uint8_t *adobe_profile(size_t *len)
{
    return rgb_profile(&ADOBE, cmsBuildGamma(NULL, 2.2), len);
}

static uint8_t *srgb_profile(size_t *len)
{
    return save_profile(cmsCreate_sRGBProfile(), len);
}

/* sRGB as HP's profile has it: the curve as a table of 1024 entries. */
static uint8_t *srgb_table_profile(size_t *len)
{
    cmsToneCurve *exact = srgb_curve();
    cmsUInt16Number t[1024];
    for (int i = 0; i < 1024; i++)
        t[i] = (cmsUInt16Number)lround(
            65535.0 * cmsEvalToneCurveFloat(exact, (float)i / 1023.0f));
    cmsFreeToneCurve(exact);
    return rgb_profile(&SRGB, cmsBuildTabulatedToneCurve16(NULL, 1024, t), len);
}

static uint8_t *grey_profile(double gamma, size_t *len)
{
    cmsToneCurve *c = cmsBuildGamma(NULL, gamma);
    cmsHPROFILE p = cmsCreateGrayProfile(cmsD50_xyY(), c);
    cmsFreeToneCurve(c);
    return save_profile(p, len);
}

/* ---- a CMYK profile: CMYK -> Lab as a 17-point table ----
 * The model: each ink a filter that lets through a share of red, green and
 * blue (real cyan passes some green and most blue), shares multiplied on
 * white paper; full black passes nothing. The plain formula would make
 * full cyan (0, 255, 255), this profile (0, 161, 230): a file converted
 * through it is told apart at a glance. (Paper stays white: lcms maps the
 * device's white to white, as media-relative profiles mean it to be.) */
static const double INK_PASSES[4][3] = {
    {0.0, 0.63, 0.90}, {0.93, 0.0, 0.55}, {1.0, 0.95, 0.0}, {0.0, 0.0, 0.0}};

static void cmyk_model(const double ink[4], double rgb[3])
{
    for (int i = 0; i < 3; i++) {
        rgb[i] = 255.0;
        for (int k = 0; k < 4; k++)
            rgb[i] *= 1 - ink[k] * (1 - INK_PASSES[k][i]);
    }
}

static cmsInt32Number cmyk_sampler(const cmsUInt16Number in[],
                                   cmsUInt16Number out[], void *cargo)
{
    double ink[4], rgb[3];
    cmsCIELab lab;
    for (int i = 0; i < 4; i++)
        ink[i] = in[i] / 65535.0;
    cmyk_model(ink, rgb);
    for (int i = 0; i < 3; i++)
        rgb[i] /= 255.0;
    cmsDoTransform((cmsHTRANSFORM)cargo, rgb, &lab, 1);
    cmsFloat2LabEncodedV2(out, &lab);
    return TRUE;
}

static uint8_t *cmyk_profile(size_t *len)
{
    cmsHPROFILE srgb = cmsCreate_sRGBProfile(), lab = cmsCreateLab2Profile(NULL);
    cmsHTRANSFORM to_lab = cmsCreateTransform(srgb, TYPE_RGB_DBL, lab,
                                              TYPE_Lab_DBL, INTENT_RELATIVE_COLORIMETRIC, 0);
    assert_non_null(to_lab);
    cmsHPROFILE p = cmsCreateProfilePlaceholder(NULL);
    cmsSetProfileVersion(p, 2.1);
    cmsSetDeviceClass(p, cmsSigOutputClass);
    cmsSetColorSpace(p, cmsSigCmykData);
    cmsSetPCS(p, cmsSigLabData);
    cmsPipeline *lut = cmsPipelineAlloc(NULL, 4, 3);
    cmsStage *clut = cmsStageAllocCLut16bit(NULL, 17, 4, 3, NULL);
    assert_true(cmsStageSampleCLut16bit(clut, cmyk_sampler, to_lab, 0));
    cmsPipelineInsertStage(lut, cmsAT_BEGIN, cmsStageAllocToneCurves(NULL, 4, NULL));
    cmsPipelineInsertStage(lut, cmsAT_END, clut);
    cmsPipelineInsertStage(lut, cmsAT_END, cmsStageAllocToneCurves(NULL, 3, NULL));
    assert_true(cmsWriteTag(p, cmsSigAToB0Tag, lut));
    assert_true(cmsWriteTag(p, cmsSigMediaWhitePointTag, cmsD50_XYZ()));
    cmsMLU *desc = cmsMLUalloc(NULL, 1);
    cmsMLUsetASCII(desc, "en", "US", "Test CMYK inks");
    cmsWriteTag(p, cmsSigProfileDescriptionTag, desc);
    cmsMLUfree(desc);
    cmsPipelineFree(lut);
    cmsDeleteTransform(to_lab);
    cmsCloseProfile(srgb);
    cmsCloseProfile(lab);
    return save_profile(p, len);
}

/* ---- sRGB by hand: RGB -> XYZ matrices from primaries and white ---- */

typedef double mat3[3][3];

static void mat_inverse(const mat3 m, mat3 r)
{
    double d = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
               m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
               m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            int a = (j + 1) % 3, b = (j + 2) % 3, c = (i + 1) % 3, e = (i + 2) % 3;
            r[i][j] = (m[a][c] * m[b][e] - m[a][e] * m[b][c]) / d;
        }
}

static void mat_mul_vec(const mat3 m, const double v[3], double r[3])
{
    for (int i = 0; i < 3; i++)
        r[i] = m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2];
}

/* Columns: each primary's XYZ, scaled so that RGB (1,1,1) is the white. */
static void rgb_to_xyz(const cmsCIExyYTRIPLE *p, const cmsCIExyY *w, mat3 m)
{
    const cmsCIExyY *pr[3] = {&p->Red, &p->Green, &p->Blue};
    mat3 raw, inv;
    for (int j = 0; j < 3; j++) {
        raw[0][j] = pr[j]->x / pr[j]->y;
        raw[1][j] = 1;
        raw[2][j] = (1 - pr[j]->x - pr[j]->y) / pr[j]->y;
    }
    double white[3] = {w->x / w->y, 1, (1 - w->x - w->y) / w->y}, s[3];
    mat_inverse(raw, inv);
    mat_mul_vec(inv, white, s);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            m[i][j] = raw[i][j] * s[j];
}

static double srgb_encode(double v)
{
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    return v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1 / 2.4) - 0.055;
}

static double srgb_decode(double v)
{
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

/* An RGB pixel of a space with primaries p (white D65) and a pure gamma
 * (0: the sRGB curve) in sRGB: both spaces share their white, so no
 * adaptation enters (lcms's Bradford to and from D50 cancels). */
static void to_srgb_by_hand(const cmsCIExyYTRIPLE *p, double gamma,
                            const uint8_t in[3], int out[3])
{
    mat3 src, dst, dst_inv;
    double lin[3], xyz[3], s[3];
    rgb_to_xyz(p, &D65, src);
    rgb_to_xyz(&SRGB, &D65, dst);
    mat_inverse(dst, dst_inv);
    for (int i = 0; i < 3; i++)
        lin[i] = gamma > 0 ? pow(in[i] / 255.0, gamma) : srgb_decode(in[i] / 255.0);
    mat_mul_vec(src, lin, xyz);
    mat_mul_vec(dst_inv, xyz, s);
    for (int i = 0; i < 3; i++)
        out[i] = (int)lround(255 * srgb_encode(s[i]));
}

/* ---- helpers ---- */

static void assert_near(int got, int want, int tol)
{
    if (abs(got - want) > tol)
        fail_msg("value %d not within %d of %d", got, tol, want);
}

static void assert_rgb_near(const uint8_t *got, int r, int g, int b, int tol)
{
    if (abs(got[0] - r) > tol || abs(got[1] - g) > tol || abs(got[2] - b) > tol)
        fail_msg("pixel (%d, %d, %d) not within %d of (%d, %d, %d)", got[0],
                 got[1], got[2], tol, r, g, b);
}

/* w x h of pseudo-random colours (every value occurs). */
static void random_bitmap(pf_bitmap *bmp, uint32_t w, uint32_t h, unsigned seed)
{
    assert_int_equal(pf_bitmap_alloc(bmp, w, h), PF_OK);
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        bmp->rgb[i] = (uint8_t)(tu_rand(&seed) >> 3);
}

static void fill_bitmap(pf_bitmap *bmp, uint32_t w, uint32_t h, const uint8_t rgb[3])
{
    assert_int_equal(pf_bitmap_alloc(bmp, w, h), PF_OK);
    for (size_t i = 0; i < (size_t)w * h; i++)
        memcpy(bmp->rgb + i * 3, rgb, 3);
}

static void convert_ok(pf_bitmap *bmp, const uint8_t *icc, size_t len)
{
    char err[PF_ERR_LEN];
    pf_status st = pf_colour_to_srgb(bmp, icc, len, NULL, err);
    if (st != PF_OK)
        fail_msg("pf_colour_to_srgb: %s (%s)", pf_strerror(st), err);
}

/* One pixel through the profile. */
static void convert_pixel(const uint8_t *icc, size_t len, const uint8_t in[3],
                          uint8_t out[3])
{
    pf_bitmap bmp;
    fill_bitmap(&bmp, 1, 1, in);
    convert_ok(&bmp, icc, len);
    memcpy(out, bmp.rgb, 3);
    pf_bitmap_free(&bmp);
}

/* ---- pf_colour_to_srgb ---- */

static void test_srgb_untouched(void **state)
{
    (void)state;
    uint8_t *(*makers[2])(size_t *) = {srgb_profile, srgb_table_profile};
    for (int m = 0; m < 2; m++) {
        size_t len;
        uint8_t *icc = makers[m](&len);
        pf_bitmap bmp;
        random_bitmap(&bmp, 64, 64, 5);
        uint8_t *before = malloc((size_t)64 * 64 * 3);
        assert_non_null(before);
        memcpy(before, bmp.rgb, (size_t)64 * 64 * 3);
        char err[PF_ERR_LEN];
        assert_int_equal(pf_colour_to_srgb(&bmp, icc, len, NULL, err), PF_OK);
        assert_string_equal(err, "");
        assert_memory_equal(bmp.rgb, before, (size_t)64 * 64 * 3);
        free(before);
        pf_bitmap_free(&bmp);
        free(icc);
    }
}

static void test_p3(void **state)
{
    (void)state;
    size_t len;
    uint8_t *icc = p3_profile(&len), out[3];
    /* P3's red lies outside sRGB: clipped to sRGB's own red. */
    convert_pixel(icc, len, (const uint8_t[3]){255, 0, 0}, out);
    assert_rgb_near(out, 255, 0, 0, 1);
    /* Same white and curve: greys stay the same greys. */
    for (int v = 0; v <= 255; v += 15) {
        convert_pixel(icc, len, (const uint8_t[3]){(uint8_t)v, (uint8_t)v, (uint8_t)v}, out);
        assert_near(out[0], v, 1);
        assert_int_equal(out[0], out[1]);
        assert_int_equal(out[1], out[2]);
    }
    /* In-gamut colours as computed by hand. */
    unsigned seed = 3;
    for (int i = 0; i < 200; i++) {
        uint8_t in[3];
        int want[3];
        for (int c = 0; c < 3; c++)
            in[c] = (uint8_t)(tu_rand(&seed) >> 7);
        to_srgb_by_hand(&P3, 0, in, want);
        convert_pixel(icc, len, in, out);
        assert_rgb_near(out, want[0], want[1], want[2], 2);
    }
    free(icc);
}

static void test_adobe_rgb(void **state)
{
    (void)state;
    size_t len;
    uint8_t *icc = adobe_profile(&len), out[3];
    int want[3];
    convert_pixel(icc, len, (const uint8_t[3]){0, 255, 0}, out);
    assert_rgb_near(out, 0, 255, 0, 1); /* Adobe's green, clipped */
    const uint8_t mid[3] = {120, 160, 80};
    to_srgb_by_hand(&ADOBE, 2.2, mid, want);
    convert_pixel(icc, len, mid, out);
    assert_rgb_near(out, want[0], want[1], want[2], 2);
    assert_true(out[1] != mid[1] || out[0] != mid[0]); /* it did change */
    unsigned seed = 11;
    for (int i = 0; i < 500; i++) {
        uint8_t in[3];
        for (int c = 0; c < 3; c++)
            in[c] = (uint8_t)(tu_rand(&seed) >> 7);
        to_srgb_by_hand(&ADOBE, 2.2, in, want);
        convert_pixel(icc, len, in, out);
        assert_rgb_near(out, want[0], want[1], want[2], 2);
    }
    free(icc);
}

/* The whole-bitmap conversion (in place, row by row) matches lcms run on
 * separate buffers, pixel for pixel. */
static void test_in_place_matches_lcms(void **state)
{
    (void)state;
    size_t len;
    uint8_t *icc = adobe_profile(&len);
    pf_bitmap bmp;
    random_bitmap(&bmp, 301, 17, 9);
    size_t n = (size_t)301 * 17 * 3;
    uint8_t *want = malloc(n);
    assert_non_null(want);
    cmsHPROFILE in = cmsOpenProfileFromMem(icc, (cmsUInt32Number)len);
    cmsHPROFILE srgb = cmsCreate_sRGBProfile();
    cmsHTRANSFORM xf = cmsCreateTransform(in, TYPE_RGB_8, srgb, TYPE_RGB_8,
                                          INTENT_PERCEPTUAL,
                                          cmsFLAGS_BLACKPOINTCOMPENSATION);
    assert_non_null(xf);
    cmsDoTransform(xf, bmp.rgb, want, 301 * 17);
    convert_ok(&bmp, icc, len);
    assert_memory_equal(bmp.rgb, want, n);
    cmsDeleteTransform(xf);
    cmsCloseProfile(in);
    cmsCloseProfile(srgb);
    free(want);
    pf_bitmap_free(&bmp);
    free(icc);
}

static void test_grey_profile(void **state)
{
    (void)state;
    size_t len;
    uint8_t *icc = grey_profile(2.2, &len), out[3];
    for (int v = 0; v <= 255; v += 5) {
        convert_pixel(icc, len, (const uint8_t[3]){(uint8_t)v, (uint8_t)v, (uint8_t)v}, out);
        int want = (int)lround(255 * srgb_encode(pow(v / 255.0, 2.2)));
        assert_near(out[0], want, 2);
        assert_int_equal(out[0], out[1]);
        assert_int_equal(out[1], out[2]);
    }
    free(icc);
}

/* Profiles for other pixels leave the picture as it is, with a note. */
static void test_mismatched_profiles(void **state)
{
    (void)state;
    size_t lens[3];
    uint8_t *icc[3];
    icc[0] = cmyk_profile(&lens[0]);
    icc[1] = save_profile(cmsCreateLab4Profile(NULL), &lens[1]);
    cmsHPROFILE a = cmsCreate_sRGBProfile(), b = cmsCreate_sRGBProfile();
    cmsHPROFILE both[2] = {a, b};
    cmsHTRANSFORM xf = cmsCreateMultiprofileTransform(both, 2, TYPE_RGB_8, TYPE_RGB_8,
                                                      INTENT_PERCEPTUAL, 0);
    icc[2] = save_profile(cmsTransform2DeviceLink(xf, 4.3, 0), &lens[2]);
    cmsDeleteTransform(xf);
    cmsCloseProfile(a);
    cmsCloseProfile(b);
    for (int i = 0; i < 3; i++) {
        pf_bitmap bmp;
        random_bitmap(&bmp, 20, 10, 2);
        uint8_t before[20 * 10 * 3];
        memcpy(before, bmp.rgb, sizeof before);
        char err[PF_ERR_LEN];
        assert_int_equal(pf_colour_to_srgb(&bmp, icc[i], lens[i], NULL, err), PF_OK);
        assert_memory_equal(bmp.rgb, before, sizeof before);
        assert_non_null(strstr(err, "not for RGB or grey"));
        pf_bitmap_free(&bmp);
        free(icc[i]);
    }
}

static void test_damaged_profiles(void **state)
{
    (void)state;
    size_t len;
    uint8_t *good = p3_profile(&len);
    uint8_t junk[600];
    unsigned seed = 1;
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)tu_rand(&seed);
    /* junk; the profile cut short; its header saying it is longer */
    struct { const uint8_t *p; size_t n; } cases[] = {
        {junk, sizeof junk}, {good, len / 2}, {good, 100}, {junk, 1}};
    pf_bitmap bmp;
    random_bitmap(&bmp, 8, 8, 4);
    uint8_t before[8 * 8 * 3];
    memcpy(before, bmp.rgb, sizeof before);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[PF_ERR_LEN];
        assert_int_equal(pf_colour_to_srgb(&bmp, cases[i].p, cases[i].n, NULL, err),
                         PF_ERR_CORRUPT);
        assert_non_null(strstr(err, "embedded colour profile is damaged"));
        assert_memory_equal(bmp.rgb, before, sizeof before);
    }
    /* A tag that lies: the red colorant's offset past the end. */
    uint8_t *bad = malloc(len);
    assert_non_null(bad);
    memcpy(bad, good, len);
    uint32_t tags = (uint32_t)bad[128] << 24 | bad[129] << 16 | bad[130] << 8 | bad[131];
    for (uint32_t t = 0; t < tags && 132 + 12 * t + 12 <= len; t++) {
        uint8_t *e = bad + 132 + 12 * t;
        if (memcmp(e, "rXYZ", 4) == 0)
            e[4] = 0x7f; /* offset far past the end */
    }
    char err[PF_ERR_LEN];
    assert_int_equal(pf_colour_to_srgb(&bmp, bad, len, NULL, err), PF_ERR_CORRUPT);
    assert_memory_equal(bmp.rgb, before, sizeof before);
    /* Nothing to do, and bad arguments. */
    assert_int_equal(pf_colour_to_srgb(&bmp, NULL, 0, NULL, err), PF_OK);
    assert_int_equal(pf_colour_to_srgb(&bmp, good, 0, NULL, err), PF_OK);
    assert_memory_equal(bmp.rgb, before, sizeof before);
    assert_int_equal(pf_colour_to_srgb(NULL, good, len, NULL, err), PF_ERR_INVALID_ARG);
    assert_int_equal(pf_colour_to_srgb(&bmp, good, len, NULL, NULL), PF_OK);
    free(bad);
    free(good);
    pf_bitmap_free(&bmp);
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* 12 MP through Display P3 and Adobe RGB: the time is printed (a bound of
 * seconds catches only a pathological slow path, not a slow machine). */
static void test_speed_12mp(void **state)
{
    (void)state;
    uint8_t *(*makers[2])(size_t *) = {p3_profile, adobe_profile};
    const char *names[2] = {"Display P3", "Adobe RGB"};
    pf_bitmap bmp;
    uint8_t *rgb = tu_make_rgb(4000, 3000, TU_PATTERN_COLOR, 1);
    assert_non_null(rgb);
    bmp.width = 4000, bmp.height = 3000, bmp.rgb = rgb;
    for (int m = 0; m < 2; m++) {
        size_t len;
        uint8_t *icc = makers[m](&len);
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        convert_ok(&bmp, icc, len);
        double ms = ms_since(&t0);
        printf("colour: 12 MP from %s to sRGB in %.0f ms\n", names[m], ms);
        assert_true(ms < 5000);
        free(icc);
    }
    free(rgb);
}

/* ---- JPEG: APP2 chunks ---- */

typedef struct {
    int seq, count;        /* the chunk's own numbers */
    size_t off, len;       /* its part of the profile */
} chunk_spec;

/* A 16 x 16 JPEG of one colour: components 3 (YCbCr), 1 (grey) or 4 (CMYK
 * as given; adobe: Adobe's APP14, inverted, or YCCK when adobe == 2), with
 * the APP2 chunks in the order listed. */
static uint8_t *jpeg_with_chunks(int components, int adobe, const uint8_t *pixel,
                                 const uint8_t *icc, const chunk_spec *chunks,
                                 int n, size_t *len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    unsigned char *mem = NULL;
    unsigned long mem_len = 0;
    uint8_t row[16 * 4];
    for (int x = 0; x < 16; x++)
        memcpy(row + x * components, pixel, (size_t)components);
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &mem_len);
    c.image_width = 16, c.image_height = 16;
    c.input_components = components;
    c.in_color_space = components == 1 ? JCS_GRAYSCALE : components == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 100, TRUE);
    if (components == 4) {
        c.write_Adobe_marker = adobe ? TRUE : FALSE;
        if (adobe == 2)
            jpeg_set_colorspace(&c, JCS_YCCK);
    }
    jpeg_start_compress(&c, TRUE);
    uint8_t *buf = malloc(65535);
    assert_non_null(buf);
    for (int i = 0; i < n; i++) {
        memcpy(buf, "ICC_PROFILE", 12);
        buf[12] = (uint8_t)chunks[i].seq, buf[13] = (uint8_t)chunks[i].count;
        assert_true(chunks[i].len <= 65535 - 2 - 14);
        if (chunks[i].len)
            memcpy(buf + 14, icc + chunks[i].off, chunks[i].len);
        jpeg_write_marker(&c, JPEG_APP0 + 2, buf, (unsigned)(14 + chunks[i].len));
    }
    free(buf);
    while (c.next_scanline < 16) {
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    *len = mem_len;
    return mem;
}

/* The profile in k even chunks, numbered 1..k in profile order. */
static int split(size_t len, int k, chunk_spec *out)
{
    size_t at = 0;
    for (int i = 0; i < k; i++) {
        size_t n = (len - at) / (size_t)(k - i);
        out[i] = (chunk_spec){i + 1, k, at, n};
        at += n;
    }
    return k;
}

static const uint8_t GREY_PX[4] = {128, 128, 128, 0};

static void decode_jpeg_ok(const uint8_t *jpg, size_t len, pf_decoded *d)
{
    char err[PF_ERR_LEN];
    pf_status st = pf_jpeg_decode(jpg, len, 0, 8, d, err);
    if (st != PF_OK)
        fail_msg("decode: %s (%s)", pf_strerror(st), err);
}

static void assert_icc(const pf_decoded *d, const uint8_t *icc, size_t len)
{
    assert_non_null(d->icc);
    assert_int_equal(d->icc_len, len);
    assert_memory_equal(d->icc, icc, len);
}

/* libjpeg's own writer (65519 bytes a chunk) on a profile of 3 chunks. */
static void test_jpeg_icc_libjpeg_writer(void **state)
{
    (void)state;
    /* P3 with three curve tables (60 KB each: lcms reads no longer
     * ones) to need three chunks. */
    enum { N = 30000 };
    cmsUInt16Number *t = malloc(N * sizeof *t);
    cmsToneCurve *c3[3];
    assert_non_null(t);
    for (int c = 0; c < 3; c++) {
        for (int i = 0; i < N; i++)
            t[i] = (cmsUInt16Number)lround(65535.0 * pow(i / (N - 1.0), 2.2 + 0.1 * c));
        c3[c] = cmsBuildTabulatedToneCurve16(NULL, N, t);
    }
    cmsHPROFILE p = cmsCreateRGBProfile(&D65, &P3, c3);
    for (int c = 0; c < 3; c++)
        cmsFreeToneCurve(c3[c]);
    free(t);
    size_t len;
    uint8_t *icc = save_profile(p, &len);
    assert_true(len > 2 * 65519);

    uint8_t *rgb = tu_make_rgb(40, 24, TU_PATTERN_COLOR, 2);
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    unsigned char *mem = NULL;
    unsigned long mem_len = 0;
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &mem_len);
    c.image_width = 40, c.image_height = 24;
    c.input_components = 3, c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_start_compress(&c, TRUE);
    jpeg_write_icc_profile(&c, icc, (unsigned)len);
    while (c.next_scanline < 24) {
        JSAMPROW row = rgb + (size_t)c.next_scanline * 40 * 3;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);

    pf_decoded d;
    decode_jpeg_ok(mem, mem_len, &d);
    assert_icc(&d, icc, len);
    convert_ok(&d.bmp, d.icc, d.icc_len);
    pf_decoded_free(&d);
    /* DCT-scaled and streaming-resized decodes hand it on too. */
    char err[PF_ERR_LEN];
    assert_int_equal(pf_jpeg_decode(mem, mem_len, 0, 4, &d, err), PF_OK);
    assert_icc(&d, icc, len);
    pf_decoded_free(&d);
    assert_int_equal(pf_jpeg_decode_resized(mem, mem_len, 0, 8, 10, 6, 2, &d, err),
                     PF_OK);
    assert_icc(&d, icc, len);
    pf_decoded_free(&d);
    free(mem);
    free(rgb);
    free(icc);
}

static void test_jpeg_icc_chunk_order(void **state)
{
    (void)state;
    size_t len, jlen;
    uint8_t *icc = p3_profile(&len);
    chunk_spec ch[3], shuffled[3];
    split(len, 3, ch);
    uint8_t *jpg = jpeg_with_chunks(3, 0, GREY_PX, icc, ch, 3, &jlen);
    pf_decoded d;
    decode_jpeg_ok(jpg, jlen, &d);
    assert_icc(&d, icc, len);
    pf_decoded_free(&d);
    free(jpg);
    /* 3, 1, 2: joined by sequence number, not file order. */
    shuffled[0] = ch[2], shuffled[1] = ch[0], shuffled[2] = ch[1];
    jpg = jpeg_with_chunks(3, 0, GREY_PX, icc, shuffled, 3, &jlen);
    decode_jpeg_ok(jpg, jlen, &d);
    assert_icc(&d, icc, len);
    /* and the profile works */
    uint8_t before[3];
    memcpy(before, d.bmp.rgb, 3);
    convert_ok(&d.bmp, d.icc, d.icc_len);
    assert_rgb_near(d.bmp.rgb, before[0], before[1], before[2], 1);
    pf_decoded_free(&d);
    free(jpg);
    free(icc);
}

/* Chunk sets that break the rules: the profile is ignored, the picture
 * decodes. */
static void test_jpeg_icc_broken_sets(void **state)
{
    (void)state;
    size_t len, jlen;
    uint8_t *icc = p3_profile(&len);
    chunk_spec ch[3];
    split(len, 3, ch);
    struct {
        const char *what;
        chunk_spec c[4];
        int n;
    } cases[] = {
        {"missing chunk", {ch[0], ch[2]}, 2},
        {"repeated chunk", {ch[0], ch[1], ch[1], ch[2]}, 4},
        {"counts disagree", {ch[0], {2, 2, ch[1].off, ch[1].len}, ch[2]}, 3},
        {"sequence number 0", {{0, 3, ch[0].off, ch[0].len}, ch[1], ch[2]}, 3},
        {"sequence past the count", {ch[0], ch[1], {4, 3, ch[2].off, ch[2].len}}, 3},
        {"count 0", {{1, 0, 0, len}}, 1},
        {"only headers", {{1, 1, 0, 0}}, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *jpg = jpeg_with_chunks(3, 0, GREY_PX, icc, cases[i].c,
                                        cases[i].n, &jlen);
        pf_decoded d;
        char err[PF_ERR_LEN];
        pf_status st = pf_jpeg_decode(jpg, jlen, 0, 8, &d, err);
        if (st != PF_OK || d.icc)
            fail_msg("%s: status %s, icc %p", cases[i].what, pf_strerror(st),
                     (void *)d.icc);
        assert_int_equal(d.bmp.width, 16);
        pf_decoded_free(&d);
        free(jpg);
    }
    free(icc);
}

/* A profile over 4 MiB is ignored; one just under is kept. */
static void test_jpeg_icc_cap(void **state)
{
    (void)state;
    const size_t piece = 65519;
    size_t big = 65 * piece; /* 4.06 MiB */
    uint8_t *icc = malloc(big);
    assert_non_null(icc);
    unsigned seed = 8;
    for (size_t i = 0; i < big; i++)
        icc[i] = (uint8_t)tu_rand(&seed);
    chunk_spec ch[65];
    for (int k = 64; k <= 65; k++) {
        for (int i = 0; i < k; i++)
            ch[i] = (chunk_spec){i + 1, k, (size_t)i * piece, piece};
        size_t jlen;
        uint8_t *jpg = jpeg_with_chunks(3, 0, GREY_PX, icc, ch, k, &jlen);
        pf_decoded d;
        decode_jpeg_ok(jpg, jlen, &d);
        if (k * piece <= PF_ICC_MAX_BYTES)
            assert_icc(&d, icc, k * piece);
        else
            assert_null(d.icc);
        pf_decoded_free(&d);
        free(jpg);
    }
    free(icc);
}

/* Grey JPEG, grey profile: handed on, converted, still grey. */
static void test_jpeg_grey_profile(void **state)
{
    (void)state;
    size_t len, jlen;
    uint8_t *icc = grey_profile(1.8, &len);
    chunk_spec ch[1];
    split(len, 1, ch);
    uint8_t *jpg = jpeg_with_chunks(1, 0, GREY_PX, icc, ch, 1, &jlen);
    pf_decoded d;
    decode_jpeg_ok(jpg, jlen, &d);
    assert_icc(&d, icc, len);
    assert_int_equal(d.source_grey, 1);
    int v = d.bmp.rgb[0];
    convert_ok(&d.bmp, d.icc, d.icc_len);
    int want = (int)lround(255 * srgb_encode(pow(v / 255.0, 1.8)));
    assert_rgb_near(d.bmp.rgb, want, want, want, 2);
    pf_decoded_free(&d);
    free(jpg);
    free(icc);
}

/* ---- JPEG: CMYK through its own profile ---- */

/* The pixel the test CMYK profile gives for ink amounts 0..255. */
static void cmyk_expected(const uint8_t ink[4], int out[3])
{
    double f[4], rgb[3];
    for (int i = 0; i < 4; i++)
        f[i] = ink[i] / 255.0;
    cmyk_model(f, rgb);
    for (int i = 0; i < 3; i++)
        out[i] = (int)lround(rgb[i]);
}

static void test_jpeg_cmyk_profile(void **state)
{
    (void)state;
    size_t len;
    uint8_t *icc = cmyk_profile(&len); /* 17^4 table: 0.5 MB */
    chunk_spec ch[16];
    int nch = split(len, (int)(len / 60000 + 1), ch);
    const uint8_t inks[][4] = {
        {0, 0, 0, 0}, {255, 0, 0, 0}, {0, 255, 255, 0}, {128, 0, 64, 0},
        {0, 0, 0, 128}, {64, 128, 32, 32}, {255, 255, 255, 255}};
    /* full cyan: the profile's, far from the plain formula's (0, 255, 255) */
    int cyan[3];
    cmyk_expected(inks[1], cyan);
    assert_true(cyan[1] < 200 && cyan[2] < 240);
    /* adobe 0: plain CMYK (255 is full ink); 1: Adobe inverted; 2: YCCK */
    for (int adobe = 0; adobe <= 2; adobe++)
        for (size_t i = 0; i < sizeof inks / sizeof inks[0]; i++) {
            uint8_t stored[4];
            for (int c = 0; c < 4; c++)
                stored[c] = adobe ? (uint8_t)(255 - inks[i][c]) : inks[i][c];
            size_t jlen;
            uint8_t *jpg = jpeg_with_chunks(4, adobe, stored, icc, ch, nch, &jlen);
            int want[3];
            cmyk_expected(inks[i], want);
            pf_decoded d;
            char err[PF_ERR_LEN];
            decode_jpeg_ok(jpg, jlen, &d);
            assert_null(d.icc); /* applied: the pixels are sRGB */
            const uint8_t *p = d.bmp.rgb + (8 * 16 + 8) * 3;
            if (abs(p[0] - want[0]) > 2 || abs(p[1] - want[1]) > 2 ||
                abs(p[2] - want[2]) > 2)
                fail_msg("adobe %d, inks %d %d %d %d: (%d, %d, %d), want (%d, %d, %d)",
                         adobe, inks[i][0], inks[i][1], inks[i][2], inks[i][3],
                         p[0], p[1], p[2], want[0], want[1], want[2]);
            pf_decoded_free(&d);
            /* DCT scaling and the streaming resize convert the same way. */
            assert_int_equal(pf_jpeg_decode(jpg, jlen, 0, 4, &d, err), PF_OK);
            assert_rgb_near(d.bmp.rgb + (4 * 8 + 4) * 3, want[0], want[1], want[2], 2);
            pf_decoded_free(&d);
            assert_int_equal(pf_jpeg_decode_resized(jpg, jlen, 0, 8, 5, 5, 1, &d, err),
                             PF_OK);
            assert_int_equal(d.bmp.width, 5);
            assert_rgb_near(d.bmp.rgb + (2 * 5 + 2) * 3, want[0], want[1], want[2], 2);
            pf_decoded_free(&d);
            free(jpg);
        }
    free(icc);
}

/* A CMYK file whose profile is damaged or not CMYK: the plain formula
 * (paper white), no profile handed on. */
static void test_jpeg_cmyk_unusable_profile(void **state)
{
    (void)state;
    size_t len, jlen;
    uint8_t *rgb_icc = p3_profile(&len);
    uint8_t junk[300];
    memset(junk, 0x5a, sizeof junk);
    const uint8_t no_ink[4] = {255, 255, 255, 255}; /* Adobe inverted */
    chunk_spec ch[1];
    split(len, 1, ch);
    uint8_t *jpg = jpeg_with_chunks(4, 1, no_ink, rgb_icc, ch, 1, &jlen);
    pf_decoded d;
    decode_jpeg_ok(jpg, jlen, &d);
    assert_null(d.icc);
    assert_rgb_near(d.bmp.rgb, 255, 255, 255, 1);
    pf_decoded_free(&d);
    free(jpg);
    split(sizeof junk, 1, ch);
    jpg = jpeg_with_chunks(4, 1, no_ink, junk, ch, 1, &jlen);
    decode_jpeg_ok(jpg, jlen, &d);
    assert_null(d.icc);
    assert_rgb_near(d.bmp.rgb, 255, 255, 255, 1);
    pf_decoded_free(&d);
    free(jpg);
    free(rgb_icc);
}

/* ---- PNG iCCP ---- */

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* A copy of png with an iCCP chunk holding icc right after IHDR. */
static uint8_t *png_with_iccp(const uint8_t *png, size_t len, const uint8_t *icc,
                              size_t icc_len, size_t *out_len)
{
    uLongf z = compressBound((uLong)icc_len);
    size_t head = 8 + 12 + 13, data_len = 6 + z;
    uint8_t *out = malloc(len + 12 + data_len);
    assert_non_null(out);
    memcpy(out, png, head);
    uint8_t *chunk = out + head;
    memcpy(chunk + 4, "iCCPtest\0\0", 10); /* name "test", method 0 */
    assert_int_equal(compress2(chunk + 14, &z, icc, (uLong)icc_len, 9), Z_OK);
    data_len = 6 + z;
    put_be32(chunk, (uint32_t)data_len);
    put_be32(chunk + 8 + data_len, (uint32_t)crc32(0, chunk + 4, (uInt)(4 + data_len)));
    size_t at = head + 12 + data_len;
    memcpy(out + at, png + head, len - head);
    *out_len = at + len - head;
    return out;
}

static uint8_t *plain_png(int colour_type, size_t *len)
{
    uint8_t *rgb = tu_make_rgb(12, 9, TU_PATTERN_COLOR, 4), *png = NULL;
    assert_non_null(rgb);
    assert_int_equal(tu_png(rgb, NULL, 12, 9, colour_type, 8, 0, NULL, 0, &png, len), 0);
    free(rgb);
    return png;
}

static void decode_png_ok(const uint8_t *png, size_t len, pf_decoded *d)
{
    char err[PF_ERR_LEN];
    pf_status st = pf_png_decode(png, len, 0, d, err);
    if (st != PF_OK)
        fail_msg("decode: %s (%s)", pf_strerror(st), err);
}

static void test_png_iccp(void **state)
{
    (void)state;
    size_t len, plen, n;
    uint8_t *icc = p3_profile(&len), *png = plain_png(2, &plen);
    uint8_t *with = png_with_iccp(png, plen, icc, len, &n);
    pf_decoded d;
    decode_png_ok(with, n, &d);
    assert_icc(&d, icc, len);
    convert_ok(&d.bmp, d.icc, d.icc_len);
    pf_decoded_free(&d);
    free(with);
    /* libpng keeps only a profile that fits the pixels: none on grey. */
    uint8_t *grey = plain_png(0, &plen);
    with = png_with_iccp(grey, plen, icc, len, &n);
    decode_png_ok(with, n, &d);
    assert_null(d.icc);
    pf_decoded_free(&d);
    free(with);
    free(icc);
    icc = grey_profile(2.2, &len);
    with = png_with_iccp(grey, plen, icc, len, &n);
    decode_png_ok(with, n, &d);
    assert_icc(&d, icc, len);
    pf_decoded_free(&d);
    free(with);
    free(grey);
    free(png);
    free(icc);
}

/* The inflated profile is capped at libpng's 2 MiB chunk limit: a larger
 * one is dropped (the picture still decodes), a smaller one kept. */
static void test_png_iccp_cap(void **state)
{
    (void)state;
    size_t len, plen, n;
    uint8_t *p3 = p3_profile(&len), *png = plain_png(2, &plen);
    const size_t sizes[2] = {(size_t)3 << 19, (size_t)5 << 19}; /* 1.5, 2.5 MiB */
    for (int i = 0; i < 2; i++) {
        /* the profile padded with zeros, its header's size field to match */
        uint8_t *icc = calloc(1, sizes[i]);
        assert_non_null(icc);
        memcpy(icc, p3, len);
        put_be32(icc, (uint32_t)sizes[i]);
        uint8_t *with = png_with_iccp(png, plen, icc, sizes[i], &n);
        pf_decoded d;
        decode_png_ok(with, n, &d);
        if (sizes[i] <= (2u << 20))
            assert_icc(&d, icc, sizes[i]);
        else
            assert_null(d.icc);
        pf_decoded_free(&d);
        free(with);
        free(icc);
    }
    free(png);
    free(p3);
}

/* ---- the shared corpus (skipped without it) ---- */

static const char *corpus_dir(void)
{
    const char *c = getenv("PF_CORPUS");
    return c && *c ? c : "../shared/corpus";
}

static uint8_t *corpus_file(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", corpus_dir(), name);
    return tu_read(path, len);
}

static char *profile_description(const uint8_t *icc, size_t len)
{
    static char desc[128];
    cmsHPROFILE p = cmsOpenProfileFromMem(icc, (cmsUInt32Number)len);
    snprintf(desc, sizeof desc, "(unreadable)");
    if (p) {
        cmsGetProfileInfoASCII(p, cmsInfoDescription, "en", "US", desc, sizeof desc);
        cmsCloseProfile(p);
    }
    return desc;
}

/* Files with a profile: each decodes, hands on the profile named (or, for
 * CMYK, applies it) and converts without error, but for the one whose
 * profile is damaged (rXYZ and gXYZ overwritten). */
static void test_corpus_profiles(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        const char *desc;     /* NULL: no profile handed on */
        pf_status convert;
    } files[] = {
        {"codec/pillow/xmp_test.jpg", "Adobe RGB (1998)", PF_OK},
        {"codec/wikimedia-thumbor-plugins/Physical_map_tagged_AdobeRGB.jpg",
         "Adobe RGB (1998)", PF_OK},
        {"codec/thumbor/grayscale-icc.jpg", "Dot Gain 20%", PF_OK},
        {"codec/thumbor/cmyk-icc.jpg", NULL, PF_OK},
        {"codec/pillow/icc_profile_big.jpg", "TIFF RGB", PF_OK},
        {"codec/pillow/flower2.jpg", "sRGB IEC61966-2.1", PF_OK},
        {"codec/jpeg-decoder-reftest/mozilla/jpg-srgb-icc.jpg",
         "sRGB IEC61966-2-1 black scaled", PF_OK},
        {"codec/jpeg-decoder-reftest/partial_progressive.jpg", " sRGB", PF_ERR_CORRUPT},
        {"docphotos/noteshrink/graph-paper-ink-only.jpg", "Scanner RGB Profile", PF_OK},
        {"exif/ianare-exif-samples/landscape_2.jpg", "Generic RGB Profile", PF_OK},
        {"people/tfjs-models/posenet/looking_at_computer.jpg", "Camera RGB Profile", PF_OK},
        {"people/tfjs-models/shared/three_people.jpg", "Display", PF_OK},
        {"people/human-samples/stock-teen-3.jpg", "c2", PF_OK},
        {"broken/image-png-bugfixes/broken_iccp.png", "Display P3", PF_OK},
        {"codec/image-png/bugfixes/issue#430.png", "GIMP built-in sRGB", PF_OK},
        {"codec/libjpeg-turbo-testimages/vgl_5674_0098.png", "sRGB2014", PF_OK},
        {"codec/pillow/icc_profile.png", "sRGB IEC61966-2.1", PF_OK},
        {"faces/face_recognition-examples/alex-lacamoire.png", "Display", PF_OK},
        {"scans/tesseract-test/hebrew-nikud-genesis-1-2.png", "Dot Gain 20%", PF_OK},
    };
    size_t len;
    uint8_t *probe = corpus_file(files[0].file, &len);
    if (!probe) {
        printf("colour: no corpus at %s; skipped\n", corpus_dir());
        skip();
    }
    free(probe);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        uint8_t *data = corpus_file(files[i].file, &len);
        assert_non_null(data);
        pf_decoded d;
        char err[PF_ERR_LEN];
        int png = len > 4 && data[0] == 0x89;
        pf_status st = png ? pf_png_decode(data, len, 0, &d, err)
                           : pf_jpeg_decode(data, len, 0, 8, &d, err);
        if (st != PF_OK)
            fail_msg("%s: %s (%s)", files[i].file, pf_strerror(st), err);
        if (!files[i].desc) {
            assert_null(d.icc);
        } else {
            if (!d.icc)
                fail_msg("%s: no profile", files[i].file);
            const char *desc = profile_description(d.icc, d.icc_len);
            if (strcmp(desc, files[i].desc) != 0 && files[i].convert == PF_OK)
                fail_msg("%s: profile '%s', want '%s'", files[i].file, desc,
                         files[i].desc);
        }
        st = pf_colour_to_srgb(&d.bmp, d.icc, d.icc_len, NULL, err);
        if (st != files[i].convert)
            fail_msg("%s: convert %s (%s)", files[i].file, pf_strerror(st), err);
        pf_decoded_free(&d);
        free(data);
    }
    /* The CMYK file went through its profile: with the profile's chunk
     * renamed, the plain formula gives other colours. */
    uint8_t *data = corpus_file("codec/thumbor/cmyk-icc.jpg", &len);
    assert_non_null(data);
    pf_decoded with, without;
    decode_jpeg_ok(data, len, &with);
    uint8_t *at = memmem(data, len, "ICC_PROFILE", 12);
    assert_non_null(at);
    at[0] = 'X';
    decode_jpeg_ok(data, len, &without);
    assert_null(without.icc);
    assert_int_equal(with.bmp.width, without.bmp.width);
    double diff = 0;
    size_t n = (size_t)with.bmp.width * with.bmp.height * 3;
    for (size_t i = 0; i < n; i++)
        diff += abs(with.bmp.rgb[i] - without.bmp.rgb[i]);
    printf("colour: cmyk-icc.jpg through its profile differs from the plain "
           "formula by %.1f levels on average\n", diff / n);
    assert_true(diff / n > 2);
    pf_decoded_free(&with);
    pf_decoded_free(&without);
    free(data);
}

/* image-rs's broken chunk sets: ignored, but for the one that is only out
 * of order, joined back (its chunk n holds the byte n). */
static void test_corpus_chunk_sets(void **state)
{
    (void)state;
    static const char *ignored[] = {"icc_chunk_count_mismatch.jpeg",
                                    "icc_chunk_double_seq_no.jpeg",
                                    "icc_chunk_seq_no_0.jpeg",
                                    "icc_missing_chunk.jpeg"};
    char name[256];
    size_t len;
    pf_decoded d;
    snprintf(name, sizeof name, "broken/jpeg-decoder-icc/icc/%s", "icc_chunk_order.jpeg");
    uint8_t *data = corpus_file(name, &len);
    if (!data)
        skip();
    decode_jpeg_ok(data, len, &d);
    assert_int_equal(d.icc_len, 254);
    for (int i = 0; i < 254; i++)
        assert_int_equal(d.icc[i], i + 1);
    pf_decoded_free(&d);
    free(data);
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) {
        snprintf(name, sizeof name, "broken/jpeg-decoder-icc/icc/%s", ignored[i]);
        data = corpus_file(name, &len);
        assert_non_null(data);
        decode_jpeg_ok(data, len, &d);
        assert_null(d.icc);
        pf_decoded_free(&d);
        free(data);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_srgb_untouched),
        cmocka_unit_test(test_p3),
        cmocka_unit_test(test_adobe_rgb),
        cmocka_unit_test(test_in_place_matches_lcms),
        cmocka_unit_test(test_grey_profile),
        cmocka_unit_test(test_mismatched_profiles),
        cmocka_unit_test(test_damaged_profiles),
        cmocka_unit_test(test_speed_12mp),
        cmocka_unit_test(test_jpeg_icc_libjpeg_writer),
        cmocka_unit_test(test_jpeg_icc_chunk_order),
        cmocka_unit_test(test_jpeg_icc_broken_sets),
        cmocka_unit_test(test_jpeg_icc_cap),
        cmocka_unit_test(test_jpeg_grey_profile),
        cmocka_unit_test(test_jpeg_cmyk_profile),
        cmocka_unit_test(test_jpeg_cmyk_unusable_profile),
        cmocka_unit_test(test_png_iccp),
        cmocka_unit_test(test_png_iccp_cap),
        cmocka_unit_test(test_corpus_profiles),
        cmocka_unit_test(test_corpus_chunk_sets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
