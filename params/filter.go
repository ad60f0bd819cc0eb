package params

import (
	"strings"
)

// Filter is a ParameterStringFilter: Key is Type, KeyId, Label, Name, Path,
// Tier, DataType or tag:<key>; Option is Equals (the default), BeginsWith,
// Contains (Name only), or Recursive/OneLevel (Path only).
type Filter struct {
	Key    string
	Option string
	Values []string
}

// matcher is a compiled filter list: every filter must match.
type matcher struct {
	preds []func(h *head) bool
	label []string // a Label filter's values: list the labelled version
	path  *pathFilter
}

type pathFilter struct {
	prefix    string // key prefix, "" for the root
	recursive bool
}

func (m *matcher) match(h *head) bool {
	for _, p := range m.preds {
		if !p(h) {
			return false
		}
	}
	if m.label != nil {
		if _, ok := m.labelled(h); !ok {
			return false
		}
	}
	if m.path != nil && !under(key(h.Name), m.path.prefix, m.path.recursive) {
		return false
	}
	return true
}

// labelled is the version a Label filter selects on h.
func (m *matcher) labelled(h *head) (int64, bool) {
	for _, l := range m.label {
		if n, ok := h.Labels[l]; ok {
			return n, true
		}
	}
	return 0, false
}

// under reports whether key k lies below prefix: directly, or at any depth.
func under(k, prefix string, recursive bool) bool {
	if !strings.HasPrefix(k, prefix) || k == prefix {
		return false
	}
	return recursive || !strings.Contains(k[len(prefix):], "/")
}

// compileFilters checks filters for one operation: byPath restricts keys to
// Type, KeyId and Label; otherwise (DescribeParameters) every key but Label.
func compileFilters(fs []Filter, byPath bool) (*matcher, error) {
	m := &matcher{}
	seen := map[string]bool{}
	for _, f := range fs {
		if err := checkFilterKey(f.Key, byPath); err != nil {
			return nil, err
		}
		if seen[f.Key] {
			return nil, errorf(ErrInvalid, "The following filter is duplicated in the request: %s. A request can contain only one occurrence of a specific filter.", f.Key)
		}
		seen[f.Key] = true
		opt := f.Option
		if opt == "" {
			opt = "Equals"
			if f.Key == "Path" {
				opt = "OneLevel"
			}
		}
		if err := checkFilterOption(f.Key, opt, byPath); err != nil {
			return nil, err
		}
		if len(f.Values) > 50 {
			return nil, errorf(ErrInvalidFilterValue, "The filter %s has %d values; the maximum is 50.", f.Key, len(f.Values))
		}
		for _, v := range f.Values {
			if v == "" || len(v) > 1024 {
				return nil, errorf(ErrInvalidFilterValue, "The filter %s has a value of %d characters; values have 1 to 1024.", f.Key, len(v))
			}
		}
		if len(f.Values) == 0 && !strings.HasPrefix(f.Key, "tag:") {
			return nil, errorf(ErrInvalidFilterValue, "The filter %s needs at least one value.", f.Key)
		}
		if err := m.add(f.Key, opt, f.Values); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func checkFilterKey(k string, byPath bool) error {
	valid := "[Type, KeyId, Label]"
	ok := k == "Type" || k == "KeyId" || k == "Label"
	if !byPath {
		valid = "[Name, Type, KeyId, Path, Tier, DataType, tag:<key>]"
		ok = k != "Label" && (ok || k == "Name" || k == "Path" || k == "Tier" || k == "DataType" || strings.HasPrefix(k, "tag:") && len(k) > 4)
	}
	if !ok || len(k) > 132 {
		return errorf(ErrInvalidFilterKey, "The following filter key is not valid: %s. Valid filter keys include: %s.", k, valid)
	}
	return nil
}

func checkFilterOption(k, opt string, byPath bool) error {
	var valid []string
	switch {
	case k == "Path":
		valid = []string{"Recursive", "OneLevel"}
	case k == "Label":
		valid = []string{"Equals"}
	case k == "Name" && !byPath:
		valid = []string{"Equals", "BeginsWith", "Contains"}
	default:
		valid = []string{"Equals", "BeginsWith"}
	}
	for _, v := range valid {
		if opt == v {
			return nil
		}
	}
	return errorf(ErrInvalidFilterOption, "The following filter option is not valid: %s. Valid options include: [%s].", opt, strings.Join(valid, ", "))
}

func (m *matcher) add(k, opt string, values []string) error {
	cmp := func(have string) bool {
		for _, v := range values {
			if opt == "Equals" && have == v || opt == "BeginsWith" && strings.HasPrefix(have, v) || opt == "Contains" && strings.Contains(have, v) {
				return true
			}
		}
		return false
	}
	switch {
	case k == "Type":
		for _, v := range values {
			if opt == "Equals" && !Type(v).valid() {
				return errorf(ErrInvalidFilterValue, "The following filter value is not valid: %s. Valid values include: [String, StringList, SecureString].", v)
			}
		}
		m.preds = append(m.preds, func(h *head) bool { return cmp(string(h.Latest.Type)) })
	case k == "KeyId":
		m.preds = append(m.preds, func(h *head) bool { return h.Latest.Type == SecureString && cmp(h.Latest.KeyID) })
	case k == "Tier":
		m.preds = append(m.preds, func(h *head) bool { return cmp(string(h.Latest.Tier)) })
	case k == "DataType":
		m.preds = append(m.preds, func(h *head) bool { return cmp(h.Latest.DataType) })
	case k == "Name":
		// "/a" and "a" name one parameter, so names compare as keys.
		keys := make([]string, len(values))
		for i, v := range values {
			keys[i] = key(v)
		}
		values = keys
		m.preds = append(m.preds, func(h *head) bool { return cmp(key(h.Name)) })
	case k == "Label":
		m.label = values
	case k == "Path":
		if len(values) != 1 {
			return errorf(ErrInvalidFilterValue, "The Path filter takes exactly one value, got %d.", len(values))
		}
		prefix, err := checkPath(values[0])
		if err != nil {
			return errorf(ErrInvalidFilterValue, "The following filter value is not valid: %s. %s", values[0], err)
		}
		m.path = &pathFilter{prefix: prefix, recursive: opt == "Recursive"}
	default: // tag:<key>, with no values meaning "has the tag"
		tk := strings.TrimPrefix(k, "tag:")
		m.preds = append(m.preds, func(h *head) bool {
			for _, t := range h.Tags {
				if t.Key == tk && (len(values) == 0 || cmp(t.Value)) {
					return true
				}
			}
			return false
		})
	}
	return nil
}
