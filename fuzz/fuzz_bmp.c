/* libFuzzer target: pf_bmp_decode on arbitrary bytes (the header checks,
 * then stb_image). Inputs starting "BM" are what matters; others are
 * refused at once. */
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[PF_ERR_LEN];
    pf_decoded dec;
    pf_bmp_decode(data, size, 4u * 1000 * 1000, &dec, err);
    pf_decoded_free(&dec);
    return 0;
}
