#!/usr/bin/env bash
# CI for a deck repository: the script part of action.yml (the GitHub
# Actions composite action at this repository's root), also usable from any
# CI or by hand. tests/packaging.rs runs it, as action.yml calls it, on a
# fixture deck repository.
#
# Settings (environment; action.yml maps its inputs onto them):
#   LABDECK_COMMAND  lint (default) or run
#   LABDECK_DECKS    deck manifests: space-separated paths or globs
#                    (default: slides/*.yml)
#   LABDECK_CHECKS   a checks file (--checks FILE), optional
#   LABDECK_CONTEXT  run: the sandbox cluster's kubeconfig context
#   LABDECK_KUBECONFIG  run: its kubeconfig (default: kubectl's)
#   LABDECK_ARGS     more arguments for labdeck, split on spaces
#   LABDECK_REPORTS  run: folder for one JSON report per deck
#                    (default: labdeck-reports)
#   LABDECK          the labdeck program (default: labdeck on PATH)
# Arguments, when given, are the decks (instead of LABDECK_DECKS): the
# pre-commit hook (.pre-commit-hooks.yaml) passes its `args` so.
#
# lint: one `labdeck lint` over every deck; findings become annotations on
# GitHub (`--format github` when GITHUB_ACTIONS=true), text elsewhere.
# run: `labdeck run DECK --keep-going --format json` per deck, the JSON in
# LABDECK_REPORTS/<deck stem>.json; fails if any deck failed.
set -euo pipefail

labdeck=${LABDECK:-labdeck}
command=${LABDECK_COMMAND:-lint}

# Globs expand here (a pattern matching nothing is dropped, so that a
# missing folder is said once below, not passed on as a file name).
if [ $# -gt 0 ]; then
  decks=("$@")
else
  shopt -s nullglob
  # shellcheck disable=SC2206 # splitting and globbing are wanted
  decks=(${LABDECK_DECKS:-slides/*.yml})
  shopt -u nullglob
fi
if [ ${#decks[@]} -eq 0 ]; then
  echo "labdeck: no deck matches LABDECK_DECKS='${LABDECK_DECKS:-slides/*.yml}'" >&2
  exit 2
fi
# shellcheck disable=SC2206 # split on spaces, as documented
extra=(${LABDECK_ARGS:-})
checks=()
[ -z "${LABDECK_CHECKS:-}" ] || checks=(--checks "$LABDECK_CHECKS")

case "$command" in
lint)
  format=text
  [ "${GITHUB_ACTIONS:-}" != true ] || format=github
  exec "$labdeck" lint --format "$format" "${checks[@]}" "${extra[@]}" "${decks[@]}"
  ;;
run)
  cluster=()
  [ -z "${LABDECK_CONTEXT:-}" ] || cluster+=(--context "$LABDECK_CONTEXT")
  [ -z "${LABDECK_KUBECONFIG:-}" ] || cluster+=(--kubeconfig "$LABDECK_KUBECONFIG")
  reports=${LABDECK_REPORTS:-labdeck-reports}
  mkdir -p "$reports"
  status=0
  for deck in "${decks[@]}"; do
    stem=$(basename "$deck")
    stem=${stem%.*}
    echo "labdeck run $deck -> $reports/$stem.json" >&2
    "$labdeck" run "$deck" --keep-going --format json "${cluster[@]}" "${checks[@]}" "${extra[@]}" \
      >"$reports/$stem.json" || status=$?
  done
  exit "$status"
  ;;
*)
  echo "labdeck: LABDECK_COMMAND='$command': want lint or run" >&2
  exit 2
  ;;
esac
