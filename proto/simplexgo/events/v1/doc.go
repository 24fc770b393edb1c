// Package eventsv1 holds the protobuf payloads that simplexgo services
// publish on NATS inside one operator's fleet (events.proto, generated into
// events.pb.go by `make proto`) and the subjects they are published on
// (subjects.go).
//
// smp-relay publishes a NotifierMessage where it would send NMSG to a
// notifier subscriber, a NotifierEnd for END and a NotifierDeleted for DELD;
// the fleet's ntf-server consumes them instead of subscribing with NSUB.
package eventsv1
