package main

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/edgecd/edgecd/demo"
	"github.com/edgecd/edgecd/node"
)

func cmdUp(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("up", stderr)
	var f nodeFlags
	f.register(fs, "127.0.0.1:8080", "127.0.0.1:8081")
	log, err := f.parse(fs, args, stderr)
	if err != nil {
		return err
	}
	const region = "us-east-1"
	f.role = node.RoleAll
	cfg := f.config(log)
	cfg.Region = region
	n, err := node.Start(ctx, cfg)
	if err != nil {
		return err
	}
	info, err := prepareUp(ctx, n, &f, region)
	if err != nil {
		n.Shutdown(context.Background())
		return err
	}
	printUp(stdout, info, f.accessKeyID == "")
	return waitAndShutdown(ctx, n, log)
}

func prepareUp(ctx context.Context, n *node.Node, f *nodeFlags, region string) (demo.UpInfo, error) {
	key, err := node.EnsureAdminKey(ctx, n.Store, n.CDN.Account(), f.accessKeyID, f.secretAccessKey)
	if err != nil {
		return demo.UpInfo{}, err
	}
	d, err := demo.Seed(ctx, n.Store, n.Objects, n.CDN)
	if err != nil {
		return demo.UpInfo{}, fmt.Errorf("seed the demo: %w", err)
	}
	// Print nothing the edge does not serve yet.
	rev, err := n.Store.Rev(ctx)
	if err != nil {
		return demo.UpInfo{}, err
	}
	if err := n.CDN.WaitDeployed(ctx, rev); err != nil {
		return demo.UpInfo{}, fmt.Errorf("wait for the edge to apply the demo: %w", err)
	}
	_, edgePort, _ := net.SplitHostPort(n.EdgeAddr())
	info := demo.UpInfo{
		EdgeURL:         "http://" + n.EdgeAddr(),
		APIURL:          "http://" + n.APIAddr(),
		AccessKeyID:     key.AccessKeyID,
		SecretAccessKey: key.SecretAccessKey,
		Region:          region,
		Distributions: []demo.UpDistribution{
			{ID: d.PrimaryID, Domain: d.PrimaryDomain, URL: fmt.Sprintf("http://%s:%s/", d.PrimaryDomain, edgePort)},
			{ID: d.StagingID, Domain: d.StagingDomain, URL: fmt.Sprintf("http://%s:%s/", d.StagingDomain, edgePort), Staging: true},
		},
	}
	return info, demo.WriteUpInfo(f.dataDir, info)
}

func printUp(w io.Writer, info demo.UpInfo, generatedKeys bool) {
	p := info.Distributions[0]
	fmt.Fprintf(w, `
edgecd is up.

  Viewer URL (primary)  %s
  API endpoint          %s
  Web console           %s/console/  (log in with the keys below)
  Metrics (Prometheus)  %s/metrics
  Region                %s
  Access key id         %s
  Secret access key     %s
`, p.URL, info.APIURL, info.APIURL, info.APIURL, info.Region, info.AccessKeyID, info.SecretAccessKey)
	if generatedKeys {
		fmt.Fprintf(w, "\n  These are development credentials kept in the data directory: loopback use only.\n")
	}
	fmt.Fprintf(w, `
Try it (S1: the tester reaches staging through the primary's domain):
  curl %sindex.html                          # v1 App
  curl -H 'aws-cf-cd-env: staging' %s         # v2 App

Drive it with the aws CLI (--endpoint-url), the SDKs or edgecd release (AWS_ENDPOINT_URL):
  export AWS_ENDPOINT_URL=%s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_DEFAULT_REGION=%s
  aws --endpoint-url $AWS_ENDPOINT_URL cloudfront get-distribution --id %s

Primary %s, staging %s. The same facts are in up.json for scripts.
Press Ctrl-C to stop; the next "edgecd up" keeps everything.
`, p.URL, p.URL, info.APIURL, info.AccessKeyID, info.SecretAccessKey, info.Region, p.ID, p.ID, info.Distributions[1].ID)
}
