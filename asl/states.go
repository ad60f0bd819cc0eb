package asl

import (
	"strings"
	"time"
)

const timeFormat = "2006-01-02T15:04:05.000Z"

func (s *stepper) enter(th *Thread) {
	st := s.state(th)
	if st == nil {
		th.Phase, th.Failure = phaseFailed, failure(ErrRuntime, "state %q does not exist", th.State)
		return
	}
	th.Entered = s.env.Now
	th.Retries, th.RetryCount = nil, 0
	th.EnteredEvent = s.x.LastEventID + 1
	s.emit(st.Type+"StateEntered", map[string]any{"name": st.Name, "input": s.json(th.Input.V), "inputDetails": payloadDetails})
	th.Phase = phaseRun
}

func (s *stepper) run(th *Thread) {
	st := s.state(th)
	switch st.Type {
	case "Pass":
		s.pass(th, st)
	case "Task":
		s.task(th, st)
	case "Choice":
		s.choice(th, st)
	case "Wait":
		s.wait(th, st)
	case "Succeed":
		s.succeed(th, st)
	case "Fail":
		s.failState(th, st)
	case "Parallel":
		s.parallel(th, st)
	case "Map":
		s.mapState(th, st)
	}
}

// exit leaves the state with output and moves to next (or ends the thread).
func (s *stepper) exit(th *Thread, st *State, output any, next string) {
	out := s.json(output)
	if len(out) > MaxPayloadSize {
		s.fail(th, st, failure(ErrDataLimitExceeded, "The state/task %q returned a result with a size exceeding the maximum number of bytes service limit.", st.Name))
		return
	}
	s.emit(st.Type+"StateExited", map[string]any{"name": st.Name, "output": out, "outputDetails": payloadDetails})
	if next == "" {
		th.Phase, th.Output = phaseDone, &Value{output}
		return
	}
	th.State, th.Input, th.Phase = next, Value{output}, phaseEnter
}

// context builds the context object $$ for a state. The Execution and
// StateMachine parts are the same for every state and built once per call.
func (s *stepper) context(th *Thread, st *State) map[string]any {
	if s.execCtx == nil {
		c := s.x.Context
		s.execCtx = map[string]any{
			"Id": c.ExecutionID, "Input": s.x.Input.V, "Name": c.Name, "RoleArn": c.RoleArn,
			"StartTime": c.StartTime.UTC().Format(timeFormat), "RedriveCount": intNumber(int64(c.RedriveCount)),
		}
		s.machineCtx = map[string]any{"Id": c.StateMachineID, "Name": c.StateMachineName}
	}
	return map[string]any{
		"Execution": s.execCtx,
		"State": map[string]any{
			"EnteredTime": th.Entered.UTC().Format(timeFormat), "Name": st.Name,
			"RetryCount": intNumber(int64(th.RetryCount)),
		},
		"StateMachine": s.machineCtx,
	}
}

// ectx builds the evaluation context: input is what $ means for JSONPath and
// $states.input for JSONata. extra, if set, adds fields to the context object
// ($$.Task, $$.Map) when it is built.
func (s *stepper) ectx(th *Thread, st *State, input any, extra ...func(map[string]any)) *evalCtx {
	c := &evalCtx{scope: Scope{Input: input, Vars: varsOf(th)}, env: s.env, s: s, th: th, st: st, extra: extra}
	c.scope.context = c
	if st.QueryLanguage == JSONata {
		c.states = map[string]any{"input": th.Input.V, "context": c.contextObject()}
		if s.converted == nil {
			s.converted = converter{}
		}
		c.converted = s.converted
	}
	return c
}

// contextObject builds $$ for the state once, on first use.
func (c *evalCtx) contextObject() any {
	if c.built == nil {
		c.built = c.s.context(c.th, c.st)
		for _, f := range c.extra {
			if f != nil {
				f(c.built)
			}
		}
	}
	return c.built
}

func jsonataMode(st *State) bool { return st.QueryLanguage == JSONata }

// inputPath applies InputPath (JSONPath only).
func (s *stepper) inputPath(th *Thread, st *State) (any, *Failure) {
	if st.DiscardInput {
		return map[string]any{}, nil
	}
	if st.InputPath == nil {
		return th.Input.V, nil
	}
	return selectPath(st.InputPath, Scope{Input: th.Input.V, Vars: varsOf(th)})
}

