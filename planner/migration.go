package planner

import (
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/planner/apply"
	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/state"
)

// describeSteps lists the plan's steps in dependency order, for people.
func describeSteps(changes []*plan.Change, current []*state.Resource) []*plan.MigrationStep {
	g, err := apply.BuildGraph(changes, current)
	if err != nil {
		return nil
	}
	order, _ := g.Order()
	var out []*plan.MigrationStep
	for _, s := range order {
		if s.IsBarrier() {
			continue
		}
		out = append(out, describeStep(s))
	}
	return out
}

// launchPaths are the attributes of a group whose change replaces its
// instances (a roll).
var launchPaths = map[string]bool{"env": true, "port": true, "local": true, "aws": true, "health_check": true}

func describeStep(s *apply.Step) *plan.MigrationStep {
	c := s.Change
	m := &plan.MigrationStep{Address: c.Address, Action: s.Op.String()}
	switch {
	case c.Deposed:
		m.Action, m.Description = "delete", fmt.Sprintf("delete an old copy of %s (%s) left by an interrupted apply", c.Address, c.ID)
	case s.Op == apply.OpCreate && c.Action == plan.ActionReplace:
		m.Action = "replace"
		why := ""
		if len(c.ReplacePaths) > 0 {
			why = " (" + pathList(c.ReplacePaths) + " changed)"
		}
		if c.ReplaceOrder == plan.DestroyBeforeCreate {
			m.Description = fmt.Sprintf("create the new %s%s", c.Address, why)
		} else {
			m.Description = fmt.Sprintf("create the new %s%s, before the old one goes", c.Address, why)
		}
	case s.Op == apply.OpCreate:
		m.Description = "create " + c.Address.String()
	case s.Op == apply.OpDestroyOld:
		m.Action, m.Description = "delete", "delete the old "+c.Address.String()
	case s.Op == apply.OpDelete:
		m.Description = "delete " + c.Address.String()
		if c.DataLoss {
			m.Description += " and the data it holds"
		}
	case c.Shift != nil:
		m.Action = "shift"
		var parts []string
		for _, p := range c.Shift.Paths {
			parts = append(parts, p.Describe())
		}
		m.Description = strings.Join(parts, "; then ")
		if rest := otherChanges(c); rest != "" {
			m.Description += "; " + rest
		}
	case c.Kind == kinds.AutoscalingGroup && touches(c.ChangedPaths, launchPaths):
		m.Action = "roll"
		m.Description = fmt.Sprintf("roll %s (%s changed, %s): new instances healthy before old ones drain", c.Address, pathList(c.ChangedPaths), rolloutPace(c.After))
	case c.Kind == kinds.Coordinator && touches(c.ChangedPaths, map[string]bool{"members": true}):
		m.Action = "resize"
		m.Description = fmt.Sprintf("resize %s from %s to %s members, one member at a time, keeping a quorum", c.Address, number(attr(c.Before, "members")), number(attr(c.After, "members")))
	case len(c.ChangedPaths) == 0:
		// Nothing differs, but the provider found parts missing.
		m.Description = fmt.Sprintf("update %s in place (%s)", c.Address, c.Reason)
	default:
		m.Description = fmt.Sprintf("update %s in place (%s)", c.Address, pathList(c.ChangedPaths))
	}
	return m
}

// rolloutPace describes a group's rollout block: "surge 1", or
// "surge 1, 1 unavailable".
func rolloutPace(group cty.Value) string {
	ro := attr(group, "rollout")
	out := "surge " + number(attr(ro, "max_surge"))
	if u := number(attr(ro, "max_unavailable")); u != "0" && u != "?" {
		out += ", " + u + " unavailable"
	}
	return out
}

// otherChanges describes a routing update's changes besides its routes
// (the block its kind marks as routing).
func otherChanges(c *plan.Change) string {
	routes := ""
	if s, ok := kinds.Schema(c.Kind); ok && s.Routing != nil {
		routes = s.Routing.Block
	}
	var rest []cty.Path
	for _, p := range c.ChangedPaths {
		if len(p) > 0 {
			if ga, ok := p[0].(cty.GetAttrStep); ok && ga.Name == routes {
				continue
			}
		}
		rest = append(rest, p)
	}
	if len(rest) == 0 {
		return ""
	}
	return "update " + pathList(rest)
}

func touches(paths []cty.Path, names map[string]bool) bool {
	for _, p := range paths {
		if len(p) == 0 {
			continue
		}
		if ga, ok := p[0].(cty.GetAttrStep); ok && names[ga.Name] {
			return true
		}
	}
	return false
}

func number(v cty.Value) string {
	v, _ = v.Unmark()
	if !v.IsKnown() || v.IsNull() || v.Type() != cty.Number {
		return "?"
	}
	return v.AsBigFloat().Text('f', -1)
}
