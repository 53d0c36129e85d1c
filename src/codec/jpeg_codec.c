/* JPEG decoding, encoding, lossless rotation and metadata stripping.
 *
 * libjpeg reports fatal errors by calling error_exit, which must not return.
 * Ours longjmps back into the one static "guarded" function of each codec
 * call; the public function that called it owns all state (in a *_job struct
 * in its own frame, so nothing it reads after the jump is an indeterminate
 * local of the frame holding setjmp) and frees it at its single cleanup
 * label. No jump ever leaves this file. */
#include "internal.h"

#include <limits.h>
#include <setjmp.h>
#include <stdio.h> /* jpeglib.h needs FILE */
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <jerror.h>
#include <jpeglib.h>
#include <turbojpeg.h>

#include "jpeg_parts.h"

/* libjpeg-turbo's advice against progressive files built to burn CPU:
 * real encoders never write more than a few dozen scans. */
#define MAX_SCANS 500
#define SINK_FIRST_CHUNK 65536
/* Below this many decoded pixels a resizing thread costs more than it saves. */
#define PIPE_MIN_PIXELS (2u * 1000 * 1000)


static void jump_truncated(j_decompress_ptr c);

static void on_error_exit(j_common_ptr cinfo)
{
    codec_error *e = (codec_error *)cinfo->err;
    if (e->hit_end && cinfo->is_decompressor)
        jump_truncated((j_decompress_ptr)cinfo); /* errors of a cut file */
    (*cinfo->err->format_message)(cinfo, e->message);
    switch (cinfo->err->msg_code) {
    case JERR_OUT_OF_MEMORY:
        e->status = PF_ERR_NOMEM;
        break;
    case JERR_BAD_PRECISION: /* 12- and 16-bit JPEGs */
        snprintf(e->message, sizeof e->message, _("%d-bit JPEG"),
                 cinfo->err->msg_parm.i[0]);
        e->status = PF_ERR_FORMAT;
        break;
    case JERR_SOF_UNSUPPORTED: /* lossless, hierarchical */
        snprintf(e->message, sizeof e->message, "%s",
                 (cinfo->err->msg_parm.i[0] & 3) == 3 ? _("lossless JPEG")
                                                      : _("hierarchical JPEG"));
        e->status = PF_ERR_FORMAT;
        break;
    default:
        e->status = PF_ERR_CORRUPT;
    }
    longjmp(e->jump, 1);
}

/* The scan in hand was read to its end and it, with those before, refined
 * every coefficient to full precision (libjpeg marks a scan's coefficients
 * when the scan starts). */
static int progressive_complete(j_decompress_ptr c)
{
    if (!c->coef_bits || c->input_iMCU_row < c->total_iMCU_rows)
        return 0;
    for (int ci = 0; ci < c->num_components; ci++)
        for (int k = 0; k < DCTSIZE2; k++)
            if (c->coef_bits[ci][k] != 0)
                return 0;
    return 1;
}

/* Per cent of a sequential file's image data read: scans hold whole
 * components in order, rows within a scan in order. */
static int sequential_percent(j_decompress_ptr c)
{
    unsigned rows = c->total_iMCU_rows, comps = (unsigned)c->num_components;
    unsigned first = c->comps_in_scan ? (unsigned)c->cur_comp_info[0]->component_index : 0;
    unsigned done = c->input_iMCU_row < rows ? c->input_iMCU_row : rows;
    if (c->comps_in_scan == c->num_components || comps == 0)
        return rows ? (int)(100u * done / rows) : 0;
    return (int)(100u * (first * rows + done) / (comps * rows));
}

/* The data ran out where the decoder still needed it. */
static void describe_truncation(j_decompress_ptr c, char *msg, size_t size)
{
    if (c->total_iMCU_rows == 0) /* set once the frame header is read */
        snprintf(msg, size, "%s", _("truncated JPEG: the file ends inside its header"));
    else if (c->progressive_mode)
        snprintf(msg, size, _("truncated JPEG: the data stops in scan %d of a "
                 "progressive image, which shows only part of its detail"),
                 c->input_scan_number);
    else
        snprintf(msg, size, _("truncated JPEG: %d%% of the image data present"),
                 sequential_percent(c));
}

static void jump_truncated(j_decompress_ptr c)
{
    codec_error *e = (codec_error *)c->err;
    describe_truncation(c, e->message, sizeof e->message);
    e->status = PF_ERR_TRUNCATED;
    longjmp(e->jump, 1);
}

/* At the end of the data, an end marker without libjpeg's warning: its
 * Huffman decoder reads ahead, so running out is only an error when it
 * then needs bits the file lacks (JWRN_HIT_MARKER below). */
static boolean fill_past_end(j_decompress_ptr c)
{
    static const JOCTET eoi[2] = {0xFF, JPEG_EOI};
    ((codec_error *)c->err)->hit_end = 1;
    c->src->next_input_byte = eoi;
    c->src->bytes_in_buffer = sizeof eoi;
    return TRUE;
}

/* Warnings (corrupt data) are counted, never printed: libjpeg recovers from
 * them and the picture is still worth checking. Data that ends early is an
 * error: the rest of the picture would be grey. */
static void on_emit_message(j_common_ptr cinfo, int msg_level)
{
    codec_error *e = (codec_error *)cinfo->err;
    if (msg_level >= 0)
        return; /* trace messages */
    if (cinfo->err->msg_code == JWRN_HIT_MARKER && e->hit_end &&
        cinfo->is_decompressor)
        jump_truncated((j_decompress_ptr)cinfo);
    if (e->warnings == 0)
        (*cinfo->err->format_message)(cinfo, e->first_warning);
    e->warnings++;
    cinfo->err->num_warnings++;
}

static void on_output_message(j_common_ptr cinfo)
{
    (void)cinfo; /* the library never prints */
}

void pf_jpeg_error_init(codec_error *e)
{
    jpeg_std_error(&e->pub);
    e->pub.error_exit = on_error_exit;
    e->pub.emit_message = on_emit_message;
    e->pub.output_message = on_output_message;
    e->status = PF_ERR_CORRUPT;
}

