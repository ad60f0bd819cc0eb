package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/edgecd/edgecd/events"
	"github.com/edgecd/edgecd/metrics"
)

const canaryDefinition = `name: canary
sources:
  - {name: app, repo: REPO, branch: main, trigger: manual}
stages:
  - name: Source
    actions:
      - {name: Checkout, kind: source.git}
  - name: Canary
    actions:
      - name: Analyze
        kind: release.analyze
        namespace: Canary
        with: {primary: E1, window: 1s}
  - name: Notify
    actions:
      - name: Notify
        kind: http
        with: {url: HOOK, body: '#{Canary.Verdict} #{Canary.StagingRequests}'}
`

// canaryMetrics is an edgecd /metrics for distribution E1 whose counters
// grow by one window's traffic at every scrape: 100 primary answers, and 60
// staging answers that are 200s while healthy, 502s once broken.
type canaryMetrics struct {
	scrapes atomic.Int64
	broken  atomic.Bool
	signed  atomic.Int64 // scrapes signed for the service edgecd
}

func (m *canaryMetrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/metrics" {
		http.NotFound(w, r)
		return
	}
	if strings.Contains(r.Header.Get("Authorization"), "/edgecd/aws4_request") {
		m.signed.Add(1)
	}
	n := uint64(m.scrapes.Add(1))
	var buf bytes.Buffer
	e := metrics.NewEncoder(&buf)
	d := metrics.Label{Name: "distribution", Value: "E1"}
	primary, staging := metrics.Label{Name: "side", Value: "primary"}, metrics.Label{Name: "side", Value: "staging"}
	class := func(c string) metrics.Label { return metrics.Label{Name: "code_class", Value: c} }
	ok, bad := 60*n, uint64(0)
	if m.broken.Load() {
		ok, bad = 0, 60*n
	}
	e.Family("edgecd_edge_requests_total", metrics.Counter, "Viewer requests answered.")
	e.Uint(100*n, d, primary, class("2xx"))
	e.Uint(0, d, primary, class("5xx"))
	e.Uint(ok, d, staging, class("2xx"))
	e.Uint(bad, d, staging, class("5xx"))
	e.Family("edgecd_edge_request_duration_seconds", metrics.Histogram, "Viewer request latency.")
	for side, count := range map[metrics.Label]uint64{primary: 100 * n, staging: 60 * n} {
		var h metrics.Latency
		for range count {
			h.Observe(time.Millisecond)
		}
		e.Histogram(h.Snapshot(), d, side)
	}
	if err := e.Flush(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", metrics.ContentType)
	w.Write(buf.Bytes())
}

// TestReleaseAnalyzeGatesTheRunOnTheCanary runs a pipeline whose canary
// gate reads an edgecd /metrics: a healthy staging side lets the run go
// on with the analysis in its variables; one answering 502s fails the
// action with Pipeline.CanaryFailed (the error the cleanup rule turns into
// an abort), and the stages after it do not run.
func TestReleaseAnalyzeGatesTheRunOnTheCanary(t *testing.T) {
	m := &canaryMetrics{}
	srv := httptest.NewServer(m)
	defer srv.Close()
	h := newHarness(t, canaryDefinition)
	h.svc.opt.AWS = func(context.Context) (aws.Config, error) {
		return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
			Credentials: credentials.NewStaticCredentialsProvider("AKIDPIPELINE", "secret", "")}, nil
	}

	run := h.start(StartRequest{Pipeline: "canary"})
	r := h.waitRun(run.ID, "done", func(r Run) bool { return r.Done() })
	_, a := r.action("Canary", "Analyze")
	if r.Status != StatusSucceeded || a.Outputs["Verdict"] != "pass" || a.Outputs["StagingRequests"] != "60" || a.Outputs["Staging5xxRate"] != "0" {
		t.Fatalf("healthy canary: run %s, action %+v", r.Status, a)
	}
	h.waitPosts("pass 60", 1)
	if got := m.signed.Load(); got != 2 {
		t.Fatalf("%d scrapes signed for edgecd, want 2 (one at each end of the window)", got)
	}

	m.broken.Store(true)
	run = h.start(StartRequest{Pipeline: "canary"})
	r = h.waitRun(run.ID, "done", func(r Run) bool { return r.Done() })
	_, a = r.action("Canary", "Analyze")
	if r.Status != StatusFailed || a.Status != StatusFailed || a.Error != errCanaryFailed || !strings.Contains(a.Summary, "5xx-rate fail") {
		t.Fatalf("broken canary: run %s, action %+v", r.Status, a)
	}
	if _, notify := r.action("Notify", "Notify"); notify != nil && notify.Status != StatusCancelled && notify.Status != "" {
		t.Fatalf("the stage after a failed canary ran: %+v", notify)
	}
	if n := h.postsContaining("pass"); n != 1 {
		t.Fatalf("%d notifications, want only the healthy run's", n)
	}
}

