/* The document's region as an upright rectangle (pf_document_warp), and
 * the homography behind it. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int pf_quad_homography(const double q[4][2], double h[9])
{
    /* Heckbert's square-to-quad mapping */
    double dx1 = q[1][0] - q[2][0], dx2 = q[3][0] - q[2][0];
    double dy1 = q[1][1] - q[2][1], dy2 = q[3][1] - q[2][1];
    double dx3 = q[0][0] - q[1][0] + q[2][0] - q[3][0];
    double dy3 = q[0][1] - q[1][1] + q[2][1] - q[3][1];
    double det = dx1 * dy2 - dx2 * dy1;
    if (fabs(det) < 1e-12)
        return 0;
    double g = (dx3 * dy2 - dx2 * dy3) / det, k = (dx1 * dy3 - dx3 * dy1) / det;
    h[0] = q[1][0] - q[0][0] + g * q[1][0];
    h[1] = q[3][0] - q[0][0] + k * q[3][0];
    h[2] = q[0][0];
    h[3] = q[1][1] - q[0][1] + g * q[1][1];
    h[4] = q[3][1] - q[0][1] + k * q[3][1];
    h[5] = q[0][1];
    h[6] = g, h[7] = k, h[8] = 1;
    return 1;
}

int pf_homography_invert(const double m[9], double inv[9])
{
    double a[9] = {
        m[4] * m[8] - m[5] * m[7], m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
        m[5] * m[6] - m[3] * m[8], m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
        m[3] * m[7] - m[4] * m[6], m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3]};
    double det = m[0] * a[0] + m[1] * a[3] + m[2] * a[6];
    if (!isfinite(det) || fabs(det) < 1e-15)
        return 0;
    for (int i = 0; i < 9; i++)
        inv[i] = a[i] / det;
    return 1;
}

/* Bilinear sample of bmp at (x, y) (pixel centres at integers), edges
 * repeated, in fixed point (8-bit weights: within a level of the exact
 * value, at a fraction of the cost); 1 when (x, y) lies inside the frame. */
static int sample(const pf_bitmap *bmp, float x, float y, uint8_t out[3])
{
    const float xmax = (float)bmp->width - 1, ymax = (float)bmp->height - 1;
    int inside = x >= -0.5f && y >= -0.5f && x <= xmax + 0.5f && y <= ymax + 0.5f;
    x = x >= 0 ? (x < xmax ? x : xmax) : 0; /* NaN too: a degenerate quad */
    y = y >= 0 ? (y < ymax ? y : ymax) : 0;
    uint32_t x0 = (uint32_t)x, y0 = (uint32_t)y;
    uint32_t fx = (uint32_t)((x - (float)x0) * 256.0f);
    uint32_t fy = (uint32_t)((y - (float)y0) * 256.0f);
    size_t dx = x0 + 1 < bmp->width ? 3 : 0;
    size_t dy = y0 + 1 < bmp->height ? (size_t)bmp->width * 3 : 0;
    const uint8_t *p = bmp->rgb + ((size_t)y0 * bmp->width + x0) * 3;
    for (int c = 0; c < 3; c++) {
        uint32_t top = p[c] * (256 - fx) + p[c + dx] * fx;
        uint32_t bot = p[c + dy] * (256 - fx) + p[c + dy + dx] * fx;
        out[c] = (uint8_t)((top * (256 - fy) + bot * fy + 32768) >> 16);
    }
    return inside;
}

#define WARP_SPAN 16 /* exact positions every WARP_SPAN pixels, linear between */

/* A span whose ends lie where every pixel's four neighbours exist (it is
 * straight, so its ends bound it): 16.16 fixed-point steps, no clamping. */
static void warp_span_inside(const pf_bitmap *bmp, double x, double y, double sx,
                             double sy, uint32_t n, uint8_t *px, uint8_t *mask)
{
    int32_t fx = (int32_t)(x * 65536), fy = (int32_t)(y * 65536);
    int32_t dx = (int32_t)(sx * 65536), dy = (int32_t)(sy * 65536);
    size_t stride = (size_t)bmp->width * 3;
    for (uint32_t k = 0; k < n; k++, fx += dx, fy += dy, px += 3) {
        uint32_t ax = ((uint32_t)fx >> 8) & 255, ay = ((uint32_t)fy >> 8) & 255;
        const uint8_t *p = bmp->rgb + (size_t)(fy >> 16) * stride + (size_t)(fx >> 16) * 3;
        for (int c = 0; c < 3; c++) {
            uint32_t top = p[c] * (256 - ax) + p[c + 3] * ax;
            uint32_t bot = p[c + stride] * (256 - ax) + p[c + stride + 3] * ax;
            px[c] = (uint8_t)((top * (256 - ay) + bot * ay + 32768) >> 16);
        }
        if (mask)
            mask[k] = 1;
    }
}

