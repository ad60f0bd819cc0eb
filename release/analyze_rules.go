package release

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/edgecd/edgecd/metrics"
)

// Verdict is the outcome of a canary analysis.
type Verdict string

// The verdicts. Only Pass lets a release go on: Inconclusive means the
// window held too little traffic to tell, which is no evidence that the
// staged version is good.
const (
	Pass         Verdict = "pass"
	Fail         Verdict = "fail"
	Inconclusive Verdict = "inconclusive"
)

// The names of an analysis's checks.
const (
	CheckRequests = "requests"
	Check5xx      = "5xx-rate"
	Check4xx      = "4xx-rate"
	CheckLatency  = "latency"
)

// Status of one check: the verdicts, plus Info for a check that is
// reported but does not gate (4xx unless AnalyzeOptions.Max4xxRate is set).
const Info Verdict = "info"

// The metric families an analysis reads (see docs/decisions/0151-metrics.md).
const (
	metricRequests = "edgecd_edge_requests_total"
	metricDuration = "edgecd_edge_request_duration_seconds"
)

// AnalyzeOptions tune a canary analysis. A zero field takes its default.
type AnalyzeOptions struct {
	// Window is how long traffic is sampled: /metrics is read at its
	// start and its end. Default 60 s.
	Window time.Duration
	// MinRequests is how many requests staging must get in the window
	// for the rates to mean anything; fewer makes the verdict
	// Inconclusive. Default 50.
	MinRequests int
	// Max5xxRate is the share of staging's answers that may be 5xx even
	// when the primary has none. Default 0.01.
	Max5xxRate float64
	// Max4xxRate, when set, gates on staging's 4xx share the way
	// Max5xxRate gates on 5xx. Unset, 4xx rates are only reported:
	// viewers cause most 4xx (stale links, scanners), not a release.
	Max4xxRate float64
	// Tolerance: staging's error rates may reach the primary's times
	// this before they fail (when above the Max rates). Default 2.
	Tolerance float64
	// Quantile of the latency compared. Default 0.95.
	Quantile float64
	// LatencyTolerance: staging's latency quantile fails when it is above
	// the primary's times this and above LatencyFloor. Default 1.5.
	LatencyTolerance float64
	// LatencyFloor is the latency under which staging never fails, so
	// that sub-millisecond noise (a few cache misses among hits) cannot
	// fail a release. Default 50 ms.
	LatencyFloor time.Duration
	// Sleep waits d unless ctx ends first (for tests); default a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (o AnalyzeOptions) withDefaults() AnalyzeOptions {
	def := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.Window <= 0 {
		o.Window = time.Minute
	}
	if o.MinRequests <= 0 {
		o.MinRequests = 50
	}
	def(&o.Max5xxRate, 0.01)
	def(&o.Tolerance, 2)
	def(&o.LatencyTolerance, 1.5)
	if o.Quantile <= 0 || o.Quantile >= 1 {
		o.Quantile = 0.95
	}
	if o.LatencyFloor <= 0 {
		o.LatencyFloor = 50 * time.Millisecond
	}
	return o
}

// SideStats is what one side of the primary served in the window.
type SideStats struct {
	Requests int64   `json:"requests"`
	Rate5xx  float64 `json:"rate_5xx"`
	Rate4xx  float64 `json:"rate_4xx"`
	// Latency is the latency quantile (AnalyzeOptions.Quantile) in
	// seconds, estimated from the histogram's buckets; 0 without requests.
	Latency float64 `json:"latency_seconds"`
}

// Check is one rule of the analysis with what it saw.
type Check struct {
	Name    string  `json:"name"`
	Status  Verdict `json:"status"`
	Staging float64 `json:"staging"`
	Primary float64 `json:"primary"`
	Limit   float64 `json:"limit"`
	Reason  string  `json:"reason"`
}

// Analysis is the result of comparing the staging side of a primary
// distribution with its primary side over one window.
type Analysis struct {
	Distribution string        `json:"distribution"`
	Window       time.Duration `json:"-"`
	WindowSecs   float64       `json:"window_seconds"`
	Quantile     float64       `json:"quantile"`
	Verdict      Verdict       `json:"verdict"`
	Primary      SideStats     `json:"primary"`
	Staging      SideStats     `json:"staging"`
	Checks       []Check       `json:"checks"`
}

// Failed returns the checks that did not pass (failed or inconclusive).
func (a *Analysis) Failed() []Check {
	var out []Check
	for _, c := range a.Checks {
		if c.Status == Fail || c.Status == Inconclusive {
			out = append(out, c)
		}
	}
	return out
}

// Err is nil when the verdict is Pass, else a *VerdictError.
func (a *Analysis) Err() error {
	if a.Verdict == Pass {
		return nil
	}
	return &VerdictError{Analysis: a}
}

