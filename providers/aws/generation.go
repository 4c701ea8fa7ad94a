package aws

import (
	"strconv"

	"github.com/stagecraft/stagecraft/providers"
)

// A create takes over what an interrupted create of the same address and
// settings left behind: it looks for the object carrying its token (in
// the name, or in the token tag of a network). A replacement usually
// changes a force-new setting and so the token, but not always: a
// half-made resource adopted after a crash, a tainted one, or one that
// drifted in a force-new setting is replaced by a copy with the very same
// settings. That copy must not take over the object it replaces, which
// the apply deletes as soon as the copy exists. So the copies of one
// configuration are counted in generations: the first has the plain
// token, every later one a token of its own (generationToken), and a
// create skips the generations whose object is the copy it replaces
// (providers.Ref.Replaces).

// generationToken returns the token of generation gen (1, 2, ...) of the
// copies whose settings fingerprint to base: base itself for the first.
func generationToken(base string, gen int) string {
	if gen <= 1 {
		return base
	}
	return hashToken(base, "generation", strconv.Itoa(gen))
}

// createToken returns the token a create of r uses: that of the first
// generation of base whose object is not the copy r replaces. find
// returns the id of the object carrying a token, "" when there is none.
// The copy being replaced holds one generation, so at most two are
// looked at.
func createToken(r providers.Ref, base string, find func(token string) (id string, err error)) (string, error) {
	for gen := 1; ; gen++ {
		token := generationToken(base, gen)
		if r.Replaces == "" {
			return token, nil
		}
		id, err := find(token)
		if err != nil {
			return "", err
		}
		if id != r.Replaces {
			return token, nil
		}
	}
}

// createName is createToken for the kinds named after their token (see
// resourceName): it returns the name a create of r uses. id returns the
// id of the object with a name, "" when there is none.
func createName(r providers.Ref, base string, max int, id func(name string) (string, error)) (string, error) {
	token, err := createToken(r, base, func(token string) (string, error) {
		return id(resourceName(token, r.Address, max))
	})
	if err != nil {
		return "", err
	}
	return resourceName(token, r.Address, max), nil
}
