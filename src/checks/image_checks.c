/* What reviewers reject beyond size: a document cut off by the frame, out
 * of focus, under glare, too dark or washed out. Judged on the figures of
 * measure/ (document.c, sharpness.c, glare.c, exposure.c); each has a fail
 * limit and a softer warn limit, so a borderline image warns instead of
 * failing: the user cannot fix what is not wrong. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int wants(const pf_rules *rules, const pf_image_info *info, unsigned bit)
{
    return (rules->image_checks & bit) && info->document.measured;
}

/* "card", "page" or "document", from the shape of the boundary found (in
 * the user's language: the words only go into messages). */
static const char *document_word(const pf_document *doc)
{
    if (!doc->found)
        /* TRANSLATORS: "card", "page", "document" and "picture" are what
           the messages about a photographed document call it ("the card's
           left edge is cut off", "the picture is in focus"). */
        return _("document");
    const double (*q)[2] = doc->corners;
    double top = hypot(q[1][0] - q[0][0], q[1][1] - q[0][1]);
    double bottom = hypot(q[2][0] - q[3][0], q[2][1] - q[3][1]);
    double left = hypot(q[3][0] - q[0][0], q[3][1] - q[0][1]);
    double right = hypot(q[2][0] - q[1][0], q[2][1] - q[1][1]);
    double a = top + bottom, b = left + right;
    double ratio = a > b ? a / (b > 0 ? b : 1) : b / (a > 0 ? a : 1);
    /* ID-1 is 1.586; A4 1.414, letter 1.294: perspective blurs both. */
    return ratio >= 1.48 && ratio <= 1.75 ? _("card")
         : ratio >= 1.2                   ? _("page")
                                          : _("document");
}

/* What focus, glare and exposure were measured on: the face of a face
 * photo, the document when it stands out from its surroundings, else the
 * whole picture. */
static const char *region_word(const pf_image_info *info)
{
    const pf_document *doc = &info->document;
    if (doc->on_face)
        return _("face");
    return doc->found && doc->stands_out ? document_word(doc) : _("picture");
}

static void check_figures(pf_check *c, const char *fmt, double value,
                             double limit)
{
    c->numeric = 1;
    snprintf(c->value, sizeof c->value, fmt, value);
    snprintf(c->limit, sizeof c->limit, fmt, limit);
}

/* PF_FAIL past the fail limit, PF_WARN past the warn limit, else PF_PASS;
 * past is below them for a figure where higher is better, else above. */
static pf_check_status banded(double value, double fail, double warn,
                              int higher_is_better)
{
    double v = higher_is_better ? -value : value;
    double f = higher_is_better ? -fail : fail, w = higher_is_better ? -warn : warn;
    return v > f ? PF_FAIL : v > w ? PF_WARN : PF_PASS;
}

/* ---- document-complete ---- */

static int wants_document(const pf_rules *rules, const pf_image_info *info)
{
    return wants(rules, info, PF_RULE_DOCUMENT);
}

/* "left edge is", "top-left corner is", "top and bottom edges are" ...: the
 * cut sides (PF_SIDE_*) with their verb, in the user's language. */
static const char *describe_cut(unsigned sides)
{
    static const char *const names[16] = {
        /* TRANSLATORS: the sides of a document the frame cuts off, with
           their verb; the sentence goes on "cut off by the edge of the
           picture" ("edges are all": every side). */
        N_("edges are all"), N_("top edge is"), N_("left edge is"),
        N_("top-left corner is"), N_("right edge is"), N_("top-right corner is"),
        N_("left and right edges are"), N_("top, left and right edges are"),
        N_("bottom edge is"), N_("top and bottom edges are"),
        N_("bottom-left corner is"), N_("top, left and bottom edges are"),
        N_("bottom-right corner is"), N_("top, right and bottom edges are"),
        N_("left, right and bottom edges are"), N_("edges are all")};
    return _(names[sides & 15]);
}

