/* Privacy: nothing fix writes carries the input's metadata (GPS position,
 * serial numbers, owner, thumbnails, XMP, IPTC, comments) unless
 * --keep-metadata, on every path fix takes; the report says when an input
 * carried a GPS position. Inputs are built here with libexif, libjpeg and
 * libpng and stuffed with every kind of metadata; outputs are read back
 * with libexif and an independent marker / chunk walk. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <zlib.h>

#include <libexif/exif-data.h>

#include "preflight.h"
#include "testutil.h"

static const char *bin;
static char *in_dir;
/* Small sizes keep every path fast; the rules are the wechat ones else. */
#define RULES "--min-size 320x240"

/* The input's GPS latitude and longitude (N 39°54'27.12", E 116°23'30"). */
static const ExifRational latitude[3] = {{39, 1}, {54, 1}, {2712, 100}};
static const ExifRational longitude[3] = {{116, 1}, {23, 1}, {3000, 100}};

/* Every string below is planted in some metadata of the inputs; none may
 * appear anywhere in an output written without --keep-metadata. */
static const char *const secrets[] = {
    "SecretMake", "SecretModel", "Artist Li Na", "Copyright Li Na",
    "Owner Zhang Wei", "SN-BODY-4242", "xmp-secret-creator", "xmpext-secret",
    "iptc-secret-byline", "com-secret-comment", "com-between-scans",
    "jfxx-thumb-secret", "app15-secret", "mpf-secret", "trailer-secret",
    "png-author-secret", "itxt-xmp-secret", "thumb-secret", "adobe-tail-secret"};

/* ---- building EXIF with libexif ---- */

static void put_entry(ExifData *ed, ExifIfd ifd, ExifTag tag, ExifFormat format,
                      unsigned long n, const void *bytes)
{
    ExifMem *mem = exif_mem_new_default();
    ExifEntry *e = exif_entry_new_mem(mem);
    assert_non_null(e);
    e->size = exif_format_get_size(format) * n;
    e->data = exif_mem_alloc(mem, e->size);
    assert_non_null(e->data);
    memcpy(e->data, bytes, e->size);
    e->tag = tag, e->format = format, e->components = n;
    exif_content_add_entry(ed->ifd[ifd], e);
    exif_entry_unref(e);
    exif_mem_unref(mem);
}

static void put_text(ExifData *ed, ExifIfd ifd, ExifTag tag, const char *text)
{
    put_entry(ed, ifd, tag, EXIF_FORMAT_ASCII, strlen(text) + 1, text);
}

static void put_rationals(ExifData *ed, ExifTag tag, const ExifRational r[3])
{
    uint8_t b[24];
    for (int i = 0; i < 3; i++)
        exif_set_rational(b + 8 * i, EXIF_BYTE_ORDER_INTEL, r[i]);
    put_entry(ed, EXIF_IFD_GPS, tag, EXIF_FORMAT_RATIONAL, 3, b);
}

static uint8_t *insert_at(uint8_t *jpg, size_t *len, size_t at, int marker,
                          const void *payload, size_t n);

/* A small JPEG (the EXIF thumbnail) whose bytes carry a comment. */
static uint8_t *thumbnail_jpeg(size_t *len)
{
    uint8_t *rgb = tu_make_rgb(32, 24, TU_PATTERN_COLOR, 5), *jpg = NULL;
    assert_non_null(rgb);
    assert_int_equal(tu_jpeg(rgb, 32, 24, 3, 60, 0, NULL, 0, &jpg, len), 0);
    free(rgb);
    return insert_at(jpg, len, 2, 0xFE, "thumb-secret", 12);
}

/* An "Exif\0\0" APP1 payload: orientation, Make, Model, Artist, Copyright,
 * CameraOwnerName, BodySerialNumber, a GPS position and an IFD1 JPEG
 * thumbnail. free(). */
static uint8_t *camera_exif(int orientation, unsigned *len)
{
    ExifMem *mem = exif_mem_new_default();
    ExifData *ed = exif_data_new_mem(mem);
    uint8_t o[2], *out = NULL;
    size_t thumb_len = 0;
    assert_non_null(ed);
    exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
    exif_data_unset_option(ed, EXIF_DATA_OPTION_IGNORE_UNKNOWN_TAGS);
    exif_data_set_byte_order(ed, EXIF_BYTE_ORDER_INTEL);
    exif_set_short(o, EXIF_BYTE_ORDER_INTEL, (ExifShort)orientation);
    put_entry(ed, EXIF_IFD_0, EXIF_TAG_ORIENTATION, EXIF_FORMAT_SHORT, 1, o);
    put_text(ed, EXIF_IFD_0, EXIF_TAG_MAKE, "SecretMake");
    put_text(ed, EXIF_IFD_0, EXIF_TAG_MODEL, "SecretModel");
    put_text(ed, EXIF_IFD_0, EXIF_TAG_ARTIST, "Artist Li Na");
    put_text(ed, EXIF_IFD_0, EXIF_TAG_COPYRIGHT, "Copyright Li Na");
    put_text(ed, EXIF_IFD_EXIF, (ExifTag)0xA430, "Owner Zhang Wei");
    put_text(ed, EXIF_IFD_EXIF, (ExifTag)0xA431, "SN-BODY-4242");
    put_text(ed, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LATITUDE_REF, "N");
    put_rationals(ed, (ExifTag)EXIF_TAG_GPS_LATITUDE, latitude);
    put_text(ed, EXIF_IFD_GPS, (ExifTag)EXIF_TAG_GPS_LONGITUDE_REF, "E");
    put_rationals(ed, (ExifTag)EXIF_TAG_GPS_LONGITUDE, longitude);
    uint8_t *thumb = thumbnail_jpeg(&thumb_len);
    ed->data = exif_mem_alloc(mem, thumb_len);
    assert_non_null(ed->data);
    memcpy(ed->data, thumb, thumb_len);
    ed->size = (unsigned)thumb_len;
    free(thumb);
    exif_data_save_data(ed, &out, len);
    assert_non_null(out);
    assert_true(*len > 6 && memcmp(out, "Exif\0\0", 6) == 0);
    exif_data_unref(ed);
    exif_mem_unref(mem);
    return out;
}

