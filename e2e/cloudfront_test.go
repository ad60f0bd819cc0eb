package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type distOut struct {
	ETag         string
	Distribution struct {
		Id, DomainName, Status string
		DistributionConfig     map[string]any
	}
}

// TestCloudFrontCLIScenarios runs S1, S3 and S4 with the aws CLI v2 the way
// the seeds do, from a distribution created from a JSON config file, and
// checks what viewers get at the edge after each step.
func TestCloudFrontCLIScenarios(t *testing.T) {
	p := startUp(t, t.TempDir())
	dir := t.TempDir()
	cfg := `{
  "CallerReference": "e2e-primary",
  "Comment": "S1 primary",
  "Enabled": true,
  "DefaultRootObject": "index.html",
  "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": "site.s3.ap-northeast-1.amazonaws.com",
    "OriginPath": "/1.0.0", "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
  "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "allow-all",
    "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6", "Compress": true}
}`
	cfgFile := filepath.Join(dir, "config.json")
	os.WriteFile(cfgFile, []byte(cfg), 0o600)

	// S1: primary, staging copy on /2.0.0, header policy, attach.
	var primary distOut
	p.runJSON(&primary, "cloudfront", "create-distribution", "--distribution-config", "file://"+cfgFile)
	pid := primary.Distribution.Id
	var staging distOut
	p.runJSON(&staging, "cloudfront", "copy-distribution", "--primary-distribution-id", pid, "--staging",
		"--if-match", primary.ETag, "--caller-reference", "e2e-staging")
	sid := staging.Distribution.Id
	var scfg struct {
		ETag               string
		DistributionConfig map[string]any
	}
	p.runJSON(&scfg, "cloudfront", "get-distribution-config", "--id", sid)
	origins := scfg.DistributionConfig["Origins"].(map[string]any)["Items"].([]any)
	origins[0].(map[string]any)["OriginPath"] = "/2.0.0"
	p.runJSON(&staging, "cloudfront", "update-distribution", "--id", sid, "--if-match", scfg.ETag,
		"--distribution-config", jsonString(scfg.DistributionConfig))
	policy := jsonString(map[string]any{
		"StagingDistributionDnsNames": map[string]any{"Quantity": 1, "Items": []string{staging.Distribution.DomainName}},
		"Enabled":                     true,
		"TrafficConfig": map[string]any{"Type": "SingleHeader",
			"SingleHeaderConfig": map[string]any{"Header": "aws-cf-cd-env", "Value": "staging"}},
	})
	var pol struct {
		ETag                       string
		ContinuousDeploymentPolicy struct{ Id string }
	}
	p.runJSON(&pol, "cloudfront", "create-continuous-deployment-policy", "--continuous-deployment-policy-config", policy)
	var pcfg struct {
		ETag               string
		DistributionConfig map[string]any
	}
	p.runJSON(&pcfg, "cloudfront", "get-distribution-config", "--id", pid)
	pcfg.DistributionConfig["ContinuousDeploymentPolicyId"] = pol.ContinuousDeploymentPolicy.Id
	_, errOut, err := p.try("aws", "cloudfront", "update-distribution", "--id", pid, "--distribution-config", jsonString(pcfg.DistributionConfig))
	if err == nil || !strings.Contains(errOut, "InvalidIfMatchVersion") {
		t.Fatalf("update without --if-match: %v %s", err, errOut)
	}
	p.runJSON(&primary, "cloudfront", "update-distribution", "--id", pid, "--if-match", pcfg.ETag,
		"--distribution-config", jsonString(pcfg.DistributionConfig))
	_, errOut, err = p.try("aws", "cloudfront", "update-distribution", "--id", pid, "--if-match", pcfg.ETag,
		"--distribution-config", jsonString(pcfg.DistributionConfig))
	if err == nil || !strings.Contains(errOut, "PreconditionFailed") {
		t.Fatalf("update with a stale ETag: %v %s", err, errOut)
	}
	p.run("aws", "cloudfront", "wait", "distribution-deployed", "--id", pid)
	domain := primary.Distribution.DomainName
	expect := func(step, want string, hdr ...string) {
		t.Helper()
		_, _, body := p.get(domain, "/index.html", hdr...)
		if !strings.Contains(body, want) {
			t.Fatalf("%s: got %q, want %q", step, firstLine(body), want)
		}
	}
	expect("S1 viewer", "v1 App")
	expect("S1 tester", "v2 App", "aws-cf-cd-env", "staging")

	// S3: promote with both ETags.
	var pd, sd distOut
	p.runJSON(&pd, "cloudfront", "get-distribution", "--id", pid)
	p.runJSON(&sd, "cloudfront", "get-distribution", "--id", sid)
	var promoted distOut
	p.runJSON(&promoted, "cloudfront", "update-distribution-with-staging-config", "--id", pid,
		"--staging-distribution-id", sid, "--if-match", pd.ETag+", "+sd.ETag)
	if promoted.Distribution.Id != pid || promoted.Distribution.DomainName != domain ||
		promoted.Distribution.DistributionConfig["ContinuousDeploymentPolicyId"] != pol.ContinuousDeploymentPolicy.Id {
		t.Fatalf("promote changed the primary's identity: %+v", promoted.Distribution)
	}
	p.run("aws", "cloudfront", "wait", "distribution-deployed", "--id", pid)
	expect("S3 every viewer", "v2 App")
	var after struct {
		ContinuousDeploymentPolicy struct{ ContinuousDeploymentPolicyConfig struct{ Enabled bool } }
	}
	p.runJSON(&after, "cloudfront", "get-continuous-deployment-policy", "--id", pol.ContinuousDeploymentPolicy.Id)
	if after.ContinuousDeploymentPolicy.ContinuousDeploymentPolicyConfig.Enabled {
		t.Fatal("promote left the policy enabled")
	}

	// Invalidation and its waiter (seed 003).
	var inv struct{ Invalidation struct{ Id string } }
	p.runJSON(&inv, "cloudfront", "create-invalidation", "--distribution-id", pid, "--paths", "/*")
	p.run("aws", "cloudfront", "wait", "invalidation-completed", "--distribution-id", pid, "--id", inv.Invalidation.Id)

	// S4: seed 001's cleanup, each step with the current ETag.
	p.run("aws", "cloudfront", "wait", "distribution-deployed", "--id", pid)
	p.runJSON(&pcfg, "cloudfront", "get-distribution-config", "--id", pid)
	pcfg.DistributionConfig["ContinuousDeploymentPolicyId"] = ""
	p.run("aws", "cloudfront", "update-distribution", "--id", pid, "--if-match", pcfg.ETag, "--distribution-config", jsonString(pcfg.DistributionConfig))
	p.run("aws", "cloudfront", "wait", "distribution-deployed", "--id", pid)
	var pe struct{ ETag string }
	p.runJSON(&pe, "cloudfront", "get-continuous-deployment-policy", "--id", pol.ContinuousDeploymentPolicy.Id)
	p.run("aws", "cloudfront", "delete-continuous-deployment-policy", "--id", pol.ContinuousDeploymentPolicy.Id, "--if-match", pe.ETag)
	p.runJSON(&scfg, "cloudfront", "get-distribution-config", "--id", sid)
	_, errOut, err = p.try("aws", "cloudfront", "delete-distribution", "--id", sid, "--if-match", scfg.ETag)
	if err == nil || !strings.Contains(errOut, "DistributionNotDisabled") {
		t.Fatalf("deleting an enabled distribution: %v %s", err, errOut)
	}
	scfg.DistributionConfig["Enabled"] = false
	var disabled distOut
	p.runJSON(&disabled, "cloudfront", "update-distribution", "--id", sid, "--if-match", scfg.ETag, "--distribution-config", jsonString(scfg.DistributionConfig))
	p.run("aws", "cloudfront", "wait", "distribution-deployed", "--id", sid)
	p.run("aws", "cloudfront", "delete-distribution", "--id", sid, "--if-match", disabled.ETag)
	_, errOut, err = p.try("aws", "cloudfront", "get-distribution", "--id", sid)
	if err == nil || !strings.Contains(errOut, "NoSuchDistribution") {
		t.Fatalf("deleted staging still answers: %v %s", err, errOut)
	}
	expect("after cleanup", "v2 App")
}

