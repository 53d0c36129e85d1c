/* Everything check measures in an image's pixels, in one pass over the
 * rules: colour, the white background, and the document's border, focus,
 * glare and exposure. check and fix's own verification call the same. */
#include "internal.h"

#include <string.h>

/* The document's border, focus, glare and exposure, as image_checks
 * (PF_RULE_*) asks; doc->measured set when they ran. */
static pf_status measure_document(const pf_bitmap *bmp, unsigned image_checks,
                                  pf_document *doc)
{
    pf_status st = PF_OK;
    memset(doc, 0, sizeof *doc);
    if (!image_checks)
        return PF_OK;
    /* A face photo (no document rule) is measured whole. */
    if (image_checks & (PF_RULE_DOCUMENT | PF_RULE_GLARE))
        st = pf_find_document_ex(bmp, doc, &doc->cut_confidence);
    /* One analysis region serves focus, glare and exposure. */
    if (st == PF_OK)
        st = pf_measure_quality(bmp, doc);
    doc->measured = st == PF_OK;
    return st;
}

pf_status pf_measure_pixels(const pf_bitmap *bmp, const pf_rules *rules,
                            pf_image_info *info)
{
    pf_color_stats color;
    pf_measure_color(bmp, &color);
    info->color_share = color.color_share;
    info->mean_chroma = color.mean_chroma;
    pf_status st = PF_OK;
    if (rules->white_background)
        st = pf_measure_background(bmp, rules, &info->background);
    if (st == PF_OK)
        st = measure_document(bmp, rules->image_checks, &info->document);
    return st;
}
