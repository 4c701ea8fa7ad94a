package github

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestFindOpenIssueFiltersByLabel(t *testing.T) {
	t.Parallel()
	marker := Marker("drift", "infra:prod")
	api := newTestAPI(t, answer(http.StatusOK, fmt.Sprintf(`[
		{"number":9,"body":%[1]q,"pull_request":{"url":"x"}},
		{"number":8,"body":%[2]q},
		{"number":7,"body":%[3]q}
	]`, marker, Marker("drift", "infra:dev"), marker+"\nplan")))
	is, err := api.client().FindOpenIssue(context.Background(), "stagecraft-drift", marker)
	if err != nil || is == nil || is.Number != 7 {
		t.Fatalf("got %+v, %v; want issue 7 (not the pull request, not another environment's)", is, err)
	}
	if sent := api.sent(); len(sent) != 1 || sent[0] != "GET /repos/acme/shop/issues?labels=stagecraft-drift&per_page=100&state=open" {
		t.Errorf("requests %q, want one filtered by the label", sent)
	}
}

func TestIssueLifecycle(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t,
		answer(http.StatusCreated, `{"number":4,"title":"drift"}`),
		answer(http.StatusOK, `{"number":4}`),
		answer(http.StatusOK, `{"number":4}`),
	)
	c := api.client()
	ctx := context.Background()
	is, err := c.CreateIssue(ctx, "drift", "found drift", "stagecraft-drift")
	if err != nil || is.Number != 4 {
		t.Fatalf("CreateIssue: %+v, %v", is, err)
	}
	if err := c.EditIssue(ctx, 4, "drift again", "still"); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseIssue(ctx, 4); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`POST /repos/acme/shop/issues {"title":"drift","body":"found drift","labels":["stagecraft-drift"]}`,
		`PATCH /repos/acme/shop/issues/4 {"title":"drift again","body":"still"}`,
		`PATCH /repos/acme/shop/issues/4 {"state":"closed","state_reason":"completed"}`,
	}
	if got := api.sent(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
