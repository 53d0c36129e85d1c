/* libFuzzer target: pf_heif_decode (libheif + libde265) on arbitrary bytes,
 * under a 16 MP cap. Whatever the bytes: a status, no crash, no leak; on
 * success an upright RGB picture within the cap whose stored size is its
 * own, no orientation left to apply, a profile only with a length; on
 * failure nothing allocated and a message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"

#define CAP (16u * 1000 * 1000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pf_decoded dec;
    char err[PF_ERR_LEN] = "";
    pf_status st = pf_heif_decode(data, size, CAP, &dec, err);
    if (st == PF_OK) {
        const pf_bitmap *b = &dec.bmp;
        if (!b->rgb || b->width == 0 || b->height == 0 ||
            (uint64_t)b->width * b->height > CAP ||
            dec.stored_width != b->width || dec.stored_height != b->height ||
            dec.exif_orientation != 0 || (!dec.icc) != (dec.icc_len == 0) ||
            dec.pages < 1 || dec.animated)
            abort();
        /* Every pixel readable (ASan checks the whole bitmap). */
        volatile unsigned sum = 0;
        for (size_t i = 0; i < (size_t)b->width * b->height * 3; i += 61)
            sum += b->rgb[i];
        (void)sum;
    } else if (dec.bmp.rgb || dec.icc || (err[0] == '\0' && st != PF_ERR_NOMEM)) {
        abort();
    }
    pf_decoded_free(&dec);
    return 0;
}
