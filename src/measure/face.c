/* pf_detect_faces: frontal faces in an upright picture, through dlib's HOG
 * detector (face_detect.cc). The picture is shrunk to grey at a fixed
 * working size first: faces in ID and face-check photos are large, the
 * detector's cost grows with the pixels, and its answers then do not
 * depend on the file's resolution. Boxes come back in the picture's
 * pixels, largest first; a box may reach past the picture's edge when the
 * face is cut by it. */
#include "face.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* n / d rounded down for n * d < 2^40 (d < 2^16, n < 2^24 here): one
 * multiply instead of a division per output pixel (the division was most
 * of this function's time). m = floor(2^40 / d) + 1 exceeds 2^40 / d by at
 * most 1, so n * m / 2^40 exceeds n / d by less than n / 2^40 < 1 / d, too
 * little to reach the next integer. */
static uint64_t reciprocal(uint64_t d)
{
    return ((uint64_t)1 << 40) / d + 1;
}

/* The mean of a block of cols[x0, x1) summed over rows luma rows. */
static uint8_t block_mean(const uint32_t *cols, uint32_t x0, uint32_t x1,
                          uint64_t count, uint64_t recip)
{
    uint64_t sum = 0;
    for (uint32_t x = x0; x < x1; x++)
        sum += cols[x];
    sum += count / 2;
    return (uint8_t)(recip ? (sum * recip) >> 40 : sum / count);
}

/* BT.601 luma of an RGB pixel, to whole levels. */
static inline uint32_t luma(const uint8_t *p)
{
    return (77u * p[0] + 150u * p[1] + 29u * p[2] + 128u) >> 8;
}

/* Sums the luma of rows [y0, y1) of bmp into cols (one per pixel column). */
static void sum_luma_rows(const pf_bitmap *bmp, uint32_t y0, uint32_t y1,
                          uint32_t *cols)
{
    uint32_t w = bmp->width;
    memset(cols, 0, w * sizeof *cols);
    for (uint32_t y = y0; y < y1; y++) {
        const uint8_t *p = bmp->rgb + (size_t)y * w * 3;
        for (uint32_t x = 0; x < w; x++, p += 3)
            cols[x] += luma(p);
    }
}

/* Output rows [oy0, oy1) of the grey copy (see pf_face_grey); cols holds
 * one sum per pixel column. */
typedef struct {
    const pf_bitmap *bmp;
    uint32_t out_w, out_h, oy0, oy1;
    uint8_t *grey;
    uint32_t *cols;
} grey_part;

/* Rows [oy0, oy1) at the picture's own size: each pixel's luma, the
 * mean of a one-pixel block (the usual case for a web portrait). */
static void luma_rows(const grey_part *g)
{
    uint32_t w = g->bmp->width;
    for (uint32_t y = g->oy0; y < g->oy1; y++) {
        const uint8_t *p = g->bmp->rgb + (size_t)y * w * 3;
        uint8_t *out = g->grey + (size_t)y * w;
        for (uint32_t x = 0; x < w; x++, p += 3)
            out[x] = (uint8_t)luma(p);
    }
}

static void *grey_rows(void *arg)
{
    const grey_part *g = arg;
    uint32_t w = g->bmp->width, h = g->bmp->height, bw = w / g->out_w;
    if (g->out_w == w && g->out_h == h) {
        luma_rows(g);
        return NULL;
    }
    /* Area average: output pixel (ox, oy) is the mean luma of the source
     * block [ox*w/out_w, (ox+1)*w/out_w) x [oy*h/out_h, ...), every block
     * at least one pixel since out <= in; a block is bw or bw + 1 wide. */
    for (uint32_t oy = g->oy0; oy < g->oy1; oy++) {
        uint32_t y0 = (uint32_t)((uint64_t)oy * h / g->out_h);
        uint32_t y1 = (uint32_t)((uint64_t)(oy + 1) * h / g->out_h);
        uint64_t narrow = (uint64_t)bw * (y1 - y0), wide = narrow + (y1 - y0);
        uint64_t r_narrow = wide < 65536 ? reciprocal(narrow) : 0;
        uint64_t r_wide = wide < 65536 ? reciprocal(wide) : 0;
        sum_luma_rows(g->bmp, y0, y1, g->cols);
        for (uint32_t ox = 0; ox < g->out_w; ox++) {
            uint32_t x0 = (uint32_t)((uint64_t)ox * w / g->out_w);
            uint32_t x1 = (uint32_t)((uint64_t)(ox + 1) * w / g->out_w);
            int is_wide = x1 - x0 > bw;
            g->grey[(size_t)oy * g->out_w + ox] =
                block_mean(g->cols, x0, x1, is_wide ? wide : narrow,
                           is_wide ? r_wide : r_narrow);
        }
    }
    return NULL;
}

pf_status pf_face_grey_threads(const pf_bitmap *bmp, uint32_t out_w, uint32_t out_h,
                               int threads, uint8_t **out)
{
    uint32_t w = bmp->width, h = bmp->height;
    *out = NULL;
    if (!bmp->rgb || w == 0 || h == 0 || out_w == 0 || out_h == 0 ||
        out_w > w || out_h > h)
        return PF_ERR_INVALID_ARG;
    uint64_t bytes;
    if (!pf_mul3(out_w, out_h, 1, &bytes) || bytes > SIZE_MAX)
        return PF_ERR_TOO_LARGE;
    uint8_t *grey = malloc((size_t)bytes);
    /* One row of column sums per part (<= 255 * rows per block each). */
    uint32_t *cols = malloc(2 * (size_t)w * sizeof *cols);
    pf_status st = grey && cols ? PF_OK : PF_ERR_NOMEM;
    if (st != PF_OK)
        goto cleanup;
    /* Two parts on two threads when asked (and the thread starts). */
    uint32_t half = threads >= 2 && out_h >= 64 ? out_h / 2 : out_h;
    grey_part top = {bmp, out_w, out_h, 0, half, grey, cols};
    grey_part bottom = {bmp, out_w, out_h, half, out_h, grey, cols + w};
    pthread_t thread;
    int forked = half < out_h && pthread_create(&thread, NULL, grey_rows, &bottom) == 0;
    grey_rows(&top);
    if (forked)
        pthread_join(thread, NULL);
    else
        grey_rows(&bottom);
    *out = grey;
    grey = NULL;
cleanup:
    free(grey);
    free(cols);
    return st;
}

pf_status pf_face_grey(const pf_bitmap *bmp, uint32_t out_w, uint32_t out_h,
                       uint8_t **out)
{
    return pf_face_grey_threads(bmp, out_w, out_h, 1, out);
}

static int larger_first(const void *a, const void *b)
{
    const pf_face_box *fa = a, *fb = b;
    double sa = fa->w * fa->h, sb = fb->w * fb->h;
    return sa > sb ? -1 : sa < sb ? 1 : 0;
}

/* task (may be NULL): see pf_face_detect_grey_while. */
typedef struct {
    void (*run)(void *);
    void *arg;
} side_task;

static pf_status detect(const pf_bitmap *bmp, uint32_t work_long,
                        uint32_t work_high, uint32_t upsample_below, double min_score,
                        int threads, side_task task, pf_face_box *faces, int max, int *n,
                        char err[PF_ERR_LEN])
{
    pf_face_raw raw[PF_MAX_FACES];
    char why[PF_ERR_LEN] = "";
    if (n)
        *n = 0;
    if (!bmp || !bmp->rgb || bmp->width == 0 || bmp->height == 0 || !n ||
        max < 0 || (max > 0 && !faces) || work_long < 16 || work_long > 4096 ||
        work_high < 16 || work_high > work_long) {
        pf_set_message(err, PF_ERR_LEN, "face detection: no image");
        return PF_ERR_INVALID_ARG;
    }
    uint32_t w = bmp->width, h = bmp->height, lng = w > h ? w : h;
    uint32_t ow = w, oh = h;
    /* The smaller of the two scales: long side work_long, height
     * work_high (faces are judged by their share of the height). */
    uint64_t num = work_long, den = lng;
    if ((uint64_t)work_high * lng < (uint64_t)work_long * h)
        num = work_high, den = h;
    if (num < den) {
        ow = (uint32_t)(((uint64_t)w * num + den / 2) / den);
        oh = (uint32_t)(((uint64_t)h * num + den / 2) / den);
        ow = ow ? ow : 1;
        oh = oh ? oh : 1;
    }
    /* Upsampled, the copy's long side is at most 2 * upsample_below. */
    int upsample = lng <= upsample_below && 2 * (uint64_t)upsample_below <= work_long;
    uint8_t *grey = NULL;
    pf_status st = pf_face_grey_threads(bmp, ow, oh, threads, &grey);
    if (st != PF_OK) {
        pf_set_message(err, PF_ERR_LEN, "face detection: %s",
                       st == PF_ERR_NOMEM ? "out of memory" : "bad image");
        return st;
    }
    int found = 0, cap = max < PF_MAX_FACES ? max : PF_MAX_FACES;
    int rc = pf_face_detect_grey_while(grey, (int)ow, (int)oh, ow, upsample, min_score,
                                       threads, task.run, task.arg, raw, cap, &found, why,
                                       sizeof why);
    free(grey);
    if (rc != PF_FACE_OK) {
        pf_set_message(err, PF_ERR_LEN, "%s", why);
        return rc == PF_FACE_ENOMEM ? PF_ERR_NOMEM
             : rc == PF_FACE_EINVAL ? PF_ERR_INVALID_ARG : PF_ERR_INTERNAL;
    }
    double fx = (double)w / ow, fy = (double)h / oh;
    for (int i = 0; i < found; i++) {
        faces[i].x = raw[i].x * fx;
        faces[i].y = raw[i].y * fy;
        faces[i].w = raw[i].w * fx;
        faces[i].h = raw[i].h * fy;
        faces[i].score = raw[i].score;
    }
    if (found > 1)
        qsort(faces, (size_t)found, sizeof *faces, larger_first);
    *n = found;
    return PF_OK;
}

pf_status pf_detect_faces_with(const pf_bitmap *bmp, uint32_t work_long,
                               uint32_t work_high, uint32_t upsample_below,
                               double min_score, pf_face_box *faces, int max,
                               int *n, char err[PF_ERR_LEN])
{
    side_task none = {NULL, NULL};
    return detect(bmp, work_long, work_high, upsample_below, min_score, PF_FACE_THREADS,
                  none, faces, max, n, err);
}

pf_status pf_detect_faces_while(const pf_bitmap *bmp, int threads,
                                void (*task)(void *), void *task_arg,
                                pf_face_box *faces, int max, int *n,
                                char err[PF_ERR_LEN])
{
    side_task side = {task, task_arg};
    return detect(bmp, PF_FACE_WORK_LONG, PF_FACE_WORK_HIGH, PF_FACE_UPSAMPLE_BELOW,
                  PF_FACE_MIN_SCORE, threads, side, faces, max, n, err);
}

pf_status pf_detect_faces_threads(const pf_bitmap *bmp, int threads,
                                  pf_face_box *faces, int max, int *n,
                                  char err[PF_ERR_LEN])
{
    return pf_detect_faces_while(bmp, threads, NULL, NULL, faces, max, n, err);
}

pf_status pf_detect_faces(const pf_bitmap *bmp, pf_face_box *faces, int max,
                          int *n, char err[PF_ERR_LEN])
{
    return pf_detect_faces_threads(bmp, PF_FACE_THREADS, faces, max, n, err);
}
