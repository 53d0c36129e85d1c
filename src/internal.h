/* Interfaces between the library's modules. Not installed. */
#ifndef PF_INTERNAL_H
#define PF_INTERNAL_H

#include "preflight.h"
#include "i18n.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define PF_ERR_LEN 200 /* detail from a codec, without the file name */

/* 8-bit RGB, rows packed (stride = width * 3). */
typedef struct {
    uint32_t width, height;
    uint8_t *rgb;
} pf_bitmap;

void pf_bitmap_free(pf_bitmap *bmp); /* frees pixels, zeroes; accepts NULL */
/* Allocates width*height*3 with overflow checks. */
pf_status pf_bitmap_alloc(pf_bitmap *bmp, uint32_t width, uint32_t height);

/* What a decoder found, pixels still as stored (not yet oriented). */
typedef struct {
    pf_bitmap bmp;         /* RGB, alpha already flattened onto white */
    uint32_t stored_width, stored_height; /* in the file, before any scaling */
    int source_grey;       /* one channel in the file (JPEG 1 comp, PNG grey) */
    int has_alpha;         /* some pixel was not fully opaque */
    int exif_orientation;  /* 1..8, 0 when no EXIF or no tag */
    int has_gps;           /* EXIF has GPS position tags */
    uint8_t *icc;          /* embedded ICC profile (malloc'd) or NULL: the
                              pixels are still in its colours until
                              pf_colour_to_srgb (colour/icc.c) converts them */
    size_t icc_len;
    int pages;             /* pages (PDF, TIFF) or frames (GIF, WebP) in the
                              file; 0 or 1: a single picture */
    int animated;          /* an animation: the first frame was decoded */
    int icc_converted;     /* the profile was applied: pixels are sRGB */
    /* What pf_measure_pixels found on bmp as it is (positions in its own
     * pixels), while measures_valid: fix re-uses it to judge a copy that
     * encodes these very pixels. Whatever changes bmp clears the flag. */
    pf_image_info measures;
    int measures_valid;
} pf_decoded;

/* Composites w RGBA pixels onto white into RGB, as a browser shows them on
 * a white page; premultiplied: the colour already carries its alpha.
 * Returns 1 when some pixel was not opaque (util.c). */
int pf_flatten_row(const uint8_t *rgba, uint8_t *rgb, uint32_t w, int premultiplied);
/* One channel c of a pixel of alpha a composited onto white. */
static inline uint8_t pf_on_white(unsigned c, unsigned a, int premultiplied)
{
    unsigned v = premultiplied ? c + (255u - a) : (c * a + 255u * (255u - a) + 127u) / 255u;
    return (uint8_t)(v > 255 ? 255 : v); /* a premultiplied colour over its alpha */
}

/* The formats whose pixels preflight reads (pipeline.c). */
int pf_format_decodable(pf_format format);

void pf_decoded_free(pf_decoded *dec); /* accepts NULL */

#include "measure/document.h"
#include "measure/quality.h"
#include "checks/check_unit.h"

/* ---- jpeg_codec.c (libjpeg / TurboJPEG; setjmp lives only there) ---- */

/* Decodes any JPEG (baseline, progressive, grey, RGB, CMYK/YCCK incl. Adobe
 * inverted) to RGB. Refuses images over max_pixels before allocating
 * (PF_ERR_TOO_LARGE). Reads EXIF orientation/GPS from APP1. The ICC
 * profile of its APP2 chunks goes to out->icc for an RGB or grey file
 * (a broken chunk set or one over PF_ICC_MAX_BYTES: none); a CMYK file
 * with a CMYK profile is converted through it to sRGB while decoding
 * (every path, resized too), out->icc then NULL.
 * scale_eighths M (1..8) decodes at M/8 of the stored size (libjpeg-turbo's
 * DCT scaling: much faster than decoding in full and shrinking); 8 = full.
 * Output dims are ceil(stored * M / 8). */
