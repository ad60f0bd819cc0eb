package events

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
)

// stateMachineARN is the ARN of a state machine target.
var stateMachineARN = regexp.MustCompile(`^arn:aws[\w-]*:states:[\w-]*:\d*:stateMachine:[\w\-]{1,80}$`)

// targetKind says how an ARN is delivered to: "states", "http" or the
// registered prefix.
func (b *Bus) targetKind(arn string) (string, error) {
	switch {
	case stateMachineARN.MatchString(arn):
		if b.opt.StartExecution == nil {
			return "", fmt.Errorf("state machine targets are not served by this bus")
		}
		return "states", nil
	case strings.HasPrefix(arn, "http://"), strings.HasPrefix(arn, "https://"):
		return "http", nil
	}
	if p, _ := b.registered(arn); p != "" {
		return p, nil
	}
	return "", fmt.Errorf("edgecd cannot deliver to %q: use a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>), an http(s) URL, or an ARN under a registered prefix (%s)", arn, strings.Join(b.prefixes(), ", "))
}

// registered finds the longest registered prefix of arn.
func (b *Bus) registered(arn string) (string, TargetFunc) {
	b.mu.Lock()
	defer b.mu.Unlock()
	best := ""
	for p := range b.targets {
		if strings.HasPrefix(arn, p) && len(p) > len(best) {
			best = p
		}
	}
	return best, b.targets[best]
}

func (b *Bus) prefixes() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, 0, len(b.targets))
	for p := range b.targets {
		out = append(out, p)
	}
	return out
}

// deliver makes one attempt to hand d to its target.
func (b *Bus) deliver(ctx context.Context, d *delivery) error {
	raw, err := json.Marshal(&d.Event)
	if err != nil {
		return fmt.Errorf("%w: encode event: %v", ErrPermanent, err)
	}
	input, err := targetInput(d.Target, raw, d)
	if err != nil {
		return fmt.Errorf("%w: target input: %v", ErrPermanent, err)
	}
	arn := d.Target.ARN
	switch {
	case stateMachineARN.MatchString(arn):
		if b.opt.StartExecution == nil {
			return fmt.Errorf("%w: no state machine starter", ErrPermanent)
		}
		return b.opt.StartExecution(ctx, arn, executionName(d), input)
	case strings.HasPrefix(arn, "http://"), strings.HasPrefix(arn, "https://"):
		return b.post(ctx, arn, input)
	}
	_, fn := b.registered(arn)
	if fn == nil {
		return fmt.Errorf("no target is registered for %s", arn)
	}
	return fn(ctx, d.Event, input)
}

// executionName is stable for one delivery: a start repeated after a
// crash finds its execution instead of starting another. Names are at
// most 80 characters of [A-Za-z0-9-_].
func executionName(d *delivery) string {
	h := sha256.Sum256([]byte(d.Rule + "\x00" + d.Target.ID))
	return d.Event.ID + "_" + hex.EncodeToString(h[:8])
}

// post sends input to a webhook. Like EventBridge's API destinations it
// retries 429 and 5xx answers and gives up on other 4xx.
func (b *Bus) post(ctx context.Context, url string, input []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(input))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPermanent, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "edgecd-events")
	resp, err := b.opt.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		return fmt.Errorf("webhook %s answered %s", url, resp.Status)
	default:
		return fmt.Errorf("%w: webhook %s answered %s", ErrPermanent, url, resp.Status)
	}
}
