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
// so that its filters are applied by a loop of ours that GCC vectorises
// (apply_bank: half the time of dlib's, the same sums to within 1e-6).
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
extern "C" int pf_face_detect_grey_avx2(const uint8_t *grey, int width, int height,
                                        size_t stride, int upsample,
                                        double adjust_threshold, int threads,
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
#define PF_FACE_DETECT pf_face_detect_grey_generic
#else
#define PF_FACE_DETECT pf_face_detect_grey_avx2
#endif

namespace {

// Large enough for any working copy pf_detect_faces makes, small enough
// that a wrong width or height is refused rather than read past.
const int max_side = 1 << 14;

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
    if (m->fhog_w != PF_FACE_TAPS || m->fhog_h != PF_FACE_TAPS) {
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
    for (unsigned long l = 0; l < last; l++) {
        // The level's pixels: dlib's chain img -> a -> b -> a ...
        const dlib::array2d<unsigned char> *level = &img;
        if (l > 0) {
            pyr(l == 1 ? img : b, a);
            dlib::swap(a, b);
            level = &b;
        }
        if (l < first)
            continue;
        sc.get_feature_extractor()(*level, feats, cell, (int)m.fhog_h, (int)m.fhog_w);
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

extern "C" int PF_FACE_DETECT(const uint8_t *grey, int width, int height,
                              size_t stride, int upsample, double adjust_threshold,
                              int threads, pf_face_raw *boxes, int max, int *n,
                              char *err, size_t err_len)
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
extern "C" int pf_face_detect_grey(const uint8_t *grey, int width, int height,
                                   size_t stride, int upsample,
                                   double adjust_threshold, int threads, pf_face_raw *boxes,
                                   int max, int *n, char *err, size_t err_len)
{
#ifdef PF_FACE_HAVE_AVX2
    if (__builtin_cpu_supports("avx2"))
        return pf_face_detect_grey_avx2(grey, width, height, stride, upsample,
                                        adjust_threshold, threads, boxes, max, n, err,
                                        err_len);
#endif
    return pf_face_detect_grey_generic(grey, width, height, stride, upsample,
                                       adjust_threshold, threads, boxes, max, n, err,
                                       err_len);
}
#endif

#endif  // PF_FACE_MODEL_GEN

#ifdef PF_FACE_AVX2
#pragma GCC pop_options
#endif
