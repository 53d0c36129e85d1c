/* preflight: check and fix images for ICP filing (备案) portals.
 *
 * One opaque context per thread (pf_ctx) holds the rules, the fix options and
 * the last error message. The library never prints, never exits and keeps no
 * globals: several threads may work at once, each with its own context.
 * Every call that can fail returns a pf_status; pf_strerror() names it.
 */
#ifndef PREFLIGHT_H
#define PREFLIGHT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PF_VERSION "0.1.0"

#define PF_MSG_LEN 320    /* room for a file name plus a sentence */
#define PF_PATH_LEN 4096
#define PF_SOURCE_LEN 480 /* where a profile's figures are stated */
#define PF_MAX_CHECKS 16
#define PF_MAX_ACTIONS 8
#define PF_DEFAULT_MAX_PIXELS 100000000ULL /* 100 megapixels */
#define PF_DEFAULT_MIN_QUALITY 30

typedef enum {
    PF_OK = 0,
    PF_ERR_NOMEM,          /* out of memory */
    PF_ERR_IO,             /* could not read or write a file */
    PF_ERR_INVALID_ARG,    /* bad argument or option value */
    PF_ERR_NOT_IMAGE,      /* bytes are no image format we know */
    PF_ERR_FORMAT,         /* a known format the portals do not accept */
    PF_ERR_CORRUPT,        /* decoder failed: damaged data */
    PF_ERR_TOO_LARGE,      /* more pixels than the configured cap */
    PF_ERR_BUDGET,         /* cannot fit the byte budget at the lowest quality */
    PF_ERR_UNFIXABLE,      /* fails a rule fix cannot mend (grey-scale, ...) */
    PF_ERR_UPSCALE,        /* would need upscaling, refused by --no-upscale */
    PF_ERR_EXISTS,         /* output exists and overwriting was not allowed */
    PF_ERR_SAME_FILE,      /* output path is the input path */
    PF_ERR_TRUNCATED,      /* the file ends before its image data does */
    PF_ERR_INTERNAL,       /* a library call failed unexpectedly */
    PF_ERR_UNDER_MIN,      /* cannot reach the minimum file size honestly */
    PF_ERR_RULES           /* a rules file is not valid (pf_profiles_error) */
} pf_status;

const char *pf_strerror(pf_status status);

/* Messages (pf_check.message, pf_report.message and actions, errors) are
 * in the language the program chose with setlocale and LANGUAGE, from the
 * "preflight" gettext catalogue (Simplified Chinese, or English), looked
 * up where `make install` put it. A program that keeps the catalogue
 * elsewhere names the folder (holding zh_CN/LC_MESSAGES/preflight.mo)
 * once, before any other call: libintl's binding is process-wide. */
pf_status pf_set_locale_dir(const char *dir);

typedef enum {
    PF_FORMAT_UNKNOWN = 0,
    PF_FORMAT_JPEG,
    PF_FORMAT_PNG,
    PF_FORMAT_HEIF,
    PF_FORMAT_AVIF,
    PF_FORMAT_WEBP,
    PF_FORMAT_GIF,
    PF_FORMAT_BMP,
    PF_FORMAT_TIFF,
    PF_FORMAT_PDF,
    PF_FORMAT_JPEG2000,
    PF_FORMAT_JPEGXL,
    PF_FORMAT_COUNT
} pf_format;

/* Format from the first bytes, never from a file name. */
pf_format pf_sniff(const uint8_t *data, size_t len);
/* Lower-case short name for JSON: "jpeg", "png", "heic", "webp", ... */
const char *pf_format_name(pf_format format);
/* Name for people: "JPEG", "HEIC", "PDF", ... */
const char *pf_format_label(pf_format format);

typedef enum {
    PF_ORIENT_ANY = 0,
    PF_ORIENT_LANDSCAPE,
    PF_ORIENT_PORTRAIT
} pf_orientation_rule;