static void judge_document_complete(const pf_rules *rules,
                                    const pf_image_info *info, pf_check *c)
{
    (void)rules;
    const pf_document *doc = &info->document;
    const char *word = document_word(doc);
    snprintf(c->limit, sizeof c->limit, "inside");
    if (!doc->found) {
        c->status = PF_PASS;
        snprintf(c->value, sizeof c->value, "not-found");
        pf_set_message(c->message, sizeof c->message, _("no document border "
                       "found in the picture (a scan cropped to the page?): "
                       "not judged"));
        return;
    }
    if (!doc->cut_sides) {
        c->status = PF_PASS;
        snprintf(c->value, sizeof c->value, "inside");
        pf_set_message(c->message, sizeof c->message, _("the %s's whole border "
                       "is in the picture"), word);
        return;
    }
    const char *where = describe_cut(doc->cut_sides);
    c->status = doc->cut_confidence >= PF_CUT_FAIL ? PF_FAIL
              : doc->cut_confidence >= PF_CUT_WARN ? PF_WARN : PF_PASS;
    snprintf(c->value, sizeof c->value, c->status == PF_PASS ? "inside" : "cut");
    if (c->status == PF_PASS)
        pf_set_message(c->message, sizeof c->message, _("the %s reaches the edge "
                       "of the picture, but no side is clearly cut off"), word);
    else if (c->status == PF_FAIL)
        pf_set_message(c->message, sizeof c->message, _("the %s's %s cut off by "
                       "the edge of the picture; photograph it with a margin all "
                       "round"), word, where);
    else
        pf_set_message(c->message, sizeof c->message, _("the %s's %s probably cut "
                       "off by the edge of the picture; photograph it with a "
                       "margin all round"), word, where);
}

static void advise_document_complete(const pf_image_info *info, char *buf,
                                     size_t cap)
{
    const char *where = describe_cut(info->document.cut_sides);
    pf_set_message(buf, cap, _("the %s's %s cut off; photograph the whole %s "
                   "again with a margin all round (move the phone back)"),
                   document_word(&info->document), where,
                   document_word(&info->document));
}

const pf_check_unit pf_unit_document_complete = {
    PF_CHECK_DOCUMENT_COMPLETE, "document-complete", wants_document,
    judge_document_complete, 0, advise_document_complete};

/* ---- document-fill ---- */

/* Only a document that stands out from its surroundings: a quadrilateral
 * that does not may be a box printed on the page, whose share says nothing
 * about how much of the picture the page takes. */
static int wants_fill(const pf_rules *rules, const pf_image_info *info)
{
    return wants_document(rules, info) && info->document.found &&
           info->document.stands_out;
}

static void judge_document_fill(const pf_rules *rules, const pf_image_info *info,
                                pf_check *c)
{
    const pf_document *doc = &info->document;
    int ok = doc->fill >= rules->min_fill;
    c->status = ok ? PF_PASS : PF_WARN;
    check_figures(c, "%.3f", doc->fill, rules->min_fill);
    if (ok)
        pf_set_message(c->message, sizeof c->message, _("the %s fills %.0f%% of "
                       "the picture"), document_word(doc), doc->fill * 100);
    else
        pf_set_message(c->message, sizeof c->message, _("the %s fills only %.0f%% "
                       "of the picture (< %.0f%%): move closer, or let "
                       "'preflight fix' crop to it"), document_word(doc),
                       doc->fill * 100, rules->min_fill * 100);
}

const pf_check_unit pf_unit_document_fill = {
    PF_CHECK_DOCUMENT_FILL, "document-fill", wants_fill, judge_document_fill, 1,
    NULL};

/* ---- sharpness ---- */

static int wants_sharpness(const pf_rules *rules, const pf_image_info *info)
{
    return wants(rules, info, PF_RULE_SHARPNESS);
}

static void judge_sharpness(const pf_rules *rules, const pf_image_info *info,
                            pf_check *c)
{
    double s = info->document.sharpness;
    const char *word = region_word(info);
    c->status = banded(s, rules->min_sharpness, rules->warn_sharpness, 1);
    check_figures(c, "%.1f", s, rules->min_sharpness);
    if (c->status == PF_PASS)
        pf_set_message(c->message, sizeof c->message, _("sharpness %.1f "
                       "\xE2\x89\xA5 %.1f: the %s is in focus"), s,
                       rules->warn_sharpness, word);
    else if (c->status == PF_WARN)
        pf_set_message(c->message, sizeof c->message, _("sharpness %.1f is "
                       "borderline (%.1f fails, %.1f passes): the %s may look "
                       "soft to a reviewer"), s, rules->min_sharpness,
                       rules->warn_sharpness, word);
    else
        pf_set_message(c->message, sizeof c->message, _("sharpness %.1f < %.1f: "
                       "the %s is out of focus or shaken"), s,
                       rules->min_sharpness, word);
}

static void advise_sharpness(const pf_image_info *info, char *buf, size_t cap)
{
    pf_set_message(buf, cap, _("the %s is blurred (sharpness %.1f); retake the "
                   "photo holding the phone steady, in good light, and tap "
                   "the %s to focus"), region_word(info),
                   info->document.sharpness, region_word(info));
}

