// Package iam authenticates and authorizes API requests the way AWS does:
// Signature Version 4 (Authorization header and presigned query, plain,
// unsigned and aws-chunked streaming payloads), access keys kept in the
// store, and IAM-style JSON policies evaluated per call (explicit Deny wins,
// default deny).
//
// Requests enter through Verify, which returns the Principal (key, account,
// region, service) or an *AuthError carrying the failure's kind; service
// packages call Principal.Authorize with the IAM action and resource ARN.
// The protocol layer (node/gateway.go) turns AuthErrors into each
// service's own error envelope.
package iam