/* Progress monitor: aborts pathological progressive files. */
static void limit_scans(j_common_ptr cinfo)
{
    if (!cinfo->is_decompressor ||
        ((j_decompress_ptr)cinfo)->input_scan_number <= MAX_SCANS)
        return;
    codec_error *e = (codec_error *)cinfo->err;
    snprintf(e->message, sizeof e->message,
             _("progressive JPEG has more than %d scans"), MAX_SCANS);
    e->status = PF_ERR_CORRUPT;
    longjmp(e->jump, 1);
}

static void clear_err(char *err)
{
    if (err)
        err[0] = '\0';
}

/* ------------------------------------------------------------------ */
/* Decoding                                                            */

typedef struct {
    struct jpeg_decompress_struct cinfo;
    codec_error err;
    struct jpeg_progress_mgr progress;
    const uint8_t *data;
    size_t len;
    uint64_t max_pixels;
    int scale_eighths;
    uint32_t target_w, target_h; /* 0: keep the decoded size */
    int threads;                 /* >= 2: resize in a second thread */
    pf_decoded *out;
    char *msg;           /* caller's err buffer, for our own messages */
    JSAMPARRAY row;      /* grey/CMYK scratch row; lives in the JPOOL_IMAGE */
    pf_shrinker *shrink; /* rows stream into it when resizing */
    pf_rowpipe *pipe;    /* ... through a second thread for large images */
    uint8_t *rgb_row;    /* one RGB row for the shrinker */
    pf_cmyk_to_srgb *cmyk; /* CMYK through the file's own profile */
} decode_job;

/* Payload of the first APP1 that is EXIF; other APP1s are XMP etc. */
static void read_saved_exif(decode_job *job)
{
    jpeg_saved_marker_ptr m;
    for (m = job->cinfo.marker_list; m; m = m->next) {
        if (m->marker != JPEG_APP0 + 1 || m->data_length < 6 ||
            memcmp(m->data, "Exif\0\0", 6) != 0)
            continue;
        pf_exif_info info;
        pf_exif_read(m->data, m->data_length, &info);
        job->out->exif_orientation = info.orientation;
        job->out->has_gps = info.has_gps;
        return;
    }
}

#define ICC_CHUNK_HEADER 14 /* "ICC_PROFILE\0", sequence number, count */

/* The ICC profile from its APP2 chunks (ICC.1, annex B.4): each chunk has
 * a sequence number 1..count and the same count; the payloads join in
 * sequence order, whatever order the chunks come in. A set that breaks
 * these rules (a chunk missing, repeated, numbered 0 or past the count,
 * counts that disagree) or holds more than PF_ICC_MAX_BYTES is ignored, as
 * browsers do: the picture is then read as untagged, not refused. *icc is
 * NULL when there is no usable profile; PF_ERR_NOMEM is the only error. */
static pf_status assemble_icc(j_decompress_ptr c, uint8_t **icc, size_t *icc_len)
{
    jpeg_saved_marker_ptr chunk[256] = {NULL};
    int count = 0;
    size_t total = 0, at = 0;
    *icc = NULL, *icc_len = 0;
    for (jpeg_saved_marker_ptr m = c->marker_list; m; m = m->next) {
        if (m->marker != JPEG_APP0 + 2 || m->data_length < ICC_CHUNK_HEADER ||
            memcmp(m->data, "ICC_PROFILE", 12) != 0)
            continue;
        int seq = m->data[12], n = m->data[13];
        if (m->data_length != m->original_length || n == 0 || seq == 0 ||
            seq > n || (count && n != count) || chunk[seq])
            return PF_OK;
        count = n;
        chunk[seq] = m;
        total += m->data_length - ICC_CHUNK_HEADER;
        if (total > PF_ICC_MAX_BYTES)
            return PF_OK;
    }
    if (total == 0)
        return PF_OK;
    for (int i = 1; i <= count; i++)
        if (!chunk[i])
            return PF_OK;
    uint8_t *p = malloc(total);
    if (!p)
        return PF_ERR_NOMEM;
    for (int i = 1; i <= count; i++) {
        size_t n = chunk[i]->data_length - ICC_CHUNK_HEADER;
        memcpy(p + at, chunk[i]->data + ICC_CHUNK_HEADER, n);
        at += n;
    }
    *icc = p, *icc_len = total;
    return PF_OK;
}

/* An RGB or grey picture hands its profile on (out->icc: the caller
 * converts, colour/icc.c). A CMYK picture's profile is used here, while
 * decoding, to make sRGB from the inks; out->icc stays NULL either way:
 * the pixels are then sRGB, or, without a usable CMYK profile, made by
 * the plain formula of cmyk_to_rgb(), which the profile does not describe. */
static pf_status read_saved_icc(decode_job *job)
{
    uint8_t *icc;
    size_t n;
    pf_status st = assemble_icc(&job->cinfo, &icc, &n);
    if (st != PF_OK || !icc)
        return st;
    if (job->cinfo.out_color_space != JCS_CMYK) {
        job->out->icc = icc, job->out->icc_len = n;
        return PF_OK;
    }
    st = pf_cmyk_to_srgb_new(icc, n, job->cinfo.saw_Adobe_marker, &job->cmyk);
    free(icc);
    return st == PF_ERR_NOMEM ? st : PF_OK;
}

/* Refuses before libjpeg allocates anything sized by the header. The cap
 * applies to the stored size, even when scale_eighths shrinks the output:
 * progressive files still buffer coefficients for the whole stored image. */
static pf_status check_pixel_cap(decode_job *job)
{
    return pf_check_pixel_cap(job->cinfo.image_width, job->cinfo.image_height,
                              job->max_pixels, job->msg);
}

