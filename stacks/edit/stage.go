package edit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/stagecraft/stagecraft/modules"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/stacks"
)

// Request is a stage to add to a stack: what it is called, which stage it
// extends and the stage template it is made from.
type Request struct {
	// Name is the new stage's name.
	Name string
	// Parent is the stage it extends, normally the stack's last.
	Parent string
	// Template is the stage template's name, for messages.
	Template string
	// Source is the stage template's text (modules.Template).
	Source []byte
	// Service is the new service's name, for templates with __SERVICE__.
	Service string
}

// Stage is a rendered stage, ready for Append.
type Stage struct {
	// Block is the formatted stage block, with the comment above it.
	Block []byte
	// Changes has one line per resource block the stage writes, such as
	// "+ cache.sessions" or "~ autoscaling_group.app (env keeps A)".
	Changes []string
}

// Render fills a stage template for a stack and completes it from the
// parent stage, as written in the stack's files, so the new stage adds to
// what it inherits instead of replacing it. The stack's files are not
// changed; Append writes the result.
func Render(st *stacks.Stack, req Request) (*Stage, error) {
	l := newLadder(st)
	values, err := l.templateValues(req)
	if err != nil {
		return nil, err
	}
	return l.render(req, values)
}

// parentPlaceholders are the placeholders filled with a block the parent
// has: a template block labelled with one is merged over the inherited
// block; any other resource block of a template is new.
var parentPlaceholders = map[string]string{
	"GROUP": kinds.AutoscalingGroup,
	"LB":    kinds.LoadBalancer,
}

// templateValues fills the placeholders a template uses.
func (l *ladder) templateValues(req Request) (map[string]string, error) {
	src, parent := req.Source, req.Parent
	addrs := l.addresses(parent)
	values := map[string]string{}
	for _, p := range modules.Placeholders(src) {
		switch p {
		case "NAME":
			values[p] = req.Name
		case "PARENT":
			values[p] = parent
		case "SERVICE":
			values[p] = req.Service
		case "GROUP":
			g := mainResource(addrs, kinds.AutoscalingGroup, "app")
			if g == "" {
				return nil, fmt.Errorf("the %s template works on the parent stage's autoscaling group, and stage %q has none; add one to it first.", req.Template, parent)
			}
			values[p] = g
		case "LB":
			lb := mainResource(addrs, kinds.LoadBalancer, "")
			if lb == "" {
				return nil, fmt.Errorf("the %s template routes traffic on the parent stage's load balancer, and stage %q has none; add a stage with --template load-balancer first.", req.Template, parent)
			}
			values[p] = lb
		default:
			panic(fmt.Sprintf("template %s: no value for placeholder __%s__", req.Template, p)) // our bug: templates and this list go together
		}
	}
	return values, nil
}

// render fills a stage template and completes it from the parent stage:
//
//   - a block merged over an inherited one keeps the parent's env entries
//     (the template's win on the same key) and, on a load balancer, the
//     parent's routes (after the template's; one with the same path is
//     left out), because both would otherwise replace the parent's;
//   - a new autoscaling group copies port, env, health_check, local and
//     aws from the parent's main group where the template leaves them out,
//     so a split-out service runs as the app did until it has its own.
func (l *ladder) render(req Request, values map[string]string) (*Stage, error) {
	src, parent, template := req.Source, req.Parent, req.Template
	// The unfilled template says which blocks are merges: those labelled
	// with a placeholder filled from the parent.
	raw, diags := hclwrite.ParseConfig(src, template+".hcl", hcl.InitialPos)
	if diags.HasErrors() {
		panic(fmt.Sprintf("template %s does not parse: %s", template, diags)) // fixed at build time
	}
	rawStage := onlyStage(raw, template)
	var merges []bool
	for _, rb := range rawStage.Body().Blocks() {
		_, ok := parentPlaceholders[strings.Trim(firstLabel(rb), "_")]
		merges = append(merges, ok && strings.HasPrefix(firstLabel(rb), "__"))
	}

	filled, err := modules.Fill(src, values)
	if err != nil {
		panic(fmt.Sprintf("template %s: %s", template, err)) // templateValues fills every placeholder
	}
	f, _ := hclwrite.ParseConfig(filled, template+".hcl", hcl.InitialPos)
	sb := onlyStage(f, template)
	inherited := l.addresses(parent)
	main := mainResource(inherited, kinds.AutoscalingGroup, "app")
	r := &Stage{}
	for i, rb := range sb.Body().Blocks() {
		if _, ok := kinds.Schema(rb.Type()); !ok {
			continue
		}
		addr := rb.Type() + "." + firstLabel(rb)
		switch {
		case merges[i]:
			notes := l.mergeEnv(rb.Body(), parent, addr)
			notes = append(notes, l.mergeRoutes(rb.Body(), parent, addr)...)
			r.Changes = append(r.Changes, change("~", addr, notes))
		case slices.Contains(inherited, addr):
			return nil, fmt.Errorf("stage %q already has %s, which the %s template adds; extend a stage without it, or rename or remove that block first.", parent, addr, template)
		default:
			var notes []string
			if rb.Type() == kinds.AutoscalingGroup && main != "" {
				notes = l.copyGroup(rb.Body(), parent, kinds.AutoscalingGroup+"."+main)
			}
			r.Changes = append(r.Changes, change("+", addr, notes))
		}
	}
	r.Block = hclwrite.Format(sb.BuildTokens(nil).Bytes())
	return r, nil
}

