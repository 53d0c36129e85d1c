/* Removes sensor noise before encoding, for a photo whose noise alone
 * costs more bytes than the budget has: grain is high-frequency energy the
 * encoder must spend bytes on, and it is worth nothing to the picture.
 * A self-guided filter (He et al.'s guided filter with the image as its own
 * guide) in YCbCr: where a window's variance is well above the noise's it
 * keeps the pixel (an edge, a letter), where it is near it the window's
 * mean replaces it. Box sums make it O(1) a pixel whatever the radius.
 *
 * Measured against libjpeg's own encoder-side smoothing (smoothing_factor,
 * a plain 3x3 blur) by bench/denoise (bench/denoise.md): two corpus photos
 * with bench/noisy's moderate and heavy noise, each encoded to 196,000 B at
 * the output size; medians of the quality reached and of butteraugli
 * against the noisy picture (bench/run's reference) / the clean photo:
 *   none                  q27.6   6.83 / 20.09
 *   smoothing_factor 25   q31.4   6.92 / 19.61
 *   smoothing_factor 50   q36.3   7.13 / 19.69
 *   smoothing_factor 100  q48.0   8.05 / 19.73
 *   this filter, k 0.5    q33.1   6.94 / 19.77
 *   this filter, k 0.75   q37.7   7.12 / 19.61
 *   this filter, k 3      q76.3  10.70 / 20.36
 * At equal bytes the two trade fidelity for quality alike (k 0.75 and
 * smoothing 50: the same butteraugli, 1.4 qualities apart); this filter
 * is kept for its reach: its strongest saves far more bytes than
 * smoothing's, for the photo that fits no other way. Neither beats no
 * smoothing at a lower quality, so fix smooths only what does not fit
 * even at its quality floor, and as mildly as fits there. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NOISE_BLOCK 16       /* the noise is estimated block by block */
#define NOISE_PERCENTILE 0.2 /* flat blocks show the noise, textured ones more */

typedef struct {
    uint32_t w, h;
    float *plane[3];  /* Y, Cb, Cr */
    float *tmp, *mean, *mean_sq, *sq;
    double *col;      /* running column sums for the vertical pass */
    double *prefix;   /* a row's prefix sums for the horizontal pass */
} denoise_work;

/* Mean over the (2r+1)^2 window clipped to the image: rows by prefix sums,
 * then columns by running sums, both in double so nothing drifts. */
static void box_mean(denoise_work *d, const float *src, float *dst, int r)
{
    uint32_t w = d->w, h = d->h;
    for (uint32_t y = 0; y < h; y++) {
        const float *row = src + (size_t)y * w;
        float *out = d->tmp + (size_t)y * w;
        d->prefix[0] = 0;
        for (uint32_t x = 0; x < w; x++)
            d->prefix[x + 1] = d->prefix[x] + row[x];
        for (uint32_t x = 0; x < w; x++) {
            uint32_t lo = x > (uint32_t)r ? x - r : 0;
            uint32_t hi = x + r + 1 < w ? x + r + 1 : w;
            out[x] = (float)((d->prefix[hi] - d->prefix[lo]) / (hi - lo));
        }
    }
    memset(d->col, 0, w * sizeof *d->col);
    uint32_t top = 0, bottom = 0; /* rows [top, bottom) are in col */
    for (uint32_t y = 0; y < h; y++) {
        uint32_t want_top = y > (uint32_t)r ? y - r : 0;
        uint32_t want_bottom = y + r + 1 < h ? y + r + 1 : h;
        for (; bottom < want_bottom; bottom++)
            for (uint32_t x = 0; x < w; x++)
                d->col[x] += d->tmp[(size_t)bottom * w + x];
        for (; top < want_top; top++)
            for (uint32_t x = 0; x < w; x++)
                d->col[x] -= d->tmp[(size_t)top * w + x];
        double n = bottom - top;
        for (uint32_t x = 0; x < w; x++)
            dst[(size_t)y * w + x] = (float)(d->col[x] / n);
    }
}

/* One plane through the self-guided filter, in place: q = a p + b with
 * a = var / (var + eps), both averaged over the window. */
