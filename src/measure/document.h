/* Finding the document (card or page) in a photo or scan, and its geometry.
 * Included by internal.h. */
#ifndef PF_MEASURE_DOCUMENT_H
#define PF_MEASURE_DOCUMENT_H

/* Finds the document's boundary in an upright RGB image of any size (it
 * works on a reduced copy). Fills doc->found, corners, fill, tilt,
 * cut_sides and stands_out; leaves the other fields alone. found = 0 (not
 * an error) when no boundary can be told apart, e.g. a flatbed scan
 * cropped to the page. */
pf_status pf_find_document(const pf_bitmap *bmp, pf_document *doc);

/* The same, and how sure it is that the frame cuts the document off
 * (0..1; 0 when !doc->found or no cut_sides). cut_sides names the frame
 * edges the document runs out of. document-complete should fail at
 * PF_CUT_FAIL and warn at PF_CUT_WARN (set on the tuning half of make
 * eval): a good image failed is the worst error. */
pf_status pf_find_document_ex(const pf_bitmap *bmp, pf_document *doc,
                              double *cut_confidence);
#define PF_CUT_FAIL 0.6
#define PF_CUT_WARN 0.3

/* The document's region of bmp as an upright rectangle whose long side is
 * long_side pixels: the quadrilateral doc->corners rectified (perspective
 * undone, bilinear) when doc->found, else the whole image resized. *valid
 * (when not NULL; free()) gets out->width*out->height bytes, 1 where the
 * pixel came from inside the frame, 0 where the frame cut the document. */
pf_status pf_document_warp(const pf_bitmap *bmp, const pf_document *doc,
                           uint32_t long_side, pf_bitmap *out, uint8_t **valid);

/* document-fill warns below this share of the frame; fix crops to a
 * document filling less (with a margin, never below the minimum size). */
#define PF_FILL_WARN 0.5

/* The homography taking the unit square's (0,0), (1,0), (1,1), (0,1) to
 * quad's TL, TR, BR, BL: x = (h0 u + h1 v + h2) / (h6 u + h7 v + 1), y the
 * same with h3 h4 h5. 0 when the quad is degenerate. */
int pf_quad_homography(const double quad[4][2], double h[9]);
/* The inverse of a 3x3 homography (any scale: apply it as x = (i0 u + i1 v
 * + i2) / (i6 u + i7 v + i8), ...). 0 when singular. */
int pf_homography_invert(const double h[9], double inv[9]);

#endif
