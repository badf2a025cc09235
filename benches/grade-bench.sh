#!/usr/bin/env bash
# Grading N simulated student clusters (loopback fake API servers answering
# every request after LATENCY, default 150ms) with `labdeck grade`, against
# the same reads done by a sequential kubectl loop, one call at a time.
#
#   benches/grade-bench.sh [N...]          (default: 30 200)
#   LATENCY=150ms LOOP=queries|one|none RELEASE=1 benches/grade-bench.sh 30
#
# labdeck:   labdeck grade slides/labdeck-sample.yml --kubeconfigs DIR --timeout 0
#            (11 exercises; per cluster 2 discovery requests + 3 lists, one
#            per kind and namespace; 8 lists before reads were shared)
# LOOP=queries (default): the same 8 lists, as an instructor's script does them:
#            for f in DIR/*; do for q in (the 8 queries); do
#              kubectl --kubeconfig $f get $q -o json; done; done
# LOOP=one:  the loop's best case, one kubectl call per student listing
#            everything (kubectl get deployments,daemonsets,pods -o json),
#            leaving the filtering to the script.
# Wall time with date; peak RSS with GNU time (%M: labdeck's own peak; for
# the loop, the largest single kubectl process).
set -euo pipefail
cd "$(dirname "$0")/.."
latency=${LATENCY:-150ms}
loop=${LOOP:-queries}
prof=debug
if [ -n "${RELEASE:-}" ]; then prof=release; fi
. scripts/cargo-exe.sh
exes=$(cargo_exe --bin labdeck --example fake_fleet ${RELEASE:+--release})
bin=$(grep '/labdeck$' <<<"$exes")
fleet=$(grep '/fake_fleet$' <<<"$exes")
work=$(mktemp -d)
pid=
cleanup() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT
# A fresh kubectl discovery cache, as on the instructor's first run.
export HOME=$work/home
mkdir -p "$HOME"

queries=(
  "deployments"
  "daemonsets"
  "pods -l app=rng"
  "pods -l isactive=yes"
  "pods -l isactive=no"
  "pods -l app=labeldemo,isactive=yes"
  "pods -l app=labeldemo,isactive=no"
  "pods -l app=labeldemo"
)

ms() { echo $(( ($2 - $1) / 1000000 )); }

sizes=("$@")
if [ ${#sizes[@]} -eq 0 ]; then sizes=(30 200); fi

for n in "${sizes[@]}"; do
  dir=$work/class$n
  "$fleet" --n "$n" --latency "$latency" --dir "$dir" >"$work/fleet.out" 2>"$work/fleet.err" &
  pid=$!
  for _ in $(seq 200); do grep -q ready "$work/fleet.out" 2>/dev/null && break; sleep 0.05; done

  code=0
  t0=$(date +%s%N)
  /usr/bin/time -f '%M' -o "$work/rss" "$bin" grade slides/labdeck-sample.yml \
    --kubeconfigs "$dir" --timeout 0 --format json >"$work/grade.json" || code=$?
  t1=$(date +%s%N)
  # Exit 1: some students fail some exercises; 2 would mean a cluster error.
  [ "$code" = 1 ] || { echo "labdeck grade exited $code" >&2; exit 1; }
  clusters=$(grep -c '^      "name": ' "$work/grade.json")
  [ "$clusters" = "$n" ] || { echo "report has $clusters clusters, want $n" >&2; exit 1; }
  grade_ms=$(ms "$t0" "$t1")
  printf 'N=%-4d latency %-6s labdeck grade  wall %6d ms  peak RSS %6d KB\n' \
    "$n" "$latency" "$grade_ms" "$(tail -n1 "$work/rss")"

  if [ "$loop" != none ]; then
    t0=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$work/rss" bash -c '
      loop=$1; shift
      for f in "$0"/*; do
        if [ "$loop" = one ]; then
          kubectl --kubeconfig "$f" get deployments,daemonsets,pods -o json >/dev/null
        else
          for q in "$@"; do kubectl --kubeconfig "$f" get $q -o json >/dev/null; done
        fi
      done' "$dir" "$loop" "${queries[@]}"
    t1=$(date +%s%N)
    loop_ms=$(ms "$t0" "$t1")
    printf 'N=%-4d latency %-6s kubectl loop (%s)  wall %6d ms  peak RSS %6d KB (one kubectl)  -> labdeck %.1fx faster\n' \
      "$n" "$latency" "$loop" "$loop_ms" "$(tail -n1 "$work/rss")" "$(echo "$loop_ms / $grade_ms" | bc -l)"
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
  grep requests "$work/fleet.err" || true
  pid=
done
