package aws

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
)

// The tests run against moto_server, an AWS emulator: one server per test
// binary, started on a free loopback port. Tests isolate themselves by
// region (moto keeps each region apart), so they can run in parallel;
// regions are handed out in turn.

var (
	motoOnce sync.Once
	motoURL  string
	motoErr  error
	motoCmd  *exec.Cmd
)

func TestMain(m *testing.M) {
	// moto accepts any credentials; these keep the SDK from looking
	// further (and never reach a real account).
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		os.Setenv(k, v)
	}
	code := m.Run()
	if motoCmd != nil && motoCmd.Process != nil {
		_ = syscall.Kill(motoCmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = motoCmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(motoCmd.Process.Pid, syscall.SIGKILL)
		}
	}
	os.Exit(code)
}

// moto returns the URL of the package's moto_server, starting it on first
// use. Without moto_server the test is skipped, except under CI=true.
func moto(t *testing.T) string {
	t.Helper()
	motoOnce.Do(func() {
		path, err := exec.LookPath("moto_server")
		if err != nil {
			motoErr = fmt.Errorf("moto_server is not installed (pip install 'moto[server]')")
			return
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			motoErr = err
			return
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		logf, err := os.Create(filepath.Join(os.TempDir(), "stagecraft-moto-"+strconv.Itoa(port)+".log"))
		if err != nil {
			motoErr = err
			return
		}
		cmd := exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			motoErr = err
			return
		}
		motoCmd = cmd
		url := "http://127.0.0.1:" + strconv.Itoa(port)
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			resp, err := http.Post(url+"/moto-api/reset", "application/json", bytes.NewReader(nil))
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					motoURL = url
					return
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		motoErr = fmt.Errorf("moto_server did not answer on %s within 30 s; see %s", url, logf.Name())
	})
	if motoErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v", motoErr)
		}
		t.Skipf("%v", motoErr)
	}
	return motoURL
}

// testRegions are handed out one per test so parallel tests do not see each
// other's resources.
var testRegions = []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ap-northeast-2", "ap-south-1", "sa-east-1", "ca-central-1"}

var nextRegion atomic.Int32

// newTestProvider configures an aws provider against moto in a region of
// its own. extra adds provider settings.
func newTestProvider(t *testing.T, extra map[string]cty.Value) (providers.Provider, string) {
	t.Helper()
	url := moto(t)
	region := testRegions[int(nextRegion.Add(1)-1)%len(testRegions)]
	cfg := motoConfig(url, region).AsValueMap()
	for k, v := range extra {
		cfg[k] = v
	}
	p := New()
	if d := p.Configure(context.Background(), cty.ObjectVal(cfg)); d.HasErrors() {
		t.Fatal(d.Error())
	}
	return p, region
}

// motoConfig is the provider block of a test against the moto_server at
// url, in region: short waits, and caches counted as gone while moto
// keeps them "deleting" forever.
func motoConfig(url, region string) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"region":               cty.StringVal(region),
		"endpoint_url":         cty.StringVal(url),
		"wait_timeout":         cty.StringVal("20s"),
		"poll_interval":        cty.StringVal("100ms"),
		"cache_delete_timeout": cty.StringVal("1s"),
	})
}
