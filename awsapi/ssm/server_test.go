package ssm

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/params"
	"github.com/edgecd/edgecd/store/sqlite"
)

const (
	testAccessKey = "AKIAEDGECDTESTKEY001"
	testSecretKey = "edgecd-test-secret-key-0000000000000000"
	testAccount   = "123456789012"
	// readerKey may only read the seed's parameters (scenario S9).
	readerKey    = "AKIAEDGECDREADONLY01"
	readerSecret = "edgecd-test-reader-secret-000000000000"
)

type testKeys = iam.StaticKeys

func keys(t testing.TB) testKeys {
	reader, err := iam.ParsePolicy([]byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Action":["ssm:GetParameter","ssm:GetParametersByPath"],"Resource":"arn:aws:ssm:us-east-1:` + testAccount + `:parameter/cfcd-test/*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return testKeys{
		testAccessKey: {AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey, UserName: "test", Account: testAccount, Policies: []iam.Policy{iam.AdminPolicy()}},
		readerKey:     {AccessKeyID: readerKey, SecretAccessKey: readerSecret, UserName: "reader", Account: testAccount, Policies: []iam.Policy{reader}},
	}
}

// testServer is the SSM handler behind SigV4 verification with the test
// keys, on a fresh SQLite store, wired as the API listener wires it: the
// principal travels in the context and each call is authorized by iam.
func testServer(t testing.TB) http.Handler {
	h := newHandler(t)
	ks := keys(t)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := iam.Verify(r.Context(), r, ks, time.Now())
		if err != nil {
			writeError(w, &APIError{Code: "InvalidSignatureException", Message: err.Error(), Status: http.StatusBadRequest})
			return
		}
		h.ServeHTTP(w, r.WithContext(iam.WithPrincipal(r.Context(), p)))
	})
}

// newHandler is the bare handler on a fresh SQLite store.
func newHandler(t testing.TB) *Handler {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "edgecd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return New(params.NewService(db, params.Config{}), Config{
		Caller: func(ctx context.Context) Caller {
			c := Caller{Account: testAccount, Region: "us-east-1", ARN: "arn:aws:iam::" + testAccount + ":user/test"}
			if p := iam.PrincipalFrom(ctx); p != nil {
				c.Account, c.Region, c.ARN = p.Key.Account, p.Scope.Region, p.Key.ARN()
			}
			return c
		},
		Authorize: func(ctx context.Context, action, resource string) error {
			if iam.PrincipalFrom(ctx) == nil {
				return nil // in-process calls in tests (fuzzing, wire tests)
			}
			return iam.Authorize(ctx, action, resource)
		},
	})
}
