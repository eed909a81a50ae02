#!/usr/bin/env bash
# README command (1): install dependencies, build seggap, and run the main job
# on the bundled synthetic sample city. The map layers go to out/sample/
# (objective5/10.geojson with their .qml styles, seggap.qgs, report.html).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
./build/tools/seggap analyze \
  --districts samples/city/districts.shp --id code --name name \
  --table samples/city/census.csv --table-key code \
  --total total --group migrants \
  --housing samples/city/housing.gpkg --housing-layer social_housing --housing-units units \
  --overcrowding-field overcrowding_rate --overcrowding-scale fraction \
  --service school=samples/city/services.gpkg --capacity capacity \
  --service library=samples/city/services.gpkg --capacity capacity \
  --service health_centre=samples/city/services.gpkg --capacity capacity \
  --service park=samples/city/services.gpkg --capacity capacity \
  --out out/sample "$@"
