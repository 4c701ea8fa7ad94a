package supervisor

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers/kinds"
)

// Reading a unit's configuration: the supervisor gets values straight from
// its API, so units check them against the kind's table again.

// ConfigProblems checks a configuration against its kind's table: required
// attributes and blocks, every attribute's value rules and the kind's
// rules. The supervisor gets values straight from the API, so it checks
// them itself rather than trust that validate ran.
func ConfigProblems(kind string, cfg cty.Value) error {
	s, ok := kinds.Schema(kind)
	if !ok {
		return fmt.Errorf("unknown kind %q", kind)
	}
	s = s.ForProvider(Provider)
	if cfg.IsNull() || !cfg.IsWhollyKnown() {
		return errors.New("the configuration is null or not known yet")
	}
	return InvalidConfig(s.Problems(cfg))
}

// InvalidConfig joins the problems found in a configuration into one
// error, or is nil when there are none.
func InvalidConfig(probs []string) error {
	if len(probs) == 0 {
		return nil
	}
	return errors.New("invalid configuration: " + strings.Join(probs, "; "))
}

// IntAttr reads a whole-number attribute, or def when it is null.
func IntAttr(obj cty.Value, name string, def int) int {
	v := obj.GetAttr(name)
	if v.IsNull() {
		return def
	}
	n, acc := v.AsBigFloat().Int64()
	if acc != big.Exact {
		return def
	}
	return int(n)
}

// FloatAttr reads a number attribute, or 0 when it is null.
func FloatAttr(obj cty.Value, name string) float64 {
	v := obj.GetAttr(name)
	if v.IsNull() {
		return 0
	}
	f, _ := v.AsBigFloat().Float64()
	return f
}

// StrAttr reads a string attribute, or def when it is null.
func StrAttr(obj cty.Value, name, def string) string {
	v := obj.GetAttr(name)
	if v.IsNull() {
		return def
	}
	return v.AsString()
}

// DurationAttr reads a duration attribute (checked by its rule), or def.
func DurationAttr(obj cty.Value, name string, def time.Duration) time.Duration {
	d, err := time.ParseDuration(StrAttr(obj, name, ""))
	if err != nil {
		return def
	}
	return d
}
