// Package cloudfront is the CloudFront REST-XML API, version 2020-05-31, over
// cdn.Service: it turns requests into domain calls and domain results and
// errors into the exact XML, headers (ETag, Location) and status codes the
// cloud returns, so the aws CLI and SDKs work unchanged. Authentication has
// already happened (node's gateway); each operation authorizes its IAM
// action on the resource's ARN with iam.Authorize.
package cloudfront
