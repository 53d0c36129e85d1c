/* The fix pipeline: copy a passing file losslessly, or crop, resize,
 * whiten and re-encode it into a file that passes, checked before it is
 * handed out, then written whole or not at all. */
#include "core/pipeline.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


typedef struct {
    uint8_t *data;
    size_t len;
    pf_format format;
    double quality;  /* -1 when the compressed data was copied */
    int upscaled;
    int full_chroma; /* encoded 4:4:4 */
    int below_min;   /* encoded under --min-quality: a warning */
    uint32_t width, height; /* what was encoded */
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
        add_action(report, _("rotated upright losslessly (EXIF orientation %d)"),
                   in->exif_orientation);
    add_action(report, keep ? _("compressed data copied as is")
                            : _("compressed data copied as is, metadata removed"));
    return PF_OK;
}

static void describe_conversions(const pf_image_info *in, pf_report *report)
{
    if (in->exif_orientation >= 2)
        add_action(report, _("rotated upright (EXIF orientation %d)"),
                   in->exif_orientation);
    if (in->has_alpha)
        add_action(report, _("flattened transparency onto white"));
    if (in->icc_converted)
        add_action(report, _("converted its colours to sRGB through its embedded "
                             "colour profile"));
    if (in->format == PF_FORMAT_JPEG)
        return;
    const char *label = pf_format_label(in->format);
    if (in->animated)
        add_action(report, P_("converted %s to JPEG (the first frame of %d)",
                              "converted %s to JPEG (the first frame of %d)",
                              in->pages), label, in->pages);
    else if (in->pages > 1)
        /* TRANSLATORS: "converted PDF to JPEG (page 1 of 3)". */
        add_action(report, P_("converted %s to JPEG (page %d of %d)",
                              "converted %s to JPEG (page %d of %d)", in->pages),
                   label, in->page + 1, in->pages);
    else
        add_action(report, _("converted %s to JPEG"), label);
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
    pf_fix_dims(r, in->width, in->height, &tw, &th);
    if (tw == in->width && th == in->height)
        return PF_OK;
    *upscaled = tw > in->width;
    uint64_t max_px = ctx->options.max_pixels;
    if (tw > JPEG_MAX_SIDE || th > JPEG_MAX_SIDE ||
        (max_px && (uint64_t)tw * th > max_px) || /* a sliver: 256x1 */
        (uint64_t)tw > (uint64_t)in->width * MAX_UPSCALE ||
        (uint64_t)th > (uint64_t)in->height * MAX_UPSCALE)
        return pf_fail_unfixable(ctx, report, PF_ERR_UPSCALE,
                                 _("%s: %u\xC3\x97%u would have to be enlarged to "
                                   "%u\xC3\x97%u, which only blurs it; rescan the "
                                   "whole document at a higher resolution"),
                                 pf_shown(name), in->width, in->height, tw, th);
    if (*upscaled && ctx->options.no_upscale)
        return pf_fail_unfixable(ctx, report, PF_ERR_UPSCALE,
                                 _("%s: %u\xC3\x97%u is under %u\xC3\x97%u; rescan at a "
                                   "higher resolution (upscaling refused)"), pf_shown(name),
                                 in->width, in->height, r->min_long, r->min_short);
    /* The reduced decode may already be exactly the target. */
    pf_status st = tw == src->width && th == src->height
                       ? PF_OK : pf_resize(src, tw, th, scaled);
    if (st != PF_OK)
        return st;
    if (*upscaled)
        add_action(report, _("upscaled from %u\xC3\x97%u to %u\xC3\x97%u; rescan at a "
                             "higher resolution if the portal rejects it as unclear"),
                   in->width, in->height, tw, th);
    else
        add_action(report, _("resized %u\xC3\x97%u \xE2\x86\x92 %u\xC3\x97%u"),
                   in->width, in->height, tw, th);
    return PF_OK;
}

