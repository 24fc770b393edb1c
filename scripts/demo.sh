#!/usr/bin/env bash
# The end-to-end demo against the stack that `make run` started (addresses
# read from ./data): Alice and Bob connect through smp-relay, exchange
# messages, send a file over xftp-server (when the client has it), and Bob
# gets a push through ntf-server's fake APNs for Alice's next message,
# decrypts it and fetches the message. Every step is printed; a failed
# step stops the demo with a non-zero exit and the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${DATA_DIR:-$PWD/data}
bin=$PWD/bin
client=$bin/simplex-client

step() { printf '\n== %s\n' "$*"; }
fail() { printf '\nDEMO FAILED: %s\n' "$*" >&2; exit 1; }
ok() { printf '   ok: %s\n' "$*"; }

[ -x "$client" ] || fail "bin/simplex-client is not built (run make demo, which builds it)"
for s in smp-relay ntf-server; do
  [ -x "$bin/$s" ] || fail "bin/$s is not built"
  [ -d "$data/$s" ] || fail "no $data/$s: start the stack with make run first"
done

# port_of ADDRESS DEFAULT: the port of scheme://fp[:pass]@host[:port]
port_of() { local hp=${1##*@}; hp=${hp%%,*}; [[ $hp == *:* ]] && echo "${hp##*:}" || echo "$2"; }
reachable() { (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null; }

step "servers (from $data)"
smp=$("$bin/smp-relay" address --data "$data/smp-relay" | tail -n1)
ntf=$("$bin/ntf-server" address --data "$data/ntf-server" | tail -n1)
metrics=$(awk -F' *= *' '/^\[ADMIN\]/{a=1;next} /^\[/{a=0} a && $1=="metrics"{print $2}' "$data/ntf-server/ntf-server.ini")
metrics=${metrics:-127.0.0.1:5229}
fake="http://$metrics"
echo "   smp-relay:  $smp"
echo "   ntf-server: $ntf (fake APNs pushes: $fake/fake-apns/pushes)"
reachable "$(port_of "$smp" 5223)" || fail "smp-relay is not running (make run)"
reachable "$(port_of "$ntf" 443)" || fail "ntf-server is not running (make run)"
reachable "${metrics##*:}" || fail "ntf-server metrics listener $metrics is not up (needed for the fake APNs pushes)"
xftp=""
if [ -x "$bin/xftp-server" ] && [ -d "$data/xftp-server" ]; then
  xftp=$("$bin/xftp-server" address --data "$data/xftp-server" | tail -n1)
  echo "   xftp-server: $xftp"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/simplex-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
export SIMPLEX_PASSPHRASE=demo-passphrase
alice=(-profile "$work/alice")
bob=(-profile "$work/bob")
run() { # who args...: run the client, print its output, fail with it
  local who=$1; shift
  local out
  if ! out=$("$client" "$@" 2>&1); then
    printf '%s\n' "$out" | sed "s/^/   $who| /"
    fail "$who: simplex-client $*"
  fi
  [ -z "$out" ] || printf '%s\n' "$out" | sed "s/^/   $who| /"
  LAST=$out
}

step "Alice and Bob create profiles on $smp"
run alice "${alice[@]}" init -server "$smp" -name Alice
run bob "${bob[@]}" init -server "$smp" -name Bob
ok "profiles in $work"

step "Alice invites Bob"
run alice "${alice[@]}" invite bob
link=$(printf '%s\n' "$LAST" | tail -n1)
[[ $link == simplex:/invitation* ]] || fail "no invitation link from Alice"

step "Bob joins; both complete the connection"
run bob "${bob[@]}" join alice "$link"
run alice "${alice[@]}" listen -until "connected: bob" -timeout 30s
run bob "${bob[@]}" listen -until "connected: alice" -timeout 30s
ok "connected"

step "messages both ways"
run alice "${alice[@]}" send bob "Hello Bob, this is Alice"
run bob "${bob[@]}" listen -until "alice> Hello Bob, this is Alice" -timeout 30s
run bob "${bob[@]}" send alice "Hi Alice!"
run alice "${alice[@]}" listen -until "bob> Hi Alice!" -until "delivered: #" -timeout 30s
ok "delivered both ways"

step "file transfer over XFTP"
usage=$("$client" -profile "$work/alice" 2>&1 || true)
if grep -q "file send" <<<"$usage" && [ -n "$xftp" ]; then
  head -c 300000 /dev/urandom > "$work/photo.bin"
  run alice "${alice[@]}" file send -xftp "$xftp" bob "$work/photo.bin"
  run bob "${bob[@]}" file receive -timeout 60s -out "$work/received"
  got=$(find "$work/received" -type f | head -n1)
  [ -n "$got" ] || fail "Bob received no file"
  cmp -s "$work/photo.bin" "$got" || fail "received file differs from the sent one"
  ok "file received and identical ($(wc -c < "$got") bytes)"
else
  if [ -z "$xftp" ]; then
    echo "   not built yet: no xftp-server in bin/ and $data, skipping"
  else
    echo "   not built yet: simplex-client has no file send/receive, skipping"
  fi
fi

step "Bob registers a push token with $ntf"
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
run bob "${bob[@]}" push register -ntf "$ntf" -token "$token" -provider apns_test -fake-apns "$fake"
grep -q "ACTIVE" <<<"$LAST" || fail "token not ACTIVE"
grep -q "notifications on for alice" <<<"$LAST" || fail "no notification subscription for alice"

step "Alice sends; Bob gets a push, decrypts it and fetches the message"
run alice "${alice[@]}" send bob "Are you awake, Bob?"
run bob "${bob[@]}" push wait -timeout 30s -fetch
grep -q "push: message from alice" <<<"$LAST" || fail "push did not name Alice's connection"
grep -q "alice> Are you awake, Bob?" <<<"$LAST" || fail "message not fetched after the push"
ok "push decrypted and message fetched"

printf '\nDEMO PASSED\n'
