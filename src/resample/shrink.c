/* A streaming resampler: rows go in as a decoder produces them, the resized
 * image comes out, and the full-size image never exists in memory.
 *
 * Two stages, both separable:
 *  1. an integer box average by k (k = floor of the shrink ratio), cheap
 *     and exact for the bulk of the reduction;
 *  2. Lanczos-3 for the remaining ratio in [1, 2), on gamma-encoded values
 *     like the resize people compare a photo against (ImageMagick's default
 *     for shrinking). Also used, unstretched, for enlarging.
 * Stage 2 filters each box row horizontally into a ring of rows and emits an
 * output row as soon as its last vertical tap has arrived. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LANCZOS_LOBES 3.0

/* Weights of one axis: output i reads src[start[i] .. start[i] + count[i]). */
typedef struct {
    uint32_t *start, *count;
    float *weight; /* stride taps per output sample */
    uint32_t taps;
} axis_filter;

struct pf_shrinker {
    uint32_t in_w, in_h;   /* rows pushed are in_w RGB pixels */
    uint32_t k;            /* box factor */
    uint32_t box_w, box_h; /* ceil(in / k) */
    uint16_t *col_sum;     /* in_w * 3 column sums of the current group */
    float *box_scale;      /* 1 / pixels per box column */
    uint32_t rows_in_group, in_row, box_row;
    float *line;           /* one box row as floats, box_w * 3 (+ 1: rgbx) */
    axis_filter hf, vf;
    float *ring;           /* vf.taps rows of out_w * 3 */
    float *acc;            /* one output row being summed */
    uint32_t out_row;
    pf_bitmap out;
};

static double lanczos(double x)
{
    x = fabs(x);
    if (x < 1e-9)
        return 1.0;
    if (x >= LANCZOS_LOBES)
        return 0.0;
    double px = M_PI * x;
    return LANCZOS_LOBES * sin(px) * sin(px / LANCZOS_LOBES) / (px * px);
}

static void axis_free(axis_filter *f)
{
    free(f->start);
    free(f->count);
    free(f->weight);
    memset(f, 0, sizeof *f);
}

/* One output sample: taps over src samples [lo, hi], edge samples clamped
 * (their weight folds onto the first and last pixel), normalised to 1. */
static void axis_sample(axis_filter *f, uint32_t i, double center,
                        double stretch, double radius, uint32_t n)
{
    long lo = (long)ceil(center - radius), hi = (long)floor(center + radius);
    long first = lo < 0 ? 0 : lo, last = hi > (long)n - 1 ? (long)n - 1 : hi;
    if (first > last) /* a sample wholly outside: nearest edge pixel */
        first = last = center < 0 ? 0 : (long)n - 1;
    float *w = f->weight + (size_t)i * f->taps;
    double sum = 0;
    memset(w, 0, sizeof *w * f->taps);
    for (long j = lo; j <= hi; j++) {
        long at = j < first ? first : j > last ? last : j;
        double v = lanczos((j - center) / stretch);
        w[at - first] += (float)v;
        sum += v;
    }
    for (long j = 0; j <= last - first; j++)
        w[j] = sum != 0 ? (float)(w[j] / sum) : (j == 0);
    f->start[i] = (uint32_t)first;
    f->count[i] = (uint32_t)(last - first + 1);
}

/* Output samples 0..out-1 covering src samples [0, span) of n. */
static pf_status axis_init(axis_filter *f, uint32_t n, double span,
                           uint32_t out)
{
    double scale = span / out, stretch = scale > 1 ? scale : 1;
    double radius = LANCZOS_LOBES * stretch;
    f->taps = (uint32_t)ceil(2 * radius) + 2;
    f->start = calloc(out, sizeof *f->start);
    f->count = calloc(out, sizeof *f->count);
    f->weight = calloc((size_t)out * f->taps, sizeof *f->weight);
    if (!f->start || !f->count || !f->weight)
        return PF_ERR_NOMEM;
    for (uint32_t i = 0; i < out; i++)
        axis_sample(f, i, (i + 0.5) * scale - 0.5, stretch, radius, n);
    return PF_OK;
}

