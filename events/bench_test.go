package events

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
)

func BenchmarkMatch(b *testing.B) {
	p, err := CompilePattern([]byte(rejectionPattern))
	if err != nil {
		b.Fatal(err)
	}
	ev := []byte(actionEvent("FAILED"))
	for b.Loop() {
		if !p.Match(ev) {
			b.Fatal("no match")
		}
	}
}

// BenchmarkPut measures a durable Put of one event that 1 of 20 rules
// matches (the commit includes the outbox entry).
func BenchmarkPut(b *testing.B) {
	bus := openBusB(b, filepath.Join(b.TempDir(), "db"))
	bus.RegisterTarget(goTarget, func(context.Context, Event, json.RawMessage) error { return nil })
	for i := range 20 {
		putRule(b, bus, fmt.Sprint("r", i), fmt.Sprintf(`{"source":["app%d"],"detail":{"state":["FAILED"]}}`, i), Target{ID: "t", ARN: goTarget + "x"})
	}
	entries := []Entry{{Source: "app7", DetailType: "d", Detail: `{"state":"FAILED"}`}}
	for b.Loop() {
		if _, err := bus.Put(context.Background(), entries); err != nil {
			b.Fatal(err)
		}
	}
}
