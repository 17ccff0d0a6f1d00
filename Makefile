# heaplab - build, test and benchmark.
#
#   make            build ./bench, the preloadable libraries build/lib/libheaplab-<name>.so
#                   (one per allocator) and the test programs in build/programs
#   make test       build everything and run the whole test suite
#   make deps       install the Debian packages heaplab needs (root or sudo)
#   make san        build a sanitizer (address + undefined) bench in build/san
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

# Preloadable libraries (docs/run.md).  The tables are found where they are
# defined - `const struct allocator alloc_x = {` - so a file exporting several
# tables gives several libraries.  A library's name is its table's without
# "alloc_" and with "-" for "_", which is the name --alloc takes (the
# convention every allocator follows; tests/cli/programs.sh checks that the
# libraries and `bench --list` agree).  Each library links the wrapper against
# an archive of PIC objects, so the linker takes only the file defining that
# table (plus common.c and heap.c): the same code the harness measures.
PIC          := $(BUILD)/pic
LIBDIR       := $(BUILD)/lib
ALLOC_TABLES := $(shell sed -nE 's/^const struct allocator (alloc_[a-z0-9_]+)[[:space:]]*=.*/\1/p' $(ALLOC_SRC))
PRELOAD_NAMES := $(subst _,-,$(patsubst alloc_%,%,$(ALLOC_TABLES)))
PRELOAD_LIBS := $(patsubst %,$(LIBDIR)/libheaplab-%.so,$(PRELOAD_NAMES))
PIC_OBJ      := $(patsubst %.c,$(PIC)/%.o,harness/heap.c $(filter-out allocators/registry.c,$(ALLOC_SRC)))
PIC_ARCHIVE  := $(PIC)/libheaplab-pic.a
PICFLAGS     := -fPIC -fno-semantic-interposition

# Small C programs the command-line tests run under the libraries.
PROGRAMS     := $(patsubst tests/programs/%.c,$(BUILD)/programs/%,$(wildcard tests/programs/*.c))

.PHONY: all preload programs test check deps san clean install
all: $(BENCH) preload programs
preload: $(PRELOAD_LIBS)
programs: $(PROGRAMS)
.SECONDARY: $(patsubst %,$(PIC)/preload/malloc_api-%.o,$(PRELOAD_NAMES))

$(BENCH): $(CORE_OBJ) $(MAIN_OBJ)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(UNIT): $(CORE_OBJ) $(TEST_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLCPPFLAGS) $(ALLCFLAGS) -c -o $@ $<

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

$(BUILD)/programs/%: tests/programs/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -fno-builtin $(LDFLAGS) -o $@ $< -lpthread -ldl

test check: $(BENCH) $(UNIT) $(PRELOAD_LIBS) $(PROGRAMS)
	BENCH=./$(BENCH) UNIT=./$(UNIT) tests/run.sh

san:
	$(MAKE) BUILD=build/san BENCH=build/san/bench \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" build/san/bench build/san/unit-tests

deps:
	sh .ci/deps.sh

install: $(BENCH) $(PRELOAD_LIBS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/heaplab
	install -m 755 $(BENCH) $(DESTDIR)$(PREFIX)/bin/heaplab-bench
	install -m 644 $(PRELOAD_LIBS) $(DESTDIR)$(PREFIX)/lib/heaplab/

clean:
	rm -rf $(BUILD) $(BENCH)

# Dependency files are made by the compiler, never by a rule (without this,
# make's built-in `%: %.o` would try to "link" malloc_api-<name>.d).
%.d: ;

-include $(wildcard $(BUILD)/*/*.d $(BUILD)/*/*/*.d $(BUILD)/*/*/*/*.d)
