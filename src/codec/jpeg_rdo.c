/* Rate-distortion-optimised quantization, and sharper 4:2:0 chroma, for
 * the budget's JPEGs.
 *
 * libjpeg rounds every coefficient to the nearest step. At the bytes a
 * budget allows, that spends bits on values barely over half a step and on
 * lone high frequencies at the end of a block. Here each block's AC
 * coefficients are chosen among round(c/q), one step nearer zero, and
 * zero, by a dynamic programme over the zigzag order that minimises
 * distortion (in units of each coefficient's own step, so the tables'
 * shape still says what matters) plus lambda times the bits of the
 * run/size Huffman symbols (the standard tables' code lengths); ending the
 * block early is one of its choices. At the same quality the file is
 * 9-15% smaller, so the budget search lands a few qualities higher.
 *
 * The colour conversion, downsampling and DCT are done once, here, for all
 * of a search's trials; libjpeg then writes the chosen coefficients
 * (jpeg_write_coefficients) with the same tables, Huffman optimisation and
 * progression as the plain encoder (jpeg_codec.c).
 *
 * libjpeg's errors longjmp back to encode_guarded(), the one setjmp of this
 * file; the job that owns all state lives in the caller's frame. */
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "jpeg_parts.h"

#define COEF_SCALE 8.0f  /* coefficients are stored as int16 in 1/8 units */
/* Lambda in squared quantization steps per bit. Over 15 photos fitted to
 * 200 KB (bench/run's, butteraugli per image against ImageMagick's):
 * luma 0.025-0.053 did best, 0.1 worse; chroma finer (0.01) than luma
 * helped, 0 did not. Tying lambda to a block's AC energy (a busy block
 * masks more error) made no difference or worse. */
#define LAMBDA_LUMA 0.035
#define LAMBDA_CHROMA 0.01
/* ...at quality LAMBDA_FULL_Q and up; below it lambda falls linearly to 0
 * (plain rounding) at LAMBDA_ZERO_Q. At the qualities a noisy photo needs
 * (20-40) the steps are coarse and a coefficient the trellis drops leaves
 * a visible hole: with the full lambda 3 of 60 noisy inputs of bench/noisy
 * scored worse than ImageMagick in butteraugli (demo_densetext_det 5.41
 * against 5.26). Of 11 noisy inputs tried, 40-60 left none worse and did
 * best (30-50 and 20-40 also none, less well); the 16 camera photos'
 * median ratio to ImageMagick unchanged. */
#define LAMBDA_FULL_Q 60.0
#define LAMBDA_ZERO_Q 40.0
#define BIG_COST 1e30
#define CHROMA_PASSES 2 /* refinements of 4:2:0 chroma (refine_half) */
/* Predecessors the trellis weighs, besides the block's start: 3 and 63
 * gave the same files to a few bytes in 450,000. */
#define MAX_BACK 8

/* Zigzag position -> natural (row-major) index: ITU T.81 figure 5. */
static const uint8_t zigzag[64] = {
    0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};

typedef struct {
    uint32_t blocks_w, blocks_h;
    int16_t *coef; /* blocks_w * blocks_h blocks of 64, zigzag, x COEF_SCALE */
} coef_plane;

struct pf_jpeg_coefs {
    uint32_t width, height;
    int full_chroma;
    coef_plane plane[3]; /* Y, Cb, Cr */
};

/* ------------------------------------------------------------------ */
/* Forward transform                                                   */

/* Four floats: half a row of a block, worked on at once (the width of
 * SSE2, the x86-64 baseline: wider vectors went through the stack). */
typedef float quad __attribute__((vector_size(16)));
typedef int32_t quad_int __attribute__((vector_size(16)));

/* The orthonormal 8-point DCT-II matrix, as JPEG defines it: m[u][x], and
 * its transpose as half rows for the vector row pass (mt[x][h] holds
 * m[4h .. 4h+3][x]). */
typedef struct {
    float m[8][8];
    quad mt[8][2];
} dct_basis;

static void dct_basis_init(dct_basis *b)
{
    for (int u = 0; u < 8; u++)
        for (int x = 0; x < 8; x++) {
            b->m[u][x] = (float)((u ? 0.5 : sqrt(0.125)) *
                                 cos((2 * x + 1) * u * M_PI / 16));
            b->mt[x][u / 4][u % 4] = b->m[u][x];
        }
}

/* Round to nearest, ties to even, as rintf in the default rounding mode:
 * adding and taking away 1.5 x 2^23 leaves no fraction bits. Inline, where
 * rintf is a libm call without SSE4.1. Exact for |v| < 2^22. */
static float round_even(float v)
{
    return (v + 12582912.0f) - 12582912.0f; /* not folded: no -ffast-math */
}

/* DCT of an 8x8 block of level-shifted samples (stride in floats). Each
 * output is summed in the same order as the textbook double loop (over x,
 * then over y), four outputs at a time: the same floats. */
