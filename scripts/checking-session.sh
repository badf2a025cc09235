#!/usr/bin/env bash
# Prints the `labdeck check` session shown in docs/checking.md, produced by
# the real binary against the fake API server (examples/fake_apiserver.rs).
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/cargo-exe.sh
exes=$(cargo_exe --bin labdeck --example fake_apiserver) || exit 1
bin=$(grep '/labdeck$' <<<"$exes")
fake=$(grep '/fake_apiserver$' <<<"$exes")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r slides "$work/"
cd "$work"
pid=
serve() {
  rm -f out
  "$fake" --state "$1" --kubeconfig fake.kubeconfig >out 2>/dev/null &
  pid=$!
  for _ in $(seq 100); do [ -s out ] && break; sleep 0.05; done
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null; sleep 0.2; }
show() {
  echo "\$ labdeck $*"
  NO_COLOR=1 "$bin" "$@"
  local rc=$?
  echo "\$ echo \$?"
  echo "$rc"
  echo
}
show exercises slides/labdeck-sample.yml | sed -e '/^\$ echo/,+1d'
serve created
show check slides/labdeck-sample.yml --kubeconfig fake.kubeconfig --only labeldemo-create --only labeldemo-relabel --timeout 5s
stop
serve converging
show check slides/labdeck-sample.yml --kubeconfig fake.kubeconfig --only labeldemo-create --only labeldemo-relabel
stop
show check slides/labdeck-sample.yml --kubeconfig fake.kubeconfig --only labeldemo-relabel --timeout 3s
