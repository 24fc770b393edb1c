// Package deploy holds no code: its test checks that docker-compose.yml,
// the Dockerfile and the Kubernetes manifests under k8s/ call the server
// binaries with subcommands and flags those binaries accept, so that the
// deployment files, which this project's CI cannot run (no Docker engine,
// no cluster), do not drift from the code.
package deploy
