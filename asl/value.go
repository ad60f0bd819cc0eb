package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Value is a JSON value as the interpreter handles it: nil, bool, string,
// json.Number, []any or map[string]any. Numbers stay json.Number so that 1 and
// 1.0 keep the text the input had. Value marshals to and from plain JSON so an
// Execution that holds Values can be stored and read back unchanged.
type Value struct{ V any }

// MarshalJSON writes the value as plain JSON.
func (v Value) MarshalJSON() ([]byte, error) { return marshal(v.V) }

// UnmarshalJSON reads plain JSON, keeping numbers exact.
func (v *Value) UnmarshalJSON(b []byte) error {
	x, err := decode(b)
	if err != nil {
		return err
	}
	v.V = x
	return nil
}

// decode parses one JSON document with numbers kept as json.Number.
func decode(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	if _, err := d.Token(); err == nil {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return v, nil
}

// marshal encodes without HTML escaping, as Step Functions does.
func marshal(v any) ([]byte, error) {
	if b, ok := appendJSON(nil, v); ok {
		return b, nil
	}
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func mustJSON(v any) string {
	b, err := marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

// deepCopy copies maps and slices so that writes (ResultPath) never alias
// another state's data.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}

// equalJSON compares two values as JSON values: numbers by value.
func equalJSON(a, b any) bool {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, e := range x {
			f, ok := y[k]
			if !ok || !equalJSON(e, f) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		fx, e1 := x.Float64()
		fy, e2 := y.Float64()
		return e1 == nil && e2 == nil && fx == fy
	default:
		return a == b
	}
}

func toFloat(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// toInt accepts numbers with an integral value (3 and 3.0).
func toInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := n.Int64(); err == nil {
		return i, true
	}
	f, err := n.Float64()
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

func intNumber(i int64) json.Number { return json.Number(strconv.FormatInt(i, 10)) }

// floatNumber formats like JavaScript does: integral values without a point.
func floatNumber(f float64) json.Number {
	if f == 0 {
		return "0" // also for -0, as JSON.stringify writes it
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if strings.Contains(s, "e") && !strings.Contains(s, "e-") && !strings.Contains(s, "e+") {
		s = strings.Replace(s, "e", "e+", 1)
	}
	return json.Number(s)
}

// typeName names a value's JSON type for error messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case json.Number:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
