package cloudfront

import (
	"errors"
	"strings"
	"testing"

	"github.com/edgecd/edgecd/cdn"
)

func TestDecodeStrict(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want error
		msg  string // the error must contain it
	}{
		{"valid policy", `<ContinuousDeploymentPolicyConfig xmlns="` + Namespace + `"><StagingDistributionDnsNames><Quantity>1</Quantity><Items><DnsName>d.example</DnsName></Items></StagingDistributionDnsNames><Enabled>true</Enabled><TrafficConfig><SingleWeightConfig><Weight>0.15</Weight></SingleWeightConfig><Type>SingleWeight</Type></TrafficConfig></ContinuousDeploymentPolicyConfig>`, nil, ""},
		{"unknown element", `<ContinuousDeploymentPolicyConfig><Enabled>true</Enabled><Wieght>1</Wieght></ContinuousDeploymentPolicyConfig>`, errMalformed, ""},
		{"wrong item name in a list", `<ContinuousDeploymentPolicyConfig><StagingDistributionDnsNames><Quantity>1</Quantity><Items><Name>x</Name></Items></StagingDistributionDnsNames></ContinuousDeploymentPolicyConfig>`, errMalformed, ""},
		{"wrong type", `<ContinuousDeploymentPolicyConfig><Enabled>yes</Enabled></ContinuousDeploymentPolicyConfig>`, errMalformed, "ContinuousDeploymentPolicyConfig.Enabled"},
		{"number too big", `<ContinuousDeploymentPolicyConfig><StagingDistributionDnsNames><Quantity>99999999999</Quantity></StagingDistributionDnsNames></ContinuousDeploymentPolicyConfig>`, errMalformed, "StagingDistributionDnsNames.Quantity"},
		{"not a number", `<ContinuousDeploymentPolicyConfig><TrafficConfig><SingleWeightConfig><Weight>lots</Weight></SingleWeightConfig></TrafficConfig></ContinuousDeploymentPolicyConfig>`, errMalformed, "SingleWeightConfig.Weight"},
		{"wrong root", `<DistributionConfig></DistributionConfig>`, errMalformed, ""},
		{"not XML", `{"json": true}`, errMalformed, ""},
		{"child of a scalar", `<ContinuousDeploymentPolicyConfig><Enabled><x/></Enabled></ContinuousDeploymentPolicyConfig>`, errMalformed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg cdn.ContinuousDeploymentPolicyConfig
			err := decodeStrict([]byte(tt.doc), "ContinuousDeploymentPolicyConfig", &cfg)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want it to name %s", err, tt.msg)
			}
		})
	}
}

func FuzzDecodeDistributionConfig(f *testing.F) {
	f.Add(`<DistributionConfig><CallerReference>r</CallerReference><Origins><Quantity>1</Quantity><Items><Origin><Id>o</Id><DomainName>b.s3.amazonaws.com</DomainName></Origin></Items></Origins><DefaultCacheBehavior><TargetOriginId>o</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy></DefaultCacheBehavior><Comment></Comment><Enabled>true</Enabled></DistributionConfig>`)
	f.Add(`<DistributionConfig><Aliases><Quantity>2</Quantity><Items><CNAME>a</CNAME></Items></Aliases></DistributionConfig>`)
	f.Fuzz(func(t *testing.T, doc string) {
		var cfg cdn.DistributionConfig
		if err := decodeStrict([]byte(doc), "DistributionConfig", &cfg); err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("decode error is not MalformedInput: %v", err)
			}
			return
		}
		_ = cdn.ValidateConfig(&cfg) // must not panic on anything that decodes
	})
}

func FuzzDecodeInvalidationBatch(f *testing.F) {
	f.Add(`<InvalidationBatch><Paths><Quantity>1</Quantity><Items><Path>/*</Path></Items></Paths><CallerReference>c</CallerReference></InvalidationBatch>`)
	f.Fuzz(func(t *testing.T, doc string) {
		var b cdn.InvalidationBatch
		if err := decodeStrict([]byte(doc), "InvalidationBatch", &b); err == nil {
			_ = cdn.ValidatePaths(&b)
		}
	})
}

func FuzzDecodePolicyConfig(f *testing.F) {
	f.Add(`<ContinuousDeploymentPolicyConfig><StagingDistributionDnsNames><Quantity>1</Quantity><Items><DnsName>d.example</DnsName></Items></StagingDistributionDnsNames><Enabled>true</Enabled><TrafficConfig><SingleHeaderConfig><Header>aws-cf-cd-env</Header><Value>staging</Value></SingleHeaderConfig><Type>SingleHeader</Type></TrafficConfig></ContinuousDeploymentPolicyConfig>`)
	f.Fuzz(func(t *testing.T, doc string) {
		var cfg cdn.ContinuousDeploymentPolicyConfig
		if err := decodeStrict([]byte(doc), "ContinuousDeploymentPolicyConfig", &cfg); err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("decode error is not MalformedInput: %v", err)
			}
			return
		}
		_ = cdn.ValidatePolicy(&cfg, cdn.Compatible) // must not panic on anything that decodes
	})
}
