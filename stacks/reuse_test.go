package stacks

import (
	"fmt"
	"testing"

	"github.com/stagecraft/stagecraft/stacks/addrs"
	"github.com/zclconf/go-cty/cty"
)

// reuseStack has a chain of counted blocks, a block read through a local,
// a block with no references and a module call, so that some blocks can be
// taken over and some cannot.
var reuseStack = map[string]string{
	"main.hcl": `
environment "dev" {
  provider = "sim"
  stage    = "s"
}

locals {
  first = autoscaling_group.a[0].id
}

stage "s" {
  autoscaling_group "a" {
    count = 2
  }
  autoscaling_group "b" {
    count = 2
    env = {
      UP = autoscaling_group.a[count.index].id
    }
  }
  autoscaling_group "c" {
    env = {
      UP = autoscaling_group.b[1].id
    }
  }
  autoscaling_group "each" {
    for_each = toset(["x", "y"])
    env = {
      UP = autoscaling_group.c.id
    }
  }
  autoscaling_group "after_each" {
    env = {
      X = autoscaling_group.each["x"].id
      Y = autoscaling_group.each["y"].id
    }
  }
  autoscaling_group "via_local" {
    env = {
      UP = local.first
    }
  }
  cache "alone" {
    engine = "redis"
  }
  module "web" {
    source  = "stagecraft/web-tier"
    name    = "web"
    command = ["./web"]
  }
}
`}

// TestReuseMatchesAFreshEvaluation evaluates the stack as apply does, with
// resources coming into existence one by one, each time both with Reuse of
// the evaluation before and from scratch: the two must agree in every
// resource, configuration and dependency.
func TestReuseMatchesAFreshEvaluation(t *testing.T) {
	t.Parallel()
	st := loadFiles(t, reuseStack)
	req := Request{Environment: "dev", Known: map[addrs.Instance]cty.Value{}}
	prev := evaluate(t, st, req)
	// The order resources come into existence in.
	var order []addrs.Instance
	for _, r := range prev.Resources {
		order = append(order, r.Address)
	}
	reused := 0
	for i, addr := range order {
		known := map[addrs.Instance]cty.Value{}
		for k, v := range req.Known {
			known[k] = v
		}
		known[addr] = idValue(t, prev, addr.String(), fmt.Sprintf("id-%d", i))
		changed := map[addrs.Instance]bool{addr: true}
		fresh := evaluate(t, st, Request{Environment: "dev", Known: known})
		got := evaluate(t, st, Request{Environment: "dev", Known: known, Reuse: &Reuse{Previous: prev, Changed: func(a addrs.Instance) bool { return changed[a] }}})
		if len(got.Resources) != len(fresh.Resources) {
			t.Fatalf("after %s: %d resources with reuse, %d fresh", addr, len(got.Resources), len(fresh.Resources))
		}
		for j, r := range got.Resources {
			f := fresh.Resources[j]
			if r.Address != f.Address || !r.Config.RawEquals(f.Config) || fmt.Sprint(r.DependsOn) != fmt.Sprint(f.DependsOn) {
				t.Errorf("after %s, %s with reuse:\n%#v %v\nfresh %s:\n%#v %v", addr, r.Address, r.Config, r.DependsOn, f.Address, f.Config, f.DependsOn)
			}
			if p, ok := prev.Resource(r.Address); ok && p == r {
				reused++
			}
		}
		req.Known, prev = known, got
	}
	if reused == 0 {
		t.Error("no resource was taken over from an earlier evaluation: reuse does nothing")
	}
	t.Logf("%d resource results taken over across %d evaluations", reused, len(order))
}