static pf_status verify_output(pf_ctx *ctx, const fix_output *out,
                               const pf_bitmap *encoded,
                               const pf_image_info *measured, const char *name,
                               pf_report *report, pf_check *failed);

/* --whiten: lifts the background when the rule fails and levels can mend
 * it; a background they cannot mend makes the file unfixable. *changed
 * says whether bmp's pixels were changed. */
static pf_status whiten_if_needed(pf_ctx *ctx, pf_bitmap *bmp,
                                  const pf_image_info *in, const char *name,
                                  pf_report *report, int *changed)
{
    const pf_rules *r = &ctx->rules;
    pf_background after;
    char why[PF_ERR_LEN] = "";
    if (!r->white_background || !ctx->options.whiten ||
        pf_background_passes(&in->background, r))
        return PF_OK;
    pf_status st = pf_whiten_background(bmp, r, &after, why);
    if (st == PF_ERR_UNFIXABLE)
        return pf_fail_unfixable(ctx, report, st, _("%s: background %.0f%% white, "
                                 "not whitened (%s); retake the photo against a "
                                 "white wall"), pf_shown(name),
                                 in->background.white_share * 100, why);
    if (st == PF_OK)
        add_action(report, _("whitened the background: %.1f%% \xE2\x86\x92 %.1f%% white"),
                   in->background.white_share * 100, after.white_share * 100);
    *changed = st == PF_OK;
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
    if (in->format == PF_FORMAT_PNG) {
        add_action(report, _("metadata not kept: the PNG's text and EXIF chunks "
                             "have no place in the JPEG"));
        return PF_OK;
    }
    if (in->format != PF_FORMAT_JPEG) {
        /* TRANSLATORS: %s is a format such as HEIC or PDF. */
        add_action(report, _("metadata not kept: only a JPEG's own is carried "
                             "over, not the %s's"), pf_format_label(in->format));
        return PF_OK;
    }
    pf_status st = pf_jpeg_collect_metadata(data, len, meta, meta_len);
    if (st != PF_OK || !*meta || !max_bytes || *meta_len <= max_bytes / 4)
        return st;
    pf_format_thousands(*meta_len, size, sizeof size);
    add_action(report, _("metadata not kept: its %s B would take over a quarter "
                         "of the size limit"), size);
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
    add_action(report, _("metadata kept (EXIF orientation set to 1, EXIF "
                         "thumbnail removed)"));
    return PF_OK;
}

/* Encodes at the best quality in [lo, hi] that fits the byte limits, less
 * the room the carried metadata takes (at most a quarter of max_bytes). */
static pf_status encode_in_range(pf_ctx *ctx, const pf_bitmap *bmp,
                                 size_t meta_len, int lo, int hi,
                                 fix_output *out, pf_budget_info *info,
                                 char err[PF_ERR_LEN])
{
    const pf_rules *r = &ctx->rules;
    uint64_t max_b = r->max_bytes ? r->max_bytes - meta_len : 0;
    uint64_t min_b = r->min_bytes > meta_len ? r->min_bytes - meta_len : 0;
    pf_status st = pf_fit_jpeg_to_budget(bmp, max_b, min_b, lo, hi,
                                         pf_call_threads(&ctx->options), &out->data,
                                         &out->len, &out->quality, err, info);
    out->full_chroma = info->full_chroma;
    return st;
}

/* The highest quality tried: a minimum size may need more than the usual. */
static int top_quality(const pf_ctx *ctx)
{
    return ctx->rules.min_bytes ? 100 : ctx->options.max_quality;
}

static pf_status encode_to_budget(pf_ctx *ctx, const pf_bitmap *bmp,
                                  size_t meta_len, fix_output *out,
                                  pf_budget_info *info, char err[PF_ERR_LEN])
{
    return encode_in_range(ctx, bmp, meta_len, ctx->options.min_quality,
                           top_quality(ctx), out, info, err);
}

