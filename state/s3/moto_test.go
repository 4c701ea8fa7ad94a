package s3

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/stagecraft/stagecraft/providers/aws/mototest"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// The s3 backend tests run against one moto_server per test binary, on a
// free loopback port; each test makes buckets of its own.

var moto struct {
	once   sync.Once
	logs   string // the directory moto writes its log to
	server *mototest.Server
	err    error
}

func TestMain(m *testing.M) {
	// moto takes any credentials; these keep the SDK from looking for real
	// ones.
	for _, kv := range mototest.Env() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	logs, err := os.MkdirTemp("", "state-s3-moto-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	moto.logs = logs
	code := m.Run()
	if moto.server != nil {
		moto.server.Stop()
	}
	os.RemoveAll(logs)
	os.Exit(code)
}

// motoURL returns the package's moto_server, starting it on first use. A
// missing moto_server skips the test, and fails it under CI=true.
func motoURL(t *testing.T) string {
	t.Helper()
	moto.once.Do(func() {
		moto.server, moto.err = mototest.Start(moto.logs)
	})
	if moto.err != nil {
		mototest.Skip(t, moto.err)
	}
	return moto.server.URL
}

var bucketSeq atomic.Int32

// newBucket makes a bucket of the test's own, with versioning unless
// unversioned, and returns the backend settings for key in it.
func newBucket(t *testing.T, versioned bool) Config {
	t.Helper()
	url := motoURL(t)
	cfg := Config{Bucket: fmt.Sprintf("state-test-%d-%d", os.Getpid(), bucketSeq.Add(1)), Key: "shop/dev.json", Region: "us-east-1", EndpointURL: url}
	store, err := openBucket(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := store.client.CreateBucket(ctx, &s3sdk.CreateBucketInput{Bucket: aws.String(cfg.Bucket)}); err != nil {
		t.Fatal(err)
	}
	if versioned {
		if _, err := store.client.PutBucketVersioning(ctx, &s3sdk.PutBucketVersioningInput{Bucket: aws.String(cfg.Bucket),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

// newS3 opens the s3 backend for environment dev.
func newS3(t *testing.T, cfg Config, enc *state.Encryption) *state.ObjectBackend {
	t.Helper()
	b, err := New(context.Background(), cfg, "dev", enc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawBucket is the bucket as stored, bypassing the backend.
func rawBucket(t *testing.T, cfg Config) *bucketStore {
	t.Helper()
	store, err := openBucket(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return store
}

// rawObject reads an object as stored, bypassing the backend.
func rawObject(t *testing.T, cfg Config, key string) []byte {
	t.Helper()
	data, _, err := rawBucket(t, cfg).Get(context.Background(), key)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return data
}

// journalKeys lists the journal objects beside the state.
func journalKeys(t *testing.T, cfg Config) []string {
	t.Helper()
	keys, err := rawBucket(t, cfg).List(context.Background(), cfg.Key+".journal/")
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// testResource returns a resource whose attributes hold a secret
// ("hunter2") that must never reach the bucket in the clear when the
// state is encrypted.
func testResource(t testing.TB, addr string) *state.Resource {
	t.Helper()
	return &state.Resource{
		Address: addrs.MustParse(addr), Kind: "cache", Provider: "aws", ID: "i-" + addr,
		Attributes:     json.RawMessage(`{"env":{"DB_PASSWORD":"hunter2"}}`),
		SensitivePaths: []string{"env.DB_PASSWORD"},
	}
}
