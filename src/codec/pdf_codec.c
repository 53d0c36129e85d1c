/* PDF pages rendered with poppler-glib into a cairo image surface.
 *
 * The page is drawn at 200 dpi on white paper, or finer (up to 600 dpi)
 * when that is needed for the rules' minimum sides, then coarser when the
 * picture would exceed max_pixels; sizes are planned from the page's size
 * in points before any pixel is allocated. poppler_page_get_size and the
 * renderer both apply the page's /Rotate, so the picture is the page as a
 * reader shows it and exif_orientation stays 0.
 *
 * Process-wide state, set up once (pthread_once) because poppler has no
 * per-document alternative:
 * - poppler-glib sends poppler's error() messages to g_log (domain
 *   "Poppler", level INFO: shown only with G_MESSAGES_DEBUG). A handler for
 *   that domain drops them so the library never prints whatever the
 *   environment says. It is process-global: a program that uses
 *   poppler-glib itself no longer sees the "Poppler" log domain.
 * - poppler shares state between documents without locks: one FreeType
 *   library for every CairoOutputDev (FT_New_Face/FT_Done_Face must not
 *   run at once on it), a per-thread cache of open font faces released
 *   when the thread exits, and GfxState's lazily made LittleCMS profiles.
 *   So every open-render-close runs, one at a time, in a short-lived thread
 *   of its own under one mutex: faces cached by that thread are closed
 *   before the mutex is released. Converting the pixels happens outside.
 *
 * A file whose end-of-file marker is missing was cut short: refused
 * (PF_ERR_TRUNCATED) before poppler rebuilds what it can of it.
 *
 * No time limit: poppler-glib's rendering cannot be cancelled (it passes
 * no abortCheckCbk to Page::displaySlice). Only the pixels are bounded; a
 * hostile file can still take long (a few hundred bytes declaring a
 * 100000 x 100000 image: minutes). A limit needs a process to kill. */
#include "internal.h"

#include <cairo.h>
#include <glib.h>
#include <math.h>
#include <poppler.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "codec/dynlib.h"

#define PDF_FUNCS(X) \
    X(cairo_create) \
    X(cairo_destroy) \
    X(cairo_format_stride_for_width) \
    X(cairo_image_surface_create_for_data) \
    X(cairo_paint) \
    X(cairo_scale) \
    X(cairo_set_source_rgb) \
    X(cairo_status) \
    X(cairo_status_to_string) \
    X(cairo_surface_destroy) \
    X(g_bytes_new_static) \
    X(g_bytes_unref) \
    X(g_error_free) \
    X(g_log_set_handler) \
    X(g_object_unref) \
    X(poppler_document_get_n_pages) \
    X(poppler_document_get_page) \
    X(poppler_document_new_from_bytes) \
    X(poppler_error_quark) \
    X(poppler_page_get_size) \
    X(poppler_page_render_for_printing)

/* poppler-glib's functions and those of cairo and glib it brings, from
 * libpoppler-glib.so opened on first use (dynlib.h): its handle's dlsym
 * also finds what its dependencies define. */
static struct {
    PDF_FUNCS(PF_DYN_SLOT)
} pdf;
static int pdf_loaded;

#define PDF_DPI 200.0
#define PDF_MAX_DPI 600.0
#define PDF_MAX_SIDE_PT 14400.0  /* ISO 32000-1 annex C: 200 in a side */
#define CAIRO_MAX_SIDE 32767.0   /* cairo's image surfaces */
#define PDF_TAIL 1024            /* %%EOF sits in the last 1 KiB */
/* Drawn at twice the size and averaged 2x2 when that stays within this
 * many pixels (256 MB): see draw(). */
#define PDF_SUPERSAMPLE_MAX 64000000.0

struct pdf_job {
    const uint8_t *data;
    size_t len;
    int page;
    uint64_t max_pixels;
    uint32_t min_long, min_short;
    char *err;
    pf_status status;
    int pages;
    int count_only;        /* pf_pdf_page_count: open, count, close */
    uint32_t width, height;
    uint32_t factor;       /* drawn at factor times width x height */
    size_t stride;         /* bytes a row of the drawing */
    uint8_t *pixels;       /* the drawing's RGB24 words, then packed RGB */
};

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t render_lock = PTHREAD_MUTEX_INITIALIZER;

