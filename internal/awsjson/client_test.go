package awsjson

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/edgecd/edgecd/iam"
)

// TestClientCall drives Client against a server that verifies the SigV4
// signature as the node's gateway does and answers by operation.
func TestClientCall(t *testing.T) {
	key := iam.Key{AccessKeyID: "AKIAEDGECDJSONTEST01", SecretAccessKey: "json-client-secret-0123456789", UserName: "t", Account: "000000000000"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := iam.Verify(r.Context(), r, iam.Keys(key), time.Now()); err != nil {
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"__type":"InvalidSignatureException","message":"`+err.Error()+`"}`)
			return
		}
		if r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
			t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
		}
		body, _ := io.ReadAll(r.Body)
		switch r.Header.Get("X-Amz-Target") {
		case "Test_1.Echo":
			w.Write(body)
		case "Test_1.Missing":
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"__type":"com.example#ThingNotFound","Message":"no such thing"}`)
		default:
			w.WriteHeader(http.StatusBadGateway)
			io.WriteString(w, "upstream down\n")
		}
	}))
	defer srv.Close()
	creds := credentials.NewStaticCredentialsProvider(key.AccessKeyID, key.SecretAccessKey, "")
	c := &Client{Protocol: Protocol{TargetPrefix: "Test_1.", ContentType: "application/x-amz-json-1.1"},
		Endpoint: srv.URL + "/", Service: "test", Config: aws.Config{Region: "us-east-1", Credentials: creds}}
	ctx := context.Background()

	var out struct{ Name string }
	if err := c.Call(ctx, "Echo", map[string]string{"Name": "x"}, &out); err != nil || out.Name != "x" {
		t.Fatalf("Echo: %+v, %v", out, err)
	}
	var e *Error
	if err := c.Call(ctx, "Missing", struct{}{}, nil); !errors.As(err, &e) || e.Code != "ThingNotFound" || e.Message != "no such thing" || e.Status != http.StatusBadRequest {
		t.Fatalf("Missing: %v (%+v)", err, e)
	}
	if err := c.Call(ctx, "Other", struct{}{}, nil); !errors.As(err, &e) || e.Code != "" || e.Message != "upstream down" || e.Status != http.StatusBadGateway {
		t.Fatalf("a non-JSON error answer: %v (%+v)", err, e)
	}
	wrong := *c
	wrong.Config.Credentials = credentials.NewStaticCredentialsProvider(key.AccessKeyID, "not-the-secret", "")
	if err := wrong.Call(ctx, "Echo", struct{}{}, nil); !errors.As(err, &e) || e.Code != "InvalidSignatureException" {
		t.Fatalf("a wrong secret: %v", err)
	}
	none := *c
	none.Config.Credentials = nil
	if err := none.Call(ctx, "Echo", struct{}{}, nil); !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("no credentials: %v", err)
	}
}
