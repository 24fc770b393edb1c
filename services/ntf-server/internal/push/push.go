// Package push is the NTF server's side of push delivery: the Pusher
// interface a push provider implements (package apns for Apple), the
// errors it reports, and Dispatcher, which runs pushes with bounded
// concurrency and retries transient failures with backoff without holding
// a worker (so one slow token never blocks the others).
package push

import (
	"context"
	"errors"
	"fmt"

	"github.com/simplexgo/protocol/ntf"
)

// Kind is what a push carries [NP PushNotification].
type Kind int

// Push kinds.
const (
	Verification  Kind = iota // the registration code (background)
	Message                   // the last notifications (alert, mutable-content)
	CheckMessages             // periodic check (background)
)

// String returns the kind's metric label.
func (k Kind) String() string {
	switch k {
	case Verification:
		return "verification"
	case Message:
		return "message"
	case CheckMessages:
		return "check_messages"
	}
	return "unknown"
}

// Background reports whether the push is a background push (APNs push
// type "background", priority 5) rather than an alert [APNS apnsRequest].
func (k Kind) Background() bool { return k != Message }

// Notification is one push to one device.
type Notification struct {
	Provider    ntf.Provider
	DeviceToken []byte // lower-case hex, used verbatim in the APNs path
	Kind        Kind
	Payload     []byte // the JSON body (see ntf.VerificationPayload etc.)
}

// Pusher sends one push to its provider. Errors are classified with
// TokenInvalidError, ErrRetry and ErrPermanent.
type Pusher interface {
	Push(ctx context.Context, n Notification) error
}

// Errors of a Pusher.
var (
	// ErrRetry is a transient failure: connection error, 429, 5xx, or 410
	// with an unknown reason [APNS PPRetryLater, PPConnection].
	ErrRetry = errors.New("push: retry later")
	// ErrPermanent is a failure retrying would not fix (bad request,
	// provider authentication) [APNS PPPermanentError, PPResponseError].
	ErrPermanent = errors.New("push: permanent error")
)

// TokenInvalidError says the provider rejected the device token; the
// token becomes INVALID with Reason [APNS PPTokenInvalid].
type TokenInvalidError struct {
	Reason ntf.InvalidReason
	Detail string // provider's reason text
}

func (e *TokenInvalidError) Error() string {
	return fmt.Sprintf("push: token invalid (%s): %s", e.Reason, e.Detail)
}

// Outcome returns the metric label of a push result.
func Outcome(err error) string {
	if err == nil {
		return "ok" // before ti, which escapes: no allocation per push
	}
	var ti *TokenInvalidError
	switch {
	case errors.As(err, &ti):
		return "token_invalid"
	case errors.Is(err, ErrRetry):
		return "retry"
	case errors.Is(err, ErrPermanent):
		return "permanent"
	}
	return "error"
}
