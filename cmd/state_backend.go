package cmd

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/stagecraft/stagecraft/stacks"
	"github.com/stagecraft/stagecraft/state"
)

// openBackend opens the state backend of the environment's backend block
// (nil: the local files), encrypted when STAGECRAFT_STATE_KEY or
// STAGECRAFT_STATE_PASSPHRASE is set.
func (w *workspace) openBackend(ctx context.Context, block *stacks.Backend) (state.Backend, error) {
	enc, err := state.EncryptionFromEnv(w.deps.Getenv)
	if err != nil {
		return nil, userError("%s.", err)
	}
	if block == nil || block.Type == "local" {
		return w.localBackend(enc)
	}
	if block.Type != "s3" {
		return nil, userError("environment %q keeps its state in a %q backend, which stagecraft does not have; the backends are local and s3.", w.env.Name, block.Type)
	}
	cfg, diags := state.DecodeS3Config(block.Body, block.DeclRange)
	if diags.HasErrors() {
		printDiags(w.deps, w.g, w.stack.Files, diags)
		return nil, silentExit(ExitError)
	}
	cfg.Credentials = w.awsCredentials()
	b, err := state.NewS3(ctx, cfg, w.env.Name, enc)
	if err != nil {
		return nil, userError("environment %q: %s.", w.env.Name, strings.TrimSuffix(err.Error(), "."))
	}
	return b, nil
}

// localBackend is the state in .stagecraft/state, encrypted with enc when
// given.
func (w *workspace) localBackend(enc *state.Encryption) (state.Backend, error) {
	dir := filepath.Join(w.dir, dataDirName, "state")
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
