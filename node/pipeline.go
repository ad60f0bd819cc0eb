package node

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/edgecd/edgecd/events"
	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/pipeline"
)

// newPipelines creates the pipeline runtime. Its Tasks go into the flow
// engine's options; call startPipelines once the engine exists.
func (n *Node) newPipelines(bus *events.Bus) (*pipeline.Service, error) {
	svc, err := pipeline.New(pipeline.Options{
		Store:   n.Store,
		DataDir: n.cfg.DataDir,
		Account: n.CDN.Account(),
		Region:  n.cfg.Region,
		AWS:     n.selfAWS,
		Bus:     bus,
		Link:    n.consoleLink(), // approval messages link to the run in the web console
		Logger:  n.cfg.Logger.With("part", "pipeline"),
	})
	if err != nil {
		return nil, fmt.Errorf("start the pipelines: %w", err)
	}
	return svc, nil
}

// selfAWS is the SDK configuration the pipeline actions use: this node's
// own API with the operator's key, so deploy and release actions go
// through the public API (validation, authorization, ETags) like any
// client.
func (n *Node) selfAWS(ctx context.Context) (aws.Config, error) {
	addr := n.APIAddr()
	if addr == "" {
		return aws.Config{}, errors.New("the API listener is not up yet")
	}
	k, err := n.operatorKey(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("read the admin key: %w", err)
	}
	if strings.HasPrefix(addr, "[::]") || strings.HasPrefix(addr, "0.0.0.0") {
		addr = "127.0.0.1" + addr[strings.LastIndex(addr, ":"):]
	}
	return aws.Config{
		Region:       n.cfg.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(k.AccessKeyID, k.SecretAccessKey, ""),
		BaseEndpoint: aws.String("http://" + addr),
	}, nil
}

// startPipelines attaches the engine, registers the CodePipeline API on
// the gateway, resumes the runs and poll loops, and returns the API
// handler with the GitHub webhook endpoint (unsigned by SigV4: GitHub
// signs with X-Hub-Signature-256, which the pipeline checks) in front.
func (n *Node) startPipelines(ctx context.Context, g *gateway, svc *pipeline.Service, engine *flow.Engine) http.Handler {
	svc.Use(engine)
	g.handle("codepipeline", json11, svc.API(pipeline.APIConfig{
		Authorize: jsonAuthorize,
		Caller: func(ctx context.Context) string {
			if p := iam.PrincipalFrom(ctx); p != nil {
				return p.Key.ARN()
			}
			return ""
		},
	}))
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := svc.Resume(ctx); err != nil {
			n.cfg.Logger.Error("resume pipelines", "err", err)
		}
		<-ctx.Done()
		svc.Wait()
	}()
	hook := svc.Webhook()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, pipeline.WebhookPath) && r.Header.Get("Authorization") == "" && r.URL.Query().Get("X-Amz-Signature") == "" {
			hook.ServeHTTP(w, r)
			return
		}
		g.ServeHTTP(w, r)
	})
}
