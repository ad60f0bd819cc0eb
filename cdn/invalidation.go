package cdn

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/edgecd/edgecd/store"
)

// MaxInvalidationPaths is CloudFront's limit of paths in progress at once.
const MaxInvalidationPaths = 3000

// ValidatePaths checks invalidation paths: each starts with '/', and '*'
// may only be the last character.
func ValidatePaths(b *InvalidationBatch) error {
	if int(b.Paths.Quantity) != len(b.Paths.Items) {
		return errorf(ErrInconsistentQuantities, "Paths.Quantity is %d but Paths.Items has %d entries: make them agree", b.Paths.Quantity, len(b.Paths.Items))
	}
	var p Problems
	if strings.TrimSpace(b.CallerReference) == "" {
		p = append(p, "InvalidationBatch.CallerReference is required: give a unique string such as a timestamp")
	}
	if len(b.Paths.Items) == 0 {
		p = append(p, "give at least one path to invalidate (e.g. /*)")
	}
	for _, path := range b.Paths.Items {
		if !strings.HasPrefix(path, "/") {
			p = append(p, fmt.Sprintf("path %q must start with '/'", path))
		}
		if i := strings.IndexByte(path, '*'); i >= 0 && i != len(path)-1 {
			p = append(p, fmt.Sprintf("path %q: '*' is only allowed as the last character", path))
		}
		if len(path) > 4000 {
			p = append(p, fmt.Sprintf("path %.40q... is longer than 4000 characters", path))
		}
	}
	return p.err()
}

// MatchInvalidation reports whether an invalidation path covers a request
// path: exact, or a prefix when the pattern ends with '*'.
func MatchInvalidation(pattern, path string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(path, prefix)
	}
	return pattern == path
}

// CreateInvalidation records an invalidation for a distribution. Edges
// purge matching cached objects when they apply the revision that wrote it;
// it is Completed when every live edge has. A repeated CallerReference with
// the same paths returns the existing invalidation.
func (s *Service) CreateInvalidation(ctx context.Context, distID string, batch InvalidationBatch) (*Invalidation, error) {
	if err := ValidatePaths(&batch); err != nil {
		return nil, err
	}
	var out *Invalidation
	var atRev int64
	rev, err := s.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.Get(ctx, KindDistribution, distID); err != nil {
			return notFound(err, ErrNoSuchDistribution, fmt.Sprintf("distribution %s does not exist", distID))
		}
		existing, err := tx.List(ctx, KindInvalidation, store.Query{Prefix: distID + "/"})
		if err != nil {
			return err
		}
		applied, err := s.appliedEverywhere(ctx)
		if err != nil {
			return err
		}
		inProgress := 0
		for _, r := range existing {
			inv, err := decode[Invalidation](r)
			if err != nil {
				return err
			}
			if inv.InvalidationBatch.CallerReference == batch.CallerReference {
				if !slices.Equal(inv.InvalidationBatch.Paths.Items, batch.Paths.Items) {
					return errorf(ErrInvalidationBatchExists, "invalidation %s already uses CallerReference %q with other paths: use a new CallerReference", inv.Id, batch.CallerReference)
				}
				out, atRev = inv, r.Rev
				return nil
			}
			if r.Rev > applied {
				inProgress += len(inv.InvalidationBatch.Paths.Items)
			}
		}
		if inProgress+len(batch.Paths.Items) > MaxInvalidationPaths {
			return errorf(ErrTooManyInvalidations, "distribution %s already has %d paths being invalidated; at most %d may be in progress: wait for them to complete", distID, inProgress, MaxInvalidationPaths)
		}
		inv := &Invalidation{Id: newInvalidationID(), CreateTime: s.opts.Now().UTC(), InvalidationBatch: batch, Status: StatusInProgress}
		if _, err := tx.Put(ctx, KindInvalidation, distID+"/"+inv.Id, encode(inv), store.NotExists); err != nil {
			return err
		}
		out = inv
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, s.fillInvalidation(ctx, out, max(rev, atRev))
}

func (s *Service) fillInvalidation(ctx context.Context, inv *Invalidation, rev int64) error {
	applied, err := s.appliedEverywhere(ctx)
	inv.Status = invalidationStatus(rev, applied)
	return err
}

// invalidationStatus is Completed once every live edge applied rev.
func invalidationStatus(rev, applied int64) string {
	if rev <= applied {
		return StatusCompleted
	}
	return StatusInProgress
}

// GetInvalidation returns an invalidation with its current status.
func (s *Service) GetInvalidation(ctx context.Context, distID, id string) (*Invalidation, error) {
	if _, err := s.st.Get(ctx, KindDistribution, distID); err != nil {
		return nil, notFound(err, ErrNoSuchDistribution, fmt.Sprintf("distribution %s does not exist", distID))
	}
	rec, err := s.st.Get(ctx, KindInvalidation, distID+"/"+id)
	if err != nil {
		return nil, notFound(err, ErrNoSuchInvalidation, fmt.Sprintf("invalidation %s does not exist for distribution %s", id, distID))
	}
	inv, err := decode[Invalidation](rec)
	if err != nil {
		return nil, err
	}
	return inv, s.fillInvalidation(ctx, inv, rec.Rev)
}

// ListInvalidations returns a distribution's invalidations, newest first.
func (s *Service) ListInvalidations(ctx context.Context, distID, marker string, maxItems int) ([]Invalidation, string, error) {
	if _, err := s.st.Get(ctx, KindDistribution, distID); err != nil {
		return nil, "", notFound(err, ErrNoSuchDistribution, fmt.Sprintf("distribution %s does not exist", distID))
	}
	if maxItems <= 0 {
		maxItems = 100
	}
	recs, err := s.st.List(ctx, KindInvalidation, store.Query{Prefix: distID + "/"})
	if err != nil {
		return nil, "", err
	}
	slices.SortFunc(recs, func(a, b store.Record) int { return int(b.Rev - a.Rev) })
	start := 0
	if marker != "" {
		start = slices.IndexFunc(recs, func(r store.Record) bool { return r.ID == distID+"/"+marker }) + 1
	}
	applied, err := s.appliedEverywhere(ctx)
	if err != nil {
		return nil, "", err
	}
	var out []Invalidation
	next := ""
	for i := start; i < len(recs); i++ {
		if len(out) == maxItems {
			next = out[len(out)-1].Id
			break
		}
		inv, err := decode[Invalidation](recs[i])
		if err != nil {
			return nil, "", err
		}
		inv.Status = invalidationStatus(recs[i].Rev, applied)
		out = append(out, *inv)
	}
	return out, next, nil
}

// IsNotFound reports whether err is any of the not-found errors.
func IsNotFound(err error) bool {
	return errors.Is(err, ErrNoSuchDistribution) || errors.Is(err, ErrNoSuchPolicy) || errors.Is(err, ErrNoSuchInvalidation)
}
