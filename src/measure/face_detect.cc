// The project's one C++ file: dlib's HOG frontal face detector behind the
// C interface declared in face.h. No C++ exception leaves this file.
//
// Linked with the static libdlib.a, without BLAS or LAPACK: dlib's
// config.h turns both on, which would make the filter bank's SVD (run when
// the detector is built) call LAPACK's dgesvd. They are turned off here,
// before any other dlib header, so dlib's own SVD is compiled in instead.
//
// dlib::get_frontal_face_detector() unpacks its model from a compressed
// base64 text: 0.52 s on each start, 92% of it in dlib's entropy decoder.
// So the build compiles this file once with PF_FACE_MODEL_GEN into a small
// program that writes what a scan needs, already unpacked, as C arrays,
// face_model.inc: the scanner's settings and the overlap test in dlib's
// serialization (deserialized on first use, 0.02 ms), and each of the five
// filters as the separable terms of the filter bank dlib builds from it
// (an SVD per plane, otherwise 1-2 ms on each start) with its threshold,
// as float arrays used as they are (deserializing them took 1 ms a run).
// Nothing is read from a file.
//
// The scan is dlib's object_detector::operator() written out (same
// features, filters, thresholds and non-maximum suppression, so the same
// detections) so that the image pyramid can be split over two threads, and
// so that its three costly steps are loops of ours that GCC vectorises:
// the filters (apply_filter: half the time of dlib's, the same sums to
// within 1e-6), the HOG features (hog_extract: the same to within float
// rounding, 25% less time) and the pyramid's levels (shrink_level: the
// very pixels dlib makes). pf_face_compare_dlib lets the tests check the
// last two against dlib's own.
//
// With GCC on x86-64 the file is compiled twice: as is, and with
// PF_FACE_AVX2 (face_detect_avx2.o), where dlib and the scan are compiled
// for AVX2, so its filters and HOG features use 8-wide vectors where the
// CPU has them (about 25% less time; chosen at run time, see
// pf_face_detect_grey). Two things keep AVX2 code out of the generic path:
// the second copy renames dlib's namespace, so none of its template code
// (the same names, other instructions) can be merged by the linker into the
// generic copy; and the standard library is included before AVX2 is turned
// on, so its templates (std::vector<double> ...), which both copies
// instantiate under the same names, are generic code in both. Without FMA
// both copies do the same float operations in the same order: the same
// detections.
#ifdef PF_FACE_AVX2
#include <dlib/config.h>
#undef DLIB_USE_BLAS
#undef DLIB_USE_LAPACK
// Every standard header dlib's detector includes (g++ -H), before AVX2.
#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <clocale>
#include <cmath>
#include <complex>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <cwchar>
#include <cwctype>
#include <deque>
#include <exception>
#include <forward_list>
#include <fstream>
#include <functional>
#include <future>
#include <initializer_list>
#include <iomanip>
#include <ios>
#include <iosfwd>
#include <iostream>
#include <istream>
#include <iterator>
#include <limits>
#include <list>
#include <locale>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <numeric>
#include <ostream>
#include <queue>
#include <ratio>
#include <set>
#include <sstream>
#include <stack>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>
#include <immintrin.h>
#pragma GCC push_options
#pragma GCC target("avx2")
#define dlib pf_face_avx2_dlib
#else
#include <dlib/test_for_odr_violations.h>  // includes config.h, once
#undef DLIB_USE_BLAS
#undef DLIB_USE_LAPACK
#endif
#include <dlib/image_processing/frontal_face_detector.h>

#include <algorithm>
#include <exception>
#include <thread>
#include <cstdio>
#include <new>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

typedef dlib::scan_fhog_pyramid<dlib::pyramid_down<6>> scanner_type;
typedef scanner_type::fhog_filterbank filterbank;

// dlib's HOG planes, and the taps of the model's filters: 10x10 HOG cells
// (80 px windows, 8 px cells); the model generator checks both.
#define PF_FACE_PLANES 31
#define PF_FACE_TAPS 10

// The filters as separable terms (a row filter and a column filter each),
// plane by plane: terms[f][p] of them for filter f's plane p, in order.
// Plain C data, compiled into the generic copy and shared with the AVX2 one.
struct pf_face_filter_data {
    unsigned long filters;
    const double *thresholds;
    const unsigned char (*terms)[PF_FACE_PLANES];
    const float (*rows)[PF_FACE_TAPS];
    const float (*cols)[PF_FACE_TAPS];
};

#ifdef PF_FACE_MODEL_GEN

