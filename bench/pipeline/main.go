// Command pipeline measures, against a running `edgecd up` demo, the
// pipeline's overhead from a commit to the staging side serving it:
// a run of the sample site (examples/site) is started on the new commit
// (as a push webhook or `edgecd pipeline start` would), and the time until
// a viewer with the staging header gets the new page is measured. The
// build action's own duration (the buildspec's shell commands, which a
// real site makes as slow as it likes) is reported apart and subtracted:
// overhead = commit-to-staging-served - build action. Each run is then
// approved (promoted) so the next one starts from the same state.
//
//	go run ./bench/pipeline -data-dir .edgecd -n 10
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/edgecd/edgecd/demo"
	"github.com/edgecd/edgecd/internal/awsjson"
	"github.com/edgecd/edgecd/pipeline"
)

const definition = `name: bench-site
sources:
  - name: site
    repo: %s
    branch: main
    trigger: manual
stages:
  - name: Source
    actions:
      - {name: Checkout, kind: source.git, namespace: Source}
  - name: Build
    actions:
      - {name: Build, kind: build, namespace: Build}
  - name: Deploy
    actions:
      - name: Upload
        kind: deploy
        with: {to: "s3://site/bench-#{Source.CommitShort}/"}
  - name: Configure
    actions:
      - name: Stage
        kind: release.stage
        with: {primary: %s, origin_path: "/bench-#{Source.CommitShort}", header: aws-cf-cd-env=staging}
  - name: Approve
    actions:
      - {name: Approve, kind: approval}
  - name: Promote
    actions:
      - name: Promote
        kind: release.promote
        with: {primary: %s}
`

func main() {
	dataDir := flag.String("data-dir", ".edgecd", "data directory of the running edgecd up")
	n := flag.Int("n", 10, "number of runs")
	site := flag.String("site", "examples/site", "the sample site to commit")
	flag.Parse()
	if err := run(*dataDir, *site, *n); err != nil {
		fmt.Fprintln(os.Stderr, "pipeline bench:", err)
		os.Exit(1)
	}
}

type bench struct {
	info demo.UpInfo
	http *http.Client
	api  *awsjson.Client // the pipeline API, signed with up's key
}

func run(dataDir, site string, n int) error {
	info, err := demo.ReadUpInfo(dataDir)
	if err != nil {
		return err
	}
	bn := &bench{info: info, http: &http.Client{Timeout: 10 * time.Second}}
	bn.api = &awsjson.Client{
		Protocol: awsjson.Protocol{TargetPrefix: pipeline.APITargetPrefix, ContentType: "application/x-amz-json-1.1"},
		Endpoint: info.APIURL, Service: "codepipeline", HTTP: bn.http,
		Config: aws.Config{Region: info.Region, Credentials: credentials.NewStaticCredentialsProvider(info.AccessKeyID, info.SecretAccessKey, "")},
	}
	var primary, domain string
	for _, d := range bn.info.Distributions {
		if !d.Staging {
			primary, domain = d.ID, d.Domain
		}
	}
	repo, err := os.MkdirTemp("", "edgecd-bench-site-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(repo)
	if err := os.CopyFS(repo, os.DirFS(site)); err != nil {
		return fmt.Errorf("copy %s (run from the repository root or pass -site): %w", site, err)
	}
	git(repo, "init", "-q", "-b", "main")
	git(repo, "add", "-A")
	git(repo, "commit", "-q", "-m", "bench")
	ctx := context.Background()
	if err := bn.call(ctx, "EdgecdPutPipeline", map[string]string{"definition": fmt.Sprintf(definition, repo, primary, primary)}, nil); err != nil {
		return err
	}
	// Runs left by an interrupted bench would queue the new ones.
	var left struct{ Runs []pipeline.Run }
	if err := bn.call(ctx, "EdgecdListRuns", map[string]string{"pipelineName": "bench-site"}, &left); err != nil {
		return err
	}
	for _, r := range left.Runs {
		if !r.Done() {
			bn.call(ctx, "StopPipelineExecution", map[string]string{"pipelineName": "bench-site", "pipelineExecutionId": r.ID}, nil)
			bn.waitRun(ctx, r.ID, func(r pipeline.Run) bool { return r.Done() })
		}
	}
	var totals, builds, overheads []time.Duration
	fmt.Printf("%-4s %-9s %10s %10s %10s   %s\n", "run", "commit", "total", "build", "overhead", "stages (source, build, deploy, stage)")
	for i := 1; i <= n; i++ {
		version := fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i)
		os.WriteFile(filepath.Join(repo, "VERSION"), []byte(version+"\n"), 0o644)
		git(repo, "commit", "-q", "-am", version)
		commit := git(repo, "rev-parse", "HEAD")

		start := time.Now()
		var started struct {
			ID string `json:"pipelineExecutionId"`
		}
		err := bn.call(ctx, "StartPipelineExecution", map[string]any{"name": "bench-site",
			"sourceRevisions": []map[string]string{{"actionName": "site", "revisionType": "COMMIT_ID", "revisionValue": commit}}}, &started)
		if err != nil {
			return err
		}
		if err := bn.waitServed(domain, "Sample site "+version, 60*time.Second); err != nil {
			return fmt.Errorf("run %s: %w", started.ID, err)
		}
		total := time.Since(start)
		r, err := bn.waitRun(ctx, started.ID, func(r pipeline.Run) bool { return stageDone(r, "Configure") })
		if err != nil {
			return err
		}
		build := actionDur(r, "Build")
		totals, builds, overheads = append(totals, total), append(builds, build), append(overheads, total-build)
		fmt.Printf("%-4d %-9s %10s %10s %10s   %s %s %s %s\n", i, commit[:7], ms(total), ms(build), ms(total-build),
			ms(actionDur(r, "Source")), ms(build), ms(actionDur(r, "Deploy")), ms(actionDur(r, "Configure")))
		if _, err := bn.waitRun(ctx, started.ID, waitsForApproval); err != nil {
			return err
		}
		if err := bn.call(ctx, "EdgecdDecide", map[string]string{"pipelineExecutionId": started.ID, "status": "Approved", "comment": "bench"}, nil); err != nil {
			return err
		}
		if _, err := bn.waitRun(ctx, started.ID, func(r pipeline.Run) bool { return r.Done() }); err != nil {
			return err
		}
	}
	fmt.Printf("\np50 total %s, build %s, overhead %s; max overhead %s (goal < 2s)\n",
		ms(median(totals)), ms(median(builds)), ms(median(overheads)), ms(slices.Max(overheads)))
	return nil
}

