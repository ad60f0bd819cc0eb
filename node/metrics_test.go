package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/metrics"
)

func signedScrape(t *testing.T, service, secret string, at time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "http://edge.example:8081/metrics", nil)
	sum := sha256.Sum256(nil)
	creds := aws.Credentials{AccessKeyID: "AKIDMETRICS", SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), service, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestScrapeGateOpensToLoopbackTokenOrSignature(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	keys := iam.Keys(iam.Key{AccessKeyID: "AKIDMETRICS", SecretAccessKey: "secret", UserName: "prom", Account: "123456789012"})
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("metrics")) })
	gate := scrapeGate(keys, "s3cr3t-token", func() time.Time { return now }, ok)
	plain := func(remote string, hdr ...string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		r.RemoteAddr = remote
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		return r
	}
	remote := func(r *http.Request) *http.Request { r.RemoteAddr = "203.0.113.9:5555"; return r }
	tests := []struct {
		name string
		req  *http.Request
		want int
	}{
		{"IPv4 loopback", plain("127.0.0.1:4000"), 200},
		{"IPv6 loopback", plain("[::1]:4000"), 200},
		{"IPv4-mapped loopback", plain("[::ffff:127.0.0.1]:4000"), 200},
		{"remote without credentials", plain("203.0.113.9:5555"), 401},
		{"remote private address without credentials", plain("10.1.2.3:5555"), 401},
		{"remote with the token", plain("203.0.113.9:5555", "Authorization", "Bearer s3cr3t-token"), 200},
		{"remote with a wrong token", plain("203.0.113.9:5555", "Authorization", "Bearer guess"), 401},
		{"loopback with a wrong token", plain("127.0.0.1:4000", "Authorization", "Bearer guess"), 401},
		{"remote with basic auth", plain("203.0.113.9:5555", "Authorization", "Basic cHJvbTpwcm9t"), 403},
		{"remote signed with a valid key", remote(signedScrape(t, MetricsService, "secret", now)), 200},
		{"remote signed with a wrong secret", remote(signedScrape(t, MetricsService, "wrong", now)), 403},
		{"remote signed an hour ago", remote(signedScrape(t, MetricsService, "secret", now.Add(-time.Hour))), 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			gate.ServeHTTP(w, tt.req)
			if w.Code != tt.want {
				t.Fatalf("got %d %q, want %d", w.Code, w.Body.String(), tt.want)
			}
			if w.Code == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}

	open := scrapeGate(keys, "", func() time.Time { return now }, ok)
	w := httptest.NewRecorder()
	open.ServeHTTP(w, plain("203.0.113.9:5555", "Authorization", "Bearer "))
	if w.Code != http.StatusUnauthorized {
		t.Errorf("an empty token matched an unset --metrics-token: %d", w.Code)
	}
}

func TestOnlyScrapesReachMetricsOnTheAPIListener(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name string
		req  *http.Request
		want bool
	}{
		{"unsigned GET", httptest.NewRequest(http.MethodGet, "/metrics", nil), true},
		{"unsigned HEAD", httptest.NewRequest(http.MethodHead, "/metrics", nil), true},
		{"signed for edgecd", signedScrape(t, MetricsService, "secret", now), true},
		{"signed for S3: a bucket named metrics", signedScrape(t, "s3", "secret", now), false},
		{"PUT creates a bucket", httptest.NewRequest(http.MethodPut, "/metrics", nil), false},
		{"other path", httptest.NewRequest(http.MethodGet, "/metrics/x", nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isScrape(tt.req); got != tt.want {
				t.Fatalf("isScrape = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAPIAndFlowCountersReachTheExposition(t *testing.T) {
	var m nodeMetrics
	g := &gateway{services: map[string]gatewayService{}, now: time.Now, log: slog.Default(), stats: &m.api}
	g.handle("cloudfront", restXML, http.NotFoundHandler())
	for _, path := range []string{"/2020-05-31/distribution", "/2020-05-31/distribution", "/bucket/key"} {
		g.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	var next []asl.Status
	on := m.onStatus(func(_ context.Context, x flow.Execution) { next = append(next, x.Status) })
	for _, s := range []asl.Status{asl.Running, asl.Running, asl.Succeeded, asl.Failed, asl.Running} {
		on(context.Background(), flow.Execution{Status: s})
	}
	if len(next) != 5 {
		t.Errorf("the wrapped OnStatus saw %d changes, want 5", len(next))
	}

	var buf bytes.Buffer
	e := metrics.NewEncoder(&buf)
	m.collect(e)
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	x, err := metrics.Parse(&buf)
	if err != nil {
		t.Fatalf("%v in\n%s", err, buf.String())
	}
	tests := []struct {
		name   string
		labels []metrics.Label
		want   float64
	}{
		// Unsigned: refused by the gateway before the handler, still counted.
		{"edgecd_api_requests_total", []metrics.Label{{Name: "service", Value: "cloudfront"}, {Name: "code", Value: "403"}}, 2},
		// The shape says S3, which this gateway does not serve.
		{"edgecd_api_requests_total", []metrics.Label{{Name: "service", Value: "unknown"}}, 1},
		{"edgecd_api_request_duration_seconds_count", []metrics.Label{{Name: "service", Value: "cloudfront"}}, 2},
		{"edgecd_flow_executions_started_total", nil, 3},
		{"edgecd_flow_executions_ended_total", []metrics.Label{{Name: "status", Value: "SUCCEEDED"}}, 1},
		{"edgecd_flow_executions_ended_total", []metrics.Label{{Name: "status", Value: "FAILED"}}, 1},
	}
	for _, tt := range tests {
		if got := x.Sum(tt.name, tt.labels...); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
}

func TestEdgeOnlyNodeServesMetricsOnMetricsAddr(t *testing.T) {
	ctx := context.Background()
	n, err := Start(ctx, Config{DataDir: t.TempDir(), Role: RoleEdge, EdgeAddr: "127.0.0.1:0", MetricsAddr: "127.0.0.1:0",
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Shutdown(ctx) })
	if n.APIAddr() != "" || n.MetricsAddr() == "" {
		t.Fatalf("api %q, metrics %q", n.APIAddr(), n.MetricsAddr())
	}
	resp, err := http.Get("http://" + n.MetricsAddr() + MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	x, err := metrics.Parse(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %v", resp.StatusCode, err)
	}
	if x.Family("edgecd_edge_applied_revision") == nil || x.Family("edgecd_api_requests_total") != nil {
		t.Errorf("an edge-only node should export the edge's families and no API ones: %+v", x.Families)
	}
	other, err := http.Get("http://" + n.MetricsAddr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	other.Body.Close()
	if other.StatusCode != http.StatusNotFound {
		t.Errorf("GET / on the metrics listener: %d", other.StatusCode)
	}
}
