package deploy

import (
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// NewS3Client returns an S3 client fit for Run with concurrency parallel
// uploads: its connection pool keeps that many idle keep-alive connections
// (the SDK's default keeps 10 per host, so a deploy of many small files
// with more workers would open and close a connection per request), and a
// custom endpoint (edgecd, MinIO) is addressed path-style.
func NewS3Client(cfg aws.Config, concurrency int) *s3.Client {
	if concurrency <= 0 {
		concurrency = 16
	}
	// Keep what the configuration set up (a CA bundle, a proxy); only a
	// client of the SDK's own kind can be widened.
	base, ok := cfg.HTTPClient.(*awshttp.BuildableClient)
	if cfg.HTTPClient == nil {
		base, ok = awshttp.NewBuildableClient(), true
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if ok {
			o.HTTPClient = base.WithTransportOptions(func(t *http.Transport) {
				t.MaxIdleConns = max(t.MaxIdleConns, 2*concurrency)
				t.MaxIdleConnsPerHost = 2 * concurrency
			})
		}
		o.UsePathStyle = cfg.BaseEndpoint != nil
	})
}
