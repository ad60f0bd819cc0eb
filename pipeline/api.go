package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/edgecd/edgecd/internal/awsjson"
	"github.com/edgecd/edgecd/pipeline/source"
	"github.com/edgecd/edgecd/store"
)

// APITargetPrefix is the X-Amz-Target prefix of the CodePipeline JSON 1.1
// API; the SigV4 service name is "codepipeline".
const APITargetPrefix = "CodePipeline_20150709."

// APIConfig connects the API to the protocol layer.
type APIConfig struct {
	// Authorize says whether the request's principal may perform action
	// (codepipeline:GetPipelineState, ...) on resource; nil allows all.
	Authorize func(ctx context.Context, action, resource string) error
	// Caller names the request's principal (recorded as the approver).
	Caller func(ctx context.Context) string
}

// API serves a subset of CodePipeline's JSON 1.1 API (so `aws codepipeline
// get-pipeline-state`, `put-approval-result`, ... work), plus edgecd's own
// operations, prefixed Edgecd, for what CodePipeline has no shape for:
// a definition as YAML, a run with every stage's durations, action logs.
type API struct {
	s   *Service
	cfg APIConfig
	ops map[string]apiOp
}

type apiOp struct {
	action string // the IAM action
	fn     func(ctx context.Context, body []byte) (any, error)
}

var apiProtocol = awsjson.Protocol{TargetPrefix: APITargetPrefix, ContentType: "application/x-amz-json-1.1", MaxBody: 2 << 20}

// API returns the service's API handler.
func (s *Service) API(cfg APIConfig) *API {
	a := &API{s: s, cfg: cfg}
	a.ops = map[string]apiOp{
		"ListPipelines":          {"codepipeline:ListPipelines", a.listPipelines},
		"GetPipeline":            {"codepipeline:GetPipeline", a.getPipeline},
		"GetPipelineState":       {"codepipeline:GetPipelineState", a.getPipelineState},
		"StartPipelineExecution": {"codepipeline:StartPipelineExecution", a.startPipelineExecution},
		"ListPipelineExecutions": {"codepipeline:ListPipelineExecutions", a.listPipelineExecutions},
		"GetPipelineExecution":   {"codepipeline:GetPipelineExecution", a.getPipelineExecution},
		"PutApprovalResult":      {"codepipeline:PutApprovalResult", a.putApprovalResult},
		"StopPipelineExecution":  {"codepipeline:StopPipelineExecution", a.stopPipelineExecution},
		"RetryStageExecution":    {"codepipeline:RetryStageExecution", a.retryStageExecution},
		"EdgecdPutPipeline":      {"codepipeline:UpdatePipeline", a.putPipeline},
		"EdgecdValidatePipeline": {"codepipeline:GetPipeline", a.validatePipeline},
		"EdgecdGetRun":           {"codepipeline:GetPipelineExecution", a.getRun},
		"EdgecdListRuns":         {"codepipeline:ListPipelineExecutions", a.listRuns},
		"EdgecdGetActionLog":     {"codepipeline:GetPipelineExecution", a.getActionLog},
		"EdgecdDecide":           {"codepipeline:PutApprovalResult", a.decide},
	}
	return a
}

func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { apiProtocol.Serve(w, r, a.Call) }

// Call runs one operation on a JSON request body.
func (a *API) Call(ctx context.Context, operation string, body []byte) ([]byte, error) {
	op, ok := a.ops[operation]
	if !ok {
		return nil, &awsjson.Error{Code: "UnknownOperationException", Message: fmt.Sprintf("Operation %s is not supported by edgecd's CodePipeline API.", operation), Status: http.StatusBadRequest}
	}
	ctx = context.WithValue(ctx, opKey{}, op.action)
	out, err := op.fn(ctx, body)
	if err != nil {
		return nil, wireError(err)
	}
	return json.Marshal(out)
}

type opKey struct{}

