#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for SECONDS (default 60)
# on a scratch copy of its seed corpus. Exits non-zero iff a target crashes.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
# BUILD names the build directory (default build-fuzz); one already configured
# with -DLASER_FUZZ=ON by clang (as .ci/run's sanitizer build) is used as is.
build=${BUILD:-build-fuzz}
if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLASER_FUZZ=ON -DLASER_TESTS=OFF -DLASER_BENCH=OFF
fi
targets=()
for src in fuzz/*_fuzz.cc; do
  n=${src##*/}
  targets+=("fuzz_${n%_fuzz.cc}")
done
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"
for t in "${targets[@]}"; do
  bin=$build/fuzz/$t
  name=${bin##*/fuzz_}
  work=$build/corpus-run/$name
  rm -rf "$work" && mkdir -p "$work"
  [ -d "fuzz/corpus/$name" ] && cp -r "fuzz/corpus/$name/." "$work/"
  echo "== fuzz $name for ${secs}s"
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$build/" "$work" 2>&1 | tail -n 12
done
