package aws

import (
	"context"
	"errors"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/smithy-go"
)

// Some operations have a fallback when the endpoint does not implement
// them (moto_server answers an operation it lacks with an HTML "500
// Internal Server Error" page). The shared adaptive retryer retries every
// 500, ten times with backoff: almost two minutes before the fallback
// runs (measured here). Calls that have a fallback therefore pass
// mayBeUnimplemented, which keeps the retryer but does not retry an answer
// that is not an AWS API response at all. AWS's own 5xx answers carry an
// error code and are still retried.
//
// This belongs with the retryer in clients.go; it lives here until the
// skeleton takes it. (The coordinator kind uses it too.)

// mayBeUnimplemented is a per-call option for calls whose failure on an
// emulator is handled by a fallback.
func mayBeUnimplemented[O elasticache.Options | ec2.Options | autoscaling.Options](o *O) {
	switch v := any(o).(type) {
	case *elasticache.Options:
		v.Retryer = gapRetryer{v.Retryer}
	case *ec2.Options:
		v.Retryer = gapRetryer{v.Retryer}
	case *autoscaling.Options:
		v.Retryer = gapRetryer{v.Retryer}
	}
}

// gapRetryer is a retryer that gives up at once on an emulator's answer
// for an operation it does not implement.
type gapRetryer struct{ sdk.Retryer }

func (g gapRetryer) IsErrorRetryable(err error) bool {
	if isEmulatorGap(err) {
		return false
	}
	return g.Retryer.IsErrorRetryable(err)
}

func (g gapRetryer) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	if v2, ok := g.Retryer.(sdk.RetryerV2); ok {
		return v2.GetAttemptToken(ctx)
	}
	return g.Retryer.GetInitialToken(), nil
}

// isEmulatorGap reports whether err is a 500 or 501 answer that is not an
// AWS API error: no error code could be read from it.
func isEmulatorGap(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode() == "NotImplemented"
	}
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) {
		return false
	}
	return re.HTTPStatusCode() == 500 || re.HTTPStatusCode() == 501
}
