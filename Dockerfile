# Builds every server binary of the workspace into one small image; the
# compose file and the Kubernetes manifests pick the binary by command.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build \
    --mount=type=cache,target=/go/pkg/mod \
    set -eu; mkdir -p /out /data; \
    for d in services/smp-relay/cmd/smp-relay services/ntf-server/cmd/ntf-server services/xftp/cmd/xftp-server; do \
      if [ -f "$d/main.go" ]; then CGO_ENABLED=0 go build -C "$(dirname $(dirname $d))" -trimpath -o /out/ "./cmd/$(basename $d)"; fi; \
    done

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
# An empty /data owned by the nonroot user: a named volume mounted there
# takes its ownership, so the servers can write their data (distroless has
# no shell to fix it later).
COPY --from=build --chown=65532:65532 /data /data
USER nonroot
ENTRYPOINT ["/usr/local/bin/smp-relay"]
