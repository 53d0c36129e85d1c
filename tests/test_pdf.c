/* pf_pdf_decode against PDFs made in the test: cairo's PDF surface for
 * pages with coloured boxes and text, and PDFs written by hand (xref
 * offsets computed here) for what cairo cannot write: /Rotate, odd page
 * boxes, the standard security handler (RC4, MD5 from GLib). With the
 * shared corpus: page 1 of each PDF under formats/ocrmypdf and
 * formats/docling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "testutil.h"

#define CAP 100000000ULL
#define TOL 3 /* per channel, against the colour drawn */

/* fontconfig (2.14.1 here) leaks a few hundred bytes loading its
 * configuration, once per process (when cairo makes the text of these
 * tests, or poppler looks for a font a PDF names but does not embed), and
 * cairo keeps the patterns of its toy fonts until exit. Not ours to free;
 * LeakSanitizer is told (frames in fontconfig are often all it sees of
 * such a stack). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

/* ---- a growing byte buffer ---- */

struct buf {
    uint8_t *p;
    size_t n, cap;
};

static void put(struct buf *b, const void *data, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 256;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void putf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void putf(struct buf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof tmp);
    put(b, tmp, (size_t)n);
}

/* ---- PDFs from cairo ---- */

struct box {
    double x, y, w, h;   /* points from the top left */
    double r, g, b;
};

struct page {
    double w, h;
    const struct box *boxes;
    int n;
    const char *text;    /* drawn in DejaVu Sans when set */
};

static cairo_status_t to_buf(void *closure, const unsigned char *data,
                             unsigned int n)
{
    put(closure, data, n);
    return CAIRO_STATUS_SUCCESS;
}

