/* The face-check photo (核验照片): exactly one frontal face, wholly in the
 * picture and large enough to be verified. What the detector sees is in
 * info->face (measure/face.c). */
#include "internal.h"

#include <stdio.h>

static int wants_face(const pf_rules *rules, const pf_image_info *info)
{
    return (rules->image_checks & PF_RULE_FACE) && info->face.measured;
}

/* "the top edge", "the left and right edges" ...: where the face box runs
 * out of the picture. */
static const char *describe_sides(unsigned sides)
{
    switch (sides & (PF_SIDE_TOP | PF_SIDE_BOTTOM | PF_SIDE_LEFT | PF_SIDE_RIGHT)) {
    case PF_SIDE_TOP: return _("the top edge");
    case PF_SIDE_BOTTOM: return _("the bottom edge");
    case PF_SIDE_LEFT: return _("the left edge");
    case PF_SIDE_RIGHT: return _("the right edge");
    default: return _("the edges");
    }
}

static void judge_face(const pf_rules *rules, const pf_image_info *info,
                       pf_check *c)
{
    const pf_face *f = &info->face;
    c->numeric = 1;
    snprintf(c->value, sizeof c->value, "%d", f->count);
    snprintf(c->limit, sizeof c->limit, "1");
    c->status = PF_FAIL;
    if (f->count == 0) {
        pf_set_message(c->message, sizeof c->message, "%s",
                       _("no face found (is the face turned away or covered?)"));
    } else if (f->count > 1) {
        pf_set_message(c->message, sizeof c->message,
                       P_("%d face found: the photo must show only you",
                          "%d faces found: the photo must show only you",
                          (unsigned long)f->count), f->count);
    } else if (f->cut_sides) {
        pf_set_message(c->message, sizeof c->message, _("the face is cut off by "
                       "%s of the picture"), describe_sides(f->cut_sides));
    } else if (f->size < rules->warn_face_size) {
        c->status = f->size < rules->min_face_size ? PF_FAIL : PF_WARN;
        pf_set_message(c->message, sizeof c->message, c->status == PF_FAIL
                       ? _("the face is too small to be checked: %.0f%% of the "
                           "picture's height (at least %.0f%%)")
                       : _("the face is small: %.0f%% of the picture's height "
                           "(%.0f%% or more is safer)"), f->size * 100,
                       (c->status == PF_FAIL ? rules->min_face_size
                                             : rules->warn_face_size) * 100);
    } else {
        c->status = PF_PASS;
        pf_set_message(c->message, sizeof c->message, _("one face, whole, %.0f%% "
                       "of the picture's height"), f->size * 100);
    }
}

static void advise_face(const pf_image_info *info, char *buf, size_t cap)
{
    const pf_face *f = &info->face;
    if (f->count == 0)
        pf_set_message(buf, cap, "%s", _("no face found; retake the photo facing "
                       "the camera, face uncovered (no mask, sunglasses or hand), "
                       "in good light"));
    else if (f->count > 1)
        pf_set_message(buf, cap, _("%d faces in the photo; retake it with only you "
                       "in the picture"), f->count);
    else if (f->cut_sides)
        pf_set_message(buf, cap, "%s", _("the face is cut off; retake the photo "
                       "with the whole head and the shoulders in the picture"));
    else
        pf_set_message(buf, cap, "%s", _("the face is too small; retake the photo "
                       "closer, the head and shoulders filling the picture"));
}

const pf_check_unit pf_unit_face = {
    PF_CHECK_FACE, "face", wants_face, judge_face, 0, advise_face};
