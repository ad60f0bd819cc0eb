package web

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func testSigner() signer { return signer{key: []byte("0123456789abcdef0123456789abcdef")} }

func TestSessionCookieRoundTrip(t *testing.T) {
	s := testSigner()
	now := time.Unix(1_800_000_000, 0)
	want := session{KeyID: "AKIAEXAMPLE", Expires: now.Add(SessionTTL).Unix(), Finger: s.finger("secret")}
	got, err := s.decode(s.encode(want), now)
	if err != nil || got != want {
		t.Fatalf("decode(encode(%+v)) = %+v, %v", want, got, err)
	}
}

func TestSessionCookieRefusesTamperingAndExpiry(t *testing.T) {
	s := testSigner()
	now := time.Unix(1_800_000_000, 0)
	good := s.encode(session{KeyID: "AKIAEXAMPLE", Expires: now.Add(time.Hour).Unix(), Finger: "f"})
	payload, sig, _ := strings.Cut(good, ".")
	other := signer{key: []byte("another key, another console....")}
	forged := testSigner().encode(session{KeyID: "AKIAADMIN", Expires: now.Add(time.Hour).Unix()})
	forgedPayload, _, _ := strings.Cut(forged, ".")
	tests := []struct {
		name  string
		value string
		at    time.Time
		want  error
	}{
		{"valid until it expires", good, now.Add(59 * time.Minute), nil},
		{"expired at its expiry", good, now.Add(time.Hour), ErrSessionExpired},
		{"expired long after", good, now.Add(48 * time.Hour), ErrSessionExpired},
		{"payload swapped under the signature", forgedPayload + "." + sig, now, ErrBadSession},
		{"signature flipped", payload + "." + flip(sig), now, ErrBadSession},
		{"signed by another console", other.encode(session{KeyID: "AKIAEXAMPLE", Expires: now.Add(time.Hour).Unix()}), now, ErrBadSession},
		{"no signature", payload, now, ErrBadSession},
		{"empty signature", payload + ".", now, ErrBadSession},
		{"empty", "", now, ErrBadSession},
		{"not base64", "!!!.???", now, ErrBadSession},
		{"extra dot", good + ".x", now, ErrBadSession},
		{"too long", strings.Repeat("a", 5000) + "." + sig, now, ErrBadSession},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.decode(tt.value, tt.at)
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Fatalf("decode = %v, want %v", err, tt.want)
			}
		})
	}
}

// A payload with a valid MAC but no key id (which this console never
// signs) is still refused.
func TestSessionCookieNeedsKeyID(t *testing.T) {
	s := testSigner()
	v := s.encode(session{Expires: time.Now().Add(time.Hour).Unix()})
	if _, err := s.decode(v, time.Now()); !errors.Is(err, ErrBadSession) {
		t.Fatalf("decode = %v, want ErrBadSession", err)
	}
}

func TestFingerprintDependsOnSecretAndKey(t *testing.T) {
	s := testSigner()
	if s.finger("a") == s.finger("b") {
		t.Fatal("two secrets share a fingerprint")
	}
	if s.finger("a") == (signer{key: []byte("x")}).finger("a") {
		t.Fatal("the fingerprint does not depend on the console's key")
	}
	if strings.Contains(s.encode(session{KeyID: "K", Finger: s.finger("topsecret")}), "topsecret") {
		t.Fatal("the cookie carries the secret")
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}
