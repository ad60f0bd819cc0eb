// Package release automates the seeds' hand-written release scripts on the
// public AWS APIs (aws-sdk-go-v2), so the same commands work against edgecd
// and against the real CloudFront, SSM and S3: stage a version behind a
// continuous-deployment policy, promote it, abort and clean up, roll back,
// report status, invalidate.
//
// Every command is a sequence of idempotent steps that read the current
// state (with its ETag) before changing it, so re-running a command after a
// failure half way finishes the job instead of tripping over what the first
// run left. Release state is kept where the seeds keep it: the SSM
// parameters /<service>/version/frontend and /<service>/cloudfront/cfcd-staging.
package release
