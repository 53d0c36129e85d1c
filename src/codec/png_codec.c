/* PNG decoding (libpng, classic API) and metadata stripping.
 *
 * libpng reports errors by longjmp. The setjmps live in decode_run() and
 * encode_run() below; every libpng call that can fail runs beneath it, so a longjmp never
 * leaves this file. State that must survive the jump is kept in a struct
 * owned by the caller of decode_run(), never in locals of that function.
 *
 * No gamma or colour-management transform is applied here: an iCCP
 * profile is handed on in out->icc (colour/icc.c converts); gAMA/cHRM
 * alone are not used, as the portals look at the samples as stored. */
#include "internal.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>

#define PNG_MAX_DIM 1000000u                /* per side, before any alloc */
#define PNG_CHUNK_MALLOC_MAX (2u << 20)     /* one ancillary chunk, inflated */
#define PNG_CHUNK_CACHE_MAX 32u             /* text/unknown chunks kept */

struct png_job {
    const uint8_t *data;
    size_t len, pos;
    uint64_t max_pixels;
    char *err;
    pf_status status;      /* returned when libpng jumps back */
    int limit_hit;         /* libpng warned about the user dimension limits */
    int rows_started;      /* reading image rows: truncation is partial */
    int pixels_done;       /* errors after this point are ignored */
    int end_done;          /* png_read_end finished: end info is valid */
    png_structp png;
    png_infop info, end;
    png_bytep *rows;
    uint8_t *rgba;         /* interlaced RGBA needs the whole image */
    pf_decoded *out;
};

static void on_error(png_structp png, png_const_charp msg)
{
    struct png_job *job = png_get_error_ptr(png);
    if (job->limit_hit)
        job->status = PF_ERR_TOO_LARGE;
    if (!job->pixels_done)
        pf_set_message(job->err, PF_ERR_LEN, "PNG: %s", msg);
    png_longjmp(png, 1);
}

/* Warnings are not failures; only note the one that explains a later
 * "Invalid IHDR data" error, so it maps to PF_ERR_TOO_LARGE. */
static void on_warning(png_structp png, png_const_charp msg)
{
    struct png_job *job = png_get_error_ptr(png);
    if (strstr(msg, "exceeds user limit"))
        job->limit_hit = 1;
}

static void on_warning_ignored(png_structp png, png_const_charp msg)
{
    (void)png, (void)msg;
}

static void read_mem(png_structp png, png_bytep buf, png_size_t n)
{
    struct png_job *job = png_get_io_ptr(png);
    if (n > job->len - job->pos) {
        if (!job->pixels_done) {
            pf_png_describe_truncation(job->data, job->len, job->rows_started,
                                       job->err);
            job->status = PF_ERR_TRUNCATED;
        }
        png_longjmp(png, 1);
    }
    memcpy(buf, job->data + job->pos, n);
    job->pos += n;
}

/* A palette whose entries are all grey stores no colour either. */
static int palette_is_grey(png_structp png, png_infop info)
{
    png_colorp pal = NULL;
    int n = 0;
    if (!png_get_PLTE(png, info, &pal, &n) || n <= 0)
        return 0;
    for (int i = 0; i < n; i++)
        if (pal[i].red != pal[i].green || pal[i].green != pal[i].blue)
            return 0;
    return 1;
}

/* Everything becomes 8-bit RGB, plus alpha when the file has any. */
static void set_transforms(struct png_job *job)
{
    png_structp png = job->png;
    int type = png_get_color_type(png, job->info);
    int depth = png_get_bit_depth(png, job->info);
    if (type == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(png);
        job->out->source_grey = palette_is_grey(png, job->info);
    }
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, job->info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(png);
    if (depth == 16)
        png_set_scale_16(png); /* rounds v * 255 / 65535 */
    if (type == PNG_COLOR_TYPE_GRAY || type == PNG_COLOR_TYPE_GRAY_ALPHA) {
        png_set_gray_to_rgb(png);
        job->out->source_grey = 1;
    }
}