func change(sign, addr string, notes []string) string {
	if len(notes) == 0 {
		return sign + " " + addr
	}
	return fmt.Sprintf("%s %s (%s)", sign, addr, strings.Join(notes, "; "))
}

// onlyStage returns a template's one stage block.
func onlyStage(f *hclwrite.File, template string) *hclwrite.Block {
	var found *hclwrite.Block
	for _, b := range f.Body().Blocks() {
		if b.Type() == "stage" {
			if found != nil {
				panic("template " + template + " has more than one stage block") // fixed at build time
			}
			found = b
		}
	}
	if found == nil {
		panic("template " + template + " has no stage block") // fixed at build time
	}
	return found
}

func firstLabel(b *hclwrite.Block) string {
	if ls := b.Labels(); len(ls) > 0 {
		return ls[0]
	}
	return ""
}

// mergeEnv puts the parent's env entries into a merged block's env, which
// would otherwise replace them.
func (l *ladder) mergeEnv(body *hclwrite.Body, parent, addr string) []string {
	mine := body.GetAttribute("env")
	if mine == nil {
		return nil
	}
	pb := l.resource(parent, addr, hasAttr("env"))
	if pb == nil {
		return nil
	}
	mineSrc := exprSource(mine.Expr())
	theirSrc := exprSource(pb.GetAttribute("env").Expr())
	mineObj, ok1 := parseObject(mineSrc)
	theirObj, ok2 := parseObject(theirSrc)
	if !ok1 || !ok2 {
		// Not both written as { KEY = value }: merge() keeps the meaning.
		body.SetAttributeRaw("env", rawTokens("merge("+theirSrc+", "+mineSrc+")"))
		return []string{"env merged with the parent's"}
	}
	own := map[string]bool{}
	for _, it := range mineObj.items {
		own[it.key] = true
	}
	var lines, kept []string
	for _, it := range theirObj.items {
		if !own[it.key] {
			lines = append(lines, it.src)
			kept = append(kept, it.key)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	for _, it := range mineObj.items {
		lines = append(lines, it.src)
	}
	body.SetAttributeRaw("env", rawTokens("{\n"+strings.Join(lines, "\n")+"\n}"))
	return []string{"env keeps " + strings.Join(kept, ", ")}
}

// mergeRoutes adds the parent's routes to a merged load balancer that
// writes routes of its own, since those replace all of the parent's.
func (l *ladder) mergeRoutes(body *hclwrite.Body, parent, addr string) []string {
	mine := blocksOfType(body, "route")
	if len(mine) == 0 || !strings.HasPrefix(addr, kinds.LoadBalancer+".") {
		return nil
	}
	pb := l.resource(parent, addr, hasBlocks("route"))
	if pb == nil {
		return nil
	}
	paths := map[string]bool{}
	var added []string
	for _, rb := range mine {
		p, _ := routePath(rb)
		paths[p] = true
		added = append(added, p)
	}
	var kept []string
	for _, rb := range blocksOfType(pb, "route") {
		p, shown := routePath(rb)
		if paths[p] {
			continue
		}
		body.AppendBlock(detachedCopy(rb))
		kept = append(kept, shown)
	}
	if len(kept) == 0 {
		return nil
	}
	return []string{"routes keep " + strings.Join(kept, ", ")}
}

// copyGroup gives a new group the main group's settings it leaves out,
// under a comment that says where they came from.
func (l *ladder) copyGroup(body *hclwrite.Body, parent, from string) []string {
	var attrs []string
	for _, a := range []string{"port", "env"} {
		if body.GetAttribute(a) == nil && l.resource(parent, from, hasAttr(a)) != nil {
			attrs = append(attrs, a)
		}
	}
	var blocks []string
	for _, t := range []string{"health_check", "local", "aws"} {
		if len(blocksOfType(body, t)) == 0 && l.resource(parent, from, hasBlocks(t)) != nil {
			blocks = append(blocks, t)
		}
	}
	copied := append(append([]string(nil), attrs...), blocks...)
	if len(copied) == 0 {
		return nil
	}
	body.AppendNewline()
	body.AppendUnstructuredTokens(hclwrite.Tokens{{Type: hclsyntax.TokenComment,
		Bytes: []byte(fmt.Sprintf("# Copied from %s: the same program runs until you\n", from))},
		{Type: hclsyntax.TokenComment, Bytes: []byte("# give this group its own.\n")}})
	for _, a := range attrs {
		pb := l.resource(parent, from, hasAttr(a))
		body.SetAttributeRaw(a, rawTokens(exprSource(pb.GetAttribute(a).Expr())))
	}
	for _, t := range blocks {
		for _, b := range blocksOfType(l.resource(parent, from, hasBlocks(t)), t) {
			body.AppendBlock(detachedCopy(b))
		}
	}
	return []string{"copies " + strings.Join(copied, ", ") + " from " + from}
}
