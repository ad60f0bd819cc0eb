package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/edgecd/edgecd/events"
	"github.com/edgecd/edgecd/pipeline/spec"
)

// The event shapes are CodePipeline's (EventBridge "CodePipeline ...
// Execution State Change" events, source aws.codepipeline, the pipeline's
// ARN as the only resource), so rules written for the cloud match them.
const (
	eventSource     = "aws.codepipeline"
	typePipeline    = "CodePipeline Pipeline Execution State Change"
	typeStage       = "CodePipeline Stage Execution State Change"
	typeAction      = "CodePipeline Action Execution State Change"
	cleanupRuleName = "edgecd-pipeline-%s-cleanup"
)

// AbortTarget is the event-rule target ARN that runs the abort sequence of
// a staged release (seed 001's cleanup); its input names the primary.
const AbortTarget = "arn:edgecd:pipeline:::action/release.abort"

// eventState maps a run, stage or action status to the event's state.
func eventState(status string) string {
	switch status {
	case StatusInProgress:
		return "STARTED"
	case StatusSucceeded:
		return "SUCCEEDED"
	case StatusFailed:
		return "FAILED"
	case StatusStopped:
		return "STOPPED"
	case StatusSuperseded:
		return "SUPERSEDED"
	case "Abandoned":
		return "ABANDONED"
	}
	return strings.ToUpper(status)
}

// category is CodePipeline's action category of a kind.
func category(kind string) (cat, provider string) {
	switch kind {
	case spec.KindSourceGit:
		return "Source", "EdgecdGit"
	case spec.KindBuild:
		return "Build", "EdgecdBuild"
	case spec.KindApproval:
		return "Approval", "Manual"
	case spec.KindStepFunctions:
		return "Invoke", "StepFunctions"
	case spec.KindHTTP:
		return "Invoke", "EdgecdHTTP"
	}
	return "Deploy", "Edgecd" + strings.NewReplacer(".", "", "-", "").Replace(strings.ToUpper(kind[:1])+kind[1:])
}

func (s *Service) emit(ctx context.Context, detailType string, pipeline string, detail map[string]any) {
	if s.opt.Bus == nil {
		return
	}
	detail["pipeline"] = pipeline
	detail["region"] = s.opt.Region
	b, err := json.Marshal(detail)
	if err != nil {
		return
	}
	res, err := s.opt.Bus.PutTrusted(ctx, []events.Entry{{
		Source: eventSource, DetailType: detailType, Detail: string(b), Resources: []string{s.ARN(pipeline)}, Time: s.now(),
	}})
	if err == nil && len(res) == 1 && res[0].ErrorCode != "" {
		err = fmt.Errorf("%s: %s", res[0].ErrorCode, res[0].ErrorMessage)
	}
	if err != nil {
		s.log.Error("put pipeline event", "type", detailType, "pipeline", pipeline, "err", err)
	}
}

func (s *Service) emitPipeline(ctx context.Context, pipeline, run, state string, t Trigger) {
	d := map[string]any{"execution-id": run, "state": state, "version": s.version(ctx, pipeline)}
	if t.Type != "" {
		d["execution-trigger"] = map[string]string{"trigger-type": t.Type, "trigger-detail": t.Detail}
	}
	s.emit(ctx, typePipeline, pipeline, d)
}

func (s *Service) emitStage(ctx context.Context, r Run, stage, state string) {
	s.emit(ctx, typeStage, r.Pipeline, map[string]any{"execution-id": r.ID, "stage": stage, "state": state, "version": r.Version})
}

func (s *Service) emitAction(ctx context.Context, r Run, stage string, a ActionRun, state string) {
	cat, provider := category(a.Kind)
	d := map[string]any{
		"execution-id": r.ID, "stage": stage, "action": a.Name, "state": state, "version": r.Version,
		"type": map[string]string{"owner": "AWS", "category": cat, "provider": provider, "version": "1"},
	}
	if state == "SUCCEEDED" || state == "FAILED" || state == "ABANDONED" {
		res := map[string]any{"external-execution-summary": a.Summary}
		if a.Error != "" {
			res["error-code"] = a.Error
		}
		d["execution-result"] = res
	}
	s.emit(ctx, typeAction, r.Pipeline, d)
}

func (s *Service) version(ctx context.Context, pipeline string) int64 {
	p, err := s.Pipeline(ctx, pipeline)
	if err != nil {
		return 0
	}
	return p.Version
}

