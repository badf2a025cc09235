#!/usr/bin/env bash
# Benchmark: build every deck of the 2021 container.training corpus with the
# corpus's own build script (../shared/anchors/markmaker.py, run as
# ../shared/anchors/markmaker-time.sh runs it: one python3 per manifest, in a
# scratch copy of the tree) and with labdeck (one `labdeck build` call, the
# release binary), interleaved in ONE run (script, labdeck, script,
# labdeck, ...), so that both sides share the machine's load. Prints, per
# side: wall time (min and median of RUNS) and CPU time (user + system of
# the process and its children, median: less sensitive than wall time to
# other work on a shared machine; it counts every core a side uses), then
# labdeck's ratio to the script on both medians, and the load average.
# labdeck's peak memory (max RSS) comes from GNU time; with INSTRUCTIONS=1
# also the instructions it executes (valgrind --tool=callgrind, one run:
# the same count on any machine, however busy).
#
#   benches/build-corpus.sh            # 5 runs of each side
#   RUNS=11 benches/build-corpus.sh
#   LABDECK="/path/a /path/b" benches/build-corpus.sh   # those binaries instead,
#                                      # each interleaved with the others and the script
#   SCRIPT=0 benches/build-corpus.sh   # labdeck alone (no python3 needed)
# Needs: python3 with pyyaml (installed with pip if missing), git.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
SCRIPT=${SCRIPT:-1}
CORPUS=${CORPUS:-../shared/corpus/container.training-2021/slides}
CORPUS=$(realpath "$CORPUS")
ANCHORS=${ANCHORS:-../shared/anchors}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
if [ -n "${LABDECK:-}" ]; then
  read -r -a BINS <<<"$LABDECK"
else
  . scripts/cargo-exe.sh
  BINS=("$(cargo_exe --release --bin labdeck)")
fi
decks=$(ls "$CORPUS"/*.yml | wc -l)
TIMEFORMAT='%3R %3U %3S'

# The original script works in the slides folder of a git checkout (it asks
# `git` for the repository and the branch) and writes next to the manifests:
# a scratch copy of the tree, as markmaker-time.sh makes.
if [ "$SCRIPT" = 1 ]; then
  python3 -c 'import yaml' 2>/dev/null || pip install -q pyyaml
  mkdir -p "$OUT/tree"
  cp -r "$CORPUS" "$OUT/tree/slides"
  [ -d "$CORPUS/../k8s" ] && cp -r "$CORPUS/../k8s" "$OUT/tree/"
  cp "$ANCHORS/markmaker.py" "$ANCHORS/workshop.html" "$OUT/tree/slides/"
  (cd "$OUT/tree/slides" && git init -q . 2>/dev/null || true)
  markmaker() {
    (cd "$OUT/tree/slides" && for y in *.yml; do python3 markmaker.py "$y" >"$y.html" 2>/dev/null; done)
  }
  markmaker   # warm the page cache and python's bytecode cache
  : >"$OUT/times-script"
fi
for b in "${!BINS[@]}"; do
  "${BINS[$b]}" build "$CORPUS"/*.yml --out "$OUT/$b" >/dev/null   # warm the page cache
  : >"$OUT/times-$b"
done
# Wall and CPU time in milliseconds from bash's `time` (it counts the
# children it waited for); peak memory from GNU time, which runs inside it.
for _ in $(seq "$RUNS"); do
  if [ "$SCRIPT" = 1 ]; then
    { time markmaker; } 2>"$OUT/time"
    tail -1 "$OUT/time" >>"$OUT/times-script"
  fi
  for b in "${!BINS[@]}"; do
    { time /usr/bin/time -f '%M' -o "$OUT/rss" "${BINS[$b]}" build "$CORPUS"/*.yml --out "$OUT/$b" >/dev/null; } 2>"$OUT/time"
    echo "$(tail -1 "$OUT/time") $(tail -1 "$OUT/rss")" >>"$OUT/times-$b"
  done
done
median() { sort -n | sed -n "$(((RUNS + 1) / 2))p"; }
wall_of() { awk '{ printf "%.0f\n", $1 * 1000 }' "$1" | median; }
cpu_of() { awk '{ printf "%.0f\n", ($2 + $3) * 1000 }' "$1" | median; }
min_of() { awk '{ printf "%.0f\n", $1 * 1000 }' "$1" | sort -n | head -1; }
echo "2021 corpus: $decks manifests, $RUNS runs of each side, interleaved; $(nproc) cores"
if [ "$SCRIPT" = 1 ]; then
  sw=$(wall_of "$OUT/times-script")
  sc=$(cpu_of "$OUT/times-script")
  echo "markmaker.py (python3, one process per manifest): wall min $(min_of "$OUT/times-script") ms median $sw ms, CPU (user+system) median $sc ms"
fi
for b in "${!BINS[@]}"; do
  f="$OUT/times-$b"
  wall=$(wall_of "$f")
  cpu=$(cpu_of "$f")
  rss=$(cut -d' ' -f4 "$f" | sort -n | tail -1)
  echo "labdeck build ($b: ${BINS[$b]}): wall min $(min_of "$f") ms median ${wall} ms, CPU (user+system) median ${cpu} ms, peak RSS $((rss / 1024)) MiB"
  if [ "$SCRIPT" = 1 ]; then
    awk -v sw="$sw" -v sc="$sc" -v w="$wall" -v c="$cpu" -v b="$b" 'BEGIN {
      printf "labdeck (%s) against the script, same run: %.1fx faster in wall time, %.1fx in CPU time\n", b, sw / (w > 0 ? w : 1), sc / (c > 0 ? c : 1) }'
  fi
  if [ -n "${INSTRUCTIONS:-}" ]; then
    ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "${BINS[$b]}" build "$CORPUS"/*.yml --out "$OUT/$b" 2>&1 >/dev/null |
      sed -n 's/.*Collected : *//p')
    echo "labdeck build ($b): $ir instructions (callgrind)"
  fi
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
