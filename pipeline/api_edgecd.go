package pipeline

import (
	"context"
	"errors"

	"github.com/edgecd/edgecd/internal/awsjson"
)

type definitionReq struct {
	File       string `json:"file"`
	Definition string `json:"definition"`
}

func (a *API) putPipeline(ctx context.Context, body []byte) (any, error) {
	var in definitionReq
	if err := decode(body, &in, field{"definition", &in.Definition}); err != nil {
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
	if err := decode(body, &in); err != nil {
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
	if err := decode(body, &in, field{"pipelineExecutionId", &in.PipelineExecutionID}); err != nil {
		return nil, err
	}
	r, err := a.runOf(ctx, in.PipelineName, in.PipelineExecutionID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"run": r}, nil
}

func (a *API) listRuns(ctx context.Context, body []byte) (any, error) {
	var in nameReq
	if err := a.request(ctx, body, &in, &in.PipelineName); err != nil {
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
	if err := decode(body, &in, field{"pipelineExecutionId", &in.PipelineExecutionID}); err != nil {
		return nil, err
	}
	r, err := a.runOf(ctx, in.PipelineName, in.PipelineExecutionID)
	if err != nil {
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
	if err := decode(body, &in, field{"status", &in.Status}); err != nil {
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