// The build step: face_model.inc on stdout: the scanner's settings and the
// overlap test in dlib's serialization (read with dlib's deserialize), and
// the filters as C arrays (read as they are: deserializing them took 1 ms
// of every run that checks a face).
int main()
{
    try {
        dlib::frontal_face_detector detector = dlib::get_frontal_face_detector();
        std::ostringstream out;
        scanner_type scanner;
        scanner.copy_configuration(detector.get_scanner());
        dlib::serialize(scanner, out);
        dlib::serialize(detector.get_overlap_tester(), out);
        const std::string bytes = out.str();
        const unsigned long n = detector.num_detectors();
        std::printf("/* Generated by face_detect.cc (PF_FACE_MODEL_GEN): dlib's frontal\n"
                    " * face detector. */\n"
                    "static const unsigned char pf_face_model[%zu] = {\n", bytes.size());
        for (size_t i = 0; i < bytes.size(); i++)
            std::printf("%u,%s", (unsigned)(unsigned char)bytes[i], i % 24 == 23 ? "\n" : "");
        std::printf("};\n#define PF_FACE_FILTERS %lu\n", n);
        std::string rows, cols, terms, thresholds;
        unsigned long total = 0;
        char num[64];
        for (unsigned long i = 0; i < n; i++) {
            const filterbank fb = scanner.build_fhog_filterbank(detector.get_w(i));
            if (fb.row_filters.size() != PF_FACE_PLANES)
                throw std::runtime_error("unexpected number of HOG planes");
            for (size_t p = 0; p < fb.row_filters.size(); p++) {
                std::snprintf(num, sizeof num, "%zu,", fb.row_filters[p].size());
                terms += num;
                for (size_t t = 0; t < fb.row_filters[p].size(); t++, total++) {
                    if (fb.row_filters[p][t].size() != PF_FACE_TAPS ||
                        fb.col_filters[p][t].size() != PF_FACE_TAPS)
                        throw std::runtime_error("unexpected filter size");
                    rows += "{", cols += "{";
                    for (long k = 0; k < PF_FACE_TAPS; k++) {
                        std::snprintf(num, sizeof num, "%.9g,", (double)fb.row_filters[p][t](k));
                        rows += num;
                        std::snprintf(num, sizeof num, "%.9g,", (double)fb.col_filters[p][t](k));
                        cols += num;
                    }
                    rows += "},\n", cols += "},\n";
                }
            }
            terms += "\n";
            std::snprintf(num, sizeof num, "%.17g,",
                          (double)detector.get_w(i)(scanner.get_num_dimensions()));
            thresholds += num;
        }
        std::printf("static const double pf_face_thresholds[PF_FACE_FILTERS] = {%s};\n"
                    "static const unsigned char pf_face_terms[PF_FACE_FILTERS][%d] = {\n%s};\n"
                    "static const float pf_face_rows[%lu][%d] = {\n%s};\n"
                    "static const float pf_face_cols[%lu][%d] = {\n%s};\n",
                    thresholds.c_str(), PF_FACE_PLANES, terms.c_str(), total, PF_FACE_TAPS,
                    rows.c_str(), total, PF_FACE_TAPS, cols.c_str());
        return std::fflush(stdout) == 0 && !std::ferror(stdout) ? 0 : 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "face_model_gen: %s\n", e.what());
        return 1;
    }
}

#else

#include "face.h"

// The model: compiled into the generic copy only, shared with the AVX2 copy.
extern "C" void pf_face_model_bytes(const unsigned char **bytes, size_t *len,
                                    pf_face_filter_data *filters);
// The scan in each copy: pf_face_detect_grey_while's arguments.
extern "C" int pf_face_scan_generic(const uint8_t *grey, int width, int height,
                                    size_t stride, int upsample, double adjust_threshold,
                                    int threads, void (*task)(void *), void *task_arg,
                                    pf_face_raw *boxes, int max, int *n, char *err,
                                    size_t err_len);
extern "C" int pf_face_scan_avx2(const uint8_t *grey, int width, int height,
                                 size_t stride, int upsample, double adjust_threshold,
                                 int threads, void (*task)(void *), void *task_arg,
                                 pf_face_raw *boxes, int max, int *n, char *err,
                                 size_t err_len);
#ifndef PF_FACE_AVX2
#include "face_model.inc"

extern "C" void pf_face_model_bytes(const unsigned char **bytes, size_t *len,
                                    pf_face_filter_data *filters)
{
    *bytes = pf_face_model;
    *len = sizeof pf_face_model;
    filters->filters = PF_FACE_FILTERS;
    filters->thresholds = pf_face_thresholds;
    filters->terms = pf_face_terms;
    filters->rows = pf_face_rows;
    filters->cols = pf_face_cols;
}
#define PF_FACE_DETECT pf_face_scan_generic
#define PF_FACE_COMPARE pf_face_compare_dlib_generic
#else
#define PF_FACE_DETECT pf_face_scan_avx2
#define PF_FACE_COMPARE pf_face_compare_dlib_avx2
#endif
extern "C" int pf_face_compare_dlib_generic(const uint8_t *grey, int width, int height,
                                            double *feature_diff, long *pixel_diff);
extern "C" int pf_face_compare_dlib_avx2(const uint8_t *grey, int width, int height,
                                         double *feature_diff, long *pixel_diff);

