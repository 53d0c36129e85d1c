/* TIFF decoding with libtiff (4.5): one page of a multi-page file, made
 * upright by its Orientation tag, as 8-bit RGB on white.
 *
 * The file is read from memory through TIFFClientOpenExt (no mapping: the
 * buffer is const and every read is bounds-checked here). Its open options
 * give the handle its own error and warning handlers, which keep the first
 * error for err and return 1 so that libtiff's process-wide handlers (which
 * print to stderr) are never called; libtiff 4.5 reports even the errors
 * before the handle exists (_TIFFErrorEarly) through them. They also cap
 * any one allocation of libtiff's (TIFFOpenOptionsSetMaxSingleMemAlloc).
 *
 * Pixels come from libtiff's RGBA interface (what TIFFReadRGBAImageOriented
 * does: TIFFRGBAImageBegin/Get/End, called here directly to see how it read
 * the alpha). That interface only flips: for Orientation 1-4 it is asked for
 * a top-left raster and does the whole job; for 5-8 (the transposed ones) it
 * is asked for the file's own orientation, which gives the rows as stored,
 * and pf_orient_apply turns them. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#include "codec/dynlib.h"

#define TIFF_FUNCS(X) \
    X(TIFFClientOpenExt) \
    X(TIFFClose) \
    X(TIFFGetField) \
    X(TIFFGetFieldDefaulted) \
    X(TIFFGetStrileByteCountWithErr) \
    X(TIFFGetStrileOffsetWithErr) \
    X(TIFFGetTagListCount) \
    X(TIFFIsTiled) \
    X(TIFFNumberOfStrips) \
    X(TIFFNumberOfTiles) \
    X(TIFFOpenOptionsAlloc) \
    X(TIFFOpenOptionsFree) \
    X(TIFFOpenOptionsSetErrorHandlerExtR) \
    X(TIFFOpenOptionsSetMaxSingleMemAlloc) \
    X(TIFFOpenOptionsSetWarningHandlerExtR) \
    X(TIFFRGBAImageBegin) \
    X(TIFFRGBAImageEnd) \
    X(TIFFRGBAImageGet) \
    X(TIFFRGBAImageOK) \
    X(TIFFReadGPSDirectory) \
    X(TIFFSetDirectory)

/* libtiff's functions, from libtiff.so opened on first use (dynlib.h). */
PF_DYN_LIBRARY(tiff, TIFF_FUNCS, PF_SONAME_TIFF)

#define TIFF_ICC_MAX (4u << 20)           /* an embedded profile we keep */
#define TIFF_ALLOC_FLOOR ((uint64_t)64 << 20)
#define TIFF_MAX_SAMPLE_BYTES 8           /* 16-bit RGBA */
#define TIFF_MAX_PAGES 10000              /* directories counted */
#define TIFF_SEEN_SLOTS 16384             /* > TIFF_MAX_PAGES, a power of 2 */

typedef struct {
    const uint8_t *data;
    size_t len;
    uint64_t pos;
    int errors;              /* libtiff errors since the last reset */
    char first[PF_ERR_LEN];  /* the first of them */
} tiff_source;

static tmsize_t read_proc(thandle_t h, void *buf, tmsize_t n)
{
    tiff_source *src = h;
    if (n <= 0 || src->pos >= src->len)
        return 0;
    size_t want = (size_t)n, left = src->len - (size_t)src->pos;
    if (want > left)
        want = left;
    memcpy(buf, src->data + src->pos, want);
    src->pos += want;
    return (tmsize_t)want;
}

static tmsize_t write_proc(thandle_t h, void *buf, tmsize_t n)
{
    (void)h, (void)buf, (void)n;
    return -1;
}

static toff_t seek_proc(thandle_t h, toff_t off, int whence)
{
    tiff_source *src = h;
    uint64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? src->pos : src->len;
    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
        return (toff_t)-1;
    if (off > UINT64_MAX / 2 || base + off > UINT64_MAX / 2)
        return (toff_t)-1; /* also a "negative" offset from SEEK_CUR/END */
    src->pos = base + off;
    return src->pos;
}

