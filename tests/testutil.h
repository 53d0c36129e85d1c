/* Image generators and file helpers shared by the tests. Built with libjpeg
 * and libpng directly, so tests do not depend on the code under test. */
#ifndef PF_TESTUTIL_H
#define PF_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

enum tu_pattern {
    TU_PATTERN_COLOR,   /* smooth colour gradients + mild noise, photo-like */
    TU_PATTERN_GREY,    /* same structure, R = G = B */
    TU_PATTERN_FLAT,    /* one colour (200, 60, 40) */
    TU_PATTERN_SMOOTH   /* slow colour waves, faint grain: small JPEGs */
};

/* The C standard's example LCG: 0..32767, deterministic for a state. */
unsigned tu_rand(unsigned *state);

/* w*h*3 RGB pixels; free(). Deterministic for a given seed. */
uint8_t *tu_make_rgb(uint32_t w, uint32_t h, enum tu_pattern pattern,
                     unsigned seed);

/* JPEG via libjpeg. components: 1 (grey: takes the R channel), 3 (YCbCr),
 * 4 (Adobe CMYK, inverted as Photoshop writes it). exif: an APP1 payload
 * ("Exif\0\0"...) or NULL. progressive: 0/1. Returns 0 on success; free(). */
int tu_jpeg(const uint8_t *rgb, uint32_t w, uint32_t h, int components,
            int quality, int progressive, const uint8_t *exif, size_t exif_len,
            uint8_t **out, size_t *out_len);

/* Decodes every scanline of a JPEG file with libjpeg: 0 with its size and
 * component count, -1 when it cannot be decoded. *warnings (may be NULL)
 * counts data libjpeg had to work around: a truncated file gives one. */
int tu_decode_jpeg(const char *path, unsigned *w, unsigned *h, int *comps,
                   long *warnings);

/* PNG via libpng from RGB, converted to color_type (0 grey, 2 RGB, 3 palette,
 * 4 grey+alpha, 6 RGBA) and bit_depth; alpha: if non-NULL, w*h 8-bit alpha.
 * exif: bare TIFF block for an eXIf chunk, or NULL. Returns 0; free(). */
int tu_png(const uint8_t *rgb, const uint8_t *alpha, uint32_t w, uint32_t h,
           int color_type, int bit_depth, int interlace, const uint8_t *exif,
           size_t exif_len, uint8_t **out, size_t *out_len);

/* An EXIF block holding only an Orientation tag (and a GPS IFD if gps).
 * with_header: prefix "Exif\0\0" (JPEG APP1) or bare TIFF (PNG eXIf).
 * big_endian selects "MM". Returns the length written into buf (cap >= 128). */
size_t tu_exif_orientation(int orientation, int gps, int with_header,
                           int big_endian, uint8_t *buf, size_t cap);

/* An ID-card-like card (pale ground, photo box, lines of dark characters)
 * on a wood-grain table, w x h RGB (free()), the card's corners at corners
 * (TL, TR, BR, BL, pixels; they may lie outside the picture), edges
 * antialiased, then blurred by three box passes of radius blur (0: none;
 * about a Gaussian of sigma blur). NULL for a degenerate quadrilateral. */
uint8_t *tu_card_scene(uint32_t w, uint32_t h, const double corners[4][2],
                       int blur, unsigned seed);

/* Paints [x0, x1) x [y0, y1) (rounded, clipped to the picture) of a w x h
 * RGB image in one colour. */
void tu_fill_rect(uint8_t *rgb, uint32_t w, uint32_t h, double x0, double y0,
                  double x1, double y1, const uint8_t colour[3]);

/* A JPEG's luma sampling byte from its frame header: 0x22 for 4:2:0,
 * 0x11 for 4:4:4; -1 when there is no baseline or progressive frame. */
int tu_luma_sampling(const uint8_t *jpg, size_t len);

/* Files. */
int tu_write(const char *path, const uint8_t *data, size_t len);
uint8_t *tu_read(const char *path, size_t *len);   /* not NUL-terminated; NULL on failure */
char *tu_mkdtemp(void);                            /* free(); under /tmp */
void tu_rm_rf(const char *dir);
/* Runs a shell command and captures its stdout, NUL-terminated, into *out
 * (free(); add 2>&1 to the command for stderr); returns the exit status, -1
 * when it could not run or was killed. */
int tu_run(const char *cmd, char **out);
/* A file's content, NUL-terminated (free()); NULL when it cannot be read. */
char *tu_read_text(const char *path);
/* How many times needle occurs in s, without overlaps. */
size_t tu_count(const char *s, const char *needle);

/* The program under test: env PF_BIN, else build/preflight. */
const char *tu_pf_bin(void);
/* 1 when program is on PATH (python3, chromium, script). */
int tu_have(const char *program);
/* Headless Chromium's --dump-dom of file://<html_path><hash> (hash: "" or
 * "#fail"): the DOM after the page's script ran (free()); NULL on failure. */
char *tu_render_html(const char *html_path, const char *hash);
/* tu_run of a printf-formatted command (up to 16 KiB; -1 when longer). */
int tu_runf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