/* A profile: a named set of rules. Zero means "no limit" for each figure. */
typedef struct {
    char name[32];
    uint64_t max_bytes;
    uint64_t min_bytes;
    uint32_t min_long;     /* long side at least this many pixels */
    uint32_t min_short;    /* short side at least this many pixels */
    uint32_t max_long;     /* long side at most this many pixels (0: any) */
    uint32_t max_short;    /* short side at most this many pixels (0: any) */
    pf_orientation_rule orientation;
    int require_color;
    unsigned accepted_formats; /* bit (1u << pf_format) for each accepted */
    /* The white-background rule (face photos): the background, grown from
     * the top and upper side edges, must be white for at least
     * white_min_share of its pixels; a pixel is white when every channel is
     * >= white_level and max - min <= white_spread. */
    int white_background;
    double white_min_share;   /* default 0.90 */
    int white_level;          /* default 230 */
    int white_spread;         /* default 18 */
    /* fix shrinks an image whose long side exceeds this (0: never), but
     * never below the minimum size; with a minimum and no fix_max_long,
     * fix makes the smallest image meeting the minimum (a tight byte
     * budget is best spent on the fewest pixels that pass). */
    uint32_t fix_max_long;
    /* What reviewers reject beyond size (PF_RULE_* bits): the document's
     * focus, its whole border in the frame, glare, exposure. Each figure
     * below fails past its fail limit and warns past its warn limit (a
     * borderline case warns: failing a good scan is the worst error). */
    unsigned image_checks;
    double min_sharpness, warn_sharpness;   /* sharpness below: fail, warn */
    double max_glare, warn_glare;           /* share of the document, 0..1 */
    double min_brightness, warn_brightness; /* brightest 1%'s luminance */
    double max_washout, warn_washout;       /* dark-end luminance, 0..255 */
    double min_fill;                        /* document-fill warns below */
    double min_face_size, warn_face_size;   /* face box height / picture
                                               height: below fails, warns */
    /* Where these figures are stated: the platform document's address and
     * the date it was read, or the rules file and line ("" unknown). */
    char source[PF_SOURCE_LEN];
} pf_rules;

/* pf_rules.image_checks bits. */
#define PF_RULE_SHARPNESS 1u
#define PF_RULE_DOCUMENT 2u   /* document-complete and document-fill */
#define PF_RULE_GLARE 4u
#define PF_RULE_EXPOSURE 8u
#define PF_RULE_DOCUMENT_ALL (PF_RULE_SHARPNESS | PF_RULE_DOCUMENT | \
                              PF_RULE_GLARE | PF_RULE_EXPOSURE)
#define PF_RULE_FACE 16u      /* one frontal face, whole and large enough */
#define PF_RULE_ALL (PF_RULE_DOCUMENT_ALL | PF_RULE_FACE)

#define PF_WHITE_MIN_SHARE 0.90
#define PF_WHITE_LEVEL 230
#define PF_WHITE_SPREAD 18

/* Fills rules from a built-in profile (pf_profile_name lists them).
 * PF_ERR_INVALID_ARG for an unknown name. */
pf_status pf_profile_rules(const char *name, pf_rules *rules);
/* The rules of a profile without a base: JPEG and PNG accepted, no other
 * rule, the image checks' limits at their defaults but none of them on. */
void pf_rules_blank(pf_rules *rules, const char *name);
/* Sets the image checks' limits (sharpness, glare, exposure, fill) to the
 * defaults measured on the evaluation set; leaves image_checks alone. */
void pf_rules_default_image_limits(pf_rules *rules);
/* The index-th built-in profile's name (0, 1, ...); NULL past the last. */
const char *pf_profile_name(size_t index);

/* Parses "200000", "200KB" (200,000), "200KiB" (204,800), "2MB", "2MiB",
 * "200K" (= KB). Case-insensitive unit, optional "B". */
pf_status pf_parse_size(const char *text, uint64_t *bytes);
/* Parses "1500x1100" (also "1500X1100", "1500×1100"). */
pf_status pf_parse_dims(const char *text, uint32_t *w, uint32_t *h);

/* Sets one rule from text. The keys are the command line's flag names
 * and the rules files' keys: "max-bytes" "500KB", "min-size" "1024x768",
 * "max-size", "orientation", "color" (yes/no), "formats" ("jpeg, png"),
 * "check"/"skip" (rule names), "min-sharpness" "F[,W]", "max-glare",
 * "min-brightness", "max-washout", "min-fill", "white-background",
 * "white-threshold", "white-level", "white-spread", "fix-max-side".
 * PF_ERR_INVALID_ARG for an unknown key or a bad value; why (may be NULL)
 * then says what is wrong and what is expected. */
pf_status pf_rules_set(pf_rules *rules, const char *key, const char *value,
                       char *why, size_t why_len);
