package remote

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/edgecd/edgecd/objstore"
)

// policyEntry is a bucket's policy, or why it has none, as read at at.
type policyEntry struct {
	doc []byte
	err error
	at  time.Time
}

// GetBucketPolicy returns the bucket's policy document; a bucket without
// one gives objstore.ErrNoSuchBucketPolicy, a missing bucket
// objstore.ErrNoSuchBucket. The edge asks on every memory-cache miss when it
// enforces bucket policies, so answers (including those two) are reused for
// PolicyTTL; other errors are not kept.
func (b *Buckets) GetBucketPolicy(ctx context.Context, bucket string) ([]byte, error) {
	if err := objstore.ValidateBucketName(bucket); err != nil {
		return nil, err
	}
	b.mu.Lock()
	p, ok := b.policy[bucket]
	b.mu.Unlock()
	if !ok || b.opts.Now().Sub(p.at) >= b.opts.PolicyTTL {
		var err error
		p, err = b.policies.do(ctx, bucket, func(ctx context.Context) (policyEntry, error) {
			return b.readPolicy(ctx, bucket)
		})
		if err != nil {
			return nil, err
		}
	}
	return bytes.Clone(p.doc), p.err
}

func (b *Buckets) readPolicy(ctx context.Context, bucket string) (policyEntry, error) {
	ctx, cancel := context.WithTimeout(ctx, b.opts.FetchTimeout)
	defer cancel()
	var p policyEntry
	out, err := b.api.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	switch code, _ := codeOf(err); {
	case err == nil:
		p.doc = []byte(aws.ToString(out.Policy))
	case code == "NoSuchBucketPolicy":
		p.err = fmt.Errorf("%w: %s at the origin endpoint", objstore.ErrNoSuchBucketPolicy, bucket)
	case code == "NoSuchBucket":
		p.err = fmt.Errorf("%w: %s at the origin endpoint", objstore.ErrNoSuchBucket, bucket)
	default:
		return p, fmt.Errorf("origin endpoint: get the policy of bucket %s: %w", bucket, err)
	}
	p.at = b.opts.Now()
	b.mu.Lock()
	b.policy[bucket] = p
	b.mu.Unlock()
	return p, nil
}
