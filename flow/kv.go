package flow

import (
	"context"
	"errors"

	"github.com/edgecd/edgecd/store"
)

// The engine keeps executions, history events, timers, tasks and tokens as
// unversioned entries (store.EntryTx) when the store has them: they change
// on every step, nobody watches them, and versioned records would copy each
// change into History and the change log. On a store without entries they
// fall back to records. Machines are always versioned records: executions
// run the version they started with.

// kvTx is the engine's view of a transaction.
type kvTx interface {
	get(ctx context.Context, kind, id string) ([]byte, error) // store.ErrNotFound
	put(ctx context.Context, kind, id string, body []byte) error
	del(ctx context.Context, kind, id string) (bool, error)
	putMany(ctx context.Context, kind string, entries []store.Entry) error
}

// kvReader is the engine's view of the store outside transactions.
type kvReader interface {
	get(ctx context.Context, kind, id string) ([]byte, error)
	list(ctx context.Context, kind string, q store.Query) ([]store.Entry, error)
}

func txKV(tx store.Tx) kvTx {
	if etx, ok := tx.(store.EntryTx); ok {
		return entryTx{etx}
	}
	return recordTx{tx}
}

func readerKV(st store.Store) kvReader {
	if r, ok := st.(store.EntryReader); ok {
		return entryReader{r}
	}
	return recordReader{st}
}

type entryTx struct{ tx store.EntryTx }

func (e entryTx) get(ctx context.Context, kind, id string) ([]byte, error) {
	return e.tx.GetEntry(ctx, kind, id)
}
func (e entryTx) put(ctx context.Context, kind, id string, body []byte) error {
	return e.tx.PutEntry(ctx, kind, id, body)
}
func (e entryTx) putMany(ctx context.Context, kind string, entries []store.Entry) error {
	return e.tx.PutEntries(ctx, kind, entries)
}
func (e entryTx) del(ctx context.Context, kind, id string) (bool, error) {
	return e.tx.DeleteEntry(ctx, kind, id)
}

type entryReader struct{ r store.EntryReader }

func (e entryReader) get(ctx context.Context, kind, id string) ([]byte, error) {
	return e.r.GetEntry(ctx, kind, id)
}
func (e entryReader) list(ctx context.Context, kind string, q store.Query) ([]store.Entry, error) {
	return e.r.ListEntries(ctx, kind, q)
}

type recordTx struct{ tx store.Tx }

func (r recordTx) get(ctx context.Context, kind, id string) ([]byte, error) {
	rec, err := r.tx.Get(ctx, kind, id)
	return rec.Body, err
}
func (r recordTx) put(ctx context.Context, kind, id string, body []byte) error {
	_, err := r.tx.Put(ctx, kind, id, body, store.AnyVersion)
	return err
}
func (r recordTx) putMany(ctx context.Context, kind string, entries []store.Entry) error {
	for _, e := range entries {
		if err := r.put(ctx, kind, e.ID, e.Body); err != nil {
			return err
		}
	}
	return nil
}
func (r recordTx) del(ctx context.Context, kind, id string) (bool, error) {
	err := r.tx.Delete(ctx, kind, id, store.AnyVersion)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

type recordReader struct{ st store.Store }

func (r recordReader) get(ctx context.Context, kind, id string) ([]byte, error) {
	rec, err := r.st.Get(ctx, kind, id)
	return rec.Body, err
}
func (r recordReader) list(ctx context.Context, kind string, q store.Query) ([]store.Entry, error) {
	recs, err := r.st.List(ctx, kind, q)
	out := make([]store.Entry, len(recs))
	for i, rec := range recs {
		out[i] = store.Entry{ID: rec.ID, Body: rec.Body}
	}
	return out, err
}
