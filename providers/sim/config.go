package sim

import (
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Operation names, as used in the fail setting and in error messages.
const (
	opCreate   = "create"
	opRead     = "read"
	opUpdate   = "update"
	opDelete   = "delete"
	opObserve  = "observe"
	opDiscover = "discover"
)

// settings are the provider block's values after decoding.
type settings struct {
	// path is the journal file; "" keeps the cloud in memory.
	path string
	// pathSet is true when the block gives path, even as "": without it
	// the cloud persists in the workspace (see provider.cloudPath).
	pathSet bool
	// latency is added to every call.
	latency time.Duration
	// rateLimit is the calls per second allowed; 0 means no limit.
	rateLimit float64
	// errorRate is the probability that a call fails transiently.
	errorRate float64
	// seed seeds the injected errors.
	seed uint64
	// fail maps an address to the operation that always fails on it.
	fail map[string]string
	// unhealthy holds the addresses Observe reports unhealthy.
	unhealthy map[string]bool
}

func defaultSettings() settings {
	return settings{seed: 1}
}

// setting describes one attribute of the provider block: the diagnostics
// and the "did you mean" suggestions are built from this list.
type setting struct {
	name   string
	doc    string
	decode func(s *settings, v cty.Value) *hcl.Diagnostic
}

// settingsTable lists the settings in the order the documentation shows
// them. (A function rather than a variable: the decoders' diagnostics look
// settings up in it.)
func settingsTable() []setting {
	return []setting{
		{"path", `a file path such as ".stagecraft/sim.jsonl", or "" to keep the cloud in memory`, decodePath},
		{"latency", `a duration such as "100ms"`, decodeLatency},
		{"rate_limit", "calls per second, 0 for no limit", decodeRateLimit},
		{"error_rate", "a probability from 0 to 1", decodeErrorRate},
		{"seed", "a whole number", decodeSeed},
		{"fail", `a map from address to operation, such as { "cache.sessions" = "create" }`, decodeFail},
		{"unhealthy", `a list of addresses, such as ["autoscaling_group.app"]`, decodeUnhealthy},
	}
}

// decodeSettings turns the provider block into settings. Every problem is
// reported, not only the first.
func decodeSettings(config cty.Value) (settings, hcl.Diagnostics) {
	s := defaultSettings()
	if config == cty.NilVal || config.IsNull() {
		return s, nil
	}
	if !config.IsKnown() {
		return s, hcl.Diagnostics{errorDiag("Sim provider configuration not known",
			"The sim provider block depends on values that are only known after apply; use literals or variables in it.")}
	}
	config, _ = config.UnmarkDeep()
	ty := config.Type()
	if !ty.IsObjectType() && !ty.IsMapType() {
		return s, hcl.Diagnostics{errorDiag("Invalid sim provider configuration",
			fmt.Sprintf("The sim provider expects an object of settings, but got %s. Write the settings as attributes of the provider block.", ty.FriendlyName()))}
	}
	var diags hcl.Diagnostics
	for it := config.ElementIterator(); it.Next(); {
		k, v := it.Element()
		name := k.AsString()
		st, ok := lookupSetting(name)
		if !ok {
			diags = append(diags, errorDiag("Unsupported sim provider setting",
				fmt.Sprintf("The sim provider has no setting named %q.%s It accepts %s.", name, suggest(name), settingNames())))
			continue
		}
		if v.IsNull() {
			continue
		}
		if !v.IsWhollyKnown() {
			diags = append(diags, errorDiag("Sim provider setting not known",
				fmt.Sprintf("The value of %q is only known after apply, but the sim provider needs it when it is configured; use a literal or a variable.", name)))
			continue
		}
		if d := st.decode(&s, v); d != nil {
			diags = append(diags, d)
		}
	}
	return s, diags
}

func lookupSetting(name string) (setting, bool) {
	for _, st := range settingsTable() {
		if st.name == name {
			return st, true
		}
	}
	return setting{}, false
}

func settingNames() string {
	table := settingsTable()
	names := make([]string, len(table))
	for i, st := range table {
		names[i] = st.name
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// suggest returns ` Did you mean "x"?` for a name close to a setting.
func suggest(name string) string {
	best, bestDist := "", 3
	for _, st := range settingsTable() {
		if d := editDistance(name, st.name); d < bestDist {
			best, bestDist = st.name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func errorDiag(summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail}
}

// typeDiag reports a value of the wrong type for a setting.
func typeDiag(name string, v cty.Value, err error) *hcl.Diagnostic {
	st, _ := lookupSetting(name)
	return errorDiag("Invalid sim "+name+" setting",
		fmt.Sprintf("The %s setting must be %s, but got %s (%s).", name, st.doc, v.Type().FriendlyName(), err))
}

func decodePath(s *settings, v cty.Value) *hcl.Diagnostic {
	sv, err := convert.Convert(v, cty.String)
	if err != nil {
		return typeDiag("path", v, err)
	}
	s.path, s.pathSet = sv.AsString(), true
	return nil
}

func decodeLatency(s *settings, v cty.Value) *hcl.Diagnostic {
	sv, err := convert.Convert(v, cty.String)
	if err != nil {
		return typeDiag("latency", v, err)
	}
	d, err := time.ParseDuration(sv.AsString())
	if err != nil || d < 0 {
		return errorDiag("Invalid sim latency setting",
			fmt.Sprintf("%q is not a duration; write a number with a unit, such as \"100ms\" or \"2s\".", sv.AsString()))
	}
	s.latency = d
	return nil
}

func decodeRateLimit(s *settings, v cty.Value) *hcl.Diagnostic {
	f, d := number("rate_limit", v)
	if d != nil {
		return d
	}
	if f < 0 {
		return errorDiag("Invalid sim rate_limit setting",
			fmt.Sprintf("rate_limit is %g; use the number of calls per second to allow, or 0 for no limit.", f))
	}
	s.rateLimit = f
	return nil
}

func decodeErrorRate(s *settings, v cty.Value) *hcl.Diagnostic {
	f, d := number("error_rate", v)
	if d != nil {
		return d
	}
	if f < 0 || f > 1 {
		return errorDiag("Invalid sim error_rate setting",
			fmt.Sprintf("error_rate is %g; use a probability from 0 (no injected errors) to 1 (every call fails).", f))
	}
	s.errorRate = f
	return nil
}

func decodeSeed(s *settings, v cty.Value) *hcl.Diagnostic {
	nv, err := convert.Convert(v, cty.Number)
	if err != nil {
		return typeDiag("seed", v, err)
	}
	// IsInt and Sign first: big.Float.Uint64 of this toolchain reports
	// Exact for 1.5.
	bf := nv.AsBigFloat()
	n, acc := bf.Uint64()
	if !bf.IsInt() || bf.Sign() < 0 || acc != big.Exact {
		return errorDiag("Invalid sim seed setting",
			fmt.Sprintf("seed is %s; use a whole number from 0 to %d.", nv.AsBigFloat().Text('g', -1), uint64(1<<64-1)))
	}
	s.seed = n
	return nil
}

func decodeFail(s *settings, v cty.Value) *hcl.Diagnostic {
	mv, err := convert.Convert(v, cty.Map(cty.String))
	if err != nil {
		return typeDiag("fail", v, err)
	}
	fail := make(map[string]string, mv.LengthInt())
	var bad []string
	for addr, op := range mv.AsValueMap() {
		if op.IsNull() {
			bad = append(bad, fmt.Sprintf("%s = null", addr))
			continue
		}
		switch o := op.AsString(); o {
		case opCreate, opUpdate, opDelete, opRead:
			fail[addr] = o
		default:
			bad = append(bad, fmt.Sprintf("%s = %q", addr, o))
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return errorDiag("Invalid sim fail setting",
			fmt.Sprintf("The fail setting maps an address to the operation that fails on it, one of \"create\", \"update\", \"delete\" and \"read\"; fix %s.", strings.Join(bad, ", ")))
	}
	s.fail = fail
	return nil
}

func decodeUnhealthy(s *settings, v cty.Value) *hcl.Diagnostic {
	lv, err := convert.Convert(v, cty.List(cty.String))
	if err != nil {
		return typeDiag("unhealthy", v, err)
	}
	unhealthy := make(map[string]bool, lv.LengthInt())
	for _, a := range lv.AsValueSlice() {
		if a.IsNull() {
			return errorDiag("Invalid sim unhealthy setting",
				"The unhealthy list holds a null; list the addresses to report unhealthy, such as \"autoscaling_group.app\".")
		}
		unhealthy[a.AsString()] = true
	}
	s.unhealthy = unhealthy
	return nil
}

// number converts a setting to a float64.
func number(name string, v cty.Value) (float64, *hcl.Diagnostic) {
	nv, err := convert.Convert(v, cty.Number)
	if err != nil {
		return 0, typeDiag(name, v, err)
	}
	f, _ := nv.AsBigFloat().Float64()
	return f, nil
}
