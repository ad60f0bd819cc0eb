package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/edgecd/edgecd/flow"
)

// Approval results.
const (
	Approved = "Approved"
	Rejected = "Rejected"
)

// approval pauses the run: the task token is kept with the run (durably,
// so approving works after a restart) and a message with the commands to
// approve or reject is posted to a Slack-compatible incoming webhook.
func (s *Service) approval(ctx context.Context, a *actionCall) (map[string]string, error) {
	token := a.in.Token
	if token == "" {
		return nil, &flow.TaskError{Name: "Pipeline.BadParameters", Cause: "the approval task has no task token (compile the pipeline with spec.Compile)"}
	}
	run, err := s.updateRun(ctx, a.in.Pipeline, a.in.Run, func(r *Run) error {
		_, ar := r.action(a.in.Stage, a.in.Action)
		if ar == nil {
			return fmt.Errorf("run %s has no action %s", r.ID, a.in.Action)
		}
		ar.Token = token
		ar.Summary = "waiting for approval"
		return nil
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(a.log, "[edgecd] waiting for approval: edgecd pipeline approve %s (or reject)\n", run.ID)
	hook := a.get("webhook", "")
	if hook == "" {
		if p, err := s.Pipeline(ctx, a.in.Pipeline); err == nil {
			if sp, err := s.spec(p); err == nil {
				hook = sp.Approval.Webhook
			}
		}
	}
	if hook != "" {
		if err := s.postApproval(ctx, hook, a, run, token); err != nil {
			// The run still waits: the CLI and the API can decide it.
			fmt.Fprintf(a.log, "[edgecd] could not post the approval message: %v\n", err)
			s.log.Warn("post approval message", "pipeline", run.Pipeline, "run", run.ID, "err", err)
		}
	}
	return nil, nil
}

func (s *Service) postApproval(ctx context.Context, hook string, a *actionCall, run Run, token string) error {
	link := a.get("link", "")
	if link == "" && s.opt.Link != "" {
		link = strings.TrimRight(s.opt.Link, "/") + "/pipelines/" + run.Pipeline + "/runs/" + run.ID
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Pipeline *%s* run `%s` waits for approval (stage %s, action %s).\n", run.Pipeline, run.ID, a.in.Stage, a.in.Action)
	if msg := a.get("message", ""); msg != "" {
		fmt.Fprintf(&b, "%s\n", msg)
	}
	for name, c := range run.Commits {
		fmt.Fprintf(&b, "%s: %s\n", name, short(c))
	}
	fmt.Fprintf(&b, "Approve: `edgecd pipeline approve %s --comment \"...\"`\n", run.ID)
	fmt.Fprintf(&b, "Reject: `edgecd pipeline reject %s --comment \"...\"`\n", run.ID)
	fmt.Fprintf(&b, "Or: `aws codepipeline put-approval-result --pipeline-name %s --stage-name %s --action-name %s --token %s --result summary=ok,status=Approved`\n",
		run.Pipeline, a.in.Stage, a.in.Action, token)
	if link != "" {
		fmt.Fprintf(&b, "<%s|Open the run>\n", link)
	}
	body, _ := json.Marshal(map[string]string{"text": b.String()})
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.opt.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the webhook answered %s", resp.Status)
	}
	return nil
}

// Decision approves or rejects a waiting approval. Run or Pipeline (its
// active run) must be given; Stage, Action and Token narrow the choice
// when a run waits on more than one.
type Decision struct {
	Pipeline, Run, Stage, Action, Token string
	Result                              string // Approved or Rejected
	By                                  string // who decided (the caller's ARN or name)
	Comment                             string
}

// Decide records a decision and hands it to the waiting run: approve
// continues it, reject fails the action with error "Rejected" (and the
// run with it), which the pipeline's cleanup rule turns into an abort.
func (s *Service) Decide(ctx context.Context, d Decision) (Run, Approval, error) {
	if d.Result != Approved && d.Result != Rejected {
		return Run{}, Approval{}, fmt.Errorf("approval result %q: use Approved or Rejected", d.Result)
	}
	run, stage, act, err := s.waiting(ctx, d)
	if err != nil {
		return Run{}, Approval{}, err
	}
	ap := Approval{Result: d.Result, By: d.By, At: s.now(), Comment: d.Comment}
	var token string
	if _, err := s.updateRun(ctx, run.Pipeline, run.ID, func(r *Run) error {
		_, a := r.action(stage, act)
		if a == nil || a.Status != StatusInProgress || a.Token == "" {
			return fmt.Errorf("%w: action %s of run %s was decided meanwhile", ErrNotWaiting, act, run.ID)
		}
		token, a.Approval = a.Token, &ap
		return nil
	}); err != nil {
		return Run{}, Approval{}, err
	}
	if d.Result == Approved {
		out, _ := json.Marshal(map[string]string{"Result": Approved, "ApprovedBy": d.By, "Comment": d.Comment})
		err = s.engine.SendTaskSuccess(ctx, token, out)
	} else {
		cause := d.Comment
		if cause == "" {
			cause = "rejected by " + d.By
		}
		err = s.engine.SendTaskFailure(ctx, token, Rejected, cause)
	}
	if err != nil {
		s.updateRun(ctx, run.Pipeline, run.ID, func(r *Run) error {
			if _, a := r.action(stage, act); a != nil && a.Approval != nil && a.Approval.At.Equal(ap.At) {
				a.Approval = nil
			}
			return nil
		})
		if errors.Is(err, flow.ErrTaskNotFound) || errors.Is(err, flow.ErrTaskTimedOut) {
			return Run{}, Approval{}, fmt.Errorf("%w: the approval of run %s has already ended (timed out or decided)", ErrNotWaiting, run.ID)
		}
		return Run{}, Approval{}, err
	}
	changed := false
	run, err = s.updateRun(ctx, run.Pipeline, run.ID, func(r *Run) error {
		changed = false
		st, a := r.action(stage, act)
		if a == nil || a.Status != StatusInProgress {
			return nil // the run's end was recorded first (OnStatus)
		}
		changed = true
		a.End, a.Token, a.Approval = s.now(), "", &ap
		a.Summary = strings.TrimSpace(strings.ToLower(d.Result) + " by " + d.By + ": " + d.Comment)
		if d.Result == Approved {
			a.Status = StatusSucceeded
			for _, o := range st.Actions {
				if o.Status != StatusSucceeded {
					return nil
				}
			}
			st.Status, st.End = StatusSucceeded, s.now()
			return nil
		}
		a.Status, a.Error = StatusFailed, Rejected
		st.Status, st.End = StatusFailed, s.now()
		return nil
	})
	if err != nil {
		return Run{}, Approval{}, err
	}
	if changed {
		st, a := run.action(stage, act)
		s.emitAction(ctx, run, stage, *a, eventState(a.Status))
		if st.Status != StatusInProgress {
			s.emitStage(ctx, run, stage, eventState(st.Status))
		}
	}
	return run, ap, nil
}

// waiting finds the approval a decision is about.
func (s *Service) waiting(ctx context.Context, d Decision) (Run, string, string, error) {
	id := d.Run
	if id == "" {
		if d.Pipeline == "" {
			return Run{}, "", "", errors.New("name the run (or the pipeline) to approve")
		}
		l, _, err := getJSON[lane](ctx, s.st.Get, kindLane, d.Pipeline)
		if err != nil || l.Active == "" {
			if _, perr := s.Pipeline(ctx, d.Pipeline); perr != nil {
				return Run{}, "", "", perr
			}
			return Run{}, "", "", fmt.Errorf("%w: pipeline %s has no run in progress", ErrNotWaiting, d.Pipeline)
		}
		id = l.Active
	}
	run, err := s.Run(ctx, d.Pipeline, id)
	if err != nil {
		return Run{}, "", "", err
	}
	var found []string
	for _, st := range run.Stages {
		for _, a := range st.Actions {
			if a.Status != StatusInProgress || a.Token == "" {
				continue
			}
			if (d.Stage != "" && d.Stage != st.Name) || (d.Action != "" && d.Action != a.Name) || (d.Token != "" && d.Token != a.Token) {
				continue
			}
			found = append(found, st.Name+"\x00"+a.Name)
		}
	}
	switch len(found) {
	case 0:
		if d.Token != "" {
			return Run{}, "", "", fmt.Errorf("%w: no approval of run %s has this token (it may have ended; see `edgecd pipeline status %s`)", ErrNotWaiting, run.ID, run.Pipeline)
		}
		return Run{}, "", "", fmt.Errorf("%w: run %s is %s and waits for no approval", ErrNotWaiting, run.ID, run.Status)
	case 1:
		stage, act, _ := strings.Cut(found[0], "\x00")
		return run, stage, act, nil
	}
	return Run{}, "", "", fmt.Errorf("run %s waits for %d approvals: say which with --stage and --action", run.ID, len(found))
}
