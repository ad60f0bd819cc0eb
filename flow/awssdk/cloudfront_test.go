package awssdk

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/iam"
)

type distOut struct {
	Distribution cdn.Distribution
	ETag         string
	Location     string
}

func (f *fixture) create(t *testing.T) distOut {
	t.Helper()
	var d distOut
	f.call(t, "cloudfront", "createDistribution", `{"DistributionConfig":`+siteConfig+`}`, &d)
	return d
}

func TestCreateAndGetDistributionUseTheSDKShapes(t *testing.T) {
	f := newFixture(t)
	created := f.create(t)
	if created.Distribution.Id == "" || created.ETag == "" || !strings.HasSuffix(created.Location, "/distribution/"+created.Distribution.Id) {
		t.Fatalf("createDistribution answered %+v", created)
	}
	var got distOut
	raw := f.call(t, "cloudfront", "getDistribution", `{"Id":"`+created.Distribution.Id+`"}`, &got)
	if got.ETag != created.ETag || got.Distribution.DistributionConfig.Origins.Items[0].OriginPath != "/v1" {
		t.Fatalf("getDistribution answered %s", raw)
	}
	// The output is the SDK's PascalCase JSON: lists as Quantity + Items.
	var generic map[string]map[string]any
	json.Unmarshal(raw, &generic)
	origins := generic["Distribution"]["DistributionConfig"].(map[string]any)["Origins"].(map[string]any)
	if origins["Quantity"] != float64(1) || len(origins["Items"].([]any)) != 1 {
		t.Fatalf("Origins is %v, want {Quantity: 1, Items: [...]}", origins)
	}
	var cfg struct {
		DistributionConfig cdn.DistributionConfig
		ETag               string
	}
	f.call(t, "cloudfront", "getDistributionConfig", `{"Id":"`+created.Distribution.Id+`"}`, &cfg)
	if cfg.ETag != created.ETag || cfg.DistributionConfig.CallerReference != "ref-1" {
		t.Fatalf("getDistributionConfig answered %+v", cfg)
	}
}

