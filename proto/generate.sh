#!/usr/bin/env bash
# Regenerates every *.pb.go under proto/ from the .proto files beside them.
#
# Run it through `make proto` (from the repository root), which installs the
# pinned plugins into bin/tools and puts them first on PATH. The output must
# be byte-identical on every machine, because `make proto-check` (run by
# .ci/run) fails when the committed code differs from a fresh run:
#
#   - plugins: protoc-gen-go and protoc-gen-go-grpc at the versions pinned in
#     the Makefile (checked below; `make tools` installs them);
#   - protoc: protoc-gen-go writes protoc's version into every header
#     ("// 	protoc        v3.21.12"), so the committed code matches only the
#     protoc of Debian's protobuf-compiler package (3.21.12 in bookworm),
#     which is what .ci/run installs with apt. Another protoc fails here
#     unless PROTOC_ANY_VERSION=1 (then expect a header-only diff);
#   - inputs: files are passed in C-locale sorted order, with import paths
#     relative to proto/ and paths=source_relative, so each .pb.go lands next
#     to its .proto and its header names the same relative source path.
set -euo pipefail
cd "$(dirname "$0")"
export LC_ALL=C

# Plugin versions come from the Makefile (the one place they are pinned):
# `make proto` passes them in the environment; run by hand, read them there.
pinned() { sed -n "s/^$1 *:= *//p" ../Makefile; }
go_version=${PROTOC_GEN_GO_VERSION:-$(pinned PROTOC_GEN_GO_VERSION)}
grpc_version=${PROTOC_GEN_GO_GRPC_VERSION:-$(pinned PROTOC_GEN_GO_GRPC_VERSION)}
if [[ -z "$go_version" || -z "$grpc_version" ]]; then
  echo "generate.sh: plugin versions not found in ../Makefile" >&2
  exit 1
fi
want_protoc="libprotoc 3.21.12"
want_go="protoc-gen-go $go_version"
want_grpc="protoc-gen-go-grpc ${grpc_version#v}" # it prints no leading v

have() { "$1" --version 2>/dev/null || echo "$1: not found"; }

got=$(have protoc)
if [[ "$got" != "$want_protoc" && "${PROTOC_ANY_VERSION:-}" != 1 ]]; then
  echo "generate.sh: want $want_protoc (apt-get install protobuf-compiler on Debian bookworm), have: $got" >&2
  echo "generate.sh: set PROTOC_ANY_VERSION=1 to generate anyway" >&2
  exit 1
fi
got=$(have protoc-gen-go)
if [[ "$got" != "$want_go" ]]; then
  echo "generate.sh: want $want_go, have: $got (run make tools)" >&2
  exit 1
fi
got=$(have protoc-gen-go-grpc)
if [[ "$got" != "$want_grpc" ]]; then
  echo "generate.sh: want $want_grpc, have: $got (run make tools)" >&2
  exit 1
fi

mapfile -t protos < <(find simplexgo -name '*.proto' -type f | sort)
if [[ ${#protos[@]} -eq 0 ]]; then
  echo "generate.sh: no .proto files under proto/simplexgo" >&2
  exit 1
fi

# Remove old output first so a deleted or renamed .proto leaves nothing stale.
find simplexgo -type f \( -name '*.pb.go' -o -name '*_grpc.pb.go' \) -delete

protoc \
  --proto_path=. \
  --go_out=. --go_opt=paths=source_relative \
  --go-grpc_out=. --go-grpc_opt=paths=source_relative \
  "${protos[@]}"

echo "generated Go for ${#protos[@]} proto files"
