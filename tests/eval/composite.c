/* A card photographed on a table: a document image put into a background
 * photo in perspective (eval_composite), and plain crops (eval_crop). */
#include "eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The quad's sides as unit normals pointing inwards and offsets: the
 * signed distance of (x, y) from side i is n[i][0] x + n[i][1] y + n[i][2]
 * (q clockwise on screen). */
static void side_lines(const double q[4][2], double n[4][3])
{
    for (int i = 0; i < 4; i++) {
        const double *a = q[i], *b = q[(i + 1) % 4];
        double dx = b[0] - a[0], dy = b[1] - a[1], len = hypot(dx, dy);
        if (len <= 0) {
            n[i][0] = n[i][1] = 0, n[i][2] = -1e9;
            continue;
        }
        n[i][0] = -dy / len, n[i][1] = dx / len;
        n[i][2] = -(n[i][0] * a[0] + n[i][1] * a[1]);
    }
}

static void bilinear(const pf_bitmap *img, double x, double y, double out[3])
{
    x = fmin(fmax(x, 0), img->width - 1.0);
    y = fmin(fmax(y, 0), img->height - 1.0);
    uint32_t x0 = (uint32_t)x, y0 = (uint32_t)y;
    uint32_t x1 = x0 + 1 < img->width ? x0 + 1 : x0;
    uint32_t y1 = y0 + 1 < img->height ? y0 + 1 : y0;
    double fx = x - x0, fy = y - y0;
    const uint8_t *r0 = img->rgb + (size_t)y0 * img->width * 3;
    const uint8_t *r1 = img->rgb + (size_t)y1 * img->width * 3;
    for (int c = 0; c < 3; c++) {
        double t = r0[x0 * 3 + c] + fx * (r0[x1 * 3 + c] - r0[x0 * 3 + c]);
        double b = r1[x0 * 3 + c] + fx * (r1[x1 * 3 + c] - r1[x0 * 3 + c]);
        out[c] = t + fy * (b - t);
    }
}

/* The quad's corners in clockwise screen order. */
static void clockwise(const double in[4][2], double q[4][2])
{
    double s = 0;
    for (int i = 0; i < 4; i++)
        s += in[i][0] * in[(i + 1) % 4][1] - in[(i + 1) % 4][0] * in[i][1];
    for (int i = 0; i < 4; i++)
        memcpy(q[i], in[s >= 0 ? i : (4 - i) % 4], sizeof q[i]);
}

/* One background pixel: the card's colour blended by how much of the
 * pixel the quad covers (distance to the nearest side, for antialiasing). */
static void paint(const pf_bitmap *card, const double inv[9],
                  const double n[4][3], uint32_t x, uint32_t y, uint8_t *px)
{
    double cover = 1e9;
    for (int i = 0; i < 4; i++) {
        double d = n[i][0] * x + n[i][1] * y + n[i][2];
        cover = d < cover ? d : cover;
    }
    cover = fmin(fmax(cover + 0.5, 0), 1);
    if (cover <= 0)
        return;
    double z = inv[6] * x + inv[7] * y + inv[8];
    double u = (inv[0] * x + inv[1] * y + inv[2]) / z;
    double v = (inv[3] * x + inv[4] * y + inv[5]) / z;
    double rgb[3];
    bilinear(card, u * card->width - 0.5, v * card->height - 0.5, rgb);
    for (int c = 0; c < 3; c++)
        px[c] = (uint8_t)lround(px[c] + cover * (rgb[c] - px[c]));
}

pf_status eval_composite(const pf_bitmap *background, const pf_bitmap *card,
                         const double corners[4][2], pf_bitmap *out)
{
    double h[9], inv[9], q[4][2], n[4][3];
    pf_status st = pf_bitmap_alloc(out, background->width, background->height);
    if (st != PF_OK)
        return st;
    memcpy(out->rgb, background->rgb, (size_t)out->width * out->height * 3);
    if (!pf_quad_homography(corners, h) || !pf_homography_invert(h, inv))
        return PF_OK; /* a degenerate quad covers nothing */
    clockwise(corners, q);
    side_lines((const double (*)[2])q, n);
    double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
    for (int i = 0; i < 4; i++) {
        x0 = fmin(x0, q[i][0]), x1 = fmax(x1, q[i][0]);
        y0 = fmin(y0, q[i][1]), y1 = fmax(y1, q[i][1]);
    }
    long xa = (long)fmax(0, floor(x0) - 1), xb = (long)fmin(out->width - 1.0, ceil(x1) + 1);
    long ya = (long)fmax(0, floor(y0) - 1), yb = (long)fmin(out->height - 1.0, ceil(y1) + 1);
    for (long y = ya; y <= yb; y++)
        for (long x = xa; x <= xb; x++)
            paint(card, inv, (const double (*)[3])n, (uint32_t)x, (uint32_t)y,
                  out->rgb + ((size_t)y * out->width + (size_t)x) * 3);
    return PF_OK;
}

pf_status eval_crop(const pf_bitmap *in, uint32_t x, uint32_t y, uint32_t w,
                    uint32_t h, pf_bitmap *out)
{
    memset(out, 0, sizeof *out);
    if (x >= in->width || y >= in->height)
        return PF_ERR_INVALID_ARG;
    if (w > in->width - x)
        w = in->width - x;
    if (h > in->height - y)
        h = in->height - y;
    if (w == 0 || h == 0)
        return PF_ERR_INVALID_ARG;
    pf_status st = pf_bitmap_alloc(out, w, h);
    if (st != PF_OK)
        return st;
    for (uint32_t r = 0; r < h; r++)
        memcpy(out->rgb + (size_t)r * w * 3,
               in->rgb + ((size_t)(y + r) * in->width + x) * 3, (size_t)w * 3);
    return PF_OK;
}
