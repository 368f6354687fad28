# Lookalike — the newcomer's entry points. See README.md.
#   make demo    install, build, index a demo image set, serve the web page
#   make test    install, build, run all tests (CTest)
#   make bench   build and run the benchmarks (writes tables to bench/out/)
#   make bench-cluster  ingest and search of a local 1-, 2- and 3-node cluster (a few minutes)
#   make build   Release build into build/ (build/lookalike and the libraries)
#   make fuzz    every libFuzzer target for FUZZ_SECONDS each (crashes: tests/fuzz/crashes/)

BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
JOBS      ?= $(shell nproc)
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?=

.PHONY: all deps build test test-asan asan-configure fuzz bench bench-cluster demo clean format

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

# Unit tests (label "unit") again under AddressSanitizer + UndefinedBehaviorSanitizer, built with
# clang so that the same build also holds the libFuzzer targets (tests/fuzz): the libraries are
# compiled once with ASan+UBSan+fuzzer coverage, and the fuzz smoke (label "fuzz": every seed and
# regression input replayed, then LOOKALIKE_FUZZ_SMOKE_SECONDS of fuzzing per target) runs with
# the unit tests.
test-asan: asan-configure
	cmake --build $(ASAN_DIR) -j $(JOBS)
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ctest --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS) -L 'unit|fuzz' --timeout 900

# A build dir configured by gcc (before the switch to clang) is started afresh.
asan-configure: deps
	@if [ -f $(ASAN_DIR)/CMakeCache.txt ] && \
	    ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++' $(ASAN_DIR)/CMakeCache.txt; then \
	  echo "$(ASAN_DIR) was configured with another compiler; reconfiguring with clang"; \
	  rm -rf $(ASAN_DIR); \
	fi
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	  -DLOOKALIKE_SANITIZE=address,undefined -DLOOKALIKE_FUZZ=ON -DLOOKALIKE_BUILD_BENCH=OFF \
	  $(CMAKE_FLAGS)

# Long fuzzing: each target (or FUZZ_TARGETS="search bulk") for FUZZ_SECONDS, one after another.
fuzz: asan-configure
	cmake --build $(ASAN_DIR) -j $(JOBS) --target fuzz_targets
	bash tests/fuzz/run.sh long $(ASAN_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

bench: build
	bash bench/run.sh $(BUILD_DIR)

# Real `serve --cluster` nodes with etcd + NATS (scripts/cluster.sh); sizes: CLUSTER_BENCH_ARGS.
bench-cluster: build
	python3 bench/cluster/cluster_bench.py --binary $(BUILD_DIR)/lookalike $(CLUSTER_BENCH_ARGS)

demo: build
	bash scripts/demo.sh $(BUILD_DIR)

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
