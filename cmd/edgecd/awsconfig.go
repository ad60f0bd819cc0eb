package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// awsFlags are the AWS client flags of deploy, release and pipeline.
type awsFlags struct{ endpoint, region, profile string }

// register adds --endpoint-url (described by endpointHelp), --region and
// --profile to fs.
func (a *awsFlags) register(fs *flag.FlagSet, endpointHelp string) {
	fs.StringVar(&a.endpoint, "endpoint-url", "", endpointHelp)
	fs.StringVar(&a.region, "region", "", "AWS region (default: the configured one, else us-east-1)")
	fs.StringVar(&a.profile, "profile", "", "AWS shared-config profile")
}

// loadAWSConfig loads the standard AWS configuration chain (environment,
// shared files, profiles) as the client commands share it: --region and
// --profile override it, the region falls back to us-east-1, and a non-empty
// endpoint (--endpoint-url) replaces every service's endpoint.
func loadAWSConfig(ctx context.Context, endpoint, region, profile string) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	return cfg, nil
}
