package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

func (s *stepper) task(th *Thread, st *State) {
	id := s.newID("task")
	token := ""
	if isTokenResource(st.Resource) {
		token = s.env.token(id)
	}
	withToken := func(ctx map[string]any) {
		if token != "" {
			ctx["Task"] = map[string]any{"Token": token}
		}
	}
	params, f := s.effectiveInput(th, st, withToken)
	if f != nil {
		s.fail(th, st, f)
		return
	}
	pj := mustJSON(params)
	if len(pj) > MaxPayloadSize {
		s.fail(th, st, failure(ErrDataLimitExceeded, "The parameters of state %q exceed %d bytes", st.Name, MaxPayloadSize))
		return
	}
	timeout, f := s.taskSeconds(th, st, st.TimeoutSeconds, "TimeoutSeconds")
	if f != nil {
		s.fail(th, st, f)
		return
	}
	heartbeat, f := s.taskSeconds(th, st, st.HeartbeatSeconds, "HeartbeatSeconds")
	if f != nil {
		s.fail(th, st, f)
		return
	}
	var creds json.RawMessage
	if st.Credentials != nil {
		v, f := st.Credentials.eval(s.ectx(th, st, th.Input.V))
		if f != nil {
			s.fail(th, st, f)
			return
		}
		creds = json.RawMessage(mustJSON(v))
	}
	ev := eventsFor(st.Resource)
	if ev.region == "" {
		// Integrations (arn:aws:states:::...) run in the state machine's region.
		_, _, ev.region = resourceParts(s.x.Context.StateMachineID)
	}
	s.emit(ev.prefix+"Scheduled", ev.scheduled(pj, timeout, heartbeat))
	s.emit(ev.prefix+"Started", ev.started())
	s.effect(ScheduleTask{
		TaskID: id, StateName: st.Name, Resource: st.Resource, Parameters: json.RawMessage(pj),
		Credentials: creds, TimeoutSeconds: timeout, HeartbeatSeconds: heartbeat, Token: token,
	})
	w := &Wait{Kind: "task", TaskID: id, Token: token, Heartbeat: heartbeat}
	if timeout > 0 {
		w.TimeoutTimer = s.newID("timeout")
		s.effect(StartTimer{TimerID: w.TimeoutTimer, At: s.env.Now.Add(time.Duration(timeout) * time.Second)})
	}
	if heartbeat > 0 {
		w.HeartbeatTimer = s.newID("heartbeat")
		s.effect(StartTimer{TimerID: w.HeartbeatTimer, At: s.env.Now.Add(time.Duration(heartbeat) * time.Second)})
	}
	th.Wait, th.Phase = w, phaseWaiting
}

// taskSeconds resolves TimeoutSeconds(Path) or HeartbeatSeconds(Path); the
// path form reads the state input after InputPath.
func (s *stepper) taskSeconds(th *Thread, st *State, t *Template, field string) (int64, *Failure) {
	if t == nil {
		return 0, nil
	}
	in := th.Input.V
	if !jsonataMode(st) {
		var f *Failure
		if in, f = s.inputPath(th, st); f != nil {
			return 0, f
		}
	}
	v, f := t.eval(s.ectx(th, st, in))
	if f != nil {
		return 0, f
	}
	n, ok := toInt(v)
	if !ok || n <= 0 {
		return 0, failure(ErrRuntime, "%s of state %q must be a positive integer, got %s", field, st.Name, mustJSON(v))
	}
	return n, nil
}

func (s *stepper) taskSucceeded(th *Thread, e TaskSucceeded) {
	st, w := s.state(th), th.Wait
	if w.Purpose != "" {
		th.Wait = nil
		out, err := decode(e.Output)
		var f *Failure
		if err != nil {
			f = failure(ErrRuntime, "the %s result is not JSON: %v", w.Purpose, err)
		}
		s.integrationDone(th, st, w, out, f)
		return
	}
	s.stopTaskTimers(w, "")
	th.Wait = nil
	raw := e.Output
	if len(raw) == 0 {
		raw = json.RawMessage("null")
	}
	ev := eventsFor(st.Resource)
	s.emit(ev.prefix+"Succeeded", ev.succeeded(string(raw)))
	if len(raw) > MaxPayloadSize {
		s.fail(th, st, failure(ErrDataLimitExceeded, "The state/task %q returned a result with a size exceeding the maximum number of bytes service limit.", st.Name))
		return
	}
	result, err := decode(raw)
	if err != nil {
		s.fail(th, st, failure(ErrRuntime, "The task result of state %q is not valid JSON: %v", st.Name, err))
		return
	}
	out, f := s.finishResult(th, st, result)
	if f != nil {
		s.fail(th, st, f)
		return
	}
	s.exit(th, st, out, st.Next)
}

