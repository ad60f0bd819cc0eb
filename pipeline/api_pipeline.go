package pipeline

import (
	"context"
	"time"
)

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

// namedPipeline reads a request naming a pipeline (name), authorizes the
// operation on it and loads it.
func (a *API) namedPipeline(ctx context.Context, body []byte) (Pipeline, error) {
	var in nameReq
	if err := a.request(ctx, body, &in, &in.Name, field{"name", &in.Name}); err != nil {
		return Pipeline{}, err
	}
	return a.s.Pipeline(ctx, in.Name)
}

// getPipeline describes a pipeline in CodePipeline's declaration shape;
// each action's configuration is its with: settings as written.
func (a *API) getPipeline(ctx context.Context, body []byte) (any, error) {
	p, err := a.namedPipeline(ctx, body)
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
	p, err := a.namedPipeline(ctx, body)
	if err != nil {
		return nil, err
	}
	runs, err := a.s.Runs(ctx, p.Name, 0)
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