const pf_check_unit pf_unit_sharpness = {
    PF_CHECK_SHARPNESS, "sharpness", wants_sharpness, judge_sharpness, 0,
    advise_sharpness};

/* ---- glare ---- */

static int wants_glare(const pf_rules *rules, const pf_image_info *info)
{
    return wants(rules, info, PF_RULE_GLARE);
}

static void judge_glare(const pf_rules *rules, const pf_image_info *info,
                        pf_check *c)
{
    double g = info->document.glare;
    const char *word = region_word(info);
    c->status = banded(g, rules->max_glare, rules->warn_glare, 0);
    check_figures(c, "%.4f", g, rules->max_glare);
    if (c->status == PF_PASS)
        pf_set_message(c->message, sizeof c->message, _("glare on %.1f%% of the "
                       "%s (\xE2\x89\xA4 %.1f%%)"), g * 100, word,
                       rules->warn_glare * 100);
    else if (c->status == PF_FAIL)
        pf_set_message(c->message, sizeof c->message, _("glare on %.1f%% of the "
                       "%s (> %.1f%%): a reflection hides what is under it"),
                       g * 100, word, rules->max_glare * 100);
    else
        pf_set_message(c->message, sizeof c->message, _("glare on %.1f%% of the "
                       "%s (warns above %.1f%%): a reflection hides what is "
                       "under it"), g * 100, word, rules->warn_glare * 100);
}

static void advise_glare(const pf_image_info *info, char *buf, size_t cap)
{
    pf_set_message(buf, cap, _("a reflection covers %.1f%% of the %s; retake it "
                   "without the flash, tilted slightly away from the lamp or "
                   "window"), info->document.glare * 100,
                   region_word(info));
}

const pf_check_unit pf_unit_glare = {
    PF_CHECK_GLARE, "glare", wants_glare, judge_glare, 0, advise_glare};

/* ---- exposure ---- */

static int wants_exposure(const pf_rules *rules, const pf_image_info *info)
{
    return wants(rules, info, PF_RULE_EXPOSURE);
}

/* Too dark rather than washed out: the brightest part is nearer black
 * than the darkest is to white. */
static int darker_than_washed(const pf_document *d)
{
    return d->lum_high < 255 - d->lum_low;
}

static void judge_exposure(const pf_rules *rules, const pf_image_info *info,
                           pf_check *c)
{
    const pf_document *d = &info->document;
    pf_check_status dark = banded(d->lum_high, rules->min_brightness,
                                  rules->warn_brightness, 1);
    pf_check_status washed = banded(d->lum_low, rules->max_washout,
                                    rules->warn_washout, 0);
    c->status = dark > washed ? dark : washed;
    snprintf(c->value, sizeof c->value, "%.0f/%.0f/%.0f", d->lum_low,
             d->lum_median, d->lum_high);
    snprintf(c->limit, sizeof c->limit, "brightest>=%.0f,darkest<=%.0f",
             rules->min_brightness, rules->max_washout);
    const char *what = c->status == PF_PASS ? _("readable")
                     : dark >= washed ? _("too dark to read")
                                      : _("washed out (even the darkest ink is pale)");
    /* TRANSLATORS: the last %s is "readable", "too dark to read" or
       "washed out (even the darkest ink is pale)". */
    const char *fmt = c->status == PF_WARN
        ? _("brightness: median %.0f, darkest 0.2%% %.0f, brightest 1%% %.0f, "
            "%.1f%% clipped white: borderline, %s")
        : _("brightness: median %.0f, darkest 0.2%% %.0f, brightest 1%% %.0f, "
            "%.1f%% clipped white: %s");
    pf_set_message(c->message, sizeof c->message, fmt, d->lum_median, d->lum_low,
                   d->lum_high, d->clipped * 100, what);
}

static void advise_exposure(const pf_image_info *info, char *buf, size_t cap)
{
    const pf_document *d = &info->document;
    if (darker_than_washed(d))
        pf_set_message(buf, cap, _("too dark to read (even its brightest part is "
                       "at %.0f of 255); retake it in daylight or under a lamp, "
                       "without shadow on the %s"), d->lum_high, region_word(info));
    else
        pf_set_message(buf, cap, _("washed out (even the darkest ink is at %.0f "
                       "of 255); retake it without the flash or direct sun"),
                       d->lum_low);
}

const pf_check_unit pf_unit_exposure = {
    PF_CHECK_EXPOSURE, "exposure", wants_exposure, judge_exposure, 0,
    advise_exposure};