static void forward_dct(const dct_basis *b, const float *src, size_t stride,
                        int16_t out[64])
{
    quad tmp[8][2], res[8][2];
    for (int y = 0; y < 8; y++) {
        const float *row = src + y * stride;
        quad lo = row[0] * b->mt[0][0], hi = row[0] * b->mt[0][1];
        for (int x = 1; x < 8; x++)
            lo += row[x] * b->mt[x][0], hi += row[x] * b->mt[x][1];
        tmp[y][0] = lo, tmp[y][1] = hi;
    }
    for (int v = 0; v < 8; v++) {
        quad lo = b->m[v][0] * tmp[0][0], hi = b->m[v][0] * tmp[0][1];
        for (int y = 1; y < 8; y++)
            lo += b->m[v][y] * tmp[y][0], hi += b->m[v][y] * tmp[y][1];
        res[v][0] = lo, res[v][1] = hi;
    }
    int32_t level[64];
    const quad big = {12582912.0f, 12582912.0f, 12582912.0f, 12582912.0f};
    for (int v = 0; v < 8; v++)
        for (int h = 0; h < 2; h++) {
            quad r = (res[v][h] * COEF_SCALE + big) - big; /* round_even */
            quad_int i = __builtin_convertvector(r, quad_int);
            memcpy(level + v * 8 + h * 4, &i, sizeof i);
        }
    for (int k = 0; k < 64; k++)
        out[k] = (int16_t)level[zigzag[k]];
}

/* One strip (rows y0.. of strip_h) as level-shifted Y, Cb, Cr planes of
 * width pad_w, edges replicated as libjpeg does (JFIF's conversion).
 * Rounded to whole levels as libjpeg's are: exact samples made smooth
 * gradients block (butteraugli 1.87 against 1.46 on a photo at the same
 * quality), the rounding noise dithering them. Chroma stops at 127, not
 * 127.5 (libjpeg's "0.5 - epsilon"): pure blue or red stays in range. */
static void row_to_ycc(const uint8_t *restrict rgb, uint32_t width,
                       float *restrict y, float *restrict cb, float *restrict cr)
{
    for (uint32_t x = 0; x < width; x++) {
        float r = rgb[3 * x], g = rgb[3 * x + 1], b = rgb[3 * x + 2];
        float u = round_even(-0.168736f * r - 0.331264f * g + 0.5f * b);
        float v = round_even(0.5f * r - 0.418688f * g - 0.081312f * b);
        y[x] = round_even(0.299f * r + 0.587f * g + 0.114f * b) - 128;
        cb[x] = u < 127 ? u : 127;
        cr[x] = v < 127 ? v : 127;
    }
}

static void strip_to_ycc(const pf_bitmap *bmp, uint32_t y0, uint32_t strip_h,
                         uint32_t pad_w, float *ycc[3])
{
    for (uint32_t y = 0; y < strip_h; y++) {
        uint32_t sy = y0 + y < bmp->height ? y0 + y : bmp->height - 1;
        size_t at = (size_t)y * pad_w;
        row_to_ycc(bmp->rgb + (size_t)sy * bmp->width * 3, bmp->width, ycc[0] + at,
                   ycc[1] + at, ycc[2] + at);
        for (int ci = 0; ci < 3; ci++) /* the padding repeats the last pixel */
            for (uint32_t x = bmp->width; x < pad_w; x++)
                ycc[ci][at + x] = ycc[ci][at + bmp->width - 1];
    }
}

/* Full-resolution chroma, kept to be halved as a whole: the refinement
 * below looks at neighbours across strip edges. */
typedef struct {
    uint8_t *full[2];  /* Cb, Cr + 128, pad_w x pad_h */
    float *half[2];    /* their halves, level-shifted, pad_w/2 x pad_h/2 */
    float *delta[2];   /* a half plane of corrections for each */
    uint32_t pad_w, pad_h;
} chroma_work;

/* 2x2 box average, as libjpeg's h2v2 downsampling (unsmoothed): to whole
 * levels, the rounding bias alternating 1, 2 along the row. */
static void halve(const uint8_t *full, uint32_t w, uint32_t h, float *half)
{
    for (uint32_t y = 0; y < h / 2; y++)
        for (uint32_t x = 0; x < w / 2; x++) {
            const uint8_t *a = full + (size_t)2 * y * w + 2 * x;
            unsigned bias = x & 1 ? 2 : 1;
            half[(size_t)y * (w / 2) + x] =
                (float)((a[0] + a[1] + a[w] + a[w + 1] + bias) >> 2) - 128;
        }
}

/* The sample a decoder's "fancy" (triangle) upsampling makes at full-size
 * (2x + dx, 2y + dy) from a cw x ch half plane of stride hw: 9/16 of the
 * nearest sample, 3/16 of each side neighbour, 1/16 of the diagonal. */
static float upsampled(const float *half, uint32_t hw, uint32_t cw, uint32_t ch,
                       uint32_t x, uint32_t y, int dx, int dy)
{
    uint32_t sx = dx ? (x + 1 < cw ? x + 1 : x) : (x ? x - 1 : 0);
    uint32_t sy = dy ? (y + 1 < ch ? y + 1 : y) : (y ? y - 1 : 0);
    const float *r0 = half + (size_t)y * hw, *r1 = half + (size_t)sy * hw;
    return (9 * r0[x] + 3 * r0[sx] + 3 * r1[x] + r1[sx]) / 16;
}

/* The box average is right for a decoder that repeats each chroma sample,
 * but decoders interpolate (libjpeg-turbo's default, browsers), which
 * blurs colour edges once more. A few passes move each half-size sample
 * by the mean error its 2x2 full-size pixels show after that
 * interpolation, so what the decoder rebuilds is closer to the full-
 * resolution chroma. */
