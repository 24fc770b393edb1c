package push

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/simplexgo/protocol/ntf"
)

// ErrNotActive is returned when a token or subscription does not become
// active in time.
var ErrNotActive = errors.New("push: not active")

// CodeSource returns the registration code of the device's verification
// push (the app gets it from APNs).
type CodeSource func(ctx context.Context, d *Device) ([]byte, error)

// FakeCodeSource reads the verification push from the fake APNs read
// endpoint base: the first push to the token that opens with the device's
// DH secret as a verification (pushes of earlier registrations of the
// same token do not open).
func FakeCodeSource(base string) CodeSource {
	return func(ctx context.Context, d *Device) ([]byte, error) {
		after := 0
		for {
			p, err := WaitFakePush(ctx, base, string(d.Token), after)
			if err != nil {
				return nil, err
			}
			after = p.Index + 1
			if n, err := Open(d.DHSecret, p.Body); err == nil && n.Kind == KindVerification {
				return n.Code, nil
			}
		}
	}
}

// pollInterval is how often statuses are checked while waiting.
const pollInterval = 50 * time.Millisecond

// RegisterToken runs the whole registration: TNEW, the verification code
// from code, TVFY, then TCHK until the token is ACTIVE [AG
// registerNtfToken, verifyNtfToken].
func (d *Device) RegisterToken(ctx context.Context, c *Client, code CodeSource) error {
	if err := d.Register(ctx, c); err != nil {
		return err
	}
	vc, err := code(ctx, d)
	if err != nil {
		return fmt.Errorf("push: verification code: %w", err)
	}
	if err := d.Verify(ctx, c, vc); err != nil {
		return err
	}
	return d.WaitActive(ctx, c)
}

// WaitActive checks the token status until it is ACTIVE (or INVALID /
// EXPIRED, or ctx ends).
func (d *Device) WaitActive(ctx context.Context, c *Client) error {
	for {
		st, err := d.Check(ctx, c)
		if err != nil {
			return err
		}
		switch st.Code {
		case ntf.TokenActive:
			return nil
		case ntf.TokenInvalid, ntf.TokenExpired:
			return fmt.Errorf("%w: token %s", ErrNotActive, st)
		}
		if err := sleep(ctx, pollInterval); err != nil {
			return fmt.Errorf("%w: token %s: %w", ErrNotActive, st, err)
		}
	}
}

// WaitSubscriptionActive checks a subscription until the NTF server has
// subscribed the queue on its SMP server (ACTIVE): only then do messages
// make pushes.
func (d *Device) WaitSubscriptionActive(ctx context.Context, c *Client, subID []byte) error {
	for {
		st, err := d.CheckSubscription(ctx, c, subID)
		if err != nil {
			return err
		}
		if st.Code == ntf.SubActive {
			return nil
		}
		if !st.ShouldSubscribe() {
			return fmt.Errorf("%w: subscription %s", ErrNotActive, st)
		}
		if err := sleep(ctx, pollInterval); err != nil {
			return fmt.Errorf("%w: subscription %s: %w", ErrNotActive, st, err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
