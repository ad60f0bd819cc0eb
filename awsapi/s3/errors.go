package s3

import (
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"

	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/objstore"
)

type apiError struct {
	code   string
	status int
}

// errorCodes maps domain errors to S3's codes, in one table.
var errorCodes = []struct {
	err error
	apiError
}{
	{objstore.ErrNoSuchBucket, apiError{"NoSuchBucket", 404}},
	{objstore.ErrBucketExists, apiError{"BucketAlreadyOwnedByYou", 409}},
	{objstore.ErrBucketNotEmpty, apiError{"BucketNotEmpty", 409}},
	{objstore.ErrInvalidBucketName, apiError{"InvalidBucketName", 400}},
	{objstore.ErrNoSuchKey, apiError{"NoSuchKey", 404}},
	{objstore.ErrKeyTooLong, apiError{"KeyTooLongError", 400}},
	{objstore.ErrInvalidKey, apiError{"InvalidArgument", 400}},
	{objstore.ErrKeyConflict, apiError{"InvalidArgument", 400}},
	{objstore.ErrBadDigest, apiError{"BadDigest", 400}},
	{objstore.ErrInvalidDigest, apiError{"InvalidDigest", 400}},
	{objstore.ErrIncompleteBody, apiError{"IncompleteBody", 400}},
	{objstore.ErrEntityTooLarge, apiError{"EntityTooLarge", 400}},
	{objstore.ErrNoSuchUpload, apiError{"NoSuchUpload", 404}},
	{objstore.ErrInvalidPart, apiError{"InvalidPart", 400}},
	{objstore.ErrInvalidPartOrder, apiError{"InvalidPartOrder", 400}},
	{objstore.ErrEntityTooSmall, apiError{"EntityTooSmall", 400}},
	{objstore.ErrInvalidPartNumber, apiError{"InvalidArgument", 400}},
	{objstore.ErrNoSuchBucketPolicy, apiError{"NoSuchBucketPolicy", 404}},
	{objstore.ErrMalformedPolicy, apiError{"MalformedPolicy", 400}},
	{objstore.ErrInvalidCopy, apiError{"InvalidRequest", 400}},
	{objstore.ErrMetadataTooLarge, apiError{"MetadataTooLarge", 400}},
	{objstore.ErrInvalidArgument, apiError{"InvalidArgument", 400}},
	{objstore.ErrPreconditionFailed, apiError{"PreconditionFailed", 412}},
	{iam.ErrContentSHA256, apiError{"XAmzContentSHA256Mismatch", 400}},
	{iam.ErrSignature, apiError{"SignatureDoesNotMatch", 403}},
	{iam.ErrMalformedAuth, apiError{"IncompleteBody", 400}},
	{iam.ErrAccessDenied, apiError{"AccessDenied", 403}},
	{errMalformedXML, apiError{"MalformedXML", 400}},
	{errNotImplemented, apiError{"NotImplemented", 501}},
	{errMethod, apiError{"MethodNotAllowed", 405}},
	{errInvalidArgument, apiError{"InvalidArgument", 400}},
	{errInvalidRange, apiError{"InvalidRange", 416}},
}

var (
	errMalformedXML    = errors.New("malformed XML")
	errNotImplemented  = errors.New("not implemented")
	errMethod          = errors.New("method not allowed")
	errInvalidArgument = errors.New("invalid argument")
	errInvalidRange    = errors.New("invalid range")
)

type errorDoc struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string
	Message   string
	Resource  string `xml:",omitempty"`
	RequestId string
}

func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := apiError{"InternalError", http.StatusInternalServerError}
	msg := "We encountered an internal error. Please try again."
	for _, m := range errorCodes {
		if errors.Is(err, m.err) {
			e, msg = m.apiError, err.Error()
			break
		}
	}
	if e.status == http.StatusInternalServerError {
		log.Error("s3 operation failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.status)
	if r.Method == http.MethodHead {
		return
	}
	body, _ := xml.Marshal(errorDoc{Code: e.code, Message: msg, Resource: r.URL.Path, RequestId: w.Header().Get("X-Amz-Request-Id")})
	w.Write([]byte(xml.Header))
	w.Write(body)
}
