// Package shape generates the stacks the planner benchmarks run: n
// autoscaling_group instances in layers blocks, block l{k} referring to
// the computed id of block l{k-1} instance by instance, and one environment
// on the sim provider. planner/bench_test.go and bench/cmd/stagebench
// (the stagecraft side of bench/compare-terraform.sh) use the same shapes.
package shape

import (
	"fmt"
	"strings"
)

// Stack returns the files of the stack with n resources in layers layers
// (1: independent) and an environment named env.
func Stack(n, layers int, env string) (map[string]string, error) {
	if layers < 1 || n%layers != 0 {
		return nil, fmt.Errorf("%d resources do not split into %d layers", n, layers)
	}
	var b strings.Builder
	b.WriteString("stage \"s\" {\n")
	for k := 0; k < layers; k++ {
		fmt.Fprintf(&b, "  autoscaling_group \"l%d\" {\n    count = %d\n", k, n/layers)
		if k > 0 {
			fmt.Fprintf(&b, "    env = {\n      UP = autoscaling_group.l%d[count.index].id\n    }\n", k-1)
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	return map[string]string{
		"main.hcl": b.String(),
		"env.hcl":  fmt.Sprintf("environment %q {\n  provider = \"sim\"\n  stage    = \"s\"\n}\n", env),
	}, nil
}

// Persisted is Stack with the sim provider's cloud kept in the file at
// simPath (relative to the stack directory), so that each run of the
// stagecraft binary finds what the one before made: the whole-process
// comparison (bench/compare-whole.sh) runs these.
func Persisted(n, layers int, env, simPath string) (map[string]string, error) {
	files, err := Stack(n, layers, env)
	if err != nil {
		return nil, err
	}
	files["env.hcl"] = fmt.Sprintf("provider \"sim\" {\n  path = %q\n}\n\n", simPath) + files["env.hcl"]
	return files, nil
}
