#!/usr/bin/env bash
# Installs seggap's build and test dependencies from Debian 12 (bookworm).
# Does nothing when they are all present already.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libgdal-dev libproj-dev libgeos-dev
      libcmocka-dev libjson-c-dev libssl-dev libxml2-dev gdal-bin
      libyaml-dev postgresql postgresql-15-postgis-3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "seggap: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
