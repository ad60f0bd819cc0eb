package edge_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/edgecd/edgecd/edge"
	"github.com/edgecd/edgecd/metrics"
)

func trafficOf(t *testing.T, e *edge.Server, id string) edge.DistTraffic {
	t.Helper()
	for _, d := range e.Traffic() {
		if d.DistributionID == id {
			return d
		}
	}
	t.Fatalf("no traffic for distribution %s in %+v", id, e.Traffic())
	return edge.DistTraffic{}
}

func TestTrafficCountsEachSideOfTheRequestedDistribution(t *testing.T) {
	h := newHarness(t)
	p, s := h.staged(headerPolicy)
	send := func(n int, path string, hdr ...string) {
		for range n {
			r := h.get(p.DomainName, path, hdr...)
			io.Copy(io.Discard, r.Body)
		}
	}
	send(3, "/")                                 // fast path: one miss, then hits
	send(2, "/", "aws-cf-cd-env", "staging")     // fast path on staging
	send(1, "/index.html", "Range", "bytes=0-3") // net/http: 206
	send(1, "/index.html", "aws-cf-cd-env", "staging", "Range", "bytes=0-3")
	send(1, "/missing.js", "aws-cf-cd-env", "staging")      // SPA fallback: error page, neither hit nor miss
	send(1, "/", "If-None-Match", `"nope"`)                 // net/http 200
	if r := h.get(s.DomainName, "/"); r.StatusCode != 403 { // a staging host asked directly
		t.Fatalf("staging host answered %d", r.StatusCode)
	}

	got := trafficOf(t, h.edge, p.Id)
	pr, st := got.Primary, got.Staging
	if pr.Requests != 5 || pr.Status2xx != 5 || pr.Status4xx != 0 {
		t.Errorf("primary: %+v, want 5 requests, all 2xx", pr)
	}
	if st.Requests != 4 || st.Status2xx != 4 {
		t.Errorf("staging: %+v, want 4 requests, all 2xx", st)
	}
	if pr.Hits+pr.Misses != 5 || pr.Misses < 1 {
		t.Errorf("primary cache: %d hits, %d misses; want 5 results, the first a miss", pr.Hits, pr.Misses)
	}
	if st.Hits+st.Misses != 3 || st.Misses < 1 {
		t.Errorf("staging cache: %d hits, %d misses; want 3 results (the error page counts neither)", st.Hits, st.Misses)
	}
	if pr.Bytes == 0 || st.Bytes == 0 {
		t.Errorf("bytes: primary %d, staging %d", pr.Bytes, st.Bytes)
	}
	for name, side := range map[string]edge.SideTraffic{"primary": pr, "staging": st} {
		if side.Latency.Count != side.Requests || side.LatencySum != side.Latency.Sum || side.LatencySum <= 0 {
			t.Errorf("%s latency: %d observations, sum %v, for %d requests", name, side.Latency.Count, side.LatencySum, side.Requests)
		}
	}
	for _, d := range h.edge.Traffic() {
		if d.DistributionID == s.Id {
			t.Errorf("the staging distribution has an entry of its own: %+v", d)
		}
	}
	// A config change swaps the snapshot; the counters carry on.
	if _, _, err := h.svc.CreateDistribution(context.Background(), config("another", "/3.0.0")); err != nil {
		t.Fatal(err)
	}
	h.settle()
	send(1, "/")
	if got := trafficOf(t, h.edge, p.Id).Primary.Requests; got != 6 {
		t.Errorf("after a new snapshot: %d primary requests, want 6", got)
	}
}

func TestMetricsExposeTrafficPerSide(t *testing.T) {
	h := newHarness(t)
	p, _ := h.staged(headerPolicy)
	for range 3 {
		io.Copy(io.Discard, h.get(p.DomainName, "/").Body)
	}
	io.Copy(io.Discard, h.get(p.DomainName, "/", "aws-cf-cd-env", "staging").Body)
	io.Copy(io.Discard, h.get(p.DomainName, "/nothing-here.png", "aws-cf-cd-env", "staging").Body)

	var buf bytes.Buffer
	e := metrics.NewEncoder(&buf)
	h.edge.CollectMetrics(e)
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	x, err := metrics.Parse(&buf)
	if err != nil {
		t.Fatalf("%v in\n%s", err, buf.String())
	}
	d := metrics.Label{Name: "distribution", Value: p.Id}
	primary, staging := metrics.Label{Name: "side", Value: "primary"}, metrics.Label{Name: "side", Value: "staging"}
	tests := []struct {
		name   string
		labels []metrics.Label
		want   float64
	}{
		{"edgecd_edge_requests_total", []metrics.Label{d, primary}, 3},
		{"edgecd_edge_requests_total", []metrics.Label{d, primary, {Name: "code_class", Value: "2xx"}}, 3},
		{"edgecd_edge_requests_total", []metrics.Label{d, staging}, 2},
		{"edgecd_edge_cache_requests_total", []metrics.Label{d, primary}, 3},
		{"edgecd_edge_cache_requests_total", []metrics.Label{d, primary, {Name: "result", Value: "miss"}}, 1},
		{"edgecd_edge_cache_requests_total", []metrics.Label{d, staging}, 1}, // the SPA fallback page counts neither
		{"edgecd_edge_request_duration_seconds_count", []metrics.Label{d, primary}, 3},
		{"edgecd_edge_request_duration_seconds_count", []metrics.Label{d, staging}, 2},
		{"edgecd_edge_fast_path_requests_total", nil, 4},
	}
	for _, tt := range tests {
		if got := x.Sum(tt.name, tt.labels...); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
	if x.Sum("edgecd_edge_response_bytes_total", d, primary) == 0 || x.Sum("edgecd_edge_applied_revision") == 0 {
		t.Errorf("bytes or revision missing:\n%s", buf.String())
	}
}
