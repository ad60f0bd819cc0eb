// Package sfn serves the Step Functions API (JSON 1.0 protocol,
// X-Amz-Target: AWSStepFunctions.<Operation>, application/x-amz-json-1.0)
// over a flow.Engine, so `aws stepfunctions ...` and the SDKs drive edgecd's
// durable executions unchanged.
//
// Requests enter through ServeHTTP (or Call, in process); each operation
// decodes the wire shape of the botocore model, validates names, ARNs and
// JSON, calls the engine and encodes the answer with timestamps as epoch
// seconds. Domain errors become the service's error codes in one table
// (errors.go). The caller's account and region come from Config.Caller and
// every call passes Config.Authorize with the IAM action (states:...) and
// resource ARN, as the protocol layer wires them.
package sfn
