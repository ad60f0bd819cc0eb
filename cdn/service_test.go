package cdn_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/store"
	"github.com/edgecd/edgecd/store/sqlite"
)

func newService(t *testing.T, mode cdn.Mode) (*cdn.Service, store.Store) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return cdn.NewService(db, cdn.Options{Mode: mode}), db
}

func siteConfig(ref, originPath string) cdn.DistributionConfig {
	return cdn.DistributionConfig{
		CallerReference:   ref,
		Comment:           "test",
		Enabled:           true,
		DefaultRootObject: "index.html",
		Origins: cdn.Origins{Quantity: 1, Items: []cdn.Origin{{
			Id: "s3", DomainName: "site.s3.us-east-1.amazonaws.com", OriginPath: originPath,
			S3OriginConfig: &cdn.S3OriginConfig{OriginAccessIdentity: ""},
		}}},
		DefaultCacheBehavior: cdn.DefaultCacheBehavior{TargetOriginId: "s3", ViewerProtocolPolicy: "allow-all", CachePolicyId: "658327ea-f89d-4fab-a63d-7e88639e58f6"},
		Aliases:              &cdn.Aliases{Quantity: 1, Items: []string{"www.example.com"}},
	}
}

// stage builds a primary, a staging copy and an attached header policy.
func stage(t *testing.T, s *cdn.Service) (primary, staging *cdn.Distribution, policy *cdn.ContinuousDeploymentPolicy) {
	t.Helper()
	ctx := context.Background()
	p, pTag, err := s.CreateDistribution(ctx, siteConfig("ref-1", "/1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	st, stTag, err := s.CopyDistribution(ctx, p.Id, pTag, "ref-staging", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.DistributionConfig
	cfg.Origins.Items[0].OriginPath = "/2.0.0"
	if st, _, err = s.UpdateDistribution(ctx, st.Id, cfg, stTag); err != nil {
		t.Fatal(err)
	}
	pol, _, err := s.CreatePolicy(ctx, cdn.ContinuousDeploymentPolicyConfig{
		Enabled:                     true,
		StagingDistributionDnsNames: cdn.StagingDistributionDnsNames{Quantity: 1, Items: []string{st.DomainName}},
		TrafficConfig: &cdn.TrafficConfig{Type: cdn.SingleHeader,
			SingleHeaderConfig: &cdn.ContinuousDeploymentSingleHeaderConfig{Header: "aws-cf-cd-env", Value: "staging"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	pcfg := p.DistributionConfig
	pcfg.ContinuousDeploymentPolicyId = pol.Id
	if p, _, err = s.UpdateDistribution(ctx, p.Id, pcfg, pTag); err != nil {
		t.Fatal(err)
	}
	return p, st, pol
}

func TestCopyMakesStagingWithoutAliases(t *testing.T) {
	s, _ := newService(t, cdn.Compatible)
	_, st, _ := stage(t, s)
	if st.DistributionConfig.Staging == nil || !*st.DistributionConfig.Staging {
		t.Fatal("copy with staging=true is not a staging distribution")
	}
	if st.DistributionConfig.Aliases != nil && len(st.DistributionConfig.Aliases.Items) != 0 {
		t.Fatalf("staging copy kept the primary's aliases: %v", st.DistributionConfig.Aliases.Items)
	}
}

func TestPromoteKeepsPrimaryIdentity(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t, cdn.Compatible)
	p, st, pol := stage(t, s)
	_, pTag, _ := s.GetDistribution(ctx, p.Id)
	_, sTag, _ := s.GetDistribution(ctx, st.Id)
	got, _, err := s.PromoteStaging(ctx, p.Id, st.Id, pTag+", "+sTag)
	if err != nil {
		t.Fatal(err)
	}
	c := got.DistributionConfig
	switch {
	case got.Id != p.Id || got.DomainName != p.DomainName:
		t.Fatalf("identity changed: %s %s", got.Id, got.DomainName)
	case c.Origins.Items[0].OriginPath != "/2.0.0":
		t.Fatalf("origin path after promote = %q, want the staging /2.0.0", c.Origins.Items[0].OriginPath)
	case c.Aliases == nil || c.Aliases.Items[0] != "www.example.com":
		t.Fatalf("aliases lost: %+v", c.Aliases)
	case c.ContinuousDeploymentPolicyId != pol.Id || c.CallerReference != "ref-1":
		t.Fatalf("policy id %q caller ref %q", c.ContinuousDeploymentPolicyId, c.CallerReference)
	case c.Staging != nil && *c.Staging:
		t.Fatal("primary became staging")
	}
	after, _, _ := s.GetPolicy(ctx, pol.Id)
	if after.ContinuousDeploymentPolicyConfig.Enabled {
		t.Fatal("promote must disable the policy")
	}
}

func TestETagRules(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t, cdn.Compatible)
	d, tag, err := s.CreateDistribution(ctx, siteConfig("r", ""))
	if err != nil {
		t.Fatal(err)
	}
	cfg := d.DistributionConfig
	cfg.Comment = "changed"
	tests := []struct {
		name    string
		ifMatch string
		want    error
	}{
		{"missing If-Match", "", cdn.ErrIfMatchMissing},
		{"stale If-Match", "ENOTTHECURRENT", cdn.ErrPreconditionFailed},
		{"current If-Match", tag, nil},
		{"the same ETag again is now stale", tag, cdn.ErrPreconditionFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := s.UpdateDistribution(ctx, d.Id, cfg, tt.ifMatch)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestConcurrentUpdatesOneWins(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t, cdn.Compatible)
	d, tag, _ := s.CreateDistribution(ctx, siteConfig("r", ""))
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := d.DistributionConfig
			cfg.Comment = "writer"
			_, _, errs[i] = s.UpdateDistribution(ctx, d.Id, cfg, tag)
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else if !errors.Is(err, cdn.ErrPreconditionFailed) {
			t.Fatalf("loser got %v, want PreconditionFailed", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d updates with the same ETag succeeded, want 1", won)
	}
}

func TestLifecycleErrors(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t, cdn.Compatible)
	p, st, pol := stage(t, s)
	_, pTag, _ := s.GetDistribution(ctx, p.Id)
	_, polTag, _ := s.GetPolicy(ctx, pol.Id)
	_, sTag, _ := s.GetDistribution(ctx, st.Id)

	if err := s.DeletePolicy(ctx, pol.Id, polTag); !errors.Is(err, cdn.ErrPolicyInUse) {
		t.Fatalf("delete attached policy: %v, want ErrPolicyInUse", err)
	}
	if err := s.DeleteDistribution(ctx, st.Id, sTag); !errors.Is(err, cdn.ErrDistributionNotDisabled) {
		t.Fatalf("delete enabled staging: %v, want ErrDistributionNotDisabled", err)
	}
	if err := s.DeleteDistribution(ctx, p.Id, pTag); !errors.Is(err, cdn.ErrDistributionNotDisabled) {
		t.Fatalf("delete enabled primary: %v", err)
	}
	// The seed 001 cleanup order works.
	cfg := p.DistributionConfig
	cfg.ContinuousDeploymentPolicyId = ""
	if _, _, err := s.UpdateDistribution(ctx, p.Id, cfg, pTag); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePolicy(ctx, pol.Id, polTag); err != nil {
		t.Fatal(err)
	}
	scfg := st.DistributionConfig
	scfg.Enabled = false
	if _, sTag, err := s.UpdateDistribution(ctx, st.Id, scfg, sTag); err != nil {
		t.Fatal(err)
	} else if err := s.DeleteDistribution(ctx, st.Id, sTag); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.GetDistribution(ctx, st.Id); !errors.Is(err, cdn.ErrNoSuchDistribution) {
		t.Fatalf("deleted staging still there: %v", err)
	}
}

func TestPolicyAtCreationOnlyInNativeMode(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t, cdn.Compatible)
	cfg := siteConfig("x", "")
	cfg.ContinuousDeploymentPolicyId = "some-policy"
	if _, _, err := s.CreateDistribution(ctx, cfg); !errors.Is(err, cdn.ErrInvalidArgument) {
		t.Fatalf("compatible mode accepted a policy at creation: %v", err)
	}
	n, _ := newService(t, cdn.Native)
	if _, _, err := n.CreateDistribution(ctx, cfg); !errors.Is(err, cdn.ErrNoSuchPolicy) {
		t.Fatalf("native mode should check the policy exists, got %v", err)
	}
}

func TestCallerReferenceIdempotency(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t, cdn.Compatible)
	a, _, err := s.CreateDistribution(ctx, siteConfig("same", ""))
	if err != nil {
		t.Fatal(err)
	}
	cfg := siteConfig("same", "")
	cfg.Aliases = nil
	b, _, err := s.CreateDistribution(ctx, siteConfig("same", ""))
	if err != nil || b.Id != a.Id {
		t.Fatalf("same reference and config: %v %v", b, err)
	}
	if _, _, err := s.CreateDistribution(ctx, cfg); !errors.Is(err, cdn.ErrDistributionAlreadyExists) {
		t.Fatalf("same reference, other config: %v", err)
	}
}

func TestStatusFollowsEdgeAcknowledgements(t *testing.T) {
	ctx := context.Background()
	s, db := newService(t, cdn.Compatible)
	now := time.Now()
	db.PutEdge(ctx, store.Edge{ID: "e1", Started: now, LastSeen: now, AckedRev: 0})
	d, _, err := s.CreateDistribution(ctx, siteConfig("r", ""))
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != cdn.StatusInProgress {
		t.Fatalf("status before the edge applied = %s", d.Status)
	}
	rev, _ := db.Rev(ctx)
	db.PutEdge(ctx, store.Edge{ID: "e1", Started: now, LastSeen: now, AckedRev: rev})
	d, _, _ = s.GetDistribution(ctx, d.Id)
	if d.Status != cdn.StatusDeployed {
		t.Fatalf("status after the edge applied = %s", d.Status)
	}
	// A dead edge (no heartbeat) does not hold deployments back.
	db.PutEdge(ctx, store.Edge{ID: "dead", Started: now, LastSeen: now.Add(-time.Hour), AckedRev: 0})
	if d, _, _ = s.GetDistribution(ctx, d.Id); d.Status != cdn.StatusDeployed {
		t.Fatalf("a dead edge blocked deployment: %s", d.Status)
	}
}

func TestValidatePolicyModes(t *testing.T) {
	mk := func(w float64, idle, maxTTL int32) *cdn.ContinuousDeploymentPolicyConfig {
		return &cdn.ContinuousDeploymentPolicyConfig{
			StagingDistributionDnsNames: cdn.StagingDistributionDnsNames{Quantity: 1, Items: []string{"d.example"}},
			TrafficConfig: &cdn.TrafficConfig{Type: cdn.SingleWeight, SingleWeightConfig: &cdn.ContinuousDeploymentSingleWeightConfig{
				Weight: w, SessionStickinessConfig: &cdn.SessionStickinessConfig{IdleTTL: idle, MaximumTTL: maxTTL}}},
		}
	}
	tests := []struct {
		name string
		cfg  *cdn.ContinuousDeploymentPolicyConfig
		mode cdn.Mode
		ok   bool
	}{
		{"cloud weight", mk(0.15, 300, 600), cdn.Compatible, true},
		{"over the cloud cap", mk(0.5, 300, 600), cdn.Compatible, false},
		{"over the cap in native mode", mk(0.5, 300, 600), cdn.Native, true},
		{"full rollout in native mode", mk(1, 300, 600), cdn.Native, true},
		{"above one never", mk(1.5, 300, 600), cdn.Native, false},
		{"idle TTL under 300", mk(0.1, 60, 600), cdn.Compatible, false},
		{"idle over maximum", mk(0.1, 900, 600), cdn.Compatible, false},
		{"short TTLs in native mode", mk(0.1, 5, 10), cdn.Native, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := cdn.ValidatePolicy(tt.cfg, tt.mode)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	h := &cdn.ContinuousDeploymentPolicyConfig{
		StagingDistributionDnsNames: cdn.StagingDistributionDnsNames{Quantity: 1, Items: []string{"d.example"}},
		TrafficConfig:               &cdn.TrafficConfig{Type: cdn.SingleHeader, SingleHeaderConfig: &cdn.ContinuousDeploymentSingleHeaderConfig{Header: "x-env", Value: "s"}},
	}
	err := cdn.ValidatePolicy(h, cdn.Native)
	if err == nil || !errors.Is(err, cdn.ErrInvalidArgument) {
		t.Fatalf("header without the aws-cf-cd- prefix accepted: %v", err)
	}
	if want := `header name "x-env" must start with "aws-cf-cd-"`; !strings.Contains(err.Error(), want) {
		t.Fatalf("message %q does not say %q", err, want)
	}
}
