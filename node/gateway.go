package node

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/metrics"
)

// protocol is an AWS wire protocol; it decides the error envelope.
type protocol int

const (
	restXML protocol = iota // CloudFront
	restS3
	json10 // Step Functions
	json11 // SSM
)

// gateway is the single API listener: it reads the service name from the
// request's credential scope (as one AWS endpoint would serve them all),
// authenticates the request with SigV4 and hands it, with the principal
// in its context, to that service's handler. Failures before a handler is
// reached get the service's own error envelope and have no side effect.
type gateway struct {
	keys     iam.KeyStore
	services map[string]gatewayService
	now      func() time.Time
	log      *slog.Logger
	stats    *metrics.Requests // nil: requests are not counted
}

type gatewayService struct {
	proto protocol
	h     http.Handler
}

func (g *gateway) handle(service string, p protocol, h http.Handler) {
	g.services[service] = gatewayService{proto: p, h: h}
}

func requestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := requestID()
	w.Header().Set("X-Amzn-Requestid", id)
	name := guessService(r)
	if sc, ok := iam.ParseScope(r); ok {
		name = sc.Service
	}
	svc, ok := g.services[name]
	if g.stats != nil {
		var done func()
		w, done = g.stats.Start(w, apiService(name, ok))
		defer done()
	}
	if name == "s3" || svc.proto == restS3 {
		w.Header().Set("X-Amz-Request-Id", id)
		w.Header().Set("X-Amz-Id-2", id)
	}
	if !ok {
		served := make([]string, 0, len(g.services))
		for s := range g.services {
			served = append(served, s)
		}
		sort.Strings(served)
		writeAPIError(w, r, protoFor(r), id, "UnknownService", http.StatusBadRequest,
			fmt.Sprintf("edgecd does not serve the AWS service %q on this endpoint (it serves %s)", name, strings.Join(served, ", ")))
		return
	}
	p, err := iam.Verify(r.Context(), r, g.keys, g.now())
	if err != nil {
		code, status, msg := authErrorCode(svc.proto, err)
		if status == http.StatusInternalServerError {
			g.log.Error("authentication failed", "err", err)
		}
		writeAPIError(w, r, svc.proto, id, code, status, msg)
		return
	}
	svc.h.ServeHTTP(w, r.WithContext(iam.WithPrincipal(r.Context(), p)))
}

// guessService names the service of an unsigned request from its shape.
func guessService(r *http.Request) string {
	switch t := r.Header.Get("X-Amz-Target"); {
	case strings.HasPrefix(t, "AmazonSSM."):
		return "ssm"
	case strings.HasPrefix(t, "AWSStepFunctions."):
		return "states"
	case strings.HasPrefix(t, "AWSEvents."):
		return "events"
	case strings.HasPrefix(t, "CodePipeline_20150709."):
		return "codepipeline"
	case strings.HasPrefix(r.URL.Path, "/2020-05-31/"):
		return "cloudfront"
	}
	return "s3"
}

func protoFor(r *http.Request) protocol {
	switch guessService(r) {
	case "ssm", "events", "codepipeline":
		return json11
	case "states":
		return json10
	case "cloudfront":
		return restXML
	}
	return restS3
}

// authErrorCode maps an authentication failure to each protocol's code.
func authErrorCode(p protocol, err error) (code string, status int, msg string) {
	var ae *iam.AuthError
	if !errors.As(err, &ae) {
		return "InternalFailure", http.StatusInternalServerError, "the request could not be authenticated because of an internal error"
	}
	msg = ae.Msg
	type codes struct{ missing, unknownKey, signature, expired, malformed, sha, denied string }
	var c codes
	status = http.StatusForbidden
	switch p {
	case restS3:
		c = codes{"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "AuthorizationHeaderMalformed", "XAmzContentSHA256Mismatch", "AccessDenied"}
		if errors.Is(err, iam.ErrMalformedAuth) || errors.Is(err, iam.ErrContentSHA256) {
			status = http.StatusBadRequest
		}
		if errors.Is(err, iam.ErrExpired) && !strings.Contains(msg, "presigned") {
			c.expired = "RequestTimeTooSkewed"
		}
	case restXML:
		c = codes{"MissingAuthenticationToken", "InvalidClientTokenId", "SignatureDoesNotMatch", "SignatureDoesNotMatch", "IncompleteSignature", "SignatureDoesNotMatch", "AccessDenied"}
		if errors.Is(err, iam.ErrMalformedAuth) {
			status = http.StatusBadRequest
		}
	default:
		c = codes{"MissingAuthenticationTokenException", "UnrecognizedClientException", "InvalidSignatureException", "InvalidSignatureException", "IncompleteSignatureException", "InvalidSignatureException", "AccessDeniedException"}
		status = http.StatusBadRequest
	}
	switch {
	case errors.Is(err, iam.ErrMissingAuth):
		code = c.missing
	case errors.Is(err, iam.ErrUnknownKey):
		code = c.unknownKey
	case errors.Is(err, iam.ErrExpired):
		code = c.expired
	case errors.Is(err, iam.ErrMalformedAuth):
		code = c.malformed
	case errors.Is(err, iam.ErrContentSHA256):
		code = c.sha
	case errors.Is(err, iam.ErrAccessDenied):
		code = c.denied
	default:
		code = c.signature
	}
	return code, status, msg
}

// writeAPIError writes an error in the protocol's envelope.
func writeAPIError(w http.ResponseWriter, r *http.Request, p protocol, id, code string, status int, msg string) {
	switch p {
	case json10, json11:
		ct := "application/x-amz-json-1.1"
		if p == json10 {
			ct = "application/x-amz-json-1.0"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("X-Amzn-Errortype", code)
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
	case restS3:
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		if r.Method == http.MethodHead {
			return
		}
		xml.NewEncoder(w).Encode(struct {
			XMLName   xml.Name `xml:"Error"`
			Code      string
			Message   string
			RequestId string
		}{Code: code, Message: msg, RequestId: id})
	default:
		type errBody struct {
			Type    string
			Code    string
			Message string
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		xml.NewEncoder(w).Encode(struct {
			XMLName   xml.Name `xml:"http://cloudfront.amazonaws.com/doc/2020-05-31/ ErrorResponse"`
			Error     errBody
			RequestId string
		}{Error: errBody{Type: "Sender", Code: code, Message: msg}, RequestId: id})
	}
}

// deniedError is an AccessDenied as the JSON services return it; the SSM
// handler returns its code and status unchanged.
type deniedError struct {
	code, msg string
	status    int
}

func (e *deniedError) Error() string     { return e.msg }
func (e *deniedError) ErrorCode() string { return e.code }
func (e *deniedError) HTTPStatus() int   { return e.status }
