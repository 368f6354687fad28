#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz.
#
#   run.sh smoke BINARY CORPUS REGRESS WORKDIR SECONDS
#       CTest's fuzz smoke for one target: replays every seed in CORPUS and every input in
#       REGRESS (tests/regress/fuzz/<target>, may be absent) once, then fuzzes for SECONDS from
#       those seeds in a scratch corpus under WORKDIR (fixed seed, at most 20,000 runs). Exits non-zero on any crash, sanitizer
#       report, leak or timeout; the input is left in WORKDIR/crashes/.
#   run.sh long BUILD_DIR SECONDS [TARGET...]
#       `make fuzz`: each target (default: all) in turn for SECONDS, niced, with a persistent
#       working corpus in BUILD_DIR/fuzz-corpus/<target> seeded from the committed corpus.
#       Crashing inputs go to tests/fuzz/crashes/<target>/. Prints run length, execs/s and
#       crashes per target; exits non-zero when any target crashed.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
# UBSan only aborts (and so only counts as a crash) with halt_on_error.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
COMMON_FLAGS=(-timeout=25 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1)

# The dictionary for a target, written to $2 (libFuzzer takes one -dict).
make_dict() {
  local name="$1" out="$2"
  case "$name" in
    http_request) cat "$here/dict/http.dict" >"$out" ;;
    rest) cat "$here/dict/http.dict" "$here/dict/json.dict" >"$out" ;;
    search|bulk|mapping|manifest|cluster_settings|search_pipeline) cat "$here/dict/json.dict" >"$out" ;;
    multipart) cat "$here/dict/multipart.dict" >"$out" ;;
    security_store|authorization) cat "$here/dict/json.dict" "$here/dict/security.dict" >"$out" ;;
    watermark) cat "$here/dict/watermark.dict" >"$out" ;;
    *) return 1 ;;
  esac
}

# Crash, leak, timeout and out-of-memory inputs in a folder; libFuzzer's slow-unit-* files are
# only a hint (a loaded machine makes them) and do not count.
count_findings() {
  ls "$1" | grep -cE '^(crash|leak|timeout|oom)-' || true
}

smoke() {
  local bin="$1" corpus="$2" regress="$3" work="$4" seconds="$5"
  local name
  name="$(basename "$bin" _fuzz)"
  rm -rf "$work" && mkdir -p "$work/corpus" "$work/crashes"
  local inputs=("$corpus")
  [ -d "$regress" ] && inputs+=("$regress")
  local dict=()
  make_dict "$name" "$work/dict" && dict=(-dict="$work/dict")

  echo "== $name: replaying ${inputs[*]}"
  if ! "$bin" "${COMMON_FLAGS[@]}" -runs=0 -artifact_prefix="$work/crashes/" "${inputs[@]}" \
       >"$work/replay.log" 2>&1; then
    tail -n 60 "$work/replay.log"
    echo "FAIL: $name crashed on a committed input (see $work/replay.log)"
    return 1
  fi
  echo "== $name: fuzzing for ${seconds}s"
  # A fixed seed and a cap on runs make the smoke repeatable: `make test` must not fail at
  # random on a new finding (that is what `make fuzz` is for); a slow machine runs a prefix of
  # the same sequence.
  if ! "$bin" "${COMMON_FLAGS[@]}" "${dict[@]}" -max_total_time="$seconds" -seed=1 -runs=20000 \
       -artifact_prefix="$work/crashes/" "$work/corpus" "${inputs[@]}" >"$work/fuzz.log" 2>&1; then
    tail -n 60 "$work/fuzz.log"
    echo "FAIL: $name found a crash: $(ls "$work/crashes")"
    echo "Reproduce: $bin $work/crashes/<file>; fix it and add the file to $regress/"
    return 1
  fi
  grep -E "stat::number_of_executed_units|stat::average_exec_per_sec" "$work/fuzz.log"
  echo "ok: $name"
}

long() {
  local build="$1" seconds="$2"
  shift 2
  local targets=("$@")
  if [ ${#targets[@]} -eq 0 ]; then
    for bin in "$build"/tests/fuzz/*_fuzz; do targets+=("$(basename "$bin" _fuzz)"); done
  fi
  local failed=0 summary=""
  for name in "${targets[@]}"; do
    local bin="$build/tests/fuzz/${name}_fuzz"
    local work="$build/fuzz-corpus/$name" crashes="$here/crashes/$name"
    mkdir -p "$work" "$crashes"
    local inputs=("$work" "$here/corpus/$name")
    [ -d "$here/../regress/fuzz/$name" ] && inputs+=("$here/../regress/fuzz/$name")
    local dict=()
    make_dict "$name" "$build/fuzz-corpus/$name.dict" && dict=(-dict="$build/fuzz-corpus/$name.dict")
    local before start
    before=$(count_findings "$crashes")
    start=$(date +%s)
    echo "== $name: fuzzing for ${seconds}s (log: $build/fuzz-corpus/$name.log)"
    nice -n "${FUZZ_NICE:-10}" "$bin" "${COMMON_FLAGS[@]}" "${dict[@]}" -max_total_time="$seconds" \
      -artifact_prefix="$crashes/" "${inputs[@]}" >"$build/fuzz-corpus/$name.log" 2>&1
    local rc=$?
    local after execs rate
    after=$(count_findings "$crashes")
    execs=$(grep -oE "stat::number_of_executed_units: *[0-9]+" "$build/fuzz-corpus/$name.log" | awk '{print $2}')
    rate=$(grep -oE "stat::average_exec_per_sec: *[0-9]+" "$build/fuzz-corpus/$name.log" | awk '{print $2}')
    summary+=$(printf '%-18s rc=%-3s ran=%-6s execs=%-10s execs/s=%-7s new_crashes=%s' "$name" \
               "$rc" "$(( $(date +%s) - start ))s" "${execs:-?}" "${rate:-?}" \
               "$((after - before))")$'\n'
    if [ "$rc" != 0 ] || [ "$after" != "$before" ]; then
      failed=1
      tail -n 40 "$build/fuzz-corpus/$name.log"
    fi
  done
  echo "== fuzz summary (${seconds}s per target)"
  printf '%s' "$summary"
  [ "$failed" = 0 ] || echo "crashing inputs are in $here/crashes/"
  return "$failed"
}

mode="${1:-}"
shift || true
case "$mode" in
  smoke) smoke "$@" ;;
  long) long "$@" ;;
  *) echo "usage: $0 smoke BINARY CORPUS REGRESS WORKDIR SECONDS | long BUILD_DIR SECONDS [TARGET...]" >&2
     exit 2 ;;
esac
