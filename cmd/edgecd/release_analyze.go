package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/edgecd/edgecd/release"
)

func registerAnalyzeFlags(fs *flag.FlagSet, o *release.AnalyzeOptions) {
	fs.DurationVar(&o.Window, "window", time.Minute, "analyze: how long to sample traffic (/metrics is read at its start and end)")
	fs.IntVar(&o.MinRequests, "min-requests", 50, "analyze: fewer staging requests in the window make the verdict inconclusive")
	fs.Float64Var(&o.Max5xxRate, "max-5xx-rate", 0.01, "analyze: staging's 5xx share may reach this, or the primary's times --tolerance")
	fs.Float64Var(&o.Max4xxRate, "max-4xx-rate", 0, "analyze: when set, gate on staging's 4xx share too (default: only reported)")
	fs.Float64Var(&o.Tolerance, "tolerance", 2, "analyze: staging's error rates may reach the primary's times this")
	fs.Float64Var(&o.LatencyTolerance, "latency-tolerance", 1.5, "analyze: staging's p95 fails above the primary's times this (and above --latency-floor)")
	fs.DurationVar(&o.LatencyFloor, "latency-floor", 50*time.Millisecond, "analyze: a staging p95 under this never fails")
}

// runAnalyze runs `release analyze`: the analysis on stdout (table or
// JSON), and an error saying which check failed and what to do unless the
// verdict is pass.
func runAnalyze(ctx context.Context, c *release.Client, primary string, o release.AnalyzeOptions, output string, stdout io.Writer) error {
	if err := checkAnalyzeFlags(o); err != nil {
		return err
	}
	step := fmt.Sprintf("sample the traffic of %s's two sides for %s", primary, o.Window)
	var done func(error)
	if c.OnStep != nil {
		done = c.OnStep(step)
	}
	a, err := c.Analyze(ctx, primary, o)
	if done != nil {
		done(err)
	}
	if err != nil {
		if errors.Is(err, release.ErrNoMetrics) {
			return fmt.Errorf("%w\nnext: point --endpoint-url at edgecd's API (edgecd up prints it); on the real CloudFront, judge the canary from its CloudWatch metrics", err)
		}
		return err
	}
	if output == "json" {
		err = printJSON(stdout, a)
	} else {
		err = printAnalysis(stdout, a)
	}
	if err != nil {
		return err
	}
	return analysisError(a)
}

// checkAnalyzeFlags refuses values the analysis would otherwise replace
// by its defaults (a zero field means "default" in AnalyzeOptions).
func checkAnalyzeFlags(o release.AnalyzeOptions) error {
	rate := func(name string, v float64, optional bool) error {
		if optional && v == 0 || v > 0 && v <= 1 {
			return nil
		}
		return fmt.Errorf("--%s %g: give a fraction greater than 0 and at most 1, e.g. 0.01 for 1%%", name, v)
	}
	switch {
	case o.Window <= 0:
		return fmt.Errorf("--window %s: give a positive duration, e.g. 60s", o.Window)
	case o.MinRequests < 1:
		return fmt.Errorf("--min-requests %d: give at least 1", o.MinRequests)
	case o.Tolerance <= 0 || o.LatencyTolerance <= 0:
		return errors.New("--tolerance and --latency-tolerance must be positive factors, e.g. 2 and 1.5")
	case o.LatencyFloor <= 0:
		return fmt.Errorf("--latency-floor %s: give a positive duration, e.g. 50ms", o.LatencyFloor)
	}
	return errors.Join(rate("max-5xx-rate", o.Max5xxRate, false), rate("max-4xx-rate", o.Max4xxRate, true))
}

// analysisError says, for a verdict other than pass, what failed and what
// to do about it.
func analysisError(a *release.Analysis) error {
	if a.Verdict == release.Pass {
		return nil
	}
	var next string
	switch a.Verdict {
	case release.Fail:
		next = fmt.Sprintf("the staged version is worse than the primary: take it down with `edgecd release abort --primary %s`, fix it, and stage again", a.Distribution)
	default:
		next = "not enough evidence to promote: send staging more traffic (testers with the policy's header, or a higher --weight) or analyze a longer --window, then analyze again"
	}
	return fmt.Errorf("%w\nnext: %s", a.Err(), next)
}

func printAnalysis(w io.Writer, a *release.Analysis) error {
	q := fmt.Sprintf("P%g", a.Quantile*100)
	fmt.Fprintf(w, "canary analysis of %s over %s: %s\n\n", a.Distribution, a.Window, strings.ToUpper(string(a.Verdict)))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "SIDE\tREQUESTS\t5XX\t4XX\t%s\n", q)
	for _, s := range []struct {
		name string
		st   release.SideStats
	}{{"primary", a.Primary}, {"staging", a.Staging}} {
		fmt.Fprintf(tw, "%s\t%d\t%.2f%%\t%.2f%%\t%s\n", s.name, s.st.Requests, s.st.Rate5xx*100, s.st.Rate4xx*100,
			time.Duration(s.st.Latency*float64(time.Second)).Round(10*time.Microsecond))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "CHECK\tSTATUS\tREASON")
	for _, c := range a.Checks {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, c.Status, c.Reason)
	}
	return tw.Flush()
}
