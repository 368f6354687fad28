#!/usr/bin/env bash
# Snapshot and restore time and size for the data directory of a stopped server (issue 13):
# a full snapshot, an incremental one of the unchanged data, and a restore under new names.
#
#   bash bench/snapshot_bench.sh DATA_DIR [BUILD_DIR]     (run.sh runs it when
#                                                          BENCH_SNAPSHOT_DATA is set)
# The restore adds copies named bench_restored_* to DATA_DIR (delete them afterwards); the
# repository lives in a temporary folder beside DATA_DIR (same file system) and is removed.
set -euo pipefail
DATA=${1:?usage: snapshot_bench.sh DATA_DIR [BUILD_DIR]}
BIN=${2:-build}/lookalike
REPO=$(mktemp -d "$(dirname "$DATA")/lookalike-snapshot-bench.XXXXXX")
trap 'rm -rf "$REPO"' EXIT
now() { date +%s.%N; }
step() {  # step NAME COMMAND...: prints NAME, seconds, repository size
  local t0 t1
  t0=$(now)
  "${@:2}" > /dev/null
  t1=$(now)
  printf '| %-24s | %8.2f s | %10s |\n' "$1" "$(echo "$t1 - $t0" | bc)" "$(du -sh "$REPO" | cut -f1)"
}
echo "| step | time | repository |"
echo "|---|---|---|"
step "snapshot (full)" "$BIN" snapshot --data "$DATA" --repo "$REPO" --name full
step "snapshot (incremental)" "$BIN" snapshot --data "$DATA" --repo "$REPO" --name again
step "restore (renamed)" "$BIN" restore --data "$DATA" --repo "$REPO" --name full \
  --rename-pattern '(.+)' --rename-replacement 'bench_restored_$1'
echo "data directory: $(du -sh "$DATA" | cut -f1) (restored copies: bench_restored_*, delete them)"
