package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/edgecd/edgecd/awsapi/cloudfront"
	"github.com/edgecd/edgecd/awsapi/s3"
	"github.com/edgecd/edgecd/awsapi/sfn"
	"github.com/edgecd/edgecd/awsapi/ssm"
	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/params"
)

// apiHandler is the AWS-compatible API listener with every service edgecd
// offers registered on it. It also starts the flow engine that runs state
// machines (stopped with the node).
func (n *Node) apiHandler(ctx context.Context) (http.Handler, error) {
	g := &gateway{keys: iam.StoreKeys{St: n.Store}, services: map[string]gatewayService{}, now: time.Now, log: n.cfg.Logger.With("part", "api")}
	account := n.CDN.Account()
	region := func(ctx context.Context) string {
		if p := iam.PrincipalFrom(ctx); p != nil && p.Scope.Region != "" {
			return p.Scope.Region
		}
		return n.cfg.Region
	}
	ssmHandler := ssm.New(params.NewService(n.Store, params.Config{Logger: n.cfg.Logger}), ssm.Config{
		Caller: func(ctx context.Context) ssm.Caller {
			c := ssm.Caller{Account: account, Region: region(ctx)}
			if p := iam.PrincipalFrom(ctx); p != nil {
				c.ARN = p.Key.ARN()
			}
			return c
		},
		Authorize: jsonAuthorize,
		Logger:    n.cfg.Logger,
	})
	g.handle("ssm", json11, ssmHandler)
	g.handle("s3", restS3, s3.New(n.Objects, s3.Options{Region: n.cfg.Region, Logger: n.cfg.Logger}))
	g.handle("cloudfront", restXML, cloudfront.New(n.CDN, cloudfront.Options{Logger: n.cfg.Logger}))

	engine, err := flow.New(flow.Options{
		Store:  n.Store,
		Logger: n.cfg.Logger.With("part", "flow"),
		SDK:    n.sdkTasks(ssmHandler),
	})
	if err != nil {
		return nil, fmt.Errorf("start the flow engine: %w", err)
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := engine.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			n.errs <- fmt.Errorf("flow engine: %w", err)
		}
	}()
	g.handle("states", json10, sfn.New(engine, sfn.Config{
		Caller:    func(ctx context.Context) sfn.Caller { return sfn.Caller{Account: account, Region: region(ctx)} },
		Authorize: jsonAuthorize,
		Logger:    n.cfg.Logger,
	}))
	return g, nil
}

// sdkTasks serves arn:aws:states:::aws-sdk:<service>:<action> task states
// with edgecd's own services, in-process. Errors are named as Step
// Functions names them: <Service>.<Code>Exception.
func (n *Node) sdkTasks(ssmHandler *ssm.Handler) flow.SDKFunc {
	return func(ctx context.Context, service, action string, t flow.Task) (json.RawMessage, error) {
		// Tasks run with the operator's authority (roles are recorded, not
		// assumed).
		if k, err := EnsureAdminKey(ctx, n.Store, n.CDN.Account(), "", ""); err == nil {
			ctx = iam.WithPrincipal(ctx, &iam.Principal{Key: k, Scope: iam.Scope{Region: n.cfg.Region}})
		}
		switch service {
		case "ssm":
			out, err := ssmHandler.Call(ctx, action, t.Parameters)
			if err != nil {
				var coded interface{ ErrorCode() string }
				if errors.As(err, &coded) {
					return nil, &flow.TaskError{Name: "Ssm." + exceptionName(coded.ErrorCode()), Cause: err.Error()}
				}
				return nil, err
			}
			return out, nil
		}
		return nil, &flow.TaskError{Name: "States.Runtime", Cause: fmt.Sprintf("edgecd does not serve aws-sdk:%s:%s in-process yet (served: ssm)", service, action)}
	}
}

func exceptionName(code string) string {
	if strings.HasSuffix(code, "Exception") {
		return code
	}
	return code + "Exception"
}

// jsonAuthorize checks the request's principal for the JSON-protocol
// services, whose AccessDenied is AccessDeniedException with status 400.
func jsonAuthorize(ctx context.Context, action, resource string) error {
	if err := iam.Authorize(ctx, action, resource); err != nil {
		return &deniedError{code: "AccessDeniedException", msg: err.Error(), status: http.StatusBadRequest}
	}
	return nil
}