static uint8_t *bmp_row(pf_bitmap *bmp, uint32_t y)
{
    return bmp->rgb + (size_t)y * bmp->width * 3;
}

/* RGB output: libpng writes straight into the bitmap. */
static void read_rgb(struct png_job *job)
{
    pf_bitmap *bmp = &job->out->bmp;
    for (uint32_t y = 0; y < bmp->height; y++)
        job->rows[y] = bmp_row(bmp, y);
    png_read_image(job->png, job->rows);
}

/* RGBA output: row by row when not interlaced, else the whole image. */
static pf_status read_rgba(struct png_job *job, int passes)
{
    pf_bitmap *bmp = &job->out->bmp;
    size_t stride = (size_t)bmp->width * 4;
    size_t nrows = passes > 1 ? bmp->height : 1;
    uint64_t bytes;
    if (!pf_mul3(stride, nrows, 1, &bytes) || bytes > SIZE_MAX)
        return PF_ERR_TOO_LARGE;
    job->rgba = malloc((size_t)bytes);
    if (!job->rgba)
        return PF_ERR_NOMEM;
    for (uint32_t y = 0; y < bmp->height; y++) {
        uint8_t *row = job->rgba + (passes > 1 ? (size_t)y * stride : 0);
        job->rows[y] = row;
        if (passes == 1) {
            png_read_row(job->png, row, NULL);
            job->out->has_alpha |=
                pf_flatten_row(row, bmp_row(bmp, y), bmp->width, 0);
        }
    }
    if (passes > 1) {
        png_read_image(job->png, job->rows);
        for (uint32_t y = 0; y < bmp->height; y++)
            job->out->has_alpha |=
                pf_flatten_row(job->rows[y], bmp_row(bmp, y), bmp->width, 0);
    }
    return PF_OK;
}

static pf_status alloc_output(struct png_job *job, uint32_t w, uint32_t h)
{
    pf_status status = pf_bitmap_alloc(&job->out->bmp, w, h);
    if (status != PF_OK)
        return status;
    job->out->stored_width = w;
    job->out->stored_height = h;
    job->rows = calloc(h, sizeof *job->rows);
    return job->rows ? PF_OK : PF_ERR_NOMEM;
}

/* The decoding proper; runs beneath decode_run's setjmp. */
static pf_status decode_steps(struct png_job *job)
{
    png_structp png = job->png;
    png_set_read_fn(png, job, read_mem);
    png_set_user_limits(png, PNG_MAX_DIM, PNG_MAX_DIM);
    png_set_chunk_malloc_max(png, PNG_CHUNK_MALLOC_MAX);
    png_set_chunk_cache_max(png, PNG_CHUNK_CACHE_MAX);
    png_read_info(png, job->info);
    uint32_t w = png_get_image_width(png, job->info);
    uint32_t h = png_get_image_height(png, job->info);
    pf_status status = pf_check_pixel_cap(w, h, job->max_pixels, job->err);
    if (status != PF_OK)
        return status;
    set_transforms(job);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, job->info);
    int channels = png_get_channels(png, job->info);
    if (png_get_bit_depth(png, job->info) != 8 ||
        (channels != 3 && channels != 4) ||
        png_get_rowbytes(png, job->info) != (size_t)w * (size_t)channels) {
        pf_set_message(job->err, PF_ERR_LEN,
                       "%s", _("PNG: unexpected layout after transforms"));
        return PF_ERR_INTERNAL;
    }
    status = alloc_output(job, w, h);
    if (status != PF_OK)
        return status;
    job->rows_started = 1;
    if (channels == 3)
        read_rgb(job);
    else if ((status = read_rgba(job, passes)) != PF_OK)
        return status;
    job->pixels_done = 1; /* a damaged tail no longer matters */
    png_read_end(png, job->end);
    job->end_done = 1;
    return PF_OK;
}

