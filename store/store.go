// Package store is edgecd's durable state: every resource a user would be
// upset to lose (distributions, policies, invalidations, parameters, ...) is
// a versioned JSON record, written in transactions that are committed before
// the caller acknowledges anything.
//
// The model is deliberately small so that more than one backend can hold it:
// records are (kind, id) -> JSON body with a per-record version for
// optimistic concurrency, every version is kept as history, and every
// committed transaction advances one global revision. Watchers (the edges)
// follow the revision: Subscribe tells them a new revision exists, Snapshot
// reads a consistent view at one revision, Changes lists what changed since
// a revision they already applied. Edges record the revision they applied
// with PutEdge, which is how the control plane knows a change is deployed.
//
// The embedded implementation is in store/sqlite; a PostgreSQL one can
// implement the same interface (LISTEN/NOTIFY for Subscribe) without callers
// changing.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Errors every implementation returns (wrapped) so callers can use errors.Is.
var (
	ErrNotFound = errors.New("record not found")
	// ErrConflict means the record's current version is not the one the
	// caller expected: someone else wrote it first, or it already exists.
	ErrConflict = errors.New("record version conflict")
)

// Expected versions for Tx.Put and Tx.Delete besides a concrete version.
const (
	AnyVersion int64 = -1 // write whatever the current version is
	NotExists  int64 = 0  // the record must not exist yet
)

// Record is one version of one resource.
type Record struct {
	Kind    string
	ID      string
	Version int64 // 1 for the first write, +1 for each later one
	Rev     int64 // the global revision of the transaction that wrote it
	Deleted bool  // only in history: this version removed the record
	Body    []byte
	Created time.Time // when version 1 was written
	Updated time.Time // when this version was written
}

// Change is one entry of the change log: a record written or deleted at Rev.
type Change struct {
	Rev     int64
	Kind    string
	ID      string
	Version int64
	Deleted bool
}

// Query narrows a List.
type Query struct {
	Prefix string // only ids starting with Prefix
	After  string // only ids sorting after After (for pagination)
	Limit  int    // 0 means no limit
}

// Edge is a data-plane node as the control plane sees it.
type Edge struct {
	ID       string
	Addr     string
	Started  time.Time
	LastSeen time.Time
	AckedRev int64 // the highest revision the edge has fully applied
}

// Store is the durable state shared by control-plane and edge nodes.
type Store interface {
	Get(ctx context.Context, kind, id string) (Record, error)
	// GetVersion returns one historical version of a record, including
	// versions of a record that has since been deleted.
	GetVersion(ctx context.Context, kind, id string, version int64) (Record, error)
	// History returns every version of a record, oldest first.
	History(ctx context.Context, kind, id string) ([]Record, error)
	List(ctx context.Context, kind string, q Query) ([]Record, error)

	// Update runs fn in one serializable transaction. If fn returns an error
	// nothing is written. On success the new revision is returned; it is
	// durable when Update returns. A transaction that wrote only entries
	// (EntryTx) is durable too but advances no revision and returns 0.
	Update(ctx context.Context, fn func(ctx context.Context, tx Tx) error) (int64, error)

	// Rev is the latest committed revision.
	Rev(ctx context.Context) (int64, error)
	// Snapshot reads every current record of the given kinds at one
	// revision, which it returns.
	Snapshot(ctx context.Context, kinds ...string) (int64, []Record, error)
	// Changes lists change-log entries after rev, oldest first.
	Changes(ctx context.Context, afterRev int64, limit int) ([]Change, error)
	// Subscribe delivers revisions as they are committed. Deliveries may be
	// coalesced (only the newest matters); the channel is closed by cancel.
	// Watchers must still poll Rev now and then: writes made by other
	// processes may not be announced.
	Subscribe() (ch <-chan int64, cancel func())

	// PutEdge records a heartbeat and the revision an edge has applied.
	PutEdge(ctx context.Context, e Edge) error
	Edges(ctx context.Context) ([]Edge, error)
	DeleteEdge(ctx context.Context, id string) error

	Close() error
}

// Entry is one unversioned entry (see EntryTx).
type Entry struct {
	ID   string
	Body []byte
}

// EntryTx is implemented by the Tx of stores that also keep unversioned
// entries: plain (kind, id) -> body, with no history, no change log and no
// revision, written atomically with the records of the same transaction.
// They hold high-churn internal state that nobody watches (the flow engine's
// execution states, history events, timers and tasks), which would
// otherwise bloat History and wake every edge on each write.
type EntryTx interface {
	// GetEntry returns ErrNotFound (wrapped) for a missing entry.
	GetEntry(ctx context.Context, kind, id string) ([]byte, error)
	PutEntry(ctx context.Context, kind, id string, body []byte) error
	// PutEntries writes many entries of one kind, as PutEntry would one by
	// one, but in fewer statements.
	PutEntries(ctx context.Context, kind string, entries []Entry) error
	// DeleteEntry reports whether the entry existed.
	DeleteEntry(ctx context.Context, kind, id string) (bool, error)
	ListEntries(ctx context.Context, kind string, q Query) ([]Entry, error)
}

// EntryReader is implemented by stores with entries, for reads outside a
// transaction.
type EntryReader interface {
	GetEntry(ctx context.Context, kind, id string) ([]byte, error)
	ListEntries(ctx context.Context, kind string, q Query) ([]Entry, error)
}

// Tx is the view of the store inside Update.
type Tx interface {
	Get(ctx context.Context, kind, id string) (Record, error)
	List(ctx context.Context, kind string, q Query) ([]Record, error)
	// Put writes a new version of a record. expect is the version the caller
	// read (or AnyVersion, or NotExists); a mismatch fails with ErrConflict.
	Put(ctx context.Context, kind, id string, body []byte, expect int64) (Record, error)
	// Delete removes a record; its history stays.
	Delete(ctx context.Context, kind, id string, expect int64) error
}

// NextVersion applies Tx.Put's rules for backends: cur is the record's
// current version (positive when it exists; 0 when it never existed; -v
// when its version v was a deletion). It returns the version to write, or
// ErrConflict when expect does not hold.
func NextVersion(kind, id string, cur, expect int64) (int64, error) {
	switch {
	case expect == NotExists && cur > 0:
		return 0, fmt.Errorf("%s %q already exists: %w", kind, id, ErrConflict)
	case expect > 0 && cur != expect:
		return 0, fmt.Errorf("%s %q is at version %d, not %d: %w", kind, id, max(cur, 0), expect, ErrConflict)
	}
	return max(cur, -cur) + 1, nil
}

// NextRecord applies Tx.Put's rules for backends, as NextVersion does, and
// also picks the creation time of the version to write. created is the
// current record's creation time and now the transaction's, in whatever
// form the backend keeps times. A record written where none exists (never
// written, or deleted) is created now, even though its version numbers
// continue from the deleted one.
func NextRecord[T any](kind, id string, cur, expect int64, created, now T) (version int64, _ T, err error) {
	version, err = NextVersion(kind, id, cur, expect)
	if err != nil {
		return 0, created, err
	}
	if cur <= 0 {
		created = now
	}
	return version, created, nil
}

// CheckDelete applies Tx.Delete's rules for backends, with cur as for
// NextVersion.
func CheckDelete(kind, id string, cur, expect int64) error {
	if cur <= 0 {
		return fmt.Errorf("%s %q: %w", kind, id, ErrNotFound)
	}
	if expect > 0 && cur != expect {
		return fmt.Errorf("%s %q is at version %d, not %d: %w", kind, id, cur, expect, ErrConflict)
	}
	return nil
}
