# The two commands of the README: `make demo` and `make test`. Both install what is
# missing (scripts/install-deps.sh), build, and run.

PRESET_TEST := asan-ubsan
PRESET_RUN  := release
JOBS ?= $(shell nproc)

.PHONY: all deps build build-test demo test format clean

all: build

deps:
	@scripts/install-deps.sh
	@scripts/install-npm-tools.sh >/dev/null

# Release build: binaries in build/bin/ (demo, end-to-end tests, benchmarks).
build: deps
	cmake --preset $(PRESET_RUN)
	cmake --build --preset $(PRESET_RUN) -j $(JOBS)

# Sanitizer build: every unit and integration test runs here, once.
build-test: deps
	cmake --preset $(PRESET_TEST)
	cmake --build --preset $(PRESET_TEST) -j $(JOBS)

test: build-test
	ctest --preset $(PRESET_TEST) -j $(JOBS)

demo: build
	/usr/bin/python3 scripts/demo.py --bin-dir build/bin --python-dir build/release/python

format:
	git ls-files -z '*.cc' '*.h' '*.cu' '*.cuh' '*.proto' | xargs -0 clang-format -i

clean:
	rm -rf build