static void guided_filter(denoise_work *d, float *p, int r, double eps)
{
    size_t n = (size_t)d->w * d->h;
    for (size_t i = 0; i < n; i++)
        d->sq[i] = p[i] * p[i];
    box_mean(d, p, d->mean, r);
    box_mean(d, d->sq, d->mean_sq, r);
    for (size_t i = 0; i < n; i++) {
        double m = d->mean[i], var = d->mean_sq[i] - m * m;
        double a = var > 0 ? var / (var + eps) : 0;
        d->mean_sq[i] = (float)a;          /* a */
        d->mean[i] = (float)(m - a * m);   /* b */
    }
    box_mean(d, d->mean_sq, d->sq, r);     /* mean a */
    box_mean(d, d->mean, d->mean_sq, r);   /* mean b */
    for (size_t i = 0; i < n; i++)
        p[i] = d->sq[i] * p[i] + d->mean_sq[i];
}

static void to_ycbcr(const pf_bitmap *bmp, denoise_work *d)
{
    size_t n = (size_t)d->w * d->h;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *px = bmp->rgb + i * 3;
        double r = px[0], g = px[1], b = px[2];
        d->plane[0][i] = (float)(0.299 * r + 0.587 * g + 0.114 * b);
        d->plane[1][i] = (float)(-0.168736 * r - 0.331264 * g + 0.5 * b);
        d->plane[2][i] = (float)(0.5 * r - 0.418688 * g - 0.081312 * b);
    }
}

static uint8_t clamp8(double v)
{
    return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)(v + 0.5);
}

static void to_rgb(const denoise_work *d, pf_bitmap *out)
{
    size_t n = (size_t)d->w * d->h;
    for (size_t i = 0; i < n; i++) {
        double y = d->plane[0][i], cb = d->plane[1][i], cr = d->plane[2][i];
        uint8_t *px = out->rgb + i * 3;
        px[0] = clamp8(y + 1.402 * cr);
        px[1] = clamp8(y - 0.344136 * cb - 0.714136 * cr);
        px[2] = clamp8(y + 1.772 * cb);
    }
}

static void work_free(denoise_work *d)
{
    for (int i = 0; i < 3; i++)
        free(d->plane[i]);
    free(d->tmp), free(d->mean), free(d->mean_sq), free(d->sq);
    free(d->col), free(d->prefix);
}

static pf_status work_alloc(denoise_work *d, uint32_t w, uint32_t h)
{
    uint64_t n;
    memset(d, 0, sizeof *d);
    d->w = w, d->h = h;
    if (!pf_mul3(w, h, sizeof(float), &n) || n > SIZE_MAX)
        return PF_ERR_NOMEM;
    float **planes[] = {&d->plane[0], &d->plane[1], &d->plane[2], &d->tmp,
                        &d->mean, &d->mean_sq, &d->sq};
    for (size_t i = 0; i < sizeof planes / sizeof planes[0]; i++)
        if (!(*planes[i] = malloc(n)))
            return PF_ERR_NOMEM;
    d->col = malloc(w * sizeof *d->col);
    d->prefix = malloc((w + (size_t)1) * sizeof *d->prefix);
    return d->col && d->prefix ? PF_OK : PF_ERR_NOMEM;
}

pf_status pf_denoise(const pf_bitmap *in, const pf_denoise_params *params,
                     pf_bitmap *out)
{
    denoise_work d;
    memset(out, 0, sizeof *out);
    if (!in || !in->rgb || !params || in->width == 0 || in->height == 0)
        return PF_ERR_INVALID_ARG;
    pf_status st = work_alloc(&d, in->width, in->height);
    if (st == PF_OK)
        st = pf_bitmap_alloc(out, in->width, in->height);
    if (st != PF_OK)
        goto cleanup;
    to_ycbcr(in, &d);
    for (int c = 0; c < 3; c++) {
        double k = c == 0 ? params->luma_k : params->chroma_k;
        int r = c == 0 ? params->luma_radius : params->chroma_radius;
        if (k > 0 && r > 0)
            guided_filter(&d, d.plane[c], r, k * k * params->sigma * params->sigma);
    }
    to_rgb(&d, out);
cleanup:
    if (st != PF_OK)
        pf_bitmap_free(out);
    work_free(&d);
    return st;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Immerkaer's estimate (the Laplacian difference mask, whose response to
 * a plane is zero) of the luma noise's standard deviation, per block; the
 * NOISE_PERCENTILE-th block is taken, as texture raises the others. */
