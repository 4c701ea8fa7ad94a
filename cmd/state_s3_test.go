package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/stagecraft/stagecraft/providers/aws/mototest"
	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/state"
)

// motoEnv is the environment that points the AWS SDK at moto with
// throw-away credentials.
var motoEnv = map[string]string{
	"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
	"AWS_EC2_METADATA_DISABLED": "true", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
}

// s3Client talks to moto as the tests' own view of the bucket.
func s3Client(url string) *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing", ""),
	})
}

// makeBucket creates a versioned bucket.
func makeBucket(t *testing.T, url, name string) {
	t.Helper()
	c := s3Client(url)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(name),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
}

// getObject reads an object as stored; nil when it does not exist.
func getObject(t *testing.T, url, bucket, key string) []byte {
	t.Helper()
	out, err := s3Client(url).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		var nsk *types.NoSuchKey
		if errors.As(err, &nsk) {
			return nil
		}
		t.Fatal(err)
	}
	defer out.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(out.Body); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// simIDs matches the sim provider's ids, which a parallel apply hands out
// in no fixed order.
var simIDs = regexp.MustCompile(`\b(asg|cache|lb|net|coord)-\d+\b`)

// teamStack is a stack whose dev environment keeps its state in bucket on
// moto and its simulated cloud in cloud (shared by every runner).
func teamStack(url, bucket, cloud, latency string, backend bool) string {
	block := ""
	if backend {
		block = fmt.Sprintf(`
  backend "s3" {
    bucket       = %q
    key          = "shop/dev.json"
    region       = "us-east-1"
    endpoint_url = %q
  }`, bucket, url)
	}
	return fmt.Sprintf(`
stack "shop" {}

variable "size" {
  type    = number
  default = 1
}

provider "sim" {
  path    = %q
  latency = %q
}

environment "dev" {
  provider = "sim"
  stage    = "s"%s
}

stage "s" {
  autoscaling_group "app" {
    min = var.size
    max = 10
  }
  autoscaling_group "g" {
    count = 6
  }
}

output "app" {
  value = autoscaling_group.app.id
}
`, cloud, latency, block)
}

// teamSession is a session on a team stack, with moto's credentials.
func teamSession(t *testing.T, url, bucket string, backend bool) *session {
	t.Helper()
	cloud := filepath.Join(t.TempDir(), "cloud.jsonl")
	s := newSession(t, map[string]string{"main.stack.hcl": teamStack(url, bucket, cloud, "0s", backend)})
	for k, v := range motoEnv {
		s.env[k] = v
	}
	return s
}

