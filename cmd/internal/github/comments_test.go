package github

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestMarkerCannotBeClosedByTheKey(t *testing.T) {
	t.Parallel()
	m := Marker("comment", "a-->b--")
	if strings.Count(m, "-->") != 1 || !strings.HasSuffix(m, " -->") {
		t.Errorf("marker %q can be closed early", m)
	}
}

func TestStickyCommentEditsTheMarkedComment(t *testing.T) {
	t.Parallel()
	marker := Marker("comment", "infra:prod")
	var api *testAPI
	// The marked comment is on the second page, which the first links.
	page1 := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", fmt.Sprintf(`<%s/repos/acme/shop/issues/5/comments?page=2&per_page=100>; rel="next"`, api.srv.URL))
		answer(http.StatusOK, `[{"id":1,"body":"looks good"}]`)(w, r)
	}
	api = newTestAPI(t,
		page1,
		answer(http.StatusOK, fmt.Sprintf(`[{"id":2,"body":%q}]`, marker+"\nold plan")),
		answer(http.StatusOK, `{"id":2}`),
	)
	edited, err := api.client().StickyComment(context.Background(), 5, marker, "new plan")
	if err != nil || !edited {
		t.Fatalf("StickyComment: edited %v, %v", edited, err)
	}
	want := []string{
		"GET /repos/acme/shop/issues/5/comments?per_page=100",
		"GET /repos/acme/shop/issues/5/comments?page=2&per_page=100",
		fmt.Sprintf(`PATCH /repos/acme/shop/issues/comments/2 {"body":%q}`, marker+"\nnew plan"),
	}
	if got := api.sent(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestStickyCommentPostsTheFirstOne(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t, answer(http.StatusOK, `[]`), answer(http.StatusCreated, `{"id":3}`))
	edited, err := api.client().StickyComment(context.Background(), 5, Marker("comment", "k"), "plan")
	if err != nil || edited {
		t.Fatalf("StickyComment: edited %v, %v", edited, err)
	}
	if sent := api.sent(); len(sent) != 2 || !strings.HasPrefix(sent[1], "POST /repos/acme/shop/issues/5/comments ") {
		t.Errorf("requests %q", sent)
	}
	api = newTestAPI(t, answer(http.StatusForbidden, `{"message":"Resource not accessible by integration"}`))
	_, err = api.client().StickyComment(context.Background(), 5, Marker("comment", "k"), "plan")
	if err == nil || !strings.HasPrefix(err.Error(), "cannot list the comments of pull request #5: GitHub API GET /repos/acme/shop/issues/5/comments: 403") {
		t.Errorf("a refused listing: %v", err)
	}
}
