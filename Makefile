# mnemo's front door. CMake does the building; this file names the steps.
#   make        build everything into build/ (warnings are errors)
#   make run    install missing build dependencies, build, run mnemod on 127.0.0.1:11211
#   make test   build and run every test, then all of it again under ASan+UBSan and
#               under ThreadSanitizer
#   make reference  build memcached 1.6.45, the differential suite's reference, from
#               ../shared/reference into $(BUILD)/reference (make test does this first)
#   make install PREFIX=/usr/local   (DESTDIR too) the programs, libmnemo, its header
#               and pkg-config file, the man pages
#   make deb    the Debian packages (dpkg-buildpackage, lintian-clean) into $(BUILD)/deb
#   make deb-check  build them, install into a throwaway root and check (make test runs it)
#   make mutants    the mutation check: every mutant of tests/mutants/mutants.ini applied
#               to a copy of the tree in $(BUILD)/mutants, built and tested (make test
#               runs the few marked sample, after checking the whole list is current)
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
PYTHON     ?= /usr/bin/python3
JOBS       ?= $(shell nproc)
PORT       ?= 11211
PREFIX     ?= /usr/local
# The integration suites spend most of their time waiting on servers (a clock
# tick, an expiry, a restart), not on the CPU: four pytest-xdist workers cut a pass
# to about a third.  Each worker takes server ports from a slice of its own
# (mnemo_harness.free_port).  TEST_WORKERS=0 runs one test at a time.
TEST_WORKERS ?= 4
PYTEST      = $(PYTHON) -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS)
# The reference memcached lives beside the repository (CI puts a read-only copy of
# shared/ there), so it is built into the build tree, never into shared/.
REFERENCE_SCRIPT ?= $(CURDIR)/../shared/reference/build-memcached.sh
REFERENCE_DIR    ?= $(CURDIR)/$(BUILD)/reference
MEMCACHED_NEW    ?= $(REFERENCE_DIR)/memcached-1.6.45/memcached

.PHONY: all build run reference install deb deb-check test test-asan test-tsan fuzz mutants deps deps-test clean

all: build

deps:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh test

build:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j$(JOBS)

run: deps build
	$(BUILD)/mnemod -p $(PORT) -l 127.0.0.1 -v

reference:
	@test -f $(REFERENCE_SCRIPT) || { echo "error: $(REFERENCE_SCRIPT) is missing: the differential suite compares with memcached 1.6.45 built from it (put a copy of shared/ beside the repository)" >&2; exit 1; }
	bash $(REFERENCE_SCRIPT) $(REFERENCE_DIR)

# One build directory's worth of tests: C unit tests, then the integration
# suites against the mnemod of that build (the differential suite also against
# memcached 1.6.45, MEMCACHED_NEW).
# The integration suites run twice, once on each of the workers' I/O backends
# (io_uring, the default, and epoll readiness with -o io_uring=off), so each
# backend's connection types (net/conn_uring.c and net/conn_tls_uring.c,
# net/conn_epoll.c and net/conn_tls.c) pass what they assert.
define run_suite
	$(2) ctest --test-dir $(1) --output-on-failure -j$(JOBS)
	MNEMOD=$(CURDIR)/$(1)/mnemod MNEMO_BUILD_DIR=$(CURDIR)/$(1) MEMCACHED_NEW=$(MEMCACHED_NEW) \
		$(2) $(PYTEST) tests/integration
	MNEMOD_EXTRA_ARGS="-o io_uring=off" MNEMOD=$(CURDIR)/$(1)/mnemod \
		MNEMO_BUILD_DIR=$(CURDIR)/$(1) MEMCACHED_NEW=$(MEMCACHED_NEW) \
		$(2) $(PYTEST) tests/integration
endef

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

deb: deps-test
	scripts/build-deb.sh $(CURDIR)/$(BUILD)/deb

deb-check: deps-test
	scripts/check-deb.sh

test: deps-test build reference
	$(call run_suite,$(BUILD))
	MNEMO_TEST_SERVER=memcached MNEMO_BUILD_DIR=$(CURDIR)/$(BUILD) $(PYTEST) tests/integration/client
	scripts/check-deb.sh
	scripts/mutants --check
	MEMCACHED_NEW=$(MEMCACHED_NEW) scripts/mutants --sample --work $(CURDIR)/$(BUILD)/mutants
	$(MAKE) test-asan
	$(MAKE) test-tsan
	$(MAKE) fuzz

test-asan: reference
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DMNEMO_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	$(call run_suite,$(ASAN_BUILD))

# ThreadSanitizer slows everything down: time bounds in the suites stretch 3x
# (assertions stay as they are). It also keeps applications to fixed address
# ranges, and with address-space randomization a 1 TiB store's reservation
# (-m 1048576, test_store_arena) lands outside them about one time in four:
# TSan then fails the mmap. Without randomization (setarch -R, inherited by
# every process the suites start) the layout is the same on every run.
test-tsan: export MNEMO_TEST_TIME_SCALE = 3
test-tsan: reference
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DMNEMO_TSAN=ON
	cmake --build $(TSAN_BUILD) -j$(JOBS)
	$(call run_suite,$(TSAN_BUILD),setarch $(shell uname -m) -R)

fuzz:
	scripts/fuzz-brief.sh

mutants: reference
	MEMCACHED_NEW=$(MEMCACHED_NEW) scripts/mutants --work $(CURDIR)/$(BUILD)/mutants

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) build-fuzz
