package cache

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/stagecraft/stagecraft/providers/local/supervisor"
)

// redisPasswordDigits is the length of a generated password: 128 bits of
// crypto/rand in hex, which needs no quoting in a redis configuration.
const redisPasswordDigits = 32

// authPath is the redis configuration file that holds the cache's
// password: GEN/auth.conf, mode 0600 in a 0700 directory. redis-server
// reads it through --include, so the password never appears on a command
// line (which every local user can read in ps).
func (d *cacheData) authPath() string { return filepath.Join(d.dir, cacheAuthFile) }

// redisPassword returns the generation's password, generating and writing
// it the first time: a cache keeps one password for its whole life, and a
// cache that adopts the generation after a supervisor restart finds the
// same one. Primaries require it (requirepass) and replicas give it to
// their primary (masterauth).
func (d *cacheData) redisPassword() (string, error) {
	b, err := os.ReadFile(d.authPath())
	switch {
	case err == nil:
		if pw := parseRequirePass(b); pw != "" {
			return pw, nil
		}
		return "", fmt.Errorf("%s has no requirepass line; delete the file to have a new password generated", d.authPath())
	case !errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("read the cache's password: %w", err)
	}
	pw := supervisor.RandomID(redisPasswordDigits)
	conf := fmt.Sprintf("# The password of this cache, written by stagecraft: keep this file private.\nrequirepass %s\nmasterauth %s\n", pw, pw)
	if err := replaceFile(d.authPath(), []byte(conf)); err != nil {
		return "", fmt.Errorf("write the cache's password: %w", err)
	}
	return pw, nil
}

// parseRequirePass reads the requirepass line of an auth file.
func parseRequirePass(b []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "requirepass "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
