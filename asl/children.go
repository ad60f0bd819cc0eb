package asl

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

func (s *stepper) parallel(th *Thread, st *State) {
	eff, f := s.effectiveInput(th, st, nil)
	if f != nil {
		s.fail(th, st, f)
		return
	}
	s.emit("ParallelStateStarted", map[string]any{})
	th.Children = make([]*Thread, len(st.Branches))
	for i, b := range st.Branches {
		th.Children[i] = &Thread{Machine: b.ID, State: b.StartAt, Phase: phaseEnter, Input: Value{eff}, Index: i, Vars: copyVars(th.Vars), Quiet: th.Quiet}
	}
	th.Wait, th.Phase = &Wait{Kind: "children"}, phaseWaiting
	for _, c := range th.Children {
		s.advance(c)
		if c.Phase == phaseFailed || s.halted {
			break // fail fast: later branches never start
		}
	}
	s.childrenChanged(th)
}

func copyVars(v map[string]Value) map[string]Value {
	if len(v) == 0 {
		return nil
	}
	m := make(map[string]Value, len(v))
	for k, x := range v {
		m[k] = x
	}
	return m
}

func (s *stepper) mapState(th *Thread, st *State) {
	eff := th.Input.V
	var items any
	var f *Failure
	if jsonataMode(st) {
		items = eff
		if st.Items != nil {
			items, f = st.Items.eval(s.ectx(th, st, eff))
		}
	} else if eff, f = s.inputPath(th, st); f == nil {
		items = eff
		if st.ItemsPath != nil {
			items, f = selectPath(st.ItemsPath, Scope{Input: eff, Vars: varsOf(th)})
		}
	}
	if f != nil {
		s.fail(th, st, f)
		return
	}
	if st.ItemReader != nil {
		s.integrationTask(th, st, st.ItemReader, "ItemReader", eff, nil)
		return
	}
	s.startMap(th, st, eff, items)
}

// startMap starts the iterations over items.
func (s *stepper) startMap(th *Thread, st *State, eff, items any) {
	list, ok := items.([]any)
	if !ok {
		s.fail(th, st, s.notArray(st, items))
		return
	}
	th.Wait = &Wait{Kind: "children", Value: &Value{eff}}
	th.Batched = false
	if st.Batcher != nil {
		batches, f := s.batch(th, st, list)
		if f != nil {
			th.Wait = nil
			s.fail(th, st, f)
			return
		}
		list, th.Batched = batches, true
	}
	th.Items = make([]Value, len(list))
	for i, x := range list {
		th.Items[i] = Value{x}
	}
	th.Children, th.Started, th.Scanned, th.Finished, th.FailedN = nil, 0, 0, 0, 0
	th.Tolerated = st.ToleratedFailureCount != nil || st.ToleratedFailurePercentage != nil
	s.emit("MapStateStarted", map[string]any{"length": len(list)})
	if st.Distributed {
		s.emit("MapRunStarted", map[string]any{"mapRunArn": s.mapRunArn(th, st)})
	}
	th.Phase = phaseWaiting
	s.childrenChanged(th)
}

// childrenChanged reacts to children that finished: fail fast, start more
// Map iterations, or complete the state.
func (s *stepper) childrenChanged(th *Thread) {
	st := s.state(th)
	if st.Type == "Parallel" {
		s.parallelChanged(th, st)
		return
	}
	s.mapChanged(th, st)
}

func (s *stepper) parallelChanged(th *Thread, st *State) {
	done := 0
	for _, c := range th.Children {
		switch c.Phase {
		case phaseFailed:
			f := c.Failure
			s.abortChildren(th, "")
			if !s.willRetry(th, st, f) {
				s.emit("ParallelStateFailed", errorDetails(f.Error, f.Cause))
			}
			th.Children = nil
			s.fail(th, st, f)
			return
		case phaseDone:
			done++
		}
	}
	if done < len(th.Children) {
		for _, c := range th.Children { // start branches held back by fail fast
			if c.Phase == phaseEnter {
				s.advance(c)
			}
		}
		if th.Phase == phaseWaiting && s.allFinished(th) {
			s.parallelChanged(th, st)
		}
		return
	}
	results := make([]any, len(th.Children))
	for i, c := range th.Children {
		results[i] = c.Output.V
	}
	// The cloud records no ParallelStateSucceeded: Exited follows directly.
	th.Children, th.Wait = nil, nil
	s.complete(th, st, results)
}

func (s *stepper) allFinished(th *Thread) bool {
	for _, c := range th.Children {
		if c.Phase != phaseDone && c.Phase != phaseFailed {
			return false
		}
	}
	return true
}

// complete turns a Parallel or Map result array into the state's output.
func (s *stepper) complete(th *Thread, st *State, results any) {
	out, f := s.finishResult(th, st, results)
	if f != nil {
		s.fail(th, st, f)
		return
	}
	s.exit(th, st, out, st.Next)
}

