package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// tree lists dir's files as "name" or "name -> target" for links, with "*"
// after executables.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch fi, _ := os.Lstat(p); {
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			rel += " -> " + target
		case fi.Mode()&0o100 != 0:
			rel += "*"
		}
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestResolveLocal(t *testing.T) {
	r := newTestRepo(t)
	for _, url := range []string{r.dir, "file://" + r.dir} {
		for branch, want := range map[string]string{"main": r.c2, "feature": r.c3} {
			got, err := Resolve(context.Background(), Repo{URL: url, Branch: branch})
			if err != nil || got != want {
				t.Errorf("Resolve(%s, %s) = %s, %v; want %s", url, branch, got, err, want)
			}
		}
	}
}

func TestResolveErrors(t *testing.T) {
	r := newTestRepo(t)
	tests := []struct {
		name    string
		repo    Repo
		want    error
		message string
	}{
		{"unknown branch names the branches there are", Repo{r.dir, "mian"}, ErrUnknownBranch, `has no branch "mian"; it has feature, main`},
		{"no branch", Repo{r.dir, ""}, ErrUnknownBranch, "no branch given"},
		{"full ref name", Repo{r.dir, "refs/heads/main"}, ErrUnknownBranch, "without refs/heads/"},
		{"not a repository", Repo{t.TempDir(), "main"}, ErrNotRepository, "no .git directory"},
		{"missing directory", Repo{filepath.Join(t.TempDir(), "nope"), "main"}, ErrNotRepository, ""},
		{"empty URL", Repo{"", "main"}, ErrNotRepository, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Resolve(context.Background(), tt.repo)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.message) {
				t.Errorf("err = %v, want %v containing %q", err, tt.want, tt.message)
			}
		})
	}
}

func TestCheckoutLocal(t *testing.T) {
	r := newTestRepo(t)
	repo := Repo{URL: r.dir, Branch: "main"}
	tests := []struct {
		name   string
		commit string
		want   string
		files  []string
	}{
		{"branch head", "", r.c2, []string{"about.html", "index.html", "link -> index.html", "run.sh*"}},
		{"pinned older commit", r.c1, r.c1, []string{"index.html", "link -> index.html", "run.sh*"}},
		{"short id", r.c1[:7], r.c1, []string{"index.html", "link -> index.html", "run.sh*"}},
		{"upper-case id", strings.ToUpper(r.c2), r.c2, []string{"about.html", "index.html", "link -> index.html", "run.sh*"}},
		{"commit of another branch", r.c3, r.c3, []string{"feature.html", "index.html", "link -> index.html", "run.sh*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "work")
			c, err := Checkout(context.Background(), repo, tt.commit, dir)
			if err != nil {
				t.Fatal(err)
			}
			if c.ID != tt.want || c.Short != tt.want[:7] {
				t.Errorf("commit = %s (%s), want %s", c.ID, c.Short, tt.want)
			}
			if got := tree(t, dir); !reflect.DeepEqual(got, tt.files) {
				t.Errorf("files = %v, want %v", got, tt.files)
			}
		})
	}
}

func TestCheckoutDescribesTheCommit(t *testing.T) {
	r := newTestRepo(t)
	dir := t.TempDir()
	c, err := Checkout(context.Background(), Repo{URL: r.dir, Branch: "main"}, r.c1, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := &Commit{ID: r.c1, Short: r.c1[:7], Message: "first\n\nwith a body", Author: "Ada <ada@example.com>", When: r.when1}
	if !c.When.Equal(want.When) {
		t.Errorf("When = %v, want %v", c.When, want.When)
	}
	c.When = want.When
	if !reflect.DeepEqual(c, want) {
		t.Errorf("commit = %+v, want %+v", c, want)
	}
	body, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil || string(body) != "<h1>v1</h1>\n" {
		t.Errorf("index.html = %q, %v", body, err)
	}
}

func TestCheckoutErrors(t *testing.T) {
	r := newTestRepo(t)
	repo := Repo{URL: r.dir, Branch: "main"}
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "old"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		repo    Repo
		commit  string
		dir     string
		want    error
		message string
	}{
		{"unknown commit", repo, strings.Repeat("ab", 20), "", ErrUnknownCommit, "has no commit abab"},
		{"unknown short commit", repo, "abcdef0", "", ErrUnknownCommit, "has no commit abcdef0"},
		{"too short", repo, "abc", "", ErrUnknownCommit, "want 7 to 40 hexadecimal digits"},
		{"not hex", repo, "main~1zz", "", ErrUnknownCommit, "not a hexadecimal digit"},
		{"too long", repo, strings.Repeat("a", 41), "", ErrUnknownCommit, "want 7 to 40"},
		{"unknown branch", Repo{r.dir, "nope"}, "", "", ErrUnknownBranch, `no branch "nope"`},
		{"not a repository", Repo{t.TempDir(), "main"}, "", "", ErrNotRepository, ""},
		{"directory not empty", repo, "", full, nil, "is not empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir
			if dir == "" {
				dir = t.TempDir()
			}
			_, err := Checkout(context.Background(), tt.repo, tt.commit, dir)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) || !strings.Contains(err.Error(), tt.message) {
				t.Errorf("err = %v, want %v containing %q", err, tt.want, tt.message)
			}
		})
	}
}

func TestCheckoutHonoursCancellation(t *testing.T) {
	r := newTestRepo(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Checkout(ctx, Repo{URL: r.dir, Branch: "main"}, "", t.TempDir()); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestLocalPath(t *testing.T) {
	tests := []struct {
		url   string
		path  string
		local bool
	}{
		{"/srv/site", "/srv/site", true},
		{"site", "site", true},
		{"./a:b", "./a:b", true},
		{"file:///srv/site", "/srv/site", true},
		{"file://localhost/srv/site", "/srv/site", true},
		{"file://other/srv/site", "", false},
		{"https://github.com/o/r.git", "", false},
		{"ssh://git@github.com/o/r.git", "", false},
		{"git@github.com:o/r.git", "", false},
		{"git://example.com/r", "", false},
	}
	for _, tt := range tests {
		path, local := localPath(tt.url)
		if path != tt.path || local != tt.local {
			t.Errorf("localPath(%q) = %q, %v; want %q, %v", tt.url, path, local, tt.path, tt.local)
		}
	}
}
