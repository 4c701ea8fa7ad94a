package cmd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"
	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/modules"
	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/stacks"
)

// StageAddOptions are the inputs of stage add.
type StageAddOptions struct {
	Deps   *Deps
	Global *GlobalOptions
	// Name is the new stage's name.
	Name string
	// Template names the stage template (modules/templates/NAME.hcl).
	Template string
	// Service names the new service of the split-service template.
	Service string
	// File is the stack file to append to; empty means the file that holds
	// the last stage.
	File string
}

// defaultService is the service split-service splits out without --service.
const defaultService = "orders"

func newStageCmd(deps *Deps, g *GlobalOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "stage",
		Short: "Grow the stage ladder",
		Long: `Work on the stack's stages. stage add appends a new stage, extending the last
one, from a template.`,
	}
	c.AddCommand(newStageAddCmd(deps, g, nil))
	return c
}

func newStageAddCmd(deps *Deps, g *GlobalOptions, runF func(context.Context, *StageAddOptions) error) *cobra.Command {
	opts := &StageAddOptions{Deps: deps, Global: g}
	c := &cobra.Command{
		Use:   "add NAME --template TEMPLATE",
		Short: "Append a stage extending the last one, from a template",
		Long: `Append a stage named NAME to the stack, extending its last stage, from a
template: ` + strings.Join(modules.StageTemplateNames(), ", ") + `.

The stage is appended to the file that holds the last stage (or --file);
everything already in that file is kept byte for byte. What the template
merges over inherited blocks keeps what the parent has: a group's env keeps
the parent's entries, a load balancer's routes keep the parent's routes. A
new service (split-service) starts as a copy of the main group's settings.
The stack is validated afterwards; problems are reported, and the file is
kept as written.`,
		Example: `  stagecraft stage add cached --template cache
  stagecraft stage add payments --template split-service --service payments`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return runStageAdd(c.Context(), opts)
		},
	}
	f := c.Flags()
	f.StringVar(&opts.Template, "template", "", "the stage template: "+strings.Join(modules.StageTemplateNames(), ", "))
	f.StringVar(&opts.Service, "service", "", `the new service's name (split-service; default "`+defaultService+`")`)
	f.StringVar(&opts.File, "file", "", "the stack file to append to (default: the file that holds the last stage)")
	return c
}

func runStageAdd(_ context.Context, opts *StageAddOptions) error {
	deps, g := opts.Deps, opts.Global
	src, err := stageTemplate(opts)
	if err != nil {
		return err
	}
	if !hclsyntax.ValidIdentifier(opts.Name) {
		return userError("%q is not a valid stage name: a name starts with a letter or underscore and has only letters, digits, underscores and dashes.", opts.Name)
	}
	st, abs, err := loadStack(deps, g)
	if err != nil {
		return err
	}
	if _, ok := st.Stage(opts.Name); ok {
		return userError("there is already a stage %q; the stages are %s. Choose another name.", opts.Name, strings.Join(st.StageNames(), ", "))
	}
	if len(st.Stages) == 0 {
		return userError("the stack has no stage to extend; write a first stage block (or start a new stack with stagecraft init --template startup).")
	}
	parent := st.Stages[len(st.Stages)-1]
	file, err := stageFile(abs, parent, opts.File)
	if err != nil {
		return err
	}

	l := newLadder(st)
	values, err := l.templateValues(src, parent.Name, opts)
	if err != nil {
		return err
	}
	r, err := l.render(src, values, parent.Name, opts.Template)
	if err != nil {
		return err
	}
	if err := appendBlock(filepath.Join(abs, file), r.block); err != nil {
		return err
	}

	out := deps.IO.Out
	fmt.Fprintf(out, "Added stage %q to %s, extending %q (template %s):\n", opts.Name, file, parent.Name, opts.Template)
	for _, c := range r.changes {
		fmt.Fprintf(out, "  %s\n", c)
	}

	// The file is written: from here on, problems are reported with the
	// file kept, so the user fixes them where they are.
	after, diags := stacks.Load(g.Dir)
	if after != nil && !diags.HasErrors() {
		// Provider names are init's and validate's business: a stage add
		// reports what the stack's language says about the new stage.
		diags = append(diags, after.Validate(stacks.ValidateRequest{Vars: g.Vars, Getenv: deps.Getenv})...)
	}
	files := map[string]*hcl.File{}
	if after != nil {
		files = after.Files
	}
	printDiags(deps, g, files, diags)
	if diags.HasErrors() {
		return userError("the stage was added to %s, but the stack now has the problems shown above; the file is kept as written: fix them, or delete the stage %q block.", file, opts.Name)
	}
	if names := after.StageNames(); names[len(names)-1] != opts.Name {
		fmt.Fprintf(out, "Note: stages are ordered by file name, so %q is not the last stage of the ladder (%s).\n", opts.Name, strings.Join(names, ", "))
	}
	fmt.Fprintf(out, "\nNext: stagecraft plan%s --stage %s\n", envHint(after, g), opts.Name)
	return nil
}

