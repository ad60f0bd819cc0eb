// Package events serves the Amazon EventBridge API (JSON 1.1, X-Amz-Target
// AWSEvents.<Operation>, SigV4 service name "events") on edgecd's event
// bus, so that `aws events put-rule`, put-targets, put-events, list-rules,
// describe-rule, delete-rule, remove-targets, list-targets-by-rule,
// enable-rule, disable-rule and test-event-pattern work unchanged.
//
// Requests arrive already authenticated by the node's gateway (the
// principal is in the context); each operation authorizes
// events:<Operation> on the rule or bus ARN, decodes the wire shape,
// calls package events and encodes the answer. Domain errors become the
// model's error codes in one table (errors.go).
package events
