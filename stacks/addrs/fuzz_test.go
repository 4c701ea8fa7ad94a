package addrs

import "testing"

// FuzzParse checks that Parse never panics and that an address survives
// the text form: Parse(String(a)) == a, and String is a fixed point.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"cache.c", "cache.c[0]", `cache.c["a"]`, `module.a[1].module.b["x\"y"].load_balancer.edge[ 3 ]`,
		"module.web", "cache", "", "cache.c[", `cache.c["\u00e9"]`, "module..x", "cache.c[99999999999999999999]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if tg, err := ParseTarget(s); err == nil {
			again, err := ParseTarget(tg.String())
			if err != nil || again != tg {
				t.Fatalf("ParseTarget(%q) = %q, but parsing that gives %#v, %v", s, tg, again, err)
			}
		}
		a, err := Parse(s)
		if err != nil {
			return
		}
		text := a.String()
		again, err := Parse(text)
		if err != nil || again != a {
			t.Fatalf("Parse(%q) = %q, but parsing that gives %#v, %v", s, text, again, err)
		}
		if again.String() != text {
			t.Fatalf("String is not canonical: %q then %q", text, again.String())
		}
		if Compare(a, again) != 0 || CompareText(a, again) != 0 {
			t.Fatalf("%q does not compare equal to itself", text)
		}
	})
}

// FuzzCompare checks that Compare is antisymmetric and agrees with
// equality.
func FuzzCompare(f *testing.F) {
	f.Add("cache.c[2]", "cache.c[10]")
	f.Add(`module.m["a"].cache.c`, "module.m.cache.c")
	f.Add("cache.n01", "cache.n1")
	f.Fuzz(func(t *testing.T, x, y string) {
		a, errA := Parse(x)
		b, errB := Parse(y)
		if errA != nil || errB != nil {
			return
		}
		ab, ba := Compare(a, b), Compare(b, a)
		if sign(ab) != -sign(ba) {
			t.Fatalf("Compare(%q, %q) = %d but Compare(%q, %q) = %d", a, b, ab, b, a, ba)
		}
		if (ab == 0) != (a == b) {
			t.Fatalf("Compare(%q, %q) = %d, but equal is %v", a, b, ab, a == b)
		}
	})
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
