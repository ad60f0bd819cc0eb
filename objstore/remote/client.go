package remote

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ParseEndpoint checks an S3 endpoint URL as an operator types it
// (http://minio:9000, https://s3.eu-west-1.amazonaws.com).
func ParseEndpoint(endpoint string) (*url.URL, error) {
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return nil, fmt.Errorf("origin endpoint %q is not a URL: %w", endpoint, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("origin endpoint %q must start with http:// or https://", endpoint)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("origin endpoint %q names no host", endpoint)
	case u.User != nil:
		return nil, fmt.Errorf("origin endpoint %q must not carry credentials: use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or a profile", endpoint)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("origin endpoint %q must not have a query or fragment", endpoint)
	}
	return u, nil
}

// NewClient is an S3 client for endpoint with the standard AWS
// configuration chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE,
// shared files, instance roles). region overrides the configured region,
// which falls back to us-east-1. Endpoints other than Amazon's own are
// addressed path-style (http://host/bucket/key), which MinIO, Ceph and
// edgecd all accept without wildcard DNS.
func NewClient(ctx context.Context, endpoint, region string) (*s3.Client, error) {
	u, err := ParseEndpoint(endpoint)
	if err != nil {
		return nil, err
	}
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load the AWS configuration for the origin endpoint: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	amazon := strings.HasSuffix(u.Hostname(), ".amazonaws.com")
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(u.String())
		o.UsePathStyle = !amazon
		// The SDK warns on every GetObject whose answer carries no
		// checksum header (edgecd, MinIO); the size and MD5 checks in
		// download cover what it would.
		o.DisableLogOutputChecksumValidationSkipped = true
		// A viewer waits on this request: retry once, briefly, then let
		// the edge serve its cached copy or an error (the SDK's default
		// of 3 attempts with up to 20 s of backoff suits batch jobs).
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 2
			so.MaxBackoff = 200 * time.Millisecond
		})
	}), nil
}
