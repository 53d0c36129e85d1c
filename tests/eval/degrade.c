/* Controlled degradations for the evaluation set: Gaussian and motion blur,
 * a glare blob, under- and over-exposure. They define the truth the checks
 * are measured against, so they are plain (exact kernels, no shortcuts);
 * the loops are only arranged so a whole corpus degrades in seconds. */
#include "eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint8_t clamp_u8(double v)
{
    return v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)lround(v);
}

/* One pass of a 1-D kernel (2*rad+1 taps) along x over rows of w RGB float
 * pixels, edges clamped: each row padded once, then plain dot products. */
static void convolve_x(const float *in, float *out, uint32_t w, uint32_t h,
                       const float *k, int rad, float *pad)
{
    for (uint32_t y = 0; y < h; y++) {
        const float *row = in + (size_t)y * w * 3;
        for (long x = -rad; x < (long)w + rad; x++) {
            long xx = x < 0 ? 0 : x >= (long)w ? (long)w - 1 : x;
            memcpy(pad + (x + rad) * 3, row + xx * 3, 3 * sizeof *pad);
        }
        float *o = out + (size_t)y * w * 3;
        for (uint32_t x = 0; x < w; x++) {
            float s0 = 0, s1 = 0, s2 = 0;
            const float *p = pad + (size_t)x * 3;
            for (int t = 0; t <= 2 * rad; t++, p += 3)
                s0 += k[t] * p[0], s1 += k[t] * p[1], s2 += k[t] * p[2];
            o[3 * x] = s0, o[3 * x + 1] = s1, o[3 * x + 2] = s2;
        }
    }
}

/* The same along y: each output row is a weighted sum of input rows. */
static void convolve_y(const float *in, float *out, uint32_t w, uint32_t h,
                       const float *k, int rad)
{
    size_t stride = (size_t)w * 3;
    for (uint32_t y = 0; y < h; y++) {
        float *o = out + y * stride;
        memset(o, 0, stride * sizeof *o);
        for (int t = -rad; t <= rad; t++) {
            long yy = (long)y + t;
            yy = yy < 0 ? 0 : yy >= (long)h ? (long)h - 1 : yy;
            const float *row = in + (size_t)yy * stride;
            float kt = k[t + rad];
            for (size_t i = 0; i < stride; i++)
                o[i] += kt * row[i];
        }
    }
}

pf_status eval_gaussian_blur(const pf_bitmap *in, double sigma, pf_bitmap *out)
{
    uint64_t n;
    float *a = NULL, *b = NULL, *k = NULL, *pad = NULL;
    pf_status st = pf_bitmap_alloc(out, in->width, in->height);
    if (st != PF_OK)
        return st;
    int rad = sigma > 0 ? (int)ceil(3 * sigma) : 0;
    st = PF_ERR_NOMEM;
    if (!pf_mul3(in->width, in->height, 3 * sizeof(float), &n) || n > SIZE_MAX ||
        !(a = malloc((size_t)n)) || !(b = malloc((size_t)n)) ||
        !(k = malloc((size_t)(2 * rad + 1) * sizeof *k)) ||
        !(pad = malloc(((size_t)in->width + 2 * (size_t)rad) * 3 * sizeof *pad)))
        goto cleanup;
    double sum = 0;
    for (int t = -rad; t <= rad; t++)
        sum += k[t + rad] = rad ? (float)exp(-0.5 * t * t / (sigma * sigma)) : 1.0f;
    for (int t = 0; t <= 2 * rad; t++)
        k[t] = (float)(k[t] / sum);
    size_t m = (size_t)in->width * in->height * 3;
    for (size_t i = 0; i < m; i++)
        a[i] = in->rgb[i];
    convolve_x(a, b, in->width, in->height, k, rad, pad);
    convolve_y(b, a, in->width, in->height, k, rad);
    for (size_t i = 0; i < m; i++)
        out->rgb[i] = clamp_u8(a[i]);
    st = PF_OK;
cleanup:
    if (st != PF_OK)
        pf_bitmap_free(out);
    free(a);
    free(b);
    free(k);
    free(pad);
    return st;
}

