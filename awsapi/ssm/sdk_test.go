package ssm

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
)

func sdkClient(endpoint, key, secret string) *ssm.Client {
	return ssm.New(ssm.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, nil
		}),
		RetryMaxAttempts: 1,
	})
}

// TestSDKReadsSeedParameters drives the release state of seed 000 (scenario
// S5) with aws-sdk-go-v2, as the release client and Step Functions tasks do.
func TestSDKReadsSeedParameters(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(testServer(t))
	t.Cleanup(srv.Close)
	c := sdkClient(srv.URL, testAccessKey, testSecretKey)
	seed := []struct{ name, value string }{
		{"/cfcd-test/version/frontend", "v1"},
		{"/cfcd-test/version/frontend", "v2"},
		{"/cfcd-test/cloudfront/cfcd-staging", "E2QWRUHAPOMQZL"},
	}
	for i, p := range seed {
		out, err := c.PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String(p.name), Value: aws.String(p.value), Type: types.ParameterTypeString, Overwrite: aws.Bool(i == 1),
		})
		if err != nil {
			t.Fatalf("PutParameter %s: %v", p.name, err)
		}
		if out.Tier != types.ParameterTierStandard {
			t.Fatalf("PutParameter tier %q", out.Tier)
		}
	}

	got, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/cfcd-test/version/frontend")})
	if err != nil {
		t.Fatal(err)
	}
	p := got.Parameter
	if aws.ToString(p.Value) != "v2" || p.Version != 2 || p.Type != types.ParameterTypeString || p.LastModifiedDate == nil || p.LastModifiedDate.IsZero() ||
		aws.ToString(p.ARN) != "arn:aws:ssm:us-east-1:"+testAccount+":parameter/cfcd-test/version/frontend" {
		t.Fatalf("GetParameter = %+v", p)
	}

	var names []string
	pages := ssm.NewGetParametersByPathPaginator(c, &ssm.GetParametersByPathInput{
		Path: aws.String("/cfcd-test"), Recursive: aws.Bool(true), MaxResults: aws.Int32(1),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Parameters {
			names = append(names, aws.ToString(p.Name)+"="+aws.ToString(p.Value))
		}
	}
	if want := []string{"/cfcd-test/cloudfront/cfcd-staging=E2QWRUHAPOMQZL", "/cfcd-test/version/frontend=v2"}; !slices.Equal(names, want) {
		t.Fatalf("GetParametersByPath pages = %v, want %v", names, want)
	}

	hist, err := c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/cfcd-test/version/frontend")})
	if err != nil || len(hist.Parameters) != 2 || aws.ToString(hist.Parameters[0].Value) != "v1" {
		t.Fatalf("GetParameterHistory = %+v, %v", hist, err)
	}

	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/cfcd-test/version/backend")})
	var nf *types.ParameterNotFound
	if !errors.As(err, &nf) {
		t.Fatalf("missing parameter: %v, want *types.ParameterNotFound", err)
	}
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/cfcd-test/version/frontend"), Value: aws.String("v3"), Type: types.ParameterTypeString})
	var exists *types.ParameterAlreadyExists
	if !errors.As(err, &exists) {
		t.Fatalf("put without overwrite: %v, want *types.ParameterAlreadyExists", err)
	}
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/cfcd-test"), NextToken: aws.String("forged")})
	var tok *types.InvalidNextToken
	if !errors.As(err, &tok) {
		t.Fatalf("forged token: %v, want *types.InvalidNextToken", err)
	}

	// Least privilege (S9): the reader may read the seed's parameters and
	// nothing else.
	reader := sdkClient(srv.URL, readerKey, readerSecret)
	if got, err := reader.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/cfcd-test/cloudfront/cfcd-staging")}); err != nil || aws.ToString(got.Parameter.Value) != "E2QWRUHAPOMQZL" {
		t.Fatalf("reader GetParameter = %v", err)
	}
	_, err = reader.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/cfcd-test/version/frontend"), Value: aws.String("v9"), Type: types.ParameterTypeString, Overwrite: aws.Bool(true)})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException" || !strings.Contains(api.ErrorMessage(), "ssm:PutParameter") {
		t.Fatalf("reader PutParameter: %v, want AccessDeniedException naming ssm:PutParameter", err)
	}
	if got, _ := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/cfcd-test/version/frontend")}); aws.ToString(got.Parameter.Value) != "v2" {
		t.Fatalf("a denied put changed the value to %q", aws.ToString(got.Parameter.Value))
	}
}
