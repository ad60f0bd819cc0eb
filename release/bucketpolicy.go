package release

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// Origin access control in the cloud (and edgecd's edge with
// --enforce-bucket-policy) lets a distribution read a bucket only when the
// bucket policy allows the service principal cloudfront.amazonaws.com with
// an AWS:SourceArn condition naming that distribution. A staging
// distribution is a new distribution: seed 002 adds its ARN to the policy
// by hand before routing viewers to it. Stage does the same, and only
// when needed: a bucket with no policy, or whose policy does not name the
// primary (public read, a wildcard that already covers staging), is left
// alone.

// originBuckets returns the buckets the distribution's S3 origins read,
// from their domain names in the cloud's forms
// (<bucket>.s3.<region>.amazonaws.com, <bucket>.s3.amazonaws.com,
// <bucket>.s3-<region>.amazonaws.com).
func originBuckets(cfg *cftypes.DistributionConfig) []string {
	var out []string
	if cfg == nil || cfg.Origins == nil {
		return nil
	}
	for _, o := range cfg.Origins.Items {
		d := strings.ToLower(strings.TrimSuffix(aws.ToString(o.DomainName), "."))
		for _, sep := range []string{".s3.", ".s3-"} {
			if i := strings.LastIndex(d, sep); i > 0 && !slices.Contains(out, d[:i]) {
				out = append(out, d[:i])
				break
			}
		}
	}
	return out
}

// distributionARNs returns the ARNs of primary and staging as the API
// reports them.
func (c *Client) distributionARN(ctx context.Context, id string) (string, error) {
	out, err := c.CloudFront.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(id)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Distribution.ARN), nil
}

// siblingARN is the ARN of distribution id in the account of arn (all
// distributions' ARNs differ only in the id), for a staging distribution
// that is already deleted.
func siblingARN(arn, id string) string {
	i := strings.LastIndex(arn, "/")
	if i < 0 {
		return ""
	}
	return arn[:i+1] + id
}

// policyEdit changes the AWS:SourceArn values of a bucket policy's Allow
// statements that name the primary. It returns whether anything changed.
type policyEdit func(values []string) ([]string, bool)

// editBucketPolicy applies edit to bucket's policy and writes it back when
// it changed. A bucket without a policy needs nothing.
func (c *Client) editBucketPolicy(ctx context.Context, bucket, primaryARN string, edit policyEdit) (bool, error) {
	out, err := c.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == "NoSuchBucketPolicy" {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	doc, changed, err := editPolicy([]byte(aws.ToString(out.Policy)), primaryARN, edit)
	if err != nil || !changed {
		return false, err
	}
	_, err = c.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(string(doc))})
	return err == nil, err
}

// editPolicy is the pure part of editBucketPolicy: it keeps every field it
// does not touch as it was.
func editPolicy(policy []byte, primaryARN string, edit policyEdit) ([]byte, bool, error) {
	var doc map[string]any
	if err := json.Unmarshal(policy, &doc); err != nil {
		return nil, false, fmt.Errorf("the bucket policy is not JSON: %w", err)
	}
	stmts, _ := doc["Statement"].([]any)
	single := false
	if m, ok := doc["Statement"].(map[string]any); ok {
		stmts, single = []any{m}, true
	}
	changed := false
	for _, s := range stmts {
		st, ok := s.(map[string]any)
		if !ok || st["Effect"] != "Allow" {
			continue
		}
		cond, _ := st["Condition"].(map[string]any)
		for _, kv := range cond {
			kv, ok := kv.(map[string]any)
			if !ok {
				continue
			}
			for k, v := range kv {
				if !strings.EqualFold(k, "AWS:SourceArn") {
					continue
				}
				vals := stringList(v)
				if !slices.Contains(vals, primaryARN) {
					continue
				}
				if nv, ok := edit(vals); ok {
					kv[k] = nv
					changed = true
				}
			}
		}
	}
	if !changed {
		return policy, false, nil
	}
	if single {
		doc["Statement"] = stmts[0]
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	return b, true, err
}

func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// addARN adds arn unless a value already covers it (equal, or a
// wildcard such as arn:aws:cloudfront::123:distribution/*).
func addARN(arn string) policyEdit {
	return func(vals []string) ([]string, bool) {
		for _, v := range vals {
			if globMatch(v, arn) {
				return nil, false
			}
		}
		return append(vals, arn), true
	}
}

// removeARN takes arn out again, leaving at least one value.
func removeARN(arn string) policyEdit {
	return func(vals []string) ([]string, bool) {
		i := slices.Index(vals, arn)
		if i < 0 || len(vals) == 1 {
			return nil, false
		}
		return slices.Delete(slices.Clone(vals), i, i+1), true
	}
}

// globMatch matches IAM-style wildcards: * any run, ? one character.
func globMatch(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	ok, _ := regexp.MatchString(re, s)
	return ok
}

// allowStaging makes every origin bucket of the staging distribution whose
// policy lets the primary read also let staging read. It reports the
// buckets it changed.
func (c *Client) allowStaging(ctx context.Context, primaryID, stagingID string, staging *cftypes.DistributionConfig) ([]string, error) {
	return c.editOriginPolicies(ctx, primaryID, stagingID, staging, addARN)
}

// revokeStaging undoes allowStaging.
func (c *Client) revokeStaging(ctx context.Context, primaryID, stagingID string, staging *cftypes.DistributionConfig) ([]string, error) {
	return c.editOriginPolicies(ctx, primaryID, stagingID, staging, removeARN)
}

func (c *Client) editOriginPolicies(ctx context.Context, primaryID, stagingID string, cfg *cftypes.DistributionConfig, edit func(string) policyEdit) ([]string, error) {
	buckets := originBuckets(cfg)
	if len(buckets) == 0 {
		return nil, nil
	}
	if c.S3 == nil {
		c.note("no S3 client: the bucket policies of " + strings.Join(buckets, ", ") + " are not checked")
		return nil, nil
	}
	primaryARN, err := c.distributionARN(ctx, primaryID)
	if err != nil {
		return nil, err
	}
	stagingARN := siblingARN(primaryARN, stagingID)
	var changed []string
	for _, b := range buckets {
		ok, err := c.editBucketPolicy(ctx, b, primaryARN, edit(stagingARN))
		if err != nil {
			return changed, fmt.Errorf("bucket policy of %s: %w", b, err)
		}
		if ok {
			changed = append(changed, b)
		}
	}
	return changed, nil
}

// note tells the user something that is not a step.
func (c *Client) note(msg string) {
	if c.Progress != nil {
		fmt.Fprintf(c.Progress, "  note: %s\n", msg)
	}
}
