#!/usr/bin/env bash
# Installs the Debian packages Laser needs to build and test. With --bench it
# also installs what only the benchmarks use: PyTorch and OpenBLAS for
# bench/torch_score.py, gnuplot for bench/compare/run.sh's plot.
set -euo pipefail
pkgs=(build-essential cmake pkg-config clang libclang-rt-14-dev clang-format
      liburing-dev libxxhash-dev libflatbuffers-dev flatbuffers-compiler liblz4-dev
      doctest-dev libcli11-dev libedit-dev libsqlite3-dev librocksdb-dev
      python3 python3-numpy)
if [ "${1:-}" = "--bench" ]; then
  pkgs+=(python3-torch libopenblas0-pthread gnuplot-nox)
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--bench]" >&2
  exit 2
fi
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