func TestS3BackendCommands(t *testing.T) {
	url := mototest.ForTest(t).URL

	t.Run("recover after the state is lost", func(t *testing.T) {
		makeBucket(t, url, "recover")
		s := teamSession(t, url, "recover", true)
		s.mustRun("apply", "--auto-approve")
		before := s.mustRun("state", "pull").out
		if _, err := s3Client(url).DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("recover"), Key: aws.String("shop/dev.json")}); err != nil {
			t.Fatal(err)
		}
		if r := s.run("plan", "--detailed-exitcode"); r.code != 1 || !strings.Contains(r.err, "7 resources of this environment already exist; run `stagecraft state recover --write`") {
			t.Fatalf("plan with the state deleted: exit %d, want 1 and the refusal to create a second copy\n%s%s", r.code, r.out, r.err)
		}
		dry := s.mustRun("state", "recover")
		golden(t, "state_recover_dry_run", simIDs.ReplaceAllString(dry.out, "ID"))
		for _, want := range []string{"has no stored state", "Found 7 resources", "autoscaling_group.g[5]", "This was a dry run"} {
			if !strings.Contains(dry.out, want) {
				t.Errorf("recover dry run lacks %q:\n%s", want, dry.out)
			}
		}
		if getObject(t, url, "recover", "shop/dev.json") != nil {
			t.Fatal("the dry run wrote the state")
		}
		s.mustRun("state", "recover", "--write")
		if r := s.run("plan", "--detailed-exitcode"); r.code != 0 || !strings.Contains(r.out, "No changes") {
			t.Fatalf("plan after recover: exit %d, want 0 (no changes)\n%s%s", r.code, r.out, r.err)
		}
		after, err := state.Decode([]byte(s.mustRun("state", "pull").out))
		if err != nil {
			t.Fatal(err)
		}
		orig, err := state.Decode([]byte(before))
		if err != nil {
			t.Fatal(err)
		}
		if len(after.Resources) != len(orig.Resources) || after.Stage != orig.Stage || len(after.Outputs) != len(orig.Outputs) {
			t.Errorf("recovered state: %d resources, stage %q, %d outputs; the lost one had %d, %q, %d", len(after.Resources), after.Stage, len(after.Outputs), len(orig.Resources), orig.Stage, len(orig.Outputs))
		}
		for _, r := range orig.Resources {
			got, ok := after.Resource(r.Address)
			if !ok || got.ID != r.ID || !bytes.Equal(got.Attributes, r.Attributes) {
				t.Errorf("recovered %s = %+v, want %+v", r.Address, got, r)
			}
		}

		// A damaged state is replaced, with a new lineage.
		if _, err := s3Client(url).PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("recover"), Key: aws.String("shop/dev.json"), Body: strings.NewReader("{not json")}); err != nil {
			t.Fatal(err)
		}
		if r := s.run("plan"); r.code != 1 || !strings.Contains(r.err, "cannot read the state") {
			t.Errorf("plan on a damaged state: exit %d\n%s", r.code, r.err)
		}
		w := s.mustRun("state", "recover", "--write")
		if !strings.Contains(w.out, "The stored state cannot be read") || !strings.Contains(w.out, "Wrote the rebuilt state") {
			t.Errorf("recover of a damaged state:\n%s", w.out)
		}
		again, err := state.Decode([]byte(s.mustRun("state", "pull").out))
		if err != nil || again.Lineage == after.Lineage || len(again.Resources) != 7 {
			t.Errorf("state after recovering a damaged one: %v (lineage %s, was %s)", err, again.Lineage, after.Lineage)
		}
		if r := s.run("plan", "--detailed-exitcode"); r.code != 0 {
			t.Errorf("plan after recovering a damaged state: exit %d\n%s%s", r.code, r.out, r.err)
		}
	})

	t.Run("wrong key", func(t *testing.T) {
		makeBucket(t, url, "keys")
		s := teamSession(t, url, "keys", true)
		s.env[state.EnvStateKey] = strings.Repeat("11", 32)
		s.mustRun("apply", "--auto-approve")
		stored := getObject(t, url, "keys", "shop/dev.json")
		if !state.IsEncrypted(stored) {
			t.Fatalf("state stored in the clear:\n%s", stored)
		}
		s.env[state.EnvStateKey] = strings.Repeat("22", 32)
		golden(t, "state_wrong_key", s.run("plan").err)
		for _, args := range [][]string{{"plan"}, {"apply", "--auto-approve", "-var", "size=2"}, {"state", "list"}} {
			r := s.run(args...)
			if r.code != 1 || !strings.Contains(r.err, "with the key from STAGECRAFT_STATE_KEY: it was encrypted with another key") || strings.Contains(r.err, "goroutine") {
				t.Errorf("%s with the wrong key: exit %d\n%s", strings.Join(args, " "), r.code, r.err)
			}
		}
		delete(s.env, state.EnvStateKey)
		if r := s.run("plan"); r.code != 1 || !strings.Contains(r.err, "is encrypted; set STAGECRAFT_STATE_KEY") {
			t.Errorf("plan without a key: exit %d\n%s", r.code, r.err)
		}
		if got := getObject(t, url, "keys", "shop/dev.json"); !bytes.Equal(got, stored) {
			t.Error("a run with the wrong key changed the stored state")
		}
		s.env[state.EnvStateKey] = strings.Repeat("11", 32)
		if r := s.run("plan", "--detailed-exitcode"); r.code != 0 {
			t.Errorf("plan with the right key: exit %d\n%s%s", r.code, r.out, r.err)
		}
		if r := s.run("state", "unlock", "nope"); r.code != 1 || !strings.Contains(r.err, "not locked") {
			t.Errorf("unlock without a lock: exit %d\n%s", r.code, r.err)
		}
		// Changing the key: pull with the old one, force-push with the new.
		file := filepath.Join(t.TempDir(), "s.json")
		if err := os.WriteFile(file, []byte(s.mustRun("state", "pull").out), 0o600); err != nil {
			t.Fatal(err)
		}
		s.env[state.EnvStateKey] = strings.Repeat("33", 32)
		if r := s.run("state", "push", file); r.code != 1 || !strings.Contains(r.err, "encrypted with another key") {
			t.Errorf("push over a state of another key without --force: exit %d\n%s", r.code, r.err)
		}
		s.mustRun("state", "push", "--force", file)
		if r := s.run("plan", "--detailed-exitcode"); r.code != 0 {
			t.Errorf("plan with the new key: exit %d\n%s%s", r.code, r.out, r.err)
		}
	})

	t.Run("migrate, history, pull and push", func(t *testing.T) {
		makeBucket(t, url, "migrate")
		local := teamSession(t, url, "migrate", false)
		local.mustRun("apply", "--auto-approve")
		local.mustRun("apply", "--auto-approve", "-var", "size=2")
		src, err := state.Decode([]byte(local.mustRun("state", "pull").out))
		if err != nil {
			t.Fatal(err)
		}
		if r := local.run("migrate-state"); r.code != 1 || !strings.Contains(r.err, "has no backend block") {
			t.Errorf("migrate-state without a backend block: exit %d\n%s", r.code, r.err)
		}
		// Add the backend block: the same stack directory, now with s3.
		text, err := os.ReadFile(filepath.Join(local.dir, "main.stack.hcl"))
		if err != nil {
			t.Fatal(err)
		}
		cloud := regexp.MustCompile(`path\s+= "([^"]+)"`).FindStringSubmatch(string(text))[1]
		if err := os.WriteFile(filepath.Join(local.dir, "main.stack.hcl"), []byte(teamStack(url, "migrate", cloud, "0s", true)), 0o644); err != nil {
			t.Fatal(err)
		}
		if r := local.run("plan"); r.code != 2 && !strings.Contains(r.out, "to create") {
			t.Logf("plan before migrating sees an empty bucket: exit %d", r.code)
		}
		m := local.mustRun("migrate-state")
		if !strings.Contains(m.out, fmt.Sprintf("serial %d", src.Serial)) {
			t.Errorf("migrate-state output: %s", m.out)
		}
		moved, err := state.Decode(getObject(t, url, "migrate", "shop/dev.json"))
		if err != nil {
			t.Fatal(err)
		}
		if moved.Lineage != src.Lineage || moved.Serial != src.Serial {
			t.Errorf("migrated state has lineage %s serial %d, want %s %d", moved.Lineage, moved.Serial, src.Lineage, src.Serial)
		}
		if r := local.run("migrate-state"); r.code != 1 || !strings.Contains(r.err, "already holds this state") {
			t.Errorf("migrating twice: exit %d\n%s", r.code, r.err)
		}
		if r := local.run("plan", "--detailed-exitcode", "-var", "size=2"); r.code != 0 {
			t.Errorf("plan after the migration: exit %d, want 0\n%s%s", r.code, r.out, r.err)
		}
		local.mustRun("apply", "--auto-approve", "-var", "size=3")

		h := local.mustRun("state", "history")
		lines := strings.Split(strings.TrimSpace(h.out), "\n")
		if len(lines) != 3 || !strings.Contains(lines[1], "(current)") {
			t.Fatalf("history lists %d lines, want a header and 2 versions (the migrated one and the apply's), the first current:\n%s", len(lines), h.out)
		}
		var versions []struct {
			VersionID string `json:"version_id"`
			Serial    uint64 `json:"serial"`
			Current   bool   `json:"current"`
		}
		if err := json.Unmarshal([]byte(local.mustRun("state", "history", "-o", "json").out), &versions); err != nil {
			t.Fatal(err)
		}
		if len(versions) != 2 || !versions[0].Current || versions[1].Serial != src.Serial || versions[1].VersionID != strings.Fields(lines[2])[0] {
			t.Errorf("history -o json = %+v, want the same two versions as the text", versions)
		}
		oldID := strings.Fields(lines[2])[0]
		if f := strings.Fields(lines[2]); f[2] != strconv.FormatUint(src.Serial, 10) {
			t.Errorf("the oldest version holds serial %s, want %d:\n%s", f[2], src.Serial, h.out)
		}
		old := local.mustRun("state", "pull", "--version", oldID).out
		file := filepath.Join(t.TempDir(), "old.json")
		if err := os.WriteFile(file, []byte(old), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := local.run("state", "push", file); r.code != 1 || !strings.Contains(r.err, "lower than the stored serial") {
			t.Errorf("push of an older serial: exit %d\n%s", r.code, r.err)
		}
		other := strings.Replace(old, src.Lineage, "00000000-0000-4000-8000-000000000000", 1)
		if err := os.WriteFile(file, []byte(other), 0o600); err != nil {
			t.Fatal(err)
		}
		if r := local.run("state", "push", file); r.code != 1 || !strings.Contains(r.err, "different states") {
			t.Errorf("push of another lineage: exit %d\n%s", r.code, r.err)
		}
		if err := os.WriteFile(file, []byte(old), 0o600); err != nil {
			t.Fatal(err)
		}
		p := local.mustRun("state", "push", "--force", file)
		if !strings.Contains(p.out, "serial "+strconv.FormatUint(src.Serial+2, 10)) {
			t.Errorf("forced push: %s", p.out)
		}
		// Back at size 2, as the old version recorded.
		if r := local.run("plan", "--detailed-exitcode", "-var", "size=2"); r.code != 2 || !strings.Contains(r.out, "autoscaling_group.app") {
			t.Errorf("plan after pushing the old state (the cloud is at size 3): exit %d\n%s", r.code, r.out)
		}

		// And back to the local files, which are older: the same lineage,
		// the bucket's serial.
		local.mustRun("migrate-state", "--from", "backend", "--to", "local")
		back, err := os.ReadFile(filepath.Join(local.dir, ".stagecraft", "state", "dev.json"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := state.Decode(back)
		if err != nil {
			t.Fatal(err)
		}
		if inBucket := storedState(t, url, "migrate"); got.Lineage != inBucket.Lineage || got.Serial != inBucket.Serial {
			t.Errorf("local state after migrating back: lineage %s serial %d, want %s %d", got.Lineage, got.Serial, inBucket.Lineage, inBucket.Serial)
		}
	})
}

// runner is one machine (a CI runner) with its own checkout of the stack.
type runner struct {
	t   *testing.T
	bin string
	dir string
	env []string
}

func newRunner(t *testing.T, bin, stack string, extraEnv ...string) *runner {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.stack.hcl"), []byte(stack), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	for k, v := range motoEnv {
		env = append(env, k+"="+v)
	}
	return &runner{t: t, bin: bin, dir: dir, env: append(env, extraEnv...)}
}

// start starts stagecraft with args; the process is killed when the test
// ends if it is still running.
func (r *runner) start(args ...string) (*exec.Cmd, *syncBuffer, *syncBuffer) {
	r.t.Helper()
	// No run of this small stack takes long: a hung one is killed.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	r.t.Cleanup(cancel)
	c := exec.CommandContext(ctx, r.bin, append([]string{"-C", r.dir}, args...)...)
	c.Env = r.env
	var out, errOut syncBuffer
	c.Stdout, c.Stderr = &out, &errOut
	if err := c.Start(); err != nil {
		r.t.Fatal(err)
	}
	pid := c.Process.Pid
	r.t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	return c, &out, &errOut
}

// run runs stagecraft to the end and returns its exit code and output.
func (r *runner) run(args ...string) (int, string) {
	r.t.Helper()
	c, out, errOut := r.start(args...)
	return exitCode(r.t, c.Wait()), out.String() + errOut.String()
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

// storedState reads the state object from the bucket.
func storedState(t *testing.T, url, bucket string) *state.State {
	t.Helper()
	st, err := state.Decode(getObject(t, url, bucket, "shop/dev.json"))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestS3TeamRuns drives the binary as two CI runners sharing the s3
// backend and one (simulated) cloud.
func TestS3TeamRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	url := mototest.ForTest(t).URL
	bin := buildStagecraft(t)

	t.Run("concurrent applies", func(t *testing.T) {
		makeBucket(t, url, "race")
		cloud := filepath.Join(t.TempDir(), "cloud.jsonl")
		stack := teamStack(url, "race", cloud, "300ms", true)
		a, b := newRunner(t, bin, stack), newRunner(t, bin, stack)
		if code, out := a.run("apply", "--auto-approve"); code != 0 {
			t.Fatalf("first apply: exit %d\n%s", code, out)
		}
		serial := storedState(t, url, "race").Serial
		for round := range 20 {
			size := strconv.Itoa(round%9 + 2) // 2..10, never the previous round's
			type finished struct {
				who  int
				code int
			}
			done := make(chan finished, 2)
			var cmds [2]*exec.Cmd
			var outs [2]*syncBuffer
			for i, r := range []*runner{a, b} {
				c, _, errOut := r.start("apply", "--auto-approve", "-var", "size="+size)
				cmds[i], outs[i] = c, errOut
				go func() { done <- finished{i, exitCode(t, c.Wait())} }()
			}
			first, second := <-done, <-done
			if first.code != 1 || second.code != 0 {
				t.Fatalf("round %d: the runner that ended first exited %d and the other %d; want the loser to fail (1) before the winner finished (0)\nfirst:\n%s\nsecond:\n%s", round, first.code, second.code, outs[first.who], outs[second.who])
			}
			winner := cmds[second.who].Process.Pid
			msg := outs[first.who].String()
			if !strings.Contains(msg, "is locked by") || !strings.Contains(msg, fmt.Sprintf("(PID %d)", winner)) || !strings.Contains(msg, "for apply") || strings.Contains(msg, "goroutine") {
				t.Fatalf("round %d: the loser's error does not name the holder (PID %d):\n%s", round, winner, msg)
			}
			st := storedState(t, url, "race")
			app, ok := st.Resource(addrs.MustParse("autoscaling_group.app"))
			if !ok || len(st.Resources) != 7 || st.Serial <= serial || !strings.Contains(string(app.Attributes), `"min":`+size+`,`) {
				t.Fatalf("round %d: state after the round: %d resources, serial %d (was %d), app %s", round, len(st.Resources), st.Serial, serial, app.Attributes)
			}
			serial = st.Serial
		}
		if getObject(t, url, "race", "shop/dev.json.lock") != nil {
			t.Error("a lock object is left after the runs")
		}
	})

	t.Run("kill -9 and finish on another runner", func(t *testing.T) {
		makeBucket(t, url, "crash")
		cloud := filepath.Join(t.TempDir(), "cloud.jsonl")
		stack := teamStack(url, "crash", cloud, "300ms", true)
		a, b := newRunner(t, bin, stack), newRunner(t, bin, stack)
		c, _, errOut := a.start("apply", "--auto-approve", "--parallelism", "1")
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) && strings.Count(errOut.String(), "done in") < 2 {
			time.Sleep(20 * time.Millisecond)
		}
		if strings.Count(errOut.String(), "done in") < 2 {
			t.Fatalf("the apply did not get going:\n%s", errOut)
		}
		killed := c.Process.Pid
		_ = syscall.Kill(killed, syscall.SIGKILL)
		_ = c.Wait()

		code, out := b.run("apply", "--auto-approve")
		if code != 1 || !strings.Contains(out, fmt.Sprintf("(PID %d)", killed)) {
			t.Fatalf("apply while the killed run's lock is there: exit %d, want 1 naming PID %d\n%s", code, killed, out)
		}
		id := regexp.MustCompile("state unlock ([0-9a-f-]+)").FindStringSubmatch(out)
		if id == nil {
			t.Fatalf("no lock id in:\n%s", out)
		}
		if code, out := b.run("state", "unlock", id[1]); code != 0 {
			t.Fatalf("state unlock: exit %d\n%s", code, out)
		}
		code, out = b.run("apply", "--auto-approve")
		if code != 0 || !strings.Contains(out, "Apply complete") {
			t.Fatalf("apply on the second runner: exit %d\n%s", code, out)
		}
		if strings.Contains(out, "7 added") {
			t.Errorf("the second runner created everything again; the first one's journal was lost:\n%s", out)
		}
		if code, out := b.run("plan", "--detailed-exitcode"); code != 0 {
			t.Errorf("plan after finishing: exit %d, want 0\n%s", code, out)
		}
		// Every object in the cloud is tracked once: nothing duplicated or orphaned.
		code, out = b.run("state", "recover")
		if code != 0 || !strings.Contains(out, "Found 7 resources") || strings.Contains(out, "another copy") || strings.Contains(out, "not in the stored state") {
			t.Errorf("the cloud after the crash and the finish:\n%s", out)
		}
		if st := storedState(t, url, "crash"); len(st.Resources) != 7 {
			t.Errorf("state tracks %d resources, want 7", len(st.Resources))
		}
	})
}

func TestBackendBadInput(t *testing.T) {
	t.Parallel()
	stack := func(block string) map[string]string {
		return map[string]string{"main.stack.hcl": `
stack "shop" {}
provider "sim" {}
environment "dev" {
  provider = "sim"
  stage    = "s"
  ` + block + `
}
stage "s" {
  autoscaling_group "app" {}
}
`}
	}
	tests := map[string]struct {
		block string
		env   map[string]string
		args  []string
		want  string
	}{
		"unknown type":     {block: `backend "gcs" {}`, args: []string{"plan"}, want: `on STACKDIR/main.stack.hcl:7:3, in environment "dev": 7: backend "gcs" {} ^^^^^^^^^^^^^ Environment "dev" keeps its state in a "gcs" backend, which stagecraft does not have; the backends are local and s3`},
		"validate type":    {block: `backend "gcs" {}`, args: []string{"validate"}, want: `keeps its state in a "gcs" backend, which stagecraft does not have`},
		"validate s3":      {block: `backend "s3" { key = "k" }`, args: []string{"validate"}, want: "The s3 backend needs bucket"},
		"validate s3 attr": {block: "backend \"s3\" {\n    bucket = \"b\"\n    key = \"k\"\n    buckt = \"x\"\n  }", args: []string{"validate"}, want: `remove "buckt"`},
		"local settings":   {block: `backend "local" { path = "x" }`, args: []string{"plan"}, want: `The local backend takes no settings (the state lives in .stagecraft/state/dev.json); remove "path"`},
		"missing bucket":   {block: `backend "s3" { key = "k" }`, args: []string{"plan"}, want: "The s3 backend needs bucket"},
		"not literal":      {block: "backend \"s3\" {\n    bucket = var.b\n    key = \"k\"\n  }", args: []string{"plan"}, want: "Backend settings must be literal values"},
		"short key":        {env: map[string]string{"STAGECRAFT_STATE_KEY": "abc"}, args: []string{"plan"}, want: "STAGECRAFT_STATE_KEY must be a 256-bit key"},
		"history of local": {args: []string{"state", "history"}, want: "keeps its state in local files, which keep no history"},
		"migrate to local": {args: []string{"migrate-state", "--from", "local", "--to", "local"}, want: "--from and --to are both local"},
		"migrate where":    {args: []string{"migrate-state", "--to", "gcs"}, want: `--from and --to take local or backend, not "gcs"`},
		"push nothing":     {args: []string{"state", "push", "no-such-file.json"}, want: "cannot read no-such-file.json"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, stack(tc.block))
			for k, v := range tc.env {
				s.env[k] = v
			}
			r := s.run(tc.args...)
			// Diagnostics wrap at the terminal width: compare the words.
			flat := strings.Join(strings.Fields(r.err), " ")
			if r.code != 1 || !strings.Contains(flat, tc.want) || strings.Contains(r.err, "goroutine") {
				t.Errorf("stagecraft %s: exit %d, want 1 with %q:\n%s", strings.Join(tc.args, " "), r.code, tc.want, r.err)
			}
		})
	}
}

