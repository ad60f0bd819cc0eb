package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestDeployUploadsOnlyChanges checks edgecd deploy against the running
// binary: the first run uploads everything with sensible headers, a re-run
// uploads nothing, a change uploads one file, --delete removes what the
// build no longer has, and --dry-run changes nothing.
func TestDeployUploadsOnlyChanges(t *testing.T) {
	p := startUp(t, t.TempDir())
	build := t.TempDir()
	writeSite(t, build, "v5", 40)
	os.WriteFile(filepath.Join(build, "assets", "app.3f2a9c1b.js"), []byte("console.log(5)"), 0o644)
	deploy := func(args ...string) string {
		return p.run("edgecd", append([]string{"deploy", "--output", "json"}, args...)...)
	}
	if out := deploy(build, "s3://site/5.0.0/"); !strings.Contains(out, `"uploaded": 42`) {
		t.Fatalf("first deploy: %s", out)
	}
	if out := deploy(build, "s3://site/5.0.0/"); !strings.Contains(out, `"uploaded": 0`) || !strings.Contains(out, `"skipped": 42`) {
		t.Fatalf("no-change redeploy: %s", out)
	}
	os.WriteFile(filepath.Join(build, "index.html"), []byte("<h1>v5.1 App</h1>\n"), 0o644)
	os.Remove(filepath.Join(build, "assets", "f000.txt"))
	if out := deploy("--dry-run", "--delete", build, "s3://site/5.0.0/"); !strings.Contains(out, "upload 5.0.0/index.html") || !strings.Contains(out, "delete 5.0.0/assets/f000.txt") {
		t.Fatalf("dry run plan: %s", out)
	}
	if out := deploy(build, "s3://site/5.0.0/", "--delete"); !strings.Contains(out, `"uploaded": 1`) || !strings.Contains(out, `"deleted": 1`) {
		t.Fatalf("changed deploy: %s", out)
	}
	_, _, objects := p.sdk()
	head := func(key string) (cacheControl, contentType string) {
		t.Helper()
		out, err := objects.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("site"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.CacheControl), aws.ToString(out.ContentType)
	}
	if cc, ct := head("5.0.0/assets/app.3f2a9c1b.js"); !strings.Contains(cc, "immutable") || !strings.Contains(ct, "javascript") {
		t.Fatalf("fingerprinted asset headers: %q %q", cc, ct)
	}
	if cc, ct := head("5.0.0/index.html"); cc != "no-cache" || !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("HTML headers: %q %q", cc, ct)
	}
	// A large file goes multipart; its ETag is recognised on the next run.
	big := make([]byte, 11<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	os.WriteFile(filepath.Join(build, "assets", "video.bin"), big, 0o644)
	if out := deploy(build, "s3://site/5.0.0/", "--part-size", "5"); !strings.Contains(out, `"uploaded": 1`) {
		t.Fatalf("multipart deploy: %s", out)
	}
	if out := deploy(build, "s3://site/5.0.0/", "--part-size", "5"); !strings.Contains(out, `"uploaded": 0`) {
		t.Fatalf("multipart redeploy re-uploaded: %s", out)
	}
	// No version pinned: the folder is named by the build's content hash
	// (the temporary build directory is in no git work tree).
	var auto struct{ Version, Prefix string }
	json.Unmarshal([]byte(deploy("--version", "auto", build, "s3://site/")), &auto)
	if len(auto.Version) != 12 || auto.Prefix != auto.Version+"/" {
		t.Fatalf("--version auto: version %q prefix %q", auto.Version, auto.Prefix)
	}
	_, errOut, err := p.try("edgecd", "deploy", build, "s3://nosuchbucket/x/")
	if err == nil || !strings.Contains(errOut, "does not exist") {
		t.Fatalf("deploy to a missing bucket: %v %s", err, errOut)
	}
}
