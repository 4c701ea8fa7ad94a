// Package mototest runs moto_server, an AWS emulator, for the tests of the
// aws provider and of the command line on it: one server on a free
// loopback port, stopped by its process id, and a throttling proxy that
// puts AWS's own throttling errors between a client and the server.
package mototest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Server is a running moto_server.
type Server struct {
	// URL is the endpoint, such as "http://127.0.0.1:40123".
	URL string
	// Log is the file the server writes its requests and errors to.
	Log    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// ErrNotInstalled says that moto_server is not on PATH.
var ErrNotInstalled = errors.New("moto_server is not installed (pip install 'moto[server]')")

// Env is the environment the SDK needs to talk to moto and nothing else:
// credentials moto accepts (they never reach a real account) and no
// shared configuration or instance metadata to look further in.
func Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_SESSION_TOKEN=testing",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
	}
}

// Start starts moto_server on a free port of 127.0.0.1, writing its log
// to a file in logDir, and waits until it answers (at most 30 s).
func Start(logDir string) (*Server, error) {
	path, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, ErrNotInstalled
	}
	var last error
	// The port is free when picked but may be taken before moto binds
	// it; a second port then does.
	for attempt := 0; attempt < 3; attempt++ {
		s, err := start(path, logDir)
		if err == nil {
			return s, nil
		}
		last = err
	}
	return nil, last
}

func start(path, logDir string) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	logf, err := os.Create(filepath.Join(logDir, "moto-"+strconv.Itoa(port)+".log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = logf, logf
	isolate(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &Server{URL: "http://127.0.0.1:" + strconv.Itoa(port), Log: logf.Name(), cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("moto_server exited before answering on %s; see %s", s.URL, s.Log)
		default:
		}
		if s.Reset(context.Background()) == nil {
			return s, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.Stop()
	return nil, fmt.Errorf("moto_server did not answer on %s within 30 s; see %s", s.URL, s.Log)
}

// Reset drops everything the server holds.
func (s *Server) Reset(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/moto-api/reset", bytes.NewReader(nil))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("moto reset: %s", resp.Status)
	}
	return nil
}

// Stop ends the server (on Unix its whole process group): SIGTERM, then
// SIGKILL after 5 s.
func (s *Server) Stop() {
	pid := s.cmd.Process.Pid
	terminate(pid, false)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		terminate(pid, true)
		<-s.exited
	}
}

// Skip ends a test that cannot start moto: skipped with the reason, or
// failed under CI=true, where the emulator must be there.
func Skip(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%v", err)
	}
	t.Skipf("%v", err)
}

// ForTest starts a server for one test and stops it when the test ends;
// it skips the test (fails it under CI=true) when moto cannot start.
func ForTest(t testing.TB) *Server {
	t.Helper()
	s, err := Start(t.TempDir())
	if err != nil {
		Skip(t, err)
	}
	t.Cleanup(s.Stop)
	return s
}
