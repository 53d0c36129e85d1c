/* The check and fix pipelines: sniff, decode upright, measure, judge, and
 * for fix, copy or re-encode into a file that passes. */
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PF_MAX_INPUT_BYTES (512u * 1024 * 1024)

struct pf_ctx {
    pf_rules rules;
    pf_options options;
    char error[PF_MSG_LEN];
};

void pf_options_default(pf_options *options)
{
    memset(options, 0, sizeof *options);
    options->min_quality = PF_DEFAULT_MIN_QUALITY;
    options->max_quality = 95;
    options->max_pixels = PF_DEFAULT_MAX_PIXELS;
}

pf_ctx *pf_ctx_new(void)
{
    pf_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    pf_profile_rules("wechat", &ctx->rules);
    pf_options_default(&ctx->options);
    return ctx;
}

void pf_ctx_free(pf_ctx *ctx)
{
    free(ctx);
}

pf_status pf_ctx_set_rules(pf_ctx *ctx, const pf_rules *rules)
{
    if (!ctx || !rules || rules->orientation > PF_ORIENT_PORTRAIT ||
        (rules->max_bytes && rules->min_bytes > rules->max_bytes) ||
        !(rules->white_min_share >= 0 && rules->white_min_share <= 1) ||
        rules->white_level < 0 || rules->white_level > 255 ||
        rules->white_spread < 0 || rules->white_spread > 255)
        return PF_ERR_INVALID_ARG;
    ctx->rules = *rules;
    return PF_OK;
}

pf_status pf_ctx_set_options(pf_ctx *ctx, const pf_options *o)
{
    if (!ctx || !o || o->min_quality < 1 || o->max_quality > 100 ||
        o->min_quality > o->max_quality || o->max_pixels == 0 || o->threads < 0)
        return PF_ERR_INVALID_ARG;
    ctx->options = *o;
    return PF_OK;
}

const pf_rules *pf_ctx_rules(const pf_ctx *ctx) { return &ctx->rules; }
const pf_options *pf_ctx_options(const pf_ctx *ctx) { return &ctx->options; }
const char *pf_ctx_error(const pf_ctx *ctx) { return ctx->error; }

static const char *shown(const char *name)
{
    return name && *name ? name : "(input)";
}

/* Records the outcome of a file that did not pass: its status, code and a
 * message saying which file and what to do (also kept in the context). */
static pf_status record_outcome(pf_ctx *ctx, pf_report *report,
                                pf_file_status status, pf_status st,
                                const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));
static pf_status record_outcome(pf_ctx *ctx, pf_report *report,
                                pf_file_status status, pf_status st,
                                const char *fmt, va_list ap)
{
    pf_vset_message(report->message, sizeof report->message, fmt, ap);
    snprintf(ctx->error, sizeof ctx->error, "%s", report->message);
    report->status = status;
    report->error = st;
    return st;
}

