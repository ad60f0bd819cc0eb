package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/edgecd/edgecd/store"
)

// The outbox holds one entry per (event, rule, target) still to deliver,
// keyed by when it is due so that a page read in key order is the work to
// do now:
//
//	events.outbox  <due unix ns, 20 digits>/<event id>/<rule>/<target id>
//
// A retry rewrites the entry under its new due time in the transaction
// that records the failure. It uses unversioned entries (store.EntryTx)
// when the store has them, as the flow engine does for its queues.
const kindOutbox = "events.outbox"

// delivery is one outbox entry.
type delivery struct {
	Event    Event     `json:"event"`
	Rule     string    `json:"rule"`
	RuleARN  string    `json:"ruleArn"`
	Target   Target    `json:"target"`
	Attempts int       `json:"attempts"`
	Created  time.Time `json:"created"`
	LastErr  string    `json:"lastError,omitempty"`
	Owner    string    `json:"owner,omitempty"` // the node holding its lease
}

func outboxKey(due time.Time, d *delivery) string {
	return fmt.Sprintf("%020d/%s/%s/%s", due.UnixNano(), d.Event.ID, d.Rule, d.Target.ID)
}

func dueOf(key string) time.Time {
	ns, _ := strconv.ParseInt(strings.SplitN(key, "/", 2)[0], 10, 64)
	return time.Unix(0, ns)
}

// route lists the deliveries of ev to the enabled rules in rs that match.
func (b *Bus) route(ev Event, rs []Rule, now time.Time) ([]store.Entry, error) {
	raw, err := json.Marshal(&ev)
	if err != nil {
		return nil, err
	}
	doc, _ := decodeEvent(raw)
	var out []store.Entry
	for _, r := range rs {
		if r.State != Enabled || len(r.Targets) == 0 {
			continue
		}
		p, err := b.pattern(r.EventPattern)
		if err != nil {
			b.log.Error("events: skipping a rule whose stored pattern does not compile", "rule", r.Name, "err", err)
			continue
		}
		if !p.matchValue(doc) {
			continue
		}
		for _, t := range r.Targets {
			d := &delivery{Event: ev, Rule: r.Name, RuleARN: r.ARN, Target: t, Created: now}
			body, err := json.Marshal(d)
			if err != nil {
				return nil, err
			}
			out = append(out, store.Entry{ID: outboxKey(now, d), Body: body})
		}
	}
	return out, nil
}

func putOutbox(ctx context.Context, tx store.Tx, entries []store.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	if etx, ok := tx.(store.EntryTx); ok {
		return etx.PutEntries(ctx, kindOutbox, entries)
	}
	for _, e := range entries {
		if _, err := tx.Put(ctx, kindOutbox, e.ID, e.Body, store.AnyVersion); err != nil {
			return err
		}
	}
	return nil
}

