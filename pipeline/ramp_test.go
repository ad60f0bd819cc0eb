package pipeline

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/metrics"
	"github.com/edgecd/edgecd/release"
	"github.com/edgecd/edgecd/release/releasetest"
)

// rampAPI is an edgecd API in one test server: CloudFront (native mode,
// any weight) and SSM over a SQLite store, with a /metrics whose counters
// grow by one window's traffic per scrape for the primary in dist: 100
// primary answers, 60 staging answers, 200s while healthy, 502s once broken.
type rampAPI struct {
	cfg     aws.Config
	dist    atomic.Value // the primary's id
	broken  atomic.Bool
	scrapes atomic.Int64
}

func newRampAPI(t *testing.T) *rampAPI {
	t.Helper()
	api := &rampAPI{}
	api.dist.Store("")
	api.cfg = releasetest.Start(t, cdn.Native, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { api.serveMetrics(w) }))
	return api
}

func (api *rampAPI) serveMetrics(w http.ResponseWriter) {
	n := uint64(api.scrapes.Add(1))
	var sb strings.Builder
	e := metrics.NewEncoder(&sb)
	d := metrics.Label{Name: "distribution", Value: api.dist.Load().(string)}
	primary, staging := metrics.Label{Name: "side", Value: "primary"}, metrics.Label{Name: "side", Value: "staging"}
	class := func(c string) metrics.Label { return metrics.Label{Name: "code_class", Value: c} }
	ok, bad := 60*n, uint64(0)
	if api.broken.Load() {
		ok, bad = 0, 60*n
	}
	e.Family("edgecd_edge_requests_total", metrics.Counter, "Viewer requests answered.")
	e.Uint(100*n, d, primary, class("2xx"))
	e.Uint(ok, d, staging, class("2xx"))
	e.Uint(bad, d, staging, class("5xx"))
	if err := e.Flush(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", metrics.ContentType)
	fmt.Fprint(w, sb.String())
}

// stageWeighted creates a primary serving /1.0.0 (the first time) and
// stages /2.0.0 on it at weight 0.05, as `edgecd release stage` does.
func (api *rampAPI) stageWeighted(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	cf := cloudfront.NewFromConfig(api.cfg)
	primary := api.dist.Load().(string)
	if primary == "" {
		primary = releasetest.CreatePrimary(t, cf)
		api.dist.Store(primary)
	}
	c := release.NewClient(api.cfg)
	c.S3, c.Poll = nil, 10*time.Millisecond
	w := 0.05
	if _, err := c.Stage(ctx, release.StageInput{PrimaryID: primary, OriginPath: "/2.0.0", Weight: &w}); err != nil {
		t.Fatal(err)
	}
	return primary
}

// originPath is what the default origin of distribution id serves and
// whether a policy is attached.
func (api *rampAPI) originPath(t *testing.T, id string) (string, bool) {
	t.Helper()
	out, err := cloudfront.NewFromConfig(api.cfg).GetDistributionConfig(context.Background(), &cloudfront.GetDistributionConfigInput{Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := out.DistributionConfig
	return aws.ToString(cfg.Origins.Items[0].OriginPath), aws.ToString(cfg.ContinuousDeploymentPolicyId) != ""
}

const rampDefinition = `name: rollout
sources:
  - {name: app, repo: REPO, branch: main, trigger: manual}
stages:
  - name: Source
    actions:
      - {name: Checkout, kind: source.git}
  - name: Rollout
    actions:
      - name: Ramp
        kind: release.ramp
        namespace: Rollout
        with: {primary: PRIMARY, steps: "0.5,1", hold: 1s, analyze: "true", min_requests: "20"}
  - name: Notify
    actions:
      - name: Notify
        kind: http
        with: {url: HOOK, body: '#{Rollout.Outcome} #{Rollout.Version}'}
`

// TestReleaseRampRollsOutOrAbortsOnTheCanary runs a pipeline whose
// release.ramp walks a weighted release to 100 % with a canary gate at
// each step: a healthy staging side is promoted (the primary serves
// 2.0.0, the next stage gets the outcome); one answering 502s fails the
// action with Pipeline.CanaryFailed at its first step, after the ramp
// aborted the release (no policy left, the primary on 1.0.0).
func TestReleaseRampRollsOutOrAbortsOnTheCanary(t *testing.T) {
	api := newRampAPI(t)
	primary := api.stageWeighted(t)
	h := newHarness(t, strings.Replace(rampDefinition, "PRIMARY", primary, 1))
	h.svc.opt.AWS = func(context.Context) (aws.Config, error) { return api.cfg, nil }

	run := h.start(StartRequest{Pipeline: "rollout"})
	r := h.waitRun(run.ID, "done", func(r Run) bool { return r.Done() })
	_, a := r.action("Rollout", "Ramp")
	if r.Status != StatusSucceeded || a.Outputs["Outcome"] != "promoted" || a.Outputs["Steps"] != "2" || a.Outputs["OriginPath"] != "/2.0.0" {
		t.Fatalf("healthy rollout: run %s, action %+v", r.Status, a)
	}
	h.waitPosts("promoted 2.0.0", 1)
	if path, attached := api.originPath(t, primary); path != "/2.0.0" {
		t.Fatalf("after the ramp's promote the primary serves %s (policy attached %v), want /2.0.0", path, attached)
	}

	// The next release, broken: its first gate fails.
	api.stageWeighted(t)
	api.broken.Store(true)
	run = h.start(StartRequest{Pipeline: "rollout"})
	r = h.waitRun(run.ID, "done", func(r Run) bool { return r.Done() })
	_, a = r.action("Rollout", "Ramp")
	if r.Status != StatusFailed || a.Status != StatusFailed || a.Error != errCanaryFailed || !strings.Contains(a.Summary, "5xx-rate fail") ||
		!strings.Contains(a.Summary, "ramp aborted at step 1 of 2 (50%)") {
		t.Fatalf("broken rollout: run %s, action %+v", r.Status, a)
	}
	if path, attached := api.originPath(t, primary); path != "/2.0.0" || attached {
		t.Fatalf("after the aborted ramp the primary serves %s with a policy attached %v, want /2.0.0 and none", path, attached)
	}
	if n := h.postsContaining("promoted"); n != 1 {
		t.Fatalf("%d notifications, want only the healthy run's", n)
	}
}

func TestReleaseRampChecksExpandedSettings(t *testing.T) {
	tests := []struct {
		name string
		with map[string]string
		want string // fragment of the error; "" = none
	}{
		{"defaults", map[string]string{}, ""},
		{"a gate", map[string]string{"steps": "10%,100%", "hold": "2m", "analyze": "yes", "min_requests": "10", "max_5xx_rate": "0.05"}, ""},
		{"weights going down", map[string]string{"steps": "0.5,0.1"}, `with.steps "0.5,0.1"`},
		{"a hold under a second", map[string]string{"hold": "10ms"}, `with.hold "10ms"`},
		{"promote that is not a boolean", map[string]string{"promote": "later"}, `with.promote "later"`},
		{"a gate's bad rate", map[string]string{"analyze": "true", "max_5xx_rate": "5"}, `with.max_5xx_rate "5"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := rampOptions(&actionCall{with: tt.with})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(o.Steps) == 0 || o.Hold <= 0 || !o.Promote {
					t.Fatalf("options %+v", o)
				}
				if o.Analyze != nil && o.Analyze.Window != o.Hold {
					t.Fatalf("the gate's window %s is not the hold %s", o.Analyze.Window, o.Hold)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %s", err, tt.want)
			}
		})
	}
}