/* The mean error of the four full-size pixels of half-size sample (x, y)
 * when all four are inside the picture: the sum of their four upsampled
 * values is (36 c + 6 sides + diagonals) / 16. */
static float mean_error(const chroma_work *cw, int ci, const float *half,
                        uint32_t hw, uint32_t cwid, uint32_t chgt, uint32_t x,
                        uint32_t y)
{
    uint32_t xl = x ? x - 1 : 0, xr = x + 1 < cwid ? x + 1 : x;
    const float *up = half + (size_t)(y ? y - 1 : 0) * hw, *row = half + (size_t)y * hw;
    const float *down = half + (size_t)(y + 1 < chgt ? y + 1 : y) * hw;
    const uint8_t *f = cw->full[ci] + (size_t)2 * y * cw->pad_w + 2 * x;
    float want = (float)(f[0] + f[1] + f[cw->pad_w] + f[cw->pad_w + 1]) - 4 * 128;
    float got = (36 * row[x] + 6 * (row[xl] + row[xr] + up[x] + down[x]) +
                 up[xl] + up[xr] + down[xl] + down[xr]) / 16;
    return (want - got) / 4;
}

/* Half-size sample (x, y)'s correction, at an edge or not. */
static float sample_error(const chroma_work *cw, int ci, const float *half, uint32_t hw,
                          uint32_t width, uint32_t height, uint32_t x, uint32_t y)
{
    uint32_t cwid = (width + 1) / 2, chgt = (height + 1) / 2;
    if (2 * x + 1 < width && 2 * y + 1 < height)
        return mean_error(cw, ci, half, hw, cwid, chgt, x, y);
    float err = 0; /* a last odd column or row */
    int n = 0;
    for (int d = 0; d < 4; d++) {
        uint32_t fx = 2 * x + (d & 1), fy = 2 * y + (d >> 1);
        if (fx >= width || fy >= height)
            continue;
        float want = (float)cw->full[ci][(size_t)fy * cw->pad_w + fx] - 128;
        err += want - upsampled(half, hw, cwid, chgt, x, y, d & 1, d >> 1);
        n++;
    }
    return err / (float)n;
}

/* mean_error for samples x0 <= x < x1 of a row y with neighbours all
 * round (the bulk of the plane): the same sums, without the edge tests. */
static void inner_errors(const chroma_work *cw, int ci, const float *half, uint32_t hw,
                         uint32_t y, uint32_t x0, uint32_t x1, float *restrict delta)
{
    const float *up = half + (size_t)(y - 1) * hw, *row = half + (size_t)y * hw;
    const float *down = half + (size_t)(y + 1) * hw;
    const uint8_t *f0 = cw->full[ci] + (size_t)2 * y * cw->pad_w, *f1 = f0 + cw->pad_w;
    for (uint32_t x = x0; x < x1; x++) {
        float want = (float)(f0[2 * x] + f0[2 * x + 1] + f1[2 * x] + f1[2 * x + 1]) - 4 * 128;
        float got = (36 * row[x] + 6 * (row[x - 1] + row[x + 1] + up[x] + down[x]) +
                     up[x - 1] + up[x + 1] + down[x - 1] + down[x + 1]) / 16;
        delta[x] = (want - got) / 4;
    }
}

static void refine_half(const chroma_work *cw, int ci, uint32_t width,
                        uint32_t height)
{
    uint32_t hw = cw->pad_w / 2, cwid = (width + 1) / 2, chgt = (height + 1) / 2;
    float *half = cw->half[ci], *delta = cw->delta[ci];
    for (int pass = 0; pass < CHROMA_PASSES; pass++) {
        for (uint32_t y = 0; y < chgt; y++) {
            float *d = delta + (size_t)y * hw;
            /* Inside: x in [1, cwid - 1) of rows with a row either side
             * and a full 2x2 below them. */
            int inner = y >= 1 && y + 1 < chgt && 2 * y + 1 < height && cwid > 2;
            uint32_t x0 = inner ? 1 : cwid, x1 = inner ? cwid - 1 : cwid;
            if (inner)
                inner_errors(cw, ci, half, hw, y, x0, x1, d);
            for (uint32_t x = 0; x < cwid; x++)
                if (x < x0 || x >= x1)
                    d[x] = sample_error(cw, ci, half, hw, width, height, x, y);
        }
        for (uint32_t y = 0; y < chgt; y++)
            for (uint32_t x = 0; x < cwid; x++) {
                float *v = half + (size_t)y * hw + x;
                *v += delta[(size_t)y * hw + x];
                *v = *v < -128 ? -128 : *v > 127 ? 127 : *v;
            }
    }
    /* The padding repeats the edge, as libjpeg pads: no step in a block. */
    for (uint32_t y = 0; y < cw->pad_h / 2; y++)
        for (uint32_t x = y < chgt ? cwid : 0; x < hw; x++)
            half[(size_t)y * hw + x] =
                half[(size_t)(y < chgt ? y : chgt - 1) * hw + (x < cwid ? x : cwid - 1)];
}

