package flow

import "time"

// Clock is the engine's source of time. Tests inject a fake one to fire
// Wait states, retry back-offs and task timeouts without sleeping.
type Clock interface {
	Now() time.Time
	// At delivers once Now() has reached t. An absolute time (rather than
	// a duration) leaves no gap in which a fake clock could move on between
	// reading Now and asking to be woken.
	At(t time.Time) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                  { return time.Now() }
func (realClock) At(t time.Time) <-chan time.Time { return time.After(time.Until(t)) }