void pf_shrinker_free(pf_shrinker *s)
{
    if (!s)
        return;
    free(s->col_sum);
    free(s->box_scale);
    free(s->line);
    free(s->ring);
    free(s->acc);
    axis_free(&s->hf);
    axis_free(&s->vf);
    pf_bitmap_free(&s->out);
    free(s);
}

static uint32_t box_factor(uint32_t in_w, uint32_t in_h, double span_w,
                           double span_h, uint32_t out_w, uint32_t out_h)
{
    double r = fmin(span_w / out_w, span_h / out_h);
    uint32_t k = r >= 2 ? (uint32_t)floor(r) : 1;
    if (k > 256)
        k = 256; /* column sums of k rows fit 16 bits */
    return k > in_w || k > in_h ? 1 : k;
}

pf_status pf_shrinker_new(uint32_t in_w, uint32_t in_h, const double span[2],
                          uint32_t out_w, uint32_t out_h, pf_shrinker **out)
{
    pf_status st = PF_ERR_NOMEM;
    pf_shrinker *s = NULL;
    double sw = span ? span[0] : 1, sh = span ? span[1] : 1;
    if (!out || !in_w || !in_h || !out_w || !out_h || in_w > UINT32_MAX / 3 ||
        sw <= 0 || sw > 1 || sh <= 0 || sh > 1) {
        st = PF_ERR_INVALID_ARG;
        goto cleanup;
    }
    *out = NULL;
    if (!(s = calloc(1, sizeof *s)))
        goto cleanup;
    s->in_w = in_w, s->in_h = in_h;
    s->k = box_factor(in_w, in_h, sw * in_w, sh * in_h, out_w, out_h);
    s->box_w = (in_w + s->k - 1) / s->k;
    s->box_h = (in_h + s->k - 1) / s->k;
    if ((st = pf_bitmap_alloc(&s->out, out_w, out_h)) != PF_OK)
        goto cleanup;
    st = PF_ERR_NOMEM;
    s->col_sum = calloc((size_t)in_w * 3, sizeof *s->col_sum);
    s->box_scale = calloc(s->box_w, sizeof *s->box_scale);
    s->line = calloc((size_t)s->box_w * 3 + 1, sizeof *s->line);
    if (!s->col_sum || !s->box_scale || !s->line)
        goto cleanup;
    for (uint32_t b = 0; b < s->box_w; b++) {
        uint32_t x1 = (b + 1) * s->k < in_w ? (b + 1) * s->k : in_w;
        s->box_scale[b] = 1.0f / (float)(x1 - b * s->k);
    }
    /* The covered span, in box samples. */
    if ((st = axis_init(&s->hf, s->box_w, sw * in_w / s->k, out_w)) != PF_OK ||
        (st = axis_init(&s->vf, s->box_h, sh * in_h / s->k, out_h)) != PF_OK)
        goto cleanup;
    s->ring = calloc((size_t)s->vf.taps * out_w * 3, sizeof *s->ring);
    s->acc = calloc((size_t)out_w * 3, sizeof *s->acc);
    if (!s->ring || !s->acc) {
        st = PF_ERR_NOMEM;
        goto cleanup;
    }
    *out = s;
    s = NULL;
    st = PF_OK;
cleanup:
    pf_shrinker_free(s);
    return st;
}

/* Four floats: a pixel's R, G, B and the next sample, which is ignored
 * (lines carry one float of padding so the last pixel's load stays in). */
typedef float rgbx __attribute__((vector_size(16)));

/* One row through the horizontal filter: a pixel's three channels in one
 * vector multiply-add a tap, in the same order as one channel at a time
 * (the same sums, bit for bit). */
static void filter_row(const axis_filter *f, const float *in, float *out,
                       uint32_t width)
{
    for (uint32_t i = 0; i < width; i++) {
        const float *w = f->weight + (size_t)i * f->taps;
        const float *p = in + (size_t)f->start[i] * 3;
        rgbx acc = {0, 0, 0, 0};
        for (uint32_t t = 0; t < f->count[i]; t++, p += 3) {
            rgbx v;
            memcpy(&v, p, sizeof v);
            acc += w[t] * v;
        }
        out[i * 3] = acc[0], out[i * 3 + 1] = acc[1], out[i * 3 + 2] = acc[2];
    }
}

