package source

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func FuzzParsePush(f *testing.F) {
	f.Add([]byte(`{"ref":"refs/heads/main","after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c","repository":{"full_name":"o/r"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ParsePush(body)
		if err != nil {
			if !errors.Is(err, ErrBadPush) {
				t.Fatalf("error %v does not wrap ErrBadPush", err)
			}
			return
		}
		if (p.Branch == "") == (p.Tag == "") {
			t.Fatalf("a push names exactly one of branch and tag: %+v", p)
		}
		if len(p.After) != 40 || strings.Trim(p.After, "0123456789abcdef") != "" {
			t.Fatalf("after %q is not a lower-case commit id", p.After)
		}
	})
}

func FuzzVerifySignature(f *testing.F) {
	f.Add([]byte("secret"), []byte("body"), "sha256=00")
	f.Fuzz(func(t *testing.T, secret, body []byte, header string) {
		err := VerifySignature(secret, body, header)
		if err != nil {
			if !errors.Is(err, ErrBadSignature) {
				t.Fatalf("error %v does not wrap ErrBadSignature", err)
			}
			return
		}
		// Accepted: the header must be the body's true signature.
		m := hmac.New(sha256.New, secret)
		m.Write(body)
		if want := hex.EncodeToString(m.Sum(nil)); !strings.EqualFold(strings.TrimSpace(header), "sha256="+want) {
			t.Fatalf("accepted header %q, true signature %s", header, want)
		}
	})
}
