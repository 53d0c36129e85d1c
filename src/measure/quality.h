/* Focus, glare and exposure of the document. Included by internal.h.
 * Each works on the document's region (pf_document_warp) when doc->found,
 * else on the whole image, at a fixed analysis scale, so the figures do not
 * depend on the file's resolution. */
#ifndef PF_MEASURE_QUALITY_H
#define PF_MEASURE_QUALITY_H

/* The analysis scale: the document's long side, in pixels, that the
 * figures refer to (a document smaller than this is measured as it is and
 * its figures converted). */
#define PF_QUALITY_LONG 1000

/* The document's region near the analysis scale (sharpness.c): the
 * luminance and chroma planes the three measures share. */
typedef struct {
    uint32_t width, height;
    uint8_t *luma;     /* width * height luminance (BT.601) */
    uint8_t *chroma;   /* width * height max - min of R, G, B */
    uint8_t *valid;    /* 1 where inside the frame; NULL: everywhere */
    double scale;      /* analysis pixels per region pixel */
} pf_quality_region;

pf_status pf_quality_region_make(const pf_bitmap *bmp, const pf_document *doc,
                                 pf_quality_region *out);
void pf_quality_region_free(pf_quality_region *r); /* accepts zeroed */

/* The figures on a region already made (one warp for all three).
 * Focus, higher is sharper: 100 / the typical edge width in pixels at
 * PF_QUALITY_LONG px across the document (100: edges one pixel wide; 25:
 * four pixels wide), or the Crete-Roffet figure on that scale if lower. */
pf_status pf_sharpness_of(const pf_quality_region *r, double *sharpness);
/* Share of the document's area (0..1) under glare: bright, colourless,
 * saturated blobs that hide what is under them. */
pf_status pf_glare_of(const pf_quality_region *r, double *share);
/* Luminance percentiles and clipped share: doc->lum_low, lum_median,
 * lum_high and clipped. */
void pf_exposure_of(const pf_quality_region *r, pf_document *doc);

/* All three at once on one region: fills doc->sharpness, glare, lum_low,
 * lum_median, lum_high and clipped. What the check pipeline should call. */
pf_status pf_measure_quality(const pf_bitmap *bmp, pf_document *doc);

/* Default limits (the document profiles), set on the tuning half of the
 * evaluation set (make eval). Below/above the warn limit warns, past the
 * fail limit fails. */
#define PF_SHARPNESS_FAIL 20.0  /* edges 5 px wide at 1000 px across */
#define PF_SHARPNESS_WARN 30.0  /* 3.3 px */
#define PF_GLARE_FAIL 0.02      /* share of the document */
#define PF_GLARE_WARN 0.01
/* Too dark, by the brightest 1% (lum_high below): even the paper or the
 * brightest part of the document is dim. On the tuning half the clear
 * cases (gain <= 0.3) reach at most 76 and good images start at 114: the
 * fail limit sits between, borderline (gain 0.4..0.5, 49..130) warns. */
#define PF_DARK_FAIL 90.0
#define PF_DARK_WARN 105.0
/* Washed out, by the darkest 0.2% (lum_low above): even the ink is pale.
 * (The 1st percentile was paper on a page whose ink covers under 1% of it:
 * a crisp pen drawing failed.)
 * Faint content (pencil on grey paper) is as pale as a haze, so the fail
 * limit sits high, failing most clear haze on the tuning half without
 * failing faint pencil (a failed good file is the worse error); paler
 * than the good ones warns. */
#define PF_WASHOUT_FAIL 160.0
#define PF_WASHOUT_WARN 135.0

/* The face check: the face box's height as a share of the picture's height
 * (measure/face.c). make eval: at the detector's 800 px working size a
 * face of 0.10 of the height is always found, 0.075 in 27 of 29 portraits,
 * 0.05 never, so under 0.10 a face is too small to be checked reliably.
 * The corpus's good portraits measure 0.13-0.62; under 0.15 warns (a
 * verification photo shows the head and shoulders). */
#define PF_FACE_SIZE_FAIL 0.10
#define PF_FACE_SIZE_WARN 0.15

#endif
