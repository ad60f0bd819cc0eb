package release

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
)

const (
	primaryARN = "arn:aws:cloudfront::123456789012:distribution/EPRIMARY"
	stagingARN = "arn:aws:cloudfront::123456789012:distribution/ESTAGING"
)

// seed002Policy is the origin access control policy of seed 002 before the
// staging distribution is added.
const seed002Policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
 "Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject",
 "Resource":"arn:aws:s3:::site/*",
 "Condition":{"StringEquals":{"AWS:SourceArn":"` + primaryARN + `"}}}]}`

func sourceARNs(t *testing.T, policy []byte) []string {
	t.Helper()
	var doc struct {
		Statement []struct {
			Condition map[string]map[string]any
		}
	}
	if err := json.Unmarshal(policy, &doc); err != nil {
		t.Fatal(err)
	}
	return stringList(doc.Statement[0].Condition["StringEquals"]["AWS:SourceArn"])
}

func TestEditPolicyAddsStagingWhereThePrimaryIsNamed(t *testing.T) {
	tests := []struct {
		name    string
		policy  string
		changed bool
		want    []string // AWS:SourceArn values of the first statement after the edit
	}{
		{"primary named alone gains staging", seed002Policy, true, []string{primaryARN, stagingARN}},
		{"staging already there is left alone",
			`{"Statement":[{"Effect":"Allow","Condition":{"StringEquals":{"AWS:SourceArn":["` + primaryARN + `","` + stagingARN + `"]}}}]}`,
			false, nil},
		{"a wildcard that covers staging needs nothing",
			`{"Statement":[{"Effect":"Allow","Condition":{"StringLike":{"AWS:SourceArn":["` + primaryARN + `","arn:aws:cloudfront::123456789012:distribution/*"]}}}]}`,
			false, nil},
		{"a policy that does not name the primary is not ours to change",
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}`,
			false, nil},
		{"a Deny naming the primary is not widened",
			`{"Statement":[{"Effect":"Deny","Condition":{"StringEquals":{"AWS:SourceArn":"` + primaryARN + `"}}}]}`,
			false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changed, err := editPolicy([]byte(tt.policy), primaryARN, addARN(stagingARN))
			if err != nil || changed != tt.changed {
				t.Fatalf("changed = %v, %v; want %v", changed, err, tt.changed)
			}
			if tt.want != nil {
				if got := sourceARNs(t, out); !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("AWS:SourceArn = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestEditPolicyRemovesStagingAndKeepsTheRest(t *testing.T) {
	added, _, err := editPolicy([]byte(seed002Policy), primaryARN, addARN(stagingARN))
	if err != nil {
		t.Fatal(err)
	}
	removed, changed, err := editPolicy(added, primaryARN, removeARN(stagingARN))
	if err != nil || !changed {
		t.Fatalf("remove: changed %v, %v", changed, err)
	}
	if got := sourceARNs(t, removed); !reflect.DeepEqual(got, []string{primaryARN}) {
		t.Fatalf("after removal AWS:SourceArn = %v", got)
	}
	var doc map[string]any
	json.Unmarshal(removed, &doc)
	st := doc["Statement"].([]any)[0].(map[string]any)
	if st["Resource"] != "arn:aws:s3:::site/*" || st["Action"] != "s3:GetObject" || doc["Version"] != "2012-10-17" {
		t.Fatalf("fields the edit does not touch changed: %s", removed)
	}
	if _, changed, _ := editPolicy([]byte(seed002Policy), primaryARN, removeARN(stagingARN)); changed {
		t.Fatal("removing an absent ARN changed the policy")
	}
}

func TestEditPolicyRefusesWhatIsNotJSON(t *testing.T) {
	if _, _, err := editPolicy([]byte("{not json"), primaryARN, addARN(stagingARN)); err == nil {
		t.Fatal("no error for a policy that is not JSON")
	}
}

func TestOriginBucketsReadsTheCloudsDomainForms(t *testing.T) {
	cfg := &cftypes.DistributionConfig{Origins: &cftypes.Origins{Items: []cftypes.Origin{
		{DomainName: aws.String("site.s3.us-east-1.amazonaws.com")},
		{DomainName: aws.String("assets.s3.amazonaws.com")},
		{DomainName: aws.String("old.s3-eu-west-1.amazonaws.com")},
		{DomainName: aws.String("site.s3.amazonaws.com")},
		{DomainName: aws.String("api.example.com")},
	}}}
	if got, want := originBuckets(cfg), []string{"site", "assets", "old"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("originBuckets = %v, want %v", got, want)
	}
}

func TestSiblingARN(t *testing.T) {
	if got := siblingARN(primaryARN, "ESTAGING"); got != stagingARN {
		t.Fatalf("siblingARN = %q", got)
	}
}

func FuzzEditPolicy(f *testing.F) {
	f.Add([]byte(seed002Policy))
	f.Add([]byte(`{"Statement":{"Effect":"Allow","Condition":{"ArnLike":{"aws:sourcearn":["a*"]}}}}`))
	f.Fuzz(func(t *testing.T, policy []byte) {
		out, changed, err := editPolicy(policy, primaryARN, addARN(stagingARN))
		if err != nil || !changed {
			return
		}
		// What was added can be taken out, and adding again changes nothing.
		if _, again, err := editPolicy(out, primaryARN, addARN(stagingARN)); err != nil || again {
			t.Fatalf("adding twice changed the policy again: %v", err)
		}
	})
}
