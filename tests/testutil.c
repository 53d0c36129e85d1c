/* Test-only generators. Uses libjpeg and libpng directly (never the code
 * under test) so that a decoder bug cannot hide behind a matching encoder. */
#include "testutil.h"

#include <dirent.h>
#include <setjmp.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <jpeglib.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

unsigned tu_rand(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return (*state >> 16) & 0x7fff;
}

static uint8_t clamp_u8(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

uint8_t *tu_make_rgb(uint32_t w, uint32_t h, enum tu_pattern pattern,
                     unsigned seed)
{
    uint8_t *px = malloc((size_t)w * h * 3);
    if (!px)
        return NULL;
    unsigned state = seed * 2654435761u + 1;
    for (uint32_t y = 0; y < h; y++) {
        for (uint32_t x = 0; x < w; x++) {
            uint8_t *p = px + ((size_t)y * w + x) * 3;
            if (pattern == TU_PATTERN_FLAT) {
                p[0] = 200, p[1] = 60, p[2] = 40;
                continue;
            }
            if (pattern == TU_PATTERN_SMOOTH) {
                /* Slow waves of colour with faint grain: few bytes per pixel. */
                double u = (double)x / w, v = (double)y / h;
                int n = (int)(tu_rand(&state) % 5) - 2;
                p[0] = clamp_u8((int)(120 + 80 * sin(6 * u)) + n);
                p[1] = clamp_u8((int)(130 + 70 * cos(5 * v)) + n);
                p[2] = clamp_u8((int)(140 + 60 * sin(4 * (u + v))) + n);
                continue;
            }
            int noise = (int)(tu_rand(&state) % 17) - 8;
            int r = (int)(x * 255 / (w ? w : 1)) + noise;
            int g = (int)(y * 255 / (h ? h : 1)) + noise;
            int b = (int)(((x + y) * 97 / 7) % 256) / 2 + 64 + noise;
            if (pattern == TU_PATTERN_GREY) {
                int v = (r * 3 + g * 6 + b) / 10;
                r = g = b = v;
            }
            p[0] = clamp_u8(r), p[1] = clamp_u8(g), p[2] = clamp_u8(b);
        }
    }
    return px;
}

int tu_jpeg(const uint8_t *rgb, uint32_t w, uint32_t h, int components,
            int quality, int progressive, const uint8_t *exif, size_t exif_len,
            uint8_t **out, size_t *out_len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    unsigned char *mem = NULL;
    unsigned long mem_len = 0;
    uint8_t *row = malloc((size_t)w * 4);
    if (!row)
        return -1;
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &mem, &mem_len);
    c.image_width = w;
    c.image_height = h;
    c.input_components = components;
    c.in_color_space = components == 1 ? JCS_GRAYSCALE
                       : components == 4 ? JCS_CMYK : JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, quality, TRUE);
    if (progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    if (exif && exif_len)
        jpeg_write_marker(&c, JPEG_APP0 + 1, exif, (unsigned)exif_len);
    while (c.next_scanline < h) {
        const uint8_t *src = rgb + (size_t)c.next_scanline * w * 3;
        for (uint32_t x = 0; x < w; x++) {
            if (components == 1) {
                row[x] = src[x * 3];
            } else if (components == 4) {
                /* Adobe-style inverted CMYK: stored C' = 255 - C = R, K' = 255. */
                row[x * 4] = src[x * 3];
                row[x * 4 + 1] = src[x * 3 + 1];
                row[x * 4 + 2] = src[x * 3 + 2];
                row[x * 4 + 3] = 255;
            } else {
                memcpy(row + x * 3, src + x * 3, 3);
            }
        }
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    *out = mem;
    *out_len = mem_len;
    return 0;
}

struct jpeg_error_jump {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
};

static void on_jpeg_error(j_common_ptr cinfo)
{
    longjmp(((struct jpeg_error_jump *)cinfo->err)->jump, 1);
}

/* Counts warnings (data libjpeg had to work around) without printing. */
static void on_jpeg_message(j_common_ptr cinfo, int level)
{
    if (level < 0)
        cinfo->err->num_warnings++;
}

int tu_decode_jpeg(const char *path, unsigned *w, unsigned *h, int *comps,
                   long *warnings)
{
    size_t len = 0;
    uint8_t *data = tu_read(path, &len);
    if (!data)
        return -1;
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_jump err;
    JSAMPLE *row = NULL;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = on_jpeg_error;
    err.mgr.emit_message = on_jpeg_message;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(row);
        free(data);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    jpeg_start_decompress(&cinfo);
    row = malloc((size_t)cinfo.output_width * cinfo.output_components);
    while (row && cinfo.output_scanline < cinfo.output_height)
        jpeg_read_scanlines(&cinfo, &row, 1);
    *w = cinfo.output_width;
    *h = cinfo.output_height;
    *comps = cinfo.num_components;
    jpeg_finish_decompress(&cinfo);
    if (warnings)
        *warnings = err.mgr.num_warnings;
    int rc = row ? 0 : -1;
    jpeg_destroy_decompress(&cinfo);
    free(row);
    free(data);
    return rc;
}

static uint8_t grey_of(const uint8_t *p)
{
    return p[0];
}

/* Palette of the distinct colours, or -1 when more than max_entries. */
static int build_palette(const uint8_t *rgb, const uint8_t *alpha, size_t n,
                         int max_entries, png_color *pal, uint8_t *trns,
                         uint8_t *index)
{
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = rgb + i * 3;
        uint8_t a = alpha ? alpha[i] : 255;
        int k;
        for (k = 0; k < count; k++)
            if (pal[k].red == p[0] && pal[k].green == p[1] &&
                pal[k].blue == p[2] && trns[k] == a)
                break;
        if (k == count) {
            if (count == max_entries)
                return -1;
            pal[k].red = p[0], pal[k].green = p[1], pal[k].blue = p[2];
            trns[k] = a;
            count++;
        }
        index[i] = (uint8_t)k;
    }
    return count;
}