// stageTemplate checks the template flags and returns the template.
func stageTemplate(opts *StageAddOptions) ([]byte, error) {
	names := strings.Join(modules.StageTemplateNames(), ", ")
	if opts.Template == "" {
		return nil, userError("stage add needs --template: one of %s.", names)
	}
	src, ok := modules.Template(opts.Template)
	if !ok {
		if _, isStack := modules.StackTemplate(opts.Template); isStack {
			return nil, userError("%q is a stack template, for a new stack: stagecraft init --template %s. The stage templates are %s.", opts.Template, opts.Template, names)
		}
		return nil, userError("there is no stage template %q; the templates are %s.", opts.Template, names)
	}
	uses := false
	for _, p := range modules.Placeholders(src) {
		uses = uses || p == "SERVICE"
	}
	switch {
	case opts.Service != "" && !uses:
		return nil, userError("--service only applies to --template split-service.")
	case uses && opts.Service == "":
		opts.Service = defaultService
	}
	if uses && !hclsyntax.ValidIdentifier(opts.Service) {
		return nil, userError("%q is not a valid service name: a name starts with a letter or underscore and has only letters, digits, underscores and dashes.", opts.Service)
	}
	return src, nil
}

// stageFile picks the file to append to, relative to the stack directory:
// the one given, or the one holding the last stage.
func stageFile(abs string, last *stacks.Stage, given string) (string, error) {
	name := filepath.Base(last.DeclRange.Filename)
	if given != "" {
		name = filepath.Clean(given)
		if filepath.IsAbs(name) {
			if rel, err := filepath.Rel(abs, name); err == nil {
				name = rel
			}
		}
		if strings.ContainsRune(name, filepath.Separator) || strings.HasPrefix(name, ".") {
			return "", userError("--file names a stack file in the stack directory, such as stages.hcl; %q is not one (subdirectories and hidden files are not read).", given)
		}
		if !strings.HasSuffix(name, ".hcl") || strings.HasSuffix(name, ".vars.hcl") {
			return "", userError("--file must name an HCL stack file ending in .hcl (not .vars.hcl); got %q.", given)
		}
		return name, nil
	}
	if !strings.HasSuffix(name, ".hcl") {
		return "", userError("the last stage, %q, is in %s, which is not in HCL syntax; choose an .hcl file to append to with --file.", last.Name, name)
	}
	return name, nil
}

