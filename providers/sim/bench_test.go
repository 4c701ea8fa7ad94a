package sim

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/stagecraft/stagecraft/providers"
	"github.com/stagecraft/stagecraft/providers/kinds"
)

// BenchmarkCreate5000 measures the provider's share of a 5,000-resource
// apply at zero latency: one op is 5,000 creates on a fresh provider,
// cycling through the five kinds.
func BenchmarkCreate5000(b *testing.B) {
	const n = 5000
	benches := []struct {
		name     string
		path     bool
		parallel int
	}{
		{"memory", false, 1},
		{"path", true, 1},
		{"memory/parallel-16", false, 16},
		{"path/parallel-16", true, 16},
	}
	for _, bc := range benches {
		b.Run(bc.name, func(b *testing.B) {
			dir := b.TempDir()
			round := 0
			for b.Loop() {
				b.StopTimer()
				config := map[string]cty.Value{}
				if bc.path {
					round++
					config["path"] = cty.StringVal(filepath.Join(dir, fmt.Sprintf("cloud-%d.jsonl", round)))
				}
				p := newTestProvider(b, config)
				kinds := kinds.Names()
				values := map[string]cty.Value{}
				for name, fx := range fixtures(p) {
					values[name] = fx.Desired
				}
				b.StartTimer()

				var wg sync.WaitGroup
				for w := range bc.parallel {
					wg.Go(func() {
						for i := w; i < n; i += bc.parallel {
							kindName := kinds[i%len(kinds)]
							r := providers.Ref{Address: fmt.Sprintf("%s.r%d", kindName, i), Kind: kindName, Stack: "bench", Environment: "dev"}
							k := p.kinds[kindName]
							if _, err := k.Create(context.Background(), r, values[kindName]); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/create")
		})
	}
}

// BenchmarkConfigure5000 measures what a re-run CLI process pays to find
// 5,000 resources: replaying a journal of 5,000 creates (it is not
// compacted: one line per live resource is under the threshold).
func BenchmarkConfigure5000(b *testing.B) {
	const n = 5000
	path := filepath.Join(b.TempDir(), "cloud.jsonl")
	config := map[string]cty.Value{"path": cty.StringVal(path)}
	p := newTestProvider(b, config)
	values := map[string]cty.Value{}
	for name, fx := range fixtures(p) {
		values[name] = fx.Desired
	}
	kinds := kinds.Names()
	for i := range n {
		kindName := kinds[i%len(kinds)]
		r := providers.Ref{Address: fmt.Sprintf("%s.r%d", kindName, i), Kind: kindName, Stack: "bench", Environment: "dev"}
		if _, err := p.kinds[kindName].Create(context.Background(), r, values[kindName]); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		again := newProvider()
		configure(b, again, config)
		if got := len(again.session().cloud.resources); got != n {
			b.Fatalf("%d resources loaded, want %d", got, n)
		}
		again.Close()
	}
}