func TestUpdateDistributionFollowsETagRules(t *testing.T) {
	f := newFixture(t)
	d := f.create(t)
	id := d.Distribution.Id
	cfg, _ := json.Marshal(d.Distribution.DistributionConfig)
	update := func(ifMatch string) string {
		p := map[string]any{"Id": id, "DistributionConfig": json.RawMessage(cfg)}
		if ifMatch != "" {
			p["IfMatch"] = ifMatch
		}
		b, _ := json.Marshal(p)
		return string(b)
	}
	tests := []struct {
		name, params, want string
	}{
		{"stale ETag", update("E2STALE"), "CloudFront.PreconditionFailedException"},
		{"no If-Match", update(""), "CloudFront.InvalidIfMatchVersionException"},
		{"unknown distribution", `{"Id":"ENOSUCH","IfMatch":"x","DistributionConfig":` + string(cfg) + `}`, "CloudFront.NoSuchDistributionException"},
		{"misspelt config member", `{"Id":"` + id + `","IfMatch":"x","DistributionConfig":{"Comentary":"x"}}`, "CloudFront.InvalidArgumentException"},
		{"unknown parameter", `{"Id":"` + id + `","IfMatch":"x","Config":{}}`, "CloudFront.InvalidArgumentException"},
		{"missing Id", `{"IfMatch":"x","DistributionConfig":` + string(cfg) + `}`, "CloudFront.InvalidArgumentException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { f.fails(t, f.ctx, "cloudfront", "updateDistribution", tt.params, tt.want) })
	}
	var up distOut
	f.call(t, "cloudfront", "updateDistribution", update(d.ETag), &up)
	if up.ETag == "" || up.ETag == d.ETag {
		t.Fatalf("a successful update must change the ETag: %q then %q", d.ETag, up.ETag)
	}
}

// The staging flow of seed 000: copy the primary as staging, point it at
// the new version, attach a header policy, then promote.
func TestCopyPolicyAndPromote(t *testing.T) {
	f := newFixture(t)
	primary := f.create(t)
	var staging distOut
	f.call(t, "cloudfront", "copyDistribution", `{"PrimaryDistributionId":"`+primary.Distribution.Id+`","Staging":true,"IfMatch":"`+primary.ETag+`","CallerReference":"staging-1"}`, &staging)
	if staging.Distribution.DistributionConfig.Staging == nil || !*staging.Distribution.DistributionConfig.Staging {
		t.Fatalf("copyDistribution did not make a staging distribution: %+v", staging.Distribution.DistributionConfig)
	}
	cfg := staging.Distribution.DistributionConfig
	cfg.Origins.Items[0].OriginPath = "/v2"
	body, _ := json.Marshal(map[string]any{"Id": staging.Distribution.Id, "IfMatch": staging.ETag, "DistributionConfig": cfg})
	f.call(t, "cloudfront", "updateDistribution", string(body), &staging)

	var pol struct {
		ContinuousDeploymentPolicy cdn.ContinuousDeploymentPolicy
		ETag                       string
	}
	f.call(t, "cloudfront", "createContinuousDeploymentPolicy", `{"ContinuousDeploymentPolicyConfig":{
		"StagingDistributionDnsNames":{"Quantity":1,"Items":["`+staging.Distribution.DomainName+`"]},"Enabled":true,
		"TrafficConfig":{"Type":"SingleHeader","SingleHeaderConfig":{"Header":"aws-cf-cd-staging","Value":"true"}}}}`, &pol)
	if pol.ContinuousDeploymentPolicy.Id == "" || pol.ETag == "" {
		t.Fatalf("createContinuousDeploymentPolicy answered %+v", pol)
	}
	pcfg := primary.Distribution.DistributionConfig
	pcfg.ContinuousDeploymentPolicyId = pol.ContinuousDeploymentPolicy.Id
	body, _ = json.Marshal(map[string]any{"Id": primary.Distribution.Id, "IfMatch": primary.ETag, "DistributionConfig": pcfg})
	f.call(t, "cloudfront", "updateDistribution", string(body), &primary)

	f.fails(t, f.ctx, "cloudfront", "updateDistributionWithStagingConfig",
		`{"Id":"`+primary.Distribution.Id+`","StagingDistributionId":"`+staging.Distribution.Id+`","IfMatch":"E1STALE, E2STALE"}`, "CloudFront.PreconditionFailedException")
	var promoted distOut
	f.call(t, "cloudfront", "updateDistributionWithStagingConfig",
		`{"Id":"`+primary.Distribution.Id+`","StagingDistributionId":"`+staging.Distribution.Id+`","IfMatch":"`+primary.ETag+","+staging.ETag+`"}`, &promoted)
	got := promoted.Distribution.DistributionConfig
	if got.Origins.Items[0].OriginPath != "/v2" || promoted.Distribution.Id != primary.Distribution.Id {
		t.Fatalf("after promotion the primary %s serves %q", promoted.Distribution.Id, got.Origins.Items[0].OriginPath)
	}
}

func TestInvalidationAndLists(t *testing.T) {
	f := newFixture(t)
	d := f.create(t)
	var inv struct {
		Invalidation cdn.Invalidation
		Location     string
	}
	f.call(t, "cloudfront", "createInvalidation", `{"DistributionId":"`+d.Distribution.Id+`","InvalidationBatch":{"CallerReference":"i1","Paths":{"Quantity":1,"Items":["/*"]}}}`, &inv)
	if inv.Invalidation.Id == "" || inv.Location == "" {
		t.Fatalf("createInvalidation answered %+v", inv)
	}
	f.call(t, "cloudfront", "getInvalidation", `{"DistributionId":"`+d.Distribution.Id+`","Id":"`+inv.Invalidation.Id+`"}`, &inv)
	var list struct{ DistributionList cdn.DistributionList }
	f.call(t, "cloudfront", "listDistributions", `{"MaxItems":"10"}`, &list)
	if list.DistributionList.Quantity != 1 || list.DistributionList.Items[0].Id != d.Distribution.Id {
		t.Fatalf("listDistributions answered %+v", list)
	}
}

func TestCloudFrontAuthorizationIsTheCallers(t *testing.T) {
	f := newFixture(t)
	d := f.create(t)
	readOnly := as(f.ctx, iam.Policy{Statement: []iam.Statement{{Effect: "Allow", Action: []string{"cloudfront:GetDistribution"}, Resource: []string{"*"}}}})
	if _, err := f.svc.Call(readOnly, "cloudfront", "getDistribution", json.RawMessage(`{"Id":"`+d.Distribution.Id+`"}`)); err != nil {
		t.Fatalf("an allowed call failed: %v", err)
	}
	f.fails(t, readOnly, "cloudfront", "deleteDistribution", `{"Id":"`+d.Distribution.Id+`","IfMatch":"`+d.ETag+`"}`, "CloudFront.AccessDeniedException")
}

func TestUnservedActionsAreRuntimeErrors(t *testing.T) {
	f := newFixture(t)
	cause := f.fails(t, f.ctx, "cloudfront", "createFunction", `{}`, "States.Runtime")
	if !strings.Contains(cause, "getDistribution") {
		t.Fatalf("the cause should list what is served: %s", cause)
	}
	f.fails(t, f.ctx, "dynamodb", "getItem", `{}`, "States.Runtime")
	f.fails(t, f.ctx, "cloudfront", "getDistribution", `[1]`, "CloudFront.InvalidArgumentException")
}
