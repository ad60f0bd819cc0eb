package asl

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unsafe"

	jsonata "github.com/blues/jsonata-go"
)

// jsonataExpr is a JSONata expression compiled at parse time. The library's
// Expr keeps variables in a registry map that RegisterVars creates on first
// use and then mutates, so the shared Expr is never registered into: each
// evaluation registers into a shallow copy, whose registry starts out nil and
// is therefore its own. Definitions stay immutable and safe to share.
type jsonataExpr struct {
	src      string
	compiled jsonata.Expr
	field    string // where it sits in its state, e.g. "Output/result", for causes
}

func compileJSONata(src string) (e *jsonataExpr, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("JSONata parser failed: %v", r)
		}
	}()
	x, err := jsonata.Compile(src)
	if err != nil {
		return nil, err
	}
	return &jsonataExpr{src: src, compiled: *x}, nil
}

// eval runs the expression with $states and the execution's variables bound.
// It returns def=false when the expression yields undefined.
func (e *jsonataExpr) eval(c *evalCtx) (v any, def bool, f *Failure) {
	defer func() {
		if r := recover(); r != nil {
			v, def, f = nil, false, failure(ErrQueryEvaluationError, "evaluating %q failed: %v", e.src, r)
		}
	}()
	x := e.compiled // a copy with a nil registry; see jsonataExpr
	conv := c.converted
	if conv == nil {
		conv = converter{}
	}
	vars := make(map[string]any, len(c.scope.Vars)+1)
	for k, val := range c.scope.Vars {
		vars[k] = conv.toJSONata(val)
	}
	vars["states"] = conv.toJSONata(c.states)
	if err := x.RegisterVars(vars); err != nil {
		return nil, false, failure(ErrQueryEvaluationError, "%v", err)
	}
	if err := x.RegisterExts(stepFunctionsExts(c.env)); err != nil {
		return nil, false, failure(ErrQueryEvaluationError, "%v", err)
	}
	out, err := x.Eval(conv.toJSONata(c.states["input"]))
	if errors.Is(err, jsonata.ErrUndefined) {
		// The cloud refuses an expression that yields nothing, wherever it is.
		return nil, false, failure(ErrQueryEvaluationError, "The JSONata expression '%s' specified for the field '%s' returned nothing (undefined).", strings.TrimSpace(e.src), e.field)
	}
	if err != nil {
		return nil, false, failure(ErrQueryEvaluationError, "An error occurred while evaluating the expression %q: %v", e.src, err)
	}
	return fromJSONata(reflect.ValueOf(out)), true, nil
}

// converter turns values into the library's model (float64 numbers). It
// remembers what it converted, keyed by the map or slice's address: values
// are never modified in place, and a Map state evaluates ItemSelector over
// the same large input once per item. Each entry keeps the original alive so
// that its address cannot be reused by another value while cached.
type converter map[unsafe.Pointer]converted

type converted struct{ orig, conv any }

func (c converter) toJSONata(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case map[string]any:
		key := reflect.ValueOf(x).UnsafePointer()
		if done, ok := c[key]; ok {
			return done.conv
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = c.toJSONata(e)
		}
		c[key] = converted{x, m}
		return m
	case []any:
		if len(x) == 0 {
			return []any{}
		}
		key := unsafe.Pointer(unsafe.SliceData(x))
		if done, ok := c[key]; ok && len(done.orig.([]any)) == len(x) {
			return done.conv
		}
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = c.toJSONata(e)
		}
		c[key] = converted{x, a}
		return a
	}
	return v
}

// fromJSONata converts a result back to the interpreter's value model.
func fromJSONata(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Bool:
		return v.Bool()
	case reflect.String:
		return v.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return intNumber(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return json.Number(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		return floatNumber(v.Float())
	case reflect.Slice, reflect.Array:
		a := make([]any, v.Len())
		for i := range a {
			a[i] = fromJSONata(v.Index(i))
		}
		return a
	case reflect.Map:
		m := make(map[string]any, v.Len())
		it := v.MapRange()
		for it.Next() {
			m[fmt.Sprint(it.Key().Interface())] = fromJSONata(it.Value())
		}
		return m
	}
	return nil // functions and other non-JSON values serialise as null
}

// stepFunctionsExts are the functions Step Functions adds to JSONata, plus
// $now and $millis bound to the caller's clock instead of the wall clock.
func stepFunctionsExts(env *Env) map[string]jsonata.Extension {
	now := env.Now
	return map[string]jsonata.Extension{
		"now":    {Func: func() string { return now.UTC().Format("2006-01-02T15:04:05.000Z") }},
		"millis": {Func: func() int64 { return now.UnixMilli() }},
		"partition": {Func: func(arr []any, size float64) ([]any, error) {
			if size <= 0 || size != math.Trunc(size) {
				return nil, fmt.Errorf("$partition: the size must be a positive integer")
			}
			out := []any{}
			for i := 0; i < len(arr); i += int(size) {
				out = append(out, append([]any{}, arr[i:min(len(arr), i+int(size))]...))
			}
			return out, nil
		}},
		// $range yields a JSONata sequence: the cloud returns a lone element
		// as itself ($range(1, 9, 9) is 1, not [1]).
		"range": {Func: func(start, end, step float64) (any, error) {
			if step == 0 || start != math.Trunc(start) || end != math.Trunc(end) || step != math.Trunc(step) {
				return nil, fmt.Errorf("$range: start, end and step must be integers and step not 0")
			}
			out := []any{}
			for x := start; (step > 0 && x <= end) || (step < 0 && x >= end); x += step {
				if len(out) == maxArrayRange {
					return nil, fmt.Errorf("$range: more than %d elements", maxArrayRange)
				}
				out = append(out, x)
			}
			if len(out) == 1 {
				return out[0], nil
			}
			return out, nil
		}},
		"hash": {Func: func(data any, alg string) (string, error) {
			return hashString(fromJSONata(reflect.ValueOf(data)), alg)
		}},
		"random": {Func: func() float64 { return env.random() }},
		"uuid":   {Func: func() string { return env.uuid() }},
		"parse": {Func: func(s string) (any, error) {
			v, err := decode([]byte(s))
			if err != nil {
				return nil, fmt.Errorf("$parse: %v", err)
			}
			return converter{}.toJSONata(v), nil
		}},
	}
}
