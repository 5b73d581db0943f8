# The two commands of the README: `make demo` and `make test`. Both install what is
# missing (scripts/install-deps.sh), build, and run.

PRESET_TEST := asan-ubsan
PRESET_RUN  := release
JOBS ?= $(shell nproc)
# `make fuzz`: how long each fuzzer runs (tests/fuzz/run_fuzzer.sh), one after another.
FUZZ_SECONDS ?= 600
FUZZERS := $(notdir $(wildcard tests/fuzz/corpus/*))

.PHONY: all deps build build-test build-fuzz demo test fuzz format clean

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

# The fuzzers (clang, libFuzzer): only they and the libraries they fuzz are built.
build-fuzz: deps
	cmake --preset fuzz
	cmake --build --preset fuzz -j $(JOBS)

# Every unit and integration test, then each fuzzer: its corpus and 10 seconds more.
test: build-test build-fuzz
	ctest --preset $(PRESET_TEST) -j $(JOBS)
	ctest --preset fuzz -j $(JOBS)

# Long fuzzing runs: each fuzzer FUZZ_SECONDS, one at a time; fails if any finds a bug.
fuzz: build-fuzz
	@failed=""; for name in $(FUZZERS); do \
	  tests/fuzz/run_fuzzer.sh $$name $(FUZZ_SECONDS) || failed="$$failed $$name"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: findings in:$$failed"; exit 1; fi

# `make demo OUTCOMES=FILE [PRICES=FILE]` also replays an outcomes file (docs/outcomes.md).
demo: build
	/usr/bin/python3 scripts/demo.py --bin-dir build/bin --python-dir build/release/python \
	  $(if $(OUTCOMES),--outcomes "$(OUTCOMES)") $(if $(PRICES),--prices "$(PRICES)")

format:
	git ls-files -z '*.cc' '*.h' '*.cu' '*.cuh' '*.proto' | xargs -0 clang-format -i

clean:
	rm -rf build