static int close_proc(thandle_t h)
{
    (void)h;
    return 0;
}

static toff_t size_proc(thandle_t h)
{
    return ((tiff_source *)h)->len;
}

static int on_error(TIFF *tif, void *user, const char *module, const char *fmt,
                    va_list ap)
{
    (void)tif, (void)module;
    tiff_source *src = user;
    if (src->errors++ == 0) {
        char msg[PF_ERR_LEN];
        vsnprintf(msg, sizeof msg, fmt, ap);
        pf_set_message(src->first, sizeof src->first, "%s", msg);
    }
    return 1; /* handled: libtiff's global handlers stay silent */
}

static int on_warning(TIFF *tif, void *user, const char *module,
                      const char *fmt, va_list ap)
{
    (void)tif, (void)user, (void)module, (void)fmt, (void)ap;
    return 1;
}

static void reset_errors(tiff_source *src)
{
    src->errors = 0;
    src->first[0] = '\0';
}

/* The error libtiff reported: running past the memory cap is
 * PF_ERR_TOO_LARGE, anything else fallback. */
static pf_status libtiff_error(const tiff_source *src, pf_status fallback,
                               const char *what, char err[PF_ERR_LEN])
{
    if (strstr(src->first, "byte limit defined in open options")) {
        pf_set_message(err, PF_ERR_LEN, "TIFF: %s", src->first);
        return PF_ERR_TOO_LARGE;
    }
    if (src->first[0])
        pf_set_message(err, PF_ERR_LEN, "TIFF: %s", src->first);
    else
        pf_set_message(err, PF_ERR_LEN, "TIFF: %s", what);
    return fallback;
}

/* A strip or tile running past the end of the buffer: the file was cut. */
static int data_past_end(TIFF *tif, size_t len)
{
    uint32_t n = tiff.TIFFIsTiled(tif) ? tiff.TIFFNumberOfTiles(tif) : tiff.TIFFNumberOfStrips(tif);
    for (uint32_t i = 0; i < n; i++) {
        int e1 = 0, e2 = 0;
        uint64_t off = tiff.TIFFGetStrileOffsetWithErr(tif, i, &e1);
        uint64_t size = tiff.TIFFGetStrileByteCountWithErr(tif, i, &e2);
        if (!e1 && !e2 && (off > len || size > len - off))
            return 1;
    }
    return 0;
}

/* The cap on any one libtiff allocation: a strip of the page at most
 * (16-bit RGBA in a single strip: 8 bytes a pixel), never below 64 MiB. */
static tmsize_t alloc_cap(uint64_t max_pixels)
{
    uint64_t cap;
    if (max_pixels == 0)
        return 0; /* no pixel cap: no allocation cap either */
    if (!pf_mul3(max_pixels, TIFF_MAX_SAMPLE_BYTES, 1, &cap) || cap > INT64_MAX / 2)
        cap = INT64_MAX / 2;
    if (cap < TIFF_ALLOC_FLOOR)
        cap = TIFF_ALLOC_FLOOR;
    return (tmsize_t)cap;
}

static uint64_t get_uint(const uint8_t *p, int bytes, int little)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[little ? i : bytes - 1 - i] << (8 * i);
    return v;
}

/* Adds off to the set; 0 when it was there already (a loop). */
static int first_visit(uint64_t *seen, uint64_t off)
{
    size_t i = (size_t)((off * 0x9E3779B97F4A7C15u) >> 50) & (TIFF_SEEN_SLOTS - 1);
    while (seen[i] && seen[i] != off)
        i = (i + 1) & (TIFF_SEEN_SLOTS - 1);
    if (seen[i])
        return 0;
    seen[i] = off;
    return 1;
}

