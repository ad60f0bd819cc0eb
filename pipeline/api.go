package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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

// field is a required member of a request: its wire name and where
// Decode puts its value (read only after decoding).
type field struct {
	name  string
	value *string
}

// decode reads an operation's JSON body into in and checks its required
// fields in order, answering as CodePipeline does for the first missing one.
func decode(body []byte, in any, required ...field) error {
	if err := awsjson.Decode(body, in); err != nil {
		return err
	}
	for _, f := range required {
		if err := awsjson.Required(f.name, *f.value); err != nil {
			return err
		}
	}
	return nil
}

// request decodes and checks a request (see decode), then authorizes the
// operation on the pipeline it names. A malformed request is refused before
// authorization, as CodePipeline validates first.
func (a *API) request(ctx context.Context, body []byte, in any, pipeline *string, required ...field) error {
	if err := decode(body, in, required...); err != nil {
		return err
	}
	return a.authorize(ctx, *pipeline)
}

// runOf finds the run an Edgecd operation names (by id, the pipeline
// optional) and authorizes the operation on the run's pipeline.
func (a *API) runOf(ctx context.Context, pipeline, id string) (Run, error) {
	r, err := a.s.Run(ctx, pipeline, id)
	if err != nil {
		return Run{}, err
	}
	if err := a.authorize(ctx, r.Pipeline); err != nil {
		return Run{}, err
	}
	return r, nil
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

type nameReq struct {
	Name                string `json:"name"`
	PipelineName        string `json:"pipelineName"`
	PipelineExecutionID string `json:"pipelineExecutionId"`
	StageName           string `json:"stageName"`
	ActionName          string `json:"actionName"`
	MaxResults          int    `json:"maxResults"`
}