// authorize checks the operation's IAM action on a pipeline.
func (a *API) authorize(ctx context.Context, pipeline string) error {
	if a.cfg.Authorize == nil {
		return nil
	}
	res := "*"
	if pipeline != "" {
		res = a.s.ARN(pipeline)
	}
	action, _ := ctx.Value(opKey{}).(string)
	return a.cfg.Authorize(ctx, action, res)
}

func (a *API) caller(ctx context.Context) string {
	if a.cfg.Caller != nil {
		if c := a.cfg.Caller(ctx); c != "" {
			return c
		}
	}
	return "unknown"
}

// wireError is the one table from domain errors to CodePipeline's codes.
func wireError(err error) error {
	var ae *awsjson.Error
	if errors.As(err, &ae) {
		return err
	}
	var c interface{ ErrorCode() string }
	if errors.As(err, &c) {
		return err // AccessDenied from the authorizer
	}
	table := []struct {
		err  error
		code string
	}{
		{ErrPipelineNotFound, "PipelineNotFoundException"},
		{ErrRunNotFound, "PipelineExecutionNotFoundException"},
		{ErrNotWaiting, "ApprovalAlreadyCompletedException"},
		{ErrInvalidDefinition, "InvalidStructureException"},
		{ErrUnknownCommit, "ValidationException"},
		{ErrUnknownSource, "ValidationException"},
		{ErrNotRetryable, "StageNotRetryableException"},
		{source.ErrUnknownBranch, "ValidationException"},
		{store.ErrConflict, "ConflictException"},
	}
	for _, t := range table {
		if errors.Is(err, t.err) {
			return &awsjson.Error{Code: t.code, Message: err.Error(), Status: http.StatusBadRequest}
		}
	}
	return &awsjson.Error{Code: "ValidationException", Message: err.Error(), Status: http.StatusBadRequest}
}

func epoch(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return float64(t.UnixMilli()) / 1000
}

func (a *API) listPipelines(ctx context.Context, body []byte) (any, error) {
	if err := a.authorize(ctx, ""); err != nil {
		return nil, err
	}
	ps, err := a.s.Pipelines(ctx)
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, p := range ps {
		out = append(out, map[string]any{"name": p.Name, "version": p.Version, "pipelineType": "V2", "executionMode": "SUPERSEDED",
			"created": epoch(p.Created), "updated": epoch(p.Updated)})
	}
	return map[string]any{"pipelines": out}, nil
}

type nameReq struct {
	Name                string `json:"name"`
	PipelineName        string `json:"pipelineName"`
	PipelineExecutionID string `json:"pipelineExecutionId"`
	StageName           string `json:"stageName"`
	ActionName          string `json:"actionName"`
	MaxResults          int    `json:"maxResults"`
}

