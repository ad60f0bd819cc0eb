package params

import (
	"errors"
	"strings"
	"testing"
)

// FuzzCheckName: any string either passes with the documented rules holding,
// or fails with a domain error; never a panic.
func FuzzCheckName(f *testing.F) {
	f.Fuzz(func(t *testing.T, name string) {
		err := checkName(name, true)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Msg == "" {
				t.Fatalf("checkName(%q) = %v, not a domain error", name, err)
			}
			return
		}
		k := key(name)
		if k == "" || len(name) > MaxNameLen || depth(k) > MaxDepth || reserved(k) {
			t.Fatalf("checkName(%q) passed a name breaking the rules", name)
		}
		if strings.Contains(k, "/") && name[0] != '/' || strings.Contains(k, "//") || strings.HasSuffix(k, "/") {
			t.Fatalf("checkName(%q) passed a malformed hierarchy", name)
		}
		for i := 0; i < len(k); i++ {
			if k[i] != '/' && !nameByte(k[i]) {
				t.Fatalf("checkName(%q) passed byte %q", name, k[i])
			}
		}
	})
}

// FuzzParseSelector: a parsed reference prints back as itself.
func FuzzParseSelector(f *testing.F) {
	f.Fuzz(func(t *testing.T, ref string) {
		name, sel, err := parseSelector(ref)
		if err != nil {
			return
		}
		if got := name + sel.String(); got != ref {
			t.Fatalf("parseSelector(%q) = %q %q, prints as %q", ref, name, sel, got)
		}
		if sel.version < 0 || sel.label != "" && !validLabel(sel.label) {
			t.Fatalf("parseSelector(%q) = bad selector %+v", ref, sel)
		}
	})
}

// FuzzNextToken: any token is either refused with ErrInvalidNextToken or
// decodes to a position that encodes back to an equivalent token.
func FuzzNextToken(f *testing.F) {
	f.Fuzz(func(t *testing.T, tok string, which uint8) {
		op := []string{"path", "describe", "history"}[int(which)%3]
		got, err := decodeToken(tok, op)
		if err != nil {
			if !errors.Is(err, ErrInvalidNextToken) {
				t.Fatalf("decodeToken(%q) = %v", tok, err)
			}
			return
		}
		again, err := decodeToken(got.encode(), op)
		if err != nil || again != got {
			t.Fatalf("token %+v does not round-trip: %+v, %v", got, again, err)
		}
	})
}
