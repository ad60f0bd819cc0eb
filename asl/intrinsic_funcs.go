package asl

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

type intrinsicSpec struct {
	min, max int // max -1: variadic
	fn       func(c *Intrinsic, args []any, env *Env) (any, error)
}

func (s intrinsicSpec) arity() string {
	switch {
	case s.max < 0:
		return fmt.Sprintf("at least %d argument(s)", s.min)
	case s.min == s.max:
		return fmt.Sprintf("%d argument(s)", s.min)
	}
	return fmt.Sprintf("%d to %d arguments", s.min, s.max)
}

var intrinsics map[string]intrinsicSpec

func init() {
	intrinsics = map[string]intrinsicSpec{
		"States.Format":         {1, -1, fnFormat},
		"States.StringToJson":   {1, 1, fnStringToJSON},
		"States.JsonToString":   {1, 1, fnJSONToString},
		"States.Array":          {0, -1, fnArray},
		"States.ArrayPartition": {2, 2, fnArrayPartition},
		"States.ArrayContains":  {2, 2, fnArrayContains},
		"States.ArrayRange":     {3, 3, fnArrayRange},
		"States.ArrayGetItem":   {2, 2, fnArrayGetItem},
		"States.ArrayLength":    {1, 1, fnArrayLength},
		"States.ArrayUnique":    {1, 1, fnArrayUnique},
		"States.Base64Encode":   {1, 1, fnBase64Encode},
		"States.Base64Decode":   {1, 1, fnBase64Decode},
		"States.Hash":           {2, 2, fnHash},
		"States.JsonMerge":      {3, 3, fnJSONMerge},
		"States.MathRandom":     {2, 3, fnMathRandom},
		"States.MathAdd":        {2, 2, fnMathAdd},
		"States.StringSplit":    {2, 2, fnStringSplit},
		"States.UUID":           {0, 0, fnUUID},
	}
}

func fnFormat(c *Intrinsic, args []any, _ *Env) (any, error) {
	tmpl := c.Args[0]
	if !tmpl.str {
		s, ok := args[0].(string)
		if !ok {
			return nil, errors.New("the template must be a string")
		}
		tmpl = intrinsicArg{raw: s, str: true}
	}
	var b strings.Builder
	next := 1
	raw := tmpl.raw
	for i := 0; i < len(raw); i++ {
		switch {
		case raw[i] == '\\' && i+1 < len(raw):
			i++
			b.WriteByte(raw[i])
		case raw[i] == '{' && i+1 < len(raw) && raw[i+1] == '}':
			if next >= len(args) {
				return nil, errors.New("the template has more {} placeholders than arguments")
			}
			s, err := formatArg(args[next])
			if err != nil {
				return nil, err
			}
			b.WriteString(s)
			next++
			i++
		default:
			b.WriteByte(raw[i])
		}
	}
	if next != len(args) {
		return nil, fmt.Errorf("the template has %d {} placeholders but %d arguments follow it", next-1, len(args)-1)
	}
	return b.String(), nil
}

// formatArg renders a States.Format argument. Objects and arrays come out
// the way the cloud's Java runtime prints them ({a=1, b=[x, y]}), not as JSON.
func formatArg(v any) (string, error) {
	var b strings.Builder
	writeJavaString(&b, v)
	return b.String(), nil
}

func writeJavaString(b *strings.Builder, v any) {
	switch x := v.(type) {
	case string:
		b.WriteString(x)
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case json.Number:
		b.WriteString(string(x))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJavaString(b, e)
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k)
			b.WriteByte('=')
			writeJavaString(b, x[k])
		}
		b.WriteByte('}')
	}
}

func fnStringToJSON(_ *Intrinsic, args []any, _ *Env) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("expected a string, got %s", typeName(args[0]))
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil // the cloud turns an empty string into null
	}
	v, err := decode([]byte(strings.TrimSpace(s)))
	if err != nil {
		return nil, fmt.Errorf("the string is not JSON: %v", err)
	}
	return v, nil
}

func fnJSONToString(_ *Intrinsic, args []any, _ *Env) (any, error) {
	b, err := marshal(args[0])
	return string(b), err
}

func fnArray(_ *Intrinsic, args []any, _ *Env) (any, error) {
	return append([]any{}, args...), nil
}

func arrayArg(v any) ([]any, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("expected an array, got %s", typeName(v))
	}
	return a, nil
}

func intArg(v any, what string) (int64, error) {
	n, ok := toInt(v)
	if !ok {
		return 0, fmt.Errorf("%s must be an integer, got %s", what, mustJSON(v))
	}
	return n, nil
}

func fnArrayPartition(_ *Intrinsic, args []any, _ *Env) (any, error) {
	a, err := arrayArg(args[0])
	if err != nil {
		return nil, err
	}
	n, err := intArg(args[1], "the chunk size")
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, errors.New("the chunk size must be positive")
	}
	out := []any{}
	for i := 0; i < len(a); i += int(n) {
		out = append(out, append([]any{}, a[i:min(len(a), i+int(n))]...))
	}
	return out, nil
}

func fnArrayContains(_ *Intrinsic, args []any, _ *Env) (any, error) {
	a, err := arrayArg(args[0])
	if err != nil {
		return nil, err
	}
	for _, e := range a {
		if equalJSON(e, args[1]) {
			return true, nil
		}
	}
	return false, nil
}

// maxArrayRange is the cloud's limit on States.ArrayRange results.
const maxArrayRange = 1000