/* Keeps a strip's chroma rows (level-shifted floats) as bytes. */
static void keep_strip(chroma_work *cw, float *ycc[3], uint32_t y0, uint32_t rows)
{
    size_t n = (size_t)rows * cw->pad_w;
    for (int ci = 0; ci < 2; ci++) {
        uint8_t *restrict dst = cw->full[ci] + (size_t)y0 * cw->pad_w;
        const float *restrict src = ycc[ci + 1];
        for (size_t i = 0; i < n; i++)
            dst[i] = (uint8_t)(int)(src[i] + 128);
    }
}

/* The DCT of every block of one strip's plane (w x 8*rows samples). */
static void strip_blocks(const dct_basis *m, const float *plane, uint32_t w,
                         uint32_t rows, uint32_t first_row, coef_plane *p)
{
    for (uint32_t r = 0; r < rows && first_row + r < p->blocks_h; r++)
        for (uint32_t b = 0; b < p->blocks_w; b++)
            forward_dct(m, plane + (size_t)r * 8 * w + (size_t)b * 8, w,
                        p->coef + ((size_t)(first_row + r) * p->blocks_w + b) * 64);
}

/* One thread's share of the transform: luma (and 4:4:4 chroma) strips
 * [first, end) with its own strip buffers (compute_share), then, for
 * 4:2:0, the chroma planes in the mask `chroma` halved, refined and
 * transformed (finish_chroma). The shares write disjoint rows and planes:
 * two threads make the very coefficients one does. */
typedef struct {
    const pf_bitmap *bmp;
    pf_jpeg_coefs *c;
    chroma_work *cw;
    float *ycc[3];
    uint32_t strip_h, first, end;
    int chroma; /* 1: Cb, 2: Cr, 3: both */
} coef_share;

static void *compute_share(void *arg)
{
    coef_share *sh = arg;
    pf_jpeg_coefs *c = sh->c;
    chroma_work *cw = sh->cw;
    dct_basis m;
    uint32_t rows = sh->strip_h / 8;
    dct_basis_init(&m);
    for (uint32_t s = sh->first; s < sh->end; s++) {
        strip_to_ycc(sh->bmp, s * sh->strip_h, sh->strip_h, cw->pad_w, sh->ycc);
        strip_blocks(&m, sh->ycc[0], cw->pad_w, rows, s * rows, &c->plane[0]);
        for (int ci = 1; ci < 3 && c->full_chroma; ci++)
            strip_blocks(&m, sh->ycc[ci], cw->pad_w, rows, s * rows, &c->plane[ci]);
        if (!c->full_chroma)
            keep_strip(cw, sh->ycc, s * sh->strip_h, sh->strip_h);
    }
    return NULL;
}

static void *finish_chroma(void *arg)
{
    coef_share *sh = arg;
    dct_basis m;
    dct_basis_init(&m);
    for (int ci = 0; ci < 2; ci++) {
        if (!(sh->chroma & (1 << ci)))
            continue;
        halve(sh->cw->full[ci], sh->cw->pad_w, sh->cw->pad_h, sh->cw->half[ci]);
        refine_half(sh->cw, ci, sh->bmp->width, sh->bmp->height);
        strip_blocks(&m, sh->cw->half[ci], sh->cw->pad_w / 2,
                     sh->c->plane[ci + 1].blocks_h, 0, &sh->c->plane[ci + 1]);
    }
    return NULL;
}

/* Runs job on share[1] in a second thread (when two and it starts) while
 * this one runs it on share[0]; else both here. */
static void run_shares(void *(*job)(void *), coef_share share[2], int two)
{
    pthread_t helper;
    int forked = two && pthread_create(&helper, NULL, job, &share[1]) == 0;
    job(&share[0]);
    if (forked)
        pthread_join(helper, NULL);
    else if (two)
        job(&share[1]);
}

/* Luma (and 4:4:4 chroma) strip by strip, the strips in two shares; 4:2:0
 * chroma kept whole, then halved and refined, a plane a share. */
static void compute_coefs(const pf_bitmap *bmp, pf_jpeg_coefs *c, float *ycc[2][3],
                          uint32_t strip_h, chroma_work *cw, int threads)
{
    uint32_t strips = (bmp->height + strip_h - 1) / strip_h;
    int two = threads >= 2 && strips >= 2;
    uint32_t split = two ? strips / 2 : strips;
    coef_share share[2] = {
        {bmp, c, cw, {ycc[0][0], ycc[0][1], ycc[0][2]}, strip_h, 0, split, two ? 1 : 3},
        {bmp, c, cw, {ycc[1][0], ycc[1][1], ycc[1][2]}, strip_h, split, strips, 2}};
    run_shares(compute_share, share, two);
    if (!c->full_chroma)
        run_shares(finish_chroma, share, two);
}

static pf_status plane_alloc(coef_plane *p, uint32_t w, uint32_t h)
{
    uint64_t n;
    p->blocks_w = (w + 7) / 8, p->blocks_h = (h + 7) / 8;
    if (!pf_mul3(p->blocks_w, p->blocks_h, 64 * sizeof(int16_t), &n) || n > SIZE_MAX)
        return PF_ERR_TOO_LARGE;
    p->coef = malloc((size_t)n);
    return p->coef ? PF_OK : PF_ERR_NOMEM;
}

/* Work space: two strips of Y, Cb, Cr floats (one a thread); for 4:2:0
 * also the whole chroma planes. */
