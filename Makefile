# Lookalike — the newcomer's entry points. See README.md.
#   make demo    install, build, index a demo image set, serve the web page
#   make test    install, build, run all tests (CTest)
#   make bench   build and run the benchmarks (writes tables to bench/out/)
#   make build   Release build into build/ (build/lookalike and the libraries)

BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
JOBS      ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build test test-asan bench demo clean format

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) --timeout 900
	@if [ "$${LOOKALIKE_SKIP_ASAN:-0}" != 1 ]; then $(MAKE) --no-print-directory test-asan; fi

# Unit tests (label "unit") again under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: deps
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DLOOKALIKE_SANITIZE=address,undefined -DLOOKALIKE_BUILD_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(ASAN_DIR) -j $(JOBS)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS) -L unit --timeout 900

bench: build
	bash bench/run.sh $(BUILD_DIR)

demo: build
	bash scripts/demo.sh $(BUILD_DIR)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
