package aws

import (
	"context"
	"strings"
	"time"

	"github.com/aws/smithy-go/middleware"
)

// changeAttemptTimeout bounds one attempt of a call that changes
// something at AWS once it is sent (see finishSentChanges).
const changeAttemptTimeout = time.Minute

// readOnly reports whether an AWS operation only reads (Describe...,
// List..., Get...).
func readOnly(op string) bool {
	for _, prefix := range []string{"Describe", "List", "Get"} {
		if strings.HasPrefix(op, prefix) {
			return true
		}
	}
	return false
}

// finishSentChanges lets an attempt of a call that changes something at
// AWS (create, modify, delete) run to its answer even when the caller's
// context ends meanwhile (Ctrl-C): cut short, the request may still take
// effect at AWS without the apply knowing. Each such attempt has its own
// context, bounded by changeAttemptTimeout. An attempt not sent when the
// context ends is not sent, and the retries and waits between calls still
// stop with it; reads are cut short at once.
func finishSentChanges(stack *middleware.Stack) error {
	return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("stagecraft.FinishSentChanges",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if ctx.Err() != nil || readOnly(middleware.GetOperationName(ctx)) {
				return next.HandleFinalize(ctx, in)
			}
			attempt, cancel := context.WithTimeout(context.WithoutCancel(ctx), changeAttemptTimeout)
			defer cancel()
			return next.HandleFinalize(attempt, in)
		}), "Retry", middleware.After)
}
