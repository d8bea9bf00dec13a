# spatia - the two commands are `make demo` and `make test`; both set up a
# fresh Debian 12 first (scripts/setup.sh) and are idempotent.
BUILD  ?= build
ASAN   ?= build-asan
JOBS   ?= $(shell nproc)

.PHONY: all setup build asan test test-fast demo demo-gt bench clean format

all: build

setup:
	@scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

asan: setup
	@cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DSPATIA_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN) -j $(JOBS)

# The suite runs twice: in the normal build and in the ASan+UBSan build.
test: build asan
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	  SPATIA_SANITIZED=1 ctest --test-dir $(ASAN) --output-on-failure -j $(JOBS)

test-fast: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

demo: build
	@scripts/demo.sh

# The same job with the ground-truth boxes of ../shared as detections.
demo-gt: build
	@scripts/demo.sh gt

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN)