/* The index-th key pf_rules_set knows (0, 1, ...); NULL past the last. */
const char *pf_rule_key(size_t index);
/* PF_OK when the rules agree with themselves (a minimum under its
 * maximum, limits in range); else PF_ERR_INVALID_ARG and why says which. */
pf_status pf_rules_validate(const pf_rules *rules, char *why, size_t why_len);

/* ---- Profiles: the built-in ones and an agency's own (rules files) ---- */

typedef struct {
    pf_rules rules;        /* rules.name: the profile; rules.source: where
                              its figures are stated */
    char title[96];        /* what it is for: "Tencent Cloud ICP filing" */
    char stated[256];      /* the limits as the source words them */
    char origin[PF_PATH_LEN]; /* "built-in", or the rules file */
    unsigned line;         /* its section's line in origin (0: built-in) */
    char base[32];         /* the profile it starts from ("" none) */
} pf_profile;

typedef struct pf_profiles pf_profiles;

/* A set holding the built-in profiles. NULL when out of memory. */
pf_profiles *pf_profiles_new(void);
void pf_profiles_free(pf_profiles *set);  /* accepts NULL */
/* Adds the profiles of an INI rules file: one [name] section each, keys
 * as pf_rules_set's plus "base" (a profile to start from; a section named
 * as an existing profile starts from it and replaces it), "title",
 * "source". A later file's profile replaces an earlier one of that name.
 * PF_ERR_RULES (pf_profiles_error says the file, the line and what is
 * wrong; the set is unchanged), PF_ERR_IO when it cannot be read. */
pf_status pf_profiles_load_file(pf_profiles *set, const char *path);
/* The same for text in memory; name stands for the file in messages. */
pf_status pf_profiles_load_text(pf_profiles *set, const char *text,
                                size_t len, const char *name);
const char *pf_profiles_error(const pf_profiles *set);
size_t pf_profiles_count(const pf_profiles *set);
/* Built-in profiles first, then each file's in order. */
const pf_profile *pf_profiles_get(const pf_profiles *set, size_t index);
const pf_profile *pf_profiles_find(const pf_profiles *set, const char *name);

typedef struct {
    int min_quality;       /* lowest JPEG quality fix may use (default 30) */
    int max_quality;       /* highest it tries (default 95) */
    int no_upscale;        /* refuse instead of upscaling small images */
    int keep_metadata;     /* keep EXIF/XMP/comments when copying */
    int force;             /* overwrite existing outputs */
    int whiten;            /* fix lifts a light, near-white background */
    int threads;           /* threads one call may use (0: 2; 1: none
                              besides the caller's) */
    int no_crop;           /* fix keeps the whole frame around a small
                              document instead of cropping to it */
    uint64_t max_pixels;   /* decode cap (default 100 MP) */
    int page;              /* the page of a PDF or TIFF to read, 0-based
                              (pf_image_info.pages says how many) */
} pf_options;

void pf_options_default(pf_options *options);

typedef enum {
    PF_CHECK_FORMAT = 0,
    PF_CHECK_MAX_BYTES,
    PF_CHECK_MIN_BYTES,
    PF_CHECK_MIN_SIZE,
    PF_CHECK_COLOR,
    PF_CHECK_ORIENTATION,   /* EXIF tag reliance, or landscape/portrait rule */
    PF_CHECK_TRANSPARENCY,
    PF_CHECK_WHITE_BACKGROUND,
    PF_CHECK_SHARPNESS,
    PF_CHECK_DOCUMENT_COMPLETE,
    PF_CHECK_DOCUMENT_FILL,
    PF_CHECK_GLARE,
    PF_CHECK_EXPOSURE,
    PF_CHECK_MAX_SIZE,      /* at most max_long x max_short pixels */
    PF_CHECK_FACE,          /* one frontal face, whole, large enough */
    PF_CHECK_COUNT
} pf_check_id;

typedef enum { PF_PASS = 0, PF_WARN, PF_FAIL } pf_check_status;

typedef struct {
    pf_check_id id;
    pf_check_status status;
    int numeric;            /* value/limit are JSON numbers, else strings */
    char value[48];
    char limit[48];
    char message[PF_MSG_LEN];  /* "size 1,482,113 B > 200,000 B" */
} pf_check;

/* Sides of the background band, for pf_background.failing_sides. */
#define PF_SIDE_TOP 1u
#define PF_SIDE_LEFT 2u
#define PF_SIDE_RIGHT 4u
#define PF_SIDE_BOTTOM 8u

