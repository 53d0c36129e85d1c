/* The face detector: pf_detect_faces (face.c) and dlib behind
 * pf_face_detect_grey (face_detect.cc), each answer the same on one
 * thread as on two. No face in blank, gradient and noise pictures; with
 * the shared corpus (skipped cleanly without it): one face found around a
 * real portrait's face, boxes mapped back to the picture's pixels (a 2x
 * copy gives a box 2x as large), two faces largest first, the same answers
 * from two threads at once; bad requests end in a clean error, never a
 * crash or an exception. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "measure/face.h"
#include "testutil.h"

/* A portrait labelled one frontal face in corpus/people/labels.tsv. */
#define FACE_FILE "faces/lisa-cc0/lisa1.jpg"

static const char *corpus_dir(void)
{
    const char *c = getenv("PF_CORPUS");
    return c && *c ? c : "../shared/corpus";
}

/* The corpus portrait, upright, its long side shrunk to max_long (0: as
 * stored); 0 when the corpus is absent. */
static int load_face(uint32_t max_long, pf_bitmap *out)
{
    char path[PF_PATH_LEN];
    uint8_t *data = NULL;
    size_t len = 0;
    char err[PF_ERR_LEN];
    pf_decoded dec;
    memset(&dec, 0, sizeof dec);
    memset(out, 0, sizeof *out);
    snprintf(path, sizeof path, "%s/%s", corpus_dir(), FACE_FILE);
    if (pf_read_file(path, 64u << 20, &data, &len) != PF_OK)
        return 0;
    assert_int_equal(pf_jpeg_decode(data, len, 0, 8, &dec, err), PF_OK);
    free(data);
    assert_int_equal(pf_orient_apply(&dec.bmp, dec.exif_orientation), PF_OK);
    uint32_t w = dec.bmp.width, h = dec.bmp.height, lng = w > h ? w : h;
    if (max_long && lng > max_long) {
        assert_int_equal(pf_resize(&dec.bmp, (uint32_t)((uint64_t)w * max_long / lng),
                                   (uint32_t)((uint64_t)h * max_long / lng), out),
                         PF_OK);
    } else {
        *out = dec.bmp;
        memset(&dec.bmp, 0, sizeof dec.bmp);
    }
    pf_decoded_free(&dec);
    return 1;
}

/* pf_detect_faces, checked against the scan on one thread: the pyramid
 * split over two threads must find exactly the same boxes. */
static int detect(const pf_bitmap *bmp, pf_face_box *faces)
{
    char err[PF_ERR_LEN] = "";
    pf_face_box one[PF_MAX_FACES];
    int n = -1, n1 = -1;
    assert_int_equal(pf_detect_faces(bmp, faces, PF_MAX_FACES, &n, err), PF_OK);
    assert_in_range(n, 0, PF_MAX_FACES);
    assert_int_equal(pf_detect_faces_threads(bmp, 1, one, PF_MAX_FACES, &n1, err), PF_OK);
    assert_int_equal(n1, n);
    for (int i = 0; i < n; i++) {
        assert_true(one[i].x == faces[i].x && one[i].y == faces[i].y);
        assert_true(one[i].w == faces[i].w && one[i].h == faces[i].h);
        assert_true(one[i].score == faces[i].score);
    }
    return n;
}

static void test_no_face_in_plain_pictures(void **state)
{
    (void)state;
    pf_bitmap bmp;
    pf_face_box faces[PF_MAX_FACES];
    /* White, a gradient, photo-like noise, small (upsampled) and large. */
    assert_int_equal(pf_bitmap_alloc(&bmp, 1200, 900), PF_OK);
    memset(bmp.rgb, 255, (size_t)1200 * 900 * 3);
    assert_int_equal(detect(&bmp, faces), 0);
    for (uint32_t y = 0; y < 900; y++)
        for (uint32_t x = 0; x < 1200; x++) {
            uint8_t *p = bmp.rgb + ((size_t)y * 1200 + x) * 3;
            p[0] = (uint8_t)(x * 255 / 1199), p[1] = (uint8_t)(y * 255 / 899), p[2] = 128;
        }
    assert_int_equal(detect(&bmp, faces), 0);
    pf_bitmap_free(&bmp);

    uint8_t *rgb = tu_make_rgb(200, 150, TU_PATTERN_COLOR, 7);
    assert_non_null(rgb);
    bmp.width = 200, bmp.height = 150, bmp.rgb = rgb;
    assert_int_equal(detect(&bmp, faces), 0);
    free(rgb);

    /* A one-pixel picture and a one-pixel-high strip. */
    assert_int_equal(pf_bitmap_alloc(&bmp, 1, 1), PF_OK);
    assert_int_equal(detect(&bmp, faces), 0);
    pf_bitmap_free(&bmp);
    assert_int_equal(pf_bitmap_alloc(&bmp, 3000, 1), PF_OK);
    assert_int_equal(detect(&bmp, faces), 0);
    pf_bitmap_free(&bmp);
}