pf_status pf_jpeg_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                         int scale_eighths, pf_decoded *out,
                         char err[PF_ERR_LEN]);

/* The same, streaming the decoded rows through a pf_shrinker to
 * target_w x target_h (stored orientation; 0 x 0: no resize). out->bmp is
 * then the resized image, and the M/8-size image never exists. threads >= 2
 * lets the resizing run in a second thread for large images. */
pf_status pf_jpeg_decode_resized(const uint8_t *data, size_t len,
                                 uint64_t max_pixels, int scale_eighths,
                                 uint32_t target_w, uint32_t target_h,
                                 int threads, pf_decoded *out,
                                 char err[PF_ERR_LEN]);

/* Reads only the header: stored width/height and component count. */
pf_status pf_jpeg_header(const uint8_t *data, size_t len, uint32_t *width,
                         uint32_t *height, int *components,
                         char err[PF_ERR_LEN]);

/* Baseline-compatible JPEG of bmp at quality (1..100, fractional allowed:
 * the IJG scaling of the Annex K tables), 4:2:0, optimized
 * Huffman, progressive; JFIF only, no metadata. *out freed with free(). */
pf_status pf_jpeg_encode(const pf_bitmap *bmp, double quality, uint8_t **out,
                         size_t *out_len, char err[PF_ERR_LEN]);
/* The same with full-resolution chroma (4:4:4) when full_chroma. */
pf_status pf_jpeg_encode_chroma(const pf_bitmap *bmp, double quality,
                                int full_chroma, uint8_t **out,
                                size_t *out_len, char err[PF_ERR_LEN]);
/* The same with libjpeg's encoder-side smoothing (smoothing_factor, 0..100:
 * 0 none), a 3x3 blur of every component before the DCT. */
pf_status pf_jpeg_encode_smoothed(const pf_bitmap *bmp, double quality,
                                  int full_chroma, int smoothing, uint8_t **out,
                                  size_t *out_len, char err[PF_ERR_LEN]);

/* ---- jpeg_rdo.c (rate-distortion-optimised quantization) ---- */

/* A picture's DCT coefficients (JFIF YCbCr, 4:2:0, or 4:4:4 when
 * full_chroma), computed once for every trial of a budget search, on two
 * threads when threads >= 2 (the same coefficients). */
typedef struct pf_jpeg_coefs pf_jpeg_coefs;
pf_status pf_jpeg_coefs_new(const pf_bitmap *bmp, int full_chroma, int threads,
                            pf_jpeg_coefs **out);
void pf_jpeg_coefs_free(pf_jpeg_coefs *coefs); /* accepts NULL */
/* pf_jpeg_encode_chroma's file (same tables, progression, Huffman
 * optimisation), but each block's coefficients chosen for the least
 * distortion plus bits rather than rounded: smaller at the same quality.
 * Thread-safe: trials may share one coefs. */
pf_status pf_jpeg_encode_rdo(const pf_jpeg_coefs *coefs, double quality,
                             uint8_t **out, size_t *out_len,
                             char err[PF_ERR_LEN]);
/* The same, and the size a sequential file of the same blocks would have
 * (pf_jpeg_rdo_estimate's, for calibrating it). */
pf_status pf_jpeg_encode_rdo_estimated(const pf_jpeg_coefs *coefs, double quality,
                                       uint8_t **out, size_t *out_len,
                                       double *estimate, char err[PF_ERR_LEN]);
/* Bytes of a sequential file with optimised Huffman tables of the blocks
 * pf_jpeg_encode_rdo would write at this quality, counted from the chosen
 * symbols of one block in eight without writing anything: 2.1 ms against
 * 42 for the progressive file of a 1956x1100 photo. The progressive file
 * differs by a few percent (0.97-1.03 on the bench's camera photos near
 * their budget's quality, 1.05-1.08 smooth or at 4:4:4), steadily across
 * nearby qualities: calibrate against one real file. */
