package source

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// testRepo is a repository made with go-git in a temporary directory:
//
//	main:    c1 (index.html, run.sh +x, link -> index.html) <- c2 (adds about.html)
//	feature: c1 <- c3 (adds feature.html), not on main
type testRepo struct {
	dir          string
	c1, c2, c3   string
	when1, when2 time.Time
	worktree     *git.Worktree
	repo         *git.Repository
}

func newTestRepo(t *testing.T) *testRepo {
	t.Helper()
	r := &testRepo{dir: t.TempDir()}
	repo, err := git.PlainInitWithOptions(r.dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.repo = repo
	if r.worktree, err = repo.Worktree(); err != nil {
		t.Fatal(err)
	}
	r.when1 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	r.write(t, "index.html", "<h1>v1</h1>\n", 0o644)
	r.write(t, "run.sh", "#!/bin/sh\necho hi\n", 0o755)
	if err := os.Symlink("index.html", filepath.Join(r.dir, "link")); err != nil {
		t.Fatal(err)
	}
	r.c1 = r.commit(t, "first\n\nwith a body", r.when1, "index.html", "run.sh", "link")

	r.when2 = r.when1.Add(time.Hour)
	r.write(t, "about.html", "about\n", 0o644)
	r.c2 = r.commit(t, "second", r.when2, "about.html")

	if err := r.worktree.Checkout(&git.CheckoutOptions{Hash: plumbing.NewHash(r.c1), Branch: plumbing.NewBranchReferenceName("feature"), Create: true}); err != nil {
		t.Fatal(err)
	}
	r.write(t, "feature.html", "feature\n", 0o644)
	r.c3 = r.commit(t, "feature work", r.when2.Add(time.Hour), "feature.html")
	if err := r.worktree.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName("main")}); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *testRepo) write(t *testing.T, name, body string, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(r.dir, name), []byte(body), perm); err != nil {
		t.Fatal(err)
	}
}

func (r *testRepo) commit(t *testing.T, msg string, when time.Time, files ...string) string {
	t.Helper()
	for _, f := range files {
		if _, err := r.worktree.Add(f); err != nil {
			t.Fatal(err)
		}
	}
	h, err := r.worktree.Commit(msg, &git.CommitOptions{Author: &object.Signature{Name: "Ada", Email: "ada@example.com", When: when}})
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}
