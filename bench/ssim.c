/* Mean SSIM of two same-size PPM (P6) images on luma, 8x8 windows with a
 * stride of 4 and the usual constants. For bench/run only. */
#include <stdio.h>
#include <stdlib.h>

static double *read_luma(const char *path, int *w, int *h)
{
    FILE *f = fopen(path, "rb");
    int maxval;
    if (!f || fscanf(f, "P6 %d %d %d", w, h, &maxval) != 3 || maxval != 255) {
        if (f)
            fclose(f);
        return NULL;
    }
    fgetc(f);
    size_t n = (size_t)*w * *h;
    unsigned char *rgb = malloc(n * 3);
    double *y = malloc(n * sizeof *y);
    if (!rgb || !y || fread(rgb, 3, n, f) != n) {
        free(rgb), free(y), fclose(f);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        y[i] = 0.299 * rgb[i * 3] + 0.587 * rgb[i * 3 + 1] + 0.114 * rgb[i * 3 + 2];
    free(rgb);
    fclose(f);
    return y;
}

int main(int argc, char **argv)
{
    int w, h, w2, h2;
    if (argc != 3)
        return fprintf(stderr, "usage: ssim a.ppm b.ppm\n"), 2;
    double *a = read_luma(argv[1], &w, &h), *b = read_luma(argv[2], &w2, &h2);
    if (!a || !b || w != w2 || h != h2)
        return fprintf(stderr, "ssim: unreadable or different sizes\n"), 1;
    const double c1 = 6.5025, c2 = 58.5225; /* (0.01*255)^2, (0.03*255)^2 */
    double total = 0;
    long windows = 0;
    for (int y0 = 0; y0 + 8 <= h; y0 += 4) {
        for (int x0 = 0; x0 + 8 <= w; x0 += 4) {
            double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
            for (int y = y0; y < y0 + 8; y++)
                for (int x = x0; x < x0 + 8; x++) {
                    double p = a[(size_t)y * w + x], q = b[(size_t)y * w + x];
                    sa += p, sb += q, saa += p * p, sbb += q * q, sab += p * q;
                }
            double ma = sa / 64, mb = sb / 64;
            double va = saa / 64 - ma * ma, vb = sbb / 64 - mb * mb;
            double cov = sab / 64 - ma * mb;
            total += ((2 * ma * mb + c1) * (2 * cov + c2)) /
                     ((ma * ma + mb * mb + c1) * (va + vb + c2));
            windows++;
        }
    }
    printf("%.5f\n", windows ? total / windows : 1.0);
    free(a), free(b);
    return 0;
}
