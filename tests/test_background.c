/* The white-background rule and --whiten on a labelled set of generated
 * face photos: a head-and-shoulders shape on white, off-white, grey, blue,
 * red, curtain, gradient, shadowed, busy and patterned backgrounds, with
 * noise, through a real JPEG encode. Every labelled case is asserted, and
 * the accuracy table (README) is printed. */
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

typedef enum {
    BG_WHITE, BG_WHITE_EVEN, BG_OFFWHITE, BG_LIGHTGREY, BG_GREY, BG_BLUE,
    BG_LIGHTBLUE, BG_RED, BG_CURTAIN, BG_GRADIENT_V, BG_GRADIENT_H,
    BG_SHADOW, BG_BUSY, BG_PATTERN
} bg_kind;

static const char *const kind_names[] = {
    "white", "white, evenly lit wall", "off-white", "light grey", "grey",
    "blue (ID photo)", "light blue", "red (ID photo)", "coloured curtain",
    "gradient top to bottom", "gradient left to right", "shadow behind the head",
    "busy room", "no plain background"};

typedef struct {
    bg_kind kind;
    int touching;     /* hair reaches the top edge, shoulders the sides */
    int white_shirt;
    uint32_t w, h;
    int noise;        /* +- levels */
    int quality;      /* JPEG quality */
    int expect_pass;  /* the rule's verdict */
    int expect_whiten;/* --whiten makes it pass */
} face_case;

/* Beyond the labelled set (0: none). The photo proper is the picture
 * less the bars; the face_case's w, h are the whole picture's. */
typedef struct {
    uint32_t pad_lr, pad_tb; /* bars added at the left and right / top and
                                bottom, pixels each */
    int pad_level;    /* the bars' grey level (0: white, 255) */
    int busy_zone;    /* ZONE_*: busy blocks in one part of the background */
    double scale;     /* the person's size (0: 1), standing at the bottom */
} framing;

enum { ZONE_NONE, ZONE_CORNER, ZONE_BESIDE };

static void background_at(const face_case *fc, uint32_t x, uint32_t y,
                          unsigned *seed, double rgb[3])
{
    double fx = (double)x / fc->w, fy = (double)y / fc->h;
    static const double solid[][3] = {
        [BG_WHITE] = {253, 253, 253}, [BG_WHITE_EVEN] = {247, 248, 246},
        [BG_OFFWHITE] = {240, 233, 218}, [BG_LIGHTGREY] = {214, 214, 216},
        [BG_GREY] = {150, 150, 152}, [BG_BLUE] = {67, 142, 219},
        [BG_LIGHTBLUE] = {196, 218, 240}, [BG_RED] = {204, 32, 40}};
    switch (fc->kind) {
    case BG_WHITE_EVEN: /* a wall under a soft light: 243..252 */
        for (int c = 0; c < 3; c++)
            rgb[c] = solid[BG_WHITE_EVEN][c] + 4 * cos(fx * 3.1) * cos(fy * 2.0);
        return;
    case BG_CURTAIN: {
        double v = 0.5 + 0.5 * sin(fx * 40);
        rgb[0] = 120 + 60 * v, rgb[1] = 30 + 20 * v, rgb[2] = 50 + 25 * v;
        return;
    }
    case BG_GRADIENT_V:
        for (int c = 0; c < 3; c++)
            rgb[c] = 255 - 110 * fy;
        return;
    case BG_GRADIENT_H:
        for (int c = 0; c < 3; c++)
            rgb[c] = 255 - 90 * fx;
        return;
    case BG_SHADOW: { /* a soft shadow cast to the right of the head */
        double dx = fx - 0.68, dy = fy - 0.40;
        double shade = 0.45 * exp(-(dx * dx / 0.02 + dy * dy / 0.06));
        for (int c = 0; c < 3; c++)
            rgb[c] = 253 * (1 - shade);
        return;
    }
    case BG_BUSY: { /* shelves, a door, posters: blocks of colour */
        unsigned cell = (x * 7 / fc->w) * 13 + (y * 5 / fc->h) * 7;
        unsigned s = cell * 2654435761u;
        rgb[0] = (s >> 8) & 255, rgb[1] = (s >> 16) & 255, rgb[2] = (s >> 24) & 255;
        return;
    }
    case BG_PATTERN: /* leaves, wallpaper: texture everywhere */
        rgb[0] = 90 + tu_rand(seed) % 120;
        rgb[1] = 110 + tu_rand(seed) % 110;
        rgb[2] = 60 + tu_rand(seed) % 100;
        return;
    default:
        memcpy(rgb, solid[fc->kind], sizeof solid[0]);
        return;
    }
}