/* Picks what libjpeg outputs; grey and CMYK are widened to RGB by us. */
static pf_status choose_output_space(decode_job *job)
{
    j_decompress_ptr c = &job->cinfo;
    switch (c->jpeg_color_space) {
    case JCS_GRAYSCALE:
        c->out_color_space = JCS_GRAYSCALE;
        job->out->source_grey = 1;
        return PF_OK;
    case JCS_YCbCr:
    case JCS_RGB:
        c->out_color_space = JCS_RGB;
        return PF_OK;
    case JCS_CMYK:
    case JCS_YCCK:
        c->out_color_space = JCS_CMYK;
        return PF_OK;
    default:
        pf_set_message(job->msg, PF_ERR_LEN,
                       _("JPEG with %d colour components is not supported"),
                       c->num_components);
        return PF_ERR_FORMAT;
    }
}

static uint8_t mul255(unsigned a, unsigned b)
{
    return (uint8_t)((a * b + 127) / 255);
}

/* CMYK without a usable embedded CMYK profile (with one, lcms converts:
 * read_saved_icc). Adobe (Photoshop, most scanners) stores CMYK inverted:
 * 255 means no ink. Without the APP14 marker we assume plain CMYK, where
 * 255 is full ink. */
static void cmyk_to_rgb(const JSAMPLE *src, uint8_t *dst, JDIMENSION w,
                        int inverted)
{
    for (JDIMENSION x = 0; x < w; x++, src += 4, dst += 3) {
        unsigned c = src[0], m = src[1], y = src[2], k = src[3];
        if (!inverted) {
            c = 255 - c, m = 255 - m, y = 255 - y, k = 255 - k;
        }
        dst[0] = mul255(c, k);
        dst[1] = mul255(m, k);
        dst[2] = mul255(y, k);
    }
}

static void grey_to_rgb(const JSAMPLE *src, uint8_t *dst, JDIMENSION w)
{
    for (JDIMENSION x = 0; x < w; x++, dst += 3)
        dst[0] = dst[1] = dst[2] = src[x];
}

static pf_status read_rows(decode_job *job)
{
    j_decompress_ptr c = &job->cinfo;
    pf_bitmap *bmp = &job->out->bmp;
    int direct = c->out_color_space == JCS_RGB;
    int inverted = c->saw_Adobe_marker;
    while (c->output_scanline < c->output_height) {
        uint8_t *dst = job->pipe     ? pf_rowpipe_row(job->pipe)
                       : job->shrink ? job->rgb_row
                                     : bmp->rgb + (size_t)c->output_scanline * bmp->width * 3;
        JSAMPROW target = direct ? dst : job->row[0];
        if (jpeg_read_scanlines(c, &target, 1) != 1)
            ERREXIT(c, JERR_INPUT_EOF); /* cannot happen with a memory source */
        if (c->out_color_space == JCS_GRAYSCALE)
            grey_to_rgb(job->row[0], dst, c->output_width);
        else if (!direct && job->cmyk)
            pf_cmyk_to_srgb_row(job->cmyk, job->row[0], dst, c->output_width);
        else if (!direct)
            cmyk_to_rgb(job->row[0], dst, c->output_width, inverted);
        if (job->pipe) {
            pf_rowpipe_commit(job->pipe);
        } else if (job->shrink) {
            pf_status st = pf_shrinker_push(job->shrink, dst);
            if (st != PF_OK)
                return st;
        }
    }
    return job->pipe ? pf_rowpipe_finish(job->pipe) : PF_OK;
}

/* Where the decoded pixels go: a bitmap of the decoded size, or a shrinker
 * to the target size (the decoded size is then never held in memory). The
 * last column and row of an M/8 decode may cover only part of a pixel. */
static pf_status prepare_output(decode_job *job)
{
    j_decompress_ptr c = &job->cinfo;
    jpeg_calc_output_dimensions(c);
    if (!job->target_w || !job->target_h)
        return pf_bitmap_alloc(&job->out->bmp, c->output_width, c->output_height);
    double span[2] = {
        (double)c->image_width * job->scale_eighths / 8 / c->output_width,
        (double)c->image_height * job->scale_eighths / 8 / c->output_height};
    pf_status st = pf_shrinker_new(c->output_width, c->output_height, span,
                                   job->target_w, job->target_h, &job->shrink);
    if (st != PF_OK)
        return st;
    /* Chroma replicated instead of interpolated is averaged away by a box
     * of 2 or more, and libjpeg's merged upsampler is much faster. */
    if (pf_shrinker_box_factor(job->shrink) >= 2)
        c->do_fancy_upsampling = FALSE;
    if (job->threads >= 2 &&
        (uint64_t)c->output_width * c->output_height >= PIPE_MIN_PIXELS)
        return pf_rowpipe_new(job->shrink, (size_t)c->output_width * 3, &job->pipe);
    job->rgb_row = (*c->mem->alloc_small)((j_common_ptr)c, JPOOL_PERMANENT,
                                          (size_t)c->output_width * 3);
    return PF_OK;
}

/* Header, cap, colour set-up; then pixels. Returns with the job's state for
 * the caller to free. */
static pf_status decode_guarded(decode_job *job)
{
    j_decompress_ptr c = &job->cinfo;
    pf_status st;
    if (setjmp(job->err.jump))
        return job->err.status;
    jpeg_create_decompress(c);
    job->progress.progress_monitor = limit_scans;
    c->progress = &job->progress;
    jpeg_mem_src(c, job->data, (unsigned long)job->len);
    c->src->fill_input_buffer = fill_past_end;
    jpeg_save_markers(c, JPEG_APP0 + 1, 0xFFFF);
    jpeg_save_markers(c, JPEG_APP0 + 2, 0xFFFF); /* ICC profile chunks */
    jpeg_read_header(c, TRUE);
    if ((st = check_pixel_cap(job)) != PF_OK ||
        (st = choose_output_space(job)) != PF_OK)
        return st;
    read_saved_exif(job);
    if ((st = read_saved_icc(job)) != PF_OK)
        return st;
    job->out->stored_width = c->image_width;
    job->out->stored_height = c->image_height;
    c->scale_num = (unsigned)job->scale_eighths;
    c->scale_denom = 8;
    if ((st = prepare_output(job)) != PF_OK)
        return st;
    jpeg_start_decompress(c); /* a progressive file's scans are all read */
    if (c->progressive_mode && job->err.hit_end && !progressive_complete(c))
        jump_truncated(c); /* the data stops at the end of a scan */
    if (c->out_color_space != JCS_RGB)
        job->row = (*c->mem->alloc_sarray)((j_common_ptr)c, JPOOL_IMAGE,
                                           c->output_width *
                                               (JDIMENSION)c->output_components,
                                           1);
    if ((st = read_rows(job)) != PF_OK)
        return st;
    jpeg_finish_decompress(c);
    return job->shrink ? pf_shrinker_finish(job->shrink, &job->out->bmp) : PF_OK;
}

