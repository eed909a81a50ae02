#!/usr/bin/env bash
# Every source file is reached by a test named for its folder: for each
# folder geo/FOLDER/ (found here, not listed), the tests labelled FOLDER
# (tests/FOLDER/test_*.c, `ctest -L FOLDER`) run alone in a gcc --coverage
# build (build-cov), and every geo/FOLDER/*.c must then have at least one
# executed line. Fails (exit 1) naming each file no test of its folder
# reaches, each folder without tests, and any test that fails; prints per
# folder the files reached out of its files, and each file's line coverage.
#   bash tools/test_coverage.sh [FOLDER...]   (default: every folder of geo/)
# Needs gcc and its gcov (Debian's gcc); nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash tools/deps.sh
dir=build-cov
GCOV=${GCOV:-gcov}
command -v "$GCOV" >/dev/null || { echo "test_coverage: $GCOV not found (it comes with gcc)"; exit 1; }
# -O1: every line that runs is counted where it is (no inlining across files
# at any level without LTO), in a fraction of -O0's test time.
CC=${CC:-gcc} cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -O1" \
  -DCMAKE_C_FLAGS="--coverage" -DCMAKE_EXE_LINKER_FLAGS="--coverage" \
  -DCMAKE_SHARED_LINKER_FLAGS="--coverage" >/dev/null
cmake --build "$dir" -j"$(nproc)" >/dev/null
objroot="$dir/geo/CMakeFiles/seggap.dir"

folders=("$@")
if [ ${#folders[@]} -eq 0 ]; then
  # every folder of geo/ with a .c file: the known ones in flow order, then any other
  flow=(base read spatial indices access gaps write compare analyze check)
  for d in geo/*/; do
    d=${d#geo/}; d=${d%/}
    compgen -G "geo/$d/*.c" >/dev/null || continue
    [[ " ${flow[*]} " == *" $d "* ]] || flow+=("$d")
  done
  for d in "${flow[@]}"; do
    if compgen -G "geo/$d/*.c" >/dev/null; then folders+=("$d"); fi
  done
fi

work=$(mktemp -d /tmp/seggap-cov-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0 problems=()
for folder in "${folders[@]}"; do
  srcs=(geo/"$folder"/*.c)
  [ -e "${srcs[0]}" ] || { problems+=("geo/$folder/: no such folder with .c files"); fail=1; continue; }
  ntests=$(ctest --test-dir "$dir" -N -L "^${folder}\$" | sed -nE 's/^Total Tests: ([0-9]+)/\1/p')
  if ! compgen -G "tests/$folder/test_*.c" >/dev/null || [ "${ntests:-0}" -eq 0 ]; then
    echo "== $folder: NO TESTS (tests/$folder/test_*.c, labelled $folder in tests/CMakeLists.txt)"
    problems+=("geo/$folder/: no test in tests/$folder/ labelled $folder")
    fail=1
    continue
  fi
  # Counters from this folder's tests only.
  find "$dir" -name '*.gcda' -delete
  echo "== $folder: $ntests test(s)"
  if ! ctest --test-dir "$dir" -L "^${folder}\$" -j"$(nproc)" --output-on-failure >"$work/$folder.log" 2>&1; then
    grep -E "tests passed|\*\*\*Failed|Failed|Timeout|Not Run" "$work/$folder.log" || true
    problems+=("tests labelled $folder failed (log below)")
    tail -80 "$work/$folder.log"
    fail=1
  fi
  reached=0 report=()
  for src in "${srcs[@]}"; do
    base=${src##*/}
    gcda="$objroot/$folder/$base.gcda"
    pct="0.00" lines="?"
    if [ -f "$gcda" ]; then
      # gcov names the data files after the object (-o FILE: FILE without
      # its extension, + .gcda/.gcno); -n writes no .gcov files.
      out=$(cd "$work" && "$GCOV" -n -o "$root/$objroot/$folder/$base.o" "$root/$src" 2>/dev/null || true)
      line=$(printf '%s\n' "$out" | awk -v f="$root/$src" '
        $0 == "File '\''" f "'\''" { want = 1; next }
        want && /^Lines executed:/ { print; exit }
        /^File / { want = 0 }')
      if [ -n "$line" ]; then
        pct=$(printf '%s\n' "$line" | sed -nE 's/^Lines executed:([0-9.]+)% of ([0-9]+).*/\1/p')
        lines=$(printf '%s\n' "$line" | sed -nE 's/^Lines executed:([0-9.]+)% of ([0-9]+).*/\2/p')
      fi
    fi
    if [ -n "$pct" ] && awk -v p="$pct" 'BEGIN { exit !(p > 0) }'; then
      reached=$((reached + 1))
      report+=("$(printf '   %6s%% of %5s lines  %s' "$pct" "$lines" "$src")")
    else
      report+=("$(printf '   NOT REACHED           %s' "$src")")
      problems+=("$src: no line executed by the tests of tests/$folder/")
      fail=1
    fi
  done
  printf '%s\n' "${report[@]}"
  echo "   $folder: $reached/${#srcs[@]} files reached"
done
if [ "$fail" -ne 0 ]; then
  echo "test_coverage: FAILED"
  printf '  %s\n' "${problems[@]}"
  exit 1
fi
echo "test_coverage: every geo/FOLDER/*.c is reached by the tests of tests/FOLDER/ (${#folders[@]} folders)"
