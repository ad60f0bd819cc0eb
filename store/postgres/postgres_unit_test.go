package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/edgecd/edgecd/store"
)

func TestChannelNameFitsAnIdentifier(t *testing.T) {
	tests := []struct {
		name, schema, want string
	}{
		{"public schema", "public", "edgecd_rev_public"},
		{"own schema", "edgecd", "edgecd_rev_edgecd"},
		{"long schema is hashed", strings.Repeat("s", 60), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := channelName(tt.schema)
			if len(got) > 63 {
				t.Fatalf("channel %q is longer than PostgreSQL's 63-byte identifiers", got)
			}
			if tt.want != "" && got != tt.want {
				t.Fatalf("channel %q, want %q", got, tt.want)
			}
			if tt.want == "" && channelName(tt.schema+"x") == got {
				t.Fatal("two long schema names share a channel")
			}
		})
	}
}

// TestCancelledUpdateReleasesTheLock cancels an Update while its fn holds
// the revision lock and another node's Update waits for it: the first
// rolls back, the second proceeds and takes the next revision.
func TestCancelledUpdateReleasesTheLock(t *testing.T) {
	dsn := fresh(t)
	a, b := openDSN(t, dsn), openDSN(t, dsn)
	ctx, cancel := context.WithCancel(context.Background())
	inside := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := a.Update(ctx, func(ctx context.Context, tx store.Tx) error {
			if _, err := tx.Put(ctx, "k", "lost", []byte("x"), store.NotExists); err != nil {
				return err
			}
			close(inside)
			<-ctx.Done()
			return ctx.Err()
		})
		first <- err
	}()
	<-inside
	second := make(chan error, 1)
	var rev int64
	go func() {
		var err error
		rev, err = putOne(context.Background(), b, "k", "kept", "y")
		second <- err
	}()
	select {
	case err := <-second:
		t.Fatalf("a second writer committed while the first held the lock: %v", err)
	case <-time.After(100 * time.Millisecond):
		// Not proof of waiting on its own, but a commit here would be a bug.
	}
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled update: %v", err)
	}
	select {
	case err := <-second:
		if err != nil || rev != 1 {
			t.Fatalf("waiting update: rev %d, %v; want revision 1", rev, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the waiting update never got the lock")
	}
	if _, err := b.Get(context.Background(), "k", "lost"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the cancelled update's write: %v", err)
	}
}
