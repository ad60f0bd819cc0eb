package cdn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/edgecd/edgecd/store"
)

// ARN of a distribution in the cloud's format.
func (s *Service) distributionARN(id string) string {
	return fmt.Sprintf("arn:aws:cloudfront::%s:distribution/%s", s.opts.Account, id)
}

// GetDistribution returns a distribution with its current status and ETag.
func (s *Service) GetDistribution(ctx context.Context, id string) (*Distribution, string, error) {
	rec, err := s.st.Get(ctx, KindDistribution, id)
	if err != nil {
		return nil, "", notFound(err, ErrNoSuchDistribution, fmt.Sprintf("distribution %s does not exist: check the id with list-distributions", id))
	}
	d, err := decode[Distribution](rec)
	if err != nil {
		return nil, "", err
	}
	if err := s.fillStatus(ctx, d, rec.Rev); err != nil {
		return nil, "", err
	}
	return d, etag(id, rec.Version), nil
}

// fillStatus sets the live fields: Status and in-progress invalidations.
func (s *Service) fillStatus(ctx context.Context, d *Distribution, rev int64) error {
	if p := d.DistributionConfig.ContinuousDeploymentPolicyId; p != "" {
		// Routing of a primary depends on its policy too.
		if prec, err := s.st.Get(ctx, KindPolicy, p); err == nil {
			rev = max(rev, prec.Rev)
		}
	}
	applied, err := s.appliedEverywhere(ctx)
	if err != nil {
		return err
	}
	d.Status = StatusInProgress
	if rev <= applied {
		d.Status = StatusDeployed
	}
	invs, err := s.st.List(ctx, KindInvalidation, store.Query{Prefix: d.Id + "/"})
	if err != nil {
		return err
	}
	d.InProgressInvalidationBatches = 0
	for _, r := range invs {
		if r.Rev > applied {
			d.InProgressInvalidationBatches++
		}
	}
	return nil
}

// CreateDistribution creates a distribution. A repeated call with the same
// CallerReference and config returns the existing distribution; the same
// reference with another config is ErrDistributionAlreadyExists.
func (s *Service) CreateDistribution(ctx context.Context, cfg DistributionConfig) (*Distribution, string, error) {
	if err := ValidateConfig(&cfg); err != nil {
		return nil, "", err
	}
	if cfg.ContinuousDeploymentPolicyId != "" && s.opts.Mode == Compatible {
		return nil, "", errorf(ErrInvalidArgument, "Continuous deployment policy is not supported during distribution creation: create the distribution, then attach the policy with UpdateDistribution (or run edgecd with --native)")
	}
	return s.create(ctx, cfg)
}

