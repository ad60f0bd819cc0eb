package awsjson

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type coded struct{}

func (coded) Error() string     { return "denied: no policy allows it" }
func (coded) ErrorCode() string { return "AccessDeniedException" }
func (coded) HTTPStatus() int   { return http.StatusForbidden }

func TestServe(t *testing.T) {
	p := Protocol{TargetPrefix: "Svc.", ContentType: "application/x-amz-json-1.1", MaxBody: 16}
	call := func(_ context.Context, op string, body []byte) ([]byte, error) {
		switch op {
		case "Echo":
			return body, nil
		case "Denied":
			return nil, coded{}
		case "Missing":
			return nil, Required("Name", "")
		}
		return nil, errors.New("disk on fire at /var/secret")
	}
	cases := []struct {
		name, method, target, body string
		status                     int
		code, out                  string
	}{
		{"ok", "POST", "Svc.Echo", `{"a":1}`, 200, "", `{"a":1}`},
		{"wrong method", "GET", "Svc.Echo", ``, 400, "UnknownOperationException", ""},
		{"wrong prefix", "POST", "Other.Echo", `{}`, 400, "UnknownOperationException", ""},
		{"too large", "POST", "Svc.Echo", strings.Repeat("x", 17), 400, "SerializationException", ""},
		{"coded error keeps code and status", "POST", "Svc.Denied", `{}`, 403, "AccessDeniedException", ""},
		{"validation", "POST", "Svc.Missing", `{}`, 400, "ValidationException", ""},
		{"internal error hides text", "POST", "Svc.Boom", `{}`, 500, "InternalServerError", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, "/", strings.NewReader(c.body))
			r.Header.Set("X-Amz-Target", c.target)
			w := httptest.NewRecorder()
			p.Serve(w, r, call)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, c.status, w.Body)
			}
			if got := w.Header().Get("Content-Type"); got != p.ContentType {
				t.Errorf("content type %q", got)
			}
			if c.code == "" {
				if w.Body.String() != c.out {
					t.Errorf("body %q, want %q", w.Body, c.out)
				}
				return
			}
			var e struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
				t.Fatal(err)
			}
			if e.Type != c.code || w.Header().Get("X-Amzn-ErrorType") != c.code {
				t.Errorf("code %q / header %q, want %q", e.Type, w.Header().Get("X-Amzn-ErrorType"), c.code)
			}
			if strings.Contains(e.Message, "secret") {
				t.Errorf("internal detail leaked: %q", e.Message)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	var v struct{ N int }
	if err := Decode(nil, &v); err != nil {
		t.Errorf("empty body: %v", err)
	}
	var e *Error
	if err := Decode([]byte(`{"N":"x"}`), &v); !errors.As(err, &e) || e.Code != "SerializationException" || !strings.Contains(e.Message, "N") {
		t.Errorf("wrong type: %v", err)
	}
	if err := Decode([]byte(`{`), &v); !errors.As(err, &e) || e.Code != "SerializationException" {
		t.Errorf("bad JSON: %v", err)
	}
}

func TestDispatch(t *testing.T) {
	ops := map[string]func() (any, error){
		"Get":  func() (any, error) { return map[string]int{"n": 1}, nil },
		"Fail": func() (any, error) { return nil, errors.New("not found") },
	}
	run := func(fn func() (any, error)) (any, error) { return fn() }
	wire := func(op string, err error) error { return Validation(op + ": " + err.Error()) }
	cases := []struct {
		name, op, out, code, msg string
	}{
		{"result is marshalled", "Get", `{"n":1}`, "", ""},
		{"error goes through wire", "Fail", "", "ValidationException", "Fail: not found"},
		{"unknown operation", "Put", "", "UnknownOperationException", "Operation Put is not supported by this endpoint."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := Dispatch(ops, c.op, run, wire)
			if c.code == "" {
				if err != nil || string(out) != c.out {
					t.Fatalf("got %s, %v; want %s", out, err, c.out)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != c.code || e.Message != c.msg || e.Status != http.StatusBadRequest {
				t.Fatalf("got %v; want %s: %s", err, c.code, c.msg)
			}
		})
	}
}

func TestSDKOperation(t *testing.T) {
	for in, want := range map[string]string{"getParameter": "GetParameter", "PutEvents": "PutEvents", "": ""} {
		if got := SDKOperation(in); got != want {
			t.Errorf("SDKOperation(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHasCode(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"protocol error", Validation("bad"), true},
		{"wrapped coded error", fmt.Errorf("authorize: %w", coded{}), true},
		{"plain error", errors.New("disk on fire"), false},
		{"nil", nil, false},
	}
	for _, c := range cases {
		if got := HasCode(c.err); got != c.want {
			t.Errorf("%s: HasCode = %v, want %v", c.name, got, c.want)
		}
	}
}