static uint8_t *cairo_doc(const struct page *pages, int n, size_t *len)
{
    struct buf b = {0};
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(to_buf, &b, pages[0].w,
                                                             pages[0].h);
    cairo_t *cr = cairo_create(s);
    for (int i = 0; i < n; i++) {
        cairo_pdf_surface_set_size(s, pages[i].w, pages[i].h);
        for (int k = 0; k < pages[i].n; k++) {
            const struct box *r = &pages[i].boxes[k];
            cairo_set_source_rgb(cr, r->r, r->g, r->b);
            cairo_rectangle(cr, r->x, r->y, r->w, r->h);
            cairo_fill(cr);
        }
        if (pages[i].text) {
            cairo_set_source_rgb(cr, 0, 0, 0);
            cairo_select_font_face(cr, i % 2 ? "DejaVu Serif" : "DejaVu Sans",
                                   CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
            cairo_set_font_size(cr, 18);
            for (int line = 0; line < 6; line++) {
                cairo_move_to(cr, 10, 30 + 30 * line);
                cairo_show_text(cr, pages[i].text);
            }
        }
        cairo_show_page(cr);
    }
    cairo_destroy(cr);
    cairo_surface_finish(s);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(s);
    *len = b.n;
    return b.p;
}

/* ---- PDFs by hand ---- */

struct obj {
    const char *dict;        /* the object, or a stream's extra dictionary keys */
    const uint8_t *stream;   /* NULL: no stream */
    size_t stream_len;
};

/* Objects 1..n (1 the catalogue), a correct xref table, a trailer with
 * extra keys (may be ""). */
static uint8_t *hand_pdf(const struct obj *objs, int n, const char *trailer,
                         size_t *len)
{
    struct buf b = {0};
    size_t *at = calloc((size_t)n, sizeof *at);
    assert_non_null(at);
    putf(&b, "%%PDF-1.4\n%%\xE2\xE3\xCF\xD3\n");
    for (int i = 0; i < n; i++) {
        at[i] = b.n;
        if (objs[i].stream) {
            putf(&b, "%d 0 obj\n<< /Length %zu %s >>\nstream\n", i + 1,
                 objs[i].stream_len, objs[i].dict);
            put(&b, objs[i].stream, objs[i].stream_len);
            putf(&b, "\nendstream\nendobj\n");
        } else {
            putf(&b, "%d 0 obj\n%s\nendobj\n", i + 1, objs[i].dict);
        }
    }
    size_t xref = b.n;
    putf(&b, "xref\n0 %d\n0000000000 65535 f \n", n + 1);
    for (int i = 0; i < n; i++)
        putf(&b, "%010zu 00000 n \n", at[i]);
    putf(&b, "trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%zu\n%%%%EOF\n",
         n + 1, trailer, xref);
    free(at);
    *len = b.n;
    return b.p;
}

/* One page of media box `box` (and page keys `extra`) drawing `content`. */
static uint8_t *one_page(const char *box, const char *extra, const char *content,
                         size_t *len)
{
    char page[512];
    snprintf(page, sizeof page, "<< /Type /Page /Parent 2 0 R /MediaBox [%s] "
             "/Contents 4 0 R %s >>", box, extra);
    struct obj objs[] = {
        {"<< /Type /Catalog /Pages 2 0 R >>", NULL, 0},
        {"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", NULL, 0},
        {page, NULL, 0},
        {"", (const uint8_t *)content, strlen(content)},
    };
    return hand_pdf(objs, 4, "", len);
}

/* ---- the standard security handler, revision 2 (40-bit RC4) ---- */

static const uint8_t pw_pad[32] = {
    0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E,
    0x56, 0xFF, 0xFA, 0x01, 0x08, 0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68,
    0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A};

static void rc4(const uint8_t *key, size_t klen, uint8_t *data, size_t n)
{
    uint8_t s[256];
    for (int i = 0; i < 256; i++)
        s[i] = (uint8_t)i;
    for (int i = 0, j = 0; i < 256; i++) {
        j = (j + s[i] + key[i % klen]) & 255;
        uint8_t t = s[i];
        s[i] = s[j], s[j] = t;
    }
    for (size_t k = 0, i = 0, j = 0; k < n; k++) {
        i = (i + 1) & 255;
        j = (j + s[i]) & 255;
        uint8_t t = s[i];
        s[i] = s[j], s[j] = t;
        data[k] ^= s[(s[i] + s[j]) & 255];
    }
}

/* MD5 of a and b one after the other. */
static void md5(const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                uint8_t out[16])
{
    GChecksum *c = g_checksum_new(G_CHECKSUM_MD5);
    gsize n = 16;
    g_checksum_update(c, a, (gssize)na);
    if (nb)
        g_checksum_update(c, b, (gssize)nb);
    g_checksum_get_digest(c, out, &n);
    g_checksum_free(c);
}

static void padded(const char *pw, uint8_t out[32])
{
    size_t n = strlen(pw) < 32 ? strlen(pw) : 32;
    memcpy(out, pw, n);
    memcpy(out + n, pw_pad, 32 - n);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02X", p[i]);
}

/* A 100x100 pt page filled red in the middle, encrypted (algorithms 2, 3,
 * 4 of ISO 32000-1 7.6.3) with the user and owner passwords given. */
static uint8_t *encrypted_pdf(const char *user, const char *owner, size_t *len)
{
    static const uint8_t id[16] = "preflight-pdf-id";
    uint8_t upad[32], opad[32], digest[16], o[32], u[32], key[5];
    uint8_t perms[4] = {0xFC, 0xFF, 0xFF, 0xFF}; /* /P -4: everything */
    padded(user, upad), padded(owner, opad);
    md5(opad, 32, NULL, 0, digest);               /* O: algorithm 3 */
    memcpy(o, upad, 32);
    rc4(digest, 5, o, 32);
    uint8_t seed[32 + 32 + 4 + 16];                /* key: algorithm 2 */
    memcpy(seed, upad, 32), memcpy(seed + 32, o, 32);
    memcpy(seed + 64, perms, 4), memcpy(seed + 68, id, 16);
    md5(seed, sizeof seed, NULL, 0, digest);
    memcpy(key, digest, 5);
    memcpy(u, pw_pad, 32);                         /* U: algorithm 4 */
    rc4(key, 5, u, 32);
    static const char content[] = "1 0 0 rg 20 20 60 60 re f";
    uint8_t stream[sizeof content - 1], objkey[5 + 5];
    memcpy(stream, content, sizeof stream);
    memcpy(objkey, key, 5);
    memcpy(objkey + 5, (const uint8_t[]){4, 0, 0, 0, 0}, 5); /* object 4 0 */
    md5(objkey, 10, NULL, 0, digest);
    rc4(digest, 10, stream, sizeof stream);
    char ohex[65], uhex[65], idhex[33], enc[256], trailer[160];
    hex(o, 32, ohex), hex(u, 32, uhex), hex(id, 16, idhex);
    snprintf(enc, sizeof enc, "<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> "
             "/P -4 >>", ohex, uhex);
    snprintf(trailer, sizeof trailer, "/Encrypt 5 0 R /ID [<%s> <%s>]", idhex, idhex);
    struct obj objs[] = {
        {"<< /Type /Catalog /Pages 2 0 R >>", NULL, 0},
        {"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", NULL, 0},
        {"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Contents 4 0 R >>",
         NULL, 0},
        {"", stream, sizeof stream},
        {enc, NULL, 0},
    };
    return hand_pdf(objs, 5, trailer, len);
}

/* ---- checks on the picture ---- */

static void assert_rgb_at(const pf_decoded *d, uint32_t x, uint32_t y, int r,
                          int g, int b)
{
    assert_true(x < d->bmp.width && y < d->bmp.height);
    const uint8_t *p = d->bmp.rgb + ((size_t)y * d->bmp.width + x) * 3;
    if (abs(p[0] - r) > TOL || abs(p[1] - g) > TOL || abs(p[2] - b) > TOL)
        fail_msg("(%u,%u) is %d,%d,%d, not %d,%d,%d", x, y, p[0], p[1], p[2], r, g, b);
}

/* The centre of box (points) on a page of pw x ph points. */
static void assert_box(const pf_decoded *d, double pw, double ph, const struct box *r)
{
    uint32_t x = (uint32_t)((r->x + r->w / 2) * d->bmp.width / pw);
    uint32_t y = (uint32_t)((r->y + r->h / 2) * d->bmp.height / ph);
    assert_rgb_at(d, x, y, (int)(r->r * 255 + .5), (int)(r->g * 255 + .5),
                  (int)(r->b * 255 + .5));
}

static void assert_plain(const pf_decoded *d)
{
    assert_int_equal(d->stored_width, d->bmp.width);
    assert_int_equal(d->stored_height, d->bmp.height);
    assert_int_equal(d->exif_orientation, 0);
    assert_int_equal(d->has_gps, 0);
    assert_int_equal(d->has_alpha, 0);
    assert_null(d->icc);
    assert_int_equal(d->animated, 0);
}

static const struct box a4_boxes[] = {
    {50, 60, 150, 100, 1, 0, 0},       /* red, top left */
    {400, 80, 120, 200, 0, 0.5, 0},    /* dark green, top right */
    {100, 600, 300, 150, 0, 0, 1},     /* blue, bottom */
    {450, 700, 100, 100, 1, 0.8, 0.2}, /* orange */
};

static void assert_a4(const pf_decoded *d, double pw, double ph)
{
    for (size_t i = 0; i < sizeof a4_boxes / sizeof a4_boxes[0]; i++)
        assert_box(d, pw, ph, &a4_boxes[i]);
    /* white paper: the corners, and between the boxes */
    assert_rgb_at(d, 0, 0, 255, 255, 255);
    assert_rgb_at(d, d->bmp.width - 1, d->bmp.height - 1, 255, 255, 255);
    assert_rgb_at(d, d->bmp.width / 2, d->bmp.height / 2, 255, 255, 255);
}

static pf_status decode(const uint8_t *pdf, size_t len, uint64_t cap, int page,
                        uint32_t min_long, uint32_t min_short, pf_decoded *d,
                        char err[PF_ERR_LEN])
{
    return pf_pdf_decode(pdf, len, cap, page, min_long, min_short, d, err);
}

/* ---- tests ---- */

/* 595 x 842 pt at 200 dpi: 1652.8 x 2338.9 pixels, rounded up so the whole
 * page shows: 1653 x 2339. A4 proper (210 x 297 mm = 595.28 x 841.89 pt)
 * gives 1653.5 x 2338.6: 1654 x 2339. */
static void test_a4_at_200_dpi(void **state)
{
    (void)state;
    struct page p = {595, 842, a4_boxes, 4, NULL};
    size_t len;
    uint8_t *pdf = cairo_doc(&p, 1, &len);
    pf_decoded d;
    char err[PF_ERR_LEN];
    assert_int_equal(decode(pdf, len, CAP, 0, 0, 0, &d, err), PF_OK);
    assert_int_equal(d.bmp.width, 1653), assert_int_equal(d.bmp.height, 2339);
    assert_int_equal(d.pages, 1);
    assert_plain(&d);
    assert_a4(&d, 595, 842);
    pf_decoded_free(&d);
    free(pdf);

    p.w = 210 / 25.4 * 72, p.h = 297 / 25.4 * 72;
    pdf = cairo_doc(&p, 1, &len);
    assert_int_equal(decode(pdf, len, CAP, 0, 0, 0, &d, err), PF_OK);
    assert_int_equal(d.bmp.width, 1654), assert_int_equal(d.bmp.height, 2339);
    assert_a4(&d, p.w, p.h);
    pf_decoded_free(&d);
    free(pdf);
}

/* Minimum sides raise the resolution: to exactly the minimum on the side
 * that needs it, never past 600 dpi. */
static void test_minimums_raise_dpi(void **state)
{
    (void)state;
    struct page p = {595, 842, a4_boxes, 4, NULL};
    size_t len;
    uint8_t *pdf = cairo_doc(&p, 1, &len);
    pf_decoded d;
    char err[PF_ERR_LEN];
    /* long side 3508: 842 pt at 3508/842 px/pt; 595 pt -> 2478.9 -> 2479 */
    assert_int_equal(decode(pdf, len, CAP, 0, 3508, 0, &d, err), PF_OK);
    assert_int_equal(d.bmp.width, 2479), assert_int_equal(d.bmp.height, 3508);
    assert_a4(&d, 595, 842);
    pf_decoded_free(&d);
    /* short side 2480: 842 pt -> 3509.5 -> 3510 */
    assert_int_equal(decode(pdf, len, CAP, 0, 3000, 2480, &d, err), PF_OK);
    assert_int_equal(d.bmp.width, 2480), assert_int_equal(d.bmp.height, 3510);
    pf_decoded_free(&d);
    /* below 200 dpi's size: 200 dpi stays */
    assert_int_equal(decode(pdf, len, CAP, 0, 1000, 800, &d, err), PF_OK);
    assert_int_equal(d.bmp.width, 1653), assert_int_equal(d.bmp.height, 2339);
    pf_decoded_free(&d);
    free(pdf);

    /* a 100 x 50 pt label: 600 dpi at most (833.3 x 416.7 -> 834 x 417) */
    struct box red = {10, 10, 80, 30, 1, 0, 0};
    struct page label = {100, 50, &red, 1, NULL};
    pdf = cairo_doc(&label, 1, &len);
    assert_int_equal(decode(pdf, len, CAP, 0, 5000, 3000, &d, err), PF_OK);
    assert_int_equal(d.bmp.width, 834), assert_int_equal(d.bmp.height, 417);
    assert_box(&d, 100, 50, &red);
    pf_decoded_free(&d);
    free(pdf);
}

/* max_pixels lowers the resolution (rounding down) below what 200 dpi or
 * the minimums ask. */
static void test_max_pixels_lowers_dpi(void **state)
{
    (void)state;
    struct page p = {595, 842, a4_boxes, 4, NULL};
    size_t len;
    uint8_t *pdf = cairo_doc(&p, 1, &len);
    pf_decoded d;
    char err[PF_ERR_LEN];
    /* sqrt(1e6 / (595 * 842)) = 1.41281 px/pt: 840.6 x 1189.6 -> 840 x 1189 */
    assert_int_equal(decode(pdf, len, 1000000, 0, 0, 0, &d, err), PF_OK);
    assert_int_equal(d.bmp.width, 840), assert_int_equal(d.bmp.height, 1189);
    assert_a4(&d, 595, 842);
    pf_decoded_free(&d);
    assert_int_equal(decode(pdf, len, 1000000, 0, 3508, 2480, &d, err), PF_OK);
    assert_int_equal(d.bmp.width, 840), assert_int_equal(d.bmp.height, 1189);
    pf_decoded_free(&d);
    /* exactly 200 dpi's pixels fit; one fewer does not */
    assert_int_equal(decode(pdf, len, 1653 * 2339, 0, 0, 0, &d, err), PF_OK);
    assert_int_equal(d.bmp.width, 1653), assert_int_equal(d.bmp.height, 2339);
    pf_decoded_free(&d);
    assert_int_equal(decode(pdf, len, 1653 * 2339 - 1, 0, 0, 0, &d, err), PF_OK);
    assert_true((uint64_t)d.bmp.width * d.bmp.height <= 1653 * 2339 - 1);
    assert_int_equal(d.bmp.width, 1652), assert_int_equal(d.bmp.height, 2338);
    pf_decoded_free(&d);
    free(pdf);
}

static void test_three_pages(void **state)
{
    (void)state;
    static const struct box fill[3] = {{0, 0, 300, 200, 1, 0, 0},
                                       {0, 0, 300, 200, 0, 1, 0},
                                       {0, 0, 300, 200, 0, 0, 1}};
    struct page p[3] = {{300, 200, &fill[0], 1, NULL}, {300, 200, &fill[1], 1, NULL},
                        {300, 200, &fill[2], 1, NULL}};
    size_t len;
    uint8_t *pdf = cairo_doc(p, 3, &len);
    pf_decoded d;
    char err[PF_ERR_LEN];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(decode(pdf, len, CAP, i, 0, 0, &d, err), PF_OK);
        assert_int_equal(d.pages, 3);
        assert_int_equal(d.bmp.width, 834), assert_int_equal(d.bmp.height, 556);
        assert_box(&d, 300, 200, &fill[i]);
        pf_decoded_free(&d);
    }
    assert_int_equal(decode(pdf, len, CAP, 3, 0, 0, &d, err), PF_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "3 pages"));
    assert_null(d.bmp.rgb);
    assert_int_equal(decode(pdf, len, CAP, -1, 0, 0, &d, err), PF_ERR_INVALID_ARG);
    free(pdf);
}

