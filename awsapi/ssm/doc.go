// Package ssm serves the Parameter Store operations of the SSM API in its
// JSON 1.1 protocol (X-Amz-Target: AmazonSSM.<Operation>, content type
// application/x-amz-json-1.1), so that `aws ssm ...` and the AWS SDKs work
// against edgecd unchanged.
//
// A request enters as a JSON body naming an operation (ServeHTTP, or Call
// for in-process callers such as the flow engine's aws-sdk:ssm tasks). The
// handler decodes the wire shape of service-2.json (2014-11-06), asks the
// Authorize hook whether the caller may perform the IAM action
// (ssm:GetParameter, ...) on the parameter's ARN, calls params.Service, and
// writes the result shape, or an error as {"__type": code, "message": ...}
// with status 400 (500 for InternalServerError). Domain errors map to SSM
// codes in one table (errors.go). Timestamps are epoch seconds, as the JSON
// protocols send them.
//
// Operations: PutParameter, GetParameter, GetParameters,
// GetParametersByPath, DeleteParameter, DeleteParameters,
// DescribeParameters, GetParameterHistory, LabelParameterVersion,
// UnlabelParameterVersion.
package ssm
