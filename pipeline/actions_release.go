package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/release"
)

func (s *Service) awsConfig(ctx context.Context) (aws.Config, error) {
	if s.opt.AWS == nil {
		return aws.Config{}, errors.New("this node gives pipelines no AWS API access (pipeline.Options.AWS is not set)")
	}
	return s.opt.AWS(ctx)
}

// releaseClient talks to the node's own public API, as `edgecd release`
// does to any CloudFront.
func (s *Service) releaseClient(ctx context.Context, service, versionParam, stagingParam string, progress io.Writer) (*release.Client, error) {
	cfg, err := s.awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	if service == "" {
		service = "edgecd"
	}
	return &release.Client{
		CloudFront: cloudfront.NewFromConfig(cfg),
		SSM:        ssm.NewFromConfig(cfg),
		S3:         s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = cfg.BaseEndpoint != nil }),
		Service:    service, VersionParam: versionParam, StagingParam: stagingParam,
		Progress: progress,
		Poll:     20 * time.Millisecond,
	}, nil
}

func (s *Service) actionRelease(ctx context.Context, a *actionCall) (*release.Client, string, error) {
	primary, err := a.need("primary")
	if err != nil {
		return nil, "", err
	}
	c, err := s.releaseClient(ctx, a.in.Pipeline, "", "", a.log)
	return c, primary, err
}

// releaseStage stages the deployed version on a staging distribution of
// the primary, routed by a header or a weight.
func (s *Service) releaseStage(ctx context.Context, a *actionCall) (map[string]string, error) {
	c, primary, err := s.actionRelease(ctx, a)
	if err != nil {
		return nil, err
	}
	in := release.StageInput{PrimaryID: primary, OriginPath: a.get("origin_path", a.earlierOutput("OriginPath")), Version: a.get("version", a.earlierOutput("Version"))}
	if in.OriginPath == "" {
		return nil, &flow.TaskError{Name: "Pipeline.MissingSetting", Cause: "release.stage needs the origin path to stage: run a deploy before it, or set with.origin_path"}
	}
	switch h, w := a.get("header", ""), a.get("weight", ""); {
	case h != "" && w != "":
		return nil, &flow.TaskError{Name: "Pipeline.MissingSetting", Cause: "release.stage takes with.header or with.weight, not both"}
	case w != "":
		f, err := strconv.ParseFloat(w, 64)
		if err != nil {
			return nil, &flow.TaskError{Name: "Pipeline.MissingSetting", Cause: fmt.Sprintf("with.weight %q: give a number such as 0.1", w)}
		}
		in.Weight = &f
		idle, err1 := seconds(a.get("sticky_idle", "0s"))
		maxTTL, err2 := seconds(a.get("sticky_max", "0s"))
		if err := errors.Join(err1, err2); err != nil {
			return nil, &flow.TaskError{Name: "Pipeline.MissingSetting", Cause: "with.sticky_idle/sticky_max: " + err.Error()}
		}
		in.StickyIdle, in.StickyMax = idle, maxTTL
	default:
		name, value, ok := release.ParseHeader(a.get("header", "aws-cf-cd-env=staging"))
		if !ok {
			return nil, &flow.TaskError{Name: "Pipeline.MissingSetting", Cause: fmt.Sprintf("with.header %q: write it as aws-cf-cd-NAME=VALUE", a.get("header", ""))}
		}
		in.HeaderName, in.HeaderValue = name, value
	}
	res, err := c.Stage(ctx, in)
	if err != nil {
		return nil, err
	}
	return map[string]string{"StagingDistributionId": res.StagingID, "StagingDomainName": res.StagingDomain, "PolicyId": res.PolicyID,
		"OriginPath": res.OriginPath, "Version": res.Version, "PrimaryDistributionId": primary}, nil
}

func (s *Service) releasePromote(ctx context.Context, a *actionCall) (map[string]string, error) {
	c, primary, err := s.actionRelease(ctx, a)
	if err != nil {
		return nil, err
	}
	res, err := c.Promote(ctx, primary, release.SplitPaths(a.get("invalidate", "")))
	if err != nil {
		return nil, err
	}
	return map[string]string{"PrimaryDistributionId": primary, "Version": strings.TrimPrefix(res.OriginPath, "/"), "OriginPath": res.OriginPath,
		"PreviousOriginPath": res.PreviousOriginPath, "InvalidationId": res.InvalidationID}, nil
}

