package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// TestWeightedCanaryShareAndStickiness is S2 on the real binary: a
// SingleWeight policy set with the aws CLI sends a share of fresh viewers to
// staging within the binomial 99.9% interval of its weight, and a viewer
// that keeps its cookie keeps its side.
func TestWeightedCanaryShareAndStickiness(t *testing.T) {
	p := startUp(t, t.TempDir())
	primary := p.info.Distributions[0]
	var cfg struct {
		ETag         string
		Distribution struct {
			DistributionConfig struct{ ContinuousDeploymentPolicyId string }
		}
	}
	p.runJSON(&cfg, "cloudfront", "get-distribution", "--id", primary.ID)
	policyID := cfg.Distribution.DistributionConfig.ContinuousDeploymentPolicyId
	var pol struct {
		ETag                             string
		ContinuousDeploymentPolicyConfig map[string]any
	}
	p.runJSON(&pol, "cloudfront", "get-continuous-deployment-policy-config", "--id", policyID)
	const weight = 0.15
	pc := pol.ContinuousDeploymentPolicyConfig
	pc["TrafficConfig"] = map[string]any{"Type": "SingleWeight", "SingleWeightConfig": map[string]any{
		"Weight": weight, "SessionStickinessConfig": map[string]any{"IdleTTL": 300, "MaximumTTL": 600}}}
	p.run("aws", "cloudfront", "update-continuous-deployment-policy", "--id", policyID, "--if-match", pol.ETag,
		"--continuous-deployment-policy-config", mustJSON(t, pc))
	p.run("aws", "cloudfront", "wait", "distribution-deployed", "--id", primary.ID)

	const viewers = 2000
	var stagingCookie, primaryCookie string
	// sample counts how many of n fresh viewers (no cookie) go to staging,
	// checking that each gets a sticky cookie.
	sample := func(n int) (staged int) {
		for i := 0; i < n; i++ {
			code, h, _ := p.get(primary.Domain, "/index.html")
			if code != 200 {
				t.Fatalf("viewer %d: status %d", i, code)
			}
			cookie := stickyCookie(h)
			if cookie == "" {
				t.Fatalf("viewer %d got no %s cookie", i, "x-amz-continuous-deployment-state")
			}
			if h.Get("X-Edgecd-Side") == "staging" {
				staged++
				stagingCookie = cookie
			} else {
				primaryCookie = cookie
			}
		}
		return staged
	}
	lo, hi := binomialBounds(viewers, weight)
	inside := func(staged int) bool { return float64(staged) >= lo && float64(staged) <= hi }
	staged := sample(viewers)
	if !inside(staged) {
		// A correct edge lands outside a 99.9% interval in one run of a
		// thousand (240 of 2,000 was seen once). A second, independent
		// sample must then be inside: a wrong weight fails both, a correct
		// one fails both in one run of a million.
		t.Logf("%d of %d fresh viewers went to staging, outside the 99.9%% interval [%.0f, %.0f]; drawing a second sample", staged, viewers, lo, hi)
		staged = sample(viewers)
	}
	if !inside(staged) {
		t.Fatalf("%d of %d fresh viewers went to staging; the 99.9%% interval for weight %.2f is [%.0f, %.0f]", staged, viewers, weight, lo, hi)
	}
	t.Logf("%d of %d fresh viewers went to staging (99.9%% interval [%.0f, %.0f])", staged, viewers, lo, hi)
	for side, cookie := range map[string]string{"staging": stagingCookie, "primary": primaryCookie} {
		for i := 0; i < 50; i++ {
			_, h, body := p.get(primary.Domain, "/index.html", "Cookie", "x-amz-continuous-deployment-state="+cookie)
			if h.Get("X-Edgecd-Side") != side {
				t.Fatalf("a %s viewer with its cookie moved to %s (%q)", side, h.Get("X-Edgecd-Side"), body)
			}
		}
	}
}

