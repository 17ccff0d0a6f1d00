# heaplab - build, test and benchmark.
#
#   make            build ./bench, the recorder and the preloadable allocator
#                   libraries build/lib/libheaplab-<name>.so (docs/run.md)
#   make test       build everything and run the whole test suite
#   make deps       install the Debian packages heaplab needs (root or sudo)
#   make san        build a sanitizer (address + undefined) bench in build/san
#
# Tests also use build/bench-test (bench plus the test-only allocators of
# tests/allocators/, see tests/allocators/registry.h) and two preloadable
# libraries built from tests/libs/testmalloc.c.
#
# CC, CFLAGS, LDFLAGS, PREFIX and DESTDIR may be overridden; BUILD names the
# object folder (it mirrors the source tree) and BENCH the binary.

CC      ?= cc
CFLAGS  ?= -O2 -g
PREFIX  ?= /usr/local
BUILD   ?= build
BENCH   ?= bench

WARN      = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
ALLCFLAGS = -std=gnu11 $(WARN) -fno-strict-aliasing $(CFLAGS)
ALLCPPFLAGS = -MMD -MP -I. $(CPPFLAGS)
LDLIBS   += -ljansson -lm -ldl -lpthread

HARNESS_SRC := $(filter-out harness/main.c,$(wildcard harness/*.c))
ALLOC_SRC   := $(wildcard allocators/*.c)
CORE_OBJ    := $(patsubst %.c,$(BUILD)/%.o,$(HARNESS_SRC) $(ALLOC_SRC))
MAIN_OBJ    := $(BUILD)/harness/main.o
TEST_SRC    := $(wildcard tests/unit/*.c) $(wildcard tests/allocators/*.c)
TEST_OBJ    := $(patsubst %.c,$(BUILD)/%.o,$(TEST_SRC))
UNIT        := $(BUILD)/unit-tests
TESTALLOC_OBJ := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/allocators/*.c))
BENCH_TEST  := $(BUILD)/bench-test
TESTLIBS    := $(BUILD)/tests/libtestmalloc.so $(BUILD)/tests/libtestmalloc-noalign.so \
               $(BUILD)/tests/libtestmalloc-dying.so
# The test libraries replace malloc: never build them with sanitizers.
TESTLIB_CFLAGS = -std=gnu11 $(WARN) -O2 -g -fPIC -shared -fno-builtin
# The recorder is preloaded into other programs: never built with the
# sanitizers (it must not depend on their runtimes), always position-independent.
RECORD_LIB  := $(BUILD)/libheaplab-record.so
RECORD_CFLAGS = -std=gnu11 $(WARN) -O2 -g -fPIC -shared -fvisibility=hidden
TEST_PROGS  := $(patsubst tests/programs/%.c,$(BUILD)/tests/programs/%,$(wildcard tests/programs/*.c))

# Preloadable libraries, one per allocator table (docs/run.md).  The tables
# are found where they are defined - `const struct allocator alloc_x = {` - so
# a file exporting several tables gives several libraries.  A library is named
# after its table without "alloc_" and with "-" for "_", which is the name
# --alloc takes (tests/cli/programs.sh checks the libraries and `bench --list`
# agree).  Each library links the wrapper against an archive of PIC objects, so
# the linker takes only the file defining that table (plus common.c and
# heap.c): the code the harness measures, not a copy.  Never built with the
# sanitizers, like the recorder.
PIC          := $(BUILD)/pic
LIBDIR       := $(BUILD)/lib
ALLOC_TABLES := $(shell sed -nE 's/^const struct allocator (alloc_[a-z0-9_]+)[[:space:]]*=.*/\1/p' $(ALLOC_SRC))
PRELOAD_NAMES := $(subst _,-,$(patsubst alloc_%,%,$(ALLOC_TABLES)))
PRELOAD_LIBS := $(patsubst %,$(LIBDIR)/libheaplab-%.so,$(PRELOAD_NAMES))
PIC_OBJ      := $(patsubst %.c,$(PIC)/%.o,harness/heap.c $(filter-out allocators/registry.c,$(ALLOC_SRC)))
PIC_ARCHIVE  := $(PIC)/libheaplab-pic.a
PICFLAGS     := -fPIC -fno-semantic-interposition

.PHONY: all preload test check deps san clean install workloads-large
all: $(BENCH) $(RECORD_LIB) preload $(TEST_PROGS)
preload: $(PRELOAD_LIBS)
.SECONDARY: $(patsubst %,$(PIC)/preload/malloc_api-%.o,$(PRELOAD_NAMES))

$(PIC)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLCPPFLAGS) $(ALLCFLAGS) $(PICFLAGS) -c -o $@ $<

$(PIC_ARCHIVE): $(PIC_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(PIC)/preload/malloc_api-%.o: preload/malloc_api.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLCPPFLAGS) $(ALLCFLAGS) $(PICFLAGS) -DHEAPLAB_ALLOCATOR=alloc_$(subst -,_,$*) -c -o $@ $<

$(LIBDIR)/libheaplab-%.so: $(PIC)/preload/malloc_api-%.o $(PIC_ARCHIVE) preload/exports.map
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -shared -Wl,--version-script=preload/exports.map \
	  -Wl,-z,defs -o $@ $< $(PIC_ARCHIVE) -lpthread

$(RECORD_LIB): recorder/record_preload.c
	@mkdir -p $(dir $@)
	$(CC) $(RECORD_CFLAGS) -o $@ $< -lpthread

# small programs the recorder and preload tests run (tests/cli/record.sh, programs.sh);
# -fno-builtin: their malloc calls are what the tests observe, so the compiler
# must not elide or fold them (clang drops an unused malloc/free pair)
$(BUILD)/tests/programs/%: tests/programs/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O1 -g -fno-builtin -o $@ $< -lpthread

# traces too large to commit (workloads/README.md); gitignored
workloads-large: $(BENCH)
	@mkdir -p workloads/large
	./$(BENCH) gen grow -o workloads/large/grow.trace

$(BENCH): $(CORE_OBJ) $(MAIN_OBJ)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(UNIT): $(CORE_OBJ) $(TEST_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BENCH_TEST): $(CORE_OBJ) $(MAIN_OBJ) $(TESTALLOC_OBJ)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/libtestmalloc.so: tests/libs/testmalloc.c
	@mkdir -p $(dir $@)
	$(CC) $(TESTLIB_CFLAGS) -o $@ $<

$(BUILD)/tests/libtestmalloc-noalign.so: tests/libs/testmalloc.c
	@mkdir -p $(dir $@)
	$(CC) $(TESTLIB_CFLAGS) -DTESTMALLOC_NO_ALIGN -o $@ $<

$(BUILD)/tests/libtestmalloc-dying.so: tests/libs/testmalloc.c
	@mkdir -p $(dir $@)
	$(CC) $(TESTLIB_CFLAGS) -DTESTMALLOC_DYING -o $@ $<

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLCPPFLAGS) $(ALLCFLAGS) -c -o $@ $<