/* A noisy photo (dim light, a small sensor) whose grain needs more bytes
 * than the limit at --min-quality: first a lower quality, down to
 * PF_QUALITY_FLOOR, with a warning; failing that, its noise is smoothed
 * away, as mildly as lets it fit at the floor (*clean, then what is
 * encoded). Lower quality comes first because it costs the picture less:
 * in bench/noisy, smoothing first to reach --min-quality (commit eedd823)
 * lost to a lower quality on butteraugli (lumia.jpg, light noise: 9.95
 * smoothed at quality 30.6, 6.95 unsmoothed at 22.5; ImageMagick 8.41 at
 * 18), and bench/denoise finds the same at equal bytes. PF_ERR_BUDGET when
 * even that is too big. */
static pf_status fit_noisy(pf_ctx *ctx, const pf_bitmap *bmp, size_t meta_len,
                           pf_bitmap *clean, fix_output *out,
                           pf_budget_info *info, pf_report *report,
                           char err[PF_ERR_LEN])
{
    const pf_options *o = &ctx->options;
    int floor_q = o->min_quality < PF_QUALITY_FLOOR ? o->min_quality : PF_QUALITY_FLOOR;
    pf_status st = PF_ERR_BUDGET;
    if (floor_q < o->min_quality)
        st = encode_in_range(ctx, bmp, meta_len, floor_q, o->min_quality, out,
                             info, err);
    if (st == PF_ERR_BUDGET) {
        char derr[PF_ERR_LEN];
        st = pf_denoise_to_fit(bmp, ctx->rules.max_bytes - meta_len, floor_q,
                               clean, derr);
        if (st != PF_OK) {
            pf_set_message(err, PF_ERR_LEN, "%s", derr);
            return st;
        }
        st = encode_in_range(ctx, clean, meta_len, floor_q, top_quality(ctx), out,
                             info, err);
        if (st == PF_OK)
            add_action(report, _("smoothed away sensor noise: even at quality %d "
                                 "it needed more than the size limit"), floor_q);
    }
    if (st != PF_OK)
        return st;
    out->below_min = out->quality < o->min_quality;
    if (out->below_min)
        add_action(report, _("quality %g, below --min-quality %d, is the only "
                             "way this photo fits the size limit; a better-lit "
                             "photo will look better"), out->quality, o->min_quality);
    return PF_OK;
}

#define GROW_STEPS 4
#define GROW_MARGIN 1.1  /* bytes grow a little slower than pixels */

/* A minimum file size out of reach at the top quality: more of the
 * original's pixels make more bytes, honestly (never padding). Encodes
 * ever larger copies of the full-size image, up to its own size, into
 * *grown. PF_ERR_UNDER_MIN when even that is too small. */
static pf_status grow_to_min_bytes(pf_ctx *ctx, const uint8_t *data, size_t len,
                                   const pf_decoded *dec, const pf_image_info *in,
                                   size_t meta_len, pf_bitmap *grown,
                                   fix_output *out, pf_budget_info *info,
                                   char err[PF_ERR_LEN])
{
    pf_decoded full;
    const pf_bitmap *src = &dec->bmp;
    uint32_t w = out->width;
    pf_status st = PF_ERR_UNDER_MIN;
    memset(&full, 0, sizeof full);
    if (src->width != in->width || src->height != in->height) {
        /* dec holds a copy shrunk while decoding: the original is needed. */
        char derr[PF_ERR_LEN];
        if (pf_decode_upright(ctx, data, len, in->format, UINT32_MAX, &full,
                              derr) != PF_OK)
            goto cleanup;
        src = &full.bmp;
    }
    for (int step = 0; st == PF_ERR_UNDER_MIN && step < GROW_STEPS; step++) {
        double f = sqrt((double)ctx->rules.min_bytes / (double)(info->largest + 1));
        uint32_t nw = (uint32_t)fmin((double)src->width, w * f * GROW_MARGIN);
        uint32_t nh = (uint32_t)((uint64_t)src->height * nw / src->width);
        pf_fit_max_size(&ctx->rules, &nw, &nh);
        if (nw <= w || nh == 0)
            break;
        pf_bitmap_free(grown);
        if ((st = pf_resize(src, nw, nh, grown)) != PF_OK)
            break;
        free(out->data);
        out->data = NULL;
        st = encode_to_budget(ctx, grown, meta_len, out, info, err);
        w = out->width = nw, out->height = nh;
    }
cleanup:
    pf_decoded_free(&full);
    return st;
}

