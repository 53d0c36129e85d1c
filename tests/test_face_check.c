/* The face check's verdicts on what the detector measured, the rules that
 * drive it (profile face, --check face, min-face-size), and fix's
 * head-and-shoulders framing. The detector itself: test_face.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "internal.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

static pf_report report;

static pf_image_info face_photo(int count, double y, double h)
{
    pf_image_info in;
    memset(&in, 0, sizeof in);
    in.format = PF_FORMAT_JPEG;
    in.bytes = 150000;
    in.width = 900, in.height = 1200;
    in.color_share = 20;
    in.face.measured = 1;
    in.face.count = count;
    in.face.x = 300, in.face.y = y, in.face.w = h, in.face.h = h;
    in.face.size = h / in.height;
    return in;
}

static const pf_check *judge(const pf_rules *rules, const pf_image_info *in)
{
    memset(&report, 0, sizeof report);
    pf_rules_evaluate(rules, in, &report);
    for (int i = 0; i < report.n_checks; i++)
        if (report.checks[i].id == PF_CHECK_FACE)
            return &report.checks[i];
    return NULL;
}

static void test_verdicts(void **state)
{
    (void)state;
    pf_rules r;
    assert_int_equal(pf_profile_rules("face", &r), PF_OK);
    assert_true(r.image_checks & PF_RULE_FACE);
    pf_image_info in = face_photo(1, 300, 400);
    const pf_check *c = judge(&r, &in);
    assert_non_null(c);
    assert_int_equal(c->status, PF_PASS);
    assert_string_equal(c->value, "1");
    assert_string_equal(pf_check_name(PF_CHECK_FACE), "face");
    in = face_photo(0, 0, 0);
    c = judge(&r, &in);
    assert_int_equal(c->status, PF_FAIL);
    assert_string_equal(c->message, "no face found (is the face turned away or covered?)");
    in = face_photo(2, 300, 400);
    c = judge(&r, &in);
    assert_int_equal(c->status, PF_FAIL);
    assert_string_equal(c->message, "2 faces found: the photo must show only you");
    assert_string_equal(c->value, "2");
    in = face_photo(1, 300, 400);
    in.face.cut_sides = PF_SIDE_TOP;
    c = judge(&r, &in);
    assert_int_equal(c->status, PF_FAIL);
    assert_string_equal(c->message, "the face is cut off by the top edge of the picture");
    /* Size: fails under min-face-size, warns under its warn limit. */
    in = face_photo(1, 300, r.min_face_size * 1200 - 2);
    assert_int_equal(judge(&r, &in)->status, PF_FAIL);
    in = face_photo(1, 300, (r.min_face_size + r.warn_face_size) / 2 * 1200);
    assert_int_equal(judge(&r, &in)->status, PF_WARN);
    in = face_photo(1, 300, r.warn_face_size * 1200 + 2);
    assert_int_equal(judge(&r, &in)->status, PF_PASS);
    /* fix cannot mend a face: the file is refused with what to do. */
    in = face_photo(0, 0, 0);
    judge(&r, &in);
    const pf_check *first = pf_unfixable_check(&report, 0);
    assert_non_null(first);
    assert_int_equal(first->id, PF_CHECK_FACE);
    /* Not measured (no face rule): no face check. */
    pf_profile_rules("wechat", &r);
    in = face_photo(0, 0, 0);
    assert_null(judge(&r, &in));
}

/* Focus and exposure speak of the face only when they were measured on it
 * (a face photo), not of a document checked with --check face too. */
static void test_region_named_as_measured(void **state)
{
    (void)state;
    pf_rules r;
    pf_profile_rules("face", &r);
    pf_image_info in = face_photo(1, 300, 400);
    in.document.measured = 1, in.document.sharpness = 50;
    memset(&report, 0, sizeof report);
    pf_rules_evaluate(&r, &in, &report);
    const pf_check *c = NULL;
    for (int i = 0; i < report.n_checks; i++)
        if (report.checks[i].id == PF_CHECK_SHARPNESS)
            c = &report.checks[i];
    assert_non_null(c);
    assert_non_null(strstr(c->message, "the picture is in focus"));
    in.document.on_face = 1;
    memset(&report, 0, sizeof report);
    pf_rules_evaluate(&r, &in, &report);
    for (int i = 0; i < report.n_checks; i++)
        if (report.checks[i].id == PF_CHECK_SHARPNESS)
            c = &report.checks[i];
    assert_non_null(strstr(c->message, "the face is in focus"));
}

static void test_rules(void **state)
{
    (void)state;
    pf_rules r;
    char why[PF_MSG_LEN];
    pf_profile_rules("wechat", &r);
    assert_false(r.image_checks & PF_RULE_FACE);
    assert_int_equal(pf_rules_set(&r, "check", "face", why, sizeof why), PF_OK);
    assert_true(r.image_checks & PF_RULE_FACE);
    assert_int_equal(pf_rules_validate(&r, why, sizeof why), PF_OK);
    assert_int_equal(pf_rules_set(&r, "min-face-size", "0.12,0.3", why, sizeof why), PF_OK);
    assert_true(r.min_face_size == 0.12 && r.warn_face_size == 0.3);
    assert_int_equal(pf_rules_set(&r, "min-face-size", "0.3,0.1", why, sizeof why),
                     PF_ERR_INVALID_ARG);
    assert_int_equal(pf_rules_set(&r, "min-face-size", "1.5", why, sizeof why),
                     PF_ERR_INVALID_ARG);
    assert_int_equal(pf_rules_set(&r, "skip", "face", why, sizeof why), PF_OK);
    assert_false(r.image_checks & PF_RULE_FACE);
}

