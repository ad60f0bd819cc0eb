package edge_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
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

// BenchmarkFastPathHit measures cached responses through the edge's fast
// path over a loopback keep-alive connection, the way wrk drives it, under
// a sticky SingleWeight policy. allocs/op counts the whole process (the
// client here allocates nothing per request), so it shows the edge's own
// allocations per hit: none for a returning viewer; a new viewer costs
// the cookie's HMAC and encoding.
func BenchmarkFastPathHit(b *testing.B) {
	h := newHarness(b)
	h.put("1.0.0/bench-1k.bin", "application/octet-stream", strings.Repeat("x", 1024))
	h.put("2.0.0/bench-1k.bin", "application/octet-stream", strings.Repeat("y", 1024))
	h.put("1.0.0/bench-100k.bin", "application/octet-stream", strings.Repeat("x", 100<<10))
	h.put("2.0.0/bench-100k.bin", "application/octet-stream", strings.Repeat("y", 100<<10))
	p, _ := h.staged(&cdn.TrafficConfig{Type: cdn.SingleWeight, SingleWeightConfig: &cdn.ContinuousDeploymentSingleWeightConfig{
		Weight: 0.5, SessionStickinessConfig: &cdn.SessionStickinessConfig{IdleTTL: 300, MaximumTTL: 600}}})
	for _, size := range []string{"1k", "100k"} {
		first := h.get(p.DomainName, "/bench-"+size+".bin")
		io.Copy(io.Discard, first.Body)
		var cookie string
		for _, c := range first.Cookies() {
			cookie = c.Name + "=" + c.Value
		}
		for _, viewer := range []struct{ name, header string }{{"returning", "Cookie: " + cookie + "\r\n"}, {"new", ""}} {
			b.Run(size+"/"+viewer.name, func(b *testing.B) {
				req := []byte("GET /bench-" + size + ".bin HTTP/1.1\r\nHost: " + p.DomainName + "\r\n" + viewer.header + "\r\n")
				c, err := net.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				buf := make([]byte, 256<<10)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := c.Write(req); err != nil {
						b.Fatal(err)
					}
					if err := readResponse(c, buf); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// readResponse reads one 200 response with a Content-Length into buf,
// allocating nothing.
func readResponse(c net.Conn, buf []byte) error {
	n := 0
	for {
		m, err := c.Read(buf[n:])
		n += m
		if err != nil {
			return err
		}
		end := bytes.Index(buf[:n], []byte("\r\n\r\n"))
		if end < 0 {
			continue
		}
		i := bytes.Index(buf[:end], []byte("Content-Length: "))
		if i < 0 || !bytes.HasPrefix(buf, []byte("HTTP/1.1 200 ")) {
			return fmt.Errorf("unexpected response %q", buf[:end])
		}
		length := 0
		for _, d := range buf[i+len("Content-Length: "):] {
			if d < '0' || d > '9' {
				break
			}
			length = length*10 + int(d-'0')
		}
		for n < end+4+length {
			m, err := c.Read(buf[n:])
			n += m
			if err != nil {
				return err
			}
		}
		return nil
	}
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
