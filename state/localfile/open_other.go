//go:build !unix

package localfile

// openFlags is empty where the system has no O_NOFOLLOW and O_NONBLOCK
// (Windows): Open relies on its check before and after opening.
const openFlags = 0
