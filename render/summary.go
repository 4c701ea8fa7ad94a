package render

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// Summary is the plan in one line, the line Terraform users look for:
// "Plan: 2 to create, 1 to update, 1 to replace, 0 to destroy." Replacements
// are counted on their own, not as a create and a destroy. A plan that
// changes nothing says so: `No changes. The environment matches stage
// "cached".`
func Summary(p *plan.Plan) string {
	c := p.Counts()
	if c[plan.ActionCreate]+c[plan.ActionUpdate]+c[plan.ActionReplace]+c[plan.ActionDelete] > 0 {
		return fmt.Sprintf("Plan: %d to create, %d to update, %d to replace, %d to destroy.",
			c[plan.ActionCreate], c[plan.ActionUpdate], c[plan.ActionReplace], c[plan.ActionDelete])
	}
	if !p.HasChanges() && adoptedNoOps(p) == 0 {
		if p.Destroy {
			return "No changes. There is nothing to destroy."
		}
		return "No changes. The environment matches stage " + strconv.Quote(p.TargetStage) + "."
	}
	return "No resource changes. Applying records " + recordedParts(p) + "."
}

// recordedParts says what applying a plan without resource changes still
// writes to the state: the new stage and the changed outputs.
func recordedParts(p *plan.Plan) string {
	var parts []string
	if !p.Destroy && p.AppliedStage != p.TargetStage {
		parts = append(parts, "stage "+strconv.Quote(p.TargetStage))
	}
	if n := adoptedNoOps(p); n > 0 {
		parts = append(parts, plural(n, "adopted resource"))
	}
	if n := changedOutputs(p); n > 0 {
		parts = append(parts, plural(n, "changed output"))
	}
	if len(parts) == 0 {
		return "nothing new"
	}
	return strings.Join(parts, " and ")
}

// adoptedNoOps counts resources an interrupted apply created that the plan
// adopts without changing them: applying records them in the state.
func adoptedNoOps(p *plan.Plan) int {
	n := 0
	for _, c := range p.Changes {
		if c.Adopted && c.Action == plan.ActionNoOp {
			n++
		}
	}
	return n
}

func changedOutputs(p *plan.Plan) int {
	n := 0
	for _, o := range p.Outputs {
		if o.Action != plan.ActionNoOp {
			n++
		}
	}
	return n
}

// refusal is what a plan refuses: an action on an address.
type refusal struct {
	address addrs.Instance
	action  plan.Action
}

// refusedSet indexes a plan's refusals by address and action.
func refusedSet(p *plan.Plan) map[refusal]bool {
	m := map[refusal]bool{}
	for _, r := range p.Refused {
		m[refusal{r.Address, r.Action}] = true
	}
	return m
}

func isRefused(set map[refusal]bool, c *plan.Change) bool {
	return !c.Deposed && set[refusal{c.Address, c.Action}]
}

// actionVerb names an action the way people say it: create, update,
// replace, destroy.
func actionVerb(a plan.Action) string {
	switch a {
	case plan.ActionDelete:
		return "destroy"
	case plan.ActionReplace:
		return "replace"
	case plan.ActionUpdate:
		return "update"
	case plan.ActionCreate:
		return "create"
	}
	return string(a)
}
