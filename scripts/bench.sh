#!/usr/bin/env bash
# Runs the benchmarks of every module that has them and prints the results.
set -euo pipefail
cd "$(dirname "$0")/.."
for mod in protocol services/smp-relay services/ntf-server services/xftp client; do
  if grep -rq --include='*_test.go' '^func Benchmark' "$mod" 2>/dev/null; then
    echo "== bench $mod"
    (cd "$mod" && go test -run='^$' -bench=. -benchmem ./...)
  fi
done
