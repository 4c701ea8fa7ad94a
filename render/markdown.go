package render

import (
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"

	"github.com/stagecraft/stagecraft/planner/plan"
)

// GitHub refuses comments longer than 65536 characters. The budgets keep a
// rendered plan well under it whatever its size: the details of changes
// stop at commentBudget, and the parts above them have their own caps.
const (
	commentBudget  = 60000
	diagramBudget  = 20000
	warningsBudget = 8000
)

// PlanMarkdown writes a plan as a pull-request comment: a title with the
// environment and stages, a table of the counts, warnings (data loss,
// drift, refusals) as blockquotes, a Mermaid diagram of the target
// architecture with the changed resources highlighted, and one collapsible
// section per change holding its diff. It never contains a sensitive
// value, and it stays under GitHub's comment limit: past about 60000
// characters, the remaining changes are counted instead of shown.
// Options are accepted for symmetry with PlanText; Markdown has no
// colours and GitHub wraps its own lines.
func PlanMarkdown(w io.Writer, p *plan.Plan, o Options) error {
	_ = o
	var b strings.Builder
	b.WriteString(markdownTitle(p) + "\n\n")
	changes := shownChanges(p)
	if len(changes) == 0 && !p.HasChanges() {
		b.WriteString("**No changes.** " + noChangesDetail(p) + "\n")
		b.WriteString(markdownWarnings(p))
		b.WriteString(markdownDetails(p, nil, commentBudget-b.Len()))
		_, err := io.WriteString(w, b.String())
		return err
	}
	b.WriteString("**" + Summary(p) + "**\n\n")
	if len(changes) > 0 {
		b.WriteString(markdownTable(p))
	}
	b.WriteString(markdownWarnings(p))
	b.WriteString(markdownSteps(p))
	if len(changes) > 0 {
		b.WriteString(markdownDiagram(p))
	}
	b.WriteString(markdownDetails(p, changes, commentBudget-b.Len()))
	_, err := io.WriteString(w, b.String())
	return err
}

