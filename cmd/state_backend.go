package cmd

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/hashicorp/hcl/v2"

	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/state"
	"github.com/stagecraft/stagecraft/state/localfile"
	"github.com/stagecraft/stagecraft/state/s3"
)

// openBackend opens the state backend of the environment's backend block
// (nil: the local files), encrypted when STAGECRAFT_STATE_KEY or
// STAGECRAFT_STATE_PASSPHRASE is set.
func (w *workspace) openBackend(ctx context.Context, block *stacks.Backend) (state.Backend, error) {
	enc, err := state.EncryptionFromEnv(w.deps.Getenv)
	if err != nil {
		return nil, userError("%s.", err)
	}
	cfg, diags := checkBackend(w.env)
	if diags.HasErrors() {
		printDiags(w.deps, w.g, w.stack.Files, diags)
		return nil, silentExit(ExitError)
	}
	if block == nil || block.Type == "local" {
		return w.localBackend(enc)
	}
	cfg.Credentials = w.awsCredentials()
	b, err := s3.New(ctx, cfg, w.env.Name, enc)
	if err != nil {
		return nil, userError("environment %q: %s.", w.env.Name, strings.TrimSuffix(err.Error(), "."))
	}
	return b, nil
}

// checkBackend checks an environment's backend block without opening
// it: a type stagecraft has, settings the local backend does not take,
// s3 settings that decode (returned, for an s3 backend). validate reports
// the problems for every environment, the commands that open the state
// for theirs.
func checkBackend(env *stacks.Environment) (s3.Config, hcl.Diagnostics) {
	b := env.Backend
	if b == nil {
		return s3.Config{}, nil
	}
	switch b.Type {
	case "local":
		attrs, diags := b.Body.JustAttributes()
		for _, a := range attrs {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported backend attribute",
				Detail:  fmt.Sprintf("The local backend takes no settings (the state lives in .stagecraft/state/%s.json); remove %q.", env.Name, a.Name),
				Subject: a.NameRange.Ptr()})
		}
		return s3.Config{}, diags
	case s3.Type:
		return s3.DecodeConfig(b.Body, b.DeclRange)
	}
	return s3.Config{}, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unknown backend",
		Detail:  fmt.Sprintf("Environment %q keeps its state in a %q backend, which stagecraft does not have; the backends are local and s3.", env.Name, b.Type),
		Subject: b.DeclRange.Ptr()}}
}

// localBackend is the state in .stagecraft/state, encrypted with enc when
// given.
func (w *workspace) localBackend(enc *state.Encryption) (state.Backend, error) {
	// Directories older versions made world-readable become private.
	if err := localfile.TightenDir(filepath.Join(w.dir, dataDirName)); err != nil {
		return nil, userError("%s.", err)
	}
	dir := filepath.Join(w.dir, dataDirName, "state")
	if err := localfile.TightenDir(dir); err != nil {
		return nil, userError("%s.", err)
	}
	if enc == nil {
		if err := state.CheckPlainLocal(dir, w.env.Name); err != nil {
			return nil, userError("%s.", err)
		}
		return state.NewLocal(dir, w.env.Name), nil
	}
	b, err := state.NewEncryptedLocal(dir, w.env.Name, enc)
	if err != nil {
		return nil, userError("%s.", err)
	}
	return b, nil
}

// awsCredentials are static credentials from the environment stagecraft
// was given (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
// nil to use the default chain (profiles, SSO, instance roles).
func (w *workspace) awsCredentials() aws.CredentialsProvider {
	getenv := w.deps.Getenv
	if getenv == nil || getenv("AWS_ACCESS_KEY_ID") == "" || getenv("AWS_SECRET_ACCESS_KEY") == "" {
		return nil
	}
	return credentials.NewStaticCredentialsProvider(getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN"))
}
