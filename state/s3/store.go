package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithy "github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/stagecraft/stagecraft/state"
)

// bucketStore is a state.VersionedStore on one S3 bucket (or an
// S3-compatible service at endpoint_url). Conditional puts are S3's own
// If-Match and If-None-Match headers, so the compare-and-swap happens at
// the server and two writers can never both win.
type bucketStore struct {
	client *s3sdk.Client
	cfg    Config
}

// openBucket builds the S3 client from the default AWS configuration
// (environment variables, shared files, instance roles) and cfg.
func openBucket(ctx context.Context, cfg Config) (*bucketStore, error) {
	// The SDK's own warnings (an instance metadata fallback, say) would
	// land in the middle of the command's output; errors come back anyway.
	opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(cfg.Credentials))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3 backend: load AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, errors.New("s3 backend: no region; set region in the backend block or AWS_REGION")
	}
	if _, err := awsCfg.Credentials.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("s3 backend: no AWS credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile with AWS_PROFILE, or run where an instance role is available (%v)", err)
	}
	client := s3sdk.NewFromConfig(awsCfg, func(o *s3sdk.Options) {
		// Only send and check checksums where S3 requires them, which
		// every S3-compatible service understands.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		if cfg.EndpointURL != "" {
			o.BaseEndpoint = aws.String(cfg.EndpointURL)
			o.UsePathStyle = true
		}
	})
	return &bucketStore{client: client, cfg: cfg}, nil
}

func (s *bucketStore) Where(key string) string { return "s3://" + s.cfg.Bucket + "/" + key }

// wrap adds the object's address to an S3 error and turns the errors the
// backend acts on into state.ErrNoObject and state.ErrPrecondition.
func (s *bucketStore) wrap(op, key string, err error) error {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	var re *smithyhttp.ResponseError
	switch {
	case apiCode(err) == "NoSuchBucket":
		return fmt.Errorf("%s %s: the bucket %s does not exist; create it (with versioning enabled, so that state history works) or fix bucket in the backend block", op, s.Where(key), s.cfg.Bucket)
	case errors.As(err, &nsk), errors.As(err, &nf):
		return state.ErrNoObject
	case errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound && apiCode(err) != "NoSuchBucket":
		return state.ErrNoObject
	case errors.As(err, &re) && (re.HTTPStatusCode() == http.StatusPreconditionFailed || re.HTTPStatusCode() == http.StatusConflict):
		// 409 ConditionalRequestConflict: a concurrent conditional write
		// to the same key won.
		return state.ErrPrecondition
	}
	return fmt.Errorf("%s %s: %w", op, s.Where(key), err)
}

// apiCode is the S3 error code ("NoSuchBucket"), or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func (s *bucketStore) Get(ctx context.Context, key string) ([]byte, string, error) {
	out, err := s.client.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)})
	if err != nil {
		return nil, "", s.wrap("read", key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, "", fmt.Errorf("read %s: %w", s.Where(key), err)
	}
	return data, aws.ToString(out.ETag), nil
}

func (s *bucketStore) Put(ctx context.Context, key string, data []byte, cond state.PutCondition) (string, error) {
	in := &s3sdk.PutObjectInput{
		Bucket:        aws.String(s.cfg.Bucket),
		Key:           aws.String(key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		ContentType:   aws.String("application/json"),
	}
	if cond.IfMatch != "" {
		in.IfMatch = aws.String(cond.IfMatch)
	}
	if cond.IfNoneMatch {
		in.IfNoneMatch = aws.String("*")
	}
	if s.cfg.Encrypt {
		in.ServerSideEncryption = types.ServerSideEncryptionAes256
		if s.cfg.KMSKeyID != "" {
			in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
			in.SSEKMSKeyId = aws.String(s.cfg.KMSKeyID)
		}
	}
	out, err := s.client.PutObject(ctx, in)
	if err != nil {
		err = s.wrap("write", key, err)
		if errors.Is(err, state.ErrNoObject) {
			// If-Match on an object that is gone.
			return "", state.ErrPrecondition
		}
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

func (s *bucketStore) Remove(ctx context.Context, key string) error {
	_, err := s.client.DeleteObject(ctx, &s3sdk.DeleteObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)})
	if err != nil {
		if err = s.wrap("delete", key, err); errors.Is(err, state.ErrNoObject) {
			return nil
		}
		return err
	}
	return nil
}

func (s *bucketStore) List(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	p := s3sdk.NewListObjectsV2Paginator(s.client, &s3sdk.ListObjectsV2Input{Bucket: aws.String(s.cfg.Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.wrap("list", prefix, err)
		}
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	slices.Sort(keys)
	return keys, nil
}

func (s *bucketStore) Versions(ctx context.Context, key string) ([]state.ObjectVersion, error) {
	var vs []state.ObjectVersion
	p := s3sdk.NewListObjectVersionsPaginator(s.client, &s3sdk.ListObjectVersionsInput{Bucket: aws.String(s.cfg.Bucket), Prefix: aws.String(key)})
	// Keys are listed in order and key sorts before the lock and journal
	// keys it prefixes, so the listing can stop once it is past key.
	for past := false; p.HasMorePages() && !past; {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.wrap("list versions of", key, err)
		}
		for _, v := range page.Versions {
			past = past || aws.ToString(v.Key) > key
			if aws.ToString(v.Key) != key {
				continue
			}
			vs = append(vs, state.ObjectVersion{ID: aws.ToString(v.VersionId), Modified: aws.ToTime(v.LastModified), Size: aws.ToInt64(v.Size), Latest: aws.ToBool(v.IsLatest)})
		}
		for _, m := range page.DeleteMarkers {
			if aws.ToString(m.Key) != key {
				continue
			}
			vs = append(vs, state.ObjectVersion{ID: aws.ToString(m.VersionId), Modified: aws.ToTime(m.LastModified), Latest: aws.ToBool(m.IsLatest), Deleted: true})
		}
	}
	// S3 lists a key's versions newest first; a stable sort by time keeps
	// that order within one timestamp and puts delete markers in place.
	slices.SortStableFunc(vs, func(a, b state.ObjectVersion) int { return b.Modified.Compare(a.Modified) })
	return vs, nil
}

func (s *bucketStore) GetVersion(ctx context.Context, key, version string) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3sdk.GetObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key), VersionId: aws.String(version)})
	if err != nil {
		if apiCode(err) == "NoSuchVersion" || errors.Is(s.wrap("read", key, err), state.ErrNoObject) {
			return nil, fmt.Errorf("%s has no version %q; stagecraft state history lists the versions", s.Where(key), version)
		}
		return nil, fmt.Errorf("read %s version %s: %w", s.Where(key), version, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("read %s version %s: %w", s.Where(key), version, err)
	}
	return data, nil
}
