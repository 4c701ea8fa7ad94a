package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stagecraft/stagecraft/providers"
)

// session is one configuration of the provider: its settings, its cloud and
// the state of the simulated API (rate limit bucket, error generator).
type session struct {
	settings
	cloud   *cloud
	limiter *limiter

	// rngMu guards rng; it is held for one draw.
	rngMu sync.Mutex
	rng   *rand.Rand

	// Counters of what the simulated API did, for tests.
	attempts  atomic.Int64
	throttled atomic.Int64
	injected  atomic.Int64
}

func newSession(s settings, c *cloud) *session {
	ss := &session{settings: s, cloud: c}
	if s.rateLimit > 0 {
		ss.limiter = newLimiter(s.rateLimit)
	}
	if s.errorRate > 0 {
		ss.rng = rand.New(rand.NewPCG(s.seed, s.seed^0x9e3779b97f4a7c15))
	}
	return ss
}

// call makes one simulated API call about several resources: op and
// subject name the call in errors, as in "read 3 cache resources: ...".
func (p *provider) call(ctx context.Context, op, subject string, fn func(s *session) error) error {
	if err := p.try(ctx, op, fn); err != nil {
		return fmt.Errorf("%s %s: %w", op, subject, err)
	}
	return nil
}

// callFor makes one simulated API call about the resource r; its error is
// a providers.OperationError, as in "create cache.sessions: ...".
func (p *provider) callFor(ctx context.Context, op string, r providers.Ref, fn func(s *session) error) error {
	if err := p.try(ctx, op, fn); err != nil {
		return r.Errorf(op, "%w", err)
	}
	return nil
}

// try makes one simulated API call: it is the one place where latency,
// throttling, injected transient errors and retries happen. fn is the
// call's effect on the cloud; op names the call (opCreate, opRead...).
func (p *provider) try(ctx context.Context, op string, fn func(s *session) error) error {
	s := p.session()
	return providers.Retry(ctx, p.retry, func(ctx context.Context) error {
		if err := s.attempt(ctx, changes(op)); err != nil {
			return err
		}
		return fn(s)
	})
}

// changes reports whether a call of op changes the cloud.
func changes(op string) bool {
	return op == opCreate || op == opUpdate || op == opDelete
}

// attempt is the round trip of one try: the latency, then the API's
// answers that come before the operation takes effect. A call not yet
// sent when ctx ends is not made. A read already sent stops when ctx
// ends; a change already sent (mutating) runs its round trip to the end,
// as a request a cloud has received does (the latency bounds it), so an
// interrupt never leaves it half done.
func (s *session) attempt(ctx context.Context, mutating bool) error {
	s.attempts.Add(1)
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.latency >= time.Second {
		// A wait people notice: the heartbeat says what it is.
		providers.ReportStatus(ctx, fmt.Sprintf("sim: simulated latency %s", s.latency))
	}
	if s.latency > 0 {
		done := ctx.Done()
		if mutating {
			done = nil
		}
		t := time.NewTimer(s.latency)
		select {
		case <-done:
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if s.limiter != nil && !s.limiter.take() {
		s.throttled.Add(1)
		return providers.Retryable(fmt.Errorf("sim: throttled (rate limit %g calls/s)", s.rateLimit))
	}
	if s.rng != nil && s.draw() < s.errorRate {
		s.injected.Add(1)
		return providers.Retryable(errors.New("sim: transient error (injected)"))
	}
	return nil
}

func (s *session) draw() float64 {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64()
}

// failure returns the injected failure for op on address, if the fail
// setting asks for one. It is not retryable: it stands for a request the
// cloud refuses every time.
func (s *session) failure(address, op string) error {
	if s.fail[address] == op {
		return fmt.Errorf("sim: injected failure for %s on %s", address, op)
	}
	return nil
}

// limiter is a token bucket holding up to one second of calls.
type limiter struct {
	rate float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newLimiter(rate float64) *limiter {
	return &limiter{rate: rate, tokens: max(rate, 1), last: time.Now()}
}

// take spends a token, or reports false when the bucket is empty.
func (l *limiter) take() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.tokens = min(l.tokens+now.Sub(l.last).Seconds()*l.rate, max(l.rate, 1))
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}
