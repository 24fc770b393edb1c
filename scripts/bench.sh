#!/usr/bin/env bash
# make bench: the relay's load test and limits (smp-bench, a Markdown table),
# then the Go micro-benchmarks of every module.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bin
go build -C services/smp-relay -o "$PWD/bin/smp-relay" ./cmd/smp-relay
go build -C services/smp-relay -o "$PWD/bin/smp-bench" ./cmd/smp-bench
echo "== smp-relay (bin/smp-bench ${SMP_BENCH_ARGS:-})"
# shellcheck disable=SC2086
./bin/smp-bench -relay bin/smp-relay ${SMP_BENCH_ARGS:-}
for mod in protocol services/smp-relay services/ntf-server services/xftp client; do
  if grep -rq --include='*_test.go' '^func Benchmark' "$mod" 2>/dev/null; then
    echo "== go test -bench $mod"
    (cd "$mod" && go test -run='^$' -bench=. -benchmem ./...)
  fi
done