static pf_status decode_run(struct png_job *job)
{
    if (setjmp(png_jmpbuf(job->png)))
        return job->pixels_done ? PF_OK : job->status;
    return decode_steps(job);
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* ImageMagick's "Raw profile type exif": "\nexif\n   <len>\n<hex...>". */
static void read_raw_profile(const char *text, size_t len, pf_exif_info *info)
{
    size_t i = 0, n = 0, got = 0;
    uint8_t *bytes = NULL;
    while (i < len && text[i] == '\n')
        i++;
    while (i < len && text[i] != '\n')
        i++; /* profile name */
    while (i < len && (text[i] == '\n' || text[i] == ' '))
        i++;
    while (i < len && text[i] >= '0' && text[i] <= '9' && n <= len)
        n = n * 10 + (size_t)(text[i++] - '0');
    if (n == 0 || n > (len - i) / 2)
        goto cleanup; /* the hex digits cannot hold what it claims */
    bytes = malloc(n);
    if (!bytes)
        goto cleanup;
    for (int hi = -1; i < len && got < n; i++) {
        int v = hex_value((unsigned char)text[i]);
        if (v < 0)
            continue; /* line breaks between hex runs */
        if (hi < 0) {
            hi = v;
        } else {
            bytes[got++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (got == n)
        pf_exif_read(bytes, n, info);
cleanup:
    free(bytes);
}

static int find_raw_profile(png_structp png, png_infop info, pf_exif_info *ex)
{
    png_textp text = NULL;
    int n = info ? png_get_text(png, info, &text, NULL) : 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(text[i].key, "Raw profile type exif") != 0 &&
            strcmp(text[i].key, "Raw profile type APP1") != 0)
            continue;
        /* libpng NUL-terminates every text; hex holds no NUL. */
        read_raw_profile(text[i].text, strlen(text[i].text), ex);
        return 1;
    }
    return 0;
}

/* The iCCP profile, copied. libpng has checked it before keeping it: the
 * inflated profile is at most PNG_CHUNK_MALLOC_MAX (png_set_chunk_malloc_max,
 * below PF_ICC_MAX_BYTES; a larger one is dropped with a warning, the
 * picture still decodes), its header and tag table are sane and its colour
 * space fits the picture's (grey profile on grey, RGB on colour). The
 * compressed chunk itself is capped before libpng runs, as every ancillary
 * chunk is (pf_png_check_chunks). */
static pf_status read_icc(struct png_job *job)
{
    png_charp name = NULL;
    int compression = 0;
    png_bytep profile = NULL;
    png_uint_32 n = 0;
    if (!png_get_iCCP(job->png, job->info, &name, &compression, &profile, &n) ||
        !profile || n == 0 || n > PF_ICC_MAX_BYTES)
        return PF_OK;
    if (!(job->out->icc = malloc(n)))
        return PF_ERR_NOMEM;
    memcpy(job->out->icc, profile, n);
    job->out->icc_len = n;
    return PF_OK;
}

/* eXIf chunk first (bare TIFF), else a legacy ImageMagick text profile. */
static void read_exif(struct png_job *job)
{
    pf_exif_info ex = {0, 0};
    png_uint_32 n = 0;
    png_bytep exif = NULL;
    if (png_get_eXIf_1(job->png, job->info, &n, &exif) && exif && n > 0)
        pf_exif_read(exif, n, &ex);
    else if (job->end_done && png_get_eXIf_1(job->png, job->end, &n, &exif) &&
             exif && n > 0)
        pf_exif_read(exif, n, &ex);
    else if (!find_raw_profile(job->png, job->info, &ex) && job->end_done)
        find_raw_profile(job->png, job->end, &ex);
    job->out->exif_orientation = ex.orientation;
    job->out->has_gps = ex.has_gps;
}

pf_status pf_png_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                        pf_decoded *out, char err[PF_ERR_LEN])
{
    struct png_job job = {.data = data, .len = len, .max_pixels = max_pixels,
                          .err = err, .status = PF_ERR_CORRUPT, .out = out};
    pf_status status = PF_ERR_INVALID_ARG;
    if (err)
        err[0] = '\0';
    if (!out)
        goto cleanup;
    memset(out, 0, sizeof *out);
    if (!data || len < 8 || png_sig_cmp(data, 0, 8) != 0) {
        pf_set_message(err, PF_ERR_LEN, "%s", _("not a PNG file (bad signature)"));
        status = PF_ERR_NOT_IMAGE;
        goto cleanup;
    }
    /* Chunk lengths checked before libpng allocates by them (it takes a
     * 1 GB buffer for a tEXt chunk that says it is that long). */
    status = pf_png_check_chunks(data, len, PNG_CHUNK_MALLOC_MAX, err);
    if (status != PF_OK)
        goto cleanup;
    status = PF_ERR_NOMEM;
    job.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, on_error,
                                     on_warning);
    job.info = job.png ? png_create_info_struct(job.png) : NULL;
    job.end = job.info ? png_create_info_struct(job.png) : NULL;
    if (!job.end)
        goto cleanup;
    status = decode_run(&job);
    if (status == PF_OK)
        read_exif(&job);
    if (status == PF_OK)
        status = read_icc(&job);
cleanup:
    if (job.png)
        png_destroy_read_struct(&job.png, &job.info, &job.end);
    free(job.rows);
    free(job.rgba);
    if (status != PF_OK)
        pf_decoded_free(out);
    return status;
}

