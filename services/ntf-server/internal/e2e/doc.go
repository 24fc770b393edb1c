// Package e2e holds end-to-end tests of the NTF server against a real
// smp-relay run as a subprocess (built from this workspace) and the fake
// APNs. It has no non-test code.
package e2e