static void test_face_found_in_portrait(void **state)
{
    (void)state;
    pf_bitmap bmp;
    pf_face_box faces[PF_MAX_FACES];
    if (!load_face(0, &bmp))
        skip();
    assert_int_equal(detect(&bmp, faces), 1);
    const pf_face_box *f = &faces[0];
    /* Around the face: inside the picture (with slack for dlib's box),
     * a sensible size, square-ish, centred in the upper two thirds. */
    double cx = f->x + f->w / 2, cy = f->y + f->h / 2;
    assert_true(f->x > -0.05 * bmp.width && f->y > -0.05 * bmp.height);
    assert_true(f->x + f->w < 1.05 * bmp.width && f->y + f->h < 1.05 * bmp.height);
    assert_true(f->h > 0.1 * bmp.height && f->h < 0.9 * bmp.height);
    assert_true(f->w > 0.7 * f->h && f->w < 1.4 * f->h);
    assert_true(cx > 0.2 * bmp.width && cx < 0.8 * bmp.width);
    assert_true(cy > 0.1 * bmp.height && cy < 0.75 * bmp.height);
    assert_true(f->score > PF_FACE_MIN_SCORE - 1e-9);
    pf_bitmap_free(&bmp);
}

/* The same portrait at 300 px and at 600 px (above and below the
 * upsampling bound, so dlib sees it at different scales): the box of the
 * larger is about twice the smaller's, in each picture's own pixels. */
static void test_boxes_in_picture_pixels(void **state)
{
    (void)state;
    pf_bitmap small, big;
    pf_face_box fs[PF_MAX_FACES], fb[PF_MAX_FACES];
    if (!load_face(300, &small))
        skip();
    assert_int_equal(pf_resize(&small, small.width * 2, small.height * 2, &big), PF_OK);
    assert_int_equal(detect(&small, fs), 1);
    assert_int_equal(detect(&big, fb), 1);
    double k = fb[0].h / fs[0].h;
    assert_true(k > 1.7 && k < 2.3);
    double dx = (fb[0].x + fb[0].w / 2) - 2 * (fs[0].x + fs[0].w / 2);
    double dy = (fb[0].y + fb[0].h / 2) - 2 * (fs[0].y + fs[0].h / 2);
    assert_true(fabs(dx) < 0.2 * fb[0].w && fabs(dy) < 0.2 * fb[0].h);
    /* A copy ten times larger than the working size: still in its pixels. */
    pf_bitmap huge;
    assert_int_equal(pf_resize(&small, small.width * 10, small.height * 10, &huge), PF_OK);
    assert_int_equal(detect(&huge, fb), 1);
    k = fb[0].h / fs[0].h;
    assert_true(k > 8.5 && k < 11.5);
    pf_bitmap_free(&huge);
    pf_bitmap_free(&small);
    pf_bitmap_free(&big);
}

/* The portrait at full height beside a half-height copy on white: two
 * faces, the larger first; max = 1 keeps only the larger. */