func (s *Service) releaseAbort(ctx context.Context, a *actionCall) (map[string]string, error) {
	c, primary, err := s.actionRelease(ctx, a)
	if err != nil {
		return nil, err
	}
	staging := ""
	if st, err := c.Status(ctx, primary); err == nil && st.Staging != nil {
		staging = st.Staging.ID
	}
	return map[string]string{"StagingDistributionId": staging}, c.Abort(ctx, primary)
}

func (s *Service) invalidate(ctx context.Context, a *actionCall) (map[string]string, error) {
	dist, err := a.need("distribution")
	if err != nil {
		return nil, err
	}
	c, err := s.releaseClient(ctx, "", "", "", a.log)
	if err != nil {
		return nil, err
	}
	wait := a.get("wait", "false") == "true"
	id, err := c.Invalidate(ctx, dist, release.SplitPaths(a.get("paths", "/*")), wait)
	if err != nil {
		return nil, err
	}
	status := "InProgress"
	if wait {
		status = "Completed"
	}
	return map[string]string{"InvalidationId": id, "Status": status}, nil
}

// stepFunctions starts a user's state machine (seed 000's configure.json
// and promote.json) and waits for it; a failed execution fails the action.
func (s *Service) stepFunctions(ctx context.Context, a *actionCall) (map[string]string, error) {
	m, err := a.need("state_machine")
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(m, "arn:") {
		m = flow.MachineARN(s.opt.Region, s.opt.Account, m)
	}
	input := a.get("input", "{}")
	if !json.Valid([]byte(input)) {
		return nil, &flow.TaskError{Name: "Pipeline.MissingSetting", Cause: fmt.Sprintf("with.input of action %s is not JSON: %s", a.in.Action, input)}
	}
	// Named after the run and action, so a re-dispatch after a crash
	// finds the same execution instead of starting a second one.
	name := flowName(a.run.ID + "-" + a.in.Action)
	x, err := s.engine.Start(ctx, m, name, json.RawMessage(input))
	if errors.Is(err, flow.ErrExecutionExists) {
		x, err = s.engine.Execution(ctx, flow.ExecutionARN(m, name))
	}
	if err != nil {
		return nil, fmt.Errorf("start state machine %s: %w", m, err)
	}
	fmt.Fprintf(a.log, "[edgecd] started %s\n", x.ARN)
	x, err = s.engine.Wait(ctx, x.ARN)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(a.log, "[edgecd] %s ended %s %s %s\n", x.ARN, x.Status, x.Error, x.Cause)
	if x.Status != "SUCCEEDED" {
		return nil, &flow.TaskError{Name: "Pipeline.StateMachineFailed", Cause: fmt.Sprintf("execution %s ended %s: %s %s", x.ARN, x.Status, x.Error, x.Cause)}
	}
	out := map[string]string{"ExecutionArn": x.ARN, "StateMachineArn": m, "Status": string(x.Status), "Output": string(x.Output)}
	var obj map[string]any
	if json.Unmarshal(x.Output, &obj) == nil {
		for k, v := range obj {
			switch v := v.(type) {
			case string:
				out[k] = v
			case float64, bool:
				out[k] = fmt.Sprint(v)
			}
		}
	}
	return out, nil
}

func seconds(v string) (int32, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		if n, err2 := strconv.Atoi(v); err2 == nil {
			return int32(n), nil
		}
		return 0, err
	}
	return int32(d / time.Second), nil
}

func flowName(s string) string {
	s = unsafeName.ReplaceAllString(s, "_")
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

// httpAction calls a webhook; a status other than 2xx fails the action.
func (s *Service) httpAction(ctx context.Context, a *actionCall) (map[string]string, error) {
	url, err := a.need("url")
	if err != nil {
		return nil, err
	}
	method := strings.ToUpper(a.get("method", http.MethodPost))
	var body io.Reader
	if b := a.get("body", ""); b != "" {
		body = bytes.NewBufferString(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, &flow.TaskError{Name: "Pipeline.MissingSetting", Cause: fmt.Sprintf("with.url/method: %v", err)}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.opt.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Fprintf(a.log, "[edgecd] %s %s: %s\n%s\n", method, url, resp.Status, b)
	if resp.StatusCode/100 != 2 {
		return nil, &flow.TaskError{Name: "Pipeline.HTTPFailed", Cause: fmt.Sprintf("%s %s answered %s", method, url, resp.Status)}
	}
	return map[string]string{"StatusCode": strconv.Itoa(resp.StatusCode), "Body": string(b)}, nil
}
