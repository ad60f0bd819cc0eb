package cloudfront

import (
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/store/sqlite"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// normalize replaces what differs between runs (ids, ETags, domains,
// times, request ids) with placeholders, so a golden file shows the shape.
var normalizers = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "<uuid>"},
	{regexp.MustCompile(`\bd[a-z0-9]{13}\.`), "<domain>."},
	{regexp.MustCompile(`\bE[A-Z0-9]{13}\b`), "<id>"},
	{regexp.MustCompile(`\bI[A-Z0-9]{13}\b`), "<invalidation>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`), "<time>"},
	{regexp.MustCompile(`<RequestId>[^<]*</RequestId>`), "<RequestId/>"},
}

func normalize(s string) string {
	for _, n := range normalizers {
		s = n.re.ReplaceAllString(s, n.with)
	}
	return s
}

// TestGoldenOperations drives every operation through the handler, as the
// SDKs send them, and compares status, ETag presence and body with
// testdata/golden/<step>.xml (refresh with -update and review the diff).
func TestGoldenOperations(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	h := New(cdn.NewService(db, cdn.Options{}), Options{})
	admin := &iam.Principal{Key: iam.Key{AccessKeyID: "AKIA", Account: "000000000000", UserName: "admin", Policies: []iam.Policy{iam.AdminPolicy()}}}
	ids := map[string]string{}
	etags := map[string]string{}
	do := func(step, method, path, body string, hdr ...string) string {
		t.Helper()
		for k, v := range ids {
			path = strings.ReplaceAll(path, "{"+k+"}", v)
			body = strings.ReplaceAll(body, "{"+k+"}", v)
		}
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		for i := 0; i+1 < len(hdr); i += 2 {
			v := hdr[i+1]
			for k, e := range etags {
				v = strings.ReplaceAll(v, "{etag:"+k+"}", e)
			}
			r.Header.Set(hdr[i], v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r.WithContext(iam.WithPrincipal(r.Context(), admin)))
		got := normalize(w.Body.String())
		head := w.Result().Status
		if w.Header().Get("ETag") != "" {
			head += "\nETag: <etag>"
		}
		if loc := w.Header().Get("Location"); loc != "" {
			head += "\nLocation: " + normalize(loc)
		}
		out := head + "\n\n" + got + "\n"
		file := filepath.Join("testdata", "golden", step+".xml")
		if *update {
			os.MkdirAll(filepath.Dir(file), 0o755)
			os.WriteFile(file, []byte(out), 0o644)
		} else if want, err := os.ReadFile(file); err != nil || string(want) != out {
			t.Errorf("%s differs from %s (run with -update and review):\n%s", step, file, out)
		}
		if e := w.Header().Get("ETag"); e != "" {
			etags[step] = e
		}
		return w.Body.String()
	}
	idOf := func(body string) string {
		m := regexp.MustCompile(`<Id>([^<]+)</Id>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no <Id> in %s", body)
		}
		return m[1]
	}
	domainOf := func(body string) string {
		return regexp.MustCompile(`<DomainName>(d[a-z0-9]+\.[^<]+)</DomainName>`).FindStringSubmatch(body)[1]
	}
	cfg := `<DistributionConfig xmlns="` + Namespace + `"><CallerReference>golden</CallerReference><DefaultRootObject>index.html</DefaultRootObject><Origins><Quantity>1</Quantity><Items><Origin><Id>s3</Id><DomainName>site.s3.us-east-1.amazonaws.com</DomainName><OriginPath>/1.0.0</OriginPath><S3OriginConfig><OriginAccessIdentity></OriginAccessIdentity></S3OriginConfig></Origin></Items></Origins><DefaultCacheBehavior><TargetOriginId>s3</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy><CachePolicyId>658327ea-f89d-4fab-a63d-7e88639e58f6</CachePolicyId></DefaultCacheBehavior><Comment>golden</Comment><Enabled>true</Enabled></DistributionConfig>`
	ids["P"] = idOf(do("01-create-distribution", "POST", "/2020-05-31/distribution", cfg))
	do("02-get-distribution", "GET", "/2020-05-31/distribution/{P}", "")
	do("03-get-distribution-config", "GET", "/2020-05-31/distribution/{P}/config", "")
	do("04-list-distributions", "GET", "/2020-05-31/distribution?MaxItems=10", "")
	staging := do("05-copy-distribution", "POST", "/2020-05-31/distribution/{P}/copy", `<CopyDistributionRequest xmlns="`+Namespace+`"><CallerReference>golden-staging</CallerReference></CopyDistributionRequest>`,
		"Staging", "true", "If-Match", "{etag:01-create-distribution}")
	ids["S"], ids["SD"] = idOf(staging), domainOf(staging)
	pol := `<ContinuousDeploymentPolicyConfig xmlns="` + Namespace + `"><StagingDistributionDnsNames><Quantity>1</Quantity><Items><DnsName>{SD}</DnsName></Items></StagingDistributionDnsNames><Enabled>true</Enabled><TrafficConfig><SingleHeaderConfig><Header>aws-cf-cd-env</Header><Value>staging</Value></SingleHeaderConfig><Type>SingleHeader</Type></TrafficConfig></ContinuousDeploymentPolicyConfig>`
	ids["CDP"] = idOf(do("06-create-policy", "POST", "/2020-05-31/continuous-deployment-policy", pol))
	do("07-get-policy", "GET", "/2020-05-31/continuous-deployment-policy/{CDP}", "")
	do("08-get-policy-config", "GET", "/2020-05-31/continuous-deployment-policy/{CDP}/config", "")
	do("09-list-policies", "GET", "/2020-05-31/continuous-deployment-policy", "")
	do("10-update-policy", "PUT", "/2020-05-31/continuous-deployment-policy/{CDP}", pol, "If-Match", "{etag:06-create-policy}")
	attach := strings.Replace(cfg, "<Comment>", "<ContinuousDeploymentPolicyId>{CDP}</ContinuousDeploymentPolicyId><Comment>", 1)
	do("11-update-without-if-match", "PUT", "/2020-05-31/distribution/{P}/config", attach)
	do("12-update-distribution", "PUT", "/2020-05-31/distribution/{P}/config", attach, "If-Match", "{etag:01-create-distribution}")
	do("13-update-stale-if-match", "PUT", "/2020-05-31/distribution/{P}/config", attach, "If-Match", "{etag:01-create-distribution}")
	do("14-promote", "PUT", "/2020-05-31/distribution/{P}/promote-staging-config?StagingDistributionId={S}", "",
		"If-Match", "{etag:12-update-distribution}, {etag:05-copy-distribution}")
	ids["I"] = idOf(do("15-create-invalidation", "POST", "/2020-05-31/distribution/{P}/invalidation",
		`<InvalidationBatch xmlns="`+Namespace+`"><Paths><Quantity>1</Quantity><Items><Path>/*</Path></Items></Paths><CallerReference>inv</CallerReference></InvalidationBatch>`))
	do("16-get-invalidation", "GET", "/2020-05-31/distribution/{P}/invalidation/{I}", "")
	do("17-list-invalidations", "GET", "/2020-05-31/distribution/{P}/invalidation", "")
	do("18-delete-policy-in-use", "DELETE", "/2020-05-31/continuous-deployment-policy/{CDP}", "", "If-Match", "{etag:10-update-policy}")
	do("19-delete-enabled-distribution", "DELETE", "/2020-05-31/distribution/{S}", "", "If-Match", "{etag:05-copy-distribution}")
	do("20-no-such-distribution", "GET", "/2020-05-31/distribution/ENOSUCHDISTRIB", "")
	do("21-malformed-input", "POST", "/2020-05-31/distribution", `<DistributionConfig><Enabled>maybe</Enabled></DistributionConfig>`)
	do("22-unknown-element", "POST", "/2020-05-31/distribution", strings.Replace(cfg, "<Comment>", "<Coment>x</Coment><Comment>", 1))
	do("23-get-cache-policy", "GET", "/2020-05-31/cache-policy/658327ea-f89d-4fab-a63d-7e88639e58f6", "")
	do("24-list-cache-policies", "GET", "/2020-05-31/cache-policy?Type=managed", "")
	do("25-unknown-operation", "GET", "/2020-05-31/origin-access-control", "")
	if w := httptest.NewRecorder(); true {
		r := httptest.NewRequest(http.MethodGet, "/2020-05-31/distribution", nil)
		h.ServeHTTP(w, r) // no principal: refused
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "AccessDenied") {
			t.Fatalf("anonymous call: %d %s", w.Code, w.Body.String())
		}
	}
}