/* The directories in the file's IFD chain, as libtiff's
 * TIFFNumberOfDirectories counts them (a directory whose entry count,
 * entries and next offset lie in the file; the chain ends at offset 0, a
 * loop or a directory that does not), read straight from the buffer and
 * stopping at TIFF_MAX_PAGES: libtiff's own count goes on to 1,048,576
 * directories, keeping each in a hash set (over 100 MB for a 6 MB file). */
static int count_pages(const uint8_t *d, size_t len)
{
    if (len < 8 || (d[0] != 'I' && d[0] != 'M') || d[1] != d[0])
        return 0;
    int little = d[0] == 'I';
    uint64_t magic = get_uint(d + 2, 2, little);
    int big = magic == 43, osize = big ? 8 : 4, csize = big ? 8 : 2, esize = big ? 20 : 12;
    if ((magic != 42 && !big) || (big && len < 16))
        return 0;
    uint64_t off = get_uint(d + (big ? 8 : 4), osize, little);
    uint64_t *seen = calloc(TIFF_SEEN_SLOTS, sizeof *seen);
    int n = 0;
    if (!seen)
        return 0;
    while (off != 0 && n < TIFF_MAX_PAGES && off <= len - (size_t)csize &&
           first_visit(seen, off)) {
        uint64_t count = get_uint(d + off, csize, little);
        if (count > 0xFFFF || len - off - csize < count * esize + osize)
            break;
        n++;
        off = get_uint(d + off + csize + count * esize, osize, little);
    }
    free(seen);
    return n;
}

pf_status pf_tiff_page_count(const uint8_t *data, size_t len, int *pages)
{
    int n = data ? count_pages(data, len) : 0;
    *pages = n > 1 ? n : 1;
    return n > 0 ? PF_OK : PF_ERR_CORRUPT;
}

static int colormap_is_grey(TIFF *tif)
{
    uint16_t bps = 1, *r = NULL, *g = NULL, *b = NULL;
    tiff.TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    if (bps > 16 || !tiff.TIFFGetField(tif, TIFFTAG_COLORMAP, &r, &g, &b) || !r || !g || !b)
        return 0;
    for (uint32_t i = 0; i < (1u << bps); i++)
        if (r[i] != g[i] || g[i] != b[i])
            return 0;
    return 1;
}

static pf_status copy_icc(TIFF *tif, pf_decoded *out)
{
    uint32_t n = 0;
    void *icc = NULL;
    if (!tiff.TIFFGetField(tif, TIFFTAG_ICCPROFILE, &n, &icc) || !icc || n == 0 ||
        n > TIFF_ICC_MAX)
        return PF_OK; /* none, or too large to be one: the pixels as sRGB */
    if (!(out->icc = malloc(n)))
        return PF_ERR_NOMEM;
    memcpy(out->icc, icc, n);
    out->icc_len = n;
    return PF_OK;
}

/* The GPS IFD of this page holds any tags. Reading it replaces the current
 * directory, so this comes last. */
static int has_gps(TIFF *tif)
{
    toff_t off = 0;
    if (!tiff.TIFFGetField(tif, TIFFTAG_GPSIFD, &off) || off == 0)
        return 0;
    return tiff.TIFFReadGPSDirectory(tif, off) && tiff.TIFFGetTagListCount(tif) > 0;
}

/* Composes the ABGR raster onto white. libtiff's RGBA interface gives
 * associated (premultiplied) alpha for everything but 8-bit grey with
 * unassociated alpha, whose grey it leaves as stored. */
static void flatten(const uint32_t *raster, int premultiplied, pf_decoded *out)
{
    size_t n = (size_t)out->bmp.width * out->bmp.height;
    uint8_t *rgb = out->bmp.rgb;
    for (size_t i = 0; i < n; i++, rgb += 3) {
        uint32_t p = raster[i];
        unsigned a = TIFFGetA(p);
        unsigned c[3] = {TIFFGetR(p), TIFFGetG(p), TIFFGetB(p)};
        out->has_alpha |= a < 255;
        for (int k = 0; k < 3; k++)
            rgb[k] = pf_on_white(c[k], a, premultiplied);
    }
}

