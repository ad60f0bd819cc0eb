package cloudfront

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgecd/edgecd/internal/awscli"

	"github.com/edgecd/edgecd/edge"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/objstore"
)

// cli runs the real aws CLI v2 against the fixture with a key of its own.
type cli struct{ *awscli.CLI }

func newCLI(t *testing.T, f *fixture) *cli {
	t.Helper()
	id, secret := f.key(t, iam.AdminPolicy())
	c := awscli.New(t, f.srv.URL, id, secret)
	c.Prefix = []string{"--output", "json"}
	return &cli{c}
}

// run runs a command that must succeed and decodes its output into v. A
// waiter gets less time than its shortest sleep between polls (60 s for
// distribution-deployed, 20 s for invalidation-completed), so passing
// proves it returned on its first poll.
func (c *cli) run(v any, args ...string) {
	c.T.Helper()
	cc := *c.CLI
	if len(args) > 1 && args[1] == "wait" {
		cc.Timeout = 18 * time.Second
	}
	cc.Run(v, args...)
}

// fails runs aws expecting the service error code.
func (c *cli) fails(code string, args ...string) {
	c.T.Helper()
	c.Fails(code, args...)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// startEdge runs a real edge over a temp object store with bucket site
// holding 1.0.0/ and 2.0.0/index.html, following the fixture's store.
func startEdge(t *testing.T, f *fixture) *httptest.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	objs, err := objstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := objs.CreateBucket(ctx, "site", objstore.BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1", "2"} {
		body := "<html><body><h1>v" + v + " App</h1></body></html>"
		if _, err := objs.Put(ctx, "site", v+".0.0/index.html", strings.NewReader(body), objstore.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	e := edge.NewServer(objs, edge.Options{ID: "test-edge", StickyKey: []byte("k"), Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(e)
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.Watch(ctx, f.db, srv.Listener.Addr().String())
	}()
	t.Cleanup(func() { cancel(); <-done; srv.Close() })
	select {
	case <-e.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("edge never applied its first snapshot")
	}
	return srv
}

func viewerGet(t *testing.T, edgeURL, host string, hdr ...string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, edgeURL+"/index.html", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

type cliDist struct {
	ETag         string
	Distribution struct {
		Id, DomainName, Status string
		DistributionConfig     map[string]any
	}
}

type cliConfig struct {
	ETag               string
	DistributionConfig map[string]any
}

// TestCLIScenarios runs S1, S3, S4 and an invalidation with the real aws CLI
// v2 against the handler behind SigV4, and checks what a viewer gets from a
// real edge following the same store after each step.
func TestCLIScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the aws CLI about 30 times")
	}
	f := newFixture(t)
	aws := newCLI(t, f)
	edgeURL := startEdge(t, f).URL
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "primary.json")
	err := os.WriteFile(cfgFile, []byte(`{
  "CallerReference": "cli-primary", "Comment": "S1 primary", "Enabled": true, "DefaultRootObject": "index.html",
  "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": "site.s3.us-east-1.amazonaws.com",
    "OriginPath": "/1.0.0", "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
  "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "allow-all",
    "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"}
}`), 0o600)
	if err != nil {
		t.Fatal(err)
	}

	// S1: primary from a file, staging copy moved to /2.0.0, header policy, attach.
	var primary, staging cliDist
	aws.run(&primary, "cloudfront", "create-distribution", "--distribution-config", "file://"+cfgFile)
	pid, domain := primary.Distribution.Id, primary.Distribution.DomainName
	aws.run(&staging, "cloudfront", "copy-distribution", "--primary-distribution-id", pid, "--staging",
		"--if-match", primary.ETag, "--caller-reference", "cli-staging")
	sid := staging.Distribution.Id
	var scfg cliConfig
	aws.run(&scfg, "cloudfront", "get-distribution-config", "--id", sid)
	if scfg.DistributionConfig["Staging"] != true {
		t.Fatalf("copy-distribution --staging made a non-staging distribution: %v", scfg.DistributionConfig["Staging"])
	}
	scfg.DistributionConfig["Origins"].(map[string]any)["Items"].([]any)[0].(map[string]any)["OriginPath"] = "/2.0.0"
	aws.run(&staging, "cloudfront", "update-distribution", "--id", sid, "--if-match", scfg.ETag,
		"--distribution-config", mustJSON(scfg.DistributionConfig))
	var pol struct {
		ETag                       string
		ContinuousDeploymentPolicy struct{ Id string }
	}
	aws.run(&pol, "cloudfront", "create-continuous-deployment-policy", "--continuous-deployment-policy-config", mustJSON(map[string]any{
		"StagingDistributionDnsNames": map[string]any{"Quantity": 1, "Items": []string{staging.Distribution.DomainName}},
		"Enabled":                     true,
		"TrafficConfig": map[string]any{"Type": "SingleHeader",
			"SingleHeaderConfig": map[string]any{"Header": "aws-cf-cd-env", "Value": "staging"}},
	}))
	polID := pol.ContinuousDeploymentPolicy.Id
	var pcfg cliConfig
	aws.run(&pcfg, "cloudfront", "get-distribution-config", "--id", pid)
	pcfg.DistributionConfig["ContinuousDeploymentPolicyId"] = polID
	aws.fails("InvalidIfMatchVersion", "cloudfront", "update-distribution", "--id", pid, "--distribution-config", mustJSON(pcfg.DistributionConfig))
	aws.run(&primary, "cloudfront", "update-distribution", "--id", pid, "--if-match", pcfg.ETag, "--distribution-config", mustJSON(pcfg.DistributionConfig))
	aws.run(nil, "cloudfront", "wait", "distribution-deployed", "--id", pid)
	if got := viewerGet(t, edgeURL, domain); !strings.Contains(got, "v1 App") {
		t.Fatalf("S1 viewer got %q, want v1", got)
	}
	if got := viewerGet(t, edgeURL, domain, "aws-cf-cd-env", "staging"); !strings.Contains(got, "v2 App") {
		t.Fatalf("S1 tester with the header got %q, want v2", got)
	}

	// S3: promote with both ETags; everyone gets v2.
	var pd, sd cliDist
	aws.run(&pd, "cloudfront", "get-distribution", "--id", pid)
	aws.run(&sd, "cloudfront", "get-distribution", "--id", sid)
	aws.fails("PreconditionFailed", "cloudfront", "update-distribution-with-staging-config", "--id", pid,
		"--staging-distribution-id", sid, "--if-match", pcfg.ETag+", "+sd.ETag)
	var promoted cliDist
	aws.run(&promoted, "cloudfront", "update-distribution-with-staging-config", "--id", pid,
		"--staging-distribution-id", sid, "--if-match", pd.ETag+", "+sd.ETag)
	if promoted.Distribution.Id != pid || promoted.Distribution.DomainName != domain {
		t.Fatalf("promote changed the primary's identity: %+v", promoted.Distribution)
	}
	aws.run(nil, "cloudfront", "wait", "distribution-deployed", "--id", pid)
	if got := viewerGet(t, edgeURL, domain); !strings.Contains(got, "v2 App") {
		t.Fatalf("S3 viewer got %q, want v2", got)
	}

	// Invalidation and its waiter.
	var inv struct{ Invalidation struct{ Id string } }
	aws.run(&inv, "cloudfront", "create-invalidation", "--distribution-id", pid, "--paths", "/*")
	aws.run(nil, "cloudfront", "wait", "invalidation-completed", "--distribution-id", pid, "--id", inv.Invalidation.Id)

	// S4: seed 001's cleanup.
	aws.run(&pcfg, "cloudfront", "get-distribution-config", "--id", pid)
	pcfg.DistributionConfig["ContinuousDeploymentPolicyId"] = ""
	aws.run(nil, "cloudfront", "update-distribution", "--id", pid, "--if-match", pcfg.ETag, "--distribution-config", mustJSON(pcfg.DistributionConfig))
	aws.run(nil, "cloudfront", "wait", "distribution-deployed", "--id", pid)
	var pe struct{ ETag string }
	aws.run(&pe, "cloudfront", "get-continuous-deployment-policy", "--id", polID)
	aws.run(nil, "cloudfront", "delete-continuous-deployment-policy", "--id", polID, "--if-match", pe.ETag)
	aws.run(&scfg, "cloudfront", "get-distribution-config", "--id", sid)
	aws.fails("DistributionNotDisabled", "cloudfront", "delete-distribution", "--id", sid, "--if-match", scfg.ETag)
	scfg.DistributionConfig["Enabled"] = false
	var disabled cliDist
	aws.run(&disabled, "cloudfront", "update-distribution", "--id", sid, "--if-match", scfg.ETag, "--distribution-config", mustJSON(scfg.DistributionConfig))
	aws.run(nil, "cloudfront", "wait", "distribution-deployed", "--id", sid)
	aws.run(nil, "cloudfront", "delete-distribution", "--id", sid, "--if-match", disabled.ETag)
	aws.fails("NoSuchDistribution", "cloudfront", "get-distribution", "--id", sid)
	if got := viewerGet(t, edgeURL, domain); !strings.Contains(got, "v2 App") {
		t.Fatalf("after cleanup the viewer got %q, want v2", got)
	}
}