func (s *stepper) taskFailed(th *Thread, e TaskFailed) {
	st, w := s.state(th), th.Wait
	if w.Purpose != "" {
		th.Wait = nil
		s.integrationDone(th, st, w, nil, &Failure{Error: e.Error, Cause: e.Cause})
		return
	}
	s.stopTaskTimers(w, "")
	th.Wait = nil
	ev := eventsFor(st.Resource)
	s.emit(ev.prefix+"Failed", ev.failed(e.Error, e.Cause))
	s.fail(th, st, &Failure{Error: e.Error, Cause: e.Cause})
}

func (s *stepper) heartbeat(th *Thread) {
	w := th.Wait
	if w.HeartbeatTimer == "" {
		return
	}
	s.effect(CancelTimer{TimerID: w.HeartbeatTimer})
	w.HeartbeatTimer = s.newID("heartbeat")
	s.effect(StartTimer{TimerID: w.HeartbeatTimer, At: s.env.Now.Add(time.Duration(w.Heartbeat) * time.Second)})
}

// willRetry reports whether fail would retry f rather than catch or fail.
func (s *stepper) willRetry(th *Thread, st *State, f *Failure) bool {
	for i, r := range st.Retry {
		if matchesError(r.ErrorEquals, f.Error) {
			return th.Retries == nil || th.Retries[i] < r.MaxAttempts
		}
	}
	return false
}

// fail handles a state's failure: the first matching retrier (if attempts
// remain), else the first matching catcher, else the thread fails.
func (s *stepper) fail(th *Thread, st *State, f *Failure) {
	if f.Error == ErrRuntime || f.Error == ErrIntrinsicFailure || f.Error == ErrQueryEvaluationError || f.Error == ErrResultPathMatchFailure {
		// The cloud prefixes faults it finds while running a state this way.
		f = &Failure{Error: f.Error, Cause: fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %s", st.Name, th.EnteredEvent, f.Cause)}
	}
	for i, r := range st.Retry {
		if !matchesError(r.ErrorEquals, f.Error) {
			continue
		}
		if th.Retries == nil {
			th.Retries = make([]int, len(st.Retry))
		}
		n := th.Retries[i]
		if n >= r.MaxAttempts {
			break
		}
		th.Retries[i]++
		th.RetryCount++
		delay := r.IntervalSeconds * math.Pow(r.BackoffRate, float64(n))
		if r.MaxDelaySeconds > 0 && delay > r.MaxDelaySeconds {
			delay = r.MaxDelaySeconds
		}
		if r.JitterFull {
			delay *= s.env.random()
		}
		id := s.newID("retry")
		s.effect(StartTimer{TimerID: id, At: s.env.Now.Add(time.Duration(delay * float64(time.Second)))})
		th.Wait, th.Phase = &Wait{Kind: "retry", TimerID: id}, phaseWaiting
		return
	}
	for _, c := range st.Catch {
		if !matchesError(c.ErrorEquals, f.Error) {
			continue
		}
		errOut := map[string]any{"Error": f.Error, "Cause": f.Cause}
		out, cf := s.caught(th, st, c, errOut)
		if cf != nil {
			th.Phase, th.Failure = phaseFailed, cf
			return
		}
		// The cloud leaves a caught state with an Exited event whose output
		// is the catcher's result, then enters the catcher's Next.
		s.emit(st.Type+"StateExited", map[string]any{"name": st.Name, "output": s.json(out), "outputDetails": payloadDetails})
		th.State, th.Input, th.Phase, th.Wait = c.Next, Value{out}, phaseEnter, nil
		return
	}
	th.Phase, th.Failure, th.Wait = phaseFailed, f, nil
}

// caught computes the input of a catcher's Next state.
func (s *stepper) caught(th *Thread, st *State, c Catcher, errOut map[string]any) (any, *Failure) {
	if jsonataMode(st) {
		ec := s.ectx(th, st, th.Input.V)
		ec.states["errorOutput"] = errOut
		var out any = errOut
		if c.Output != nil {
			var f *Failure
			if out, f = c.Output.eval(ec); f != nil {
				return nil, f
			}
		}
		return out, s.assign(th, c.Assign, ec)
	}
	if f := s.assign(th, c.Assign, s.ectx(th, st, errOut)); f != nil {
		return nil, f
	}
	return s.resultPath(th.Input.V, errOut, c.ResultPath, c.DiscardResult)
}