// getPipeline describes a pipeline in CodePipeline's declaration shape;
// each action's configuration is its with: settings as written.
func (a *API) getPipeline(ctx context.Context, body []byte) (any, error) {
	var in nameReq
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("name", in.Name); err != nil {
		return nil, err
	}
	if err := a.authorize(ctx, in.Name); err != nil {
		return nil, err
	}
	p, err := a.s.Pipeline(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	sp, err := a.s.spec(p)
	if err != nil {
		return nil, err
	}
	stages := []map[string]any{}
	for _, st := range sp.Stages {
		actions := []map[string]any{}
		for _, ac := range st.Actions {
			cat, provider := category(ac.Kind)
			act := map[string]any{"name": ac.Name, "runOrder": ac.RunOrder, "configuration": ac.With,
				"actionTypeId": map[string]string{"category": cat, "owner": "AWS", "provider": provider, "version": "1"}}
			if ac.Namespace != "" {
				act["namespace"] = ac.Namespace
			}
			actions = append(actions, act)
		}
		stages = append(stages, map[string]any{"name": st.Name, "actions": actions})
	}
	return map[string]any{
		"pipeline": map[string]any{"name": p.Name, "version": p.Version, "pipelineType": "V2", "executionMode": "SUPERSEDED",
			"roleArn": "arn:aws:iam::" + a.s.opt.Account + ":role/edgecd-pipeline", "stages": stages},
		"metadata": map[string]any{"pipelineArn": a.s.ARN(p.Name), "created": epoch(p.Created), "updated": epoch(p.Updated)},
	}, nil
}

func (a *API) getPipelineState(ctx context.Context, body []byte) (any, error) {
	var in nameReq
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("name", in.Name); err != nil {
		return nil, err
	}
	if err := a.authorize(ctx, in.Name); err != nil {
		return nil, err
	}
	p, err := a.s.Pipeline(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	runs, err := a.s.Runs(ctx, in.Name, 0)
	if err != nil {
		return nil, err
	}
	sp, err := a.s.spec(p)
	if err != nil {
		return nil, err
	}
	var stages []map[string]any
	for _, st := range sp.Stages {
		ss := map[string]any{"stageName": st.Name}
		var actions []map[string]any
		// The latest execution of each stage and action is the newest run
		// that reached it, as in CodePipeline's console.
		for _, r := range runs {
			sr := findStage(r, st.Name)
			if sr == nil || sr.Status == "" || sr.Status == "Skipped" {
				continue
			}
			ss["latestExecution"] = map[string]any{"pipelineExecutionId": r.ID, "status": sr.Status}
			for _, ar := range sr.Actions {
				le := map[string]any{"actionExecutionId": r.ID + "/" + ar.Name, "status": ar.Status, "summary": ar.Summary, "lastStatusChange": epoch(latest(ar.Start, ar.End))}
				if ar.Status == "" {
					continue
				}
				if ar.Token != "" {
					le["token"] = ar.Token
				}
				if ar.Approval != nil {
					le["lastUpdatedBy"] = ar.Approval.By
				}
				if ar.Error != "" {
					le["errorDetails"] = map[string]string{"code": ar.Error, "message": ar.Summary}
				}
				actions = append(actions, map[string]any{"actionName": ar.Name, "latestExecution": le})
			}
			break
		}
		if actions != nil {
			ss["actionStates"] = actions
		}
		stages = append(stages, ss)
	}
	return map[string]any{"pipelineName": p.Name, "pipelineVersion": p.Version, "stageStates": stages, "created": epoch(p.Created), "updated": epoch(p.Updated)}, nil
}

func findStage(r Run, name string) *StageRun {
	for i := range r.Stages {
		if r.Stages[i].Name == name {
			return &r.Stages[i]
		}
	}
	return nil
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

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
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("name", in.Name); err != nil {
		return nil, err
	}
	if err := a.authorize(ctx, in.Name); err != nil {
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
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("pipelineName", in.PipelineName); err != nil {
		return nil, err
	}
	if err := a.authorize(ctx, in.PipelineName); err != nil {
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
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("pipelineName", in.PipelineName, "pipelineExecutionId", in.PipelineExecutionID); err != nil {
		return nil, err
	}
	if err := a.authorize(ctx, in.PipelineName); err != nil {
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
	if err := awsjson.Decode(body, &in); err != nil {
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
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("pipelineName", in.PipelineName, "pipelineExecutionId", in.PipelineExecutionID); err != nil {
		return nil, err
	}
	if err := a.authorize(ctx, in.PipelineName); err != nil {
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
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("pipelineName", in.PipelineName, "pipelineExecutionId", in.PipelineExecutionID); err != nil {
		return nil, err
	}
	if err := a.authorize(ctx, in.PipelineName); err != nil {
		return nil, err
	}
	r, err := a.s.Retry(ctx, in.PipelineName, in.PipelineExecutionID, in.StageName)
	if err != nil {
		return nil, err
	}
	return map[string]string{"pipelineExecutionId": r.ID}, nil
}

type definitionReq struct {
	File       string `json:"file"`
	Definition string `json:"definition"`
}

func (a *API) putPipeline(ctx context.Context, body []byte) (any, error) {
	var in definitionReq
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("definition", in.Definition); err != nil {
		return nil, err
	}
	if in.File == "" {
		in.File = "edgecd.pipeline.yaml"
	}
	sp, err := a.s.Validate(in.File, []byte(in.Definition))
	if err != nil {
		return nil, err
	}
	if err := a.authorize(ctx, sp.Name); err != nil {
		return nil, err
	}
	p, err := a.s.Put(ctx, in.File, []byte(in.Definition))
	if err != nil {
		return nil, err
	}
	return map[string]any{"name": p.Name, "version": p.Version, "pipelineArn": a.s.ARN(p.Name), "webhookPath": WebhookPath + p.Name}, nil
}

func (a *API) validatePipeline(ctx context.Context, body []byte) (any, error) {
	var in definitionReq
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if in.File == "" {
		in.File = "edgecd.pipeline.yaml"
	}
	if err := a.authorize(ctx, ""); err != nil {
		return nil, err
	}
	sp, err := a.s.Validate(in.File, []byte(in.Definition))
	var de *DefinitionError
	if errors.As(err, &de) {
		return map[string]any{"valid": false, "problems": de.Problems}, nil
	} else if err != nil {
		return nil, err
	}
	return map[string]any{"valid": true, "name": sp.Name, "problems": []string{}}, nil
}

func (a *API) getRun(ctx context.Context, body []byte) (any, error) {
	var in nameReq
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("pipelineExecutionId", in.PipelineExecutionID); err != nil {
		return nil, err
	}
	r, err := a.s.Run(ctx, in.PipelineName, in.PipelineExecutionID)
	if err != nil {
		return nil, err
	}
	if err := a.authorize(ctx, r.Pipeline); err != nil {
		return nil, err
	}
	return map[string]any{"run": r}, nil
}

func (a *API) listRuns(ctx context.Context, body []byte) (any, error) {
	var in nameReq
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := a.authorize(ctx, in.PipelineName); err != nil {
		return nil, err
	}
	var names []string
	if in.PipelineName != "" {
		names = []string{in.PipelineName}
	} else {
		ps, err := a.s.Pipelines(ctx)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			names = append(names, p.Name)
		}
	}
	runs := []Run{}
	for _, n := range names {
		rs, err := a.s.Runs(ctx, n, in.MaxResults)
		if err != nil {
			return nil, err
		}
		runs = append(runs, rs...)
	}
	return map[string]any{"runs": runs}, nil
}

func (a *API) getActionLog(ctx context.Context, body []byte) (any, error) {
	var in struct {
		nameReq
		Offset int64 `json:"offset"`
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("pipelineExecutionId", in.PipelineExecutionID); err != nil {
		return nil, err
	}
	r, err := a.s.Run(ctx, in.PipelineName, in.PipelineExecutionID)
	if err != nil {
		return nil, err
	}
	if err := a.authorize(ctx, r.Pipeline); err != nil {
		return nil, err
	}
	chunk, err := a.s.Log(ctx, r, in.StageName, in.ActionName, in.Offset, 256<<10)
	if err != nil {
		return nil, err
	}
	return chunk, nil
}

func (a *API) decide(ctx context.Context, body []byte) (any, error) {
	var in struct {
		nameReq
		Status  string `json:"status"`
		Comment string `json:"comment"`
	}
	if err := awsjson.Decode(body, &in); err != nil {
		return nil, err
	}
	if err := awsjson.Required("status", in.Status); err != nil {
		return nil, err
	}
	if in.PipelineExecutionID == "" && in.PipelineName == "" {
		return nil, awsjson.Validation("name the run (pipelineExecutionId) or the pipeline (pipelineName) to decide")
	}
	name := in.PipelineName
	if name == "" {
		r, err := a.s.Run(ctx, "", in.PipelineExecutionID)
		if err != nil {
			return nil, err
		}
		name = r.Pipeline
	}
	if err := a.authorize(ctx, name); err != nil {
		return nil, err
	}
	r, ap, err := a.s.Decide(ctx, Decision{Pipeline: name, Run: in.PipelineExecutionID, Stage: in.StageName, Action: in.ActionName,
		Result: in.Status, Comment: in.Comment, By: a.caller(ctx)})
	if err != nil {
		return nil, err
	}
	return map[string]any{"run": r, "approval": ap}, nil
}
