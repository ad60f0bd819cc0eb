package node

import (
	"context"
	"encoding/json"

	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/flow/awssdk"
	"github.com/edgecd/edgecd/iam"
)

// sdkTasks serves arn:aws:states:::aws-sdk:<service>:<action> task states
// with edgecd's own API handlers, in-process (package flow/awssdk). Errors
// are named as Step Functions names them: <Service>.<Code>Exception.
func (n *Node) sdkTasks(services awssdk.Services) flow.SDKFunc {
	return func(ctx context.Context, service, action string, t flow.Task) (json.RawMessage, error) {
		// Tasks run with the operator's authority (roles are recorded, not
		// assumed).
		if k, err := n.operatorKey(ctx); err == nil {
			ctx = iam.WithPrincipal(ctx, &iam.Principal{Key: k, Scope: iam.Scope{Region: n.cfg.Region}})
		}
		return services.Call(ctx, service, action, t.Parameters)
	}
}
