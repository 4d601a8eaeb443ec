#!/usr/bin/env bash
# fuzz-brief.sh: build every libFuzzer target with clang in build-fuzz/ and run
# each for a bounded time on a scratch copy of its seeds (the checked-in
# seeds are never modified). Exits non-zero if a target fails to build or
# finds a crash; crash inputs are left in build-fuzz/fuzz/artifacts/.
#
#   FUZZ_SECONDS=20   seconds per target
#   FUZZ_BUILD_DIR    build directory (default: <repo>/build-fuzz)
#   FUZZ_TARGETS      space-separated names (default: every tests/fuzz/fuzz_*.c
#                     that has a seeds/<name>/ folder)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
secs=${FUZZ_SECONDS:-20}
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}

if [[ -z "${FUZZ_TARGETS:-}" ]]; then
  FUZZ_TARGETS=""
  for src in "$root"/tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    name=${name#fuzz_}
    [[ -d "$root/tests/fuzz/seeds/$name" ]] && FUZZ_TARGETS+="$name "
  done
fi

CC=clang cmake -S "$root" -B "$build" -DMNEMO_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
mkdir -p "$build/fuzz/artifacts"

status=0
for name in $FUZZ_TARGETS; do
  cmake --build "$build" --target "fuzz_$name" -j"$(nproc)"
  corpus=$(mktemp -d "${TMPDIR:-/tmp}/mnemo-fuzz-$name.XXXXXX")
  cp -r "$root/tests/fuzz/seeds/$name/." "$corpus/"
  echo "== fuzz_$name for ${secs}s on $(ls "$corpus" | wc -l) seeds"
  # -max_len beyond TEXT_LINE_MAX so the too-long-line paths are reachable.
  if ! "$build/fuzz/fuzz_$name" "$corpus" -max_total_time="$secs" -max_len=8192 \
      -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$build/fuzz/artifacts/$name-" 2>"$build/fuzz/$name.log"; then
    echo "fuzz_$name FAILED; see $build/fuzz/$name.log and $build/fuzz/artifacts/" >&2
    tail -n 40 "$build/fuzz/$name.log" >&2
    status=1
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|cov:" "$build/fuzz/$name.log" | tail -n 3 || true
  fi
  rm -rf "$corpus"
done
exit $status
