package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/stagecraft/stagecraft/planner/plan"
)

// PlanText writes a plan the way Terraform users know it: what changed
// outside Stagecraft, then each resource change as a block with + ~ -
// symbols and the attributes that differ, the one-line summary, the
// changes to outputs, and the plan's warnings and refusals.
func PlanText(w io.Writer, p *plan.Plan, o Options) error {
	t := &textPlan{p: p, st: styler{on: o.Color}, width: o.width(), refused: refusedSet(p), maxChanges: o.MaxChanges}
	// The sections in reading order, as Terraform prints them: drift
	// first, because it explains changes the actions then undo; the
	// summary right after the actions it counts; warnings and refusals
	// last, where the eye lands when the output stops.
	sections := []func() string{
		t.drift,
		t.actions,
		t.summary,
		t.steps,
		t.outputs,
		t.pending,
		t.notes,
		t.warnings,
		t.refusals,
	}
	var parts []string
	for _, s := range sections {
		if text := s(); text != "" {
			parts = append(parts, text)
		}
	}
	_, err := io.WriteString(w, strings.Join(parts, "\n"))
	return err
}

// steps lists the migration in the order apply carries it out, when it
// has more than one step or moves traffic.
func (t *textPlan) steps() string {
	if !showSteps(t.p) {
		return ""
	}
	var b strings.Builder
	b.WriteString(t.st.bold(stepsTitle(t.p)) + "\n")
	steps, left := t.limit(len(t.p.Steps))
	for i, s := range t.p.Steps[:steps] {
		lines := wrapWords(s.Description, t.width-6)
		for j, l := range lines {
			if j == 0 {
				b.WriteString(padLeft(strconv.Itoa(i+1)+".", 4) + " " + l + "\n")
			} else {
				b.WriteString("     " + l + "\n")
			}
		}
	}
	if left > 0 {
		b.WriteString("\n" + t.para(fmt.Sprintf("... and %d more steps, not shown here. %s", left, seeAll)))
	}
	return b.String()
}

// seeAll says how to get a plan that was cut short on a terminal in full.
const seeAll = "To see the whole plan, save it with `stagecraft plan -out FILE` and read it with `stagecraft show FILE`, or print it with `-o json`."

// limit returns how many of n changes or steps to show, and how many are
// left out (see Options.MaxChanges).
func (t *textPlan) limit(n int) (shown, left int) {
	if t.maxChanges > 0 && n > t.maxChanges {
		return t.maxChanges, n - t.maxChanges
	}
	return n, 0
}

// showSteps: a single create, or a plan of only creates (a first apply),
// reads well enough from the resource list.
func showSteps(p *plan.Plan) bool {
	if len(p.Steps) < 2 {
		for _, s := range p.Steps {
			if s.Action == "shift" || s.Action == "roll" || s.Action == "resize" {
				return true
			}
		}
		return false
	}
	for _, s := range p.Steps {
		if s.Action != "create" {
			return true
		}
	}
	return false
}

func stepsTitle(p *plan.Plan) string {
	if p.AppliedStage != "" && p.TargetStage != "" && p.AppliedStage != p.TargetStage {
		return "Migration from stage " + strconv.Quote(p.AppliedStage) + " to " + strconv.Quote(p.TargetStage) + ", in order:"
	}
	return "Steps, in order:"
}

func padLeft(s string, n int) string {
	for len(s) < n {
		s = " " + s
	}
	return s
}

// textPlan renders the sections of one plan.
type textPlan struct {
	p       *plan.Plan
	st      styler
	width   int
	refused map[refusal]bool
	// maxChanges is Options.MaxChanges.
	maxChanges int
}

// para wraps a paragraph of prose at the width.
func (t *textPlan) para(text string) string {
	return strings.Join(wrapWords(text, t.width), "\n") + "\n"
}