func selectPath(p *Path, sc Scope) (any, *Failure) {
	v, err := p.Eval(sc)
	if err != nil {
		// Jayway's wording: a missing leaf has "No results", a missing
		// step before it is a "Missing property".
		if n := p.missingAt(sc); n >= 0 && n < len(p.segs)-1 {
			prefix := &Path{root: p.root, varName: p.varName, segs: p.segs[:n+1]}
			return nil, failure(ErrRuntime, "Invalid path '%s' : Missing property in path %s", p.src, prefix.normalized())
		}
		return nil, failure(ErrRuntime, "Invalid path '%s' : No results for path: %s", p.src, p.normalized())
	}
	return v, nil
}

func varsOf(th *Thread) map[string]any {
	if len(th.Vars) == 0 {
		return nil
	}
	m := make(map[string]any, len(th.Vars))
	for k, v := range th.Vars {
		m[k] = v.V
	}
	return m
}

// effectiveInput is the value a state works on: InputPath then Parameters
// in JSONPath, Arguments (default: the input) in JSONata.
func (s *stepper) effectiveInput(th *Thread, st *State, extra func(map[string]any)) (any, *Failure) {
	if jsonataMode(st) {
		if st.Arguments == nil {
			return th.Input.V, nil
		}
		return st.Arguments.eval(s.ectx(th, st, th.Input.V, extra))
	}
	eff, f := s.inputPath(th, st)
	if f != nil || st.Parameters == nil {
		return eff, f
	}
	return st.Parameters.eval(s.ectx(th, st, eff, extra))
}

// finishResult turns a state's result into its output: ResultSelector,
// ResultPath and OutputPath in JSONPath, Output in JSONata; and applies
// Assign (evaluated before any variable changes, alongside Output).
func (s *stepper) finishResult(th *Thread, st *State, result any) (any, *Failure) {
	if jsonataMode(st) {
		c := s.ectx(th, st, th.Input.V)
		c.states["result"] = result
		out := result
		if st.Output != nil {
			var f *Failure
			if out, f = st.Output.eval(c); f != nil {
				return nil, f
			}
		}
		return out, s.assign(th, st.Assign, c)
	}
	if st.ResultSelector != nil {
		var f *Failure
		if result, f = st.ResultSelector.eval(s.ectx(th, st, result)); f != nil {
			return nil, f
		}
	}
	// Assign is evaluated on the result but takes effect after OutputPath,
	// which still sees the old variables (recorded from the cloud).
	vars, f := s.evalAssign(st.Assign, s.ectx(th, st, result))
	if f != nil {
		return nil, f
	}
	out, f := s.resultPath(th.Input.V, result, st.ResultPath, st.DiscardResult)
	if f == nil {
		out, f = s.outputPath(th, st, out)
	}
	if f != nil {
		return nil, f
	}
	setVars(th, vars)
	return out, nil
}

func (s *stepper) resultPath(input, result any, p *Path, discard bool) (any, *Failure) {
	if discard {
		return input, nil
	}
	if p == nil || len(p.segs) == 0 {
		return result, nil
	}
	out, err := p.set(input, result)
	if err != nil {
		return nil, failure(ErrResultPathMatchFailure, "Unable to apply ResultPath %q to input %s: %v", p.src, truncate(mustJSON(input)), err)
	}
	return out, nil
}

func (s *stepper) outputPath(th *Thread, st *State, out any) (any, *Failure) {
	if st.DiscardOutput {
		return map[string]any{}, nil
	}
	if st.OutputPath == nil {
		return out, nil
	}
	return selectPath(st.OutputPath, Scope{Input: out, Vars: varsOf(th)})
}

// assign evaluates every Assign value first, then sets them together.
func (s *stepper) assign(th *Thread, t *Template, c *evalCtx) *Failure {
	vars, f := s.evalAssign(t, c)
	if f == nil {
		setVars(th, vars)
	}
	return f
}

func (s *stepper) evalAssign(t *Template, c *evalCtx) (map[string]any, *Failure) {
	if t == nil {
		return nil, nil
	}
	v, f := t.eval(c)
	if f != nil {
		return nil, f
	}
	m, _ := v.(map[string]any)
	return m, nil
}

