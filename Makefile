# The workspace's build, test and run contract. See README.md.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

MODULES := protocol proto services/smp-relay services/ntf-server services/xftp client deploy
# Modules that have Go packages yet (an empty module makes `go vet ./...` fail).
PKG_MODULES = $(foreach m,$(MODULES),$(if $(shell find $(m) -name '*.go' -print -quit 2>/dev/null),$(m)))
BIN     := $(CURDIR)/bin
TOOLS   := $(CURDIR)/bin/tools
GO      ?= go

# Pinned tool versions (installed into bin/tools by `make tools`).
STATICCHECK_VERSION        := v0.8.2
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2

FUZZTIME ?= 10s

.PHONY: all build test test-short lint fmt vet staticcheck tools run demo bench fuzz proto proto-check clean

all: build

build:
	@mkdir -p $(BIN)
	@for m in $(PKG_MODULES); do (cd $$m && $(GO) build ./...); done
	@for d in services/*/cmd/* client/cmd/*; do \
	  [ -f $$d/main.go ] || continue; \
	  mod=$$(cd $$d && $(GO) list -m); \
	  (cd $$d && $(GO) build -o $(BIN)/$$(basename $$d) .); \
	  echo "built bin/$$(basename $$d)"; \
	done

# Every module's tests; the protocol module under the race detector.
test:
	@for m in $(PKG_MODULES); do \
	  if [ "$$m" = protocol ]; then flags="-race"; else flags=""; fi; \
	  echo "== go test $$flags $$m/..."; \
	  (cd $$m && $(GO) test $$flags -count=1 ./...); \
	done

lint: fmt vet staticcheck

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needs to run on:"; echo "$$out"; exit 1; fi

vet:
	@for m in $(PKG_MODULES); do (cd $$m && $(GO) vet ./...); done

staticcheck: tools
	@for m in $(PKG_MODULES); do (cd $$m && $(TOOLS)/staticcheck ./...); done

# Installs each tool unless bin/tools already holds the pinned version (read
# from the binary's build info), so bumping a version above takes effect.
tools:
	@mkdir -p $(TOOLS)
	@for spec in staticcheck=honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) \
	             protoc-gen-go=google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION) \
	             protoc-gen-go-grpc=google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION); do \
	  name=$${spec%%=*}; pkg=$${spec#*=}; want=$${pkg##*@}; \
	  have=$$($(GO) version -m $(TOOLS)/$$name 2>/dev/null | awk '$$1 == "mod" {print $$3}') || true; \
	  [ "$$have" = "$$want" ] || { echo "installing $$pkg"; GOBIN=$(TOOLS) $(GO) install $$pkg; }; \
	done

# Regenerate the Go code from proto/**/*.proto with the pinned plugins and
# Debian's protoc 3.21.12 (proto/generate.sh checks all three versions).
proto: tools
	@command -v protoc >/dev/null || { echo "protoc missing: apt-get install -y protobuf-compiler"; exit 1; }
	@cd proto && PATH=$(TOOLS):$$PATH PROTOC_GEN_GO_VERSION=$(PROTOC_GEN_GO_VERSION) \
	  PROTOC_GEN_GO_GRPC_VERSION=$(PROTOC_GEN_GO_GRPC_VERSION) ./generate.sh

# Fails if the committed generated code differs from a fresh `make proto`:
# changed or deleted tracked files, or new untracked ones (a .pb.go that was
# never committed).
proto-check: proto
	@if [ -n "$$(git status --porcelain --untracked-files=all -- proto)" ]; then \
	  git status --short --untracked-files=all -- proto; git --no-pager diff --stat -- proto; \
	  echo "generated code in proto/ is stale: run make proto and commit"; exit 1; \
	fi

# A short run of every fuzz target (FUZZTIME each).
fuzz:
	@./scripts/fuzz.sh $(FUZZTIME)

bench:
	@./scripts/bench.sh

run: build
	@./scripts/run.sh

demo: build
	@./scripts/demo.sh

clean:
	rm -rf $(BIN) data