pf_status pf_jpeg_rdo_estimate(const pf_jpeg_coefs *coefs, double quality,
                               double *estimate, char err[PF_ERR_LEN]);

/* Lossless rotation/flip that makes an image with EXIF orientation 2..8
 * upright (TurboJPEG transform, perfect only). Drops all metadata markers
 * unless keep_metadata; when kept, the EXIF orientation tag is set to 1.
 * PF_ERR_UNFIXABLE when the transform cannot be perfect (partial MCUs):
 * the caller then re-encodes. */
pf_status pf_jpeg_transform_upright(const uint8_t *data, size_t len,
                                    int orientation, int keep_metadata,
                                    uint8_t **out, size_t *out_len,
                                    char err[PF_ERR_LEN]);

/* Copies the JPEG's compressed data unchanged, dropping metadata segments
 * wherever they are (before the first scan or between scans): APP1 (EXIF,
 * XMP), APP13 (IPTC), COM, other APPn, JFXX thumbnails, and anything after
 * EOI (MPF second images, vendor trailers). Keeps JFIF APP0 (without its
 * thumbnail), APP2 ICC profile and APP14 Adobe cut to its 12 defined bytes
 * (needed to show colours right). PF_ERR_CORRUPT on a marker structure it
 * cannot follow. */
pf_status pf_jpeg_strip_metadata(const uint8_t *data, size_t len,
                                 uint8_t **out, size_t *out_len,
                                 char err[PF_ERR_LEN]);

/* The metadata a re-encoded copy carries with --keep-metadata, as ready
 * marker segments: the first EXIF APP1 (orientation set to 1, IFD1
 * thumbnail removed), other APP1 (XMP), APP13 (IPTC) and COM found before
 * the first scan. *out is NULL when there are none. Free with free(). */
pf_status pf_jpeg_collect_metadata(const uint8_t *data, size_t len,
                                   uint8_t **out, size_t *out_len);

/* jpeg with the marker segments inserted after SOI and its JFIF APP0. */
pf_status pf_jpeg_insert_segments(const uint8_t *jpeg, size_t len,
                                  const uint8_t *segments, size_t seg_len,
                                  uint8_t **out, size_t *out_len);

/* ---- png_codec.c (libpng; setjmp lives only there) ---- */

/* Decodes every PNG colour type and bit depth, palette with tRNS,
 * interlaced, 16-bit, alpha (flattened onto white) to 8-bit RGB.
 * Reads eXIf for orientation, iCCP into out->icc (not applied; one over
 * 2 MiB inflated is ignored). Refuses over max_pixels before allocating. */
pf_status pf_png_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                        pf_decoded *out, char err[PF_ERR_LEN]);

/* An 8-bit RGB PNG of bmp (no metadata). *out freed with free(). */
pf_status pf_png_encode(const pf_bitmap *bmp, uint8_t **out, size_t *out_len,
                        char err[PF_ERR_LEN]);

/* Copies a PNG dropping ancillary metadata chunks (tEXt, zTXt, iTXt, eXIf,
 * tIME); keeps everything that affects pixels or colour. */
/* Per cent of a PNG's image data (inflated IDAT against the size its
 * header promises) present in a cut-short file; -1 without a header. */
int pf_png_data_share(const uint8_t *data, size_t len);
/* "truncated PNG: ..." naming the share present; in_pixels: the file ends
 * after its image data began. */
void pf_png_describe_truncation(const uint8_t *data, size_t len, int in_pixels,
                                char err[PF_ERR_LEN]);
/* Walks the chunk headers before libpng allocates by them: a chunk running
 * past the end (PF_ERR_TRUNCATED) or an ancillary chunk over
 * max_metadata_chunk bytes (PF_ERR_TOO_LARGE). */
pf_status pf_png_check_chunks(const uint8_t *data, size_t len,
                              uint32_t max_metadata_chunk, char err[PF_ERR_LEN]);

