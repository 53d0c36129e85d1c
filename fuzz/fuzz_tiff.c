/* libFuzzer target: pf_tiff_decode on arbitrary bytes (libtiff from memory:
 * the IFD chain count, page selection, the RGBA reader, orientation, ICC,
 * the GPS IFD). The first page, then the last one the file claims. */
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[PF_ERR_LEN];
    pf_decoded dec;
    const uint64_t max_pixels = 4u * 1000 * 1000; /* keep each run fast */
    pf_status st = pf_tiff_decode(data, size, max_pixels, 0, &dec, err);
    int pages = st == PF_OK ? dec.pages : 0;
    pf_decoded_free(&dec);
    if (pages > 1) {
        pf_tiff_decode(data, size, max_pixels, pages - 1, &dec, err);
        pf_decoded_free(&dec);
    }
    return 0;
}
