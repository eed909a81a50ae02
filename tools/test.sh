#!/usr/bin/env bash
# README command (2): build and run the test suite (cmocka, through CTest).
# --sanitize builds in build-asan with AddressSanitizer and UBSan and runs the
# same tests there; any sanitizer report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
dir=build cfg=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${1:-}" = "--sanitize" ]; then
  dir=build-asan cfg=(-DCMAKE_BUILD_TYPE=Debug -DSEGGAP_SANITIZE=ON)
  # exitcode=86: a sanitizer report in a CLI run by a test is never mistaken
  # for the exit code the test expects (1 = bad input).
  export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0:exitcode=86
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=86
fi
cmake -S . -B "$dir" "${cfg[@]}" >/dev/null
cmake --build "$dir" -j"$(nproc)" >/dev/null
cd "$dir"
ctest --output-on-failure
