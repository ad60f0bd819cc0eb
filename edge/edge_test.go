package edge_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/edge"
	"github.com/edgecd/edgecd/objstore"
	"github.com/edgecd/edgecd/store"
	"github.com/edgecd/edgecd/store/sqlite"
)

// harness is a real store, object store, cdn service and edge, wired as
// edgecd wires them, with the edge's Watch loop running.
type harness struct {
	t    testing.TB
	db   store.Store
	objs *objstore.Store
	svc  *cdn.Service
	edge *edge.Server
	srv  *httptest.Server
}

func newHarness(t testing.TB, opts ...func(*edge.Options)) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "edgecd.db"))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := objstore.Open(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	if err := objs.CreateBucket(ctx, "site", objstore.BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	key, err := edge.StickyKey(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	o := edge.Options{ID: "test-edge", StickyKey: key}
	for _, f := range opts {
		f(&o)
	}
	e := edge.NewServer(objs, o)
	done := make(chan struct{})
	go func() { defer close(done); e.Watch(ctx, db, "test") }()
	// Served as edgecd serves it: the fast path first, net/http for the rest.
	srv := httptest.NewUnstartedServer(e)
	srv.Listener = e.Listen(srv.Listener)
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		objs.Close()
		db.Close()
	})
	h := &harness{t: t, db: db, objs: objs, svc: cdn.NewService(db, cdn.Options{Mode: cdn.Native}), edge: e, srv: srv}
	for v := 1; v <= 3; v++ {
		h.put(fmt.Sprintf("%d.0.0/index.html", v), "text/html", fmt.Sprintf("<h1>v%d App</h1>", v))
		h.put(fmt.Sprintf("%d.0.0/app.js", v), "application/javascript", strings.Repeat(fmt.Sprintf("console.log('v%d');\n", v), 200))
	}
	return h
}

func (h *harness) put(key, ct, body string) {
	h.t.Helper()
	if _, err := h.objs.Put(context.Background(), "site", key, strings.NewReader(body), objstore.PutOptions{Metadata: objstore.Metadata{ContentType: ct}}); err != nil {
		h.t.Fatal(err)
	}
}

// settle waits until the edge applied everything written so far.
func (h *harness) settle() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rev, err := h.db.Rev(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.svc.WaitDeployed(ctx, rev); err != nil {
		h.t.Fatalf("edge did not apply revision %d: %v", rev, err)
	}
}

func config(ref, originPath string) cdn.DistributionConfig {
	return cdn.DistributionConfig{
		CallerReference: ref, Enabled: true, DefaultRootObject: "index.html",
		Origins: cdn.Origins{Quantity: 1, Items: []cdn.Origin{{Id: "s3", DomainName: "site.s3.us-east-1.amazonaws.com", OriginPath: originPath, S3OriginConfig: &cdn.S3OriginConfig{}}}},
		DefaultCacheBehavior: cdn.DefaultCacheBehavior{TargetOriginId: "s3", ViewerProtocolPolicy: "allow-all",
			CachePolicyId: edge.CachingOptimized, Compress: ptr(true)},
		CustomErrorResponses: &cdn.CustomErrorResponses{Quantity: 1, Items: []cdn.CustomErrorResponse{{ErrorCode: 404, ResponsePagePath: "/index.html", ResponseCode: "200"}}},
	}
}

func ptr[T any](v T) *T { return &v }