/* ---- metadata stripping: a plain chunk walk, no libpng needed ---- */


/* Critical chunks (upper-case first letter) always stay; of the ancillary
 * ones only those that change how pixels or colours look. cICP joins the
 * list because it names the colour space like sRGB/iCCP do. */
static int keep_chunk(const uint8_t *type)
{
    static const char keep[][5] = {"tRNS", "gAMA", "cHRM", "sRGB", "iCCP",
                                   "sBIT", "bKGD", "pHYs", "cICP"};
    if (!(type[0] & 0x20))
        return 1;
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        if (memcmp(type, keep[i], 4) == 0)
            return 1;
    return 0;
}

/* Validates the chunk at pos; *size gets its whole length (12 + data). */
static pf_status next_chunk(const uint8_t *data, size_t len, size_t pos,
                            size_t *size, char *err)
{
    if (len - pos < 12) {
        pf_set_message(err, PF_ERR_LEN, "%s", _("PNG: file ends before IEND"));
        return PF_ERR_CORRUPT;
    }
    uint32_t n = png_get_uint_32(data + pos);
    if (n > 0x7fffffffu || n > len - pos - 12) {
        pf_set_message(err, PF_ERR_LEN,
                       _("PNG: chunk length %lu runs past the end"),
                       (unsigned long)n);
        return PF_ERR_CORRUPT;
    }
    for (int i = 4; i < 8; i++) {
        uint8_t c = data[pos + i] | 0x20;
        if (c < 'a' || c > 'z') {
            pf_set_message(err, PF_ERR_LEN, "%s", _("PNG: invalid chunk name"));
            return PF_ERR_CORRUPT;
        }
    }
    *size = (size_t)n + 12;
    return PF_OK;
}

pf_status pf_png_strip_metadata(const uint8_t *data, size_t len,
                                uint8_t **out, size_t *out_len,
                                char err[PF_ERR_LEN])
{
    pf_status status = PF_ERR_INVALID_ARG;
    uint8_t *buf = NULL;
    size_t pos = 8, used = 8, size = 0;
    int seen_end = 0;
    if (err)
        err[0] = '\0';
    if (!out || !out_len)
        goto cleanup;
    *out = NULL;
    *out_len = 0;
    status = PF_ERR_NOT_IMAGE;
    if (!data || len < 8 || png_sig_cmp(data, 0, 8) != 0) {
        pf_set_message(err, PF_ERR_LEN, "%s", _("not a PNG file (bad signature)"));
        goto cleanup;
    }
    status = PF_ERR_NOMEM;
    if (!(buf = malloc(len))) /* the copy is never longer than the input */
        goto cleanup;
    memcpy(buf, data, 8);
    while (!seen_end) {
        if ((status = next_chunk(data, len, pos, &size, err)) != PF_OK)
            goto cleanup;
        const uint8_t *chunk = data + pos;
        status = PF_ERR_CORRUPT;
        if (pos == 8 && memcmp(chunk + 4, "IHDR", 4) != 0) {
            pf_set_message(err, PF_ERR_LEN, "%s", _("PNG: first chunk is not IHDR"));
            goto cleanup;
        }
        if (keep_chunk(chunk + 4)) {
            memcpy(buf + used, chunk, size);
            used += size;
        }
        seen_end = memcmp(chunk + 4, "IEND", 4) == 0;
        pos += size; /* anything after IEND is dropped */
    }
    *out = buf;
    *out_len = used;
    buf = NULL;
    status = PF_OK;
cleanup:
    free(buf);
    return status;
}

