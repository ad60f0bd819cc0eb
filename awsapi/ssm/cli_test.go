package ssm

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/edgecd/edgecd/internal/awscli"
)

// cli runs `aws ssm ...` (the real CLI v2) against one endpoint.
type cli struct{ *awscli.CLI }

func newCLI(t *testing.T, endpoint string) *cli {
	c := awscli.New(t, endpoint, testAccessKey, testSecretKey)
	c.Prefix = []string{"ssm", "--output", "json"}
	return &cli{c}
}

// ok runs a command that must succeed and decodes its JSON output.
func (c *cli) ok(t *testing.T, v any, args ...string) {
	t.Helper()
	c.Run(v, args...)
}

// fails runs a command that must fail with the service error code, naming
// the operation, with a message containing msg.
func (c *cli) fails(t *testing.T, code, operation, msg string, args ...string) {
	t.Helper()
	stderr := c.Fails(code, args...)
	if want := ") when calling the " + operation + " operation"; !strings.Contains(stderr, want) || !strings.Contains(stderr, msg) {
		t.Fatalf("aws ssm %s: stderr %q; want %q and %q", strings.Join(args, " "), stderr, want, msg)
	}
}

type cliParameter struct {
	Name             string
	Type             string
	Value            string
	Version          int64
	Selector         string
	ARN              string
	DataType         string
	LastModifiedDate string
	Labels           []string
	KeyId            string
	Description      string
}

// countingHandler counts requests per operation, to see the CLI paginate.
type countingHandler struct {
	next  http.Handler
	paths atomic.Int64
}

func (c *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") == TargetPrefix+"GetParametersByPath" {
		c.paths.Add(1)
	}
	c.next.ServeHTTP(w, r)
}

// parallel runs each step as a parallel subtest and waits for all: the
// CLI costs about a second of CPU per call, so independent calls overlap.
func parallel(t *testing.T, name string, steps map[string]func(t *testing.T)) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		for n, step := range steps {
			t.Run(n, func(t *testing.T) {
				t.Parallel()
				step(t)
			})
		}
	})
	if t.Failed() {
		t.FailNow()
	}
}

