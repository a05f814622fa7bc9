#!/usr/bin/env bash
# Run the calibration and the four benchmarks one after another (about 20 minutes plus the
# one-time seeding of the 1,000,000-message data set). Extra arguments are passed to every
# benchmark, e.g. --quiet-wait 0. Results: ${QL_BENCH_ROOT:-/tmp/quietline-bench}/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
"$py" -m benchmarks.calibrate "$@"
"$py" -m benchmarks.send_throughput "$@"
"$py" -m benchmarks.ws_latency "$@"
"$py" -m benchmarks.read_latency "$@"
"$py" -m benchmarks.ws_connections "$@"
