/* libFuzzer target: pf_pdf_decode (poppler-glib + cairo) on arbitrary
 * bytes: page 1 within 4 Mpx, and the last page within 1 Mpx with minimum
 * sides asked for when there are several. A success must hand back a
 * picture within the cap whose stored size is its size; a failure must
 * leave nothing allocated and say why (except out of memory). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* fontconfig (2.14.1 here) leaks a few hundred bytes loading its
 * configuration, once per process, the first time poppler looks for a font
 * a PDF names but does not embed. Not ours to free. */
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\n";
}

static int decode(const uint8_t *data, size_t size, uint64_t cap, int page,
                  uint32_t min_long, uint32_t min_short)
{
    pf_decoded dec;
    char err[PF_ERR_LEN] = "";
    pf_status st = pf_pdf_decode(data, size, cap, page, min_long, min_short, &dec, err);
    if (st == PF_OK) {
        if (!dec.bmp.rgb || dec.bmp.width == 0 || dec.bmp.height == 0 ||
            (uint64_t)dec.bmp.width * dec.bmp.height > cap ||
            dec.stored_width != dec.bmp.width || dec.stored_height != dec.bmp.height ||
            dec.pages < 1 || page >= dec.pages || dec.icc || dec.exif_orientation)
            abort();
    } else if (dec.bmp.rgb || dec.icc || (st != PF_ERR_NOMEM && !err[0])) {
        abort();
    }
    int pages = dec.pages;
    pf_decoded_free(&dec);
    return pages;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int pages = decode(data, size, 4000000, 0, 0, 0);
    if (pages > 1)
        decode(data, size, 1000000, pages - 1, 2000, 1500);
    return 0;
}