func setVars(th *Thread, vars map[string]any) {
	if th.Vars == nil && len(vars) > 0 {
		th.Vars = make(map[string]Value, len(vars))
	}
	for k, val := range vars {
		th.Vars[k] = Value{val}
	}
}

func (s *stepper) pass(th *Thread, st *State) {
	if jsonataMode(st) {
		c := s.ectx(th, st, th.Input.V)
		out := th.Input.V
		if st.Output != nil {
			var f *Failure
			if out, f = st.Output.eval(c); f != nil {
				s.fail(th, st, f)
				return
			}
		}
		if f := s.assign(th, st.Assign, c); f != nil {
			s.fail(th, st, f)
			return
		}
		s.exit(th, st, out, st.Next)
		return
	}
	result, f := s.effectiveInput(th, st, nil)
	if f == nil && st.HasResult {
		result = st.Result.lit
	}
	var out any
	if f == nil {
		out, f = s.finishResult(th, st, result)
	}
	if f != nil {
		s.fail(th, st, f)
		return
	}
	s.exit(th, st, out, st.Next)
}

func (s *stepper) succeed(th *Thread, st *State) {
	if jsonataMode(st) {
		out := th.Input.V
		if st.Output != nil {
			var f *Failure
			if out, f = st.Output.eval(s.ectx(th, st, th.Input.V)); f != nil {
				s.fail(th, st, f)
				return
			}
		}
		s.exit(th, st, out, "")
		return
	}
	eff, f := s.inputPath(th, st)
	if f == nil {
		eff, f = s.outputPath(th, st, eff)
	}
	if f != nil {
		s.fail(th, st, f)
		return
	}
	s.exit(th, st, eff, "")
}

func (s *stepper) failState(th *Thread, st *State) {
	c := s.ectx(th, st, th.Input.V)
	var vals [2]string
	for i, t := range []*Template{st.Error, st.Cause} {
		if t == nil {
			continue
		}
		v, f := t.eval(c)
		if f != nil {
			th.Phase, th.Failure = phaseFailed, f
			return
		}
		str, ok := v.(string)
		if !ok {
			th.Phase, th.Failure = phaseFailed, failure(ErrRuntime, "the %s of Fail state %q must be a string, got %s", []string{"error", "cause"}[i], st.Name, typeName(v))
			return
		}
		vals[i] = str
	}
	th.Phase, th.Failure = phaseFailed, &Failure{Error: vals[0], Cause: vals[1]}
}

func (s *stepper) wait(th *Thread, st *State) {
	eff := th.Input.V
	var f *Failure
	if !jsonataMode(st) {
		if eff, f = s.inputPath(th, st); f != nil {
			s.fail(th, st, f)
			return
		}
	}
	until, f := s.waitUntil(th, st, eff)
	if f != nil {
		s.fail(th, st, f)
		return
	}
	if !until.After(s.env.Now) {
		s.waitDone(th, st, eff)
		return
	}
	id := s.newID("timer")
	s.effect(StartTimer{TimerID: id, At: until})
	th.Wait, th.Phase = &Wait{Kind: "wait", TimerID: id, Value: &Value{eff}}, phaseWaiting
}

// maxWait is the longest wait the cloud accepts: an execution lasts a year.
const maxWait = 365 * 24 * time.Hour

// waitUntil resolves a Wait state's end. Causes follow the cloud's wording.
func (s *stepper) waitUntil(th *Thread, st *State, eff any) (time.Time, *Failure) {
	c := s.ectx(th, st, eff)
	if st.Seconds != nil {
		if st.Seconds.kind == tPath {
			return s.waitSecondsPath(st.Seconds.path, eff)
		}
		v, f := st.Seconds.eval(c)
		if f != nil {
			return time.Time{}, f
		}
		n, ok := toInt(v)
		if !ok || n < 0 {
			return time.Time{}, failure(ErrQueryEvaluationError, "The Seconds field must be a non-negative integer, got %s", mustJSON(v))
		}
		return s.waitFor(time.Duration(n) * time.Second)
	}
	if st.Timestamp.kind == tPath {
		src := st.Timestamp.path.src
		v, err := st.Timestamp.path.Eval(Scope{Input: eff})
		if err != nil {
			return time.Time{}, failure(ErrRuntime, "The TimestampPath parameter does not reference an input value: %s", src)
		}
		str, _ := v.(string)
		t, ok := parseTimestamp(str)
		if !ok {
			return time.Time{}, failure(ErrRuntime, "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", src, mustJSON(v))
		}
		return s.waitAt(t)
	}
	v, f := st.Timestamp.eval(c)
	if f != nil {
		return time.Time{}, f
	}
	str, _ := v.(string)
	t, ok := parseTimestamp(str)
	if !ok {
		return time.Time{}, failure(ErrQueryEvaluationError, "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: %s", str)
	}
	return s.waitAt(t)
}

