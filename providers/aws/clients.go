package aws

import (
	"context"
	"errors"
	"fmt"
	"os"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// clients are the service clients, all sharing one configuration:
// region, credentials (the SDK's default chain, optionally assuming a
// role), the adaptive retryer for throttling and 5xx, and endpoint_url.
type clients struct {
	ec2         *ec2.Client
	elbv2       *elbv2.Client
	autoscaling *autoscaling.Client
	elasticache *elasticache.Client
	cloudwatch  *cloudwatch.Client
	ssm         *ssm.Client
	tagging     *resourcegroupstaggingapi.Client
	region      string
}

func newClients(ctx context.Context, s settings) (*clients, error) {
	opts := []func(*config.LoadOptions) error{
		// The SDK's own warnings would land in the middle of the
		// command's output; errors come back anyway.
		config.WithLogger(logging.Nop{}),
		// A change already sent runs to AWS's answer after Ctrl-C.
		config.WithAPIOptions([]func(*middleware.Stack) error{finishSentChanges}),
		config.WithRetryer(func() sdk.Retryer {
			return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
				o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
					so.MaxAttempts = 10
					if s.RetryMaxBackoff > 0 {
						so.MaxBackoff = s.RetryMaxBackoff
					}
				})
			})
		}),
	}
	if s.Region != "" {
		opts = append(opts, config.WithRegion(s.Region))
	}
	if s.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		return nil, errors.New("no region: set region in the provider block or AWS_REGION")
	}
	if s.AssumeRole != nil {
		stsClient := sts.NewFromConfig(cfg, endpoint[sts.Options](s.EndpointURL))
		cfg.Credentials = sdk.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, s.AssumeRole.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			if s.AssumeRole.SessionName != "" {
				o.RoleSessionName = s.AssumeRole.SessionName
			} else {
				o.RoleSessionName = fmt.Sprintf("stagecraft-%d", os.Getpid())
			}
			if s.AssumeRole.ExternalID != "" {
				o.ExternalID = sdk.String(s.AssumeRole.ExternalID)
			}
		}))
	}
	return &clients{
		ec2:         ec2.NewFromConfig(cfg, endpoint[ec2.Options](s.EndpointURL)),
		elbv2:       elbv2.NewFromConfig(cfg, endpoint[elbv2.Options](s.EndpointURL)),
		autoscaling: autoscaling.NewFromConfig(cfg, endpoint[autoscaling.Options](s.EndpointURL)),
		elasticache: elasticache.NewFromConfig(cfg, endpoint[elasticache.Options](s.EndpointURL)),
		ssm:         ssm.NewFromConfig(cfg, endpoint[ssm.Options](s.EndpointURL)),
		// CloudWatch's query protocol, which AWS and emulators such as
		// moto both speak (the client's default, CBOR, moto does not).
		cloudwatch: cloudwatch.NewFromConfig(cfg, endpoint[cloudwatch.Options](s.EndpointURL), func(o *cloudwatch.Options) {
			o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
		}),
		tagging: resourcegroupstaggingapi.NewFromConfig(cfg, endpoint[resourcegroupstaggingapi.Options](s.EndpointURL)),
		region:  cfg.Region,
	}, nil
}

// baseEndpointer is every service's Options type: they all have
// BaseEndpoint.
type baseEndpointer interface {
	ec2.Options | elbv2.Options | autoscaling.Options | elasticache.Options | cloudwatch.Options | ssm.Options | resourcegroupstaggingapi.Options | sts.Options
}

// endpoint points a client at endpoint_url when one is set.
func endpoint[O baseEndpointer](url string) func(*O) {
	return func(o *O) {
		if url == "" {
			return
		}
		switch v := any(o).(type) {
		case *ec2.Options:
			v.BaseEndpoint = sdk.String(url)
		case *elbv2.Options:
			v.BaseEndpoint = sdk.String(url)
		case *autoscaling.Options:
			v.BaseEndpoint = sdk.String(url)
		case *elasticache.Options:
			v.BaseEndpoint = sdk.String(url)
		case *ssm.Options:
			v.BaseEndpoint = sdk.String(url)
		case *cloudwatch.Options:
			v.BaseEndpoint = sdk.String(url)
		case *resourcegroupstaggingapi.Options:
			v.BaseEndpoint = sdk.String(url)
		case *sts.Options:
			v.BaseEndpoint = sdk.String(url)
		}
	}
}