pf_status pf_png_strip_metadata(const uint8_t *data, size_t len,
                                uint8_t **out, size_t *out_len,
                                char err[PF_ERR_LEN]);

/* HELPER NOTE (remove before committing): before you start, read
 * /tmp/common.md — the house rules, gettext/po steps, fuzz-replay usage,
 * commit instructions and your HARD DEADLINE (17:30 UTC). */
/* ---- the other decoders: each in its own file (codec/heif_codec.c,
 * webp_codec.c, tiff_codec.c, gif_codec.c, bmp_codec.c, pdf_codec.c), each
 * wrapping one Debian library. All of them: refuse a picture over
 * max_pixels before allocating it (PF_ERR_TOO_LARGE), cap metadata, return
 * 8-bit RGB with alpha flattened onto white in out->bmp, set
 * stored_width/stored_height to the picture's own size, copy an embedded
 * ICC profile to out->icc (not applied), set pages/animated, and never
 * print. A damaged file is PF_ERR_CORRUPT with what is wrong in err.
 * exif_orientation is what still has to be applied (0 when the decoder has
 * already made the picture upright, as libheif does with irot/imir). ---- */

/* What every decoder does first (util.c): clears *out and err, and refuses
 * a NULL out, data or err (PF_ERR_INVALID_ARG). */
pf_status pf_decode_begin(const uint8_t *data, pf_decoded *out, char *err);
/* A decoder whose library (opened on first use) is missing: PF_ERR_FORMAT,
 * the message naming the library and its Debian package. */
pf_status pf_missing_library(char *err, const char *format, const char *soname,
                             const char *package);
/* HEIC/HEIF (libheif): the primary image; EXIF read for GPS only. */
pf_status pf_heif_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                         pf_decoded *out, char err[PF_ERR_LEN]);
/* WebP (libwebp + demux): still, or the first frame of an animation. */
pf_status pf_webp_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                         pf_decoded *out, char err[PF_ERR_LEN]);
/* TIFF (libtiff): page (0-based) of a multi-page file, oriented by its
 * Orientation tag (exif_orientation 0 afterwards). */
pf_status pf_tiff_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                         int page, pf_decoded *out, char err[PF_ERR_LEN]);
/* Pages in a TIFF (its chain of directories, at most 10,000) and in a PDF
 * (poppler): PF_ERR_CORRUPT, *pages = 1, when it cannot be read. */
pf_status pf_tiff_page_count(const uint8_t *data, size_t len, int *pages);
pf_status pf_pdf_page_count(const uint8_t *data, size_t len, int *pages);
/* GIF (giflib): the first frame, on the logical screen. */
pf_status pf_gif_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                        pf_decoded *out, char err[PF_ERR_LEN]);
/* BMP (stb_image from libstb). */
pf_status pf_bmp_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                        pf_decoded *out, char err[PF_ERR_LEN]);
/* PDF (poppler-glib + cairo): page (0-based) rendered on white at 200 dpi,
 * or more (up to 600 dpi) so that its long and short sides reach min_long
 * and min_short pixels; then within max_pixels. PF_ERR_UNFIXABLE with a
 * message for a password-protected file. */
pf_status pf_pdf_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                        int page, uint32_t min_long, uint32_t min_short,
                        pf_decoded *out, char err[PF_ERR_LEN]);

/* ---- colour/icc.c (Little CMS 2) ---- */

/* Converts bmp from the colours of the ICC profile icc (RGB or grey) to
 * sRGB in place (perceptual intent); nothing is done when the profile is
 * sRGB already. *converted (may be NULL): 1 when the pixels were changed. PF_ERR_CORRUPT when the profile cannot be read (err then
 * reads as a warning: "embedded colour profile is damaged..."; the pixels
 * are unchanged). A profile for other pixels (CMYK, Lab, a device link)
 * changes nothing: PF_OK with a note in err. No icc (NULL or 0 bytes):
 * PF_OK, nothing done. Thread-safe: each call has its own lcms context. */
