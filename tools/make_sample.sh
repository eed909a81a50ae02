#!/usr/bin/env bash
# Regenerate the synthetic sample city in samples/city/.
#
# usage: tools/make_sample.sh [path/to/seggap-gencity]
#   (default: build/tools/seggap-gencity, relative to the repository root)
#
# The sample is fully synthetic: 120 grid districts, seed 42, Shapefile
# districts. The generator is deterministic, so rerunning this script
# reproduces the committed files byte for byte (the GeoPackages included,
# with the same GDAL/PROJ/SQLite versions). samples/city/README.md is
# hand-written and left alone.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
gen=${1:-"$here/build/tools/seggap-gencity"}
out="$here/samples/city"

if [[ ! -x "$gen" ]]; then
    echo "make_sample.sh: generator not found or not executable: $gen" >&2
    echo "build it first, e.g.: cmake -S . -B build && cmake --build build --target seggap-gencity" >&2
    exit 1
fi

mkdir -p "$out"
"$gen" --out "$out" --n 120 --shape grid --seed 42 --format shp --services 40 --cell 500

size=$(du -sk "$out" | cut -f1)
if (( size > 1024 )); then
    echo "make_sample.sh: $out is ${size} KiB, over the 1 MiB budget" >&2
    exit 1
fi
echo "make_sample.sh: wrote $out (${size} KiB)"
