package pipeline

import (
	"context"
	"fmt"
	"strings"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/pipeline/spec"
)

// OnStatus follows the flow executions of pipeline runs: at their end it
// records the run's outcome, fails or abandons the actions still in
// progress (a timed-out approval becomes a FAILED action, which the
// cleanup rule sees), emits the events and starts the next queued run.
// Wire it into flow.Options.OnStatus.
func (s *Service) OnStatus(ctx context.Context, x flow.Execution) {
	name, ok := s.pipelineOf(x.Machine)
	if !ok || x.Status == asl.Running {
		return
	}
	status, actionStatus := StatusFailed, StatusFailed
	switch x.Status {
	case asl.Succeeded:
		status = StatusSucceeded
	case asl.Aborted:
		status, actionStatus = StatusStopped, "Abandoned"
	}
	var ended []actionEnd
	changed := false
	run, err := s.updateRun(ctx, name, x.Name, func(r *Run) error {
		ended, changed = nil, false
		if r.Done() {
			return nil
		}
		changed = true
		r.Status, r.End = status, s.now()
		if f, ok := spec.ParseFailure(x.Cause); ok {
			r.Summary = fmt.Sprintf("action %s of stage %s failed: %s: %s", f.Action, f.Stage, f.Error, f.Cause)
		} else if x.Error != "" {
			r.Summary = strings.TrimSpace(x.Error + ": " + x.Cause)
		}
		for i := range r.Stages {
			st := &r.Stages[i]
			for j := range st.Actions {
				a := &st.Actions[j]
				if a.Status != StatusInProgress {
					continue
				}
				a.Status, a.End, a.Token = actionStatus, s.now(), ""
				switch f, ok := spec.ParseFailure(x.Cause); {
				case a.Approval != nil && a.Approval.Result == Rejected:
					a.Error, a.Summary = Rejected, "rejected by "+a.Approval.By+": "+a.Approval.Comment
				case ok && f.Stage == st.Name && f.Action == a.Name:
					a.Error, a.Summary = f.Error, f.Cause
				case a.Error == "":
					a.Error, a.Summary = x.Error, x.Cause
				}
				if a.Error == "States.Timeout" {
					a.Summary = "timed out: " + a.Summary
				}
				ended = append(ended, actionEnd{stage: st.Name, action: *a})
			}
			if st.Status == StatusInProgress {
				st.Status, st.End = stageStatus(status), s.now()
			}
		}
		return nil
	})
	if err != nil {
		s.log.Error("record the end of a pipeline run", "pipeline", name, "run", x.Name, "err", err)
		return
	}
	for _, e := range ended {
		s.emitAction(ctx, run, e.stage, e.action, eventState(e.action.Status))
		s.emitStage(ctx, run, e.stage, eventState(stageStatus(status)))
	}
	if changed {
		s.emitPipeline(ctx, name, run.ID, eventState(status), Trigger{})
	}
	if err := s.advance(ctx, name); err != nil {
		s.log.Error("start the next pipeline run", "pipeline", name, "err", err)
	}
}

type actionEnd struct {
	stage  string
	action ActionRun
}

func stageStatus(runStatus string) string {
	if runStatus == StatusSucceeded {
		return StatusSucceeded
	}
	return runStatus
}

func (s *Service) pipelineOf(machineARN string) (string, bool) {
	i := strings.LastIndex(machineARN, ":edgecd-pipeline-")
	if i < 0 {
		return "", false
	}
	return machineARN[i+len(":edgecd-pipeline-"):], true
}
