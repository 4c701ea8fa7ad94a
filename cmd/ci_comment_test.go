package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stagecraft/stagecraft/cmd/internal/github"
)

func TestCIComment(t *testing.T) {
	t.Parallel()
	gh := newFakeGitHub(t)
	s := newSession(t, nil)
	work := ciWorkdir(t, s, gh, "pull_request", prEvent(6))
	notes := filepath.Join(work, "notes.md")
	write := func(text string) {
		if err := os.WriteFile(notes, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Other people's comments come first, over more than one page.
	for i := 0; i < 150; i++ {
		gh.comments[6] = append(gh.comments[6], &fakeComment{ID: int64(i + 1), Body: "looks good"})
	}

	write("first")
	if r := s.run("ci", "comment", "--body-file", notes, "--key", "notes"); r.code != 0 || r.out != "Posted the Stagecraft comment on pull request #6.\n" {
		t.Fatalf("first comment: exit %d\n%s%s", r.code, r.out, r.err)
	}
	write("second")
	if r := s.run("ci", "comment", "--body-file", notes, "--key", "notes"); r.code != 0 || r.out != "Updated the Stagecraft comment on pull request #6.\n" {
		t.Fatalf("second comment: exit %d\n%s%s", r.code, r.out, r.err)
	}
	// Another key is another comment; stdin works as the body.
	s.stdin = "from stdin"
	if r := s.run("ci", "comment", "--body-file", "-", "--key", "other"); r.code != 0 {
		t.Fatalf("stdin comment: exit %d\n%s", r.code, r.err)
	}
	cs := gh.prComments(6)
	if len(cs) != 152 {
		t.Fatalf("%d comments, want 150 others and 2 of Stagecraft's", len(cs))
	}
	if !strings.HasPrefix(cs[150].Body, github.Marker("comment", "notes")+"\nsecond") || cs[150].Edits != 1 {
		t.Errorf("the notes comment (edited %d times):\n%s", cs[150].Edits, cs[150].Body)
	}
	if !strings.HasPrefix(cs[151].Body, github.Marker("comment", "other")+"\nfrom stdin") {
		t.Errorf("the other comment:\n%s", cs[151].Body)
	}

	tests := map[string]struct {
		event string
		args  []string
		want  string
	}{
		"no body":        {event: "pull_request", args: []string{"ci", "comment"}, want: "ci comment needs --body-file FILE"},
		"missing file":   {event: "pull_request", args: []string{"ci", "comment", "--body-file", "nope.md"}, want: "cannot read the comment body nope.md"},
		"not a PR event": {event: "push", args: []string{"ci", "comment", "--body-file", notes}, want: `the "push" event is not a pull request; pass --pr NUMBER`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newSession(t, nil)
			ciWorkdir(t, s, gh, tc.event, prEvent(6))
			if r := s.run(tc.args...); r.code != 1 || !strings.Contains(r.err, tc.want) {
				t.Errorf("exit %d, want 1 and %q in:\n%s", r.code, tc.want, r.err)
			}
		})
	}
}