/* ---- building JPEGs ---- */

/* jpg with the segment (marker, payload) inserted at offset at. */
static uint8_t *insert_at(uint8_t *jpg, size_t *len, size_t at, int marker,
                          const void *payload, size_t n)
{
    uint8_t *o = malloc(*len + n + 4);
    assert_non_null(o);
    assert_true(n + 2 <= 0xFFFF);
    memcpy(o, jpg, at);
    o[at] = 0xFF, o[at + 1] = (uint8_t)marker;
    o[at + 2] = (uint8_t)((n + 2) >> 8), o[at + 3] = (uint8_t)(n + 2);
    memcpy(o + at + 4, payload, n);
    memcpy(o + at + 4 + n, jpg + at, *len - at);
    free(jpg);
    *len += n + 4;
    return o;
}

/* Offset of the first marker after the APPn/COM run that follows SOI. */
static size_t after_app_segments(const uint8_t *d, size_t len)
{
    size_t pos = 2;
    while (pos + 4 <= len && d[pos] == 0xFF &&
           ((d[pos + 1] >= 0xE0 && d[pos + 1] <= 0xEF) || d[pos + 1] == 0xFE))
        pos += 2 + ((size_t)d[pos + 2] << 8 | d[pos + 3]);
    return pos;
}

/* Offset of the second SOS (0xFF 0xDA cannot occur in entropy data). */
static size_t second_scan(const uint8_t *d, size_t len)
{
    size_t first = after_app_segments(d, len), hits = 0;
    for (size_t i = first; i + 1 < len; i++)
        if (d[i] == 0xFF && d[i + 1] == 0xDA && ++hits == 2)
            return i;
    fail_msg("no second scan");
    return 0;
}

static uint8_t *append(uint8_t *jpg, size_t *len, const uint8_t *tail, size_t n)
{
    uint8_t *o = realloc(jpg, *len + n);
    assert_non_null(o);
    memcpy(o + *len, tail, n);
    *len += n;
    return o;
}

/* What a second MPF image after EOI looks like: a JPEG with EXIF (GPS). */
static uint8_t *trailer_image(size_t *len)
{
    uint8_t exif[128], *rgb = tu_make_rgb(16, 16, TU_PATTERN_COLOR, 9), *jpg = NULL;
    size_t exif_len = tu_exif_orientation(1, 1, 1, 0, exif, sizeof exif);
    assert_non_null(rgb);
    assert_int_equal(tu_jpeg(rgb, 16, 16, 3, 50, 0, exif, exif_len, &jpg, len), 0);
    free(rgb);
    return insert_at(jpg, len, 2, 0xFE, "trailer-secret", 14);
}

static const char xmp[] = "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x='adobe:ns:meta/'>"
                          "<dc:creator>xmp-secret-creator</dc:creator></x:xmpmeta>";
static const char xmp_ext[] = "http://ns.adobe.com/xmp/extension/\0"
                              "0123456789ABCDEF0123456789ABCDEF\0\0\0\x0d\0\0\0\0xmpext-secret";
static const char iptc[] = "Photoshop 3.0\0008BIM\x04\x04\0\0\0\0\0\x17"
                           "\x1c\x02\x50\0\x12iptc-secret-byline";
static const char icc[] = "ICC_PROFILE\0\1\1fake-profile";
/* Adobe APP14 (version 100, transform 1: YCbCr) with bytes past its 12. */
static const char adobe[] = "Adobe\0\x64\0\0\0\0\1adobe-tail-secret";

/* A camera JPEG of w x h: EXIF from camera_exif, XMP and extended XMP,
 * IPTC, a comment, a JFXX thumbnail, MPF, an ICC profile, a vendor APP15,
 * an Adobe marker with a tail (YCbCr ones: CMYK has its own); progressive ones get a comment between scans; a second image follows
 * EOI. */
