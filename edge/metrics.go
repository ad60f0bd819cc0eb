package edge

import (
	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/metrics"
)

// CollectMetrics writes the edge's metric families: per distribution and
// side (the data a canary analysis compares), then the edge's totals.
// It reads the counters the request path updates; it takes no lock that
// path waits for.
func (s *Server) CollectMetrics(e *metrics.Encoder) {
	traffic := s.Traffic()
	sides := [2]string{cdn.Primary: "primary", cdn.Staging: "staging"}
	each := func(f func(d metrics.Label, side metrics.Label, t *SideTraffic)) {
		for i := range traffic {
			d := &traffic[i]
			f(metrics.Label{Name: "distribution", Value: d.DistributionID}, metrics.Label{Name: "side", Value: sides[cdn.Primary]}, &d.Primary)
			f(metrics.Label{Name: "distribution", Value: d.DistributionID}, metrics.Label{Name: "side", Value: sides[cdn.Staging]}, &d.Staging)
		}
	}
	e.Family("edgecd_edge_requests_total", metrics.Counter,
		"Viewer requests answered, by the distribution whose host was asked for, the side (primary or staging) that served them, and the status class.")
	each(func(d, side metrics.Label, t *SideTraffic) {
		for _, c := range []struct {
			class string
			n     uint64
		}{{"2xx", t.Status2xx}, {"3xx", t.Status3xx}, {"4xx", t.Status4xx}, {"5xx", t.Status5xx}} {
			e.Uint(c.n, d, side, metrics.Label{Name: "code_class", Value: c.class})
		}
	})
	e.Family("edgecd_edge_response_bytes_total", metrics.Counter, "Response body bytes sent to viewers.")
	each(func(d, side metrics.Label, t *SideTraffic) { e.Uint(t.Bytes, d, side) })
	e.Family("edgecd_edge_cache_requests_total", metrics.Counter,
		"Viewer requests answered from the cache (hit) or the origin (miss); custom error pages count as neither.")
	each(func(d, side metrics.Label, t *SideTraffic) {
		e.Uint(t.Hits, d, side, metrics.Label{Name: "result", Value: "hit"})
		e.Uint(t.Misses, d, side, metrics.Label{Name: "result", Value: "miss"})
	})
	e.Family("edgecd_edge_request_duration_seconds", metrics.Histogram,
		"Time from a viewer request's head read to its answer written (small fast-path answers: built).")
	each(func(d, side metrics.Label, t *SideTraffic) { e.Histogram(t.Latency, d, side) })

	e.Family("edgecd_edge_applied_revision", metrics.Gauge, "Store revision of the configuration the edge serves.")
	e.Uint(uint64(max(s.Stats.AppliedRev.Load(), 0)))
	e.Family("edgecd_edge_fast_path_requests_total", metrics.Counter,
		"Viewer requests the HTTP/1.1 fast path answered without net/http.")
	e.Uint(s.Stats.FastPath.Load())
	e.Family("edgecd_edge_invalidated_objects_total", metrics.Counter, "Cached objects purged by invalidations.")
	e.Uint(s.Stats.Purged.Load())
}
