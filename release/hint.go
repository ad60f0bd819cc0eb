package release

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/smithy-go"
)

// Hint says in one line what to do after err, for the codes a release
// command meets in practice; anything else gets the general advice that
// every command is a sequence of idempotent steps and can be run again.
func Hint(err error) string {
	op := ""
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		op = oe.Service() + ":" + oe.Operation()
	}
	var ae smithy.APIError
	code := ""
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out; the change may still be propagating: look with `edgecd release status`, then run the same command again (or raise --timeout)"
	case errors.Is(err, context.Canceled):
		return "interrupted; run the same command again to finish: steps already done are skipped"
	}
	switch code {
	case "NoSuchDistribution":
		return "no distribution has that id: list them with `aws cloudfront list-distributions --query 'DistributionList.Items[].[Id,Comment]'`"
	case "NoSuchContinuousDeploymentPolicy":
		return "the continuous-deployment policy is gone (deleted meanwhile?): run the same command again, it recreates what is missing"
	case "PreconditionFailed", "InvalidIfMatchVersion":
		return fmt.Sprintf("someone else kept changing the same resource (%d retries with fresh ETags lost the race): run the same command again", staleRetries)
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
		if op != "" {
			return fmt.Sprintf("these credentials may not call %s: allow it in their IAM policy (or use --profile with a role that may)", iamAction(op))
		}
		return "these credentials lack a permission: allow the action in their IAM policy"
	case "ContinuousDeploymentPolicyInUse":
		return "the continuous-deployment policy is attached to another primary distribution: detach it there (edgecd release abort --primary <that id>) or stage on that primary"
	case "StagingDistributionInUse":
		return "the staging distribution is routed to by another primary's policy: abort that release first (edgecd release abort --primary <that id>)"
	case "IllegalUpdate", "InvalidArgument", "ValidationException":
		return "the request was refused as shown; fix the input (ids, origin path, header, weight) and run the command again"
	case "ParameterNotFound":
		return "the SSM parameter does not exist yet: stage a release first, or give --version-param/--staging-param names that exist"
	case "NoSuchBucket":
		return "the origin bucket does not exist: create it and deploy into it (edgecd deploy DIR s3://bucket/<version>/)"
	}
	return "fix the cause above and run the same command again: every step checks what is already done and skips it"
}

// iamAction turns an SDK service and operation ("CloudFront:UpdateDistribution")
// into the IAM action a policy names ("cloudfront:UpdateDistribution").
func iamAction(op string) string {
	services := map[string]string{"CloudFront": "cloudfront", "SSM": "ssm", "S3": "s3"}
	for id, prefix := range services {
		if len(op) > len(id) && op[:len(id)+1] == id+":" {
			return prefix + op[len(id):]
		}
	}
	return op
}
