/* The image checks end to end (document-complete, document-fill, sharpness,
 * glare, exposure): the registry of check units, profile fields, limits
 * from flags, and check and fix on generated cards on a table — whole,
 * cut off by the frame, blurred, small in the frame (fix crops and
 * straightens it). */
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
#include "testutil.h"

static pf_report report; /* large: keep it off the stack */

static const pf_check *find(pf_check_id id)
{
    for (int i = 0; i < report.n_checks; i++)
        if (report.checks[i].id == id)
            return &report.checks[i];
    return NULL;
}

static int status_of(pf_check_id id)
{
    const pf_check *c = find(id);
    return c ? (int)c->status : -1;
}

/* The card's corners: centred at (cx, cy), long side len pixels, turned
 * by deg (clockwise), ID-1 proportions. */
static void card_corners(double cx, double cy, double len, double deg,
                         double q[4][2])
{
    double hw = len / 2, hh = len / 1.586 / 2, a = deg * M_PI / 180;
    const double sx[4] = {-1, 1, 1, -1}, sy[4] = {-1, -1, 1, 1};
    for (int i = 0; i < 4; i++) {
        double x = sx[i] * hw, y = sy[i] * hh;
        q[i][0] = cx + x * cos(a) - y * sin(a);
        q[i][1] = cy + x * sin(a) + y * cos(a);
    }
}

/* A JPEG (quality 92) of a card scene. */
static uint8_t *scene_jpeg(uint32_t w, uint32_t h, const double q[4][2], int blur,
                           size_t *len)
{
    uint8_t *rgb = tu_card_scene(w, h, q, blur, 3), *jpg = NULL;
    assert_non_null(rgb);
    assert_int_equal(tu_jpeg(rgb, w, h, 3, 92, 0, NULL, 0, &jpg, len), 0);
    free(rgb);
    return jpg;
}

/* The wechat profile without its byte limit (these JPEGs are larger). */
static pf_ctx *document_ctx(void)
{
    pf_ctx *ctx = pf_ctx_new();
    pf_rules r = *pf_ctx_rules(ctx);
    r.max_bytes = 0;
    assert_int_equal(pf_ctx_set_rules(ctx, &r), PF_OK);
    return ctx;
}

static void test_registry(void **state)
{
    (void)state;
    static const char *const names[PF_CHECK_COUNT] = {
        "format", "max-bytes", "min-bytes", "min-size", "color", "orientation",
        "transparency", "white-background", "sharpness", "document-complete",
        "document-fill", "glare", "exposure", "max-size", "face"};
    for (int id = 0; id < PF_CHECK_COUNT; id++) {
        const pf_check_unit *u = pf_check_unit_of((pf_check_id)id);
        assert_non_null(u);
        assert_string_equal(pf_check_name((pf_check_id)id), names[id]);
        assert_string_equal(u->name, names[id]);
    }
    assert_string_equal(pf_check_name(PF_CHECK_COUNT), "unknown");
    assert_int_equal(pf_check_unit_of(PF_CHECK_SHARPNESS)->fixable, 0);
    assert_int_equal(pf_check_unit_of(PF_CHECK_MAX_BYTES)->fixable, 1);
}

static void test_profiles_and_limits(void **state)
{
    (void)state;
    pf_rules r;
    pf_ctx *ctx = pf_ctx_new();
    for (size_t i = 0; pf_profile_name(i); i++) {
        const char *name = pf_profile_name(i);
        assert_int_equal(pf_profile_rules(name, &r), PF_OK);
        assert_int_equal(r.image_checks, strcmp(name, "face") == 0
                         ? (PF_RULE_FACE | PF_RULE_SHARPNESS | PF_RULE_EXPOSURE) : PF_RULE_DOCUMENT_ALL);
        assert_true(r.min_sharpness == PF_SHARPNESS_FAIL);
        assert_true(r.warn_glare == PF_GLARE_WARN);
        assert_true(r.min_fill == PF_FILL_WARN);
        assert_int_equal(pf_ctx_set_rules(ctx, &r), PF_OK);
    }
    pf_profile_rules("wechat", &r);
    r.warn_sharpness = r.min_sharpness - 1; /* warn limit past the fail limit */
    assert_int_equal(pf_ctx_set_rules(ctx, &r), PF_ERR_INVALID_ARG);
    pf_profile_rules("wechat", &r);
    r.max_glare = 1.5;
    assert_int_equal(pf_ctx_set_rules(ctx, &r), PF_ERR_INVALID_ARG);
    pf_profile_rules("wechat", &r);
    r.image_checks = 64;
    assert_int_equal(pf_ctx_set_rules(ctx, &r), PF_ERR_INVALID_ARG);
    pf_ctx_free(ctx);
}

