/* libFuzzer target: colour management on arbitrary bytes, three ways.
 * As an ICC profile applied to a small bitmap (lcms's parser and transform
 * set-up via pf_colour_to_srgb); as a JPEG through pf_jpeg_decode (APP2
 * ICC_PROFILE chunk reassembly, CMYK through an embedded CMYK profile);
 * as a PNG through pf_png_decode (iCCP). A profile either decoder hands on
 * is then applied to the picture it came with. */
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SIDE 16
#define MAX_PIXELS (4u * 1000 * 1000) /* keep each run fast */

static void apply(pf_bitmap *bmp, const uint8_t *icc, size_t len)
{
    char err[PF_ERR_LEN];
    pf_colour_to_srgb(bmp, icc, len, NULL, err);
}

static void decode_and_apply(const uint8_t *data, size_t size, int png)
{
    pf_decoded dec;
    char err[PF_ERR_LEN];
    pf_status st = png ? pf_png_decode(data, size, MAX_PIXELS, &dec, err)
                       : pf_jpeg_decode(data, size, MAX_PIXELS, 8, &dec, err);
    if (st != PF_OK)
        return;
    apply(&dec.bmp, dec.icc, dec.icc_len);
    pf_decoded_free(&dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t rgb[SIDE * SIDE * 3];
    for (size_t i = 0; i < sizeof rgb; i++)
        rgb[i] = (uint8_t)(i * 37 + (i / 3) * 11); /* every channel varies */
    pf_bitmap bmp = {SIDE, SIDE, rgb};
    apply(&bmp, data, size);
    decode_and_apply(data, size, 0);
    decode_and_apply(data, size, 1);
    return 0;
}