/* Head (skin), hair over it, neck, shoulders in a jacket or a white shirt. */
static int person_at(const face_case *fc, double fx, double fy, double rgb[3])
{
    double hx = (fx - 0.5) / 0.17, hy = (fy - 0.40) / 0.21;
    double top = fc->touching ? -0.02 : 0.12;   /* hair crown */
    double hair_ry = (0.40 - top) / 1.0;
    double ax = (fx - 0.5) / 0.2, ay = (fy - 0.40) / hair_ry;
    double sx = fc->touching ? 0.62 : 0.40;     /* shoulder half-width */
    int shoulders = fy > 0.72 && fabs(fx - 0.5) < 0.12 + (sx - 0.12) * fmin(1, (fy - 0.72) / 0.12);
    if (hx * hx + hy * hy < 1) {
        double shade = 1 - 0.15 * hx * hx;
        rgb[0] = 226 * shade, rgb[1] = 176 * shade, rgb[2] = 146 * shade;
        return 1;
    }
    if (ax * ax + ay * ay < 1 && fy < 0.45) {
        rgb[0] = 42, rgb[1] = 31, rgb[2] = 26;
        return 1;
    }
    if ((fy > 0.58 && fy <= 0.74 && fabs(fx - 0.5) < 0.07)) {
        rgb[0] = 210, rgb[1] = 160, rgb[2] = 132;
        return 1;
    }
    if (shoulders) {
        if (fc->white_shirt)
            rgb[0] = 246, rgb[1] = 246, rgb[2] = 244;
        else
            rgb[0] = 34, rgb[1] = 44, rgb[2] = 92;
        return 1;
    }
    return 0;
}

/* The top-left corner, away from the person; or right beside the head,
 * below the top edge band (fractions of the photo). */
static int in_busy_zone(int zone, double fx, double fy)
{
    if (zone == ZONE_CORNER)
        return fx < 0.30 && fy < 0.25;
    return zone == ZONE_BESIDE && fx > 0.72 && fy > 0.15 && fy < 0.62;
}

/* A pixel of the picture: the bars, else the photo inside them. */
static void picture_at(const face_case *fc, const framing *fr, uint32_t x,
                       uint32_t y, unsigned *seed, double px[3])
{
    face_case in = *fc;
    in.w = fc->w - 2 * fr->pad_lr, in.h = fc->h - 2 * fr->pad_tb;
    if (x < fr->pad_lr || x >= fr->pad_lr + in.w || y < fr->pad_tb ||
        y >= fr->pad_tb + in.h) {
        px[0] = px[1] = px[2] = fr->pad_level ? fr->pad_level : 255;
        return;
    }
    x -= fr->pad_lr, y -= fr->pad_tb;
    double fx = (double)x / in.w, fy = (double)y / in.h;
    if (fr->scale > 0) { /* smaller, shoulders at the bottom middle */
        if (person_at(&in, 0.5 + (fx - 0.5) / fr->scale, 1 + (fy - 1) / fr->scale, px))
            return;
    } else if (person_at(&in, fx, fy, px)) {
        return;
    }
    if (in_busy_zone(fr->busy_zone, fx, fy))
        in.kind = BG_BUSY;
    background_at(&in, x, y, seed, px);
}

/* Where a face detector would put its box on the drawn head (brows to
 * chin), in the picture's pixels. */
static pf_face_box drawn_face(const face_case *fc, const framing *fr)
{
    double s = fr->scale > 0 ? fr->scale : 1;
    double w = fc->w - 2.0 * fr->pad_lr, h = fc->h - 2.0 * fr->pad_tb;
    pf_face_box box = {fr->pad_lr + (0.5 - 0.15 * s) * w, fr->pad_tb + (1 - 0.72 * s) * h,
                       0.30 * s * w, 0.30 * s * h, 1};
    return box;
}