pf_status pf_colour_to_srgb(pf_bitmap *bmp, const uint8_t *icc, size_t icc_len,
                            int *converted, char err[PF_ERR_LEN]);

/* CMYK samples through a CMYK profile to sRGB (for jpeg_codec.c): inverted
 * is Adobe's convention (255: no ink). PF_ERR_CORRUPT when icc is not a
 * readable CMYK profile (the caller then uses its plain formula). */
typedef struct pf_cmyk_to_srgb pf_cmyk_to_srgb;
pf_status pf_cmyk_to_srgb_new(const uint8_t *icc, size_t icc_len, int inverted,
                              pf_cmyk_to_srgb **out);
/* n pixels: 4 bytes each in cmyk, 3 out in rgb. */
void pf_cmyk_to_srgb_row(pf_cmyk_to_srgb *c, const uint8_t *cmyk, uint8_t *rgb,
                         uint32_t n);
void pf_cmyk_to_srgb_free(pf_cmyk_to_srgb *c); /* accepts NULL */

/* Largest embedded ICC profile a decoder hands on; a larger one is
 * ignored (real profiles stay well under 1 MiB; a JPEG can hold 16 MiB). */
#define PF_ICC_MAX_BYTES (4u << 20)

/* ---- exif.c (libexif, hardened) ---- */

typedef struct {
    int orientation;  /* 1..8, 0 when absent or invalid */
    int has_gps;
} pf_exif_info;

/* data: an EXIF block, either starting with "Exif\0\0" (JPEG APP1 payload)
 * or a bare TIFF header "II*\0"/"MM\0*" (PNG eXIf). Never fails: bad data
 * gives an empty info. */
void pf_exif_read(const uint8_t *data, size_t len, pf_exif_info *info);

/* Rewrites the orientation tag to 1 in place inside an EXIF block of either
 * form. Returns 1 when a tag was changed, 0 when none was found. */
int pf_exif_clear_orientation(uint8_t *data, size_t len);

/* Removes the IFD1 thumbnail from an EXIF block of either form, in place:
 * IFD0 no longer links IFD1, whose directory and JPEG thumbnail bytes are
 * zeroed; *len shrinks when the thumbnail ended the block. Returns 1 when
 * a thumbnail directory was unlinked. */
int pf_exif_drop_thumbnail(uint8_t *data, size_t *len);

/* EXIF of a JPEG from its first Exif APP1 (jpeg_codec.c; empty if none). */
void pf_jpeg_exif_info(const uint8_t *data, size_t len, pf_exif_info *info);

/* ---- orient.c ---- */

/* Makes bmp upright for EXIF orientation 1..8 (0 and 1: nothing to do). */
pf_status pf_orient_apply(pf_bitmap *bmp, int orientation);

/* ---- resize.c ---- */

/* Smallest width x height with the same aspect ratio such that the long
 * side >= min_long and the short side >= min_short (never below by
 * rounding). Returns 1 when (w,h) is already the target. */
void pf_fit_dims(uint32_t w, uint32_t h, uint32_t min_long, uint32_t min_short,
                 uint32_t *out_w, uint32_t *out_h);
/* Resizes a whole bitmap with the pf_shrinker filters. */
pf_status pf_resize(const pf_bitmap *in, uint32_t width, uint32_t height,
                    pf_bitmap *out);

/* ---- shrink.c: streaming resampler (box by an integer, then Lanczos-3) ---- */

typedef struct pf_shrinker pf_shrinker;
/* Resizes the first span[0] x span[1] (fractions, NULL: all) of an
 * in_w x in_h RGB image, pushed row by row, to out_w x out_h. */
pf_status pf_shrinker_new(uint32_t in_w, uint32_t in_h, const double span[2],
                          uint32_t out_w, uint32_t out_h, pf_shrinker **out);
