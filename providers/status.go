package providers

import (
	"context"
)

// StatusFunc receives what an operation in progress is waiting for, in a
// few words a person can act on ("ElastiCache status: deleting"). The
// caller binds it to one resource operation, so a provider never names
// the resource again.
type StatusFunc func(status string)

type statusKey struct{}

// WithStatus returns a context through which a provider reports the
// status of the operation it runs under ctx to fn. The apply gives each
// resource operation its own, and the command line shows the latest
// status beside the operation's elapsed time: live on a terminal, and in
// a heartbeat line in logs, so a long wait is never silent.
func WithStatus(ctx context.Context, fn StatusFunc) context.Context {
	return context.WithValue(ctx, statusKey{}, fn)
}

// ReportStatus tells the function ctx carries, if any, what the operation
// in progress is waiting for. Providers call it from every wait and poll,
// each time the status they observe may have changed.
func ReportStatus(ctx context.Context, status string) {
	if fn, ok := ctx.Value(statusKey{}).(StatusFunc); ok && fn != nil {
		fn(status)
	}
}