static void drop_log(const gchar *domain, GLogLevelFlags level,
                     const gchar *message, gpointer data)
{
    (void)domain, (void)level, (void)message, (void)data;
}

static void setup(void)
{
    PF_DYN_FILL(pdf, PDF_FUNCS, PF_SONAME_POPPLER_GLIB, pdf_loaded);
    if (!pdf_loaded)
        return;
    pdf.g_log_set_handler("Poppler", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
                      G_LOG_FLAG_RECURSION, drop_log, NULL);
}

static int has_bytes(const uint8_t *p, size_t n, const char *what)
{
    size_t k = strlen(what);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(p + i, what, k) == 0)
            return 1;
    return 0;
}

/* A PDF whose header is there but whose end-of-file marker is not was cut
 * short: poppler would rebuild what it can and show part of the page. */
static int cut_short(const uint8_t *data, size_t len)
{
    size_t head = len < PDF_TAIL ? len : PDF_TAIL;
    return has_bytes(data, head, "%PDF-") &&
           !has_bytes(data + len - head, head, "%%EOF");
}

/* Pixels for pt points at scale s (pixels a point): rounded up, so the
 * whole page is shown and a planned minimum is met, but not bumped by the
 * rounding error of a product that is exactly whole. */
static double side_px(double pt, double s)
{
    double v = ceil(pt * s - 1e-6);
    return v < 1 ? 1 : v;
}

/* Lowers scale s so that w x h (rounded down) fits within max_pixels; 0
 * when a side would vanish. */
static int fit_cap(double wpt, double hpt, double s, uint64_t max_pixels,
                   double *w, double *h)
{
    s = fmin(s, sqrt((double)max_pixels / (wpt * hpt)));
    *w = floor(wpt * s), *h = floor(hpt * s);
    for (int i = 0; i < 2 && *w * *h > (double)max_pixels; i++)
        *(*w >= *h ? w : h) -= 1;
    return *w >= 1 && *h >= 1 && *w * *h <= (double)max_pixels;
}

/* The rendered size of a wpt x hpt page (points, as shown). */
static pf_status plan_size(struct pdf_job *job, double wpt, double hpt)
{
    if (!(wpt > 0 && hpt > 0 && isfinite(wpt) && isfinite(hpt))) {
        pf_set_message(job->err, PF_ERR_LEN, "%s", _("the PDF page has no usable size"));
        return PF_ERR_CORRUPT;
    }
    if (wpt > PDF_MAX_SIDE_PT || hpt > PDF_MAX_SIDE_PT) {
        pf_set_message(job->err, PF_ERR_LEN, _("the PDF page is %.0f\xC3\x97%.0f pt, "
                       "over the 14400 pt a side PDF allows"), wpt, hpt);
        return PF_ERR_TOO_LARGE;
    }
    double lng = fmax(wpt, hpt), shrt = fmin(wpt, hpt);
    double s = fmax(PDF_DPI / 72, fmax(job->min_long / lng, job->min_short / shrt));
    s = fmin(s, fmin(PDF_MAX_DPI / 72, CAIRO_MAX_SIDE / lng));
    double w = side_px(wpt, s), h = side_px(hpt, s);
    if (job->max_pixels && w * h > (double)job->max_pixels &&
        !fit_cap(wpt, hpt, s, job->max_pixels, &w, &h)) {
        pf_set_message(job->err, PF_ERR_LEN, _("the PDF page (%.0f\xC3\x97%.0f pt) "
                       "cannot be shown within the %g MP limit"), wpt, hpt,
                       job->max_pixels / 1e6);
        return PF_ERR_TOO_LARGE;
    }
    job->width = (uint32_t)w, job->height = (uint32_t)h;
    return PF_OK;
}

static pf_status open_error(struct pdf_job *job, GError *gerr)
{
    if (gerr && gerr->domain == pdf.poppler_error_quark() &&
        gerr->code == POPPLER_ERROR_ENCRYPTED) {
        pf_set_message(job->err, PF_ERR_LEN, "%s", _("the PDF is password-protected: "
                       "open it, and print or export the page without a password"));
        return PF_ERR_UNFIXABLE;
    }
    /* poppler's own words ("PDF document is damaged"), untranslated */
    pf_set_message(job->err, PF_ERR_LEN, "%s",
                   gerr ? gerr->message : "Failed to load document");
    return PF_ERR_CORRUPT;
}