namespace {

// Large enough for any working copy pf_detect_faces makes, small enough
// that a wrong width or height is refused rather than read past.
const int max_side = 1 << 14;

// HOG cells of 8x8 pixels (the model's; unpack checks), 18 orientations.
const int hog_cell = 8;
const int hog_bins = 18;

void set_err(char *err, size_t err_len, const char *what)
{
    if (err && err_len)
        std::snprintf(err, err_len, "face detector: %s", what);
}

// What a scan needs, built once from dlib's detector: its scanner's
// settings, its filters (each as the separable terms dlib's filter bank
// builds from it, with its threshold), and its overlap test for
// non-maximum suppression. Only read while scanning, so shared between
// threads.
struct model {
    scanner_type scanner;
    pf_face_filter_data filters;
    std::vector<size_t> first_term;  // filter f's terms start at this row
    dlib::test_box_overlap overlap;
    unsigned long fhog_w, fhog_h;  // the filters' size in HOG cells
};

model *unpack()
{
    const unsigned char *bytes = nullptr;
    size_t len = 0;
    model *m = new model;
    pf_face_model_bytes(&bytes, &len, &m->filters);
    std::istringstream in(std::string(reinterpret_cast<const char *>(bytes), len));
    try {
        dlib::deserialize(m->scanner, in);
        dlib::deserialize(m->overlap, in);
        size_t term = 0;
        for (unsigned long f = 0; f < m->filters.filters; f++) {
            m->first_term.push_back(term);
            for (int p = 0; p < PF_FACE_PLANES; p++)
                term += m->filters.terms[f][p];
        }
    } catch (...) {
        delete m;
        throw;
    }
    const scanner_type &sc = m->scanner;
    const dlib::rectangle win = dlib::centered_rect(dlib::point(0, 0), sc.get_detection_window_width(),
                                                    sc.get_detection_window_height());
    const dlib::rectangle f = dlib::grow_rect(sc.get_feature_extractor().image_to_feats(win, sc.get_cell_size(), 1, 1),
                                              sc.get_padding());
    m->fhog_w = f.width();
    m->fhog_h = f.height();
    if (m->fhog_w != PF_FACE_TAPS || m->fhog_h != PF_FACE_TAPS ||
        sc.get_cell_size() != (unsigned long)hog_cell) {
        delete m;
        throw std::runtime_error("unexpected filter size");
    }
    return m;
}

// Built once, on first use (a C++11 static: initialised exactly once even
// when several threads arrive together; should it throw, the next call
// tries again); never changed afterwards. Never freed (the process's).
const model &prototype()
{
    static const model *m = unpack();
    return *m;
}

// How many levels dlib's scanner makes of an image: it stops at the
// first level smaller than its smallest layer (or at its level cap).
unsigned long level_count(const model &m, const dlib::array2d<unsigned char> &img)
{
    dlib::pyramid_down<6> pyr;
    dlib::rectangle rect = dlib::get_rect(img);
    unsigned long levels = 0;
    do {
        rect = pyr.rect_down(rect);
        levels++;
    } while (rect.width() >= m.scanner.get_min_pyramid_layer_width() &&
             rect.height() >= m.scanner.get_min_pyramid_layer_height() &&
             levels < m.scanner.get_max_pyramid_levels());
    return levels;
}

// dlib's HOG features for 8-pixel cells (Felzenszwalb's 31 planes, as its
// extract_fhog_features makes them), computed in another order. dlib
// gathers each pixel's neighbours one by one and adds each pixel's vote
// into four cells' histograms; here loops GCC vectorises compute a row's
// gradients, orientations and votes, the votes go into one row of cells
// (two adds a pixel), and that row into the histograms' two cell rows with
// the row's weights. The same features to within float rounding, in less
// than half dlib's time.
struct hog_scratch {
    std::vector<float> hist, row, norm, vote, right_share;
    std::vector<int> cell, bin;
};

// Gradient orientations: dlib's nine unit vectors (and their opposites).
const float hog_dir_x[9] = {1.0000f, 0.9397f, 0.7660f, 0.500f, 0.1736f,
                            -0.1736f, -0.5000f, -0.7660f, -0.9397f};
const float hog_dir_y[9] = {0.0000f, 0.3420f, 0.6428f, 0.8660f, 0.9848f,
                            0.9848f, 0.8660f, 0.6428f, 0.3420f};

// Each pixel's gradient length and orientation bin in row y, x in [1, end).
void hog_row_votes(const dlib::array2d<unsigned char> &img, long y, long end,
                   hog_scratch &s)
{
    const unsigned char *__restrict up = &img[y - 1][0];
    const unsigned char *__restrict mid = &img[y][0];
    const unsigned char *__restrict down = &img[y + 1][0];
    float *__restrict vote = s.vote.data();
    int *__restrict bin = s.bin.data();
    for (long x = 1; x < end; x++) {
        const float gx = (float)((int)mid[x + 1] - (int)mid[x - 1]);
        const float gy = (float)((int)down[x] - (int)up[x]);
        // Branch-free, so that the loop is vectorised: the bin as a float.
        float best = 0, b = 0;
#pragma GCC unroll 9
        for (int o = 0; o < 9; o++) {
            const float dot = gx * hog_dir_x[o] + gy * hog_dir_y[o];
            b = dot > best ? (float)o : b;
            best = dot > best ? dot : best;
            b = -dot > best ? (float)(o + 9) : b;
            best = -dot > best ? -dot : best;
        }
        vote[x] = std::sqrt(gx * gx + gy * gy);
        bin[x] = (int)b;
    }
}

// Row y's votes shared between the two cells left and right of each pixel
// (bilinear in x), then between the two cell rows above and below it.
// Neighbouring pixels often vote into the same bin: four partial rows (by
// x mod 4) keep those adds from waiting on each other.
void hog_add_row(long y, long end, long row_len, hog_scratch &s)
{
    float *const row = s.row.data();
    std::fill(row, row + 4 * row_len, 0.0f);
    for (long x = 1; x < end; x++) {
        float *c = row + (x & 3) * row_len + (size_t)s.cell[(size_t)x] * hog_bins +
                   s.bin[(size_t)x];
        const float right = s.right_share[(size_t)x] * s.vote[(size_t)x];
        const float left = (1.0f - s.right_share[(size_t)x]) * s.vote[(size_t)x];
        c[0] += left;
        c[hog_bins] += right;
    }
    const float yp = (float)(((float)y + 0.5) / (float)hog_cell - 0.5);
    const int iyp = (int)std::floor(yp);
    const float below = yp - (float)iyp, above = (float)(1.0 - below);
    float *__restrict h1 = s.hist.data() + (size_t)(iyp + 1) * (size_t)row_len;
    float *__restrict h2 = h1 + row_len;
    const float *__restrict r = row;
    for (long i = 0; i < row_len; i++) {
        const float sum = (r[i] + r[i + row_len]) + (r[i + 2 * row_len] + r[i + 3 * row_len]);
        h1[i] += above * sum;
        h2[i] += below * sum;
    }
}

// Plane p of the features at (yy, xx) for one cell: the cell's histogram
// h clipped and normalised by each of its four blocks' energies.
void hog_cell_features(const float *h, const float nn[4], const float inv[4],
                       dlib::array<dlib::array2d<float>> &hog, long yy, long xx)
{
    float t[4] = {0, 0, 0, 0};
    for (int o = 0; o < hog_bins; o++) {
        float part[4];
        for (int k = 0; k < 4; k++) {
            part[k] = std::min(h[o], nn[k]) * inv[k];
            t[k] += part[k];
        }
        hog[o][yy][xx] = (part[0] + part[2]) + (part[1] + part[3]);
    }
    for (int o = 0; o < 9; o++) {
        const float both = h[o] + h[o + 9];
        float part[4];
        for (int k = 0; k < 4; k++)
            part[k] = std::min(both, nn[k]) * inv[k];
        hog[hog_bins + o][yy][xx] = (part[0] + part[2]) + (part[1] + part[3]);
    }
    for (int k = 0; k < 4; k++)
        hog[27 + k][yy][xx] = t[k] * (float)(2 * 0.2357);
}

// The features from the histograms: each cell's energy, then its 31
// values; planes padded as dlib pads them for the filters.
void hog_features(long cells_nr, long cells_nc, int rows_pad, int cols_pad,
                  hog_scratch &s, dlib::array<dlib::array2d<float>> &hog)
{
    const long hog_nr = cells_nr - 2, hog_nc = cells_nc - 2, stride = cells_nc + 2;
    hog.resize(PF_FACE_PLANES);
    for (int p = 0; p < PF_FACE_PLANES; p++) {
        hog[p].set_size(hog_nr + rows_pad - 1, hog_nc + cols_pad - 1);
        dlib::assign_all_pixels(hog[p], 0);
    }
    s.norm.assign((size_t)(cells_nr * cells_nc), 0.0f);
    for (long r = 0; r < cells_nr; r++)
        for (long c = 0; c < cells_nc; c++) {
            const float *h = &s.hist[(size_t)(((r + 1) * stride + c + 1) * hog_bins)];
            float e = 0;
            for (int o = 0; o < 9; o++)
                e += (h[o] + h[o + 9]) * (h[o] + h[o + 9]);
            s.norm[(size_t)(r * cells_nc + c)] = e;
        }
    for (long y = 0; y < hog_nr; y++)
        for (long x = 0; x < hog_nc; x++) {
            const float *n0 = &s.norm[(size_t)(y * cells_nc + x)];
            const float *n1 = n0 + cells_nc, *n2 = n1 + cells_nc;
            // The four 2x2 blocks holding cell (y+1, x+1), in dlib's order.
            const float block[4] = {
                ((n1[1] + n1[2]) + n2[1]) + n2[2], ((n0[1] + n0[2]) + n1[1]) + n1[2],
                ((n1[0] + n1[1]) + n2[0]) + n2[1], ((n0[0] + n0[1]) + n1[0]) + n1[1]};
            float nn[4], inv[4];
            for (int k = 0; k < 4; k++) {
                nn[k] = 0.2f * std::sqrt(block[k] + 0.0001f);
                inv[k] = 0.1f / nn[k];
            }
            const float *h = &s.hist[(size_t)(((y + 2) * stride + x + 2) * hog_bins)];
            hog_cell_features(h, nn, inv, hog, y + (rows_pad - 1) / 2, x + (cols_pad - 1) / 2);
        }
}

// The features of one level, as dlib's extractor gives them for the
// filters' padding (rows_pad x cols_pad cells); empty planes if it is too
// small.
void hog_extract(const dlib::array2d<unsigned char> &img, int rows_pad, int cols_pad,
                 hog_scratch &s, dlib::array<dlib::array2d<float>> &hog)
{
    const long nr = img.nr(), nc = img.nc();
    const long cells_nr = (long)((float)nr / (float)hog_cell + 0.5f);
    const long cells_nc = (long)((float)nc / (float)hog_cell + 0.5f);
    if (cells_nr < 3 || cells_nc < 3) {
        hog.clear();  // as dlib: 31 empty planes
        hog.resize(PF_FACE_PLANES);
        return;
    }
    const long row_len = (cells_nc + 2) * hog_bins;
    const long visible_nr = std::min(cells_nr * hog_cell, nr) - 1;
    const long visible_nc = std::min(cells_nc * hog_cell, nc) - 1;
    s.hist.assign((size_t)((cells_nr + 2) * row_len), 0.0f);
    s.row.resize((size_t)(4 * row_len));
    s.vote.resize((size_t)nc);
    s.bin.resize((size_t)nc);
    s.cell.resize((size_t)nc);
    s.right_share.resize((size_t)nc);
    // Which cells each column votes into (hist's columns have one cell of
    // padding), and the right one's share: the same for every row.
    for (long x = 1; x < visible_nc; x++) {
        const float xp = ((float)x + 0.5f) / (float)hog_cell + 0.5f;
        s.cell[(size_t)x] = (int)xp;
        s.right_share[(size_t)x] = xp - (float)(int)xp;
    }
    for (long y = 1; y < visible_nr; y++) {
        hog_row_votes(img, y, visible_nc, s);
        hog_add_row(y, visible_nc, row_len, s);
    }
    hog_features(cells_nr, cells_nc, rows_pad, cols_pad, s, hog);
}

// dlib's pyramid_down<6>: the level below, 5/6 the size, bilinear, with
// dlib's own arithmetic (its 4-wide float loop, then its scalar loop for
// the last columns) so that the pixels are the very ones dlib makes. Each
// column's source and weight are worked out once instead of on every row.
struct shrink_scratch {
    std::vector<int> left;
    std::vector<float> frac, top, bottom;
};

// The columns dlib's 4-wide loop does: its lanes' positions, accumulated
// in float as it accumulates them; returns where its loop stops.
long shrink_columns(long in_nc, long nc, double x_scale, shrink_scratch &s)
{
    s.left.resize((size_t)nc);
    s.frac.resize((size_t)nc);
    s.top.resize((size_t)in_nc);
    s.bottom.resize((size_t)in_nc);
    const double x = -4 * x_scale;
    float lane[4] = {(float)x, (float)(x + x_scale), (float)(x + 2 * x_scale),
                     (float)(x + 3 * x_scale)};
    const float step = (float)(4 * x_scale);
    long c = 0;
    for (; c + 3 < nc; c += 4) {
        int left[4];
        for (int k = 0; k < 4; k++) {
            lane[k] += step;
            left[k] = (int)lane[k];
        }
        if (left[3] + 1 >= in_nc)
            break;
        for (int k = 0; k < 4; k++) {
            s.left[(size_t)(c + k)] = left[k];
            s.frac[(size_t)(c + k)] = lane[k] - (float)left[k];
        }
    }
    return c;
}

// One row: columns [0, end) as dlib's 4-wide loop makes them, the rest as
// its scalar loop does (which truncates instead of rounding).
void shrink_row(const unsigned char *top, const unsigned char *bottom, double tb_frac,
                long in_nc, long nc, double x_scale, long end, shrink_scratch &s,
                unsigned char *out)
{
    const float tb = (float)tb_frac, inv_tb = (float)(1 - tb_frac);
    // The rows as floats first: the loop below then gathers floats, which
    // the vectoriser can do (it cannot gather bytes).
    float *__restrict ft = s.top.data(), *__restrict fb = s.bottom.data();
    for (long c = 0; c < in_nc; c++) {
        ft[c] = (float)top[c];
        fb[c] = (float)bottom[c];
    }
    const int *__restrict left = s.left.data();
    const float *__restrict frac = s.frac.data();
    for (long c = 0; c < end; c++) {
        const int l = left[c];
        const float lr = frac[c], inv_lr = 1 - lr;
        const float v = inv_tb * inv_lr * ft[l] + inv_tb * lr * ft[l + 1] +
                        tb * inv_lr * fb[l] + tb * lr * fb[l + 1];
        // dlib's (unsigned char)(v + 0.5) in double, in float: v + 0.5 is
        // exact in double, and v - (int)v exact in float.
        const int whole = (int)v;
        out[c] = (unsigned char)(whole + (v - (float)whole >= 0.5f ? 1 : 0));
    }
    double x = -x_scale + (double)end * x_scale;
    for (long c = end; c < nc; c++) {
        x += x_scale;
        const long left = (long)std::floor(x), right = std::min(left + 1, in_nc - 1);
        const float lr = (float)(x - (double)left);
        const float v = (float)((1 - tb_frac) * ((1 - lr) * (float)top[left] + lr * (float)top[right]) +
                                tb_frac * ((1 - lr) * (float)bottom[left] + lr * (float)bottom[right]));
        out[c] = v >= 255 ? 255 : v <= 0 ? 0 : (unsigned char)v;
    }
}

void shrink_level(const dlib::array2d<unsigned char> &in, dlib::array2d<unsigned char> &out,
                  shrink_scratch &s)
{
    const long in_nr = in.nr(), in_nc = in.nc();
    out.set_size((long)((5 * in_nr) / 6 + 0.5), (long)((5 * in_nc) / 6 + 0.5));
    const long nr = out.nr(), nc = out.nc();
    if (nr == 0 || nc == 0 || in_nr == 0 || in_nc == 0)
        return;
    const double x_scale = (double)(in_nc - 1) / (double)std::max<long>(nc - 1, 1);
    const double y_scale = (double)(in_nr - 1) / (double)std::max<long>(nr - 1, 1);
    const long end = shrink_columns(in_nc, nc, x_scale, s);
    double y = -y_scale;
    for (long r = 0; r < nr; r++) {
        y += y_scale;
        const long top = (long)std::floor(y), bottom = std::min(top + 1, in_nr - 1);
        shrink_row(&in[top][0], &in[bottom][0], y - (double)top, in_nc, nc, x_scale, end, s,
                   &out[r][0]);
    }
}

// Filter f over one level's HOG planes into saliency, as dlib's
// impl::apply_filters_to_fhog with separable filters computes it (the same
// sums in another order: within 1e-6 of dlib's): per plane and separable
// term, a row pass into scratch, then a column pass added into saliency.
// Written so that GCC vectorises across columns with the tap loops
// unrolled (-O3, FACE_OPT in the Makefile): half dlib's time. Returns the
// rectangle of saliency that holds whole windows.
dlib::rectangle apply_filter(const model &m, unsigned long f,
                             const dlib::array<dlib::array2d<float>> &feats,
                             dlib::array2d<float> &saliency, std::vector<float> &scratch)
{
    const long taps = PF_FACE_TAPS, nr = feats[0].nr(), nc = feats[0].nc();
    const long first = taps / 2, last_row = nr - (taps - 1) / 2, last_col = nc - (taps - 1) / 2;
    const long out_w = last_col - first;
    saliency.set_size(nr, nc);
    dlib::assign_all_pixels(saliency, 0);
    if (out_w <= 0 || last_row <= first || feats.size() != PF_FACE_PLANES)
        return dlib::rectangle();
    scratch.resize((size_t)nr * (size_t)out_w);
    size_t term = m.first_term[f];
    for (int p = 0; p < PF_FACE_PLANES; p++) {
        const float *plane = &feats[p][0][0];
        for (int t = 0; t < m.filters.terms[f][p]; t++, term++) {
            // Local copies: the compiler then knows no store below
            // changes them, and keeps them in registers.
            float row_f[PF_FACE_TAPS], col_f[PF_FACE_TAPS];
            std::copy(m.filters.rows[term], m.filters.rows[term] + taps, row_f);
            std::copy(m.filters.cols[term], m.filters.cols[term] + taps, col_f);
            for (long r = 0; r < nr; r++) {
                const float *in = plane + r * nc;
                float *out = &scratch[(size_t)(r * out_w)];
                for (long c = 0; c < out_w; c++) {
                    float sum = 0;
                    for (long n = 0; n < taps; n++)
                        sum += in[c + n] * row_f[n];
                    out[c] = sum;
                }
            }
            for (long r = first; r < last_row; r++) {
                const float *in = &scratch[(size_t)((r - first) * out_w)];
                float *out = &saliency[r][first];
                for (long c = 0; c < out_w; c++) {
                    float sum = 0;
                    for (long k = 0; k < taps; k++)
                        sum += in[c + k * out_w] * col_f[k];
                    out[c] += sum;
                }
            }
        }
    }
    return dlib::rectangle(first, first, last_col - 1, last_row - 1);
}

// Levels [first, last) of the pyramid: each level's HOG features scanned
// with every filter, as dlib's object_detector does; each detection's
// confidence is its score minus its filter's threshold.
void scan_levels(const model &m, const dlib::array2d<unsigned char> &img,
                 unsigned long first, unsigned long last, double adjust,
                 std::vector<dlib::rect_detection> &out)
{
    const scanner_type &sc = m.scanner;
    const int cell = (int)sc.get_cell_size();
    const long box_w = (long)(m.fhog_w - 2 * sc.get_padding());
    const long box_h = (long)(m.fhog_h - 2 * sc.get_padding());
    dlib::pyramid_down<6> pyr;
    dlib::array2d<unsigned char> a, b;
    dlib::array<dlib::array2d<float>> feats;
    dlib::array2d<float> saliency;
    std::vector<float> scratch;
    hog_scratch hog;
    shrink_scratch shrink;
    for (unsigned long l = 0; l < last; l++) {
        // The level's pixels: dlib's chain img -> a -> b -> a ...
        const dlib::array2d<unsigned char> *level = &img;
        if (l > 0) {
            shrink_level(l == 1 ? img : b, a, shrink);
            dlib::swap(a, b);
            level = &b;
        }
        if (l < first)
            continue;
        hog_extract(*level, (int)m.fhog_h, (int)m.fhog_w, hog, feats);
        if (feats.size() != PF_FACE_PLANES)
            continue;
        for (unsigned long i = 0; i < m.filters.filters; i++) {
            const dlib::rectangle area = apply_filter(m, i, feats, saliency, scratch);
            for (long r = area.top(); r <= area.bottom(); r++)
                for (long c = area.left(); c <= area.right(); c++) {
                    if (saliency[r][c] < m.filters.thresholds[i] + adjust)
                        continue;
                    dlib::rectangle rect = sc.get_feature_extractor().feats_to_image(
                        dlib::centered_rect(dlib::point(c, r), box_w, box_h), cell,
                        (int)m.fhog_h, (int)m.fhog_w);
                    dlib::rect_detection d;
                    d.detection_confidence = saliency[r][c] - m.filters.thresholds[i];
                    d.weight_index = i;
                    d.rect = pyr.rect_up(rect, l);
                    out.push_back(d);
                }
        }
    }
}

bool larger(const pf_face_raw &a, const pf_face_raw &b)
{
    return a.w * a.h > b.w * b.h;
}

}  // namespace