/* Why the RGBA interface refuses this page: a kind of TIFF it does not
 * convert (PF_ERR_FORMAT) or a broken one. */
static pf_status refused(TIFF *tif, const char *emsg, char err[PF_ERR_LEN])
{
    uint16_t bps = 1, format = SAMPLEFORMAT_UINT;
    tiff.TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    tiff.TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
    if (format == SAMPLEFORMAT_IEEEFP) {
        pf_set_message(err, PF_ERR_LEN, "%s", _("floating-point TIFF"));
        return PF_ERR_FORMAT;
    }
    if (bps != 1 && bps != 2 && bps != 4 && bps != 8 && bps != 16) {
        pf_set_message(err, PF_ERR_LEN, _("%u-bit TIFF"), (unsigned)bps);
        return PF_ERR_FORMAT;
    }
    if (strncmp(emsg, "Sorry", 5) == 0) { /* libtiff's word for unsupported */
        pf_set_message(err, PF_ERR_LEN, _("TIFF of a kind libtiff does not "
                       "convert (%s)"), emsg);
        return PF_ERR_FORMAT;
    }
    pf_set_message(err, PF_ERR_LEN, "TIFF: %s", emsg);
    return PF_ERR_CORRUPT;
}

/* Reads the current directory's pixels into out->bmp, upright. */
static pf_status read_page(TIFF *tif, tiff_source *src, uint64_t max_pixels,
                           pf_decoded *out, char err[PF_ERR_LEN])
{
    uint32_t w = 0, h = 0;
    uint64_t bytes;
    char emsg[1024] = "";
    TIFFRGBAImage img;
    uint32_t *raster = NULL;
    if (!tiff.TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w) ||
        !tiff.TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h) || w == 0 || h == 0) {
        pf_set_message(err, PF_ERR_LEN, "%s", _("TIFF: the page has no size"));
        return PF_ERR_CORRUPT;
    }
    pf_status st = pf_check_pixel_cap(w, h, max_pixels, err);
    if (st != PF_OK)
        return st;
    if (!tiff.TIFFRGBAImageOK(tif, emsg))
        return refused(tif, emsg, err);
    if (!pf_mul3(w, h, sizeof *raster, &bytes) || bytes > SIZE_MAX)
        return PF_ERR_TOO_LARGE;
    reset_errors(src);
    if (!tiff.TIFFRGBAImageBegin(&img, tif, 1, emsg))
        return src->errors ? libtiff_error(src, PF_ERR_CORRUPT, emsg, err)
                           : refused(tif, emsg, err);
    if (img.width != w || img.height != h) {
        pf_set_message(err, PF_ERR_LEN, "%s", _("TIFF: the page has no size"));
        st = PF_ERR_CORRUPT;
        goto cleanup;
    }
    int orientation = img.orientation >= 1 && img.orientation <= 8 ? img.orientation : 1;
    img.req_orientation = orientation <= 4 ? ORIENTATION_TOPLEFT : (uint16_t)orientation;
    int premultiplied = !(img.isContig && img.alpha == EXTRASAMPLE_UNASSALPHA &&
                          img.bitspersample == 8 && img.samplesperpixel == 2 &&
                          (img.photometric == PHOTOMETRIC_MINISBLACK ||
                           img.photometric == PHOTOMETRIC_MINISWHITE));
    if (!(raster = malloc((size_t)bytes))) {
        st = PF_ERR_NOMEM;
        goto cleanup;
    }
    if (!tiff.TIFFRGBAImageGet(&img, raster, w, h)) {
        st = data_past_end(tif, src->len) ? PF_ERR_TRUNCATED : PF_ERR_CORRUPT;
        if (st == PF_ERR_TRUNCATED)
            pf_set_message(err, PF_ERR_LEN, "%s",
                           _("truncated TIFF: the file ends before the page's image data"));
        else
            st = libtiff_error(src, st, _("cannot read the image data"), err);
        goto cleanup;
    }
    if ((st = pf_bitmap_alloc(&out->bmp, w, h)) != PF_OK)
        goto cleanup;
    flatten(raster, premultiplied, out);
    free(raster);
    raster = NULL;
    if (orientation >= 5 && (st = pf_orient_apply(&out->bmp, orientation)) != PF_OK)
        goto cleanup;
    out->stored_width = out->bmp.width; /* upright: nothing left to turn */
    out->stored_height = out->bmp.height;
    out->exif_orientation = 0;
    out->source_grey = img.photometric == PHOTOMETRIC_MINISBLACK ||
                       img.photometric == PHOTOMETRIC_MINISWHITE ||
                       (img.photometric == PHOTOMETRIC_PALETTE && colormap_is_grey(tif));
