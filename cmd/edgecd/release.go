package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/edgecd/edgecd/release"
)

const releaseUsage = `Usage:
  edgecd release stage      --primary ID --origin-path /2.0.0 (--header aws-cf-cd-env=staging | --weight 0.1 [--sticky-idle 300 --sticky-max 600])
  edgecd release promote    --primary ID [--invalidate '/*']
  edgecd release abort      --primary ID
  edgecd release rollback   --primary ID [--to VERSION]
  edgecd release status     --primary ID [--output json|table]
  edgecd release analyze    --primary ID [--window 60s --min-requests 50 --max-5xx-rate 0.01 --output table|json]
  edgecd release ramp       --primary ID [--steps 0.05,0.25,0.5,1 --hold 5m --analyze (analyze's flags) --no-promote]
  edgecd release invalidate --distribution ID --paths '/*' [--wait]

Credentials and region come from the standard AWS chain (environment, profiles).
Point at edgecd with --endpoint-url or AWS_ENDPOINT_URL (edgecd up prints it); leave it
unset to act on the real CloudFront.

analyze compares the staging side of the primary with its primary side over --window, from
edgecd's /metrics (so it needs an edgecd endpoint), and exits non-zero unless the verdict is
pass: staging's 5xx rate, its p95 latency and its share of traffic are checked.

ramp walks the weight of a policy staged with --weight up through --steps, holding each
(with --analyze: judging it, and aborting the release on the first gate that does not pass),
then promotes. Above 0.15 it needs edgecd up --native (CloudFront caps the weight there).
`

type releaseFlags struct {
	awsFlags
	service, output                           string
	versionParam, stagingParam, promotedParam string
	primary, originPath, header, version      string
	weight                                    float64
	stickyIdle, stickyMax                     int
	invalidate, paths, distribution, to       string
	wait                                      bool
	timeout                                   time.Duration
	analyze                                   release.AnalyzeOptions
	ramp                                      rampFlags
}