// abortChildren cancels every unfinished child; Map iterations get a
// MapIterationAborted event.
func (s *stepper) abortChildren(th *Thread, mapName string) {
	for _, c := range th.Children {
		if c.Phase == phaseDone || c.Phase == phaseFailed || c.Phase == phaseAborted {
			continue
		}
		s.cancelAll(c, true)
		c.Phase = phaseAborted
		if mapName != "" && !c.Quiet {
			s.emit("MapIterationAborted", map[string]any{"name": mapName, "index": c.Index})
		}
	}
}

type mapCounts struct{ running, failed int }

func (s *stepper) mapChanged(th *Thread, st *State) {
	limit, tolCount, tolPct, f := s.mapLimits(th, st)
	if f != nil {
		s.abortChildren(th, st.Name)
		s.finishMapFailed(th, st, f)
		return
	}
	for !s.halted {
		s.scanIterations(th, st)
		n := mapCounts{running: len(th.Children) - th.Finished, failed: th.FailedN}
		if n.failed > 0 && s.exceedsTolerance(th, n.failed, tolCount, tolPct) {
			cause := th.Children[firstFailed(th)].Failure
			s.abortChildren(th, st.Name)
			if th.Tolerated {
				cause = failure(ErrExceedToleratedFailure, "The specified tolerated failure threshold was exceeded")
			}
			s.finishMapFailed(th, st, cause)
			return
		}
		if th.Started == len(th.Items) && n.running == 0 {
			results := make([]any, len(th.Children))
			for i, c := range th.Children {
				if c.Phase == phaseDone {
					results[i] = c.Output.V
				} else {
					results[i] = map[string]any{"Error": c.Failure.Error, "Cause": c.Failure.Cause}
				}
			}
			th.Children, th.Items, th.Wait = nil, nil, nil
			if st.Distributed {
				s.emit("MapRunSucceeded", nil)
			}
			s.emit("MapStateSucceeded", map[string]any{})
			if st.ResultWriter != nil {
				s.integrationTask(th, st, st.ResultWriter, "ResultWriter", th.Input.V, results)
				return
			}
			s.complete(th, st, results)
			return
		}
		if th.Started == len(th.Items) || (limit > 0 && n.running >= limit) {
			return
		}
		f := s.startIteration(th, st)
		if f != nil {
			s.abortChildren(th, st.Name)
			s.finishMapFailed(th, st, f)
			return
		}
	}
}

// scanIterations reports iterations that finished since the last scan. It
// starts at the first unreported child, so iterations that finish in order
// cost O(1) each rather than a rescan of all of them.
func (s *stepper) scanIterations(th *Thread, st *State) {
	for i := th.Scanned; i < len(th.Children); i++ {
		c := th.Children[i]
		if c.reported() {
			continue
		}
		switch c.Phase {
		case phaseDone:
			s.iterationEvent(st, "MapIterationSucceeded", c.Index)
		case phaseFailed:
			s.iterationEvent(st, "MapIterationFailed", c.Index)
			th.FailedN++
		default:
			continue
		}
		c.markReported()
		th.Finished++
	}
	for th.Scanned < len(th.Children) && th.Children[th.Scanned].reported() {
		th.Scanned++
	}
}

func (s *stepper) finishMapFailed(th *Thread, st *State, f *Failure) {
	if st.Distributed {
		s.emit("MapRunFailed", errorDetails(f.Error, f.Cause))
	}
	if !s.willRetry(th, st, f) { // a retried Map records no MapStateFailed
		s.emit("MapStateFailed", errorDetails(f.Error, f.Cause))
	}
	th.Children, th.Items = nil, nil
	s.fail(th, st, f)
}

func firstFailed(th *Thread) int {
	for i, c := range th.Children {
		if c.Phase == phaseFailed {
			return i
		}
	}
	return 0
}

func (s *stepper) exceedsTolerance(th *Thread, failed int, count int64, pct float64) bool {
	if !th.Tolerated {
		return true
	}
	if count >= 0 && int64(failed) > count {
		return true
	}
	if pct >= 0 && len(th.Items) > 0 && float64(failed)*100/float64(len(th.Items)) > pct {
		return true
	}
	return false
}

