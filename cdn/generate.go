package cdn

// The wire shapes come from the CloudFront model shipped in Debian's awscli package.
//go:generate go run ../internal/shapegen -model /usr/lib/python3/dist-packages/awscli/botocore/data/cloudfront/2020-05-31/service-2.json -pkg cdn -out shapes_gen.go DistributionConfig Distribution DistributionSummary DistributionList ContinuousDeploymentPolicy ContinuousDeploymentPolicyConfig ContinuousDeploymentPolicyList ContinuousDeploymentPolicySummary Invalidation InvalidationBatch InvalidationList InvalidationSummary CachePolicy CachePolicyList CachePolicySummary