static uint8_t to_byte(float v)
{
    return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)(v + 0.5f);
}

static void add_scaled(float *restrict acc, const float *restrict src,
                       float w, size_t n)
{
    for (size_t x = 0; x < n; x++)
        acc[x] += w * src[x];
}

static void store_bytes(uint8_t *restrict dst, const float *restrict v, size_t n)
{
    for (size_t x = 0; x < n; x++)
        dst[x] = to_byte(v[x]);
}

/* Emits every output row whose taps have all arrived (box rows < have). */
static void emit_rows(pf_shrinker *s, uint32_t have)
{
    const axis_filter *f = &s->vf;
    size_t n = (size_t)s->out.width * 3;
    while (s->out_row < s->out.height &&
           f->start[s->out_row] + f->count[s->out_row] <= have) {
        uint32_t j = s->out_row;
        const float *w = f->weight + (size_t)j * f->taps;
        float *acc = s->acc;
        memset(acc, 0, n * sizeof *acc);
        for (uint32_t t = 0; t < f->count[j]; t++)
            add_scaled(acc, s->ring + (size_t)((f->start[j] + t) % f->taps) * n,
                       w[t], n);
        store_bytes(s->out.rgb + (size_t)j * n, acc, n);
        s->out_row++;
    }
}

/* A finished box row: filter it horizontally into the ring. */
static void take_box_row(pf_shrinker *s)
{
    size_t n = (size_t)s->out.width * 3;
    filter_row(&s->hf, s->line, s->ring + (size_t)(s->box_row % s->vf.taps) * n,
               s->out.width);
    s->box_row++;
    emit_rows(s, s->box_row);
}

/* Sums of the rows of the current box group, per input pixel: a straight
 * loop the compiler vectorises. The horizontal box sum runs once a group. */
static void add_row(uint16_t *restrict acc, const uint8_t *restrict row, size_t n)
{
    for (size_t i = 0; i < n; i++)
        acc[i] = (uint16_t)(acc[i] + row[i]);
}

/* The group's box averages, as floats, into s->line; resets the sums. */
static void finish_group(pf_shrinker *s)
{
    uint32_t k = s->k;
    float rows = (float)s->rows_in_group;
    const uint16_t *acc = s->col_sum;
    for (uint32_t b = 0; b < s->box_w; b++) {
        uint32_t x0 = b * k, x1 = x0 + k < s->in_w ? x0 + k : s->in_w;
        uint32_t r = 0, g = 0, bl = 0;
        for (uint32_t x = x0; x < x1; x++)
            r += acc[x * 3], g += acc[x * 3 + 1], bl += acc[x * 3 + 2];
        float scale = s->box_scale[b] / rows;
        s->line[b * 3] = (float)r * scale;
        s->line[b * 3 + 1] = (float)g * scale;
        s->line[b * 3 + 2] = (float)bl * scale;
    }
    memset(s->col_sum, 0, (size_t)s->in_w * 3 * sizeof *s->col_sum);
    s->rows_in_group = 0;
}

pf_status pf_shrinker_push(pf_shrinker *s, const uint8_t *row)
{
    if (!s || !row || s->in_row >= s->in_h)
        return PF_ERR_INVALID_ARG;
    size_t n = (size_t)s->in_w * 3;
    s->in_row++;
    if (s->k == 1) {
        for (size_t i = 0; i < n; i++)
            s->line[i] = row[i];
        take_box_row(s);
        return PF_OK;
    }
    add_row(s->col_sum, row, n);
    if (++s->rows_in_group == s->k || s->in_row == s->in_h) {
        finish_group(s);
        take_box_row(s);
    }
    return PF_OK;
}

uint32_t pf_shrinker_box_factor(const pf_shrinker *s)
{
    return s ? s->k : 1;
}

pf_status pf_shrinker_finish(pf_shrinker *s, pf_bitmap *out)
{
    if (!s || !out || s->in_row != s->in_h || s->out_row != s->out.height)
        return PF_ERR_INVALID_ARG;
    *out = s->out;
    memset(&s->out, 0, sizeof s->out);
    return PF_OK;
}
