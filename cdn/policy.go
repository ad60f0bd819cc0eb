package cdn

import (
	"context"
	"fmt"
	"strings"

	"github.com/edgecd/edgecd/store"
)

// GetPolicy returns a continuous-deployment policy and its ETag.
func (s *Service) GetPolicy(ctx context.Context, id string) (*ContinuousDeploymentPolicy, string, error) {
	rec, err := s.st.Get(ctx, KindPolicy, id)
	if err != nil {
		return nil, "", notFound(err, ErrNoSuchPolicy, fmt.Sprintf("continuous deployment policy %s does not exist: check the id with list-continuous-deployment-policies", id))
	}
	p, err := decode[ContinuousDeploymentPolicy](rec)
	if err != nil {
		return nil, "", err
	}
	return p, etag(id, rec.Version), nil
}

// CreatePolicy creates a continuous-deployment policy. Its staging domain
// must belong to a staging distribution, and no other policy may route to
// the same staging distribution.
func (s *Service) CreatePolicy(ctx context.Context, cfg ContinuousDeploymentPolicyConfig) (*ContinuousDeploymentPolicy, string, error) {
	if err := ValidatePolicy(&cfg, s.opts.Mode); err != nil {
		return nil, "", err
	}
	p := &ContinuousDeploymentPolicy{Id: newPolicyID(), LastModifiedTime: s.opts.Now().UTC(), ContinuousDeploymentPolicyConfig: cfg}
	var version int64
	_, err := s.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := s.checkPolicyTarget(ctx, tx, p.Id, &cfg); err != nil {
			return err
		}
		rec, err := tx.Put(ctx, KindPolicy, p.Id, encode(p), store.NotExists)
		version = rec.Version
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return p, etag(p.Id, version), nil
}

// checkPolicyTarget verifies the policy's staging domain names a staging
// distribution that no other policy routes to.
func (s *Service) checkPolicyTarget(ctx context.Context, tx store.Tx, id string, cfg *ContinuousDeploymentPolicyConfig) error {
	name := cfg.StagingDistributionDnsNames.Items[0]
	dists, err := tx.List(ctx, KindDistribution, store.Query{})
	if err != nil {
		return err
	}
	found := false
	for _, r := range dists {
		d, err := decode[Distribution](r)
		if err != nil {
			return err
		}
		if strings.EqualFold(d.DomainName, name) {
			if !isTrue(d.DistributionConfig.Staging) {
				return errorf(ErrInvalidArgument, "%s is the domain of %s, which is not a staging distribution: create one with CopyDistribution --staging", name, d.Id)
			}
			found = true
		}
	}
	if !found {
		return errorf(ErrInvalidArgument, "StagingDistributionDnsNames %s is not the domain of any staging distribution: use the DomainName of your staging distribution", name)
	}
	pols, err := tx.List(ctx, KindPolicy, store.Query{})
	if err != nil {
		return err
	}
	for _, r := range pols {
		if r.ID == id {
			continue
		}
		other, err := decode[ContinuousDeploymentPolicy](r)
		if err != nil {
			return err
		}
		if routesTo(&other.ContinuousDeploymentPolicyConfig, name) {
			return errorf(ErrPolicyAlreadyExists, "policy %s already routes to %s: update that policy instead of creating another", other.Id, name)
		}
	}
	return nil
}

// UpdatePolicy replaces a policy's config; ifMatch must be its ETag.
func (s *Service) UpdatePolicy(ctx context.Context, id string, cfg ContinuousDeploymentPolicyConfig, ifMatch string) (*ContinuousDeploymentPolicy, string, error) {
	if err := ValidatePolicy(&cfg, s.opts.Mode); err != nil {
		return nil, "", err
	}
	var out *ContinuousDeploymentPolicy
	var version int64
	_, err := s.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		rec, _, err := getForWrite[ContinuousDeploymentPolicy](ctx, tx, KindPolicy, id, ifMatch, ErrNoSuchPolicy, "continuous deployment policy")
		if err != nil {
			return err
		}
		if err := s.checkPolicyTarget(ctx, tx, id, &cfg); err != nil {
			return err
		}
		p := &ContinuousDeploymentPolicy{Id: id, LastModifiedTime: s.opts.Now().UTC(), ContinuousDeploymentPolicyConfig: cfg}
		nrec, err := tx.Put(ctx, KindPolicy, id, encode(p), rec.Version)
		if err != nil {
			return err
		}
		out, version = p, nrec.Version
		return nil
	})
	if err != nil {
		return nil, "", conflictAsPrecondition(err)
	}
	return out, etag(id, version), nil
}

// DeletePolicy deletes a policy no distribution uses.
func (s *Service) DeletePolicy(ctx context.Context, id, ifMatch string) error {
	_, err := s.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		rec, _, err := getForWrite[ContinuousDeploymentPolicy](ctx, tx, KindPolicy, id, ifMatch, ErrNoSuchPolicy, "continuous deployment policy")
		if err != nil {
			return err
		}
		dists, err := allDistributions(ctx, tx)
		if err != nil {
			return err
		}
		for _, d := range dists {
			if d.DistributionConfig.ContinuousDeploymentPolicyId == id {
				return errorf(ErrPolicyInUse, "continuous deployment policy %s is attached to distribution %s: detach it with UpdateDistribution (remove ContinuousDeploymentPolicyId) first", id, d.Id)
			}
		}
		return tx.Delete(ctx, KindPolicy, id, rec.Version)
	})
	return conflictAsPrecondition(err)
}

// ListPolicies returns policies sorted by id, after marker.
func (s *Service) ListPolicies(ctx context.Context, marker string, maxItems int) ([]ContinuousDeploymentPolicy, string, error) {
	recs, next, err := s.page(ctx, KindPolicy, marker, maxItems)
	if err != nil {
		return nil, "", err
	}
	out := make([]ContinuousDeploymentPolicy, 0, len(recs))
	for _, r := range recs {
		p, err := decode[ContinuousDeploymentPolicy](r)
		if err != nil {
			return nil, "", err
		}
		out = append(out, *p)
	}
	return out, next, nil
}
