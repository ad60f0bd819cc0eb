package store

import "testing"

func TestNotifierCoalescesAndNeverGoesBack(t *testing.T) {
	var n Notifier
	ch, cancel := n.Subscribe()
	n.Publish(1)
	n.Publish(3)
	n.Publish(2) // older than what was announced: dropped
	if got := <-ch; got != 3 {
		t.Fatalf("got revision %d, want the newest, 3", got)
	}
	select {
	case got := <-ch:
		t.Fatalf("got a second delivery %d; deliveries should be coalesced", got)
	default:
	}
	n.Publish(4)
	if got := <-ch; got != 4 {
		t.Fatalf("got %d, want 4", got)
	}
	cancel()
	cancel() // idempotent
	if _, open := <-ch; open {
		t.Fatal("channel still open after cancel")
	}
	n.Publish(5) // no subscriber left: must not block or panic
}