static void test_landscape(void **state)
{
    (void)state;
    static const struct box boxes[] = {{700, 450, 100, 100, 1, 0, 0},
                                       {40, 40, 100, 50, 0, 0, 1}};
    struct page p = {842, 595, boxes, 2, NULL};
    size_t len;
    uint8_t *pdf = cairo_doc(&p, 1, &len);
    pf_decoded d;
    char err[PF_ERR_LEN];
    assert_int_equal(decode(pdf, len, CAP, 0, 0, 0, &d, err), PF_OK);
    assert_int_equal(d.bmp.width, 2339), assert_int_equal(d.bmp.height, 1653);
    assert_box(&d, 842, 595, &boxes[0]);
    assert_box(&d, 842, 595, &boxes[1]);
    pf_decoded_free(&d);
    free(pdf);
}

/* A 200 x 100 pt page (PDF y up): left half red; right half blue above,
 * green below. /Rotate turns it clockwise as readers show it. */
static void test_rotate(void **state)
{
    (void)state;
    static const char content[] = "1 0 0 rg 0 0 100 100 re f "
                                  "0 0 1 rg 100 50 100 50 re f "
                                  "0 1 0 rg 100 0 100 50 re f";
    pf_decoded d;
    char err[PF_ERR_LEN];
    size_t len;
    struct {
        const char *rotate;
        uint32_t w, h;
        double red[2], blue[2], green[2];   /* fractions of the picture */
    } cases[] = {
        {"", 556, 278, {0.25, 0.5}, {0.75, 0.25}, {0.75, 0.75}},
        {"/Rotate 90", 278, 556, {0.5, 0.25}, {0.75, 0.75}, {0.25, 0.75}},
        {"/Rotate 180", 556, 278, {0.75, 0.5}, {0.25, 0.75}, {0.25, 0.25}},
        {"/Rotate 270", 278, 556, {0.5, 0.75}, {0.25, 0.25}, {0.75, 0.25}},
        {"/Rotate -90", 278, 556, {0.5, 0.75}, {0.25, 0.25}, {0.75, 0.25}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *pdf = one_page("0 0 200 100", cases[i].rotate, content, &len);
        assert_int_equal(decode(pdf, len, CAP, 0, 0, 0, &d, err), PF_OK);
        assert_int_equal(d.bmp.width, cases[i].w);
        assert_int_equal(d.bmp.height, cases[i].h);
#define AT(f) (uint32_t)((f)[0] * d.bmp.width), (uint32_t)((f)[1] * d.bmp.height)
        assert_rgb_at(&d, AT(cases[i].red), 255, 0, 0);
        assert_rgb_at(&d, AT(cases[i].blue), 0, 0, 255);
        assert_rgb_at(&d, AT(cases[i].green), 0, 255, 0);
#undef AT
        pf_decoded_free(&d);
        free(pdf);
    }
}

static void test_encrypted(void **state)
{
    (void)state;
    pf_decoded d;
    char err[PF_ERR_LEN];
    size_t len;
    /* an owner password only: opens without one */
    uint8_t *pdf = encrypted_pdf("", "owner", &len);
    assert_int_equal(decode(pdf, len, CAP, 0, 0, 0, &d, err), PF_OK);
    assert_int_equal(d.bmp.width, 278), assert_int_equal(d.bmp.height, 278);
    assert_rgb_at(&d, 139, 139, 255, 0, 0);
    assert_rgb_at(&d, 10, 10, 255, 255, 255);
    pf_decoded_free(&d);
    free(pdf);
    /* a user password: nothing to see without it */
    pdf = encrypted_pdf("secret", "owner", &len);
    assert_int_equal(decode(pdf, len, CAP, 0, 0, 0, &d, err), PF_ERR_UNFIXABLE);
    assert_non_null(strstr(err, "password"));
    assert_null(d.bmp.rgb);
    free(pdf);
}

/* Cut short, or garbage: a clean error, nothing allocated. */
static void test_damaged(void **state)
{
    (void)state;
    struct page p = {595, 842, a4_boxes, 4, "damaged"};
    size_t len;
    uint8_t *pdf = cairo_doc(&p, 1, &len);
    pf_decoded d;
    char err[PF_ERR_LEN];
    size_t cuts[] = {len / 2, len - 3, 20, 5};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        assert_int_equal(decode(pdf, cuts[i], CAP, 0, 0, 0, &d, err), PF_ERR_TRUNCATED);
        assert_string_equal(err, "the PDF has no end-of-file marker");
        assert_null(d.bmp.rgb);
    }
    /* the header broken: poppler finds the objects all the same */
    memcpy(pdf, "%PDX-", 5);
    assert_int_equal(decode(pdf, len, CAP, 0, 0, 0, &d, err), PF_OK);
    assert_a4(&d, 595, 842);
    pf_decoded_free(&d);
    /* the middle overwritten: objects, xref and trailer lost */
    memcpy(pdf, "%PDF-", 5);
    memset(pdf + 15, 'x', len - 40);
    assert_int_equal(decode(pdf, len, CAP, 0, 0, 0, &d, err), PF_ERR_CORRUPT);
    assert_string_equal(err, "PDF document is damaged");
    assert_null(d.bmp.rgb);
    free(pdf);
    static const char junk[] = "%PDF-1.7\nnothing here\n%%EOF\n";
    assert_int_equal(decode((const uint8_t *)junk, strlen(junk), CAP, 0, 0, 0, &d, err),
                     PF_ERR_CORRUPT);
    assert_string_equal(err, "PDF document is damaged");
    static const char text[] = "Hello, this is not a PDF at all.";
    assert_int_equal(decode((const uint8_t *)text, strlen(text), CAP, 0, 0, 0, &d, err),
                     PF_ERR_CORRUPT);
    assert_string_equal(err, "PDF document is damaged");
    assert_int_equal(decode((const uint8_t *)text, 0, CAP, 0, 0, 0, &d, err),
                     PF_ERR_CORRUPT);
    assert_string_equal(err, "the PDF is empty");
    assert_int_equal(decode(NULL, 0, CAP, 0, 0, 0, &d, err), PF_ERR_CORRUPT);
    assert_int_equal(decode(NULL, 10, CAP, 0, 0, 0, &d, err), PF_ERR_INVALID_ARG);
    assert_int_equal(pf_pdf_decode((const uint8_t *)text, 10, CAP, 0, 0, 0, NULL, err),
                     PF_ERR_INVALID_ARG);
}

