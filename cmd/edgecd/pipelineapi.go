package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/edgecd/edgecd/pipeline"
)

// pipelineAPI calls edgecd's CodePipeline JSON 1.1 API, signed with SigV4
// (service codepipeline) from the standard AWS credential chain.
type pipelineAPI struct {
	endpoint string
	cfg      aws.Config
	http     *http.Client
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
	return &pipelineAPI{endpoint: strings.TrimRight(endpoint, "/"), cfg: cfg, http: &http.Client{Timeout: 60 * time.Second}}, nil
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
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("--endpoint-url %q: %w", c.endpoint, err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", pipeline.APITargetPrefix+op)
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to edgecd's key (%w)", err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "codepipeline", c.cfg.Region, time.Now()); err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("call %s: %w (is edgecd running at %s?)", op, err, c.endpoint)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		json.Unmarshal(b, &e)
		if e.Type == "" {
			return fmt.Errorf("%s answered %s: %s", c.endpoint, resp.Status, strings.TrimSpace(string(b)))
		}
		return &apiError{Code: e.Type, Message: e.Message, Status: resp.StatusCode}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// run fetches one run (its pipeline found from the id).
func (c *pipelineAPI) run(ctx context.Context, id string) (pipeline.Run, error) {
	var out struct{ Run pipeline.Run }
	err := c.call(ctx, "EdgecdGetRun", map[string]string{"pipelineExecutionId": id}, &out)
	return out.Run, err
}
