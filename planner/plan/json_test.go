package plan

import (
	"strings"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/stagecraft/stagecraft/stacks/marks"
)

// TestMarshalRoundTrip: a plan file holds everything apply needs, so a
// plan encoded without redaction decodes to the same plan, marks and
// unknowns included.
func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	after := cty.ObjectVal(map[string]cty.Value{
		"password": cty.StringVal("hunter2").Mark(marks.Sensitive),
		"id":       cty.UnknownVal(cty.String),
		"env":      cty.MapVal(map[string]cty.Value{"A]\"": cty.StringVal("x")}),
	})
	in := &Plan{
		Stack: "shop", Environment: "dev", Provider: "sim", AppliedStage: "a", TargetStage: "b", Lineage: "l", Serial: 3,
		Changes: []*Change{{
			Address: addrs.MustParse("cache.main"), Kind: "cache", Action: ActionUpdate, After: after,
			ChangedPaths:   []cty.Path{cty.GetAttrPath("env").Index(cty.StringVal("A]\""))},
			SensitivePaths: []cty.Path{cty.GetAttrPath("password"), cty.GetAttrPath("user").IndexInt(1).GetAttr("token")},
			Shift: &Shift{Paths: []*ShiftPath{{Path: "/", From: map[string]int{"a": 100}, To: map[string]int{"b": 100},
				Steps: []int{10, 100}, Bake: 30 * time.Second, MaxErrorRate: 0.01}}},
		}},
		Drift: []*Drift{{Address: addrs.MustParse("cache.main"), Kind: "cache", Paths: []cty.Path{cty.GetAttrPath("env")},
			SensitivePaths: []cty.Path{cty.GetAttrPath("password")}, Before: cty.EmptyObjectVal, Actual: cty.EmptyObjectVal}},
	}
	data, err := Marshal(in, false)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	c := out.Changes[0]
	if !c.After.RawEquals(after) {
		t.Errorf("After = %#v, want %#v", c.After, after)
	}
	if got := pathStrings(c.SensitivePaths); strings.Join(got, " ") != "password user[1].token" {
		t.Errorf("SensitivePaths = %q, want password and user[1].token", got)
	}
	if got := pathStrings(c.ChangedPaths); len(got) != 1 || got[0] != `env["A]\""]` {
		t.Errorf("ChangedPaths = %q, want env[\"A]\\\"\"]", got)
	}
	if got := pathStrings(out.Drift[0].SensitivePaths); len(got) != 1 || got[0] != "password" {
		t.Errorf("drift SensitivePaths = %q, want password", got)
	}
	if sp := c.Shift.Paths[0]; sp.Bake != 30*time.Second || sp.Weights(10)["b"] != 10 {
		t.Errorf("shift = %+v, want a 30s bake and 10%% to b at the first step", sp)
	}
}

// TestMarshalRedacts: the form for people leaves sensitive values out.
func TestMarshalRedacts(t *testing.T) {
	t.Parallel()
	in := &Plan{Changes: []*Change{{Address: addrs.MustParse("cache.main"), Kind: "cache", Action: ActionCreate,
		After: cty.ObjectVal(map[string]cty.Value{"password": cty.StringVal("hunter2").Mark(marks.Sensitive)})}}}
	data, err := Marshal(in, true)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "hunter2") {
		t.Errorf("the redacted plan shows the secret:\n%s", data)
	}
}

func TestUnmarshalRefusesNewerFormat(t *testing.T) {
	t.Parallel()
	_, err := Unmarshal([]byte(`{"format_version": 99}`))
	if err == nil || !strings.Contains(err.Error(), "upgrade stagecraft") {
		t.Errorf("Unmarshal of a newer format: err = %v, want one that says to upgrade", err)
	}
}

func TestUnmarshalRefusesBadAddress(t *testing.T) {
	t.Parallel()
	_, err := Unmarshal([]byte(`{"format_version": 1, "changes": [{"address": "cache", "kind": "cache", "action": "create"}]}`))
	if want := `decode plan: "cache" has no resource name; write cache.NAME`; err == nil || err.Error() != want {
		t.Errorf("Unmarshal of a bad address: err = %v, want %q", err, want)
	}
}
