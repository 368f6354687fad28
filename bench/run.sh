#!/usr/bin/env bash
# Runs the benchmarks that have been built; each writes its table under bench/out/.
#
#   bash bench/run.sh [BUILD_DIR]          (what `make bench` runs)
#
# Environment:
#   BENCH_N=1000000     base vectors for bench_ann (default 100000, about 15 minutes here)
#   BENCH_NQ=1000       queries for bench_ann
#   BENCH_DATASET=hard  synthetic preset (hard, easy) or a vector file (.fvecs/.fbin/.npy/raw)
#   BENCH_LIBS=...      libraries for bench_ann (default: lookalike:16,hnswlib:16,faiss:16,faiss:48)
#   BENCH_ANN_ARGS=...  extra flags for bench_ann (see `bench_ann --help`)
#   BENCH_SKIP_ANN=1 / BENCH_SKIP_MICRO=1  skip one of them
#   BENCH_SNAPSHOT_DATA=DIR  also time snapshot/restore of a stopped server's data directory
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
OUT=bench/out
mkdir -p "$OUT"
ran=0

if [ -x "$BUILD_DIR/bench_ann" ] && [ "${BENCH_SKIP_ANN:-0}" != 1 ]; then
  ran=1
  args=(--dataset "${BENCH_DATASET:-hard}" --n "${BENCH_N:-100000}" --nq "${BENCH_NQ:-1000}"
        --out "$OUT" --cache "$OUT/cache")
  if [ -n "${BENCH_LIBS:-}" ]; then args+=(--libs "$BENCH_LIBS"); fi
  # shellcheck disable=SC2206  # BENCH_ANN_ARGS is a flag list meant to be split
  extra=(${BENCH_ANN_ARGS:-})
  echo "== $BUILD_DIR/bench_ann ${args[*]} ${extra[*]}"
  "$BUILD_DIR/bench_ann" "${args[@]}" "${extra[@]}"
fi

if [ -x "$BUILD_DIR/bench_micro" ] && [ "${BENCH_SKIP_MICRO:-0}" != 1 ]; then
  ran=1
  echo "== $BUILD_DIR/bench_micro"
  "$BUILD_DIR/bench_micro" --benchmark_out="$OUT/micro.json" --benchmark_out_format=json \
    | tee "$OUT/micro.txt"
fi

# Snapshot/restore time and size of an existing (stopped) data directory, e.g. one a 1M × 1,280
# load left behind: BENCH_SNAPSHOT_DATA=/path/to/data.
if [ -n "${BENCH_SNAPSHOT_DATA:-}" ]; then
  ran=1
  echo "== bench/snapshot_bench.sh $BENCH_SNAPSHOT_DATA"
  bash bench/snapshot_bench.sh "$BENCH_SNAPSHOT_DATA" "$BUILD_DIR" | tee "$OUT/snapshot.txt"
fi

# Any other benchmark binary (bench_http, bench_embed, ...) runs with its defaults.
for b in "$BUILD_DIR"/bench_*; do
  [ -x "$b" ] || continue
  case "$(basename "$b")" in bench_ann|bench_micro) continue ;; esac
  ran=1
  echo "== $b"
  "$b" || echo "bench: $b exited with status $?"
done

[ $ran = 1 ] || echo "bench: no benchmark binaries built yet (cmake --build $BUILD_DIR)"
