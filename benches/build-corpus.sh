#!/usr/bin/env bash
# Benchmark: build all 14 container.training decks in one `labdeck build`
# call, with the release binary. Prints, per binary: wall time (min and
# median of RUNS), CPU time (user + system, median: less sensitive than wall
# time to other work on a shared machine) and peak memory (max RSS), from
# GNU time; with INSTRUCTIONS=1 also the instructions executed (valgrind
# --tool=callgrind, one run: the same count on any machine, however busy).
#
#   benches/build-corpus.sh            # 10 runs
#   RUNS=30 benches/build-corpus.sh
#   LABDECK="/path/a /path/b" benches/build-corpus.sh   # those binaries instead,
#                                      # runs interleaved (a b a b ...) to compare them
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}
CORPUS=${CORPUS:-../shared/corpus/container.training-2021/slides}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
if [ -n "${LABDECK:-}" ]; then
  read -r -a BINS <<<"$LABDECK"
else
  . scripts/cargo-exe.sh
  BINS=("$(cargo_exe --release --bin labdeck)")
fi
decks=$(ls "$CORPUS"/*.yml | wc -l)
for b in "${!BINS[@]}"; do
  "${BINS[$b]}" build "$CORPUS"/*.yml --out "$OUT/$b" >/dev/null   # warm the page cache
  : >"$OUT/times-$b"
done
# Wall and CPU time in milliseconds from bash's `time` (GNU time prints
# hundredths only); peak memory from GNU time, which runs inside it.
TIMEFORMAT='%3R %3U %3S'
for _ in $(seq "$RUNS"); do
  for b in "${!BINS[@]}"; do
    { time /usr/bin/time -f '%M' -o "$OUT/rss" "${BINS[$b]}" build "$CORPUS"/*.yml --out "$OUT/$b" >/dev/null; } 2>"$OUT/time"
    echo "$(tail -1 "$OUT/time") $(tail -1 "$OUT/rss")" >>"$OUT/times-$b"
  done
done
median() { sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"; }
for b in "${!BINS[@]}"; do
  f="$OUT/times-$b"
  min=$(awk '{ printf "%.0f\n", $1 * 1000 }' "$f" | sort -n | head -1)
  wall=$(awk '{ printf "%.0f\n", $1 * 1000 }' "$f" | median)
  cpu=$(awk '{ printf "%.0f\n", ($2 + $3) * 1000 }' "$f" | median)
  rss=$(cut -d' ' -f4 "$f" | sort -n | tail -1)
  echo "labdeck build ($b: ${BINS[$b]}): $decks decks, wall min ${min} ms median ${wall} ms, CPU (user+system) median ${cpu} ms over $RUNS runs, peak RSS $((rss / 1024)) MiB"
  if [ -n "${INSTRUCTIONS:-}" ]; then
    ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "${BINS[$b]}" build "$CORPUS"/*.yml --out "$OUT/$b" 2>&1 >/dev/null |
      sed -n 's/.*Collected : *//p')
    echo "labdeck build ($b): $ir instructions (callgrind)"
  fi
done
