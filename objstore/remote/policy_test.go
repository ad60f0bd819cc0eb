package remote

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/edgecd/edgecd/objstore"
)

// clock is a settable Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestGetBucketPolicyIsReusedForTTL(t *testing.T) {
	o := newOrigin(t)
	o.mkBucket(t, "site")
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := newBuckets(t, o, Options{PolicyTTL: 5 * time.Second, Now: clk.now})
	ctx := context.Background()

	if _, err := b.GetBucketPolicy(ctx, "site"); !errors.Is(err, objstore.ErrNoSuchBucketPolicy) {
		t.Fatalf("no policy: %v, want ErrNoSuchBucketPolicy", err)
	}
	if _, err := b.GetBucketPolicy(ctx, "nobucket"); !errors.Is(err, objstore.ErrNoSuchBucket) {
		t.Fatalf("missing bucket: %v, want ErrNoSuchBucket", err)
	}
	const doc = `{"Version":"2012-10-17","Statement":[{"Sid":"cdn","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}`
	if _, err := o.client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("site"), Policy: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	// Within the TTL the absence is remembered: no request.
	clk.add(4 * time.Second)
	if _, err := b.GetBucketPolicy(ctx, "site"); !errors.Is(err, objstore.ErrNoSuchBucketPolicy) {
		t.Fatalf("within the TTL: %v, want the remembered ErrNoSuchBucketPolicy", err)
	}
	if n := o.policyGets(); n != 2 {
		t.Fatalf("origin saw %d policy requests, want 2 (one per bucket)", n)
	}
	clk.add(time.Second)
	got, err := b.GetBucketPolicy(ctx, "site")
	if err != nil || string(got) != doc {
		t.Fatalf("after the TTL: %q, %v", got, err)
	}
	got[0] = 'X' // callers get their own copy
	if again, _ := b.GetBucketPolicy(ctx, "site"); string(again) != doc {
		t.Fatalf("cached policy was changed through a returned slice: %q", again)
	}
	if n := o.policyGets(); n != 3 {
		t.Fatalf("origin saw %d policy requests, want 3", n)
	}
}
