package edge_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/edgecd/edgecd/cdn"
)

// BenchmarkServeHit measures a cached 1 KiB response through routing with a
// sticky SingleWeight policy, in-process (no network).
func BenchmarkServeHit(b *testing.B) {
	h := newHarness(b)
	h.put("1.0.0/bench-1k.bin", "application/octet-stream", strings.Repeat("x", 1024))
	h.put("2.0.0/bench-1k.bin", "application/octet-stream", strings.Repeat("y", 1024))
	p, _ := h.staged(&cdn.TrafficConfig{Type: cdn.SingleWeight, SingleWeightConfig: &cdn.ContinuousDeploymentSingleWeightConfig{
		Weight: 0.15, SessionStickinessConfig: &cdn.SessionStickinessConfig{IdleTTL: 300, MaximumTTL: 600}}})
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req := httptest.NewRequest(http.MethodGet, "/bench-1k.bin", nil)
		req.Host = p.DomainName
		for pb.Next() {
			w := httptest.NewRecorder()
			h.edge.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}

// BenchmarkConfigToEdge measures the time from a config change committing
// (UpdateDistribution returning) to the edge serving the changed config,
// and reports its p50 and p99.
func BenchmarkConfigToEdge(b *testing.B) {
	h := newHarness(b)
	ctx := context.Background()
	d, tag, err := h.svc.CreateDistribution(ctx, config("prop", "/1.0.0"))
	if err != nil {
		b.Fatal(err)
	}
	h.settle()
	var lat []time.Duration
	paths := []string{"/1.0.0", "/2.0.0"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cfg := d.DistributionConfig
		cfg.Origins.Items[0].OriginPath = paths[(i+1)%2]
		want := fmt.Sprintf("v%d App", (i+1)%2+1)
		if d, tag, err = h.svc.UpdateDistribution(ctx, d.Id, cfg, tag); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		for {
			req := httptest.NewRequest(http.MethodGet, "/index.html", nil)
			req.Host = d.DomainName
			w := httptest.NewRecorder()
			h.edge.ServeHTTP(w, req)
			if strings.Contains(w.Body.String(), want) {
				break
			}
			if time.Since(start) > 10*time.Second {
				b.Fatal("edge never served the change")
			}
			time.Sleep(50 * time.Microsecond)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