// For the tests: this copy's pyramid and HOG features against dlib's own,
// level by level down the pyramid of a width x height grey picture.
extern "C" int PF_FACE_COMPARE(const uint8_t *grey, int width, int height,
                               double *feature_diff, long *pixel_diff)
{
    *feature_diff = 0;
    *pixel_diff = 0;
    if (!grey || width <= 0 || height <= 0 || width > max_side || height > max_side)
        return -1;
    try {
        const model &m = prototype();
        dlib::array2d<unsigned char> ours(height, width), theirs(height, width);
        std::copy(grey, grey + (size_t)width * (size_t)height, &ours[0][0]);
        std::copy(grey, grey + (size_t)width * (size_t)height, &theirs[0][0]);
        dlib::pyramid_down<6> pyr;
        hog_scratch hog;
        shrink_scratch shrink;
        int levels = 0;
        for (; ours.nr() >= 2 * hog_cell && ours.nc() >= 2 * hog_cell; levels++) {
            dlib::array<dlib::array2d<float>> a, b;
            m.scanner.get_feature_extractor()(theirs, a, hog_cell, (int)m.fhog_h, (int)m.fhog_w);
            hog_extract(ours, (int)m.fhog_h, (int)m.fhog_w, hog, b);
            if (a.size() != b.size())
                return -1;
            for (size_t p = 0; p < a.size(); p++) {
                if (a[p].nr() != b[p].nr() || a[p].nc() != b[p].nc())
                    return -1;
                for (long r = 0; r < a[p].nr(); r++)
                    for (long c = 0; c < a[p].nc(); c++)
                        *feature_diff = std::max(*feature_diff,
                                                 (double)std::fabs(a[p][r][c] - b[p][r][c]));
            }
            dlib::array2d<unsigned char> next_ours, next_theirs;
            pyr(theirs, next_theirs);
            shrink_level(ours, next_ours, shrink);
            if (next_ours.nr() != next_theirs.nr() || next_ours.nc() != next_theirs.nc())
                return -1;
            for (long r = 0; r < next_ours.nr(); r++)
                for (long c = 0; c < next_ours.nc(); c++)
                    *pixel_diff += next_ours[r][c] != next_theirs[r][c];
            dlib::swap(ours, next_ours);
            dlib::swap(theirs, next_theirs);
        }
        return levels;
    } catch (...) {
        return -1;
    }
}

