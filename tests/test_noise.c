/* Noisy photos (dim light, a small sensor) against the byte budget: fix
 * goes below --min-quality down to PF_QUALITY_FLOOR with a warning, then
 * smooths the noise away, and writes nothing only when even that does not
 * fit. The photo is a generated ID card on a table at the WeChat
 * size, 1956x1100, with seeded sensor-like noise. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "preflight.h"
#include "testutil.h"

static pf_report report; /* large: keep it off the stack */

#define W 1956
#define H 1100
#define NOISE_MODERATE 22.0 /* luma sigma, grey levels */
#define NOISE_HEAVY 65.0

/* A standard normal deviate (Box-Muller on the tests' LCG). */
static double gauss(unsigned *state)
{
    double u = (tu_rand(state) + 1.0) / 32769.0, v = tu_rand(state) / 32768.0;
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* Adds noise: luma_sigma on all three channels alike, chroma_sigma on each
 * on its own, in grey levels. */
static void add_noise(uint8_t *rgb, size_t pixels, double luma_sigma,
                      double chroma_sigma, unsigned seed)
{
    for (size_t i = 0; i < pixels; i++) {
        double l = luma_sigma * gauss(&seed);
        for (int c = 0; c < 3; c++) {
            double v = rgb[i * 3 + c] + l + chroma_sigma * gauss(&seed);
            rgb[i * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : (uint8_t)lround(v);
        }
    }
}

/* The noisy card photo as the camera's quality-95 JPEG; *pixels its RGB. */
static uint8_t *noisy_card(double luma_sigma, double chroma_sigma, size_t *len,
                           pf_bitmap *pixels)
{
    const double corners[4][2] = {{180, 90}, {1780, 120}, {1760, 1010}, {200, 990}};
    uint8_t *rgb = tu_card_scene(W, H, corners, 1, 7), *jpg = NULL;
    assert_non_null(rgb);
    add_noise(rgb, (size_t)W * H, luma_sigma, chroma_sigma, 11);
    assert_int_equal(tu_jpeg(rgb, W, H, 3, 95, 0, NULL, 0, &jpg, len), 0);
    pixels->width = W, pixels->height = H, pixels->rgb = rgb;
    return jpg;
}

/* The WeChat budget, without the checks of focus, glare and framing: this
 * is about bytes (test_checks covers those). */
static pf_ctx *wechat_budget_ctx(int min_quality)
{
    pf_ctx *ctx = pf_ctx_new();
    pf_rules r = *pf_ctx_rules(ctx);
    r.image_checks = 0;
    assert_int_equal(pf_ctx_set_rules(ctx, &r), PF_OK);
    pf_options o = *pf_ctx_options(ctx);
    o.min_quality = min_quality;
    assert_int_equal(pf_ctx_set_options(ctx, &o), PF_OK);
    assert_int_equal(pf_ctx_rules(ctx)->max_bytes, 200000);
    return ctx;
}

static int has_action(const char *text)
{
    for (int i = 0; i < report.n_actions; i++)
        if (strstr(report.actions[i], text))
            return 1;
    return 0;
}

/* Does not fit at quality lo as it is: the case this file is about. */
static void assert_too_noisy(const pf_bitmap *bmp, int lo)
{
    uint8_t *out = NULL;
    size_t len = 0;
    double q = 0;
    char err[PF_ERR_LEN];
    assert_int_equal(pf_fit_jpeg_to_budget(bmp, 200000, 0, lo, 95, 2, &out, &len,
                                           &q, err, NULL), PF_ERR_BUDGET);
    assert_null(out);
}

/* Fixes the generated noisy card (noise as add_noise takes it), which does
 * not fit at quality too_noisy_at as it is: fixed within the budget, never
 * below the floor. Returns the output (free() it); the report in report. */
static uint8_t *fix_noisy_card(double luma_sigma, double chroma_sigma, int too_noisy_at,
                               const char *name, size_t *out_len)
{
    pf_ctx *ctx = wechat_budget_ctx(PF_DEFAULT_MIN_QUALITY);
    pf_bitmap pixels;
    size_t len;
    uint8_t *out = NULL, *jpg = noisy_card(luma_sigma, chroma_sigma, &len, &pixels);
    assert_too_noisy(&pixels, too_noisy_at);
    assert_int_equal(pf_fix_buffer(ctx, jpg, len, name, &out, out_len, NULL, &report),
                     PF_OK);
    print_message("%s: quality %g, %zu B\n", name, report.quality, *out_len);
    assert_int_equal(report.status, PF_FILE_FIXED);
    assert_non_null(out);
    assert_true(*out_len <= 200000);
    assert_true(report.quality >= PF_QUALITY_FLOOR);
    free(jpg);
    pf_bitmap_free(&pixels);
    pf_ctx_free(ctx);
    return out;
}

/* Moderate noise: below --min-quality, never below the floor, with a
 * warning that names the quality and says a better-lit photo will look
 * better; not smoothed (a lower quality costs the picture less). */
static void test_noisy_photo_below_min_quality_warns(void **state)
{
    (void)state;
    size_t out_len = 0;
    uint8_t *out = fix_noisy_card(NOISE_MODERATE, 8, PF_DEFAULT_MIN_QUALITY, "dim.jpg",
                                  &out_len);
    assert_true(out_len >= 0.9 * 200000);
    assert_true(report.quality < PF_DEFAULT_MIN_QUALITY);
    assert_int_equal(report.warnings, 1);
    char quality[64];
    snprintf(quality, sizeof quality, "quality %g, below --min-quality 30",
             report.quality);
    assert_true(has_action(quality));
    assert_true(has_action("a better-lit photo will look better"));
    assert_false(has_action("smoothed"));
    free(out);
}

/* Heavy noise that does not fit even at the floor: smoothed away, then it
 * fits, at the floor or above. */
static void test_very_noisy_photo_smoothed(void **state)
{
    (void)state;
    size_t out_len = 0;
    uint8_t *out = fix_noisy_card(NOISE_HEAVY, 12, PF_QUALITY_FLOOR, "night.jpg", &out_len);
    assert_true(has_action("smoothed away sensor noise"));
    /* The warning exactly when it is below --min-quality. */
    assert_int_equal(report.warnings, report.quality < PF_DEFAULT_MIN_QUALITY);
    free(out);
}

/* The CLI says it on the file's text line (with the warning sign), in
 * the JSON actions and in the CSV actions column. */
static void test_cli_reports_warning(void **state)
{
    (void)state;
    pf_bitmap pixels;
    size_t len;
    uint8_t *jpg = noisy_card(NOISE_MODERATE, 8, &len, &pixels);
    char *dir = tu_mkdtemp(), *out = NULL, path[512], csv[512];
    assert_non_null(dir);
    snprintf(path, sizeof path, "%s/dark.jpg", dir);
    snprintf(csv, sizeof csv, "%s/report.csv", dir);
    assert_int_equal(tu_write(path, jpg, len), 0);
    /* Only the budget: the framing checks are test_checks' business. */
    const char *rules = "--no-crop --skip sharpness --skip document --skip glare "
                        "--skip exposure";
    assert_int_equal(tu_runf(&out, "%s fix %s --json --csv %s -o %s/out %s 2>&1",
                             tu_pf_bin(), rules, csv, dir, path), 0);
    assert_non_null(strstr(out, "\"status\":\"fixed\""));
    assert_non_null(strstr(out, "below --min-quality 30"));
    free(out);
    char *text = tu_read_text(csv);
    assert_non_null(text);
    assert_non_null(strstr(text, "a better-lit photo will look better"));
    free(text);
    assert_int_equal(tu_runf(&out, "%s fix %s --force -o %s/out %s 2>&1",
                             tu_pf_bin(), rules, dir, path), 0);
    assert_non_null(strstr(out, "\xE2\x9A\xA0")); /* the warning sign */
    assert_non_null(strstr(out, "fixed"));
    assert_non_null(strstr(out, "a better-lit photo will look better"));
    free(out);
    tu_rm_rf(dir);
    free(dir);
    free(jpg);
    pf_bitmap_free(&pixels);
}

#define TINY_W 400
#define TINY_H 300
#define TINY_BYTES 600 /* less than any 400x300 JPEG, however smooth */

/* A context whose budget nothing fits, and a photo-like 400x300 JPEG. */
static pf_ctx *hopeless(int min_quality, uint8_t **jpg, size_t *len)
{
    pf_ctx *ctx = wechat_budget_ctx(min_quality);
    pf_rules r = *pf_ctx_rules(ctx);
    r.max_bytes = TINY_BYTES, r.min_long = TINY_W, r.min_short = TINY_H;
    assert_int_equal(pf_ctx_set_rules(ctx, &r), PF_OK);
    uint8_t *rgb = tu_make_rgb(TINY_W, TINY_H, TU_PATTERN_COLOR, 5);
    assert_int_equal(tu_jpeg(rgb, TINY_W, TINY_H, 3, 95, 0, NULL, 0, jpg, len), 0);
    free(rgb);
    return ctx;
}

/* Nothing fits even smoothed at the floor: nothing is written, and the
 * message names the floor, --min-quality and what to do. */
static void test_floor_holds(void **state)
{
    (void)state;
    uint8_t *jpg = NULL, *out = NULL;
    size_t len, out_len = 0;
    pf_ctx *ctx = hopeless(PF_DEFAULT_MIN_QUALITY, &jpg, &len);
    assert_int_equal(pf_fix_buffer(ctx, jpg, len, "b.jpg", &out, &out_len, NULL,
                                   &report), PF_ERR_BUDGET);
    assert_null(out);
    assert_int_equal(report.status, PF_FILE_FAIL);
    char floor_q[32];
    snprintf(floor_q, sizeof floor_q, "even at quality %d)", PF_QUALITY_FLOOR);
    assert_non_null(strstr(report.message, floor_q));
    assert_non_null(strstr(report.message, "--min-quality 30"));
    assert_non_null(strstr(report.message, "better light"));
    free(jpg);
    pf_ctx_free(ctx);
}

/* A --min-quality under the floor is the user's: fix goes no lower. */
static void test_min_quality_under_floor_kept(void **state)
{
    (void)state;
    uint8_t *jpg = NULL, *out = NULL;
    size_t len, out_len = 0;
    pf_ctx *ctx = hopeless(PF_QUALITY_FLOOR - 5, &jpg, &len);
    assert_int_equal(pf_fix_buffer(ctx, jpg, len, "b.jpg", &out, &out_len, NULL,
                                   &report), PF_ERR_BUDGET);
    assert_null(out);
    char min_q[32];
    snprintf(min_q, sizeof min_q, "even at quality %d)", PF_QUALITY_FLOOR - 5);
    assert_non_null(strstr(report.message, min_q));
    assert_null(strstr(report.message, "--min-quality"));
    free(jpg);
    pf_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_noisy_photo_below_min_quality_warns),
        cmocka_unit_test(test_very_noisy_photo_smoothed),
        cmocka_unit_test(test_cli_reports_warning),
        cmocka_unit_test(test_floor_holds),
        cmocka_unit_test(test_min_quality_under_floor_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