/* Draws page on white paper, at job->factor times job->width x height.
 * Rendering for printing keeps poppler's images within 8192 pixels a side
 * (for the screen it makes each at full size, up to 4 GB for a few bytes
 * of PDF) but samples them nearest-neighbour: a scan drawn at twice the
 * size and averaged 2x2 loses most of the jagged edges that leaves. */
static pf_status draw(struct pdf_job *job, PopplerPage *page, double wpt,
                      double hpt)
{
    uint32_t w = job->width, h = job->height;
    job->factor = 2 * (double)w <= CAIRO_MAX_SIDE && 2 * (double)h <= CAIRO_MAX_SIDE &&
                  4 * (double)w * h <= PDF_SUPERSAMPLE_MAX ? 2 : 1;
    w *= job->factor, h *= job->factor;
    int stride = pdf.cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, (int)w);
    cairo_surface_t *surface = NULL;
    cairo_t *cr = NULL;
    pf_status status = PF_ERR_NOMEM;
    uint64_t bytes;
    if (stride <= 0 || !pf_mul3((uint64_t)stride, h, 1, &bytes) ||
        bytes > SIZE_MAX || !(job->pixels = malloc((size_t)bytes)))
        goto cleanup;
    job->stride = (size_t)stride;
    surface = pdf.cairo_image_surface_create_for_data(job->pixels, CAIRO_FORMAT_RGB24,
                                                  (int)w, (int)h, stride);
    cr = pdf.cairo_create(surface);
    pdf.cairo_set_source_rgb(cr, 1, 1, 1);
    pdf.cairo_paint(cr);
    /* The page fills the picture exactly (x and y differ by < 1 pixel). */
    pdf.cairo_scale(cr, w / wpt, h / hpt);
    pdf.poppler_page_render_for_printing(page, cr);
    cairo_status_t cs = pdf.cairo_status(cr);
    status = PF_OK;
    if (cs == CAIRO_STATUS_NO_MEMORY)
        status = PF_ERR_NOMEM;
    else if (cs != CAIRO_STATUS_SUCCESS) {
        pf_set_message(job->err, PF_ERR_LEN, "cairo: %s", pdf.cairo_status_to_string(cs));
        status = PF_ERR_CORRUPT;
    }
cleanup:
    pdf.cairo_destroy(cr);          /* both accept NULL */
    pdf.cairo_surface_destroy(surface);
    return status;
}

/* Opens, renders and closes: every poppler call of one decode. */
static void render(struct pdf_job *job)
{
    GError *gerr = NULL;
    GBytes *bytes = pdf.g_bytes_new_static(job->data, job->len);
    PopplerDocument *doc = pdf.poppler_document_new_from_bytes(bytes, NULL, &gerr);
    PopplerPage *page = NULL;
    double wpt = 0, hpt = 0;
    pdf.g_bytes_unref(bytes);      /* the document holds its own reference */
    if (!doc) {
        job->status = open_error(job, gerr);
        goto cleanup;
    }
    job->pages = pdf.poppler_document_get_n_pages(doc);
    job->status = PF_ERR_CORRUPT;
    if (job->pages < 1) {
        pf_set_message(job->err, PF_ERR_LEN, "%s", _("the PDF has no pages"));
        goto cleanup;
    }
    if (job->count_only) {
        job->status = PF_OK;
        goto cleanup;
    }
    if (job->page >= job->pages) {
        job->status = PF_ERR_INVALID_ARG;
        pf_set_message(job->err, PF_ERR_LEN, P_("there is no page %d: the PDF has "
                       "%d page", "there is no page %d: the PDF has %d pages",
                       job->pages), job->page + 1, job->pages);
        goto cleanup;
    }
    if (!(page = pdf.poppler_document_get_page(doc, job->page))) {
        pf_set_message(job->err, PF_ERR_LEN, _("PDF page %d cannot be read"), job->page + 1);
        goto cleanup;
    }
    pdf.poppler_page_get_size(page, &wpt, &hpt);
    job->status = plan_size(job, wpt, hpt);
    if (job->status == PF_OK)
        job->status = draw(job, page, wpt, hpt);
cleanup:
    if (page)
        pdf.g_object_unref(page);
    if (doc)
        pdf.g_object_unref(doc);
    if (gerr)
        pdf.g_error_free(gerr);
}

static void *render_thread(void *arg)
{
    render(arg);
    return NULL;
}