/* What the white-background rule measured (measured = 0: it did not run). */
typedef struct {
    int measured;
    int plain;               /* a plain background was found at the edges */
    double white_share;      /* of the background's pixels, 0..1 */
    double coverage;         /* background share of the whole image, 0..1 */
    double mean[3];          /* mean background colour, RGB 0..255 */
    double distance;         /* of the mean from pure white (RGB distance) */
    double side_share[3];    /* white share in the top, left, right bands */
    unsigned failing_sides;  /* PF_SIDE_* whose band is not white enough */
    unsigned padded_sides;   /* PF_SIDE_* with a uniform bar added at the edge
                                (measured inside the bars, which are no
                                background) */
    uint32_t pad[4];         /* the bars' widths in pixels: top, left, right,
                                bottom (the PF_SIDE_* bit order) */
    unsigned white_pads;     /* PF_SIDE_* of those bars that are white */
    int around_face;         /* measured in the band around a face's head and
                                shoulders (a face box was known) */
} pf_background;

/* What the document checks measured (measured = 0: they did not run).
 * Positions are in upright pixels of the image as measured. */
typedef struct {
    int measured;
    int found;               /* a document boundary was found */
    double corners[4][2];    /* TL, TR, BR, BL (x, y); a corner the frame cuts
                                off lies outside the image */
    double fill;             /* document area / image area, 0..1 (found) */
    double tilt;             /* degrees the document is turned, + clockwise */
    unsigned cut_sides;      /* PF_SIDE_* of the document the frame cuts off */
    double cut_confidence;   /* how sure the cut is, 0..1 (document-complete
                                fails at 0.6, warns at 0.3) */
    int stands_out;          /* what surrounds the document differs from it
                                (a card on a table, not a box printed on a
                                page): fix crops only to such a document */
    double sharpness;        /* focus figure, higher is sharper (sharpness.c) */
    double glare;            /* share of the document under glare, 0..1 */
    double lum_low;          /* ... at the 0.2nd percentile (the ink even
                                where it is sparse), 0..255 */
    double lum_median;       /* ... at the 50th */
    double lum_high;         /* ... at the 99th */
    double clipped;          /* share of the document at >= 250, 0..1 */
    int on_face;             /* focus, glare and exposure were measured on
                                the face of a face photo, not a document */
} pf_document;

/* What the face check measured (measured = 0: it did not run). Positions
 * are in upright pixels of the image as measured. */
typedef struct {
    int measured;
    int count;               /* frontal faces found */
    double x, y, w, h;       /* the largest face's box (count >= 1) */
    double score;            /* the detector's confidence in it */
    unsigned cut_sides;      /* PF_SIDE_* of the picture its box runs into */
    double size;             /* its box height / the picture's height */
} pf_face;

typedef struct {
    pf_format format;
    uint64_t bytes;
    uint32_t width, height;  /* upright, after EXIF orientation */
    int exif_orientation;    /* 1..8; 0 when the file has no tag */
    int has_alpha;           /* some pixel not opaque */
    int source_grey;         /* file stores one channel */
    int has_gps;             /* EXIF carries a GPS position */
    double color_share;      /* % of pixels with clear colour */
    double mean_chroma;      /* mean of max-min channel, 0..255 */
    pf_background background; /* when the rule applies */
    pf_document document;     /* when the document checks apply */
    pf_face face;             /* when the face check applies */
    int pages;                /* pages (PDF, TIFF) or frames (GIF, WebP) in
                                 the file: 1 for a single picture */
    int page;                 /* the page (0-based) these figures are of */
    int animated;             /* the first frame of an animation was read */
    int icc_converted;        /* its embedded colour profile was applied:
                                 the pixels were converted to sRGB */
} pf_image_info;

typedef enum {
    PF_FILE_PASS = 0,
    PF_FILE_FIXED,
    PF_FILE_FAIL,
    PF_FILE_ERROR
} pf_file_status;

