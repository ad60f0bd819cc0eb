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

// errorCodes maps domain errors to CloudFront's codes and statuses: the one
// table, checked against the service model by TestErrorCodesMatchModel. A
// slice, not a map, so an error matching two kinds always gets the first.
var errorCodes = []struct {
	kind error
	apiError
}{
	{cdn.ErrNoSuchDistribution, apiError{"NoSuchDistribution", http.StatusNotFound}},
	{cdn.ErrNoSuchPolicy, apiError{"NoSuchContinuousDeploymentPolicy", http.StatusNotFound}},
	{cdn.ErrNoSuchInvalidation, apiError{"NoSuchInvalidation", http.StatusNotFound}},
	{cdn.ErrInvalidArgument, apiError{"InvalidArgument", http.StatusBadRequest}},
	{cdn.ErrIfMatchMissing, apiError{"InvalidIfMatchVersion", http.StatusBadRequest}},
	{cdn.ErrPreconditionFailed, apiError{"PreconditionFailed", http.StatusPreconditionFailed}},
	{cdn.ErrDistributionNotDisabled, apiError{"DistributionNotDisabled", http.StatusConflict}},
	{cdn.ErrDistributionAlreadyExists, apiError{"DistributionAlreadyExists", http.StatusConflict}},
	{cdn.ErrPolicyAlreadyExists, apiError{"ContinuousDeploymentPolicyAlreadyExists", http.StatusConflict}},
	{cdn.ErrPolicyInUse, apiError{"ContinuousDeploymentPolicyInUse", http.StatusConflict}},
	{cdn.ErrStagingInUse, apiError{"StagingDistributionInUse", http.StatusConflict}},
	{cdn.ErrIllegalUpdate, apiError{"IllegalUpdate", http.StatusBadRequest}},
	{cdn.ErrCNAMEAlreadyExists, apiError{"CNAMEAlreadyExists", http.StatusConflict}},
	{cdn.ErrInvalidationBatchExists, apiError{"InvalidationBatchAlreadyExists", http.StatusBadRequest}},
	{cdn.ErrTooManyInvalidations, apiError{"TooManyInvalidationsInProgress", http.StatusBadRequest}},
	{cdn.ErrIllegalDelete, apiError{"IllegalDelete", http.StatusBadRequest}},
	{cdn.ErrInconsistentQuantities, apiError{"InconsistentQuantities", http.StatusBadRequest}},
	{cdn.ErrInvalidDefaultRootObject, apiError{"InvalidDefaultRootObject", http.StatusBadRequest}},
	{cdn.ErrInvalidOriginPath, apiError{"InvalidArgument", http.StatusBadRequest}},
	{iam.ErrSignature, apiError{"SignatureDoesNotMatch", http.StatusForbidden}},
	{iam.ErrContentSHA256, apiError{"SignatureDoesNotMatch", http.StatusForbidden}},
	{iam.ErrAccessDenied, apiError{"AccessDenied", http.StatusForbidden}},
	{errNoSuchCachePolicy, apiError{"NoSuchCachePolicy", http.StatusNotFound}},
	{errMalformed, apiError{"MalformedInput", http.StatusBadRequest}},
	{errMissingBody, apiError{"MissingBody", http.StatusBadRequest}},
	{errNotFound, apiError{"NotFound", http.StatusNotFound}},
	{errMethod, apiError{"MethodNotAllowed", http.StatusMethodNotAllowed}},
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
	for _, e := range errorCodes {
		if errors.Is(err, e.kind) {
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
