package kinds

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/schema"
)

// Markdown renders the kind tables as the Markdown of docs/kinds.md.
// The documentation is generated from the same tables the validator and
// the providers use, so it cannot drift from them.
func Markdown() []byte {
	var b bytes.Buffer
	b.WriteString("# Resource kinds\n\n")
	b.WriteString("<!-- Generated from providers/kinds/kinds.go by `go test ./providers/kinds -run TestKindsDoc -update`. Do not edit by hand. -->\n\n")
	b.WriteString("Every resource in a stage is one of these kinds. The attributes are the same for every provider; ")
	b.WriteString("settings only one provider understands go in a nested block named after it (`local { }`, `aws { }`), and other providers ignore that block.\n\n")
	b.WriteString("Columns: **Set** says whether you must (required), may (optional) or cannot (computed: the provider sets it after apply) write the attribute; ")
	b.WriteString("optional + computed means the provider picks a value when you leave it out. **Replaces** marks attributes whose change replaces the resource instead of updating it in place.\n\n")
	b.WriteString("Every kind also takes the meta-arguments `count`, `for_each`, `depends_on` and a `lifecycle` block; see [language.md](language.md#meta-arguments).\n\n")
	for _, k := range Names() {
		fmt.Fprintf(&b, "- [%s](#%s)\n", k, k)
	}
	b.WriteString("\n")
	for _, k := range Names() {
		s, _ := Schema(k)
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", k, s.Description)
		if s.DataBearing {
			b.WriteString("Holds data: a plan that deletes or replaces it stops unless `lifecycle { allow_data_loss = true }` is set or `--allow-data-loss` is given.\n\n")
		}
		if r := s.Routing; r != nil {
			fmt.Fprintf(&b, "Routes traffic: when an update changes where a `%s` block's `%s` sends its traffic (`%s`, `%s`), the plan moves it in gated steps (traffic shifting).\n\n", r.Block, r.Path, r.Target, r.Weight)
		}
		if s.UniqueNames {
			b.WriteString("Names are unique at the provider: a replacement destroys the old resource before creating the new one.\n\n")
		}
		writeAttrTable(&b, s.Attributes)
		writeBlocks(&b, k, s.Blocks)
		if len(s.Rules) > 0 {
			b.WriteString("**Rules**\n\n")
			for _, r := range s.Rules {
				fmt.Fprintf(&b, "- %s\n", r.Doc)
			}
			b.WriteString("\n")
		}
	}
	return b.Bytes()
}

func writeBlocks(b *bytes.Buffer, prefix string, blocks []*schema.NestedBlock) {
	for _, nb := range blocks {
		path := prefix + " > " + nb.TypeName
		fmt.Fprintf(b, "### %s block\n\n", "`"+nb.TypeName+"`")
		var facts []string
		if nb.Provider != "" {
			facts = append(facts, fmt.Sprintf("used only by the `%s` provider", nb.Provider))
		}
		switch {
		case nb.Nesting == schema.NestingList && nb.MinItems > 0:
			facts = append(facts, fmt.Sprintf("repeatable, at least %d", nb.MinItems))
		case nb.Nesting == schema.NestingList:
			facts = append(facts, "repeatable")
		case nb.MinItems > 0 && nb.Provider != "":
			facts = append(facts, "required when that provider runs the resource")
		case nb.MinItems > 0:
			facts = append(facts, "required")
		case nb.Implied:
			facts = append(facts, "optional; its defaults apply when it is left out")
		default:
			facts = append(facts, "optional, at most once")
		}
		fmt.Fprintf(b, "%s (%s).\n\n", strings.TrimSuffix(nb.Description, "."), strings.Join(facts, "; "))
		if len(nb.Attributes) > 0 {
			writeAttrTable(b, nb.Attributes)
		}
		writeBlocks(b, path, nb.Blocks)
	}
}

func writeAttrTable(b *bytes.Buffer, attrs []*schema.Attribute) {
	b.WriteString("| Attribute | Type | Set | Default | Replaces | Allowed values | Description |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, a := range attrs {
		set := "optional"
		switch {
		case a.Required:
			set = "required"
		case a.Optional && a.Computed:
			set = "optional + computed"
		case a.Computed:
			set = "computed"
		}
		def := ""
		if a.Default != cty.NilVal {
			def = "`" + renderDefault(a.Default) + "`"
		}
		replaces := ""
		if a.ForceNew {
			replaces = "yes"
		}
		var rules []string
		for _, r := range a.Rules {
			rules = append(rules, r.Doc)
		}
		if a.Ref != "" {
			rules = append(rules, "reference to "+article(a.Ref)+" "+a.Ref)
		}
		ty := typeString(a.Type)
		if a.Sensitive {
			ty += " (sensitive)"
		}
		desc := a.Description
		if len(a.RecomputedBy) > 0 {
			names := make([]string, len(a.RecomputedBy))
			for i, n := range a.RecomputedBy {
				names[i] = "`" + n + "`"
			}
			desc += " Known after apply when " + strings.Join(names, " or ") + " changes: what refers to it is updated in the same apply."
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s | %s | %s |\n", a.Name, ty, set, def, replaces,
			escapeCell(strings.Join(rules, "; ")), escapeCell(desc))
	}
	b.WriteString("\n")
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

func typeString(t cty.Type) string {
	switch {
	case t == cty.String:
		return "string"
	case t == cty.Number:
		return "number"
	case t == cty.Bool:
		return "bool"
	case t.IsListType():
		return "list(" + typeString(t.ElementType()) + ")"
	case t.IsMapType():
		return "map(" + typeString(t.ElementType()) + ")"
	case t.IsSetType():
		return "set(" + typeString(t.ElementType()) + ")"
	}
	return t.FriendlyName()
}

func renderDefault(v cty.Value) string {
	switch {
	case v.IsNull():
		return "null"
	case v.Type() == cty.String:
		return fmt.Sprintf("%q", v.AsString())
	case v.Type() == cty.Number:
		return v.AsBigFloat().Text('f', -1)
	case v.Type() == cty.Bool:
		if v.True() {
			return "true"
		}
		return "false"
	case v.Type().IsMapType() && v.LengthInt() == 0:
		return "{}"
	case (v.Type().IsListType() || v.Type().IsSetType()) && v.LengthInt() == 0:
		return "[]"
	}
	return v.GoString()
}

func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}