static double block_sigma(const pf_bitmap *bmp, uint32_t bx, uint32_t by)
{
    double sum = 0;
    size_t stride = (size_t)bmp->width * 3;
    for (uint32_t y = by + 1; y < by + NOISE_BLOCK - 1; y++)
        for (uint32_t x = bx + 1; x < bx + NOISE_BLOCK - 1; x++) {
            const uint8_t *p = bmp->rgb + y * stride + (size_t)x * 3 + 1;
            double v = 4.0 * p[0] - 2.0 * (p[-3] + p[3] + p[-(long)stride] +
                       p[stride]) + p[-(long)stride - 3] + p[-(long)stride + 3] +
                       p[stride - 3] + p[stride + 3];
            sum += fabs(v);
        }
    double m = NOISE_BLOCK - 2;
    return sqrt(M_PI / 2) * sum / (6.0 * m * m);
}

double pf_noise_sigma(const pf_bitmap *bmp)
{
    uint32_t bw = bmp->width / NOISE_BLOCK, bh = bmp->height / NOISE_BLOCK;
    size_t n = (size_t)bw * bh;
    if (n == 0)
        return 0;
    double *s = malloc(n * sizeof *s);
    if (!s)
        return 0;
    for (uint32_t y = 0; y < bh; y++)
        for (uint32_t x = 0; x < bw; x++)
            s[(size_t)y * bw + x] = block_sigma(bmp, x * NOISE_BLOCK, y * NOISE_BLOCK);
    qsort(s, n, sizeof *s, cmp_double);
    double sigma = s[(size_t)(NOISE_PERCENTILE * (n - 1))];
    free(s);
    return sigma;
}

/* Strengths tried, mildest first: the luma window's k (chroma's is 2k + 1:
 * chroma noise costs bytes and the eye sees little of it), radius 1 up to
 * k = 1 and 2 beyond (chroma 2 and 3). */
static const double strengths[] = {0.5, 0.75, 1.0, 1.5, 2.0, 3.0};
#define N_STRENGTHS (int)(sizeof strengths / sizeof strengths[0])

int pf_denoise_strength(double sigma, int step, pf_denoise_params *params)
{
    if (step < 0 || step >= N_STRENGTHS)
        return 0;
    double k = strengths[step];
    pf_denoise_params p = {sigma, k <= 1.0 ? 1 : 2, k <= 1.0 ? 2 : 3, k, 2 * k + 1};
    *params = p;
    return 1;
}

/* Smooths bmp at step into *clean and encodes it at quality: *len. */
static pf_status try_strength(const pf_bitmap *bmp, double sigma, int step,
                              int quality, pf_bitmap *clean, size_t *len,
                              char err[PF_ERR_LEN])
{
    pf_denoise_params p;
    uint8_t *data = NULL;
    pf_denoise_strength(sigma, step, &p);
    pf_bitmap_free(clean);
    pf_status st = pf_denoise(bmp, &p, clean);
    if (st == PF_OK)
        st = pf_jpeg_encode(clean, quality, &data, len, err);
    free(data);
    return st;
}

pf_status pf_denoise_to_fit(const pf_bitmap *bmp, uint64_t max_bytes,
                            int quality, pf_bitmap *clean, char err[PF_ERR_LEN])
{
    double sigma = pf_noise_sigma(bmp);
    int lo = 0, best = N_STRENGTHS - 1, last = best;
    size_t len = 0;
    memset(clean, 0, sizeof *clean);
    pf_status st = try_strength(bmp, sigma, best, quality, clean, &len, err);
    /* The mildest that fits, by bisection; the strongest when none does
     * (the caller's search then finds nothing either). */
    int any_fits = len <= max_bytes;
    while (st == PF_OK && any_fits && lo < best) {
        int mid = (lo + best) / 2;
        st = try_strength(bmp, sigma, mid, quality, clean, &len, err);
        last = mid;
        if (len <= max_bytes)
            best = mid;
        else
            lo = mid + 1;
    }
    if (st == PF_OK && last != best) {
        pf_denoise_params p;
        pf_denoise_strength(sigma, best, &p);
        pf_bitmap_free(clean);
        st = pf_denoise(bmp, &p, clean);
    }
    if (st != PF_OK)
        pf_bitmap_free(clean);
    return st;
}
