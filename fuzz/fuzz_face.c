/* libFuzzer target: the face detector (pf_detect_faces, dlib's HOG
 * detector behind face_detect.cc) on arbitrary bytes taken as a small grey
 * picture: byte 0 and byte 1 the width and height (1..96 each: dlib then
 * scans it upsampled, up to 192 px, about 0.1 s a run under the
 * sanitizers), the rest the pixels, repeated to fill. Whatever the pixels, it must return
 * PF_OK with at most max boxes, finite, largest first; no C++ exception may
 * reach here (one would abort through the C frames). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint32_t w = 1u + data[0] % 96u, h = 1u + data[1] % 96u;
    const uint8_t *px = data + 2;
    size_t npx = size - 2;
    pf_bitmap bmp;
    if (pf_bitmap_alloc(&bmp, w, h) != PF_OK)
        return 0;
    for (size_t i = 0; i < (size_t)w * h; i++)
        memset(bmp.rgb + i * 3, npx ? px[i % npx] : 0, 3);
    pf_face_box faces[PF_MAX_FACES];
    char err[PF_ERR_LEN] = "";
    int n = -1, max = 1 + (int)(size % PF_MAX_FACES);
    pf_status st = pf_detect_faces(&bmp, faces, max, &n, err);
    if (st != PF_OK || n < 0 || n > max)
        abort();
    for (int i = 0; i < n; i++) {
        if (!isfinite(faces[i].x) || !isfinite(faces[i].y) || !(faces[i].w > 0) ||
            !(faces[i].h > 0) || !isfinite(faces[i].score))
            abort();
        if (i > 0 && faces[i].w * faces[i].h > faces[i - 1].w * faces[i - 1].h)
            abort();
    }
    pf_bitmap_free(&bmp);
    return 0;
}
