package cloudfront

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/store"
	"github.com/edgecd/edgecd/store/sqlite"
)

// fixture is the handler behind SigV4 verification, as node's gateway serves
// it, over a real cdn.Service on a temporary SQLite store.
type fixture struct {
	db  store.Store
	srv *httptest.Server
	svc *cdn.Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sdk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc := cdn.NewService(db, cdn.Options{})
	h := New(svc, Options{Logger: slog.New(slog.DiscardHandler)})
	keys := iam.StoreKeys{St: db}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := iam.Verify(r.Context(), r, keys, time.Now())
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r.WithContext(iam.WithPrincipal(r.Context(), p)))
	}))
	t.Cleanup(srv.Close)
	return &fixture{db: db, srv: srv, svc: svc}
}

// key stores a new access key carrying policies.
func (f *fixture) key(t *testing.T, policies ...iam.Policy) (id, secret string) {
	t.Helper()
	id, secret = iam.NewKeyPair()
	err := iam.StoreKeys{St: f.db}.PutKey(context.Background(), iam.Key{
		AccessKeyID: id, SecretAccessKey: secret, UserName: "u-" + id, Account: f.svc.Account(), Policies: policies,
	})
	if err != nil {
		t.Fatal(err)
	}
	return id, secret
}

// client is an SDK client signing with a new key carrying policies.
func (f *fixture) client(t *testing.T, policies ...iam.Policy) *cf.Client {
	t.Helper()
	id, secret := f.key(t, policies...)
	return cf.New(cf.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(f.srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(id, secret, ""),
		Retryer:      aws.NopRetryer{},
	})
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// seedDistribution creates the primary (/1.0.0), its staging copy (/2.0.0)
// and a disabled header policy naming the staging domain, the state the
// seed 002 pipeline's CloudFormation step leaves.
func seedDistribution(t *testing.T, ctx context.Context, c *cf.Client) (primary, staging, policy string) {
	t.Helper()
	cfg := &types.DistributionConfig{
		CallerReference:   aws.String("sdk-primary"),
		Comment:           aws.String("primary"),
		Enabled:           aws.Bool(true),
		DefaultRootObject: aws.String("index.html"),
		Origins: &types.Origins{Quantity: aws.Int32(1), Items: []types.Origin{{
			Id: aws.String("s3"), DomainName: aws.String("site.s3.us-east-1.amazonaws.com"), OriginPath: aws.String("/1.0.0"),
			S3OriginConfig: &types.S3OriginConfig{OriginAccessIdentity: aws.String("")},
		}}},
		DefaultCacheBehavior: &types.DefaultCacheBehavior{
			TargetOriginId: aws.String("s3"), ViewerProtocolPolicy: types.ViewerProtocolPolicyRedirectToHttps,
			CachePolicyId: aws.String("4135ea2d-6df8-44a3-9df3-4b5a84be39ad"),
		},
	}
	p, err := c.CreateDistribution(ctx, &cf.CreateDistributionInput{DistributionConfig: cfg})
	if err != nil {
		t.Fatalf("CreateDistribution: %v", err)
	}
	s, err := c.CopyDistribution(ctx, &cf.CopyDistributionInput{
		PrimaryDistributionId: p.Distribution.Id, CallerReference: aws.String("sdk-staging"),
		Staging: aws.Bool(true), IfMatch: p.ETag,
	})
	if err != nil {
		t.Fatalf("CopyDistribution: %v", err)
	}
	sc, err := c.GetDistributionConfig(ctx, &cf.GetDistributionConfigInput{Id: s.Distribution.Id})
	if err != nil {
		t.Fatalf("GetDistributionConfig: %v", err)
	}
	sc.DistributionConfig.Origins.Items[0].OriginPath = aws.String("/2.0.0")
	if _, err := c.UpdateDistribution(ctx, &cf.UpdateDistributionInput{
		Id: s.Distribution.Id, IfMatch: sc.ETag, DistributionConfig: sc.DistributionConfig,
	}); err != nil {
		t.Fatalf("UpdateDistribution staging: %v", err)
	}
	pol, err := c.CreateContinuousDeploymentPolicy(ctx, &cf.CreateContinuousDeploymentPolicyInput{
		ContinuousDeploymentPolicyConfig: &types.ContinuousDeploymentPolicyConfig{
			Enabled: aws.Bool(false),
			StagingDistributionDnsNames: &types.StagingDistributionDnsNames{
				Quantity: aws.Int32(1), Items: []string{*s.Distribution.DomainName},
			},
			TrafficConfig: &types.TrafficConfig{
				Type:               types.ContinuousDeploymentPolicyTypeSingleHeader,
				SingleHeaderConfig: &types.ContinuousDeploymentSingleHeaderConfig{Header: aws.String("aws-cf-cd-env"), Value: aws.String("staging")},
			},
		},
	})
	if err != nil {
		t.Fatalf("CreateContinuousDeploymentPolicy: %v", err)
	}
	return *p.Distribution.Id, *s.Distribution.Id, *pol.ContinuousDeploymentPolicy.Id
}

// enable is seed 002's "enable continuous deployment" function: attach the
// policy to the primary if needed, then enable the policy if needed.
func enable(ctx context.Context, c *cf.Client, primary, policy string) error {
	prod, err := c.GetDistribution(ctx, &cf.GetDistributionInput{Id: &primary})
	if err != nil {
		return err
	}
	if aws.ToString(prod.Distribution.DistributionConfig.ContinuousDeploymentPolicyId) != policy {
		cfg := *prod.Distribution.DistributionConfig
		cfg.ContinuousDeploymentPolicyId = &policy
		if _, err := c.UpdateDistribution(ctx, &cf.UpdateDistributionInput{Id: &primary, DistributionConfig: &cfg, IfMatch: prod.ETag}); err != nil {
			return err
		}
	}
	pol, err := c.GetContinuousDeploymentPolicy(ctx, &cf.GetContinuousDeploymentPolicyInput{Id: &policy})
	if err != nil {
		return err
	}
	if !aws.ToBool(pol.ContinuousDeploymentPolicy.ContinuousDeploymentPolicyConfig.Enabled) {
		cfg := *pol.ContinuousDeploymentPolicy.ContinuousDeploymentPolicyConfig
		cfg.Enabled = aws.Bool(true)
		if _, err := c.UpdateContinuousDeploymentPolicy(ctx, &cf.UpdateContinuousDeploymentPolicyInput{
			Id: &policy, ContinuousDeploymentPolicyConfig: &cfg, IfMatch: pol.ETag,
		}); err != nil {
			return err
		}
	}
	return nil
}

// promote is seed 002's promotion function.
func promote(ctx context.Context, c *cf.Client, primary, staging string) error {
	prod, err := c.GetDistribution(ctx, &cf.GetDistributionInput{Id: &primary})
	if err != nil {
		return err
	}
	stg, err := c.GetDistribution(ctx, &cf.GetDistributionInput{Id: &staging})
	if err != nil {
		return err
	}
	_, err = c.UpdateDistributionWithStagingConfig(ctx, &cf.UpdateDistributionWithStagingConfigInput{
		Id: &primary, StagingDistributionId: &staging, IfMatch: aws.String(*prod.ETag + ", " + *stg.ETag),
	})
	return err
}

// TestSDKSeed002 runs the seed 002 pipeline's two functions with
// aws-sdk-go-v2: enable attaches and enables the policy (and is a no-op the
// second time), promote copies the staging config onto the primary and
// disables the policy, so a second enable turns it back on.
func TestSDKSeed002(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c := f.client(t, iam.AdminPolicy())
	primary, staging, policy := seedDistribution(t, ctx, c)

	if err := enable(ctx, c, primary, policy); err != nil {
		t.Fatalf("enable: %v", err)
	}
	prod, err := c.GetDistribution(ctx, &cf.GetDistributionInput{Id: &primary})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(prod.Distribution.DistributionConfig.ContinuousDeploymentPolicyId); got != policy {
		t.Fatalf("primary's ContinuousDeploymentPolicyId = %q, want %q", got, policy)
	}
	etag := *prod.ETag
	if err := enable(ctx, c, primary, policy); err != nil {
		t.Fatalf("second enable: %v", err)
	}
	if again, _ := c.GetDistribution(ctx, &cf.GetDistributionInput{Id: &primary}); *again.ETag != etag {
		t.Errorf("a second enable changed the primary (ETag %s -> %s); it must be a no-op", etag, *again.ETag)
	}

	if err := promote(ctx, c, primary, staging); err != nil {
		t.Fatalf("promote: %v", err)
	}
	prod, err = c.GetDistribution(ctx, &cf.GetDistributionInput{Id: &primary})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(prod.Distribution.DistributionConfig.Origins.Items[0].OriginPath); got != "/2.0.0" {
		t.Errorf("after promote the primary's OriginPath = %q, want /2.0.0", got)
	}
	if aws.ToBool(prod.Distribution.DistributionConfig.Staging) {
		t.Error("after promote the primary is marked Staging")
	}
	pol, err := c.GetContinuousDeploymentPolicy(ctx, &cf.GetContinuousDeploymentPolicyInput{Id: &policy})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToBool(pol.ContinuousDeploymentPolicy.ContinuousDeploymentPolicyConfig.Enabled) {
		t.Error("after promote the policy is still enabled; the cloud disables it")
	}
	if err := enable(ctx, c, primary, policy); err != nil {
		t.Fatalf("enable after promote: %v", err)
	}
	pol, _ = c.GetContinuousDeploymentPolicy(ctx, &cf.GetContinuousDeploymentPolicyInput{Id: &policy})
	if !aws.ToBool(pol.ContinuousDeploymentPolicy.ContinuousDeploymentPolicyConfig.Enabled) {
		t.Error("enable after promote left the policy disabled")
	}

	// A stale pair of ETags is refused.
	_, err = c.UpdateDistributionWithStagingConfig(ctx, &cf.UpdateDistributionWithStagingConfigInput{
		Id: &primary, StagingDistributionId: &staging, IfMatch: aws.String(etag + ", " + etag),
	})
	if apiCode(err) != "PreconditionFailed" {
		t.Errorf("promote with stale ETags: err = %v, want PreconditionFailed", err)
	}

	// The managed cache policy the distributions name resolves.
	cp, err := c.GetCachePolicy(ctx, &cf.GetCachePolicyInput{Id: aws.String("4135ea2d-6df8-44a3-9df3-4b5a84be39ad")})
	if err != nil {
		t.Fatalf("GetCachePolicy: %v", err)
	}
	if got := aws.ToString(cp.CachePolicy.CachePolicyConfig.Name); got != "Managed-CachingDisabled" {
		t.Errorf("cache policy name = %q", got)
	}
}

// TestSDKLeastPrivilege: a key allowed only to read one distribution can
// read it, and gets AccessDenied (403) for anything else.
func TestSDKLeastPrivilege(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	admin := f.client(t, iam.AdminPolicy())
	primary, staging, policy := seedDistribution(t, ctx, admin)
	pol, err := iam.ParsePolicy([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Action":["cloudfront:GetDistribution"],"Resource":"arn:aws:cloudfront::` + f.svc.Account() + `:distribution/` + primary + `"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	ro := f.client(t, pol)
	if _, err := ro.GetDistribution(ctx, &cf.GetDistributionInput{Id: &primary}); err != nil {
		t.Fatalf("allowed GetDistribution: %v", err)
	}
	denied := map[string]error{}
	_, denied["GetDistribution(staging)"] = ro.GetDistribution(ctx, &cf.GetDistributionInput{Id: &staging})
	_, denied["GetDistributionConfig"] = ro.GetDistributionConfig(ctx, &cf.GetDistributionConfigInput{Id: &primary})
	_, denied["ListDistributions"] = ro.ListDistributions(ctx, &cf.ListDistributionsInput{})
	_, denied["DeleteContinuousDeploymentPolicy"] = ro.DeleteContinuousDeploymentPolicy(ctx,
		&cf.DeleteContinuousDeploymentPolicyInput{Id: &policy, IfMatch: aws.String("x")})
	_, denied["CreateInvalidation"] = ro.CreateInvalidation(ctx, &cf.CreateInvalidationInput{DistributionId: &primary,
		InvalidationBatch: &types.InvalidationBatch{CallerReference: aws.String("r"), Paths: &types.Paths{Quantity: aws.Int32(1), Items: []string{"/*"}}}})
	for op, err := range denied {
		if apiCode(err) != "AccessDenied" {
			t.Errorf("%s with a read-one-distribution key: err = %v, want AccessDenied", op, err)
		}
	}
	// Nothing was written: the policy is still there.
	if _, err := admin.GetContinuousDeploymentPolicy(ctx, &cf.GetContinuousDeploymentPolicyInput{Id: &policy}); err != nil {
		t.Errorf("policy gone after a denied delete: %v", err)
	}
}

func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// TestSDKWithTagsAndPaging: CreateDistributionWithTags is accepted, and the
// SDK's ListDistributions paginator walks every distribution exactly once
// with Staging set on the staging copy's summary.
func TestSDKWithTagsAndPaging(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	c := f.client(t, iam.AdminPolicy())
	primary, staging, _ := seedDistribution(t, ctx, c)
	tagged, err := c.CreateDistributionWithTags(ctx, &cf.CreateDistributionWithTagsInput{DistributionConfigWithTags: &types.DistributionConfigWithTags{
		DistributionConfig: &types.DistributionConfig{
			CallerReference: aws.String("tagged"), Comment: aws.String(""), Enabled: aws.Bool(true),
			Origins: &types.Origins{Quantity: aws.Int32(1), Items: []types.Origin{{
				Id: aws.String("s3"), DomainName: aws.String("site.s3.us-east-1.amazonaws.com"),
				S3OriginConfig: &types.S3OriginConfig{OriginAccessIdentity: aws.String("")},
			}}},
			DefaultCacheBehavior: &types.DefaultCacheBehavior{TargetOriginId: aws.String("s3"), ViewerProtocolPolicy: types.ViewerProtocolPolicyAllowAll,
				CachePolicyId: aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6")},
		},
		Tags: &types.Tags{Items: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}},
	}})
	if err != nil {
		t.Fatalf("CreateDistributionWithTags: %v", err)
	}
	want := map[string]bool{primary: false, staging: true, *tagged.Distribution.Id: false}
	seen := map[string]bool{}
	pages := cf.NewListDistributionsPaginator(c, &cf.ListDistributionsInput{MaxItems: aws.Int32(1)})
	for n := 0; pages.HasMorePages(); n++ {
		if n > len(want) {
			t.Fatal("the paginator does not end")
		}
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListDistributions page %d: %v", n, err)
		}
		for _, s := range page.DistributionList.Items {
			if seen[*s.Id] {
				t.Errorf("%s listed twice", *s.Id)
			}
			seen[*s.Id] = true
			if isStaging, ok := want[*s.Id]; !ok || aws.ToBool(s.Staging) != isStaging {
				t.Errorf("summary %s: Staging=%v, want %v (known: %v)", *s.Id, aws.ToBool(s.Staging), isStaging, ok)
			}
		}
	}
	if len(seen) != len(want) {
		t.Errorf("listed %v, want %v", seen, want)
	}
}
