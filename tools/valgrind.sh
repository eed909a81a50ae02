#!/usr/bin/env bash
# valgrind memcheck of the seggap CLI on the bundled sample city (the build of
# tools/test.sh, in build/): any invalid read or write, use of uninitialised
# memory, or definite/indirect leak fails. GDAL and PROJ keep caches that are
# "still reachable" at exit: those are not leaks and are not reported.
# tests/valgrind.supp is for third-party library noise only, never seggap's.
#   bash tools/valgrind.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
if ! command -v valgrind >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends valgrind >/dev/null
fi
if [ ! -x "$dir/tools/seggap" ]; then
  bash tools/deps.sh
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$dir" -j"$(nproc)" --target seggap_cli >/dev/null
fi
out=$(mktemp -d /tmp/seggap-valgrind-XXXXXX)
trap 'rm -rf "$out"' EXIT
S=samples/city
# run NAME EXPECTED-EXIT-CODE ARGS...: valgrind's own exit code 99 means errors.
run() {
  local name="$1" want="$2"; shift 2
  local got=0
  valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --track-origins=yes --num-callers=40 \
    --suppressions=tests/valgrind.supp --log-file="$out/$name.log" \
    "$dir/tools/seggap" "$@" >/dev/null 2>"$out/$name.stderr" || got=$?
  if [ "$got" -eq "$want" ] && grep -q "ERROR SUMMARY: 0 errors" "$out/$name.log"; then
    grep -E "ERROR SUMMARY|definitely lost|indirectly lost" "$out/$name.log" | sed "s/^==[0-9]*==/  $name:/"
    return 0
  fi
  echo "valgrind: $name FAILED (exit $got, want $want)"; cat "$out/$name.log" "$out/$name.stderr"
  return 1
}
pass=0 fail=0
# The README's sample run, with inference threads and a bootstrap.
if run sample 0 analyze --districts $S/districts.shp --id code --name name --table $S/census.csv --table-key code \
  --total total --group migrants --permutations 9 --bootstrap 9 --threads 2 --out "$out/sample" --quiet
then pass=$((pass + 1)); else fail=$((fail + 1)); fi
# A run that fails on bad input: the error path frees everything too.
if run bad_input 1 analyze --districts tests/bad/input/negative.geojson --id id --total total --group group \
  --out "$out/bad" --quiet
then pass=$((pass + 1)); else fail=$((fail + 1)); fi
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
