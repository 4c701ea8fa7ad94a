package cmd

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeGitHub is the part of the GitHub REST API the ci commands call,
// kept in memory and served on 127.0.0.1: issue comments, issues, the
// pull requests of a commit and workflow artifacts. It checks the token
// and the API version header on every call, and pages listings as GitHub
// does (per_page and page, with a Link header to the next page).
type fakeGitHub struct {
	t     *testing.T
	srv   *httptest.Server
	token string

	mu        sync.Mutex
	nextID    int64
	comments  map[int][]*fakeComment
	issues    []*fakeIssue
	pulls     map[string][]map[string]any
	artifacts []*fakeArtifact
	// calls lists "METHOD PATH" of every request, in order.
	calls []string
	// failNext answers the next calls with this status before serving.
	failNext []int
}

type fakeComment struct {
	ID    int64
	Body  string
	Edits int
}

type fakeIssue struct {
	Number      int
	Title, Body string
	State       string
	StateReason string
	Labels      []string
	IsPR        bool
}

type fakeArtifact struct {
	ID        int64
	Name      string
	HeadSHA   string
	RunID     int64
	CreatedAt string
	Expired   bool
	Zip       []byte
}

const (
	fakeRepo  = "acme/shop"
	fakeToken = "ghs_test-token-never-printed"
)

func newFakeGitHub(t *testing.T) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{t: t, token: fakeToken, nextID: 1000, comments: map[int][]*fakeComment{}, pulls: map[string][]map[string]any{}}
	mux := http.NewServeMux()
	repo := "/repos/{owner}/{repo}"
	mux.HandleFunc("GET "+repo+"/issues/{n}/comments", f.listComments)
	mux.HandleFunc("POST "+repo+"/issues/{n}/comments", f.createComment)
	mux.HandleFunc("PATCH "+repo+"/issues/comments/{id}", f.updateComment)
	mux.HandleFunc("GET "+repo+"/issues", f.listIssues)
	mux.HandleFunc("POST "+repo+"/issues", f.createIssue)
	mux.HandleFunc("PATCH "+repo+"/issues/{n}", f.editIssue)
	mux.HandleFunc("GET "+repo+"/commits/{sha}/pulls", f.commitPulls)
	mux.HandleFunc("GET "+repo+"/actions/artifacts", f.listArtifacts)
	mux.HandleFunc("GET "+repo+"/actions/artifacts/{id}/zip", f.artifactZip)
	mux.HandleFunc("GET /storage/{id}", f.storage)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.calls = append(f.calls, r.Method+" "+r.URL.Path)
		if len(f.failNext) > 0 {
			code := f.failNext[0]
			f.failNext = f.failNext[1:]
			f.mu.Unlock()
			http.Error(w, `{"message":"try later"}`, code)
			return
		}
		f.mu.Unlock()
		if !strings.HasPrefix(r.URL.Path, "/storage/") {
			if r.Header.Get("Authorization") != "Bearer "+f.token {
				http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
				return
			}
			if r.Header.Get("X-GitHub-Api-Version") == "" {
				http.Error(w, `{"message":"no API version"}`, http.StatusBadRequest)
				return
			}
			if !strings.HasPrefix(r.URL.Path, "/repos/"+fakeRepo+"/") {
				http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
				return
			}
		} else if r.Header.Get("Authorization") != "" {
			// Signed storage addresses must not receive the token.
			http.Error(w, "token sent to storage", http.StatusBadRequest)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// env is the workflow environment pointing at this server.
func (f *fakeGitHub) env(dir string, event string, payload any) map[string]string {
	f.t.Helper()
	eventPath := filepath.Join(dir, "event.json")
	data, err := json.Marshal(payload)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(eventPath, data, 0o644); err != nil {
		f.t.Fatal(err)
	}
	return map[string]string{
		"GITHUB_API_URL": f.srv.URL, "GITHUB_SERVER_URL": "https://github.example", "GITHUB_REPOSITORY": fakeRepo,
		"GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": eventPath, "GITHUB_RUN_ID": "4242",
		"GITHUB_TOKEN": f.token, "GITHUB_OUTPUT": filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md"),
	}
}

// page is the slice [lo, hi) of n items that r asks for; when more
// follow, it links the next page in w's Link header, as GitHub does.
func (f *fakeGitHub) page(w http.ResponseWriter, r *http.Request, n int) (int, int) {
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30
	}
	page, _ := strconv.Atoi(q.Get("page"))
	if page <= 0 {
		page = 1
	}
	lo := min((page-1)*per, n)
	hi := min(lo+per, n)
	if hi < n {
		q.Set("page", strconv.Itoa(page+1))
		q.Set("per_page", strconv.Itoa(per))
		w.Header().Set("Link", fmt.Sprintf(`<%s%s?%s>; rel="next"`, f.srv.URL, r.URL.Path, q.Encode()))
	}
	return lo, hi
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// fakeRequest is the JSON body of a request that writes a comment or an
// issue; a field left out is nil.
type fakeRequest struct {
	Body        *string  `json:"body"`
	Title       *string  `json:"title"`
	State       *string  `json:"state"`
	StateReason *string  `json:"state_reason"`
	Labels      []string `json:"labels"`
}

func readBody(r *http.Request) fakeRequest {
	var b fakeRequest
	_ = json.NewDecoder(r.Body).Decode(&b)
	return b
}

// set copies a field the request gave.
func set(dst *string, src *string) {
	if src != nil {
		*dst = *src
	}
}

func (f *fakeGitHub) listComments(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.PathValue("n"))
	f.mu.Lock()
	defer f.mu.Unlock()
	cs := f.comments[n]
	lo, hi := f.page(w, r, len(cs))
	out := []map[string]any{}
	for _, c := range cs[lo:hi] {
		out = append(out, map[string]any{"id": c.ID, "body": c.Body, "user": map[string]any{"login": "github-actions[bot]"}})
	}
	writeJSON(w, http.StatusOK, out)
}

