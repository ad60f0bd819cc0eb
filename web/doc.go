// Package web is edgecd's web console: a small single-page app (plain
// HTML, CSS and JavaScript, embedded in the binary, no build step) served
// under /console/ on the API listener, and the JSON API under
// /console/api/ that the page calls.
//
// Data enters as a login (an access key id and its secret, checked
// against the store's keys) and as JSON requests from the page; it leaves
// as an HMAC-signed session cookie and JSON answers. The console has no
// privileges of its own: every read and every action is a call to this
// node's AWS-compatible API (CloudFront, Step Functions, CodePipeline, and
// package release for promote/abort/rollback), signed with the logged-in
// key, so the key's IAM policy decides exactly as it does for the aws CLI
// and `edgecd release`. The live traffic panel reads the local edge's
// cumulative counters, filtered by the same policy.
package web
