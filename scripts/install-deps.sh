#!/usr/bin/env bash
# Installs every Debian package Laser needs to build, test and benchmark.
set -euo pipefail
pkgs=(build-essential cmake pkg-config clang libclang-rt-14-dev clang-format
      liburing-dev libxxhash-dev libflatbuffers-dev flatbuffers-compiler liblz4-dev
      doctest-dev libcli11-dev libedit-dev libsqlite3-dev librocksdb-dev
      python3 python3-numpy python3-torch libopenblas0-pthread gnuplot-nox)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
