package node

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// An unsigned request gets its service's own error envelope, found from the
// request's shape, so a client sees the error it can parse.
func TestUnsignedRequestsGetTheirProtocolsError(t *testing.T) {
	cases := []struct {
		target, path string
		ct, code     string
	}{
		{"AmazonSSM.GetParameter", "/", "application/x-amz-json-1.1", "MissingAuthenticationTokenException"},
		{"AWSStepFunctions.ListStateMachines", "/", "application/x-amz-json-1.0", "MissingAuthenticationTokenException"},
		{"AWSEvents.ListRules", "/", "application/x-amz-json-1.1", "MissingAuthenticationTokenException"},
		{"CodePipeline_20150709.ListPipelines", "/", "application/x-amz-json-1.1", "MissingAuthenticationTokenException"},
		{"", "/2020-05-31/distribution", "text/xml", "MissingAuthenticationToken"},
		{"", "/site/index.html", "application/xml", "AccessDenied"},
	}
	g := &gateway{services: map[string]gatewayService{}, now: time.Now, log: slog.Default()}
	for name, p := range map[string]protocol{"ssm": json11, "states": json10, "events": json11, "codepipeline": json11, "cloudfront": restXML, "s3": restS3} {
		g.handle(name, p, http.NotFoundHandler())
	}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodPost, c.path, strings.NewReader("{}"))
		if c.target != "" {
			r.Header.Set("X-Amz-Target", c.target)
		}
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, c.ct) {
			t.Errorf("%s %s: content type %q, want %q", c.target, c.path, ct, c.ct)
		}
		if !strings.Contains(w.Body.String(), c.code) {
			t.Errorf("%s %s: body %q, want code %s", c.target, c.path, w.Body, c.code)
		}
	}
}