// appendBlock appends a block to a stack file, creating the file when it
// does not exist. Everything already in the file is kept byte for byte:
// the file is parsed with hclwrite (to refuse one that does not parse) and
// the new block's tokens are written after its bytes. The file's own
// tokens are not written back through hclwrite, because its output adjusts
// spacing (File.Bytes formats; tokens turn tabs into spaces).
func appendBlock(path string, block []byte) error {
	name := filepath.Base(path)
	src, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		src, err = nil, nil
	}
	if err != nil {
		return userError("cannot read %s: %s.", name, err)
	}
	if _, diags := hclwrite.ParseConfig(src, name, hcl.InitialPos); diags.HasErrors() {
		return userError("cannot append to %s: it does not parse (%s).", name, diags[0].Error())
	}
	add, diags := hclwrite.ParseConfig(block, "template", hcl.InitialPos)
	if diags.HasErrors() {
		panic(fmt.Sprintf("rendered stage does not parse: %s\n%s", diags, block)) // our bug
	}
	tail := add.Body().BuildTokens(nil).Bytes()
	var sep []byte
	if len(bytes.TrimSpace(src)) > 0 {
		switch {
		case bytes.HasSuffix(src, []byte("\n\n")), bytes.HasSuffix(src, []byte("\r\n\r\n")):
		case bytes.HasSuffix(src, []byte("\n")):
			sep = []byte("\n") // a blank line between the last block and the new stage
		default:
			sep = []byte("\n\n")
		}
	}
	if bytes.Contains(src, []byte("\r\n")) {
		// Keep the file's line endings.
		sep = bytes.ReplaceAll(sep, []byte("\n"), []byte("\r\n"))
		tail = bytes.ReplaceAll(tail, []byte("\n"), []byte("\r\n"))
	}
	out := append(append(append([]byte(nil), src...), sep...), tail...)
	if _, diags := hclsyntax.ParseConfig(out, name, hcl.InitialPos); diags.HasErrors() {
		return userError("cannot append to %s: the result would not parse (%s); nothing was written. Append the stage to another file with --file NEW.hcl.", name, diags[0].Error())
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return userError("cannot write %s: %s.", name, err)
	}
	return nil
}

// ladder reads the stages of a loaded stack as hclwrite trees, so a new
// stage can copy what its parent has (routes, env entries, a group's
// settings) as written, comments included. The trees are read-only copies:
// files are changed only by appendBlock.
type ladder struct {
	stack  *stacks.Stack
	blocks map[string]*hclwrite.Block // stage name -> its block
}

func newLadder(st *stacks.Stack) *ladder {
	l := &ladder{stack: st, blocks: map[string]*hclwrite.Block{}}
	parsed := map[string]*hclwrite.File{}
	for _, s := range st.Stages {
		fn := s.DeclRange.Filename
		f, ok := parsed[fn]
		if !ok {
			if hf := st.Files[fn]; hf != nil && strings.HasSuffix(fn, ".hcl") {
				f, _ = hclwrite.ParseConfig(hf.Bytes, fn, hcl.InitialPos)
			}
			parsed[fn] = f
		}
		if f == nil {
			continue // JSON syntax: nothing to copy from it
		}
		for _, b := range f.Body().Blocks() {
			if b.Type() == "stage" && len(b.Labels()) == 1 && b.Labels()[0] == s.Name {
				l.blocks[s.Name] = b
			}
		}
	}
	return l
}

// chain is the stage and its ancestors, nearest first.
func (l *ladder) chain(name string) []*stacks.Stage {
	var out []*stacks.Stage
	seen := map[string]bool{}
	for name != "" && !seen[name] {
		seen[name] = true
		s, ok := l.stack.Stage(name)
		if !ok {
			break
		}
		out = append(out, s)
		name = s.Extends
	}
	return out
}

// addresses lists the resources a stage has, its own and inherited, in the
// order they first appear along the chain.
func (l *ladder) addresses(stage string) []string {
	chain := l.chain(stage)
	var out []string
	for i := len(chain) - 1; i >= 0; i-- {
		s := chain[i]
		for _, rm := range s.Remove {
			for j, a := range out {
				if a == rm {
					out = append(out[:j:j], out[j+1:]...)
					break
				}
			}
		}
		for _, r := range s.Resources {
			if !slices.Contains(out, r.Address()) {
				out = append(out, r.Address())
			}
		}
	}
	return out
}