static int looks_like_jpeg(const uint8_t *data, size_t len)
{
    return data && len >= 4 && data[0] == 0xFF && data[1] == 0xD8 &&
           data[2] == 0xFF;
}

pf_status pf_jpeg_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                         int scale_eighths, pf_decoded *out,
                         char err[PF_ERR_LEN])
{
    return pf_jpeg_decode_resized(data, len, max_pixels, scale_eighths, 0, 0, 1,
                                  out, err);
}

pf_status pf_jpeg_decode_resized(const uint8_t *data, size_t len,
                                 uint64_t max_pixels, int scale_eighths,
                                 uint32_t target_w, uint32_t target_h,
                                 int threads, pf_decoded *out,
                                 char err[PF_ERR_LEN])
{
    decode_job job;
    pf_status st;
    clear_err(err);
    memset(&job, 0, sizeof job);
    if (out)
        memset(out, 0, sizeof *out);
    if (!out || scale_eighths < 1 || scale_eighths > 8) {
        st = PF_ERR_INVALID_ARG;
        goto cleanup;
    }
    if (!looks_like_jpeg(data, len) || len > ULONG_MAX) {
        pf_set_message(err, PF_ERR_LEN, "%s", _("no JPEG start-of-image marker"));
        st = PF_ERR_NOT_IMAGE;
        goto cleanup;
    }
    pf_jpeg_error_init(&job.err);
    job.cinfo.err = &job.err.pub;
    job.data = data, job.len = len, job.max_pixels = max_pixels;
    job.scale_eighths = scale_eighths, job.out = out, job.msg = err;
    job.target_w = target_w, job.target_h = target_h, job.threads = threads;
    st = decode_guarded(&job);
    if (st == PF_ERR_CORRUPT || st == PF_ERR_NOMEM ||
        st == PF_ERR_TRUNCATED || (st == PF_ERR_FORMAT && job.err.message[0]))
        pf_set_message(err, PF_ERR_LEN, "%s", job.err.message);
    else if (st == PF_OK && job.err.warnings > 0)
        /* Success with a note: callers may show it, nothing requires it. */
        pf_set_message(err, PF_ERR_LEN, _("%d warning(s): %s"), job.err.warnings,
                       job.err.first_warning);
cleanup:
    jpeg_destroy_decompress(&job.cinfo); /* safe on a zeroed struct */
    pf_rowpipe_free(job.pipe); /* stops the worker before its shrinker goes */
    pf_shrinker_free(job.shrink);
    pf_cmyk_to_srgb_free(job.cmyk);
    if (st != PF_OK)
        pf_decoded_free(out);
    return st;
}

/* ------------------------------------------------------------------ */
/* Header only                                                         */

typedef struct {
    struct jpeg_decompress_struct cinfo;
    codec_error err;
    const uint8_t *data;
    size_t len;
} header_job;

static pf_status header_guarded(header_job *job)
{
    if (setjmp(job->err.jump))
        return job->err.status;
    jpeg_create_decompress(&job->cinfo);
    jpeg_mem_src(&job->cinfo, job->data, (unsigned long)job->len);
    jpeg_read_header(&job->cinfo, TRUE);
    return PF_OK;
}

pf_status pf_jpeg_header(const uint8_t *data, size_t len, uint32_t *width,
                         uint32_t *height, int *components,
                         char err[PF_ERR_LEN])
{
    header_job job;
    pf_status st;
    clear_err(err);
    memset(&job, 0, sizeof job);
    if (!width || !height || !components) {
        st = PF_ERR_INVALID_ARG;
        goto cleanup;
    }
    if (!looks_like_jpeg(data, len) || len > ULONG_MAX) {
        pf_set_message(err, PF_ERR_LEN, "%s", _("no JPEG start-of-image marker"));
        st = PF_ERR_NOT_IMAGE;
        goto cleanup;
    }
    pf_jpeg_error_init(&job.err);
    job.cinfo.err = &job.err.pub;
    job.data = data, job.len = len;
    st = header_guarded(&job);
    if (st != PF_OK) {
        pf_set_message(err, PF_ERR_LEN, "%s", job.err.message);
        goto cleanup;
    }
    *width = job.cinfo.image_width;
    *height = job.cinfo.image_height;
    *components = job.cinfo.num_components;
cleanup:
    jpeg_destroy_decompress(&job.cinfo);
    return st;
}

/* ------------------------------------------------------------------ */
/* Encoding                                                            */


static void sink_init(j_compress_ptr cinfo)
{
    mem_sink *s = (mem_sink *)cinfo->dest;
    s->buf = malloc(SINK_FIRST_CHUNK);
    if (!s->buf)
        ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 1);
    s->cap = SINK_FIRST_CHUNK;
    s->pub.next_output_byte = s->buf;
    s->pub.free_in_buffer = s->cap;
}

/* Called when the buffer is full (libjpeg ignores free_in_buffer then). */
static boolean sink_grow(j_compress_ptr cinfo)
{
    mem_sink *s = (mem_sink *)cinfo->dest;
    size_t old = s->cap;
    if (old > SIZE_MAX / 2)
        ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 2);
    uint8_t *bigger = realloc(s->buf, old * 2);
    if (!bigger)
        ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 3);
    s->buf = bigger;
    s->cap = old * 2;
    s->pub.next_output_byte = s->buf + old;
    s->pub.free_in_buffer = s->cap - old;
    return TRUE;
}

