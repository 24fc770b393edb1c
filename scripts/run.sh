#!/usr/bin/env bash
# Starts the local stack from bin/ with data under ./data: every server
# binary that exists is initialised on first run and started; the ones that
# do not exist yet are named. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${DATA_DIR:-$PWD/data}
mkdir -p "$data"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

start() { # name port
  local name=$1 port=$2 dir=$data/$1
  if [ ! -x "bin/$name" ]; then
    echo "$name: not built yet (see README status table)"
    return
  fi
  if [ ! -f "$dir/.initialized" ]; then
    "bin/$name" init --data "$dir" --host localhost --port "$port" >/dev/null
    touch "$dir/.initialized"
  fi
  "bin/$name" start --data "$dir" > "$data/$name.log" 2>&1 &
  pids+=($!)
  echo "$name: $("bin/$name" address --data "$dir")   (log: $data/$name.log)"
}

start smp-relay 5223
start xftp-server 5443
start ntf-server 5224

if [ ${#pids[@]} -eq 0 ]; then
  echo "no server is built yet; nothing to run"
  exit 0
fi
echo "stack running; Ctrl-C to stop"
wait