// resource finds the body of block addr in the nearest stage along the
// chain from stage that writes it with what has looks for: merging makes
// that stage's attribute (or nested blocks of a type) the effective one.
func (l *ladder) resource(stage, addr string, has func(*hclwrite.Body) bool) *hclwrite.Body {
	kind, name, _ := strings.Cut(addr, ".")
	for _, s := range l.chain(stage) {
		if sb := l.blocks[s.Name]; sb != nil {
			for _, rb := range sb.Body().Blocks() {
				if rb.Type() == kind && len(rb.Labels()) == 1 && rb.Labels()[0] == name && has(rb.Body()) {
					return rb.Body()
				}
			}
		}
		if slices.Contains(s.Remove, addr) {
			return nil // dropped here: nothing further up is inherited
		}
	}
	return nil
}

func hasAttr(name string) func(*hclwrite.Body) bool {
	return func(b *hclwrite.Body) bool { return b.GetAttribute(name) != nil }
}

func hasBlocks(typ string) func(*hclwrite.Body) bool {
	return func(b *hclwrite.Body) bool { return len(blocksOfType(b, typ)) > 0 }
}

func blocksOfType(b *hclwrite.Body, typ string) []*hclwrite.Block {
	var out []*hclwrite.Block
	for _, nb := range b.Blocks() {
		if nb.Type() == typ {
			out = append(out, nb)
		}
	}
	return out
}

// parentPlaceholders are the placeholders filled with a block the parent
// has: a template block labelled with one is merged over the inherited
// block; any other resource block of a template is new.
var parentPlaceholders = map[string]string{
	"GROUP": providers.KindAutoscalingGroup,
	"LB":    providers.KindLoadBalancer,
}

// templateValues fills the placeholders a template uses.
func (l *ladder) templateValues(src []byte, parent string, opts *StageAddOptions) (map[string]string, error) {
	addrs := l.addresses(parent)
	values := map[string]string{}
	for _, p := range modules.Placeholders(src) {
		switch p {
		case "NAME":
			values[p] = opts.Name
		case "PARENT":
			values[p] = parent
		case "SERVICE":
			values[p] = opts.Service
		case "GROUP":
			g := mainResource(addrs, providers.KindAutoscalingGroup, "app")
			if g == "" {
				return nil, userError("the %s template works on the parent stage's autoscaling group, and stage %q has none; add one to it first.", opts.Template, parent)
			}
			values[p] = g
		case "LB":
			lb := mainResource(addrs, providers.KindLoadBalancer, "")
			if lb == "" {
				return nil, userError("the %s template routes traffic on the parent stage's load balancer, and stage %q has none; add a stage with --template load-balancer first.", opts.Template, parent)
			}
			values[p] = lb
		default:
			panic(fmt.Sprintf("template %s: no value for placeholder __%s__", opts.Template, p)) // our bug: templates and this list go together
		}
	}
	return values, nil
}

// mainResource picks the resource of a kind a template works on: the one
// named prefer, or else the first.
func mainResource(addrs []string, kind, prefer string) string {
	first := ""
	for _, a := range addrs {
		k, n, _ := strings.Cut(a, ".")
		if k != kind {
			continue
		}
		if n == prefer {
			return n
		}
		if first == "" {
			first = n
		}
	}
	return first
}

