// Package releasetest serves edgecd's CloudFront and SSM APIs in process
// for tests of release commands (package release, the pipeline's release
// actions): real handlers over a SQLite store, every request acting as an
// administrator, reached through the SDK as the commands reach any
// endpoint.
package releasetest

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	cfapi "github.com/edgecd/edgecd/awsapi/cloudfront"
	ssmapi "github.com/edgecd/edgecd/awsapi/ssm"
	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/params"
	"github.com/edgecd/edgecd/store/sqlite"
)

// Start serves the APIs in mode until the test ends and returns the SDK
// configuration that reaches them. Requests for /metrics go to metrics
// when it is not nil.
func Start(t *testing.T, mode cdn.Mode, metrics http.Handler) aws.Config {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "api.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.DiscardHandler)
	svc := cdn.NewService(db, cdn.Options{Mode: mode})
	cf := cfapi.New(svc, cfapi.Options{Logger: log})
	ssm := ssmapi.New(params.NewService(db, params.Config{Logger: log}), ssmapi.Config{})
	const keyID = "AKIDRELEASETEST"
	admin := &iam.Principal{Key: iam.Key{AccessKeyID: keyID, UserName: "release", Account: svc.Account(), Policies: []iam.Policy{iam.AdminPolicy()}},
		Scope: iam.Scope{AccessKeyID: keyID, Region: "us-east-1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(iam.WithPrincipal(r.Context(), admin))
		switch {
		case r.URL.Path == "/metrics" && metrics != nil:
			metrics.ServeHTTP(w, r)
		case strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSSM."):
			ssm.ServeHTTP(w, r)
		default:
			cf.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider(keyID, "secret", "")}
}

// CreatePrimary creates a distribution serving origin path /1.0.0 of bucket
// site, without caching, and returns its id.
func CreatePrimary(t *testing.T, cf *cloudfront.Client) string {
	t.Helper()
	out, err := cf.CreateDistribution(context.Background(), &cloudfront.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference: aws.String("releasetest-primary"), Comment: aws.String("primary"), Enabled: aws.Bool(true),
		Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{{
			Id: aws.String("s3"), DomainName: aws.String("site.s3.us-east-1.amazonaws.com"), OriginPath: aws.String("/1.0.0"),
			S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")},
		}}},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{TargetOriginId: aws.String("s3"), ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyAllowAll,
			CachePolicyId: aws.String("4135ea2d-6df8-44a3-9df3-4b5a84be39ad")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Distribution.Id)
}