static void test_whole_card_passes(void **state)
{
    (void)state;
    double q[4][2];
    size_t len;
    card_corners(800, 600, 1000, 4, q);
    uint8_t *jpg = scene_jpeg(1600, 1200, q, 0, &len);
    pf_ctx *ctx = document_ctx();
    assert_int_equal(pf_check_buffer(ctx, jpg, len, "card.jpg", &report), PF_OK);
    assert_int_equal(status_of(PF_CHECK_DOCUMENT_COMPLETE), PF_PASS);
    assert_int_equal(status_of(PF_CHECK_SHARPNESS), PF_PASS);
    assert_int_equal(status_of(PF_CHECK_GLARE), PF_PASS);
    assert_int_equal(status_of(PF_CHECK_EXPOSURE), PF_PASS);
    assert_int_equal(report.status, PF_FILE_PASS);
    const pf_document *d = &report.input.document;
    assert_true(d->found);
    assert_int_equal(d->cut_sides, 0);
    /* 1000 x 630.5 of 1600 x 1200: 32.8% of the picture. */
    assert_true(fabs(d->fill - 0.328) < 0.04);
    assert_true(fabs(d->tilt - 4) < 1.5);
    for (int i = 0; i < 4; i++)
        assert_true(hypot(d->corners[i][0] - q[i][0], d->corners[i][1] - q[i][1]) < 20);
    assert_int_equal(status_of(PF_CHECK_DOCUMENT_FILL), PF_WARN);
    assert_non_null(strstr(find(PF_CHECK_DOCUMENT_FILL)->message, "card fills only 33%"));
    free(jpg);
    pf_ctx_free(ctx);
}

static void test_cut_card_fails_naming_side(void **state)
{
    (void)state;
    double q[4][2];
    size_t len;
    /* The left fifth of the card is off the picture. */
    card_corners(380, 600, 1000, 0, q);
    uint8_t *jpg = scene_jpeg(1600, 1200, q, 0, &len);
    pf_ctx *ctx = document_ctx();
    assert_int_equal(pf_check_buffer(ctx, jpg, len, "cut.jpg", &report), PF_OK);
    const pf_check *c = find(PF_CHECK_DOCUMENT_COMPLETE);
    assert_non_null(c);
    assert_int_equal(c->status, PF_FAIL);
    assert_true(report.input.document.cut_sides == PF_SIDE_LEFT);
    assert_non_null(strstr(c->message, "card's left edge is cut off"));
    assert_int_equal(report.status, PF_FILE_FAIL);
    assert_non_null(strstr(report.message, "margin all round"));
    /* fix cannot bring the corner back: nothing is written. */
    uint8_t *out = NULL;
    size_t out_len = 0;
    assert_int_equal(pf_fix_buffer(ctx, jpg, len, "cut.jpg", &out, &out_len, NULL,
                                   &report), PF_ERR_UNFIXABLE);
    assert_null(out);
    assert_int_equal(report.has_output, 0);
    free(jpg);
    pf_ctx_free(ctx);
}

