//go:build race

package flow

// The race detector slows the pure-Go SQLite down about fifteen-fold; the
// crash test then uses fewer executions to stay within its time budget.
const raceEnabled = true
