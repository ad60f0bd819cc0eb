package web

import (
	"testing"
	"time"
)

// FuzzSessionCookie feeds the cookie parser what a client may send: it
// must never panic, and whatever it accepts must be a session this
// console signed (re-encoding it gives a value that decodes the same).
func FuzzSessionCookie(f *testing.F) {
	s := testSigner()
	now := time.Unix(1_800_000_000, 0)
	f.Add(s.encode(session{KeyID: "AKIAEXAMPLE", Expires: now.Add(time.Hour).Unix(), Finger: "abc"}))
	f.Add("eyJrIjoiQSJ9.AAAA")
	f.Add(".")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		ss, err := s.decode(v, now)
		if err != nil {
			return
		}
		if ss.KeyID == "" || ss.Expires <= now.Unix() {
			t.Fatalf("accepted %q as %+v", v, ss)
		}
		again, err := s.decode(s.encode(ss), now)
		if err != nil || again != ss {
			t.Fatalf("re-encoded session %+v decodes as %+v, %v", ss, again, err)
		}
	})
}