cleanup:
    free(raster);
    tiff.TIFFRGBAImageEnd(&img);
    return st;
}

pf_status pf_tiff_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                         int page, pf_decoded *out, char err[PF_ERR_LEN])
{
    tiff_source src = {data, len, 0, 0, ""};
    pf_status st = PF_OK;
    TIFF *tif = NULL;
    memset(out, 0, sizeof *out);
    if (!tiff_ready()) {
        /* TRANSLATORS: %s is the library's file name, libtiff.so.6. The
           pipeline adds "; export it as JPEG". */
        pf_set_message(err, PF_ERR_LEN, _("TIFF needs %s (Debian package libtiff6), "
                       "which is not installed"), PF_SONAME_TIFF);
        return PF_ERR_FORMAT;
    }
    TIFFOpenOptions *opts = tiff.TIFFOpenOptionsAlloc();
    if (!opts)
        return PF_ERR_NOMEM;
    tiff.TIFFOpenOptionsSetErrorHandlerExtR(opts, on_error, &src);
    tiff.TIFFOpenOptionsSetWarningHandlerExtR(opts, on_warning, &src);
    tiff.TIFFOpenOptionsSetMaxSingleMemAlloc(opts, alloc_cap(max_pixels));
    /* "m": no memory mapping, every read goes through read_proc. */
    tif = tiff.TIFFClientOpenExt("TIFF", "rm", &src, read_proc, write_proc, seek_proc,
                            close_proc, size_proc, NULL, NULL, opts);
    tiff.TIFFOpenOptionsFree(opts); /* the handle keeps its own copy */
    if (!tif) {
        st = len < 8 ? PF_ERR_TRUNCATED : PF_ERR_CORRUPT;
        st = libtiff_error(&src, st, _("cannot read the header"), err);
        goto cleanup;
    }
    /* libtiff has read the first directory, even without a next offset. */
    int pages = count_pages(data, len);
    out->pages = pages > 1 ? pages : 1;
    if (page < 0 || page >= out->pages) {
        pf_set_message(err, PF_ERR_LEN, _("TIFF: no page %d (the file has %d)"),
                       page + 1, out->pages);
        st = PF_ERR_INVALID_ARG;
        goto cleanup;
    }
    reset_errors(&src);
    if (page > 0 && !tiff.TIFFSetDirectory(tif, (tdir_t)page)) {
        st = libtiff_error(&src, PF_ERR_CORRUPT, _("cannot read the page's directory"), err);
        goto cleanup;
    }
    if ((st = read_page(tif, &src, max_pixels, out, err)) != PF_OK)
        goto cleanup;
    if ((st = copy_icc(tif, out)) != PF_OK)
        goto cleanup;
    out->has_gps = has_gps(tif);
cleanup:
    if (tif)
        tiff.TIFFClose(tif);
    if (st != PF_OK)
        pf_decoded_free(out);
    return st;
}
