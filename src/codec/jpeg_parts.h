/* What jpeg_codec.c shares with jpeg_rdo.c, the other file that drives
 * libjpeg: its error manager, memory sink and encoder settings. */
#ifndef PF_JPEG_PARTS_H
#define PF_JPEG_PARTS_H

#include "internal.h"

#include <setjmp.h>
#include <stdio.h> /* jpeglib.h needs FILE */

#include <jpeglib.h>

typedef struct {
    struct jpeg_error_mgr pub; /* first: libjpeg hands us a pointer to it */
    jmp_buf jump;
    pf_status status;          /* what a jump means for our caller */
    int warnings;
    int hit_end;               /* the decoder asked for bytes past the end */
    char message[JMSG_LENGTH_MAX];
    char first_warning[JMSG_LENGTH_MAX];
} codec_error;

/* Errors longjmp to e->jump (set by the caller's guarded function);
 * warnings are counted, nothing is printed. */
void pf_jpeg_error_init(codec_error *e);

/* Our own growable memory destination. jpeg_mem_dest would do, but after an
 * error its live buffer is private to libjpeg and leaks (and the pointer it
 * gave us may already be freed); here the job owns the buffer throughout:
 * buf (free() it), length cap - pub.free_in_buffer. */
typedef struct {
    struct jpeg_destination_mgr pub; /* first: libjpeg sees only this */
    uint8_t *buf;
    size_t cap;
} mem_sink;

void pf_jpeg_sink_attach(j_compress_ptr c, mem_sink *sink);
/* An encoder's first and last steps: clears the outputs and err; then,
 * whatever happened, hands the finished file to the caller (*out, free()
 * it) or puts libjpeg's error in err, and releases the compressor and
 * any buffer left. Returns st. */
void pf_jpeg_encode_begin(uint8_t **out, size_t *out_len, char *err);
pf_status pf_jpeg_encode_end(pf_status st, j_compress_ptr c, codec_error *e,
                             mem_sink *sink, uint8_t **out, size_t *out_len,
                             char *err);

/* Size, our quantization tables at a fractional quality, 4:2:0 (or 4:4:4
 * when full_chroma), optimized Huffman codes, progressive, JFIF. */
void pf_jpeg_encode_settings(j_compress_ptr c, uint32_t width, uint32_t height,
                             double quality, int full_chroma);

#endif
