/* Applies an EXIF orientation to pixels so every check sees the image the
 * way a viewer that honours the tag would show it. */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* Where the output pixel (x, y) comes from in the stored image (w x h). */
static void source_of(int orientation, uint32_t x, uint32_t y, uint32_t w,
                      uint32_t h, uint32_t *sx, uint32_t *sy)
{
    switch (orientation) {
    case 2: *sx = w - 1 - x; *sy = y; break;             /* mirrored */
    case 3: *sx = w - 1 - x; *sy = h - 1 - y; break;     /* 180° */
    case 4: *sx = x; *sy = h - 1 - y; break;             /* flipped */
    case 5: *sx = y; *sy = x; break;                     /* transpose */
    case 6: *sx = y; *sy = h - 1 - x; break;             /* 90° clockwise */
    case 7: *sx = w - 1 - y; *sy = h - 1 - x; break;     /* transverse */
    case 8: *sx = w - 1 - y; *sy = x; break;             /* 90° anticlockwise */
    default: *sx = x; *sy = y; break;
    }
}

pf_status pf_orient_apply(pf_bitmap *bmp, int orientation)
{
    if (!bmp || !bmp->rgb)
        return PF_ERR_INVALID_ARG;
    if (orientation < 2 || orientation > 8)
        return PF_OK;
    int swap = orientation >= 5;
    uint32_t w = bmp->width, h = bmp->height;
    pf_bitmap out;
    pf_status st = pf_bitmap_alloc(&out, swap ? h : w, swap ? w : h);
    if (st != PF_OK)
        return st;
    for (uint32_t y = 0; y < out.height; y++) {
        uint8_t *dst = out.rgb + (size_t)y * out.width * 3;
        for (uint32_t x = 0; x < out.width; x++) {
            uint32_t sx, sy;
            source_of(orientation, x, y, w, h, &sx, &sy);
            memcpy(dst + (size_t)x * 3, bmp->rgb + ((size_t)sy * w + sx) * 3, 3);
        }
    }
    pf_bitmap_free(bmp);
    *bmp = out;
    return PF_OK;
}
