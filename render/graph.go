package render

import (
	"fmt"
	"strings"

	"github.com/stagecraft/stagecraft/planner/plan"
	"github.com/stagecraft/stagecraft/providers/kinds"
	"github.com/stagecraft/stagecraft/stacks/addrs"
)

// graphNode is one resource of the target architecture.
type graphNode struct {
	id      string // the node's identifier in the diagram source
	address addrs.Instance
	kind    string
	action  plan.Action
	// module is the module path ("module.web"), empty at the root.
	module string
}

// graphNodes lists the resources a diagram draws: every resource of the
// plan except deposed objects (old copies of resources drawn already).
// Resources being destroyed are drawn too, dashed, so a reviewer sees what
// leaves the architecture.
func graphNodes(p *plan.Plan) []graphNode {
	var nodes []graphNode
	used := map[string]bool{}
	for _, c := range p.Changes {
		if c.Deposed {
			continue
		}
		n := graphNode{address: c.Address, kind: c.Kind, action: c.Action}
		n.module = c.Address.Module.String()
		n.id = nodeID(c.Address.String(), used)
		nodes = append(nodes, n)
	}
	return nodes
}

// nodeID makes an identifier both Mermaid and dot accept from an address,
// unique among those used already.
func nodeID(address string, used map[string]bool) string {
	var b strings.Builder
	b.WriteString("r_")
	for _, r := range address {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	id := b.String()
	for n := 2; used[id]; n++ {
		id = fmt.Sprintf("%s_%d", b.String(), n)
	}
	used[id] = true
	return id
}

// graphEdge is a dependency: from depends on to.
type graphEdge struct {
	from, to graphNode
}

// deletes reports whether the edge touches a resource being deleted; both
// formats draw such an edge dashed.
func (e graphEdge) deletes() bool {
	return e.from.action == plan.ActionDelete || e.to.action == plan.ActionDelete
}

// graphEdges lists the dependencies between drawn resources, from
// Change.DependsOn.
func graphEdges(p *plan.Plan, nodes []graphNode) []graphEdge {
	byAddr := map[addrs.Instance]graphNode{}
	byBlock := map[addrs.Instance][]graphNode{} // a dependency on a whole block (addrs.Instance.Contains)
	for _, n := range nodes {
		byAddr[n.address] = n
		if !n.address.Key.IsNone() {
			byBlock[n.address.Block()] = append(byBlock[n.address.Block()], n)
		}
	}
	var edges []graphEdge
	for _, c := range p.Changes {
		from, ok := byAddr[c.Address]
		if c.Deposed || !ok {
			continue
		}
		for _, dep := range c.DependsOn {
			if to, ok := byAddr[dep]; ok {
				edges = append(edges, graphEdge{from: from, to: to})
			}
			for _, to := range byBlock[dep] {
				edges = append(edges, graphEdge{from: from, to: to})
			}
		}
	}
	return edges
}

// groups orders nodes for drawing: root resources first, then one group
// per module in the order modules first appear.
func groups(nodes []graphNode) (root []graphNode, modules []string, byModule map[string][]graphNode) {
	byModule = map[string][]graphNode{}
	for _, n := range nodes {
		if n.module == "" {
			root = append(root, n)
			continue
		}
		if _, seen := byModule[n.module]; !seen {
			modules = append(modules, n.module)
		}
		byModule[n.module] = append(byModule[n.module], n)
	}
	return root, modules, byModule
}

// writeGrouped writes nodes in the order groups gives: root resources at
// the top level, then each module's inside a subgraph that the format
// opens with openGroup and closes with closeGroup.
func writeGrouped(b *strings.Builder, nodes []graphNode, writeNode func(n graphNode, indent string), openGroup func(i int, module string) string, closeGroup string) {
	root, modules, byModule := groups(nodes)
	for _, n := range root {
		writeNode(n, "  ")
	}
	for i, m := range modules {
		b.WriteString(openGroup(i, m))
		for _, n := range byModule[m] {
			writeNode(n, "    ")
		}
		b.WriteString(closeGroup)
	}
}

// dataBearing reports whether a kind holds data, drawn as a cylinder.
func dataBearing(kind string) bool {
	s, ok := kinds.Schema(kind)
	return ok && s.DataBearing
}

// actionStyle is how a diagram colours a change: GitHub's green, yellow,
// orange and red, destroyed resources dashed.
type actionStyle struct {
	class, fill, stroke string
	dashed              bool
}

var actionStyles = map[plan.Action]actionStyle{plan.ActionCreate: {class: "create", fill: "#dafbe1", stroke: "#1a7f37"}, plan.ActionUpdate: {class: "update", fill: "#fff8c5", stroke: "#9a6700"}, plan.ActionReplace: {class: "replace", fill: "#ffe7d1", stroke: "#bc4c00"}, plan.ActionDelete: {class: "delete", fill: "#ffebe9", stroke: "#cf222e", dashed: true}}

// The actions in the order the diagrams define their styles.
var styledActions = []plan.Action{plan.ActionCreate, plan.ActionUpdate, plan.ActionReplace, plan.ActionDelete}

// nodeLabel is a node's text: the address, and the action when there is
// one, so the diagram reads without colour too.
func nodeLabel(n graphNode) (address, action string) {
	if n.action == plan.ActionNoOp {
		return n.address.String(), ""
	}
	return n.address.String(), "(" + actionVerb(n.action) + ")"
}

// Mermaid draws the plan's target architecture as a Mermaid flowchart:
// one node per resource, an arrow from each resource to what it depends
// on, modules as subgraphs, and changed resources coloured by action
// (create green, update yellow, replace orange); resources being
// destroyed are drawn dashed and red.
func Mermaid(p *plan.Plan) string {
	nodes := graphNodes(p)
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	writeNode := func(n graphNode, indent string) {
		addr, action := nodeLabel(n)
		label := mermaidText(addr)
		if action != "" {
			label += "<br/>" + mermaidText(action)
		}
		open, close := "(", ")"
		if dataBearing(n.kind) {
			open, close = "[(", ")]"
		}
		fmt.Fprintf(&b, "%s%s%s\"%s\"%s\n", indent, n.id, open, label, close)
	}
	writeGrouped(&b, nodes, writeNode, func(i int, module string) string {
		return fmt.Sprintf("  subgraph m_%d[\"%s\"]\n", i, mermaidText(module))
	}, "  end\n")
	for _, e := range graphEdges(p, nodes) {
		arrow := "-->"
		if e.deletes() {
			arrow = "-.->"
		}
		fmt.Fprintf(&b, "  %s %s %s\n", e.from.id, arrow, e.to.id)
	}
	for _, a := range styledActions {
		var ids []string
		for _, n := range nodes {
			if n.action == a {
				ids = append(ids, n.id)
			}
		}
		if len(ids) == 0 {
			continue
		}
		s := actionStyles[a]
		def := fmt.Sprintf("fill:%s,stroke:%s,color:#1f2328", s.fill, s.stroke)
		if s.dashed {
			def += ",stroke-dasharray:5 5"
		}
		fmt.Fprintf(&b, "  classDef %s %s\n", s.class, def)
		fmt.Fprintf(&b, "  class %s %s\n", strings.Join(ids, ","), s.class)
	}
	return b.String()
}

// mermaidText escapes text for a quoted Mermaid label, so an instance key
// such as ["a"] cannot end the label. Mermaid draws labels as HTML, so
// HTML's named entities work; its own #code; form is avoided because
// Mermaid 11's render API leaves it undecoded, and # becomes &num; so
// that no #word; in an address is taken for one.
func mermaidText(s string) string {
	return strings.NewReplacer(
		"&", "&amp;", `"`, "&quot;", "<", "&lt;", ">", "&gt;", "#", "&num;",
	).Replace(s)
}

// Dot draws the same graph as Mermaid in Graphviz dot: modules as
// clusters, changes filled by action, destroyed resources dashed.
func Dot(p *plan.Plan) string {
	nodes := graphNodes(p)
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", dotQuote(p.Stack+"/"+p.Environment))
	b.WriteString("  rankdir=LR;\n")
	b.WriteString("  graph [fontname=\"Helvetica\"];\n")
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", color=\"#57606a\", fontname=\"Helvetica\"];\n")
	b.WriteString("  edge [color=\"#57606a\"];\n")
	writeNode := func(n graphNode, indent string) {
		addr, action := nodeLabel(n)
		label := dotEscape(addr)
		if action != "" {
			label += `\n` + dotEscape(action)
		}
		attrs := []string{`label="` + label + `"`}
		if dataBearing(n.kind) {
			attrs = append(attrs, "shape=cylinder")
		}
		if s, ok := actionStyles[n.action]; ok {
			attrs = append(attrs, fmt.Sprintf("fillcolor=%q", s.fill), fmt.Sprintf("color=%q", s.stroke))
			if s.dashed {
				attrs = append(attrs, `style="rounded,filled,dashed"`)
			}
		}
		fmt.Fprintf(&b, "%s%s [%s];\n", indent, n.id, strings.Join(attrs, ", "))
	}
	writeGrouped(&b, nodes, writeNode, func(i int, module string) string {
		return fmt.Sprintf("  subgraph cluster_%d {\n    label=%s;\n    style=dashed;\n", i, dotQuote(module))
	}, "  }\n")
	for _, e := range graphEdges(p, nodes) {
		style := ""
		if e.deletes() {
			style = " [style=dashed]"
		}
		fmt.Fprintf(&b, "  %s -> %s%s;\n", e.from.id, e.to.id, style)
	}
	b.WriteString("}\n")
	return b.String()
}

// dotEscape escapes text for a quoted dot string.
func dotEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

func dotQuote(s string) string {
	return `"` + dotEscape(s) + `"`
}