extern "C" int PF_FACE_DETECT(const uint8_t *grey, int width, int height,
                              size_t stride, int upsample, double adjust_threshold,
                              int threads, void (*task)(void *), void *task_arg,
                              pf_face_raw *boxes, int max, int *n, char *err,
                              size_t err_len)
{
    if (n)
        *n = 0;
    if (!grey || !n || (max > 0 && !boxes) || max < 0 || width <= 0 ||
        height <= 0 || width > max_side || height > max_side ||
        stride < (size_t)width || upsample < 0 || upsample > 1) {
        set_err(err, err_len, "invalid image or arguments");
        return PF_FACE_EINVAL;
    }
    try {
        dlib::array2d<unsigned char> img(height, width);
        for (long r = 0; r < height; r++) {
            const uint8_t *row = grey + (size_t)r * stride;
            unsigned char *dst = &img[r][0];
            std::copy(row, row + width, dst);
        }
        dlib::pyramid_down<2> pyr;
        if (upsample)
            dlib::pyramid_up(img, pyr);

        const model &m = prototype();
        // dlib's pyramid (each level 5/6 of the one before, down to the
        // smallest that holds a window), scanned in two parts that cost
        // about the same: levels 0-1 here, the rest (from their own copy
        // shrunk twice, the very pixels dlib's chain gives) in a second
        // thread when there is one. Same detections as dlib's detector.
        const unsigned long levels = level_count(m, img);
        unsigned long split = threads >= 2 && levels > 2 ? 2 : levels;
        std::vector<dlib::rect_detection> all, rest;
        std::exception_ptr failed;
        std::thread worker;
        if (split < levels) {
            try {
                worker = std::thread([&] {
                    try {
                        scan_levels(m, img, split, levels, adjust_threshold, rest);
                    } catch (...) {
                        failed = std::current_exception();
                    }
                });
            } catch (const std::system_error &) {
                split = levels;  // no second thread: all of it here
            }
        }
        try {
            scan_levels(m, img, 0, split, adjust_threshold, all);
            if (task)
                task(task_arg);  // C: throws nothing
        } catch (...) {
            if (worker.joinable())
                worker.join();
            throw;
        }
        if (worker.joinable())
            worker.join();
        if (failed)
            std::rethrow_exception(failed);
        all.insert(all.end(), rest.begin(), rest.end());
        // dlib's non-maximum suppression: strongest first, dropping any
        // detection overlapping one kept.
        std::sort(all.rbegin(), all.rend());
        std::vector<std::pair<double, dlib::rectangle>> dets;
        for (const auto &d : all) {
            bool overlaps = false;
            for (const auto &k : dets)
                overlaps = overlaps || m.overlap(k.second, d.rect);
            if (!overlaps)
                dets.push_back(std::make_pair(d.detection_confidence, d.rect));
        }

        std::vector<pf_face_raw> found;
        found.reserve(dets.size());
        for (const auto &d : dets) {
            // dlib's rectangles are inclusive pixel ranges: [left, right].
            dlib::drectangle r(d.second.left(), d.second.top(),
                               d.second.right() + 1.0, d.second.bottom() + 1.0);
            if (upsample)
                r = pyr.rect_down(r);
            pf_face_raw f;
            f.x = r.left();
            f.y = r.top();
            f.w = r.width();
            f.h = r.height();
            f.score = d.first;
            found.push_back(f);
        }
        std::stable_sort(found.begin(), found.end(), larger);
        int k = (int)std::min(found.size(), (size_t)max);
        for (int i = 0; i < k; i++)
            boxes[i] = found[(size_t)i];
        *n = k;
        return PF_FACE_OK;
    } catch (const std::bad_alloc &) {
        set_err(err, err_len, "out of memory");
        return PF_FACE_ENOMEM;
    } catch (const std::exception &e) {
        set_err(err, err_len, e.what());
        return PF_FACE_EFAIL;
    } catch (...) {
        set_err(err, err_len, "unknown exception");
        return PF_FACE_EFAIL;
    }
}

