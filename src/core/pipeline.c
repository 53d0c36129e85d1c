/* The check pipeline: sniff, decode upright, measure, judge, advise. */
#include "pipeline.h"
#include "measure/face.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pf_shown(const char *name)
{
    return name && *name ? name : _("(input)");
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
pf_status pf_set_error(pf_ctx *ctx, pf_report *report, pf_status st,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record_outcome(ctx, report, PF_FILE_ERROR, st, fmt, ap);
    va_end(ap);
    return st;
}

/* The file was read but nothing compliant can be made of it: status fail. */
pf_status pf_fail_unfixable(pf_ctx *ctx, pf_report *report, pf_status st,
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
    case PF_FORMAT_PDF: return _("export the page as JPEG");
    case PF_FORMAT_HEIF:
        return _("export it as JPEG (iPhone: Settings > Camera > Formats > Most "
                 "Compatible)");
    default: return _("export it as JPEG");
    }
}

/* Threads one call may use: pf_options.threads, 0 meaning two (the
 * resizing thread and the second trial encode are all there is to run). */
int pf_call_threads(const pf_options *o)
{
    return o->threads > 0 ? o->threads : 2;
}

/* w x h scaled so its long side is at most max_long (never enlarged). */
void pf_fit_long_side(uint32_t w, uint32_t h, uint32_t max_long, uint32_t *tw,
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

void pf_fit_max_size(const pf_rules *r, uint32_t *tw, uint32_t *th)
{
    uint32_t lng = *tw > *th ? *tw : *th, shrt = *tw > *th ? *th : *tw;
    double scale = 1;
    if (r->max_long && lng > r->max_long)
        scale = (double)r->max_long / lng;
    if (r->max_short && shrt > r->max_short && (double)r->max_short / shrt < scale)
        scale = (double)r->max_short / shrt;
    if (scale >= 1)
        return;
    /* Rounded down: the maximum is a limit, not an aim. */
    *tw = (uint32_t)(*tw * scale), *th = (uint32_t)(*th * scale);
    if (!*tw) *tw = 1;
    if (!*th) *th = 1;
}

/* The size fix makes of a w x h upright image. With a minimum and no
 * fix_max_long: the smallest meeting the minimum (a tight byte budget is
 * best spent on the fewest pixels that pass). Else the image's own size,
 * shrunk to fix_max_long on its long side and grown to the minimum. Then
 * within the maximum. Symmetric in w and h, so it serves stored and
 * upright orientation alike. */
void pf_fix_dims(const pf_rules *r, uint32_t w, uint32_t h, uint32_t *tw,
                 uint32_t *th)
{
    int has_min = r->min_long || r->min_short;
    *tw = w, *th = h;
    if (has_min && !r->fix_max_long) {
        pf_fit_dims(w, h, r->min_long, r->min_short, tw, th);
    } else {
        if (r->fix_max_long)
            pf_fit_long_side(w, h, r->fix_max_long, tw, th);
        uint32_t lng = *tw > *th ? *tw : *th, shrt = *tw > *th ? *th : *tw;
        if (has_min && (lng < r->min_long || shrt < r->min_short))
            pf_fit_dims(w, h, r->min_long, r->min_short, tw, th);
    }
    pf_fit_max_size(r, tw, th);
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
    if ((max_long || r->min_long || r->min_short || r->fix_max_long ||
         r->max_long || r->max_short) &&
        pf_jpeg_header(data, len, &w, &h, &comps, err) == PF_OK) {
        if (max_long)
            pf_fit_long_side(w, h, max_long, &tw, &th);
        else
            pf_fix_dims(r, w, h, &tw, &th);
        if (tw >= w || th >= h)
            tw = th = 0;
    }
    return pf_jpeg_decode_resized(data, len, ctx->options.max_pixels, 8, tw,
                                  th, pf_call_threads(&ctx->options), dec, err);
}

/* Decodes and orients. A JPEG is shrunk while decoding: to max_long on its
 * long side when given (thumbnails), else to the size fix makes. */
/* The formats whose pixels preflight reads (the others are refused with
 * what to export them as). */
int pf_format_decodable(pf_format format)
{
    switch (format) {
    case PF_FORMAT_JPEG: case PF_FORMAT_PNG: case PF_FORMAT_HEIF: case PF_FORMAT_WEBP:
    case PF_FORMAT_TIFF: case PF_FORMAT_GIF: case PF_FORMAT_BMP: case PF_FORMAT_PDF:
        return 1;
    default:
        return 0;
    }
}

pf_status pf_page_count(const uint8_t *data, size_t len, int *pages)
{
    if (!pages || (!data && len))
        return PF_ERR_INVALID_ARG;
    *pages = 1;
    switch (pf_sniff(data, len)) {
    case PF_FORMAT_PDF: return pf_pdf_page_count(data, len, pages);
    case PF_FORMAT_TIFF: return pf_tiff_page_count(data, len, pages);
    default: return PF_OK;
    }
}

/* Converts the pixels to sRGB through the file's own colour profile. A
 * profile that cannot be read leaves them as stored: the picture is still
 * judged and converted, as a browser would show it. */
static void apply_colour_profile(pf_decoded *dec)
{
    char why[PF_ERR_LEN];
    if (!dec->icc)
        return;
    if (pf_colour_to_srgb(&dec->bmp, dec->icc, dec->icc_len, &dec->icc_converted,
                          why) != PF_OK)
        dec->icc_converted = 0;
    free(dec->icc);
    dec->icc = NULL;
    dec->icc_len = 0;
}

pf_status pf_decode_upright(const pf_ctx *ctx, const uint8_t *data,
                            size_t len, pf_format format, uint32_t max_long,
                            pf_decoded *dec, char err[PF_ERR_LEN])
{
    pf_status st;
    uint64_t cap = ctx->options.max_pixels;
    int page = ctx->options.page;
    memset(dec, 0, sizeof *dec);
    switch (format) {
    case PF_FORMAT_JPEG: st = decode_jpeg(ctx, data, len, max_long, dec, err); break;
    case PF_FORMAT_PNG: st = pf_png_decode(data, len, cap, dec, err); break;
    case PF_FORMAT_HEIF: st = pf_heif_decode(data, len, cap, dec, err); break;
    case PF_FORMAT_WEBP: st = pf_webp_decode(data, len, cap, dec, err); break;
    case PF_FORMAT_TIFF: st = pf_tiff_decode(data, len, cap, page, dec, err); break;
    case PF_FORMAT_GIF: st = pf_gif_decode(data, len, cap, dec, err); break;
    case PF_FORMAT_BMP: st = pf_bmp_decode(data, len, cap, dec, err); break;
    case PF_FORMAT_PDF:
        st = pf_pdf_decode(data, len, cap, page, ctx->rules.min_long,
                           ctx->rules.min_short, dec, err);
        break;
    default: st = PF_ERR_FORMAT; break;
    }
    if (st == PF_OK)
        apply_colour_profile(dec);
    if (st == PF_OK)
        st = pf_orient_apply(&dec->bmp, dec->exif_orientation);
    if (st != PF_OK)
        pf_decoded_free(dec);
    return st;
}

static pf_status fill_info(const pf_rules *rules, int threads, pf_image_info *info,
                           pf_decoded *dec)
{
    int swap = dec->exif_orientation >= 5; /* the four 90° orientations */
    info->width = swap ? dec->stored_height : dec->stored_width;
    info->height = swap ? dec->stored_width : dec->stored_height;
    info->exif_orientation = dec->exif_orientation;
    info->has_alpha = dec->has_alpha;
    info->source_grey = dec->source_grey;
    info->has_gps = dec->has_gps;
    info->pages = dec->pages > 1 ? dec->pages : 1;
    info->animated = dec->animated;
    info->icc_converted = dec->icc_converted;
    pf_status st = pf_measure_pixels(&dec->bmp, rules, threads, info);
    dec->measures = *info;
    dec->measures_valid = st == PF_OK;
    /* A JPEG may have been shrunk while decoding: report the document's
     * corners and the face's box in the file's own upright pixels. */
    double sx = (double)info->width / dec->bmp.width;
    double sy = (double)info->height / dec->bmp.height;
    for (int i = 0; i < 4 && info->document.found; i++)
        info->document.corners[i][0] *= sx, info->document.corners[i][1] *= sy;
    info->face.x *= sx, info->face.w *= sx;
    info->face.y *= sy, info->face.h *= sy;
    return st;
}

/* The PNG reader's "chunk ... over the N B limit for metadata" (png_extent.c),
 * in English or in the user's language. */
static int is_metadata_limit(const char *err)
{
    /* TRANSLATORS: must be the very words that end the translation of
       "PNG %.4s chunk of %u B is over the %u B limit for metadata". */
    return strstr(err, "limit for metadata") || strstr(err, _("limit for metadata"));
}

pf_status pf_decode_error(pf_ctx *ctx, pf_report *report, pf_status st,
                          const char *name, pf_format format,
                          const char *err)
{
    const char *label = pf_format_label(format);
    if (st == PF_ERR_TOO_LARGE && is_metadata_limit(err))
        return pf_set_error(ctx, report, st, _("%s: %s; export the image again "
                            "without metadata"), pf_shown(name), err);
    if (st == PF_ERR_TOO_LARGE)
        return pf_set_error(ctx, report, st, _("%s: %s; reduce the image or raise "
                            "--max-pixels"), pf_shown(name), err);
    if (st == PF_ERR_NOMEM)
        return pf_set_error(ctx, report, st, _("%s: out of memory decoding the %s"),
                            pf_shown(name), label);
    if (st == PF_ERR_TRUNCATED)
        return pf_set_error(ctx, report, st, _("%s: %s; the file was cut short (an "
                            "interrupted download or copy): get the whole file "
                            "again"), pf_shown(name), err);
    if (st == PF_ERR_FORMAT && err && *err && (format == PF_FORMAT_JPEG ||
                                               format == PF_FORMAT_PNG))
        return pf_set_error(ctx, report, st, _("%s: %s is not accepted by the "
                            "filing portals; export it as an ordinary 8-bit %s"),
                            pf_shown(name), err, label);
    if (st == PF_ERR_FORMAT && err && *err) /* "HEIC needs libheif.so.1, ..." */
        return pf_set_error(ctx, report, st, _("%s: %s; export it as JPEG"),
                            pf_shown(name), err);
    if (st == PF_ERR_UNFIXABLE && err && *err) /* "the PDF is password-protected: ..." */
        return pf_set_error(ctx, report, st, "%s: %s", pf_shown(name), err);
    return pf_set_error(ctx, report, st == PF_OK ? PF_ERR_CORRUPT : st,
                        _("%s: damaged %s (%s); export or scan it again"),
                        pf_shown(name), label, err && *err ? err : _("cannot decode"));
}

/* Judges the image. On success with keep != NULL, the upright decoded image
 * stays in *keep for the caller (fix). */
pf_status pf_examine(pf_ctx *ctx, const uint8_t *data, size_t len,
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
        return pf_set_error(ctx, report, PF_ERR_NOT_IMAGE, _("%s: not an image "
                            "(a photo, scan or PDF expected)"), pf_shown(name));
    if (!pf_format_decodable(info->format)) {
        pf_rules_evaluate(&ctx->rules, info, report);
        pf_set_error(ctx, report, PF_ERR_FORMAT, _("%s: %s is not accepted by the "
                     "filing portals; %s"), pf_shown(name),
                     pf_format_label(info->format), export_hint(info->format));
        report->status = PF_FILE_FAIL;
        return PF_ERR_FORMAT;
    }
    pf_status st = pf_decode_upright(ctx, data, len, info->format, 0, &dec, err);
    if (st != PF_OK)
        return pf_decode_error(ctx, report, st, name, info->format, err);
    st = fill_info(&ctx->rules, pf_call_threads(&ctx->options), info, &dec);
    info->page = ctx->options.page;
    if (st != PF_OK) {
        pf_decoded_free(&dec);
        return pf_decode_error(ctx, report, st, name, info->format, err);
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

/* What to tell a person whose file fails: the unit's advice for a failure
 * fix cannot mend, else to run fix. */
void pf_advise(pf_report *report, const char *name)
{
    char what[PF_MSG_LEN];
    const pf_check *c = pf_unfixable_check(report, 0);
    for (int i = 0; i < report->n_checks && !c; i++)
        if (report->checks[i].status == PF_FAIL)
            c = &report->checks[i];
    if (!c)
        return;
    if (c->id == PF_CHECK_FORMAT) { /* "HEIC is not accepted ...; fix converts it" */
        pf_set_message(report->message, sizeof report->message, "%s: %s",
                       pf_shown(name), c->message);
        return;
    }
    const pf_check_unit *unit = pf_check_unit_of(c->id);
    if (unit && unit->advise) {
        unit->advise(&report->input, what, sizeof what);
        pf_set_message(report->message, sizeof report->message, "%s: %s",
                       pf_shown(name), what);
    } else {
        pf_set_message(report->message, sizeof report->message,
                       _("%s: run 'preflight fix' to make a compliant copy"),
                       pf_shown(name));
    }
}

pf_status pf_check_buffer(pf_ctx *ctx, const uint8_t *data, size_t len,
                          const char *name, pf_report *report)
{
    if (!ctx || (!data && len) || !report)
        return PF_ERR_INVALID_ARG;
    ctx->error[0] = '\0';
    pf_status st = pf_examine(ctx, data, len, name, report, NULL);
    if (st == PF_OK && report->status == PF_FILE_FAIL)
        pf_advise(report, name);
    return st;
}

pf_status pf_read_input(pf_ctx *ctx, const char *path, pf_report *report,
                        uint8_t **data, size_t *len)
{
    pf_status st = pf_read_file(path, PF_MAX_INPUT_BYTES, data, len);
    if (st == PF_OK)
        return st;
    memset(report, 0, sizeof *report);
    report->quality = -1;
    if (st == PF_ERR_TOO_LARGE)
        return pf_set_error(ctx, report, st, _("%s: file over %u MiB; not an ID "
                            "scan"), path, PF_MAX_INPUT_BYTES >> 20);
    return pf_set_error(ctx, report, st, _("%s: cannot read the file (missing, "
                        "unreadable or not a regular file)"), path);
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
    if (!pf_format_decodable(format))
        return PF_ERR_NOT_IMAGE;
    pf_status st = pf_decode_upright(ctx, data, len, format, max_side, &dec, err);
    if (st != PF_OK)
        return st;
    /* A PNG comes in full size. */
    pf_fit_long_side(dec.bmp.width, dec.bmp.height, max_side, &tw, &th);
    if (tw != dec.bmp.width || th != dec.bmp.height)
        st = pf_resize(&dec.bmp, tw, th, &small);
    if (st == PF_OK)
        st = pf_jpeg_encode(small.rgb ? &small : &dec.bmp, 70, jpg, jpg_len, err);
    pf_bitmap_free(&small);
    pf_decoded_free(&dec);
    return st;
}

/* Sets the pixels of [x0, x1) x [y0, y1) inside b to rgb. */
static void fill_rect(pf_bitmap *b, long x0, long y0, long x1, long y1,
                      const uint8_t rgb[3])
{
    x0 = x0 < 0 ? 0 : x0, y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > (long)b->width ? (long)b->width : x1;
    y1 = y1 > (long)b->height ? (long)b->height : y1;
    for (long y = y0; y < y1; y++)
        for (long x = x0; x < x1; x++)
            memcpy(b->rgb + ((size_t)y * b->width + (size_t)x) * 3, rgb, 3);
}

/* A yellow frame, 1/200 of the picture thick, around each face. */
static void draw_faces(const pf_face_box *faces, int n, pf_bitmap *mask)
{
    static const uint8_t yellow[3] = {255, 220, 0};
    long t = 1 + (mask->width > mask->height ? mask->width : mask->height) / 200;
    for (int i = 0; i < n; i++) {
        long x0 = lround(faces[i].x), y0 = lround(faces[i].y);
        long x1 = lround(faces[i].x + faces[i].w), y1 = lround(faces[i].y + faces[i].h);
        fill_rect(mask, x0 - t, y0 - t, x1 + t + 1, y0 + 1, yellow);  /* top */
        fill_rect(mask, x0 - t, y1, x1 + t + 1, y1 + t + 1, yellow);  /* bottom */
        fill_rect(mask, x0 - t, y0 - t, x0 + 1, y1 + t + 1, yellow);  /* left */
        fill_rect(mask, x1, y0 - t, x1 + t + 1, y1 + t + 1, yellow);  /* right */
    }
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
    if (!pf_format_decodable(format)) {
        snprintf(ctx->error, sizeof ctx->error, _("%s: not an image preflight can read"),
                 pf_shown(name));
        return PF_ERR_NOT_IMAGE;
    }
    st = pf_decode_upright(ctx, data, len, format, 0, &dec, err);
    if (st != PF_OK) {
        snprintf(ctx->error, sizeof ctx->error, _("%s: cannot decode (%s)"),
                 pf_shown(name), err);
        return st;
    }
    /* The faces found once: the mask shows the background the check
     * measures (around the largest face), then their frames. */
    pf_face_box faces[PF_MAX_FACES];
    int n = 0;
    if (ctx->rules.image_checks & PF_RULE_FACE)
        st = pf_detect_faces_threads(&dec.bmp, pf_call_threads(&ctx->options),
                                     faces, PF_MAX_FACES, &n, err);
    if (st == PF_OK)
        st = pf_render_background_mask(&dec.bmp, &ctx->rules, n ? &faces[0] : NULL,
                                       &mask);
    if (st == PF_OK) {
        draw_faces(faces, n, &mask);
        st = pf_png_encode(&mask, png, png_len, err);
    }
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
    pf_status st = pf_read_input(ctx, path, report, &data, &len);
    if (st == PF_OK)
        st = pf_check_buffer(ctx, data, len, path, report);
    free(data);
    return st;
}
