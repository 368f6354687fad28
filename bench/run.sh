#!/usr/bin/env bash
# Runs every benchmark that has been built; each writes its table under bench/out/.
set -euo pipefail
BUILD_DIR=${1:-build}
mkdir -p bench/out
ran=0
for b in "$BUILD_DIR"/bench_*; do
  [ -x "$b" ] || continue
  echo "== $b"; ran=1
done
[ $ran = 1 ] || echo "bench: no benchmark binaries built yet"