/* Page boxes: the largest PDF allows is shown within max_pixels; larger,
 * empty, or too thin to show in the pixels allowed is refused. */
static void test_page_sizes(void **state)
{
    (void)state;
    static const char content[] = "1 0 0 rg 0 0 7200 7200 re f";
    pf_decoded d;
    char err[PF_ERR_LEN];
    size_t len;
    uint8_t *pdf = one_page("0 0 14400 14400", "", content, &len);
    /* 2000/14400 px/pt: 2000 x 2000 less rounding */
    assert_int_equal(decode(pdf, len, 4000000, 0, 0, 0, &d, err), PF_OK);
    assert_true(d.bmp.width >= 1999 && d.bmp.width <= 2000);
    assert_int_equal(d.bmp.height, d.bmp.width);
    assert_rgb_at(&d, d.bmp.width / 4, d.bmp.height * 3 / 4, 255, 0, 0);
    assert_rgb_at(&d, d.bmp.width * 3 / 4, d.bmp.height / 4, 255, 255, 255);
    pf_decoded_free(&d);
    free(pdf);
    /* no cap: cairo's 32767 pixels a side bound it (163.8 dpi) */
    pdf = one_page("0 0 14400 10", "", content, &len);
    assert_int_equal(decode(pdf, len, 0, 0, 0, 0, &d, err), PF_OK);
    assert_int_equal(d.bmp.width, 32767), assert_int_equal(d.bmp.height, 23);
    pf_decoded_free(&d);
    /* ...and too thin for 1000 pixels */
    assert_int_equal(decode(pdf, len, 1000, 0, 0, 0, &d, err), PF_ERR_TOO_LARGE);
    assert_null(d.bmp.rgb);
    free(pdf);
    /* boxes poppler mends: turned round; empty (letter size instead) */
    pdf = one_page("595 842 0 0", "", content, &len);
    assert_int_equal(decode(pdf, len, CAP, 0, 0, 0, &d, err), PF_OK);
    assert_int_equal(d.bmp.width, 1653), assert_int_equal(d.bmp.height, 2339);
    pf_decoded_free(&d);
    free(pdf);
    pdf = one_page("0 0 0 0", "", content, &len);
    assert_int_equal(decode(pdf, len, CAP, 0, 0, 0, &d, err), PF_OK);
    assert_int_equal(d.bmp.width, 1700), assert_int_equal(d.bmp.height, 2200);
    pf_decoded_free(&d);
    free(pdf);
    /* one it passes on: no height */
    pdf = one_page("0 0 100 0", "", content, &len);
    assert_int_equal(decode(pdf, len, CAP, 0, 0, 0, &d, err), PF_ERR_CORRUPT);
    assert_string_equal(err, "the PDF page has no usable size");
    assert_null(d.bmp.rgb);
    free(pdf);
    const char *too_big[] = {"0 0 14401 100", "0 0 100000000000000000000 100000000000000000000", "0 0 100 99999999999"};
    for (size_t i = 0; i < sizeof too_big / sizeof too_big[0]; i++) {
        pdf = one_page(too_big[i], "", content, &len);
        assert_int_equal(decode(pdf, len, CAP, 0, 0, 0, &d, err), PF_ERR_TOO_LARGE);
        assert_non_null(strstr(err, "14400"));
        free(pdf);
    }
}

