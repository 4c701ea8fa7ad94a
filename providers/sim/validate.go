package sim

import (
	"errors"
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/schema"
)

// errStopWalk ends a cty.Walk early.
var errStopWalk = errors.New("stop")

// check validates desired against the kind's schema and rules, the way a
// cloud API rejects a malformed request, and returns it without marks (the
// simulated cloud stores plain values; sensitivity is the planner's
// business).
func (k *kind) check(desired cty.Value) (cty.Value, error) {
	if desired == cty.NilVal || desired.IsNull() {
		return desired, errors.New("sim: no configuration given")
	}
	if desired.ContainsMarked() {
		desired, _ = desired.UnmarkDeep()
	}
	if !desired.Type().Equals(k.ty) {
		var msgs []string
		for _, err := range desired.Type().TestConformance(k.ty) {
			var pe cty.PathError
			if errors.As(err, &pe) && len(pe.Path) > 0 {
				msgs = append(msgs, schema.PathString(pe.Path)+": "+err.Error())
			} else {
				msgs = append(msgs, err.Error())
			}
		}
		if len(msgs) == 0 {
			msgs = append(msgs, "got "+desired.Type().FriendlyName())
		}
		return desired, fmt.Errorf("sim: the value is not a %s configuration: %s", k.name, strings.Join(msgs, "; "))
	}
	if !desired.IsWhollyKnown() {
		var at cty.Path
		_ = cty.Walk(desired, func(p cty.Path, v cty.Value) (bool, error) {
			if !v.IsKnown() {
				at = p
				return false, errStopWalk
			}
			return true, nil
		})
		return desired, fmt.Errorf("sim: %s is not known yet; the planner must resolve it before the call", schema.PathString(at))
	}
	if probs := k.schema.Problems(desired); len(probs) > 0 {
		return desired, fmt.Errorf("sim: invalid %s: %s", k.name, strings.Join(probs, "; "))
	}
	return desired, nil
}

// checkForceNew refuses a change, between the stored value and desired, to
// an attribute that can only be set when the resource is created. A null
// and the attribute's default count as the same.
func (k *kind) checkForceNew(old, desired cty.Value) error {
	var changed []string
	forceNewChanges(&k.schema.Block, nil, old, desired, &changed)
	if len(changed) > 0 {
		return fmt.Errorf("sim: %s cannot change in place (it forces a replacement)", strings.Join(changed, ", "))
	}
	return nil
}

func forceNewChanges(b *schema.Block, path cty.Path, old, desired cty.Value, changed *[]string) {
	if old.IsNull() || desired.IsNull() {
		return
	}
	for _, a := range b.Attributes {
		if !a.ForceNew || (a.Computed && !a.Optional) {
			continue
		}
		o, d := old.GetAttr(a.Name), desired.GetAttr(a.Name)
		if a.Default != cty.NilVal {
			if o.IsNull() {
				o = a.Default
			}
			if d.IsNull() {
				d = a.Default
			}
		}
		if !o.RawEquals(d) {
			*changed = append(*changed, schema.PathString(path.GetAttr(a.Name)))
		}
	}
	for _, nb := range b.Blocks {
		o, d := old.GetAttr(nb.TypeName), desired.GetAttr(nb.TypeName)
		p := path.GetAttr(nb.TypeName)
		if nb.Nesting != schema.NestingList {
			forceNewChanges(&nb.Block, p, o, d, changed)
			continue
		}
		if o.IsNull() || d.IsNull() {
			continue
		}
		for i := 0; i < min(o.LengthInt(), d.LengthInt()); i++ {
			idx := cty.NumberIntVal(int64(i))
			forceNewChanges(&nb.Block, p.IndexInt(i), o.Index(idx), d.Index(idx), changed)
		}
	}
}