// VerdictError is a canary analysis that did not pass.
type VerdictError struct{ Analysis *Analysis }

func (e *VerdictError) Error() string {
	a := e.Analysis
	var parts []string
	for _, c := range a.Failed() {
		parts = append(parts, fmt.Sprintf("%s %s: %s", c.Name, c.Status, c.Reason))
	}
	return fmt.Sprintf("canary analysis of %s: %s (%s)", a.Distribution, a.Verdict, strings.Join(parts, "; "))
}

// Evaluate compares the staging and primary sides of distribution between
// two scrapes of /metrics, before and after a window. It is pure: the
// scrapes and the window come from the caller. A counter that went down
// (the node restarted in between) counts from zero.
func Evaluate(before, after *metrics.Exposition, distribution string, window time.Duration, opts AnalyzeOptions) *Analysis {
	o := opts.withDefaults()
	a := &Analysis{Distribution: distribution, Window: window, WindowSecs: window.Seconds(), Quantile: o.Quantile}
	a.Primary = sideStats(before, after, distribution, "primary", o.Quantile)
	a.Staging = sideStats(before, after, distribution, "staging", o.Quantile)
	p, s := a.Primary, a.Staging

	req := Check{Name: CheckRequests, Status: Pass, Staging: float64(s.Requests), Primary: float64(p.Requests), Limit: float64(o.MinRequests)}
	req.Reason = fmt.Sprintf("staging served %d requests in %s (at least %d needed)", s.Requests, window, o.MinRequests)
	if s.Requests < int64(o.MinRequests) {
		req.Status = Inconclusive
		req.Reason = fmt.Sprintf("staging served only %d requests in %s, fewer than the %d needed to judge it: send it more traffic or analyze a longer window", s.Requests, window, o.MinRequests)
	}
	a.Checks = append(a.Checks, req)
	a.Checks = append(a.Checks, rateCheck(Check5xx, s.Rate5xx, p.Rate5xx, o.Max5xxRate, o.Tolerance))
	c4 := rateCheck(Check4xx, s.Rate4xx, p.Rate4xx, o.Max4xxRate, o.Tolerance)
	if o.Max4xxRate <= 0 {
		c4 = Check{Name: Check4xx, Status: Info, Staging: s.Rate4xx, Primary: p.Rate4xx,
			Reason: fmt.Sprintf("staging %s, primary %s (reported only; set a max 4xx rate to gate on it)", pct(s.Rate4xx), pct(p.Rate4xx))}
	}
	a.Checks = append(a.Checks, c4)
	a.Checks = append(a.Checks, latencyCheck(s, p, o))

	a.Verdict = Pass
	for _, c := range a.Checks {
		switch {
		case c.Status == Fail:
			a.Verdict = Fail
		case c.Status == Inconclusive && a.Verdict == Pass:
			a.Verdict = Inconclusive
		}
	}
	if req.Status == Inconclusive {
		a.Verdict = Inconclusive // rates over too few requests prove nothing either way
	}
	return a
}

// rateCheck fails when staging's rate is above both max and the primary's
// rate times tolerance: a primary that already fails that often sets the
// bar, but never below max.
func rateCheck(name string, staging, primary, maxRate, tolerance float64) Check {
	limit := math.Max(maxRate, primary*tolerance)
	c := Check{Name: name, Status: Pass, Staging: staging, Primary: primary, Limit: limit}
	if staging > limit {
		c.Status = Fail
		c.Reason = fmt.Sprintf("staging answered %s %s, above the limit %s (primary %s)", pct(staging), name[:3], pct(limit), pct(primary))
	} else {
		c.Reason = fmt.Sprintf("staging %s, within %s (primary %s)", pct(staging), pct(limit), pct(primary))
	}
	return c
}

func latencyCheck(s, p SideStats, o AnalyzeOptions) Check {
	q := fmt.Sprintf("p%g", o.Quantile*100)
	floor := o.LatencyFloor.Seconds()
	c := Check{Name: CheckLatency, Status: Pass, Staging: s.Latency, Primary: p.Latency}
	if p.Requests == 0 {
		c.Status = Inconclusive
		c.Reason = fmt.Sprintf("the primary served no requests in the window, so staging's %s %s has nothing to compare with", q, secs(s.Latency))
		return c
	}
	c.Limit = math.Max(p.Latency*o.LatencyTolerance, floor)
	if s.Latency > c.Limit {
		c.Status = Fail
		c.Reason = fmt.Sprintf("staging's %s is %s, above the primary's %s × %g and the %s floor", q, secs(s.Latency), secs(p.Latency), o.LatencyTolerance, secs(floor))
	} else {
		c.Reason = fmt.Sprintf("staging's %s %s, within %s (primary %s)", q, secs(s.Latency), secs(c.Limit), secs(p.Latency))
	}
	return c
}