static uint8_t *camera_jpeg(uint32_t w, uint32_t h, int components, int quality,
                            int progressive, int orientation, size_t *len)
{
    unsigned exif_len = 0;
    uint8_t *exif = camera_exif(orientation, &exif_len), *jpg = NULL;
    uint8_t *rgb = tu_make_rgb(w, h, TU_PATTERN_COLOR, 11), *tail;
    size_t tail_len;
    assert_non_null(rgb);
    assert_int_equal(tu_jpeg(rgb, w, h, components, quality, progressive, exif,
                             exif_len, &jpg, len), 0);
    free(rgb);
    free(exif);
    size_t at = after_app_segments(jpg, *len);
    jpg = insert_at(jpg, len, at, 0xE1, xmp, sizeof xmp - 1);
    jpg = insert_at(jpg, len, at, 0xE1, xmp_ext, sizeof xmp_ext - 1);
    jpg = insert_at(jpg, len, at, 0xED, iptc, sizeof iptc - 1);
    jpg = insert_at(jpg, len, at, 0xFE, "com-secret-comment", 18);
    jpg = insert_at(jpg, len, at, 0xE0, "JFXX\0\x10jfxx-thumb-secret", 23);
    jpg = insert_at(jpg, len, at, 0xE2, "MPF\0mpf-secret", 14);
    jpg = insert_at(jpg, len, at, 0xE2, icc, sizeof icc - 1);
    jpg = insert_at(jpg, len, at, 0xEF, "app15-secret", 12);
    if (components == 3)
        jpg = insert_at(jpg, len, at, 0xEE, adobe, sizeof adobe - 1);
    if (progressive)
        jpg = insert_at(jpg, len, second_scan(jpg, *len), 0xFE, "com-between-scans", 17);
    tail = trailer_image(&tail_len);
    jpg = append(jpg, len, tail, tail_len);
    free(tail);
    return jpg;
}

static void write_file(const char *name, const uint8_t *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", in_dir, name);
    assert_int_equal(tu_write(path, data, len), 0);
}

/* ---- building PNGs ---- */

static uint8_t *insert_chunk(uint8_t *png, size_t *len, const char *type,
                             const void *data, size_t n)
{
    size_t at = 8 + 12 + 13; /* after IHDR */
    uint8_t *o = malloc(*len + n + 12);
    assert_non_null(o);
    memcpy(o, png, at);
    uint8_t *c = o + at;
    c[0] = (uint8_t)(n >> 24), c[1] = (uint8_t)(n >> 16), c[2] = (uint8_t)(n >> 8),
    c[3] = (uint8_t)n;
    memcpy(c + 4, type, 4);
    memcpy(c + 8, data, n);
    uLong crc = crc32(crc32(0, Z_NULL, 0), c + 4, (uInt)(n + 4));
    c[8 + n] = (uint8_t)(crc >> 24), c[9 + n] = (uint8_t)(crc >> 16);
    c[10 + n] = (uint8_t)(crc >> 8), c[11 + n] = (uint8_t)crc;
    memcpy(c + 12 + n, png + at, *len - at);
    free(png);
    *len += n + 12;
    return o;
}

/* A flat-colour PNG (small when compressed) with eXIf (GPS, serial,
 * owner), tEXt Author, zTXt, iTXt XMP and tIME; alpha: some pixels
 * transparent, so fix converts it to JPEG. */
static uint8_t *camera_png(uint32_t w, uint32_t h, int alpha, size_t *len)
{
    unsigned exif_len = 0;
    uint8_t *exif = camera_exif(1, &exif_len), *png = NULL, *a = NULL;
    uint8_t *rgb = tu_make_rgb(w, h, TU_PATTERN_FLAT, 1);
    static const char ztxt[] = "Comment\0\0x\x9c\x2b\xaa\x28\xa9\x28\xd1\x2d\x4e\x4d\x2e"
                               "\x4a\x2d\x01\x00\x2b\x4b\x05\x4b";
    static const char itxt[] = "XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta>itxt-xmp-secret"
                               "</x:xmpmeta>";
    static const uint8_t time[7] = {0x07, 0xE8, 1, 2, 3, 4, 5};
    assert_non_null(rgb);
    if (alpha) {
        a = malloc((size_t)w * h);
        assert_non_null(a);
        memset(a, 255, (size_t)w * h);
        memset(a, 0, w * 4); /* a transparent band on top */
    }
    assert_int_equal(tu_png(rgb, a, w, h, alpha ? 6 : 2, 8, 0, exif + 6, exif_len - 6,
                            &png, len), 0);
    png = insert_chunk(png, len, "tEXt", "Author\0png-author-secret", 24);
    png = insert_chunk(png, len, "zTXt", ztxt, sizeof ztxt - 1);
    png = insert_chunk(png, len, "iTXt", itxt, sizeof itxt - 1);
    png = insert_chunk(png, len, "tIME", time, sizeof time);
    free(exif);
    free(rgb);
    free(a);
    return png;
}

/* A face photo: a dark head and shoulders on a cream (light, not quite
 * white) wall, which --whiten lifts. */
static uint8_t *face_jpeg(size_t *len)
{
    uint32_t w = 300, h = 400;
    unsigned exif_len = 0;
    uint8_t *rgb = malloc((size_t)w * h * 3), *exif = camera_exif(1, &exif_len), *jpg = NULL;
    assert_non_null(rgb);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            long dx = (long)x - 150, dy = (long)y - 170;
            int person = dx * dx * 4 + dy * dy * 3 < 70 * 70 * 4 || (y > 290 && x > 30 && x < 270);
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            p[0] = person ? 160 : 240, p[1] = person ? 105 : 233, p[2] = person ? 80 : 218;
        }
    assert_int_equal(tu_jpeg(rgb, w, h, 3, 90, 0, exif, exif_len, &jpg, len), 0);
    free(rgb);
    free(exif);
    return insert_at(jpg, len, after_app_segments(jpg, *len), 0xFE, "com-secret-comment", 18);
}