/* A small face in a large frame: a portrait head-and-shoulders frame, the
 * face centred across, inside the picture; no crop for a face already
 * large, for two faces, or with --no-crop. */
static void test_head_and_shoulders(void **state)
{
    (void)state;
    pf_rules r;
    pf_options o;
    pf_crop_box box;
    pf_profile_rules("face", &r);
    pf_options_default(&o);
    pf_image_info in = face_photo(1, 1000, 300);  /* 300 px in 4000x3000 */
    in.width = 4000, in.height = 3000;
    in.face.x = 1800, in.face.size = 300.0 / 3000;
    assert_true(pf_face_crop_wanted(&r, &o, &in.face));
    assert_true(pf_face_crop_plan(&in.face, in.width, in.height, &box));
    assert_true(box.h > box.w);                       /* portrait */
    assert_true(fabs(box.cx - (1800 + 150)) < 1);     /* face centred across */
    assert_true(fabs(300 / box.h - 0.35) < 0.01);     /* face a third of it */
    assert_true(box.cy - box.h / 2 < 1000 && box.cy + box.h / 2 > 1300);
    /* Near the left edge: the frame shifts to stay inside. */
    in.face.x = 50;
    assert_true(pf_face_crop_plan(&in.face, in.width, in.height, &box));
    assert_true(box.cx - box.w / 2 >= 0);
    in.face.size = 0.4;
    assert_false(pf_face_crop_wanted(&r, &o, &in.face));
    in.face.size = 0.1, in.face.count = 2;
    assert_false(pf_face_crop_wanted(&r, &o, &in.face));
    in.face.count = 1, o.no_crop = 1;
    assert_false(pf_face_crop_wanted(&r, &o, &in.face));
}

/* A 16000x16000 face photo is refused by the pixel cap before any pixel
 * is decoded, so the detector never sees it. */
static void test_huge_photo_refused_before_detection(void **state)
{
    (void)state;
    size_t len;
    uint8_t *rgb = tu_make_rgb(64, 48, TU_PATTERN_COLOR, 1), *jpg = NULL;
    assert_int_equal(tu_jpeg(rgb, 64, 48, 3, 80, 0, NULL, 0, &jpg, &len), 0);
    /* The frame header's height and width, as a hostile file states them. */
    for (size_t i = 2; i + 8 < len; i++)
        if (jpg[i] == 0xFF && jpg[i + 1] == 0xC0) {
            jpg[i + 5] = 16000 >> 8, jpg[i + 6] = 16000 & 0xFF;
            jpg[i + 7] = 16000 >> 8, jpg[i + 8] = 16000 & 0xFF;
            break;
        }
    pf_ctx *ctx = pf_ctx_new();
    pf_rules r;
    pf_profile_rules("face", &r);
    pf_ctx_set_rules(ctx, &r);
    assert_int_equal(pf_check_buffer(ctx, jpg, len, "huge.jpg", &report),
                     PF_ERR_TOO_LARGE);
    assert_int_equal(report.input.face.measured, 0);
    pf_ctx_free(ctx);
    free(rgb);
    free(jpg);
}

/* A real portrait whose face is small in a tall frame (obama3.jpg, 13% of
 * 2333 px; it is decoded shrunk, so the box must be scaled back to the
 * file's pixels before the crop is planned): the copy is the head and
 * shoulders, and the face is found again in it. */
static void test_fix_crops_a_real_portrait(void **state)
{
    (void)state;
    const char *corpus = getenv("PF_CORPUS");
    char path[4096];
    snprintf(path, sizeof path, "%s/faces/face_recognition-examples/test_images/"
             "obama3.jpg", corpus && *corpus ? corpus : "../shared/corpus");
    size_t len = 0;
    uint8_t *data = tu_read(path, &len), *out = NULL;
    if (!data) {
        fprintf(stderr, "no corpus: real portrait not cropped\n");
        return;
    }
    pf_ctx *ctx = pf_ctx_new();
    pf_rules r;
    pf_profile_rules("face", &r);
    r.white_background = 0; /* a beige wall: this is about the framing */
    pf_ctx_set_rules(ctx, &r);
    size_t out_len = 0;
    assert_int_equal(pf_fix_buffer(ctx, data, len, "obama3.jpg", &out, &out_len,
                                   NULL, &report), PF_OK);
    assert_non_null(strstr(report.actions[0], "cropped to the head and shoulders"));
    assert_true(report.output.width < 1434 / 2 && report.output.height < 2333 / 2);
    assert_true(report.output.height > report.output.width);
    assert_int_equal(report.output.face.count, 1);
    assert_true(report.output.face.size > 0.3 && report.output.face.size < 0.4);
    free(out);
    free(data);
    pf_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_region_named_as_measured),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_head_and_shoulders),
        cmocka_unit_test(test_huge_photo_refused_before_detection),
        cmocka_unit_test(test_fix_crops_a_real_portrait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
