package asl

import (
	"fmt"
	"time"
)

// Env is what the caller supplies to each Start or Step call: the time and
// the sources of randomness. The core reads no clock and draws no random
// number of its own, so a caller that records Env can replay a step exactly.
type Env struct {
	// Now is the time the event being handled happened.
	Now time.Time
	// Random returns a number in [0, 1); used for retry jitter,
	// States.MathRandom and $random(). Nil means always 0.
	Random func() float64
	// UUID returns a fresh UUID for States.UUID and $uuid(). Nil yields a
	// counter-based placeholder, which tests may pin.
	UUID func() string
	// TaskToken returns a token for a task whose resource ends with
	// ".waitForTaskToken"; it lands in $$.Task.Token and ScheduleTask.Token.
	// Nil derives a predictable token from the task id (tests only).
	TaskToken func() string
	// MaxHistoryEvents fails the execution when its history grows past this
	// many events, as the cloud does at 25,000. 0 means 25,000; -1 no limit.
	MaxHistoryEvents int

	uuidSeq int
}

func (e *Env) random() float64 {
	if e == nil || e.Random == nil {
		return 0
	}
	return e.Random()
}

func (e *Env) uuid() string {
	if e.UUID == nil {
		e.uuidSeq++
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", e.uuidSeq)
	}
	return e.UUID()
}

// token returns a task token. Without Env.TaskToken it derives a
// predictable one from the task id, which is fine for tests only: an executor
// must supply unguessable tokens.
func (e *Env) token(taskID string) string {
	if e.TaskToken == nil {
		return "token-" + taskID
	}
	return e.TaskToken()
}
