#!/usr/bin/env bash
# ingest-images --crops N on real photographs (issue 12 item 4): quality and cost.
#
#   bash bench/crops_bench.sh [BUILD_DIR] [MODEL]        (default build, mobilenet_v2_mid)
#
# 1. scripts/fetch-photo-eval.sh (Debian packages' photographs, into BUILD_DIR/photo-eval; read
#    where installed, else downloaded and unpacked, never committed) and build/crop_eval: a
#    close-up (25–50 % of each side, or of the area, rescaled) against the photographs indexed
#    with the whole image only and with --crops 2 and 3; full-photo queries as the control.
#    Prints the table of docs/models.md "Close-ups".
# 2. ingest-images --data into a temporary directory, the same photographs without and with
#    --crops 2 and 3 (--decode-threads 1 and --threads 1, so CPU time per image is comparable
#    across runs on a shared machine): wall-clock and CPU (user + sys) ms per image, the peak
#    resident memory of the process and the data directory's size. CROPS_BENCH_INGEST_ONLY=1 skips step 1.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
MODEL=${2:-mobilenet_v2_mid}
PHOTOS=$BUILD/photo-eval
[ -d "$PHOTOS/eval" ] || bash "$ROOT/scripts/fetch-photo-eval.sh" "$PHOTOS" >&2
if [ "${CROPS_BENCH_INGEST_ONLY:-0}" != 1 ]; then
  cmake --build "$BUILD" --target crop_eval lookalike >&2
  "$BUILD/crop_eval" "$BUILD/models" "$PHOTOS" --models "$MODEL" --grids 2,3
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lookalike-crops-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
n=$(find -L "$PHOTOS/eval" -type f | wc -l)
echo
echo "ingest-images --data, $n photographs, model $MODEL, one decode thread, one network instance"
echo
echo "| run | wall ms/image | CPU ms/image | peak RSS | data directory |"
echo "|---|---|---|---|---|"
for crops in 0 2 3; do
  args=()
  [ "$crops" = 0 ] || args=(--crops "$crops")
  rm -rf "$WORK/data"
  /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$BUILD/lookalike" ingest-images "$PHOTOS/eval" \
    --index photos --data "$WORK/data" --models "$BUILD/models" --model "$MODEL" \
    --decode-threads 1 --threads 1 --no-progress "${args[@]}" 2> "$WORK/log" ||
    { cat "$WORK/log" >&2; exit 1; }
  read -r wall user sys rss_kb < "$WORK/time"
  printf '| %s | %.0f | %.0f | %d MB | %s |\n' "$([ "$crops" = 0 ] && echo "whole image only" ||
    echo "--crops $crops")" "$(echo "$wall * 1000 / $n" | bc -l)" \
    "$(echo "($user + $sys) * 1000 / $n" | bc -l)" "$((rss_kb / 1024))" \
    "$(du -sh "$WORK/data" | cut -f1)"
done
