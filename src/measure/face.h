/* The face detector's two halves: face_detect.cc (the one C++ file: dlib's
 * HOG frontal face detector behind a C interface) and face.c
 * (pf_detect_faces: the working copy, the boxes mapped back). This header
 * is C and C++ alike; it does not include internal.h. */
#ifndef PF_MEASURE_FACE_H
#define PF_MEASURE_FACE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The working size pf_detect_faces detects at: the picture is shrunk to
 * grey so its long side is PF_FACE_WORK_LONG (never enlarged); when the
 * picture's long side is at most PF_FACE_UPSAMPLE_BELOW, dlib upsamples it
 * once (2x), so dlib never works on more than the working size. Detections
 * whose confidence is under PF_FACE_MIN_SCORE (dlib's adjust_threshold; 0
 * is dlib's own threshold) are dropped. All three were set on the tuning
 * half of make eval (tests/eval/face.c): the lowest cost (a good portrait
 * failed = 3, a fault judged as one face = 1) over 320..800 px and
 * thresholds -0.6..+0.6 was 800 px at -0.2 (cost 3; 640 px: 4, 480 px: 6,
 * 400 px: 12); upsampling small pictures never cost more. About 20 ms a
 * corpus portrait on one core, 12 ms on two (PF_FACE_THREADS). */
#define PF_FACE_WORK_LONG 800
/* ... and at most this high: faces are judged by their share of the
 * height, and 600 px still finds every face of 0.10 of it (the fail limit)
 * in make eval while scanning a 3:4 portrait on 0.56x the pixels (tuning
 * cost unchanged at 3). */
#define PF_FACE_WORK_HIGH 600
#define PF_FACE_UPSAMPLE_BELOW 400
#define PF_FACE_MIN_SCORE (-0.2)
/* Threads pf_detect_faces (and pf_detect_faces_with) scan on: dlib's
 * image pyramid in two parts of about the same cost (face_detect.cc),
 * as many as pf_options.threads gives a call by default. */
#define PF_FACE_THREADS 2
/* The smallest face found reliably (>= 90% of portraits shrunk into a
 * plain frame, make eval): a face box PF_FACE_MIN_WORK_PX high in the
 * working copy, i.e. PF_FACE_MIN_WORK_PX / PF_FACE_WORK_HIGH of the
 * picture's height when the height limit applies (portraits, 4:3
 * landscapes), of its long side / PF_FACE_WORK_LONG otherwise (x2 smaller
 * when upsampled): PF_FACE_MIN_HEIGHT_SHARE for a 3:4 portrait. */
#define PF_FACE_MIN_WORK_PX 60
#define PF_FACE_MIN_HEIGHT_SHARE 0.10

/* What face_detect.cc returns. */
typedef enum {
    PF_FACE_OK = 0,
    PF_FACE_EINVAL,   /* bad arguments (empty image, NULL, stride) */
    PF_FACE_ENOMEM,   /* std::bad_alloc */
    PF_FACE_EFAIL     /* any other exception from dlib */
} pf_face_rc;

typedef struct {
    double x, y, w, h;  /* in the grey image's pixels (may reach past it) */
    double score;       /* dlib's detection confidence above its threshold */
} pf_face_raw;

/* dlib's HOG frontal face detector on an 8-bit grey image (width x height,
 * rows stride bytes apart), upsampled upsample times (0 or 1) first,
 * keeping detections whose confidence is >= adjust_threshold (dlib's own
 * threshold is 0). threads >= 2: the image pyramid's first two levels are
 * scanned here and the rest in one more thread (about half the wall time;
 * the same detections). Up to max boxes, largest first, into boxes; *n how
 * many were written. Every C++ exception is caught here: an error code and
 * a message in err (err_len bytes, may be NULL). Thread-safe: the model is
 * unpacked once (a C++11 static, about 1 ms from the data compiled in) and
 * only read afterwards. */
int pf_face_detect_grey(const uint8_t *grey, int width, int height,
                        size_t stride, int upsample, double adjust_threshold,
                        int threads, pf_face_raw *boxes, int max, int *n, char *err,
                        size_t err_len);
/* The same, and task(task_arg) run on the calling thread once its part of
 * the scan is done, while the second thread finishes its longer part (the
 * calling thread would otherwise wait); not run if the scan fails. */
int pf_face_detect_grey_while(const uint8_t *grey, int width, int height,
                              size_t stride, int upsample, double adjust_threshold,
                              int threads, void (*task)(void *), void *task_arg,
                              pf_face_raw *boxes, int max, int *n, char *err,
                              size_t err_len);
/* For the tests: the pyramid and HOG features face_detect.cc computes
 * against dlib's own, down the pyramid of a grey picture (width bytes a
 * row): the largest feature difference and how many pyramid pixels differ.
 * Returns the levels compared, -1 on a failure or a mismatch in sizes. */
int pf_face_compare_dlib(const uint8_t *grey, int width, int height,
                         double *feature_diff, long *pixel_diff);

#ifdef __cplusplus
}
#else
#include "internal.h"

/* pf_detect_faces with its figures given (the evaluation tries others):
 * work_long, the working copy's long side; upsample_below, the picture's
 * long side up to which dlib upsamples once (0: never); min_score, dlib's
 * adjust_threshold. */
pf_status pf_detect_faces_with(const pf_bitmap *bmp, uint32_t work_long,
                               uint32_t work_high, uint32_t upsample_below,
                               double min_score, pf_face_box *faces, int max,
                               int *n, char err[PF_ERR_LEN]);

/* pf_detect_faces on at most threads threads (1: this one only); the
 * detections are the same whatever the count. */
pf_status pf_detect_faces_threads(const pf_bitmap *bmp, int threads,
                                  pf_face_box *faces, int max, int *n,
                                  char err[PF_ERR_LEN]);
/* The same, with task(task_arg) run while the second thread finishes (see
 * pf_face_detect_grey_while); not run if detection fails. */
pf_status pf_detect_faces_while(const pf_bitmap *bmp, int threads,
                                void (*task)(void *), void *task_arg,
                                pf_face_box *faces, int max, int *n,
                                char err[PF_ERR_LEN]);

/* The grey working copy (BT.601 luma, area-averaged) of bmp scaled to
 * out_w x out_h (each <= bmp's): *out malloc'ed, out_w bytes a row. */
pf_status pf_face_grey(const pf_bitmap *bmp, uint32_t out_w, uint32_t out_h,
                       uint8_t **out);
/* The same, its rows in two halves on two threads when threads >= 2 (the
 * same bytes). */
pf_status pf_face_grey_threads(const pf_bitmap *bmp, uint32_t out_w, uint32_t out_h,
                               int threads, uint8_t **out);
#endif

#endif
