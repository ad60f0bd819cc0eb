package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/edgecd/edgecd/iam"
)

// jsonService is one of the node's JSON-protocol APIs.
type jsonService struct {
	name        string // SigV4 service name
	target      string // X-Amz-Target prefix
	contentType string
}

var (
	statesAPI   = jsonService{"states", "AWSStepFunctions.", "application/x-amz-json-1.0"}
	pipelineAPI = jsonService{"codepipeline", "CodePipeline_20150709.", "application/x-amz-json-1.1"}
)

// awsConfig is the SDK configuration for the request's key.
func (c *Console) awsConfig(r *http.Request) (aws.Config, error) {
	return c.opt.AWS(r.Context(), iam.PrincipalFrom(r.Context()).Key)
}

// call sends one operation of a JSON-protocol API to this node's API
// listener, signed with the request's key, and decodes the answer into
// out. An error answer becomes an *apiError with the service's code.
func (c *Console) call(r *http.Request, svc jsonService, op string, in, out any) error {
	cfg, err := c.awsConfig(r)
	if err != nil {
		return err
	}
	return callJSON(r.Context(), cfg, svc, op, in, out)
}

func callJSON(ctx context.Context, cfg aws.Config, svc jsonService, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	if cfg.BaseEndpoint == nil {
		return fmt.Errorf("the console has no API endpoint to call")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(*cfg.BaseEndpoint, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", svc.contentType)
	req.Header.Set("X-Amz-Target", svc.target+op)
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), svc.name, cfg.Region, time.Now()); err != nil {
		return err
	}
	client := http.DefaultClient
	if hc, ok := cfg.HTTPClient.(*http.Client); ok && hc != nil {
		client = hc
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("call %s %s: %w", svc.name, op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read the answer of %s %s: %w", svc.name, op, err)
	}
	if resp.StatusCode/100 != 2 {
		return serviceError(resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode the answer of %s %s: %w", svc.name, op, err)
	}
	return nil
}

// serviceError turns a JSON protocol error answer ({"__type", "message"})
// into the console's error, AccessDenied as 403.
func serviceError(status int, body []byte) error {
	var e struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	json.Unmarshal(body, &e)
	code := e.Type
	if i := strings.LastIndex(code, "#"); i >= 0 {
		code = code[i+1:]
	}
	if code == "" {
		code = "ServiceError"
	}
	msg := e.Message
	if msg == "" {
		msg = e.Message2
	}
	out := &apiError{status: status, code: code, msg: msg}
	if status >= 500 {
		out.status = http.StatusBadGateway
	}
	if strings.HasPrefix(code, "AccessDenied") {
		out.status = http.StatusForbidden
		out.hint = "this key's IAM policy does not allow it: use a key that may"
	}
	return out
}
