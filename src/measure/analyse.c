/* Everything check measures in an image's pixels, in one pass over the
 * rules: colour, faces, the white background, and the document's border,
 * focus, glare and exposure. check and fix's own verification call the
 * same. */
#include "internal.h"
#include "measure/face.h"

#include <pthread.h>
#include <string.h>

#define FACE_MIN_SHARE 0.25  /* of the largest face: smaller ones are noise */
#define FACE_REGION 1.6      /* the head around the detector's box */

/* The white background's first half (its working copy, the bars), made by
 * the detector's calling thread while its second thread finishes (the
 * longer part of the scan): about 2 ms off a face check on two cores. */
typedef struct {
    const pf_bitmap *bmp;
    pf_background_prep *prep; /* NULL: not made (the whole is measured later) */
    int done;
} background_prep_job;

static void prepare_background(void *arg)
{
    background_prep_job *job = arg;
    /* A prep that failed keeps its status for the second half to report;
     * without one (out of memory) the whole is measured later. */
    (void)pf_background_prepare(job->bmp, &job->prep);
    job->done = 1;
}

/* Faces the detector found: the largest's box, how many there are (those
 * at least FACE_MIN_SHARE of its height), where it runs out of the
 * picture and its size. *main is the largest box (count >= 1). */
static pf_status measure_face(const pf_bitmap *bmp, int threads, background_prep_job *prep,
                              pf_face *face, pf_face_box *main)
{
    pf_face_box boxes[PF_MAX_FACES];
    char err[PF_ERR_LEN];
    int n = 0;
    memset(face, 0, sizeof *face);
    pf_status st = pf_detect_faces_while(bmp, threads, prep ? prepare_background : NULL,
                                         prep, boxes, PF_MAX_FACES, &n, err);
    if (st != PF_OK)
        return st;
    face->measured = 1;
    for (int i = 0; i < n; i++)
        face->count += boxes[i].h >= FACE_MIN_SHARE * boxes[0].h;
    if (n == 0)
        return PF_OK;
    *main = boxes[0];
    face->x = main->x, face->y = main->y, face->w = main->w, face->h = main->h;
    face->score = main->score;
    face->size = main->h / bmp->height;
    face->cut_sides = (main->y <= 0 ? PF_SIDE_TOP : 0) |
                      (main->x <= 0 ? PF_SIDE_LEFT : 0) |
                      (main->x + main->w >= bmp->width ? PF_SIDE_RIGHT : 0) |
                      (main->y + main->h >= bmp->height ? PF_SIDE_BOTTOM : 0);
    return PF_OK;
}

/* The head around the face box, inside the picture, as the quadrilateral
 * focus and exposure are measured on. */
static void face_region(const pf_bitmap *bmp, const pf_face_box *f,
                        pf_document *region)
{
    double cx = f->x + f->w / 2, cy = f->y + f->h / 2;
    double hw = f->w * FACE_REGION / 2, hh = f->h * FACE_REGION / 2;
    double x0 = cx - hw < 0 ? 0 : cx - hw, y0 = cy - hh < 0 ? 0 : cy - hh;
    double x1 = cx + hw > bmp->width ? bmp->width : cx + hw;
    double y1 = cy + hh > bmp->height ? bmp->height : cy + hh;
    memset(region, 0, sizeof *region);
    region->found = region->stands_out = region->on_face = 1;
    region->corners[0][0] = x0, region->corners[0][1] = y0;
    region->corners[1][0] = x1, region->corners[1][1] = y0;
    region->corners[2][0] = x1, region->corners[2][1] = y1;
    region->corners[3][0] = x0, region->corners[3][1] = y1;
}

/* The document's border, focus, glare and exposure, as image_checks
 * (PF_RULE_*) asks; doc->measured set when they ran. A face photo's focus
 * and exposure are those of the face when one was found. */
