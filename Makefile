# heaplab - build, test and benchmark.
#
#   make            build ./bench
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
TESTLIBS    := $(BUILD)/tests/libtestmalloc.so $(BUILD)/tests/libtestmalloc-noalign.so
# The test libraries replace malloc: never build them with sanitizers.
TESTLIB_CFLAGS = -std=gnu11 $(WARN) -O2 -g -fPIC -shared -fno-builtin
# The recorder is preloaded into other programs: never built with the
# sanitizers (it must not depend on their runtimes), always position-independent.
RECORD_LIB  := $(BUILD)/libheaplab-record.so
RECORD_CFLAGS = -std=gnu11 $(WARN) -O2 -g -fPIC -shared -fvisibility=hidden
TEST_PROGS  := $(patsubst tests/programs/%.c,$(BUILD)/tests/programs/%,$(wildcard tests/programs/*.c))

.PHONY: all test check deps san clean install workloads-large
all: $(BENCH) $(RECORD_LIB)

$(RECORD_LIB): recorder/record_preload.c
	@mkdir -p $(dir $@)
	$(CC) $(RECORD_CFLAGS) -o $@ $< -lpthread

# small programs the recorder tests run (tests/cli/record.sh)
$(BUILD)/tests/programs/%: tests/programs/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O1 -g -o $@ $< -lpthread

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

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLCPPFLAGS) $(ALLCFLAGS) -c -o $@ $<

test check: $(BENCH) $(UNIT) $(RECORD_LIB) $(TEST_PROGS) $(BENCH_TEST) $(TESTLIBS)
	BENCH=./$(BENCH) UNIT=./$(UNIT) PROGS=./$(BUILD)/tests/programs \
	  BENCH_TEST=./$(BENCH_TEST) TESTLIB_DIR=./$(BUILD)/tests tests/run.sh

san:
	$(MAKE) BUILD=build/san BENCH=build/san/bench \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" build/san/bench build/san/unit-tests \
	  build/san/libheaplab-record.so build/san/bench-test \
	  build/san/tests/libtestmalloc.so build/san/tests/libtestmalloc-noalign.so

deps:
	sh .ci/deps.sh

install: $(BENCH) $(RECORD_LIB)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/heaplab
	install -m 755 $(BENCH) $(DESTDIR)$(PREFIX)/bin/heaplab-bench
	install -m 644 $(RECORD_LIB) $(DESTDIR)$(PREFIX)/lib/heaplab/libheaplab-record.so

clean:
	rm -rf $(BUILD) $(BENCH)

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d)
