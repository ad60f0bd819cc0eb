package node

import (
	"context"
	"net/http"
	"time"

	"github.com/edgecd/edgecd/awsapi/cloudfront"
	"github.com/edgecd/edgecd/awsapi/s3"
	"github.com/edgecd/edgecd/awsapi/ssm"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/params"
)

// apiHandler is the AWS-compatible API listener with every service edgecd
// offers registered on it.
func (n *Node) apiHandler() http.Handler {
	g := &gateway{keys: iam.StoreKeys{St: n.Store}, services: map[string]gatewayService{}, now: time.Now, log: n.cfg.Logger.With("part", "api")}
	caller := func(ctx context.Context) ssm.Caller {
		c := ssm.Caller{Account: n.CDN.Account(), Region: n.cfg.Region}
		if p := iam.PrincipalFrom(ctx); p != nil {
			c.ARN = p.Key.ARN()
			if p.Scope.Region != "" {
				c.Region = p.Scope.Region
			}
		}
		return c
	}
	g.handle("ssm", json11, ssm.New(params.NewService(n.Store, params.Config{Logger: n.cfg.Logger}), ssm.Config{
		Caller:    caller,
		Authorize: jsonAuthorize,
		Logger:    n.cfg.Logger,
	}))
	g.handle("s3", restS3, s3.New(n.Objects, s3.Options{Region: n.cfg.Region, Logger: n.cfg.Logger}))
	g.handle("cloudfront", restXML, cloudfront.New(n.CDN, cloudfront.Options{Logger: n.cfg.Logger}))
	return g
}

// jsonAuthorize checks the request's principal for the JSON-protocol
// services, whose AccessDenied is AccessDeniedException with status 400.
func jsonAuthorize(ctx context.Context, action, resource string) error {
	if err := iam.Authorize(ctx, action, resource); err != nil {
		return &deniedError{code: "AccessDeniedException", msg: err.Error(), status: http.StatusBadRequest}
	}
	return nil
}