func (s *stepper) waitSecondsPath(p *Path, eff any) (time.Time, *Failure) {
	v, err := p.Eval(Scope{Input: eff})
	if err != nil {
		return time.Time{}, failure(ErrRuntime, "The SecondsPath parameter does not reference an input value: %s", p.src)
	}
	n, ok := toInt(v)
	switch {
	case !ok:
		return time.Time{}, failure(ErrRuntime, "The SecondsPath parameter cannot be parsed as a long value: %s == %s", p.src, mustJSON(v))
	case n < 0:
		return time.Time{}, failure(ErrRuntime, "The SecondsPath parameter references a negative value: %s == %s", p.src, mustJSON(v))
	}
	return s.waitFor(time.Duration(n) * time.Second)
}

func (s *stepper) waitFor(d time.Duration) (time.Time, *Failure) {
	if d > maxWait {
		return time.Time{}, failure(ErrRuntime, "Wait state delay is too long.")
	}
	return s.env.Now.Add(d), nil
}

func (s *stepper) waitAt(t time.Time) (time.Time, *Failure) {
	if t.Sub(s.env.Now) > maxWait {
		return time.Time{}, failure(ErrRuntime, "Wait state delay is too long.")
	}
	return t, nil
}

func (s *stepper) waitDone(th *Thread, st *State, eff any) {
	th.Wait = nil
	var out any
	var f *Failure
	if jsonataMode(st) {
		c := s.ectx(th, st, th.Input.V)
		out = th.Input.V
		if st.Output != nil {
			out, f = st.Output.eval(c)
		}
		if f == nil {
			f = s.assign(th, st.Assign, c)
		}
	} else {
		var vars map[string]any
		if vars, f = s.evalAssign(st.Assign, s.ectx(th, st, eff)); f == nil {
			if out, f = s.outputPath(th, st, eff); f == nil {
				setVars(th, vars)
			}
		}
	}
	if f != nil {
		s.fail(th, st, f)
		return
	}
	s.exit(th, st, out, st.Next)
}

func (s *stepper) timerFired(th *Thread, id string) {
	st, w := s.state(th), th.Wait
	switch id {
	case w.TimerID:
		if w.Kind == "retry" {
			th.Wait, th.Phase = nil, phaseRun
			return
		}
		s.waitDone(th, st, w.Value.V)
	case w.TimeoutTimer, w.HeartbeatTimer:
		name, cause := ErrTimeout, "The task timed out (TimeoutSeconds elapsed)"
		if id == w.HeartbeatTimer {
			name, cause = ErrHeartbeatTimeout, "No heartbeat was received within HeartbeatSeconds"
		}
		s.effect(CancelTask{TaskID: w.TaskID})
		s.stopTaskTimers(w, id)
		ev := eventsFor(st.Resource)
		s.emit(ev.prefix+"TimedOut", ev.failed(name, cause))
		th.Wait = nil
		s.fail(th, st, &Failure{Error: name, Cause: cause})
	}
}

// stopTaskTimers cancels a task's timeout and heartbeat timers except fired.
func (s *stepper) stopTaskTimers(w *Wait, fired string) {
	for _, id := range []string{w.TimeoutTimer, w.HeartbeatTimer} {
		if id != "" && id != fired {
			s.effect(CancelTimer{TimerID: id})
		}
	}
}

func isTokenResource(res string) bool { return strings.HasSuffix(res, ".waitForTaskToken") }
