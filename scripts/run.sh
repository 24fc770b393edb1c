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

start() { # name port [start flags...]
  local name=$1 port=$2 dir=$data/$1
  shift 2
  if [ ! -x "bin/$name" ]; then
    echo "$name: not built yet (see README status table)"
    return
  fi
  if [ ! -f "$dir/.initialized" ]; then
    if ! "bin/$name" init --data "$dir" --host localhost --port "$port" > "$data/$name.init.log" 2>&1; then
      echo "$name: init failed:"; cat "$data/$name.init.log"; exit 1
    fi
    touch "$dir/.initialized"
  fi
  "bin/$name" start --data "$dir" "$@" > "$data/$name.log" 2>&1 &
  pids+=($!)
  echo "$name: $("bin/$name" address --data "$dir")   (log: $data/$name.log)"
}

wait_port() { # port: wait up to 10 s for a listener
  for _ in $(seq 1 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# smp-relay embeds NATS (127.0.0.1:4222) and publishes notifier events on
# it; ntf-server takes them as a fast path next to NSUB, and pushes through
# its built-in fake APNs (init on localhost turns it on).
start smp-relay 5223 --embedded-nats --nats-listen 127.0.0.1:4222
nats_flags=()
if [ -x bin/smp-relay ] && wait_port 4222; then nats_flags=(--nats nats://127.0.0.1:4222); fi
start xftp-server 5443
start ntf-server 5224 "${nats_flags[@]}"

if [ ${#pids[@]} -eq 0 ]; then
  echo "no server is built yet; nothing to run"
  exit 0
fi
echo "stack running; Ctrl-C to stop"
wait