func cmdRelease(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, fs, err := subcommand("release", releaseUsage, args, stdout, stderr)
	if err != nil {
		return err
	}
	var f releaseFlags
	f.awsFlags.register(fs, "API endpoint (default: AWS_ENDPOINT_URL, else the real AWS)")
	fs.StringVar(&f.service, "service", "edgecd", "service name in the SSM parameters /<service>/version/frontend and /<service>/cloudfront/cfcd-staging")
	fs.StringVar(&f.versionParam, "version-param", "", "SSM parameter holding the released version (default /<service>/version/frontend)")
	fs.StringVar(&f.stagingParam, "staging-param", "", "SSM parameter holding the staging distribution id (default /<service>/cloudfront/cfcd-staging)")
	fs.StringVar(&f.promotedParam, "promoted-param", "", "SSM parameter whose history lists promoted versions (default /<service>/release/promoted)")
	fs.StringVar(&f.output, "output", "table", "text/table, or json (a machine-readable result)")
	fs.StringVar(&f.primary, "primary", "", "primary distribution id")
	fs.StringVar(&f.originPath, "origin-path", "", "origin path of the version to stage, e.g. /2.0.0")
	fs.StringVar(&f.version, "version", "", "version to record (default: the origin path's last part); alone, stages origin path /VERSION")
	fs.StringVar(&f.header, "header", "", "route testers by header: NAME=VALUE (NAME starts with aws-cf-cd-)")
	fs.Float64Var(&f.weight, "weight", -1, "route this share (0-1) of new viewers to staging")
	fs.IntVar(&f.stickyIdle, "sticky-idle", 0, "with --weight: keep a viewer's side until idle this many seconds")
	fs.IntVar(&f.stickyMax, "sticky-max", 0, "with --weight: and at most this many seconds in all")
	fs.StringVar(&f.invalidate, "invalidate", "", "promote: comma-separated paths to invalidate afterwards, e.g. /*")
	fs.StringVar(&f.paths, "paths", "", "invalidate: comma-separated paths, e.g. /*")
	fs.StringVar(&f.distribution, "distribution", "", "invalidate: distribution id")
	fs.StringVar(&f.to, "to", "", "rollback: version (origin path) to go back to")
	fs.BoolVar(&f.wait, "wait", false, "invalidate: wait until Completed")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Minute, "give up after this long")
	registerAnalyzeFlags(fs, &f.analyze)
	registerRampFlags(fs, &f.ramp)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if sub == "ramp" {
		f.timeout = rampTimeout(&f, setFlags(fs))
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	c, err := newReleaseClient(ctx, &f, stderr)
	if err != nil {
		return err
	}
	needPrimary := func() error {
		if f.primary == "" {
			return fmt.Errorf("--primary is required: the id of the primary distribution (aws cloudfront list-distributions)")
		}
		return nil
	}
	switch sub {
	case "stage":
		if err := needPrimary(); err != nil {
			return err
		}
		if f.originPath == "" && f.version != "" {
			f.originPath = "/" + f.version
		}
		in := release.StageInput{PrimaryID: f.primary, OriginPath: f.originPath, Version: f.version,
			StickyIdle: int32(f.stickyIdle), StickyMax: int32(f.stickyMax)}
		if f.header != "" {
			name, value, ok := release.ParseHeader(f.header)
			if !ok {
				return fmt.Errorf("--header %q must be NAME=VALUE, e.g. aws-cf-cd-env=staging", f.header)
			}
			in.HeaderName, in.HeaderValue = name, value
		}
		if f.weight >= 0 {
			in.Weight = &f.weight
		}
		res, err := c.Stage(ctx, in)
		if err != nil {
			return err
		}
		return printOut(stdout, f.output, res, fmt.Sprintf("staged %s on %s (%s); policy %s\n", res.OriginPath, res.StagingID, res.StagingDomain, res.PolicyID))
	case "promote":
		if err := needPrimary(); err != nil {
			return err
		}
		res, err := c.Promote(ctx, f.primary, release.SplitPaths(f.invalidate))
		if err != nil {
			return err
		}
		msg := fmt.Sprintf("promoted %s into %s", res.OriginPath, f.primary)
		if res.AlreadyPromoted {
			msg = fmt.Sprintf("%s already serves %s; nothing to do", f.primary, res.OriginPath)
		}
		return printOut(stdout, f.output, res, msg+"\n")
	case "abort":
		if err := needPrimary(); err != nil {
			return err
		}
		if err := c.Abort(ctx, f.primary); err != nil {
			return err
		}
		return printOut(stdout, f.output, map[string]any{"primary": f.primary, "aborted": true},
			fmt.Sprintf("aborted: the staging distribution and policy of %s are gone\n", f.primary))
	case "rollback":
		if err := needPrimary(); err != nil {
			return err
		}
		to, err := c.Rollback(ctx, f.primary, f.to)
		if err != nil {
			return err
		}
		return printOut(stdout, f.output, map[string]any{"primary": f.primary, "origin_path": to},
			fmt.Sprintf("%s now serves %s\n", f.primary, to))
	case "status":
		if err := needPrimary(); err != nil {
			return err
		}
		st, err := c.Status(ctx, f.primary)
		if err != nil {
			return err
		}
		if f.output == "json" {
			return printJSON(stdout, st)
		}
		printStatus(stdout, st)
		return nil
	case "analyze":
		if err := needPrimary(); err != nil {
			return err
		}
		return runAnalyze(ctx, c, f.primary, f.analyze, f.output, stdout)
	case "ramp":
		if err := needPrimary(); err != nil {
			return err
		}
		return runRamp(ctx, c, &f, setFlags(fs), stdout, stderr)
	case "invalidate":
		if f.distribution == "" || f.paths == "" {
			return errors.New("--distribution and --paths are required, e.g. --distribution E123 --paths '/*'")
		}
		var id string
		step := "invalidate " + f.paths + " on " + f.distribution
		if f.wait {
			step += " and wait until Completed"
		}
		if err := c.Run(step, func() (err error) {
			id, err = c.Invalidate(ctx, f.distribution, release.SplitPaths(f.paths), f.wait)
			return err
		}); err != nil {
			return err
		}
		status := "InProgress"
		if f.wait {
			status = "Completed"
		}
		return printOut(stdout, f.output, map[string]any{"distribution": f.distribution, "invalidation_id": id, "status": status},
			fmt.Sprintf("invalidation %s on %s: %s\n", id, f.distribution, status))
	}
	return fmt.Errorf("unknown release command %q\n\n%s", sub, releaseUsage)
}