test check: $(BENCH) $(UNIT) $(RECORD_LIB) $(PRELOAD_LIBS) $(TEST_PROGS) $(BENCH_TEST) $(TESTLIBS)
	BENCH=./$(BENCH) UNIT=./$(UNIT) PROGS=./$(BUILD)/tests/programs \
	  BENCH_TEST=./$(BENCH_TEST) TESTLIB_DIR=./$(BUILD)/tests \
	  HEAPLAB_LIB_DIR=$(CURDIR)/$(LIBDIR) tests/run.sh

san:
	$(MAKE) BUILD=build/san BENCH=build/san/bench \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" build/san/bench build/san/unit-tests \
	  build/san/libheaplab-record.so build/san/bench-test \
	  build/san/tests/libtestmalloc.so build/san/tests/libtestmalloc-noalign.so \
	  build/san/tests/libtestmalloc-dying.so

deps:
	sh .ci/deps.sh

install: $(BENCH) $(RECORD_LIB) $(PRELOAD_LIBS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/heaplab
	install -m 755 $(BENCH) $(DESTDIR)$(PREFIX)/bin/heaplab-bench
	install -m 644 $(RECORD_LIB) $(DESTDIR)$(PREFIX)/lib/heaplab/libheaplab-record.so
	install -m 644 $(PRELOAD_LIBS) $(DESTDIR)$(PREFIX)/lib/heaplab/

clean:
	rm -rf $(BUILD) $(BENCH)

# Dependency files are made by the compiler, never by a rule (without this,
# make's built-in `%: %.o` would try to "link" malloc_api-<name>.d).
%.d: ;

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d $(BUILD)/*/*/*/*.d)
