package shape

import (
	"strings"
	"testing"
)

func TestStack(t *testing.T) {
	t.Parallel()
	files, err := Stack(6, 3, "bench")
	if err != nil {
		t.Fatal(err)
	}
	main := files["main.hcl"]
	for _, want := range []string{`autoscaling_group "l0"`, "count = 2", "UP = autoscaling_group.l1[count.index].id"} {
		if !strings.Contains(main, want) {
			t.Errorf("main.hcl lacks %q:\n%s", want, main)
		}
	}
	if strings.Contains(main, "autoscaling_group.l2[") || strings.Count(main, "env = {") != 2 {
		t.Errorf("main.hcl should chain l0 <- l1 <- l2 only:\n%s", main)
	}
	if !strings.Contains(files["env.hcl"], `environment "bench"`) {
		t.Errorf("env.hcl: %s", files["env.hcl"])
	}
	if _, err := Stack(10, 3, "bench"); err == nil {
		t.Error("10 resources in 3 layers: no error")
	}
}

func TestPersisted(t *testing.T) {
	t.Parallel()
	files, err := Persisted(6, 3, "bench", ".stagecraft/sim.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if env := files["env.hcl"]; !strings.Contains(env, `path = ".stagecraft/sim.jsonl"`) || !strings.Contains(env, `environment "bench"`) {
		t.Errorf("env.hcl: %s", env)
	}
	if _, err := Persisted(10, 3, "bench", "x"); err == nil {
		t.Error("10 resources in 3 layers: no error")
	}
}
