package asl

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzParse: any bytes either parse into a definition that runs, or give a
// ValidationError whose problems all have a path, a code and a message.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`))
	f.Add(loopDefinition())
	f.Fuzz(func(t *testing.T, def []byte) {
		d, err := Parse(def)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("Parse error is not a ValidationError with problems: %v", err)
			}
			for _, p := range ve.Problems {
				if p.Path == "" || p.Code == "" || p.Message == "" {
					t.Fatalf("incomplete problem %+v", p)
				}
			}
			return
		}
		if _, err := Run(d, json.RawMessage(`{"a":1}`), nil, RunOptions{MaxHistoryEvents: 200}); err != nil && !errors.Is(err, ErrStuck) {
			t.Fatalf("Run: %v", err)
		}
	})
}

var fuzzDoc = map[string]any{
	"a": []any{json.Number("1"), "x", map[string]any{"b": true, "c": nil}},
	"n": map[string]any{"m": json.Number("2.5")},
}

// FuzzPath: parsing never panics, and a parsed path evaluates without panic;
// a reference path can also be written to.
func FuzzPath(f *testing.F) {
	for _, s := range []string{"$", "$.a[0]", "$..b", "$.a[?(@.b == true)]", "$['n']['m']", "$.a[-1:]", "$.a[0,2]", "$$.x", "$v.a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		v, err := p.Eval(Scope{Input: fuzzDoc, Context: fuzzDoc, Vars: map[string]any{"v": fuzzDoc}})
		if err != nil && !errors.Is(err, ErrPathNotFound) {
			t.Fatalf("Eval(%q): %v", s, err)
		}
		if err == nil && !p.definite {
			if _, ok := v.([]any); !ok {
				t.Fatalf("indefinite path %q gave %T, want an array", s, v)
			}
		}
		if p.IsReference() && p.root == rootInput {
			_, _ = p.set(deepCopy(fuzzDoc), "new")
		}
	})
}

// FuzzIntrinsic: parsing never panics; evaluation fails only with the
// States.* errors intrinsic functions raise.
func FuzzIntrinsic(f *testing.F) {
	for _, s := range []string{
		"States.Format('a {} \\' \\{\\}', $.a)", "States.ArrayRange(1, 9, 2)", "States.Hash('x', 'SHA-1')",
		"States.JsonMerge($.n, $.n, false)", "States.StringSplit('a,b', ',')", "States.MathAdd(1, -2)",
		"States.ArrayGetItem(States.Array(1, 'two', null, true), 1)", "States.Base64Decode(States.Base64Encode('q'))",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fn, err := ParseIntrinsic(s)
		if err != nil {
			return
		}
		_, fail := fn.Eval(Scope{Input: fuzzDoc, Context: fuzzDoc}, &Env{})
		if fail != nil && fail.Error != ErrIntrinsicFailure && fail.Error != ErrRuntime {
			t.Fatalf("%q failed with %s", s, fail.Error)
		}
	})
}

// FuzzJSONata: any expression either fails to compile or evaluates to a
// JSON value or a States.QueryEvaluationError; the library never panics
// through the bridge.
func FuzzJSONata(f *testing.F) {
	for _, s := range []string{"$states.input.a[0] + 1", "$partition([1,2,3], 2)", "$range(1, 5, 2)", "$hash('x', 'MD5')",
		"$parse('[1]')", "$uuid()", "$random()", "{'k': $states.context.State.Name}", "$map([1,2], function($v){$v*2})"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := compileJSONata(src)
		if err != nil {
			return
		}
		c := &evalCtx{env: &Env{}, states: map[string]any{"input": fuzzDoc, "context": fuzzDoc}}
		v, _, fail := e.eval(c)
		if fail != nil {
			if fail.Error != ErrQueryEvaluationError {
				t.Fatalf("%q failed with %s", src, fail.Error)
			}
			return
		}
		if _, err := marshal(v); err != nil {
			t.Fatalf("%q gave a value that is not JSON: %v", src, err)
		}
	})
}

// FuzzEncode: the reflection-free encoder writes what encoding/json writes.
func FuzzEncode(f *testing.F) {
	f.Add([]byte(`{"b":[1,2.50,"x\u2028<>&\n"],"a":{"z":null,"y":true}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decode(b)
		if err != nil {
			return
		}
		got, ok := appendJSON(nil, v)
		if !ok {
			t.Fatalf("appendJSON refused a decoded value")
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		if want := bytes.TrimRight(buf.Bytes(), "\n"); !bytes.Equal(got, want) {
			t.Fatalf("appendJSON = %s\nencoding/json = %s", got, want)
		}
	})
}
