package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// siteRepo is a git repository made from examples/site.
type siteRepo struct {
	t   *testing.T
	dir string
}

func newSiteRepo(t *testing.T) *siteRepo {
	t.Helper()
	r := &siteRepo{t: t, dir: filepath.Join(t.TempDir(), "site")}
	if err := os.CopyFS(r.dir, os.DirFS("../examples/site")); err != nil {
		t.Fatal(err)
	}
	r.git("init", "-q", "-b", "main")
	r.git("add", "-A")
	r.git("commit", "-q", "-m", "site 1.0.0")
	return r
}

func (r *siteRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-C", r.dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@example.com", "GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL=dev@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// release commits a new VERSION and returns the commit id.
func (r *siteRepo) release(version string) string {
	r.t.Helper()
	if err := os.WriteFile(filepath.Join(r.dir, "VERSION"), []byte(version+"\n"), 0o644); err != nil {
		r.t.Fatal(err)
	}
	r.git("commit", "-q", "-am", "site "+version)
	return r.git("rev-parse", "HEAD")
}

// sitePipeline is the sample site's release pipeline against the demo's
// primary: poll the repository, build, deploy to site/<commit>/, stage by
// header, approve, promote; a rejection cleans up through the event rule.
const sitePipeline = `name: site
variables:
  Primary: %s
sources:
  - name: site
    repo: %s
    branch: main
    trigger: poll
    poll_interval: 1s
stages:
  - name: Source
    actions:
      - name: Checkout
        kind: source.git
        namespace: Source
  - name: Build
    actions:
      - name: Build
        kind: build
        namespace: Build
  - name: Deploy
    actions:
      - name: Upload
        kind: deploy
        namespace: Deploy
        with:
          to: "s3://site/#{Source.CommitShort}/"
  - name: Configure
    actions:
      - name: Stage
        kind: release.stage
        namespace: Staging
        with:
          primary: "#{variables.Primary}"
          origin_path: "/#{Source.CommitShort}"
          header: aws-cf-cd-env=staging
  - name: Approve
    actions:
      - name: Approve
        kind: approval
        namespace: Approval
  - name: Promote
    actions:
      - name: Promote
        kind: release.promote
        with:
          primary: "#{variables.Primary}"
`

type runView struct {
	ID      string            `json:"id"`
	Status  string            `json:"status"`
	Commits map[string]string `json:"commits"`
	Stages  []struct {
		Name    string `json:"name"`
		Status  string `json:"status"`
		Actions []struct {
			Name     string `json:"name"`
			Status   string `json:"status"`
			Token    string `json:"token"`
			Error    string `json:"error"`
			Attempt  int    `json:"attempt"`
			Approval *struct {
				Result, By, Comment string
			} `json:"approval"`
		} `json:"actions"`
	} `json:"stages"`
}

func (r runView) waitsForApproval() bool {
	for _, st := range r.Stages {
		for _, a := range st.Actions {
			if a.Token != "" && a.Status == "InProgress" {
				return true
			}
		}
	}
	return false
}

// waitRun polls `edgecd pipeline status site` until a run of commit
// satisfies cond.
func waitRun(t *testing.T, p *proc, commit, what string, cond func(runView) bool) runView {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		var out struct{ Runs []runView }
		if err := json.Unmarshal([]byte(p.run("edgecd", "pipeline", "status", "site", "--output", "json")), &out); err != nil {
			t.Fatal(err)
		}
		for _, r := range out.Runs {
			if r.Commits["site"] == commit && cond(r) {
				return r
			}
		}
		if time.Now().After(deadline) {
			logs := ""
			for _, r := range out.Runs {
				o, e, _ := p.try("edgecd", "pipeline", "logs", r.ID)
				logs += o + e
			}
			t.Fatalf("no run of %s became %s: %s\nlogs:\n%s", commit, what, jsonString(out.Runs), logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestPipelineReleasesApprovesRejectsAndSurvivesKill9(t *testing.T) {
	dataDir := t.TempDir()
	p := startUp(t, dataDir)
	primary := p.info.Distributions[0].ID
	domain := p.info.Distributions[0].Domain
	serves := func(step, want string, hdr ...string) {
		t.Helper()
		_, _, body := p.get(domain, "/", hdr...)
		if !strings.Contains(body, want) {
			t.Fatalf("after %s: viewers (headers %v) got %q, want %q", step, hdr, firstLine(body), want)
		}
	}
	param := func(name string) string {
		var out struct{ Parameter struct{ Value string } }
		p.runJSON(&out, "ssm", "get-parameter", "--name", name)
		return out.Parameter.Value
	}
	repo := newSiteRepo(t)
	first := repo.git("rev-parse", "HEAD")
	def := filepath.Join(t.TempDir(), "edgecd.pipeline.yaml")
	os.WriteFile(def, []byte(fmt.Sprintf(sitePipeline, primary, repo.dir)), 0o644)
	if out := p.run("edgecd", "pipeline", "validate", def); !strings.Contains(out, "pipeline site is valid") {
		t.Fatalf("validate: %s", out)
	}

	// Commit 1 (already there when the pipeline is created): built,
	// deployed, staged by header, waiting for approval.
	p.run("edgecd", "pipeline", "create", def)
	run1 := waitRun(t, p, first, "waiting for approval", runView.waitsForApproval)
	serves("staging 1.0.0", "Sample site 1.0.0", "aws-cf-cd-env", "staging")
	serves("staging 1.0.0", "v1 App")
	var state struct {
		StageStates []struct {
			StageName    string
			ActionStates []struct {
				ActionName      string
				LatestExecution struct{ Status, Token string }
			}
		}
	}
	p.runJSON(&state, "codepipeline", "get-pipeline-state", "--name", "site")
	token := ""
	for _, st := range state.StageStates {
		for _, a := range st.ActionStates {
			if st.StageName == "Approve" && a.LatestExecution.Status == "InProgress" {
				token = a.LatestExecution.Token
			}
		}
	}
	if token == "" {
		t.Fatalf("aws codepipeline get-pipeline-state does not show the approval waiting with its token: %s", jsonString(state))
	}
	if logs := p.run("edgecd", "pipeline", "logs", run1.ID); !strings.Contains(logs, "built site 1.0.0") || !strings.Contains(logs, "==> Configure / Stage") {
		t.Fatalf("edgecd pipeline logs lacks the build's output or the stage step:\n%s", logs)
	}
	// Approved with the aws CLI, as on CodePipeline; later ones with edgecd.
	p.run("aws", "codepipeline", "put-approval-result", "--pipeline-name", "site", "--stage-name", "Approve", "--action-name", "Approve",
		"--token", token, "--result", "summary=looks good,status=Approved")
	waitRun(t, p, first, "Succeeded", func(r runView) bool { return r.Status == "Succeeded" })
	serves("approve 1.0.0", "Sample site 1.0.0")

	// Commit 2: rejected; the event rule aborts the release.
	second := repo.release("2.0.0")
	run2 := waitRun(t, p, second, "waiting for approval", runView.waitsForApproval)
	serves("staging 2.0.0", "Sample site 2.0.0", "aws-cf-cd-env", "staging")
	p.run("edgecd", "pipeline", "reject", run2.ID, "--comment", "wrong colour")
	r := waitRun(t, p, second, "Failed", func(r runView) bool { return r.Status == "Failed" })
	if a := r.Stages[4].Actions[0]; a.Error != "Rejected" || a.Approval == nil || a.Approval.Comment != "wrong colour" {
		t.Fatalf("rejected approval = %+v", a)
	}
	deadline := time.Now().Add(30 * time.Second)
	for param("/site/cloudfront/cfcd-staging") != "deleted" {
		if time.Now().After(deadline) {
			t.Fatalf("the cleanup rule did not run: staging parameter = %q", param("/site/cloudfront/cfcd-staging"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	var list struct {
		DistributionList struct{ Items []struct{ Id string } }
	}
	p.runJSON(&list, "cloudfront", "list-distributions")
	var policies struct {
		ContinuousDeploymentPolicyList struct{ Quantity int }
	}
	p.runJSON(&policies, "cloudfront", "list-continuous-deployment-policies")
	if len(list.DistributionList.Items) != 1 || list.DistributionList.Items[0].Id != primary || policies.ContinuousDeploymentPolicyList.Quantity != 0 {
		t.Fatalf("after the cleanup: distributions %s, policies %d; want only the primary and no policy", jsonString(list), policies.ContinuousDeploymentPolicyList.Quantity)
	}
	serves("reject 2.0.0", "Sample site 1.0.0")
	serves("reject 2.0.0", "Sample site 1.0.0", "aws-cf-cd-env", "staging")

	// Commit 3: kill -9 while it waits for approval; after the restart
	// the approval still works and the run completes.
	third := repo.release("3.0.0")
	run3 := waitRun(t, p, third, "waiting for approval", runView.waitsForApproval)
	p.kill()
	p = startUp(t, dataDir)
	p.run("edgecd", "pipeline", "approve", run3.ID, "--comment", "after a crash")
	waitRun(t, p, third, "Succeeded", func(r runView) bool { return r.Status == "Succeeded" })
	serves("approve 3.0.0 after kill -9", "Sample site 3.0.0")

	// Commit 4: kill -9 while it builds. After the restart the build runs
	// again (a build is safe to repeat), the checkout before it does not,
	// and the run goes on to its approval.
	gate := filepath.Join(t.TempDir(), "go-on")
	spec, err := os.ReadFile(filepath.Join(repo.dir, "buildspec.yml"))
	if err != nil {
		t.Fatal(err)
	}
	slow := strings.Replace(string(spec), "      - test -s VERSION\n",
		"      - test -s VERSION\n      - echo waiting for the gate\n      - while [ ! -f "+gate+" ]; do sleep 0.05; done\n", 1)
	if slow == string(spec) {
		t.Fatal("the sample buildspec changed: no `test -s VERSION` line to slow down")
	}
	os.WriteFile(filepath.Join(repo.dir, "buildspec.yml"), []byte(slow), 0o644)
	fourth := repo.release("4.0.0")
	run4 := waitRun(t, p, fourth, "building", func(r runView) bool {
		return len(r.Stages) > 1 && r.Stages[1].Actions[0].Status == "InProgress"
	})
	deadline = time.Now().Add(30 * time.Second)
	for !strings.Contains(p.run("edgecd", "pipeline", "logs", run4.ID, "--stage", "Build", "--action", "Build"), "waiting for the gate") {
		if time.Now().After(deadline) {
			t.Fatal("the build never reached the gate")
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.kill()
	os.WriteFile(gate, nil, 0o644)
	p = startUp(t, dataDir)
	r = waitRun(t, p, fourth, "waiting for approval after kill -9 during the build", runView.waitsForApproval)
	if src, build := r.Stages[0].Actions[0], r.Stages[1].Actions[0]; src.Attempt != 1 || build.Attempt != 2 || build.Status != "Succeeded" {
		t.Fatalf("after kill -9 during the build: checkout attempts %d, build attempts %d (%s); want the checkout once and the build again",
			src.Attempt, build.Attempt, build.Status)
	}
	serves("staging 4.0.0 after kill -9", "Sample site 4.0.0", "aws-cf-cd-env", "staging")
	p.run("edgecd", "pipeline", "stop", run4.ID, "--reason", "end of the test")

	// Bad input is explained.
	if _, errOut, err := p.try("edgecd", "pipeline", "start", "site", "--commit", "site="+strings.Repeat("0", 40)); err == nil || !strings.Contains(errOut, "unknown commit") {
		t.Fatalf("start with an unknown commit: %v %s", err, errOut)
	}
	if _, errOut, err := p.try("edgecd", "pipeline", "approve", run3.ID); err == nil || !strings.Contains(errOut, "waits for no approval") {
		t.Fatalf("approving a finished run: %v %s", err, errOut)
	}
}
