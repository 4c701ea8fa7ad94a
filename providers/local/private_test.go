package local

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/cluster"
	"github.com/stagecraft/stagecraft/providers/local/internal/localtest"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// canaries are secret values in the CLI's environment that no process of
// the local provider may receive.
var canaries = map[string]string{
	"AWS_SECRET_ACCESS_KEY":   "canary-aws-7f3a",
	"GITHUB_TOKEN":            "canary-github-91c2",
	"STAGECRAFT_VAR_x":        "canary-var-5d0e",
	"STAGECRAFT_TEST_CANARY":  "canary-other-c4b8",
	"SOME_UNDECLARED_SETTING": "canary-setting-2e61",
}

// TestSecretsStayWithTheCLI sets canary values in the CLI's environment,
// runs a group, a redis and a memcached cache and a coordinator (etcd, and
// ZooKeeper where installed), and reads /proc/PID/environ of the
// supervisor and of every process under it: no canary anywhere, and each
// instance has exactly the base, what its block declares, PORT and
// INSTANCE_ID. Then it walks .stagecraft/local (left open to others by an
// older version before the first create): every directory is 0700, every
// file 0600. It sets the environment the supervisor would inherit,
// so it cannot run in parallel.
func TestSecretsStayWithTheCLI(t *testing.T) {
	localtest.RequireProgram(t, "redis-server", "redis-server")
	localtest.RequireProgram(t, "memcached", "memcached")
	for k, v := range canaries {
		t.Setenv(k, v)
	}
	e := newGroupTestEnv(t, 3*time.Minute)
	// An older version left the private directory open to others.
	for _, dir := range []string{filepath.Join(e.dataDir, "local"), filepath.Join(e.dataDir, "local", "dev")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	group := e.groupConfig(t, cfgAttrs{"env": e.env(map[string]string{"GREETING": "declared"})})
	e.create(t, kinds.AutoscalingGroup, "app", group)
	e.create(t, kinds.Cache, "pages", localtest.Value(kinds.Cache, map[string]cty.Value{"engine": cty.StringVal("redis"), "memory_mb": cty.NumberIntVal(16)}))
	e.create(t, kinds.Cache, "sessions", localtest.Value(kinds.Cache, map[string]cty.Value{"engine": cty.StringVal("memcached"), "memory_mb": cty.NumberIntVal(16)}))
	e.create(t, kinds.Coordinator, "locks", localtest.Coordinator("etcd", 1, nil))
	if cluster.CheckZooKeeper() == nil {
		e.create(t, kinds.Coordinator, "zk", localtest.Coordinator("zookeeper", 1, nil))
	} else {
		t.Log("ZooKeeper is not installed (apt-get install zookeeper): its servers are not checked")
	}

	sup := e.supervisorPID()
	pids := append([]int{sup}, descendants(t, sup)...)
	instances := 0
	for _, pid := range pids {
		env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if err != nil {
			continue // ended meanwhile
		}
		for name, v := range canaries {
			if bytes.Contains(env, []byte(v)) {
				t.Errorf("process %d (%s) has %s's value in its environment", pid, comm(pid), name)
			}
		}
		if !bytes.Contains(env, []byte("STAGECRAFT_TEST_TAG="+e.tag)) {
			continue
		}
		instances++
		want := []string{"GREETING", "INSTANCE_ID", "PORT", "STAGECRAFT_TEST_TAG"}
		for _, kv := range supervisor.BaseEnv(os.Environ()) {
			name, _, _ := strings.Cut(kv, "=")
			want = append(want, name)
		}
		sort.Strings(want)
		if got := envNames(env); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("instance %d has the variables %v, want exactly %v", pid, got, want)
		}
	}
	t.Logf("checked the environment of %d processes, %d of them instances", len(pids), instances)
	if len(pids) < 6 || instances < 2 {
		t.Fatalf("found %d processes under the supervisor and %d instances; want the supervisor, 2 instances and the servers", len(pids), instances)
	}

	checked := 0
	root := filepath.Join(e.dataDir, "local")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // removed while walking
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		checked++
		perm := info.Mode().Perm()
		switch {
		case info.IsDir() && perm != 0o700:
			t.Errorf("directory %s has mode %04o, want 0700", path, perm)
		case info.Mode().IsRegular() && perm != 0o600:
			t.Errorf("file %s has mode %04o, want 0600", path, perm)
		case !info.IsDir() && !info.Mode().IsRegular() && perm&0o077 != 0:
			t.Errorf("%s (%s) is open to others", path, info.Mode().Type())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("checked the modes of %d files and directories under %s", checked, root)
}

// descendants lists the processes under pid, children first.
func descendants(t *testing.T, pid int) []int {
	var out []int
	for _, c := range localtest.ChildPIDs(t, pid) {
		out = append(out, c)
		out = append(out, descendants(t, c)...)
	}
	return out
}

// envNames lists the sorted names of a /proc/PID/environ.
func envNames(environ []byte) []string {
	var out []string
	for _, kv := range strings.Split(strings.TrimRight(string(environ), "\x00"), "\x00") {
		name, _, _ := strings.Cut(kv, "=")
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// comm is a process's command name, for messages.
func comm(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	return strings.TrimSpace(string(b))
}