/* A font named but not embedded (Helvetica): poppler finds a system font
 * through fontconfig and the text shows. */
static void test_standard_font(void **state)
{
    (void)state;
    static const char content[] = "BT /F1 36 Tf 5 40 Td (Hello) Tj ET";
    struct obj objs[] = {
        {"<< /Type /Catalog /Pages 2 0 R >>", NULL, 0},
        {"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", NULL, 0},
        {"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 120 100] "
         "/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>", NULL, 0},
        {"", (const uint8_t *)content, strlen(content)},
        {"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>", NULL, 0},
    };
    size_t len;
    uint8_t *pdf = hand_pdf(objs, 5, "", &len);
    pf_decoded d;
    char err[PF_ERR_LEN];
    assert_int_equal(decode(pdf, len, CAP, 0, 0, 0, &d, err), PF_OK);
    assert_int_equal(d.bmp.width, 334), assert_int_equal(d.bmp.height, 278);
    size_t dark = 0, n = (size_t)d.bmp.width * d.bmp.height;
    for (size_t i = 0; i < n; i++)
        dark += d.bmp.rgb[i * 3] < 128;
    assert_true(dark > n / 50);       /* the letters */
    assert_true(dark < n / 4);        /* on white */
    pf_decoded_free(&d);
    free(pdf);
}

