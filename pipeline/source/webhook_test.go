package source

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
)

func sign(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func TestVerifySignature(t *testing.T) {
	body := `{"ref":"refs/heads/main"}`
	good := sign("It's a Secret to Everybody", body)
	tests := []struct {
		name    string
		secret  string
		body    string
		header  string
		message string // empty: valid
	}{
		{"valid", "It's a Secret to Everybody", body, good, ""},
		{"valid with upper-case hex", "It's a Secret to Everybody", body, "sha256=" + strings.ToUpper(good[7:]), ""},
		{"GitHub's documented example", "It's a Secret to Everybody", "Hello, World!", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", ""},
		{"other body", "It's a Secret to Everybody", body + " ", good, "does not match"},
		{"other secret", "guess", body, good, "does not match"},
		{"no header", "s", body, "", "has no X-Hub-Signature-256"},
		{"sha1 header", "s", body, "sha1=" + strings.Repeat("0", 40), "must be sha256="},
		{"no prefix", "s", body, good[7:], "must be sha256="},
		{"short digest", "s", body, "sha256=abcd", "has 4 hex digits, want 64"},
		{"not hex", "s", body, "sha256=" + strings.Repeat("zz", 32), "not hexadecimal"},
		{"no secret configured", "", body, good, "no webhook secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySignature([]byte(tt.secret), []byte(tt.body), tt.header)
			if tt.message == "" {
				if err != nil {
					t.Errorf("err = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrBadSignature) || !strings.Contains(err.Error(), tt.message) {
				t.Errorf("err = %v, want ErrBadSignature containing %q", err, tt.message)
			}
		})
	}
}

func TestParsePush(t *testing.T) {
	body, err := os.ReadFile("testdata/push.json")
	if err != nil {
		t.Fatal(err)
	}
	want := &Push{
		Ref:    "refs/heads/main",
		Branch: "main",
		Before: "9049f1265b7d61be4a8904a9a27120d2064dab3b",
		After:  "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
		Repository: PushRepository{
			FullName:      "octo/site",
			CloneURL:      "https://github.com/octo/site.git",
			SSHURL:        "git@github.com:octo/site.git",
			HTMLURL:       "https://github.com/octo/site",
			DefaultBranch: "main",
		},
		HeadCommit: PushCommit{
			ID:        "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
			Message:   "Update index.html\n\nNew hero text",
			Timestamp: "2026-11-23T10:10:00+00:00",
			Author:    "Octo Cat",
		},
		Pusher: "octo",
	}
	got, err := ParsePush(body)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("push = %+v\nwant %+v", got, want)
	}
	// GitHub's application/x-www-form-urlencoded content type.
	form := "payload=" + url.QueryEscape(string(body))
	if got, err := ParsePush([]byte(form)); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("form-encoded: %+v, %v", got, err)
	}
}

func TestParsePushOtherShapes(t *testing.T) {
	const sha = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"
	const zero = "0000000000000000000000000000000000000000"
	tests := []struct {
		name    string
		body    string
		check   func(p *Push) bool
		message string
	}{
		{"tag push", `{"ref":"refs/tags/v1.2","after":"` + sha + `","repository":{"full_name":"o/r"}}`,
			func(p *Push) bool { return p.Tag == "v1.2" && p.Branch == "" }, ""},
		{"branch deletion has no head commit", `{"ref":"refs/heads/old","after":"` + zero + `","deleted":true,"head_commit":null,"repository":{"full_name":"o/r"}}`,
			func(p *Push) bool { return p.Deleted && p.Branch == "old" && p.HeadCommit == PushCommit{} }, ""},
		{"branch with slashes", `{"ref":"refs/heads/feature/x","after":"` + sha + `","repository":{}}`,
			func(p *Push) bool { return p.Branch == "feature/x" }, ""},
		{"ping event", `{"zen":"Design for failure.","hook_id":1,"repository":{"full_name":"o/r"}}`, nil, "is the webhook sending push events"},
		{"not JSON", `<xml/>`, nil, "not a JSON push event"},
		{"JSON array", `[]`, nil, "not a JSON push event"},
		{"other ref", `{"ref":"refs/pull/1/head","after":"` + sha + `","repository":{}}`, nil, "neither refs/heads"},
		{"bad after", `{"ref":"refs/heads/main","after":"HEAD","repository":{}}`, nil, "not a 40-digit commit id"},
		{"bad form", `payload=%zz`, nil, "form body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePush([]byte(tt.body))
			if tt.message == "" {
				if err != nil || !tt.check(p) {
					t.Errorf("push = %+v, err = %v", p, err)
				}
				return
			}
			if !errors.Is(err, ErrBadPush) || !strings.Contains(err.Error(), tt.message) {
				t.Errorf("err = %v, want ErrBadPush containing %q", err, tt.message)
			}
		})
	}
}