func (s *Service) create(ctx context.Context, cfg DistributionConfig) (*Distribution, string, error) {
	var out *Distribution
	var version, atRev int64
	rev, err := s.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		if existing, err := tx.Get(ctx, kindCallerRef, cfg.CallerReference); err == nil {
			rec, err := tx.Get(ctx, KindDistribution, string(existing.Body))
			if err != nil {
				return err
			}
			d, err := decode[Distribution](rec)
			if err != nil {
				return err
			}
			if !sameConfig(&d.DistributionConfig, &cfg) {
				return errorf(ErrDistributionAlreadyExists, "distribution %s already uses CallerReference %q with a different config: use a new CallerReference", d.Id, cfg.CallerReference)
			}
			out, version, atRev = d, rec.Version, rec.Rev
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		id := newDistributionID()
		d := &Distribution{
			Id:                 id,
			ARN:                s.distributionARN(id),
			DomainName:         newDomainLabel() + "." + s.opts.DomainSuffix,
			LastModifiedTime:   s.opts.Now().UTC(),
			DistributionConfig: cfg,
			Status:             StatusInProgress,
		}
		if err := s.checkPolicyAttach(ctx, tx, d); err != nil {
			return err
		}
		if err := s.claimAliases(ctx, tx, id, nil, cfg.Aliases); err != nil {
			return err
		}
		if _, err := tx.Put(ctx, kindCallerRef, cfg.CallerReference, []byte(id), store.NotExists); err != nil {
			return err
		}
		rec, err := tx.Put(ctx, KindDistribution, id, encode(d), store.NotExists)
		if err != nil {
			return err
		}
		out, version = d, rec.Version
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if err := s.fillStatus(ctx, out, max(rev, atRev)); err != nil {
		return nil, "", err
	}
	return out, etag(out.Id, version), nil
}

func sameConfig(a, b *DistributionConfig) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// claimAliases moves the alias index from old to new aliases of id,
// refusing aliases another distribution holds.
func (s *Service) claimAliases(ctx context.Context, tx store.Tx, id string, old, new *Aliases) error {
	keep := map[string]bool{}
	if new != nil {
		for _, a := range new.Items {
			la := strings.ToLower(a)
			keep[la] = true
			rec, err := tx.Get(ctx, kindAlias, la)
			switch {
			case err == nil && string(rec.Body) != id:
				return errorf(ErrCNAMEAlreadyExists, "alias %s is already used by distribution %s: remove it there first", a, rec.Body)
			case err == nil:
			case errors.Is(err, store.ErrNotFound):
				if _, err := tx.Put(ctx, kindAlias, la, []byte(id), store.NotExists); err != nil {
					return err
				}
			default:
				return err
			}
		}
	}
	if old != nil {
		for _, a := range old.Items {
			if la := strings.ToLower(a); !keep[la] {
				if err := tx.Delete(ctx, kindAlias, la, store.AnyVersion); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
		}
	}
	return nil
}

// checkPolicyAttach enforces the rules for a primary's policy: it exists,
// the distribution is not itself staging, its staging distribution is a
// staging distribution, and no other primary uses the policy.
func (s *Service) checkPolicyAttach(ctx context.Context, tx store.Tx, d *Distribution) error {
	pid := d.DistributionConfig.ContinuousDeploymentPolicyId
	if pid == "" {
		return nil
	}
	if isTrue(d.DistributionConfig.Staging) {
		return errorf(ErrIllegalUpdate, "a staging distribution cannot have a continuous deployment policy: attach the policy to the primary distribution")
	}
	prec, err := tx.Get(ctx, KindPolicy, pid)
	if err != nil {
		return notFound(err, ErrNoSuchPolicy, fmt.Sprintf("continuous deployment policy %s does not exist: create it first", pid))
	}
	p, err := decode[ContinuousDeploymentPolicy](prec)
	if err != nil {
		return err
	}
	dists, err := allDistributions(ctx, tx)
	if err != nil {
		return err
	}
	for _, other := range dists {
		if other.Id != d.Id && other.DistributionConfig.ContinuousDeploymentPolicyId == pid {
			return errorf(ErrPolicyInUse, "continuous deployment policy %s is already attached to distribution %s: detach it there first", pid, other.Id)
		}
		for _, name := range p.ContinuousDeploymentPolicyConfig.StagingDistributionDnsNames.Items {
			if strings.EqualFold(other.DomainName, name) && !isTrue(other.DistributionConfig.Staging) {
				return errorf(ErrInvalidArgument, "policy %s routes to %s, which is not a staging distribution: create one with CopyDistribution --staging", pid, name)
			}
		}
	}
	return nil
}

// UpdateDistribution replaces a distribution's config. ifMatch must be the
// current ETag.
func (s *Service) UpdateDistribution(ctx context.Context, id string, cfg DistributionConfig, ifMatch string) (*Distribution, string, error) {
	var out *Distribution
	var version int64
	rev, err := s.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		rec, d, err := getForWrite[Distribution](ctx, tx, KindDistribution, id, ifMatch, ErrNoSuchDistribution, "distribution")
		if err != nil {
			return err
		}
		old := d.DistributionConfig
		if cfg.CallerReference != old.CallerReference {
			return errorf(ErrIllegalUpdate, "CallerReference cannot change (it is %q): send the config from GetDistributionConfig with your edits", old.CallerReference)
		}
		if isTrue(cfg.Staging) != isTrue(old.Staging) {
			return errorf(ErrIllegalUpdate, "the Staging flag of a distribution cannot change: create a staging distribution with CopyDistribution --staging")
		}
		if err := ValidateConfig(&cfg); err != nil {
			return err
		}
		d.DistributionConfig = cfg
		d.LastModifiedTime = s.opts.Now().UTC()
		if err := s.checkPolicyAttach(ctx, tx, d); err != nil {
			return err
		}
		if err := s.claimAliases(ctx, tx, id, old.Aliases, cfg.Aliases); err != nil {
			return err
		}
		nrec, err := tx.Put(ctx, KindDistribution, id, encode(d), rec.Version)
		if err != nil {
			return err
		}
		out, version = d, nrec.Version
		return nil
	})
	if err != nil {
		return nil, "", conflictAsPrecondition(err)
	}
	if err := s.fillStatus(ctx, out, rev); err != nil {
		return nil, "", err
	}
	return out, etag(id, version), nil
}

