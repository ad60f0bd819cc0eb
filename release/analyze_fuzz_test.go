package release

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/edgecd/edgecd/metrics"
)

// FuzzEvaluate feeds Evaluate any two expositions metrics.Parse accepts
// (what a scraped endpoint may answer): it must not panic, and its result
// must encode as JSON (no NaN or infinity) with a known verdict.
func FuzzEvaluate(f *testing.F) {
	f.Add(`# TYPE edgecd_edge_requests_total counter
edgecd_edge_requests_total{distribution="E1",side="staging",code_class="2xx"} 5
`, `# TYPE edgecd_edge_requests_total counter
edgecd_edge_requests_total{distribution="E1",side="staging",code_class="2xx"} 100
edgecd_edge_requests_total{distribution="E1",side="staging",code_class="5xx"} 3
edgecd_edge_requests_total{distribution="E1",side="primary",code_class="2xx"} 100
# TYPE edgecd_edge_request_duration_seconds histogram
edgecd_edge_request_duration_seconds_bucket{distribution="E1",side="staging",le="0.001"} 90
edgecd_edge_request_duration_seconds_bucket{distribution="E1",side="staging",le="+Inf"} 103
edgecd_edge_request_duration_seconds_sum{distribution="E1",side="staging"} 1
edgecd_edge_request_duration_seconds_count{distribution="E1",side="staging"} 103
`)
	f.Fuzz(func(t *testing.T, before, after string) {
		b, err := metrics.Parse(strings.NewReader(before))
		if err != nil {
			return
		}
		a, err := metrics.Parse(strings.NewReader(after))
		if err != nil {
			return
		}
		res := Evaluate(b, a, "E1", time.Minute, AnalyzeOptions{})
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("the analysis does not encode: %v\n%+v", err, res)
		}
		switch res.Verdict {
		case Pass, Fail, Inconclusive:
		default:
			t.Fatalf("verdict %q", res.Verdict)
		}
		for _, s := range []SideStats{res.Primary, res.Staging} {
			if s.Requests < 0 || s.Rate5xx < 0 || s.Rate5xx > 1 || s.Rate4xx < 0 || s.Rate4xx > 1 || s.Latency < 0 || math.IsInf(s.Latency, 0) {
				t.Fatalf("side stats out of range: %+v", s)
			}
		}
	})
}