static void test_two_faces_largest_first(void **state)
{
    (void)state;
    pf_bitmap a, b, both;
    pf_face_box faces[PF_MAX_FACES];
    if (!load_face(500, &a))
        skip();
    assert_int_equal(pf_resize(&a, a.width / 2, a.height / 2, &b), PF_OK);
    assert_int_equal(pf_bitmap_alloc(&both, a.width + b.width, a.height), PF_OK);
    memset(both.rgb, 255, (size_t)both.width * both.height * 3);
    for (uint32_t y = 0; y < a.height; y++)
        memcpy(both.rgb + (size_t)y * both.width * 3, a.rgb + (size_t)y * a.width * 3,
               (size_t)a.width * 3);
    for (uint32_t y = 0; y < b.height; y++)
        memcpy(both.rgb + ((size_t)y * both.width + a.width) * 3,
               b.rgb + (size_t)y * b.width * 3, (size_t)b.width * 3);
    assert_int_equal(detect(&both, faces), 2);
    assert_true(faces[0].h > faces[1].h * 1.5);
    assert_true(faces[0].x + faces[0].w / 2 < a.width);
    assert_true(faces[1].x + faces[1].w / 2 > a.width);
    char err[PF_ERR_LEN];
    int n = -1;
    assert_int_equal(pf_detect_faces(&both, faces, 1, &n, err), PF_OK);
    assert_int_equal(n, 1);
    assert_true(faces[0].x + faces[0].w / 2 < a.width);
    assert_int_equal(pf_detect_faces(&both, faces, 0, &n, err), PF_OK);
    assert_int_equal(n, 0);
    pf_bitmap_free(&a);
    pf_bitmap_free(&b);
    pf_bitmap_free(&both);
}

typedef struct {
    const pf_bitmap *bmp;
    pf_face_box faces[PF_MAX_FACES];
    int n;
    pf_status st;
} thread_job;

static void *run_job(void *arg)
{
    thread_job *j = arg;
    char err[PF_ERR_LEN];
    j->st = pf_detect_faces(j->bmp, j->faces, PF_MAX_FACES, &j->n, err);
    return NULL;
}

/* Two threads at once (the detector is shared only as a prototype each
 * call copies): the same box as one thread alone. */
