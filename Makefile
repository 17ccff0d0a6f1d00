# heaplab - build, test and benchmark.
#
#   make            build ./bench, the recorder and the preloadable allocator
#                   libraries build/lib/libheaplab-<name>.so (docs/run.md)
#   make test       build everything and run the whole test suite
#   make deps       install the Debian packages heaplab needs (root or sudo)
#   make san        build a sanitizer (address + undefined) bench in build/san
#   make benchmark  every workload against every allocator: one table (~3 min)
#   make test-san   the whole test suite against the sanitizer build
#   make fuzz       build the libFuzzer targets (tests/fuzz/) with clang and run
#                   each for FUZZ_SECONDS; crashes land in build/fuzz/crashes
#   make demo       run a small suite into results/demo and chart it (plot.sh)
#   make programs   the program suite (workloads/programs/): whole programs on
#                   the built-ins that scale and every installed peer, into
#                   results/programs, charted into charts/programs (~4 min CPU)
#   make baseline   regenerate results/baseline (memory regression baseline, CI)
#   make bench-harness  measure the harness's own cost (docs/speed.md)
#   make bench-compare  measure bench compare's false alarms, power and the
#                   fairness of the timed passes on this machine (docs/compare.md)
#   make bench-pair     the same for bench compare --pair (interleaved suites)
#   make install    install heaplab-bench, heaplab-plot, the libraries, the man
#                   pages and the bash completion under PREFIX (DESTDIR too)
#   make uninstall  remove exactly what make install put there
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

# The harness in layers (docs/architecture.md): one archive per folder of
# harness/, linked top layer first and the allocators last, so an object can
# only call into its own layer and those below it (scripts/check_layers.sh
# holds the includes to the same rule).  Programs link the archives and take
# only the objects they use: fuzz_trace gets the core alone.
LAYERS       := commands results process replay core
ALLOC_SRC    := $(wildcard allocators/*.c)
layer_src     = $(filter-out harness/commands/main.c,$(wildcard harness/$(1)/*.c))
LAYER_LIBS   := $(foreach l,$(LAYERS),$(BUILD)/harness/lib$(l).a)
ALLOC_LIB    := $(BUILD)/allocators/liballocators.a
HARNESS_LIBS := $(LAYER_LIBS) $(ALLOC_LIB)
MAIN_OBJ     := $(BUILD)/harness/commands/main.o
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
# the harness's own benchmark (docs/speed.md): a driver and a trivial allocator
HBENCH_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/bench/*.c))
HBENCH      := $(BUILD)/bench-harness
TEST_PROGS  := $(patsubst tests/programs/%.c,$(BUILD)/tests/programs/%,$(wildcard tests/programs/*.c))

# Preloadable libraries, one per allocator table (docs/run.md).  The tables
# are the lines `ALLOCATOR(x)` of allocators/list.h, the one list the registry
# (allocators/registry.c) is built from too.  A library is named after its
# table without "alloc_" and with "-" for "_", which is the name --alloc
# takes (tests/cli/programs.sh checks the libraries and `bench --list`
# agree).  Each library links the wrapper against an archive of PIC objects,
# so the linker takes only what that table needs: the file defining it, the
# shared layers it calls (such as allocators/segfit.c) and common.c and
# heap.c - the code the harness measures, not a copy.  Never built with the
# sanitizers, like the recorder.
PIC          := $(BUILD)/pic
LIBDIR       := $(BUILD)/lib
PRELOAD_NAMES := $(subst _,-,$(shell sed -nE 's/^ALLOCATOR\(([a-z0-9_]+)\).*/\1/p' allocators/list.h))
PRELOAD_LIBS := $(patsubst %,$(LIBDIR)/libheaplab-%.so,$(PRELOAD_NAMES))
PIC_OBJ      := $(patsubst %.c,$(PIC)/%.o,$(filter-out allocators/registry.c,$(ALLOC_SRC)))
PIC_ARCHIVE  := $(PIC)/libheaplab-pic.a
PICFLAGS     := -fPIC -fno-semantic-interposition

# The student kit (docs/students.md): what `bench --alloc path/mm.c` links a
# student's source with - the adapter for each interface, the preload wrapper
# built for it, the heap provider and the lab's headers - in build/lib/student,
# where bench looks for it (beside the preload libraries).  Never built with
# the sanitizers: it goes into shared objects like the preload libraries.
KIT          := $(LIBDIR)/student
KIT_FILES    := $(KIT)/adapter-mm.o $(KIT)/adapter-malloc.o $(KIT)/malloc_api.o \
                $(KIT)/libheaplab-student.a $(KIT)/exports.map \
                $(KIT)/include/mm.h $(KIT)/include/memlib.h

.PHONY: all preload student-kit test check deps san test-san fuzz fuzz-build clean install \
	uninstall workloads-large demo demo-run test-run baseline bench-harness bench-compare \
	bench-pair benchmark programs programs-run
all: $(BENCH) $(RECORD_LIB) preload student-kit $(TEST_PROGS)
preload: $(PRELOAD_LIBS)
student-kit: $(KIT_FILES)

$(KIT)/adapter-%.o: student/adapter.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLCPPFLAGS) $(ALLCFLAGS) $(PICFLAGS) -DSTUDENT_$(shell echo $* | tr a-z A-Z) -c -o $@ $<

