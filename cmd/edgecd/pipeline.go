package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/edgecd/edgecd/pipeline"
	"github.com/edgecd/edgecd/pipeline/spec"
)

const pipelineUsage = `Usage:
  edgecd pipeline validate FILE                     check a definition (every problem as file:line:col)
  edgecd pipeline create   FILE                     create or update the pipeline FILE defines
  edgecd pipeline list                              pipelines and their latest run
  edgecd pipeline start    PIPELINE [--commit SOURCE=SHA ...] [--var NAME=VALUE ...]
  edgecd pipeline status   PIPELINE|RUN             runs with their stages' states and durations, or one run in detail
  edgecd pipeline logs     RUN [-f] [--stage S --action A]
  edgecd pipeline approve  RUN [--comment TEXT]
  edgecd pipeline reject   RUN [--comment TEXT]
  edgecd pipeline retry    RUN [--stage S]          rerun a failed run from a stage (default: the failed one)
  edgecd pipeline stop     RUN [--reason TEXT]

Point at edgecd with --endpoint-url or AWS_ENDPOINT_URL; credentials come from the
standard AWS chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY: edgecd's key).
`

type pipelineFlags struct {
	awsFlags
	output                         string
	commits, vars                  listFlag
	stage, action, comment, reason string
	follow                         bool
	limit                          int
}