static pf_status measure_document(const pf_bitmap *bmp, unsigned image_checks,
                                  const pf_face_box *face, pf_document *doc)
{
    pf_status st = PF_OK;
    memset(doc, 0, sizeof *doc);
    if (!(image_checks & PF_RULE_DOCUMENT_ALL))
        return PF_OK;
    if (image_checks & (PF_RULE_DOCUMENT | PF_RULE_GLARE))
        st = pf_find_document_ex(bmp, doc, &doc->cut_confidence);
    if (st == PF_OK && face && !(image_checks & PF_RULE_DOCUMENT)) {
        pf_document region;
        face_region(bmp, face, &region);
        st = pf_measure_quality(bmp, &region);
        doc->sharpness = region.sharpness, doc->glare = region.glare;
        doc->lum_low = region.lum_low, doc->lum_median = region.lum_median;
        doc->lum_high = region.lum_high, doc->clipped = region.clipped;
        doc->on_face = 1;
    } else if (st == PF_OK) {
        /* One analysis region serves focus, glare and exposure. */
        st = pf_measure_quality(bmp, doc);
    }
    doc->measured = st == PF_OK;
    return st;
}

/* The white background, measured on a second thread while the document's
 * (or face's) focus and exposure are measured on the calling one: both
 * only read the picture, and a face photo needs both once its face is
 * known (about 2 ms of a 30 ms check saved on two cores). */
typedef struct {
    const pf_bitmap *bmp;
    const pf_rules *rules;
    const pf_face_box *face;
    const background_prep_job *prep;  /* the first half, if made */
    pf_background *out;
    pf_status st;
} background_job;

static void *background_thread(void *arg)
{
    background_job *job = arg;
    if (job->prep && job->prep->done && job->prep->prep)
        job->st = pf_measure_background_prepared(job->bmp, job->rules, job->face,
                                                 job->prep->prep, job->out);
    else
        job->st = pf_measure_background(job->bmp, job->rules, job->face, job->out);
    return NULL;
}

static pf_status measure_rest(const pf_bitmap *bmp, const pf_rules *rules, int threads,
                              const pf_face_box *face, const background_prep_job *prep,
                              pf_image_info *info)
{
    background_job job = {bmp, rules, face, prep, &info->background, PF_OK};
    pthread_t thread;
    int forked = rules->white_background && threads >= 2 &&
                 (rules->image_checks & PF_RULE_DOCUMENT_ALL) &&
                 pthread_create(&thread, NULL, background_thread, &job) == 0;
    if (rules->white_background && !forked)
        background_thread(&job);
    pf_status st = measure_document(bmp, rules->image_checks, face, &info->document);
    if (forked)
        pthread_join(thread, NULL);
    return job.st != PF_OK ? job.st : st;
}

pf_status pf_measure_pixels(const pf_bitmap *bmp, const pf_rules *rules,
                            int threads, pf_image_info *info)
{
    pf_color_stats color;
    pf_measure_color(bmp, &color);
    info->color_share = color.color_share;
    info->mean_chroma = color.mean_chroma;
    pf_status st = PF_OK;
    pf_face_box main;
    const pf_face_box *face = NULL;
    background_prep_job prep = {bmp, NULL, 0};
    int early = rules->white_background && threads >= 2;
    memset(&info->face, 0, sizeof info->face);
    if (rules->image_checks & PF_RULE_FACE) {
        st = measure_face(bmp, threads, early ? &prep : NULL, &info->face, &main);
        face = st == PF_OK && info->face.count >= 1 ? &main : NULL;
    }
    if (st == PF_OK)
        st = measure_rest(bmp, rules, threads, face, &prep, info);
    pf_background_prep_free(prep.prep);
    return st;
}

void pf_copy_pixel_measures(const pf_image_info *from, pf_image_info *to)
{
    to->color_share = from->color_share;
    to->mean_chroma = from->mean_chroma;
    to->face = from->face;
    to->background = from->background;
    to->document = from->document;
}