/* The crop fix makes of this file: 1 with *box when the rules want one
 * (a small document, or a face photo's small face) and it leaves less than
 * the whole picture. */
static int plan_crop(const pf_ctx *ctx, const pf_image_info *in, pf_crop_box *box)
{
    if (pf_face_crop_wanted(&ctx->rules, &ctx->options, &in->face))
        return pf_face_crop_plan(&in->face, in->width, in->height, box);
    return pf_crop_wanted(&ctx->rules, &ctx->options, &in->document) &&
           pf_crop_plan(&in->document, in->width, in->height, ctx->rules.min_long,
                        ctx->rules.min_short, box);
}

/* What the crop did, for the report. */
static void report_crop(const pf_image_info *in, const pf_crop_box *box,
                        const pf_bitmap *crop, int face, pf_report *report)
{
    if (face)
        add_action(report, _("cropped to the head and shoulders (the face was "
                             "%.0f%% of the picture's height): %u\xC3\x97%u "
                             "\xE2\x86\x92 %u\xC3\x97%u"), in->face.size * 100,
                   in->width, in->height, crop->width, crop->height);
    else
        add_action(report, _("cropped to the document (it filled %.0f%% of the "
                             "picture): %u\xC3\x97%u \xE2\x86\x92 %u\xC3\x97%u"),
                   in->document.fill * 100, in->width, in->height, crop->width,
                   crop->height);
    if (box->angle != 0)
        add_action(report, _("straightened: turned %.1f\xC2\xB0"),
                   -box->angle * 180 / M_PI);
}

/* Replaces dec's pixels with the document (or the face photo's head and
 * shoulders) cropped from the full-size image (dec may hold a copy shrunk
 * while decoding, too small to crop from), and in's size with the crop's;
 * says why not when the picture is too small. */
static pf_status crop_document(pf_ctx *ctx, const uint8_t *data, size_t len,
                               pf_decoded *dec, pf_image_info *in,
                               pf_report *report)
{
    char err[PF_ERR_LEN] = "";
    pf_decoded full;
    pf_bitmap crop;
    pf_crop_box box;
    const pf_rules *r = &ctx->rules;
    int face = pf_face_crop_wanted(r, &ctx->options, &in->face);
    if (!face && !pf_crop_wanted(r, &ctx->options, &in->document))
        return PF_OK;
    if (!plan_crop(ctx, in, &box)) {
        if (!face)
            add_action(report, _("kept the whole picture: cropped to the document "
                                 "it would be under %u\xC3\x97%u"), r->min_long,
                       r->min_short);
        return PF_OK;
    }
    pf_status st = pf_decode_upright(ctx, data, len, in->format, UINT32_MAX, &full, err);
    if (st == PF_OK)
        st = pf_crop_render(&full.bmp, &box, &crop);
    pf_decoded_free(&full);
    if (st != PF_OK)
        return st;
    report_crop(in, &box, &crop, face, report);
    pf_bitmap_free(&dec->bmp);
    dec->bmp = crop;
    dec->measures_valid = 0;
    in->width = crop.width, in->height = crop.height;
    return PF_OK;
}

/* verify_output on what was encoded, naming the check a failed copy fails
 * (an enlarged image may come out too soft to pass sharpness). */
