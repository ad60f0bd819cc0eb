package s3

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/objstore"
)

const (
	testKeyID  = "AKIAEDGECDS3TEST0001"
	testSecret = "s3testsecrets3testsecrets3testsecret0000"
)

// testKeys holds one administrator key.
var testKeys = iam.Keys(iam.Key{AccessKeyID: testKeyID, SecretAccessKey: testSecret, UserName: "tester", Account: "000000000000",
	Policies: []iam.Policy{iam.AdminPolicy()}})

// testServer runs the handler behind SigV4 verification, as node's gateway
// does: a request whose signature fails never reaches the handler.
type testServer struct {
	URL  string
	Objs *objstore.Store
	Root string
}

func newTestServer(t testing.TB) *testServer {
	t.Helper()
	root := t.TempDir()
	objs, err := objstore.OpenWith(root, objstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { objs.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := New(objs, Options{Logger: log})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amz-Request-Id", "test-request")
		p, err := iam.Verify(r.Context(), r, testKeys, time.Now())
		if err != nil {
			writeError(w, r, log, err)
			return
		}
		h.ServeHTTP(w, r.WithContext(iam.WithPrincipal(r.Context(), p)))
	}))
	t.Cleanup(srv.Close)
	return &testServer{URL: srv.URL, Objs: objs, Root: root}
}
