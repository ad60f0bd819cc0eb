package node

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/edgecd/edgecd/awsapi/cloudfront"
	"github.com/edgecd/edgecd/awsapi/s3"
	"github.com/edgecd/edgecd/awsapi/sfn"
	"github.com/edgecd/edgecd/awsapi/ssm"
	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/flow/awssdk"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/params"
)

// apiHandler is the AWS-compatible API listener with every service edgecd
// offers registered on it. It also starts the flow engine that runs state
// machines (stopped with the node).
func (n *Node) apiHandler(ctx context.Context) (http.Handler, error) {
	g := &gateway{keys: iam.NewCachedKeys(ctx, n.Store, keyCacheTTL), services: map[string]gatewayService{}, now: time.Now, log: n.cfg.Logger.With("part", "api"), stats: &n.metrics.api}
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
	s3Handler := s3.New(n.Objects, s3.Options{Region: n.cfg.Region, Logger: n.cfg.Logger})
	cfHandler := cloudfront.New(n.CDN, cloudfront.Options{Logger: n.cfg.Logger})
	g.handle("s3", restS3, s3Handler)
	g.handle("cloudfront", restXML, cfHandler)

	ev, err := n.newEvents(g) // EventBridge API and bus (node/events.go)
	if err != nil {
		return nil, err
	}
	pipes, err := n.newPipelines(ev.bus) // pipeline runtime (node/pipeline.go)
	if err != nil {
		return nil, err
	}
	engine, err := flow.New(ev.flowOptions(flow.Options{
		Store:    n.Store,
		Logger:   n.cfg.Logger.With("part", "flow"),
		SDK:      n.sdkTasks(awssdk.Services{CloudFront: cfHandler, S3: s3Handler, SSM: ssmHandler.Call}),
		Tasks:    pipes.Tasks(),
		OnStatus: n.metrics.onStatus(pipes.OnStatus), // counts for /metrics (node/metrics.go)
	}))
	if err != nil {
		return nil, fmt.Errorf("start the flow engine: %w", err)
	}
	n.startEvents(ctx, ev, engine)
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
	return n.withConsole(ctx, n.startPipelines(ctx, g, pipes, engine)) // web console: node/console.go
}

// jsonAuthorize checks the request's principal for the JSON-protocol
// services, whose AccessDenied is AccessDeniedException with status 400.
func jsonAuthorize(ctx context.Context, action, resource string) error {
	if err := iam.Authorize(ctx, action, resource); err != nil {
		return &deniedError{code: "AccessDeniedException", msg: err.Error(), status: http.StatusBadRequest}
	}
	return nil
}

// keyCacheTTL bounds how long a key deleted or changed by another process
// sharing the store still verifies here; changes made through this node
// apply at once.
const keyCacheTTL = 5 * time.Second