func pct(r float64) string { return strconv.FormatFloat(r*100, 'f', 2, 64) + "%" }

func secs(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(10 * time.Microsecond).String()
}

// sideStats reads one side's deltas between the scrapes.
func sideStats(before, after *metrics.Exposition, dist, side string, q float64) SideStats {
	d, sd := metrics.Label{Name: "distribution", Value: dist}, metrics.Label{Name: "side", Value: side}
	count := func(labels ...metrics.Label) float64 {
		labels = append([]metrics.Label{d, sd}, labels...)
		return counterDelta(before.Sum(metricRequests, labels...), after.Sum(metricRequests, labels...))
	}
	total := count()
	st := SideStats{Requests: int64(total)}
	if total > 0 {
		// A class reset on its own could exceed the total: a share is
		// at most 1.
		st.Rate5xx = min(count(metrics.Label{Name: "code_class", Value: "5xx"})/total, 1)
		st.Rate4xx = min(count(metrics.Label{Name: "code_class", Value: "4xx"})/total, 1)
	}
	h := histogramDelta(buckets(before, dist, side), buckets(after, dist, side))
	if v := quantile(q, h); !math.IsNaN(v) && !math.IsInf(v, 0) && v > 0 {
		st.Latency = v
	}
	return st
}

// maxCount is the largest count taken at face value: beyond 2^53 a
// float64 no longer holds whole numbers, and no edge serves that many.
const maxCount = 1 << 53

// counterDelta is after-before, or after when the counter was reset. A
// value no counter can hold (infinite, beyond maxCount) counts as nothing,
// so a garbled scrape leaves the analysis inconclusive rather than
// passing or failing on it.
func counterDelta(before, after float64) float64 {
	d := after - before
	if after < before {
		d = after
	}
	if math.IsNaN(d) || d < 0 || d > maxCount {
		return 0
	}
	return d
}

// bucket is one cumulative histogram bucket: count observations <= le.
type bucket struct{ le, count float64 }

// buckets reads the latency histogram of one side, summed by le (as
// `sum by (le)` would), sorted by le.
func buckets(x *metrics.Exposition, dist, side string) []bucket {
	f := x.Family(metricDuration)
	if f == nil {
		return nil
	}
	byLE := map[float64]float64{}
	for _, s := range f.Samples {
		if s.Name != metricDuration+"_bucket" || s.Labels["distribution"] != dist || s.Labels["side"] != side {
			continue
		}
		le, err := strconv.ParseFloat(s.Labels["le"], 64)
		if err != nil {
			continue // Parse refuses such an exposition; be safe anyway
		}
		byLE[le] += s.Value
	}
	out := make([]bucket, 0, len(byLE))
	for le, n := range byLE {
		out = append(out, bucket{le, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].le < out[j].le })
	return out
}

// histogramDelta subtracts before from after bucket by bucket (matched by
// le). When after has fewer observations in all than before, the node
// restarted and after alone is the window's histogram.
func histogramDelta(before, after []bucket) []bucket {
	total := func(b []bucket) float64 {
		if len(b) == 0 {
			return 0
		}
		return b[len(b)-1].count
	}
	if total(after) < total(before) {
		return after
	}
	prev := map[float64]float64{}
	for _, b := range before {
		prev[b.le] = b.count
	}
	out := make([]bucket, len(after))
	for i, b := range after {
		out[i] = bucket{b.le, math.Max(b.count-prev[b.le], 0)}
	}
	return out
}

// quantile estimates the q-quantile of a cumulative histogram the way
// Prometheus's histogram_quantile does: find the bucket holding the rank
// q×count and interpolate linearly inside it (from 0 for the first
// bucket). A rank in the +Inf bucket gives the highest finite bound. NaN
// when the histogram is empty or lacks its +Inf bucket.
func quantile(q float64, b []bucket) float64 {
	if len(b) < 2 || !math.IsInf(b[len(b)-1].le, 1) {
		return math.NaN()
	}
	// Counts read at slightly different moments may dip; make them
	// monotonic as Prometheus does.
	for i := 1; i < len(b); i++ {
		if b[i].count < b[i-1].count {
			b[i].count = b[i-1].count
		}
	}
	n := b[len(b)-1].count
	if n == 0 {
		return math.NaN()
	}
	rank := q * n
	i := sort.Search(len(b)-1, func(i int) bool { return b[i].count >= rank })
	switch {
	case i == len(b)-1:
		return b[len(b)-2].le
	case i == 0 && b[0].le <= 0:
		return b[0].le
	}
	start, end, count := 0.0, b[i].le, b[i].count
	if i > 0 {
		start = b[i-1].le
		count -= b[i-1].count
		rank -= b[i-1].count
	}
	return start + (end-start)*(rank/count)
}