// rendered is a stage ready to append.
type rendered struct {
	block   []byte   // the formatted stage block, with the comment above it
	changes []string // one line per resource block: "+ cache.sessions"
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
func (l *ladder) render(src []byte, values map[string]string, parent, template string) (*rendered, error) {
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
	main := mainResource(inherited, providers.KindAutoscalingGroup, "app")
	r := &rendered{}
	for i, rb := range sb.Body().Blocks() {
		if _, ok := providers.KindSchema(rb.Type()); !ok {
			continue
		}
		addr := rb.Type() + "." + firstLabel(rb)
		switch {
		case merges[i]:
			notes := l.mergeEnv(rb.Body(), parent, addr)
			notes = append(notes, l.mergeRoutes(rb.Body(), parent, addr)...)
			r.changes = append(r.changes, change("~", addr, notes))
		case slices.Contains(inherited, addr):
			return nil, userError("stage %q already has %s, which the %s template adds; extend a stage without it, or rename or remove that block first.", parent, addr, template)
		default:
			var notes []string
			if rb.Type() == providers.KindAutoscalingGroup && main != "" {
				notes = l.copyGroup(rb.Body(), parent, providers.KindAutoscalingGroup+"."+main)
			}
			r.changes = append(r.changes, change("+", addr, notes))
		}
	}
	r.block = hclwrite.Format(sb.BuildTokens(nil).Bytes())
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
	if len(mine) == 0 || !strings.HasPrefix(addr, providers.KindLoadBalancer+".") {
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

// exprSource is an expression's text as written.
func exprSource(e *hclwrite.Expression) string {
	return strings.TrimSpace(string(e.BuildTokens(nil).Bytes()))
}

// rawTokens lexes an expression into tokens for SetAttributeRaw.
func rawTokens(expr string) hclwrite.Tokens {
	f, diags := hclwrite.ParseConfig([]byte("x = "+expr+"\n"), "expr", hcl.InitialPos)
	if diags.HasErrors() {
		panic(fmt.Sprintf("built expression does not parse: %s\n%s", diags, expr)) // our bug
	}
	return f.Body().GetAttribute("x").Expr().BuildTokens(nil)
}

// detachedCopy copies a block (with its comments) into a tree of its own,
// so it can be appended elsewhere without touching the original.
func detachedCopy(b *hclwrite.Block) *hclwrite.Block {
	f, diags := hclwrite.ParseConfig(b.BuildTokens(nil).Bytes(), "block", hcl.InitialPos)
	if diags.HasErrors() {
		panic(fmt.Sprintf("copied block does not parse: %s", diags)) // it parsed as part of its file
	}
	nb := f.Body().Blocks()[0]
	f.Body().RemoveBlock(nb)
	return nb
}

// object is an object constructor's items as written.
type object struct {
	items []objectItem
}

type objectItem struct {
	key string // the key's value, or its text when not a constant
	src string // "KEY = value" as written
}

// parseObject reads { KEY = value, ... } written as an object constructor.
func parseObject(src string) (*object, bool) {
	expr, diags := hclsyntax.ParseExpression([]byte(src), "env", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, false
	}
	oc, ok := expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return nil, false
	}
	text := func(r hcl.Range) string { return src[r.Start.Byte:r.End.Byte] }
	out := &object{}
	for _, it := range oc.Items {
		key := text(it.KeyExpr.Range())
		if v, d := it.KeyExpr.Value(nil); !d.HasErrors() && v.IsKnown() && !v.IsNull() && v.Type() == cty.String {
			key = v.AsString()
		}
		out.items = append(out.items, objectItem{key: key, src: text(it.KeyExpr.Range()) + " = " + text(it.ValueExpr.Range())})
	}
	return out, true
}

// routePath is a route's path, normalised ("/orders/*" and "/orders/" are
// the same path), and as written for messages.
func routePath(b *hclwrite.Block) (norm, shown string) {
	a := b.Body().GetAttribute("path")
	if a == nil {
		return "/", "/"
	}
	src := exprSource(a.Expr())
	expr, diags := hclsyntax.ParseExpression([]byte(src), "path", hcl.InitialPos)
	if diags.HasErrors() {
		return src, src
	}
	v, d := expr.Value(nil)
	if d.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
		return src, src
	}
	return strings.TrimSuffix(v.AsString(), "*"), v.AsString()
}