static pf_status verify_encoded(pf_ctx *ctx, const fix_output *out,
                                const pf_bitmap *bmp, const pf_image_info *measured,
                                const char *name, pf_report *report)
{
    pf_check failed = {.id = PF_CHECK_COUNT};
    pf_status st = verify_output(ctx, out, bmp, measured, name, report, &failed);
    if (st == PF_ERR_UNFIXABLE && failed.id != PF_CHECK_COUNT)
        return pf_fail_unfixable(ctx, report, st, _("%s: the copy fix would write "
                                 "(%u\xC3\x97%u) fails %s: %s; not written%s"),
                                 pf_shown(name), bmp->width, bmp->height,
                                 pf_check_name(failed.id), failed.message,
                                 out->upscaled ? _(" \xE2\x80\x94 rescan the document "
                                                   "at a higher resolution") : "");
    if (st != PF_OK)
        return pf_fail_unfixable(ctx, report, PF_ERR_INTERNAL, _("%s: the "
                                 "re-encoded copy fails its own check; not "
                                 "written"), pf_shown(name));
    return PF_OK;
}

static pf_status reencode(pf_ctx *ctx, const uint8_t *data, size_t len,
                          pf_decoded *dec, pf_image_info *in,
                          const char *name, pf_report *report, fix_output *out)
{
    char err[PF_ERR_LEN] = "";
    pf_bitmap scaled = {0, 0, NULL}, grown = {0, 0, NULL}, clean = {0, 0, NULL};
    uint8_t *meta = NULL;
    size_t meta_len = 0;
    describe_conversions(in, report);
    pf_status st = PF_OK;
    if ((st = crop_document(ctx, data, len, dec, in, report)) != PF_OK) {
        st = pf_decode_error(ctx, report, st, name, in->format, err);
        goto cleanup;
    }
    st = scale_for_rules(ctx, &dec->bmp, in, name, report, &scaled, &out->upscaled);
    if (st != PF_OK)
        goto cleanup;
    pf_bitmap *bmp = scaled.rgb ? &scaled : &dec->bmp;
    int whitened = 0;
    st = whiten_if_needed(ctx, bmp, in, name, report, &whitened);
    if (whitened)
        dec->measures_valid = 0;
    if (st != PF_OK ||
        (st = metadata_to_carry(ctx, data, len, in, report, &meta, &meta_len)) != PF_OK)
        goto cleanup;
    pf_budget_info info = {0, 0};
    out->width = bmp->width, out->height = bmp->height;
    st = encode_to_budget(ctx, bmp, meta_len, out, &info, err);
    if (st == PF_ERR_BUDGET) {
        st = fit_noisy(ctx, bmp, meta_len, &clean, out, &info, report, err);
        if (clean.rgb)
            bmp = &clean;
    }
    if (st == PF_ERR_UNDER_MIN && !ctx->options.whiten) {
        st = grow_to_min_bytes(ctx, data, len, dec, in, meta_len, &grown, out,
                               &info, err);
        if (grown.rgb)
            bmp = &grown;
        if (st == PF_OK)
            add_action(report, _("kept more of the original's %u\xC3\x97%u pixels "
                                 "to reach the minimum file size: %u\xC3\x97%u"), in->width,
                       in->height, bmp->width, bmp->height);
    }
    if (st == PF_ERR_UNDER_MIN) {
        char min[32];
        pf_format_thousands(ctx->rules.min_bytes, min, sizeof min);
        st = pf_fail_unfixable(ctx, report, st, _("%s: %s at %u\xC3\x97%u%s; the "
                               "minimum is %s B and a file is never padded \xE2\x80\x94 "
                               "rescan at a higher resolution"), pf_shown(name),
                               err, out->width, out->height,
                               out->width >= in->width ? _(" (the original's size)") : "",
                               min);
        goto cleanup;
    }
    if (st == PF_ERR_BUDGET && ctx->options.min_quality > PF_QUALITY_FLOOR) {
        st = pf_fail_unfixable(ctx, report, st, _("%s: cannot meet the size limits "
                               "at %u\xC3\x97%u (%s), even with its noise smoothed "
                               "away and the quality lowered from --min-quality %d; "
                               "retake the photo in better light, or crop it to "
                               "the document"), pf_shown(name), bmp->width,
                               bmp->height, err, ctx->options.min_quality);
        goto cleanup;
    }
    if (st == PF_ERR_BUDGET) {
        st = pf_fail_unfixable(ctx, report, st, _("%s: cannot meet the size limits "
                               "at %u\xC3\x97%u (%s), even with its noise smoothed "
                               "away; retake the photo in better light, or crop "
                               "it to the document"), pf_shown(name), bmp->width,
                               bmp->height, err);
        goto cleanup;
    }
    if (st != PF_OK) {
        st = pf_decode_error(ctx, report, st, name, PF_FORMAT_JPEG, err);
        goto cleanup;
    }
    out->format = PF_FORMAT_JPEG;
    if ((st = splice_metadata(out, meta, meta_len, report)) != PF_OK)
        goto cleanup;
    char size[32];
    pf_format_thousands(out->len, size, sizeof size);
    add_action(report, _("JPEG quality %g%s, %s B"), out->quality,
               out->full_chroma ? _(" (full colour resolution, 4:4:4)") : "", size);
    st = verify_encoded(ctx, out, bmp, bmp == &dec->bmp && dec->measures_valid
                                         ? &dec->measures : NULL, name, report);
cleanup:
    pf_bitmap_free(&scaled);
    pf_bitmap_free(&grown);
    pf_bitmap_free(&clean);
    free(meta);
    return st;
}

