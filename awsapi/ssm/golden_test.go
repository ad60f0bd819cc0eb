package ssm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgecd/edgecd/params"
	"github.com/edgecd/edgecd/store/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGoldenResponses pins the wire shape of each operation's response:
// testdata/golden/<step>.json holds the request and the response, pretty
// printed. Refresh with go test -run TestGoldenResponses -update and review
// the diff.
func TestGoldenResponses(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "edgecd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { now = now.Add(1500 * time.Millisecond); return now }
	h := New(params.NewService(db, params.Config{Now: clock}), Config{
		Caller: func(context.Context) Caller {
			return Caller{Account: testAccount, Region: "us-east-1", ARN: "arn:aws:iam::" + testAccount + ":user/release"}
		},
	})
	steps := []struct{ name, op, body string }{
		{"01-put", "PutParameter", `{"Name":"/cfcd-test/version/frontend","Value":"v1","Type":"String","Description":"frontend version"}`},
		{"02-put-overwrite", "PutParameter", `{"Name":"/cfcd-test/version/frontend","Value":"v2","Overwrite":true}`},
		{"03-put-list", "PutParameter", `{"Name":"/cfcd-test/hosts","Value":"a,b","Type":"StringList","Tier":"Advanced","Policies":"[{\"Type\":\"Expiration\",\"Version\":\"1.0\",\"Attributes\":{\"Timestamp\":\"2030-01-01T00:00:00.000Z\"}}]"}`},
		{"04-label", "LabelParameterVersion", `{"Name":"/cfcd-test/version/frontend","ParameterVersion":1,"Labels":["prod","9bad"]}`},
		{"05-get-label", "GetParameter", `{"Name":"/cfcd-test/version/frontend:prod"}`},
		{"06-get-parameters", "GetParameters", `{"Names":["/cfcd-test/version/frontend","/cfcd-test/missing"]}`},
		{"07-by-path", "GetParametersByPath", `{"Path":"/cfcd-test","Recursive":true,"MaxResults":1}`},
		{"08-history", "GetParameterHistory", `{"Name":"/cfcd-test/version/frontend"}`},
		{"09-describe", "DescribeParameters", `{"ParameterFilters":[{"Key":"Name","Option":"BeginsWith","Values":["/cfcd-test/h"]}]}`},
		{"10-unlabel", "UnlabelParameterVersion", `{"Name":"/cfcd-test/version/frontend","ParameterVersion":1,"Labels":["prod","ghost"]}`},
		{"11-delete-many", "DeleteParameters", `{"Names":["/cfcd-test/hosts","/cfcd-test/missing"]}`},
		{"12-not-found", "GetParameter", `{"Name":"/cfcd-test/hosts"}`},
		{"13-too-deep", "PutParameter", `{"Name":"/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16","Value":"v","Type":"String"}`},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			out, err := h.Call(context.Background(), s.op, []byte(s.body))
			var api *APIError
			if errors.As(err, &api) {
				out, _ = json.Marshal(map[string]any{"status": api.Status, "__type": api.Code, "message": api.Message})
			} else if err != nil {
				t.Fatal(err)
			}
			var req, res any
			if err := json.Unmarshal([]byte(s.body), &req); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatal(err)
			}
			got, _ := json.MarshalIndent(map[string]any{"operation": s.op, "request": req, "response": res}, "", "  ")
			got = append(got, '\n')
			file := filepath.Join("testdata", "golden", s.name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s differs from %s:\n%s", s.op, file, got)
			}
		})
	}
}
