#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang, ASan + UBSan) in
# build-fuzz and runs each for N seconds (default 60) on a copy of its seed
# corpus (tests/fuzz/corpus/<target>/), one after the other. Any crash, leak,
# sanitizer report or timeout fails the run; the input that caused it is kept
# in build-fuzz/artifacts/<target>/ (turn it into a regression case in
# tests/bad/ or a cmocka test).
#   bash tools/fuzz.sh [seconds] [target...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
shift || true
bash tools/deps.sh
if ! command -v clang >/dev/null || [ ! -d /usr/lib/llvm-14/lib/clang ] ||
   ! ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "seggap: installing clang and its fuzzer runtime" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev >/dev/null
fi
dir=build-fuzz
CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEGGAP_FUZZ=ON -DSEGGAP_BUILD_TESTS=OFF \
  -DBUILD_SHARED_LIBS=OFF >/dev/null
all=(fuzz_parse_number fuzz_options fuzz_table fuzz_districts fuzz_config fuzz_compare)
cmake --build "$dir" -j"$(nproc)" --target "${all[@]}" >/dev/null
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export GDAL_NUM_THREADS=1
# No network from fuzzed inputs (an OGR VRT blob may name a /vsicurl/ URL):
# every HTTP request goes to a closed port on this machine.
export GDAL_HTTP_PROXY=127.0.0.1:9 http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 \
  all_proxy=http://127.0.0.1:9 GDAL_HTTP_TIMEOUT=1 GDAL_HTTP_MAX_RETRY=0
work=$(mktemp -d /tmp/seggap-fuzz-run-XXXXXX)
trap 'rm -rf "$work"' EXIT
export TMPDIR="$work" # the targets' output directories, removed with it
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t" "$dir/artifacts/$t"
  cp tests/fuzz/corpus/"$t"/* "$work/$t/" 2>/dev/null || true
  echo "== $t: ${secs}s"
  if "$dir/tests/fuzz/$t" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=8192 \
       -print_final_stats=1 -artifact_prefix="$dir/artifacts/$t/" "$work/$t" >"$work/$t.log" 2>&1; then
    grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$work/$t.log" | tail -2 || true
  else
    echo "FAILED: $t (log below; input in $dir/artifacts/$t/)"
    tail -60 "$work/$t.log"
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#targets[@]} passed, 0 failed"