/* Adds the bilinear sample of in at (x, y), clamped to the image, to s. */
static void add_sample(const pf_bitmap *in, double x, double y, double s[3])
{
    double mx = in->width - 1.0, my = in->height - 1.0;
    x = x < 0 ? 0 : x > mx ? mx : x;
    y = y < 0 ? 0 : y > my ? my : y;
    uint32_t x0 = (uint32_t)x, y0 = (uint32_t)y;
    uint32_t x1 = x0 + 1 < in->width ? x0 + 1 : x0;
    uint32_t y1 = y0 + 1 < in->height ? y0 + 1 : y0;
    double fx = x - x0, fy = y - y0;
    size_t w = in->width;
    const uint8_t *a = in->rgb + (y0 * w + x0) * 3, *b = in->rgb + (y0 * w + x1) * 3;
    const uint8_t *c = in->rgb + (y1 * w + x0) * 3, *d = in->rgb + (y1 * w + x1) * 3;
    double wa = (1 - fx) * (1 - fy), wb = fx * (1 - fy), wc = (1 - fx) * fy, wd = fx * fy;
    for (int ch = 0; ch < 3; ch++)
        s[ch] += wa * a[ch] + wb * b[ch] + wc * c[ch] + wd * d[ch];
}

/* A straight shake of length pixels: the mean of samples along the line
 * (a box, as a steady sweep during the exposure makes). */
pf_status eval_motion_blur(const pf_bitmap *in, double length, double angle_deg,
                           pf_bitmap *out)
{
    pf_status st = pf_bitmap_alloc(out, in->width, in->height);
    if (st != PF_OK)
        return st;
    int taps = length > 1 ? (int)ceil(length) + 1 : 1;
    double a = angle_deg * M_PI / 180, dx = cos(a), dy = sin(a);
    for (uint32_t y = 0; y < in->height; y++)
        for (uint32_t x = 0; x < in->width; x++) {
            double s[3] = {0, 0, 0};
            for (int t = 0; t < taps; t++) {
                double off = taps > 1 ? length * ((double)t / (taps - 1) - 0.5) : 0;
                add_sample(in, x + off * dx, y + off * dy, s);
            }
            uint8_t *o = out->rgb + ((size_t)y * in->width + x) * 3;
            for (int c = 0; c < 3; c++)
                o[c] = clamp_u8(s[c] / taps);
        }
    return PF_OK;
}

/* Light added towards white: full over the core (0.7 r), falling off
 * smoothly to nothing at 1.3 r, so r is where the blob is half strength. */
void eval_add_glare(pf_bitmap *bmp, double cx, double cy, double r,
                    double strength)
{
    /* Only the blob's bounding box can change. */
    long x0 = lround(fmax(0, cx - 1.3 * r)), x1 = lround(fmin(bmp->width, cx + 1.3 * r + 1));
    long y0 = lround(fmax(0, cy - 1.3 * r)), y1 = lround(fmin(bmp->height, cy + 1.3 * r + 1));
    for (long y = y0; y < y1; y++)
        for (long x = x0; x < x1; x++) {
            double d = hypot(x - cx, y - cy) / r;
            if (d >= 1.3)
                continue;
            double w = d <= 0.7 ? 1 : 0.5 + 0.5 * cos(M_PI * (d - 0.7) / 0.6);
            w *= strength;
            uint8_t *p = bmp->rgb + ((size_t)y * bmp->width + x) * 3;
            for (int c = 0; c < 3; c++)
                p[c] = clamp_u8(p[c] * (1 - w) + 255 * w);
        }
}

void eval_exposure(pf_bitmap *bmp, double gain, double gamma)
{
    uint8_t lut[256];
    for (int v = 0; v < 256; v++)
        lut[v] = clamp_u8(255 * pow(v / 255.0, gamma) * gain);
    size_t n = (size_t)bmp->width * bmp->height * 3;
    for (size_t i = 0; i < n; i++)
        bmp->rgb[i] = lut[bmp->rgb[i]];
}

void eval_haze(pf_bitmap *bmp, double a, double gain)
{
    uint8_t lut[256];
    for (int v = 0; v < 256; v++)
        lut[v] = clamp_u8((v * (1 - a) + 255 * a) * gain);
    size_t n = (size_t)bmp->width * bmp->height * 3;
    for (size_t i = 0; i < n; i++)
        bmp->rgb[i] = lut[bmp->rgb[i]];
}
