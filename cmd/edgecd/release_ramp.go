package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/edgecd/edgecd/release"
)

// rampFlags are the flags of `release ramp`; the analysis flags are
// analyze's (registerAnalyzeFlags), with --hold as the window.
type rampFlags struct {
	steps     string
	hold      time.Duration
	analyze   bool
	noPromote bool
}

func registerRampFlags(fs *flag.FlagSet, r *rampFlags) {
	fs.StringVar(&r.steps, "steps", "0.05,0.25,0.5,1", "ramp: weights to walk up, comma-separated fractions or percentages (each in (0,1], increasing)")
	fs.DurationVar(&r.hold, "hold", release.DefaultRampHold, "ramp: how long each step runs before the next (with --analyze, the analysis window)")
	fs.BoolVar(&r.analyze, "analyze", false, "ramp: judge each step with a canary analysis (analyze's flags tune it) and abort the release on the first that does not pass")
	fs.BoolVar(&r.noPromote, "no-promote", false, "ramp: stop at the last weight instead of promoting")
}

// setFlags names the flags given on the command line.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// rampTimeout is --timeout for a ramp: unless given, long enough for
// every hold plus the waits around them.
func rampTimeout(f *releaseFlags, set map[string]bool) time.Duration {
	if set["timeout"] {
		return f.timeout
	}
	steps, err := release.ParseSteps(f.ramp.steps)
	if err != nil {
		return f.timeout // runRamp reports the error
	}
	return f.timeout + time.Duration(len(steps))*f.ramp.hold
}

// runRamp runs `release ramp`: each step's gate on stderr as it is
// judged, the ramp on stdout (table or JSON) at the end, and an error
// naming the step and the check when a gate aborted the release.
func runRamp(ctx context.Context, c *release.Client, f *releaseFlags, set map[string]bool, stdout, stderr io.Writer) error {
	if set["window"] {
		return errors.New("--window does not apply to ramp: each step is analyzed over its --hold")
	}
	steps, err := release.ParseSteps(f.ramp.steps)
	if err != nil {
		return fmt.Errorf("--steps %q: %w", f.ramp.steps, err)
	}
	if f.ramp.hold <= 0 {
		return fmt.Errorf("--hold %s: give a positive duration, e.g. 5m", f.ramp.hold)
	}
	opts := release.RampOptions{Steps: steps, Hold: f.ramp.hold, Promote: !f.ramp.noPromote, Invalidate: release.SplitPaths(f.invalidate)}
	if f.ramp.analyze {
		ao := f.analyze
		ao.Window = f.ramp.hold
		if err := checkAnalyzeFlags(ao); err != nil {
			return err
		}
		opts.Analyze = &ao
		opts.OnStep = func(st release.RampStep) {
			if a := st.Analysis; a != nil {
				fmt.Fprintf(stderr, "  gate at %g: %s (staging %d requests, %.2f%% 5xx; primary %d requests, %.2f%% 5xx)\n",
					st.Weight, a.Verdict, a.Staging.Requests, a.Staging.Rate5xx*100, a.Primary.Requests, a.Primary.Rate5xx*100)
			}
		}
	}
	res, err := c.Ramp(ctx, f.primary, opts)
	if errors.Is(err, release.ErrNoMetrics) {
		return fmt.Errorf("%w\nnext: point --endpoint-url at edgecd's API (edgecd up prints it), or ramp without --analyze", err)
	}
	if res == nil {
		return err
	}
	var perr error
	if f.output == "json" {
		perr = printJSON(stdout, res)
	} else {
		perr = printRamp(stdout, res)
	}
	return errors.Join(err, perr)
}

func printRamp(w io.Writer, res *release.RampResult) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(res.Steps) > 0 {
		fmt.Fprintln(tw, "WEIGHT\tGATE\tSTAGING REQUESTS\tSTAGING 5XX")
	}
	for _, st := range res.Steps {
		gate, reqs, rate := string(st.Verdict), "-", "-"
		switch {
		case st.Skipped:
			gate = "skipped (already above)"
		case st.Analysis == nil:
			gate = "held"
		default:
			reqs, rate = fmt.Sprint(st.Analysis.Staging.Requests), fmt.Sprintf("%.2f%%", st.Analysis.Staging.Rate5xx*100)
		}
		fmt.Fprintf(tw, "%g\t%s\t%s\t%s\n", st.Weight, gate, reqs, rate)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	switch res.Outcome {
	case release.RampPromoted:
		_, err := fmt.Fprintf(w, "promoted %s into %s\n", res.Promote.OriginPath, res.Primary)
		return err
	case release.RampCompleted:
		_, err := fmt.Fprintf(w, "ramped %s to weight %g; promote with `edgecd release promote --primary %s`\n", res.Primary, res.Weight, res.Primary)
		return err
	case release.RampAborted:
		for _, c := range res.FailedChecks {
			fmt.Fprintf(w, "at weight %g: %s %s: %s\n", res.FailedWeight, c.Name, c.Status, c.Reason)
		}
		_, err := fmt.Fprintf(w, "aborted: %s serves only its own version\n", res.Primary)
		return err
	}
	_, err := fmt.Fprintf(w, "stopped at weight %g\n", res.Weight)
	return err
}