static void put_sample(uint8_t *row, uint32_t i, int bit_depth, unsigned v)
{
    if (bit_depth == 16) {
        row[i * 2] = (uint8_t)(v >> 8);
        row[i * 2 + 1] = (uint8_t)v;
    } else if (bit_depth == 8) {
        row[i] = (uint8_t)v;
    } else {
        unsigned per = 8 / (unsigned)bit_depth;
        unsigned shift = (unsigned)(8 - bit_depth) - (i % per) * (unsigned)bit_depth;
        row[i / per] |= (uint8_t)(v << shift);
    }
}

static unsigned scale_sample(uint8_t v, int bit_depth)
{
    if (bit_depth == 16)
        return v * 257u;
    return (unsigned)v >> (8 - bit_depth);
}

struct mem_sink {
    uint8_t *data;
    size_t len, cap;
};

static void sink_write(png_structp png, png_bytep buf, png_size_t n)
{
    struct mem_sink *s = png_get_io_ptr(png);
    if (s->len + n > s->cap) {
        size_t cap = (s->cap + n) * 2;
        uint8_t *d = realloc(s->data, cap);
        if (!d)
            png_error(png, "oom");
        s->data = d, s->cap = cap;
    }
    memcpy(s->data + s->len, buf, n);
    s->len += n;
}

static void sink_flush(png_structp png)
{
    (void)png;
}

struct png_layout {
    uint32_t w, h;
    int color_type, bit_depth, interlace;
    const png_color *pal;
    const uint8_t *trns;
    int npal;
    const uint8_t *exif;
    size_t exif_len;
};

/* The one setjmp of the PNG writer, apart from the pixel packing above so
 * that no local changes after it. */
