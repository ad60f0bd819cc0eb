// Package awssdk serves Step Functions' AWS SDK service integrations,
// arn:aws:states:::aws-sdk:<service>:<action>, with edgecd's own API
// handlers, in-process.
//
// A task's Parameters arrive in the SDK's PascalCase shapes (for CloudFront
// the generated wire shapes of package cdn, e.g. getDistribution {"Id"} →
// {"Distribution": {...}, "ETag": "..."}). Call turns them into the HTTP
// request the service's REST API takes, runs the service's own handler on
// it without a network (so validation, ETag rules, authorization and error
// codes are exactly the API's), and turns the response back into the SDK's
// output shape as JSON. A failed call is a *flow.TaskError named as Step
// Functions names SDK errors, <Service>.<Code>Exception, e.g.
// CloudFront.PreconditionFailedException or S3.NoSuchKeyException, so a
// definition's Retry and Catch see the names the cloud would give them.
//
// Authorization is the caller's: the principal in the context (node runs
// tasks with the operator's key).
package awssdk