/* The photo, through a JPEG encode (artefacts and all). */
static uint8_t *make_framed(const face_case *fc, const framing *fr, unsigned seed,
                           size_t *len)
{
    uint8_t *rgb = malloc((size_t)fc->w * fc->h * 3), *jpg = NULL;
    assert_non_null(rgb);
    for (uint32_t y = 0; y < fc->h; y++)
        for (uint32_t x = 0; x < fc->w; x++) {
            double px[3];
            picture_at(fc, fr, x, y, &seed, px);
            for (int c = 0; c < 3; c++) {
                int n = fc->noise ? (int)(tu_rand(&seed) % (2 * fc->noise + 1)) - fc->noise : 0;
                double v = px[c] + n;
                rgb[((size_t)y * fc->w + x) * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : (uint8_t)(v + 0.5);
            }
        }
    assert_int_equal(tu_jpeg(rgb, fc->w, fc->h, 3, fc->quality, 0, NULL, 0, &jpg, len), 0);
    free(rgb);
    return jpg;
}

static uint8_t *make_photo(const face_case *fc, unsigned seed, size_t *len)
{
    const framing none = {0};
    return make_framed(fc, &none, seed, len);
}

#define P 1 /* passes */
#define F 0 /* fails */
static const face_case cases[] = {
    /* kind, touching, white shirt, w, h, noise, quality, pass, whiten ok */
    {BG_WHITE, 0, 0, 300, 400, 0, 90, P, P},
    {BG_WHITE, 0, 0, 300, 400, 4, 75, P, P},
    {BG_WHITE, 0, 0, 480, 640, 6, 60, P, P},
    {BG_WHITE, 0, 1, 300, 400, 3, 85, P, P},
    {BG_WHITE, 0, 0, 400, 300, 3, 85, P, P},
    {BG_WHITE_EVEN, 0, 0, 300, 400, 3, 85, P, P},
    {BG_WHITE_EVEN, 0, 0, 600, 800, 5, 70, P, P},
    {BG_WHITE_EVEN, 1, 0, 300, 400, 3, 85, P, P},
    {BG_WHITE, 1, 0, 300, 400, 2, 90, P, P},
    {BG_WHITE, 1, 0, 360, 480, 5, 70, P, P},
    {BG_WHITE, 1, 1, 300, 400, 3, 80, P, P},
    {BG_WHITE, 1, 0, 1200, 1600, 4, 85, P, P},
    {BG_OFFWHITE, 0, 0, 300, 400, 3, 85, F, P},
    {BG_OFFWHITE, 0, 0, 480, 640, 5, 70, F, P},
    {BG_OFFWHITE, 1, 0, 300, 400, 3, 85, F, P},
    /* Lifting 214 to 255 would clip the skin (226 * 1.19): refused. */
    {BG_LIGHTGREY, 0, 0, 300, 400, 3, 85, F, F},
    {BG_LIGHTGREY, 0, 0, 480, 640, 5, 70, F, F},
    {BG_LIGHTGREY, 1, 0, 300, 400, 2, 90, F, F},
    {BG_GREY, 0, 0, 300, 400, 3, 85, F, F},
    {BG_GREY, 1, 0, 480, 640, 5, 70, F, F},
    {BG_BLUE, 0, 0, 300, 400, 3, 85, F, F},
    {BG_BLUE, 0, 1, 480, 640, 5, 70, F, F},
    {BG_BLUE, 1, 0, 300, 400, 2, 90, F, F},
    {BG_LIGHTBLUE, 0, 0, 300, 400, 3, 85, F, F},
    {BG_LIGHTBLUE, 1, 0, 480, 640, 5, 70, F, F},
    {BG_RED, 0, 0, 300, 400, 3, 85, F, F},
    {BG_RED, 0, 1, 480, 640, 5, 70, F, F},
    {BG_RED, 1, 0, 300, 400, 2, 90, F, F},
    {BG_CURTAIN, 0, 0, 300, 400, 3, 85, F, F},
    {BG_CURTAIN, 1, 0, 480, 640, 5, 70, F, F},
    {BG_GRADIENT_V, 0, 0, 300, 400, 3, 85, F, F},
    {BG_GRADIENT_V, 1, 0, 480, 640, 5, 70, F, F},
    {BG_GRADIENT_H, 0, 0, 300, 400, 3, 85, F, F},
    {BG_GRADIENT_H, 0, 1, 480, 640, 5, 70, F, F},
    {BG_SHADOW, 0, 0, 300, 400, 3, 85, F, F},
    {BG_SHADOW, 0, 0, 480, 640, 5, 70, F, F},
    {BG_SHADOW, 1, 0, 300, 400, 2, 90, F, F},
    {BG_BUSY, 0, 0, 300, 400, 3, 85, F, F},
    {BG_BUSY, 1, 0, 480, 640, 5, 70, F, F},
    {BG_BUSY, 0, 1, 300, 400, 2, 90, F, F},
    {BG_PATTERN, 0, 0, 300, 400, 3, 85, F, F},
    {BG_PATTERN, 1, 0, 480, 640, 5, 70, F, F},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static pf_ctx *face_ctx(int whiten)
{
    pf_ctx *ctx = pf_ctx_new();
    pf_rules r;
    pf_options o;
    assert_int_equal(pf_profile_rules("face", &r), PF_OK);
    r.max_bytes = 0; /* the rule alone */
    r.image_checks &= ~PF_RULE_FACE; /* no detector finds these drawn faces */
    assert_int_equal(pf_ctx_set_rules(ctx, &r), PF_OK);
    pf_options_default(&o);
    o.whiten = whiten;
    assert_int_equal(pf_ctx_set_options(ctx, &o), PF_OK);
    return ctx;
}

static const pf_check *white_check(const pf_report *report)
{
    for (int i = 0; i < report->n_checks; i++)
        if (report->checks[i].id == PF_CHECK_WHITE_BACKGROUND)
            return &report->checks[i];
    return NULL;
}

/* Every labelled case: the rule's verdict, and what --whiten makes of it. */
static void test_labelled_set(void **state)
{
    (void)state;
    pf_ctx *check = face_ctx(0), *whiten = face_ctx(1);
    pf_report *report = malloc(sizeof *report);
    int right = 0, kinds_right[14] = {0}, kinds_total[14] = {0}, whiten_right = 0;
    for (size_t i = 0; i < N_CASES; i++) {
        const face_case *fc = &cases[i];
        size_t len;
        uint8_t *jpg = make_photo(fc, (unsigned)i * 977 + 1, &len), *out = NULL;
        size_t out_len = 0;
        assert_int_equal(pf_check_buffer(check, jpg, len, "face.jpg", report), PF_OK);
        const pf_check *c = white_check(report);
        assert_non_null(c);
        int passed = c->status == PF_PASS;
        print_message("%-26s touch=%d shirt=%d %4ux%-4u q%d: %s (%s)\n",
                      kind_names[fc->kind], fc->touching, fc->white_shirt, fc->w,
                      fc->h, fc->quality, passed ? "pass" : "fail", c->message);
        kinds_total[fc->kind]++;
        kinds_right[fc->kind] += passed == fc->expect_pass;
        right += passed == fc->expect_pass;
        /* --whiten: passes afterwards exactly when expected. */
        pf_status st = pf_fix_buffer(whiten, jpg, len, "face.jpg", &out, &out_len,
                                     NULL, report);
        int whitened = st == PF_OK && report->has_output;
        if (whitened != fc->expect_whiten)
            print_message("  whiten: %s (%s)\n", whitened ? "made it pass" : "refused",
                          report->message);
        whiten_right += whitened == fc->expect_whiten;
        free(out);
        free(jpg);
    }
    print_message("| background | cases | right |\n|---|---|---|\n");
    for (int k = 0; k < 14; k++)
        print_message("| %s | %d | %d |\n", kind_names[k], kinds_total[k], kinds_right[k]);
    print_message("rule: %d of %zu right; --whiten: %d of %zu right\n", right, N_CASES,
                  whiten_right, N_CASES);
    assert_int_equal(right, (int)N_CASES);
    assert_int_equal(whiten_right, (int)N_CASES);
    free(report);
    pf_ctx_free(check);
    pf_ctx_free(whiten);
}

/* fix --whiten on one generated photo. */
static pf_status fix_with_whiten(const face_case *fc, unsigned seed, pf_report *report,
                                 uint8_t **out, size_t *out_len)
{
    size_t len;
    uint8_t *jpg = make_photo(fc, seed, &len);
    pf_ctx *ctx = face_ctx(1);
    *out = NULL;
    pf_status st = pf_fix_buffer(ctx, jpg, len, "face.jpg", out, out_len, NULL, report);
    free(jpg);
    pf_ctx_free(ctx);
    return st;
}

/* Whitening an off-white photo: the background is white afterwards, the
 * face keeps its colour (levels, not a paint-over), and the report says so. */
static void test_whiten_keeps_the_face(void **state)
{
    (void)state;
    const face_case fc = {BG_OFFWHITE, 0, 0, 300, 400, 0, 95, F, P};
    size_t out_len = 0;
    uint8_t *out = NULL;
    pf_report *report = malloc(sizeof *report);
    char err[PF_ERR_LEN];
    assert_int_equal(fix_with_whiten(&fc, 5, report, &out, &out_len), PF_OK);
    assert_int_equal(report->status, PF_FILE_FIXED);
    assert_true(report->input.background.white_share < 0.5);
    assert_true(report->output.background.white_share >= 0.9);
    int said = 0;
    for (int i = 0; i < report->n_actions; i++)
        said |= strstr(report->actions[i], "whitened the background") != NULL;
    assert_true(said);
    pf_decoded dec;
    assert_int_equal(pf_jpeg_decode(out, out_len, 0, 8, &dec, err), PF_OK);
    /* The cheek (150, 160): skin lifted by the same small gains, not white. */
    const uint8_t *skin = dec.bmp.rgb + ((size_t)160 * 300 + 150) * 3;
    assert_true(skin[0] > 215 && skin[0] < 250);
    assert_true(skin[1] > 165 && skin[1] < 205);
    assert_true(skin[2] > 135 && skin[2] < 180);
    /* The top corner: pure white now. */
    assert_true(dec.bmp.rgb[0] >= 250 && dec.bmp.rgb[1] >= 250 && dec.bmp.rgb[2] >= 250);
    pf_decoded_free(&dec);
    free(out);
    free(report);
}

/* A coloured background is never "fixed": fix writes nothing and says to
 * retake the photo. */
static void test_coloured_background_is_not_fixed(void **state)
{
    (void)state;
    const face_case fc = {BG_BLUE, 0, 0, 300, 400, 2, 90, F, F};
    size_t out_len = 0;
    uint8_t *out = NULL;
    pf_report *report = malloc(sizeof *report);
    assert_int_equal(fix_with_whiten(&fc, 9, report, &out, &out_len), PF_ERR_UNFIXABLE);
    assert_int_equal(report->status, PF_FILE_FAIL);
    assert_false(report->has_output);
    assert_null(out);
    assert_non_null(strstr(report->message, "retake the photo against a white wall"));
    free(report);
}

/* The thresholds are the caller's: a stricter level fails what passed. */
static void test_thresholds_configurable(void **state)
{
    (void)state;
    const face_case fc = {BG_WHITE_EVEN, 0, 0, 300, 400, 0, 95, P, P};
    size_t len;
    uint8_t *jpg = make_photo(&fc, 3, &len);
    pf_ctx *ctx = face_ctx(0);
    pf_rules r = *pf_ctx_rules(ctx);
    pf_report *report = malloc(sizeof *report);
    assert_int_equal(pf_check_buffer(ctx, jpg, len, "f.jpg", report), PF_OK);
    assert_int_equal(white_check(report)->status, PF_PASS);
    r.white_level = 250; /* the wall is 243..252 */
    assert_int_equal(pf_ctx_set_rules(ctx, &r), PF_OK);
    assert_int_equal(pf_check_buffer(ctx, jpg, len, "f.jpg", report), PF_OK);
    assert_int_equal(white_check(report)->status, PF_FAIL);
    r.white_min_share = 1.5;
    assert_int_equal(pf_ctx_set_rules(ctx, &r), PF_ERR_INVALID_ARG);
    free(jpg);
    free(report);
    pf_ctx_free(ctx);
}

/* --debug-mask's picture: the photo's size, green where the background is
 * white, red where it is not, the person darkened. */
static void test_mask_png(void **state)
{
    (void)state;
    const face_case fc = {BG_SHADOW, 0, 0, 300, 400, 0, 95, F, F};
    size_t len, png_len = 0;
    uint8_t *jpg = make_photo(&fc, 4, &len), *png = NULL;
    pf_ctx *ctx = face_ctx(0);
    char err[PF_ERR_LEN];
    assert_int_equal(pf_background_mask_png(ctx, jpg, len, "f.jpg", &png, &png_len),
                     PF_OK);
    pf_decoded dec;
    assert_int_equal(pf_png_decode(png, png_len, 0, &dec, err), PF_OK);
    assert_int_equal(dec.bmp.width, 300);
    assert_int_equal(dec.bmp.height, 400);
    const uint8_t *corner = dec.bmp.rgb, *shadow = dec.bmp.rgb + (160 * 300 + 240) * 3;
    const uint8_t *face = dec.bmp.rgb + (160 * 300 + 150) * 3;
    assert_true(corner[1] > 150 && corner[0] < 100);   /* green: white bg */
    assert_true(shadow[0] > 150 && shadow[1] < 100);   /* red: the shadow */
    assert_true(face[0] < 90);                          /* darkened skin */
    pf_decoded_free(&dec);
    pf_free(png);
    free(jpg);
    pf_ctx_free(ctx);
}

/* The rule on a framed photo through check (the whole pipeline). */
static const pf_check *check_framed(pf_ctx *ctx, const face_case *fc, const framing *fr,
                                    pf_report *report)
{
    size_t len;
    uint8_t *jpg = make_framed(fc, fr, 11, &len);
    assert_int_equal(pf_check_buffer(ctx, jpg, len, "face.jpg", report), PF_OK);
    free(jpg);
    const pf_check *c = white_check(report);
    assert_non_null(c);
    const pf_background *bg = &report->input.background;
    print_message("%ux%u bars %u,%u,%u,%u (sides %u, white %u): %s\n", fc->w, fc->h,
                  bg->pad[0], bg->pad[1], bg->pad[2], bg->pad[3], bg->padded_sides,
                  bg->white_pads, c->message);
    return c;
}

/* A busy street photo padded to the portal's shape with white bars: the
 * bars touch the edges the old method grew from, and the busy photo
 * between them is no white background. It fails, and says why. */
static void test_white_bars_around_busy_photo(void **state)
{
    (void)state;
    pf_ctx *ctx = face_ctx(0);
    pf_report *report = malloc(sizeof *report);
    const face_case sides = {BG_BUSY, 0, 0, 420, 400, 3, 85, F, F};
    const framing lr = {60, 0, 0, ZONE_NONE, 0};
    const pf_check *c = check_framed(ctx, &sides, &lr, report);
    const pf_background *bg = &report->input.background;
    assert_int_equal(c->status, PF_FAIL);
    assert_non_null(strstr(c->message, "white bars were added at the sides; the "
                                       "background inside them is not white"));
    assert_int_equal(bg->padded_sides, PF_SIDE_LEFT | PF_SIDE_RIGHT);
    assert_int_equal(bg->white_pads, PF_SIDE_LEFT | PF_SIDE_RIGHT);
    assert_in_range(bg->pad[1], 58, 62);
    assert_in_range(bg->pad[2], 58, 62);
    /* Letterboxed: a busy landscape photo with white bars above and below. */
    const face_case tb = {BG_BUSY, 0, 0, 400, 520, 3, 80, F, F};
    const framing top_bottom = {0, 100, 0, ZONE_NONE, 0};
    c = check_framed(ctx, &tb, &top_bottom, report);
    assert_int_equal(c->status, PF_FAIL);
    assert_non_null(strstr(c->message, "white bars were added at the top and bottom"));
    assert_int_equal(bg->padded_sides, PF_SIDE_TOP | PF_SIDE_BOTTOM);
    assert_in_range(bg->pad[0], 98, 102);
    assert_in_range(bg->pad[3], 98, 102);
    /* A small busy photo in the middle of a white frame, bars on all four
     * sides wider than it each way: no edge line meets the photo over half
     * its length, and the bars are still found. */
    const face_case small = {BG_BUSY, 0, 0, 900, 900, 3, 85, F, F};
    const framing frame = {250, 250, 0, ZONE_NONE, 0};
    c = check_framed(ctx, &small, &frame, report);
    assert_int_equal(c->status, PF_FAIL);
    assert_int_equal(bg->padded_sides, PF_SIDE_TOP | PF_SIDE_LEFT | PF_SIDE_RIGHT |
                                       PF_SIDE_BOTTOM);
    assert_int_equal(bg->white_pads, bg->padded_sides);
    assert_in_range(bg->pad[0], 248, 252);
    assert_in_range(bg->pad[1], 248, 252);
    /* An off-white wall inside white bars: bars found, the wall measured. */
    const face_case off = {BG_OFFWHITE, 0, 0, 380, 400, 2, 90, F, P};
    const framing thin = {24, 0, 0, ZONE_NONE, 0};
    c = check_framed(ctx, &off, &thin, report);
    assert_int_equal(c->status, PF_FAIL);
    assert_non_null(strstr(c->message, "white bars were added at the sides"));
    assert_true(bg->white_share < 0.1);
    free(report);
    pf_ctx_free(ctx);
}

/* Bars around a white-background portrait: white bars merge with the
 * white wall (nothing to tell apart, nothing wrong); grey or black bars
 * are found and left out, and the wall inside them passes. */
static void test_bars_around_white_portrait(void **state)
{
    (void)state;
    pf_ctx *ctx = face_ctx(0);
    pf_report *report = malloc(sizeof *report);
    const pf_background *bg = &report->input.background;
    const face_case wide = {BG_WHITE, 0, 0, 380, 400, 3, 85, P, P};
    const framing white = {40, 0, 0, ZONE_NONE, 0}, grey = {40, 0, 128, ZONE_NONE, 0};
    assert_int_equal(check_framed(ctx, &wide, &white, report)->status, PF_PASS);
    assert_int_equal(check_framed(ctx, &wide, &grey, report)->status, PF_PASS);
    assert_int_equal(bg->padded_sides, PF_SIDE_LEFT | PF_SIDE_RIGHT);
    assert_int_equal(bg->white_pads, 0);
    assert_true(bg->white_share >= 0.99);
    const face_case tall = {BG_WHITE, 1, 0, 300, 500, 3, 85, P, P};
    const framing black = {0, 50, 16, ZONE_NONE, 0}, all = {30, 50, 16, ZONE_NONE, 0};
    assert_int_equal(check_framed(ctx, &tall, &black, report)->status, PF_PASS);
    assert_int_equal(bg->padded_sides, PF_SIDE_TOP | PF_SIDE_BOTTOM);
    assert_int_equal(check_framed(ctx, &tall, &all, report)->status, PF_PASS);
    assert_int_equal(bg->padded_sides, PF_SIDE_TOP | PF_SIDE_LEFT | PF_SIDE_RIGHT |
                                       PF_SIDE_BOTTOM);
    free(report);
    pf_ctx_free(ctx);
}

/* The rule measured directly on a framed photo, with or without the face
 * box a detector would give. */
static void measure_framed(const face_case *fc, const framing *fr, int with_face,
                           pf_background *bg)
{
    size_t len;
    char err[PF_ERR_LEN];
    pf_rules r;
    pf_decoded dec;
    uint8_t *jpg = make_framed(fc, fr, 13, &len);
    pf_face_box box = drawn_face(fc, fr);
    assert_int_equal(pf_profile_rules("face", &r), PF_OK);
    assert_int_equal(pf_jpeg_decode(jpg, len, 0, 8, &dec, err), PF_OK);
    memset(bg, 0, sizeof *bg);
    assert_int_equal(pf_measure_background(&dec.bmp, &r, with_face ? &box : NULL, bg),
                     PF_OK);
    assert_int_equal(bg->around_face, with_face);
    /* In two steps (the first made while faces are looked for): the same. */
    pf_background_prep *prep = NULL;
    pf_background again;
    memset(&again, 0, sizeof again);
    assert_int_equal(pf_background_prepare(&dec.bmp, &prep), PF_OK);
    assert_int_equal(pf_measure_background_prepared(&dec.bmp, &r, with_face ? &box : NULL,
                                                    prep, &again), PF_OK);
    assert_memory_equal(&again, bg, sizeof again);
    pf_background_prep_free(prep);
    print_message("%s face box: %s, %.1f%% white, plain %d, failing %u, top band %.2f\n",
                  with_face ? "with" : "without",
                  pf_background_passes(bg, &r) ? "pass" : "fail", bg->white_share * 100,
                  bg->plain, bg->failing_sides, bg->side_share[0]);
    pf_decoded_free(&dec);
    free(jpg);
}

/* A wide shot on a white wall, the person small in the middle, a busy
 * shelf in the top-left corner far from the head. The rule is about the
 * background around the person (4.5 face widths across, from a face
 * height above the head down to the shoulders): with a face box the
 * corner lies outside that band and the photo passes. */
static void test_face_box_busy_far_corner(void **state)
{
    (void)state;
    const face_case fc = {BG_WHITE, 0, 0, 600, 600, 3, 85, P, F};
    const framing corner = {0, 0, 0, ZONE_CORNER, 0.45};
    pf_background with, without;
    pf_rules r;
    assert_int_equal(pf_profile_rules("face", &r), PF_OK);
    measure_framed(&fc, &corner, 1, &with);
    assert_true(pf_background_passes(&with, &r));
    assert_true(with.white_share >= 0.97);
    measure_framed(&fc, &corner, 0, &without);
    /* The whole picture's edge bands reach the corner. */
    assert_true(without.side_share[0] < with.side_share[0]);
}

/* Shelves right beside the head, the top of the picture a white wall: the
 * old method, growing from the white top and left edges, passes it; the
 * band around the face takes the shelves in, and it fails on its right. */
static void test_face_box_busy_beside_head(void **state)
{
    (void)state;
    const face_case fc = {BG_WHITE, 0, 0, 300, 400, 3, 85, F, F};
    const framing beside = {0, 0, 0, ZONE_BESIDE, 0};
    pf_background with, without;
    pf_rules r;
    assert_int_equal(pf_profile_rules("face", &r), PF_OK);
    measure_framed(&fc, &beside, 0, &without);
    assert_true(without.side_share[0] >= 0.9); /* the top edge band: white */
    measure_framed(&fc, &beside, 1, &with);
    assert_false(pf_background_passes(&with, &r));
    assert_true(with.plain);
    assert_true(with.failing_sides & PF_SIDE_RIGHT);
    assert_false(with.failing_sides & PF_SIDE_LEFT);
}

/* The labelled set again, each photo with the face box a detector would
 * give: the band around the person gives every verdict the edge bands
 * give. */
static void test_labelled_set_around_face(void **state)
{
    (void)state;
    pf_rules r;
    const framing none = {0};
    int right = 0;
    assert_int_equal(pf_profile_rules("face", &r), PF_OK);
    for (size_t i = 0; i < N_CASES; i++) {
        pf_background bg;
        measure_framed(&cases[i], &none, 1, &bg);
        int passed = pf_background_passes(&bg, &r);
        if (passed != cases[i].expect_pass)
            print_message("  wrong: %s touch=%d shirt=%d\n", kind_names[cases[i].kind],
                          cases[i].touching, cases[i].white_shirt);
        right += passed == cases[i].expect_pass;
    }
    print_message("around the face: %d of %zu right\n", right, N_CASES);
    assert_int_equal(right, (int)N_CASES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labelled_set),
        cmocka_unit_test(test_whiten_keeps_the_face),
        cmocka_unit_test(test_coloured_background_is_not_fixed),
        cmocka_unit_test(test_thresholds_configurable),
        cmocka_unit_test(test_mask_png),
        cmocka_unit_test(test_white_bars_around_busy_photo),
        cmocka_unit_test(test_bars_around_white_portrait),
        cmocka_unit_test(test_face_box_busy_far_corner),
        cmocka_unit_test(test_face_box_busy_beside_head),
        cmocka_unit_test(test_labelled_set_around_face),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
