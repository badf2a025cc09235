#!/usr/bin/env bash
# Benchmark: build all 14 container.training decks in one `labdeck build`
# call, with the release binary. Prints wall time (min and median of RUNS)
# and peak memory (max RSS).
#
#   benches/build-corpus.sh            # 10 runs
#   RUNS=30 benches/build-corpus.sh
#   LABDECK=/path/to/labdeck benches/build-corpus.sh   # time another build of it
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}
CORPUS=${CORPUS:-../shared/corpus/container.training-2021/slides}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
if [ -n "${LABDECK:-}" ]; then
  BIN=$(realpath "$LABDECK")
else
  . scripts/cargo-exe.sh
  BIN=$(cargo_exe --release --bin labdeck)
fi
"$BIN" build "$CORPUS"/*.yml --out "$OUT" >/dev/null   # warm the page cache
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 2 --runs "$RUNS" "$BIN build $CORPUS/*.yml --out $OUT"
fi
times=()
rss=0
for _ in $(seq "$RUNS"); do
  line=$( { /usr/bin/time -f '%e %M' "$BIN" build "$CORPUS"/*.yml --out "$OUT" >/dev/null; } 2>&1 | tail -1)
  times+=("${line% *}")
  m=${line#* }
  (( m > rss )) && rss=$m
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
min=$(echo "$sorted" | head -1)
median=$(echo "$sorted" | sed -n "$(( (RUNS + 1) / 2 ))p")
slides=$(ls "$CORPUS"/*.yml | wc -l)
echo "labdeck build: $slides decks, wall min ${min}s median ${median}s over $RUNS runs, peak RSS $((rss / 1024)) MiB"
