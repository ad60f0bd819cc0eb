package cloudfront

import (
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"

	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/iam"
)

// Namespace of every CloudFront XML document.
const Namespace = "http://cloudfront.amazonaws.com/doc/2020-05-31/"

type apiError struct {
	code   string
	status int
}

// errorCodes maps domain errors to CloudFront's codes and statuses (from
// the service model).
var errorCodes = map[error]apiError{
	cdn.ErrNoSuchDistribution:        {"NoSuchDistribution", http.StatusNotFound},
	cdn.ErrNoSuchPolicy:              {"NoSuchContinuousDeploymentPolicy", http.StatusNotFound},
	cdn.ErrNoSuchInvalidation:        {"NoSuchInvalidation", http.StatusNotFound},
	cdn.ErrInvalidArgument:           {"InvalidArgument", http.StatusBadRequest},
	cdn.ErrIfMatchMissing:            {"InvalidIfMatchVersion", http.StatusBadRequest},
	cdn.ErrPreconditionFailed:        {"PreconditionFailed", http.StatusPreconditionFailed},
	cdn.ErrDistributionNotDisabled:   {"DistributionNotDisabled", http.StatusConflict},
	cdn.ErrDistributionAlreadyExists: {"DistributionAlreadyExists", http.StatusConflict},
	cdn.ErrPolicyAlreadyExists:       {"ContinuousDeploymentPolicyAlreadyExists", http.StatusConflict},
	cdn.ErrPolicyInUse:               {"ContinuousDeploymentPolicyInUse", http.StatusConflict},
	cdn.ErrStagingInUse:              {"StagingDistributionInUse", http.StatusConflict},
	cdn.ErrIllegalUpdate:             {"IllegalUpdate", http.StatusBadRequest},
	cdn.ErrCNAMEAlreadyExists:        {"CNAMEAlreadyExists", http.StatusConflict},
	cdn.ErrInvalidationBatchExists:   {"InvalidationBatchAlreadyExists", http.StatusBadRequest},
	cdn.ErrTooManyInvalidations:      {"TooManyInvalidationsInProgress", http.StatusBadRequest},
	cdn.ErrIllegalDelete:             {"IllegalDelete", http.StatusBadRequest},
	cdn.ErrInconsistentQuantities:    {"InconsistentQuantities", http.StatusBadRequest},
	cdn.ErrInvalidDefaultRootObject:  {"InvalidDefaultRootObject", http.StatusBadRequest},
	cdn.ErrInvalidOriginPath:         {"InvalidArgument", http.StatusBadRequest},
	iam.ErrAccessDenied:              {"AccessDenied", http.StatusForbidden},
	errNoSuchCachePolicy:             {"NoSuchCachePolicy", http.StatusNotFound},
	errMalformed:                     {"MalformedInput", http.StatusBadRequest},
	errMissingBody:                   {"MissingBody", http.StatusBadRequest},
	errNotFound:                      {"NotFound", http.StatusNotFound},
	errMethod:                        {"MethodNotAllowed", http.StatusMethodNotAllowed},
}

var (
	errNoSuchCachePolicy = errors.New("no such cache policy")
	errMalformed         = errors.New("malformed input")
	errMissingBody       = errors.New("missing body")
	errNotFound          = errors.New("unknown operation")
	errMethod            = errors.New("method not allowed")
)

type wireError struct {
	Type    string
	Code    string
	Message string
}

type errorResponse struct {
	XMLName   xml.Name `xml:"http://cloudfront.amazonaws.com/doc/2020-05-31/ ErrorResponse"`
	Error     wireError
	RequestId string
}

func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code, status := "InternalError", http.StatusInternalServerError
	msg := "an internal error occurred; try again"
	for kind, e := range errorCodes {
		if errors.Is(err, kind) {
			code, status, msg = e.code, e.status, err.Error()
			break
		}
	}
	if status == http.StatusInternalServerError {
		log.Error("cloudfront operation failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	body, _ := xml.Marshal(errorResponse{Error: wireError{Type: typ, Code: code, Message: msg}, RequestId: w.Header().Get("X-Amzn-Requestid")})
	w.Write([]byte(xml.Header))
	w.Write(body)
}
