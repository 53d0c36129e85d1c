/* What the check pipeline (core/pipeline.c) shares with fix (fix/fix.c):
 * the context, the outcome messages, decoding upright and examining a file.
 * Not installed. */
#ifndef PF_CORE_PIPELINE_H
#define PF_CORE_PIPELINE_H

#include "internal.h"

#define PF_MAX_INPUT_BYTES (512u * 1024 * 1024)

struct pf_ctx {
    pf_rules rules;
    pf_options options;
    char error[PF_MSG_LEN];
};

/* name, or "(input)" for a buffer without one. */
const char *pf_shown(const char *name);
/* The file could not be read at all: status error, message kept in ctx. */
pf_status pf_set_error(pf_ctx *ctx, pf_report *report, pf_status st,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The file was read but nothing compliant can be made of it: status fail. */
pf_status pf_fail_unfixable(pf_ctx *ctx, pf_report *report, pf_status st,
                            const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Threads one call may use (pf_options.threads; 0 means two). */
int pf_call_threads(const pf_options *o);
/* w x h scaled so its long side is at most max_long (never enlarged). */
void pf_fit_long_side(uint32_t w, uint32_t h, uint32_t max_long, uint32_t *tw,
                      uint32_t *th);
/* Shrinks tw x th (keeping its proportions) into the rules' maximum
 * resolution, either way round; unchanged when it fits. */
void pf_fit_max_size(const pf_rules *r, uint32_t *tw, uint32_t *th);
/* The size fix makes of a w x h upright image. */
void pf_fix_dims(const pf_rules *r, uint32_t w, uint32_t h, uint32_t *tw,
                 uint32_t *th);
/* Decodes and orients; a JPEG shrunk while decoding to max_long on its long
 * side when given (UINT32_MAX: full size), else to the size fix makes. */
pf_status pf_decode_upright(const pf_ctx *ctx, const uint8_t *data, size_t len,
                            pf_format format, uint32_t max_long, pf_decoded *dec,
                            char err[PF_ERR_LEN]);
/* A decoder's failure as the file's error, naming what to do. */
pf_status pf_decode_error(pf_ctx *ctx, pf_report *report, pf_status st,
                          const char *name, pf_format format, const char *err);
/* Judges the image; with keep, the upright decoded image stays in *keep. */
pf_status pf_examine(pf_ctx *ctx, const uint8_t *data, size_t len,
                     const char *name, pf_report *report, pf_decoded *keep);
/* What to tell a person whose file fails. */
void pf_advise(pf_report *report, const char *name);
/* Reads an input file, or records why it cannot be read. */
pf_status pf_read_input(pf_ctx *ctx, const char *path, pf_report *report,
                        uint8_t **data, size_t *len);

#endif
