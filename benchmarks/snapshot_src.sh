#!/usr/bin/env bash
# Extract src/ of one commit (default HEAD) into /tmp, without touching the work tree or the
# repository, and print the folder to put first on PYTHONPATH. Lets the benchmarks measure a
# fixed revision while others edit src/ in the work tree:
#
#   PYTHONPATH="$(benchmarks/snapshot_src.sh HEAD)" .venv/bin/python -m benchmarks.send_throughput
set -euo pipefail
cd "$(dirname "$0")/.."
sha="$(git rev-parse --verify "${1:-HEAD}^{commit}")"
dir="${QL_BENCH_ROOT:-/tmp/quietline-bench}/src-${sha:0:12}"
if [ ! -f "$dir/COMMIT" ]; then
    mkdir -p "$dir"
    git archive "$sha" src | tar -x -C "$dir"
    echo "$sha" > "$dir/COMMIT"
fi
echo "$dir/src"