static pf_status work_alloc(float *ycc[2][3], chroma_work *cw, int full_chroma)
{
    uint32_t mcu = full_chroma ? 8 : 16;
    uint64_t strip, full, half;
    if (!pf_mul3(cw->pad_w, mcu, sizeof(float), &strip) || strip > SIZE_MAX ||
        !pf_mul3(cw->pad_w, cw->pad_h, 1, &full) || full > SIZE_MAX ||
        !pf_mul3(cw->pad_w / 2, cw->pad_h / 2, sizeof(float), &half) || half > SIZE_MAX)
        return PF_ERR_TOO_LARGE;
    for (int i = 0; i < 6; i++)
        if (!(ycc[i / 3][i % 3] = malloc((size_t)strip)))
            return PF_ERR_NOMEM;
    if (full_chroma)
        return PF_OK;
    for (int i = 0; i < 2; i++)
        if (!(cw->full[i] = malloc((size_t)full)) || !(cw->half[i] = malloc((size_t)half)) ||
            !(cw->delta[i] = malloc((size_t)half)))
            return PF_ERR_NOMEM;
    return PF_OK;
}

static void work_free(float *ycc[2][3], chroma_work *cw)
{
    for (int i = 0; i < 6; i++)
        free(ycc[i / 3][i % 3]);
    for (int i = 0; i < 2; i++)
        free(cw->full[i]), free(cw->half[i]), free(cw->delta[i]);
}

pf_status pf_jpeg_coefs_new(const pf_bitmap *bmp, int full_chroma, int threads,
                            pf_jpeg_coefs **out)
{
    pf_status st = PF_OK;
    pf_jpeg_coefs *c = NULL;
    float *ycc[2][3] = {{NULL, NULL, NULL}, {NULL, NULL, NULL}};
    chroma_work cw;
    memset(&cw, 0, sizeof cw);
    if (out)
        *out = NULL;
    if (!out || !bmp || !bmp->rgb || !bmp->width || !bmp->height ||
        bmp->width > JPEG_MAX_DIMENSION || bmp->height > JPEG_MAX_DIMENSION)
        return PF_ERR_INVALID_ARG;
    uint32_t step = full_chroma ? 1 : 2, mcu = 8 * step;
    cw.pad_w = (bmp->width + mcu - 1) / mcu * mcu;
    cw.pad_h = (bmp->height + mcu - 1) / mcu * mcu;
    if (!(c = calloc(1, sizeof *c))) {
        st = PF_ERR_NOMEM;
        goto cleanup;
    }
    c->width = bmp->width, c->height = bmp->height, c->full_chroma = full_chroma;
    uint32_t cwid = (bmp->width + step - 1) / step, chgt = (bmp->height + step - 1) / step;
    if ((st = plane_alloc(&c->plane[0], bmp->width, bmp->height)) != PF_OK ||
        (st = plane_alloc(&c->plane[1], cwid, chgt)) != PF_OK ||
        (st = plane_alloc(&c->plane[2], cwid, chgt)) != PF_OK ||
        (st = work_alloc(ycc, &cw, full_chroma)) != PF_OK)
        goto cleanup;
    compute_coefs(bmp, c, ycc, mcu, &cw, threads);
    *out = c;
    c = NULL;
cleanup:
    work_free(ycc, &cw);
    pf_jpeg_coefs_free(c);
    return st;
}

void pf_jpeg_coefs_free(pf_jpeg_coefs *c)
{
    if (!c)
        return;
    for (int i = 0; i < 3; i++)
        free(c->plane[i].coef);
    free(c);
}

/* ------------------------------------------------------------------ */
/* Choosing the coefficients                                           */

typedef struct {
    float inv_step[64]; /* 1 / (quantization step x COEF_SCALE), zigzag */
    float code_len[256]; /* AC Huffman code length by run/size symbol */
    float lambda;
} rdo_table;

static int bit_size(int v)
{
    return v ? 32 - __builtin_clz((unsigned)v) : 0;
}

/* The trellis over one block's AC coefficients x[1..end-1] (|coefficient|
 * / step, signs apart): cost[i] is the least distortion + lambda * bits of
 * everything up to a last non-zero value at i, reached from one of the
 * MAX_BACK latest such positions or from the block's start (a longer run
 * over values worth keeping is all but never the cheaper choice, and the
 * search stays linear in busy blocks). Writes the chosen magnitudes to
 * level[]. */