// markdownSteps is the migration as a numbered list.
func markdownSteps(p *plan.Plan) string {
	if !showSteps(p) {
		return ""
	}
	var b strings.Builder
	b.WriteString("**" + escapeMarkdown(stepsTitle(p)) + "**\n\n")
	for i, st := range p.Steps {
		b.WriteString(strconv.Itoa(i+1) + ". " + escapeMarkdown(st.Description) + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

// noChangesDetail is the no-changes sentence after its bold start.
func noChangesDetail(p *plan.Plan) string {
	if p.Destroy {
		return "Environment " + code(p.Environment) + " has nothing to destroy."
	}
	return "Environment " + code(p.Environment) + " matches stage " + code(p.TargetStage) + "."
}

func markdownTitle(p *plan.Plan) string {
	t := "### Stagecraft plan for " + code(p.Environment)
	switch {
	case p.Destroy:
		t = "### Stagecraft plan: destroy " + code(p.Environment)
	case p.AppliedStage == "":
		t += ": new → " + code(p.TargetStage)
	case p.AppliedStage == p.TargetStage:
		t += " at " + code(p.TargetStage)
	default:
		t += ": " + code(p.AppliedStage) + " → " + code(p.TargetStage)
	}
	if len(p.Targets) > 0 {
		var ts []string
		for _, target := range p.Targets {
			ts = append(ts, code(target))
		}
		t += " (limited to " + strings.Join(ts, ", ") + ")"
	}
	return t
}

// markdownTable counts the changes by action, with the colours the
// diagram gives them.
func markdownTable(p *plan.Plan) string {
	c := p.Counts()
	var b strings.Builder
	b.WriteString("| Action | Resources |\n|:--|--:|\n")
	for _, row := range []struct {
		label string
		a     plan.Action
	}{
		{"🟢 Create", plan.ActionCreate},
		{"🟡 Update in place", plan.ActionUpdate},
		{"🟠 Replace", plan.ActionReplace},
		{"🔴 Destroy", plan.ActionDelete},
	} {
		fmt.Fprintf(&b, "| %s | %d |\n", row.label, c[row.a])
	}
	return b.String() + "\n"
}

// markdownWarnings lists what a reviewer must not miss, one blockquote
// each: refusals, data loss, drift and the plan's warnings.
func markdownWarnings(p *plan.Plan) string {
	var items []string
	for _, r := range p.Refused {
		items = append(items, "**Refused to "+actionVerb(r.Action)+" "+code(r.Address.String())+".** "+escapeMarkdown(r.Reason)+" This plan cannot be applied.")
	}
	refused := refusedSet(p)
	for _, c := range p.Changes {
		if !c.DataLoss || isRefused(refused, c) {
			// A refused change has its blockquote already.
			continue
		}
		consent := "no consent given"
		switch c.Consent {
		case plan.ConsentStack:
			consent = "consent: `lifecycle.allow_data_loss`"
		case plan.ConsentFlag:
			consent = "consent: `--allow-data-loss`"
		case "":
		default:
			consent = "consent: " + escapeMarkdown(string(c.Consent))
		}
		doing := "Destroying"
		if c.Action == plan.ActionReplace {
			doing = "Replacing"
		}
		items = append(items, "**Data loss:** "+doing+" "+code(c.Address.String())+" destroys the data it holds ("+consent+").")
	}
	for _, d := range p.Drift {
		if d.Gone {
			items = append(items, "**Drift:** "+code(d.Address.String())+" was deleted outside Stagecraft.")
			continue
		}
		var paths []string
		for _, path := range d.Paths {
			paths = append(paths, code(plan.PathString(path)))
		}
		what := ""
		if len(paths) > 0 {
			what = ": " + strings.Join(paths, ", ")
		}
		items = append(items, "**Drift:** "+code(d.Address.String())+" changed outside Stagecraft"+what+".")
	}
	for _, d := range p.PendingDeletions {
		items = append(items, "**Deletion pending:** "+code(d.Address.String())+" "+escapeMarkdown(strings.TrimPrefix(d.Describe(), d.Address.String()+": "))+"; the next plan checks again.")
	}
	for _, w := range p.Warnings {
		items = append(items, escapeMarkdown(w))
	}
	var b strings.Builder
	for i, it := range items {
		q := "> ⚠️ " + it + "\n\n"
		if b.Len()+len(q) > warningsBudget {
			fmt.Fprintf(&b, "> ⚠️ %s not shown; see the job log.\n\n", plural(len(items)-i, "more warning"))
			break
		}
		b.WriteString(q)
	}
	return b.String()
}

// markdownDiagram draws the target architecture, or says why it does not.
func markdownDiagram(p *plan.Plan) string {
	m := Mermaid(p)
	if len(m) > diagramBudget {
		return fmt.Sprintf("_The diagram has %s, too many to draw here; `stagecraft graph` draws it._\n\n", plural(len(graphNodes(p)), "resource"))
	}
	return "```mermaid\n" + m + "```\n\n"
}

// markdownDetails writes one collapsible section per drifted resource, per
// change and for the outputs, as long as they fit in budget.
func markdownDetails(p *plan.Plan, changes []*plan.Change, budget int) string {
	refused := refusedSet(p)
	type section struct{ summary, body string }
	var sections []section
	for _, d := range p.Drift {
		c, _ := p.Change(d.Address)
		v := viewDrift(d, kindOf(d.Address, c), c)
		sections = append(sections, section{summarize(v.header, d.Address.String()) + " outside Stagecraft", diffBody(v)})
	}
	for _, c := range changes {
		v := viewChange(c, isRefused(refused, c))
		sections = append(sections, section{summarize(v.header, c.Address.String()), diffBody(v)})
	}
	if lines := outputLines(p.Outputs); len(lines) > 0 {
		var b strings.Builder
		renderLines(&b, lines, styler{})
		sections = append(sections, section{"Changes to outputs", githubDiff(b.String())})
	}
	if len(sections) == 0 {
		return ""
	}
	// Room for the note that says how many sections were left out.
	const noteRoom = 200
	var b strings.Builder
	for i, s := range sections {
		text := "<details><summary>" + s.summary + "</summary>\n\n" + fence("diff", s.body) + "\n</details>\n\n"
		if b.Len()+len(text) > budget-noteRoom {
			fmt.Fprintf(&b, "_%s not shown; see the job log._\n", plural(len(sections)-i, "more resource"))
			break
		}
		b.WriteString(text)
	}
	return b.String()
}

// summarize writes a view's header for a <summary>, its address as code.
func summarize(header, address string) string {
	rest, ok := strings.CutPrefix(header, address)
	if !ok {
		return html.EscapeString(header)
	}
	return "<code>" + html.EscapeString(address) + "</code>" + html.EscapeString(rest)
}

// diffBody is a view's notes and block, in the form GitHub colours.
func diffBody(v changeView) string {
	var b strings.Builder
	for _, n := range v.notes {
		b.WriteString("# " + n + "\n")
	}
	renderLines(&b, v.lines, styler{})
	return githubDiff(b.String())
}

// githubDiff moves each line's action symbol to the first column, where a
// ```diff block looks for it: + shows green, - red, and ~ (which GitHub
// does not colour) becomes !, which it shows as changed. Columns stay
// where they were.
func githubDiff(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		trimmed := strings.TrimLeft(l, " ")
		indent := len(l) - len(trimmed)
		if indent == 0 || len(trimmed) < 2 || trimmed[1] != ' ' {
			continue
		}
		switch trimmed[0] {
		case '+', '-':
			lines[i] = trimmed[:1] + strings.Repeat(" ", indent) + trimmed[1:]
		case '~':
			lines[i] = "!" + strings.Repeat(" ", indent) + trimmed[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// fence wraps text in a code fence longer than any run of backticks in
// it, so no value can end the block early.
func fence(lang, text string) string {
	longest, run := 0, 0
	for _, r := range text {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	f := strings.Repeat("`", max(3, longest+1))
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	return f + lang + "\n" + text + f + "\n"
}

// code writes s as inline code, with a fence of backticks it does not
// contain.
func code(s string) string {
	f := "`"
	for strings.Contains(s, f) {
		f += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return f + " " + s + " " + f
	}
	return f + s + f
}

// escapeMarkdown keeps text from the plan (reasons, warnings) from being
// read as Markdown or HTML.
func escapeMarkdown(s string) string {
	r := strings.NewReplacer(
		`\`, `\\`, "`", "\\`", "*", `\*`, "[", `\[`, "]", `\]`,
		"<", "&lt;", ">", "&gt;", "|", `\|`,
	)
	return r.Replace(s)
}
