package cmd

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/pflag"
)

// profileOptions are the hidden --cpuprofile and --memprofile flags (or
// STAGECRAFT_CPUPROFILE and STAGECRAFT_MEMPROFILE): files a command writes
// a pprof CPU profile and a heap profile to, for `go tool pprof`. They
// exist to measure the whole command at scale, as users run it, and are
// hidden because nobody needs them to use the tool.
type profileOptions struct {
	cpu, mem string
	cpuFile  *os.File
}

// addProfileFlags adds the hidden flags to fs.
func addProfileFlags(fs *pflag.FlagSet, o *profileOptions) {
	fs.StringVar(&o.cpu, "cpuprofile", "", "write a CPU profile of the command to this file")
	fs.StringVar(&o.mem, "memprofile", "", "write a heap profile at the end of the command to this file")
	_ = fs.MarkHidden("cpuprofile")
	_ = fs.MarkHidden("memprofile")
}

// start fills unset flags from the environment and starts the CPU profile.
func (o *profileOptions) start(getenv func(string) string) error {
	if getenv != nil {
		if o.cpu == "" {
			o.cpu = getenv("STAGECRAFT_CPUPROFILE")
		}
		if o.mem == "" {
			o.mem = getenv("STAGECRAFT_MEMPROFILE")
		}
	}
	if o.cpu == "" {
		return nil
	}
	f, err := os.Create(o.cpu)
	if err != nil {
		return userError("cannot write the CPU profile: %s", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return userError("cannot start the CPU profile: %s", err)
	}
	o.cpuFile = f
	return nil
}

// stop ends the CPU profile and writes the heap profile; it returns the
// first error, to be reported after the command's own.
func (o *profileOptions) stop() error {
	var errs []error
	if o.cpuFile != nil {
		pprof.StopCPUProfile()
		errs = append(errs, o.cpuFile.Close())
		o.cpuFile = nil
	}
	if o.mem != "" {
		f, err := os.Create(o.mem)
		if err != nil {
			return fmt.Errorf("cannot write the heap profile: %w", err)
		}
		runtime.GC()
		errs = append(errs, pprof.Lookup("allocs").WriteTo(f, 0), f.Close())
		o.mem = ""
	}
	return errors.Join(errs...)
}