func (f *fakeGitHub) createComment(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.PathValue("n"))
	var body string
	set(&body, readBody(r).Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(body) > 65536 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": "Body is too long"})
		return
	}
	f.nextID++
	c := &fakeComment{ID: f.nextID, Body: body}
	f.comments[n] = append(f.comments[n], c)
	writeJSON(w, http.StatusCreated, map[string]any{"id": c.ID, "body": c.Body})
}

func (f *fakeGitHub) updateComment(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var body string
	set(&body, readBody(r).Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, cs := range f.comments {
		for _, c := range cs {
			if c.ID == id {
				c.Body = body
				c.Edits++
				writeJSON(w, http.StatusOK, map[string]any{"id": c.ID, "body": c.Body})
				return
			}
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
}

func (f *fakeGitHub) listIssues(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	var labels []string
	if l := r.URL.Query().Get("labels"); l != "" {
		labels = strings.Split(l, ",")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var sel []*fakeIssue
	// Newest first, as GitHub lists them; with labels, only the issues
	// that carry all of them.
	for i := len(f.issues) - 1; i >= 0; i-- {
		is := f.issues[i]
		if !(state == "all" || is.State == state || (state == "" && is.State == "open")) {
			continue
		}
		if slices.ContainsFunc(labels, func(l string) bool { return !slices.Contains(is.Labels, l) }) {
			continue
		}
		sel = append(sel, is)
	}
	lo, hi := f.page(w, r, len(sel))
	out := []map[string]any{}
	for _, is := range sel[lo:hi] {
		m := map[string]any{"number": is.Number, "title": is.Title, "body": is.Body, "state": is.State}
		if is.IsPR {
			m["pull_request"] = map[string]any{"url": "x"}
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, out)
}

func (f *fakeGitHub) createIssue(w http.ResponseWriter, r *http.Request) {
	b := readBody(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	is := &fakeIssue{Number: len(f.issues) + 1, State: "open", Labels: b.Labels}
	set(&is.Title, b.Title)
	set(&is.Body, b.Body)
	f.issues = append(f.issues, is)
	writeJSON(w, http.StatusCreated, map[string]any{"number": is.Number, "title": is.Title, "body": is.Body, "state": is.State})
}

func (f *fakeGitHub) editIssue(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.PathValue("n"))
	b := readBody(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	if n < 1 || n > len(f.issues) {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	is := f.issues[n-1]
	set(&is.Title, b.Title)
	set(&is.Body, b.Body)
	set(&is.State, b.State)
	set(&is.StateReason, b.StateReason)
	if b.Labels != nil {
		is.Labels = b.Labels
	}
	writeJSON(w, http.StatusOK, map[string]any{"number": is.Number, "state": is.State})
}

func (f *fakeGitHub) commitPulls(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	prs := f.pulls[r.PathValue("sha")]
	if prs == nil {
		prs = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, prs)
}

// mergePR records that commit mergeSHA merged pull request n whose last
// commit was headSHA.
func (f *fakeGitHub) mergePR(n int, mergeSHA, headSHA string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pulls[mergeSHA] = append(f.pulls[mergeSHA], map[string]any{
		"number": n, "state": "closed", "merged_at": "2026-01-02T03:04:05Z", "merge_commit_sha": mergeSHA,
		"head": map[string]any{"sha": headSHA},
	})
}

func (f *fakeGitHub) listArtifacts(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	f.mu.Lock()
	defer f.mu.Unlock()
	var sel []*fakeArtifact
	for i := len(f.artifacts) - 1; i >= 0; i-- {
		if a := f.artifacts[i]; name == "" || a.Name == name {
			sel = append(sel, a)
		}
	}
	lo, hi := f.page(w, r, len(sel))
	out := []map[string]any{}
	for _, a := range sel[lo:hi] {
		out = append(out, map[string]any{
			"id": a.ID, "name": a.Name, "expired": a.Expired, "created_at": a.CreatedAt, "size_in_bytes": len(a.Zip),
			"workflow_run": map[string]any{"id": a.RunID, "head_sha": a.HeadSHA, "head_branch": "feature"},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(sel), "artifacts": out})
}

// addArtifact uploads the files of dir as an artifact, zipped as
// actions/upload-artifact does with a directory path.
func (f *fakeGitHub) addArtifact(name, headSHA, createdAt, dir string) *fakeArtifact {
	f.t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			f.t.Fatal(err)
		}
		w, err := zw.Create(e.Name())
		if err != nil {
			f.t.Fatal(err)
		}
		_, _ = w.Write(data)
	}
	if err := zw.Close(); err != nil {
		f.t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	a := &fakeArtifact{ID: f.nextID, Name: name, HeadSHA: headSHA, RunID: 7000 + f.nextID, CreatedAt: createdAt, Zip: buf.Bytes()}
	f.artifacts = append(f.artifacts, a)
	return a
}

// artifactZip redirects to a storage address, as GitHub does.
func (f *fakeGitHub) artifactZip(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, f.srv.URL+"/storage/"+r.PathValue("id")+"?sig=abc", http.StatusFound)
}

func (f *fakeGitHub) storage(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.artifacts {
		if a.ID == id {
			w.Header().Set("Content-Type", "application/zip")
			_, _ = w.Write(a.Zip)
			return
		}
	}
	http.NotFound(w, r)
}

// prComments returns the bodies of pull request n's comments.
func (f *fakeGitHub) prComments(n int) []*fakeComment {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*fakeComment, 0, len(f.comments[n]))
	for _, c := range f.comments[n] {
		cc := *c
		out = append(out, &cc)
	}
	return out
}

func (f *fakeGitHub) callCount(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

// readOutputs parses a $GITHUB_OUTPUT file: name=value lines and
// name<<DELIM heredocs. A later value of a name wins, as on GitHub.
func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("GITHUB_OUTPUT: %v", err)
	}
	out := map[string]string{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l == "" {
			continue
		}
		if name, delim, ok := strings.Cut(l, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				val = append(val, lines[i])
			}
			if i == len(lines) {
				t.Fatalf("GITHUB_OUTPUT: heredoc %s never closed:\n%s", delim, data)
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		name, val, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("GITHUB_OUTPUT: line %q is neither name=value nor a heredoc", l)
		}
		out[name] = val
	}
	return out
}

// outputNames lists the outputs' names, sorted, for messages.
func outputNames(m map[string]string) string {
	var names []string
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return fmt.Sprint(names)
}
