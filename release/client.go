package release

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// Client runs release commands.
type Client struct {
	CloudFront *cloudfront.Client
	SSM        *ssm.Client
	// S3, when set, lets Stage add the staging distribution to the origin
	// bucket's policy when that policy names the primary (origin access
	// control), and Abort take it out again. Without it those steps are
	// skipped with a note.
	S3 *s3.Client
	// Service names the SSM parameters: /<Service>/version/frontend and
	// /<Service>/cloudfront/cfcd-staging.
	Service string
	// VersionParam, StagingParam and PromotedParam override the names
	// (PromotedParam, default /<Service>/release/promoted, keeps the
	// history of promoted origin paths that Rollback walks back).
	VersionParam, StagingParam, PromotedParam string
	// Progress receives one line per step (nil to stay quiet) unless
	// OnStep is set.
	Progress io.Writer
	// OnStep, when set, is called as each step starts; the func it
	// returns is called when the step ends, with its error. A terminal
	// spinner showing what a command waits for hangs off this.
	OnStep func(step string) (done func(error))
	// OnWait, when set, hears what a waiting step last saw ("E1 is
	// InProgress", "I2 is InProgress"), for the spinner to show.
	OnWait func(detail string)
	// Poll is the interval between status checks while waiting.
	Poll time.Duration
	// Now is the clock (for caller references); default time.Now.
	Now func() time.Time
}

// NewClient returns a Client on cfg for service "edgecd" (the default
// parameter names /edgecd/...), polling every 250 ms while it waits. With
// a custom endpoint (cfg.BaseEndpoint: edgecd, MinIO) S3 is addressed
// path-style.
func NewClient(cfg aws.Config) *Client {
	return &Client{
		CloudFront: cloudfront.NewFromConfig(cfg),
		SSM:        ssm.NewFromConfig(cfg),
		S3: s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.UsePathStyle = cfg.BaseEndpoint != nil
		}),
		Service: "edgecd",
		Poll:    250 * time.Millisecond,
	}
}

// StepError says which step of a command failed, and what to do next.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("step %q failed: %v\nnext: %s", e.Step, e.Err, Hint(e.Err))
}

func (e *StepError) Unwrap() error { return e.Err }

// staleRetries is how often a step whose write lost an ETag race (someone
// changed the resource between our read and our write) is run again with
// fresh reads before giving up.
const staleRetries = 3

// step runs one idempotent step: fn reads what it changes (with its ETag)
// before changing it, so it is run again when the write finds a stale
// ETag, and a whole command can be re-run after a failure.
func (c *Client) step(name string, fn func() error) error {
	var done func(error)
	switch {
	case c.OnStep != nil:
		done = c.OnStep(name)
	case c.Progress != nil:
		fmt.Fprintf(c.Progress, "• %s\n", name)
	}
	var err error
	for attempt := 0; ; attempt++ {
		err = fn()
		var stale *cftypes.PreconditionFailed
		if errors.As(err, &stale) && attempt < staleRetries {
			continue
		}
		break
	}
	if done != nil {
		done(err)
	}
	if err != nil {
		return &StepError{Step: name, Err: err}
	}
	return nil
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) paramVersion() string {
	if c.VersionParam != "" {
		return c.VersionParam
	}
	return "/" + c.Service + "/version/frontend"
}

func (c *Client) paramStaging() string {
	if c.StagingParam != "" {
		return c.StagingParam
	}
	return "/" + c.Service + "/cloudfront/cfcd-staging"
}

// StagingDeleted is the value of the staging parameter after a cleanup.
const StagingDeleted = "deleted"

func (c *Client) getParam(ctx context.Context, name string) (string, error) {
	out, err := c.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	var nf *ssmtypes.ParameterNotFound
	if errors.As(err, &nf) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Parameter.Value), nil
}

func (c *Client) putParam(ctx context.Context, name, value string) error {
	if cur, err := c.getParam(ctx, name); err == nil && cur == value {
		return nil // already so: do not add a version
	}
	_, err := c.SSM.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)})
	return err
}

// poll is the interval between status checks: Poll, else a second.
func (c *Client) poll() time.Duration {
	if c.Poll > 0 {
		return c.Poll
	}
	return time.Second
}

// waitDeployed polls GetDistribution until every id is Deployed.
func (c *Client) waitDeployed(ctx context.Context, ids ...string) error {
	poll := c.poll()
	for _, id := range ids {
		for {
			out, err := c.CloudFront.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(id)})
			if err != nil {
				return err
			}
			status := aws.ToString(out.Distribution.Status)
			if status == "Deployed" {
				break
			}
			if c.OnWait != nil {
				c.OnWait(id + " is " + status)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s to be Deployed: %w", id, ctx.Err())
			case <-time.After(poll):
			}
		}
	}
	return nil
}

// defaultOrigin returns the origin the default cache behavior targets.
func defaultOrigin(cfg *cftypes.DistributionConfig) (*cftypes.Origin, error) {
	target := aws.ToString(cfg.DefaultCacheBehavior.TargetOriginId)
	for i := range cfg.Origins.Items {
		if aws.ToString(cfg.Origins.Items[i].Id) == target {
			return &cfg.Origins.Items[i], nil
		}
	}
	return nil, fmt.Errorf("the default cache behavior targets origin %q, which the distribution does not have", target)
}

// NormalizeOriginPath turns "2.0.0", "/2.0.0/" into "/2.0.0".
func NormalizeOriginPath(p string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		return ""
	}
	return "/" + p
}

// findStaging returns the staging distribution of primary: the one its
// policy routes to, else the one the staging parameter names.
func (c *Client) findStaging(ctx context.Context, primary *cftypes.DistributionConfig) (id string, err error) {
	if pid := aws.ToString(primary.ContinuousDeploymentPolicyId); pid != "" {
		pol, err := c.CloudFront.GetContinuousDeploymentPolicy(ctx, &cloudfront.GetContinuousDeploymentPolicyInput{Id: aws.String(pid)})
		if err != nil {
			return "", fmt.Errorf("read policy %s: %w", pid, err)
		}
		names := pol.ContinuousDeploymentPolicy.ContinuousDeploymentPolicyConfig.StagingDistributionDnsNames.Items
		if len(names) > 0 {
			if id, err := c.distributionByDomain(ctx, names[0]); err != nil || id != "" {
				return id, err
			}
		}
	}
	v, err := c.getParam(ctx, c.paramStaging())
	if err != nil || v == "" || v == StagingDeleted {
		return "", err
	}
	if _, err := c.CloudFront.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(v)}); err != nil {
		var nf *cftypes.NoSuchDistribution
		if errors.As(err, &nf) {
			return "", nil // the parameter is stale
		}
		return "", err
	}
	return v, nil
}

func (c *Client) distributionByDomain(ctx context.Context, domain string) (string, error) {
	p := cloudfront.NewListDistributionsPaginator(c.CloudFront, &cloudfront.ListDistributionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, d := range page.DistributionList.Items {
			if strings.EqualFold(aws.ToString(d.DomainName), domain) {
				return aws.ToString(d.Id), nil
			}
		}
	}
	return "", nil
}

// Run runs fn as one named step of the caller's own (reported like the
// commands' steps, failing with a *StepError).
func (c *Client) Run(step string, fn func() error) error { return c.step(step, fn) }