// comment writes a "  # " comment, wrapped, styled by style.
func (t *textPlan) comment(text string, style func(string) string) string {
	var b strings.Builder
	for _, l := range wrapWords(text, t.width-4) {
		b.WriteString("  # " + style(l) + "\n")
	}
	return b.String()
}

// view writes one change or drift view.
func (t *textPlan) view(b *strings.Builder, v changeView) {
	// The header stays on one line however long, so that it can be found
	// with grep.
	b.WriteString("  # " + t.st.bold(v.header) + "\n")
	for _, n := range v.notes {
		b.WriteString(t.comment(n, func(s string) string { return s }))
	}
	renderLines(b, v.lines, t.st)
}

func (t *textPlan) drift() string {
	if len(t.p.Drift) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(t.st.bold("Note: Objects have changed outside of Stagecraft") + "\n\n")
	b.WriteString(t.para("Stagecraft found these changes made outside of Stagecraft since the last apply:"))
	for _, d := range t.p.Drift {
		b.WriteString("\n")
		c, _ := t.p.Change(d.Address)
		t.view(&b, viewDrift(d, kindOf(d.Address, c), c))
	}
	b.WriteString("\n")
	b.WriteString(t.para("Unless you make the same changes in the stack, or ignore the attributes with lifecycle { ignore_changes }, the plan undoes them."))
	b.WriteString("\n" + strings.Repeat("─", t.width) + "\n")
	return b.String()
}

// legend lists the symbols the plan uses, in Terraform's words.
func (t *textPlan) legend(changes []*plan.Change) string {
	used := map[string]bool{}
	for _, c := range changes {
		used[symbolOf(c)] = true
	}
	var b strings.Builder
	b.WriteString("Resource actions are indicated with the following symbols:\n")
	for _, s := range []struct{ sym, text string }{
		{"+", "create"},
		{"~", "update in-place"},
		{"-", "destroy"},
		{"+/-", "create replacement and then destroy"},
		{"-/+", "destroy and then create replacement"},
	} {
		if used[s.sym] {
			b.WriteString(strings.Repeat(" ", 3-len(s.sym)) + t.st.symbol(s.sym) + " " + s.text + "\n")
		}
	}
	return b.String()
}

// title is the sentence that introduces the actions.
func title(p *plan.Plan) string {
	env := "environment " + strconv.Quote(p.Environment)
	switch {
	case p.Destroy && p.AppliedStage != "":
		return "Stagecraft will perform the following actions to destroy " + env + " (at stage " + strconv.Quote(p.AppliedStage) + "):"
	case p.Destroy:
		return "Stagecraft will perform the following actions to destroy " + env + ":"
	case len(p.Targets) > 0:
		return "Stagecraft will perform the following actions in " + env + ", limited to " + strings.Join(p.Targets, ", ") + ":"
	case p.AppliedStage == "":
		return "Stagecraft will perform the following actions to bring " + env + " to stage " + strconv.Quote(p.TargetStage) + ":"
	case p.AppliedStage == p.TargetStage:
		return "Stagecraft will perform the following actions to bring " + env + " back in line with stage " + strconv.Quote(p.TargetStage) + ":"
	}
	return "Stagecraft will perform the following actions to move " + env + " from stage " + strconv.Quote(p.AppliedStage) + " to stage " + strconv.Quote(p.TargetStage) + ":"
}

// noChanges is the message of a plan that changes nothing.
func noChanges(p *plan.Plan) string {
	if p.Destroy {
		return "No changes. Environment " + strconv.Quote(p.Environment) + " has nothing to destroy."
	}
	return "No changes. Environment " + strconv.Quote(p.Environment) + " matches stage " + strconv.Quote(p.TargetStage) + "."
}

// shownChanges lists the changes the actions section shows.
func shownChanges(p *plan.Plan) []*plan.Change {
	var out []*plan.Change
	for _, c := range p.Changes {
		if shown(c) {
			out = append(out, c)
		}
	}
	return out
}