/* ---- reading outputs back ---- */

typedef struct {
    int marker;
    const uint8_t *payload;
    size_t len;
} segment;

typedef struct {
    segment seg[64];
    int n;
    size_t after_eoi; /* bytes after EOI */
} jpeg_walk;

static int starts(const segment *s, const char *magic, size_t n)
{
    return s->len >= n && memcmp(s->payload, magic, n) == 0;
}

/* Every segment of a JPEG, scans skipped, up to EOI. */
static void walk_jpeg(const uint8_t *d, size_t len, jpeg_walk *w)
{
    size_t pos = 2;
    memset(w, 0, sizeof *w);
    assert_true(len > 4 && d[0] == 0xFF && d[1] == 0xD8);
    while (pos + 1 < len) {
        assert_int_equal(d[pos], 0xFF);
        int m = d[pos + 1];
        if (m == 0xD9) {
            w->after_eoi = len - pos - 2;
            return;
        }
        assert_true(pos + 4 <= len && w->n < 64);
        size_t n = (size_t)d[pos + 2] << 8 | d[pos + 3];
        assert_true(n >= 2 && pos + 2 + n <= len);
        w->seg[w->n++] = (segment){m, d + pos + 4, n - 2};
        pos += 2 + n;
        while (m == 0xDA && pos + 1 < len &&
               (d[pos] != 0xFF || d[pos + 1] == 0 || (d[pos + 1] >= 0xD0 && d[pos + 1] <= 0xD7)))
            pos++;
    }
    assert_true(pos + 1 >= len); /* a truncated file ends inside its last scan */
}

static int has_secret(const uint8_t *d, size_t len)
{
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        if (memmem(d, len, secrets[i], strlen(secrets[i]))) {
            print_error("found \"%s\"\n", secrets[i]);
            return 1;
        }
    return 0;
}

/* No metadata at all: only the JFIF header (no thumbnail), ICC and Adobe
 * (12 bytes) among the APPn, no COM, nothing after EOI, and libexif finds
 * no EXIF anywhere in the file. */
static void assert_clean_jpeg(const uint8_t *d, size_t len)
{
    jpeg_walk w;
    walk_jpeg(d, len, &w);
    for (int i = 0; i < w.n; i++) {
        const segment *s = &w.seg[i];
        assert_int_not_equal(s->marker, 0xFE);
        if (s->marker == 0xE0) {
            assert_true(starts(s, "JFIF\0", 5) && s->len == 14);
            assert_true(s->payload[12] == 0 && s->payload[13] == 0);
        } else if (s->marker == 0xE2) {
            assert_true(starts(s, "ICC_PROFILE\0", 12));
        } else if (s->marker == 0xEE) {
            assert_true(starts(s, "Adobe", 5) && s->len == 12);
        } else {
            assert_false(s->marker >= 0xE0 && s->marker <= 0xEF);
        }
    }
    assert_int_equal(w.after_eoi, 0);
    assert_false(has_secret(d, len));
    ExifData *ed = exif_data_new_from_data(d, (unsigned)len);
    assert_non_null(ed);
    for (int i = 0; i < EXIF_IFD_COUNT; i++)
        assert_int_equal(ed->ifd[i]->count, 0);
    assert_null(ed->data);
    exif_data_unref(ed);
}

/* The metadata kept with --keep-metadata: EXIF that libexif reads with the
 * input's GPS position and owner, orientation 1 and (re-encoded: no IFD1
 * thumbnail); XMP, IPTC and the comment. */
static void assert_kept_metadata(const uint8_t *d, size_t len, int thumbnail)
{
    jpeg_walk w;
    const segment *exif = NULL;
    int xmp_seen = 0, iptc_seen = 0, com_seen = 0;
    walk_jpeg(d, len, &w);
    for (int i = 0; i < w.n; i++) {
        const segment *s = &w.seg[i];
        if (s->marker == 0xE1 && starts(s, "Exif\0\0", 6))
            exif = exif ? exif : s;
        xmp_seen |= s->marker == 0xE1 && starts(s, "http://ns.adobe.com/xap/1.0/", 28);
        iptc_seen |= s->marker == 0xED && starts(s, "Photoshop 3.0", 13);
        com_seen |= s->marker == 0xFE && starts(s, "com-secret-comment", 18);
    }
    assert_true(exif && xmp_seen && iptc_seen && com_seen);
    ExifData *ed = exif_data_new_from_data(exif->payload, (unsigned)exif->len);
    assert_non_null(ed);
    ExifByteOrder order = exif_data_get_byte_order(ed);
    ExifEntry *e = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
    assert_true(e && e->size >= 2 && exif_get_short(e->data, order) == 1);
    const ExifRational *want[2] = {latitude, longitude};
    ExifTag tags[2] = {(ExifTag)EXIF_TAG_GPS_LATITUDE, (ExifTag)EXIF_TAG_GPS_LONGITUDE};
    for (int k = 0; k < 2; k++) {
        e = exif_content_get_entry(ed->ifd[EXIF_IFD_GPS], tags[k]);
        assert_true(e && e->components == 3 && e->size == 24);
        for (int i = 0; i < 3; i++) {
            ExifRational r = exif_get_rational(e->data + 8 * i, order);
            assert_true(r.numerator == want[k][i].numerator &&
                        r.denominator == want[k][i].denominator);
        }
    }
    e = exif_content_get_entry(ed->ifd[EXIF_IFD_EXIF], (ExifTag)0xA430);
    assert_true(e && e->size == 16 && memcmp(e->data, "Owner Zhang Wei", 16) == 0);
    assert_int_equal(ed->data != NULL, thumbnail);
    assert_int_equal(ed->ifd[EXIF_IFD_1]->count > 0, thumbnail);
    /* Not just unlinked: the thumbnail's bytes are gone. */
    assert_int_equal(memmem(d, len, "thumb-secret", 12) != NULL, thumbnail);
    exif_data_unref(ed);
}

