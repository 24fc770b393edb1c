#!/usr/bin/env bash
# make bench: the relay's load test and limits (smp-bench, a Markdown table),
# the XFTP server's transfer rates against a bare HTTP/2 limit (xftp-bench),
# the NTF server's push rate, latency and resubscription time (ntf-bench),
# then the Go micro-benchmarks of every module.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bin
go build -C services/smp-relay -o "$PWD/bin/smp-relay" ./cmd/smp-relay
go build -C services/smp-relay -o "$PWD/bin/smp-bench" ./cmd/smp-bench
echo "== smp-relay (bin/smp-bench ${SMP_BENCH_ARGS:-})"
# shellcheck disable=SC2086
./bin/smp-bench -relay bin/smp-relay ${SMP_BENCH_ARGS:-}
go build -C services/xftp -o "$PWD/bin/xftp-server" ./cmd/xftp-server
go build -C services/xftp -o "$PWD/bin/xftp-bench" ./cmd/xftp-bench
echo "== xftp-server (bin/xftp-bench ${XFTP_BENCH_ARGS:-})"
# shellcheck disable=SC2086
./bin/xftp-bench -server bin/xftp-server ${XFTP_BENCH_ARGS:-}
go build -C services/ntf-server -o "$PWD/bin/ntf-server" ./cmd/ntf-server
go build -C services/ntf-server -o "$PWD/bin/ntf-bench" ./cmd/ntf-bench
echo "== ntf-server (bin/ntf-bench ${NTF_BENCH_ARGS:-})"
# shellcheck disable=SC2086
./bin/ntf-bench -relay bin/smp-relay -ntf bin/ntf-server ${NTF_BENCH_ARGS:-}
for mod in protocol services/smp-relay services/ntf-server services/xftp client; do
  if grep -rq --include='*_test.go' '^func Benchmark' "$mod" 2>/dev/null; then
    echo "== go test -bench $mod"
    (cd "$mod" && go test -run='^$' -bench=. -benchmem ./...)
  fi
done