/* row: in_w RGB pixels; rows top to bottom, exactly in_h of them. */
pf_status pf_shrinker_push(pf_shrinker *s, const uint8_t *row);
/* After the last row: hands over the resized image. */
pf_status pf_shrinker_finish(pf_shrinker *s, pf_bitmap *out);
void pf_shrinker_free(pf_shrinker *s); /* accepts NULL */
/* The integer box factor of stage 1 (1: none). */
uint32_t pf_shrinker_box_factor(const pf_shrinker *s);

/* ---- rowpipe.c: a pf_shrinker fed from a second thread ---- */

typedef struct pf_rowpipe pf_rowpipe;
/* Starts the worker thread that pushes rows of row_bytes into sink. */
pf_status pf_rowpipe_new(pf_shrinker *sink, size_t row_bytes, pf_rowpipe **out);
uint8_t *pf_rowpipe_row(pf_rowpipe *p); /* where to write the next row */
void pf_rowpipe_commit(pf_rowpipe *p);  /* that row is complete */
/* Waits until every committed row went into the sink; its first error. */
pf_status pf_rowpipe_finish(pf_rowpipe *p);
void pf_rowpipe_free(pf_rowpipe *p); /* stops and joins; accepts NULL */

/* ---- color.c ---- */

typedef struct {
    double color_share;  /* % of pixels with chroma >= PF_CHROMA_COLOR */
    double mean_chroma;  /* mean (max - min) over RGB, 0..255 */
} pf_color_stats;

#define PF_CHROMA_COLOR 24       /* a pixel with max-min >= this is coloured */
#define PF_MIN_COLOR_SHARE 0.5   /* % of coloured pixels for a colour image */

void pf_measure_color(const pf_bitmap *bmp, pf_color_stats *stats);

/* ---- face.c (+ face_detect.cc, the one C++ file: dlib's HOG detector) ---- */

/* A face the detector found, in the pixels of the bitmap it was given. */
typedef struct {
    double x, y, w, h;
    double score;            /* dlib's detection confidence
                                (>= PF_FACE_MIN_SCORE, measure/face.c) */
} pf_face_box;

#define PF_MAX_FACES 32
/* Frontal faces in an upright RGB image, largest first, boxes in bmp's
 * pixels: detected on a copy shrunk to a fixed size (faces in these photos
 * are large), upsampled once when the picture is small. *n faces. */
pf_status pf_detect_faces(const pf_bitmap *bmp, pf_face_box *faces, int max,
                          int *n, char err[PF_ERR_LEN]);

/* ---- background.c: the white-background rule ---- */

/* Measures the background of an upright image (method: background.c):
 * inside any bars added at its edges, and with face (its pixels' box, NULL
 * when unknown) in the band around the head and shoulders. */
pf_status pf_measure_background(const pf_bitmap *bmp, const pf_rules *rules,
                                const pf_face_box *face, pf_background *bg);
/* The same in two steps: what needs no face (the working copy, the bars;
 * half the time, so it can be made while faces are looked for), then the
 * rest with the face. The prep (NULL on PF_ERR_INVALID_ARG or
 * PF_ERR_NOMEM) is used once, then freed with pf_background_prep_free;
 * a prep that failed gives its status back from the second step. */
typedef struct pf_background_prep pf_background_prep;
pf_status pf_background_prepare(const pf_bitmap *bmp, pf_background_prep **out);
pf_status pf_measure_background_prepared(const pf_bitmap *bmp, const pf_rules *rules,
                                         const pf_face_box *face, pf_background_prep *prep,
                                         pf_background *bg);
void pf_background_prep_free(pf_background_prep *prep);
int pf_background_passes(const pf_background *bg, const pf_rules *rules);
/* The mask over the photo, for --debug-mask (see pf_background_mask_png),
 * measured as pf_measure_background does with the same face box. */
pf_status pf_render_background_mask(const pf_bitmap *bmp, const pf_rules *rules,
                                    const pf_face_box *face, pf_bitmap *out);