/* ------------------------------------------------------------------ */
/* Encoding (the --debug-mask picture)                                 */

typedef struct {
    png_structp png;
    png_infop info;
    const pf_bitmap *bmp;
    uint8_t *buf;
    size_t len, cap;
    int nomem;
    char *err;
} png_write_job;

static void write_mem(png_structp png, png_bytep data, png_size_t n)
{
    png_write_job *job = png_get_io_ptr(png);
    if (n > job->cap - job->len) {
        size_t cap = job->cap ? job->cap : 65536;
        while (n > cap - job->len) {
            if (cap > SIZE_MAX / 2) {
                job->nomem = 1;
                png_error(png, "output too large");
            }
            cap *= 2;
        }
        uint8_t *bigger = realloc(job->buf, cap);
        if (!bigger) {
            job->nomem = 1;
            png_error(png, "out of memory");
        }
        job->buf = bigger;
        job->cap = cap;
    }
    memcpy(job->buf + job->len, data, n);
    job->len += n;
}

static void flush_mem(png_structp png)
{
    (void)png;
}

static void on_write_error(png_structp png, png_const_charp msg)
{
    png_write_job *job = png_get_error_ptr(png);
    pf_set_message(job->err, PF_ERR_LEN, "PNG: %s", msg);
    png_longjmp(png, 1);
}

static pf_status encode_run(png_write_job *job)
{
    if (setjmp(png_jmpbuf(job->png)))
        return job->nomem ? PF_ERR_NOMEM : PF_ERR_INTERNAL;
    png_set_write_fn(job->png, job, write_mem, flush_mem);
    png_set_IHDR(job->png, job->info, job->bmp->width, job->bmp->height, 8,
                 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(job->png, job->info);
    for (uint32_t y = 0; y < job->bmp->height; y++)
        png_write_row(job->png, job->bmp->rgb + (size_t)y * job->bmp->width * 3);
    png_write_end(job->png, job->info);
    return PF_OK;
}

pf_status pf_png_encode(const pf_bitmap *bmp, uint8_t **out, size_t *out_len,
                        char err[PF_ERR_LEN])
{
    png_write_job job;
    pf_status st = PF_ERR_INVALID_ARG;
    memset(&job, 0, sizeof job);
    job.err = err;
    if (err)
        err[0] = '\0';
    if (!bmp || !bmp->rgb || !out || !out_len || !bmp->width || !bmp->height ||
        bmp->width > PNG_MAX_DIM || bmp->height > PNG_MAX_DIM)
        goto cleanup;
    *out = NULL;
    *out_len = 0;
    st = PF_ERR_NOMEM;
    job.bmp = bmp;
    job.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &job, on_write_error,
                                      on_warning_ignored);
    if (!job.png || !(job.info = png_create_info_struct(job.png)))
        goto cleanup;
    if ((st = encode_run(&job)) != PF_OK)
        goto cleanup;
    *out = job.buf;
    *out_len = job.len;
    job.buf = NULL;
cleanup:
    if (job.png)
        png_destroy_write_struct(&job.png, job.info ? &job.info : NULL);
    free(job.buf);
    return st;
}
