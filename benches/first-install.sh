#!/usr/bin/env bash
# Benchmark: the first `cargo install --path . --locked` (the release build
# the README's first command also makes) from a fresh clone with an empty
# target folder, as a new user's first build is. Clones each REV given (a
# commit, branch or tag of this repository; HEAD by default) into a scratch
# folder, runs the install there under GNU time and prints, per REV: wall
# time, CPU time (user + system of cargo and every rustc, cc and build
# script it ran), peak memory of the biggest process, the size of the
# installed binary, and the load average before, after and (its mean)
# during. Crates must already be downloaded (`cargo fetch --locked`);
# OFFLINE=1 adds --offline.
# The REVs run one after the other, so on a shared machine compare their
# CPU times rather than their wall times, and quote the load.
#
#   benches/first-install.sh                 # HEAD
#   benches/first-install.sh b36f05e HEAD    # two commits, in turn
#   KEEP=1 benches/first-install.sh          # keep the scratch folders
# Needs: git, GNU time (/usr/bin/time), a C compiler (README, "What the
# build needs").
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
[ $# -gt 0 ] || set -- HEAD
OFFLINE_FLAG=()
[ "${OFFLINE:-0}" = 1 ] && OFFLINE_FLAG=(--offline)
for rev in "$@"; do
  commit=$(git rev-parse --short "$rev^{commit}")
  dir=$(mktemp -d)
  git clone -q --no-checkout "$REPO" "$dir/src"
  git -C "$dir/src" checkout -q "$commit"
  before=$(cut -d' ' -f1-3 /proc/loadavg)
  # The 1-minute load every 30 s while it runs: its mean says how shared the
  # machine was better than the two ends.
  (while :; do cut -d' ' -f1 /proc/loadavg; sleep 30; done) >"$dir/load" &
  sampler=$!
  # An empty target folder of its own: CARGO_TARGET_DIR from the caller's
  # environment would reuse a warm build.
  if ! (cd "$dir/src" && CARGO_TARGET_DIR="$dir/target" /usr/bin/time -v -o "$dir/time" \
    cargo install --path . --locked "${OFFLINE_FLAG[@]}" --root "$dir/root" >"$dir/log" 2>&1); then
    kill "$sampler"
    tail -20 "$dir/log" >&2
    echo "$commit: cargo install failed (log: $dir/log)" >&2
    exit 1
  fi
  after=$(cut -d' ' -f1-3 /proc/loadavg)
  kill "$sampler"
  mean=$(awk '{ s += $1; n++ } END { printf "%.1f", n ? s / n : 0 }' "$dir/load")
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$dir/time")
  user=$(sed -n 's/.*User time (seconds): //p' "$dir/time")
  sys=$(sed -n 's/.*System time (seconds): //p' "$dir/time")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/time")
  size=$(stat -c %s "$dir/root/bin/labdeck")
  awk -v c="$commit" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v z="$size" \
    -v lb="$before" -v la="$after" -v lm="$mean" -v n="$(nproc)" 'BEGIN {
    printf "%s: cargo install --path . --locked, fresh clone, empty target: wall %s, CPU %.0f s (user %.0f + system %.0f), peak RSS %.0f MiB, binary %.1f MB; %s cores, load %s before, %s after, %s mean while it ran\n",
      c, w, u + s, u, s, r / 1024, z / 1e6, n, lb, la, lm }'
  if [ "${KEEP:-0}" = 1 ]; then
    echo "kept: $dir" >&2
  else
    rm -rf "$dir"
  fi
done
