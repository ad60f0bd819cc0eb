package ssm

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/edgecd/edgecd/params"
	"github.com/edgecd/edgecd/store/sqlite"
)

type denied struct{}

func (denied) Error() string     { return "AccessDeniedException: not allowed" }
func (denied) HTTPStatus() int   { return 400 }
func (denied) ErrorCode() string { return "AccessDeniedException" }

func TestAuthorizeChecksActionOnParameterARN(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "edgecd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var asked []string
	deny := ""
	h := New(params.NewService(db, params.Config{}), Config{
		Caller: func(context.Context) Caller {
			return Caller{Account: testAccount, Region: "eu-west-1", ARN: "arn:aws:iam::" + testAccount + ":user/ci"}
		},
		Authorize: func(_ context.Context, action, resource string) error {
			asked = append(asked, action+" "+resource)
			if action == deny {
				return denied{}
			}
			return nil
		},
	})
	arn := "arn:aws:ssm:eu-west-1:" + testAccount + ":parameter/"
	tests := []struct {
		op   string
		body string
		want []string
	}{
		{"PutParameter", `{"Name":"/svc/version/frontend","Value":"v1","Type":"String"}`, []string{"ssm:PutParameter " + arn + "svc/version/frontend"}},
		{"GetParameter", `{"Name":"/svc/version/frontend:1"}`, []string{"ssm:GetParameter " + arn + "svc/version/frontend"}},
		{"GetParameters", `{"Names":["/a","b"]}`, []string{"ssm:GetParameters " + arn + "a", "ssm:GetParameters " + arn + "b"}},
		{"GetParametersByPath", `{"Path":"/svc/"}`, []string{"ssm:GetParametersByPath " + arn + "svc"}},
		{"GetParameterHistory", `{"Name":"/svc/version/frontend"}`, []string{"ssm:GetParameterHistory " + arn + "svc/version/frontend"}},
		{"LabelParameterVersion", `{"Name":"/svc/version/frontend","Labels":["prod"]}`, []string{"ssm:LabelParameterVersion " + arn + "svc/version/frontend"}},
		{"UnlabelParameterVersion", `{"Name":"/svc/version/frontend","ParameterVersion":1,"Labels":["prod"]}`, []string{"ssm:UnlabelParameterVersion " + arn + "svc/version/frontend"}},
		{"DescribeParameters", `{}`, []string{"ssm:DescribeParameters *"}},
		{"DeleteParameters", `{"Names":["/x"]}`, []string{"ssm:DeleteParameters " + arn + "x"}},
		{"DeleteParameter", `{"Name":"/svc/version/frontend"}`, []string{"ssm:DeleteParameter " + arn + "svc/version/frontend"}},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			asked = nil
			if _, err := h.Call(context.Background(), tt.op, []byte(tt.body)); err != nil {
				t.Fatalf("%s: %v", tt.op, err)
			}
			if !slices.Equal(asked, tt.want) {
				t.Fatalf("authorized %q, want %q", asked, tt.want)
			}
		})
	}
	deny = "ssm:PutParameter"
	_, err = h.Call(context.Background(), "PutParameter", []byte(`{"Name":"/denied","Value":"v","Type":"String"}`))
	if !errors.As(err, new(denied)) {
		t.Fatalf("denied put: %v, want the Authorize error", err)
	}
	if _, err := h.svc.Get(context.Background(), "/denied", false); !errors.Is(err, params.ErrNotFound) {
		t.Fatalf("a denied put wrote the parameter: %v", fmt.Sprint(err))
	}
}