func cmdPipeline(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	sub, fs, err := subcommand("pipeline", pipelineUsage, args, stdout, stderr)
	if err != nil {
		return err
	}
	var f pipelineFlags
	f.awsFlags.register(fs, "edgecd API endpoint (default: AWS_ENDPOINT_URL)")
	fs.StringVar(&f.output, "output", "table", "table, or json")
	fs.Var(&f.commits, "commit", "start: pin a source to a commit, SOURCE=SHA (repeatable)")
	fs.Var(&f.vars, "var", "start: override a pipeline variable, NAME=VALUE (repeatable)")
	fs.StringVar(&f.stage, "stage", "", "the stage (logs, retry, approve/reject when several wait)")
	fs.StringVar(&f.action, "action", "", "the action (logs, approve/reject when several wait)")
	fs.StringVar(&f.comment, "comment", "", "approve/reject: why (recorded with who and when)")
	fs.StringVar(&f.reason, "reason", "", "stop: why")
	fs.BoolVar(&f.follow, "f", false, "logs: follow until the run ends")
	fs.IntVar(&f.limit, "limit", 20, "status: how many runs to list")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	arg := func(what string) (string, error) {
		if len(pos) != 1 {
			return "", fmt.Errorf("%s takes one argument, %s (see `edgecd pipeline -h`)", sub, what)
		}
		return pos[0], nil
	}
	if sub == "validate" {
		file, err := arg("the definition file")
		if err != nil {
			return err
		}
		return validateFile(file, stdout)
	}
	api, err := newPipelineAPI(ctx, f.endpoint, f.region, f.profile)
	if err != nil {
		return err
	}
	switch sub {
	case "create":
		file, err := arg("the definition file")
		if err != nil {
			return err
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("read the definition: %w", err)
		}
		var out struct {
			Name        string `json:"name"`
			Version     int64  `json:"version"`
			PipelineArn string `json:"pipelineArn"`
			WebhookPath string `json:"webhookPath"`
		}
		if err := api.call(ctx, "EdgecdPutPipeline", map[string]string{"file": file, "definition": string(data)}, &out); err != nil {
			return err
		}
		return printOut(stdout, f.output, out, fmt.Sprintf("pipeline %s version %d (%s)\nGitHub push webhook: %s%s\n", out.Name, out.Version, out.PipelineArn, api.client.Endpoint, out.WebhookPath))
	case "list":
		var out struct{ Runs []pipeline.Run }
		var ps struct {
			Pipelines []struct {
				Name    string `json:"name"`
				Version int64  `json:"version"`
			} `json:"pipelines"`
		}
		if err := api.call(ctx, "ListPipelines", struct{}{}, &ps); err != nil {
			return err
		}
		if err := api.call(ctx, "EdgecdListRuns", map[string]int{"maxResults": 1}, &out); err != nil {
			return err
		}
		if f.output == "json" {
			return printOut(stdout, "json", map[string]any{"pipelines": ps.Pipelines, "latestRuns": out.Runs}, "")
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PIPELINE\tVERSION\tLATEST RUN\tSTATUS\tSTARTED")
		for _, p := range ps.Pipelines {
			run, status, started := "-", "-", "-"
			for _, r := range out.Runs {
				if r.Pipeline == p.Name {
					run, status, started = r.ID, r.Status, r.Start.Local().Format(time.DateTime)
				}
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", p.Name, p.Version, run, status, started)
		}
		return tw.Flush()
	case "start":
		name, err := arg("the pipeline name")
		if err != nil {
			return err
		}
		in := map[string]any{"name": name}
		var revs []map[string]string
		for _, c := range f.commits {
			src, sha, ok := strings.Cut(c, "=")
			if !ok || src == "" || sha == "" {
				return fmt.Errorf("--commit %q: write it as SOURCE=SHA, e.g. --commit site=3f2a9c1", c)
			}
			revs = append(revs, map[string]string{"actionName": src, "revisionType": "COMMIT_ID", "revisionValue": sha})
		}
		var vars []map[string]string
		for _, v := range f.vars {
			k, val, ok := strings.Cut(v, "=")
			if !ok || k == "" {
				return fmt.Errorf("--var %q: write it as NAME=VALUE", v)
			}
			vars = append(vars, map[string]string{"name": k, "value": val})
		}
		in["sourceRevisions"], in["variables"] = revs, vars
		var out struct {
			ID string `json:"pipelineExecutionId"`
		}
		if err := api.call(ctx, "StartPipelineExecution", in, &out); err != nil {
			return err
		}
		return printOut(stdout, f.output, out, fmt.Sprintf("started run %s of %s\nfollow it: edgecd pipeline logs %s -f\n", out.ID, name, out.ID))
	case "status":
		what, err := arg("a pipeline name or a run id")
		if err != nil {
			return err
		}
		if r, err := api.run(ctx, what); err == nil {
			if f.output == "json" {
				return printOut(stdout, "json", r, "")
			}
			printRun(stdout, r)
			return nil
		} else if looksLikeRunID(what) {
			return err
		}
		var out struct{ Runs []pipeline.Run }
		if err := api.call(ctx, "EdgecdListRuns", map[string]any{"pipelineName": what, "maxResults": f.limit}, &out); err != nil {
			return err
		}
		if f.output == "json" {
			return printOut(stdout, "json", out, "")
		}
		printRuns(stdout, out.Runs)
		return nil
	case "logs":
		id, err := arg("the run id")
		if err != nil {
			return err
		}
		return followLogs(ctx, api, id, f, stdout)
	case "approve", "reject":
		id, err := arg("the run id")
		if err != nil {
			return err
		}
		status := pipeline.Approved
		if sub == "reject" {
			status = pipeline.Rejected
		}
		var out struct {
			Run      pipeline.Run      `json:"run"`
			Approval pipeline.Approval `json:"approval"`
		}
		err = api.call(ctx, "EdgecdDecide", map[string]string{"pipelineExecutionId": id, "stageName": f.stage, "actionName": f.action, "status": status, "comment": f.comment}, &out)
		if err != nil {
			return err
		}
		return printOut(stdout, f.output, out, fmt.Sprintf("%s run %s of %s (by %s at %s)\n", strings.ToLower(status), id, out.Run.Pipeline, out.Approval.By, out.Approval.At.Local().Format(time.DateTime)))
	case "retry", "stop":
		id, err := arg("the run id")
		if err != nil {
			return err
		}
		r, err := api.run(ctx, id)
		if err != nil {
			return err
		}
		var out struct {
			ID string `json:"pipelineExecutionId"`
		}
		msg := "stopping run %s\n"
		if sub == "retry" {
			err = api.call(ctx, "RetryStageExecution", map[string]string{"pipelineName": r.Pipeline, "pipelineExecutionId": id, "stageName": f.stage, "retryMode": "FAILED_ACTIONS"}, &out)
			msg = "retrying as run %s\n"
		} else {
			err = api.call(ctx, "StopPipelineExecution", map[string]string{"pipelineName": r.Pipeline, "pipelineExecutionId": id, "reason": f.reason}, &out)
		}
		if err != nil {
			return err
		}
		return printOut(stdout, f.output, out, fmt.Sprintf(msg, out.ID))
	}
	return fmt.Errorf("unknown pipeline command %q\n\n%s", sub, pipelineUsage)
}

func validateFile(file string, stdout io.Writer) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read the definition: %w", err)
	}
	p, problems := spec.Parse(file, data)
	if len(problems) > 0 {
		for _, pr := range problems {
			fmt.Fprintln(stdout, pr.String())
		}
		return fmt.Errorf("%d problem(s) in %s: fix them and run validate again", len(problems), file)
	}
	if _, err := spec.Compile(p); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	n := 0
	for _, st := range p.Stages {
		n += len(st.Actions)
	}
	fmt.Fprintf(stdout, "%s: pipeline %s is valid (%d sources, %d stages, %d actions)\n", file, p.Name, len(p.Sources), len(p.Stages), n)
	return nil
}

