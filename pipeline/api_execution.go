package pipeline

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/edgecd/edgecd/internal/awsjson"
)

func (a *API) startPipelineExecution(ctx context.Context, body []byte) (any, error) {
	var in struct {
		Name      string `json:"name"`
		Variables []struct {
			Name, Value string
		} `json:"variables"`
		SourceRevisions []struct {
			ActionName    string `json:"actionName"`
			RevisionType  string `json:"revisionType"`
			RevisionValue string `json:"revisionValue"`
		} `json:"sourceRevisions"`
	}
	if err := a.request(ctx, body, &in, &in.Name, field{"name", &in.Name}); err != nil {
		return nil, err
	}
	req := StartRequest{Pipeline: in.Name, Commits: map[string]string{}, Variables: map[string]string{},
		Trigger: Trigger{Type: "StartPipelineExecution", Detail: a.caller(ctx)}}
	for _, v := range in.Variables {
		req.Variables[v.Name] = v.Value
	}
	for _, r := range in.SourceRevisions {
		if r.RevisionType != "" && r.RevisionType != "COMMIT_ID" {
			return nil, awsjson.Validation(fmt.Sprintf("revisionType %s: edgecd pins sources by COMMIT_ID only", r.RevisionType))
		}
		req.Commits[r.ActionName] = r.RevisionValue
	}
	run, err := a.s.Start(ctx, req)
	if err != nil {
		return nil, err
	}
	return map[string]string{"pipelineExecutionId": run.ID}, nil
}

func (a *API) executionSummary(r Run) map[string]any {
	var revs []map[string]string
	for name, c := range r.Commits {
		revs = append(revs, map[string]string{"actionName": name, "revisionId": c})
	}
	slices.SortFunc(revs, func(x, y map[string]string) int { return strings.Compare(x["actionName"], y["actionName"]) })
	status := r.Status
	if status == StatusQueued {
		status = StatusInProgress // CodePipeline has no Queued; its summary says so
	}
	return map[string]any{
		"pipelineExecutionId": r.ID, "status": status, "statusSummary": r.Summary, "startTime": epoch(r.Start), "lastUpdateTime": epoch(r.Updated),
		"sourceRevisions": revs, "trigger": map[string]string{"triggerType": r.Trigger.Type, "triggerDetail": r.Trigger.Detail},
		"executionMode": "SUPERSEDED",
	}
}

func (a *API) listPipelineExecutions(ctx context.Context, body []byte) (any, error) {
	var in nameReq
	if err := a.request(ctx, body, &in, &in.PipelineName, field{"pipelineName", &in.PipelineName}); err != nil {
		return nil, err
	}
	runs, err := a.s.Runs(ctx, in.PipelineName, in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, r := range runs {
		out = append(out, a.executionSummary(r))
	}
	return map[string]any{"pipelineExecutionSummaries": out}, nil
}

func (a *API) getPipelineExecution(ctx context.Context, body []byte) (any, error) {
	var in nameReq
	if err := a.request(ctx, body, &in, &in.PipelineName,
		field{"pipelineName", &in.PipelineName}, field{"pipelineExecutionId", &in.PipelineExecutionID}); err != nil {
		return nil, err
	}
	r, err := a.s.Run(ctx, in.PipelineName, in.PipelineExecutionID)
	if err != nil {
		return nil, err
	}
	x := a.executionSummary(r)
	x["pipelineName"], x["pipelineVersion"] = r.Pipeline, r.Version
	x["artifactRevisions"] = x["sourceRevisions"]
	delete(x, "sourceRevisions")
	return map[string]any{"pipelineExecution": x}, nil
}

func (a *API) putApprovalResult(ctx context.Context, body []byte) (any, error) {
	var in struct {
		PipelineName string `json:"pipelineName"`
		StageName    string `json:"stageName"`
		ActionName   string `json:"actionName"`
		Token        string `json:"token"`
		Result       *struct {
			Summary string `json:"summary"`
			Status  string `json:"status"`
		} `json:"result"`
	}
	// Not a.request: result.status is in a nested member that may be
	// absent, and a missing result is reported before the other fields.
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Result == nil {
		return nil, awsjson.Required("result", "")
	}
	if err := awsjson.Required("pipelineName", in.PipelineName, "stageName", in.StageName, "actionName", in.ActionName, "token", in.Token, "result.status", in.Result.Status); err != nil {
		return nil, err
	}
	if err := a.authorize(ctx, in.PipelineName); err != nil {
		return nil, err
	}
	_, ap, err := a.s.Decide(ctx, Decision{Pipeline: in.PipelineName, Stage: in.StageName, Action: in.ActionName, Token: in.Token,
		Result: in.Result.Status, Comment: in.Result.Summary, By: a.caller(ctx)})
	if err != nil {
		if errors.Is(err, ErrNotWaiting) && strings.Contains(err.Error(), "token") {
			return nil, &awsjson.Error{Code: "InvalidApprovalTokenException", Message: err.Error(), Status: http.StatusBadRequest}
		}
		return nil, err
	}
	return map[string]any{"approvedAt": epoch(ap.At)}, nil
}

func (a *API) stopPipelineExecution(ctx context.Context, body []byte) (any, error) {
	var in struct {
		PipelineName        string `json:"pipelineName"`
		PipelineExecutionID string `json:"pipelineExecutionId"`
		Reason              string `json:"reason"`
	}
	if err := a.request(ctx, body, &in, &in.PipelineName,
		field{"pipelineName", &in.PipelineName}, field{"pipelineExecutionId", &in.PipelineExecutionID}); err != nil {
		return nil, err
	}
	r, err := a.s.Stop(ctx, in.PipelineName, in.PipelineExecutionID, in.Reason)
	if err != nil {
		return nil, err
	}
	return map[string]string{"pipelineExecutionId": r.ID}, nil
}

func (a *API) retryStageExecution(ctx context.Context, body []byte) (any, error) {
	var in nameReq
	if err := a.request(ctx, body, &in, &in.PipelineName,
		field{"pipelineName", &in.PipelineName}, field{"pipelineExecutionId", &in.PipelineExecutionID}); err != nil {
		return nil, err
	}
	r, err := a.s.Retry(ctx, in.PipelineName, in.PipelineExecutionID, in.StageName)
	if err != nil {
		return nil, err
	}
	return map[string]string{"pipelineExecutionId": r.ID}, nil
}
