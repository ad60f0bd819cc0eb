package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/internal/awsjson"
)

// jsonService is one of the node's JSON-protocol APIs.
type jsonService struct {
	name string // SigV4 service name
	awsjson.Protocol
}

var (
	statesAPI   = jsonService{"states", awsjson.Protocol{TargetPrefix: "AWSStepFunctions.", ContentType: "application/x-amz-json-1.0"}}
	pipelineAPI = jsonService{"codepipeline", awsjson.Protocol{TargetPrefix: "CodePipeline_20150709.", ContentType: "application/x-amz-json-1.1"}}
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
	if cfg.BaseEndpoint == nil {
		return fmt.Errorf("the console has no API endpoint to call")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	client := &awsjson.Client{Protocol: svc.Protocol, Endpoint: *cfg.BaseEndpoint, Service: svc.name, Config: cfg}
	if hc, ok := cfg.HTTPClient.(*http.Client); ok && hc != nil {
		client.HTTP = hc
	}
	err := client.Call(ctx, op, in, out)
	var e *awsjson.Error
	if errors.As(err, &e) {
		return serviceError(e)
	}
	return err
}

// serviceError turns a JSON protocol error answer into the console's
// error, AccessDenied as 403.
func serviceError(e *awsjson.Error) error {
	code := e.Code
	if code == "" {
		code = "ServiceError"
	}
	out := &apiError{status: e.Status, code: code, msg: e.Message}
	if e.Status >= 500 {
		out.status = http.StatusBadGateway
	}
	if strings.HasPrefix(code, "AccessDenied") {
		out.status = http.StatusForbidden
		out.hint = "this key's IAM policy does not allow it: use a key that may"
	}
	return out
}