static int encode_png_rows(const struct png_layout *L, uint8_t *rows,
                           size_t rowbytes, struct mem_sink *sink)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        if (png)
            png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_set_write_fn(png, sink, sink_write, sink_flush);
    png_set_IHDR(png, info, L->w, L->h, L->bit_depth, L->color_type,
                 L->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (L->color_type == 3) {
        png_set_PLTE(png, info, L->pal, L->npal);
        int has_trns = 0;
        for (int k = 0; k < L->npal; k++)
            has_trns |= L->trns[k] != 255;
        if (has_trns)
            png_set_tRNS(png, info, L->trns, L->npal, NULL);
    }
    if (L->exif && L->exif_len)
        png_set_eXIf_1(png, info, (png_uint_32)L->exif_len, (png_bytep)L->exif);
    png_write_info(png, info);
    int passes = png_set_interlace_handling(png);
    for (int pass = 0; pass < passes; pass++)
        for (uint32_t y = 0; y < L->h; y++)
            png_write_row(png, rows + y * rowbytes);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int tu_png(const uint8_t *rgb, const uint8_t *alpha, uint32_t w, uint32_t h,
           int color_type, int bit_depth, int interlace, const uint8_t *exif,
           size_t exif_len, uint8_t **out, size_t *out_len)
{
    size_t n = (size_t)w * h;
    int channels = color_type == 0 ? 1 : color_type == 2 ? 3 : color_type == 3 ? 1
                   : color_type == 4 ? 2 : 4;
    size_t rowbytes = ((size_t)w * channels * bit_depth + 7) / 8;
    uint8_t *rows = calloc(h ? h : 1, rowbytes);
    uint8_t *index = malloc(n ? n : 1);
    png_color pal[256];
    uint8_t trns[256];
    int npal = 0;
    struct mem_sink sink = {0};
    if (!rows || !index)
        goto fail;
    if (color_type == 3) {
        npal = build_palette(rgb, alpha, n, 1 << bit_depth, pal, trns, index);
        if (npal < 0)
            goto fail;
    }
    for (uint32_t y = 0; y < h; y++) {
        uint8_t *row = rows + y * rowbytes;
        for (uint32_t x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            const uint8_t *p = rgb + i * 3;
            uint8_t a = alpha ? alpha[i] : 255;
            uint32_t s = x * (uint32_t)channels;
            switch (color_type) {
            case 0: put_sample(row, s, bit_depth, scale_sample(grey_of(p), bit_depth)); break;
            case 3: put_sample(row, s, bit_depth, index[i]); break;
            case 4:
                put_sample(row, s, bit_depth, scale_sample(grey_of(p), bit_depth));
                put_sample(row, s + 1, bit_depth, scale_sample(a, bit_depth));
                break;
            default:
                for (int c = 0; c < 3; c++)
                    put_sample(row, s + (uint32_t)c, bit_depth, scale_sample(p[c], bit_depth));
                if (color_type == 6)
                    put_sample(row, s + 3, bit_depth, scale_sample(a, bit_depth));
            }
        }
    }
    struct png_layout layout = {w, h, color_type, bit_depth, interlace, pal, trns,
                                npal, exif, exif_len};
    if (encode_png_rows(&layout, rows, rowbytes, &sink) != 0)
        goto fail;
    free(rows);
    free(index);
    *out = sink.data;
    *out_len = sink.len;
    return 0;
fail:
    free(rows);
    free(index);
    free(sink.data);
    return -1;
}

static void put16(uint8_t *p, unsigned v, int be)
{
    if (be)
        p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
    else
        p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v, int be)
{
    if (be) {
        put16(p, v >> 16, 1);
        put16(p + 2, v & 0xffff, 1);
    } else {
        put16(p, v & 0xffff, 0);
        put16(p + 2, v >> 16, 0);
    }
}

static void put_entry(uint8_t *e, unsigned tag, unsigned type, uint32_t count,
                      const uint8_t value[4], int be)
{
    put16(e, tag, be);
    put16(e + 2, type, be);
    put32(e + 4, count, be);
    memcpy(e + 8, value, 4);
}

size_t tu_exif_orientation(int orientation, int gps, int with_header,
                           int big_endian, uint8_t *buf, size_t cap)
{
    size_t hdr = with_header ? 6 : 0;
    unsigned n = gps ? 2 : 1;
    size_t ifd0_end = 8 + 2 + 12 * n + 4;
    size_t total = hdr + ifd0_end + (gps ? 2 + 12 + 4 : 0);
    if (cap < total)
        return 0;
    memset(buf, 0, total);
    if (with_header)
        memcpy(buf, "Exif\0\0", 6);
    uint8_t *t = buf + hdr;
    memcpy(t, big_endian ? "MM\0*" : "II*\0", 4);
    put32(t + 4, 8, big_endian);
    put16(t + 8, n, big_endian);
    uint8_t v[4] = {0};
    put16(v, (unsigned)orientation, big_endian);
    put_entry(t + 10, 0x0112, 3, 1, v, big_endian);
    if (gps) {
        put32(v, (uint32_t)ifd0_end, big_endian);
        put_entry(t + 22, 0x8825, 4, 1, v, big_endian);
        uint8_t *g = t + ifd0_end;
        put16(g, 1, big_endian);
        uint8_t ref[4] = {'N', 0, 0, 0};
        put_entry(g + 2, 0x0001, 2, 2, ref, big_endian);
    }
    return total;
}

int tu_write(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = len ? fwrite(data, 1, len, f) : 0;
    int rc = fclose(f);
    return (n == len && rc == 0) ? 0 : -1;
}

uint8_t *tu_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0;
    uint8_t *data = malloc(cap);
    while (data) {
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        uint8_t *d = realloc(data, cap * 2);
        if (!d) {
            free(data);
            data = NULL;
            break;
        }
        data = d, cap *= 2;
    }
    fclose(f);
    *len = n;
    return data;
}