// TestCloudFrontRefusesBadInput checks malformed documents and bad
// signatures are refused with the cloud's codes and change nothing.
func TestCloudFrontRefusesBadInput(t *testing.T) {
	p := startUp(t, t.TempDir())
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unknown element", []string{"cloudfront", "create-continuous-deployment-policy", "--continuous-deployment-policy-config",
			`{"StagingDistributionDnsNames":{"Quantity":1,"Items":["x"]},"Enabled":true,"TrafficConfig":{"Type":"SingleWeight","SingleWeightConfig":{"Weight":0.5}}}`}, nil, "InvalidArgument"},
		{"header without the aws-cf-cd- prefix", []string{"cloudfront", "create-continuous-deployment-policy", "--continuous-deployment-policy-config",
			`{"StagingDistributionDnsNames":{"Quantity":1,"Items":["x"]},"Enabled":true,"TrafficConfig":{"Type":"SingleHeader","SingleHeaderConfig":{"Header":"x-env","Value":"s"}}}`}, nil, "must start with"},
		{"no such distribution", []string{"cloudfront", "get-distribution", "--id", "ENOSUCH"}, nil, "NoSuchDistribution"},
		{"wrong secret", []string{"cloudfront", "list-distributions"}, []string{"AWS_SECRET_ACCESS_KEY=wrong"}, "SignatureDoesNotMatch"},
		{"unknown key", []string{"cloudfront", "list-distributions"}, []string{"AWS_ACCESS_KEY_ID=AKIAUNKNOWN"}, "InvalidClientTokenId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, err := p.tryEnv(tt.env, "aws", tt.args...)
			if err == nil || !strings.Contains(errOut, tt.want) {
				t.Fatalf("err %v, stderr %q, want %q", err, errOut, tt.want)
			}
		})
	}
	var list struct{ DistributionList struct{ Items []any } }
	p.runJSON(&list, "cloudfront", "list-distributions")
	if n := len(list.DistributionList.Items); n != 2 {
		t.Fatalf("refused requests changed something: %d distributions", n)
	}

}
