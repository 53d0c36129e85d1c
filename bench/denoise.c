/* For bench/denoise only: one picture (a P6 PPM at the output size) encoded
 * to just under a byte budget in three ways -- as it is, with libjpeg's
 * encoder-side smoothing (smoothing_factor), and through preflight's noise
 * filter at each strength fix may use -- each at the highest quality that
 * fits (bisection on the fractional quality).
 *
 * Usage: bench-denoise IN.ppm OUT_PREFIX MAX_BYTES
 * Prints one line per variant: name quality bytes path. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>

#define BISECTIONS 14

static int read_ppm(const char *path, pf_bitmap *bmp)
{
    unsigned w, h, maxval;
    FILE *f = fopen(path, "rb");
    int ok = f && fscanf(f, "P6 %u %u %u", &w, &h, &maxval) == 3 && maxval == 255 &&
             fgetc(f) != EOF && pf_bitmap_alloc(bmp, w, h) == PF_OK &&
             fread(bmp->rgb, 3, (size_t)w * h, f) == (size_t)w * h;
    if (f)
        fclose(f);
    return ok;
}

/* Writes the best fit under max_bytes to path; its quality, or -1. */
static double fit(const pf_bitmap *bmp, int smoothing, size_t max_bytes,
                  const char *path, size_t *best_len)
{
    double lo = 1, hi = 100, best_q = -1;
    uint8_t *best = NULL;
    char err[PF_ERR_LEN];
    *best_len = 0;
    for (int i = 0; i < BISECTIONS; i++) {
        double q = (lo + hi) / 2;
        uint8_t *data = NULL;
        size_t len = 0;
        if (pf_jpeg_encode_smoothed(bmp, q, 0, smoothing, &data, &len, err) != PF_OK)
            break;
        if (len <= max_bytes) {
            free(best);
            best = data, *best_len = len, best_q = q, lo = q;
        } else {
            free(data);
            hi = q;
        }
    }
    FILE *f = best ? fopen(path, "wb") : NULL;
    if (!f || fwrite(best, 1, *best_len, f) != *best_len)
        best_q = -1;
    if (f)
        fclose(f);
    free(best);
    return best_q;
}

static void report(const char *name, const pf_bitmap *bmp, int smoothing,
                   size_t max_bytes, const char *prefix)
{
    char path[1024];
    size_t len;
    snprintf(path, sizeof path, "%s.%s.jpg", prefix, name);
    double q = fit(bmp, smoothing, max_bytes, path, &len);
    if (q > 0)
        printf("%s %.2f %zu %s\n", name, q, len, path);
}

int main(int argc, char **argv)
{
    static const int smoothings[] = {10, 25, 50, 100};
    pf_bitmap bmp;
    if (argc != 4 || !read_ppm(argv[1], &bmp)) {
        fprintf(stderr, "usage: bench-denoise IN.ppm OUT_PREFIX MAX_BYTES\n");
        return 2;
    }
    size_t max_bytes = strtoul(argv[3], NULL, 10);
    double sigma = pf_noise_sigma(&bmp);
    char name[64];
    report("none", &bmp, 0, max_bytes, argv[2]);
    for (size_t i = 0; i < sizeof smoothings / sizeof smoothings[0]; i++) {
        snprintf(name, sizeof name, "libjpeg-smoothing-%d", smoothings[i]);
        report(name, &bmp, smoothings[i], max_bytes, argv[2]);
    }
    pf_denoise_params p;
    for (int step = 0; pf_denoise_strength(sigma, step, &p); step++) {
        pf_bitmap clean;
        if (pf_denoise(&bmp, &p, &clean) != PF_OK)
            return 1;
        snprintf(name, sizeof name, "filter-k%g", p.luma_k);
        report(name, &clean, 0, max_bytes, argv[2]);
        pf_bitmap_free(&clean);
    }
    pf_bitmap_free(&bmp);
    return 0;
}
