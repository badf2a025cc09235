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
. scripts/cargo-exe.sh
exes=$(cargo_exe --release --bin labdeck --example board_bench)
bin=$(grep '/labdeck$' <<<"$exes")
bench=$(grep '/board_bench$' <<<"$exes")
ulimit -n 65536 2>/dev/null || true
"$bench" --bin "$bin" --n "$n" --latency "$latency" --changes "$changes"
