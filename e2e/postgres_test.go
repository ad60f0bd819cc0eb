package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/edgecd/edgecd/internal/awscli"
	"github.com/edgecd/edgecd/store/postgres/pgtest"
)

// servingLine is serve's start-up log line, which names the listeners.
var servingLine = regexp.MustCompile(`msg="edgecd serving".* edge=(\S*) api=(\S*)`)

// startServe runs `edgecd serve` with args on free ports and waits until it
// logs its listeners.
func startServe(t *testing.T, dataDir string, args ...string) *proc {
	t.Helper()
	p := launch(t, dataDir, append([]string{"serve", "--data-dir", dataDir, "--edge-addr", "127.0.0.1:0", "--api-addr", "127.0.0.1:0"}, args...))
	cmd := p.cmd
	deadline := time.After(30 * time.Second)
	for {
		if m := servingLine.FindStringSubmatch(p.log.String()); m != nil {
			edge, api := strings.Trim(m[1], `"`), strings.Trim(m[2], `"`)
			if edge != "" {
				p.info.EdgeURL = "http://" + edge
			}
			if api != "" {
				p.info.APIURL = "http://" + api
			}
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("edgecd serve exited before it was ready: %v\n%s", cmd.ProcessState, p.log.String())
		case <-deadline:
			t.Fatalf("edgecd serve did not start within 30s:\n%s", p.log.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestPostgresEdgeOnlyNodeServesAndAcks runs two nodes on one PostgreSQL
// database: a control node (role all, so it has an edge too) and an
// edge-only node with its own data directory whose objects/ is the same
// directory (how edge-only nodes share local buckets, see decision 0141).
// A distribution created with the aws CLI on the control node is served by
// the edge-only node, the waiter returns on its first poll once both edges
// acknowledged it, and a kill -9 of the control node loses nothing.
// (The aws CLI's start-up dominates the run time.)
func TestPostgresEdgeOnlyNodeServesAndAcks(t *testing.T) {
	dsn := startPostgres(t)

	root := t.TempDir()
	objects := filepath.Join(root, "objects")
	ctrlDir, edgeDir := filepath.Join(root, "control"), filepath.Join(root, "edge")
	for _, d := range []string{objects, ctrlDir, edgeDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{ctrlDir, edgeDir} {
		if err := os.Symlink(objects, filepath.Join(d, "objects")); err != nil {
			t.Fatal(err)
		}
	}
	const keyID, secret = "AKIAEDGECDPGTEST0001", "pg-e2e-secret-0123456789abcdefghijklmnop"
	keys := []string{"--access-key-id", keyID, "--secret-access-key", secret}
	control := startServe(t, ctrlDir, append([]string{"--store", dsn, "--role", "all"}, keys...)...)
	edgeOnly := startServe(t, edgeDir, append([]string{"--store", dsn, "--role", "edge"}, keys...)...)
	if edgeOnly.info.APIURL != "" {
		t.Fatalf("an edge-only node serves the API at %s", edgeOnly.info.APIURL)
	}

	control.info.AccessKeyID, control.info.SecretAccessKey, control.info.Region = keyID, secret, "us-east-1"
	_, _, domain := publishPage(t, control, "pgsite", "7.0.0", "<h1>v7 from PostgreSQL</h1>\n")
	// Deployed means every live edge applied it, so both serve it now,
	// without retrying.
	for name, p := range map[string]*proc{"control": control, "edge-only": edgeOnly} {
		if code, _, body := p.get(domain, "/"); code != 200 || !strings.Contains(body, "v7 from PostgreSQL") {
			t.Fatalf("%s node after Deployed: %d %q", name, code, firstLine(body))
		}
	}

	// kill -9 of the control node: the distribution is in PostgreSQL, and
	// a new node (fresh data dir, same objects) serves it from there.
	control.kill()
	againDir := filepath.Join(root, "control2")
	os.MkdirAll(againDir, 0o700)
	os.Symlink(objects, filepath.Join(againDir, "objects"))
	again := startServe(t, againDir, append([]string{"--store", dsn, "--role", "all"}, keys...)...)
	for name, p := range map[string]*proc{"restarted": again, "edge-only": edgeOnly} {
		if code, _, body := p.get(domain, "/"); code != 200 || !strings.Contains(body, "v7 from PostgreSQL") {
			t.Fatalf("%s node after the control node was killed: %d %q", name, code, firstLine(body))
		}
	}
}

// publishPage uploads body as index.html of bucket/version/ with the real
// aws CLI through control's API (whose info must hold the keys to use),
// creates a distribution serving /version from it, and waits until every
// live edge has applied it. It returns the CLI (JSON output), the
// distribution's id and its domain.
func publishPage(t *testing.T, control *proc, bucket, version, body string) (*awscli.CLI, string, string) {
	t.Helper()
	aws := awscli.New(t, control.info.APIURL, control.info.AccessKeyID, control.info.SecretAccessKey)
	aws.Prefix = []string{"--output", "json"}
	page := filepath.Join(t.TempDir(), "index.html")
	os.WriteFile(page, []byte(body), 0o600)
	aws.Run(nil, "s3", "mb", "s3://"+bucket)
	aws.Run(nil, "s3", "cp", page, "s3://"+bucket+"/"+version+"/index.html")
	cfg := fmt.Sprintf(`{
  "CallerReference": "e2e-%[1]s",
  "Comment": "e2e: %[1]s",
  "Enabled": true,
  "DefaultRootObject": "index.html",
  "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": "%[1]s.s3.us-east-1.amazonaws.com",
    "OriginPath": "/%[2]s", "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
  "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "allow-all",
    "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}
}`, bucket, version)
	var created distOut
	aws.Run(&created, "cloudfront", "create-distribution", "--distribution-config", cfg)
	id := created.Distribution.Id
	// Every edge acknowledges well within 20 s; then the CLI's waiter
	// returns on its first poll (its 25 s limit is less than the 60 s it
	// sleeps between polls).
	control.waitDeployed(id, 20*time.Second)
	wait := *aws
	wait.Timeout = 25 * time.Second
	wait.Run(nil, "cloudfront", "wait", "distribution-deployed", "--id", id)
	return aws, id, created.Distribution.DomainName
}

// startPostgres starts a private PostgreSQL server for a test that drives
// nodes with the aws CLI, and returns its DSN; it skips the test when the
// aws CLI or PostgreSQL is not installed (scripts/test.sh installs both).
func startPostgres(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(awscli.Path); err != nil {
		t.Skipf("the aws CLI v2 is not installed at %s (apt-get install awscli)", awscli.Path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pg, err := pgtest.Start(ctx, pgtest.Options{})
	if errors.Is(err, pgtest.ErrNoPostgres) {
		t.Skip(err)
	} else if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	return pg.DSN("postgres")
}
