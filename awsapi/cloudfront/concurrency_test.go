package cloudfront

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cf "github.com/aws/aws-sdk-go-v2/service/cloudfront"

	"github.com/edgecd/edgecd/iam"
)

// TestConcurrentUpdatesOneWins sends N UpdateDistribution requests with the
// same ETag at once: exactly one succeeds, every other gets
// PreconditionFailed (412), and the stored comment is the winner's.
func TestConcurrentUpdatesOneWins(t *testing.T) {
	const n = 16
	ctx := context.Background()
	f := newFixture(t)
	c := f.client(t, iam.AdminPolicy())
	primary, _, _ := seedDistribution(t, ctx, c)
	cur, err := c.GetDistributionConfig(ctx, &cf.GetDistributionConfigInput{Id: &primary})
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := *cur.DistributionConfig
			cfg.Comment = aws.String(fmt.Sprintf("writer %d", i))
			_, errs[i] = c.UpdateDistribution(ctx, &cf.UpdateDistributionInput{Id: &primary, IfMatch: cur.ETag, DistributionConfig: &cfg})
		}()
	}
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("writers %d and %d both succeeded with the same ETag", winner, i)
		case err == nil:
			winner = i
		case apiCode(err) != "PreconditionFailed":
			t.Errorf("writer %d: err = %v, want PreconditionFailed", i, err)
		case httpStatus(err) != 412:
			t.Errorf("writer %d: status %d, want 412", i, httpStatus(err))
		}
	}
	if winner < 0 {
		t.Fatal("no writer succeeded")
	}
	got, err := c.GetDistributionConfig(ctx, &cf.GetDistributionConfigInput{Id: &primary})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("writer %d", winner); aws.ToString(got.DistributionConfig.Comment) != want {
		t.Errorf("stored comment %q, want the winner's %q", aws.ToString(got.DistributionConfig.Comment), want)
	}
}