/* The pixel measures of a copy: those already made on the very pixels
 * encoded (measured, when not NULL; 10-15 ms of a fix), else measured. */
static pf_status measure_encoded(const pf_ctx *ctx, const pf_bitmap *encoded,
                                 const pf_image_info *measured, pf_image_info *info)
{
    if (!measured)
        return pf_measure_pixels(encoded, &ctx->rules, pf_call_threads(&ctx->options),
                                 info);
    pf_copy_pixel_measures(measured, info);
    return PF_OK;
}

/* Judges what fix made as check would, and reports on it: fix never hands
 * out a file it has not checked itself. A copy is re-read in full; a file
 * we encoded ourselves has its header re-read, and its pixels judged as
 * they were encoded (decoding them again cost as much as a fifth of the
 * whole fix): measured, or, when they are the very pixels the input's
 * examination measured (`measured`), judged on those measures.
 * PF_ERR_UNFIXABLE when a rule fails. */
static pf_status verify_output(pf_ctx *ctx, const fix_output *out,
                               const pf_bitmap *encoded,
                               const pf_image_info *measured, const char *name,
                               pf_report *report, pf_check *failed)
{
    char err[PF_ERR_LEN];
    int comps = 0;
    pf_status st;
    pf_report *check = calloc(1, sizeof *check);
    if (!check)
        return PF_ERR_NOMEM;
    if (encoded) {
        pf_image_info *info = &check->input;
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
        if (st == PF_OK)
            st = measure_encoded(ctx, encoded, measured, info);
        if (st == PF_OK) {
            pf_rules_evaluate(&ctx->rules, info, check);
            check->status = PF_FILE_PASS;
            for (int i = 0; i < check->n_checks; i++)
                if (check->checks[i].status == PF_FAIL)
                    check->status = PF_FILE_FAIL;
        }
    } else {
        st = pf_examine(ctx, out->data, out->len, name, check, NULL);
    }
    if (st == PF_OK && check->status != PF_FILE_PASS)
        st = PF_ERR_UNFIXABLE;
    for (int i = 0; st == PF_ERR_UNFIXABLE && failed && i < check->n_checks; i++)
        if (check->checks[i].status == PF_FAIL) {
            *failed = check->checks[i];
            break;
        }
    if (st == PF_OK) {
        report->output = check->input;
        memcpy(report->checks, check->checks, sizeof report->checks);
        report->n_checks = check->n_checks;
        report->warnings = check->warnings + out->upscaled + out->below_min;
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
        verify_output(ctx, out, NULL, NULL, name, report, NULL) == PF_OK)
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
        add_action(report, _("kept the GPS position (--keep-metadata)"));
    else
        add_action(report, _("removed the GPS position and other metadata"));
}