// TestReuseSkipsWhatCannotBeTakenOver checks the blocks that are always
// evaluated again (those reading locals or modules) and those evaluated
// again because a resource they refer to changed.
func TestReuseSkipsWhatCannotBeTakenOver(t *testing.T) {
	t.Parallel()
	st := loadFiles(t, reuseStack)
	prev := evaluate(t, st, Request{Environment: "dev"})
	nothing := func(addrs.Instance) bool { return false }
	got := evaluate(t, st, Request{Environment: "dev", Reuse: &Reuse{Previous: prev, Changed: nothing}})
	for _, r := range got.Resources {
		p, _ := prev.Resource(r.Address)
		sameObject := p == r
		wantSame := r.Address.Module.IsRoot() && r.Address.Name != "via_local"
		if sameObject != wantSame {
			t.Errorf("%s: taken over %v, want %v", r.Address, sameObject, wantSame)
		}
	}
	// a[0] now exists: block a's configuration is taken over, but what
	// references see of it changed, so b is evaluated again and sees the
	// id.
	a0 := addrs.MustParse("autoscaling_group.a[0]")
	known := map[addrs.Instance]cty.Value{a0: idValue(t, prev, "autoscaling_group.a[0]", "id-a0")}
	onlyA0 := func(a addrs.Instance) bool { return a == a0 }
	got = evaluate(t, st, Request{Environment: "dev", Known: known, Reuse: &Reuse{Previous: prev, Changed: onlyA0}})
	if p, _ := prev.Resource(addrs.MustParse("autoscaling_group.a[1]")); p != mustFind(t, got, "autoscaling_group.a[1]") {
		t.Error("block a's configuration was evaluated again although only what exists of a[0] changed")
	}
	b0 := mustFind(t, got, "autoscaling_group.b[0]")
	if p, _ := prev.Resource(addrs.MustParse("autoscaling_group.b[0]")); p == b0 {
		t.Fatal("block b was taken over although a[0], which it refers to, changed")
	}
	if up := b0.Config.GetAttr("env").Index(cty.StringVal("UP")); !up.IsKnown() || up.AsString() != "id-a0" {
		t.Errorf("b[0].env.UP = %#v, want a[0]'s id", up)
	}
}

func mustFind(t *testing.T, ds *DesiredSet, addr string) *Resource {
	t.Helper()
	r, ok := ds.Resource(addrs.MustParse(addr))
	if !ok {
		t.Fatalf("no %s", addr)
	}
	return r
}

// idValue is the resource's configuration with its id set, as a provider
// would report it.
func idValue(t *testing.T, ds *DesiredSet, addr, id string) cty.Value {
	t.Helper()
	r := mustFind(t, ds, addr)
	cfg, _ := r.Config.UnmarkDeep()
	attrs := cfg.AsValueMap()
	attrs["id"] = cty.StringVal(id)
	for k, v := range attrs {
		if !v.IsWhollyKnown() {
			attrs[k] = cty.NullVal(v.Type())
		}
	}
	return cty.ObjectVal(attrs)
}

// TestSameValueIsRawEquals checks that comparing a block's value instance
// by instance agrees with cty's RawEquals.
func TestSameValueIsRawEquals(t *testing.T) {
	t.Parallel()
	obj := func(id string) cty.Value {
		return cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal(id), "port": cty.NumberIntVal(80)})
	}
	vals := []cty.Value{
		cty.EmptyTupleVal,
		cty.TupleVal([]cty.Value{obj("a")}),
		cty.TupleVal([]cty.Value{obj("a"), obj("b")}),
		cty.TupleVal([]cty.Value{obj("a"), obj("c")}),
		cty.TupleVal([]cty.Value{obj("a"), cty.UnknownVal(obj("x").Type())}),
		cty.TupleVal([]cty.Value{obj("a"), obj("b").Mark(Sensitive)}),
		cty.TupleVal([]cty.Value{obj("a"), obj("b")}).Mark(Sensitive),
		cty.EmptyObjectVal,
		cty.ObjectVal(map[string]cty.Value{"x": obj("a"), "y": obj("b")}),
		cty.ObjectVal(map[string]cty.Value{"x": obj("a"), "z": obj("b")}),
		cty.ObjectVal(map[string]cty.Value{"x": obj("a")}),
		obj("a"),
		obj("b"),
		cty.ObjectVal(map[string]cty.Value{"id": cty.StringVal("a"), "port": cty.StringVal("80")}),
		cty.DynamicVal,
		cty.NullVal(cty.DynamicPseudoType),
		cty.StringVal("a"),
	}
	for i, a := range vals {
		for j, b := range vals {
			if got, want := sameValue(a, b), a.RawEquals(b); got != want {
				t.Errorf("sameValue(#%d %#v, #%d %#v) = %v, RawEquals says %v", i, a, j, b, got, want)
			}
		}
	}
}