/* background_bars.c: uniform bars added at the picture's edges. */
typedef struct {
    unsigned sides;        /* PF_SIDE_* with a bar */
    uint32_t pad[4];       /* widths in pixels: top, left, right, bottom */
    uint8_t colour[4][3];  /* each bar's colour (median of its outer line) */
} pf_bars;
void pf_find_bars(const pf_bitmap *bmp, pf_bars *bars);
/* The largest difference of one channel between two RGB pixels. */
int pf_rgb_max_diff(const uint8_t *a, const uint8_t *b);
/* NULL when --whiten may lift this background, else why it cannot. */
const char *pf_background_unliftable(const pf_background *bg);
/* Lifts a light, near-white background to white with per-channel levels
 * applied to the whole image, when that makes the rule pass without
 * clipping the person. PF_ERR_UNFIXABLE (bmp unchanged, *why set) when the
 * background is coloured, dark, not plain, or would still fail. */
pf_status pf_whiten_background(pf_bitmap *bmp, const pf_rules *rules,
                               pf_background *after, char why[PF_ERR_LEN]);

/* ---- analyse.c: every measure check takes of the pixels ---- */

/* Colour, faces, the white background (when the rules ask) and the
 * document, into info; the face detector uses at most threads threads. */
pf_status pf_measure_pixels(const pf_bitmap *bmp, const pf_rules *rules,
                            int threads, pf_image_info *info);

/* Copies what pf_measure_pixels sets from one info into another: the
 * measures of the same pixels, made once. */
void pf_copy_pixel_measures(const pf_image_info *from, pf_image_info *to);

/* ---- fix/crop.c ---- */

/* 1 when fix should crop to the document: found whole, standing out from
 * its surroundings, filling less than rules->min_fill, and --no-crop not
 * given. */
int pf_crop_wanted(const pf_rules *rules, const pf_options *options,
                   const pf_document *doc);
/* The box fix crops to: centre (cx, cy) and size w x h in the picture's
 * upright pixels, turned back by angle (radians; 0: not turned). */
typedef struct {
    double cx, cy, w, h, angle;
} pf_crop_box;
/* Plans the crop of a width x height picture from the document's corners
 * alone (no pixels needed): the document with a margin, turned straight
 * when it lies 1..30 degrees off and the turned box stays inside the
 * picture, grown to at least min_long x min_short where the picture
 * allows. Returns 0 when that box is (nearly) the whole picture: nothing
 * to crop. */
int pf_crop_plan(const pf_document *doc, uint32_t width, uint32_t height,
                 uint32_t min_long, uint32_t min_short, pf_crop_box *box);
/* A face photo whose one face is small in a large frame (fix crops it to
 * the head and shoulders unless --no-crop). */
int pf_face_crop_wanted(const pf_rules *rules, const pf_options *options,
                        const pf_face *face);
/* The head-and-shoulders frame of a width x height picture around the
 * face: portrait, the face centred across and a third of its height, kept
 * inside the picture. 0 when it would keep (nearly) the whole picture. */
int pf_face_crop_plan(const pf_face *face, uint32_t width, uint32_t height,
                      pf_crop_box *box);
/* The planned box's pixels of src (the full-size upright picture). */
pf_status pf_crop_render(const pf_bitmap *src, const pf_crop_box *box,
                         pf_bitmap *out);

/* ---- budget.c ---- */

/* What a budget search found besides its file. */
typedef struct {
    int full_chroma;   /* the file (or the last try) is 4:4:4 */
    size_t largest;    /* the largest file any trial made */
} pf_budget_info;

/* Encodes bmp as JPEG at (nearly) the highest quality in [min_quality,
 * max_quality] whose size is <= max_bytes (0: no limit) and >= min_bytes:
 * it stops once a fitting trial uses PF_BUDGET_GOOD_ENOUGH of max_bytes.
 * A minimum out of reach at max_quality is tried once more with full
 * chroma (4:4:4), the most bytes these pixels honestly make. PF_ERR_BUDGET
 * when even min_quality is too big, PF_ERR_UNDER_MIN when even that last
 * try is too small; *out is then NULL. Free with free(). threads >= 2
 * encodes each round's two trials side by side. info may be NULL. */