func newReleaseClient(ctx context.Context, f *releaseFlags, progress io.Writer) (*release.Client, error) {
	cfg, err := loadAWSConfig(ctx, f.endpoint, f.region, f.profile)
	if err != nil {
		return nil, err
	}
	c := release.NewClient(cfg)
	c.Service = f.service
	c.VersionParam, c.StagingParam, c.PromotedParam = f.versionParam, f.stagingParam, f.promotedParam
	c.OnStep, c.OnWait = stepReporter(progress)
	return c, nil
}

// stepReporter shows each step of a release command on w: on a terminal a
// spinner with the step and its elapsed time (what the command is waiting
// for), redrawn in place and replaced by a check mark or a cross; in a log,
// one plain line when a step starts and one when it ends.
func stepReporter(w io.Writer) (onStep func(string) func(error), onWait func(string)) {
	tty := isTerminal(w)
	var detail atomic.Value // what the current step last saw while waiting
	detail.Store("")
	onWait = func(d string) {
		if old := detail.Swap(d); !tty && old != d {
			fmt.Fprintf(w, "  %s\n", d) // a log line when the state changes
		}
	}
	return func(step string) func(error) {
		start := time.Now()
		detail.Store("")
		if !tty {
			fmt.Fprintf(w, "• %s\n", step)
			return func(err error) {
				if err != nil {
					fmt.Fprintf(w, "  failed after %s\n", elapsed(start))
					return
				}
				fmt.Fprintf(w, "  done in %s\n", elapsed(start))
			}
		}
		stop, stopped := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(stopped)
			frames := []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for i := 0; ; i++ {
				d := detail.Load().(string)
				if d != "" {
					d = ": " + d
				}
				fmt.Fprintf(w, "\r\033[K%c %s (%s)%s", frames[i%len(frames)], step, elapsed(start), d)
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		return func(err error) {
			close(stop)
			<-stopped
			mark := "✓"
			if err != nil {
				mark = "✗"
			}
			fmt.Fprintf(w, "\r\033[K%s %s (%s)\n", mark, step, elapsed(start))
		}
	}, onWait
}

// elapsed is a step's duration as a person reads it: 12ms, 3.4s.
func elapsed(start time.Time) time.Duration {
	d := time.Since(start)
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

func printStatus(w io.Writer, st *release.Status) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(role string, d *release.DistributionStatus) {
		if d != nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\tenabled=%v\n", role, d.ID, d.OriginPath, d.Status, d.Enabled)
		}
	}
	fmt.Fprintln(tw, "ROLE\tID\tORIGIN PATH\tSTATUS\t")
	row("primary", st.Primary)
	row("staging", st.Staging)
	tw.Flush()
	if p := st.Policy; p != nil {
		route := p.Header
		if p.Weight != nil {
			route = "weight " + strconv.FormatFloat(float64(*p.Weight), 'f', -1, 32)
			if p.StickyMax > 0 {
				route += fmt.Sprintf(", sticky %d/%d s", p.StickyIdle, p.StickyMax)
			}
		}
		fmt.Fprintf(w, "policy %s: %s, %s, enabled=%v\n", p.ID, p.Type, route, p.Enabled)
	} else {
		fmt.Fprintln(w, "policy: none attached")
	}
	fmt.Fprintf(w, "version parameter: %s\n", st.Version)
	if len(st.Promoted) > 0 {
		fmt.Fprintf(w, "promoted so far: %s\n", strings.Join(st.Promoted, " → "))
	}
}