char *tu_mkdtemp(void)
{
    char *dir = strdup("/tmp/pftest.XXXXXX");
    if (dir && !mkdtemp(dir)) {
        free(dir);
        return NULL;
    }
    return dir;
}

void tu_rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        unlink(dir);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(len);
        if (!p)
            break;
        snprintf(p, len, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            tu_rm_rf(p);
        else
            unlink(p);
        free(p);
    }
    closedir(d);
    rmdir(dir);
}

int tu_run(const char *cmd, char **out)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            char *b = realloc(buf, cap * 2);
            if (!b)
                break;
            buf = b, cap *= 2;
        }
    }
    if (buf)
        buf[n] = '\0';
    int status = pclose(p);
    if (out)
        *out = buf;
    else
        free(buf);
    if (status == -1 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

char *tu_read_text(const char *path)
{
    size_t len = 0;
    uint8_t *data = tu_read(path, &len);
    char *text = data ? realloc(data, len + 1) : NULL;
    if (!text) {
        free(data);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

size_t tu_count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

const char *tu_pf_bin(void)
{
    const char *bin = getenv("PF_BIN");
    return bin && *bin ? bin : "build/preflight";
}

int tu_have(const char *program)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v '%s' >/dev/null 2>&1", program);
    return tu_run(cmd, NULL) == 0;
}

char *tu_render_html(const char *html_path, const char *hash)
{
    char cmd[8192], *dom = NULL;
    snprintf(cmd, sizeof cmd, "timeout 60 chromium --headless --no-sandbox --disable-gpu "
             "--disable-dev-shm-usage --dump-dom 'file://%s%s' 2>/dev/null", html_path, hash);
    if (tu_run(cmd, &dom) != 0) {
        free(dom);
        return NULL;
    }
    return dom;
}

int tu_runf(char **out, const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof cmd) {
        if (out)
            *out = NULL;
        return -1;
    }
    return tu_run(cmd, out);
}

/* ---- a card on a table ---- */

/* Homography taking the unit square's corners (0,0) (1,0) (1,1) (0,1) to
 * q's four points, inverted: h maps image (x, y) to card (u, v). */
static int unit_square_inverse(const double q[4][2], double h[9])
{
    double x0 = q[0][0], y0 = q[0][1], x1 = q[1][0], y1 = q[1][1];
    double x2 = q[2][0], y2 = q[2][1], x3 = q[3][0], y3 = q[3][1];
    double dx1 = x1 - x2, dx2 = x3 - x2, dy1 = y1 - y2, dy2 = y3 - y2;
    double sx = x0 - x1 + x2 - x3, sy = y0 - y1 + y2 - y3;
    double den = dx1 * dy2 - dx2 * dy1;
    if (den == 0)
        return -1;
    double g = (sx * dy2 - dx2 * sy) / den, k = (dx1 * sy - sx * dy1) / den;
    double m[9] = {x1 - x0 + g * x1, x3 - x0 + k * x3, x0,
                   y1 - y0 + g * y1, y3 - y0 + k * y3, y0, g, k, 1};
    /* The inverse by the adjugate (the scale does not matter). */
    h[0] = m[4] * m[8] - m[5] * m[7], h[1] = m[2] * m[7] - m[1] * m[8];
    h[2] = m[1] * m[5] - m[2] * m[4], h[3] = m[5] * m[6] - m[3] * m[8];
    h[4] = m[0] * m[8] - m[2] * m[6], h[5] = m[2] * m[3] - m[0] * m[5];
    h[6] = m[3] * m[7] - m[4] * m[6], h[7] = m[1] * m[6] - m[0] * m[7];
    h[8] = m[0] * m[4] - m[1] * m[3];
    return 0;
}

/* The card's face at (u, v) in 0..1: a pale blue-grey ground, a photo box
 * and lines of dark "characters" (what an ID card's 人像面 looks like). */
static void card_texel(double u, double v, double rgb[3])
{
    double ground[3] = {228 - 20 * v, 232 - 12 * v, 238 - 6 * u};
    for (int c = 0; c < 3; c++)
        rgb[c] = ground[c];
    if (u > 0.66 && u < 0.92 && v > 0.14 && v < 0.76) {
        double shade = 150 + 60 * sin(u * 40) * cos(v * 30);
        rgb[0] = shade, rgb[1] = shade * 0.85, rgb[2] = shade * 0.8;
        return;
    }
    for (int line = 0; line < 6; line++) {
        double top = 0.12 + line * 0.13, len = line == 5 ? 0.85 : 0.45 + 0.03 * line;
        if (v < top || v > top + 0.06 || u < 0.06 || u > 0.06 + len)
            continue;
        /* Characters: 0.04 wide cells with strokes inside. */
        double cu = fmod((u - 0.06) / 0.04, 1.0), cv = (v - top) / 0.06;
        int stroke = (cu > 0.15 && cu < 0.3) || (cv > 0.45 && cv < 0.6 && cu < 0.85) ||
                     (cu > 0.65 && cu < 0.8 && cv > 0.2);
        if (stroke)
            rgb[0] = 35, rgb[1] = 35, rgb[2] = 45;
    }
}

static void table_texel(double x, double y, unsigned *seed, double rgb[3])
{
    double grain = 18 * sin(y * 0.05 + 3 * sin(x * 0.004)) + 8 * sin(y * 0.31);
    double noise = (double)(tu_rand(seed) % 9) - 4;
    rgb[0] = 122 + grain + noise, rgb[1] = 82 + grain * 0.7 + noise;
    rgb[2] = 52 + grain * 0.4 + noise;
}

/* Separable box blur, three passes of radius r: close to a Gaussian of
 * sigma = r (a phone's out-of-focus blur). */
static void box_blur3(uint8_t *px, uint32_t w, uint32_t h, int r)
{
    size_t n = (w > h ? w : h);
    double *line = malloc(n * sizeof *line);
    if (!line || r < 1) {
        free(line);
        return;
    }
    for (int pass = 0; pass < 6; pass++) {
        int horizontal = pass % 2 == 0;
        uint32_t count = horizontal ? h : w, len = horizontal ? w : h;
        for (uint32_t a = 0; a < count; a++)
            for (int c = 0; c < 3; c++) {
                for (uint32_t b = 0; b < len; b++) {
                    size_t i = horizontal ? (size_t)a * w + b : (size_t)b * w + a;
                    line[b] = px[i * 3 + c];
                }
                for (uint32_t b = 0; b < len; b++) {
                    double sum = 0;
                    for (int d = -r; d <= r; d++) {
                        long k = (long)b + d;
                        k = k < 0 ? 0 : k >= (long)len ? (long)len - 1 : k;
                        sum += line[k];
                    }
                    size_t i = horizontal ? (size_t)a * w + b : (size_t)b * w + a;
                    px[i * 3 + c] = clamp_u8((int)(sum / (2 * r + 1) + 0.5));
                }
            }
    }
    free(line);
}

uint8_t *tu_card_scene(uint32_t w, uint32_t h, const double corners[4][2],
                       int blur, unsigned seed)
{
    double hm[9];
    uint8_t *px = malloc((size_t)w * h * 3);
    unsigned state = seed * 2654435761u + 7;
    if (!px || unit_square_inverse(corners, hm) != 0) {
        free(px);
        return NULL;
    }
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            double sum[3] = {0, 0, 0}, rgb[3];
            /* 2 x 2 samples: the card's edge antialiased. */
            for (int s = 0; s < 4; s++) {
                double fx = x + 0.25 + 0.5 * (s & 1), fy = y + 0.25 + 0.5 * (s >> 1);
                double d = hm[6] * fx + hm[7] * fy + hm[8];
                double u = (hm[0] * fx + hm[1] * fy + hm[2]) / d;
                double v = (hm[3] * fx + hm[4] * fy + hm[5]) / d;
                if (u >= 0 && u <= 1 && v >= 0 && v <= 1)
                    card_texel(u, v, rgb);
                else
                    table_texel(fx, fy, &state, rgb);
                for (int c = 0; c < 3; c++)
                    sum[c] += rgb[c] / 4;
            }
            uint8_t *p = px + ((size_t)y * w + x) * 3;
            for (int c = 0; c < 3; c++)
                p[c] = clamp_u8((int)(sum[c] + 0.5));
        }
    box_blur3(px, w, h, blur);
    return px;
}

void tu_fill_rect(uint8_t *rgb, uint32_t w, uint32_t h, double x0, double y0,
                  double x1, double y1, const uint8_t colour[3])
{
    for (long y = lround(y0); y < lround(y1) && y < (long)h; y++)
        for (long x = lround(x0); x < lround(x1) && x < (long)w; x++)
            if (x >= 0 && y >= 0)
                memcpy(rgb + ((size_t)y * w + (size_t)x) * 3, colour, 3);
}

int tu_luma_sampling(const uint8_t *jpg, size_t len)
{
    for (size_t i = 2; i + 12 < len; i++)
        if (jpg[i] == 0xFF && (jpg[i + 1] == 0xC0 || jpg[i + 1] == 0xC2))
            return jpg[i + 11];
    return -1;
}