#define PF_BUDGET_GOOD_ENOUGH 0.975
pf_status pf_fit_jpeg_to_budget(const pf_bitmap *bmp, uint64_t max_bytes,
                                uint64_t min_bytes, int min_quality,
                                int max_quality, int threads, uint8_t **out,
                                size_t *out_len, double *quality,
                                char err[PF_ERR_LEN], pf_budget_info *info);

/* ---- denoise.c ---- */

/* Below --min-quality, fix never goes under this. At 15 the IJG scaling
 * (5000 / 15 = 333%) makes the luma DC step 53, block means in steps of
 * about 6.6 grey levels: smooth areas (skin, a card's ground) show 8x8
 * blocks, and below 10 (steps of 10) small print on a card breaks up.
 * A judgement, not a measurement of legibility; ImageMagick's jpeg:extent
 * has no floor and goes where it must (bench/noisy.md). */
#define PF_QUALITY_FLOOR 15

/* How hard pf_denoise smooths: a self-guided filter per YCbCr plane with
 * window radius r and eps = (k * sigma)^2, sigma the noise's (0..255). */
typedef struct {
    double sigma;
    int luma_radius, chroma_radius;
    double luma_k, chroma_k;
} pf_denoise_params;

/* A copy of in with its noise smoothed away and its edges kept. */
pf_status pf_denoise(const pf_bitmap *in, const pf_denoise_params *params,
                     pf_bitmap *out);
/* fix's smoothing strengths, mildest (step 0) first: 1 with *params for a
 * noise of sigma, 0 past the strongest. */
int pf_denoise_strength(double sigma, int step, pf_denoise_params *params);
/* The standard deviation of in's noise (0..255), estimated on flat areas. */
double pf_noise_sigma(const pf_bitmap *bmp);
/* bmp with its noise smoothed away (*clean, free with pf_bitmap_free) as
 * mildly as makes it fit max_bytes at quality; the strongest smoothing
 * when none does. */
pf_status pf_denoise_to_fit(const pf_bitmap *bmp, uint64_t max_bytes,
                            int quality, pf_bitmap *clean, char err[PF_ERR_LEN]);

/* ---- rules/profiles.c ---- */

/* The built-in profiles, as a pf_profiles set lists them. */
size_t pf_builtin_profile_count(void);
void pf_builtin_profile(size_t index, pf_profile *profile);

/* ---- checks/registry.c ---- */

/* Appends the checks for one image to report (report->checks). */
void pf_rules_evaluate(const pf_rules *rules, const pf_image_info *info,
                       pf_report *report);

/* ---- io.c ---- */

/* pf_write_file_atomic that also hands back, in *err (may be NULL), the errno
 * of the step that failed (0 on success or when no system call failed), so
 * the caller can say what to do about a full disk or a read-only folder. */
pf_status pf_write_file_report_errno(const char *path, const uint8_t *data,
                                     size_t len, int force, int *err);

/* ---- util.c ---- */

/* snprintf that truncates safely on UTF-8 boundaries. */
void pf_set_message(char *dst, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void pf_vset_message(char *dst, size_t cap, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* Overflow-checked a*b*c; returns 0 on overflow. */
int pf_mul3(uint64_t a, uint64_t b, uint64_t c, uint64_t *out);
/* PF_ERR_TOO_LARGE, with "image is WxH = N MP, over the M MP limit" in err,
 * when w*h exceeds max_pixels (0: no cap). Called from headers, before any
 * pixel memory exists. */
pf_status pf_check_pixel_cap(uint64_t w, uint64_t h, uint64_t max_pixels,
                             char err[PF_ERR_LEN]);

#endif
