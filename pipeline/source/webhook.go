package source

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ErrBadSignature: a webhook's X-Hub-Signature-256 header is missing,
// malformed, or does not match the body and the secret.
var ErrBadSignature = errors.New("bad webhook signature")

// ErrBadPush: a webhook body is not a GitHub push event.
var ErrBadPush = errors.New("not a push event")

// SignatureHeader is the header GitHub signs webhook bodies in.
const SignatureHeader = "X-Hub-Signature-256"

// VerifySignature checks a GitHub webhook signature: header is the value of
// X-Hub-Signature-256, "sha256=" and the hex HMAC-SHA256 of body keyed with
// secret. The comparison takes constant time. An empty secret is refused: a
// webhook that anyone can forge must not start a pipeline.
func VerifySignature(secret, body []byte, header string) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: no webhook secret is configured; set one on the source and on the GitHub webhook", ErrBadSignature)
	}
	got, err := parseSignature(header)
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("%w: %s does not match the body; check that the webhook's secret is the source's secret", ErrBadSignature, SignatureHeader)
	}
	return nil
}

func parseSignature(header string) ([]byte, error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return nil, fmt.Errorf("%w: the request has no %s header; set a secret on the webhook", ErrBadSignature, SignatureHeader)
	}
	algo, hexSum, ok := strings.Cut(header, "=")
	if !ok || algo != "sha256" {
		return nil, fmt.Errorf("%w: %s must be sha256=<hex digest>", ErrBadSignature, SignatureHeader)
	}
	if len(hexSum) != 2*sha256.Size {
		return nil, fmt.Errorf("%w: %s digest has %d hex digits, want %d", ErrBadSignature, SignatureHeader, len(hexSum), 2*sha256.Size)
	}
	sum, err := hex.DecodeString(hexSum)
	if err != nil {
		return nil, fmt.Errorf("%w: %s digest is not hexadecimal", ErrBadSignature, SignatureHeader)
	}
	return sum, nil
}

// Push is what a GitHub push event says, in the fields a pipeline uses.
type Push struct {
	Ref     string // "refs/heads/main"
	Branch  string // "main"; empty when a tag was pushed
	Tag     string // "v1.2"; empty when a branch was pushed
	Before  string // the previous head
	After   string // the new head, 40 hex; all zeros when Deleted
	Created bool
	Deleted bool
	Forced  bool

	Repository PushRepository
	HeadCommit PushCommit // zero when the push deleted the ref
	Pusher     string
}

// PushRepository identifies the pushed repository.
type PushRepository struct {
	FullName      string // "owner/name"
	CloneURL      string // https URL
	SSHURL        string
	HTMLURL       string
	DefaultBranch string
}

// PushCommit is the pushed head commit.
type PushCommit struct {
	ID        string
	Message   string
	Timestamp string // as GitHub sent it (RFC 3339)
	Author    string // name
}

type pushPayload struct {
	Ref        *string `json:"ref"`
	Before     string  `json:"before"`
	After      *string `json:"after"`
	Created    bool    `json:"created"`
	Deleted    bool    `json:"deleted"`
	Forced     bool    `json:"forced"`
	Repository *struct {
		FullName      string `json:"full_name"`
		CloneURL      string `json:"clone_url"`
		SSHURL        string `json:"ssh_url"`
		HTMLURL       string `json:"html_url"`
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
	HeadCommit *struct {
		ID        string `json:"id"`
		Message   string `json:"message"`
		Timestamp string `json:"timestamp"`
		Author    struct {
			Name string `json:"name"`
		} `json:"author"`
	} `json:"head_commit"`
	Pusher struct {
		Name string `json:"name"`
	} `json:"pusher"`
}

// ParsePush reads a GitHub push event body, either JSON (content type
// application/json) or form-encoded with the JSON in the payload field
// (application/x-www-form-urlencoded), which GitHub offers as well.
func ParsePush(body []byte) (*Push, error) {
	body = bytes.TrimSpace(body)
	if bytes.HasPrefix(body, []byte("payload=")) {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("%w: form body: %v", ErrBadPush, err)
		}
		body = []byte(form.Get("payload"))
	}
	var p pushPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("%w: body is not a JSON push event: %v", ErrBadPush, err)
	}
	if p.Ref == nil || p.After == nil || p.Repository == nil {
		return nil, fmt.Errorf("%w: ref, after or repository is missing (is the webhook sending push events? a ping or other event is not a push)", ErrBadPush)
	}
	push := &Push{
		Ref:     *p.Ref,
		Before:  p.Before,
		After:   strings.ToLower(*p.After),
		Created: p.Created,
		Deleted: p.Deleted,
		Forced:  p.Forced,
		Repository: PushRepository{
			FullName:      p.Repository.FullName,
			CloneURL:      p.Repository.CloneURL,
			SSHURL:        p.Repository.SSHURL,
			HTMLURL:       p.Repository.HTMLURL,
			DefaultBranch: p.Repository.DefaultBranch,
		},
		Pusher: p.Pusher.Name,
	}
	switch {
	case strings.HasPrefix(push.Ref, "refs/heads/") && len(push.Ref) > len("refs/heads/"):
		push.Branch = strings.TrimPrefix(push.Ref, "refs/heads/")
	case strings.HasPrefix(push.Ref, "refs/tags/") && len(push.Ref) > len("refs/tags/"):
		push.Tag = strings.TrimPrefix(push.Ref, "refs/tags/")
	default:
		return nil, fmt.Errorf("%w: ref %q is neither refs/heads/<branch> nor refs/tags/<tag>", ErrBadPush, push.Ref)
	}
	if len(push.After) != 40 || checkCommitID(push.After) != nil {
		return nil, fmt.Errorf("%w: after %q is not a 40-digit commit id", ErrBadPush, push.After)
	}
	if p.HeadCommit != nil {
		push.HeadCommit = PushCommit{
			ID:        p.HeadCommit.ID,
			Message:   p.HeadCommit.Message,
			Timestamp: p.HeadCommit.Timestamp,
			Author:    p.HeadCommit.Author.Name,
		}
	}
	return push, nil
}
