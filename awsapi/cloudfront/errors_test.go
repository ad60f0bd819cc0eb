package cloudfront

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/store/sqlite"
)

const modelFile = "/usr/lib/python3/dist-packages/awscli/botocore/data/cloudfront/2020-05-31/service-2.json"

// notInModel are codes CloudFront returns that the model has no shape for:
// InvalidationBatchAlreadyExists is documented on InvalidationBatch, the
// rest are protocol-level answers shared by AWS REST services.
var notInModel = map[string]bool{
	"InvalidationBatchAlreadyExists": true,
	"SignatureDoesNotMatch":          true,
	"MalformedInput":                 true,
	"NotFound":                       true,
	"MethodNotAllowed":               true,
}

// TestErrorCodesMatchModel checks every code in the error table against the
// status the botocore model gives its error shape.
func TestErrorCodesMatchModel(t *testing.T) {
	b, err := os.ReadFile(modelFile)
	if err != nil {
		t.Skipf("the botocore model is not installed: %v", err)
	}
	var model struct {
		Shapes map[string]struct {
			Error *struct {
				HTTPStatusCode int `json:"httpStatusCode"`
			} `json:"error"`
		} `json:"shapes"`
	}
	if err := json.Unmarshal(b, &model); err != nil {
		t.Fatal(err)
	}
	for _, e := range errorCodes {
		s, ok := model.Shapes[e.code]
		switch {
		case notInModel[e.code]:
			if ok && s.Error != nil {
				t.Errorf("%s is in the model now (status %d); remove it from notInModel", e.code, s.Error.HTTPStatusCode)
			}
		case !ok || s.Error == nil:
			t.Errorf("%s (for %v) is not an error shape in the model", e.code, e.kind)
		case s.Error.HTTPStatusCode != e.status:
			t.Errorf("%s: status %d, the model says %d", e.code, e.status, s.Error.HTTPStatusCode)
		}
	}
}

// failingBody yields part of a document, then the error iam's verified body
// gives when the payload does not match its signed hash.
type failingBody struct{ r io.Reader }

func (f *failingBody) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, fmt.Errorf("chunk 1: %w", iam.ErrContentSHA256)
	}
	return n, err
}

// TestBadPayloadWritesNothing: a body whose payload fails verification is
// refused as SignatureDoesNotMatch and no distribution is created.
func TestBadPayloadWritesNothing(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "e.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := cdn.NewService(db, cdn.Options{})
	h := New(svc, Options{})
	admin := &iam.Principal{Key: iam.Key{AccessKeyID: "AKIA", Account: svc.Account(), UserName: "admin", Policies: []iam.Policy{iam.AdminPolicy()}}}
	doc := `<DistributionConfig xmlns="` + Namespace + `"><CallerReference>x</CallerReference></DistributionConfig>`
	r := httptest.NewRequest(http.MethodPost, "/2020-05-31/distribution", &failingBody{strings.NewReader(doc)})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r.WithContext(iam.WithPrincipal(ctx, admin)))
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "<Code>SignatureDoesNotMatch</Code>") {
		t.Fatalf("status %d body %s; want 403 SignatureDoesNotMatch", w.Code, w.Body)
	}
	list, _, err := svc.ListDistributions(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(list); n != 0 {
		t.Fatalf("%d distributions exist after a refused create", n)
	}
}
