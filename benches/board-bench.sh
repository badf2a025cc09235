#!/usr/bin/env bash
# The live class board: time from a change on one student's cluster to the
# board's event saying so, over N fake clusters answering after LATENCY,
# and the board's peak memory. See examples/board_bench.rs.
#
#   benches/board-bench.sh [N] [LATENCY] [CHANGES]     (default: 200 150ms 20)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200}
latency=${2:-150ms}
changes=${3:-20}
cargo build --quiet --release --bin labdeck --example board_bench
target=${CARGO_TARGET_DIR:-target}
ulimit -n 65536 2>/dev/null || true
"$target/release/examples/board_bench" --bin "$target/release/labdeck" --n "$n" --latency "$latency" --changes "$changes"
