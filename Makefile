# A thin layer over CMake. `make demo` and `make test` are the whole set-up on Debian 12.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all deps build test demo asan asan-test valgrind clean update-actions

all: build

deps:
	scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_ARGS)
	cmake --build $(BUILD) -j $(JOBS)

# Unit tests, SigV4 vectors and the integration tests against a local moto_server.
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The main job end to end against a local moto estate: collect, analyse, report.
demo: build
	$(BUILD)/cli/iam-audit demo --out demo-out

asan: deps
	cmake -S . -B $(ASAN_BUILD) -DIA_SANITIZE=ON $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)

asan-test: asan
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

valgrind: build
	IA_WITH_VALGRIND=1 scripts/install-deps
	ctest --test-dir $(BUILD) -L unit -T memcheck --output-on-failure

# Move deps/iam-data.pin (AWS's action catalogue) to the newest version on the npm
# registry, check its integrity and fetch it; review and commit the pin's change.
update-actions:
	scripts/update-actions

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) demo-out
