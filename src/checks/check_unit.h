/* A check as one unit: its name, whether the rules ask for it, how it judges
 * the measures against the rule, and what fix can do about a failure.
 * Adding a check: a pf_check_id, a unit in a checks/ file, one line in the
 * table of checks/registry.c. Included by internal.h. */
#ifndef PF_CHECK_UNIT_H
#define PF_CHECK_UNIT_H

#define PF_FIX_BY_WHITEN 2

typedef struct {
    pf_check_id id;
    const char *name;   /* stable: JSON, CSV, --check, profile fields */
    /* 1 when the rules ask for it and what it judges was measured. */
    int (*applies)(const pf_rules *rules, const pf_image_info *info);
    /* Sets c->status, numeric, value, limit and message (c->id is set). */
    void (*judge)(const pf_rules *rules, const pf_image_info *info, pf_check *c);
    /* What fix can do about a failure: 0 nothing (the file is refused),
     * 1 resizing or re-encoding mends it, PF_FIX_BY_WHITEN only --whiten. */
    int fixable;
    /* For a failure fix cannot mend: what to do, e.g. "retake the photo
     * holding the phone steady" (NULL: the check's message says it). */
    void (*advise)(const pf_image_info *info, char *buf, size_t cap);
} pf_check_unit;

/* The units in report order. */
extern const pf_check_unit pf_unit_format, pf_unit_max_bytes, pf_unit_min_bytes,
    pf_unit_min_size, pf_unit_max_size, pf_unit_color, pf_unit_orientation,
    pf_unit_transparency,
    pf_unit_white_background, pf_unit_sharpness, pf_unit_document_complete,
    pf_unit_document_fill, pf_unit_glare, pf_unit_exposure, pf_unit_face;

/* The unit of a check id (NULL for an unknown id). */
const pf_check_unit *pf_check_unit_of(pf_check_id id);

/* The first failed check fix cannot mend (with --whiten when whiten). */
const pf_check *pf_unfixable_check(const pf_report *report, int whiten);

#endif
