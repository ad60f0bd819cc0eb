package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/edgecd/edgecd/internal/awsjson"
	"github.com/edgecd/edgecd/pipeline"
)

// pipelineAPI calls edgecd's CodePipeline JSON 1.1 API, signed with SigV4
// (service codepipeline) from the standard AWS credential chain.
type pipelineAPI struct {
	client awsjson.Client
}

func newPipelineAPI(ctx context.Context, endpoint, region, profile string) (*pipelineAPI, error) {
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL_CODEPIPELINE")
	}
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	if endpoint == "" {
		return nil, fmt.Errorf("no edgecd endpoint: pass --endpoint-url http://127.0.0.1:PORT or set AWS_ENDPOINT_URL (edgecd up prints it)")
	}
	// The endpoint is used as is for edgecd's own operations, not as the
	// SDK's base endpoint.
	cfg, err := loadAWSConfig(ctx, "", region, profile)
	if err != nil {
		return nil, err
	}
	return &pipelineAPI{client: awsjson.Client{
		Protocol: awsjson.Protocol{TargetPrefix: pipeline.APITargetPrefix, ContentType: "application/x-amz-json-1.1"},
		Endpoint: strings.TrimRight(endpoint, "/"),
		Service:  "codepipeline",
		Config:   cfg,
		HTTP:     &http.Client{Timeout: 60 * time.Second},
	}}, nil
}

// apiError is an error answer of the API.
type apiError struct {
	Code, Message string
	Status        int
}

func (e *apiError) Error() string {
	hint := ""
	switch e.Code {
	case "UnrecognizedClientException", "InvalidSignatureException", "MissingAuthenticationTokenException":
		hint = "\nnext: use the access key edgecd printed at start (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY) or `edgecd up`'s dev key"
	case "AccessDeniedException":
		hint = "\nnext: use a key whose policy allows codepipeline:* on this pipeline"
	case "PipelineNotFoundException":
		hint = "\nnext: create it with `edgecd pipeline create edgecd.pipeline.yaml`"
	case "ApprovalAlreadyCompletedException":
		hint = "\nnext: see what the run is doing with `edgecd pipeline status RUN`"
	}
	return e.Message + " (" + e.Code + ")" + hint
}

func (c *pipelineAPI) call(ctx context.Context, op string, in, out any) error {
	err := c.client.Call(ctx, op, in, out)
	var e *awsjson.Error
	var ue *url.Error
	switch {
	case errors.As(err, &e) && e.Code == "":
		return fmt.Errorf("%s answered %d %s: %s", c.client.Endpoint, e.Status, http.StatusText(e.Status), e.Message)
	case e != nil:
		return &apiError{Code: e.Code, Message: e.Message, Status: e.Status}
	case errors.Is(err, awsjson.ErrNoCredentials):
		return fmt.Errorf("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to edgecd's key (%w)", err)
	case errors.As(err, &ue):
		return fmt.Errorf("%w (is edgecd running at %s?)", err, c.client.Endpoint)
	}
	return err
}

// run fetches one run (its pipeline found from the id).
func (c *pipelineAPI) run(ctx context.Context, id string) (pipeline.Run, error) {
	var out struct{ Run pipeline.Run }
	err := c.call(ctx, "EdgecdGetRun", map[string]string{"pipelineExecutionId": id}, &out)
	return out.Run, err
}