func dur(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return d.Round(10 * time.Millisecond).String()
}

func printRuns(w io.Writer, runs []pipeline.Run) {
	now := time.Now()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTATUS\tSTARTED\tDURATION\tCOMMITS\tSTAGES")
	for _, r := range runs {
		var commits, stages []string
		for src, c := range r.Commits {
			commits = append(commits, src+"@"+shortID(c))
		}
		sort.Strings(commits)
		for _, st := range r.Stages {
			s := st.Status
			if s == "" {
				s = "-"
			}
			stages = append(stages, fmt.Sprintf("%s:%s(%s)", st.Name, s, dur(st.Duration(now))))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, r.Start.Local().Format(time.DateTime), dur(r.Duration(now)), strings.Join(commits, ","), strings.Join(stages, " "))
	}
	tw.Flush()
}

func printRun(w io.Writer, r pipeline.Run) {
	now := time.Now()
	fmt.Fprintf(w, "run %s of %s (version %d): %s, %s\n", r.ID, r.Pipeline, r.Version, r.Status, dur(r.Duration(now)))
	if r.Summary != "" {
		fmt.Fprintf(w, "  %s\n", r.Summary)
	}
	fmt.Fprintf(w, "  trigger: %s %s\n", r.Trigger.Type, r.Trigger.Detail)
	for src, c := range r.Commits {
		fmt.Fprintf(w, "  source %s: %s\n", src, c)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tACTION\tKIND\tSTATUS\tDURATION\tSUMMARY")
	for _, st := range r.Stages {
		for _, a := range st.Actions {
			status := a.Status
			if status == "" {
				status = "-"
			}
			summary := firstLineOf(a.Summary)
			if a.Approval != nil {
				summary = fmt.Sprintf("%s by %s at %s: %s", a.Approval.Result, a.Approval.By, a.Approval.At.Local().Format(time.DateTime), a.Approval.Comment)
			} else if a.Token != "" {
				summary = "waiting: edgecd pipeline approve|reject " + r.ID
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", st.Name, a.Name, a.Kind, status, dur(a.Duration(now)), summary)
		}
	}
	tw.Flush()
}

func firstLineOf(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 100 {
		s = s[:97] + "..."
	}
	return s
}

// looksLikeRunID: run ids are UUIDs; pipeline names rarely are.
func looksLikeRunID(s string) bool {
	return len(s) == 36 && strings.Count(s, "-") == 4
}

func shortID(c string) string {
	if len(c) > 7 {
		return c[:7]
	}
	return c
}

// followLogs prints the logs of a run's actions in order; with -f it
// follows the running action and moves on until the run ends.
func followLogs(ctx context.Context, api *pipelineAPI, id string, f pipelineFlags, w io.Writer) error {
	offsets := map[string]int64{}
	for {
		r, err := api.run(ctx, id)
		if err != nil {
			return err
		}
		for _, st := range r.Stages {
			if f.stage != "" && st.Name != f.stage {
				continue
			}
			for _, a := range st.Actions {
				if (f.action != "" && a.Name != f.action) || a.Status == "" {
					continue
				}
				key := st.Name + "/" + a.Name
				for {
					var c pipeline.LogChunk
					err := api.call(ctx, "EdgecdGetActionLog", map[string]any{"pipelineName": r.Pipeline, "pipelineExecutionId": id, "stageName": st.Name, "actionName": a.Name, "offset": offsets[key]}, &c)
					if err != nil {
						return err
					}
					if offsets[key] == 0 && c.Data != "" {
						fmt.Fprintf(w, "==> %s / %s (%s)\n", st.Name, a.Name, a.Kind)
					}
					io.WriteString(w, c.Data)
					offsets[key] = c.NextOffset
					if c.Data == "" || c.Done {
						break
					}
				}
			}
		}
		if !f.follow || r.Done() {
			if f.follow {
				fmt.Fprintf(w, "==> run %s %s\n", r.ID, r.Status)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