static void choose_levels(const float x[64], int end, const rdo_table *t,
                          int level[64])
{
    float zero_sum[64], cost[64], lambda = t->lambda;
    int value[64], prev[64], states[64], n_states = 1;
    zero_sum[0] = 0, cost[0] = 0, states[0] = 0;
    for (int i = 1; i < end; i++)
        zero_sum[i] = zero_sum[i - 1] + x[i] * x[i];
    for (int i = 1; i < end; i++) {
        int r = (int)(x[i] + 0.5f);
        level[i] = 0;
        if (r == 0)
            continue;
        /* Each candidate's distortion and extra bits, apart from its run. */
        int n_cand = r > 1 ? 2 : 1, size[2];
        float own[2];
        for (int c = 0; c < n_cand; c++) {
            float d = x[i] - (float)(r - c);
            size[c] = bit_size(r - c);
            own[c] = d * d + lambda * (float)size[c];
        }
        cost[i] = (float)BIG_COST;
        int first = n_states > MAX_BACK ? n_states - MAX_BACK : 1;
        for (int k = first - 1; k < n_states; k++) {
            int j = k == first - 1 ? 0 : states[k], run = i - j - 1;
            float base = cost[j] + zero_sum[i - 1] - zero_sum[j] +
                         lambda * (float)(run >> 4) * t->code_len[0xF0];
            const float *len = t->code_len + ((run & 15) << 4);
            for (int c = 0; c < n_cand; c++) {
                float total = base + own[c] + lambda * len[size[c]];
                if (total < cost[i])
                    cost[i] = total, value[i] = r - c, prev[i] = j;
            }
        }
        states[n_states++] = i;
    }
    int last = 0;
    float best = (float)BIG_COST;
    for (int k = 0; k < n_states; k++) {
        int j = states[k];
        float c = cost[j] + zero_sum[end - 1] - zero_sum[j] +
                  (j < 63 ? lambda * t->code_len[0x00] : 0);
        if (c < best)
            best = c, last = j;
    }
    for (int j = last; j > 0; j = prev[j])
        level[j] = value[j];
}

static int quantized_dc(const int16_t in[64], const rdo_table *t)
{
    return (int)lrintf((float)in[0] * t->inv_step[0]);
}

/* One block: DC rounded, AC by the trellis; out in natural order. */
static void quantize_block(const int16_t in[64], const rdo_table *t, JCOEF *out)
{
    float x[64];
    int level[64], end = 64;
    /* Magnitudes in steps, a straight loop the compiler vectorises; then
     * the last that rounds to one or more, from the end. */
    for (int k = 0; k < 64; k++)
        x[k] = fabsf((float)in[k]) * t->inv_step[k];
    while (end > 1 && x[end - 1] < 0.5f)
        end--;
    memset(out, 0, 64 * sizeof *out);
    out[0] = (JCOEF)quantized_dc(in, t);
    if (end == 1)
        return;
    /* The zeros after the last value that rounds to one or more cost the
     * same whatever is chosen before them: the trellis stops there. */
    choose_levels(x, end, t, level);
    for (int k = 1; k < end; k++)
        if (level[k])
            out[zigzag[k]] = (JCOEF)(in[k] < 0 ? -level[k] : level[k]);
}

/* Code lengths of a Huffman table given as counts per length + values. */
static void code_lengths(const JHUFF_TBL *h, float len[256])
{
    int k = 0;
    for (int i = 0; i < 256; i++)
        len[i] = 16; /* symbols missing from the table: the longest code */
    for (int l = 1; l <= 16; l++)
        for (int n = 0; n < h->bits[l] && k < 256; n++)
            len[h->huffval[k++]] = (float)l;
}

/* ------------------------------------------------------------------ */
/* Sizes without encoding                                              */

/* The Huffman symbols a sequential scan would code, per table (0: luma,
 * 1: chroma), and the bits that follow them. DC predictions run along
 * each plane's rows (an interleaved scan's MCU order differs a little:
 * the estimate is calibrated against a real file anyway). */
typedef struct {
    uint32_t dc[2][16];
    uint32_t ac[2][256];
    uint64_t extra_bits;
    uint64_t blocks, counted; /* all blocks; those sampled */
} symbol_counts;

/* Only one block in this many is counted (the same blocks for an estimate
 * and for a real file's count): the size scales with the share counted.
 * Every eighth block of a row, the pattern shifted by 3 a row, covers the
 * picture evenly (one MCU row in eight left 3% biases, a photo's rows not
 * being alike). */
#define COUNT_EVERY 8

/* The first counted block of a block row; then every COUNT_EVERY-th. */
static uint32_t first_counted(uint32_t row)
{
    return (COUNT_EVERY - row * 3 % COUNT_EVERY) % COUNT_EVERY;
}

static int counted_block(uint32_t row, uint32_t b)
{
    return b % COUNT_EVERY == first_counted(row);
}

/* One block's symbols; its DC predicted from the block before it in the
 * plane (whose DC is `prev_dc`), as a sequential scan does. */
static void count_block(symbol_counts *n, int table, const JCOEF *block, int prev_dc)
{
    int diff = block[0] - prev_dc, run = 0;
    int size = bit_size(diff < 0 ? -diff : diff);
    n->dc[table][size & 15]++;
    n->extra_bits += (uint64_t)size;
    for (int k = 1; k < 64; k++) {
        int v = block[zigzag[k]];
        if (!v) {
            run++;
            continue;
        }
        for (; run > 15; run -= 16)
            n->ac[table][0xF0]++;
        size = bit_size(v < 0 ? -v : v);
        n->ac[table][((run << 4) | size) & 0xFF]++;
        n->extra_bits += (uint64_t)size;
        run = 0;
    }
    if (run)
        n->ac[table][0x00]++; /* end of block */
}

/* Bits of the symbols under the optimal JPEG Huffman code for their
 * counts: the procedure of ITU T.81 annex K.2 (code sizes by merging the
 * two rarest, a reserved all-ones code point, lengths limited to 16). */