static void sink_term(j_compress_ptr cinfo)
{
    (void)cinfo; /* the length is cap - free_in_buffer */
}

void pf_jpeg_sink_attach(j_compress_ptr c, mem_sink *sink)
{
    sink->pub.init_destination = sink_init;
    sink->pub.empty_output_buffer = sink_grow;
    sink->pub.term_destination = sink_term;
    c->dest = &sink->pub;
}

void pf_jpeg_encode_begin(uint8_t **out, size_t *out_len, char *err)
{
    clear_err(err);
    if (out)
        *out = NULL;
    if (out_len)
        *out_len = 0;
}

pf_status pf_jpeg_encode_end(pf_status st, j_compress_ptr c, codec_error *e,
                             mem_sink *sink, uint8_t **out, size_t *out_len,
                             char *err)
{
    if (st == PF_OK) {
        *out_len = sink->cap - sink->pub.free_in_buffer;
        *out = sink->buf;
        sink->buf = NULL; /* now the caller's */
    } else if (e->message[0]) {
        pf_set_message(err, PF_ERR_LEN, "%s", e->message);
    }
    jpeg_destroy_compress(c);
    free(sink->buf);
    return st;
}

typedef struct {
    struct jpeg_compress_struct cinfo;
    codec_error err;
    mem_sink sink;
    const pf_bitmap *bmp;
    double quality;
    int full_chroma;
    int smoothing;   /* libjpeg's input smoothing, 0..100 */
} encode_job;

