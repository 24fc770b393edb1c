// Package adminv1 holds the gRPC admin APIs of the three servers, generated
// by `make proto` from the .proto files beside it: SMPAdmin (smp-relay),
// NTFAdmin (ntf-server) and XFTPAdmin (xftp-server), with the messages they
// share in common.proto.
//
// Health checks are not defined here: every server also registers the
// standard grpc.health.v1.Health service from google.golang.org/grpc/health,
// which Kubernetes gRPC probes call.
package adminv1
