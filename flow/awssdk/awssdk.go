package awssdk

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/edgecd/edgecd/flow"
)

// Services are the handlers Call routes to; a nil one is not served.
type Services struct {
	CloudFront http.Handler // the CloudFront REST-XML API (awsapi/cloudfront)
	S3         http.Handler // the S3 REST-XML API (awsapi/s3)
	// SSM runs an SSM JSON 1.1 operation (awsapi/ssm's Handler.Call); its
	// error should carry the wire code through an ErrorCode() method.
	SSM func(ctx context.Context, operation string, params []byte) ([]byte, error)
}

// MaxPayload bounds what one task returns, as Step Functions bounds a
// state's payload (256 KiB).
const MaxPayload = 256 << 10

// errorPrefix is how Step Functions names each service in error names.
var errorPrefix = map[string]string{"cloudfront": "CloudFront", "s3": "S3", "ssm": "Ssm"}

// Call runs aws-sdk:<service>:<action> with params, e.g.
// Call(ctx, "cloudfront", "getDistribution", {"Id": "E123"}).
func (s Services) Call(ctx context.Context, service, action string, params json.RawMessage) (json.RawMessage, error) {
	if action == "" {
		return nil, runtimeError("the resource names no action: use arn:aws:states:::aws-sdk:%s:<action>", service)
	}
	// Step Functions writes actions in lower camel case; the API's
	// operations are upper camel case.
	op := strings.ToUpper(action[:1]) + action[1:]
	if len(bytes.TrimSpace(params)) == 0 {
		params = json.RawMessage("{}")
	}
	var (
		out json.RawMessage
		err error
	)
	switch {
	case service == "cloudfront" && s.CloudFront != nil:
		out, err = cloudfrontCall(ctx, s.CloudFront, op, params)
	case service == "s3" && s.S3 != nil:
		out, err = s3Call(ctx, s.S3, op, params)
	case service == "ssm" && s.SSM != nil:
		out, err = s.SSM(ctx, op, params)
	default:
		return nil, runtimeError("edgecd does not serve aws-sdk:%s:%s in-process (served: %s)", service, action, strings.Join(s.served(), ", "))
	}
	if err != nil {
		return nil, taskError(service, err)
	}
	if len(out) > MaxPayload {
		return nil, &flow.TaskError{Name: "States.DataLimitExceeded", Cause: fmt.Sprintf("the output of aws-sdk:%s:%s is %d bytes, more than the %d a state may carry", service, action, len(out), MaxPayload)}
	}
	return out, nil
}

func (s Services) served() []string {
	var names []string
	if s.CloudFront != nil {
		names = append(names, "cloudfront")
	}
	if s.S3 != nil {
		names = append(names, "s3")
	}
	if s.SSM != nil {
		names = append(names, "ssm")
	}
	sort.Strings(names)
	return names
}

// APIError is a service's answer to a failed operation: its wire error
// code and message.
type APIError struct {
	Code    string
	Message string
	Status  int
}

func (e *APIError) Error() string     { return e.Code + ": " + e.Message }
func (e *APIError) ErrorCode() string { return e.Code }

// taskError names err as Step Functions does: <Service>.<Code>Exception.
func taskError(service string, err error) error {
	var te *flow.TaskError
	if errors.As(err, &te) {
		return err
	}
	var coded interface{ ErrorCode() string }
	if !errors.As(err, &coded) {
		return err // States.TaskFailed
	}
	code := coded.ErrorCode()
	if !strings.HasSuffix(code, "Exception") {
		code += "Exception"
	}
	msg := err.Error()
	var api *APIError
	if errors.As(err, &api) {
		msg = api.Message
	}
	return &flow.TaskError{Name: errorPrefix[service] + "." + code, Cause: msg}
}

func runtimeError(format string, args ...any) error {
	return &flow.TaskError{Name: "States.Runtime", Cause: fmt.Sprintf(format, args...)}
}

