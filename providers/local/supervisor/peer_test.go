//go:build linux

package supervisor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// asNobody prepares a run as the user nobody with setpriv: it skips the
// test when that cannot be done here (not root, no setpriv or python3),
// and returns nobody's uid and a directory nobody owns, inside one any
// user can enter.
func asNobody(t *testing.T) (uid int, dir string) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("running a peer as another user needs root (setpriv --reuid=nobody)")
	}
	for _, prog := range []string{"setpriv", "/usr/bin/python3"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skipf("%s is not installed: %v", prog, err)
		}
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody: %v", err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	top, err := os.MkdirTemp("", "stagecraft-peer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(top) })
	if err := os.Chmod(top, 0o755); err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(top, "nobody")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	return uid, dir
}

// startAsNobody runs a python3 program as nobody, killed (by its pid) at
// the end of the test.
func startAsNobody(t *testing.T, program string, args ...string) {
	t.Helper()
	cmd := exec.Command("setpriv", append([]string{"--reuid=nobody", "--regid=nogroup", "--clear-groups",
		"/usr/bin/python3", "-c", program}, args...)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
}

// countReceived is the python function the fakes share: it reads a
// connection to its end (or a 3 s silence) and returns how many bytes came.
const countReceived = `
import os, socket, sys
def count(c):
    c.settimeout(3)
    n = 0
    try:
        while True:
            b = c.recv(65536)
            if not b:
                break
            n += len(b)
    except Exception:
        pass
    return n
`

// fakeSupervisor listens on argv[1] and appends the number of bytes each
// connection sent to argv[2]; it creates argv[2]+".ready" once listening.
const fakeSupervisor = countReceived + `
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
s.listen(8)
open(sys.argv[2] + ".ready", "w").close()
while True:
    c, _ = s.accept()
    n = count(c)
    with open(sys.argv[2], "a") as f:
        f.write("%d\n" % n)
    c.close()
`

// waitFile waits up to 20 s for path to exist.
func waitFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s did not appear within 20s", path)
}

// TestClientRefusesSupervisorOfAnotherUser serves a fake supervisor
// socket from a process running as nobody: the CLI's dial refuses it,
// and the request with a secret in its body never reaches it (the fake
// records 0 bytes for the connection).
func TestClientRefusesSupervisorOfAnotherUser(t *testing.T) {
	t.Parallel()
	uid, dir := asNobody(t)
	sock, received := filepath.Join(dir, "supervisor.sock"), filepath.Join(dir, "received")
	startAsNobody(t, fakeSupervisor, sock, received)
	waitFile(t, received+".ready")

	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return DialSupervisor(ctx, sock) },
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://supervisor/v1/resources", strings.NewReader(`{"env":{"DB_PASSWORD":"canary-secret"}}`))
	resp, err := hc.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("the request to a supervisor of uid nobody succeeded")
	}
	var pe *PeerError
	if !errors.As(err, &pe) || pe.UID != uid {
		t.Fatalf("request to nobody's socket: %v, want a PeerError naming uid %d", err, uid)
	}
	if !strings.Contains(pe.Error(), "nothing was sent") {
		t.Errorf("the error does not say that nothing was sent: %v", pe)
	}
	// The fake writes down each connection once it is closed.
	waitFile(t, received)
	b, _ := os.ReadFile(received)
	for _, line := range strings.Fields(string(b)) {
		if line != "0" {
			t.Errorf("the fake supervisor received %s bytes, want 0 (its records: %q)", line, b)
		}
	}
}

// fakeClient connects to argv[1], sends a hello request and prints how
// many bytes came back.
const fakeClient = countReceived + `
c = socket.socket(socket.AF_UNIX)
c.settimeout(10)
c.connect(sys.argv[1])
n = 0
try:
    c.sendall(b"GET /v1/hello HTTP/1.0\r\nHost: supervisor\r\n\r\n")
    n = count(c)
except Exception:
    pass
open(sys.argv[2], "w").write("%d\n" % n)
`

// TestSupervisorRefusesOtherUser connects to a supervisor's listener from
// a process running as nobody (the socket is put where nobody can reach
// it, which the real one never is): the connection is closed without an
// answer, while this user's request is answered.
func TestSupervisorRefusesOtherUser(t *testing.T) {
	t.Parallel()
	_, dir := asNobody(t)
	open := filepath.Join(filepath.Dir(dir), "open")
	if err := os.Mkdir(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(open, "supervisor.sock")
	var refused []string
	logs := make(chan string, 8)
	ln, err := ListenSupervisor(sock, func(format string, args ...any) {
		logs <- fmt.Sprintf(format, args...)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sock, 0o777); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello\n") })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	out := filepath.Join(dir, "answer")
	startAsNobody(t, fakeClient, sock, out)
	waitFile(t, out)
	b, _ := os.ReadFile(out)
	if got := strings.TrimSpace(string(b)); got != "0" {
		t.Errorf("a client running as nobody got %s bytes back, want 0", got)
	}
	select {
	case l := <-logs:
		refused = append(refused, l)
	case <-time.After(10 * time.Second):
	}
	if len(refused) == 0 || !strings.Contains(refused[0], "refused a connection from uid") {
		t.Errorf("the refusal was not logged: %q", refused)
	}

	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return DialSupervisor(ctx, sock) },
	}}
	resp, err := hc.Get("http://supervisor/v1/hello")
	if err != nil {
		t.Fatalf("this user's request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("this user's request: %s", resp.Status)
	}
}
