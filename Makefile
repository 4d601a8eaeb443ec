# mnemo's front door. CMake does the building; this file names the steps.
#   make        build everything into build/ (warnings are errors)
#   make run    install missing build dependencies, build, run mnemod on 127.0.0.1:11211
#   make test   build and run every test, then all of it again under ASan+UBSan and
#               under ThreadSanitizer
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
PYTHON     ?= /usr/bin/python3
JOBS       ?= $(shell nproc)
PORT       ?= 11211
PYTEST      = $(PYTHON) -m pytest -q -p no:cacheprovider

.PHONY: all build run test test-asan test-tsan fuzz deps deps-test clean

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

# One build directory's worth of tests: C unit tests, then the integration
# suites against the mnemod of that build.
define run_suite
	ctest --test-dir $(1) --output-on-failure
	MNEMOD=$(CURDIR)/$(1)/mnemod MNEMO_BUILD_DIR=$(CURDIR)/$(1) $(PYTEST) tests/integration
endef

test: deps-test build
	$(call run_suite,$(BUILD))
	MNEMO_TEST_SERVER=memcached MNEMO_BUILD_DIR=$(CURDIR)/$(BUILD) $(PYTEST) tests/integration/client
	$(MAKE) test-asan
	$(MAKE) test-tsan
	$(MAKE) fuzz

test-asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DMNEMO_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j$(JOBS)
	$(call run_suite,$(ASAN_BUILD))

# ThreadSanitizer slows everything down: time bounds in the suites stretch 3x
# (assertions stay as they are).
test-tsan: export MNEMO_TEST_TIME_SCALE = 3
test-tsan:
	cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DMNEMO_TSAN=ON
	cmake --build $(TSAN_BUILD) -j$(JOBS)
	$(call run_suite,$(TSAN_BUILD))

fuzz:
	scripts/fuzz-brief.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) build-fuzz
