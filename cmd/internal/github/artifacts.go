package github

import (
	"context"
	"fmt"
	"io"
	"net/http"

	gogithub "github.com/google/go-github/v93/github"
)

// MaxArtifactBytes bounds the size of a downloaded artifact archive, and
// of any file read from one.
const MaxArtifactBytes = 256 << 20

// Artifact is a workflow run's uploaded artifact.
type Artifact struct {
	ID   int64
	Name string
	// RunID is the run that uploaded it.
	RunID int64
}

// LatestArtifact returns the newest unexpired artifact called name that a
// run for commit headSHA uploaded, or nil.
func (c *Client) LatestArtifact(ctx context.Context, name, headSHA string) (*Artifact, error) {
	var best *gogithub.Artifact
	opts := &gogithub.ListArtifactsOptions{Name: &name, ListOptions: gogithub.ListOptions{PerPage: 100}}
	listed := 0
	for a, err := range c.api.Actions.ListArtifactsIter(apiContext(ctx), c.owner, c.name, opts) {
		if err != nil {
			return nil, c.failure(nil, err)
		}
		if listed++; listed == maxListed {
			break
		}
		if a.GetName() != name || a.GetExpired() || a.GetWorkflowRun().GetHeadSHA() != headSHA {
			continue
		}
		if best == nil || newer(a, best) {
			best = a
		}
	}
	if best == nil {
		return nil, nil
	}
	return &Artifact{ID: best.GetID(), Name: best.GetName(), RunID: best.GetWorkflowRun().GetID()}, nil
}

// newer is whether a was uploaded after b; of two uploaded in the same
// second, the one with the higher ID is.
func newer(a, b *gogithub.Artifact) bool {
	ta, tb := a.GetCreatedAt().Time, b.GetCreatedAt().Time
	return ta.After(tb) || (ta.Equal(tb) && a.GetID() > b.GetID())
}

// DownloadArtifact returns an artifact's zip archive. GitHub answers with
// a redirect to a signed storage address, which is fetched without the
// token: the address is its own credential, and the token must not reach
// the storage service.
func (c *Client) DownloadArtifact(ctx context.Context, id int64) ([]byte, error) {
	path := fmt.Sprintf("/repos/%s/%s/actions/artifacts/%d/zip", c.owner, c.name, id)
	where, resp, err := c.api.Actions.DownloadArtifact(apiContext(ctx), c.owner, c.name, id, 10)
	if err != nil {
		return nil, c.failure(resp, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, where.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("GitHub API GET %s: the storage address is not usable: %w", path, err)
	}
	got, err := c.download.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GitHub API GET %s: %w", path, err)
	}
	defer got.Body.Close()
	if got.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GitHub API GET %s: the storage service answered %s", path, got.Status)
	}
	data, err := io.ReadAll(io.LimitReader(got.Body, MaxArtifactBytes+1))
	if err != nil {
		return nil, fmt.Errorf("GitHub API GET %s: %w", path, err)
	}
	if len(data) > MaxArtifactBytes {
		return nil, fmt.Errorf("GitHub API GET %s: the artifact is larger than %d MiB", path, MaxArtifactBytes>>20)
	}
	return data, nil
}