func deleteOutbox(ctx context.Context, tx store.Tx, id string) error {
	if etx, ok := tx.(store.EntryTx); ok {
		_, err := etx.DeleteEntry(ctx, kindOutbox, id)
		return err
	}
	err := tx.Delete(ctx, kindOutbox, id, store.AnyVersion)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

func listOutboxTx(ctx context.Context, tx store.Tx, limit int) ([]store.Entry, error) {
	if etx, ok := tx.(store.EntryTx); ok {
		return etx.ListEntries(ctx, kindOutbox, store.Query{Limit: limit})
	}
	recs, err := tx.List(ctx, kindOutbox, store.Query{Limit: limit})
	out := make([]store.Entry, len(recs))
	for i, rec := range recs {
		out[i] = store.Entry{ID: rec.ID, Body: rec.Body}
	}
	return out, err
}

func (b *Bus) listOutbox(ctx context.Context, limit int) ([]store.Entry, error) {
	if r, ok := b.opt.Store.(store.EntryReader); ok {
		return r.ListEntries(ctx, kindOutbox, store.Query{Limit: limit})
	}
	recs, err := b.opt.Store.List(ctx, kindOutbox, store.Query{Limit: limit})
	out := make([]store.Entry, len(recs))
	for i, rec := range recs {
		out[i] = store.Entry{ID: rec.ID, Body: rec.Body}
	}
	return out, err
}

// Pending reports how many deliveries are waiting (due or not).
func (b *Bus) Pending(ctx context.Context) (int, error) {
	es, err := b.listOutbox(ctx, 0)
	return len(es), err
}

// Run delivers the outbox until ctx is done, starting with whatever a
// previous process left. Deliveries run concurrently (Options.Workers), so
// a slow target delays only itself. Each delivery is first leased: its
// entry moves to now+Options.Lease with this node as owner, in a
// transaction, so several nodes may run Run on one store without
// delivering the same entry twice while it is leased; an entry whose node
// died is delivered again when the lease runs out, or at once when that
// node restarts (same Options.Node). Run returns when ctx is done and the
// deliveries in flight have stopped.
func (b *Bus) Run(ctx context.Context) error {
	if err := b.reclaim(ctx); err != nil && ctx.Err() == nil {
		b.log.Error("events: taking back this node's leased deliveries", "err", err)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	busy := 0
	freed := make(chan struct{}, b.opt.Workers)
	for {
	drain:
		for {
			select {
			case <-freed:
				busy--
			default:
				break drain
			}
		}
		wait := time.Hour
		if free := b.opt.Workers - busy; free > 0 {
			claimed, next, err := b.claim(ctx, free)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			wait = next
			if err != nil {
				b.log.Error("events: leasing deliveries", "err", err)
				wait = time.Second
			}
			for _, c := range claimed {
				busy++
				wg.Add(1)
				go func() {
					defer wg.Done()
					b.finish(ctx, c, b.attempt(ctx, c))
					freed <- struct{}{}
				}()
			}
			if len(claimed) == free && err == nil {
				continue // there may be more due
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-b.wake:
		case <-freed:
			busy--
		case <-t.C:
		}
		t.Stop()
	}
}

// claimed is a leased outbox entry.
type claimed struct {
	key string
	d   delivery
}

// claim leases up to n due entries for this node and returns them, with
// how long until the next entry is due when none is left.
func (b *Bus) claim(ctx context.Context, n int) ([]claimed, time.Duration, error) {
	var out []claimed
	wait := time.Hour
	_, err := b.opt.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		out, wait = out[:0], time.Hour
		now := b.opt.Now()
		page, err := listOutboxTx(ctx, tx, n)
		if err != nil {
			return err
		}
		var leased []store.Entry
		for _, e := range page {
			if at := dueOf(e.ID); at.After(now) {
				wait = at.Sub(now)
				break
			}
			if err := deleteOutbox(ctx, tx, e.ID); err != nil {
				return err
			}
			var d delivery
			if err := json.Unmarshal(e.Body, &d); err != nil {
				b.log.Error("events: dropping an unreadable delivery", "id", e.ID, "err", err)
				continue
			}
			d.Owner = b.opt.Node
			body, err := json.Marshal(&d)
			if err != nil {
				return err
			}
			key := outboxKey(now.Add(b.opt.Lease), &d)
			leased = append(leased, store.Entry{ID: key, Body: body})
			out = append(out, claimed{key: key, d: d})
		}
		return putOutbox(ctx, tx, leased)
	})
	if err != nil {
		return nil, 0, err
	}
	return out, wait, nil
}

// reclaim makes this node's leased entries due now: they were in flight
// when this node stopped.
func (b *Bus) reclaim(ctx context.Context) error {
	_, err := b.opt.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		all, err := listOutboxTx(ctx, tx, 0)
		if err != nil {
			return err
		}
		now := b.opt.Now()
		var due []store.Entry
		for _, e := range all {
			var d delivery
			if json.Unmarshal(e.Body, &d) != nil || d.Owner != b.opt.Node || !dueOf(e.ID).After(now) {
				continue
			}
			if err := deleteOutbox(ctx, tx, e.ID); err != nil {
				return err
			}
			d.Owner = ""
			body, err := json.Marshal(&d)
			if err != nil {
				return err
			}
			due = append(due, store.Entry{ID: outboxKey(now, &d), Body: body})
		}
		return putOutbox(ctx, tx, due)
	})
	return err
}

