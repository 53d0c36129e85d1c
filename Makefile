# preflight — build, test, install. Dependencies come from Debian via pkg-config.
# libheif, libwebp(demux; mux makes the tests' animations), libtiff, giflib,
# stb (BMP), poppler-glib + cairo (PDF), lcms2 (colour): see README for each
# one's licence.
PKGS     := libturbojpeg libjpeg libpng libexif zlib inih lcms2
PREFIX   ?= /usr/local
LOCALEDIR ?= $(PREFIX)/share/locale
DESTDIR  ?=
BUILD    ?= build
CC       ?= cc
CXX      ?= g++
CFLAGS   ?= -O2 -g
CXXFLAGS ?= -O2 -g
WARN     := -Wall -Wextra -Werror -std=c11 -D_DEFAULT_SOURCE -D_XOPEN_SOURCE=700
DEPFLAGS := -MMD -MP
# The heavy decoders' libraries are opened on first use (src/codec/dynlib.h),
# and libmicrohttpd when serve starts (src/serve/serve_mhd.h), not linked:
# only their headers and their shared objects' names are needed. The tests
# that write such files with these libraries link them.
LAZY_PKGS := libheif libtiff-4 poppler-glib cairo libmicrohttpd libwebp libwebpdemux \
             libgif stb
# Only the tests write WebP animations.
TEST_PKGS := libwebpmux cairo-pdf
soname = $(shell objdump -p "$$(pkg-config --variable=libdir $(1))/$(2).so" 2>/dev/null | \
  sed -n 's/^ *SONAME *//p')
