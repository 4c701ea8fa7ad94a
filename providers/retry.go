package providers

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// RetryableError marks an error as transient (throttling, a 5xx answer, a
// timeout): the same call may succeed when tried again.
type RetryableError struct {
	Err error
}

func (e *RetryableError) Error() string { return e.Err.Error() }
func (e *RetryableError) Unwrap() error { return e.Err }

// Retryable wraps err so that IsRetryable reports true for it.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return &RetryableError{Err: err}
}

// IsRetryable reports whether err, or an error it wraps, is transient.
func IsRetryable(err error) bool {
	var re *RetryableError
	return errors.As(err, &re)
}

// RetryPolicy says how often and how patiently a transient error is retried.
type RetryPolicy struct {
	// Attempts is the total number of tries, the first included.
	Attempts int
	// Base is the first backoff; each retry doubles it, up to Max, with
	// jitter.
	Base time.Duration
	Max  time.Duration
}

// DefaultRetryPolicy suits cloud APIs: eight tries over about half a minute.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{Attempts: 8, Base: 100 * time.Millisecond, Max: 5 * time.Second}
}

// Retry calls fn until it succeeds, fails with an error that is not
// retryable, the attempts run out or ctx ends. It is the one place a
// provider retries; call sites do not loop themselves.
func Retry(ctx context.Context, p RetryPolicy, fn func(ctx context.Context) error) error {
	if p.Attempts < 1 {
		p.Attempts = 1
	}
	backoff := p.Base
	var err error
	for attempt := 1; ; attempt++ {
		err = fn(ctx)
		if err == nil || !IsRetryable(err) {
			return err
		}
		if attempt >= p.Attempts {
			// Retried enough: what comes back is no longer retryable, so
			// callers do not retry it again.
			var re *RetryableError
			errors.As(err, &re)
			if p.Attempts == 1 {
				return re.Err
			}
			return fmt.Errorf("%w (gave up after %d attempts)", re.Err, attempt)
		}
		sleep := time.Duration(0)
		if backoff > 0 {
			sleep = backoff/2 + rand.N(backoff/2+1)
		}
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		backoff *= 2
		if p.Max > 0 && backoff > p.Max {
			backoff = p.Max
		}
	}
}
