package stacks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io/fs"
	"sort"
	"sync"
)

// fileReads records the files that file(), fileexists() and templatefile()
// read during one evaluation, so that the desired set's SourceHash covers
// them: a saved plan goes stale when a template it used changes.
type fileReads struct {
	mu    sync.Mutex
	files map[string]string // name -> digest of the content, or "missing"
}

func newFileReads() *fileReads { return &fileReads{files: map[string]string{}} }

func (r *fileReads) note(name, digest string) {
	r.mu.Lock()
	r.files[name] = digest
	r.mu.Unlock()
}

// snapshot copies the files read so far.
func (r *fileReads) snapshot() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]string, len(r.files))
	for k, v := range r.files {
		out[k] = v
	}
	return out
}

// hash combines the stack files' hash with every file read.
func (r *fileReads) hash(stackHash string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.files) == 0 {
		return stackHash
	}
	names := make([]string, 0, len(r.files))
	for n := range r.files {
		names = append(names, n)
	}
	sort.Strings(names)
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", stackHash)
	for _, n := range names {
		fmt.Fprintf(h, "%s\x00%s\x00", n, r.files[n])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// recordingFS is the file system the functions see: reads go through to
// fsys and are noted, with the digest of what was read.
type recordingFS struct {
	fsys   fs.FS
	prefix string // tells apart file systems (stack directory, built-ins)
	reads  *fileReads
}

// Open opens name in fsys; the file notes the digest of what is read
// from it when it is closed.
func (r recordingFS) Open(name string) (fs.File, error) {
	f, err := r.fsys.Open(name)
	if err != nil {
		r.reads.note(r.prefix+name, "missing")
		return nil, err
	}
	return &recordingFile{File: f, name: r.prefix + name, reads: r.reads, sum: sha256.New()}, nil
}

func (r recordingFS) Stat(name string) (fs.FileInfo, error) {
	info, err := fs.Stat(r.fsys, name)
	if err != nil {
		r.reads.note(r.prefix+name+"\x00stat", "missing")
	} else {
		r.reads.note(r.prefix+name+"\x00stat", fmt.Sprintf("exists dir=%t", info.IsDir()))
	}
	return info, err
}

// recordingFile digests what is read from a file.
type recordingFile struct {
	fs.File
	name  string
	reads *fileReads
	sum   hash.Hash
}

func (f *recordingFile) Read(p []byte) (int, error) {
	n, err := f.File.Read(p)
	f.sum.Write(p[:n])
	return n, err
}

func (f *recordingFile) Close() error {
	f.reads.note(f.name, hex.EncodeToString(f.sum.Sum(nil)))
	return f.File.Close()
}
