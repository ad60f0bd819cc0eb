package source

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// serveGit serves repositories under root over the git:// protocol with
// git daemon on a loopback port. It skips without git installed.
func serveGit(t *testing.T, root string) string {
	t.Helper()
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed; the git:// test needs git daemon as a server")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(git, "daemon", "--reuseaddr", "--export-all", "--listen=127.0.0.1", "--port="+strconv.Itoa(port), "--base-path="+root, root)
	cmd.Env = []string{"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + root}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Skipf("git daemon did not start listening on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "git://" + addr
}

func TestRemoteOverGitProtocol(t *testing.T) {
	r := newTestRepo(t)
	url := serveGit(t, filepath.Dir(r.dir)) + "/" + filepath.Base(r.dir)
	ctx := context.Background()
	head, err := Resolve(ctx, Repo{URL: url, Branch: "main"})
	if err != nil || head != r.c2 {
		t.Fatalf("Resolve = %s, %v; want %s", head, err, r.c2)
	}
	dir := t.TempDir()
	c, err := Checkout(ctx, Repo{URL: url, Branch: "main"}, r.c1, dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != r.c1 {
		t.Errorf("commit = %s, want %s", c.ID, r.c1)
	}
	if got, want := tree(t, dir), []string{"index.html", "link -> index.html", "run.sh*"}; !reflect.DeepEqual(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
}