static void test_blurred_card_fails_sharpness(void **state)
{
    (void)state;
    double q[4][2];
    size_t len;
    card_corners(800, 600, 1300, 0, q);
    uint8_t *jpg = scene_jpeg(1600, 1200, q, 8, &len);
    pf_ctx *ctx = document_ctx();
    assert_int_equal(pf_check_buffer(ctx, jpg, len, "blur.jpg", &report), PF_OK);
    assert_int_equal(status_of(PF_CHECK_SHARPNESS), PF_FAIL);
    assert_int_equal(report.status, PF_FILE_FAIL);
    assert_non_null(strstr(report.message, "holding the phone steady"));
    uint8_t *out = NULL;
    size_t out_len = 0;
    assert_int_equal(pf_fix_buffer(ctx, jpg, len, "blur.jpg", &out, &out_len, NULL,
                                   &report), PF_ERR_UNFIXABLE);
    assert_null(out);
    /* Without the rule the same file is fixed. */
    pf_rules r = *pf_ctx_rules(ctx);
    r.image_checks &= ~PF_RULE_SHARPNESS;
    assert_int_equal(pf_ctx_set_rules(ctx, &r), PF_OK);
    assert_int_equal(pf_check_buffer(ctx, jpg, len, "blur.jpg", &report), PF_OK);
    assert_null(find(PF_CHECK_SHARPNESS));
    free(jpg);
    pf_ctx_free(ctx);
}

static void test_fix_crops_and_straightens(void **state)
{
    (void)state;
    double q[4][2];
    size_t len, out_len;
    uint8_t *out = NULL;
    pf_format format;
    card_corners(1500, 1100, 1300, 6, q); /* 1300 px of a 3000 px picture */
    uint8_t *jpg = scene_jpeg(3000, 2250, q, 0, &len);
    pf_ctx *ctx = document_ctx();
    assert_int_equal(pf_fix_buffer(ctx, jpg, len, "small.jpg", &out, &out_len,
                                   &format, &report), PF_OK);
    assert_true(report.has_output);
    int cropped = 0, straightened = 0;
    for (int i = 0; i < report.n_actions; i++) {
        cropped |= strstr(report.actions[i], "cropped to the document") != NULL;
        straightened |= strstr(report.actions[i], "straightened") != NULL;
    }
    assert_true(cropped);
    assert_true(straightened);
    /* Never below the minimum, and the card now fills most of it. */
    uint32_t lng = report.output.width > report.output.height ? report.output.width
                                                              : report.output.height;
    uint32_t shrt = report.output.width ^ report.output.height ^ lng;
    assert_true(lng >= 1500 && shrt >= 1100);
    assert_true(report.output.document.found);
    assert_true(report.output.document.fill >= 0.5);
    assert_true(fabs(report.output.document.tilt) < 1.5);
    free(out);
    /* --no-crop keeps the picture's 4:3. */
    pf_options o = *pf_ctx_options(ctx);
    o.no_crop = 1;
    assert_int_equal(pf_ctx_set_options(ctx, &o), PF_OK);
    out = NULL;
    assert_int_equal(pf_fix_buffer(ctx, jpg, len, "small.jpg", &out, &out_len,
                                   &format, &report), PF_OK);
    assert_int_equal(report.output.width * 3, report.output.height * 4);
    for (int i = 0; i < report.n_actions; i++)
        assert_null(strstr(report.actions[i], "cropped"));
    free(out);
    /* A picture too small to crop and still meet 1500 x 1100 is kept whole. */
    o.no_crop = 0;
    assert_int_equal(pf_ctx_set_options(ctx, &o), PF_OK);
    free(jpg);
    card_corners(450, 380, 500, -6, q);
    jpg = scene_jpeg(960, 720, q, 0, &len);
    out = NULL;
    assert_int_equal(pf_fix_buffer(ctx, jpg, len, "far.jpg", &out, &out_len,
                                   &format, &report), PF_OK);
    assert_non_null(strstr(report.actions[0], "kept the whole picture: cropped "
                           "to the document it would be under 1500\xC3\x97" "1100"));
    assert_int_equal(report.output.width * 3, report.output.height * 4);
    free(out);
    free(jpg);
    pf_ctx_free(ctx);
}

