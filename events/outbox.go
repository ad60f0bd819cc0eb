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

// pageSize is how many outbox entries one round reads.
const pageSize = 64

// Run delivers the outbox until ctx is done, starting with whatever a
// previous process left. Only one Run per store should deliver at a time;
// two would deliver some events twice (still at least once).
func (b *Bus) Run(ctx context.Context) error {
	for {
		wait, err := b.deliverDue(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			b.log.Error("events: delivering", "err", err)
			wait = time.Second
		}
		if wait == 0 {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-b.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// deliverDue delivers the due entries of one page and returns how long to
// wait before the next is due (0: look again now; an hour when empty, as
// Put wakes the loop).
func (b *Bus) deliverDue(ctx context.Context) (time.Duration, error) {
	page, err := b.listOutbox(ctx, pageSize)
	if err != nil {
		return 0, err
	}
	now := b.opt.Now()
	wait := time.Hour
	var due []store.Entry
	for _, e := range page {
		if at := dueOf(e.ID); at.After(now) {
			wait = at.Sub(now)
			break
		}
		due = append(due, e)
	}
	if len(due) == 0 {
		return wait, nil
	}
	type outcome struct {
		next *store.Entry // the retry, or nil when done
	}
	outs := make([]outcome, len(due))
	var wg sync.WaitGroup
	sem := make(chan struct{}, b.opt.Workers)
	for i, e := range due {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			outs[i].next = b.attempt(ctx, e)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return 0, ctx.Err()
	}
	_, err = b.opt.Store.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		var retries []store.Entry
		for i, e := range due {
			if err := deleteOutbox(ctx, tx, e.ID); err != nil {
				return err
			}
			if outs[i].next != nil {
				retries = append(retries, *outs[i].next)
			}
		}
		return putOutbox(ctx, tx, retries)
	})
	if err != nil {
		return 0, err
	}
	return 0, nil
}

// attempt makes one delivery and returns the outbox entry to retry it,
// or nil when it is done (delivered, or dropped).
func (b *Bus) attempt(ctx context.Context, e store.Entry) *store.Entry {
	var d delivery
	if err := json.Unmarshal(e.Body, &d); err != nil {
		b.log.Error("events: dropping an unreadable delivery", "id", e.ID, "err", err)
		return nil
	}
	err := b.deliver(ctx, &d)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		// Stopping: keep the entry as it is for the next run.
		return &e
	}
	d.Attempts++
	d.LastErr = err.Error()
	log := b.log.With("rule", d.Rule, "target", d.Target.ID, "arn", d.Target.ARN, "event", d.Event.ID, "attempt", d.Attempts, "err", err)
	now := b.opt.Now()
	next := now.Add(b.opt.Backoff(d.Attempts))
	switch {
	case errors.Is(err, ErrPermanent):
		log.Error("events: dropping a delivery that cannot succeed")
		return nil
	case next.Sub(d.Created) > b.opt.MaxEventAge:
		log.Error("events: dropping a delivery retried past the maximum event age", "maxAge", b.opt.MaxEventAge)
		return nil
	}
	log.Warn("events: delivery failed; will retry", "at", next)
	body, merr := json.Marshal(&d)
	if merr != nil {
		return nil
	}
	return &store.Entry{ID: outboxKey(next, &d), Body: body}
}
