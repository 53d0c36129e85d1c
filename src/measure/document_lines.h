/* Straight edges of a reduced image, for the document finder (document.c).
 * Private to src/measure/document*.c. */
#ifndef PF_MEASURE_DOCUMENT_LINES_H
#define PF_MEASURE_DOCUMENT_LINES_H

#include "internal.h"

/* The reduced copy's long side is at most this (a whole-number box factor
 * of the original): enough to place a card's side within a pixel or two,
 * small enough for the time budget (a few ms). */
#define DOC_WORK_LONG 360
#define DOC_MAX_LINES 36          /* straight edges kept from the Hough space */
#define DOC_MAX_SAMPLES 512       /* > the reduced diagonal (509) */
#define DOC_RING_PX 3             /* the colours this far either side of a
                                     line are kept (doc_line_rings) */

typedef struct {
    double nx, ny, rho;   /* nx*x + ny*y = rho, (nx, ny) a unit normal */
    double theta;         /* the normal's angle, degrees, 0..180 */
    unsigned frame;       /* 0: an edge in the picture; else a frame edge
                             (PF_SIDE_*) standing in for a side cut off */
    double ta;            /* in-frame extent along (-ny, nx): ta .. ta+n-1 */
    int n;                /* samples, one per pixel of that extent */
    uint16_t cum[DOC_MAX_SAMPLES + 1]; /* supported samples before index i */
    /* running sums of the three planes DOC_RING_PX along +normal (0) and
     * -normal (1) of the samples before index i */
    int32_t ring[2][3][DOC_MAX_SAMPLES + 1];
} doc_line;

typedef struct {
    uint32_t w, h;        /* reduced size */
    uint32_t k;           /* box factor: reduced pixel = k x k original */
    float *plane[3];      /* luminance and two colour-opponent planes */
    float *mag;           /* squared colour gradient magnitude */
    float *tx, *ty;       /* the gradient tensor's (xx - yy, 2 xy) at edges */
    uint8_t *ori;         /* 1 + normal angle in degrees where an edge, else 0 */
    uint32_t *pts;        /* edge pixels, y * w + x */
    size_t n_pts;
    int n_lines;          /* found lines, then the 4 frame lines */
    doc_line lines[DOC_MAX_LINES + 4];
} doc_work;

/* Reduces bmp, finds edges and lines into w (freed with doc_work_free).
 * PF_ERR_INVALID_ARG when the image is too small to look at. */
pf_status doc_find_lines(const pf_bitmap *bmp, doc_work *w);
void doc_work_free(doc_work *w);

/* Supported samples and samples in all on line l between the points at
 * parameters t0 < t1 along it (clipped to the frame). */
void doc_line_support(const doc_line *l, double t0, double t1, int *hits,
                      int *len);
/* Mean colours (three planes) DOC_RING_PX along +normal (plus) and
 * -normal (minus) of the samples between parameters t0 < t1 on l; 0 when
 * none is in the frame. */
int doc_line_rings(const doc_line *l, double t0, double t1, double plus[3],
                   double minus[3]);
/* Plane c (0 luminance, 1 and 2 colour-opponent) at the reduced pixel
 * nearest (x, y), clamped to the image. */
double doc_color_at(const doc_work *w, double x, double y, int c);
/* Parameter of point (x, y) along l. */
double doc_line_param(const doc_line *l, double x, double y);

#endif
