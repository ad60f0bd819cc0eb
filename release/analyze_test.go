package release

import (
	"bytes"
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/edgecd/edgecd/metrics"
)

// traffic is what one side served: answers by class, and how many
// requests took each latency.
type traffic struct {
	ok, c4, c5 uint64
	lat        map[time.Duration]uint64
}

// exposition writes dist's two sides the way the edge does (see
// edge/metrics.go), through the real metrics.Encoder.
func exposition(t *testing.T, dist string, primary, staging traffic) []byte {
	t.Helper()
	var buf bytes.Buffer
	e := metrics.NewEncoder(&buf)
	d := metrics.Label{Name: "distribution", Value: dist}
	sides := []struct {
		name string
		tr   traffic
	}{{"primary", primary}, {"staging", staging}}
	e.Family(metricRequests, metrics.Counter, "Viewer requests answered.")
	for _, s := range sides {
		side := metrics.Label{Name: "side", Value: s.name}
		for _, c := range []struct {
			class string
			n     uint64
		}{{"2xx", s.tr.ok}, {"3xx", 0}, {"4xx", s.tr.c4}, {"5xx", s.tr.c5}} {
			e.Uint(c.n, d, side, metrics.Label{Name: "code_class", Value: c.class})
		}
	}
	e.Family(metricDuration, metrics.Histogram, "Viewer request latency.")
	for _, s := range sides {
		var h metrics.Latency
		for lat, n := range s.tr.lat {
			for range n {
				h.Observe(lat)
			}
		}
		e.Histogram(h.Snapshot(), d, metrics.Label{Name: "side", Value: s.name})
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func parse(t *testing.T, b []byte) *metrics.Exposition {
	t.Helper()
	x, err := metrics.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestQuantileInterpolatesLikeHistogramQuantile(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		name string
		q    float64
		b    []bucket
		want float64
	}{
		{"rank at a bucket's top is its bound", 0.5, []bucket{{0.1, 10}, {0.2, 20}, {inf, 20}}, 0.1},
		{"linear inside the bucket", 0.75, []bucket{{0.1, 10}, {0.2, 20}, {inf, 20}}, 0.15},
		{"first bucket starts at zero", 0.25, []bucket{{0.1, 10}, {0.2, 20}, {inf, 20}}, 0.05},
		{"p95 of 90 fast and 10 slow", 0.95, []bucket{{0.001, 90}, {0.05, 100}, {inf, 100}}, 0.001 + 0.049*0.5},
		{"rank in +Inf gives the highest finite bound", 0.5, []bucket{{0.1, 0}, {0.2, 0}, {inf, 5}}, 0.2},
		{"counts that dip are made monotonic", 0.5, []bucket{{0.1, 10}, {0.2, 9}, {inf, 20}}, 0.1},
		{"empty histogram", 0.95, []bucket{{0.1, 0}, {inf, 0}}, math.NaN()},
		{"no +Inf bucket", 0.95, []bucket{{0.1, 3}, {0.2, 4}}, math.NaN()},
		{"no buckets", 0.95, nil, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := quantile(tt.q, tt.b)
			if math.IsNaN(tt.want) != math.IsNaN(got) || !math.IsNaN(got) && math.Abs(got-tt.want) > 1e-12 {
				t.Fatalf("quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestEvaluateVerdicts(t *testing.T) {
	ms := time.Millisecond
	fast := func(n uint64) map[time.Duration]uint64 { return map[time.Duration]uint64{300 * time.Microsecond: n} }
	healthy := traffic{ok: 200, lat: fast(200)}
	tests := []struct {
		name            string
		before          [2]traffic // primary, staging
		after           [2]traffic
		opts            AnalyzeOptions
		want            Verdict
		failing         []string // checks that fail or are inconclusive
		stagingRequests int64
	}{
		{"both sides healthy", [2]traffic{}, [2]traffic{healthy, {ok: 100, lat: fast(100)}}, AnalyzeOptions{}, Pass, nil, 100},
		{"only the window's deltas count", [2]traffic{{ok: 1000, c5: 500, lat: fast(1500)}, {ok: 10, c5: 90, lat: fast(100)}},
			[2]traffic{{ok: 1200, c5: 500, lat: fast(1700)}, {ok: 110, c5: 90, lat: fast(200)}}, AnalyzeOptions{}, Pass, nil, 100},
		{"too few staging requests is inconclusive, not pass", [2]traffic{}, [2]traffic{healthy, {ok: 49, lat: fast(49)}}, AnalyzeOptions{}, Inconclusive, []string{CheckRequests}, 49},
		{"MinRequests lowers the bar", [2]traffic{}, [2]traffic{healthy, {ok: 10, lat: fast(10)}}, AnalyzeOptions{MinRequests: 10}, Pass, nil, 10},
		{"staging 5xx above 1% with a clean primary fails", [2]traffic{}, [2]traffic{healthy, {ok: 90, c5: 10, lat: fast(100)}}, AnalyzeOptions{}, Fail, []string{Check5xx}, 100},
		{"staging 5xx at 1% passes", [2]traffic{}, [2]traffic{healthy, {ok: 99, c5: 1, lat: fast(100)}}, AnalyzeOptions{}, Pass, nil, 100},
		{"a failing primary raises the bar to twice its rate", [2]traffic{}, [2]traffic{{ok: 194, c5: 6, lat: fast(200)}, {ok: 95, c5: 5, lat: fast(100)}}, AnalyzeOptions{}, Pass, nil, 100},
		{"but not beyond it", [2]traffic{}, [2]traffic{{ok: 194, c5: 6, lat: fast(200)}, {ok: 87, c5: 13, lat: fast(100)}}, AnalyzeOptions{}, Fail, []string{Check5xx}, 100},
		{"a stricter Max5xxRate", [2]traffic{}, [2]traffic{healthy, {ok: 995, c5: 5, lat: fast(1000)}}, AnalyzeOptions{Max5xxRate: 0.001}, Fail, []string{Check5xx}, 1000},
		{"4xx are reported, not gated, by default", [2]traffic{}, [2]traffic{healthy, {ok: 50, c4: 50, lat: fast(100)}}, AnalyzeOptions{}, Pass, nil, 100},
		{"4xx gate when Max4xxRate is set", [2]traffic{}, [2]traffic{healthy, {ok: 50, c4: 50, lat: fast(100)}}, AnalyzeOptions{Max4xxRate: 0.05}, Fail, []string{Check4xx}, 100},
		{"slow staging fails latency", [2]traffic{}, [2]traffic{healthy, {ok: 100, lat: map[time.Duration]uint64{200 * ms: 100}}}, AnalyzeOptions{}, Fail, []string{CheckLatency}, 100},
		{"a few slow requests under p95 pass", [2]traffic{}, [2]traffic{healthy, {ok: 100, lat: map[time.Duration]uint64{300 * time.Microsecond: 97, 2 * time.Second: 3}}}, AnalyzeOptions{}, Pass, nil, 100},
		{"ten times slower under the 50 ms floor passes", [2]traffic{}, [2]traffic{healthy, {ok: 100, lat: map[time.Duration]uint64{3 * ms: 100}}}, AnalyzeOptions{}, Pass, nil, 100},
		{"above the floor but within 1.5 times the primary passes", [2]traffic{}, [2]traffic{{ok: 200, lat: map[time.Duration]uint64{200 * ms: 200}}, {ok: 100, lat: map[time.Duration]uint64{240 * ms: 100}}}, AnalyzeOptions{}, Pass, nil, 100},
		{"a lower floor catches smaller regressions", [2]traffic{}, [2]traffic{healthy, {ok: 100, lat: map[time.Duration]uint64{3 * ms: 100}}}, AnalyzeOptions{LatencyFloor: ms}, Fail, []string{CheckLatency}, 100},
		{"no primary traffic leaves latency inconclusive", [2]traffic{}, [2]traffic{{}, {ok: 100, lat: fast(100)}}, AnalyzeOptions{}, Inconclusive, []string{CheckLatency}, 100},
		{"a failure outranks an inconclusive check", [2]traffic{}, [2]traffic{{}, {ok: 50, c5: 50, lat: fast(100)}}, AnalyzeOptions{}, Fail, []string{Check5xx, CheckLatency}, 100},
		{"too few requests outranks a failure", [2]traffic{}, [2]traffic{healthy, {c5: 5, lat: fast(5)}}, AnalyzeOptions{}, Inconclusive, []string{CheckRequests, Check5xx}, 5},
		{"counters reset by a restart count from zero", [2]traffic{{ok: 5000, lat: fast(5000)}, {ok: 5000, lat: fast(5000)}},
			[2]traffic{healthy, {ok: 60, c5: 40, lat: fast(100)}}, AnalyzeOptions{}, Fail, []string{Check5xx}, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := parse(t, exposition(t, "E1", tt.before[0], tt.before[1]))
			after := parse(t, exposition(t, "E1", tt.after[0], tt.after[1]))
			a := Evaluate(before, after, "E1", time.Minute, tt.opts)
			if a.Verdict != tt.want {
				t.Errorf("verdict %s, want %s; checks %+v", a.Verdict, tt.want, a.Checks)
			}
			var failing []string
			for _, c := range a.Failed() {
				failing = append(failing, c.Name)
				if c.Reason == "" {
					t.Errorf("check %s has no reason", c.Name)
				}
			}
			if strings.Join(failing, ",") != strings.Join(tt.failing, ",") {
				t.Errorf("failing checks %v, want %v; %+v", failing, tt.failing, a.Checks)
			}
			if a.Staging.Requests != tt.stagingRequests {
				t.Errorf("staging requests %d, want %d", a.Staging.Requests, tt.stagingRequests)
			}
			if (a.Err() == nil) != (tt.want == Pass) {
				t.Errorf("Err() = %v with verdict %s", a.Err(), a.Verdict)
			}
		})
	}
}

func TestEvaluateReportsTheObservedValues(t *testing.T) {
	after := parse(t, exposition(t, "E1",
		traffic{ok: 180, c4: 10, c5: 10, lat: map[time.Duration]uint64{time.Millisecond: 200}},
		traffic{ok: 70, c4: 10, c5: 20, lat: map[time.Duration]uint64{400 * time.Millisecond: 100}}))
	a := Evaluate(parse(t, nil), after, "E1", 2*time.Second, AnalyzeOptions{})
	if a.Primary.Requests != 200 || a.Primary.Rate5xx != 0.05 || a.Primary.Rate4xx != 0.05 {
		t.Errorf("primary %+v", a.Primary)
	}
	if a.Staging.Requests != 100 || a.Staging.Rate5xx != 0.2 || a.Staging.Rate4xx != 0.1 {
		t.Errorf("staging %+v", a.Staging)
	}
	// All of staging's requests took 400 ms, in the (250 ms, 500 ms]
	// bucket: p95 interpolates to 250 + 0.95×250 ms.
	if got, want := a.Staging.Latency, 0.25+0.95*0.25; math.Abs(got-want) > 1e-9 {
		t.Errorf("staging p95 %v, want %v", got, want)
	}
	err := a.Err()
	var ve *VerdictError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "5xx-rate fail") || !strings.Contains(err.Error(), "latency fail") {
		t.Fatalf("Err() = %v", err)
	}
}

// metricsServer answers /metrics with each exposition in turn and records
// the Authorization headers it got.
func metricsServer(t *testing.T, status int, bodies ...[]byte) (*httptest.Server, func() []string) {
	t.Helper()
	var n atomic.Int32
	var mu sync.Mutex
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		if status != http.StatusOK {
			w.WriteHeader(status)
			return
		}
		i := min(int(n.Add(1))-1, len(bodies)-1)
		w.Header().Set("Content-Type", metrics.ContentType)
		w.Write(bodies[i])
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), auth...)
	}
}

func clientFor(url string) *Client {
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDANALYZE", "secret", "")}
	if url != "" {
		cfg.BaseEndpoint = aws.String(url)
	}
	return NewClient(cfg)
}

func TestAnalyzeScrapesSignedAtBothEndsOfTheWindow(t *testing.T) {
	before := exposition(t, "E1", traffic{ok: 5, lat: map[time.Duration]uint64{time.Millisecond: 5}}, traffic{})
	after := exposition(t, "E1", traffic{ok: 105, lat: map[time.Duration]uint64{time.Millisecond: 105}}, traffic{ok: 60, lat: map[time.Duration]uint64{time.Millisecond: 60}})
	srv, auth := metricsServer(t, http.StatusOK, before, after)
	var slept []time.Duration
	opts := AnalyzeOptions{Window: 2 * time.Second, Sleep: func(ctx context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	}}
	a, err := clientFor(srv.URL).Analyze(context.Background(), "E1", opts)
	if err != nil {
		t.Fatal(err)
	}
	if a.Verdict != Pass || a.Staging.Requests != 60 || a.Primary.Requests != 100 {
		t.Fatalf("analysis %+v", a)
	}
	if len(slept) != 1 || slept[0] != 2*time.Second {
		t.Fatalf("slept %v, want one 2s window", slept)
	}
	got := auth()
	if len(got) != 2 {
		t.Fatalf("%d scrapes, want 2", len(got))
	}
	for _, h := range got {
		if !strings.HasPrefix(h, "AWS4-HMAC-SHA256 Credential=AKIDANALYZE/") || !strings.Contains(h, "/eu-west-1/edgecd/aws4_request") {
			t.Fatalf("scrape not signed for service edgecd: %q", h)
		}
	}
}

func TestAnalyzeNeedsAnEdgecdEndpoint(t *testing.T) {
	ctx := context.Background()
	notFound, _ := metricsServer(t, http.StatusNotFound)
	forbidden, _ := metricsServer(t, http.StatusForbidden)
	tests := []struct {
		name string
		url  string
	}{
		{"no endpoint: the real AWS", ""},
		{"an endpoint without /metrics", notFound.URL},
		{"an endpoint that refuses /metrics", forbidden.URL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := clientFor(tt.url).Analyze(ctx, "E1", AnalyzeOptions{Sleep: func(context.Context, time.Duration) error { return nil }})
			if !errors.Is(err, ErrNoMetrics) || !strings.Contains(err.Error(), "CloudWatch") {
				t.Fatalf("err = %v, want ErrNoMetrics", err)
			}
		})
	}
}

func TestAnalyzeRefusesAnUnknownDistribution(t *testing.T) {
	body := exposition(t, "E1", traffic{}, traffic{})
	srv, _ := metricsServer(t, http.StatusOK, body)
	_, err := clientFor(srv.URL).Analyze(context.Background(), "ENOSUCH", AnalyzeOptions{Sleep: func(context.Context, time.Duration) error { return nil }})
	if err == nil || !strings.Contains(err.Error(), "no traffic series for ENOSUCH") {
		t.Fatalf("err = %v", err)
	}
}

func TestAnalyzeStopsWhenCancelled(t *testing.T) {
	body := exposition(t, "E1", traffic{}, traffic{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Cancelled once the first scrape is answered: Analyze is then in
	// its hour-long window, which must end at once.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(body)
		cancel()
	}))
	defer srv.Close()
	// The cancel may also land while the first answer's body is read:
	// that is a cancelled scrape too, not an endpoint without metrics.
	_, err := clientFor(srv.URL).Analyze(ctx, "E1", AnalyzeOptions{Window: time.Hour})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrNoMetrics) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