func fnArrayRange(_ *Intrinsic, args []any, _ *Env) (any, error) {
	var v [3]int64
	for i, what := range []string{"start", "end", "step"} {
		n, err := intArg(args[i], what)
		if err != nil {
			return nil, err
		}
		v[i] = n
	}
	if v[2] == 0 {
		return nil, errors.New("step must not be 0")
	}
	out := []any{}
	for x := v[0]; (v[2] > 0 && x <= v[1]) || (v[2] < 0 && x >= v[1]); x += v[2] {
		if len(out) == maxArrayRange {
			return nil, fmt.Errorf("the range has more than %d elements", maxArrayRange)
		}
		out = append(out, intNumber(x))
	}
	return out, nil
}

func fnArrayGetItem(_ *Intrinsic, args []any, _ *Env) (any, error) {
	a, err := arrayArg(args[0])
	if err != nil {
		return nil, err
	}
	i, err := intArg(args[1], "the index")
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= int64(len(a)) {
		return nil, fmt.Errorf("index %d is out of bounds for an array of length %d", i, len(a))
	}
	return a[i], nil
}

func fnArrayLength(_ *Intrinsic, args []any, _ *Env) (any, error) {
	a, err := arrayArg(args[0])
	if err != nil {
		return nil, err
	}
	return intNumber(int64(len(a))), nil
}

func fnArrayUnique(_ *Intrinsic, args []any, _ *Env) (any, error) {
	a, err := arrayArg(args[0])
	if err != nil {
		return nil, err
	}
	out := []any{}
next:
	for _, e := range a {
		for _, o := range out {
			if equalJSON(e, o) {
				continue next
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// maxBase64Input is the cloud's input limit for Base64Encode/Decode.
const maxBase64Input = 10000

func stringArg(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("expected a string, got %s", typeName(v))
	}
	return s, nil
}

func fnBase64Encode(_ *Intrinsic, args []any, _ *Env) (any, error) {
	s, err := stringArg(args[0])
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(s) > maxBase64Input {
		return nil, fmt.Errorf("the input exceeds %d characters", maxBase64Input)
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func fnBase64Decode(_ *Intrinsic, args []any, _ *Env) (any, error) {
	s, err := stringArg(args[0])
	if err != nil {
		return nil, err
	}
	if len(s) > maxBase64Input {
		return nil, fmt.Errorf("the input exceeds %d characters", maxBase64Input)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("the input is not base64: %v", err)
	}
	return string(b), nil
}

var hashes = map[string]func() hash.Hash{
	"MD5": md5.New, "SHA-1": sha1.New, "SHA-256": sha256.New, "SHA-384": sha512.New384, "SHA-512": sha512.New,
}

func hashString(data any, alg string) (string, error) {
	newHash, ok := hashes[alg]
	if !ok {
		return "", fmt.Errorf("algorithm %q is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512", alg)
	}
	s, ok := data.(string)
	if !ok {
		b, err := marshal(data)
		if err != nil {
			return "", err
		}
		s = string(b)
	}
	h := newHash()
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fnHash(_ *Intrinsic, args []any, _ *Env) (any, error) {
	alg, err := stringArg(args[1])
	if err != nil {
		return nil, err
	}
	if args[0] == nil {
		return nil, errors.New("the data to hash must not be null")
	}
	return hashString(args[0], alg)
}

func fnJSONMerge(_ *Intrinsic, args []any, _ *Env) (any, error) {
	a, ok1 := args[0].(map[string]any)
	b, ok2 := args[1].(map[string]any)
	if !ok1 || !ok2 {
		return nil, errors.New("both arguments to merge must be objects")
	}
	if deep, ok := args[2].(bool); !ok || deep {
		return nil, errors.New("the third argument must be false: only a shallow merge is supported")
	}
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = deepCopy(v)
	}
	for k, v := range b {
		out[k] = deepCopy(v)
	}
	return out, nil
}

func fnMathRandom(_ *Intrinsic, args []any, env *Env) (any, error) {
	lo, err := intArg(args[0], "start")
	if err != nil {
		return nil, err
	}
	hi, err := intArg(args[1], "end")
	if err != nil {
		return nil, err
	}
	if len(args) == 3 {
		if _, err := intArg(args[2], "seed"); err != nil {
			return nil, err
		}
	}
	if hi <= lo {
		return nil, errors.New("end must be greater than start")
	}
	r := env.random()
	return intNumber(lo + int64(math.Floor(r*float64(hi-lo)))), nil
}

// roundedArg reads a MathAdd operand. The cloud rounds fractions the way
// Java's Math.round does, floor(x + 0.5): 1.5 → 2, -1.5 → -1, -2.5 → -2.
func roundedArg(v any, what string) (int64, error) {
	f, ok := toFloat(v)
	if !ok || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%s must be a number, got %s", what, mustJSON(v))
	}
	if n, ok := toInt(v); ok {
		return n, nil
	}
	return int64(math.Floor(f + 0.5)), nil
}

func fnMathAdd(_ *Intrinsic, args []any, _ *Env) (any, error) {
	a, err := roundedArg(args[0], "the first value")
	if err != nil {
		return nil, err
	}
	b, err := roundedArg(args[1], "the second value")
	if err != nil {
		return nil, err
	}
	for _, x := range []int64{a, b, a + b} {
		if x < math.MinInt32 || x > math.MaxInt32 {
			return nil, errors.New("values must fit in a 32-bit signed integer")
		}
	}
	return intNumber(a + b), nil
}

func fnStringSplit(_ *Intrinsic, args []any, _ *Env) (any, error) {
	s, err := stringArg(args[0])
	if err != nil {
		return nil, err
	}
	seps, err := stringArg(args[1])
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
		out = append(out, part)
	}
	return out, nil
}

func fnUUID(_ *Intrinsic, _ []any, env *Env) (any, error) {
	return env.uuid(), nil
}
