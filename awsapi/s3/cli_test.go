package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgecd/edgecd/internal/awscli"

	"github.com/edgecd/edgecd/objstore"
)

// newCLI runs the real aws CLI v2 against the test server.
func newCLI(t *testing.T, ts *testServer) *awscli.CLI {
	return awscli.New(t, ts.URL, testKeyID, testSecret)
}

// TestCLISyncDeploy is the seeds' deploy step with the real aws CLI v2.
func TestCLISyncDeploy(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := newCLI(t, ts)
	c.Run(nil, "s3", "mb", "s3://site")
	build := t.TempDir()
	os.MkdirAll(filepath.Join(build, "assets", "img"), 0o755)
	files := map[string]string{"index.html": "<h1>2.0.0</h1>", "assets/app.js": "console.log(2)", "assets/img/a b.svg": "<svg/>"}
	for i := range 20 {
		files[fmt.Sprintf("assets/f%02d.txt", i)] = fmt.Sprintf("asset %d", i)
	}
	for name, body := range files {
		os.WriteFile(filepath.Join(build, name), []byte(body), 0o644)
	}
	c.Run(nil, "s3", "sync", build, "s3://site/2.0.0/", "--delete", "--only-show-errors")
	for name, body := range files {
		f, info, err := ts.Objs.Open(t.Context(), "site", "2.0.0/"+name)
		if err != nil {
			t.Fatalf("%s was not uploaded: %v", name, err)
		}
		f.Close()
		if info.Size != int64(len(body)) {
			t.Fatalf("%s has %d bytes, want %d", name, info.Size, len(body))
		}
	}
	if info, _ := ts.Objs.Stat(t.Context(), "site", "2.0.0/index.html"); info.ContentType != "text/html" {
		t.Fatalf("index.html has type %q", info.ContentType)
	}
	if out := c.Run(nil, "s3", "sync", build, "s3://site/2.0.0/", "--delete", "--no-progress"); out != "" {
		t.Fatalf("a second sync did something:\n%s", out)
	}
	os.Remove(filepath.Join(build, "assets", "f00.txt"))
	if out := c.Run(nil, "s3", "sync", build, "s3://site/2.0.0/", "--delete", "--no-progress"); strings.TrimSpace(out) != "delete: s3://site/2.0.0/assets/f00.txt" {
		t.Fatalf("sync --delete of one removed file printed:\n%s", out)
	}
	if out := c.Run(nil, "s3", "ls", "s3://site/2.0.0/", "--recursive"); strings.Count(out, "\n") != len(files)-1 || !strings.Contains(out, "2.0.0/assets/img/a b.svg") {
		t.Fatalf("ls --recursive:\n%s", out)
	}
	c.Run(nil, "s3", "rm", "s3://site/2.0.0/", "--recursive", "--only-show-errors")
	if err := ts.Objs.DeleteBucket(t.Context(), "site"); err != nil {
		t.Fatalf("rm --recursive left objects: %v", err)
	}
}

func TestCLIMultipartCopyBothWays(t *testing.T) {
	if testing.Short() {
		t.Skip("100 MiB upload")
	}
	t.Parallel()
	ts := newTestServer(t)
	c := newCLI(t, ts)
	if err := ts.Objs.CreateBucket(t.Context(), "bulk", objstore.BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data := make([]byte, 100<<20)
	rand.Read(data)
	os.WriteFile(filepath.Join(dir, "big.bin"), data, 0o644)
	c.Run(nil, "s3", "cp", filepath.Join(dir, "big.bin"), "s3://bulk/big.bin", "--only-show-errors")
	etag := c.Run(nil, "s3api", "head-object", "--bucket", "bulk", "--key", "big.bin", "--query", "ETag", "--output", "text")
	if !strings.HasSuffix(strings.TrimSpace(etag), `-13"`) { // 100 MiB in the CLI's 8 MiB parts
		t.Fatalf("ETag %s is not a 13-part multipart ETag", etag)
	}
	c.Run(nil, "s3", "cp", "s3://bulk/big.bin", filepath.Join(dir, "back.bin"), "--only-show-errors")
	if back, _ := os.ReadFile(filepath.Join(dir, "back.bin")); !bytes.Equal(back, data) {
		t.Fatal("the object downloaded differs from the file uploaded")
	}
}

func TestCLIBucketPolicyAndErrors(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	c := newCLI(t, ts)
	if err := ts.Objs.CreateBucket(t.Context(), "pol", objstore.BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"AllowCloudFront","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::pol/*"}]}`
	c.Run(nil, "s3api", "put-bucket-policy", "--bucket", "pol", "--policy", policy)
	if got := c.Run(nil, "s3api", "get-bucket-policy", "--bucket", "pol", "--query", "Policy", "--output", "text"); strings.TrimSpace(got) != policy {
		t.Fatalf("get-bucket-policy = %s, want it verbatim", got)
	}
	c.Run(nil, "s3api", "delete-bucket-policy", "--bucket", "pol")

	file := filepath.Join(t.TempDir(), "f.txt")
	os.WriteFile(file, []byte("payload"), 0o644)
	tests := []struct {
		name string
		args []string
		code string
	}{
		{"policy gone", []string{"s3api", "get-bucket-policy", "--bucket", "pol"}, "NoSuchBucketPolicy"},
		{"malformed policy", []string{"s3api", "put-bucket-policy", "--bucket", "pol", "--policy", "{not json"}, "MalformedPolicy"},
		{"no such bucket", []string{"s3api", "list-objects-v2", "--bucket", "nosuchbucket"}, "NoSuchBucket"},
		{"no such key", []string{"s3api", "get-object", "--bucket", "pol", "--key", "missing", file + ".out"}, "NoSuchKey"},
		{"bad digest", []string{"s3api", "put-object", "--bucket", "pol", "--key", "k", "--body", file, "--content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="}, "BadDigest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sub := *c
			sub.T = t
			sub.Fails(tt.code, tt.args...)
		})
	}
	t.Cleanup(func() {
		if _, err := ts.Objs.Stat(context.Background(), "pol", "k"); err == nil {
			t.Error("a refused put-object stored the object")
		}
	})
}