static int interior(const pf_bitmap *bmp, double x, double y)
{
    return x >= 0 && y >= 0 && x < bmp->width - 1.0 && y < bmp->height - 1.0;
}

/* Row j of the warp. The homography's numerators and denominator are
 * linear along the row; the division is done every WARP_SPAN pixels and
 * the position interpolated between (off by far less than a pixel under
 * any perspective a photo of a document has). */
static void warp_row(const pf_bitmap *bmp, const double hm[9], uint32_t j,
                     pf_bitmap *out, uint8_t *mask)
{
    uint32_t w = out->width;
    double v = (j + 0.5) / out->height, du = 1.0 / w;
    uint8_t *px = out->rgb + (size_t)j * w * 3, *row_mask = mask ? mask + (size_t)j * w : NULL;
    for (uint32_t i = 0; i < w; i += WARP_SPAN) {
        uint32_t end = i + WARP_SPAN < w ? i + WARP_SPAN : w, n = end - i;
        double pos[2][2];
        for (int e = 0; e < 2; e++) {
            double u = ((e ? end - 1 : i) + 0.5) * du;
            double z = hm[6] * u + hm[7] * v + hm[8];
            pos[e][0] = (hm[0] * u + hm[1] * v + hm[2]) / z;
            pos[e][1] = (hm[3] * u + hm[4] * v + hm[5]) / z;
        }
        double sx = n > 1 ? (pos[1][0] - pos[0][0]) / (n - 1) : 0;
        double sy = n > 1 ? (pos[1][1] - pos[0][1]) / (n - 1) : 0;
        if (interior(bmp, pos[0][0], pos[0][1]) && interior(bmp, pos[1][0], pos[1][1])) {
            warp_span_inside(bmp, pos[0][0], pos[0][1], sx, sy, n, px + (size_t)i * 3,
                             row_mask ? row_mask + i : NULL);
            continue;
        }
        double x = pos[0][0], y = pos[0][1];
        for (uint32_t k = i; k < end; k++, x += sx, y += sy) {
            int in = sample(bmp, (float)x, (float)y, px + (size_t)k * 3);
            if (row_mask)
                row_mask[k] = (uint8_t)in;
        }
    }
}

/* Output size: long side long_side, aspect from the quad's sides. */
static void warp_dims(const double q[4][2], uint32_t long_side, uint32_t *w,
                      uint32_t *h)
{
    double top = hypot(q[1][0] - q[0][0], q[1][1] - q[0][1]);
    double bot = hypot(q[2][0] - q[3][0], q[2][1] - q[3][1]);
    double lft = hypot(q[3][0] - q[0][0], q[3][1] - q[0][1]);
    double rgt = hypot(q[2][0] - q[1][0], q[2][1] - q[1][1]);
    double aw = fmax(top + bot, 1e-9), ah = fmax(lft + rgt, 1e-9);
    if (aw >= ah)
        *w = long_side, *h = (uint32_t)fmax(1, lround(long_side * ah / aw));
    else
        *h = long_side, *w = (uint32_t)fmax(1, lround(long_side * aw / ah));
}

static pf_status whole_image(const pf_bitmap *bmp, uint32_t long_side,
                             pf_bitmap *out, uint8_t **valid)
{
    uint32_t lng = bmp->width > bmp->height ? bmp->width : bmp->height;
    uint32_t w = (uint32_t)fmax(1, lround((double)bmp->width * long_side / lng));
    uint32_t h = (uint32_t)fmax(1, lround((double)bmp->height * long_side / lng));
    pf_status st = pf_resize(bmp, w, h, out);
    if (st == PF_OK && valid) {
        *valid = malloc((size_t)w * h);
        if (!*valid) {
            pf_bitmap_free(out);
            return PF_ERR_NOMEM;
        }
        memset(*valid, 1, (size_t)w * h);
    }
    return st;
}

pf_status pf_document_warp(const pf_bitmap *bmp, const pf_document *doc,
                           uint32_t long_side, pf_bitmap *out, uint8_t **valid)
{
    double hm[9];
    uint32_t w, h;
    uint8_t *mask = NULL;
    pf_status st = PF_OK;
    if (valid)
        *valid = NULL;
    if (!bmp || !bmp->rgb || !doc || !out || long_side == 0)
        return PF_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (!doc->found || !pf_quad_homography(doc->corners, hm))
        return whole_image(bmp, long_side, out, valid);
    warp_dims(doc->corners, long_side, &w, &h);
    st = pf_bitmap_alloc(out, w, h);
    if (st != PF_OK)
        goto cleanup;
    if (valid && !(mask = malloc((size_t)w * h))) {
        st = PF_ERR_NOMEM;
        goto cleanup;
    }
    for (uint32_t j = 0; j < h; j++)
        warp_row(bmp, hm, j, out, mask);
cleanup:
    if (st != PF_OK) {
        pf_bitmap_free(out);
        free(mask);
        mask = NULL;
    }
    if (valid)
        *valid = mask;
    return st;
}