/* Limits and rules from the command line; the JSON carries the measures. */
static void test_cli_flags_and_json(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp(), *out = NULL, path[512];
    double q[4][2];
    size_t len;
    card_corners(800, 600, 1000, 0, q);
    uint8_t *jpg = scene_jpeg(1600, 1200, q, 0, &len);
    snprintf(path, sizeof path, "%s/card.jpg", dir);
    assert_int_equal(tu_write(path, jpg, len), 0);
    static const char *const bad[] = {
        "--min-sharpness abc", "--min-sharpness -1", "--max-glare 2",
        "--max-glare 0.05,0.1", "--min-brightness 90,80", "--skip colour",
        "--check focus", "--min-fill 0.5,0.4"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(tu_runf(&out, "%s check %s '%s' 2>&1", tu_pf_bin(), bad[i],
                                 path), 2);
        free(out);
    }
    assert_int_equal(tu_runf(&out, "%s check --json --max-bytes 0 '%s'", tu_pf_bin(),
                             path), 0);
    assert_non_null(strstr(out, "\"document\":{\"found\":true"));
    assert_non_null(strstr(out, "\"name\":\"sharpness\""));
    assert_non_null(strstr(out, "\"image_checks\":[\"document-complete\",\"document-fill\","
                                "\"sharpness\",\"glare\",\"exposure\"]"));
    free(out);
    assert_int_equal(tu_runf(&out, "%s check --json --max-bytes 0 --skip sharpness "
                             "--min-brightness 250 '%s'", tu_pf_bin(), path), 1);
    assert_null(strstr(out, "\"name\":\"sharpness\""));
    assert_non_null(strstr(out, "\"min_brightness\":250"));
    assert_non_null(strstr(out, "too dark to read"));
    free(out);
    assert_int_equal(tu_runf(&out, "%s check --profile face --check glare --json "
                             "'%s'", tu_pf_bin(), path), 1);
    assert_non_null(strstr(out, "\"name\":\"glare\""));
    free(out);
    free(jpg);
    tu_rm_rf(dir);
    free(dir);
}

/* The README's pictures (testdata/checks, made by `make examples`) get the
 * verdicts the README shows. */
static void test_readme_pictures(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        pf_check_id id;
        pf_check_status status;
    } cases[] = {
        {"card-good", PF_CHECK_DOCUMENT_COMPLETE, PF_PASS},
        {"card-good", PF_CHECK_DOCUMENT_FILL, PF_PASS},
        {"card-good", PF_CHECK_SHARPNESS, PF_PASS},
        {"card-good", PF_CHECK_GLARE, PF_PASS},
        {"card-good", PF_CHECK_EXPOSURE, PF_PASS},
        {"card-cut", PF_CHECK_DOCUMENT_COMPLETE, PF_FAIL},
        {"card-blurred", PF_CHECK_SHARPNESS, PF_FAIL},
        {"card-blurred", PF_CHECK_DOCUMENT_COMPLETE, PF_PASS},
        {"card-glare", PF_CHECK_GLARE, PF_FAIL},
        {"card-glare", PF_CHECK_SHARPNESS, PF_PASS},
        {"card-dark", PF_CHECK_EXPOSURE, PF_FAIL},
        {"card-washed-out", PF_CHECK_EXPOSURE, PF_FAIL},
        /* A grain line of the table is taken for the small card's top side;
         * that quadrilateral does not stand out, so it is neither judged
         * for fill nor cropped to (README: what the checks cannot see). */
        {"card-small", PF_CHECK_DOCUMENT_COMPLETE, PF_PASS},
        {"card-small", PF_CHECK_SHARPNESS, PF_PASS},
        {"card-far", PF_CHECK_DOCUMENT_FILL, PF_WARN},
        {"card-far", PF_CHECK_DOCUMENT_COMPLETE, PF_PASS},
    };
    const char *dir = getenv("PF_TESTDATA");
    pf_ctx *ctx = document_ctx();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/checks/%s.jpg", dir ? dir : "testdata",
                 cases[i].file);
        assert_int_equal(pf_check_file(ctx, path, &report), PF_OK);
        if (status_of(cases[i].id) != (int)cases[i].status)
            fail_msg("%s: %s is %d, expected %d", cases[i].file,
                     pf_check_name(cases[i].id), status_of(cases[i].id),
                     (int)cases[i].status);
    }
    pf_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_profiles_and_limits),
        cmocka_unit_test(test_whole_card_passes),
        cmocka_unit_test(test_cut_card_fails_naming_side),
        cmocka_unit_test(test_blurred_card_fails_sharpness),
        cmocka_unit_test(test_fix_crops_and_straightens),
        cmocka_unit_test(test_cli_flags_and_json),
        cmocka_unit_test(test_readme_pictures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
