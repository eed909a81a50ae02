#!/usr/bin/env bash
# README command (1): install dependencies, build seggap, and run the main job
# on the bundled synthetic sample city. The map layers go to out/sample/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
./build/tools/seggap analyze \
  --districts samples/city/districts.shp --id code --name name \
  --table samples/city/census.csv --table-key code \
  --total total --group migrants \
  --out out/sample "$@"