$(KIT)/malloc_api.o: preload/malloc_api.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLCPPFLAGS) $(ALLCFLAGS) $(PICFLAGS) -DHEAPLAB_ALLOCATOR=heaplab_student_table \
	  -DHEAPLAB_PTR_ALIGN=8 -c -o $@ $<

$(KIT)/libheaplab-student.a: $(PIC)/allocators/heap.o $(PIC)/allocators/common.o
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(KIT)/exports.map: preload/exports.map
	@mkdir -p $(dir $@)
	cp $< $@

$(KIT)/include/%.h: student/include/%.h
	@mkdir -p $(dir $@)
	cp $< $@
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

$(RECORD_LIB): recorder/record_preload.c harness/core/trace_format.h
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

# every workload against every allocator, one table (docs/benchmark.md);
# the grow traces show how the cost per operation scales with the live set
BENCH_LARGE := $(foreach n,10000 100000 1000000,workloads/large/grow-$(n).trace)
workloads/large/grow-%.trace: | $(BENCH)
	@mkdir -p workloads/large
	./$(BENCH) gen grow --ops $* -o $@
benchmark: $(BENCH) $(BENCH_LARGE)
	BENCH=./$(BENCH) sh scripts/benchmark.sh

define layer_archive
$(BUILD)/harness/lib$(1).a: $(patsubst %.c,$(BUILD)/%.o,$(call layer_src,$(1)))
	@mkdir -p $$(dir $$@)
	rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_archive,$(l))))