// mapLimits resolves MaxConcurrency and the tolerated failure thresholds;
// -1 means "not set". Causes follow the cloud's wording.
func (s *stepper) mapLimits(th *Thread, st *State) (limit int, count int64, pct float64, f *Failure) {
	count, pct = -1, -1
	read := func(t *Template, field, kind string) (any, *Failure) {
		v, f := t.eval(s.ectx(th, st, th.Wait.Value.V))
		if f != nil {
			return nil, f
		}
		n := numericString(v)
		_, isNum := n.(json.Number)
		if _, isInt := toInt(n); !isNum || (kind == "integer" && !isInt) {
			if t.kind == tPath {
				return nil, failure(ErrRuntime, "The %sPath field refers to value %q which is not a valid %s: %s", field, valueText(v), kind, t.path.src)
			}
			return nil, failure(ErrRuntime, "%s must be a valid %s, got %s", field, kind, mustJSON(v))
		}
		return n, nil
	}
	if st.MaxConcurrency != nil {
		v, f := read(st.MaxConcurrency, "MaxConcurrency", "integer")
		if f != nil {
			return 0, 0, 0, f
		}
		n, _ := toInt(v)
		if n < 0 {
			return 0, 0, 0, failure(ErrRuntime, "MaxConcurrency cannot be negative.")
		}
		limit = int(min(n, math.MaxInt32))
	}
	if st.ToleratedFailureCount != nil {
		v, f := read(st.ToleratedFailureCount, "ToleratedFailureCount", "integer")
		if f != nil {
			return 0, 0, 0, f
		}
		if count, _ = toInt(v); count < 0 {
			return 0, 0, 0, failure(ErrRuntime, "ToleratedFailureCount cannot be negative.")
		}
	}
	if st.ToleratedFailurePercentage != nil {
		v, f := read(st.ToleratedFailurePercentage, "ToleratedFailurePercentage", "float")
		if f != nil {
			return 0, 0, 0, f
		}
		if pct, _ = toFloat(v); pct < 0 || pct > 100 {
			return 0, 0, 0, failure(ErrRuntime, "ToleratedFailurePercentage must be between 0 and 100.")
		}
	}
	return limit, count, pct, nil
}

// valueText prints a value as the cloud quotes it in causes: strings bare.
func valueText(v any) string {
	if str, ok := v.(string); ok {
		return str
	}
	return mustJSON(v)
}

// startIteration starts the next Map item and runs it as far as it goes.
func (s *stepper) startIteration(th *Thread, st *State) *Failure {
	i := th.Started
	th.Started++
	in := th.Items[i].V
	if !th.Batched { // batches already went through ItemSelector
		var f *Failure
		if in, f = s.selectItem(th, st, i, in); f != nil {
			return f
		}
	}
	c := &Thread{Machine: st.Processor.ID, State: st.Processor.StartAt, Phase: phaseEnter, Input: Value{in}, Index: i, Vars: copyVars(th.Vars), Quiet: th.Quiet || st.Distributed}
	th.Children = append(th.Children, c)
	if !st.Distributed {
		s.emit("MapIterationStarted", map[string]any{"name": st.Name, "index": i})
	}
	s.advance(c)
	return nil
}

// reported marks an iteration whose Succeeded/Failed event was emitted; it
// reuses Wait so that the mark is part of the stored state.
func (t *Thread) reported() bool { return t.Wait != nil && t.Wait.Kind == "reported" }
func (t *Thread) markReported()  { t.Wait = &Wait{Kind: "reported"} }

// iterationEvent records a MapIteration* event; a distributed Map's
// iterations are child executions and record none here.
func (s *stepper) iterationEvent(st *State, typ string, index int) {
	if !st.Distributed {
		s.emit(typ, map[string]any{"name": st.Name, "index": index})
	}
}

// mapRunArn names a distributed Map's run the way the cloud does:
// arn:...:mapRun:<state machine name>/<label or state name>:<id>.
func (s *stepper) mapRunArn(th *Thread, st *State) string {
	sm := s.x.Context.StateMachineID
	prefix := strings.Replace(sm, ":stateMachine:", ":mapRun:", 1)
	if prefix == sm {
		prefix = "arn:aws:states:::mapRun:" + s.x.Context.StateMachineName
	}
	return fmt.Sprintf("%s/%s:%d", prefix, st.Name, th.EnteredEvent)
}

// numericString turns a string holding a JSON number into that number: the
// cloud accepts "1" from MaxConcurrencyPath and the ToleratedFailure paths.
func numericString(v any) any {
	if s, ok := v.(string); ok {
		if n, err := decode([]byte(strings.TrimSpace(s))); err == nil {
			if num, isNum := n.(json.Number); isNum {
				return num
			}
		}
	}
	return v
}

// notArray is the failure for Map items that are not an array, worded as
// the cloud words it for each source.
func (s *stepper) notArray(st *State, items any) *Failure {
	switch {
	case st.ItemReader != nil:
		return failure(ErrItemReaderFailed, "The ItemReader of Map state '%s' returned %s, not an array", st.Name, typeName(items))
	case jsonataMode(st) && st.Items != nil && st.Items.kind == tJSONata:
		return failure(ErrQueryEvaluationError, "The JSONata expression '%s' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '%s' for value: %s",
			strings.TrimSpace(st.Items.expr.src), typeName(items), truncate(mustJSON(items)))
	case jsonataMode(st):
		return failure(ErrQueryEvaluationError, "Map state input must be an array but was: %s", truncate(mustJSON(items)))
	}
	path := "$"
	if st.ItemsPath != nil {
		path = st.ItemsPath.src
	}
	return failure(ErrRuntime, "Reference path \"%s\" must point to array.", path)
}
