package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEdgeOnlyNodeReadsOriginsFromS3Endpoint scales out without a shared
// directory: a control node and an edge-only node share only PostgreSQL;
// the edge-only node reads bucket origins from the control node's S3 API
// (serve --origin-endpoint, decision 0181), signed with the control's key
// from the standard AWS environment. A site uploaded with the aws CLI is
// served by the edge-only node, and after an overwrite and an invalidation
// it serves the new page.
func TestEdgeOnlyNodeReadsOriginsFromS3Endpoint(t *testing.T) {
	dsn := startPostgres(t)

	root := t.TempDir()
	ctrlDir, edgeDir := filepath.Join(root, "control"), filepath.Join(root, "edge")
	const keyID, secret = "AKIAEDGECDREMOTEE2E1", "remote-e2e-secret-0123456789abcdefghijkl"
	keys := []string{"--access-key-id", keyID, "--secret-access-key", secret}
	control := startServe(t, ctrlDir, append([]string{"--store", dsn, "--role", "control"}, keys...)...)

	// The edge-only node finds its credentials where any AWS client would;
	// the launched process inherits this environment, so nothing else of
	// the machine's AWS_* settings (an endpoint, FIPS, a CA bundle) may stay.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
		}
	}
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": keyID, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "us-east-1", "AWS_PROFILE": "", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(root, "aws-config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(root, "aws-credentials"),
	} {
		t.Setenv(k, v)
	}
	edgeOnly := startServe(t, edgeDir, "--store", dsn, "--role", "edge", "--origin-endpoint", control.info.APIURL)

	control.info.AccessKeyID, control.info.SecretAccessKey, control.info.Region = keyID, secret, "us-east-1"
	aws, id, domain := publishPage(t, control, "remotesite", "1.0.0", "<h1>v1 from the S3 endpoint</h1>\n")

	if code, _, body := edgeOnly.get(domain, "/"); code != 200 || !strings.Contains(body, "v1 from the S3 endpoint") {
		t.Fatalf("edge-only node: %d %q", code, firstLine(body))
	}
	// It read the object over S3, not from a directory of its own.
	if _, err := os.Stat(filepath.Join(edgeDir, "objects", "remotesite")); err == nil {
		t.Fatal("the bucket exists in the edge-only node's own data directory")
	}
	if des, err := os.ReadDir(filepath.Join(edgeDir, "origin-cache")); err != nil || len(des) == 0 {
		t.Fatalf("nothing in the edge-only node's origin cache: %v", err)
	}
	if code, _, body := edgeOnly.get(domain, "/missing.html"); code != 404 || !strings.Contains(body, "NoSuchKey") {
		t.Fatalf("missing key through the edge-only node: %d %q", code, firstLine(body))
	}
	// Larger than the edge's memory cache (8 MiB): sent from the origin
	// cache's file, whole and by range.
	big := bytes.Repeat([]byte("0123456789abcdef"), 10<<16) // 10 MiB
	bigFile := filepath.Join(t.TempDir(), "big.bin")
	os.WriteFile(bigFile, big, 0o600)
	aws.Run(nil, "s3", "cp", bigFile, "s3://remotesite/1.0.0/big.bin")
	if code, _, body := edgeOnly.get(domain, "/big.bin"); code != 200 || body != string(big) {
		t.Fatalf("large object through the edge-only node: %d, %d bytes of %d", code, len(body), len(big))
	}
	if code, _, body := edgeOnly.get(domain, "/big.bin", "Range", "bytes=1048576-1048591"); code != 206 || body != "0123456789abcdef" {
		t.Fatalf("range of the large object: %d %q", code, body)
	}

	page := filepath.Join(t.TempDir(), "index.html")
	os.WriteFile(page, []byte("<h1>v2 after the overwrite</h1>\n"), 0o600)
	aws.Run(nil, "s3", "cp", page, "s3://remotesite/1.0.0/index.html")
	// The edge still holds v1 in memory (CachingOptimized: a day), so the
	// invalidation is what makes it read the origin again.
	if _, _, body := edgeOnly.get(domain, "/"); !strings.Contains(body, "v1 from the S3 endpoint") {
		t.Fatalf("before the invalidation the edge served %q, want the cached v1", firstLine(body))
	}
	aws.Run(nil, "cloudfront", "create-invalidation", "--distribution-id", id, "--paths", "/*")
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, _, body := edgeOnly.get(domain, "/")
		if code == 200 && strings.Contains(body, "v2 after the overwrite") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("20 s after the invalidation the edge-only node serves %d %q", code, firstLine(body))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServeRefusesMisusedOriginEndpoint: --origin-endpoint on a control
// node (which runs no edge) or with a URL that is not one stops serve with
// a message saying what to change.
func TestServeRefusesMisusedOriginEndpoint(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"control node", []string{"--role", "control", "--origin-endpoint", "http://127.0.0.1:9"}, "a control node runs no edge"},
		{"no scheme", []string{"--role", "edge", "--origin-endpoint", "minio:9000"}, "must start with http:// or https://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := launch(t, dir, append([]string{"serve", "--data-dir", dir, "--edge-addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0"}, tt.args...))
			select {
			case <-p.done:
			case <-time.After(30 * time.Second):
				t.Fatal("serve did not exit within 30s")
			}
			if p.cmd.ProcessState.Success() || !strings.Contains(p.log.String(), tt.want) {
				t.Fatalf("serve %v: %v, output %q, want a failure saying %q", tt.args, p.cmd.ProcessState, p.log.String(), tt.want)
			}
		})
	}
}
