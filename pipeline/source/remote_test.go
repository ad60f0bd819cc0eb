package source

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// serveHTTP serves repositories under root over git's smart HTTP protocol
// with git http-backend, so the remote code path (ls-refs, shallow and full
// fetches) runs against a real git server. It skips without git installed.
func serveHTTP(t *testing.T, root string, config ...string) string {
	t.Helper()
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed; the remote tests need git http-backend as a server")
	}
	h := &cgi.Handler{
		Path: git,
		Args: []string{"http-backend"},
		Env: []string{
			"GIT_PROJECT_ROOT=" + root,
			"GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_GLOBAL=/dev/null",
			"GIT_CONFIG_NOSYSTEM=1",
			"HOME=" + root,
		},
		Stderr: io.Discard,
	}
	h.Env = append(h.Env, config...)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRemoteOverHTTP(t *testing.T) {
	t.Run("server refusing commits by id", func(t *testing.T) { testRemote(t) })
	// GitHub serves any reachable commit by id: a pinned commit is then
	// fetched alone, one commit deep.
	t.Run("server serving commits by id", func(t *testing.T) {
		testRemote(t, "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=uploadpack.allowReachableSHA1InWant", "GIT_CONFIG_VALUE_0=true")
	})
}

func testRemote(t *testing.T, config ...string) {
	r := newTestRepo(t)
	base := serveHTTP(t, filepath.Dir(r.dir), config...)
	url := base + "/" + filepath.Base(r.dir)
	ctx := context.Background()

	t.Run("resolve", func(t *testing.T) {
		got, err := Resolve(ctx, Repo{URL: url, Branch: "main"})
		if err != nil || got != r.c2 {
			t.Errorf("Resolve = %s, %v; want %s", got, err, r.c2)
		}
	})
	t.Run("unknown branch", func(t *testing.T) {
		_, err := Resolve(ctx, Repo{URL: url, Branch: "nope"})
		if !errors.Is(err, ErrUnknownBranch) || !strings.Contains(err.Error(), "it has feature, main") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("no repository there", func(t *testing.T) {
		_, err := Resolve(ctx, Repo{URL: base + "/missing", Branch: "main"})
		if !errors.Is(err, ErrNotRepository) {
			t.Errorf("err = %v, want ErrNotRepository", err)
		}
	})
	checkouts := []struct {
		name   string
		commit string
		want   string
		files  []string
	}{
		{"head, shallow", "", r.c2, []string{"about.html", "index.html", "link -> index.html", "run.sh*"}},
		{"short id of the head", r.c2[:7], r.c2, []string{"about.html", "index.html", "link -> index.html", "run.sh*"}},
		{"pinned older commit", r.c1, r.c1, []string{"index.html", "link -> index.html", "run.sh*"}},
		{"short id of an older commit", r.c1[:8], r.c1, []string{"index.html", "link -> index.html", "run.sh*"}},
		{"commit on another branch", r.c3, r.c3, []string{"feature.html", "index.html", "link -> index.html", "run.sh*"}},
	}
	for _, tt := range checkouts {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			c, err := Checkout(ctx, Repo{URL: url, Branch: "main"}, tt.commit, dir)
			if err != nil {
				t.Fatal(err)
			}
			if c.ID != tt.want {
				t.Errorf("commit = %s, want %s", c.ID, tt.want)
			}
			if got := tree(t, dir); !reflect.DeepEqual(got, tt.files) {
				t.Errorf("files = %v, want %v", got, tt.files)
			}
		})
	}
	t.Run("unknown commit", func(t *testing.T) {
		_, err := Checkout(ctx, Repo{URL: url, Branch: "main"}, strings.Repeat("0123", 10), t.TempDir())
		if !errors.Is(err, ErrUnknownCommit) {
			t.Errorf("err = %v, want ErrUnknownCommit", err)
		}
	})
}

// A server that is not git at all must give an error a person can act on,
// not a hang or a panic.
func TestRemoteNotAGitServer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, err := Resolve(context.Background(), Repo{URL: srv.URL + "/x.git", Branch: "main"})
	if !errors.Is(err, ErrNotRepository) {
		t.Errorf("err = %v, want ErrNotRepository", err)
	}
}