// TestEncryptedLocalState: with a key the local state is encrypted on
// disk, and a wrong key or none is one clear error.
func TestEncryptedLocalState(t *testing.T) {
	t.Parallel()
	s := newSession(t, nil)
	s.mustRun("apply", "--auto-approve")
	path := filepath.Join(s.dir, ".stagecraft", "state", "dev.json")
	// Turning encryption on for a plain state: pull, and push it back.
	s.env[state.EnvStatePassphrase] = "correct horse battery staple"
	file := filepath.Join(t.TempDir(), "s.json")
	if err := os.WriteFile(file, []byte(s.mustRun("state", "pull").out), 0o600); err != nil {
		t.Fatal(err)
	}
	s.mustRun("state", "push", file)
	stored, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !state.IsEncrypted(stored) {
		t.Fatalf("%s is in the clear", path)
	}
	if r := s.run("plan", "--detailed-exitcode"); r.code != 0 {
		t.Errorf("plan with the passphrase: exit %d\n%s", r.code, r.err)
	}
	s.env[state.EnvStatePassphrase] = "wrong"
	if r := s.run("apply", "--auto-approve"); r.code != 1 || !strings.Contains(r.err, "it was encrypted with another key") {
		t.Errorf("apply with the wrong passphrase: exit %d\n%s", r.code, r.err)
	}
	delete(s.env, state.EnvStatePassphrase)
	if r := s.run("plan"); r.code != 1 || !strings.Contains(r.err, "is encrypted; set STAGECRAFT_STATE_KEY (or STAGECRAFT_STATE_PASSPHRASE)") {
		t.Errorf("plan without the passphrase: exit %d\n%s", r.code, r.err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, stored) {
		t.Error("a run with the wrong passphrase changed the state file")
	}
}
