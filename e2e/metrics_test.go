package e2e

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/edgecd/edgecd/metrics"
)

// scrape reads url's exposition, failing the test unless it parses
// strictly (see metrics.Parse) and Prometheus's own text parser accepts it
// (so our writer and our parser cannot share a misreading of the format).
func scrape(t *testing.T, url string, hdr ...string) *metrics.Exposition {
	t.Helper()
	code, x := tryScrape(t, url, hdr...)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d", url, code)
	}
	return x
}

func tryScrape(t *testing.T, url string, hdr ...string) (int, *metrics.Exposition) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	if ct := resp.Header.Get("Content-Type"); ct != metrics.ContentType {
		t.Fatalf("GET %s: content type %q, want %q", url, ct, metrics.ContentType)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	x, err := metrics.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("GET %s: malformed exposition: %v", url, err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("GET %s: Prometheus's text parser refuses the exposition: %v", url, err)
	}
	for name := range families {
		if x.Family(name) == nil {
			t.Fatalf("GET %s: Prometheus reads a family %q that metrics.Parse does not", url, name)
		}
	}
	return resp.StatusCode, x
}

// freeAddr returns a free TCP address on host.
func freeAddr(t *testing.T, host string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// nonLoopbackIP returns an address of this machine other than loopback,
// "" when it has none.
func nonLoopbackIP() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}

// TestMetricsCountEachSideAsACanaryAnalysisNeeds sends viewer requests to
// both sides of the primary distribution of `edgecd up` and checks that
// /metrics counts exactly those, by side, and that a scraper from another
// address needs the --metrics-token.
func TestMetricsCountEachSideAsACanaryAnalysisNeeds(t *testing.T) {
	metricsAddr := freeAddr(t, "0.0.0.0")
	const token = "e2e-metrics-token"
	p := startUp(t, t.TempDir(), "--metrics-addr", metricsAddr, "--metrics-token", token)
	primary := p.info.Distributions[0]
	if primary.Staging {
		t.Fatalf("first distribution of up.json is a staging one: %+v", p.info.Distributions)
	}
	d := metrics.Label{Name: "distribution", Value: primary.ID}
	sides := map[string]metrics.Label{"primary": {Name: "side", Value: "primary"}, "staging": {Name: "side", Value: "staging"}}
	apiMetrics := p.info.APIURL + "/metrics"
	before := scrape(t, apiMetrics)

	sent := map[string]int{}
	for _, r := range []struct {
		path string
		hdr  []string
		side string
	}{
		{"/", nil, "primary"},
		{"/index.html", nil, "primary"},
		{"/index.html", []string{"Range", "bytes=0-9"}, "primary"}, // answered by net/http, not the fast path
		{"/assets/app.css", nil, "primary"},
		{"/", []string{"aws-cf-cd-env", "staging"}, "staging"},
		{"/index.html", []string{"aws-cf-cd-env", "staging"}, "staging"},
		{"/", []string{"aws-cf-cd-env", "staging"}, "staging"},
	} {
		code, h, _ := p.get(primary.Domain, r.path, r.hdr...)
		if code/100 != 2 || h.Get("X-Edgecd-Side") != r.side {
			t.Fatalf("GET %s %v: %d from side %q, want 2xx from %s", r.path, r.hdr, code, h.Get("X-Edgecd-Side"), r.side)
		}
		sent[r.side]++
	}
	cf, _, _ := p.sdk()
	if _, err := cf.ListDistributions(context.Background(), &cloudfront.ListDistributionsInput{}); err != nil {
		t.Fatal(err)
	}

	after := scrape(t, apiMetrics)
	delta := func(name string, labels ...metrics.Label) float64 {
		return after.Sum(name, labels...) - before.Sum(name, labels...)
	}
	for side, label := range sides {
		want := float64(sent[side])
		if got := delta("edgecd_edge_requests_total", d, label); got != want {
			t.Errorf("%s requests grew by %v, want %v", side, got, want)
		}
		if got := delta("edgecd_edge_requests_total", d, label, metrics.Label{Name: "code_class", Value: "2xx"}); got != want {
			t.Errorf("%s 2xx grew by %v, want %v", side, got, want)
		}
		if got := delta("edgecd_edge_request_duration_seconds_count", d, label); got != want {
			t.Errorf("%s latency observations grew by %v, want %v", side, got, want)
		}
		if got := delta("edgecd_edge_cache_requests_total", d, label); got != want {
			t.Errorf("%s cache results grew by %v, want %v", side, got, want)
		}
		if delta("edgecd_edge_response_bytes_total", d, label) <= 0 {
			t.Errorf("%s response bytes did not grow", side)
		}
		for _, class := range []string{"4xx", "5xx"} {
			if got := delta("edgecd_edge_requests_total", d, label, metrics.Label{Name: "code_class", Value: class}); got != 0 {
				t.Errorf("%s %s grew by %v", side, class, got)
			}
		}
	}
	if got := delta("edgecd_api_requests_total", metrics.Label{Name: "service", Value: "cloudfront"}, metrics.Label{Name: "code", Value: "200"}); got < 1 {
		t.Errorf("cloudfront API 200s grew by %v after ListDistributions", got)
	}
	if after.Sum("edgecd_edge_applied_revision") < 1 || after.Sum("go_goroutines") < 1 {
		t.Error("applied revision or goroutines missing")
	}

	// The --metrics-addr listener: open to loopback, closed to other
	// addresses without the token.
	_, port, _ := net.SplitHostPort(metricsAddr)
	if x := scrape(t, "http://127.0.0.1:"+port+"/metrics"); x.Sum("edgecd_edge_requests_total", d) < float64(sent["primary"]+sent["staging"]) {
		t.Error("the --metrics-addr listener serves other counters than the API listener")
	}
	if code, _ := tryScrape(t, "http://127.0.0.1:"+port+"/metrics", "Authorization", "Bearer wrong"); code != http.StatusUnauthorized {
		t.Errorf("a wrong bearer token got %d, want 401", code)
	}
	ip := nonLoopbackIP()
	if ip == "" {
		t.Log("this machine has no non-loopback address; node's TestScrapeGateOpensToLoopbackTokenOrSignature covers remote scrapers")
		return
	}
	remote := "http://" + net.JoinHostPort(ip, port) + "/metrics"
	if code, _ := tryScrape(t, remote); code != http.StatusUnauthorized {
		t.Errorf("a scrape from %s without a token got %d, want 401", ip, code)
	}
	if x := scrape(t, remote, "Authorization", "Bearer "+token); x.Family("edgecd_edge_requests_total") == nil {
		t.Error("the token's scrape lacks the edge's families")
	}
}
