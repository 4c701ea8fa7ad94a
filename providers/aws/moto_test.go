package aws

import (
	"context"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/aws/mototest"
)

// The tests run against moto_server, an AWS emulator: one server per test
// binary, started on a free loopback port. Tests isolate themselves by
// region (moto keeps each region apart), so they can run in parallel;
// regions are handed out in turn.

var (
	motoOnce   sync.Once
	motoURL    string
	motoErr    error
	motoServer *mototest.Server
)

func TestMain(m *testing.M) {
	for _, kv := range mototest.Env() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	code := m.Run()
	if motoServer != nil {
		motoServer.Stop()
		if code == 0 {
			os.Remove(motoServer.Log) // kept only to explain a failure
		}
	}
	os.Exit(code)
}

// moto returns the URL of the package's moto_server, starting it on first
// use. Without moto_server the test is skipped, except under CI=true.
func moto(t *testing.T) string {
	t.Helper()
	motoOnce.Do(func() {
		motoServer, motoErr = mototest.Start(os.TempDir())
		if motoErr == nil {
			motoURL = motoServer.URL
		}
	})
	if motoErr != nil {
		mototest.Skip(t, motoErr)
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
