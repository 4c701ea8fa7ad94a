package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/local/internal/localtest"
)

// newSecuredCoordinator applies a one-member coordinator of engine and
// checks the credentials it exports: the application user and a generated
// password.
func newSecuredCoordinator(t *testing.T, ctx context.Context, engine, address string) (*testCoordinator, cty.Value, localtest.Creds) {
	t.Helper()
	c := newTestCoordinator(t, "", address)
	v := c.mustApply(t, ctx, localtest.Coordinator(engine, 1, nil))
	creds := localtest.CredsOf(v)
	if creds.User != clusterAppUser || len(creds.Password) != clusterSecretDigits {
		t.Fatalf("username %q and a password of %d digits, want %q and %d", creds.User, len(creds.Password), clusterAppUser, clusterSecretDigits)
	}
	return c, v, creds
}

// TestEtcdRequiresCredentials runs a one-member etcd cluster: another
// local user's member list and put are refused, the application user the
// coordinator reports may write, the supervisor's own checks and member
// changes (as root) work, and the record that holds the passwords is the
// user's alone.
func TestEtcdRequiresCredentials(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	c, v, creds := newSecuredCoordinator(t, ctx, engineEtcd, "coordinator.locks")
	eps := localtest.Endpoints(v)

	got := localtest.EtcdAsOtherUser(t, eps[0])
	for _, op := range []string{"member list", "put"} {
		if !strings.Contains(got, op+" refused: etcdserver: user name is empty") {
			t.Errorf("another user's %s without credentials was not refused:\n%s", op, got)
		}
	}
	if err := localtest.EtcdPut(ctx, eps, creds, "k", "v"); err != nil {
		t.Fatalf("put as the application user: %v", err)
	}
	wrong := localtest.Creds{User: creds.User, Password: "not-" + creds.Password}
	if err := localtest.EtcdPut(ctx, eps, wrong, "k", "w"); err == nil || !strings.Contains(err.Error(), "authentication failed") {
		t.Errorf("put with a wrong password: %v, want authentication failed", err)
	}

	// Growing adds a member through the member API as root.
	v = c.mustApply(t, ctx, localtest.Coordinator(engineEtcd, 3, nil))
	if obs := c.Observe(ctx); !obs.Healthy || !strings.Contains(obs.Detail, "fully healthy") {
		t.Errorf("observe after growing to 3: %+v", obs)
	}
	if got, err := localtest.EtcdGet(ctx, localtest.Endpoints(v), creds, "k"); err != nil || got != "v" {
		t.Errorf("read after growing: %q, %v", got, err)
	}
	if again := localtest.CredsOf(v); again != creds {
		t.Error("the credentials changed when the cluster grew")
	}
	info, err := os.Stat(filepath.Join(c.data.dir, clusterRecordFile))
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("the cluster record has mode %o, want 600", mode)
	}
}
