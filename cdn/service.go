package cdn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/edgecd/edgecd/store"
)

// Record kinds this package keeps in the store.
const (
	KindDistribution = "cloudfront.distribution"
	KindPolicy       = "cloudfront.policy"
	KindInvalidation = "cloudfront.invalidation" // id: <distribution id>/<invalidation id>
	kindCallerRef    = "cloudfront.callerref"    // id: <CallerReference>, body: distribution id
	kindAlias        = "cloudfront.alias"        // id: lower-case alias, body: distribution id
)

// Deployment states as CloudFront reports them.
const (
	StatusDeployed   = "Deployed"
	StatusInProgress = "InProgress"
	StatusCompleted  = "Completed"
)

// Options configure a Service.
type Options struct {
	Mode         Mode
	DomainSuffix string           // distributions get <label>.<DomainSuffix>; default "edgecd.localhost"
	Account      string           // 12-digit account id used in ARNs; default 000000000000
	Now          func() time.Time // default time.Now
	// EdgeLiveWindow is how recently an edge must have reported to count
	// as live; a change is Deployed when every live edge has applied it.
	EdgeLiveWindow time.Duration
}

// Service keeps distributions, policies and invalidations in a store and
// enforces CloudFront's rules on them.
type Service struct {
	st   store.Store
	opts Options
}

// NewService returns a Service over st.
func NewService(st store.Store, opts Options) *Service {
	if opts.DomainSuffix == "" {
		opts.DomainSuffix = "edgecd.localhost"
	}
	if opts.Account == "" {
		opts.Account = "000000000000"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.EdgeLiveWindow == 0 {
		opts.EdgeLiveWindow = 15 * time.Second
	}
	return &Service{st: st, opts: opts}
}

// Mode is the service's limits mode.
func (s *Service) Mode() Mode { return s.opts.Mode }

// Account is the account id used in ARNs.
func (s *Service) Account() string { return s.opts.Account }

// deployedAt reports whether every live edge has applied revision rev.
// With no live edge there is nothing left to propagate to.
func (s *Service) deployedAt(ctx context.Context, rev int64) (bool, error) {
	applied, err := s.appliedEverywhere(ctx)
	return rev <= applied, err
}

// appliedEverywhere is the highest revision every live edge has applied
// (math.MaxInt64 with no live edge), so one read of the edges answers
// "deployed?" for any number of revisions.
func (s *Service) appliedEverywhere(ctx context.Context) (int64, error) {
	edges, err := s.st.Edges(ctx)
	if err != nil {
		return 0, fmt.Errorf("read edges: %w", err)
	}
	cutoff := s.opts.Now().Add(-s.opts.EdgeLiveWindow)
	applied := int64(math.MaxInt64)
	for _, e := range edges {
		if e.LastSeen.After(cutoff) {
			applied = min(applied, e.AckedRev)
		}
	}
	return applied, nil
}

// WaitDeployed blocks until revision rev is applied by every live edge or
// ctx ends. Callers that want read-your-writes at the edge (tests, the
// release client) use it after a change.
func (s *Service) WaitDeployed(ctx context.Context, rev int64) error {
	ch, cancel := s.st.Subscribe()
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := s.deployedAt(ctx, rev)
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		case <-tick.C:
		}
	}
}

func decode[T any](r store.Record) (*T, error) {
	var v T
	if err := json.Unmarshal(r.Body, &v); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", r.Kind, r.ID, err)
	}
	return &v, nil
}

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("cdn: encode %T: %v", v, err)) // only plain structs are encoded
	}
	return b
}

// checkIfMatch applies CloudFront's If-Match rules to one resource.
func checkIfMatch(ifMatch, id string, version int64) error {
	if ifMatch == "" {
		return errorf(ErrIfMatchMissing, "the If-Match header is required: pass the ETag from the latest Get%s call (--if-match)", kindWord(id))
	}
	if ifMatch != etag(id, version) {
		return errorf(ErrPreconditionFailed, "the If-Match version %s is not the current one for %s: get the resource again and retry with its current ETag", ifMatch, id)
	}
	return nil
}

func kindWord(id string) string {
	if len(id) == 14 && id[0] == 'E' {
		return "Distribution"
	}
	return "ContinuousDeploymentPolicy"
}

func notFound(err error, kind error, msg string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &Error{Kind: kind, Msg: msg}
	}
	return err
}

// getForWrite reads a record inside a transaction for an update or delete:
// it must exist (else notFoundErr) and ifMatch must be its current ETag.
func getForWrite[T any](ctx context.Context, tx store.Tx, kind, id, ifMatch string, notFoundErr error, noun string) (store.Record, *T, error) {
	rec, err := tx.Get(ctx, kind, id)
	if err != nil {
		return rec, nil, notFound(err, notFoundErr, fmt.Sprintf("%s %s does not exist", noun, id))
	}
	if err := checkIfMatch(ifMatch, id, rec.Version); err != nil {
		return rec, nil, err
	}
	v, err := decode[T](rec)
	return rec, v, err
}

// page lists one page of a kind after marker, returning the next marker
// ("" on the last page).
func (s *Service) page(ctx context.Context, kind, marker string, maxItems int) ([]store.Record, string, error) {
	if maxItems <= 0 {
		maxItems = 100
	}
	recs, err := s.st.List(ctx, kind, store.Query{After: marker, Limit: maxItems + 1})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(recs) > maxItems {
		recs = recs[:maxItems]
		next = recs[maxItems-1].ID
	}
	return recs, next, nil
}

// allDistributions reads and decodes every distribution in tx.
func allDistributions(ctx context.Context, tx store.Tx) ([]*Distribution, error) {
	recs, err := tx.List(ctx, KindDistribution, store.Query{})
	if err != nil {
		return nil, err
	}
	out := make([]*Distribution, 0, len(recs))
	for _, r := range recs {
		d, err := decode[Distribution](r)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}