/* The file could not be read at all: status error. */
static pf_status set_error(pf_ctx *ctx, pf_report *report, pf_status st,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static pf_status set_error(pf_ctx *ctx, pf_report *report, pf_status st,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record_outcome(ctx, report, PF_FILE_ERROR, st, fmt, ap);
    va_end(ap);
    return st;
}

/* The file was read but nothing compliant can be made of it: status fail. */
static pf_status fail_unfixable(pf_ctx *ctx, pf_report *report, pf_status st,
                                const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static pf_status fail_unfixable(pf_ctx *ctx, pf_report *report, pf_status st,
                                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record_outcome(ctx, report, PF_FILE_FAIL, st, fmt, ap);
    va_end(ap);
    return st;
}

static const char *export_hint(pf_format format)
{
    switch (format) {
    case PF_FORMAT_PDF: return "export the page as JPEG";
    case PF_FORMAT_HEIF:
        return "export it as JPEG (iPhone: Settings > Camera > Formats > Most Compatible)";
    default: return "export it as JPEG";
    }
}

/* Threads one call may use: pf_options.threads, 0 meaning two (the
 * resizing thread and the second trial encode are all there is to run). */
static int call_threads(const pf_options *o)
{
    return o->threads > 0 ? o->threads : 2;
}

/* w x h scaled so its long side is at most max_long (never enlarged). */
static void fit_long_side(uint32_t w, uint32_t h, uint32_t max_long, uint32_t *tw,
                          uint32_t *th)
{
    uint32_t lng = w > h ? w : h;
    *tw = w, *th = h;
    if (lng <= max_long)
        return;
    *tw = (uint32_t)(((uint64_t)w * max_long + lng / 2) / lng);
    *th = (uint32_t)(((uint64_t)h * max_long + lng / 2) / lng);
    if (!*tw) *tw = 1;
    if (!*th) *th = 1;
}

/* The size fix makes of a w x h upright image: the smallest meeting the
 * minimum resolution, else (no minimum) at most fix_max_long on the long
 * side, else unchanged. Symmetric in w and h, so it serves stored and
 * upright orientation alike. */
static void fix_dims(const pf_rules *r, uint32_t w, uint32_t h, uint32_t *tw,
                     uint32_t *th)
{
    *tw = w, *th = h;
    if (r->min_long || r->min_short)
        pf_fit_dims(w, h, r->min_long, r->min_short, tw, th);
    else if (r->fix_max_long)
        fit_long_side(w, h, r->fix_max_long, tw, th);
}

/* A JPEG larger than the size fix will make is shrunk while it is decoded
 * (check measures the same pixels fix would write); a smaller one, or one
 * without a minimum size, is decoded in full. The decode is always at full
 * scale: libjpeg's M/8 scaled decodes are barely faster (entropy decoding
 * dominates) and their block-wise reduction and replicated chroma cost
 * more in butteraugli (2.8 against 0.85 on a 20 MP photo, before any JPEG
 * loss) than the JPEG encode does. */
static pf_status decode_jpeg(const pf_ctx *ctx, const uint8_t *data,
                             size_t len, uint32_t max_long, pf_decoded *dec,
                             char err[PF_ERR_LEN])
{
    const pf_rules *r = &ctx->rules;
    uint32_t w, h, tw = 0, th = 0;
    int comps;
    if ((max_long || r->min_long || r->min_short || r->fix_max_long) &&
        pf_jpeg_header(data, len, &w, &h, &comps, err) == PF_OK) {
        if (max_long)
            fit_long_side(w, h, max_long, &tw, &th);
        else
            fix_dims(r, w, h, &tw, &th);
        if (tw >= w || th >= h)
            tw = th = 0;
    }
    return pf_jpeg_decode_resized(data, len, ctx->options.max_pixels, 8, tw,
                                  th, call_threads(&ctx->options), dec, err);
}

/* Decodes and orients. A JPEG is shrunk while decoding: to max_long on its
 * long side when given (thumbnails), else to the size fix makes. */
static pf_status decode_upright(const pf_ctx *ctx, const uint8_t *data,
                                size_t len, pf_format format, uint32_t max_long,
                                pf_decoded *dec, char err[PF_ERR_LEN])
{
    pf_status st;
    memset(dec, 0, sizeof *dec);
    if (format == PF_FORMAT_JPEG)
        st = decode_jpeg(ctx, data, len, max_long, dec, err);
    else
        st = pf_png_decode(data, len, ctx->options.max_pixels, dec, err);
    if (st == PF_OK)
        st = pf_orient_apply(&dec->bmp, dec->exif_orientation);
    if (st != PF_OK)
        pf_decoded_free(dec);
    return st;
}

static pf_status fill_info(const pf_rules *rules, pf_image_info *info,
                           const pf_decoded *dec)
{
    pf_color_stats color;
    int swap = dec->exif_orientation >= 5; /* the four 90° orientations */
    pf_measure_color(&dec->bmp, &color);
    info->width = swap ? dec->stored_height : dec->stored_width;
    info->height = swap ? dec->stored_width : dec->stored_height;
    info->exif_orientation = dec->exif_orientation;
    info->has_alpha = dec->has_alpha;
    info->source_grey = dec->source_grey;
    info->has_gps = dec->has_gps;
    info->color_share = color.color_share;
    info->mean_chroma = color.mean_chroma;
    if (!rules->white_background)
        return PF_OK;
    return pf_measure_background(&dec->bmp, rules, &info->background);
}

static pf_status decode_error(pf_ctx *ctx, pf_report *report, pf_status st,
                              const char *name, pf_format format,
                              const char *err)
{
    const char *label = pf_format_label(format);
    if (st == PF_ERR_TOO_LARGE && strstr(err, "limit for metadata"))
        return set_error(ctx, report, st, "%s: %s; export the image again "
                         "without metadata", shown(name), err);
    if (st == PF_ERR_TOO_LARGE)
        return set_error(ctx, report, st, "%s: %s; reduce the image or raise "
                         "--max-pixels", shown(name), err);
    if (st == PF_ERR_NOMEM)
        return set_error(ctx, report, st, "%s: out of memory decoding the %s",
                         shown(name), label);
    if (st == PF_ERR_TRUNCATED)
        return set_error(ctx, report, st, "%s: %s; the file was cut short (an "
                         "interrupted download or copy): get the whole file "
                         "again", shown(name), err);
    if (st == PF_ERR_FORMAT && err && *err)
        return set_error(ctx, report, st, "%s: %s is not accepted by the "
                         "filing portals; export it as an ordinary 8-bit %s",
                         shown(name), err, label);
    return set_error(ctx, report, st == PF_OK ? PF_ERR_CORRUPT : st,
                     "%s: damaged %s (%s); export or scan it again",
                     shown(name), label, err && *err ? err : "cannot decode");
}

/* Judges the image. On success with keep != NULL, the upright decoded image
 * stays in *keep for the caller (fix). */
static pf_status examine(pf_ctx *ctx, const uint8_t *data, size_t len,
                         const char *name, pf_report *report, pf_decoded *keep)
{
    char err[PF_ERR_LEN] = "";
    pf_decoded dec;
    pf_image_info *info = &report->input;
    memset(report, 0, sizeof *report);
    report->quality = -1;
    info->format = pf_sniff(data, len);
    info->bytes = len;
    if (info->format == PF_FORMAT_UNKNOWN)
        return set_error(ctx, report, PF_ERR_NOT_IMAGE, "%s: not an image "
                         "(JPEG or PNG expected)", shown(name));
    if (info->format != PF_FORMAT_JPEG && info->format != PF_FORMAT_PNG) {
        pf_rules_evaluate(&ctx->rules, info, report);
        set_error(ctx, report, PF_ERR_FORMAT, "%s: %s is not accepted by the "
                  "filing portals; %s", shown(name),
                  pf_format_label(info->format), export_hint(info->format));
        report->status = PF_FILE_FAIL;
        return PF_ERR_FORMAT;
    }
    pf_status st = decode_upright(ctx, data, len, info->format, 0, &dec, err);
    if (st != PF_OK)
        return decode_error(ctx, report, st, name, info->format, err);
    st = fill_info(&ctx->rules, info, &dec);
    if (st != PF_OK) {
        pf_decoded_free(&dec);
        return decode_error(ctx, report, st, name, info->format, err);
    }
    pf_rules_evaluate(&ctx->rules, info, report);
    report->status = PF_FILE_PASS;
    for (int i = 0; i < report->n_checks; i++)
        if (report->checks[i].status == PF_FAIL)
            report->status = PF_FILE_FAIL;
    if (keep)
        *keep = dec;
    else
        pf_decoded_free(&dec);
    return PF_OK;
}

/* The first failed rule that no resize or re-encode can mend. */
static const pf_check *unfixable_check(const pf_report *report, int whiten)
{
    for (int i = 0; i < report->n_checks; i++) {
        const pf_check *c = &report->checks[i];
        if (c->status == PF_FAIL && (c->id == PF_CHECK_COLOR ||
                                     c->id == PF_CHECK_ORIENTATION ||
                                     c->id == PF_CHECK_FORMAT ||
                                     (c->id == PF_CHECK_WHITE_BACKGROUND && !whiten)))
            return c;
    }
    return NULL;
}

static void advise_background(pf_report *report, const char *name)
{
    const pf_background *bg = &report->input.background;
    const char *why = pf_background_unliftable(bg);
    if (why)
        pf_set_message(report->message, sizeof report->message,
                       "%s: %s; retake the photo against a white wall, face "
                       "uncovered", shown(name), why);
    else
        pf_set_message(report->message, sizeof report->message,
                       "%s: background only %.0f%% white; run 'preflight fix "
                       "--whiten' or retake the photo against an evenly lit "
                       "white wall", shown(name), bg->white_share * 100);
}

/* What to tell a person whose file fails, when check alone ran. */
static void advise(pf_report *report, const char *name)
{
    const pf_check *c = unfixable_check(report, 0);
    for (int i = 0; i < report->n_checks && !c; i++)
        if (report->checks[i].status == PF_FAIL)
            c = &report->checks[i];
    if (!c)
        return;
    if (c->id == PF_CHECK_COLOR)
        pf_set_message(report->message, sizeof report->message,
                       "%s: grey-scale copy; rescan the original in colour", shown(name));
    else if (c->id == PF_CHECK_WHITE_BACKGROUND)
        advise_background(report, name);
    else if (c->id == PF_CHECK_ORIENTATION)
        pf_set_message(report->message, sizeof report->message,
                       "%s: wrong orientation; rescan or photograph it the "
                       "required way round", shown(name));
    else
        pf_set_message(report->message, sizeof report->message,
                       "%s: run 'preflight fix' to make a compliant copy", shown(name));
}

pf_status pf_check_buffer(pf_ctx *ctx, const uint8_t *data, size_t len,
                          const char *name, pf_report *report)
{
    if (!ctx || (!data && len) || !report)
        return PF_ERR_INVALID_ARG;
    ctx->error[0] = '\0';
    pf_status st = examine(ctx, data, len, name, report, NULL);
    if (st == PF_OK && report->status == PF_FILE_FAIL)
        advise(report, name);
    return st;
}

static pf_status read_input(pf_ctx *ctx, const char *path, pf_report *report,
                            uint8_t **data, size_t *len)
{
    pf_status st = pf_read_file(path, PF_MAX_INPUT_BYTES, data, len);
    if (st == PF_OK)
        return st;
    memset(report, 0, sizeof *report);
    report->quality = -1;
    if (st == PF_ERR_TOO_LARGE)
        return set_error(ctx, report, st, "%s: file over %u MiB; not an ID "
                         "scan", path, PF_MAX_INPUT_BYTES >> 20);
    return set_error(ctx, report, st, "%s: cannot read the file (missing, "
                     "unreadable or not a regular file)", path);
}

pf_status pf_thumbnail_jpeg(pf_ctx *ctx, const uint8_t *data, size_t len,
                            uint32_t max_side, uint8_t **jpg, size_t *jpg_len)
{
    char err[PF_ERR_LEN] = "";
    pf_decoded dec;
    pf_bitmap small = {0, 0, NULL};
    uint32_t tw, th;
    if (!ctx || !data || !jpg || !jpg_len || max_side == 0)
        return PF_ERR_INVALID_ARG;
    *jpg = NULL;
    *jpg_len = 0;
    pf_format format = pf_sniff(data, len);
    if (format != PF_FORMAT_JPEG && format != PF_FORMAT_PNG)
        return PF_ERR_NOT_IMAGE;
    pf_status st = decode_upright(ctx, data, len, format, max_side, &dec, err);
    if (st != PF_OK)
        return st;
    /* A PNG comes in full size. */
    fit_long_side(dec.bmp.width, dec.bmp.height, max_side, &tw, &th);
    if (tw != dec.bmp.width || th != dec.bmp.height)
        st = pf_resize(&dec.bmp, tw, th, &small);
    if (st == PF_OK)
        st = pf_jpeg_encode(small.rgb ? &small : &dec.bmp, 70, jpg, jpg_len, err);
    pf_bitmap_free(&small);
    pf_decoded_free(&dec);
    return st;
}

pf_status pf_background_mask_png(pf_ctx *ctx, const uint8_t *data, size_t len,
                                 const char *name, uint8_t **png,
                                 size_t *png_len)
{
    char err[PF_ERR_LEN] = "";
    pf_decoded dec;
    pf_bitmap mask = {0, 0, NULL};
    pf_status st = PF_ERR_INVALID_ARG;
    if (!ctx || !data || !png || !png_len)
        return st;
    *png = NULL;
    *png_len = 0;
    pf_format format = pf_sniff(data, len);
    if (format != PF_FORMAT_JPEG && format != PF_FORMAT_PNG) {
        snprintf(ctx->error, sizeof ctx->error, "%s: not a JPEG or PNG image",
                 shown(name));
        return PF_ERR_NOT_IMAGE;
    }
    st = decode_upright(ctx, data, len, format, 0, &dec, err);
    if (st != PF_OK) {
        snprintf(ctx->error, sizeof ctx->error, "%s: cannot decode (%s)",
                 shown(name), err);
        return st;
    }
    st = pf_render_background_mask(&dec.bmp, &ctx->rules, &mask);
    if (st == PF_OK)
        st = pf_png_encode(&mask, png, png_len, err);
    pf_bitmap_free(&mask);
    pf_decoded_free(&dec);
    return st;
}

pf_status pf_check_file(pf_ctx *ctx, const char *path, pf_report *report)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (!ctx || !path || !report)
        return PF_ERR_INVALID_ARG;
    pf_status st = read_input(ctx, path, report, &data, &len);
    if (st == PF_OK)
        st = pf_check_buffer(ctx, data, len, path, report);
    free(data);
    return st;
}

/* ---- fix ---- */

typedef struct {
    uint8_t *data;
    size_t len;
    pf_format format;
    double quality;  /* -1 when the compressed data was copied */
    int upscaled;
} fix_output;

static void add_action(pf_report *report, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_action(pf_report *report, const char *fmt, ...)
{
    if (report->n_actions >= PF_MAX_ACTIONS)
        return;
    va_list ap;
    va_start(ap, fmt);
    pf_vset_message(report->actions[report->n_actions++], PF_MSG_LEN, fmt, ap);
    va_end(ap);
}

static int is_cmyk_jpeg(const uint8_t *data, size_t len)
{
    uint32_t w, h;
    int comps = 0;
    char err[PF_ERR_LEN];
    return pf_jpeg_header(data, len, &w, &h, &comps, err) == PF_OK && comps == 4;
}

static uint8_t *memdup(const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (copy && len)
        memcpy(copy, data, len);
    return copy;
}

/* Keeps the compressed data (no generation loss): metadata dropped, EXIF
 * rotation done losslessly. PF_ERR_UNFIXABLE: must re-encode instead. */
static pf_status copy_compressed(const pf_ctx *ctx, const uint8_t *data,
                                 size_t len, const pf_image_info *in,
                                 pf_report *report, fix_output *out)
{
    char err[PF_ERR_LEN] = "";
    int keep = ctx->options.keep_metadata;
    int rotate = in->exif_orientation >= 2;
    pf_status st = PF_OK;
    out->format = in->format;
    out->quality = -1;
    if (in->format == PF_FORMAT_PNG && (rotate || in->has_alpha))
        return PF_ERR_UNFIXABLE;
    if (in->format == PF_FORMAT_JPEG && is_cmyk_jpeg(data, len))
        return PF_ERR_UNFIXABLE; /* portals expect RGB */
    if (rotate)
        st = pf_jpeg_transform_upright(data, len, in->exif_orientation, keep,
                                       &out->data, &out->len, err);
    else if (keep)
        out->data = memdup(data, len), out->len = len, st = out->data ? PF_OK : PF_ERR_NOMEM;
    else if (in->format == PF_FORMAT_JPEG)
        st = pf_jpeg_strip_metadata(data, len, &out->data, &out->len, err);
    else
        st = pf_png_strip_metadata(data, len, &out->data, &out->len, err);
    if (st != PF_OK)
        return st == PF_ERR_NOMEM ? st : PF_ERR_UNFIXABLE;
    if (rotate)
        add_action(report, "rotated upright losslessly (EXIF orientation %d)",
                   in->exif_orientation);
    add_action(report, keep ? "compressed data copied as is"
                            : "compressed data copied as is, metadata removed");
    return PF_OK;
}

static void describe_conversions(const pf_image_info *in, pf_report *report)
{
    if (in->exif_orientation >= 2)
        add_action(report, "rotated upright (EXIF orientation %d)",
                   in->exif_orientation);
    if (in->has_alpha)
        add_action(report, "flattened transparency onto white");
    if (in->format == PF_FORMAT_PNG)
        add_action(report, "converted PNG to JPEG");
}

#define JPEG_MAX_SIDE 65500u /* libjpeg's JPEG_MAX_DIMENSION */
/* Beyond 4x a side, enlarging invents the detail a reviewer looks for. */
#define MAX_UPSCALE 4u

/* Scales to the smallest size meeting the minimum resolution, upscaling
 * (with a warning) only when allowed. The target comes from the image's full
 * upright size in; src may already be shrunk to it while decoding. *scaled stays
 * empty when src is already the target size. */
static pf_status scale_for_rules(pf_ctx *ctx, const pf_bitmap *src,
                                 const pf_image_info *in, const char *name,
                                 pf_report *report, pf_bitmap *scaled,
                                 int *upscaled)
{
    const pf_rules *r = &ctx->rules;
    uint32_t tw, th;
    memset(scaled, 0, sizeof *scaled);
    *upscaled = 0;
    fix_dims(r, in->width, in->height, &tw, &th);
    if (tw == in->width && th == in->height)
        return PF_OK;
    *upscaled = tw > in->width;
    uint64_t max_px = ctx->options.max_pixels;
    if (tw > JPEG_MAX_SIDE || th > JPEG_MAX_SIDE ||
        (max_px && (uint64_t)tw * th > max_px) || /* a sliver: 256x1 */
        (uint64_t)tw > (uint64_t)in->width * MAX_UPSCALE ||
        (uint64_t)th > (uint64_t)in->height * MAX_UPSCALE)
        return fail_unfixable(ctx, report, PF_ERR_UPSCALE,
                              "%s: %u\xC3\x97%u would have to be enlarged to "
                              "%u\xC3\x97%u, which only blurs it; rescan the "
                              "whole document at a higher resolution",
                              shown(name), in->width, in->height, tw, th);
    if (*upscaled && ctx->options.no_upscale)
        return fail_unfixable(ctx, report, PF_ERR_UPSCALE,
                              "%s: %u\xC3\x97%u is under %u\xC3\x97%u; rescan at a "
                              "higher resolution (upscaling refused)", shown(name),
                              in->width, in->height, r->min_long, r->min_short);
    /* The reduced decode may already be exactly the target. */
    pf_status st = tw == src->width && th == src->height
                       ? PF_OK : pf_resize(src, tw, th, scaled);
    if (st != PF_OK)
        return st;
    if (*upscaled)
        add_action(report, "upscaled from %u\xC3\x97%u to %u\xC3\x97%u; rescan at a "
                   "higher resolution if the portal rejects it as unclear",
                   in->width, in->height, tw, th);
    else
        add_action(report, "resized %u\xC3\x97%u \xE2\x86\x92 %u\xC3\x97%u",
                   in->width, in->height, tw, th);
    return PF_OK;
}

static pf_status verify_output(pf_ctx *ctx, const fix_output *out,
                               const pf_bitmap *encoded, const char *name,
                               pf_report *report);

/* --whiten: lifts the background when the rule fails and levels can mend
 * it; a background they cannot mend makes the file unfixable. */
static pf_status whiten_if_needed(pf_ctx *ctx, pf_bitmap *bmp,
                                  const pf_image_info *in, const char *name,
                                  pf_report *report)
{
    const pf_rules *r = &ctx->rules;
    pf_background after;
    char why[PF_ERR_LEN] = "";
    if (!r->white_background || !ctx->options.whiten ||
        pf_background_passes(&in->background, r))
        return PF_OK;
    pf_status st = pf_whiten_background(bmp, r, &after, why);
    if (st == PF_ERR_UNFIXABLE)
        return fail_unfixable(ctx, report, st, "%s: background %.0f%% white, "
                              "not whitened (%s); retake the photo against a "
                              "white wall", shown(name),
                              in->background.white_share * 100, why);
    if (st == PF_OK)
        add_action(report, "whitened the background: %.1f%% â %.1f%% white",
                   in->background.white_share * 100, after.white_share * 100);
    return st;
}

/* --keep-metadata on a JPEG that is re-encoded: its EXIF (orientation 1,
 * thumbnail gone), XMP, IPTC and comments, ready to splice in. They count
 * against the byte limit, so more than a quarter of it is not kept. */
static pf_status metadata_to_carry(const pf_ctx *ctx, const uint8_t *data,
                                   size_t len, const pf_image_info *in,
                                   pf_report *report, uint8_t **meta,
                                   size_t *meta_len)
{
    uint64_t max_bytes = ctx->rules.max_bytes;
    char size[32];
    *meta = NULL, *meta_len = 0;
    if (!ctx->options.keep_metadata)
        return PF_OK;
    if (in->format != PF_FORMAT_JPEG) {
        add_action(report, "metadata not kept: the PNG's text and EXIF chunks "
                   "have no place in the JPEG");
        return PF_OK;
    }
    pf_status st = pf_jpeg_collect_metadata(data, len, meta, meta_len);
    if (st != PF_OK || !*meta || !max_bytes || *meta_len <= max_bytes / 4)
        return st;
    pf_format_thousands(*meta_len, size, sizeof size);
    add_action(report, "metadata not kept: its %s B would take over a quarter "
               "of the size limit", size);
    free(*meta);
    *meta = NULL, *meta_len = 0;
    return PF_OK;
}

/* Puts the carried metadata into the encoded file. */
static pf_status splice_metadata(fix_output *out, const uint8_t *meta,
                                 size_t meta_len, pf_report *report)
{
    uint8_t *with = NULL;
    size_t with_len = 0;
    if (!meta)
        return PF_OK;
    pf_status st = pf_jpeg_insert_segments(out->data, out->len, meta, meta_len,
                                           &with, &with_len);
    if (st != PF_OK)
        return st;
    free(out->data);
    out->data = with, out->len = with_len;
    add_action(report, "metadata kept (EXIF orientation set to 1, EXIF "
               "thumbnail removed)");
    return PF_OK;
}

/* Encodes at the best quality that fits the byte limits, less the room
 * the carried metadata takes (at most a quarter of max_bytes). */
static pf_status encode_to_budget(pf_ctx *ctx, const pf_bitmap *bmp,
                                  size_t meta_len, fix_output *out,
                                  char err[PF_ERR_LEN])
{
    const pf_options *o = &ctx->options;
    const pf_rules *r = &ctx->rules;
    uint64_t max_b = r->max_bytes ? r->max_bytes - meta_len : 0;
    uint64_t min_b = r->min_bytes > meta_len ? r->min_bytes - meta_len : 0;
    /* A minimum size may need more than the usual top quality. */
    int top = r->min_bytes ? 100 : o->max_quality;
    return pf_fit_jpeg_to_budget(bmp, max_b, min_b, o->min_quality, top,
                                 call_threads(o), &out->data, &out->len,
                                 &out->quality, err);
}

static pf_status reencode(pf_ctx *ctx, const uint8_t *data, size_t len,
                          pf_decoded *dec, const pf_image_info *in,
                          const char *name, pf_report *report, fix_output *out)
{
    char err[PF_ERR_LEN] = "";
    pf_bitmap scaled;
    uint8_t *meta = NULL;
    size_t meta_len = 0;
    describe_conversions(in, report);
    pf_status st = scale_for_rules(ctx, &dec->bmp, in, name,
                                   report, &scaled, &out->upscaled);
    if (st != PF_OK)
        goto cleanup;
    pf_bitmap *bmp = scaled.rgb ? &scaled : &dec->bmp;
    if ((st = whiten_if_needed(ctx, bmp, in, name, report)) != PF_OK ||
        (st = metadata_to_carry(ctx, data, len, in, report, &meta, &meta_len)) != PF_OK)
        goto cleanup;
    st = encode_to_budget(ctx, bmp, meta_len, out, err);
    if (st == PF_ERR_BUDGET) {
        st = fail_unfixable(ctx, report, st, "%s: cannot meet the size limits "
                            "at %u\xC3\x97%u (%s); crop to the document or "
                            "lower --min-quality", shown(name), bmp->width,
                            bmp->height, err);
        goto cleanup;
    }
    if (st != PF_OK) {
        st = decode_error(ctx, report, st, name, PF_FORMAT_JPEG, err);
        goto cleanup;
    }
    out->format = PF_FORMAT_JPEG;
    if ((st = splice_metadata(out, meta, meta_len, report)) != PF_OK)
        goto cleanup;
    char size[32];
    pf_format_thousands(out->len, size, sizeof size);
    add_action(report, "JPEG quality %g, %s B", out->quality, size);
    if (verify_output(ctx, out, bmp, name, report) != PF_OK)
        st = fail_unfixable(ctx, report, PF_ERR_INTERNAL, "%s: the re-encoded "
                            "copy fails its own check; not written", shown(name));
cleanup:
    pf_bitmap_free(&scaled);
    free(meta);
    return st;
}

/* Judges what fix made as check would, and reports on it: fix never hands
 * out a file it has not checked itself. A copy is re-read in full; a file
 * we encoded ourselves has its header re-read, and its colour is measured
 * on the very pixels that were encoded (decoding them again cost as much
 * as a fifth of the whole fix). PF_ERR_UNFIXABLE when a rule fails. */
static pf_status verify_output(pf_ctx *ctx, const fix_output *out,
                               const pf_bitmap *encoded, const char *name,
                               pf_report *report)
{
    char err[PF_ERR_LEN];
    int comps = 0;
    pf_status st;
    pf_report *check = calloc(1, sizeof *check);
    if (!check)
        return PF_ERR_NOMEM;
    if (encoded) {
        pf_image_info *info = &check->input;
        pf_color_stats color;
        pf_exif_info exif;
        pf_jpeg_exif_info(out->data, out->len, &exif);
        info->has_gps = exif.has_gps;
        info->format = pf_sniff(out->data, out->len);
        info->bytes = out->len;
        st = pf_jpeg_header(out->data, out->len, &info->width, &info->height,
                            &comps, err);
        if (st == PF_OK && (info->format != PF_FORMAT_JPEG || comps != 3 ||
                            info->width != encoded->width ||
                            info->height != encoded->height))
            st = PF_ERR_INTERNAL;
        pf_measure_color(encoded, &color);
        info->color_share = color.color_share;
        info->mean_chroma = color.mean_chroma;
        if (st == PF_OK && ctx->rules.white_background)
            st = pf_measure_background(encoded, &ctx->rules, &info->background);
        if (st == PF_OK) {
            pf_rules_evaluate(&ctx->rules, info, check);
            check->status = PF_FILE_PASS;
            for (int i = 0; i < check->n_checks; i++)
                if (check->checks[i].status == PF_FAIL)
                    check->status = PF_FILE_FAIL;
        }
    } else {
        st = examine(ctx, out->data, out->len, name, check, NULL);
    }
    if (st == PF_OK && check->status != PF_FILE_PASS)
        st = PF_ERR_UNFIXABLE;
    if (st == PF_OK) {
        report->output = check->input;
        memcpy(report->checks, check->checks, sizeof report->checks);
        report->n_checks = check->n_checks;
        report->warnings = check->warnings + out->upscaled;
    }
    free(check);
    return st;
}

/* Tries the lossless copy for a file that already passes. Returns 1 when
 * it produced a verified output. */
static int try_copy(pf_ctx *ctx, const uint8_t *data, size_t len,
                    const char *name, pf_report *report, fix_output *out)
{
    int n_actions = report->n_actions;
    pf_image_info in = report->input;
    if (copy_compressed(ctx, data, len, &in, report, out) == PF_OK &&
        verify_output(ctx, out, NULL, name, report) == PF_OK)
        return 1;
    free(out->data);
    out->data = NULL;
    report->n_actions = n_actions;
    return 0;
}

/* Says what became of an input's GPS position. */
static void note_gps(pf_report *report)
{
    if (!report->input.has_gps)
        return;
    if (report->output.has_gps)
        add_action(report, "kept the GPS position (--keep-metadata)");
    else
        add_action(report, "removed the GPS position and other metadata");
}

pf_status pf_fix_buffer(pf_ctx *ctx, const uint8_t *data, size_t len,
                        const char *name, uint8_t **out, size_t *out_len,
                        pf_format *out_format, pf_report *report)
{
    pf_decoded dec;
    fix_output fo = {NULL, 0, PF_FORMAT_UNKNOWN, -1, 0};
    if (!ctx || (!data && len) || !out || !out_len || !report)
        return PF_ERR_INVALID_ARG;
    *out = NULL;
    *out_len = 0;
    ctx->error[0] = '\0';
    memset(&dec, 0, sizeof dec);
    pf_status st = examine(ctx, data, len, name, report, &dec);
    if (st != PF_OK)
        return st;
    if (unfixable_check(report, ctx->options.whiten)) {
        advise(report, name);
        report->error = st = PF_ERR_UNFIXABLE;
        goto cleanup;
    }
    int copied = report->status == PF_FILE_PASS &&
                 try_copy(ctx, data, len, name, report, &fo);
    if (!copied) {
        pf_image_info in = report->input;
        st = reencode(ctx, data, len, &dec, &in, name, report, &fo);
        if (st != PF_OK)
            goto cleanup;
    }
    report->status = copied && report->input.exif_orientation < 2 ? PF_FILE_PASS
                                                                  : PF_FILE_FIXED;
    report->has_output = 1;
    report->quality = fo.quality;
    note_gps(report);
    *out = fo.data;
    *out_len = fo.len;
    if (out_format)
        *out_format = fo.format;
    fo.data = NULL;
cleanup:
    free(fo.data);
    pf_decoded_free(&dec);
    return st;
}

#define DASH " \xE2\x80\x94 " /* an em dash between what happened and what to do */

/* Refuses to write over the input itself, however the paths are spelt. */
static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Says why an output could not be written and what to do; err is the errno
 * of the step that failed (0 when none did). Nothing is left on disk. */
static pf_status explain_write_failure(pf_ctx *ctx, pf_report *report,
                                       const char *in_path, pf_status st, int err)
{
    const char *path = report->output_path, *slash = strrchr(path, '/');
    const char *folder = slash ? path : ".";  /* shown as "folder/" */
    int folder_len = slash ? (int)(slash - path) : 1;
    char reason[96];
    if (strerror_r(err, reason, sizeof reason) != 0)
        snprintf(reason, sizeof reason, "error %d", err);
    if (st == PF_ERR_EXISTS)
        return set_error(ctx, report, st, "%s: %s already exists; use --force to "
                         "overwrite it", in_path, path);
    if (st == PF_ERR_SAME_FILE)
        return set_error(ctx, report, st, "%s: the output %s is the input itself; "
                         "nothing was written" DASH "choose another output folder "
                         "with -o", in_path, path);
    if (st != PF_ERR_IO || err == 0)
        return set_error(ctx, report, st, "%s: cannot write %s (%s)", in_path, path,
                         pf_strerror(st));
    switch (err) {
    case ENOSPC:
    case EDQUOT:
        return set_error(ctx, report, st, "%s: %s: the disk is full (%s); nothing "
                         "was written" DASH "free some space and run again",
                         in_path, path, reason);
    case EFBIG:
        return set_error(ctx, report, st, "%s: %s: the file is over the size limit "
                         "(%s; see ulimit -f); nothing was written" DASH "raise the "
                         "limit and run again", in_path, path, reason);
    case EACCES:
    case EPERM:
    case EROFS:
        return set_error(ctx, report, st, "%s: %.*s/: folder is not writable (%s); "
                         "choose another folder with -o", in_path, folder_len,
                         folder, reason);
    case ENOENT:
    case ENOTDIR:
        return set_error(ctx, report, st, "%s: %.*s/: folder does not exist (%s); "
                         "create it or choose another folder with -o", in_path,
                         folder_len, folder, reason);
    default:
        return set_error(ctx, report, st, "%s: cannot write %s (%s); nothing was "
                         "written" DASH "check the disk and run again", in_path,
                         path, reason);
    }
}

static pf_status write_output(pf_ctx *ctx, const char *in_path,
                              const uint8_t *data, size_t len, pf_report *report)
{
    pf_status st = PF_ERR_SAME_FILE;
    int err = 0;
    if (!same_file(in_path, report->output_path))
        st = pf_write_file_report_errno(report->output_path, data, len,
                                        ctx->options.force, &err);
    if (st == PF_OK)
        return st;
    report->has_output = 0;
    explain_write_failure(ctx, report, in_path, st, err);
    report->output_path[0] = '\0';
    return st;
}

pf_status pf_fix_file(pf_ctx *ctx, const char *in_path, const char *out_stem,
                      pf_report *report)
{
    uint8_t *data = NULL, *fixed = NULL;
    size_t len = 0, fixed_len = 0;
    pf_format format = PF_FORMAT_UNKNOWN;
    if (!ctx || !in_path || !out_stem || !report)
        return PF_ERR_INVALID_ARG;
    pf_status st = read_input(ctx, in_path, report, &data, &len);
    if (st != PF_OK)
        goto cleanup;
    st = pf_fix_buffer(ctx, data, len, in_path, &fixed, &fixed_len, &format, report);
    if (st != PF_OK || !report->has_output)
        goto cleanup;
    int n = snprintf(report->output_path, sizeof report->output_path, "%s.%s",
                     out_stem, format == PF_FORMAT_PNG ? "png" : "jpg");
    if (n < 0 || (size_t)n >= sizeof report->output_path) {
        st = set_error(ctx, report, PF_ERR_INVALID_ARG, "%s: output path too long",
                       in_path);
        report->has_output = 0;
        report->output_path[0] = '\0';
        goto cleanup;
    }
    st = write_output(ctx, in_path, fixed, fixed_len, report);
cleanup:
    free(data);
    free(fixed);
    return st;
}
