package web

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// The pipeline pages read edgecd's CodePipeline API (the same operations
// `edgecd pipeline` uses) and pass its JSON through: the page renders
// pipeline.Run as the API defines it.

// pipelines lists the pipelines, each with its latest runs.
func (c *Console) pipelines(r *http.Request) (any, error) {
	var list struct {
		Pipelines []map[string]any `json:"pipelines"`
	}
	if err := c.call(r, pipelineAPI, "ListPipelines", map[string]any{}, &list); err != nil {
		return nil, err
	}
	if list.Pipelines == nil {
		list.Pipelines = []map[string]any{}
	}
	return list, nil
}

// runs lists a pipeline's runs, newest first (as the API orders them).
func (c *Console) runs(r *http.Request) (any, error) {
	n := 20
	if s := r.URL.Query().Get("max"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > 100 {
			return nil, badRequest("max must be a number from 1 to 100")
		}
		n = v
	}
	var out json.RawMessage
	err := c.call(r, pipelineAPI, "EdgecdListRuns", map[string]any{"pipelineName": r.PathValue("name"), "maxResults": n}, &out)
	return out, err
}

// run is one run with its stages, actions and approvals.
func (c *Console) run(r *http.Request) (any, error) {
	var out json.RawMessage
	err := c.call(r, pipelineAPI, "EdgecdGetRun", map[string]any{"pipelineExecutionId": r.PathValue("id")}, &out)
	return out, err
}

// logTailBytes is how much of an action's log the page shows.
const logTailBytes = 16 << 10

// actionLog returns the tail of an action's log (a build's output).
func (c *Console) actionLog(r *http.Request) (any, error) {
	q := r.URL.Query()
	if q.Get("stage") == "" || q.Get("action") == "" {
		return nil, badRequest("name the stage and the action (?stage=...&action=...)")
	}
	in := map[string]any{"pipelineExecutionId": r.PathValue("id"), "stageName": q.Get("stage"), "actionName": q.Get("action")}
	var tail string
	var chunk struct {
		Data       string `json:"data"`
		NextOffset int64  `json:"nextOffset"`
		Done       bool   `json:"done"`
		Status     string `json:"status"`
	}
	// The API reads 256 KiB per call from an offset and has no "last n
	// bytes": follow it to the end, keeping only the tail.
	for range maxLogReads {
		if err := c.call(r, pipelineAPI, "EdgecdGetActionLog", in, &chunk); err != nil {
			return nil, err
		}
		tail += chunk.Data
		if len(tail) > logTailBytes {
			tail = tail[len(tail)-logTailBytes:]
		}
		if len(chunk.Data) == 0 || chunk.Done || len(chunk.Data) < 256<<10 {
			break
		}
		in["offset"] = chunk.NextOffset
	}
	return map[string]any{"data": tail, "done": chunk.Done, "status": chunk.Status, "size": chunk.NextOffset}, nil
}

// maxLogReads bounds how far the log tail reads (256 KiB each).
const maxLogReads = 64

type decideRequest struct {
	Stage   string `json:"stage"`
	Action  string `json:"action"`
	Status  string `json:"status"` // Approved or Rejected
	Comment string `json:"comment"`
}

// decide approves or rejects a waiting approval, as `edgecd pipeline
// approve|reject RUN --comment ...` does.
func (c *Console) decide(r *http.Request) (any, error) {
	var in decideRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	if in.Status != "Approved" && in.Status != "Rejected" {
		return nil, badRequest(`status must be "Approved" or "Rejected"`)
	}
	var out json.RawMessage
	err := c.call(r, pipelineAPI, "EdgecdDecide", map[string]any{"pipelineExecutionId": r.PathValue("id"),
		"stageName": in.Stage, "actionName": in.Action, "status": in.Status, "comment": in.Comment}, &out)
	if err == nil {
		c.log.Info("console approval", "run", r.PathValue("id"), "status", in.Status, "by", keyARN(r))
	}
	return out, err
}

// start starts a run of a pipeline on its sources' latest commits.
func (c *Console) start(r *http.Request) (any, error) {
	var out json.RawMessage
	err := c.call(r, pipelineAPI, "StartPipelineExecution", map[string]any{"name": r.PathValue("name")}, &out)
	return out, err
}
