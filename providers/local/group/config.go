package group

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// groupSpec is a group's configuration, decoded and checked.
type groupSpec struct {
	min, max int
	// desired is the configured size, or -1 when the configuration leaves
	// it to the scaling policy.
	desired int
	launch  launchSpec
	health  healthSpec
	// scaling is nil without a scaling block.
	scaling *scalingSpec
	rollout rolloutSpec
}

// launchSpec is how an instance is started. A change to it rolls the
// group: new instances first, then the old ones drain.
type launchSpec struct {
	program string   // absolute path
	args    []string // with $PORT and $INSTANCE_ID not yet expanded
	dir     string   // absolute working directory
	env     []string // KEY=VALUE, sorted
	port    int      // the configured port; instances get their own
}

// key identifies a launch spec, so instances started from another one are
// found.
func (l launchSpec) key() string {
	return strconv.Quote(l.program) + " " + strconv.Quote(strings.Join(l.args, "\x00")) + " " +
		strconv.Quote(l.dir) + " " + strconv.Quote(strings.Join(l.env, "\x00")) + " " + strconv.Itoa(l.port)
}

// rolloutSpec is the rollout block: how far a roll may go above the
// desired count (surge) and below it (unavailable).
type rolloutSpec struct {
	maxSurge, maxUnavailable int
}

// healthSpec is the health_check block.
type healthSpec struct {
	path               string
	interval, timeout  time.Duration
	healthy, unhealthy int
}

// scalingSpec is the scaling block; one of the targets is set.
type scalingSpec struct {
	targetCPU float64 // percent, 0 if unset
	targetRPS float64 // requests per second per instance, 0 if unset
	cooldown  time.Duration
}

// decodeGroup checks and decodes a group's configuration. Relative paths
// are relative to stackDir.
func decodeGroup(cfg cty.Value, stackDir string) (groupSpec, error) {
	if err := supervisor.ConfigProblems(kinds.AutoscalingGroup, cfg); err != nil {
		return groupSpec{}, err
	}
	s := groupSpec{
		min:     supervisor.IntAttr(cfg, "min", 1),
		max:     supervisor.IntAttr(cfg, "max", 1),
		desired: supervisor.IntAttr(cfg, "desired", -1),
	}
	var probs []string

	hc := cfg.GetAttr("health_check")
	s.health = healthSpec{path: "/healthz", interval: 5 * time.Second, timeout: 2 * time.Second, healthy: 2, unhealthy: 3}
	if !hc.IsNull() {
		s.health.path = supervisor.StrAttr(hc, "path", s.health.path)
		s.health.healthy = supervisor.IntAttr(hc, "healthy_threshold", s.health.healthy)
		s.health.unhealthy = supervisor.IntAttr(hc, "unhealthy_threshold", s.health.unhealthy)
		s.health.interval = supervisor.DurationAttr(hc, "interval", s.health.interval)
		s.health.timeout = supervisor.DurationAttr(hc, "timeout", s.health.timeout)
	}
	if s.health.interval <= 0 {
		probs = append(probs, "health_check.interval: the interval must be longer than zero, such as \"5s\"")
	}
	if s.health.timeout <= 0 {
		probs = append(probs, "health_check.timeout: the timeout must be longer than zero, such as \"2s\"")
	}

	s.rollout = rolloutSpec{maxSurge: 1}
	if ro := cfg.GetAttr("rollout"); !ro.IsNull() {
		s.rollout.maxSurge = supervisor.IntAttr(ro, "max_surge", 1)
		s.rollout.maxUnavailable = supervisor.IntAttr(ro, "max_unavailable", 0)
	}

	if sc := cfg.GetAttr("scaling"); !sc.IsNull() {
		s.scaling = &scalingSpec{
			targetCPU: supervisor.FloatAttr(sc, "target_cpu"),
			targetRPS: supervisor.FloatAttr(sc, "target_requests_per_instance"),
			cooldown:  supervisor.DurationAttr(sc, "cooldown", 60*time.Second),
		}
	}

	l := cfg.GetAttr("local")
	if l.IsNull() {
		return s, errors.New("invalid configuration: local: a local block is required")
	}
	dir := stackDir
	if wd := supervisor.StrAttr(l, "working_dir", ""); wd != "" {
		dir = wd
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(stackDir, wd)
		}
	}
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return s, err
		}
		dir = wd
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		probs = append(probs, fmt.Sprintf("local.working_dir: %s is not a directory; create it or fix working_dir (relative paths are relative to the stack directory)", dir))
	}
	var command []string
	if c := l.GetAttr("command"); !c.IsNull() {
		for _, a := range c.AsValueSlice() {
			if a.IsNull() {
				probs = append(probs, "local.command: an argument is null; give every argument a value")
				continue
			}
			command = append(command, a.AsString())
		}
	}
	if len(command) == 0 || command[0] == "" {
		probs = append(probs, "local.command: the command is empty; give the program and its arguments, such as [\"./bin/app\", \"--port\", \"$PORT\"]")
		return s, supervisor.InvalidConfig(probs)
	}
	program, err := resolveProgram(command[0], dir)
	if err != nil {
		probs = append(probs, "local.command: "+err.Error())
	}
	s.launch = launchSpec{program: program, args: command[1:], dir: dir, port: supervisor.IntAttr(cfg, "port", 8080)}
	if env := cfg.GetAttr("env"); !env.IsNull() {
		for k, v := range env.AsValueMap() {
			if v.IsNull() {
				probs = append(probs, fmt.Sprintf("env[%q]: the value is null; give it a value or leave the variable out", k))
				continue
			}
			s.launch.env = append(s.launch.env, k+"="+v.AsString())
		}
		sort.Strings(s.launch.env)
	}
	return s, supervisor.InvalidConfig(probs)
}

// resolveProgram finds the program of a command the way a shell in dir
// would: a name with a slash is a path (relative to dir), a bare name is
// looked up in PATH.
func resolveProgram(name, dir string) (string, error) {
	if !strings.Contains(name, "/") {
		p, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("%s is not in PATH; install it or give its path", name)
		}
		return p, nil
	}
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	info, err := os.Stat(p)
	switch {
	case err != nil:
		return "", fmt.Errorf("%s does not exist (looked in %s); build it first or fix the path", name, filepath.Dir(p))
	case info.IsDir():
		return "", fmt.Errorf("%s is a directory, not a program", p)
	case info.Mode()&0o111 == 0:
		return "", fmt.Errorf("%s is not executable; chmod +x it", p)
	}
	return p, nil
}

// expandArg replaces $PORT, ${PORT}, $INSTANCE_ID and ${INSTANCE_ID} in an
// argument; any other $ stays as written, so the program (or a shell it
// runs) sees it.
func expandArg(s string, vars map[string]string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			sb.WriteByte(s[i])
			continue
		}
		rest := s[i+1:]
		name, width := "", 0
		if strings.HasPrefix(rest, "{") {
			if end := strings.IndexByte(rest, '}'); end > 0 {
				name, width = rest[1:end], end+1
			}
		} else {
			n := 0
			for n < len(rest) && (rest[n] == '_' || rest[n] >= 'A' && rest[n] <= 'Z' || rest[n] >= 'a' && rest[n] <= 'z' || n > 0 && rest[n] >= '0' && rest[n] <= '9') {
				n++
			}
			name, width = rest[:n], n
		}
		if v, ok := vars[name]; ok && name != "" {
			sb.WriteString(v)
			i += width
			continue
		}
		sb.WriteByte('$')
	}
	return sb.String()
}
