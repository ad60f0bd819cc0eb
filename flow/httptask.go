package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/edgecd/edgecd/asl"
)

// httpParams are the arguments of arn:aws:states:::http:invoke.
type httpParams struct {
	ApiEndpoint     string
	Method          string
	Headers         map[string]any
	QueryParameters map[string]any
	RequestBody     json.RawMessage
	Transform       struct{ RequestBodyEncoding string }
	// Authentication (an EventBridge connection ARN on the cloud) is
	// accepted and ignored: edgecd has no connections yet.
	Authentication json.RawMessage
}

// httpInvoke calls an HTTP endpoint and returns the cloud's result shape:
// {"Headers", "ResponseBody", "StatusCode", "StatusText"}. A status outside
// 2xx fails with States.Http.StatusCode.<code>, as the cloud names it.
func (e *Engine) httpInvoke(ctx context.Context, t Task) (json.RawMessage, error) {
	var p httpParams
	if err := json.Unmarshal(t.Parameters, &p); err != nil {
		return nil, &TaskError{Name: asl.ErrRuntime, Cause: "http:invoke parameters: " + err.Error()}
	}
	u, err := url.Parse(p.ApiEndpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &TaskError{Name: asl.ErrRuntime, Cause: fmt.Sprintf("http:invoke ApiEndpoint %q must be an http(s) URL", p.ApiEndpoint)}
	}
	method := strings.ToUpper(p.Method)
	if method == "" {
		return nil, &TaskError{Name: asl.ErrRuntime, Cause: "http:invoke needs a Method"}
	}
	q := u.Query()
	for k, v := range p.QueryParameters {
		q.Set(k, scalar(v))
	}
	u.RawQuery = q.Encode()
	var body io.Reader
	contentType := ""
	if len(p.RequestBody) > 0 && string(p.RequestBody) != "null" {
		if p.Transform.RequestBodyEncoding == "URL_ENCODED" {
			var m map[string]any
			if err := json.Unmarshal(p.RequestBody, &m); err != nil {
				return nil, &TaskError{Name: asl.ErrRuntime, Cause: "URL_ENCODED needs an object RequestBody"}
			}
			form := url.Values{}
			for k, v := range m {
				form.Set(k, scalar(v))
			}
			body, contentType = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
		} else {
			body, contentType = bytes.NewReader(p.RequestBody), "application/json"
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, &TaskError{Name: asl.ErrRuntime, Cause: err.Error()}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range p.Headers {
		req.Header.Set(k, scalar(v))
	}
	resp, err := e.opt.HTTPClient.Do(req)
	if err != nil {
		return nil, &TaskError{Name: asl.ErrHTTPSocket, Cause: err.Error()}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, asl.MaxPayloadSize+1))
	if err != nil {
		return nil, &TaskError{Name: asl.ErrHTTPSocket, Cause: err.Error()}
	}
	var respBody any = string(raw)
	var parsed any
	if json.Unmarshal(raw, &parsed) == nil {
		respBody = parsed
	}
	headers := map[string]any{}
	keys := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		headers[strings.ToLower(k)] = resp.Header[k]
	}
	out, _ := json.Marshal(map[string]any{
		"Headers": headers, "ResponseBody": respBody,
		"StatusCode": resp.StatusCode, "StatusText": http.StatusText(resp.StatusCode),
	})
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &TaskError{Name: fmt.Sprintf("States.Http.StatusCode.%d", resp.StatusCode), Cause: string(out)}
	}
	return out, nil
}

func scalar(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}
