#!/usr/bin/env bash
# Wall time of `labdeck lint` on every manifest of the 2021 corpus, and the
# findings by rule. Usage: benches/lint-corpus.sh [RUNS] (default 5).
# Builds the release binary first; set LABDECK=path to time another build.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
corpus="${CORPUS:-$here/../shared/corpus/container.training-2021/slides}"
runs="${1:-5}"
if [ -z "${LABDECK:-}" ]; then
  . "$here/scripts/cargo-exe.sh"
  LABDECK=$(cd "$here" && cargo_exe --release --bin labdeck)
fi
LABDECK="$(realpath "$LABDECK")"
cd "$corpus"
manifests=(*.yml)
echo "labdeck lint on ${#manifests[@]} manifests in $corpus, $runs runs"
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  "$LABDECK" lint "${manifests[@]}" > /tmp/labdeck-lint-corpus.txt 2>/dev/null || true
  end=$(date +%s%N)
  echo "  $(( (end - start) / 1000000 )) ms"
done
echo "findings by rule:"
sed -E 's/.*\[([a-z-]+)\]$/\1/' /tmp/labdeck-lint-corpus.txt | sort | uniq -c | sort -rn
