/* fix's crop to a small document: the document and a margin, turned
 * straight when it lies at more than a degree, so the output's pixels go to
 * the card rather than the table. Never smaller than the minimum size. */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CROP_MARGIN 0.04      /* of the document's long side, each way */
#define STRAIGHTEN_MIN_DEG 1.0
#define STRAIGHTEN_MAX_DEG 30.0

/* Only a document that stands out from its surroundings: a box printed on
 * a page (a chart, a frame of text) is not the document, and cropping to
 * it would lose the rest of the page. */
int pf_crop_wanted(const pf_rules *rules, const pf_options *options,
                   const pf_document *doc)
{
    return !options->no_crop && (rules->image_checks & PF_RULE_DOCUMENT) &&
           doc->measured && doc->found && doc->stands_out &&
           doc->cut_confidence < PF_CUT_WARN &&
           doc->fill > 0 && doc->fill < rules->min_fill;
}


/* The document's box in a frame turned by angle about its centre, with
 * the margin, grown to the minimum size. */
static void document_box(const pf_document *doc, double angle, uint32_t min_long,
                         uint32_t min_short, pf_crop_box *box)
{
    double cx = 0, cy = 0, x0 = 1e30, y0 = 1e30, x1 = -1e30, y1 = -1e30;
    double c = cos(angle), s = sin(angle);
    for (int i = 0; i < 4; i++)
        cx += doc->corners[i][0] / 4, cy += doc->corners[i][1] / 4;
    for (int i = 0; i < 4; i++) {
        double dx = doc->corners[i][0] - cx, dy = doc->corners[i][1] - cy;
        double x = c * dx + s * dy, y = -s * dx + c * dy;
        x0 = fmin(x0, x), x1 = fmax(x1, x), y0 = fmin(y0, y), y1 = fmax(y1, y);
    }
    double w = x1 - x0, h = y1 - y0, margin = CROP_MARGIN * fmax(w, h);
    w += 2 * margin, h += 2 * margin;
    /* Grow both ways, keeping the shape, until it meets the minimum. */
    double lng = fmax(w, h), shrt = fmin(w, h), grow = 1;
    if (min_long && lng < min_long)
        grow = fmax(grow, min_long / lng);
    if (min_short && shrt < min_short)
        grow = fmax(grow, min_short / shrt);
    box->cx = cx + c * (x0 + x1) / 2 - s * (y0 + y1) / 2;
    box->cy = cy + s * (x0 + x1) / 2 + c * (y0 + y1) / 2;
    box->w = w * grow, box->h = h * grow, box->angle = angle;
}

/* Whether the box's corners all lie in the w x h image. */
static int box_inside(const pf_crop_box *b, uint32_t w, uint32_t h)
{
    double c = cos(b->angle), s = sin(b->angle);
    for (int i = 0; i < 4; i++) {
        double dx = (i & 1 ? 0.5 : -0.5) * b->w, dy = (i & 2 ? 0.5 : -0.5) * b->h;
        double x = b->cx + c * dx - s * dy, y = b->cy + s * dx + c * dy;
        if (x < -0.5 || y < -0.5 || x > w - 0.5 || y > h - 0.5)
            return 0;
    }
    return 1;
}

/* Slides an unturned box into the image, shrinking it to the image at most. */
static void clamp_box(pf_crop_box *b, uint32_t w, uint32_t h)
{
    b->w = fmin(b->w, w), b->h = fmin(b->h, h);
    b->cx = fmin(fmax(b->cx, b->w / 2), w - b->w / 2);
    b->cy = fmin(fmax(b->cy, b->h / 2), h - b->h / 2);
}

static void sample_bilinear(const pf_bitmap *src, double x, double y, uint8_t *px)
{
    double fx = fmin(fmax(x, 0), src->width - 1.0), fy = fmin(fmax(y, 0), src->height - 1.0);
    uint32_t x0 = (uint32_t)fx, y0 = (uint32_t)fy;
    uint32_t x1 = x0 + 1 < src->width ? x0 + 1 : x0, y1 = y0 + 1 < src->height ? y0 + 1 : y0;
    double ax = fx - x0, ay = fy - y0;
    const uint8_t *p00 = src->rgb + ((size_t)y0 * src->width + x0) * 3;
    const uint8_t *p01 = src->rgb + ((size_t)y0 * src->width + x1) * 3;
    const uint8_t *p10 = src->rgb + ((size_t)y1 * src->width + x0) * 3;
    const uint8_t *p11 = src->rgb + ((size_t)y1 * src->width + x1) * 3;
    for (int k = 0; k < 3; k++) {
        double v = (1 - ay) * ((1 - ax) * p00[k] + ax * p01[k]) +
                   ay * ((1 - ax) * p10[k] + ax * p11[k]);
        px[k] = (uint8_t)(v + 0.5);
    }
}