/* No tEXt, zTXt, iTXt, eXIf or tIME; libexif finds no EXIF in the file. */
static void assert_clean_png(const uint8_t *d, size_t len)
{
    static const char *const gone[] = {"tEXt", "zTXt", "iTXt", "eXIf", "tIME"};
    size_t pos = 8;
    assert_true(len > 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0);
    while (pos + 12 <= len) {
        size_t n = (size_t)d[pos] << 24 | (size_t)d[pos + 1] << 16 |
                   (size_t)d[pos + 2] << 8 | d[pos + 3];
        for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
            assert_memory_not_equal(d + pos + 4, gone[i], 4);
        pos += n + 12;
    }
    assert_int_equal(pos, len);
    assert_false(has_secret(d, len));
}

/* ---- running the program ---- */

/* A file's bytes as a C string. */
static char *text_of(const char *path)
{
    size_t len = 0;
    uint8_t *d = tu_read(path, &len), *text = d ? realloc(d, len + 1) : NULL;
    assert_non_null(text);
    text[len] = '\0';
    return (char *)text;
}

/* "PF_BIN <args>"; the exit status, stdout (and what args redirect) in *out. */
static int preflight(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int preflight(char **out, const char *fmt, ...)
{
    char cmd[8192];
    int n = snprintf(cmd, sizeof cmd, "'%s' ", bin);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd + n, sizeof cmd - (size_t)n, fmt, ap);
    va_end(ap);
    char *text = NULL;
    int status = tu_run(cmd, &text);
    assert_non_null(text);
    if (out)
        *out = text;
    else
        free(text);
    return status;
}

/* fix on one input of in_dir into a fresh folder; the output's bytes. */
static uint8_t *fix_one(const char *name, const char *options, const char *out_name,
                        const char *said, size_t *len)
{
    char *dir = tu_mkdtemp(), path[4096], *report = NULL;
    assert_non_null(dir);
    assert_int_equal(preflight(&report, "fix %s %s -o '%s' '%s/%s'", RULES, options, dir,
                               in_dir, name), 0);
    if (!strstr(report, said))
        fail_msg("%s: \"%s\" not in the report:\n%s", name, said, report);
    free(report);
    snprintf(path, sizeof path, "%s/%s", dir, out_name);
    uint8_t *data = tu_read(path, len);
    assert_non_null(data);
    assert_int_equal(preflight(NULL, "check %s %s '%s'",
                               strstr(options, "face") ? "-p face --skip face" : RULES, "", path), 0);
    tu_rm_rf(dir);
    free(dir);
    return data;
}

/* fix writes out_name, saying said, and it carries no metadata. */
static void assert_fix_is_clean(const char *name, const char *options,
                                const char *out_name, const char *said)
{
    size_t len;
    uint8_t *out = fix_one(name, options, out_name, said, &len);
    if (strstr(out_name, ".png"))
        assert_clean_png(out, len);
    else
        assert_clean_jpeg(out, len);
    free(out);
}

/* ---- fixtures ---- */

static int setup_inputs(void **state)
{
    (void)state;
    size_t len;
    uint8_t *d;
    bin = getenv("PF_BIN");
    if (!bin || !*bin)
        bin = "build/preflight";
    if (!(in_dir = tu_mkdtemp()))
        return -1;
    d = camera_jpeg(320, 240, 3, 80, 1, 1, &len); /* passes: copied */
    write_file("copy.jpg", d, len), free(d);
    d = camera_jpeg(240, 320, 3, 80, 0, 6, &len); /* whole MCUs: lossless turn */
    write_file("rotate.jpg", d, len), free(d);
    d = camera_jpeg(1000, 750, 3, 98, 0, 1, &len); /* over 200,000 B: resized */
    write_file("big.jpg", d, len), free(d);
    d = camera_jpeg(330, 250, 3, 90, 0, 8, &len); /* partial MCUs: re-encoded turn */
    write_file("turn.jpg", d, len), free(d);
    d = camera_jpeg(320, 240, 4, 85, 0, 1, &len); /* CMYK */
    write_file("cmyk.jpg", d, len), free(d);
    d = camera_png(320, 240, 0, &len);
    write_file("copy.png", d, len), free(d);
    d = camera_png(320, 240, 1, &len);
    write_file("alpha.png", d, len), free(d);
    d = face_jpeg(&len);
    write_file("face.jpg", d, len), free(d);
    return 0;
}

