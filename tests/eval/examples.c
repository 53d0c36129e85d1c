/* The README's pictures of each image check (eval_checks --examples DIR):
 * a generated card on a table, whole and sharp, then cut off, blurred,
 * under glare, too dark, washed out and small in the frame. test_checks
 * asserts each still gets the verdict its name says. */
#include "eval.h"
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EX_W 960
#define EX_H 720

typedef enum { EX_GOOD, EX_CUT, EX_BLURRED, EX_GLARE, EX_DARK, EX_WASHED, EX_SMALL,
               EX_FAR } ex_kind;

static const char *const ex_names[] = {
    "card-good", "card-cut", "card-blurred", "card-glare", "card-dark",
    "card-washed-out", "card-small", "card-far"};

static void corners_at(double cx, double cy, double len, double deg, double q[4][2])
{
    double hw = len / 2, hh = len / 1.586 / 2, a = deg * M_PI / 180;
    const double sx[4] = {-1, 1, 1, -1}, sy[4] = {-1, -1, 1, 1};
    for (int i = 0; i < 4; i++) {
        q[i][0] = cx + sx[i] * hw * cos(a) - sy[i] * hh * sin(a);
        q[i][1] = cy + sx[i] * hw * sin(a) + sy[i] * hh * cos(a);
    }
}

static pf_status make_example(ex_kind kind, pf_bitmap *bmp)
{
    double q[4][2];
    if (kind == EX_CUT)
        corners_at(290, 380, 760, -3, q);       /* the left fifth off the frame */
    else if (kind == EX_SMALL)
        corners_at(520, 340, 450, 7, q);        /* a fifth of the picture */
    else if (kind == EX_FAR)
        corners_at(450, 380, 500, -6, q);       /* the phone held far back */
    else
        corners_at(480, 360, 760, -3, q);
    bmp->width = EX_W, bmp->height = EX_H;
    bmp->rgb = tu_card_scene(EX_W, EX_H, q, kind == EX_BLURRED ? 5 : 0, 11);
    if (!bmp->rgb)
        return PF_ERR_NOMEM;
    if (kind == EX_GLARE)
        eval_add_glare(bmp, 380, 300, 90, 1.0);
    else if (kind == EX_DARK)
        eval_exposure(bmp, 0.22, 1.0);
    else if (kind == EX_WASHED)
        eval_haze(bmp, 0.65, 1.0);
    return PF_OK;
}

int eval_examples(const char *dir)
{
    int rc = 0;
    for (size_t k = 0; k < sizeof ex_names / sizeof ex_names[0] && rc == 0; k++) {
        pf_bitmap bmp = {0, 0, NULL};
        uint8_t *jpg = NULL;
        size_t len = 0;
        char err[PF_ERR_LEN], path[PF_PATH_LEN];
        snprintf(path, sizeof path, "%s/%s.jpg", dir, ex_names[k]);
        if (make_example((ex_kind)k, &bmp) != PF_OK ||
            pf_jpeg_encode(&bmp, 82, &jpg, &len, err) != PF_OK ||
            tu_write(path, jpg, len) != 0)
            rc = -1;
        else
            printf("%s: %zu B\n", path, len);
        free(jpg);
        pf_bitmap_free(&bmp);
    }
    return rc;
}