// TestCleanupRuleAbortsWhenTheCanaryGateFails: a release.analyze after
// release.stage is covered by the pipeline's cleanup rule, so a failed
// canary takes the staged release down without an approval.
func TestCleanupRuleAbortsWhenTheCanaryGateFails(t *testing.T) {
	def := `name: gated
sources:
  - {name: app, repo: REPO, branch: main, trigger: manual}
stages:
  - name: Source
    actions:
      - {name: Checkout, kind: source.git, namespace: Source}
  - name: Configure
    actions:
      - name: Stage
        kind: release.stage
        with: {primary: E1, origin_path: "/#{Source.CommitShort}", header: aws-cf-cd-env=staging}
  - name: Canary
    actions:
      - {name: Analyze, kind: release.analyze, with: {primary: E1}}
  - name: Promote
    actions:
      - {name: Promote, kind: release.promote, with: {primary: E1}}
`
	h := newHarness(t, def)
	rule, err := h.bus.Rule(context.Background(), "", "edgecd-pipeline-gated-cleanup")
	if err != nil {
		t.Fatal(err)
	}
	detail, _ := json.Marshal(map[string]any{"pipeline": "gated", "stage": "Canary", "action": "Analyze", "state": "FAILED", "execution-id": "x"})
	ev, _ := json.Marshal(events.Event{Version: "0", ID: "1", DetailType: typeAction, Source: eventSource, Account: "000000000000",
		Time: "2026-01-01T00:00:00Z", Region: "us-east-1", Resources: []string{h.svc.ARN("gated")}, Detail: detail})
	if ok, err := events.TestPattern([]byte(rule.EventPattern), ev); err != nil || !ok {
		t.Fatalf("the cleanup rule does not match a failed canary gate (%v); pattern %s", err, rule.EventPattern)
	}
}

// TestReleaseAnalyzeChecksExpandedSettings: values that came from
// variables are checked once expanded, as Parse checks literal ones.
func TestReleaseAnalyzeChecksExpandedSettings(t *testing.T) {
	tests := []struct {
		name string
		with map[string]string
		want string // fragment of the error; "" = none
	}{
		{"defaults", map[string]string{}, ""},
		{"all set", map[string]string{"window": "2m", "min_requests": "10", "max_5xx_rate": "0.05", "max_4xx_rate": "0.2"}, ""},
		{"a window under a second", map[string]string{"window": "500ms"}, `with.window "500ms"`},
		{"not a duration", map[string]string{"window": "soon"}, `with.window "soon"`},
		{"no requests", map[string]string{"min_requests": "0"}, `with.min_requests "0"`},
		{"a percentage", map[string]string{"max_5xx_rate": "5"}, `with.max_5xx_rate "5"`},
		{"a 4xx rate that is not a number", map[string]string{"max_4xx_rate": "x"}, `with.max_4xx_rate "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := analyzeOptions(&actionCall{with: tt.with})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if o.Window < time.Second || o.MinRequests < 1 {
					t.Fatalf("options %+v", o)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %s", err, tt.want)
			}
		})
	}
}
