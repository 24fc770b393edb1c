#!/usr/bin/env bash
# Runs every Go fuzz target in the workspace for the given time each
# (default 10s). Seed corpora live in each package's testdata/fuzz/.
# Minimizing a new input is capped (FUZZMINTIME, default 1s): Go's default
# of 60 s makes a short run overrun its time and fail with "context deadline
# exceeded".
set -euo pipefail
fuzztime=${1:-10s}
cd "$(dirname "$0")/.."
status=0
for mod in protocol proto services/smp-relay services/ntf-server services/xftp client; do
  [ -d "$mod" ] || continue
  while IFS= read -r pkgdir; do
    pkg=$(cd "$mod" && go list "./$pkgdir")
    for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$mod/$pkgdir"/*_test.go | sed 's/^func //' | sort -u); do
      echo "== fuzz $pkg $target ($fuzztime)"
      if ! (cd "$mod" && go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" -fuzzminimizetime="${FUZZMINTIME:-1s}" "./$pkgdir"); then
        status=1
      fi
    done
  done < <(cd "$mod" && grep -rl --include='*_test.go' '^func Fuzz' . | xargs -r -n1 dirname | sort -u)
done
exit $status
