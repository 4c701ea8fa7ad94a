package plan

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// PathString renders an attribute path as a person writes it and as the
// JSON form stores it: route[1].weight, env["KEY"]; the empty path is "".
func PathString(p cty.Path) string {
	var sb strings.Builder
	for _, step := range p {
		switch s := step.(type) {
		case cty.GetAttrStep:
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(s.Name)
		case cty.IndexStep:
			switch {
			case s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull():
				fmt.Fprintf(&sb, "[%q]", s.Key.AsString())
			case s.Key.Type() == cty.Number && s.Key.IsKnown() && !s.Key.IsNull():
				fmt.Fprintf(&sb, "[%s]", s.Key.AsBigFloat().Text('f', -1))
			default:
				sb.WriteString("[?]")
			}
		}
	}
	return sb.String()
}

// ParsePath reads a path written by PathString: name.name[0]["key"].
func ParsePath(s string) (cty.Path, error) {
	var p cty.Path
	rest := s
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("path %q: unclosed [", s)
			}
			inner := rest[1:end]
			if strings.HasPrefix(inner, `"`) {
				k, err := strconv.Unquote(inner)
				if err != nil {
					// A quoted key may contain "]": find the real end.
					q := strings.Index(rest[2:], `"]`)
					if q < 0 {
						return nil, fmt.Errorf("path %q: bad key", s)
					}
					inner = rest[1 : q+3]
					end = q + 3
					if k, err = strconv.Unquote(inner); err != nil {
						return nil, fmt.Errorf("path %q: bad key", s)
					}
				}
				p = p.Index(cty.StringVal(k))
			} else {
				n, err := strconv.ParseInt(inner, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("path %q: bad index %q", s, inner)
				}
				p = p.Index(cty.NumberIntVal(n))
			}
			rest = rest[end+1:]
		default:
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			p = p.GetAttr(rest[:end])
			rest = rest[end:]
		}
	}
	return p, nil
}
