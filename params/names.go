package params

import (
	"errors"
	"strconv"
	"strings"
)

// Name limits as Parameter Store documents them ("Requirements and
// constraints for parameter names").
const (
	// MaxNameLen is the wire limit on a name field (selectors included).
	MaxNameLen = 2048
	// MaxARNLen bounds the parameter's full ARN,
	// arn:aws:ssm:<region>:<account>:parameter/<name>: the cloud reserves the
	// rest of the 2048 characters for itself.
	MaxARNLen = 1011
	// MaxDepth is the deepest hierarchy: /L1/.../L14/name has 15 levels.
	MaxDepth = 15
	// MaxLabelLen is the longest label.
	MaxLabelLen = 100
)

// msgBadName is the cloud's own wording, which users search for.
const msgBadName = `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive). ` +
	`If formed as a path, it can consist of sub-paths divided by slash symbol; ` +
	`each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_`

// msgBadPath is the cloud's wording for a Path that is not one.
const msgBadPath = `The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash "/". ` +
	`It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: ` +
	`. (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol "/". ` +
	`Valid example: /get/parameters2-/by1./path0_.`

func nameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
}

// key is the identity of a parameter: its name without a leading slash.
// Parameter Store treats "/TestParam1" and "TestParam1" as one parameter,
// and the key is also what follows "parameter/" in the ARN.
func key(name string) string { return strings.TrimPrefix(name, "/") }

// ARNSuffix is what follows "arn:aws:ssm:<region>:<account>:parameter/" in a
// parameter's ARN.
func ARNSuffix(name string) string { return key(name) }

// checkName validates a parameter name (without selector). Writes also
// refuse the reserved prefixes "aws" and "ssm"; reads do not, so that looking
// up a public name like /aws/service/... is simply not found.
func checkName(name string, write bool) error {
	if name == "" {
		return errorf(ErrInvalid, "1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(name) > MaxNameLen {
		return errorf(ErrInvalid, "1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length less than or equal to %d", MaxNameLen)
	}
	k := key(name)
	if strings.Contains(k, "/") && !strings.HasPrefix(name, "/") {
		return errorf(ErrInvalid, "Parameter name must be a fully qualified name: a name in a hierarchy starts with a slash, as in /%s", name)
	}
	if k == "" {
		return errorf(ErrInvalid, "%s", msgBadName)
	}
	for _, seg := range strings.Split(k, "/") {
		if seg == "" {
			return errorf(ErrInvalid, "%s", msgBadName)
		}
		for i := 0; i < len(seg); i++ {
			if !nameByte(seg[i]) {
				return errorf(ErrInvalid, "%s", msgBadName)
			}
		}
	}
	if write && reserved(k) {
		return errorf(ErrInvalid, "%s", msgBadName)
	}
	if depth(k) > MaxDepth {
		return errorf(ErrHierarchyTooDeep, "A hierarchy can have a maximum of %d levels. For more information, see Requirements and Constraints for Parameter Names in the AWS Systems Manager User Guide.", MaxDepth)
	}
	return nil
}

// checkARNLen enforces the documented length of the full ARN, which depends
// on the caller's region and account.
func checkARNLen(arnPrefix, name string) error {
	if n := len(arnPrefix) + len(key(name)); n > MaxARNLen {
		return errorf(ErrInvalid, "Parameter name %.40q... is too long: with its ARN it has %d characters, the maximum is %d", name, n, MaxARNLen)
	}
	return nil
}

func reserved(k string) bool {
	l := strings.ToLower(k)
	return strings.HasPrefix(l, "aws") || strings.HasPrefix(l, "ssm")
}

func depth(k string) int { return strings.Count(k, "/") + 1 }

// CheckName reports whether name is a valid parameter name to write.
func CheckName(name string) error { return checkName(name, true) }

// selector is the part of "name:version" or "name:label" after the colon.
type selector struct {
	version int64  // > 0 when selecting by version
	label   string // non-empty when selecting by label
	text    string // as the caller wrote it, echoed back as the Selector
}

func (s selector) String() string {
	if s.text == "" {
		return ""
	}
	return ":" + s.text
}

// parseSelector splits "name[:version|:label]" and validates the name.
func parseSelector(ref string) (string, selector, error) {
	name, sel, ok := strings.Cut(ref, ":")
	if err := checkName(name, false); err != nil || !ok {
		return name, selector{}, err
	}
	if sel == "" || strings.Contains(sel, ":") {
		return name, selector{}, errorf(ErrInvalid, "Invalid parameter selector %q: use name:version or name:label", ref)
	}
	if sel[0] >= '0' && sel[0] <= '9' {
		v, err := strconv.ParseInt(sel, 10, 64)
		if err != nil || v < 1 {
			return name, selector{}, errorf(ErrInvalid, "Invalid parameter version %q in %q: versions are whole numbers from 1", sel, ref)
		}
		return name, selector{version: v, text: sel}, nil
	}
	if !validLabel(sel) {
		return name, selector{}, errorf(ErrInvalid, "Invalid parameter label %q in %q", sel, ref)
	}
	return name, selector{label: sel, text: sel}, nil
}

// validLabel applies the label rules of LabelParameterVersion: at most 100
// letters, digits, '.', '-' and '_', not starting with a digit, "aws" or
// "ssm" (case-insensitive).
func validLabel(l string) bool {
	if l == "" || len(l) > MaxLabelLen || l[0] >= '0' && l[0] <= '9' || reserved(l) {
		return false
	}
	for i := 0; i < len(l); i++ {
		if !nameByte(l[i]) {
			return false
		}
	}
	return true
}

// checkPath validates the Path of GetParametersByPath and returns the key
// prefix under which its parameters live ("" for the root).
func checkPath(path string) (string, error) {
	if path == "/" {
		return "", nil
	}
	if !strings.HasPrefix(path, "/") {
		return "", errorf(ErrInvalid, "%s", msgBadPath)
	}
	p := strings.TrimSuffix(path, "/")
	if err := checkName(p, false); err != nil {
		if errors.Is(err, ErrInvalid) {
			return "", errorf(ErrInvalid, "%s", msgBadPath)
		}
		return "", err
	}
	return key(p) + "/", nil
}