$(ALLOC_LIB): $(patsubst %.c,$(BUILD)/%.o,$(ALLOC_SRC))
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BENCH): $(MAIN_OBJ) $(HARNESS_LIBS)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(HBENCH): $(HBENCH_OBJ) $(HARNESS_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench-harness: $(BENCH) $(HBENCH)
	BENCH=./$(BENCH) HBENCH=./$(HBENCH) scripts/bench_harness.sh

# the compare gate's quality: a benchmark (minutes, timing), never part of make test
bench-compare: all $(BENCH_TEST)
	BENCH=./$(BENCH) BENCH_TEST=./$(BENCH_TEST) sh scripts/bench_compare.sh

# the same for bench compare --pair on interleaved suites (docs/compare.md)
bench-pair: all $(BENCH_TEST)
	BENCH=./$(BENCH) BENCH_TEST=./$(BENCH_TEST) sh scripts/bench_pair.sh

$(UNIT): $(TEST_OBJ) $(HARNESS_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BENCH_TEST): $(MAIN_OBJ) $(TESTALLOC_OBJ) $(HARNESS_LIBS)
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

# `make test` and `make demo` are the README's two commands on a fresh
# machine: they install what is missing first (a no-op when nothing is), then
# build in a second make so that -j cannot start compiling before the headers
# are there.
test check: deps
	$(MAKE) test-run

test-run: $(BENCH) $(UNIT) $(RECORD_LIB) $(PRELOAD_LIBS) $(KIT_FILES) $(TEST_PROGS) $(BENCH_TEST) \
	  $(TESTLIBS)
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

# Any sanitizer report fails the test that caused it (exit 86/87 is never an
# expected status).  detect_leaks stays on; the heap provider's PROT_NONE
# reservation needs no exemption (ASan only shadows what it allocates itself).
# handle_segv/bus/fpe/ill=0: the test allocators that crash on purpose must die
# of the real signal, as in a plain build, for the harness to name it; a crash
# of the harness itself still kills the test.
SAN_ENV = ASAN_OPTIONS=halt_on_error=1:abort_on_error=0:detect_leaks=1:allocator_may_return_null=1:exitcode=86:handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0 \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=87 HEAPLAB_SANITIZER=1
test-san: san $(TEST_PROGS) $(PRELOAD_LIBS) $(KIT_FILES)
	$(SAN_ENV) BENCH=build/san/bench UNIT=build/san/unit-tests PROGS=./build/tests/programs \
	  BENCH_TEST=build/san/bench-test TESTLIB_DIR=build/san/tests \
	  HEAPLAB_LIB_DIR=$(CURDIR)/$(LIBDIR) tests/run.sh

# libFuzzer: the harness is rebuilt with clang and coverage instrumentation in
# build/fuzz/obj; each tests/fuzz/fuzz_NAME.c becomes build/fuzz/fuzz_NAME.
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS   = -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
		-fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZ_WRAP     = -Wl,--wrap=bulk_alloc,--wrap=bulk_resize,--wrap=bulk_free,--wrap=bulk_strdup
FUZZ_TARGETS := fuzz_trace fuzz_result
fuzz-build:
	$(MAKE) CC=clang BUILD=build/fuzz/obj CFLAGS="$(FUZZ_CFLAGS)" \
	  $(patsubst %,build/fuzz/%,$(FUZZ_TARGETS))

# fuzz_trace keeps a ledger of the reader's mmap'd memory through these wraps
build/fuzz/fuzz_trace: FUZZ_LDFLAGS = $(FUZZ_WRAP)
# each fuzzer links the layers it reaches: the trace reader is the core's
build/fuzz/fuzz_trace: $(BUILD)/harness/libcore.a
build/fuzz/fuzz_result: $(filter-out %/libcommands.a,$(LAYER_LIBS)) $(ALLOC_LIB)
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c
	$(CC) $(ALLCPPFLAGS) $(ALLCFLAGS) -fsanitize=fuzzer $(FUZZ_LDFLAGS) -o $@ $^ $(LDLIBS)

fuzz: fuzz-build
	@mkdir -p build/fuzz/crashes
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t || exit 1; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS)s"; \
	  build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 \
	    -print_final_stats=1 -artifact_prefix=build/fuzz/crashes/$$t- \
	    $$(test -f tests/fuzz/$$t.dict && echo -dict=tests/fuzz/$$t.dict) \
	    build/fuzz/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

deps:
	sh .ci/deps.sh

# A real small suite: a handful of built-ins and every installed peer (glibc,
# jemalloc, tcmalloc, mimalloc) x a few shipped workloads, three timed runs
# and the latency pass each, then the charts (plot.sh).
DEMO_ALLOCS ?= bump,implicit-first,explicit-lifo,segregated,tlsf,buddy,slab,peers
DEMO_TRACE_NAMES ?= web binary coalescing realloc-growth random
comma := ,
space := $(subst ,, )
DEMO_TRACES = $(subst $(space),$(comma),$(DEMO_TRACE_NAMES:%=workloads/%.trace))
demo: deps
	$(MAKE) demo-run

demo-run: all
	rm -rf results/demo charts/demo
	./$(BENCH) --alloc "$(DEMO_ALLOCS)" --trace "$(DEMO_TRACES)" --runs 3 --latency \
	  --out results/demo
	BENCH=./$(BENCH) sh plot.sh -o charts/demo results/demo
	@echo "demo: results in results/demo/, charts in charts/demo/"

# The program suite (docs/run.md): workloads/programs/programs.list, inputs
# made at first use by inputs.sh.  bump (never frees) and the O(n) designs
# (implicit-*, explicit-addr) are left out by default: real programs take
# minutes on them.  `bench run` exits 1 when a cell is not ok (a mismatch, a
# crash): the table says which, and the suite is still charted.
PROGRAM_ALLOCS ?= explicit-lifo,segregated,tlsf,buddy,slab,tlsf-tcache,peers
PROGRAM_RUNS   ?= 3
$(BUILD)/programs/%: workloads/programs/%.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -g -o $@ $< -lpthread