/* A scan of 1-pixel black and white squares at 300 ppi, shown at 200 dpi:
 * poppler samples images nearest-neighbour when rendering for printing
 * (pure black and white pixels only); drawn at twice the size and averaged
 * 2x2, most pixels come out grey, as an averaging reader shows them. */
static void test_scan_downsampled_smoothly(void **state)
{
    (void)state;
    enum { N = 300 };
    uint8_t *img = malloc(N * N);
    assert_non_null(img);
    for (int y = 0; y < N; y++)
        for (int x = 0; x < N; x++)
            img[y * N + x] = (x + y) % 2 ? 255 : 0;
    static const char content[] = "q 72 0 0 72 0 0 cm /Im0 Do Q";
    struct obj objs[] = {
        {"<< /Type /Catalog /Pages 2 0 R >>", NULL, 0},
        {"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", NULL, 0},
        {"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 72 72] "
         "/Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>", NULL, 0},
        {"", (const uint8_t *)content, strlen(content)},
        {"/Type /XObject /Subtype /Image /Width 300 /Height 300 "
         "/ColorSpace /DeviceGray /BitsPerComponent 8", img, N * N},
    };
    size_t len;
    uint8_t *pdf = hand_pdf(objs, 5, "", &len);
    free(img);
    pf_decoded d;
    char err[PF_ERR_LEN];
    assert_int_equal(decode(pdf, len, CAP, 0, 0, 0, &d, err), PF_OK);
    assert_int_equal(d.bmp.width, 200), assert_int_equal(d.bmp.height, 200);
    size_t grey = 0, n = 200 * 200;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t v = d.bmp.rgb[i * 3];
        grey += v > 32 && v < 223;
        sum += v;
    }
    assert_true(grey > n / 2);
    assert_true(fabs(sum / n - 127.5) < 20);
    pf_decoded_free(&d);
    free(pdf);
}

