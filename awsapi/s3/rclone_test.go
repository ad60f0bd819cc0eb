package s3

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgecd/edgecd/objstore"
)

// TestRcloneSyncBothWays syncs a tree up with rclone, changes it, syncs
// again, then syncs the bucket down into an empty directory and compares.
func TestRcloneSyncBothWays(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("rclone")
	if err != nil {
		t.Skip("rclone is not installed (Debian package rclone)")
	}
	ts := newTestServer(t)
	if err := ts.Objs.CreateBucket(t.Context(), "rcl", objstore.BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	env := []string{"PATH=/usr/bin:/bin", "HOME=" + home, "RCLONE_CONFIG=" + filepath.Join(home, "rclone.conf"),
		"RCLONE_CONFIG_EDGE_TYPE=s3", "RCLONE_CONFIG_EDGE_PROVIDER=Other", "RCLONE_CONFIG_EDGE_ENDPOINT=" + ts.URL,
		"RCLONE_CONFIG_EDGE_ACCESS_KEY_ID=" + testKeyID, "RCLONE_CONFIG_EDGE_SECRET_ACCESS_KEY=" + testSecret,
		"RCLONE_CONFIG_EDGE_REGION=us-east-1", "RCLONE_CONFIG_EDGE_FORCE_PATH_STYLE=true"}
	rclone := func(args ...string) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("rclone %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "assets", "deep"), 0o755)
	for i := range 30 {
		os.WriteFile(filepath.Join(src, "assets", fmt.Sprintf("f%02d.txt", i)), bytes.Repeat([]byte{byte('a' + i%26)}, i*100), 0o644)
	}
	os.WriteFile(filepath.Join(src, "index.html"), []byte("<h1>rclone</h1>"), 0o644)
	big := bytes.Repeat([]byte("0123456789abcdef"), 7<<16) // 7 MiB: above a 5 MiB upload cutoff
	os.WriteFile(filepath.Join(src, "assets", "deep", "big.bin"), big, 0o644)
	flags := []string{"--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M"}
	rclone(append([]string{"sync", src, "edge:rcl/site"}, flags...)...)
	os.Remove(filepath.Join(src, "assets", "f00.txt"))
	os.WriteFile(filepath.Join(src, "assets", "f01.txt"), []byte("changed"), 0o644)
	rclone(append([]string{"sync", src, "edge:rcl/site"}, flags...)...)
	if _, err := ts.Objs.Stat(t.Context(), "rcl", "site/assets/f00.txt"); err == nil {
		t.Fatal("sync did not delete a removed file")
	}
	dst := t.TempDir()
	rclone("sync", "edge:rcl/site", dst)
	if a, b := readTree(t, src), readTree(t, dst); a != b {
		t.Fatalf("the tree synced down differs from the one synced up:\n%s\n---\n%s", a, b)
	}
	rclone("check", src, "edge:rcl/site")
}

// readTree describes a directory's files and contents, for comparison.
func readTree(t *testing.T, dir string) string {
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(&b, "%s %d %x\n", rel, len(data), sha256.Sum256(data))
		return err
	})
	return b.String()
}