// recorder is an in-memory http.ResponseWriter that keeps at most limit
// bytes of the body; more is an error, not a truncation.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	limit  int
	over   bool
}

func newRecorder(limit int) *recorder { return &recorder{header: http.Header{}, limit: limit} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	if r.body.Len()+len(p) > r.limit {
		r.over = true
		return 0, errTooLarge
	}
	return r.body.Write(p)
}

var errTooLarge = errors.New("response larger than a state may carry")

// serve runs one request through h in-process and returns the recorded
// response, or the service's error.
func serve(ctx context.Context, h http.Handler, method, target string, header http.Header, body []byte) (*recorder, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://localhost"+target, bytes.NewReader(body))
	if err != nil {
		return nil, runtimeError("build the request: %v", err)
	}
	req.ContentLength = int64(len(body))
	req.RemoteAddr = "127.0.0.1:0"
	for k, v := range header {
		req.Header[k] = v
	}
	rec := newRecorder(MaxPayload)
	h.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if rec.status >= 300 {
		return nil, parseError(rec)
	}
	if rec.over {
		return nil, &flow.TaskError{Name: "States.DataLimitExceeded", Cause: fmt.Sprintf("the response is larger than the %d bytes a state may carry", MaxPayload)}
	}
	return rec, nil
}

// parseError reads the <Code> and <Message> of an XML error document (S3's
// <Error> and CloudFront's <ErrorResponse><Error> alike). A body-less answer
// (HEAD) is named after its status, as the SDKs name it.
func parseError(rec *recorder) error {
	e := &APIError{Status: rec.status}
	dec := xml.NewDecoder(bytes.NewReader(rec.body.Bytes()))
	var field string
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			field = t.Name.Local
		case xml.EndElement:
			field = ""
		case xml.CharData:
			switch field {
			case "Code":
				e.Code += string(t)
			case "Message":
				e.Message += string(t)
			}
		}
	}
	if e.Code == "" {
		e.Code = statusCode(rec.status)
	}
	if e.Message == "" {
		e.Message = http.StatusText(rec.status)
	}
	return e
}

func statusCode(status int) string {
	switch status {
	case http.StatusNotFound:
		return "NotFound"
	case http.StatusForbidden:
		return "Forbidden"
	case http.StatusPreconditionFailed:
		return "PreconditionFailed"
	case http.StatusNotModified:
		return "NotModified"
	}
	return strings.ReplaceAll(http.StatusText(status), " ", "")
}

// params is a task's Parameters object, member by member.
type params map[string]json.RawMessage

func decodeParams(raw json.RawMessage, service string) (params, error) {
	var p params
	if err := json.Unmarshal(raw, &p); err != nil || p == nil {
		return nil, invalid(service, "the Parameters of an aws-sdk task must be a JSON object")
	}
	return p, nil
}

// text returns a scalar member as the text a URI, query or header carries;
// ok is false when it is absent or null.
func (p params) text(service, name string) (string, bool, error) {
	raw, found := p[name]
	if !found || string(raw) == "null" {
		return "", false, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true, nil
	}
	var v any
	if json.Unmarshal(raw, &v) == nil {
		switch v.(type) {
		case bool, float64:
			return string(bytes.TrimSpace(raw)), true, nil
		}
	}
	return "", false, invalid(service, fmt.Sprintf("%s must be a string, number or boolean, not %s", name, raw))
}

// invalid is a parameter the API would refuse before any work; both
// CloudFront and S3 call that InvalidArgument.
func invalid(service, msg string) error {
	return &APIError{Code: "InvalidArgument", Message: service + ": " + msg, Status: http.StatusBadRequest}
}

// strictDecode decodes v's JSON refusing unknown members, so a misspelt
// field fails the task instead of being ignored.
func strictDecode(service, what string, raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalid(service, fmt.Sprintf("%s: %v", what, err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid(service, fmt.Sprintf("%s: unexpected data after the object", what))
	}
	return nil
}
