#!/usr/bin/env bash
# Runs bench_compare and renders its results:
#   <out>/compare.md    the Markdown table (stdout of the program)
#   <out>/compare.log   progress lines (stderr)
#   <out>/compare.png   latency CDFs (gnuplot)
#
#   bench/compare/run.sh [bench_compare flags...]
#
# Environment: BIN (default build-compare/bench/compare/bench_compare under the
# source root), OUT (default ./compare_out). With no flags the full default
# workload runs (40 000 users, 256 MiB cache): about 6 minutes and 4.5 GB of disk on
# a 2-vCPU VM.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${BIN:-$root/build-compare/bench/compare/bench_compare}"
out="${OUT:-$PWD/compare_out}"
if [[ ! -x "$bin" ]]; then
  echo "run.sh: $bin not found; build it with:" >&2
  echo "  cmake -S $root -B $root/build-compare -DLASER_BENCH=ON &&" \
       "cmake --build $root/build-compare --target bench_compare" >&2
  exit 2
fi
mkdir -p "$out"
status=0
"$bin" --out="$out" "$@" >"$out/compare.md" 2> >(tee "$out/compare.log" >&2) || status=$?
cat "$out/compare.md"
if ! command -v gnuplot >/dev/null; then
  echo "run.sh: gnuplot not found (scripts/install-deps.sh --bench installs it); no plot" >&2
elif [[ -s "$out/compare_latency.dat" ]]; then
  (cd "$out" && gnuplot -e "out='compare.png'" compare.gp)
  echo "plot: $out/compare.png" >&2
fi
exit "$status"