static int teardown_inputs(void **state)
{
    (void)state;
    if (in_dir)
        tu_rm_rf(in_dir);
    free(in_dir);
    return 0;
}

/* ---- tests ---- */

/* Every JPEG input really carries what the outputs must not. */
static void test_inputs_carry_everything(void **state)
{
    (void)state;
    char path[4096];
    size_t len;
    snprintf(path, sizeof path, "%s/copy.jpg", in_dir);
    uint8_t *d = tu_read(path, &len);
    assert_non_null(d);
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
        if (strncmp(secrets[i], "png-", 4) && strncmp(secrets[i], "itxt", 4))
            assert_non_null(memmem(d, len, secrets[i], strlen(secrets[i])));
    ExifData *ed = exif_data_new_from_data(d, (unsigned)len);
    assert_true(ed && ed->ifd[EXIF_IFD_GPS]->count == 4 && ed->data && ed->size > 0);
    exif_data_unref(ed);
    free(d);
}

/* The JPEG paths: copied as is, rotated losslessly, resized, rotated by
 * re-encoding, CMYK re-encoded. No EXIF, XMP, IPTC, comment, thumbnail or
 * trailer in any output; the copies keep their ICC profile. */
static void test_jpeg_outputs_carry_no_metadata(void **state)
{
    (void)state;
    static const struct { const char *name, *said; int icc; } cases[] = {
        {"copy.jpg", "copied as is, metadata removed", 1},
        {"rotate.jpg", "rotated upright losslessly", 1},
        {"big.jpg", "resized 1000", 0},
        {"turn.jpg", "rotated upright (EXIF orientation 8)", 0},
        {"cmyk.jpg", "JPEG quality", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len;
        uint8_t *out = fix_one(cases[i].name, "", cases[i].name, cases[i].said, &len);
        assert_clean_jpeg(out, len);
        assert_int_equal(memmem(out, len, "ICC_PROFILE", 11) != NULL, cases[i].icc);
        free(out);
    }
}

/* PNG copied as is: no text, EXIF or time chunks. PNG with transparency
 * converted to JPEG: no metadata either. */
static void test_png_outputs_carry_no_metadata(void **state)
{
    (void)state;
    assert_fix_is_clean("copy.png", "", "copy.png", "metadata removed");
    assert_fix_is_clean("alpha.png", "", "alpha.jpg", "converted PNG to JPEG");
}

/* The face profile with --whiten re-encodes: nothing of the input's EXIF. */
static void test_whitened_face_carries_no_metadata(void **state)
{
    (void)state;
    assert_fix_is_clean("face.jpg", "-p face --skip face --whiten", "face.jpg",
                        "whitened the background");
}

/* fix -o - -: the JPEG on stdout carries nothing either, copied or
 * re-encoded. */
static void test_pipe_output_carries_no_metadata(void **state)
{
    (void)state;
    static const char *const names[] = {"copy.jpg", "big.jpg"};
    char *dir = tu_mkdtemp(), path[4096];
    assert_non_null(dir);
    snprintf(path, sizeof path, "%s/out.jpg", dir);
    for (size_t i = 0; i < 2; i++) {
        size_t len;
        assert_int_equal(preflight(NULL, "fix %s -o - - < '%s/%s' > '%s' 2>/dev/null",
                                   RULES, in_dir, names[i], path), 0);
        uint8_t *out = tu_read(path, &len);
        assert_non_null(out);
        assert_clean_jpeg(out, len);
        free(out);
    }
    tu_rm_rf(dir);
    free(dir);
}

/* --keep-metadata: the copy keeps every byte; the lossless turn and the
 * re-encoded files keep EXIF (same GPS position, orientation 1), XMP,
 * IPTC and the comment; re-encoded ones lose the EXIF thumbnail, a picture
 * of the image before the fix. A PNG turned into a JPEG keeps nothing, and
 * the report says so. */
static void test_keep_metadata(void **state)
{
    (void)state;
    static const struct { const char *name; int thumbnail; const char *said; } cases[] = {
        {"rotate.jpg", 1, "kept the GPS position"},
        {"big.jpg", 0, "metadata kept (EXIF orientation set to 1, EXIF thumbnail removed)"},
        {"turn.jpg", 0, "kept the GPS position"},
    };
    size_t len, in_len;
    char path[4096];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *out = fix_one(cases[i].name, "--keep-metadata", cases[i].name,
                               cases[i].said, &len);
        assert_kept_metadata(out, len, cases[i].thumbnail);
        free(out);
    }
    uint8_t *out = fix_one("copy.jpg", "--keep-metadata", "copy.jpg", "copied as is", &len);
    snprintf(path, sizeof path, "%s/copy.jpg", in_dir);
    uint8_t *in = tu_read(path, &in_len);
    assert_true(in && in_len == len && memcmp(in, out, len) == 0);
    free(in);
    free(out);
    assert_fix_is_clean("alpha.png", "--keep-metadata", "alpha.jpg", "metadata not kept");
}

