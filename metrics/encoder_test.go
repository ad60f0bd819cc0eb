package metrics

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func encode(t *testing.T, collect Collector) (string, error) {
	t.Helper()
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	collect(e)
	err := e.Flush()
	return buf.String(), err
}

func TestEncoderWritesWhatParseReadsBack(t *testing.T) {
	var h Latency
	for _, d := range []time.Duration{50 * time.Microsecond, 100 * time.Microsecond, 3 * time.Millisecond, 10 * time.Second} {
		h.Observe(d)
	}
	out, err := encode(t, func(e *Encoder) {
		e.Family("edgecd_things_total", Counter, "Things seen.\nSecond line with a \\ backslash.")
		e.Uint(7, Label{"kind", `a "quoted"\ value`}, Label{"side", "primary"})
		e.Uint(1<<62, Label{"kind", "big"}, Label{"side", "line\nbreak"})
		e.Family("edgecd_temperature_celsius", Gauge, "A gauge.")
		e.Float(-1.5)
		e.Family("edgecd_latency_seconds", Histogram, "A histogram.")
		e.Histogram(h.Snapshot(), Label{"side", "staging"})
	})
	if err != nil {
		t.Fatal(err)
	}
	x, err := Parse(strings.NewReader(out))
	if err != nil {
		t.Fatalf("%v in\n%s", err, out)
	}
	if f := x.Family("edgecd_things_total"); f == nil || f.Help != "Things seen.\nSecond line with a \\ backslash." || f.Type != Counter {
		t.Errorf("counter family read back as %+v", f)
	}
	tests := []struct {
		name   string
		labels []Label
		want   float64
	}{
		{"edgecd_things_total", []Label{{"kind", `a "quoted"\ value`}}, 7},
		{"edgecd_things_total", []Label{{"side", "line\nbreak"}}, 1 << 62},
		{"edgecd_temperature_celsius", nil, -1.5},
		{"edgecd_latency_seconds_count", []Label{{"side", "staging"}}, 4},
		{"edgecd_latency_seconds_bucket", []Label{{"le", "0.0001"}}, 2}, // a bound is inclusive
		{"edgecd_latency_seconds_bucket", []Label{{"le", "0.005"}}, 3},
		{"edgecd_latency_seconds_bucket", []Label{{"le", "5"}}, 3},
		{"edgecd_latency_seconds_bucket", []Label{{"le", "+Inf"}}, 4},
		{"edgecd_latency_seconds_sum", nil, 10.00315},
	}
	for _, tt := range tests {
		if got := x.Sum(tt.name, tt.labels...); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
	if !strings.Contains(out, `edgecd_latency_seconds_bucket{side="staging",le="0.0025"} 2`) {
		t.Errorf("exposition lacks the 2.5 ms bucket in Prometheus' spelling:\n%s", out)
	}
}

func TestEncoderRefusesWhatPrometheusWouldReject(t *testing.T) {
	tests := []struct {
		name    string
		collect Collector
	}{
		{"bad metric name", func(e *Encoder) { e.Family("edgecd-requests", Counter, "") }},
		{"bad label name", func(e *Encoder) { e.Family("x_total", Counter, ""); e.Uint(1, Label{"a-b", "v"}) }},
		{"reserved label name", func(e *Encoder) { e.Family("x_total", Counter, ""); e.Uint(1, Label{"__name__", "v"}) }},
		{"family twice", func(e *Encoder) {
			e.Family("x_total", Counter, "")
			e.Family("y", Gauge, "")
			e.Family("x_total", Counter, "")
		}},
		{"sample before family", func(e *Encoder) { e.Uint(1) }},
		{"counter sample in a histogram", func(e *Encoder) { e.Family("h_seconds", Histogram, ""); e.Uint(1) }},
		{"le label on a histogram", func(e *Encoder) {
			e.Family("h_seconds", Histogram, "")
			e.Histogram((&Latency{}).Snapshot(), Label{"le", "1"})
		}},
		{"unknown type", func(e *Encoder) { e.Family("s", Type("summary"), "") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out, err := encode(t, tt.collect); err == nil {
				t.Fatalf("no error; wrote\n%s", out)
			}
		})
	}
}

func TestParseRejectsMalformedExpositions(t *testing.T) {
	const typed = "# TYPE x_total counter\n"
	const hist = "# TYPE h histogram\n"
	tests := []struct{ name, in string }{
		{"no TYPE", "x_total 1\n"},
		{"sample of another family", typed + "y_total 1\n"},
		{"family split", typed + "x_total{a=\"1\"} 1\n# TYPE y gauge\ny 1\n# TYPE x_total counter\n"},
		{"duplicate series", typed + "x_total{a=\"1\"} 1\nx_total{a=\"1\"} 2\n"},
		{"negative counter", typed + "x_total -1\n"},
		{"unquoted label", typed + "x_total{a=1} 1\n"},
		{"trailing comma", typed + "x_total{a=\"1\",} 1\n"},
		{"unterminated label", typed + "x_total{a=\"1} 1\n"},
		{"bad escape", typed + "x_total{a=\"\\t\"} 1\n"},
		{"no value", typed + "x_total{a=\"1\"}\n"},
		{"two spaces", typed + "x_total  1\n"},
		{"word value", typed + "x_total one\n"},
		{"two TYPE lines", typed + "x_total 1\n# TYPE x_total gauge\n"},
		{"histogram without +Inf", hist + "h_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"},
		{"histogram not cumulative", hist + "h_bucket{le=\"1\"} 2\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n"},
		{"histogram count differs", hist + "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n"},
		{"histogram without sum", hist + "h_bucket{le=\"+Inf\"} 2\nh_count 2\n"},
		{"le outside buckets", hist + "h_count{le=\"1\"} 2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse(strings.NewReader(tt.in)); err == nil {
				t.Fatalf("accepted\n%s", tt.in)
			}
		})
	}
}

