package e2e

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writeSite writes a small build output with n asset files.
func writeSite(t *testing.T, dir, version string, n int) {
	t.Helper()
	os.MkdirAll(filepath.Join(dir, "assets"), 0o755)
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("<h1>"+version+" App</h1>\n"), 0o644)
	for i := 0; i < n; i++ {
		os.WriteFile(filepath.Join(dir, "assets", fmt.Sprintf("f%03d.txt", i)), []byte(fmt.Sprintf("%s asset %d\n", version, i)), 0o644)
	}
}

// TestS3SyncServedByEdge is the seeds' deploy step: aws s3 sync of a build
// into s3://site/<version>/, a re-run that uploads nothing, --delete, a
// multipart cp, bucket policies; then the edge serves what sync uploaded.
func TestS3SyncServedByEdge(t *testing.T) {
	p := startUp(t, t.TempDir())
	build := t.TempDir()
	writeSite(t, build, "v4", 30)
	q := "--only-show-errors"
	p.run("aws", "s3", "sync", build, "s3://site/4.0.0/", q)
	if out := p.run("aws", "s3", "sync", build, "s3://site/4.0.0/"); strings.Contains(out, "upload:") {
		t.Fatalf("a second sync uploaded again:\n%s", out)
	}
	os.Remove(filepath.Join(build, "assets", "f000.txt"))
	if out := p.run("aws", "s3", "sync", build, "s3://site/4.0.0/", "--delete"); !strings.Contains(out, "delete: s3://site/4.0.0/assets/f000.txt") {
		t.Fatalf("sync --delete did not delete the removed file:\n%s", out)
	}
	if n := strings.Count(p.run("aws", "s3", "ls", "s3://site/4.0.0/", "--recursive"), "\n"); n != 30 {
		t.Fatalf("ls --recursive lists %d objects, want 30", n)
	}

	big := filepath.Join(t.TempDir(), "big.bin")
	data := make([]byte, 24<<20)
	rand.Read(data)
	os.WriteFile(big, data, 0o644)
	p.run("aws", "s3", "mb", "s3://bulk")
	p.run("aws", "s3", "cp", big, "s3://bulk/big.bin", q)
	back := filepath.Join(t.TempDir(), "back.bin")
	p.run("aws", "s3", "cp", "s3://bulk/big.bin", back, q)
	if got, _ := os.ReadFile(back); !bytes.Equal(got, data) {
		t.Fatal("a multipart upload did not come back byte for byte")
	}
	if etag := p.run("aws", "s3api", "head-object", "--bucket", "bulk", "--key", "big.bin", "--query", "ETag", "--output", "text"); !strings.Contains(etag, "-") {
		t.Fatalf("multipart ETag %q lacks the -N part count", etag)
	}
	_, errOut, err := p.try("aws", "s3api", "get-object", "--bucket", "bulk", "--key", "missing", filepath.Join(t.TempDir(), "x"))
	if err == nil || !strings.Contains(errOut, "NoSuchKey") {
		t.Fatalf("missing key: %v %s", err, errOut)
	}
	_, errOut, err = p.try("aws", "s3", "rb", "s3://bulk")
	if err == nil || !strings.Contains(errOut, "BucketNotEmpty") {
		t.Fatalf("removing a non-empty bucket: %v %s", err, errOut)
	}
	p.run("aws", "s3", "rm", "s3://bulk", "--recursive", q)
	p.run("aws", "s3", "rb", "s3://bulk")

	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}`
	p.run("aws", "s3api", "put-bucket-policy", "--bucket", "site", "--policy", policy)
	if got := p.run("aws", "s3api", "get-bucket-policy", "--bucket", "site", "--query", "Policy", "--output", "text"); strings.TrimSpace(got) != policy {
		t.Fatalf("policy not returned verbatim: %s", got)
	}
	_, errOut, err = p.try("aws", "s3api", "put-bucket-policy", "--bucket", "site", "--policy", "{not json")
	if err == nil || !strings.Contains(errOut, "MalformedPolicy") {
		t.Fatalf("bad policy: %v %s", err, errOut)
	}

	// The edge serves what sync wrote once the staging points at it.
	primary := p.info.Distributions[0]
	p.run("edgecd", "release", "stage", "--primary", primary.ID, "--origin-path", "/4.0.0", "--header", "aws-cf-cd-env=staging")
	if _, _, body := p.get(primary.Domain, "/assets/f007.txt", "aws-cf-cd-env", "staging"); body != "v4 asset 7\n" {
		t.Fatalf("edge served %q for a synced asset", body)
	}
}

// TestRcloneSync drives the S3 API with rclone, both directions.
func TestRcloneSync(t *testing.T) {
	rclone, err := exec.LookPath("rclone")
	if err != nil {
		t.Skip("rclone (Debian package rclone) is not installed; scripts/test.sh installs it")
	}
	p := startUp(t, t.TempDir())
	src, dst := t.TempDir(), t.TempDir()
	writeSite(t, src, "rc", 20)
	env := append(p.env(), "RCLONE_CONFIG_EDGE_TYPE=s3", "RCLONE_CONFIG_EDGE_PROVIDER=Other",
		"RCLONE_CONFIG_EDGE_ENDPOINT="+p.info.APIURL, "RCLONE_CONFIG_EDGE_ACCESS_KEY_ID="+p.info.AccessKeyID,
		"RCLONE_CONFIG_EDGE_SECRET_ACCESS_KEY="+p.info.SecretAccessKey, "RCLONE_CONFIG_EDGE_REGION=us-east-1",
		"RCLONE_CONFIG_EDGE_FORCE_PATH_STYLE=true")
	for _, args := range [][]string{{"sync", src, "edge:site/rc/"}, {"sync", "edge:site/rc/", dst}} {
		cmd := exec.Command(rclone, append(args, "--config", "/dev/null")...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("rclone %v: %v\n%s", args, err, out)
		}
	}
	out, err := exec.Command("diff", "-r", src, dst).CombinedOutput()
	if err != nil {
		t.Fatalf("rclone round trip differs: %s", out)
	}
}