/* dir/name holds each of the texts. */
static void assert_file_says(const char *dir, const char *name, const char *text,
                             const char *more)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *got = text_of(path);
    if (!strstr(got, text) || (more && !strstr(got, more)))
        fail_msg("%s lacks \"%s\" or \"%s\":\n%s", name, text, more ? more : "", got);
    free(got);
}

/* The cell of the first data row under the header named column (quoted
 * fields, commas and doubled quotes inside them). */
static void csv_cell(const char *csv, const char *column, char *cell, size_t cap)
{
    char field[256];
    int row = 0, col = 0, want = -1;
    size_t n = 0;
    for (const char *p = csv; *p && row < 2; p++) {
        int quoted = 0;
        n = 0;
        for (; *p && (quoted || (*p != ',' && *p != '\r')); p++) {
            if (*p == '"' && quoted && p[1] == '"')
                p++;
            else if (*p == '"') {
                quoted = !quoted;
                continue;
            }
            if (n + 1 < sizeof field)
                field[n++] = *p;
        }
        field[n] = '\0';
        if (row == 0 && strcmp(field, column) == 0)
            want = col;
        if (row == 1 && col == want)
            snprintf(cell, cap, "%s", field);
        col++;
        if (*p == '\r')
            row++, col = 0, p++; /* past \n */
        if (!*p)
            break;
    }
    assert_true(want >= 0);
}

/* The report: fix says it removed the GPS position, check notes it; JSON
 * (top level: the file described; input.has_gps), CSV and HTML agree. */
static void test_report_notes_gps(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp(), *out = NULL, path[4096];
    assert_non_null(dir);
    assert_int_equal(preflight(&out, "check %s '%s/copy.jpg'", RULES, in_dir), 0);
    assert_non_null(strstr(out, "\n    note: input carries a GPS position (removed by fix)\n"));
    free(out);
    assert_int_equal(preflight(&out, "check %s --json --csv '%s/c.csv' --html '%s/c.html' "
                               "'%s/copy.jpg'", RULES, dir, dir, in_dir), 0);
    assert_non_null(strstr(out, "\"quality\":null,\"has_gps\":true,"));
    assert_non_null(strstr(out, "\"has_alpha\":false,\"has_gps\":true,"));
    free(out);
    assert_file_says(dir, "c.csv", ",\"message\",\"gps\",", ",\"present\",");
    snprintf(path, sizeof path, "%s/c.csv", dir);
    char *csv = text_of(path), gps[256];
    csv_cell(csv, "gps", gps, sizeof gps);
    assert_string_equal(gps, "present");
    free(csv);
    assert_file_says(dir, "c.html", "input carries a GPS position (removed by fix)", NULL);
    assert_int_equal(preflight(&out, "fix %s --json --csv '%s/f.csv' -o '%s/o' '%s/big.jpg'",
                               RULES, dir, dir, in_dir), 0);
    assert_non_null(strstr(out, "\"removed the GPS position and other metadata\""));
    assert_non_null(strstr(out, ",\"has_gps\":false,\"checks\""));
    assert_non_null(strstr(out, "\"has_alpha\":false,\"has_gps\":true,"));
    free(out);
    assert_file_says(dir, "f.csv", ",\"removed\",", NULL);
    assert_int_equal(preflight(&out, "fix %s --keep-metadata --force --json --csv '%s/f.csv' "
                               "-o '%s/o' '%s/big.jpg'", RULES, dir, dir, in_dir), 0);
    assert_non_null(strstr(out, ",\"has_gps\":true,\"checks\""));
    free(out);
    assert_file_says(dir, "f.csv", ",\"kept\",", NULL);
    /* No GPS, no note, an empty cell. */
    uint8_t *rgb = tu_make_rgb(320, 240, TU_PATTERN_COLOR, 2), *jpg = NULL;
    size_t len;
    assert_int_equal(tu_jpeg(rgb, 320, 240, 3, 80, 0, NULL, 0, &jpg, &len), 0);
    snprintf(path, sizeof path, "%s/plain.jpg", dir);
    assert_int_equal(tu_write(path, jpg, len), 0);
    free(jpg), free(rgb);
    assert_int_equal(preflight(&out, "check %s --csv '%s/n.csv' '%s'", RULES, dir, path), 0);
    assert_null(strstr(out, "GPS"));
    free(out);
    snprintf(path, sizeof path, "%s/n.csv", dir);
    csv = text_of(path);
    csv_cell(csv, "gps", gps, sizeof gps);
    assert_string_equal(gps, "");
    free(csv);
    tu_rm_rf(dir);
    free(dir);
}

/* ---- the shared corpus: real files with a GPS position ---- */

#define CORPUS "../shared/corpus"
#define MAX_GPS_FILES 32
static char *gps_files[MAX_GPS_FILES];
static int n_gps_files;

static int has_gps_ifd(const char *path)
{
    ExifData *ed = exif_data_new_from_file(path);
    int gps = ed && ed->ifd[EXIF_IFD_GPS]->count > 0;
    if (ed)
        exif_data_unref(ed);
    return gps;
}

static int collect_gps_file(const char *path, const struct stat *st, int type,
                            struct FTW *ftw)
{
    (void)st, (void)ftw;
    const char *dot = strrchr(path, '.');
    if (type == FTW_F && dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg")) &&
        n_gps_files < MAX_GPS_FILES && has_gps_ifd(path))
        gps_files[n_gps_files++] = strdup(path);
    return 0;
}

