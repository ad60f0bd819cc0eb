package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/edgecd/edgecd/metrics"
)

// ErrNoMetrics: the endpoint serves no edgecd /metrics. CloudFront keeps
// its per-distribution metrics in CloudWatch, which Analyze does not read,
// so analysis works against edgecd only.
var ErrNoMetrics = errors.New("canary analysis needs an edgecd endpoint (--endpoint-url or AWS_ENDPOINT_URL): it reads edgecd's /metrics; CloudFront's own metrics are in CloudWatch, which this does not read")

// metricsService is the SigV4 service name edgecd's /metrics accepts.
const metricsService = "edgecd"

// emptySHA256 is the hex SHA-256 of an empty body: a scrape's payload hash.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// maxExposition bounds what a scrape reads.
const maxExposition = 32 << 20

// Analyze compares the staging side of primaryID with its primary side
// over opts.Window: it reads edgecd's /metrics (on the client's endpoint,
// signed with the client's credentials) when the window opens and when it
// closes, and judges the deltas with Evaluate. A verdict other than Pass
// is a result, not an error: see Analysis.Err.
func (c *Client) Analyze(ctx context.Context, primaryID string, opts AnalyzeOptions) (*Analysis, error) {
	o := opts.withDefaults()
	if primaryID == "" {
		return nil, errors.New("analyze: the primary distribution id is required")
	}
	before, err := c.scrapeMetrics(ctx)
	if err != nil {
		return nil, err
	}
	if !hasDistribution(before, primaryID) {
		return nil, fmt.Errorf("analyze: /metrics has no traffic series for %s: give the id of a primary distribution this edgecd node serves (aws cloudfront list-distributions)", primaryID)
	}
	if err := o.sleep(ctx, o.Window); err != nil {
		return nil, fmt.Errorf("analyze %s: waiting out the %s window: %w", primaryID, o.Window, err)
	}
	after, err := c.scrapeMetrics(ctx)
	if err != nil {
		return nil, err
	}
	return Evaluate(before, after, primaryID, o.Window, o), nil
}

func (o AnalyzeOptions) sleep(ctx context.Context, d time.Duration) error {
	return sleepCtx(ctx, o.Sleep, d)
}

// hasDistribution says whether x counts any traffic of dist (the edge
// writes every side's series, zero or not, for each primary it serves).
func hasDistribution(x *metrics.Exposition, dist string) bool {
	f := x.Family(metricRequests)
	if f == nil {
		return false
	}
	for _, s := range f.Samples {
		if s.Labels["distribution"] == dist {
			return true
		}
	}
	return false
}

// scrapeMetrics reads <endpoint>/metrics, signed with SigV4 for the
// service "edgecd" when the client has credentials.
func (c *Client) scrapeMetrics(ctx context.Context) (*metrics.Exposition, error) {
	opts := c.CloudFront.Options()
	endpoint := aws.ToString(opts.BaseEndpoint)
	if endpoint == "" {
		return nil, ErrNoMetrics
	}
	url := strings.TrimRight(endpoint, "/") + "/metrics"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	if opts.Credentials != nil {
		creds, err := opts.Credentials.Retrieve(ctx)
		if err != nil {
			return nil, fmt.Errorf("scrape %s: credentials to sign with: %w", url, err)
		}
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, emptySHA256, metricsService, opts.Region, c.now()); err != nil {
			return nil, fmt.Errorf("scrape %s: sign: %w", url, err)
		}
	}
	var hc interface {
		Do(*http.Request) (*http.Response, error)
	} = http.DefaultClient
	if opts.HTTPClient != nil {
		hc = opts.HTTPClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		msg := strings.TrimSpace(string(b))
		if !strings.HasPrefix(msg, "edgecd:") && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden) {
			// Not edgecd's own refusal (its messages start "edgecd:"):
			// another S3-like or AWS endpoint.
			return nil, fmt.Errorf("scrape %s: %s: %w", url, resp.Status, ErrNoMetrics)
		}
		return nil, fmt.Errorf("scrape %s: %s: %s", url, resp.Status, msg)
	}
	x, err := metrics.Parse(io.LimitReader(resp.Body, maxExposition))
	if err != nil && ctx.Err() != nil {
		// Cancelled (Ctrl-C) while the body was read: not a wrong endpoint.
		return nil, fmt.Errorf("scrape %s: %w", url, ctx.Err())
	}
	if err != nil {
		return nil, fmt.Errorf("scrape %s: not an edgecd exposition (%w); %w", url, err, ErrNoMetrics)
	}
	return x, nil
}
