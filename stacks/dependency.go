package stacks

import (
	"strconv"
	"strings"
)

// A dependency is an address. A resource that refers to a block with
// count or for_each depends on the block as a whole, and its dependency is
// the block's address without an instance key (`autoscaling_group.web`),
// standing for every instance of the block (`autoscaling_group.web[0]`,
// `autoscaling_group.web[1]`, ...). Dependencies stay as many as the
// references written, however many instances the blocks expand to, which
// keeps plans, graphs and state linear in the number of resources. A block
// without count or for_each has one instance whose address is the block's.

// DependencyNames reports whether the dependency dep names the resource
// instance at addr: the same address, or the address of addr's block.
func DependencyNames(dep, addr string) bool {
	if addr == dep {
		return true
	}
	if len(addr) <= len(dep) || !strings.HasPrefix(addr, dep) {
		return false
	}
	block, keyed := BlockAddress(addr)
	return keyed && block == dep
}

// BlockAddress strips the instance key from the end of a resource
// instance's address: `cache.c["a"]` -> `cache.c`, true. An address
// without a key is returned as it is, with false.
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