func TestCLI(t *testing.T) {
	counter := &countingHandler{}
	srv := httptest.NewServer(counter)
	t.Cleanup(srv.Close)
	counter.next = testServer(t)
	aws := newCLI(t, srv.URL)

	type putResult struct {
		Version int64
		Tier    string
	}
	parallel(t, "put", map[string]func(t *testing.T){
		"String then overwrite": func(t *testing.T) {
			var put putResult
			aws.ok(t, &put, "put-parameter", "--name", "/cfcd-test/version/frontend", "--value", "v1", "--type", "String")
			if put.Version != 1 || put.Tier != "Standard" {
				t.Fatalf("put-parameter = %+v", put)
			}
			aws.ok(t, &put, "put-parameter", "--name", "/cfcd-test/version/frontend", "--value", "v2", "--type", "String", "--overwrite")
			if put.Version != 2 {
				t.Fatalf("put-parameter --overwrite = %+v, want version 2", put)
			}
		},
		"StringList": func(t *testing.T) {
			aws.ok(t, nil, "put-parameter", "--name", "/cfcd-test/hosts", "--value", "a.example,b.example", "--type", "StringList", "--description", "edge hosts")
		},
		"SecureString": func(t *testing.T) {
			aws.ok(t, nil, "put-parameter", "--name", "/cfcd-test/secret/token", "--value", "s3cr3t", "--type", "SecureString")
		},
		"String": func(t *testing.T) {
			aws.ok(t, nil, "put-parameter", "--name", "/cfcd-test/cloudfront/cfcd-staging", "--value", "deleted", "--type", "String")
		},
	})

	var label struct {
		InvalidLabels    []string
		ParameterVersion int64
	}
	aws.ok(t, &label, "label-parameter-version", "--name", "/cfcd-test/version/frontend", "--parameter-version", "1", "--labels", "prod", "9bad")
	if label.ParameterVersion != 1 || !slices.Equal(label.InvalidLabels, []string{"9bad"}) {
		t.Fatalf("label-parameter-version = %+v", label)
	}

	type getResult struct{ Parameter cliParameter }
	type pathResult struct {
		Parameters []cliParameter
		NextToken  string
	}
	parallel(t, "read", map[string]func(t *testing.T){
		"get-parameter": func(t *testing.T) {
			var got getResult
			aws.ok(t, &got, "get-parameter", "--name", "/cfcd-test/version/frontend")
			p := got.Parameter
			if p.Name != "/cfcd-test/version/frontend" || p.Value != "v2" || p.Version != 2 || p.Type != "String" || p.DataType != "text" ||
				p.ARN != "arn:aws:ssm:us-east-1:"+testAccount+":parameter/cfcd-test/version/frontend" || p.LastModifiedDate == "" {
				t.Fatalf("get-parameter = %+v", p)
			}
		},
		"SecureString undecrypted": func(t *testing.T) {
			var got getResult
			aws.ok(t, &got, "get-parameter", "--name", "/cfcd-test/secret/token")
			if got.Parameter.Value == "s3cr3t" || got.Parameter.Value == "" || got.Parameter.Type != "SecureString" {
				t.Fatalf("SecureString without --with-decryption = %+v", got.Parameter)
			}
		},
		"SecureString decrypted": func(t *testing.T) {
			var got getResult
			aws.ok(t, &got, "get-parameter", "--name", "/cfcd-test/secret/token", "--with-decryption")
			if got.Parameter.Value != "s3cr3t" {
				t.Fatalf("SecureString with --with-decryption = %+v", got.Parameter)
			}
		},
		"name:version": func(t *testing.T) {
			var got getResult
			aws.ok(t, &got, "get-parameter", "--name", "/cfcd-test/version/frontend:1")
			if got.Parameter.Value != "v1" || got.Parameter.Version != 1 || got.Parameter.Selector != ":1" || got.Parameter.Name != "/cfcd-test/version/frontend" {
				t.Fatalf("get-parameter name:version = %+v", got.Parameter)
			}
		},
		"name:label": func(t *testing.T) {
			var got getResult
			aws.ok(t, &got, "get-parameter", "--name", "/cfcd-test/version/frontend:prod")
			if got.Parameter.Value != "v1" || got.Parameter.Version != 1 || got.Parameter.Selector != ":prod" {
				t.Fatalf("get-parameter name:label = %+v", got.Parameter)
			}
		},
		"get-parameters": func(t *testing.T) {
			var many struct {
				Parameters        []cliParameter
				InvalidParameters []string
			}
			aws.ok(t, &many, "get-parameters", "--names", "/cfcd-test/version/frontend", "/cfcd-test/missing", "/cfcd-test/hosts")
			if len(many.Parameters) != 2 || many.Parameters[1].Value != "a.example,b.example" || !slices.Equal(many.InvalidParameters, []string{"/cfcd-test/missing"}) {
				t.Fatalf("get-parameters = %+v", many)
			}
		},
		"get-parameters-by-path": func(t *testing.T) {
			var byPath pathResult
			before := counter.paths.Load()
			aws.ok(t, &byPath, "get-parameters-by-path", "--path", "/cfcd-test", "--recursive", "--page-size", "2")
			want := []string{"/cfcd-test/cloudfront/cfcd-staging", "/cfcd-test/hosts", "/cfcd-test/secret/token", "/cfcd-test/version/frontend"}
			if names := cliNames(byPath.Parameters); !slices.Equal(names, want) || byPath.NextToken != "" {
				t.Fatalf("get-parameters-by-path --recursive = %v (next %q), want %v", names, byPath.NextToken, want)
			}
			// Only this subtest calls GetParametersByPath.
			if calls := counter.paths.Load() - before; calls != 2 {
				t.Fatalf("the CLI made %d GetParametersByPath calls for 4 parameters at page size 2, want 2", calls)
			}
		},
		"get-parameter-history": func(t *testing.T) {
			var hist struct{ Parameters []cliParameter }
			aws.ok(t, &hist, "get-parameter-history", "--name", "/cfcd-test/version/frontend")
			if len(hist.Parameters) != 2 || hist.Parameters[0].Value != "v1" || !slices.Equal(hist.Parameters[0].Labels, []string{"prod"}) || hist.Parameters[1].Value != "v2" {
				t.Fatalf("get-parameter-history = %+v", hist.Parameters)
			}
		},
		"describe-parameters": func(t *testing.T) {
			var desc struct{ Parameters []cliParameter }
			aws.ok(t, &desc, "describe-parameters", "--parameter-filters", "Key=Path,Option=Recursive,Values=/cfcd-test", "Key=Type,Values=StringList")
			if len(desc.Parameters) != 1 || desc.Parameters[0].Name != "/cfcd-test/hosts" || desc.Parameters[0].Description != "edge hosts" || desc.Parameters[0].Value != "" {
				t.Fatalf("describe-parameters = %+v", desc.Parameters)
			}
		},
	})

	// The error cases, with the CLI's exit code and message.
	parallel(t, "errors", map[string]func(t *testing.T){
		"ParameterNotFound": func(t *testing.T) {
			aws.fails(t, "ParameterNotFound", "GetParameter", "Parameter /cfcd-test/missing not found.", "get-parameter", "--name", "/cfcd-test/missing")
		},
		"ParameterAlreadyExists": func(t *testing.T) {
			aws.fails(t, "ParameterAlreadyExists", "PutParameter", "set the overwrite option", "put-parameter", "--name", "/cfcd-test/version/frontend", "--value", "v3", "--type", "String")
		},
		"ParameterVersionNotFound": func(t *testing.T) {
			aws.fails(t, "ParameterVersionNotFound", "GetParameter", "could not find version 9 of /cfcd-test/version/frontend", "get-parameter", "--name", "/cfcd-test/version/frontend:9")
		},
		"bad name": func(t *testing.T) {
			aws.fails(t, "ValidationException", "PutParameter", "each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_", "put-parameter", "--name", "/cfcd test/x", "--value", "v", "--type", "String")
		},
		"sixteen levels": func(t *testing.T) {
			aws.fails(t, "HierarchyLevelLimitExceededException", "PutParameter", "A hierarchy can have a maximum of 15 levels", "put-parameter", "--name", strings.Repeat("/l", 15)+"/x", "--value", "v", "--type", "String")
		},
		"value over 4 KiB": func(t *testing.T) {
			aws.fails(t, "ValidationException", "PutParameter", "Standard tier parameters support a maximum parameter value of 4096 characters", "put-parameter", "--name", "/cfcd-test/big", "--value", strings.Repeat("x", 4097), "--type", "String")
		},
	})

	aws.ok(t, nil, "delete-parameter", "--name", "/cfcd-test/hosts")
	var del struct{ DeletedParameters, InvalidParameters []string }
	aws.ok(t, &del, "delete-parameters", "--names", "/cfcd-test/secret/token", "/cfcd-test/hosts")
	if !slices.Equal(del.DeletedParameters, []string{"/cfcd-test/secret/token"}) || !slices.Equal(del.InvalidParameters, []string{"/cfcd-test/hosts"}) {
		t.Fatalf("delete-parameters = %+v", del)
	}
}

func cliNames(ps []cliParameter) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}
