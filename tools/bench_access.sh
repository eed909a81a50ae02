#!/usr/bin/env bash
# Service access benchmark (issue 5): the three speed targets on a synthetic
# city of 100,000 districts and 10,000 services of one type (gencity's
# `school` layer), with a grid street network of about 50,000 links.
#
#   bash tools/bench_access.sh [BUILD_DIR] [RUNS]      (defaults: build, 5)
#
# Targets: nearest distances for all districts < 1 s on 2 cores; E2SFCA with
# a 2 km catchment < 5 s; network nearest (50,000 edges, 10,000 services)
# < 5 s per type. Prints the median of RUNS runs of each stage, timed inside
# the library (seggap-bench-access); the city is generated once into
# out/bench-access/ and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
RUNS=${2:-5}
if [ ! -x "$BUILD/tools/seggap-bench-access" ]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target seggap-gencity seggap-bench-access >/dev/null
fi
CITY=out/bench-access/city
# 28,572 services over the four types: floor(0.35 x 28572) = 10,000 schools.
# 100,000 districts of 500 m: a 158 km square; streets every 970 m: ~50,000 links.
mkdir -p "$(dirname "$CITY")"
if [ ! -f "$CITY/roads.gpkg" ]; then
  "$BUILD/tools/seggap-gencity" --out "$CITY" --n 100000 --shape grid --seed 7 --format gpkg \
    --services 28572 --cell 500 --network 970
fi
COMMON=(--districts "$CITY/districts.gpkg" --id code --table "$CITY/census.csv" --table-key code
        --total total --group migrants --out out/bench-access/out --threads 2
        --service "school=$CITY/services.gpkg" --capacity capacity --catchment 2000)
echo "== planar: nearest and E2SFCA (2 threads)"
"$BUILD/tools/seggap-bench-access" --runs "$RUNS" -- "${COMMON[@]}"
echo "== network (2 threads; origins up to half a block from a street: --network-max-snap 1000)"
"$BUILD/tools/seggap-bench-access" --runs "$RUNS" -- "${COMMON[@]}" \
  --network "$CITY/roads.gpkg" --network-max-snap 1000