/* render() in a thread of its own, one decode at a time (see the top). */
static void render_alone(struct pdf_job *job)
{
    pthread_t thread;
    pthread_mutex_lock(&render_lock);
    if (pthread_create(&thread, NULL, render_thread, job) == 0)
        pthread_join(thread, NULL);
    else
        render(job);  /* no thread to spare: still one at a time */
    pthread_mutex_unlock(&render_lock);
}

/* Cairo's RGB24 words (0x00RRGGBB, native order), f x f of them averaged
 * for each pixel, to packed RGB in place: a pixel's words are all read
 * before its 3 bytes are written, at or below where the first one was. */
static void pack_rgb(uint8_t *buf, uint32_t width, uint32_t height, size_t stride,
                     uint32_t f)
{
    uint8_t *dst = buf;
    for (uint32_t y = 0; y < height; y++) {
        const uint8_t *rows = buf + (size_t)y * f * stride;
        for (uint32_t x = 0; x < width; x++) {
            uint32_t sum[3] = {0, 0, 0}, v;
            for (uint32_t k = 0; k < f * f; k++) {
                memcpy(&v, rows + (k / f) * stride + 4 * ((size_t)x * f + k % f), 4);
                sum[0] += (v >> 16) & 255, sum[1] += (v >> 8) & 255, sum[2] += v & 255;
            }
            for (int c = 0; c < 3; c++)
                *dst++ = (uint8_t)((sum[c] + f * f / 2) / (f * f));
        }
    }
}

/* Loads poppler once; 0, with err saying what to install, when it is not
 * there. */
static int pdf_available(char *err)
{
    if (pthread_once(&setup_once, setup) == 0 && pdf_loaded)
        return 1;
    /* TRANSLATORS: %s is the library's file name, libpoppler-glib.so.8. The
       pipeline adds "; export it as JPEG". */
    pf_set_message(err, PF_ERR_LEN, _("PDF needs %s (Debian package "
                   "libpoppler-glib8), which is not installed"), PF_SONAME_POPPLER_GLIB);
    return 0;
}

pf_status pf_pdf_page_count(const uint8_t *data, size_t len, int *pages)
{
    char err[PF_ERR_LEN];
    struct pdf_job job = {.data = data, .len = len, .err = err, .count_only = 1,
                          .status = PF_ERR_CORRUPT};
    *pages = 1;
    if (!data || len == 0 || cut_short(data, len) || !pdf_available(err))
        return PF_ERR_CORRUPT;
    render_alone(&job);
    if (job.status == PF_OK)
        *pages = job.pages;
    return job.status;
}

pf_status pf_pdf_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                        int page, uint32_t min_long, uint32_t min_short,
                        pf_decoded *out, char err[PF_ERR_LEN])
{
    struct pdf_job job = {.data = data, .len = len, .page = page,
                          .max_pixels = max_pixels, .min_long = min_long,
                          .min_short = min_short, .err = err,
                          .status = PF_ERR_INVALID_ARG};
    if (err)
        err[0] = '\0';
    if (!out)
        goto cleanup;
    memset(out, 0, sizeof *out);
    if (page < 0 || (!data && len))
        goto cleanup;
    job.status = PF_ERR_CORRUPT;
    if (len == 0) {
        pf_set_message(err, PF_ERR_LEN, "%s", _("the PDF is empty"));
        goto cleanup;
    }
    if (cut_short(data, len)) {
        job.status = PF_ERR_TRUNCATED;
        pf_set_message(err, PF_ERR_LEN, "%s", _("the PDF has no end-of-file marker"));
        goto cleanup;
    }
    if (!pdf_available(err)) {
        job.status = PF_ERR_FORMAT;
        goto cleanup;
    }
    render_alone(&job);
    if (job.status != PF_OK)
        goto cleanup;
    pack_rgb(job.pixels, job.width, job.height, job.stride, job.factor);
    uint8_t *rgb = realloc(job.pixels, (size_t)job.width * job.height * 3);
    out->bmp.rgb = rgb ? rgb : job.pixels;  /* a failed shrink keeps it */
    job.pixels = NULL;
    out->bmp.width = out->stored_width = job.width;
    out->bmp.height = out->stored_height = job.height;
    out->pages = job.pages;
cleanup:
    free(job.pixels);
    if (out && job.status != PF_OK)
        pf_decoded_free(out);
    return job.status;
}
