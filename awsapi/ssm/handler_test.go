package ssm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func post(t *testing.T, h http.Handler, target, body string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: response %q is not JSON: %v", target, b, err)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Fatalf("%s: content type %q", target, ct)
	}
	return res.StatusCode, out
}

func TestWireErrors(t *testing.T) {
	h := newHandler(t)
	post(t, h, "AmazonSSM.PutParameter", `{"Name":"/a/b","Value":"1","Type":"String"}`)
	tests := []struct {
		name   string
		target string
		body   string
		code   string
		status int
	}{
		{"missing parameter", "AmazonSSM.GetParameter", `{"Name":"/nope"}`, "ParameterNotFound", 400},
		{"exists", "AmazonSSM.PutParameter", `{"Name":"/a/b","Value":"1","Type":"String"}`, "ParameterAlreadyExists", 400},
		{"missing version", "AmazonSSM.GetParameter", `{"Name":"/a/b:5"}`, "ParameterVersionNotFound", 400},
		{"missing name", "AmazonSSM.GetParameter", `{}`, "ValidationException", 400},
		{"missing value", "AmazonSSM.PutParameter", `{"Name":"/x"}`, "ValidationException", 400},
		{"bad type", "AmazonSSM.PutParameter", `{"Name":"/x","Value":"1","Type":"Int"}`, "ValidationException", 400},
		{"deep", "AmazonSSM.PutParameter", `{"Name":"/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16","Value":"1","Type":"String"}`, "HierarchyLevelLimitExceededException", 400},
		{"malformed JSON", "AmazonSSM.GetParameter", `{"Name":`, "SerializationException", 400},
		{"wrong field type", "AmazonSSM.GetParameter", `{"Name":7}`, "SerializationException", 400},
		{"unknown operation", "AmazonSSM.SendCommand", `{}`, "UnknownOperationException", 400},
		{"no target", "", `{}`, "UnknownOperationException", 400},
		{"unlabel without version", "AmazonSSM.UnlabelParameterVersion", `{"Name":"/a/b","Labels":["x"]}`, "ValidationException", 400},
		{"bad filter option", "AmazonSSM.DescribeParameters", `{"ParameterFilters":[{"Key":"Path","Option":"Deep","Values":["/a"]}]}`, "InvalidFilterOption", 400},
		{"forged token", "AmazonSSM.DescribeParameters", `{"NextToken":"abc"}`, "InvalidNextToken", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := post(t, h, tt.target, tt.body)
			if status != tt.status || out["__type"] != tt.code {
				t.Fatalf("status %d body %v; want %d %s", status, out, tt.status, tt.code)
			}
			if msg, _ := out["message"].(string); msg == "" {
				t.Fatalf("error without a message: %v", out)
			}
		})
	}
}

func TestWireShapes(t *testing.T) {
	h := newHandler(t)
	_, put := post(t, h, "AmazonSSM.PutParameter", `{"Name":"/app/v","Value":"1.0","Type":"String","Description":"d"}`)
	if put["Version"] != 1.0 || put["Tier"] != "Standard" {
		t.Fatalf("PutParameter = %v", put)
	}
	_, got := post(t, h, "AmazonSSM.GetParameter", `{"Name":"/app/v"}`)
	p := got["Parameter"].(map[string]any)
	if _, ok := p["LastModifiedDate"].(float64); !ok {
		t.Fatalf("LastModifiedDate must be epoch seconds, got %T %v", p["LastModifiedDate"], p["LastModifiedDate"])
	}
	if _, ok := p["Selector"]; ok {
		t.Fatalf("Selector present without a selector: %v", p)
	}
	_, many := post(t, h, "AmazonSSM.GetParameters", `{"Names":["/app/v"]}`)
	if inv, ok := many["InvalidParameters"].([]any); !ok || len(inv) != 0 {
		t.Fatalf("InvalidParameters must be an empty list, got %v", many["InvalidParameters"])
	}
	_, desc := post(t, h, "AmazonSSM.DescribeParameters", `{}`)
	md := desc["Parameters"].([]any)[0].(map[string]any)
	if md["LastModifiedUser"] != "arn:aws:iam::"+testAccount+":user/test" || md["Description"] != "d" || md["ARN"] != "arn:aws:ssm:us-east-1:"+testAccount+":parameter/app/v" {
		t.Fatalf("ParameterMetadata = %v", md)
	}
	if _, ok := desc["NextToken"]; ok {
		t.Fatalf("NextToken on the last page: %v", desc)
	}
}

func TestCallInProcess(t *testing.T) {
	h := newHandler(t)
	ctx := context.Background()
	if _, err := h.Call(ctx, "PutParameter", []byte(`{"Name":"/svc/cloudfront/cfcd-staging","Value":"deleted","Type":"String"}`)); err != nil {
		t.Fatal(err)
	}
	out, err := h.Call(ctx, "getParameter", []byte(`{"Name":"/svc/cloudfront/cfcd-staging"}`))
	var got struct{ Parameter struct{ Value string } }
	if err != nil || json.Unmarshal(out, &got) != nil || got.Parameter.Value != "deleted" {
		t.Fatalf("GetParameter = %s, %v", out, err)
	}
	_, err = h.Call(ctx, "GetParameter", []byte(`{"Name":"/svc/version/frontend"}`))
	var coded interface{ ErrorCode() string }
	if !errors.As(err, &coded) || coded.ErrorCode() != "ParameterNotFound" {
		t.Fatalf("missing parameter: %v, want an error with ErrorCode ParameterNotFound", err)
	}
}