programs: deps
	$(MAKE) programs-run

programs-run: all $(BUILD)/programs/handoff
	sh workloads/programs/inputs.sh
	rm -rf results/programs charts/programs
	./$(BENCH) run --alloc "$(PROGRAM_ALLOCS)" --runs $(PROGRAM_RUNS) --out results/programs \
	  --programs workloads/programs/programs.list || [ $$? -eq 1 ]
	./$(BENCH) report --format markdown --fields allocator,program,status,wall_s_median,peak_rss_bytes,minor_faults,major_faults,wall_ratio_glibc,rss_ratio_glibc results/programs
	BENCH=./$(BENCH) sh plot.sh -o charts/programs results/programs
	@echo "programs: results in results/programs/, charts in charts/programs/"

# The memory baseline .ci/regression.sh compares against: every built-in on
# the small shipped traces.  Only memory figures are compared (exact), so
# one timed run is enough.  Commit the result after an intended change.
baseline: all
	rm -rf results/baseline.new
	BENCH=./$(BENCH) RUNS=1 sh .ci/suite.sh results/baseline.new
	rm -rf results/baseline && mv results/baseline.new results/baseline

# The installed layout: bench finds its libraries in ../lib/heaplab beside
# itself (harness/commands/run.c, record.c), heaplab-plot finds
# heaplab-bench beside itself; help texts name the program as installed (argv[0]).
BINDIR   = $(PREFIX)/bin
HLLIBDIR = $(PREFIX)/lib/heaplab
MAN1DIR  = $(PREFIX)/share/man/man1
COMPDIR  = $(PREFIX)/share/bash-completion/completions
MANPAGES = docs/man/heaplab-bench.1 docs/man/heaplab-plot.1
install: $(BENCH) $(RECORD_LIB) $(PRELOAD_LIBS) $(KIT_FILES)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(HLLIBDIR) $(DESTDIR)$(MAN1DIR) \
	  $(DESTDIR)$(COMPDIR) $(DESTDIR)$(HLLIBDIR)/student/include
	install -m 644 $(filter-out $(KIT)/include/%,$(KIT_FILES)) \
	  $(DESTDIR)$(HLLIBDIR)/student/
	install -m 644 $(KIT)/include/mm.h $(KIT)/include/memlib.h \
	  $(DESTDIR)$(HLLIBDIR)/student/include/
	install -m 755 $(BENCH) $(DESTDIR)$(BINDIR)/heaplab-bench
	install -m 755 plot.sh $(DESTDIR)$(BINDIR)/heaplab-plot
	install -m 644 $(RECORD_LIB) $(DESTDIR)$(HLLIBDIR)/libheaplab-record.so
	install -m 644 $(PRELOAD_LIBS) $(DESTDIR)$(HLLIBDIR)/
	install -m 644 $(MANPAGES) $(DESTDIR)$(MAN1DIR)/
	install -m 644 scripts/completion.bash $(DESTDIR)$(COMPDIR)/heaplab-bench
	ln -sf heaplab-bench $(DESTDIR)$(COMPDIR)/heaplab-plot

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/heaplab-bench $(DESTDIR)$(BINDIR)/heaplab-plot
	rm -f $(DESTDIR)$(HLLIBDIR)/libheaplab-record.so \
	  $(patsubst $(LIBDIR)/%,$(DESTDIR)$(HLLIBDIR)/%,$(PRELOAD_LIBS))
	rm -f $(patsubst $(KIT)/%,$(DESTDIR)$(HLLIBDIR)/student/%,$(KIT_FILES))
	-rmdir $(DESTDIR)$(HLLIBDIR)/student/include $(DESTDIR)$(HLLIBDIR)/student \
	  $(DESTDIR)$(HLLIBDIR) 2>/dev/null
	rm -f $(patsubst docs/man/%,$(DESTDIR)$(MAN1DIR)/%,$(MANPAGES))
	rm -f $(DESTDIR)$(COMPDIR)/heaplab-bench $(DESTDIR)$(COMPDIR)/heaplab-plot

clean:
	rm -rf $(BUILD) $(BENCH)

# Dependency files are made by the compiler, never by a rule (without this,
# make's built-in `%: %.o` would try to "link" malloc_api-<name>.d).
%.d: ;

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d $(BUILD)/*/*/*/*.d)
