package cdn

import (
	"context"
	"fmt"
	"strings"

	"github.com/edgecd/edgecd/store"
)

// CopyDistribution creates a new distribution from a primary's config: the
// way CloudFront makes a staging distribution. ifMatch, when given, must be
// the primary's current ETag. The copy gets a new id and domain, no aliases
// (they stay with the primary) and no policy; staging marks it as a staging
// distribution, enabled (when non-nil) overrides Enabled.
func (s *Service) CopyDistribution(ctx context.Context, primaryID, ifMatch, callerRef string, staging bool, enabled *bool) (*Distribution, string, error) {
	rec, err := s.st.Get(ctx, KindDistribution, primaryID)
	if err != nil {
		return nil, "", notFound(err, ErrNoSuchDistribution, fmt.Sprintf("distribution %s does not exist", primaryID))
	}
	if ifMatch != "" {
		if err := checkIfMatch(ifMatch, primaryID, rec.Version); err != nil {
			return nil, "", err
		}
	}
	if strings.TrimSpace(callerRef) == "" {
		return nil, "", errorf(ErrInvalidArgument, "CallerReference is required for CopyDistribution: give a unique string")
	}
	src, err := decode[Distribution](rec)
	if err != nil {
		return nil, "", err
	}
	if isTrue(src.DistributionConfig.Staging) {
		return nil, "", errorf(ErrIllegalUpdate, "distribution %s is a staging distribution: copy its primary instead", primaryID)
	}
	cfg := src.DistributionConfig
	cfg.CallerReference = callerRef
	cfg.Aliases = &Aliases{Quantity: 0}
	cfg.ContinuousDeploymentPolicyId = ""
	cfg.Staging = &staging
	if enabled != nil {
		cfg.Enabled = *enabled
	}
	return s.create(ctx, cfg)
}

// PromoteStaging copies a staging distribution's config into its primary,
// as UpdateDistributionWithStagingConfig does. ifMatch is CloudFront's
// "<primary ETag>, <staging ETag>". The primary keeps its identity: id,
// domain, CallerReference, aliases, policy id, Enabled and Staging=false.
// The policy is disabled in the same transaction, so from the next request
// every viewer gets the promoted config: no request sees a half-promoted
// state.
func (s *Service) PromoteStaging(ctx context.Context, primaryID, stagingID, ifMatch string) (*Distribution, string, error) {
	if strings.TrimSpace(ifMatch) == "" {
		return nil, "", errorf(ErrIfMatchMissing, "the If-Match header is required: pass \"<primary ETag>, <staging ETag>\"")
	}
	parts := strings.Split(ifMatch, ",")
	if len(parts) != 2 {
		return nil, "", errorf(ErrIfMatchMissing, "If-Match %q must hold two ETags, \"<primary ETag>, <staging ETag>\"", ifMatch)
	}
	pTag, sTag := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
	var out *Distribution
	var version int64
	rev, err := s.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		prec, err := tx.Get(ctx, KindDistribution, primaryID)
		if err != nil {
			return notFound(err, ErrNoSuchDistribution, fmt.Sprintf("primary distribution %s does not exist", primaryID))
		}
		srec, err := tx.Get(ctx, KindDistribution, stagingID)
		if err != nil {
			return notFound(err, ErrNoSuchDistribution, fmt.Sprintf("staging distribution %s does not exist", stagingID))
		}
		if err := checkIfMatch(pTag, primaryID, prec.Version); err != nil {
			return err
		}
		if err := checkIfMatch(sTag, stagingID, srec.Version); err != nil {
			return err
		}
		primary, err := decode[Distribution](prec)
		if err != nil {
			return err
		}
		staging, err := decode[Distribution](srec)
		if err != nil {
			return err
		}
		if !isTrue(staging.DistributionConfig.Staging) {
			return errorf(ErrInvalidArgument, "distribution %s is not a staging distribution: StagingDistributionId must name the staging distribution", stagingID)
		}
		pid := primary.DistributionConfig.ContinuousDeploymentPolicyId
		if pid == "" {
			return errorf(ErrInvalidArgument, "primary distribution %s has no continuous deployment policy: attach one that routes to %s first", primaryID, staging.DomainName)
		}
		polRec, err := tx.Get(ctx, KindPolicy, pid)
		if err != nil {
			return notFound(err, ErrNoSuchPolicy, fmt.Sprintf("continuous deployment policy %s of distribution %s does not exist", pid, primaryID))
		}
		pol, err := decode[ContinuousDeploymentPolicy](polRec)
		if err != nil {
			return err
		}
		if !routesTo(&pol.ContinuousDeploymentPolicyConfig, staging.DomainName) {
			return errorf(ErrInvalidArgument, "policy %s of %s routes to another staging distribution, not %s", pid, primaryID, stagingID)
		}
		keep := primary.DistributionConfig
		cfg := staging.DistributionConfig
		cfg.CallerReference = keep.CallerReference
		cfg.Aliases = keep.Aliases
		cfg.ContinuousDeploymentPolicyId = keep.ContinuousDeploymentPolicyId
		cfg.Enabled = keep.Enabled
		cfg.Staging = keep.Staging
		primary.DistributionConfig = cfg
		primary.LastModifiedTime = s.opts.Now().UTC()
		nrec, err := tx.Put(ctx, KindDistribution, primaryID, encode(primary), prec.Version)
		if err != nil {
			return err
		}
		if pol.ContinuousDeploymentPolicyConfig.Enabled {
			pol.ContinuousDeploymentPolicyConfig.Enabled = false
			pol.LastModifiedTime = primary.LastModifiedTime
			if _, err := tx.Put(ctx, KindPolicy, pid, encode(pol), polRec.Version); err != nil {
				return err
			}
		}
		out, version = primary, nrec.Version
		return nil
	})
	if err != nil {
		return nil, "", conflictAsPrecondition(err)
	}
	if err := s.fillStatus(ctx, out, rev); err != nil {
		return nil, "", err
	}
	return out, etag(primaryID, version), nil
}

func routesTo(p *ContinuousDeploymentPolicyConfig, domain string) bool {
	for _, n := range p.StagingDistributionDnsNames.Items {
		if strings.EqualFold(n, domain) {
			return true
		}
	}
	return false
}