typedef struct {
    pf_file_status status;
    int warnings;            /* number of checks with PF_WARN */
    pf_image_info input;     /* the file as given */
    pf_image_info output;    /* what fix wrote (valid when has_output) */
    int has_output;
    double quality;          /* JPEG quality fix chose (1-100, may be
                                fractional); -1 when copied */
    int n_checks;
    pf_check checks[PF_MAX_CHECKS]; /* for fix: of the output when written */
    int n_actions;
    char actions[PF_MAX_ACTIONS][PF_MSG_LEN];
    pf_status error;         /* PF_OK unless status is PF_FILE_ERROR/FAIL */
    char message[PF_MSG_LEN];/* what went wrong and what to do */
    char output_path[PF_PATH_LEN]; /* file pf_fix_file wrote, or "" */
} pf_report;

/* Writes n with thousands separators: "1,482,113". */
void pf_format_thousands(uint64_t n, char *buf, size_t len);

const char *pf_check_name(pf_check_id id);          /* "max-bytes" ... */
const char *pf_check_status_name(pf_check_status s); /* "pass" ... */
const char *pf_file_status_name(pf_file_status s);  /* "pass" ... */

typedef struct pf_ctx pf_ctx;

/* Pages in a PDF or TIFF (frames of an animated GIF or WebP count as 1:
 * only the first is read); 1 for any other picture. PF_ERR_CORRUPT (and
 * *pages = 1) when the file cannot be opened. */
pf_status pf_page_count(const uint8_t *data, size_t len, int *pages);

pf_ctx *pf_ctx_new(void);             /* wechat rules, default options */
void pf_ctx_free(pf_ctx *ctx);        /* accepts NULL */
pf_status pf_ctx_set_rules(pf_ctx *ctx, const pf_rules *rules);
pf_status pf_ctx_set_options(pf_ctx *ctx, const pf_options *options);
const pf_rules *pf_ctx_rules(const pf_ctx *ctx);
const pf_options *pf_ctx_options(const pf_ctx *ctx);
/* Message of the last failed call on this context ("" when none). */
const char *pf_ctx_error(const pf_ctx *ctx);

/* Checks an image in memory. name is used in messages only. The status
 * is PF_OK when the image was examined (whether it passed or not: see
 * report->status); an error code when it could not be read. */
pf_status pf_check_buffer(pf_ctx *ctx, const uint8_t *data, size_t len,
                          const char *name, pf_report *report);
pf_status pf_check_file(pf_ctx *ctx, const char *path, pf_report *report);

/* Fixes an image in memory. On PF_OK with report->has_output, *out holds
 * the compliant file (free with pf_free) and *out_format its format. */
pf_status pf_fix_buffer(pf_ctx *ctx, const uint8_t *data, size_t len,
                        const char *name, uint8_t **out, size_t *out_len,
                        pf_format *out_format, pf_report *report);
/* Fixes in_path and writes out_stem + ".jpg" (or ".png" when a compliant
 * PNG is copied as is) with pf_write_file_atomic; the path is put in
 * report->output_path. Writes nothing when the image cannot be made
 * compliant or the output would be the input itself (PF_ERR_SAME_FILE);
 * when the write fails, report->message says why (disk full, folder not
 * writable, ...) and what to do. */
pf_status pf_fix_file(pf_ctx *ctx, const char *in_path, const char *out_stem,
                      pf_report *report);

/* Renders what the white-background rule measured on an image as a PNG
 * the size of the (upright) image: white background pixels green, other
 * background pixels red, the rest (the person) the photo darkened; with
 * the face rule, a yellow frame around each face found. */
pf_status pf_background_mask_png(pf_ctx *ctx, const uint8_t *data, size_t len,
                                 const char *name, uint8_t **png,
                                 size_t *png_len);

/* A small JPEG of an image, upright, its long side at most max_side (for
 * the HTML report). Free with pf_free. */
pf_status pf_thumbnail_jpeg(pf_ctx *ctx, const uint8_t *data, size_t len,
                            uint32_t max_side, uint8_t **jpg, size_t *jpg_len);

/* Reads a whole file (capped at max_len bytes). Free with pf_free. */
pf_status pf_read_file(const char *path, size_t max_len, uint8_t **data,
                       size_t *len);
/* Writes the whole file or nothing: an unnamed temporary file in path's
 * folder (O_TMPFILE; a hidden named one where that is unsupported), fsync,
 * then linked in, or renamed over the target when force. Never overwrites
 * unless force; never writes through a symlink at path (force replaces the
 * link itself). PF_ERR_EXISTS when path exists and force is 0. */
pf_status pf_write_file_atomic(const char *path, const uint8_t *data,
                               size_t len, int force);

void pf_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
