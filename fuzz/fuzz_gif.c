/* libFuzzer target: pf_gif_decode on arbitrary bytes (giflib's record
 * reader: the first frame onto the logical screen, the other frames
 * counted). */
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[PF_ERR_LEN];
    pf_decoded dec;
    pf_gif_decode(data, size, 4u * 1000 * 1000, &dec, err);
    pf_decoded_free(&dec);
    return 0;
}
