package iam

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Policy is an IAM policy document.
type Policy struct {
	Version   string      `json:"Version,omitempty"`
	Statement []Statement `json:"Statement"`
}

// Statement is one policy statement. Action and Resource accept a string
// or a list, as IAM does.
type Statement struct {
	Sid         string  `json:"Sid,omitempty"`
	Effect      string  `json:"Effect"`
	Action      strList `json:"Action,omitempty"`
	NotAction   strList `json:"NotAction,omitempty"`
	Resource    strList `json:"Resource,omitempty"`
	NotResource strList `json:"NotResource,omitempty"`
}

type strList []string

func (l *strList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = strList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings: %w", err)
	}
	*l = many
	return nil
}

// AdminPolicy allows everything.
func AdminPolicy() Policy {
	return Policy{Version: "2012-10-17", Statement: []Statement{{Effect: "Allow", Action: strList{"*"}, Resource: strList{"*"}}}}
}

// ParsePolicy reads and checks a policy document.
func ParsePolicy(b []byte) (Policy, error) {
	var p Policy
	// Unknown keys are refused: a Condition (or Principal) that evaluation
	// ignored would turn a conditional Allow into an unconditional one.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("policy document (Condition and Principal are not supported): %w", err)
	}
	if len(p.Statement) == 0 {
		return p, fmt.Errorf("policy document has no Statement")
	}
	for i, s := range p.Statement {
		if s.Effect != "Allow" && s.Effect != "Deny" {
			return p, fmt.Errorf("policy Statement[%d].Effect %q must be Allow or Deny", i, s.Effect)
		}
		if (len(s.Action) == 0) == (len(s.NotAction) == 0) {
			return p, fmt.Errorf("policy Statement[%d] needs exactly one of Action or NotAction", i)
		}
		if (len(s.Resource) == 0) == (len(s.NotResource) == 0) {
			return p, fmt.Errorf("policy Statement[%d] needs exactly one of Resource or NotResource", i)
		}
	}
	return p, nil
}

// Allowed evaluates policies as IAM does: an explicit Deny wins, else an
// Allow is needed, else the default is deny. Action matching is
// case-insensitive, resource matching case-sensitive; both take * and ?.
func Allowed(policies []Policy, action, resource string) bool {
	allowed := false
	for _, p := range policies {
		for _, s := range p.Statement {
			if !s.matches(action, resource) {
				continue
			}
			if s.Effect == "Deny" {
				return false
			}
			allowed = true
		}
	}
	return allowed
}

func (s Statement) matches(action, resource string) bool {
	actionOK := anyMatch(s.Action, strings.ToLower(action), true)
	if len(s.NotAction) > 0 {
		actionOK = !anyMatch(s.NotAction, strings.ToLower(action), true)
	}
	resOK := anyMatch(s.Resource, resource, false)
	if len(s.NotResource) > 0 {
		resOK = !anyMatch(s.NotResource, resource, false)
	}
	return actionOK && resOK
}

func anyMatch(patterns []string, s string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p = strings.ToLower(p)
		}
		if Match(p, s) {
			return true
		}
	}
	return false
}

// Match reports whether s matches an IAM pattern: * is any run of
// characters, ? one character. It is iterative, never exponential.
func Match(p, s string) bool {
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// Principal is an authenticated caller.
type Principal struct {
	Key   Key
	Scope Scope
}

// Authorize returns an *AuthError of kind ErrAccessDenied unless the
// principal's policies allow action on resource.
func (p *Principal) Authorize(action, resource string) error {
	if Allowed(p.Key.Policies, action, resource) {
		return nil
	}
	return authErr(ErrAccessDenied, "User: %s is not authorized to perform: %s on resource: %s", p.Key.ARN(), action, resource)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of a request context, or nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// Authorize checks the principal in ctx; a context without one is denied.
func Authorize(ctx context.Context, action, resource string) error {
	p := PrincipalFrom(ctx)
	if p == nil {
		return authErr(ErrAccessDenied, "anonymous callers are not authorized to perform: %s", action)
	}
	return p.Authorize(action, resource)
}
