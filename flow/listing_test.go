package flow

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/store"
)

func names(xs []Execution) []string {
	var out []string
	for _, x := range xs {
		out = append(out, x.Name)
	}
	return out
}

func TestExecutionsListNewestFirst(t *testing.T) {
	h := newHarness(t, Options{})
	m := h.machine("wait", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`)
	for _, n := range []string{"b-first", "a-second", "c-third", "d-fourth"} {
		h.start(m, n, `{}`)
		h.clock.Advance(time.Second)
	}
	if _, err := h.e.Stop(h.ctx, ExecutionARN(m, "a-second"), "", ""); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		status asl.Status
		after  string
		limit  int
		want   []string
	}{
		{"all, newest first", "", "", 0, []string{"d-fourth", "c-third", "a-second", "b-first"}},
		{"first page", "", "", 2, []string{"d-fourth", "c-third"}},
		{"next page after the last one", "", ExecutionARN(m, "c-third"), 2, []string{"a-second", "b-first"}},
		{"status filter", asl.Aborted, "", 0, []string{"a-second"}},
		{"running only", asl.Running, "", 0, []string{"d-fourth", "c-third", "b-first"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			xs, err := h.e.Executions(h.ctx, m, tt.status, tt.after, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if got := names(xs); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// A store whose executions predate the start-time index gets it at Run.
func TestExecutionsIndexedAfterUpgrade(t *testing.T) {
	h := newHarness(t, Options{})
	m := h.machine("wait", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`)
	h.start(m, "old-1", `{}`)
	h.clock.Advance(time.Second)
	h.start(m, "old-2", `{}`)
	h.stop()
	// Drop the index as an older engine would have left the store.
	if _, err := h.db.Update(h.ctx, func(ctx context.Context, tx store.Tx) error {
		etx := tx.(store.EntryTx)
		recs, err := h.db.ListEntries(ctx, kindByStart, store.Query{})
		if err != nil {
			return err
		}
		for _, r := range recs {
			if _, err := etx.DeleteEntry(ctx, kindByStart, r.ID); err != nil {
				return err
			}
		}
		_, err = etx.DeleteEntry(ctx, kindMeta, "bystart")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	e, err := New(Options{Store: h.db, Clock: h.clock, Node: "test-node"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	h.eventually("the index", func() bool {
		_, err := h.db.GetEntry(h.ctx, kindMeta, "bystart")
		return err == nil
	})
	xs, err := e.Executions(h.ctx, m, "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(xs); !slices.Equal(got, []string{"old-2", "old-1"}) {
		t.Fatalf("after upgrade %v", got)
	}
}
