package ssm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
)

// FuzzCall feeds arbitrary bodies to every operation: each must answer
// with a JSON result or a client error, never a panic or an internal error.
func FuzzCall(f *testing.F) {
	h := newHandler(f)
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		ops := []string{"PutParameter", "GetParameter", "GetParameters", "GetParametersByPath", "DeleteParameter",
			"DeleteParameters", "DescribeParameters", "GetParameterHistory", "LabelParameterVersion", "UnlabelParameterVersion"}
		operation := ops[int(op)%len(ops)]
		out, err := h.Call(context.Background(), operation, body)
		if err != nil {
			var api *APIError
			if !errors.As(err, &api) || api.Status != http.StatusBadRequest || api.Message == "" {
				t.Fatalf("%s %q: %v", operation, body, err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("%s %q: invalid JSON result %q", operation, body, out)
		}
	})
}
