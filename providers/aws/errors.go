package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/smithy-go"

	"github.com/stagecraft/stagecraft/providers"
)

// awsError wraps an AWS error in a providers.OperationError that says what
// was being done and to what, keeping AWS's own error code and message:
// "create load_balancer.edge (listener port): AWS ValidationError: ...".
func awsError(op, addr, attr string, err error) error {
	if err == nil {
		return nil
	}
	return &providers.OperationError{Op: op, Address: addr, Attr: attr, Err: awsCause(err)}
}

// listError is awsError for a call about several resources, described in
// words ("3 caches"): a plain error, since it concerns no one address.
func listError(op, what, attr string, err error) error {
	if err == nil {
		return nil
	}
	if attr != "" {
		what += " (" + attr + ")"
	}
	return fmt.Errorf("%s %s: %w", op, what, awsCause(err))
}

// awsCause says plainly what an AWS error means: AWS's own code and
// message, or what to do when no credentials could be found.
func awsCause(err error) error {
	var api smithy.APIError
	if errors.As(err, &api) {
		return fmt.Errorf("AWS %s: %s", api.ErrorCode(), api.ErrorMessage())
	}
	if _, why, ok := strings.Cut(err.Error(), "get credentials: "); ok {
		// The SDK's default chain found nothing usable; its own message
		// says what it tried last, not what to do.
		return fmt.Errorf("no AWS credentials could be loaded (%s); set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or profile or assume_role in the provider block", why)
	}
	return err
}

// errorsAbout names the subject of a call that serves one resource or
// several in its errors: awsError or listError, with the operation bound.
type errorsAbout func(attr string, err error) error

// aboutResource names the resource at addr in the errors of op.
func aboutResource(op, addr string) errorsAbout {
	return func(attr string, err error) error { return awsError(op, addr, attr, err) }
}

// aboutList names several resources, described in words, in the errors of
// op.
func aboutList(op, what string) errorsAbout {
	return func(attr string, err error) error { return listError(op, what, attr, err) }
}

// errorCode returns the AWS error code of err, or "".
func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// isNotFound reports whether err says the resource does not exist.
func isNotFound(err error) bool {
	code := errorCode(err)
	return strings.Contains(code, "NotFound") || strings.HasSuffix(code, ".NotFound") || code == "InvalidGroup.NotFound" ||
		code == "ValidationError" && strings.Contains(strings.ToLower(err.Error()), "not found")
}

// isNotImplemented reports whether the endpoint (an emulator) does not
// implement an operation.
func isNotImplemented(err error) bool {
	code := errorCode(err)
	if code == "NotImplemented" || code == "InternalFailure" || code == "InternalError" {
		return true
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) && (re.HTTPStatusCode() == 501 || re.HTTPStatusCode() == 500) {
		return true
	}
	return strings.Contains(err.Error(), "not yet implemented")
}

// waitFor polls check until it says done, the timeout passes or ctx ends.
// what describes the wait for the timeout error ("load_balancer.edge to
// become active").
func (p *provider) waitFor(ctx context.Context, what string, check func(ctx context.Context) (done bool, err error)) error {
	return p.waitWithin(ctx, p.settings.WaitTimeout, what, check)
}

// errWaitTimedOut is what waitWithin's error wraps when the time ran out.
var errWaitTimedOut = errors.New("timed out")

// waitWithin is waitFor with its own timeout. It reports what it waits
// for as the operation's status (providers.ReportStatus); a check that
// reads AWS's own status of the object reports that instead.
func (p *provider) waitWithin(ctx context.Context, timeout time.Duration, what string, check func(ctx context.Context) (done bool, err error)) error {
	deadline := time.Now().Add(timeout)
	interval := p.settings.PollInterval
	providers.ReportStatus(ctx, "waiting for "+what)
	for {
		done, err := check(ctx)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w after %s waiting for %s", errWaitTimedOut, timeout, what)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stopped waiting for %s: %w", what, ctx.Err())
		case <-time.After(interval):
		}
	}
}
