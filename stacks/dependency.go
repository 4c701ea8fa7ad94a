package stacks

import (
	"strconv"
	"strings"
)

// BlockAddress strips the instance key from the end of a resource
// instance's address: `cache.c["a"]` -> `cache.c`, true. An address
// without a key is returned as it is, with false. It serves the packages
// that still hold addresses as text; typed addresses use
// addrs.Instance.Block and addrs.Instance.Contains.
func BlockAddress(addr string) (string, bool) {
	if !strings.HasSuffix(addr, "]") {
		return addr, false
	}
	if strings.HasSuffix(addr, `"]`) {
		// A string key: its opening `["` is the last one, since quotes
		// inside the key are escaped.
		i := strings.LastIndex(addr, `["`)
		if i <= 0 {
			return addr, false
		}
		if _, err := strconv.Unquote(addr[i+1 : len(addr)-1]); err != nil {
			return addr, false
		}
		return addr[:i], true
	}
	i := strings.LastIndexByte(addr, '[')
	if i <= 0 {
		return addr, false
	}
	for _, c := range addr[i+1 : len(addr)-1] {
		if c < '0' || c > '9' {
			return addr, false
		}
	}
	if i+1 == len(addr)-1 {
		return addr, false
	}
	return addr[:i], true
}