func stageDone(r pipeline.Run, name string) bool {
	for _, st := range r.Stages {
		if st.Name == name {
			return st.Status == pipeline.StatusSucceeded
		}
	}
	return false
}

func waitsForApproval(r pipeline.Run) bool {
	for _, st := range r.Stages {
		for _, a := range st.Actions {
			if a.Token != "" && a.Status == pipeline.StatusInProgress {
				return true
			}
		}
	}
	return false
}

func actionDur(r pipeline.Run, stage string) time.Duration {
	for _, st := range r.Stages {
		if st.Name == stage && len(st.Actions) > 0 {
			a := st.Actions[0]
			return a.End.Sub(a.Start)
		}
	}
	return 0
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond)) }

func git(dir string, args ...string) string {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=bench", "GIT_AUTHOR_EMAIL=bench@example.com", "GIT_COMMITTER_NAME=bench", "GIT_COMMITTER_EMAIL=bench@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "git %v: %v\n%s", args, err, out)
		os.Exit(1)
	}
	return strings.TrimSpace(string(out))
}

// waitServed polls the edge, as a tester with the staging header, until
// the page says want.
func (bn *bench) waitServed(domain, want string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest(http.MethodGet, bn.info.EdgeURL+"/", nil)
		req.Host = domain
		req.Header.Set("aws-cf-cd-env", "staging")
		if resp, err := bn.http.Do(req); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if bytes.Contains(body, []byte(want)) {
				return nil
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return fmt.Errorf("staging never served %q within %s", want, limit)
}

func (bn *bench) waitRun(ctx context.Context, id string, cond func(pipeline.Run) bool) (pipeline.Run, error) {
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var out struct{ Run pipeline.Run }
		if err := bn.call(ctx, "EdgecdGetRun", map[string]string{"pipelineExecutionId": id}, &out); err != nil {
			return pipeline.Run{}, err
		}
		if cond(out.Run) {
			return out.Run, nil
		}
		if out.Run.Done() {
			return out.Run, fmt.Errorf("run %s ended %s: %s", id, out.Run.Status, out.Run.Summary)
		}
	}
	return pipeline.Run{}, fmt.Errorf("run %s did not progress within 60s", id)
}

// call is one signed CodePipeline JSON 1.1 request.
func (bn *bench) call(ctx context.Context, op string, in, out any) error {
	if err := bn.api.Call(ctx, op, in, out); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}
