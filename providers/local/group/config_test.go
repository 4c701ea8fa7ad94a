package group

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/providers/local/supervisor"
	"github.com/stagecraft/stagecraft/providers/providertest"
)

func TestExpandArg(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"PORT": "8081", "INSTANCE_ID": "asg-1-2"}
	for in, want := range map[string]string{
		"--port=$PORT":            "--port=8081",
		"${PORT}":                 "8081",
		"$INSTANCE_ID.log":        "asg-1-2.log",
		"$PORTS":                  "$PORTS",
		"$HOME and ${PATH}":       "$HOME and ${PATH}",
		"cost: $5":                "cost: $5",
		"trailing $":              "trailing $",
		"${PORT}${INSTANCE_ID}$$": "8081asg-1-2$$",
	} {
		if got := expandArg(in, vars); got != want {
			t.Errorf("expandArg(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDecodeGroup checks what a group's configuration may say: a relative
// command runs from working_dir, itself relative to the stack directory,
// and each mistake gets an error that says how to fix it.
func TestDecodeGroup(t *testing.T) {
	t.Parallel()
	stack := t.TempDir()
	if err := os.MkdirAll(filepath.Join(stack, "svc", "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stack, "svc", "bin", "app"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stack, "svc", "notes"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _ := kinds.Schema(kinds.AutoscalingGroup)
	s = s.ForProvider(supervisor.Provider)
	localBlock, _ := s.Block.NestedBlock("local")
	cfg := func(over map[string]cty.Value) cty.Value {
		a := map[string]cty.Value{"local": cty.ObjectVal(map[string]cty.Value{
			"command":     cty.ListVal([]cty.Value{cty.StringVal("./bin/app"), cty.StringVal("$PORT")}),
			"working_dir": cty.StringVal("svc"),
		})}
		for k, v := range over {
			a[k] = v
		}
		return providertest.Desired(s, a)
	}
	local := func(command []string, dir string) cty.Value {
		var cs []cty.Value
		for _, c := range command {
			cs = append(cs, cty.StringVal(c))
		}
		l := map[string]cty.Value{"command": cty.ListValEmpty(cty.String)}
		if len(cs) > 0 {
			l["command"] = cty.ListVal(cs)
		}
		if dir != "" {
			l["working_dir"] = cty.StringVal(dir)
		}
		return cty.ObjectVal(l)
	}

	spec, err := decodeGroup(cfg(nil), stack)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(stack, "svc", "bin", "app"); spec.launch.program != want || spec.launch.dir != filepath.Join(stack, "svc") {
		t.Errorf("program %q in %q; want %q in the working_dir", spec.launch.program, spec.launch.dir, want)
	}
	if spec.desired != -1 || spec.min != 1 || spec.health.path != "/healthz" || spec.health.healthy != 2 {
		t.Errorf("defaults: %+v", spec)
	}

	for name, tc := range map[string]struct {
		cfg  cty.Value
		want string
	}{
		"min above max":     {cfg(map[string]cty.Value{"min": cty.NumberIntVal(3), "max": cty.NumberIntVal(2)}), "min is 3 but max is 2"},
		"desired above max": {cfg(map[string]cty.Value{"desired": cty.NumberIntVal(4)}), "desired is 4 but max is 1"},
		"empty command":     {cfg(map[string]cty.Value{"local": local(nil, "")}), "local.command: the command is empty"},
		"missing program":   {cfg(map[string]cty.Value{"local": local([]string{"./bin/nope"}, "svc")}), "./bin/nope does not exist"},
		"not executable":    {cfg(map[string]cty.Value{"local": local([]string{"./notes"}, "svc")}), "is not executable"},
		"not in PATH":       {cfg(map[string]cty.Value{"local": local([]string{"no-such-program-xyz"}, "")}), "no-such-program-xyz is not in PATH"},
		"no working dir":    {cfg(map[string]cty.Value{"local": local([]string{"/bin/sh"}, "gone")}), "local.working_dir: " + filepath.Join(stack, "gone") + " is not a directory"},
		"no local block":    {cfg(map[string]cty.Value{"local": cty.NullVal(localBlock.ImpliedType())}), "local: a local block is required"},
		"two targets": {cfg(map[string]cty.Value{"scaling": cty.ObjectVal(map[string]cty.Value{"target_cpu": cty.NumberIntVal(50), "target_requests_per_instance": cty.NumberIntVal(10)})}),
			"keep either target_cpu or target_requests_per_instance"},
		"zero interval": {cfg(map[string]cty.Value{"health_check": cty.ObjectVal(map[string]cty.Value{"interval": cty.StringVal("0s")})}), "health_check.interval: the interval must be longer than zero"},
		"bad duration":  {cfg(map[string]cty.Value{"health_check": cty.ObjectVal(map[string]cty.Value{"timeout": cty.StringVal("soon")})}), `health_check.timeout: "soon" is not a duration`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := decodeGroup(tc.cfg, stack)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("decodeGroup: %v; want an error containing %q", err, tc.want)
			}
		})
	}
}