// A reader that fails part way through a line (a cancelled scrape, a
// reset connection) is reported as the read error it is, not as the
// malformed line the scanner hands back from what was read.
func TestParseReportsTheReadErrorNotTheTruncatedLine(t *testing.T) {
	cut := errors.New("connection reset")
	for _, partial := range []string{`x_total{a="`, "x_total{a=\"1\"} 1\n"} {
		r := io.MultiReader(strings.NewReader("# TYPE x_total counter\n"+partial), iotest.ErrReader(cut))
		if _, err := Parse(r); !errors.Is(err, cut) {
			t.Errorf("after %q: err = %v, want the read error", partial, err)
		}
	}
}

func TestLatencyBucketsAreCumulativeAndBoundsInclusive(t *testing.T) {
	var h Latency
	h.Observe(-time.Second) // a clock step counts as zero
	h.Observe(time.Millisecond)
	h.Observe(time.Millisecond + 1)
	h.Observe(time.Hour)
	b := h.Snapshot()
	at := func(d time.Duration) uint64 {
		for i, bound := range b.Bounds {
			if bound == d {
				return b.Counts[i]
			}
		}
		t.Fatalf("no bound %v", d)
		return 0
	}
	if at(100*time.Microsecond) != 1 || at(time.Millisecond) != 2 || at(2500*time.Microsecond) != 3 || at(5*time.Second) != 3 || b.Count != 4 {
		t.Errorf("buckets %v count %d", b.Counts, b.Count)
	}
	if b.Sum != time.Hour+2*time.Millisecond+1 {
		t.Errorf("sum %v", b.Sum)
	}
}

func TestRequestsCountCodesAndLatencyPerKey(t *testing.T) {
	var r Requests
	serve := func(key string, h http.HandlerFunc) {
		rec := httptest.NewRecorder()
		w, done := r.Start(rec, key)
		h(w, httptest.NewRequest(http.MethodGet, "/", nil))
		done()
	}
	serve("s3", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) })
	serve("s3", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) })
	serve("s3", func(w http.ResponseWriter, _ *http.Request) {
		io.Copy(w.(io.ReaderFrom).(io.Writer), strings.NewReader("x"))
	})
	serve("ssm", func(http.ResponseWriter, *http.Request) {}) // wrote nothing: 200
	out, err := encode(t, func(e *Encoder) { r.Collect(e, "edgecd_api", "service", "API") })
	if err != nil {
		t.Fatal(err)
	}
	x, err := Parse(strings.NewReader(out))
	if err != nil {
		t.Fatalf("%v in\n%s", err, out)
	}
	tests := []struct {
		name   string
		labels []Label
		want   float64
	}{
		{"edgecd_api_requests_total", []Label{{"service", "s3"}, {"code", "200"}}, 2},
		{"edgecd_api_requests_total", []Label{{"service", "s3"}, {"code", "404"}}, 1},
		{"edgecd_api_requests_total", []Label{{"service", "ssm"}, {"code", "200"}}, 1},
		{"edgecd_api_request_duration_seconds_count", []Label{{"service", "s3"}}, 3},
		{"edgecd_api_request_duration_seconds_count", []Label{{"service", "ssm"}}, 1},
	}
	for _, tt := range tests {
		if got := x.Sum(tt.name, tt.labels...); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
}

func TestHandlerServesTheExpositionOrFailsWhole(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	good := Handler(log, Runtime, func(e *Encoder) { e.Family("edgecd_up", Gauge, "Up."); e.Uint(1) })
	rec := httptest.NewRecorder()
	good.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != 200 || rec.Header().Get("Content-Type") != ContentType {
		t.Fatalf("got %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	x, err := Parse(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if x.Sum("go_goroutines") < 1 || x.Sum("go_memstats_heap_alloc_bytes") <= 0 || x.Sum("edgecd_up") != 1 {
		t.Errorf("families: %+v", x.Families)
	}

	bad := Handler(log, func(e *Encoder) { e.Family("edgecd_up", Gauge, ""); e.Family("edgecd_up", Gauge, "") })
	rec = httptest.NewRecorder()
	bad.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "edgecd_up") {
		t.Errorf("a failed exposition answered %d %q", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	good.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/metrics", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST answered %d", rec.Code)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestEncoderReportsWriteErrors(t *testing.T) {
	e := NewEncoder(failWriter{})
	e.Family("edgecd_up", Gauge, "")
	e.Uint(1)
	if err := e.Flush(); err == nil {
		t.Fatal("a failing writer went unnoticed")
	}
}