static uint64_t huffman_bits(const uint32_t *count, int n)
{
    uint64_t freq[257], total = 0;
    int size[257], next[257], bits[33] = {0};
    for (int i = 0; i < 257; i++)
        freq[i] = i < n ? count[i] : 0, size[i] = 0, next[i] = -1;
    freq[256] = 1;
    for (;;) {
        int c1 = -1, c2 = -1;
        for (int i = 0; i < 257; i++) /* the rarest; of equals the last */
            if (freq[i] && (c1 < 0 || freq[i] <= freq[c1]))
                c1 = i;
        for (int i = 0; i < 257; i++)
            if (freq[i] && i != c1 && (c2 < 0 || freq[i] <= freq[c2]))
                c2 = i;
        if (c2 < 0)
            break;
        freq[c1] += freq[c2], freq[c2] = 0;
        for (size[c1]++; next[c1] >= 0; size[c1]++)
            c1 = next[c1];
        next[c1] = c2;
        for (size[c2]++; next[c2] >= 0; size[c2]++)
            c2 = next[c2];
    }
    for (int i = 0; i < 257; i++)
        if (size[i])
            bits[size[i] > 32 ? 32 : size[i]]++;
    for (int i = 32; i > 16; i--)
        while (bits[i] > 0) {
            int j = i - 2;
            while (j > 0 && bits[j] == 0)
                j--;
            if (j <= 0)
                break;
            bits[i] -= 2, bits[i - 1]++, bits[j + 1] += 2, bits[j]--;
        }
    int longest = 16;
    while (longest > 0 && bits[longest] == 0)
        longest--;
    if (longest > 0)
        bits[longest]--; /* the reserved code point */
    /* Symbols in order of code size, then value, take the lengths. */
    int len = 1, left = bits[1];
    for (int s = 1; s <= 32; s++)
        for (int i = 0; i < n; i++) {
            if (size[i] != s)
                continue;
            while (left == 0 && len < 16)
                left = bits[++len];
            total += (uint64_t)count[i] * (uint64_t)len;
            left--;
        }
    return total;
}

/* Bytes of a sequential file with optimised tables holding these symbols,
 * scaled from the rows counted to all: entropy-coded data plus the markers
 * (about 600 bytes). */
static double counted_bytes(const symbol_counts *n)
{
    uint64_t bits = n->extra_bits;
    for (int t = 0; t < 2; t++)
        bits += huffman_bits(n->dc[t], 16) + huffman_bits(n->ac[t], 256);
    double share = n->counted ? (double)n->blocks / (double)n->counted : 1;
    return (double)bits / 8 * share + 600;
}

/* ------------------------------------------------------------------ */
/* Encoding                                                            */

typedef struct {
    struct jpeg_compress_struct cinfo;
    codec_error err;
    mem_sink sink;
    const pf_jpeg_coefs *coefs;
    double quality;
    rdo_table *table; /* [2]: luma, chroma */
    symbol_counts *counts; /* NULL, or the symbols of what is written */
} rdo_job;

static void make_table(j_compress_ptr c, int which, double quality, rdo_table *t)
{
    double weight = (quality - LAMBDA_ZERO_Q) / (LAMBDA_FULL_Q - LAMBDA_ZERO_Q);
    weight = weight < 0 ? 0 : weight > 1 ? 1 : weight;
    for (int k = 0; k < 64; k++)
        t->inv_step[k] = 1.0f / (COEF_SCALE * c->quant_tbl_ptrs[which]->quantval[zigzag[k]]);
    code_lengths(c->ac_huff_tbl_ptrs[which], t->code_len);
    t->lambda = (float)((which ? LAMBDA_CHROMA : LAMBDA_LUMA) * weight);
}

/* libjpeg's settings at the job's quality, and the trellis's tables. */
static void set_up_tables(rdo_job *job)
{
    j_compress_ptr c = &job->cinfo;
    const pf_jpeg_coefs *co = job->coefs;
    pf_jpeg_encode_settings(c, co->width, co->height, job->quality, co->full_chroma);
    make_table(c, 0, job->quality, &job->table[0]);
    make_table(c, 1, job->quality, &job->table[1]);
}

static void fill_plane(j_compress_ptr c, jvirt_barray_ptr array,
                       const pf_jpeg_coefs *co, int ci, const rdo_table *t,
                       symbol_counts *counts)
{
    const coef_plane *p = &co->plane[ci];
    int prev_dc = 0; /* the DC of the block before, in the plane's order */
    if (counts)
        counts->blocks += (uint64_t)p->blocks_w * p->blocks_h;
    for (uint32_t row = 0; row < p->blocks_h; row++) {
        JBLOCKARRAY blocks = (*c->mem->access_virt_barray)((j_common_ptr)c, array,
                                                            row, 1, TRUE);
        for (uint32_t b = 0; b < p->blocks_w; b++) {
            quantize_block(p->coef + ((size_t)row * p->blocks_w + b) * 64, t,
                           blocks[0][b]);
            if (counts && counted_block(row, b)) {
                count_block(counts, ci ? 1 : 0, blocks[0][b], prev_dc);
                counts->counted++;
            }
            prev_dc = blocks[0][b][0];
        }
    }
}

