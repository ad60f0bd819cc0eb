package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/release"
)

// The States error names of a release.analyze action that does not pass;
// the pipeline's cleanup rule aborts the staged release on either.
const (
	errCanaryFailed       = "Pipeline.CanaryFailed"
	errCanaryInconclusive = "Pipeline.CanaryInconclusive"
)

// releaseAnalyze is the canary gate: release.Analyze on the node's own
// /metrics for the primary over with.window, failing the action unless the
// verdict is pass.
func (s *Service) releaseAnalyze(ctx context.Context, a *actionCall) (map[string]string, error) {
	opts, err := analyzeOptions(a)
	if err != nil {
		return nil, err
	}
	c, primary, err := s.actionRelease(ctx, a)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(a.log, "[edgecd] comparing the staging side of %s with its primary side for %s\n", primary, opts.Window)
	res, err := c.Analyze(ctx, primary, opts)
	if err != nil {
		if errors.Is(err, release.ErrNoMetrics) {
			return nil, &flow.TaskError{Name: "Pipeline.MissingSetting", Cause: err.Error()}
		}
		return nil, err
	}
	for _, ch := range res.Checks {
		fmt.Fprintf(a.log, "[edgecd] %-9s %-12s %s\n", ch.Name, ch.Status, ch.Reason)
	}
	fmt.Fprintf(a.log, "[edgecd] verdict: %s\n", res.Verdict)
	switch res.Verdict {
	case release.Pass:
	case release.Fail:
		return nil, &flow.TaskError{Name: errCanaryFailed, Cause: res.Err().Error()}
	default:
		return nil, &flow.TaskError{Name: errCanaryInconclusive,
			Cause: res.Err().Error() + "; send staging more traffic or give the action a longer with.window"}
	}
	ratio := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	secs := func(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }
	return map[string]string{
		"Verdict":         string(res.Verdict),
		"StagingRequests": strconv.FormatInt(res.Staging.Requests, 10), "PrimaryRequests": strconv.FormatInt(res.Primary.Requests, 10),
		"Staging5xxRate": ratio(res.Staging.Rate5xx), "Primary5xxRate": ratio(res.Primary.Rate5xx),
		"StagingLatencyP95": secs(res.Staging.Latency), "PrimaryLatencyP95": secs(res.Primary.Latency),
	}, nil
}

// analyzeOptions reads the action's settings; Parse checked those without
// variables, this checks them once expanded.
func analyzeOptions(a *actionCall) (release.AnalyzeOptions, error) {
	bad := func(key, v, want string) error {
		return &flow.TaskError{Name: "Pipeline.MissingSetting", Cause: fmt.Sprintf("with.%s %q of action %s: %s", key, v, a.in.Action, want)}
	}
	var o release.AnalyzeOptions
	w := a.get("window", "60s")
	d, err := time.ParseDuration(w)
	if err != nil || d < time.Second {
		return o, bad("window", w, "give a duration of at least 1s, e.g. 60s")
	}
	o.Window = d
	n := a.get("min_requests", "50")
	if o.MinRequests, err = strconv.Atoi(n); err != nil || o.MinRequests < 1 {
		return o, bad("min_requests", n, "give a whole number of at least 1, e.g. 50")
	}
	for key, dst := range map[string]*float64{"max_5xx_rate": &o.Max5xxRate, "max_4xx_rate": &o.Max4xxRate} {
		v := a.get(key, "")
		if v == "" {
			continue
		}
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || !(r > 0 && r <= 1) {
			return o, bad(key, v, "give a fraction greater than 0 and at most 1, e.g. 0.01 for 1%")
		}
		*dst = r
	}
	return o, nil
}
