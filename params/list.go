package params

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/edgecd/edgecd/store"
)

// Page is one page of a listing; NextToken is empty on the last page.
type Page struct {
	Parameters []Parameter
	NextToken  string
}

// PathQuery is a GetParametersByPath request.
type PathQuery struct {
	Path       string
	Recursive  bool
	Filters    []Filter
	Decrypt    bool
	MaxResults int // 1 to 10; 0 means 10
	NextToken  string
}

// DescribeQuery is a DescribeParameters request. Legacy filters (key Name,
// Type or KeyId with values) go in Filters with an empty Option, and cannot
// be mixed with ParameterFilters.
type DescribeQuery struct {
	Filters          []Filter
	ParameterFilters []Filter
	MaxResults       int // 1 to 50; 0 means 50
	NextToken        string
}

// HistoryQuery is a GetParameterHistory request.
type HistoryQuery struct {
	Name       string
	Decrypt    bool
	MaxResults int // 1 to 50; 0 means 50
	NextToken  string
}

// token is what a NextToken carries: where the previous page ended, and for
// which operation, so a token cannot be replayed against another listing.
type token struct {
	Op    string `json:"o"`
	After string `json:"a,omitempty"`
	Ver   int64  `json:"v,omitempty"`
}

func (t token) encode() string {
	b, _ := json.Marshal(t) // a struct of strings and ints always encodes
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s, op string) (token, error) {
	var t token
	if s == "" {
		return token{Op: op}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	if err != nil || t.Op != op || t.Ver < 0 {
		return token{}, errorf(ErrInvalidNextToken, "The specified token isn't valid: pass the NextToken of the previous page unchanged.")
	}
	return t, nil
}

func pageSize(n, limit int) (int, error) {
	switch {
	case n == 0:
		return limit, nil
	case n < 1 || n > limit:
		return 0, errorf(ErrInvalid, "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and %d", n, limit)
	}
	return n, nil
}

// scan visits current parameters whose keys start with prefix, in key
// order after the key after, until visit asks to stop.
func (s *Service) scan(ctx context.Context, prefix, after string, visit func(id string, h *head) (stop bool, err error)) error {
	const batch = 200
	for {
		recs, err := s.st.List(ctx, kindHead, store.Query{Prefix: prefix, After: after, Limit: batch})
		if err != nil {
			return err
		}
		for _, r := range recs {
			h, err := decodeHead(r.Body)
			if err != nil {
				return err
			}
			if stop, err := visit(r.ID, &h); stop || err != nil {
				return err
			}
			after = r.ID
		}
		if len(recs) < batch {
			return nil
		}
	}
}

// pager collects one page and notices whether a further match exists, so
// that a NextToken is only returned when there is more to read.
type pager struct {
	op   string
	n    int
	page Page
	last string
}

// full reports whether the page is complete; it is called with each match
// before it is added, and on the first match beyond the page sets NextToken.
func (p *pager) full() bool {
	if len(p.page.Parameters) < p.n {
		return false
	}
	p.page.NextToken = token{Op: p.op, After: p.last}.encode()
	return true
}

// ByPath lists the parameters below a path (GetParametersByPath).
func (s *Service) ByPath(ctx context.Context, q PathQuery) (Page, error) {
	prefix, err := checkPath(strings.Trim(q.Path, " "))
	if err != nil {
		return Page{}, err
	}
	n, err := pageSize(q.MaxResults, 10)
	if err != nil {
		return Page{}, err
	}
	m, err := compileFilters(q.Filters, true)
	if err != nil {
		return Page{}, err
	}
	t, err := decodeToken(q.NextToken, "path")
	if err != nil {
		return Page{}, err
	}
	pg := &pager{op: "path", n: n}
	err = s.scan(ctx, prefix, t.After, func(id string, h *head) (bool, error) {
		if !under(key(h.Name), prefix, q.Recursive) || !m.match(h) {
			return false, nil
		}
		if pg.full() {
			return true, nil
		}
		v := h.Latest
		if ln, ok := m.labelled(h); ok && ln != v.Number {
			var err error
			if v, err = s.loadVersion(ctx, s.st, h.Name, ln); err != nil {
				return false, err
			}
		}
		p, err := s.view(ctx, h, v, q.Decrypt)
		if err != nil {
			return false, err
		}
		pg.page.Parameters = append(pg.page.Parameters, p)
		pg.last = id
		return false, nil
	})
	return pg.page, err
}

// Describe lists parameter metadata, without values (DescribeParameters).
func (s *Service) Describe(ctx context.Context, q DescribeQuery) (Page, error) {
	if len(q.Filters) > 0 && len(q.ParameterFilters) > 0 {
		return Page{}, errorf(ErrInvalid, "You can use either Filters or ParameterFilters in a single request, not both.")
	}
	n, err := pageSize(q.MaxResults, 50)
	if err != nil {
		return Page{}, err
	}
	fs := q.ParameterFilters
	for _, f := range q.Filters {
		switch f.Key {
		case "Name":
			// The legacy Name filter matches names that begin with a value.
			fs = append(fs, Filter{Key: f.Key, Option: "BeginsWith", Values: f.Values})
		case "Type", "KeyId":
			fs = append(fs, Filter{Key: f.Key, Option: "Equals", Values: f.Values})
		default:
			return Page{}, errorf(ErrInvalidFilterKey, "The following filter key is not valid: %s. Valid filter keys include: [Name, Type, KeyId].", f.Key)
		}
	}
	m, err := compileFilters(fs, false)
	if err != nil {
		return Page{}, err
	}
	t, err := decodeToken(q.NextToken, "describe")
	if err != nil {
		return Page{}, err
	}
	prefix := ""
	if m.path != nil {
		prefix = m.path.prefix
	}
	pg := &pager{op: "describe", n: n}
	err = s.scan(ctx, prefix, t.After, func(id string, h *head) (bool, error) {
		if !m.match(h) {
			return false, nil
		}
		if pg.full() {
			return true, nil
		}
		p, err := s.view(ctx, h, h.Latest, false)
		if err != nil {
			return false, err
		}
		p.Value = ""
		pg.page.Parameters = append(pg.page.Parameters, p)
		pg.last = id
		return false, nil
	})
	return pg.page, err
}

// History lists every kept version of a parameter, oldest first, each with
// its labels (GetParameterHistory).
func (s *Service) History(ctx context.Context, q HistoryQuery) (Page, error) {
	name := strings.Trim(q.Name, " ")
	if err := checkName(name, false); err != nil {
		return Page{}, err
	}
	n, err := pageSize(q.MaxResults, 50)
	if err != nil {
		return Page{}, err
	}
	t, err := decodeToken(q.NextToken, "history")
	if err != nil {
		return Page{}, err
	}
	k := key(name)
	h, _, err := readHead(ctx, s.st, k)
	if err != nil {
		return Page{}, errorf(kindOf(err), "%s", notFoundMsg(err, name))
	}
	after := ""
	if t.Ver > 0 {
		after = versionID(k, t.Ver)
	}
	recs, err := s.st.List(ctx, kindVersion, store.Query{Prefix: k + "#", After: after, Limit: n + 1})
	if err != nil {
		return Page{}, err
	}
	var page Page
	for i, r := range recs {
		if i == n {
			page.NextToken = token{Op: "history", Ver: page.Parameters[n-1].Version}.encode()
			break
		}
		v, err := decodeVersion(r.Body)
		if err != nil {
			return Page{}, err
		}
		p, err := s.view(ctx, &h, v, q.Decrypt)
		if err != nil {
			return Page{}, err
		}
		p.Labels = h.labelsOf(v.Number)
		page.Parameters = append(page.Parameters, p)
	}
	return page, nil
}