SONAMES := -DPF_SONAME_HEIF='"$(call soname,libheif,libheif)"' \
           -DPF_SONAME_TIFF='"$(call soname,libtiff-4,libtiff)"' \
           -DPF_SONAME_POPPLER_GLIB='"$(call soname,poppler-glib,libpoppler-glib)"' \
           -DPF_SONAME_MICROHTTPD='"$(call soname,libmicrohttpd,libmicrohttpd)"' \
           -DPF_SONAME_WEBPDEMUX='"$(call soname,libwebpdemux,libwebpdemux)"' \
           -DPF_SONAME_GIF='"$(call soname,libgif,libgif)"' \
           -DPF_SONAME_STB='"$(call soname,stb,libstb)"'
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(LAZY_PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
TEST_LIBS  := $(shell pkg-config --libs $(LAZY_PKGS) $(TEST_PKGS))
ALL_CFLAGS := $(WARN) $(CFLAGS) -Iinclude -Isrc -Isrc/cli -Itests -Itests/eval $(PKG_CFLAGS) $(SONAMES) $(EXTRA_CFLAGS)
# The one C++ file (src/measure/face_detect.cc: dlib's face detector).
ALL_CXXFLAGS := -Wall -Wextra -Werror -std=c++14 $(CXXFLAGS) -Iinclude -Isrc $(EXTRA_CFLAGS)
# dlib is linked statically (libdlib-dev's libdlib.a), so the program needs
# neither libdlib.so nor libdlib-data at run time; the detector's objects
# need nothing else from it (no BLAS/LAPACK: see face_detect.cc).
DLIB_A     ?= $(shell $(CC) -print-file-name=libdlib.a)
# libstdc++ (for the dlib shim) is linked statically (GCC Runtime Library
# Exception): loading and binding its shared object cost every run 1-2 ms,
# more than a check of a small photo before faces were looked for. The
# sanitizer builds link it dynamically (their runtime intercepts new/delete).
ifneq ($(findstring sanitize,$(EXTRA_CFLAGS)),)
STDCXX     := -lstdc++
else
STDCXX     := -Wl,-Bstatic -lstdc++ -Wl,-Bdynamic
endif
LDLIBS     := $(PKG_LIBS) $(DLIB_A) $(STDCXX) -lm -lpthread $(EXTRA_LDFLAGS)
LDLIBS_SAN := $(PKG_LIBS) $(DLIB_A) -lstdc++ -lm -lpthread $(EXTRA_LDFLAGS)

# src/ is grouped by role: core (context, check pipeline, I/O), codec
# (decoders/encoders), colour (ICC profiles to sRGB), resample, measure (what is seen in the pixels), checks
# (rules judged on the measures), rules (profiles: built-in, rules files,
# rules by name), fix (making a compliant file), cli.
LIB_DIRS := core codec colour resample measure checks rules fix
LIB_SRC  := $(foreach d,$(LIB_DIRS),$(wildcard src/$(d)/*.c))
LIB_CXX_SRC := $(foreach d,$(LIB_DIRS),$(wildcard src/$(d)/*.cc))
# src/serve (preflight serve) is part of the program, beside src/cli.
CLI_SRC  := $(filter-out src/cli/main.c,$(wildcard src/cli/*.c)) $(wildcard src/serve/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o) $(LIB_CXX_SRC:src/%.cc=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:src/%.c=$(BUILD)/obj/%.o)
MAIN_OBJ := $(BUILD)/obj/cli/main.o
TESTUTIL_OBJ := $(BUILD)/obj/tests/testutil.o
TESTS    := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

CORPUS   ?= ../shared/corpus
# The sanitizer runs know of the libraries' own process-lifetime leaks.
export LSAN_OPTIONS ?= suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
LANGS    := zh_CN
MO       := $(LANGS:%=$(BUILD)/locale/%/LC_MESSAGES/preflight.mo)

.PHONY: all pot update-po check-po test test-serve test-asan test-corpus test-hostile test-page eval examples demo bench bench-decode bench-noisy bench-check bench-face bench-jobs fuzz fuzz-build fuzz-replay install uninstall clean
all: $(BUILD)/libpreflight.a $(BUILD)/preflight preflight $(MO)

# ---- translations: gettext, text domain "preflight" ----
# po/preflight.pot is made by `make pot` (xgettext over the sources and
# preflight-drop); po/LANG.po holds each language; the .mo files are built
# beside the program ($(BUILD)/locale), where it finds them before the
# installed ones. `make check-po` (part of make test) fails on an
# untranslated or fuzzy entry and on a source string the .po lacks.
PO_SRC   := $(sort $(wildcard src/*.h src/*/*.c src/*/*.h))
XGETTEXT := xgettext --from-code=UTF-8 --language=C --sort-by-file \
  --keyword=_ --keyword=N_ --keyword=P_:1,2 --keyword=C_:1c,2 --flag=_:1:pass-c-format \
  --flag=P_:1:pass-c-format --flag=P_:2:pass-c-format \
  --flag=pf_set_message:3:c-format --flag=pf_vset_message:3:c-format \
  --flag=add_action:2:c-format --flag=pf_set_error:4:c-format \
  --flag=pf_fail_unfixable:4:c-format --flag=usage_error:1:c-format \
  --flag=append:3:c-format --flag=state_error:3:c-format \
  --flag=resolve_error:3:c-format --add-comments=TRANSLATORS: \
  --package-name=preflight --package-version=0.1.0 --msgid-bugs-address=preflight

$(BUILD)/locale/%/LC_MESSAGES/preflight.mo: po/%.po
	@mkdir -p $(dir $@)
	msgfmt --check -o $@ $<

pot:
	$(XGETTEXT) -o po/preflight.pot $(PO_SRC)
	xgettext --from-code=UTF-8 --language=Shell --keyword=t --join-existing \
	  --sort-by-file --add-comments=TRANSLATORS: --msgid-bugs-address=preflight \
	  -o po/preflight.pot scripts/preflight-drop

update-po: pot
	for l in $(LANGS); do msgmerge --quiet --update --backup=none --no-fuzzy-matching po/$$l.po po/preflight.pot; done

check-po:
	@XGETTEXT="$(XGETTEXT)" PO_SRC="$(PO_SRC)" LANGS="$(LANGS)" scripts/check-po

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(FILE_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: src/%.cc
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) $(FILE_CXXFLAGS) $(DEPFLAGS) -c $< -o $@

# dlib's face detector model, unpacked at build time by face_detect.cc
# itself built as a small program (-DPF_FACE_MODEL_GEN, no sanitizers):
# dlib's built-in copy takes 0.5 s to unpack on every start, this one 3 ms.
FACE_MODEL := $(BUILD)/gen/face_model.inc
$(FACE_MODEL): src/measure/face_detect.cc
	@mkdir -p $(dir $@)
	$(CXX) -std=c++14 -O1 -DPF_FACE_MODEL_GEN $< $(DLIB_A) -lpthread -o $(BUILD)/gen/face_model_gen
	$(BUILD)/gen/face_model_gen > $@.tmp && mv $@.tmp $@

# The detector's filter and HOG loops need the vectoriser's full cost model,
# as the resampler's do (below): -O3 halves a scan. GCC keeps the order of
# float operations at any -O without -ffast-math: the same detections.
# -fno-math-errno: sqrt never sets errno, so the HOG votes' loop (a
# square root per pixel) can be vectorised; nothing here reads errno.
FACE_OPT := -O3 -fno-math-errno
# With g++ on x86-64 the detector is compiled a second time for AVX2
# (chosen at run time; see face_detect.cc).
ifeq ($(shell $(CXX) -dumpmachine | cut -d- -f1)$(shell $(CXX) -dM -E -x c++ /dev/null | grep -c __clang__),x86_640)
FACE_AVX2_FLAG := -DPF_FACE_HAVE_AVX2
LIB_OBJ += $(BUILD)/obj/measure/face_detect_avx2.o
$(BUILD)/obj/measure/face_detect_avx2.o: src/measure/face_detect.cc $(FACE_MODEL)
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) $(FACE_OPT) -I$(BUILD)/gen -DPF_FACE_AVX2 $(DEPFLAGS) -c $< -o $@
endif
$(BUILD)/obj/measure/face_detect.o: $(FACE_MODEL)
$(BUILD)/obj/measure/face_detect.o: FILE_CXXFLAGS := $(FACE_OPT) -I$(BUILD)/gen $(FACE_AVX2_FLAG)

# The page of `preflight serve` (GET /), built into the program.
PAGE_INC := $(BUILD)/gen/page.inc
$(PAGE_INC): src/serve/page.html scripts/embed-page
	@mkdir -p $(dir $@)
	python3 scripts/embed-page $< > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/serve/serve_http.o: $(PAGE_INC)
$(BUILD)/obj/serve/serve_http.o: FILE_CFLAGS := -I$(BUILD)/gen

# Where the installed catalogue is looked for (pf_set_locale_dir overrides).
$(BUILD)/obj/core/i18n.o: FILE_CFLAGS := -DPF_LOCALEDIR='"$(LOCALEDIR)"'

# The resampler's row loops need the vectoriser's full cost model (-O2 in
# GCC 12 skips loops with a remainder): 2-3x faster resizing.
$(BUILD)/obj/resample/shrink.o: FILE_CFLAGS := -O3
# And for the budget encoder's transform and trellis (jpeg_rdo.c): the
# block DCT's vector rows stay in registers (at -O2 each step went through
# the stack). The same floats at any -O.
$(BUILD)/obj/codec/jpeg_rdo.o: FILE_CFLAGS := -O3
# The same for the per-pixel loops of the image checks' measures (warp,
# edge widths, the document's edge map, glare blocks, the face detector's
# grey copy: 1.6 instead of 3.0 ms for a 600x800 photo).
MEASURE_O3 := document_warp document_lines sharpness glare face
$(MEASURE_O3:%=$(BUILD)/obj/measure/%.o): FILE_CFLAGS := -O3

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/libpreflight.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/preflight: $(MAIN_OBJ) $(CLI_OBJ) $(BUILD)/libpreflight.a
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -o $@ $(MAIN_OBJ) $(CLI_OBJ) $(BUILD)/libpreflight.a $(LDLIBS)

# Convenience: ./preflight in the top folder after `make`.
preflight: $(BUILD)/preflight
	@if [ "$(BUILD)" = build ]; then ln -sf $(BUILD)/preflight preflight; fi

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TESTUTIL_OBJ) $(CLI_OBJ) $(BUILD)/libpreflight.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -o $@ $< $(TESTUTIL_OBJ) $(CLI_OBJ) $(BUILD)/libpreflight.a $(LDLIBS) $(TEST_LIBS) -lcmocka -lz

# Every test binary runs even when one fails; the target fails if any did.
test: $(TESTS) $(BUILD)/preflight $(MO)
	@fail=0; $(MAKE) -s check-po || fail=1; for t in $(TESTS); do \
	  echo "== $$t"; PF_BIN=$(abspath $(BUILD)/preflight) PF_TESTDATA=$(abspath testdata) $$t || fail=1; \
	done; $(MAKE) -s test-serve || fail=1; exit $$fail

# preflight serve's HTTP API, against servers the test starts (python3,
# standard library only; a few seconds).
test-serve: $(BUILD)/preflight $(MO)
	@echo "== tests/test_serve.py"
	@PF_BIN=$(abspath $(BUILD)/preflight) PF_TESTDATA=$(abspath testdata) \
	  python3 tests/test_serve.py

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan:
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" test

# Decodes the shared corpus (PngSuite, EXIF orientation samples) when present.
test-corpus: $(BUILD)/tests/corpus_check
	@if [ -d "$(CORPUS)" ]; then $(BUILD)/tests/corpus_check "$(CORPUS)"; \
	else echo "no corpus at $(CORPUS); skipped"; fi

# Every file of the corpus's broken/ and codec/ through check and fix under
# ASan + UBSan (LeakSanitizer included): each within seconds, each ending in
# a verdict or a clear per-file error. Then the fuzz regressions and the same
# files through both fuzz targets.
test-hostile:
	@if [ -d "$(CORPUS)" ]; then \
	  $(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	    EXTRA_CFLAGS="$(FUZZ_SAN)" build-asan/tests/corpus_check && \
	  build-asan/tests/corpus_check --hostile "$(CORPUS)" > build-asan/hostile.txt; \
	  st=$$?; grep -v '^hostile [a-z]* ' build-asan/hostile.txt; exit $$st; \
	else echo "no corpus at $(CORPUS); skipped"; fi
	@if [ -d "$(CORPUS)" ]; then \
	  $(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	    EXTRA_CFLAGS="$(FUZZ_SAN)" build-asan/preflight build-asan/locale/zh_CN/LC_MESSAGES/preflight.mo && \
	  PF_BIN=build-asan/preflight python3 tests/serve_hostile.py "$(CORPUS)"; \
	fi
	$(MAKE) fuzz-replay

# The serve page (src/serve/page.html) in headless Chromium driven by
# playwright-core: tests/page/page_test.mjs against PF_SERVE_URL, else
# `preflight serve` when built in, else tests/page/mock_server.mjs. Not part of
# `make test`. Needs node, Chromium (apt-get install chromium) and
# playwright-core (npm ci in tests/page, run here when missing). Screenshots
# and downloads land in $(BUILD)/page-test/.
test-page: $(BUILD)/preflight
	@if ! command -v node >/dev/null 2>&1; then echo "test-page: skipped, no node (apt-get install nodejs npm)"; \
	elif [ -z "$$PF_CHROMIUM" ] && ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then \
	  echo "test-page: skipped, no chromium (apt-get install chromium)"; \
	else \
	  if [ ! -d tests/page/node_modules/playwright-core ]; then \
	    npm ci --prefix tests/page --no-audit --no-fund || exit 1; fi; \
	  PF_BIN=$(abspath $(BUILD)/preflight) PF_PAGE_OUT=$(abspath $(BUILD))/page-test node tests/page/page_test.mjs; \
	fi

$(BUILD)/tests/corpus_check: $(BUILD)/obj/tests/corpus_check.o $(BUILD)/libpreflight.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -o $@ $< $(BUILD)/libpreflight.a $(LDLIBS)

# The image checks' confusion tables on the evaluation set built from the
# corpus (tests/eval/): thresholds set on one half, reported on the other.
EVAL_SRC := $(wildcard tests/eval/*.c)
EVAL_OBJ := $(EVAL_SRC:tests/%.c=$(BUILD)/obj/tests/%.o)
$(BUILD)/tests/eval_checks: $(EVAL_OBJ) $(TESTUTIL_OBJ) $(BUILD)/libpreflight.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -o $@ $(EVAL_OBJ) $(TESTUTIL_OBJ) $(BUILD)/libpreflight.a $(LDLIBS)

eval: $(BUILD)/tests/eval_checks
	@if [ -d "$(CORPUS)" ]; then $(BUILD)/tests/eval_checks $(EVAL_ARGS) "$(CORPUS)"; \
	else echo "no corpus at $(CORPUS); skipped"; fi

# The README's pictures of each image check (testdata/checks/).
examples: $(BUILD)/tests/eval_checks
	@mkdir -p testdata/checks
	$(BUILD)/tests/eval_checks --examples testdata/checks

# preflight fix against ImageMagick, vipsthumbnail+jpegoptim and the codec
# floor on a photo folder (installs the peers from Debian when missing).
PHOTOS ?= $(CORPUS)/photos
bench: all
	bench/run $(PHOTOS) $(BENCH_ARGS)

# The least work of a full-scale fix (one libjpeg decode, one progressive
# encode of the output) against ImageMagick's and vips + jpegoptim's time
# and ImageMagick's peak RSS, next to preflight's (bench/decode-share.md):
# the floor under issue 17's speed and memory targets.
bench-decode: all
	bench/decode-share $(PHOTOS)

# preflight fix against ImageMagick on noisy photos (bench/noisy.md), and
# its noise filter against libjpeg's smoothing at equal bytes
# (bench/denoise.md).
$(BUILD)/bench-denoise: bench/denoise.c $(BUILD)/libpreflight.a
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libpreflight.a $(LDLIBS)

bench-noisy: all $(BUILD)/bench-denoise
	bench/noisy
	bench/denoise

# What the image checks cost check on camera photos, against the revision
# before them (one run, side by side).
bench-check: all
	bench/check-cost $(CORPUS)

# What the face check costs `check -p face` on the corpus's portraits,
# against the revision before it (one run, side by side).
bench-face: all
	bench/face-cost $(CORPUS)

# Batch speed-up of -j (one per CPU) against -j 1 over the corpus images.
bench-jobs: all
	bench/jobs $(CORPUS)

# ---- fuzzing: libFuzzer (clang-14, libclang-rt-14-dev) under ASan + UBSan ----
# `make fuzz` runs each target FUZZ_SECONDS, seeded from testdata/ and the
# corpus; crashes land in build-fuzz/crash-*. `make fuzz-replay` replays
# tests/fuzz-regressions/ and the corpus through every target with gcc's
# sanitizers, no libFuzzer needed.
FUZZ_CC      ?= clang-14
FUZZ_CXX     ?= clang++-14
FUZZ_SECONDS ?= 900
FUZZ_TARGETS := fuzz_check fuzz_fix fuzz_rules fuzz_face fuzz_heif fuzz_webp fuzz_tiff \
                fuzz_gif fuzz_bmp fuzz_pdf fuzz_icc
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all

# The C++ file (dlib) is built with $(FUZZ_CXX); clang's C driver then
# needs -fsanitize-link-c++-runtime for UBSan's C++ checks.
fuzz-build:
	$(MAKE) BUILD=build-fuzz CC=$(FUZZ_CC) CXX=$(FUZZ_CXX) CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_SAN)" build-fuzz/libpreflight.a
	for t in $(FUZZ_TARGETS); do \
	  $(FUZZ_CC) -O1 -g -Iinclude -Isrc -fsanitize=fuzzer $(FUZZ_SAN) -fsanitize-link-c++-runtime fuzz/$$t.c \
	    build-fuzz/libpreflight.a $(LDLIBS_SAN) -o build-fuzz/$$t || exit 1; done

fuzz: fuzz-build
	@rm -rf build-fuzz/seeds && mkdir -p build-fuzz/seeds
	@find testdata $(CORPUS) -type f -size -1024k 2>/dev/null | \
	  while read -r f; do cp "$$f" "build-fuzz/seeds/$$(echo "$$f" | md5sum | cut -c1-16)"; done
	@for t in $(FUZZ_TARGETS); do mkdir -p build-fuzz/work-$$t; \
	  echo "== $$t for $(FUZZ_SECONDS) s"; \
	  build-fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=build-fuzz/crash-$$t- \
	    build-fuzz/work-$$t build-fuzz/seeds || exit 1; done

fuzz-replay: $(BUILD)/libpreflight.a
	@mkdir -p build-asan
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="$(FUZZ_SAN)" build-asan/libpreflight.a
	for t in $(FUZZ_TARGETS); do \
	  $(CC) -O1 -g -Iinclude -Isrc $(FUZZ_SAN) fuzz/$$t.c fuzz/replay.c build-asan/libpreflight.a \
	    $(LDLIBS_SAN) -o build-asan/replay-$$t || exit 1; \
	  find tests/fuzz-regressions testdata $(CORPUS)/broken $(CORPUS)/codec $(CORPUS)/formats -type f 2>/dev/null | \
	    xargs -r build-asan/replay-$$t || exit 1; done

# The main job on the bundled samples.
demo: $(BUILD)/preflight
	@rm -rf demo-out
	-$(BUILD)/preflight fix -o demo-out testdata/samples

install: $(BUILD)/preflight $(BUILD)/libpreflight.a $(MO)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib \
	  $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/zh_CN/man1 $(DESTDIR)$(PREFIX)/share/applications
	for l in $(LANGS); do install -d $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES && \
	  install -m 644 $(BUILD)/locale/$$l/LC_MESSAGES/preflight.mo \
	    $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/preflight.mo || exit 1; done
	install -m 644 man/zh_CN/preflight.1 $(DESTDIR)$(PREFIX)/share/man/zh_CN/man1/preflight.1
	install -m 755 $(BUILD)/preflight $(DESTDIR)$(PREFIX)/bin/preflight
	install -m 755 scripts/preflight-drop $(DESTDIR)$(PREFIX)/bin/preflight-drop
	install -m 644 scripts/preflight-drop.desktop \
	  $(DESTDIR)$(PREFIX)/share/applications/preflight-drop.desktop
	install -m 644 $(BUILD)/libpreflight.a $(DESTDIR)$(PREFIX)/lib/libpreflight.a
	install -m 644 include/preflight.h $(DESTDIR)$(PREFIX)/include/preflight.h
	install -m 644 man/preflight.1 $(DESTDIR)$(PREFIX)/share/man/man1/preflight.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/preflight $(DESTDIR)$(PREFIX)/bin/preflight-drop \
	  $(DESTDIR)$(PREFIX)/share/applications/preflight-drop.desktop \
	  $(DESTDIR)$(PREFIX)/lib/libpreflight.a \
	  $(DESTDIR)$(PREFIX)/include/preflight.h $(DESTDIR)$(PREFIX)/share/man/man1/preflight.1 \
	  $(DESTDIR)$(PREFIX)/share/man/zh_CN/man1/preflight.1 \
	  $(foreach l,$(LANGS),$(DESTDIR)$(LOCALEDIR)/$(l)/LC_MESSAGES/preflight.mo)

clean:
	rm -rf build build-asan demo-out preflight

-include $(wildcard $(BUILD)/obj/*/*.d $(BUILD)/obj/tests/eval/*.d)