// finish records the outcome of a delivery: the leased entry goes, and a
// retry (if any) takes its place. When ctx is done the lease stays, to be
// taken back by reclaim or by its expiry.
func (b *Bus) finish(ctx context.Context, c claimed, retry *store.Entry) {
	if ctx.Err() != nil {
		return
	}
	_, err := b.opt.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := deleteOutbox(ctx, tx, c.key); err != nil {
			return err
		}
		if retry == nil {
			return nil
		}
		return putOutbox(ctx, tx, []store.Entry{*retry})
	})
	if err != nil && ctx.Err() == nil {
		b.log.Error("events: recording a delivery; it will be made again when its lease ends", "rule", c.d.Rule, "target", c.d.Target.ID, "event", c.d.Event.ID, "err", err)
	}
}

// attempt makes one delivery and returns the outbox entry to retry it,
// or nil when it is done (delivered, or dropped).
func (b *Bus) attempt(ctx context.Context, c claimed) *store.Entry {
	d := c.d
	d.Owner = ""
	err := b.deliver(ctx, &d)
	if err == nil || ctx.Err() != nil {
		return nil
	}
	d.Attempts++
	d.LastErr = err.Error()
	log := b.log.With("rule", d.Rule, "target", d.Target.ID, "arn", d.Target.ARN, "event", d.Event.ID, "attempt", d.Attempts, "err", err)
	now := b.opt.Now()
	next := now.Add(b.opt.Backoff(d.Attempts))
	maxAge, maxRetries := b.opt.MaxEventAge, 185
	if rp := d.Target.RetryPolicy; rp != nil {
		if rp.MaximumEventAgeInSeconds != nil {
			maxAge = time.Duration(*rp.MaximumEventAgeInSeconds) * time.Second
		}
		if rp.MaximumRetryAttempts != nil {
			maxRetries = *rp.MaximumRetryAttempts
		}
	}
	switch {
	case errors.Is(err, ErrPermanent):
		log.Error("events: dropping a delivery that cannot succeed")
		return nil
	case d.Attempts > maxRetries:
		log.Error("events: dropping a delivery after its last retry", "maxRetries", maxRetries)
		return nil
	case next.Sub(d.Created) > maxAge:
		log.Error("events: dropping a delivery retried past the maximum event age", "maxAge", maxAge)
		return nil
	}
	log.Warn("events: delivery failed; will retry", "at", next)
	body, err := json.Marshal(&d)
	if err != nil {
		return nil
	}
	return &store.Entry{ID: outboxKey(next, &d), Body: body}
}

// Delivery is a delivery still to make, as Outbox reports it: what is
// stuck, where, and why.
type Delivery struct {
	EventID   string
	Rule      string
	TargetID  string
	TargetARN string
	Due       time.Time
	Attempts  int
	LastError string
	Leased    bool // a node is making it now (Owner)
	Owner     string
}

// Outbox lists up to limit waiting deliveries (0: all), soonest first.
func (b *Bus) Outbox(ctx context.Context, limit int) ([]Delivery, error) {
	es, err := b.listOutbox(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Delivery, 0, len(es))
	for _, e := range es {
		var d delivery
		if json.Unmarshal(e.Body, &d) != nil {
			continue
		}
		out = append(out, Delivery{
			EventID: d.Event.ID, Rule: d.Rule, TargetID: d.Target.ID, TargetARN: d.Target.ARN,
			Due: dueOf(e.ID), Attempts: d.Attempts, LastError: d.LastErr, Leased: d.Owner != "", Owner: d.Owner,
		})
	}
	return out, nil
}