/* Renders the box: a plain copy when it is not turned, else resampled. */
static pf_status render_box(const pf_bitmap *src, const pf_crop_box *b, pf_bitmap *out)
{
    uint32_t w = (uint32_t)(b->w + 0.5), h = (uint32_t)(b->h + 0.5);
    pf_status st = pf_bitmap_alloc(out, w ? w : 1, h ? h : 1);
    if (st != PF_OK)
        return st;
    double c = cos(b->angle), s = sin(b->angle);
    double left = b->cx - out->width / 2.0, top = b->cy - out->height / 2.0;
    for (uint32_t y = 0; y < out->height; y++) {
        uint8_t *row = out->rgb + (size_t)y * out->width * 3;
        if (b->angle == 0) {
            uint32_t sx = (uint32_t)fmax(0, floor(left + 0.5));
            uint32_t sy = (uint32_t)fmax(0, floor(top + 0.5)) + y;
            if (sx + out->width > src->width) sx = src->width - out->width;
            if (sy >= src->height) sy = src->height - 1;
            memcpy(row, src->rgb + ((size_t)sy * src->width + sx) * 3,
                   (size_t)out->width * 3);
            continue;
        }
        for (uint32_t x = 0; x < out->width; x++) {
            double dx = x + 0.5 - out->width / 2.0, dy = y + 0.5 - out->height / 2.0;
            sample_bilinear(src, b->cx + c * dx - s * dy - 0.5,
                            b->cy + s * dx + c * dy - 0.5, row + (size_t)x * 3);
        }
    }
    return PF_OK;
}

int pf_crop_plan(const pf_document *doc, uint32_t width, uint32_t height,
                 uint32_t min_long, uint32_t min_short, pf_crop_box *box)
{
    double tilt = doc->tilt;
    if (fabs(tilt) > STRAIGHTEN_MIN_DEG && fabs(tilt) <= STRAIGHTEN_MAX_DEG) {
        document_box(doc, tilt * M_PI / 180, min_long, min_short, box);
        if (box_inside(box, width, height))
            return 1;
    }
    document_box(doc, 0, min_long, min_short, box);
    clamp_box(box, width, height);
    /* Grown to the minimum size, the box may be (nearly) the whole picture. */
    return box->w < 0.97 * width || box->h < 0.97 * height;
}

pf_status pf_crop_render(const pf_bitmap *src, const pf_crop_box *box,
                         pf_bitmap *out)
{
    memset(out, 0, sizeof *out);
    return render_box(src, box, out);
}

/* ---- a face photo: head and shoulders ---- */

#define FACE_CROP_BELOW 0.25  /* crop when the face is under this share */
#define FACE_CROP_SIZE 0.35   /* ... to a frame where it is this share */
#define FACE_CROP_ASPECT 0.8  /* width / height of the frame (portrait) */
#define FACE_CROP_HEADROOM 0.28 /* face box top, as a share of the height */
#define FACE_CROP_MIN_GAIN 0.8  /* keep the picture when the frame is most of it */

int pf_face_crop_wanted(const pf_rules *rules, const pf_options *options,
                        const pf_face *face)
{
    return !options->no_crop && (rules->image_checks & PF_RULE_FACE) &&
           face->measured && face->count == 1 && !face->cut_sides &&
           face->size > 0 && face->size < FACE_CROP_BELOW;
}

/* Shifts [*lo, *lo + len) inside [0, limit), shrinking it when it is
 * longer than that. */
static void fit_span(double *lo, double *len, double limit)
{
    if (*len > limit)
        *len = limit;
    if (*lo < 0)
        *lo = 0;
    if (*lo + *len > limit)
        *lo = limit - *len;
}

int pf_face_crop_plan(const pf_face *face, uint32_t width, uint32_t height,
                      pf_crop_box *box)
{
    double h = face->h / FACE_CROP_SIZE, w = h * FACE_CROP_ASPECT;
    double x0 = face->x + face->w / 2 - w / 2, y0 = face->y - h * FACE_CROP_HEADROOM;
    fit_span(&x0, &w, width);
    fit_span(&y0, &h, height);
    box->w = floor(w), box->h = floor(h), box->angle = 0;
    box->cx = x0 + box->w / 2, box->cy = y0 + box->h / 2;
    return box->w * box->h < FACE_CROP_MIN_GAIN * (double)width * height &&
           box->w >= 16 && box->h >= 16;
}