// conflictAsPrecondition turns a lost optimistic race into the error the
// loser would have seen had it come second.
func conflictAsPrecondition(err error) error {
	if errors.Is(err, store.ErrConflict) {
		return errorf(ErrPreconditionFailed, "the resource changed while this request ran: get it again and retry with its current ETag")
	}
	return err
}

// DeleteDistribution deletes a disabled, deployed distribution.
func (s *Service) DeleteDistribution(ctx context.Context, id, ifMatch string) error {
	_, err := s.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		rec, d, err := getForWrite[Distribution](ctx, tx, KindDistribution, id, ifMatch, ErrNoSuchDistribution, "distribution")
		if err != nil {
			return err
		}
		if d.DistributionConfig.Enabled {
			return errorf(ErrDistributionNotDisabled, "distribution %s is enabled: disable it with UpdateDistribution (Enabled=false), wait until it is Deployed, then delete it", id)
		}
		if ok, err := s.deployedAt(ctx, rec.Rev); err != nil {
			return err
		} else if !ok {
			return errorf(ErrDistributionNotDisabled, "distribution %s is still being disabled: wait until it is Deployed (aws cloudfront wait distribution-deployed), then delete it", id)
		}
		if isTrue(d.DistributionConfig.Staging) {
			if pid, primary, err := s.policyUsingStaging(ctx, tx, d.DomainName); err != nil {
				return err
			} else if primary != "" {
				return errorf(ErrStagingInUse, "staging distribution %s is used by policy %s attached to %s: detach and delete the policy first", id, pid, primary)
			}
		}
		if err := s.claimAliases(ctx, tx, id, d.DistributionConfig.Aliases, nil); err != nil {
			return err
		}
		if err := tx.Delete(ctx, kindCallerRef, d.DistributionConfig.CallerReference, store.AnyVersion); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.Delete(ctx, KindDistribution, id, rec.Version)
	})
	return conflictAsPrecondition(err)
}

// policyUsingStaging finds a policy routing to the staging domain that is
// attached to some primary, returning the policy and primary ids.
func (s *Service) policyUsingStaging(ctx context.Context, tx store.Tx, domain string) (string, string, error) {
	dists, err := allDistributions(ctx, tx)
	if err != nil {
		return "", "", err
	}
	for _, d := range dists {
		pid := d.DistributionConfig.ContinuousDeploymentPolicyId
		if pid == "" {
			continue
		}
		prec, err := tx.Get(ctx, KindPolicy, pid)
		if err != nil {
			continue
		}
		p, err := decode[ContinuousDeploymentPolicy](prec)
		if err != nil {
			return "", "", err
		}
		for _, n := range p.ContinuousDeploymentPolicyConfig.StagingDistributionDnsNames.Items {
			if strings.EqualFold(n, domain) {
				return pid, d.Id, nil
			}
		}
	}
	return "", "", nil
}

// ListDistributions returns distributions sorted by id, after marker.
func (s *Service) ListDistributions(ctx context.Context, marker string, maxItems int) ([]Distribution, string, error) {
	recs, next, err := s.page(ctx, KindDistribution, marker, maxItems)
	if err != nil {
		return nil, "", err
	}
	out := make([]Distribution, 0, len(recs))
	for _, r := range recs {
		d, err := decode[Distribution](r)
		if err != nil {
			return nil, "", err
		}
		if err := s.fillStatus(ctx, d, r.Rev); err != nil {
			return nil, "", err
		}
		out = append(out, *d)
	}
	return out, next, nil
}
