package github

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestMergedPullRequest(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t,
		answer(http.StatusOK, `[
			{"number":1,"merged_at":null,"head":{"sha":"h1"}},
			{"number":2,"merged_at":"2026-01-02T03:04:05Z","merge_commit_sha":"other","head":{"sha":"h2"}},
			{"number":3,"merged_at":"2026-01-02T03:04:05Z","merge_commit_sha":"abc","head":{"sha":"h3"}}
		]`),
		answer(http.StatusOK, `[{"number":1,"merged_at":null,"head":{"sha":"h1"}}]`),
	)
	c := api.client()
	pr, err := c.MergedPullRequest(context.Background(), "abc")
	if err != nil || pr == nil || pr.Number != 3 || pr.HeadSHA != "h3" {
		t.Fatalf("got %+v, %v; want the pull request whose merge commit it is", pr, err)
	}
	if pr, err := c.MergedPullRequest(context.Background(), "def"); pr != nil || err != nil {
		t.Errorf("a commit of no merged pull request: %+v, %v", pr, err)
	}
}

func TestLatestArtifact(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t, answer(http.StatusOK, `{"total_count":4,"artifacts":[
		{"id":10,"name":"plan","expired":false,"created_at":"2026-01-02T03:00:00Z","workflow_run":{"id":100,"head_sha":"h"}},
		{"id":11,"name":"plan","expired":false,"created_at":"2026-01-02T04:00:00Z","workflow_run":{"id":101,"head_sha":"h"}},
		{"id":12,"name":"plan","expired":true,"created_at":"2026-01-02T05:00:00Z","workflow_run":{"id":102,"head_sha":"h"}},
		{"id":13,"name":"plan","expired":false,"created_at":"2026-01-02T06:00:00Z","workflow_run":{"id":103,"head_sha":"other"}}
	]}`))
	a, err := api.client().LatestArtifact(context.Background(), "plan", "h")
	if err != nil || a == nil || a.ID != 11 || a.RunID != 101 {
		t.Fatalf("got %+v, %v; want the newest unexpired artifact of the commit", a, err)
	}
	if sent := api.sent(); len(sent) != 1 || sent[0] != "GET /repos/acme/shop/actions/artifacts?name=plan&per_page=100" {
		t.Errorf("requests %q", sent)
	}
}

func TestDownloadArtifactKeepsTheTokenFromStorage(t *testing.T) {
	t.Parallel()
	archive := []byte("PK\x03\x04 a zip archive")
	var (
		mu          sync.Mutex
		storageAuth []string
	)
	storage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		storageAuth = append(storageAuth, r.Header.Get("Authorization"))
		mu.Unlock()
		_, _ = w.Write(archive)
	}))
	t.Cleanup(storage.Close)
	api := newTestAPI(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, storage.URL+"/blob?sig=abc", http.StatusFound)
	})
	data, err := api.client().DownloadArtifact(context.Background(), 11)
	if err != nil || !bytes.Equal(data, archive) {
		t.Fatalf("got %q, %v", data, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(storageAuth) != 1 || storageAuth[0] != "" {
		t.Errorf("storage was sent Authorization %q", storageAuth)
	}
	api = newTestAPI(t, answer(http.StatusNotFound, `{"message":"Not Found"}`))
	if _, err := api.client().DownloadArtifact(context.Background(), 11); err == nil || !strings.Contains(err.Error(), "GitHub API GET /repos/acme/shop/actions/artifacts/11/zip: 404 Not Found (check the workflow's permissions") {
		t.Errorf("a missing artifact: %v", err)
	}
}
