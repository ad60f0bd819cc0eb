package ssm

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/edgecd/edgecd/params"
	"github.com/edgecd/edgecd/store/sqlite"
)

const (
	testAccessKey = "AKIAEDGECDTESTKEY001"
	testSecretKey = "edgecd-test-secret-key-0000000000000000"
	testAccount   = "123456789012"
)

// testServer is the SSM handler on a fresh SQLite store, as the API
// listener serves it.
func testServer(t testing.TB) http.Handler { return newHandler(t) }

// newHandler is the bare handler on a fresh SQLite store.
func newHandler(t testing.TB) *Handler {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "edgecd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return New(params.NewService(db, params.Config{}), Config{
		Caller: func(context.Context) Caller {
			return Caller{Account: testAccount, Region: "us-east-1", ARN: "arn:aws:iam::" + testAccount + ":user/test"}
		},
	})
}
