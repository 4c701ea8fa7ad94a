package state

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// The s3 backend tests run against one moto_server per test binary, on a
// free loopback port; each test makes buckets of its own.

var motoServer struct {
	once sync.Once
	url  string
	err  error
	cmd  *exec.Cmd
}

func TestMain(m *testing.M) {
	// moto takes any credentials; these keep the SDK from looking for real
	// ones.
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		os.Setenv(k, v)
	}
	code := m.Run()
	if c := motoServer.cmd; c != nil {
		_ = syscall.Kill(c.Process.Pid, syscall.SIGTERM)
		exited := make(chan struct{})
		go func() { _ = c.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(c.Process.Pid, syscall.SIGKILL)
		}
	}
	os.Exit(code)
}

// startMoto starts moto_server on a free 127.0.0.1 port and waits until it
// answers.
func startMoto() (string, *exec.Cmd, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return "", nil, fmt.Errorf("moto_server is not on PATH (pip install 'moto[server]')")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	log, err := os.CreateTemp("", "state-moto-*.log")
	if err != nil {
		return "", nil, err
	}
	c := exec.Command(bin, "-H", "127.0.0.1", "-p", port)
	c.Stdout, c.Stderr = log, log
	c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.Start(); err != nil {
		return "", nil, err
	}
	url := "http://127.0.0.1:" + port
	client := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if resp, err := client.Get(url + "/moto-api/"); err == nil {
			resp.Body.Close()
			return url, c, nil
		}
	}
	_ = c.Process.Kill()
	_ = c.Wait()
	return "", nil, fmt.Errorf("moto_server did not answer on %s within 30s; see %s", url, log.Name())
}

// motoURL returns the package's moto_server, starting it on first use. A
// missing moto_server skips the test, and fails it under CI=true.
func motoURL(t *testing.T) string {
	t.Helper()
	motoServer.once.Do(func() {
		motoServer.url, motoServer.cmd, motoServer.err = startMoto()
	})
	if motoServer.err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(motoServer.err)
		}
		t.Skip(motoServer.err)
	}
	return motoServer.url
}

var bucketSeq atomic.Int32

// newBucket makes a bucket of the test's own, with versioning unless
// unversioned, and returns the backend settings for key in it.
func newBucket(t *testing.T, versioned bool) S3Config {
	t.Helper()
	url := motoURL(t)
	cfg := S3Config{Bucket: fmt.Sprintf("state-test-%d-%d", os.Getpid(), bucketSeq.Add(1)), Key: "shop/dev.json", Region: "us-east-1", EndpointURL: url}
	store, err := newS3Store(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := store.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(cfg.Bucket)}); err != nil {
		t.Fatal(err)
	}
	if versioned {
		if _, err := store.client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(cfg.Bucket),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
	}
	return cfg
}

// newS3 opens the s3 backend for environment dev.
func newS3(t *testing.T, cfg S3Config, enc *Encryption) *ObjectBackend {
	t.Helper()
	b, err := NewS3(context.Background(), cfg, "dev", enc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawObject reads an object as stored, bypassing the backend.
func rawObject(t *testing.T, cfg S3Config, key string) []byte {
	t.Helper()
	store, err := newS3Store(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	data, _, err := store.get(context.Background(), key)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return data
}