// sdk returns aws-sdk-go-v2 clients of p for the tests' own checks: a call
// takes milliseconds where each aws CLI run costs a second or more on a
// busy machine. (What is under test, edgecd release and deploy, still runs
// as the binary.)
func (p *proc) sdk() (*cloudfront.Client, *ssm.Client, *s3.Client) {
	cfg := aws.Config{
		Region:       p.info.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(p.info.AccessKeyID, p.info.SecretAccessKey, ""),
		BaseEndpoint: aws.String(p.info.APIURL),
	}
	return cloudfront.NewFromConfig(cfg), ssm.NewFromConfig(cfg), s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// waitDeployed polls distribution id with the SDK until it is Deployed,
// failing the test after limit. Tests call it before the aws CLI's own
// waiter where that waiter must return on its first poll: the waiter
// sleeps 60 s between polls, and whether the edges acknowledge before the
// CLI (a Python process) has even started is a race on a busy machine.
func (p *proc) waitDeployed(id string, limit time.Duration) {
	p.t.Helper()
	cf, _, _ := p.sdk()
	err := cloudfront.NewDistributionDeployedWaiter(cf, func(o *cloudfront.DistributionDeployedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 50*time.Millisecond, time.Second
	}).Wait(context.Background(), &cloudfront.GetDistributionInput{Id: aws.String(id)}, limit)
	if err != nil {
		p.t.Fatalf("distribution %s: %v", id, err)
	}
}

func stickyCookie(h http.Header) string {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == "x-amz-continuous-deployment-state" {
			return c.Value
		}
	}
	return ""
}

