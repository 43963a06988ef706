# nprof build: the analyzer CLI (build/nprof), unit tests, sanitizer and fuzz builds.
# Sources are found by wildcard so a new module needs no edit here.

CC      ?= cc
BUILD   ?= build
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter
CPPFLAGS_NP := -std=c11 -D_GNU_SOURCE -iquote include -iquote src
# libcurl is not linked: src/analyze/curl_dl.c opens it when a profile is first fetched over
# HTTP, so that other runs do not load it and its thirty dependencies (its headers are needed).
LIBS_ANALYZE := -ldl -ledit -lz -lm -lpthread

# The one version, written in src/core/version.h; the library's soname carries its major number.
VERSION     := $(shell sed -n 's/^\#define NP_VERSION "\(.*\)"$$/\1/p' src/core/version.h)
SONAME      := libnprof.so.$(firstword $(subst ., ,$(VERSION)))

CORE_SRC    := $(wildcard src/core/*.c src/core/*/*.c)
ANALYZE_SRC := $(filter-out src/analyze/main.c $(wildcard src/analyze/*_static.c src/analyze/*/*_static.c),$(wildcard src/analyze/*.c src/analyze/*/*.c))
UNIT_SRC    := $(wildcard tests/unit/test_*.c)

CORE_OBJ    := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
ANALYZE_OBJ := $(ANALYZE_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

COLLECT_SRC := $(wildcard src/collect/*.c)
# The collector library carries the shared core and nothing of the analyzer.
COLLECT_CORE_SRC := $(CORE_SRC)
PIC_OBJ     := $(COLLECT_SRC:%.c=$(BUILD)/pic/%.o) $(COLLECT_CORE_SRC:%.c=$(BUILD)/pic/%.o)
LIBS_COLLECT := -lz -ldl -lpthread -lm -lgcc_s
EXAMPLES    := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))
# Programs run by tests/collect-programs.sh: lib*.c and lib*.cc become shared libraries,
# static_*.c static executables, the other .c and .cc files ordinary executables.
CT_SRC      := $(filter-out tests/collect/linked.c,$(wildcard tests/collect/*.c tests/collect/*.cc))
COLLECT_TESTS := $(patsubst tests/collect/%,$(BUILD)/tests/collect/%.so,$(basename $(filter tests/collect/lib%,$(CT_SRC)))) \
  $(patsubst tests/collect/%,$(BUILD)/tests/collect/%,$(basename $(filter-out tests/collect/lib%,$(CT_SRC)))) \
  $(BUILD)/tests/collect/cxxforms-static $(BUILD)/tests/collect/linked

.PHONY: all deps check unit asan fuzz demo bench clean collect-tests static
all: $(BUILD)/nprof $(BUILD)/libnprof.so $(BUILD)/libnprof.a $(BUILD)/nprof.pc $(EXAMPLES) $(COLLECT_TESTS)
collect-tests: $(COLLECT_TESTS)

# Collector objects: position independent, hidden unless exported, frame pointers kept so the
# frame-pointer unwinder can cross them.
$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -iquote include -iquote src $(CFLAGS) $(WARN) -fPIC -fvisibility=hidden -fno-omit-frame-pointer -ftls-model=initial-exec -MMD -MP -c $< -o $@

# The soname names the major version (libnprof.so.0); build/libnprof.so.0 beside the library lets a
# program linked against the build tree (build/nprof.pc) run with LD_LIBRARY_PATH=build.
$(BUILD)/libnprof.so: $(PIC_OBJ) src/collect/libnprof.map src/core/version.h
	$(CC) -shared -o $@ $(PIC_OBJ) $(LIBS_COLLECT) -Wl,-soname,$(SONAME) -Wl,-z,nodelete -Wl,-z,defs -Wl,--version-script=src/collect/libnprof.map
	ln -sf libnprof.so $(BUILD)/$(SONAME)

$(BUILD)/libnprof.a: $(PIC_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The in-tree nprof.pc, for building against the tree; make install writes the installed one.
$(BUILD)/nprof.pc: tools/nprof.pc.in src/core/version.h
	sed -e 's|@PREFIX@|$(abspath $(BUILD))|' -e 's|@LIBDIR@|$(abspath $(BUILD))|' \
	    -e 's|@INCLUDEDIR@|$(abspath include)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

$(BUILD)/examples/%: examples/%.c $(BUILD)/libnprof.so
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -Iinclude -O1 -g $(WARN) -o $@ $< -lpthread

# cpu-burner is built without frame pointers: CPU profiles must unwind such code in full.
$(BUILD)/examples/cpu-burner: examples/cpu-burner.c $(BUILD)/libnprof.so
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -Iinclude -O2 -g -fomit-frame-pointer $(WARN) -o $@ $< -lpthread

CT_FLAGS := -D_GNU_SOURCE -O1 -g $(WARN)
$(BUILD)/tests/collect/lib%.so: tests/collect/lib%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(CT_FLAGS) -fPIC -shared -o $@ $<
$(BUILD)/tests/collect/lib%.so: tests/collect/lib%.cc
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(CT_FLAGS) -fPIC -shared -o $@ $<
# cxxforms once more with libstdc++ linked in: its operators and its demangler are not the
# process's shared ones, so its profile keeps mangled names for the analyzer to demangle.
$(BUILD)/tests/collect/cxxforms-static: tests/collect/cxxforms.cc
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(CT_FLAGS) -static-libstdc++ -o $@ $<
# A program with libnprof.a linked in instead of preloaded, as docs/COLLECTOR.md describes.
$(BUILD)/tests/collect/linked: tests/collect/linked.c tests/collect/common.h $(BUILD)/libnprof.a
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(CT_FLAGS) -Iinclude -o $@ $< $(BUILD)/libnprof.a $(LIBS_COLLECT)
$(BUILD)/tests/collect/static_%: tests/collect/static_%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(CT_FLAGS) -static -o $@ $<
$(BUILD)/tests/collect/%: tests/collect/%.c tests/collect/common.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(CT_FLAGS) -o $@ $< -lpthread -ldl
$(BUILD)/tests/collect/%: tests/collect/%.cc
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(CT_FLAGS) -o $@ $< -lpthread

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_NP) $(CFLAGS) $(WARN) -MMD -MP -c $< -o $@

# The analyzer's archives, one per wing layer: libnpcore.a holds src/core only (the collector
# builds the same sources position-independent into libnprof), libnpanalyze.a the analyzer.
$(BUILD)/libnpcore.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libnpanalyze.a: $(ANALYZE_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Web assets (scripts and styles of the pages nprof writes) are written under
# src/analyze/report/assets/ and compiled in as np_asset_<name> by tools/embed.py: nprof needs
# no file beside it and no network to make a page.
ASSET_SRC := $(wildcard src/analyze/report/assets/*)
ASSET_OBJ := $(ASSET_SRC:src/analyze/report/assets/%=$(BUILD)/obj/assets/%.o)
$(BUILD)/gen/assets/%.c: src/analyze/report/assets/% tools/embed.py
	@mkdir -p $(dir $@)
	python3 tools/embed.py $< $@
$(BUILD)/obj/assets/%.o: $(BUILD)/gen/assets/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_NP) $(CFLAGS) $(WARN) -c $< -o $@
$(BUILD)/libnpanalyze.a: $(ASSET_OBJ)

NPROF_LIBS := $(BUILD)/libnpanalyze.a $(BUILD)/libnpcore.a
$(BUILD)/nprof: $(BUILD)/obj/src/analyze/main.o $(NPROF_LIBS)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS_ANALYZE)

$(BUILD)/tests/%: tests/unit/%.c $(NPROF_LIBS) tests/unit/unit.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_NP) -iquote tests/unit $(CFLAGS) $(WARN) -MMD -MP -o $@ $< $(NPROF_LIBS) $(LIBS_ANALYZE)

unit: $(UNIT_BIN) $(BUILD)/nprof
	@tests/run-unit.sh $(BUILD)

# Installs what building and testing need (Debian 12), then builds.
deps:
	@tools/install-deps.sh

check: deps
	@tests/check.sh

demo: deps all
	@tools/demo.sh

asan:
	$(MAKE) BUILD=build-asan CC=clang CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" unit

fuzz:
	@tools/build-fuzz.sh

bench: all
	@bench/run.sh

clean:
	rm -rf build build-asan build-fuzz

# make static: build/nprof-static, one fully static file for containers (README, "A static nprof"). The
# files named *_static.c stand in for the ones that load shared libraries at run time: plain
# HTTP of our own instead of libcurl, no Graphviz; libedit and zlib are linked in, and
# libstdc++'s demangler so that C++ names read as they do in the dynamic nprof.
STATIC_REPLACED := src/analyze/curl_dl.c src/analyze/report/graphviz.c src/analyze/report/graphviz_worker.c
STATIC_SRC  := $(filter-out $(STATIC_REPLACED),$(CORE_SRC) $(ANALYZE_SRC) src/analyze/main.c) \
  $(wildcard src/analyze/*_static.c src/analyze/*/*_static.c)
STATIC_OBJ  := $(STATIC_SRC:%.c=$(BUILD)/static/%.o)
STATIC_LIBS := -ledit -ltinfo -lbsd -lmd -lz -lm -lstdc++ -lpthread
$(BUILD)/static/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS_NP) -DNP_STATIC -O2 -ffunction-sections -fdata-sections $(WARN) -MMD -MP -c $< -o $@
$(BUILD)/nprof-static: $(STATIC_OBJ) $(ASSET_OBJ)
	$(CC) -static -s -Wl,--gc-sections -o $@ $^ $(STATIC_LIBS)
static: $(BUILD)/nprof-static

include tools/install.mk

-include $(shell find $(BUILD)/obj $(BUILD)/pic $(BUILD)/static -name '*.d' 2>/dev/null) $(wildcard $(BUILD)/tests/*.d)
