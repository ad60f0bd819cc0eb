package edge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/store"
)

// Watch keeps the server's snapshot in step with the store until ctx ends:
// on every new revision it loads a snapshot, purges what new invalidations
// name, swaps the snapshot in and acknowledges the revision. It also sends a
// heartbeat so the control plane counts this edge as live. addr is what the
// edge reports as its address.
func (s *Server) Watch(ctx context.Context, st store.Store, addr string) error {
	ch, cancel := st.Subscribe()
	defer cancel()
	started := s.opts.Now()
	applied := int64(-1)
	beat := time.NewTicker(2 * time.Second)
	defer beat.Stop()
	ack := func(rev int64) error {
		return st.PutEdge(ctx, store.Edge{ID: s.opts.ID, Addr: addr, Started: started, LastSeen: s.opts.Now(), AckedRev: rev})
	}
	// Register before applying anything, so that nobody mistakes a change
	// for deployed while this edge is still loading.
	if err := ack(0); err != nil {
		return fmt.Errorf("register edge: %w", err)
	}
	defer func() {
		// Leaving: stop counting as live so nothing waits on this edge.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		st.DeleteEdge(ctx, s.opts.ID)
	}()
	for {
		rev, err := st.Rev(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			// The store is unreachable for now (a PostgreSQL restart, a
			// network blip): keep serving the last snapshot and try again
			// at the next heartbeat rather than taking the edge down.
			s.log.Warn("edge could not read the store's revision; serving the last configuration", "err", err)
		case rev != applied:
			if applied, err = s.sync(ctx, st, applied); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				s.log.Error("edge could not apply configuration", "err", err)
			} else if err := ack(applied); err != nil && ctx.Err() == nil {
				s.log.Error("edge could not acknowledge revision", "rev", applied, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		case <-beat.C:
			// Also catches revisions written by other processes.
			if err := ack(applied); err != nil && ctx.Err() == nil {
				s.log.Warn("edge heartbeat failed", "err", err)
			}
		}
	}
}

// sync applies everything after revision from, returning the revision now
// applied.
func (s *Server) sync(ctx context.Context, st store.Store, from int64) (int64, error) {
	rev, recs, err := st.Snapshot(ctx, cdn.KindDistribution, cdn.KindPolicy)
	if err != nil {
		return from, fmt.Errorf("load snapshot: %w", err)
	}
	snap, errs := BuildSnapshot(rev, recs)
	for _, err := range errs {
		s.log.Error("distribution skipped", "err", err)
	}
	if from >= 0 {
		if err := s.purge(ctx, st, from, rev); err != nil {
			return from, err
		}
	}
	s.Apply(snap)
	return rev, nil
}

// purge applies the invalidations written in (from, to].
func (s *Server) purge(ctx context.Context, st store.Store, from, to int64) error {
	for {
		changes, err := st.Changes(ctx, from, 1000)
		if err != nil {
			return fmt.Errorf("read changes: %w", err)
		}
		for _, c := range changes {
			if c.Rev > to {
				return nil
			}
			from = c.Rev
			if c.Kind != cdn.KindInvalidation || c.Deleted {
				continue
			}
			rec, err := st.Get(ctx, c.Kind, c.ID)
			if errors.Is(err, store.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			var inv cdn.Invalidation
			if err := json.Unmarshal(rec.Body, &inv); err != nil {
				return fmt.Errorf("invalidation %s: %w", c.ID, err)
			}
			distID, _, _ := strings.Cut(c.ID, "/")
			paths := inv.InvalidationBatch.Paths.Items
			n := s.cache.purge(distID, func(p string) bool {
				for _, pat := range paths {
					if cdn.MatchInvalidation(pat, p) {
						return true
					}
				}
				return false
			})
			s.Stats.Purged.Add(uint64(n))
		}
		if len(changes) < 1000 {
			return nil
		}
	}
}

// StickyKey returns the cluster-wide key for sticky-session cookies,
// creating it on first use, so that every edge accepts every edge's
// cookies.
func StickyKey(ctx context.Context, st store.Store) ([]byte, error) {
	return store.Secret(ctx, st, "edge.secret", "sticky-cookie-key")
}