pf_status pf_fix_buffer(pf_ctx *ctx, const uint8_t *data, size_t len,
                        const char *name, uint8_t **out, size_t *out_len,
                        pf_format *out_format, pf_report *report)
{
    pf_decoded dec;
    fix_output fo = {NULL, 0, PF_FORMAT_UNKNOWN, -1, 0, 0, 0, 0, 0};
    if (!ctx || (!data && len) || !out || !out_len || !report)
        return PF_ERR_INVALID_ARG;
    *out = NULL;
    *out_len = 0;
    ctx->error[0] = '\0';
    memset(&dec, 0, sizeof dec);
    pf_status st = pf_examine(ctx, data, len, name, report, &dec);
    if (st != PF_OK)
        return st;
    if (pf_unfixable_check(report, ctx->options.whiten)) {
        pf_advise(report, name);
        report->error = st = PF_ERR_UNFIXABLE;
        goto cleanup;
    }
    pf_crop_box box;
    int copied = report->status == PF_FILE_PASS &&
                 !plan_crop(ctx, &report->input, &box) &&
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
        snprintf(reason, sizeof reason, _("error %d"), err);
    if (st == PF_ERR_EXISTS)
        return pf_set_error(ctx, report, st, _("%s: %s already exists; use --force to "
                            "overwrite it"), in_path, path);
    if (st == PF_ERR_SAME_FILE)
        return pf_set_error(ctx, report, st, _("%s: the output %s is the input itself; "
                            "nothing was written \xE2\x80\x94 choose another output "
                            "folder with -o"), in_path, path);
    if (st != PF_ERR_IO || err == 0)
        return pf_set_error(ctx, report, st, _("%s: cannot write %s (%s)"), in_path, path,
                            pf_strerror(st));
    switch (err) {
    case ENOSPC:
    case EDQUOT:
        return pf_set_error(ctx, report, st, _("%s: %s: the disk is full (%s); nothing "
                            "was written \xE2\x80\x94 free some space and run again"),
                            in_path, path, reason);
    case EFBIG:
        return pf_set_error(ctx, report, st, _("%s: %s: the file is over the size limit "
                            "(%s; see ulimit -f); nothing was written \xE2\x80\x94 "
                            "raise the limit and run again"), in_path, path, reason);
    case EACCES:
    case EPERM:
    case EROFS:
        return pf_set_error(ctx, report, st, _("%s: %.*s/: folder is not writable (%s); "
                            "choose another folder with -o"), in_path, folder_len,
                            folder, reason);
    case ENOENT:
    case ENOTDIR:
        return pf_set_error(ctx, report, st, _("%s: %.*s/: folder does not exist (%s); "
                            "create it or choose another folder with -o"), in_path,
                            folder_len, folder, reason);
    default:
        return pf_set_error(ctx, report, st, _("%s: cannot write %s (%s); nothing was "
                            "written \xE2\x80\x94 check the disk and run again"), in_path,
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
    pf_status st = pf_read_input(ctx, in_path, report, &data, &len);
    if (st != PF_OK)
        goto cleanup;
    st = pf_fix_buffer(ctx, data, len, in_path, &fixed, &fixed_len, &format, report);
    if (st != PF_OK || !report->has_output)
        goto cleanup;
    int n = snprintf(report->output_path, sizeof report->output_path, "%s.%s",
                     out_stem, format == PF_FORMAT_PNG ? "png" : "jpg");
    if (n < 0 || (size_t)n >= sizeof report->output_path) {
        st = pf_set_error(ctx, report, PF_ERR_INVALID_ARG, _("%s: output path too long"),
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