// cleanupInput is what the cleanup rule hands AbortTarget.
type cleanupInput struct {
	Pipeline     string `json:"pipeline"`
	Primary      string `json:"primary"`
	Service      string `json:"service,omitempty"`
	VersionParam string `json:"version_param,omitempty"`
	StagingParam string `json:"staging_param,omitempty"`
}

// installRule ships seed 001's rule with the pipeline: when an approval
// action fails (rejected, or timed out) or any later action fails, abort
// the release the pipeline's release.stage action staged. The pattern is
// the seed's own ({"stage": [...], "action": [...], "state": ["FAILED"]}),
// listing the stages from the first release.stage on and their actions. A
// pipeline without release.stage, or with cleanup.on_reject off, has no
// rule (an older one is removed).
func (s *Service) installRule(ctx context.Context, p *spec.Pipeline) error {
	if s.opt.Bus == nil {
		return nil
	}
	name := fmt.Sprintf(cleanupRuleName, p.Name)
	var stages, actions []string
	var in *cleanupInput
	for _, st := range p.Stages {
		for _, a := range st.Actions {
			if a.Kind == spec.KindReleaseStage && in == nil {
				// The run's own value is used when it has one (a run may
				// override the variable); this is the fallback.
				primary, err := spec.Expand(a.With["primary"], spec.Vars{spec.NamespacePipeline: p.Variables, spec.NamespaceVariables: p.Variables})
				if err != nil {
					primary = ""
				}
				in = &cleanupInput{Pipeline: p.Name, Primary: primary, Service: p.Name}
			}
		}
		if in != nil {
			stages = append(stages, st.Name)
			for _, a := range st.Actions {
				actions = appendNew(actions, a.Name)
			}
		}
	}
	if !p.Cleanup.OnReject || in == nil {
		if _, err := s.opt.Bus.Rule(ctx, "", name); err == nil {
			return s.opt.Bus.DeleteRule(ctx, "", name)
		}
		return nil
	}
	pattern, _ := json.Marshal(map[string]any{
		"source":      []string{eventSource},
		"detail-type": []string{typeAction},
		"resources":   []string{s.ARN(p.Name)},
		"detail":      map[string]any{"stage": stages, "action": actions, "state": []string{"FAILED"}},
	})
	if _, err := s.opt.Bus.PutRule(ctx, events.Rule{Name: name, EventPattern: string(pattern),
		Description: "edgecd: abort the staged release of pipeline " + p.Name + " when its approval is rejected or times out, or a later action fails (seed 001)"}); err != nil {
		return err
	}
	input, _ := json.Marshal(in)
	fails, err := s.opt.Bus.PutTargets(ctx, "", name, []events.Target{{ID: "release-abort", ARN: AbortTarget, Input: string(input)}})
	if err == nil && len(fails) > 0 {
		err = fmt.Errorf("%s: %s", fails[0].ErrorCode, fails[0].ErrorMessage)
	}
	return err
}

func appendNew(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// abortTarget runs release.Client.Abort for a cleanup rule: the primary
// keeps serving what it served, the staging distribution and its policy
// are deleted, and the staging parameter says "deleted".
func (s *Service) abortTarget(ctx context.Context, ev events.Event, input json.RawMessage) error {
	var in cleanupInput
	if err := json.Unmarshal(input, &in); err != nil {
		return fmt.Errorf("%w: the cleanup target's input is not JSON: %v", events.ErrPermanent, err)
	}
	var d struct {
		Run string `json:"execution-id"`
	}
	json.Unmarshal(ev.Detail, &d)
	if r, err := s.Run(ctx, in.Pipeline, d.Run); err == nil {
		for _, st := range r.Stages {
			for _, a := range st.Actions {
				if p := a.Outputs["PrimaryDistributionId"]; a.Kind == spec.KindReleaseStage && p != "" {
					in.Primary = p
				}
			}
		}
	}
	if in.Primary == "" {
		return fmt.Errorf("%w: no primary distribution to clean up: the run staged nothing and the rule's input names none", events.ErrPermanent)
	}
	c, err := s.releaseClient(ctx, in.Service, in.VersionParam, in.StagingParam, nil)
	if err != nil {
		return err
	}
	s.log.Info("cleanup after a failed approval", "pipeline", in.Pipeline, "primary", in.Primary, "event", ev.ID)
	if err := c.Abort(ctx, in.Primary); err != nil {
		return fmt.Errorf("abort the release staged on %s: %w", in.Primary, err)
	}
	if d.Run != "" {
		s.updateRun(ctx, in.Pipeline, d.Run, func(r *Run) error {
			r.Summary = strings.TrimPrefix(r.Summary+"; cleanup: staged release aborted, primary untouched", "; ")
			return nil
		})
	}
	return nil
}
