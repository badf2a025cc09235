#!/usr/bin/env bash
# Requests sent and wall time of `labdeck check` on the sample deck against
# the loopback fake API answering every request after LATENCY (default 100ms).
#
#   benches/check-sample.sh [LATENCY]      (RELEASE=1 for release builds)
#
# Scenarios:
#   deck-once     whole deck, --timeout 0 (look once), cluster after labeldemo-relabel
#   relabel-wait  labeldemo-relabel with its own 60s timeout, replacement pod
#                 Pending until 2s after the server started, then Running
set -euo pipefail
cd "$(dirname "$0")/.."
latency=${1:-100ms}
. scripts/cargo-exe.sh
exes=$(cargo_exe --bin labdeck --example fake_apiserver ${RELEASE:+--release})
bin=$(grep '/labdeck$' <<<"$exes")
fake=$(grep '/fake_apiserver$' <<<"$exes")
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

run() { # name state args...
  local name=$1 state=$2; shift 2
  rm -f "$work/out" "$work/log" "$work/kc"
  "$fake" --state "$state" --latency "$latency" --kubeconfig "$work/kc" >"$work/out" 2>"$work/log" &
  pid=$!
  for _ in $(seq 100); do [ -s "$work/out" ] && break; sleep 0.05; done
  local t0 t1 code=0
  t0=$(date +%s%N)
  "$bin" check slides/labdeck-sample.yml --kubeconfig "$work/kc" "$@" >"$work/check" || code=$?
  t1=$(date +%s%N)
  sleep 0.1
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  local reqs lists watches
  reqs=$(grep -c '^request: ' "$work/log" || true)
  watches=$(grep -c 'watch=true' "$work/log" || true)
  printf '%-13s latency %-6s exit %d  wall %5d ms  requests %2d (watches %d)  %s\n' \
    "$name" "$latency" "$code" $(( (t1 - t0) / 1000000 )) "$reqs" "$watches" "$(tail -n1 "$work/check")"
}

run deck-once relabelled --timeout 0
run relabel-wait converging --only labeldemo-relabel
