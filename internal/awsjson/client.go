package awsjson

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// ErrNoCredentials says Client.Config gave no credentials to sign with.
var ErrNoCredentials = errors.New("no AWS credentials")

// Client calls one JSON-protocol API over HTTP, signed with SigV4: what
// the edgecd CLI and the web console use for the operations the AWS SDKs
// do not have (edgecd's pipeline API) or that they call as plain JSON.
type Client struct {
	Protocol
	Endpoint string       // e.g. http://127.0.0.1:8081
	Service  string       // the SigV4 service name, e.g. codepipeline
	Config   aws.Config   // credentials and region
	HTTP     *http.Client // nil: http.DefaultClient
}

// Call sends operation op with in as its body and decodes a 2xx answer
// into out (unless out is nil). An error answer is an *Error with the
// answer's status: Code is its __type without the namespace some services
// prefix ("ns#Code"), "" when the body names none (Message then holds the
// body). A failed credential lookup wraps ErrNoCredentials.
func (c *Client) Call(ctx context.Context, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode %s: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.Endpoint, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("endpoint %q: %w", c.Endpoint, err)
	}
	req.Header.Set("Content-Type", c.ContentType)
	req.Header.Set("X-Amz-Target", c.TargetPrefix+op)
	if c.Config.Credentials == nil {
		return ErrNoCredentials
	}
	creds, err := c.Config.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoCredentials, err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), c.Service, c.Config.Region, time.Now()); err != nil {
		return fmt.Errorf("sign %s %s: %w", c.Service, op, err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("call %s %s: %w", c.Service, op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("read the answer of %s %s: %w", c.Service, op, err)
	}
	if resp.StatusCode/100 != 2 {
		return answerError(resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode the answer of %s %s: %w", c.Service, op, err)
	}
	return nil
}

// answerError reads an error answer ({"__type", "message"}; some services
// spell it "Message").
func answerError(status int, body []byte) *Error {
	var e struct {
		Type     string `json:"__type"`
		Message  string `json:"message"`
		Message2 string `json:"Message"`
	}
	json.Unmarshal(body, &e) // a body that is not JSON keeps e empty
	code := e.Type
	if i := strings.LastIndex(code, "#"); i >= 0 {
		code = code[i+1:]
	}
	msg := e.Message
	if msg == "" {
		msg = e.Message2
	}
	if code == "" && msg == "" {
		msg = strings.TrimSpace(string(body))
	}
	return &Error{Code: code, Message: msg, Status: status}
}