/* Each GPS entry of b holds the bytes of a's. */
static void assert_same_gps(ExifData *a, ExifData *b)
{
    ExifContent *ga = a->ifd[EXIF_IFD_GPS], *gb = b->ifd[EXIF_IFD_GPS];
    assert_true(ga->count > 0 && ga->count == gb->count);
    for (unsigned i = 0; i < ga->count; i++) {
        ExifEntry *e = exif_content_get_entry(gb, ga->entries[i]->tag);
        assert_true(e && e->size == ga->entries[i]->size);
        assert_memory_equal(e->data, ga->entries[i]->data, e->size);
    }
}

/* fix through the library (the same call the program makes), with the
 * colour rule and the byte limit off (corpus files are often grey, and
 * mostly metadata); reencode asks for a slightly larger size. */
static uint8_t *fix_corpus_file(const uint8_t *in, size_t len, int reencode, int keep,
                                size_t *out_len)
{
    pf_ctx *ctx = pf_ctx_new();
    pf_rules rules;
    pf_options options;
    pf_report report;
    uint8_t *out = NULL;
    assert_non_null(ctx);
    pf_profile_rules("wechat", &rules);
    rules.require_color = 0, rules.min_long = rules.min_short = 0;
    rules.max_bytes = 0;
    rules.image_checks = 0; /* metadata is the point here, not the picture */
    pf_options_default(&options);
    options.keep_metadata = keep;
    assert_int_equal(pf_ctx_set_rules(ctx, &rules), PF_OK);
    assert_int_equal(pf_ctx_set_options(ctx, &options), PF_OK);
    assert_int_equal(pf_check_buffer(ctx, in, len, "corpus", &report), PF_OK);
    uint32_t w = report.input.width, h = report.input.height;
    rules.min_long = reencode ? (w > h ? w : h) + 8 : 0;
    assert_int_equal(pf_ctx_set_rules(ctx, &rules), PF_OK);
    assert_int_equal(pf_fix_buffer(ctx, in, len, "corpus", &out, out_len, NULL, &report),
                     PF_OK);
    assert_true(report.has_output && report.input.has_gps);
    assert_int_equal(report.quality < 0, !reencode);
    pf_ctx_free(ctx);
    return out;
}

/* A file the library cannot read whole (ultrahdr.jpg is cut after its
 * scan header) gets no output at all, so nothing can leak. Returns 1 then. */
static int refused_writes_nothing(const uint8_t *in, size_t len, const char *path)
{
    pf_ctx *ctx = pf_ctx_new();
    pf_report report;
    uint8_t *out = NULL;
    size_t out_len = 0;
    assert_non_null(ctx);
    pf_status st = pf_fix_buffer(ctx, in, len, "corpus", &out, &out_len, NULL, &report);
    int refused = report.status == PF_FILE_ERROR;
    if (refused) {
        assert_int_not_equal(st, PF_OK);
        assert_null(out);
        print_message("%s: refused (%s), nothing written\n", path, report.message);
    }
    pf_free(out);
    pf_ctx_free(ctx);
    return refused;
}

/* Every corpus JPEG whose EXIF has a GPS IFD, copied and re-encoded:
 * without --keep-metadata no EXIF at all; with it the same GPS entries. */
static void test_corpus_gps_files(void **state)
{
    (void)state;
    if (nftw(CORPUS, collect_gps_file, 16, FTW_PHYS) != 0 || n_gps_files == 0) {
        print_message("no corpus files with a GPS position; skipped\n");
        return;
    }
    for (int i = 0; i < n_gps_files; i++) {
        size_t len, out_len;
        uint8_t *in = tu_read(gps_files[i], &len);
        if (refused_writes_nothing(in, len, gps_files[i])) {
            free(in);
            free(gps_files[i]);
            continue;
        }
        ExifData *in_exif = exif_data_new_from_data(in, (unsigned)len);
        assert_non_null(in_exif);
        for (int reencode = 0; reencode < 2; reencode++) {
            uint8_t *out = fix_corpus_file(in, len, reencode, 0, &out_len);
            assert_clean_jpeg(out, out_len);
            pf_free(out);
            out = fix_corpus_file(in, len, reencode, 1, &out_len);
            ExifData *out_exif = exif_data_new_from_data(out, (unsigned)out_len);
            assert_non_null(out_exif);
            assert_same_gps(in_exif, out_exif);
            exif_data_unref(out_exif);
            pf_free(out);
        }
        print_message("%s: GPS removed, and kept with --keep-metadata\n", gps_files[i]);
        exif_data_unref(in_exif);
        free(in);
        free(gps_files[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inputs_carry_everything),
        cmocka_unit_test(test_jpeg_outputs_carry_no_metadata),
        cmocka_unit_test(test_png_outputs_carry_no_metadata),
        cmocka_unit_test(test_whitened_face_carries_no_metadata),
        cmocka_unit_test(test_pipe_output_carries_no_metadata),
        cmocka_unit_test(test_keep_metadata),
        cmocka_unit_test(test_report_notes_gps),
        cmocka_unit_test(test_corpus_gps_files),
    };
    return cmocka_run_group_tests(tests, setup_inputs, teardown_inputs);
}
