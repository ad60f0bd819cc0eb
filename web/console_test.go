package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/edgecd/edgecd/demo"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/node"
	"github.com/edgecd/edgecd/store"
	"github.com/edgecd/edgecd/web"
)

// site is a real node (SQLite store, edge, API listener) seeded with the
// demo, as `edgecd up` runs it.
type site struct {
	n     *node.Node
	admin iam.Key
	demo  demo.Result
	api   string
}

func startSite(t *testing.T) *site {
	t.Helper()
	ctx := context.Background()
	n, err := node.Start(ctx, node.Config{DataDir: t.TempDir(), EdgeAddr: "127.0.0.1:0", APIAddr: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.Shutdown(ctx)
	})
	admin, err := node.EnsureAdminKey(ctx, n.Store, n.CDN.Account(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := demo.Seed(ctx, n.Store, n.Objects, n.CDN)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := n.Store.Rev(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.CDN.WaitDeployed(ctx, rev); err != nil {
		t.Fatal(err)
	}
	return &site{n: n, admin: admin, demo: d, api: "http://" + n.APIAddr()}
}

// browser is a client with a cookie jar, as a browser tab.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (s *site) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: s.api + web.Path + "api/", c: &http.Client{Jar: jar, Timeout: 60 * time.Second}}
}

// do sends a console API call; csrf adds the console's header.
func (b *browser) do(method, path string, body any, csrf bool) (int, map[string]any) {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, b.base+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if csrf {
		req.Header.Set(web.CSRFHeader, "1")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		b.t.Fatalf("%s %s: answer is not JSON (%v): %q", method, path, err, raw)
	}
	return resp.StatusCode, out
}

func (b *browser) login(k iam.Key) {
	b.t.Helper()
	if st, out := b.do("POST", "login", map[string]string{"accessKeyId": k.AccessKeyID, "secretAccessKey": k.SecretAccessKey}, true); st != 200 {
		b.t.Fatalf("login: %d %v", st, out)
	}
}

func errCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestConsoleRefusesWithoutValidSessionOrCSRFHeader(t *testing.T) {
	s := startSite(t)
	b := s.browser(t)
	tests := []struct {
		name         string
		method, path string
		body         any
		csrf         bool
		status       int
		code         string
	}{
		{"a call without a session", "GET", "distributions", nil, false, 401, "Unauthorized"},
		{"a wrong secret", "POST", "login", map[string]string{"accessKeyId": s.admin.AccessKeyID, "secretAccessKey": "wrong"}, true, 401, "InvalidCredentials"},
		{"an unknown key", "POST", "login", map[string]string{"accessKeyId": "AKIANOSUCHKEY", "secretAccessKey": s.admin.SecretAccessKey}, true, 401, "InvalidCredentials"},
		{"a login without the CSRF header", "POST", "login", map[string]string{"accessKeyId": s.admin.AccessKeyID, "secretAccessKey": s.admin.SecretAccessKey}, false, 403, "CSRFCheckFailed"},
		{"a login that is not JSON", "POST", "login", "not an object", true, 400, "BadRequest"},
		{"a login without a secret", "POST", "login", map[string]string{"accessKeyId": s.admin.AccessKeyID}, true, 400, "BadRequest"},
		{"an unknown call", "GET", "nothing/here", nil, false, 404, "NotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, out := b.do(tt.method, tt.path, tt.body, tt.csrf)
			if st != tt.status || errCode(out) != tt.code {
				t.Fatalf("%s %s: %d %v, want %d %s", tt.method, tt.path, st, out, tt.status, tt.code)
			}
		})
	}
	// Logged in, a state-changing call still needs the header, and a
	// read is not a POST.
	b.login(s.admin)
	if st, out := b.do("POST", "distributions/"+s.demo.PrimaryID+"/promote", nil, false); st != 403 || errCode(out) != "CSRFCheckFailed" {
		t.Fatalf("promote without the CSRF header: %d %v", st, out)
	}
	if st, out := b.do("GET", "distributions/"+s.demo.PrimaryID+"/promote", nil, false); st != 405 || errCode(out) != "MethodNotAllowed" {
		t.Fatalf("promote with GET: %d %v", st, out)
	}
	if st, out := b.do("POST", "distributions", nil, true); st != 405 {
		t.Fatalf("POST on a read: %d %v", st, out)
	}
}

func TestConsoleListsTheDemoWithItsStagingPolicy(t *testing.T) {
	s := startSite(t)
	b := s.browser(t)
	b.login(s.admin)
	st, who := b.do("GET", "session", nil, false)
	if st != 200 || who["accessKeyId"] != s.admin.AccessKeyID || who["edge"] != true {
		t.Fatalf("session: %d %v", st, who)
	}
	st, out := b.do("GET", "distributions", nil, false)
	if st != 200 {
		t.Fatalf("distributions: %d %v", st, out)
	}
	var primary map[string]any
	for _, d := range out["distributions"].([]any) {
		if d := d.(map[string]any); d["id"] == s.demo.PrimaryID {
			primary = d
		}
	}
	if primary == nil || primary["originPath"] != "/1.0.0" || primary["stagingId"] != s.demo.StagingID || primary["status"] != "Deployed" {
		t.Fatalf("the demo primary is not listed as it is: %v", out)
	}
	p := primary["policy"].(map[string]any)
	if p["type"] != "SingleHeader" || p["header"] != "aws-cf-cd-env" || p["value"] != "staging" || p["enabled"] != true {
		t.Fatalf("policy: %v", p)
	}
	_, brief := b.do("GET", "distributions?brief=1", nil, false)
	for _, d := range brief["distributions"].([]any) {
		if d := d.(map[string]any); d["policy"] != nil || d["status"] != "Deployed" {
			t.Fatalf("a brief listing has statuses and no policies: %v", d)
		}
	}
	for _, path := range []string{"pipelines", "statemachines", "traffic"} {
		if st, out := b.do("GET", path, nil, false); st != 200 {
			t.Fatalf("%s: %d %v", path, st, out)
		}
	}
	if st, out := b.do("GET", "executions", nil, false); st != 400 || errCode(out) != "BadRequest" {
		t.Fatalf("executions without a state machine: %d %v", st, out)
	}
}

// Traffic counts come from the edge, by side: a viewer with the staging
// header counts on the primary's staging side.
func TestConsoleTrafficCountsBothSides(t *testing.T) {
	s := startSite(t)
	b := s.browser(t)
	b.login(s.admin)
	for i := range 5 {
		view(t, s, i%2 == 0)
	}
	_, out := b.do("GET", "traffic", nil, false)
	for _, d := range out["distributions"].([]any) {
		d := d.(map[string]any)
		if d["id"] != s.demo.PrimaryID {
			continue
		}
		prim, stag := d["primary"].(map[string]any), d["staging"].(map[string]any)
		if prim["requests"] != 2.0 || stag["requests"] != 3.0 || stag["status2xx"] != 3.0 {
			t.Fatalf("traffic: primary %v, staging %v; want 2 and 3 requests", prim, stag)
		}
		return
	}
	t.Fatalf("no traffic for %s: %v", s.demo.PrimaryID, out)
}

func TestConsolePromoteThenRollBack(t *testing.T) {
	s := startSite(t)
	b := s.browser(t)
	b.login(s.admin)
	st, out := b.do("POST", "distributions/"+s.demo.PrimaryID+"/promote", nil, true)
	if st != 200 || out["result"].(map[string]any)["origin_path"] != "/2.0.0" || len(out["steps"].([]any)) < 3 {
		t.Fatalf("promote: %d %v", st, out)
	}
	if body := view(t, s, false); !strings.Contains(body, "v2 App") {
		t.Fatalf("after promote the primary serves %q", body)
	}
	st, out = b.do("POST", "distributions/"+s.demo.PrimaryID+"/rollback", nil, true)
	if st != 200 || out["result"].(map[string]any)["originPath"] != "/1.0.0" {
		t.Fatalf("rollback: %d %v", st, out)
	}
	if body := view(t, s, false); !strings.Contains(body, "v1 App") {
		t.Fatalf("after rollback the primary serves %q", body)
	}
	st, out = b.do("POST", "distributions/ENOSUCH/promote", nil, true)
	e, _ := out["error"].(map[string]any)
	if st != 404 || errCode(out) != "NoSuchDistribution" || e["hint"] == "" {
		t.Fatalf("promote of an unknown distribution: %d %v", st, out)
	}
}

// A least-privilege key sees AccessDenied in the console too, and
// traffic only of what it may read.
func TestConsoleActsWithTheKeysPolicy(t *testing.T) {
	s := startSite(t)
	pol, err := iam.ParsePolicy([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudfront:List*","cloudfront:Get*"],"Resource":"*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	id, secret := iam.NewKeyPair()
	reader := iam.Key{AccessKeyID: id, SecretAccessKey: secret, UserName: "reader", Account: s.n.CDN.Account(), Policies: []iam.Policy{pol}}
	keys := iam.StoreKeys{St: s.n.Store}
	if err := keys.PutKey(context.Background(), reader); err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.login(reader)
	if st, out := b.do("GET", "distributions", nil, false); st != 200 {
		t.Fatalf("a reader lists distributions: %d %v", st, out)
	}
	st, out := b.do("POST", "distributions/"+s.demo.PrimaryID+"/promote", nil, true)
	if st != 403 || errCode(out) != "AccessDenied" {
		t.Fatalf("a reader promotes: %d %v", st, out)
	}
	if st, out := b.do("GET", "pipelines", nil, false); st != 403 || errCode(out) != "AccessDeniedException" {
		t.Fatalf("a reader lists pipelines: %d %v", st, out)
	}
	if body := view(t, s, false); !strings.Contains(body, "v1 App") {
		t.Fatalf("a refused promote changed the primary: %q", body)
	}

	// A new secret for the key ends its sessions; so does deleting it.
	reader.SecretAccessKey += "x"
	if err := keys.PutKey(context.Background(), reader); err != nil {
		t.Fatal(err)
	}
	if st, out := b.do("GET", "distributions", nil, false); st != 401 {
		t.Fatalf("after the secret changed: %d %v", st, out)
	}
	b.login(reader)
	if _, err := s.n.Store.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.Delete(ctx, iam.KindAccessKey, reader.AccessKeyID, store.AnyVersion)
	}); err != nil {
		t.Fatal(err)
	}
	if st, out := b.do("GET", "distributions", nil, false); st != 401 {
		t.Fatalf("after the key was deleted: %d %v", st, out)
	}
}

func TestConsoleLogout(t *testing.T) {
	s := startSite(t)
	b := s.browser(t)
	b.login(s.admin)
	if st, out := b.do("POST", "logout", nil, true); st != 200 {
		t.Fatalf("logout: %d %v", st, out)
	}
	if st, out := b.do("GET", "session", nil, false); st != 401 {
		t.Fatalf("after logout: %d %v", st, out)
	}
}

// The page itself is served without a session, with a strict CSP; a
// signed request under /console/ is an S3 request, not the console's.
func TestConsolePageAndSignedRequestsUnderConsolePath(t *testing.T) {
	s := startSite(t)
	resp, err := http.Get(s.api + "/console/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "app.js") || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Fatalf("GET /console/: %d %v %.100s", resp.StatusCode, resp.Header, body)
	}
	req, _ := http.NewRequest("GET", s.api+"/console/index.html", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIANOSUCHKEY/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 4 || !strings.Contains(string(body), "<Error><Code>") {
		t.Fatalf("a signed request under /console/ did not reach the S3 API: %d %s", resp.StatusCode, body)
	}
}

// view gets the primary's index.html from the edge, with or without the
// staging header.
func view(t *testing.T, s *site, staging bool) string {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+s.n.EdgeAddr()+"/index.html", nil)
	req.Host = s.demo.PrimaryDomain
	if staging {
		req.Header.Set("aws-cf-cd-env", "staging")
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