// TestReleaseCycle runs the seeds' whole release story with edgecd release
// against the running binary, checking what viewers get after each step and
// the SSM parameters the seeds' pipelines read: v1 -> stage v2 by header ->
// promote -> stage v3 by weight -> abort -> rollback.
func TestReleaseCycle(t *testing.T) {
	p := startUp(t, t.TempDir(), "--native")
	primary := p.info.Distributions[0].ID
	domain := p.info.Distributions[0].Domain
	serves := func(step, want string, hdr ...string) {
		t.Helper()
		_, _, body := p.get(domain, "/", hdr...)
		if !strings.Contains(body, want) {
			t.Fatalf("after %s: viewers (headers %v) got %q, want %q", step, hdr, firstLine(body), want)
		}
	}
	cf, params, _ := p.sdk()
	ctx := context.Background()
	param := func(name string) string {
		t.Helper()
		out, err := params.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		if err != nil {
			t.Fatalf("get parameter %s: %v", name, err)
		}
		return aws.ToString(out.Parameter.Value)
	}
	release := func(args ...string) string { return p.run("edgecd", append([]string{"release"}, args...)...) }

	serves("up", "v1 App")
	var staged struct {
		StagingID string `json:"staging_id"`
	}
	json.Unmarshal([]byte(release("stage", "--primary", primary, "--origin-path", "/2.0.0", "--header", "aws-cf-cd-env=staging", "--output", "json")), &staged)
	serves("stage v2", "v1 App")
	serves("stage v2", "v2 App", "aws-cf-cd-env", "staging")
	if _, errOut, err := p.try("edgecd", "release", "stage", "--primary", staged.StagingID, "--origin-path", "/2.0.0", "--header", "aws-cf-cd-env=staging"); err == nil ||
		!strings.Contains(errOut, "is a staging distribution: give the primary's id") {
		t.Fatalf("stage with the staging id as primary: %v\n%s", err, errOut)
	}
	if got := param("/edgecd/version/frontend"); got != "2.0.0" {
		t.Fatalf("version parameter after stage = %q", got)
	}
	etags := func() string {
		t.Helper()
		var out []string
		for _, id := range []string{primary, staged.StagingID} {
			d, err := cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(id)})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, aws.ToString(d.ETag))
		}
		return strings.Join(out, " ")
	}
	before := etags()
	again, steps, err := p.try("edgecd", "release", "stage", "--primary", primary, "--origin-path", "/2.0.0", "--header", "aws-cf-cd-env=staging", "--output", "json")
	if err != nil || !strings.Contains(again, `"origin_path": "/2.0.0"`) {
		t.Fatalf("second stage: %v\n%s\n%s", err, again, steps)
	}
	if after := etags(); after != before {
		t.Fatalf("a second identical stage changed the distributions (ETags %s -> %s)", before, after)
	}
	// Not a terminal: one plain line as each step starts and one as it ends.
	for _, want := range []string{"• find or create the staging distribution\n", "• wait until " + primary + " (primary) and ", "  done in "} {
		if !strings.Contains(steps, want) {
			t.Fatalf("stage's log lacks %q:\n%s", want, steps)
		}
	}

	release("promote", "--primary", primary)
	serves("promote", "v2 App")
	serves("promote", "v2 App", "aws-cf-cd-env", "staging")
	if out := release("promote", "--primary", primary); !strings.Contains(out, "nothing to do") {
		t.Fatalf("promoting twice should be a no-op: %s", out)
	}

	release("stage", "--primary", primary, "--origin-path", "/3.0.0", "--weight", "1", "--sticky-idle", "300", "--sticky-max", "600")
	serves("stage v3 at weight 1", "v3 App")
	status := release("status", "--primary", primary, "--output", "json")
	for _, want := range []string{`"origin_path": "/3.0.0"`, `"type": "SingleWeight"`, `"enabled": true`} {
		if !strings.Contains(status, want) {
			t.Fatalf("status lacks %s:\n%s", want, status)
		}
	}

	release("abort", "--primary", primary)
	serves("abort", "v2 App")
	if got := param("/edgecd/cloudfront/cfcd-staging"); got != "deleted" {
		t.Fatalf("staging parameter after abort = %q, want deleted", got)
	}
	list, err := cf.ListDistributions(ctx, &cloudfront.ListDistributionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(list.DistributionList.Items); n != 1 {
		t.Fatalf("after abort %d distributions remain, want only the primary", n)
	}
	release("abort", "--primary", primary) // safe to re-run

	// The previous promoted version: what the primary served before the
	// only promote (v1).
	release("rollback", "--primary", primary)
	serves("rollback", "v1 App")
	if got := param("/edgecd/version/frontend"); got != "1.0.0" {
		t.Fatalf("version parameter after rollback = %q", got)
	}
	release("rollback", "--primary", primary, "--to", "2.0.0")
	serves("rollback --to 2.0.0", "v2 App")
	badInput := []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"a wrong id", []string{"promote", "--primary", "ENOSUCHDIST"},
			[]string{`step "find the staging distribution of ENOSUCHDIST" failed`, "NoSuchDistribution", "next: ", "list-distributions"}},
		{"a header cloudfront would refuse", []string{"stage", "--primary", primary, "--origin-path", "/2.0.0", "--header", "x-env=staging"},
			[]string{`must start with "aws-cf-cd-"`}},
		{"nothing staged", []string{"promote", "--primary", primary},
			[]string{"nothing is staged for this primary: run `edgecd release stage` first"}},
	}
	for _, tt := range badInput {
		_, errOut, err := p.try("edgecd", append([]string{"release"}, tt.args...)...)
		if err == nil {
			t.Fatalf("%s: release %v succeeded", tt.name, tt.args)
		}
		for _, want := range tt.want {
			if !strings.Contains(errOut, want) {
				t.Fatalf("%s: stderr lacks %q:\n%s", tt.name, want, errOut)
			}
		}
	}
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "<h1>") {
			return strings.TrimSpace(l)
		}
	}
	if len(s) > 80 {
		return s[:80]
	}
	return s
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	return jsonString(v)
}

