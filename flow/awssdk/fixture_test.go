package awssdk

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/edgecd/edgecd/awsapi/cloudfront"
	"github.com/edgecd/edgecd/awsapi/s3"
	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/objstore"
	"github.com/edgecd/edgecd/store/sqlite"
)

const account = "123456789012"

// fixture serves CloudFront and S3 from a temporary store, as node does.
type fixture struct {
	svc  Services
	cdn  *cdn.Service
	objs *objstore.Store
	db   *sqlite.DB
	ctx  context.Context // carries an admin principal
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sdk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	objs, err := objstore.Open(filepath.Join(t.TempDir(), "objects"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { objs.Close() })
	log := slog.New(slog.DiscardHandler)
	c := cdn.NewService(db, cdn.Options{Account: account})
	f := &fixture{
		svc: Services{
			CloudFront: cloudfront.New(c, cloudfront.Options{Logger: log}),
			S3:         s3.New(objs, s3.Options{Logger: log}),
		},
		cdn: c, objs: objs, db: db,
	}
	f.ctx = as(ctx, iam.AdminPolicy())
	return f
}

// as returns ctx with a principal holding policies.
func as(ctx context.Context, policies ...iam.Policy) context.Context {
	return iam.WithPrincipal(ctx, &iam.Principal{Key: iam.Key{AccessKeyID: "AKIDTEST", UserName: "tasks", Account: account, Policies: policies}, Scope: iam.Scope{Region: "us-east-1"}})
}

// call runs an action that must succeed and decodes its output into v.
func (f *fixture) call(t *testing.T, service, action, params string, v any) json.RawMessage {
	t.Helper()
	out, err := f.svc.Call(f.ctx, service, action, json.RawMessage(params))
	if err != nil {
		t.Fatalf("%s:%s: %v", service, action, err)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			t.Fatalf("%s:%s output %s: %v", service, action, out, err)
		}
	}
	return out
}

// fails runs an action that must fail with the States Language error name.
func (f *fixture) fails(t *testing.T, ctx context.Context, service, action, params, name string) string {
	t.Helper()
	_, err := f.svc.Call(ctx, service, action, json.RawMessage(params))
	var te *flow.TaskError
	if !errors.As(err, &te) {
		t.Fatalf("%s:%s: error %v, want a task error named %s", service, action, err, name)
	}
	if te.Name != name {
		t.Fatalf("%s:%s: error %s (%s), want %s", service, action, te.Name, te.Cause, name)
	}
	return te.Cause
}

// siteConfig is a distribution config as an SDK user writes it.
const siteConfig = `{
  "CallerReference": "ref-1", "Comment": "site", "Enabled": true, "DefaultRootObject": "index.html",
  "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": "site.s3.us-east-1.amazonaws.com", "OriginPath": "/v1",
    "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
  "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "allow-all", "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}
}`
