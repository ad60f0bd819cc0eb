// Command promote measures, against a running `edgecd up --native` demo, the
// time from UpdateDistributionWithStagingConfig returning to the edge
// serving the promoted version, over N promotes, and prints p50/p99.
// It drives only the public API (aws-sdk-go-v2) and the viewer port.
//
//	go run ./bench/promote -data-dir .edgecd -n 100
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/edgecd/edgecd/demo"
)

func main() {
	dataDir := flag.String("data-dir", ".edgecd", "data directory of the running edgecd up")
	n := flag.Int("n", 100, "number of promotes")
	flag.Parse()
	if err := run(*dataDir, *n); err != nil {
		fmt.Fprintln(os.Stderr, "promote bench:", err)
		os.Exit(1)
	}
}

func run(dataDir string, n int) error {
	info, err := demo.ReadUpInfo(dataDir)
	if err != nil {
		return err
	}
	if len(info.Distributions) < 2 {
		return fmt.Errorf("%s in %s names %d distributions, want the demo's primary and staging", demo.UpInfoFile, dataDir, len(info.Distributions))
	}
	primary, staging := info.Distributions[0], info.Distributions[1]
	ctx := context.Background()
	cf := cloudfront.New(cloudfront.Options{
		Region: info.Region, BaseEndpoint: aws.String(info.APIURL),
		Credentials: credentials.NewStaticCredentialsProvider(info.AccessKeyID, info.SecretAccessKey, ""),
	})
	paths := []string{"/1.0.0", "/2.0.0", "/3.0.0"}
	var lat []time.Duration
	for i := 0; i < n; i++ {
		next := paths[(i+1)%3]
		want := fmt.Sprintf("v%d App", (i+1)%3+1)
		// Stage: point staging at the next version and make sure the policy is on.
		sc, err := cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: &staging.ID})
		if err != nil {
			return err
		}
		sc.DistributionConfig.Origins.Items[0].OriginPath = aws.String(next)
		if _, err := cf.UpdateDistribution(ctx, &cloudfront.UpdateDistributionInput{Id: &staging.ID, IfMatch: sc.ETag, DistributionConfig: sc.DistributionConfig}); err != nil {
			return err
		}
		pc, err := cf.GetDistributionConfig(ctx, &cloudfront.GetDistributionConfigInput{Id: &primary.ID})
		if err != nil {
			return err
		}
		pol, err := cf.GetContinuousDeploymentPolicyConfig(ctx, &cloudfront.GetContinuousDeploymentPolicyConfigInput{Id: pc.DistributionConfig.ContinuousDeploymentPolicyId})
		if err != nil {
			return err
		}
		if !aws.ToBool(pol.ContinuousDeploymentPolicyConfig.Enabled) {
			pol.ContinuousDeploymentPolicyConfig.Enabled = aws.Bool(true)
			if _, err := cf.UpdateContinuousDeploymentPolicy(ctx, &cloudfront.UpdateContinuousDeploymentPolicyInput{Id: pc.DistributionConfig.ContinuousDeploymentPolicyId, IfMatch: pol.ETag, ContinuousDeploymentPolicyConfig: pol.ContinuousDeploymentPolicyConfig}); err != nil {
				return err
			}
		}
		sd, err := cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: &staging.ID})
		if err != nil {
			return err
		}
		pd, err := cf.GetDistribution(ctx, &cloudfront.GetDistributionInput{Id: &primary.ID})
		if err != nil {
			return err
		}
		if _, err := cf.UpdateDistributionWithStagingConfig(ctx, &cloudfront.UpdateDistributionWithStagingConfigInput{
			Id: &primary.ID, StagingDistributionId: &staging.ID, IfMatch: aws.String(aws.ToString(pd.ETag) + ", " + aws.ToString(sd.ETag)),
		}); err != nil {
			return err
		}
		start := time.Now()
		for {
			body, err := get(info.EdgeURL, primary.Domain)
			if err != nil {
				return err
			}
			if strings.Contains(body, want) {
				break
			}
			if time.Since(start) > 10*time.Second {
				return fmt.Errorf("promote %d: the edge did not serve %q within 10s", i, want)
			}
			time.Sleep(100 * time.Microsecond)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	fmt.Printf("promote -> edge serving the new version, %d promotes: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", n,
		ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100]), ms(lat[len(lat)-1]))
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func get(edgeURL, host string) (string, error) {
	req, _ := http.NewRequest(http.MethodGet, edgeURL+"/index.html", nil)
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