// staged creates a primary on /1.0.0, a staging copy on /2.0.0 and a policy.
func (h *harness) staged(tc *cdn.TrafficConfig) (primary, staging *cdn.Distribution) {
	h.t.Helper()
	ctx := context.Background()
	p, pTag, err := h.svc.CreateDistribution(ctx, config("primary", "/1.0.0"))
	if err != nil {
		h.t.Fatal(err)
	}
	s, sTag, err := h.svc.CopyDistribution(ctx, p.Id, pTag, "staging", true, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	sc := s.DistributionConfig
	sc.Origins.Items[0].OriginPath = "/2.0.0"
	if s, _, err = h.svc.UpdateDistribution(ctx, s.Id, sc, sTag); err != nil {
		h.t.Fatal(err)
	}
	pol, _, err := h.svc.CreatePolicy(ctx, cdn.ContinuousDeploymentPolicyConfig{Enabled: true,
		StagingDistributionDnsNames: cdn.StagingDistributionDnsNames{Quantity: 1, Items: []string{s.DomainName}}, TrafficConfig: tc})
	if err != nil {
		h.t.Fatal(err)
	}
	pc := p.DistributionConfig
	pc.ContinuousDeploymentPolicyId = pol.Id
	if p, _, err = h.svc.UpdateDistribution(ctx, p.Id, pc, pTag); err != nil {
		h.t.Fatal(err)
	}
	h.settle()
	return p, s
}

func (h *harness) get(host, path string, hdr ...string) *http.Response {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
	req.Host = host
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func body(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var headerPolicy = &cdn.TrafficConfig{Type: cdn.SingleHeader,
	SingleHeaderConfig: &cdn.ContinuousDeploymentSingleHeaderConfig{Header: "aws-cf-cd-env", Value: "staging"}}

func TestHeaderRoutingThroughPrimaryDomain(t *testing.T) {
	h := newHarness(t)
	p, s := h.staged(headerPolicy)
	tests := []struct {
		name, host, path string
		hdr              []string
		status           int
		want, side       string
	}{
		{"root object on primary", p.DomainName, "/", nil, 200, "v1 App", "primary"},
		{"index on primary", p.DomainName, "/index.html", nil, 200, "v1 App", "primary"},
		{"header reaches staging", p.DomainName, "/", []string{"aws-cf-cd-env", "staging"}, 200, "v2 App", "staging"},
		{"other header value stays", p.DomainName, "/", []string{"aws-cf-cd-env", "prod"}, 200, "v1 App", "primary"},
		{"host with port", p.DomainName + ":8080", "/", nil, 200, "v1 App", "primary"},
		{"SPA fallback for a missing route", p.DomainName, "/some/route", nil, 200, "v1 App", "primary"},
		{"unknown host", "nope.example", "/", nil, 404, "no distribution serves host", ""},
		{"staging domain directly", s.DomainName, "/", nil, 403, "staging distribution", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.get(tt.host, tt.path, tt.hdr...)
			b := body(t, r)
			if r.StatusCode != tt.status || !strings.Contains(b, tt.want) {
				t.Fatalf("got %d %q, want %d containing %q", r.StatusCode, b, tt.status, tt.want)
			}
			if got := r.Header.Get("X-Edgecd-Side"); got != tt.side {
				t.Fatalf("side header %q, want %q", got, tt.side)
			}
			if tt.status == 200 && r.Header.Get("X-Amz-Cf-Id") == "" {
				t.Fatal("no request id")
			}
		})
	}
}

func TestCacheHitsAndPrimaryStagingNeverShare(t *testing.T) {
	h := newHarness(t)
	p, _ := h.staged(headerPolicy)
	first := h.get(p.DomainName, "/index.html")
	if first.Header.Get("X-Cache") != "Miss from edgecd" {
		t.Fatalf("first request: %q", first.Header.Get("X-Cache"))
	}
	second := h.get(p.DomainName, "/index.html")
	if second.Header.Get("X-Cache") != "Hit from edgecd" || !strings.Contains(body(t, second), "v1") {
		t.Fatalf("second request: %q", second.Header.Get("X-Cache"))
	}
	st := h.get(p.DomainName, "/index.html", "aws-cf-cd-env", "staging")
	if b := body(t, st); st.Header.Get("X-Cache") != "Miss from edgecd" || !strings.Contains(b, "v2") {
		t.Fatalf("staging got %q (%s): it shared the primary's cache entry", b, st.Header.Get("X-Cache"))
	}
}

func TestPromoteServesNewVersionAtOnce(t *testing.T) {
	h := newHarness(t)
	p, s := h.staged(headerPolicy)
	if b := body(t, h.get(p.DomainName, "/")); !strings.Contains(b, "v1") { // warm the cache
		t.Fatal(b)
	}
	ctx := context.Background()
	_, pTag, _ := h.svc.GetDistribution(ctx, p.Id)
	_, sTag, _ := h.svc.GetDistribution(ctx, s.Id)
	if _, _, err := h.svc.PromoteStaging(ctx, p.Id, s.Id, pTag+", "+sTag); err != nil {
		t.Fatal(err)
	}
	h.settle()
	for _, hdr := range [][]string{nil, {"aws-cf-cd-env", "staging"}} {
		r := h.get(p.DomainName, "/", hdr...)
		if b := body(t, r); !strings.Contains(b, "v2 App") || r.Header.Get("X-Edgecd-Side") != "primary" {
			t.Fatalf("after promote (headers %v) got %q from %s", hdr, b, r.Header.Get("X-Edgecd-Side"))
		}
	}
}

func TestInvalidationPurges(t *testing.T) {
	h := newHarness(t)
	p, _ := h.staged(headerPolicy)
	body(t, h.get(p.DomainName, "/index.html"))
	h.put("1.0.0/index.html", "text/html", "<h1>v1.1 App</h1>")
	if b := body(t, h.get(p.DomainName, "/index.html")); !strings.Contains(b, "v1 App") {
		t.Fatalf("expected the cached copy before invalidation, got %q", b)
	}
	inv, err := h.svc.CreateInvalidation(context.Background(), p.Id, cdn.InvalidationBatch{CallerReference: "i1",
		Paths: cdn.Paths{Quantity: 1, Items: []string{"/*"}}})
	if err != nil {
		t.Fatal(err)
	}
	h.settle()
	got, _ := h.svc.GetInvalidation(context.Background(), p.Id, inv.Id)
	if got.Status != cdn.StatusCompleted {
		t.Fatalf("invalidation status %s after the edge applied it", got.Status)
	}
	if b := body(t, h.get(p.DomainName, "/index.html")); !strings.Contains(b, "v1.1 App") {
		t.Fatalf("after invalidation got %q", b)
	}
}

func TestConditionalRangeAndCompression(t *testing.T) {
	h := newHarness(t)
	p, _ := h.staged(headerPolicy)
	full := h.get(p.DomainName, "/app.js")
	fullBody := body(t, full)
	etag := full.Header.Get("ETag")
	if etag == "" || full.Header.Get("Last-Modified") == "" {
		t.Fatalf("missing validators: %v", full.Header)
	}
	if r := h.get(p.DomainName, "/app.js", "If-None-Match", etag); r.StatusCode != 304 {
		t.Fatalf("If-None-Match: %d", r.StatusCode)
	}
	if r := h.get(p.DomainName, "/app.js", "If-Modified-Since", full.Header.Get("Last-Modified")); r.StatusCode != 304 {
		t.Fatalf("If-Modified-Since: %d", r.StatusCode)
	}
	r := h.get(p.DomainName, "/app.js", "Range", "bytes=0-9")
	if b := body(t, r); r.StatusCode != 206 || b != fullBody[:10] || r.Header.Get("Content-Range") == "" {
		t.Fatalf("range: %d %q %v", r.StatusCode, b, r.Header)
	}
	if r := h.get(p.DomainName, "/app.js", "Range", "bytes=999999-"); r.StatusCode != 416 {
		t.Fatalf("unsatisfiable range: %d", r.StatusCode)
	}
	gz := h.get(p.DomainName, "/app.js", "Accept-Encoding", "gzip")
	if gz.Header.Get("Content-Encoding") != "gzip" || gz.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("gzip not applied: %v", gz.Header)
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, []byte(fullBody)) {
		t.Fatal("gzip body does not decompress to the object")
	}
	br := h.get(p.DomainName, "/app.js", "Accept-Encoding", "gzip, br")
	if br.Header.Get("Content-Encoding") != "br" {
		t.Fatalf("brotli preferred when accepted: %v", br.Header.Get("Content-Encoding"))
	}
	if r := h.get(p.DomainName, "/app.js", "Accept-Encoding", "gzip;q=0"); r.Header.Get("Content-Encoding") != "" {
		t.Fatalf("q=0 ignored: %v", r.Header.Get("Content-Encoding"))
	}
}

func TestStickyWeightedRouting(t *testing.T) {
	h := newHarness(t)
	p, _ := h.staged(&cdn.TrafficConfig{Type: cdn.SingleWeight, SingleWeightConfig: &cdn.ContinuousDeploymentSingleWeightConfig{
		Weight: 0.5, SessionStickinessConfig: &cdn.SessionStickinessConfig{IdleTTL: 300, MaximumTTL: 600}}})
	// Each viewer keeps its side across requests while it sends its cookie.
	sides := map[string]int{}
	for i := 0; i < 40; i++ {
		first := h.get(p.DomainName, "/")
		side := first.Header.Get("X-Edgecd-Side")
		sides[side]++
		var cookie *http.Cookie
		for _, c := range first.Cookies() {
			if c.Name == cdn.StickyCookie {
				cookie = c
			}
		}
		if cookie == nil {
			t.Fatal("a sticky policy must set the session cookie")
		}
		for j := 0; j < 3; j++ {
			again := h.get(p.DomainName, "/", "Cookie", cookie.Name+"="+cookie.Value)
			if got := again.Header.Get("X-Edgecd-Side"); got != side {
				t.Fatalf("viewer moved from %s to %s while sticky", side, got)
			}
		}
		// A forged cookie is ignored and redrawn (so it gets a fresh one).
		forged := h.get(p.DomainName, "/", "Cookie", cookie.Name+"=1.0.0.AAAA")
		if len(forged.Cookies()) == 0 {
			t.Fatal("a forged cookie was accepted without a redraw")
		}
	}
	if sides["primary"] == 0 || sides["staging"] == 0 {
		t.Fatalf("40 viewers at weight 0.5 all landed on one side: %v", sides)
	}
}

func TestDisabledPolicySendsAllToPrimary(t *testing.T) {
	h := newHarness(t)
	p, _ := h.staged(headerPolicy)
	ctx := context.Background()
	pol, tag, err := h.svc.GetPolicy(ctx, p.DistributionConfig.ContinuousDeploymentPolicyId)
	if err != nil {
		t.Fatal(err)
	}
	cfg := pol.ContinuousDeploymentPolicyConfig
	cfg.Enabled = false
	if _, _, err := h.svc.UpdatePolicy(ctx, pol.Id, cfg, tag); err != nil {
		t.Fatal(err)
	}
	h.settle()
	r := h.get(p.DomainName, "/", "aws-cf-cd-env", "staging")
	if b := body(t, r); !strings.Contains(b, "v1") {
		t.Fatalf("disabled policy still routed to staging: %q", b)
	}
}

func FuzzRangeAndHeaders(f *testing.F) {
	f.Add("bytes=0-9", "gzip", "x-amz-continuous-deployment-state=1.2.3.x", "aws-cf-cd-env")
	f.Add("bytes=-5,7-", "br;q=0.5, *", "", "staging")
	f.Add("bytes=99999999999999999999-", "", "=;;", "")
	h := newHarness(f)
	p, _ := h.staged(headerPolicy)
	f.Fuzz(func(t *testing.T, rng, ae, cookie, env string) {
		req := httptest.NewRequest(http.MethodGet, "/app.js", nil)
		req.Host = p.DomainName
		req.Header.Set("Range", rng)
		req.Header.Set("Accept-Encoding", ae)
		req.Header.Set("Cookie", cookie)
		req.Header.Set("aws-cf-cd-env", env)
		w := httptest.NewRecorder()
		h.edge.ServeHTTP(w, req)
		switch w.Code {
		case http.StatusOK, http.StatusPartialContent, http.StatusRequestedRangeNotSatisfiable:
		default:
			t.Fatalf("status %d for Range %q Accept-Encoding %q", w.Code, rng, ae)
		}
	})
}

func TestBucketPolicyGuardsOriginWhenEnforced(t *testing.T) {
	h := newHarness(t, func(o *edge.Options) { o.EnforceBucketPolicy = true })
	p, s := h.staged(headerPolicy)
	ctx := context.Background()
	// No policy: the origin refuses everyone (and the SPA fallback page too).
	if r := h.get(p.DomainName, "/app.js"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("no bucket policy: status %d, want 403", r.StatusCode)
	}
	// Seed 002's policy names the primary's ARN only.
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},
		"Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*",
		"Condition":{"StringEquals":{"AWS:SourceArn":["` + p.ARN + `"]}}}]}`
	if err := h.objs.PutBucketPolicy(ctx, "site", []byte(policy)); err != nil {
		t.Fatal(err)
	}
	if r := h.get(p.DomainName, "/app.js"); r.StatusCode != http.StatusOK {
		t.Fatalf("primary allowed by ARN: status %d", r.StatusCode)
	}
	if r := h.get(p.DomainName, "/app.js", "aws-cf-cd-env", "staging"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("staging not named in the policy: status %d, want 403", r.StatusCode)
	}
	// Adding the staging ARN (seed 002's "enable") lets the testers through.
	policy = strings.Replace(policy, `"`+p.ARN+`"`, `"`+p.ARN+`","`+s.ARN+`"`, 1)
	if err := h.objs.PutBucketPolicy(ctx, "site", []byte(policy)); err != nil {
		t.Fatal(err)
	}
	if r := h.get(p.DomainName, "/app.js", "aws-cf-cd-env", "staging"); r.StatusCode != http.StatusOK {
		t.Fatalf("staging named in the policy: status %d", r.StatusCode)
	}
}

func TestBucketPolicyEvaluation(t *testing.T) {
	const arn = "arn:aws:cloudfront::000000000000:distribution/E1"
	tests := []struct {
		name, policy string
		want         bool
	}{
		{"allow by source ARN", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*","Condition":{"StringEquals":{"AWS:SourceArn":"` + arn + `"}}}]}`, true},
		{"other distribution", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*","Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudfront::000000000000:distribution/E2"}}}]}`, false},
		{"seed 002: ForAnyValue:StringEquals lists primary and staging", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*","Condition":{"ForAnyValue:StringEquals":{"AWS:SourceArn":["arn:aws:cloudfront::000000000000:distribution/E0","` + arn + `"]}}}]}`, true},
		{"ForAnyValue:StringEquals naming another distribution", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*","Condition":{"ForAnyValue:StringEquals":{"AWS:SourceArn":["arn:aws:cloudfront::000000000000:distribution/E2"]}}}]}`, false},
		{"other resource", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`, false},
		{"public read", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}`, true},
		{"explicit deny wins", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/secret/*"}]}`, false},
		{"wrong action", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::site/*"}]}`, false},
		{"unknown condition key", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*","Condition":{"IpAddress":{"aws:SourceIp":"1.2.3.4/32"}}}]}`, false},
		{"not JSON", `{`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "1.0.0/index.html"
			if strings.Contains(tt.name, "deny") {
				key = "secret/x"
			}
			if got := edge.AllowedByBucketPolicy([]byte(tt.policy), "site", key, arn); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}