// TestReleaseInvalidateWaitsUntilViewersGetTheNewFile is seed 003's
// invalidation Lambda as one command: a cached page stays cached after its
// object changes, `edgecd release invalidate --paths '/*' --wait` returns
// only once the invalidation is Completed, and the next viewer gets the new
// file.
func TestReleaseInvalidateWaitsUntilViewersGetTheNewFile(t *testing.T) {
	p := startUp(t, t.TempDir())
	primary := p.info.Distributions[0]
	p.get(primary.Domain, "/index.html")
	if _, h, body := p.get(primary.Domain, "/index.html"); !strings.HasPrefix(h.Get("X-Cache"), "Hit") || !strings.Contains(body, "v1 App") {
		t.Fatalf("second request: X-Cache %q, body %q; the test needs a cached page", h.Get("X-Cache"), firstLine(body))
	}
	cf, _, objects := p.sdk()
	ctx := context.Background()
	if _, err := objects.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("site"), Key: aws.String("1.0.0/index.html"),
		Body: strings.NewReader("<h1>v1.0.1 App</h1>\n"), ContentType: aws.String("text/html")}); err != nil {
		t.Fatal(err)
	}
	if _, _, body := p.get(primary.Domain, "/index.html"); !strings.Contains(body, "v1 App") {
		t.Fatalf("before the invalidation the edge already serves %q", firstLine(body))
	}

	out := p.run("edgecd", "release", "invalidate", "--distribution", primary.ID, "--paths", "/*", "--wait", "--output", "json")
	var res struct {
		Distribution, Status string
		ID                   string `json:"invalidation_id"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Status != "Completed" || res.ID == "" || res.Distribution != primary.ID {
		t.Fatalf("invalidate --wait: %v\n%s", err, out)
	}
	inv, err := cf.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{DistributionId: aws.String(primary.ID), Id: aws.String(res.ID)})
	if err != nil || aws.ToString(inv.Invalidation.Status) != "Completed" {
		t.Fatalf("GetInvalidation after --wait: %v %+v", err, inv)
	}
	if _, _, body := p.get(primary.Domain, "/index.html"); !strings.Contains(body, "v1.0.1 App") {
		t.Fatalf("after the invalidation viewers still get %q", firstLine(body))
	}
	_, errOut, err := p.try("edgecd", "release", "invalidate", "--distribution", "ENOSUCH", "--paths", "/*")
	if err == nil || !strings.Contains(errOut, "NoSuchDistribution") || !strings.Contains(errOut, "next: ") {
		t.Fatalf("invalidate of a missing distribution: %v\n%s", err, errOut)
	}
}

// TestReleaseStageLetsStagingReadABucketThatNamesThePrimary is seed 002's
// bucket-policy step: with origin access enforced and a policy that lets
// only the primary read, a staged version would answer 403; stage adds the
// staging distribution to the policy, testers get the staged version, and
// abort takes it out again; an abort re-run after stopping half way
// finishes the cleanup.
func TestReleaseStageLetsStagingReadABucketThatNamesThePrimary(t *testing.T) {
	p := startUp(t, t.TempDir(), "--enforce-bucket-policy")
	primary := p.info.Distributions[0]
	cf, _, objects := p.sdk()
	ctx := context.Background()
	dist, err := cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(primary.ID)})
	if err != nil {
		t.Fatal(err)
	}
	primaryARN := aws.ToString(dist.Distribution.ARN)
	bucketPolicy := func() string {
		t.Helper()
		out, err := objects.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("site")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Policy)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"AllowCloudFrontServicePrincipalReadOnly","Effect":"Allow",
		"Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*",
		"Condition":{"StringEquals":{"AWS:SourceArn":"` + primaryARN + `"}}}]}`
	if _, err := objects.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("site"), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := p.get(primary.Domain, "/index.html", "aws-cf-cd-env", "staging"); code != 403 {
		t.Fatalf("before stage a tester got %d from a staging distribution the policy does not name; want 403", code)
	}

	out := p.run("edgecd", "release", "stage", "--primary", primary.ID, "--origin-path", "/2.0.0", "--header", "aws-cf-cd-env=staging", "--output", "json")
	var res struct {
		StagingID string   `json:"staging_id"`
		Buckets   []string `json:"bucket_policies_updated"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Buckets) != 1 || res.Buckets[0] != "site" {
		t.Fatalf("stage: %v\n%s", err, out)
	}
	if code, _, body := p.get(primary.Domain, "/index.html", "aws-cf-cd-env", "staging"); code != 200 || !strings.Contains(body, "v2 App") {
		t.Fatalf("after stage a tester got %d %q", code, firstLine(body))
	}
	if code, _, body := p.get(primary.Domain, "/index.html"); code != 200 || !strings.Contains(body, "v1 App") {
		t.Fatalf("after stage a viewer got %d %q", code, firstLine(body))
	}
	stagingARN := primaryARN[:strings.LastIndex(primaryARN, "/")+1] + res.StagingID
	got := bucketPolicy()
	if !strings.Contains(got, primaryARN) || !strings.Contains(got, stagingARN) || !strings.Contains(got, "AllowCloudFrontServicePrincipalReadOnly") {
		t.Fatalf("bucket policy after stage:\n%s", got)
	}
	if out := p.run("edgecd", "release", "stage", "--primary", primary.ID, "--origin-path", "/2.0.0", "--header", "aws-cf-cd-env=staging", "--output", "json"); strings.Contains(out, "bucket_policies_updated") {
		t.Fatalf("a second stage changed the bucket policy again:\n%s", out)
	}

	p.run("edgecd", "release", "abort", "--primary", primary.ID)
	got = bucketPolicy()
	if !strings.Contains(got, primaryARN) || strings.Contains(got, stagingARN) {
		t.Fatalf("bucket policy after abort still lets the deleted staging read, or lost the primary:\n%s", got)
	}
	if code, _, body := p.get(primary.Domain, "/index.html"); code != 200 || !strings.Contains(body, "v1 App") {
		t.Fatalf("after abort a viewer got %d %q", code, firstLine(body))
	}

	// With the demo's staging distribution gone, stage copies the primary
	// into a new one, and that one is let into the bucket too.
	out = p.run("edgecd", "release", "stage", "--primary", primary.ID, "--version", "3.0.0", "--header", "aws-cf-cd-env=staging", "--output", "json")
	var fresh struct {
		StagingID  string   `json:"staging_id"`
		OriginPath string   `json:"origin_path"`
		Buckets    []string `json:"bucket_policies_updated"`
	}
	if err := json.Unmarshal([]byte(out), &fresh); err != nil || fresh.StagingID == res.StagingID || fresh.OriginPath != "/3.0.0" || len(fresh.Buckets) != 1 {
		t.Fatalf("stage after abort: %v\n%s", err, out)
	}
	if code, _, body := p.get(primary.Domain, "/index.html", "aws-cf-cd-env", "staging"); code != 200 || !strings.Contains(body, "v3 App") {
		t.Fatalf("a tester of the new staging distribution got %d %q", code, firstLine(body))
	}

	// An abort that stopped half way: the policy is detached from the
	// primary but still exists, the staging distribution still runs. A
	// re-run finishes the cleanup.
	cur, err := cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: aws.String(primary.ID)})
	if err != nil {
		t.Fatal(err)
	}
	policyID := aws.ToString(cur.DistributionConfig.ContinuousDeploymentPolicyId)
	cur.DistributionConfig.ContinuousDeploymentPolicyId = aws.String("")
	if _, err := cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: aws.String(primary.ID), IfMatch: cur.ETag, DistributionConfig: cur.DistributionConfig}); err != nil {
		t.Fatal(err)
	}
	p.run("edgecd", "release", "abort", "--primary", primary.ID)
	if _, err := cf.GetContinuousDeploymentPolicy(ctx, &cloudfront.GetContinuousDeploymentPolicyInput{Id: aws.String(policyID)}); err == nil {
		t.Fatalf("the re-run abort left policy %s", policyID)
	}
	if _, err := cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: aws.String(fresh.StagingID)}); err == nil {
		t.Fatalf("the re-run abort left staging %s", fresh.StagingID)
	}
	if got := bucketPolicy(); strings.Contains(got, fresh.StagingID) {
		t.Fatalf("the re-run abort left staging in the bucket policy:\n%s", got)
	}
}