func (t *textPlan) actions() string {
	changes := shownChanges(t.p)
	if len(changes) == 0 {
		if t.p.HasChanges() {
			return ""
		}
		return t.st.bold(noChanges(t.p)) + "\n\n" +
			t.para("Stagecraft compared what is running with the stack and found no differences, so no changes are needed.")
	}
	var b strings.Builder
	b.WriteString(t.legend(changes) + "\n")
	b.WriteString(t.para(title(t.p)))
	n, left := t.limit(len(changes))
	for _, c := range changes[:n] {
		b.WriteString("\n")
		t.view(&b, viewChange(c, isRefused(t.refused, c)))
	}
	if left > 0 {
		b.WriteString("\n" + t.para(fmt.Sprintf("... and %d more resource changes, not shown here (%d in all; the summary below counts them all). %s", left, len(changes), seeAll)))
	}
	return b.String()
}

func (t *textPlan) summary() string {
	if len(shownChanges(t.p)) == 0 && !t.p.HasChanges() {
		return ""
	}
	s := Summary(t.p)
	if rest, ok := strings.CutPrefix(s, "Plan:"); ok {
		return t.st.bold("Plan:") + rest + "\n"
	}
	return t.para(s)
}

func (t *textPlan) outputs() string {
	lines := outputLines(t.p.Outputs)
	if len(lines) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(t.st.bold("Changes to Outputs:") + "\n")
	renderLines(&b, lines, t.st)
	return b.String()
}

// pending lists the deletions an earlier apply left to the provider and
// that are not finished yet: no changes, but the user should know.
func (t *textPlan) pending() string {
	if len(t.p.PendingDeletions) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(t.st.bold("Pending deletions:") + "\n")
	for _, d := range t.p.PendingDeletions {
		// One line however long, so that it can be found with grep.
		b.WriteString("  " + d.Describe() + "\n")
	}
	b.WriteString("\n" + t.para("The provider is still deleting these; nothing waits for them. The next plan checks again, and removes their records once they are gone."))
	return b.String()
}

func (t *textPlan) notes() string {
	if len(t.p.Targets) == 0 {
		return ""
	}
	return t.para("Note: the plan is limited to " + strings.Join(t.p.Targets, ", ") +
		" and what they depend on. The environment's stage is recorded only when a plan without targets is applied.")
}

func (t *textPlan) warnings() string {
	var b strings.Builder
	for _, w := range t.p.Warnings {
		b.WriteString(t.box("Warning", t.st.yellow, w, ""))
	}
	return b.String()
}

func (t *textPlan) refusals() string {
	if len(t.p.Refused) == 0 {
		return ""
	}
	var b strings.Builder
	for _, r := range t.p.Refused {
		b.WriteString(t.box("Error", t.st.red, "Refused to "+actionVerb(r.Action)+" "+r.Address.String(), r.Reason))
	}
	b.WriteString("\n" + t.para("The plan cannot be applied while it refuses changes. Give the consent each error asks for, or change the stack, and plan again."))
	return b.String()
}

// box draws a diagnostic the way Terraform does, with a bar down its left
// side: a summary after "Warning:" or "Error:", then the detail.
func (t *textPlan) box(kind string, color func(string) string, summary, detail string) string {
	bar := color("│")
	var b strings.Builder
	b.WriteString(color("╷") + "\n")
	for i, l := range wrapWords(kind+": "+summary, t.width-2) {
		if i == 0 {
			l = t.st.bold(color(kind+":")) + strings.TrimPrefix(l, kind+":")
		}
		b.WriteString(bar + " " + l + "\n")
	}
	if detail != "" {
		b.WriteString(bar + "\n")
		for _, l := range wrapWords(detail, t.width-2) {
			b.WriteString(strings.TrimRight(bar+" "+l, " ") + "\n")
		}
	}
	b.WriteString(color("╵") + "\n")
	return b.String()
}