static pf_status encode_guarded(rdo_job *job)
{
    j_compress_ptr c = &job->cinfo;
    const pf_jpeg_coefs *co = job->coefs;
    jvirt_barray_ptr arrays[3];
    if (setjmp(job->err.jump))
        return job->err.status == PF_ERR_NOMEM ? PF_ERR_NOMEM : PF_ERR_INTERNAL;
    jpeg_create_compress(c);
    pf_jpeg_sink_attach(c, &job->sink);
    set_up_tables(job);
    for (int ci = 0; ci < 3; ci++) {
        const jpeg_component_info *comp = &c->comp_info[ci];
        /* Whole MCUs, as libjpeg's own transcoders allocate them. */
        JDIMENSION w = co->plane[ci].blocks_w, h = co->plane[ci].blocks_h;
        w = (w + comp->h_samp_factor - 1) / comp->h_samp_factor * comp->h_samp_factor;
        h = (h + comp->v_samp_factor - 1) / comp->v_samp_factor * comp->v_samp_factor;
        arrays[ci] = (*c->mem->request_virt_barray)((j_common_ptr)c, JPOOL_IMAGE,
                                                    TRUE, w, h,
                                                    (JDIMENSION)comp->v_samp_factor);
    }
    jpeg_write_coefficients(c, arrays); /* realizes the arrays */
    for (int ci = 0; ci < 3; ci++)
        fill_plane(c, arrays[ci], co, ci, &job->table[ci ? 1 : 0], job->counts);
    jpeg_finish_compress(c);
    return PF_OK;
}

static pf_status encode_rdo(const pf_jpeg_coefs *coefs, double quality, uint8_t **out,
                            size_t *out_len, double *estimate, char err[PF_ERR_LEN])
{
    rdo_job job;
    rdo_table tables[2];
    symbol_counts counts;
    pf_status st;
    memset(&job, 0, sizeof job);
    memset(&counts, 0, sizeof counts);
    if (estimate)
        *estimate = 0, job.counts = &counts;
    pf_jpeg_encode_begin(out, out_len, err);
    if (!coefs || !out || !out_len || !(quality >= 1 && quality <= 100)) {
        st = PF_ERR_INVALID_ARG;
        goto cleanup;
    }
    pf_jpeg_error_init(&job.err);
    job.cinfo.err = &job.err.pub;
    job.coefs = coefs, job.quality = quality, job.table = tables;
    st = encode_guarded(&job);
    if (st == PF_OK && estimate)
        *estimate = counted_bytes(&counts);
cleanup:
    return pf_jpeg_encode_end(st, &job.cinfo, &job.err, &job.sink, out, out_len, err);
}

pf_status pf_jpeg_encode_rdo(const pf_jpeg_coefs *coefs, double quality,
                             uint8_t **out, size_t *out_len,
                             char err[PF_ERR_LEN])
{
    return encode_rdo(coefs, quality, out, out_len, NULL, err);
}

pf_status pf_jpeg_encode_rdo_estimated(const pf_jpeg_coefs *coefs, double quality,
                                       uint8_t **out, size_t *out_len,
                                       double *estimate, char err[PF_ERR_LEN])
{
    return encode_rdo(coefs, quality, out, out_len, estimate, err);
}

/* The tables libjpeg would use at this quality, for the trellis. */
static pf_status tables_guarded(rdo_job *job)
{
    if (setjmp(job->err.jump))
        return job->err.status == PF_ERR_NOMEM ? PF_ERR_NOMEM : PF_ERR_INTERNAL;
    jpeg_create_compress(&job->cinfo);
    set_up_tables(job);
    return PF_OK;
}

pf_status pf_jpeg_rdo_estimate(const pf_jpeg_coefs *coefs, double quality,
                               double *estimate, char err[PF_ERR_LEN])
{
    rdo_job job;
    rdo_table tables[2];
    symbol_counts counts;
    JCOEF block[64];
    pf_status st;
    memset(&job, 0, sizeof job);
    memset(&counts, 0, sizeof counts);
    if (err)
        err[0] = '\0';
    if (!coefs || !estimate || !(quality >= 1 && quality <= 100))
        return PF_ERR_INVALID_ARG;
    *estimate = 0;
    pf_jpeg_error_init(&job.err);
    job.cinfo.err = &job.err.pub;
    job.coefs = coefs, job.quality = quality, job.table = tables;
    st = tables_guarded(&job);
    jpeg_destroy_compress(&job.cinfo);
    if (st != PF_OK) {
        if (err)
            pf_set_message(err, PF_ERR_LEN, "%s", job.err.message);
        return st;
    }
    for (int ci = 0; ci < 3; ci++) {
        const coef_plane *p = &coefs->plane[ci];
        const rdo_table *t = &tables[ci ? 1 : 0];
        counts.blocks += (uint64_t)p->blocks_w * p->blocks_h;
        for (uint32_t row = 0; row < p->blocks_h; row++) {
            const int16_t *in = p->coef + (size_t)row * p->blocks_w * 64;
            for (uint32_t b = first_counted(row); b < p->blocks_w; b += COUNT_EVERY) {
                /* The block before: the row's previous, or the last above. */
                const int16_t *before = b ? in + (size_t)(b - 1) * 64
                                          : row ? in - 64 : NULL;
                int prev_dc = before ? quantized_dc(before, t) : 0;
                quantize_block(in + (size_t)b * 64, t, block);
                count_block(&counts, ci ? 1 : 0, block, prev_dc);
                counts.counted++;
            }
        }
    }
    *estimate = counted_bytes(&counts);
    return PF_OK;
}
