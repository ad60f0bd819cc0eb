package asl

import "encoding/json"

// integrationTask schedules a Map's ItemReader or ResultWriter.
func (s *stepper) integrationTask(th *Thread, st *State, in *Integration, purpose string, eff any, payload any) {
	var params any = map[string]any{}
	if in.Parameters != nil {
		var f *Failure
		if params, f = in.Parameters.eval(s.ectx(th, st, eff)); f != nil {
			s.fail(th, st, f)
			return
		}
	}
	id := s.newID("task")
	t := ScheduleTask{TaskID: id, StateName: st.Name, Purpose: purpose, Resource: in.Resource,
		Parameters: json.RawMessage(mustJSON(params)), Config: in.Config}
	if payload != nil {
		t.Payload = json.RawMessage(mustJSON(payload))
	}
	s.effect(t)
	th.Wait, th.Phase = &Wait{Kind: "task", TaskID: id, Purpose: purpose, Value: &Value{eff}}, phaseWaiting
}

// integrationDone continues a Map after its ItemReader or ResultWriter.
func (s *stepper) integrationDone(th *Thread, st *State, w *Wait, out any, f *Failure) {
	if w.Purpose == "ItemReader" {
		if f != nil {
			s.fail(th, st, failure(ErrItemReaderFailed, "%s", f.Cause))
			return
		}
		s.startMap(th, st, w.Value.V, out)
		return
	}
	if f != nil {
		s.fail(th, st, failure(ErrResultWriterFailed, "%s", f.Cause))
		return
	}
	s.complete(th, st, out)
}

// batch applies ItemSelector to every item, then groups the items into
// {"BatchInput": ..., "Items": [...]} inputs under ItemBatcher's limits.
func (s *stepper) batch(th *Thread, st *State, list []any) ([]any, *Failure) {
	b, eff := st.Batcher, th.Wait.Value.V
	maxItems, maxBytes := int64(0), int64(0)
	for _, lim := range []struct {
		t   *Template
		out *int64
	}{{b.MaxItems, &maxItems}, {b.MaxBytes, &maxBytes}} {
		if lim.t == nil {
			continue
		}
		v, f := lim.t.eval(s.ectx(th, st, eff))
		if f != nil {
			return nil, f
		}
		n, ok := toInt(v)
		if !ok || n <= 0 {
			return nil, failure(ErrRuntime, "ItemBatcher limits must be positive integers, got %s", mustJSON(v))
		}
		*lim.out = n
	}
	var batchInput any
	if b.BatchInput != nil {
		var f *Failure
		if batchInput, f = b.BatchInput.eval(s.ectx(th, st, eff)); f != nil {
			return nil, f
		}
	}
	var batches []any
	var cur []any
	size := int64(0)
	flush := func() {
		if len(cur) == 0 {
			return
		}
		m := map[string]any{"Items": cur}
		if b.BatchInput != nil {
			m["BatchInput"] = batchInput
		}
		batches = append(batches, m)
		cur, size = nil, 0
	}
	for i, item := range list {
		in, f := s.selectItem(th, st, i, item)
		if f != nil {
			return nil, f
		}
		n := int64(len(mustJSON(in)))
		if len(cur) > 0 && ((maxItems > 0 && int64(len(cur)) >= maxItems) || (maxBytes > 0 && size+n > maxBytes)) {
			flush()
		}
		cur = append(cur, in)
		size += n
	}
	flush()
	return batches, nil
}

// selectItem applies ItemSelector to item i, with $$.Map.Item set.
func (s *stepper) selectItem(th *Thread, st *State, i int, item any) (any, *Failure) {
	if st.ItemSelector == nil {
		return item, nil
	}
	mapItem := func(ctx map[string]any) {
		ctx["Map"] = map[string]any{"Item": map[string]any{"Index": intNumber(int64(i)), "Value": item}}
	}
	return st.ItemSelector.eval(s.ectx(th, st, th.Wait.Value.V, mapItem))
}