#ifndef PF_FACE_AVX2
// The AVX2 copy when this build has one (x86-64) and the CPU and the
// system support AVX2; else the generic one.
extern "C" int pf_face_detect_grey_while(const uint8_t *grey, int width, int height,
                                         size_t stride, int upsample,
                                         double adjust_threshold, int threads,
                                         void (*task)(void *), void *task_arg,
                                         pf_face_raw *boxes, int max, int *n, char *err,
                                         size_t err_len)
{
#ifdef PF_FACE_HAVE_AVX2
    if (__builtin_cpu_supports("avx2"))
        return pf_face_scan_avx2(grey, width, height, stride, upsample, adjust_threshold,
                                 threads, task, task_arg, boxes, max, n, err, err_len);
#endif
    return pf_face_scan_generic(grey, width, height, stride, upsample, adjust_threshold,
                                threads, task, task_arg, boxes, max, n, err, err_len);
}

extern "C" int pf_face_compare_dlib(const uint8_t *grey, int width, int height,
                                    double *feature_diff, long *pixel_diff)
{
#ifdef PF_FACE_HAVE_AVX2
    if (__builtin_cpu_supports("avx2"))
        return pf_face_compare_dlib_avx2(grey, width, height, feature_diff, pixel_diff);
#endif
    return pf_face_compare_dlib_generic(grey, width, height, feature_diff, pixel_diff);
}

extern "C" int pf_face_detect_grey(const uint8_t *grey, int width, int height,
                                   size_t stride, int upsample,
                                   double adjust_threshold, int threads, pf_face_raw *boxes,
                                   int max, int *n, char *err, size_t err_len)
{
    return pf_face_detect_grey_while(grey, width, height, stride, upsample, adjust_threshold,
                                     threads, nullptr, nullptr, boxes, max, n, err, err_len);
}
#endif

#endif  // PF_FACE_MODEL_GEN

#ifdef PF_FACE_AVX2
#pragma GCC pop_options
#endif