/* ---- two threads at once ---- */

struct worker {
    const uint8_t *pdf;
    size_t len;
    const pf_decoded *expect;
    int rounds, failures;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < w->rounds; i++) {
        pf_decoded d;
        char err[PF_ERR_LEN];
        if (pf_pdf_decode(w->pdf, w->len, CAP, i % 2, 0, 0, &d, err) != PF_OK ||
            d.bmp.width != w->expect[i % 2].bmp.width ||
            d.bmp.height != w->expect[i % 2].bmp.height ||
            memcmp(d.bmp.rgb, w->expect[i % 2].bmp.rgb,
                   (size_t)d.bmp.width * d.bmp.height * 3) != 0)
            w->failures++;
        pf_decoded_free(&d);
    }
    return NULL;
}

/* Text in embedded fonts (FreeType) and boxes, decoded by two threads at
 * once: the same pixels as one at a time. */
static void test_two_threads(void **state)
{
    (void)state;
    static const struct box boxes[] = {{200, 150, 80, 40, 0.2, 0.4, 0.9}};
    struct page a[2] = {{300, 200, boxes, 1, "Preflight 0123456789"},
                        {300, 200, NULL, 0, "The quick brown fox"}};
    struct page b[2] = {{400, 250, NULL, 0, "jumps over the lazy dog"},
                        {250, 400, boxes, 1, "ICP filing portal"}};
    size_t la, lb;
    uint8_t *pa = cairo_doc(a, 2, &la), *pb = cairo_doc(b, 2, &lb);
    pf_decoded ea[2], eb[2];
    char err[PF_ERR_LEN];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pf_pdf_decode(pa, la, CAP, i, 0, 0, &ea[i], err), PF_OK);
        assert_int_equal(pf_pdf_decode(pb, lb, CAP, i, 0, 0, &eb[i], err), PF_OK);
    }
    /* the text is there: dark pixels on the first line */
    int dark = 0;
    for (uint32_t x = 0; x < ea[0].bmp.width; x++)
        dark += ea[0].bmp.rgb[((size_t)70 * ea[0].bmp.width + x) * 3] < 100;
    assert_true(dark > 20);
    struct worker w[2] = {{pa, la, ea, 12, 0}, {pb, lb, eb, 12, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(w[0].failures, 0);
    assert_int_equal(w[1].failures, 0);
    for (int i = 0; i < 2; i++)
        pf_decoded_free(&ea[i]), pf_decoded_free(&eb[i]);
    free(pa), free(pb);
}

/* Poppler's complaints about a damaged file reach neither stdout nor
 * stderr, even with G_MESSAGES_DEBUG=all (set in main). */
static void test_silent(void **state)
{
    (void)state;
    char path[] = "/tmp/pf-pdf-out-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stdout), fflush(stderr);
    int out = dup(1), errfd = dup(2);
    dup2(fd, 1), dup2(fd, 2);
    /* a broken xref (poppler rebuilds it, with a message), a bad operator,
     * a missing font */
    static const char content[] = "1 0 0 rg 0 0 50 50 re f bogus_op "
                                  "BT /F9 12 Tf 10 10 Td (x) Tj ET";
    size_t len;
    uint8_t *pdf = one_page("0 0 100 100", "", content, &len);
    char *xref = strstr((char *)pdf, "xref\n");
    pf_decoded d;
    char err[PF_ERR_LEN];
    pf_status st1 = decode(pdf, len, CAP, 0, 0, 0, &d, err);
    pf_decoded_free(&d);
    xref[20] = 'Z';
    pf_status st2 = decode(pdf, len, CAP, 0, 0, 0, &d, err);
    pf_decoded_free(&d);
    static const char junk[] = "%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";
    pf_status st3 = decode((const uint8_t *)junk, strlen(junk), CAP, 0, 0, 0, &d, err);
    fflush(stdout), fflush(stderr);
    dup2(out, 1), dup2(errfd, 2);
    close(out), close(errfd), close(fd);
    char *text = tu_read_text(path);
    unlink(path);
    assert_non_null(text);
    if (text[0])
        fail_msg("printed: %s", text);
    free(text);
    free(pdf);
    assert_int_equal(st1, PF_OK);
    assert_int_equal(st2, PF_OK);
    assert_int_equal(st3, PF_ERR_CORRUPT);
}

/* ---- the shared corpus, when present ---- */

static const char *corpus_dir(void)
{
    const char *c = getenv("PF_CORPUS");
    return c && *c ? c : "../shared/corpus";
}

static int corpus_folder(const char *folder)
{
    char dir[PF_PATH_LEN];
    snprintf(dir, sizeof dir, "%s/formats/%s", corpus_dir(), folder);
    DIR *dp = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (dp && (e = readdir(dp))) {
        size_t k = strlen(e->d_name);
        if (k < 5 || strcmp(e->d_name + k - 4, ".pdf") != 0)
            continue;
        char path[PF_PATH_LEN + 256];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len;
        uint8_t *data = tu_read(path, &len);
        assert_non_null(data);
        pf_decoded d;
        char err[PF_ERR_LEN];
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        pf_status st = pf_pdf_decode(data, len, CAP, 0, 0, 0, &d, err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
        if (st == PF_OK)
            fprintf(stderr, "  %s/%s: %d page(s), %ux%u, %.0f ms\n", folder,
                    e->d_name, d.pages, d.bmp.width, d.bmp.height, ms);
        else
            fprintf(stderr, "  %s/%s: %s (%s), %.0f ms\n", folder, e->d_name,
                    pf_strerror(st), err, ms);
        assert_true(st == PF_OK || err[0]);
        assert_true(st != PF_OK || (d.bmp.rgb && d.pages >= 1));
        if (strcmp(e->d_name, "sample_with_rotation_mismatch.pdf") == 0) {
            /* 842 x 595 pt turned by /Rotate 90: upright A4 */
            assert_int_equal(st, PF_OK);
            assert_int_equal(d.bmp.width, 1653), assert_int_equal(d.bmp.height, 2339);
        }
        pf_decoded_free(&d);
        free(data);
        n++;
    }
    if (dp)
        closedir(dp);
    return n;
}

static void test_corpus(void **state)
{
    (void)state;
    int n = corpus_folder("ocrmypdf") + corpus_folder("docling");
    if (n == 0)
        fprintf(stderr, "no corpus at %s: its PDFs not rendered\n", corpus_dir());
}

int main(void)
{
    setenv("G_MESSAGES_DEBUG", "all", 1); /* test_silent: would show poppler's */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a4_at_200_dpi),
        cmocka_unit_test(test_minimums_raise_dpi),
        cmocka_unit_test(test_max_pixels_lowers_dpi),
        cmocka_unit_test(test_three_pages),
        cmocka_unit_test(test_landscape),
        cmocka_unit_test(test_rotate),
        cmocka_unit_test(test_encrypted),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_page_sizes),
        cmocka_unit_test(test_standard_font),
        cmocka_unit_test(test_scan_downsampled_smoothly),
        cmocka_unit_test(test_two_threads),
        cmocka_unit_test(test_silent),
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