static void test_threads_agree(void **state)
{
    (void)state;
    pf_bitmap bmp;
    pf_face_box alone[PF_MAX_FACES];
    if (!load_face(400, &bmp))
        skip();
    assert_int_equal(detect(&bmp, alone), 1);
    thread_job jobs[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].bmp = &bmp;
        assert_int_equal(pthread_create(&th[i], NULL, run_job, &jobs[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(jobs[i].st, PF_OK);
        assert_int_equal(jobs[i].n, 1);
        assert_true(fabs(jobs[i].faces[0].x - alone[0].x) < 1e-9);
        assert_true(fabs(jobs[i].faces[0].h - alone[0].h) < 1e-9);
    }
    pf_bitmap_free(&bmp);
}

/* Requests dlib must never see: a clean error code and message. */
static void test_bad_requests(void **state)
{
    (void)state;
    pf_face_box faces[4];
    pf_face_raw raw[4];
    char err[PF_ERR_LEN];
    int n = 7;
    uint8_t grey[64];
    memset(grey, 128, sizeof grey);

    pf_bitmap empty = {0, 0, NULL};
    err[0] = '\0';
    assert_int_equal(pf_detect_faces(&empty, faces, 4, &n, err), PF_ERR_INVALID_ARG);
    assert_int_equal(n, 0);
    assert_true(err[0] != '\0');
    pf_bitmap no_pixels = {100, 100, NULL};
    assert_int_equal(pf_detect_faces(&no_pixels, faces, 4, &n, err), PF_ERR_INVALID_ARG);
    assert_int_equal(pf_detect_faces(NULL, faces, 4, &n, err), PF_ERR_INVALID_ARG);
    pf_bitmap one;
    assert_int_equal(pf_bitmap_alloc(&one, 8, 8), PF_OK);
    assert_int_equal(pf_detect_faces(&one, NULL, 4, &n, err), PF_ERR_INVALID_ARG);
    assert_int_equal(pf_detect_faces(&one, faces, -1, &n, err), PF_ERR_INVALID_ARG);
    pf_bitmap_free(&one);

    /* The C++ side: 0 x 0, a huge request, a short stride, a bad
     * upsampling count, no output. */
    static const struct { int w, h; size_t stride; int up; } bad[] = {
        {0, 0, 0, 0}, {8, 0, 8, 0}, {-8, 8, 8, 0}, {1 << 20, 1 << 20, 1u << 20, 0},
        {100000, 8, 100000, 0}, {8, 8, 4, 0}, {8, 8, 8, 2}, {8, 8, 8, -1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        n = 7;
        assert_int_equal(pf_face_detect_grey(grey, bad[i].w, bad[i].h, bad[i].stride,
                                             bad[i].up, 0.0, 1, raw, 4, &n, err, sizeof err),
                         PF_FACE_EINVAL);
        assert_int_equal(n, 0);
        assert_non_null(strstr(err, "face detector"));
    }
    assert_int_equal(pf_face_detect_grey(NULL, 8, 8, 8, 0, 0.0, 1, raw, 4, &n, err, sizeof err),
                     PF_FACE_EINVAL);
    assert_int_equal(pf_face_detect_grey(grey, 8, 8, 8, 0, 0.0, 1, NULL, 4, &n, err, sizeof err),
                     PF_FACE_EINVAL);
    /* err may be NULL. */
    assert_int_equal(pf_face_detect_grey(grey, 0, 0, 0, 0, 0.0, 1, raw, 4, &n, NULL, 0),
                     PF_FACE_EINVAL);
    /* A tiny valid image (smaller than dlib's 80 px window), with and
     * without upsampling: no face, no error. */
    assert_int_equal(pf_face_detect_grey(grey, 8, 8, 8, 1, 0.0, 1, raw, 4, &n, err, sizeof err),
                     PF_FACE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(pf_face_detect_grey(grey, 1, 1, 1, 0, -5.0, 1, raw, 4, &n, err, sizeof err),
                     PF_FACE_OK);
    assert_int_equal(n, 0);
}

/* A w x h picture of random bytes. */
static void noise_bitmap(pf_bitmap *bmp, uint32_t w, uint32_t h, uint32_t seed)
{
    assert_int_equal(pf_bitmap_alloc(bmp, w, h), PF_OK);
    for (size_t i = 0; i < (size_t)w * h * 3; i++) {
        seed = seed * 1103515245u + 12345u;
        bmp->rgb[i] = (uint8_t)(seed >> 24);
    }
}

/* The grey working copy: area averages, exact on blocks. */
/* Two threads make the very bytes one does, blocks of uneven sizes and
 * all (a 1001 x 707 picture into 333 x 250). */
static void test_grey_copy_threads(void **state)
{
    (void)state;
    pf_bitmap bmp;
    uint8_t *one = NULL, *two = NULL;
    noise_bitmap(&bmp, 1001, 707, 12345);
    assert_int_equal(pf_face_grey_threads(&bmp, 333, 250, 1, &one), PF_OK);
    assert_int_equal(pf_face_grey_threads(&bmp, 333, 250, 2, &two), PF_OK);
    assert_memory_equal(one, two, 333 * 250);
    free(one);
    free(two);
    pf_bitmap_free(&bmp);
}

static void test_grey_copy(void **state)
{
    (void)state;
    pf_bitmap bmp;
    uint8_t *grey = NULL;
    assert_int_equal(pf_bitmap_alloc(&bmp, 4, 2), PF_OK);
    for (int i = 0; i < 8; i++) {
        uint8_t v = (uint8_t)((i % 4) < 2 ? 0 : 200);
        memset(bmp.rgb + i * 3, v, 3);
    }
    assert_int_equal(pf_face_grey(&bmp, 2, 1, &grey), PF_OK);
    assert_int_equal(grey[0], 0);
    assert_int_equal(grey[1], 200);
    free(grey);
    assert_int_equal(pf_face_grey(&bmp, 1, 1, &grey), PF_OK);
    assert_int_equal(grey[0], 100);
    free(grey);
    assert_int_equal(pf_face_grey(&bmp, 8, 1, &grey), PF_ERR_INVALID_ARG);
    assert_null(grey);
    pf_bitmap_free(&bmp);
}

/* At the picture's own size the grey copy is each pixel's luma. */
static void test_grey_copy_same_size(void **state)
{
    (void)state;
    pf_bitmap bmp;
    uint8_t *grey = NULL;
    noise_bitmap(&bmp, 37, 23, 777);
    assert_int_equal(pf_face_grey_threads(&bmp, 37, 23, 2, &grey), PF_OK);
    for (size_t i = 0; i < (size_t)37 * 23; i++) {
        const uint8_t *p = bmp.rgb + i * 3;
        assert_int_equal(grey[i], (77u * p[0] + 150u * p[1] + 29u * p[2] + 128u) >> 8);
    }
    free(grey);
    pf_bitmap_free(&bmp);
}

/* face_detect.cc's own image pyramid and HOG features are dlib's: the
 * same pyramid pixels, features within float rounding, on noise, on
 * smooth shading with hard edges, and on a real portrait when present. */
static void check_as_dlib(const uint8_t *grey, int w, int h, int min_levels)
{
    double feature_diff = -1;
    long pixel_diff = -1;
    int levels = pf_face_compare_dlib(grey, w, h, &feature_diff, &pixel_diff);
    assert_true(levels >= min_levels);
    assert_int_equal(pixel_diff, 0);
    assert_true(feature_diff >= 0 && feature_diff < 1e-5);
}

static void test_features_as_dlib(void **state)
{
    (void)state;
    const int w = 331, h = 257;
    uint8_t *grey = malloc((size_t)w * h);
    assert_non_null(grey);
    uint32_t x = 99;
    for (int i = 0; i < w * h; i++) {
        x = x * 1103515245u + 12345u;
        grey[i] = (uint8_t)(x >> 24);
    }
    check_as_dlib(grey, w, h, 10);
    for (int y = 0; y < h; y++)
        for (int c = 0; c < w; c++) {
            int inside = (c / 40 + y / 30) % 3 == 0;
            grey[y * w + c] = (uint8_t)(inside ? 20 + y / 4 : 255 - c / 2);
        }
    check_as_dlib(grey, w, h, 10);
    free(grey);
    pf_bitmap bmp;
    uint8_t *face = NULL;
    if (!load_face(800, &bmp))
        return;
    assert_int_equal(pf_face_grey(&bmp, bmp.width, bmp.height, &face), PF_OK);
    check_as_dlib(face, (int)bmp.width, (int)bmp.height, 12);
    free(face);
    pf_bitmap_free(&bmp);
}

/* The side task of pf_detect_faces_while runs exactly once, on one
 * thread or two, and changes no detection. */
static void count_call(void *arg)
{
    (*(int *)arg)++;
}

static void test_side_task_once(void **state)
{
    (void)state;
    pf_bitmap bmp;
    char err[PF_ERR_LEN];
    pf_face_box plain[PF_MAX_FACES], with[PF_MAX_FACES];
    int loaded = load_face(800, &bmp);
    if (!loaded) {
        assert_int_equal(pf_bitmap_alloc(&bmp, 200, 160), PF_OK);
        memset(bmp.rgb, 128, (size_t)200 * 160 * 3);
    }
    for (int threads = 1; threads <= 2; threads++) {
        int calls = 0, n = -1, n_with = -1;
        assert_int_equal(pf_detect_faces_threads(&bmp, threads, plain, PF_MAX_FACES, &n, err),
                         PF_OK);
        assert_int_equal(pf_detect_faces_while(&bmp, threads, count_call, &calls, with,
                                               PF_MAX_FACES, &n_with, err), PF_OK);
        assert_int_equal(calls, 1);
        assert_int_equal(n_with, n);
        assert_int_equal(n, loaded ? 1 : 0);
        for (int i = 0; i < n; i++)
            assert_true(with[i].x == plain[i].x && with[i].w == plain[i].w &&
                        with[i].score == plain[i].score);
    }
    pf_bitmap_free(&bmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_face_in_plain_pictures),
        cmocka_unit_test(test_face_found_in_portrait),
        cmocka_unit_test(test_boxes_in_picture_pixels),
        cmocka_unit_test(test_two_faces_largest_first),
        cmocka_unit_test(test_threads_agree),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_grey_copy),
        cmocka_unit_test(test_grey_copy_threads),
        cmocka_unit_test(test_grey_copy_same_size),
        cmocka_unit_test(test_features_as_dlib),
        cmocka_unit_test(test_side_task_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
