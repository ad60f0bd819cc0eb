package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/release"
)

// releaseRamp is a progressive rollout: release.Ramp on the primary's
// weighted policy, each step held (with.analyze: judged by a canary
// analysis over the hold) and, by default, a promote at the end. A gate
// that does not pass has already aborted the release when the action
// fails with Pipeline.CanaryFailed or Pipeline.CanaryInconclusive (the
// cleanup rule's abort after it finds nothing left to do).
func (s *Service) releaseRamp(ctx context.Context, a *actionCall) (map[string]string, error) {
	opts, err := rampOptions(a)
	if err != nil {
		return nil, err
	}
	c, primary, err := s.actionRelease(ctx, a)
	if err != nil {
		return nil, err
	}
	opts.OnStep = func(st release.RampStep) {
		switch {
		case st.Skipped:
			fmt.Fprintf(a.log, "[edgecd] weight %g: skipped, the policy already routes more\n", st.Weight)
		case st.Analysis != nil:
			for _, ch := range st.Analysis.Checks {
				fmt.Fprintf(a.log, "[edgecd] weight %g: %-9s %-12s %s\n", st.Weight, ch.Name, ch.Status, ch.Reason)
			}
			fmt.Fprintf(a.log, "[edgecd] weight %g: verdict %s\n", st.Weight, st.Verdict)
		default:
			fmt.Fprintf(a.log, "[edgecd] weight %g: held %s\n", st.Weight, opts.Hold)
		}
	}
	res, err := c.Ramp(ctx, primary, opts)
	switch {
	case errors.Is(err, release.ErrNoMetrics):
		return nil, &flow.TaskError{Name: "Pipeline.MissingSetting", Cause: err.Error()}
	case errors.Is(err, release.ErrWeightLimit):
		return nil, &flow.TaskError{Name: "Pipeline.MissingSetting", Cause: err.Error()}
	case errors.Is(err, release.ErrRampAborted):
		name := errCanaryInconclusive
		for _, ch := range res.FailedChecks {
			if ch.Status == release.Fail {
				name = errCanaryFailed
			}
		}
		return nil, &flow.TaskError{Name: name, Cause: err.Error()}
	case err != nil:
		return nil, err // stopped: the weight stays; a re-run goes on from it
	}
	out := map[string]string{
		"Outcome": string(res.Outcome), "PrimaryDistributionId": primary,
		"Weight": strconv.FormatFloat(res.Weight, 'f', -1, 64), "Steps": strconv.Itoa(len(res.Steps)),
	}
	if p := res.Promote; p != nil {
		out["OriginPath"], out["Version"], out["PreviousOriginPath"] = p.OriginPath, strings.TrimPrefix(p.OriginPath, "/"), p.PreviousOriginPath
	}
	return out, nil
}

// rampOptions reads the action's settings; Parse checked those without
// variables, this checks them once expanded.
func rampOptions(a *actionCall) (release.RampOptions, error) {
	bad := func(key, v, want string) error {
		return &flow.TaskError{Name: "Pipeline.MissingSetting", Cause: fmt.Sprintf("with.%s %q of action %s: %s", key, v, a.in.Action, want)}
	}
	var o release.RampOptions
	var err error
	v := a.get("steps", "0.05,0.25,0.5,1")
	if o.Steps, err = release.ParseSteps(v); err != nil {
		return o, bad("steps", v, err.Error())
	}
	v = a.get("hold", "5m")
	if o.Hold, err = time.ParseDuration(v); err != nil || o.Hold < time.Second {
		return o, bad("hold", v, "give a duration of at least 1s, e.g. 5m")
	}
	boolean := func(key, def string) (bool, error) {
		switch v := strings.ToLower(a.get(key, def)); v {
		case "true", "yes", "on":
			return true, nil
		case "false", "no", "off":
			return false, nil
		default:
			return false, bad(key, v, "give true or false")
		}
	}
	if o.Promote, err = boolean("promote", "true"); err != nil {
		return o, err
	}
	o.Invalidate = release.SplitPaths(a.get("invalidate", ""))
	analyze, err := boolean("analyze", "false")
	if err != nil || !analyze {
		return o, err
	}
	// The gate's settings are release.analyze's, with the hold as window.
	ac := &actionCall{in: a.in, with: map[string]string{"window": o.Hold.String()}}
	for _, k := range []string{"min_requests", "max_5xx_rate", "max_4xx_rate"} {
		ac.with[k] = a.with[k]
	}
	ao, err := analyzeOptions(ac)
	if err != nil {
		return o, err
	}
	o.Analyze = &ao
	return o, nil
}