/* The JPEG standard's example tables (Annex K.1), natural order. */
static const unsigned annex_k_luma[64] = {
    16, 11, 10, 16, 24, 40, 51, 61,     12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56,     14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77,   24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
static const unsigned annex_k_chroma[64] = {
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99};

/* The Annex K tables quantize high frequencies 5-7 times coarser than DC.
 * At the qualities a 200 KB budget usually allows (75-95) that blurs and
 * rings the edges that make text and faces legible, and a flatter table
 * spends the same bytes better: entry' = dc * (entry / dc)^a with a = 0.6
 * from quality 70 up. At low qualities (busy, grainy photos, q ~50) the
 * standard shape holds up better, so a rises back to 1 by quality 50.
 * Chroma DC and its first AC pair are quantized finer (x0.5, x0.7): smooth
 * colour areas (a sunset, skin) otherwise band first. Over 15 photos at
 * 192, 200 and 208 KB, butteraugli against ImageMagick's at the same
 * budget: Annex K 0.975 (ratio of medians), worst photo 1.19; this 0.93,
 * worst 1.05. */
static double table_exponent(double quality)
{
    double t = (quality - 50.0) / 20.0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return 1.0 - 0.4 * t;
}

static double chroma_emphasis(int i)
{
    int u = i % 8, v = i / 8;
    return i == 0 ? 0.5 : u + v == 1 ? 0.7 : 1.0;
}

/* IJG quality scaling, but continuous: a fractional quality lets the budget
 * search land within a fraction of a percent of the byte limit, where whole
 * quality steps change the size by 3-6%. The scaling is jpeg_set_quality's;
 * the tables it scales are the shaped ones above (at quality 50 and below,
 * luma is Annex K itself). */
static void set_fractional_quality(j_compress_ptr c, double quality)
{
    double scale = quality < 50 ? 5000.0 / quality : 200.0 - 2.0 * quality;
    unsigned luma[64], chroma[64];
    double a = table_exponent(quality);
    for (int i = 0; i < 64; i++) {
        double l = annex_k_luma[0] * pow((double)annex_k_luma[i] / annex_k_luma[0], a);
        double ch = annex_k_chroma[0] * pow((double)annex_k_chroma[i] / annex_k_chroma[0], a) *
                    chroma_emphasis(i);
        l = l * scale / 100.0 + 0.5;
        ch = ch * scale / 100.0 + 0.5;
        luma[i] = l < 1 ? 1 : l > 255 ? 255 : (unsigned)l;
        chroma[i] = ch < 1 ? 1 : ch > 255 ? 255 : (unsigned)ch;
    }
    jpeg_add_quant_table(c, 0, luma, 100, TRUE);
    jpeg_add_quant_table(c, 1, chroma, 100, TRUE);
}

void pf_jpeg_encode_settings(j_compress_ptr c, uint32_t width, uint32_t height,
                             double quality, int full_chroma)
{
    int chroma_step = full_chroma ? 1 : 2;
    c->image_width = width;
    c->image_height = height;
    c->input_components = 3;
    c->in_color_space = JCS_RGB;
    jpeg_set_defaults(c);
    set_fractional_quality(c, quality);
    /* 4:2:0 (or 4:4:4) explicitly: defaults differ between libjpeg versions. */
    c->comp_info[0].h_samp_factor = chroma_step;
    c->comp_info[0].v_samp_factor = chroma_step;
    c->comp_info[1].h_samp_factor = 1, c->comp_info[1].v_samp_factor = 1;
    c->comp_info[2].h_samp_factor = 1, c->comp_info[2].v_samp_factor = 1;
    c->dct_method = JDCT_ISLOW; /* same bytes on every CPU */
    c->optimize_coding = TRUE;
    jpeg_simple_progression(c);
    c->write_JFIF_header = TRUE;
    c->write_Adobe_marker = FALSE;
}

static pf_status encode_guarded(encode_job *job)
{
    j_compress_ptr c = &job->cinfo;
    if (setjmp(job->err.jump))
        return job->err.status == PF_ERR_NOMEM ? PF_ERR_NOMEM : PF_ERR_INTERNAL;
    jpeg_create_compress(c);
    pf_jpeg_sink_attach(c, &job->sink);
    pf_jpeg_encode_settings(c, job->bmp->width, job->bmp->height, job->quality,
                            job->full_chroma);
    c->smoothing_factor = job->smoothing;
    jpeg_start_compress(c, TRUE);
    size_t stride = (size_t)job->bmp->width * 3;
    while (c->next_scanline < c->image_height) {
        /* libjpeg never writes through its input rows. */
        JSAMPROW row = (JSAMPROW)(job->bmp->rgb + c->next_scanline * stride);
        jpeg_write_scanlines(c, &row, 1);
    }
    jpeg_finish_compress(c);
    return PF_OK;
}

pf_status pf_jpeg_encode(const pf_bitmap *bmp, double quality, uint8_t **out,
                         size_t *out_len, char err[PF_ERR_LEN])
{
    return pf_jpeg_encode_chroma(bmp, quality, 0, out, out_len, err);
}

pf_status pf_jpeg_encode_chroma(const pf_bitmap *bmp, double quality,
                                int full_chroma, uint8_t **out,
                                size_t *out_len, char err[PF_ERR_LEN])
{
    return pf_jpeg_encode_smoothed(bmp, quality, full_chroma, 0, out, out_len, err);
}

pf_status pf_jpeg_encode_smoothed(const pf_bitmap *bmp, double quality,
                                  int full_chroma, int smoothing, uint8_t **out,
                                  size_t *out_len, char err[PF_ERR_LEN])
{
    encode_job job;
    pf_status st;
    memset(&job, 0, sizeof job);
    pf_jpeg_encode_begin(out, out_len, err);
    if (!bmp || !bmp->rgb || !out || !out_len || !(quality >= 1 && quality <= 100) ||
        smoothing < 0 || smoothing > 100 ||
        bmp->width == 0 || bmp->height == 0 ||
        bmp->width > JPEG_MAX_DIMENSION || bmp->height > JPEG_MAX_DIMENSION) {
        st = PF_ERR_INVALID_ARG;
        goto cleanup;
    }
    pf_jpeg_error_init(&job.err);
    job.cinfo.err = &job.err.pub;
    job.bmp = bmp, job.quality = quality, job.full_chroma = full_chroma;
    job.smoothing = smoothing;
    st = encode_guarded(&job);
cleanup:
    return pf_jpeg_encode_end(st, &job.cinfo, &job.err, &job.sink, out, out_len, err);
}

/* ------------------------------------------------------------------ */
/* Marker walking (no libjpeg: plain bounds-checked byte parsing)      */

typedef struct {
    size_t start;   /* offset of the segment's 0xFF */
    size_t payload; /* offset after the length field */
    size_t end;     /* offset after the segment (EOI: after the marker) */
    int marker;     /* second marker byte, e.g. 0xE1 for APP1 */
} jpeg_segment;

enum { SEG_OK, SEG_SOS, SEG_EOI, SEG_BAD };

/* Reads the segment at pos (fill 0xFF bytes allowed). Lengths are checked
 * against the buffer, never trusted. SOS gets its header's extent; the
 * entropy-coded data after it is the caller's to skip. */
static int next_segment(const uint8_t *d, size_t len, size_t pos,
                        jpeg_segment *seg)
{
    if (pos >= len || d[pos] != 0xFF)
        return SEG_BAD;
    seg->start = pos;
    while (pos < len && d[pos] == 0xFF)
        pos++;
    if (pos >= len)
        return SEG_BAD;
    seg->marker = d[pos++];
    if (seg->marker == 0xD9) {
        seg->payload = seg->end = pos;
        return SEG_EOI;
    }
    /* Other stand-alone markers (TEM, RSTn, SOI) never start a segment. */
    if (seg->marker == 0x00 || seg->marker == 0x01 ||
        (seg->marker >= 0xD0 && seg->marker <= 0xD8))
        return SEG_BAD;
    if (len - pos < 2)
        return SEG_BAD;
    size_t seglen = (size_t)d[pos] << 8 | d[pos + 1];
    if (seglen < 2 || seglen > len - pos)
        return SEG_BAD;
    seg->payload = pos + 2;
    seg->end = pos + seglen;
    return seg->marker == 0xDA ? SEG_SOS : SEG_OK;
}

/* End of the entropy-coded data starting at pos: the next 0xFF that is
 * neither stuffing (FF 00), a restart marker nor fill, else len. */
static size_t skip_entropy_data(const uint8_t *d, size_t len, size_t pos)
{
    const uint8_t *ff;
    while (pos + 1 < len && (ff = memchr(d + pos, 0xFF, len - pos - 1))) {
        pos = (size_t)(ff - d);
        uint8_t next = d[pos + 1];
        if (next != 0x00 && next != 0xFF && (next < 0xD0 || next > 0xD7))
            return pos;
        pos += next == 0xFF ? 1 : 2;
    }
    return len;
}

static int payload_starts(const uint8_t *d, const jpeg_segment *s,
                          const char *magic, size_t n)
{
    return s->end - s->payload >= n && memcmp(d + s->payload, magic, n) == 0;
}

static int is_exif_segment(const uint8_t *d, const jpeg_segment *s)
{
    return s->marker == 0xE1 && payload_starts(d, s, "Exif\0\0", 6);
}

/* The first Exif APP1 before SOS; 0 when there is none. */
static int find_exif_segment(const uint8_t *d, size_t len, jpeg_segment *s)
{
    for (size_t pos = 2; next_segment(d, len, pos, s) == SEG_OK; pos = s->end)
        if (is_exif_segment(d, s))
            return 1;
    return 0;
}

/* Sets EXIF orientation to 1 in the first Exif APP1, if any. */
static void clear_orientation_in_jpeg(uint8_t *d, size_t len)
{
    jpeg_segment s;
    if (find_exif_segment(d, len, &s))
        pf_exif_clear_orientation(d + s.payload, s.end - s.payload);
}

void pf_jpeg_exif_info(const uint8_t *data, size_t len, pf_exif_info *info)
{
    jpeg_segment s;
    memset(info, 0, sizeof *info);
    if (looks_like_jpeg(data, len) && find_exif_segment(data, len, &s))
        pf_exif_read(data + s.payload, s.end - s.payload, info);
}

/* ------------------------------------------------------------------ */
/* Metadata stripping                                                  */

enum { SEG_DROP, SEG_KEEP, SEG_JFIF, SEG_ADOBE };

/* The JFIF header (thumbnail size fields included) and Adobe's APP14. */
#define JFIF_LEN 14
#define ADOBE_LEN 12

static int segment_fate(const uint8_t *d, const jpeg_segment *s)
{
    switch (s->marker) {
    case 0xE0: /* JFIF keeps (thumbnail cut); JFXX and others go */
        return payload_starts(d, s, "JFIF\0", 5) && s->end - s->payload >= JFIF_LEN
                   ? SEG_JFIF : SEG_DROP;
    case 0xE2:
        return payload_starts(d, s, "ICC_PROFILE\0", 12) ? SEG_KEEP : SEG_DROP;
    case 0xEE: /* libjpeg reads only the first 12 bytes: the rest could hide data */
        return payload_starts(d, s, "Adobe", 5) && s->end - s->payload >= ADOBE_LEN
                   ? SEG_ADOBE : SEG_DROP;
    case 0xFE: /* COM */
        return SEG_DROP;
    default: /* APP1, APP3..APP13, APP15 go; tables, frames and scans stay */
        return s->marker >= 0xE0 && s->marker <= 0xEF ? SEG_DROP : SEG_KEEP;
    }
}

/* The first n payload bytes of segment s as a segment of their own. */
static size_t write_truncated(const uint8_t *d, const jpeg_segment *s, size_t n,
                              uint8_t *o)
{
    o[0] = 0xFF, o[1] = (uint8_t)s->marker;
    o[2] = (uint8_t)((n + 2) >> 8), o[3] = (uint8_t)(n + 2);
    memcpy(o + 4, d + s->payload, n);
    return n + 4;
}

/* Writes segment s as its fate says; returns the bytes written. */
static size_t write_stripped(const uint8_t *d, const jpeg_segment *s, uint8_t *o)
{
    size_t n;
    switch (segment_fate(d, s)) {
    case SEG_JFIF: /* Xthumb = Ythumb = 0: no thumbnail follows */
        n = write_truncated(d, s, JFIF_LEN, o);
        o[n - 2] = 0, o[n - 1] = 0;
        return n;
    case SEG_ADOBE:
        return write_truncated(d, s, ADOBE_LEN, o);
    case SEG_KEEP:
        memcpy(o, d + s->start, s->end - s->start);
        return s->end - s->start;
    default:
        return 0;
    }
}

/* Walks every segment, between scans too (progressive files may carry
 * comments there), up to EOI; whatever follows EOI (MPF second images with
 * their own EXIF, vendor trailers) is dropped. A file that ends inside a
 * scan keeps what it has. */
static pf_status strip_walk(const uint8_t *data, size_t len, uint8_t *o,
                            size_t *n, char *err)
{
    jpeg_segment s;
    size_t pos = 2;
    int seen_sos = 0;
    for (;;) {
        int r = next_segment(data, len, pos, &s);
        if (r == SEG_BAD || (r == SEG_EOI && !seen_sos)) {
            pf_set_message(err, PF_ERR_LEN, _("bad JPEG marker structure at byte "
                           "%zu"), pos);
            return PF_ERR_CORRUPT;
        }
        if (r == SEG_EOI) {
            o[(*n)++] = 0xFF, o[(*n)++] = 0xD9;
            return PF_OK;
        }
        *n += write_stripped(data, &s, o + *n);
        pos = s.end;
        if (r != SEG_SOS)
            continue;
        seen_sos = 1;
        pos = skip_entropy_data(data, len, s.end);
        memcpy(o + *n, data + s.end, pos - s.end);
        *n += pos - s.end;
        if (pos >= len)
            return PF_OK;
    }
}

pf_status pf_jpeg_strip_metadata(const uint8_t *data, size_t len,
                                 uint8_t **out, size_t *out_len,
                                 char err[PF_ERR_LEN])
{
    pf_status st = PF_OK;
    uint8_t *o = NULL;
    size_t n = 2;
    clear_err(err);
    if (!out || !out_len) {
        st = PF_ERR_INVALID_ARG;
        goto cleanup;
    }
    *out = NULL, *out_len = 0;
    if (!looks_like_jpeg(data, len)) {
        pf_set_message(err, PF_ERR_LEN, "%s", _("no JPEG start-of-image marker"));
        st = PF_ERR_NOT_IMAGE;
        goto cleanup;
    }
    /* Output never grows: segments are dropped or shrunk, never added. */
    if (!(o = malloc(len))) {
        st = PF_ERR_NOMEM;
        goto cleanup;
    }
    o[0] = 0xFF, o[1] = 0xD8;
    if ((st = strip_walk(data, len, o, &n, err)) != PF_OK)
        goto cleanup;
    *out = o, *out_len = n;
    o = NULL;
cleanup:
    free(o);
    return st;
}

/* ------------------------------------------------------------------ */
/* Metadata carried into a re-encoded copy (--keep-metadata)           */

/* APP1 (EXIF, XMP, extended XMP), APP13 (IPTC) and COM travel; other APPn
 * describe the old encoding (JFXX and MPF thumbnails, ICC of a CMYK file,
 * vendor blocks) and do not. Only the first EXIF block counts. */
static int carried(const uint8_t *d, const jpeg_segment *s, int *seen_exif)
{
    if (is_exif_segment(d, s)) {
        if (*seen_exif)
            return 0;
        *seen_exif = 1;
        return 1;
    }
    return s->marker == 0xE1 || s->marker == 0xED || s->marker == 0xFE;
}

/* Copies segment s to o; an EXIF block is made to say "upright" and loses
 * its thumbnail (the old picture, before any resize or whitening). */
static size_t write_carried(const uint8_t *d, const jpeg_segment *s, uint8_t *o)
{
    size_t n = s->end - s->start;
    memcpy(o, d + s->start, n);
    if (!is_exif_segment(d, s))
        return n;
    size_t payload = n - 4;
    pf_exif_clear_orientation(o + 4, payload);
    pf_exif_drop_thumbnail(o + 4, &payload);
    o[2] = (uint8_t)((payload + 2) >> 8), o[3] = (uint8_t)(payload + 2);
    return payload + 4;
}

pf_status pf_jpeg_collect_metadata(const uint8_t *data, size_t len,
                                   uint8_t **out, size_t *out_len)
{
    pf_status st = PF_OK;
    jpeg_segment s;
    size_t pos = 2, n = 0;
    int seen_exif = 0;
    uint8_t *o = NULL;
    if (!out || !out_len || !looks_like_jpeg(data, len)) {
        st = PF_ERR_INVALID_ARG;
        goto cleanup;
    }
    *out = NULL, *out_len = 0;
    if (!(o = malloc(len))) {
        st = PF_ERR_NOMEM;
        goto cleanup;
    }
    for (; next_segment(data, len, pos, &s) == SEG_OK; pos = s.end)
        if (carried(data, &s, &seen_exif))
            n += write_carried(data, &s, o + n);
    if (n) {
        *out = o, *out_len = n;
        o = NULL;
    }
cleanup:
    free(o);
    return st;
}

pf_status pf_jpeg_insert_segments(const uint8_t *jpeg, size_t len,
                                  const uint8_t *segments, size_t seg_len,
                                  uint8_t **out, size_t *out_len)
{
    pf_status st = PF_OK;
    jpeg_segment s;
    size_t at = 2;
    uint8_t *o = NULL;
    if (!out || !out_len || !looks_like_jpeg(jpeg, len) || (!segments && seg_len) ||
        seg_len > SIZE_MAX - len) {
        st = PF_ERR_INVALID_ARG;
        goto cleanup;
    }
    *out = NULL, *out_len = 0;
    /* After the JFIF APP0, which readers expect right after SOI. */
    if (next_segment(jpeg, len, at, &s) == SEG_OK && s.marker == 0xE0)
        at = s.end;
    if (!(o = malloc(len + seg_len))) {
        st = PF_ERR_NOMEM;
        goto cleanup;
    }
    memcpy(o, jpeg, at);
    if (seg_len)
        memcpy(o + at, segments, seg_len);
    memcpy(o + at + seg_len, jpeg + at, len - at);
    *out = o, *out_len = len + seg_len;
    o = NULL;
cleanup:
    free(o);
    return st;
}

/* ------------------------------------------------------------------ */
/* Lossless upright transform (TurboJPEG)                              */

static int tj_op_for(int orientation)
{
    static const int ops[9] = {
        TJXOP_NONE, TJXOP_NONE, TJXOP_HFLIP, TJXOP_ROT180, TJXOP_VFLIP,
        TJXOP_TRANSPOSE, TJXOP_ROT90, TJXOP_TRANSVERSE, TJXOP_ROT270,
    };
    return ops[orientation];
}

static pf_status copy_bytes(const uint8_t *data, size_t len, uint8_t **out,
                            size_t *out_len)
{
    *out = malloc(len ? len : 1);
    if (!*out)
        return PF_ERR_NOMEM;
    memcpy(*out, data, len);
    *out_len = len;
    return PF_OK;
}

/* Runs tjTransform; a warning (corrupt but readable data) still counts as
 * success when TurboJPEG produced output. */
static pf_status run_transform(tjhandle tj, const uint8_t *data, size_t len,
                               int orientation, unsigned char **dst,
                               unsigned long *dst_len, char *err)
{
    tjtransform xf;
    memset(&xf, 0, sizeof xf);
    xf.op = tj_op_for(orientation);
    /* Copy every marker, then strip ourselves: TJXOPT_COPYNONE would also
     * drop the ICC profile, which changes colours. */
    xf.options = TJXOPT_PERFECT;
    if (tjTransform(tj, data, (unsigned long)len, 1, dst, dst_len, &xf,
                    TJFLAG_LIMITSCANS) == 0)
        return PF_OK;
    if (tjGetErrorCode(tj) == TJERR_WARNING && *dst && *dst_len > 0)
        return PF_OK;
    const char *why = tjGetErrorStr2(tj);
    if (!why)
        why = _("TurboJPEG transform failed");
    pf_set_message(err, PF_ERR_LEN, "%s", why);
    /* TurboJPEG has no code for this case, only the message. */
    return strstr(why, "not perfect") ? PF_ERR_UNFIXABLE : PF_ERR_CORRUPT;
}

pf_status pf_jpeg_transform_upright(const uint8_t *data, size_t len,
                                    int orientation, int keep_metadata,
                                    uint8_t **out, size_t *out_len,
                                    char err[PF_ERR_LEN])
{
    pf_status st;
    tjhandle tj = NULL;
    unsigned char *dst = NULL;
    unsigned long dst_len = 0;
    clear_err(err);
    if (!out || !out_len || orientation < 0 || orientation > 8) {
        st = PF_ERR_INVALID_ARG;
        goto cleanup;
    }
    *out = NULL, *out_len = 0;
    if (!looks_like_jpeg(data, len) || len > ULONG_MAX) {
        pf_set_message(err, PF_ERR_LEN, "%s", _("no JPEG start-of-image marker"));
        st = PF_ERR_NOT_IMAGE;
        goto cleanup;
    }
    if (orientation <= 1) {
        st = keep_metadata ? copy_bytes(data, len, out, out_len)
                           : pf_jpeg_strip_metadata(data, len, out, out_len, err);
        goto cleanup;
    }
    if (!(tj = tjInitTransform())) {
        pf_set_message(err, PF_ERR_LEN, "%s", tjGetErrorStr2(NULL));
        st = PF_ERR_INTERNAL;
        goto cleanup;
    }
    st = run_transform(tj, data, len, orientation, &dst, &dst_len, err);
    if (st != PF_OK)
        goto cleanup;
    if (keep_metadata) {
        clear_orientation_in_jpeg(dst, dst_len);
        st = copy_bytes(dst, dst_len, out, out_len);
    } else {
        st = pf_jpeg_strip_metadata(dst, dst_len, out, out_len, err);
    }
cleanup:
    tjFree(dst);
    if (tj)
        tjDestroy(tj);
    return st;
}
