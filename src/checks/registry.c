/* The table of check units: the one place that lists the checks, in the
 * order reports show them, and the loop that judges an image by them. */
#include "internal.h"

#include <string.h>

/* exposure comes before color: a photo too dark to read has lost its
 * colour too, and the advice should be to retake it in good light, not to
 * rescan it in colour (the first failure fix cannot mend is advised on). */
/* face comes before white-background and the focus figures: with no face
 * or two, "retake it alone, facing the camera" is the advice that helps. */
static const pf_check_unit *const units[] = {
    &pf_unit_format, &pf_unit_max_bytes, &pf_unit_min_bytes,
    &pf_unit_min_size, &pf_unit_max_size, &pf_unit_exposure, &pf_unit_color,
    &pf_unit_orientation, &pf_unit_transparency, &pf_unit_face,
    &pf_unit_white_background,
    &pf_unit_document_complete, &pf_unit_document_fill, &pf_unit_sharpness,
    &pf_unit_glare,
};
#define N_UNITS (sizeof units / sizeof units[0])

_Static_assert(N_UNITS == PF_CHECK_COUNT, "every pf_check_id has a unit");
_Static_assert(N_UNITS <= PF_MAX_CHECKS, "a report holds every check");

const pf_check_unit *pf_check_unit_of(pf_check_id id)
{
    for (size_t i = 0; i < N_UNITS; i++)
        if (units[i]->id == id)
            return units[i];
    return NULL;
}

const char *pf_check_name(pf_check_id id)
{
    const pf_check_unit *u = pf_check_unit_of(id);
    return u ? u->name : "unknown";
}

const char *pf_check_status_name(pf_check_status s)
{
    return s == PF_PASS ? "pass" : s == PF_WARN ? "warn" : "fail";
}

const char *pf_file_status_name(pf_file_status s)
{
    static const char *const names[] = {"pass", "fixed", "fail", "error"};
    return (unsigned)s < 4 ? names[s] : "error";
}

void pf_rules_evaluate(const pf_rules *rules, const pf_image_info *info,
                       pf_report *report)
{
    for (size_t i = 0; i < N_UNITS && report->n_checks < PF_MAX_CHECKS; i++) {
        if (!units[i]->applies(rules, info))
            continue;
        pf_check *c = &report->checks[report->n_checks++];
        memset(c, 0, sizeof *c);
        c->id = units[i]->id;
        units[i]->judge(rules, info, c);
        if (c->status == PF_WARN)
            report->warnings++;
    }
}

const pf_check *pf_unfixable_check(const pf_report *report, int whiten)
{
    for (int i = 0; i < report->n_checks; i++) {
        const pf_check *c = &report->checks[i];
        const pf_check_unit *u = pf_check_unit_of(c->id);
        if (c->status == PF_FAIL && u &&
            (u->fixable == 0 || (u->fixable == PF_FIX_BY_WHITEN && !whiten)))
            return c;
    }
    return NULL;
}
