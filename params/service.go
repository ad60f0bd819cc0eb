package params

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/edgecd/edgecd/store"
)

// Config tunes a Service. The zero value is usable.
type Config struct {
	Now    func() time.Time // the clock for LastModifiedDate; time.Now if nil
	Logger *slog.Logger     // slog.Default() if nil
}

// Service is Parameter Store over a store.Store. It is safe for concurrent
// use; every write is one store transaction.
type Service struct {
	st   store.Store
	now  func() time.Time
	log  *slog.Logger
	seal *sealer
}

// NewService returns a Service keeping parameters in st.
func NewService(st store.Store, cfg Config) *Service {
	s := &Service{st: st, now: cfg.Now, log: cfg.Logger, seal: &sealer{st: st}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s
}

// update runs fn in a store transaction. The store is serializable, so a
// conflict means another writer got there first; a few retries hide that
// from callers, and persistent contention surfaces as ErrTooManyUpdates.
func (s *Service) update(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	var err error
	for range 3 {
		if _, err = s.st.Update(ctx, fn); !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
	return &Error{Kind: ErrTooManyUpdates, Msg: "There are concurrent updates to this parameter. Try again later."}
}

func readHead(ctx context.Context, r interface {
	Get(ctx context.Context, kind, id string) (store.Record, error)
}, k string) (head, int64, error) {
	rec, err := r.Get(ctx, kindHead, k)
	if errors.Is(err, store.ErrNotFound) {
		return head{}, 0, errorf(ErrNotFound, "Parameter %s not found.", k)
	}
	if err != nil {
		return head{}, 0, err
	}
	h, err := decodeHead(rec.Body)
	return h, rec.Version, err
}

func putJSON(ctx context.Context, tx store.Tx, kind, id string, v any, expect int64) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %q: %w", kind, id, err)
	}
	_, err = tx.Put(ctx, kind, id, body, expect)
	return err
}

// Get returns a parameter by name, "name:version" or "name:label". With
// decrypt false a SecureString's Value is its ciphertext.
func (s *Service) Get(ctx context.Context, ref string, decrypt bool) (Parameter, error) {
	name, sel, err := parseSelector(strings.Trim(ref, " "))
	if err != nil {
		return Parameter{}, err
	}
	k := key(name)
	h, _, err := readHead(ctx, s.st, k)
	if err != nil {
		return Parameter{}, errorf(kindOf(err), "%s", notFoundMsg(err, name))
	}
	v, err := s.selectVersion(ctx, &h, name, sel)
	if err != nil {
		return Parameter{}, err
	}
	p, err := s.view(ctx, &h, v, decrypt)
	p.Selector = sel.String()
	return p, err
}

func kindOf(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return err
}

func notFoundMsg(err error, name string) string {
	if errors.Is(err, ErrNotFound) {
		return fmt.Sprintf("Parameter %s not found.", name)
	}
	return err.Error()
}

// selectVersion finds the version a selector names.
func (s *Service) selectVersion(ctx context.Context, h *head, name string, sel selector) (version, error) {
	n := sel.version
	if sel.label != "" {
		var ok bool
		if n, ok = h.Labels[sel.label]; !ok {
			return version{}, errorf(ErrVersionNotFound, "Systems Manager could not find a version of %s labelled %q. Verify the label and try again.", name, sel.label)
		}
	}
	if n == 0 || n == h.Latest.Number {
		return h.Latest, nil
	}
	return s.loadVersion(ctx, s.st, name, n)
}

func (s *Service) loadVersion(ctx context.Context, r interface {
	Get(ctx context.Context, kind, id string) (store.Record, error)
}, name string, n int64) (version, error) {
	rec, err := r.Get(ctx, kindVersion, versionID(key(name), n))
	if errors.Is(err, store.ErrNotFound) {
		return version{}, errorf(ErrVersionNotFound, "Systems Manager could not find version %d of %s. Verify the version and try again.", n, name)
	}
	if err != nil {
		return version{}, err
	}
	return decodeVersion(rec.Body)
}

// view turns a stored version into what callers see.
func (s *Service) view(ctx context.Context, h *head, v version, decrypt bool) (Parameter, error) {
	p := Parameter{
		Name: h.Name, Type: v.Type, Value: v.Value, Version: v.Number, DataType: v.DataType,
		KeyID: v.KeyID, Description: v.Description, AllowedPattern: v.AllowedPattern,
		Tier: v.Tier, Policies: v.Policies, Modified: v.Modified, User: v.User,
	}
	if v.Type == SecureString {
		if !decrypt {
			p.Value = ciphertext(v.Sealed)
			return p, nil
		}
		plain, err := s.seal.open(ctx, key(h.Name), v.KeyID, v.Sealed)
		if err != nil {
			return Parameter{}, err
		}
		p.Value = plain
	}
	return p, nil
}

// GetMany returns the parameters that exist among refs (names or
// selectors, duplicates once) and lists the others as invalid, in the order
// given. An ill-formed name fails the whole call, as in the cloud.
func (s *Service) GetMany(ctx context.Context, refs []string, decrypt bool) (found []Parameter, invalid []string, err error) {
	if len(refs) < 1 || len(refs) > 10 {
		return nil, nil, errorf(ErrInvalid, "1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and 10, got %d", len(refs))
	}
	seen := map[string]bool{}
	for _, ref := range refs {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		name, _, hasSel := strings.Cut(ref, ":")
		if err := checkName(name, false); err != nil {
			return nil, nil, err
		}
		if _, _, err := parseSelector(ref); err != nil && hasSel {
			invalid = append(invalid, ref) // a bad selector on a good name
			continue
		}
		p, err := s.Get(ctx, ref, decrypt)
		switch {
		case errors.Is(err, ErrNotFound), errors.Is(err, ErrVersionNotFound):
			invalid = append(invalid, ref)
		case err != nil:
			return nil, nil, err
		default:
			found = append(found, p)
		}
	}
	return found, invalid, nil
}

// Delete removes a parameter with all its versions and labels.
func (s *Service) Delete(ctx context.Context, name string) error {
	name = strings.Trim(name, " ")
	if err := checkName(name, false); err != nil {
		return err
	}
	return s.update(ctx, func(ctx context.Context, tx store.Tx) error {
		return deleteParameter(ctx, tx, name)
	})
}

func deleteParameter(ctx context.Context, tx store.Tx, name string) error {
	k := key(name)
	_, hv, err := readHead(ctx, tx, k)
	if err != nil {
		return errorf(kindOf(err), "%s", notFoundMsg(err, name))
	}
	vs, err := tx.List(ctx, kindVersion, store.Query{Prefix: k + "#"})
	if err != nil {
		return err
	}
	for _, r := range vs {
		if err := tx.Delete(ctx, kindVersion, r.ID, r.Version); err != nil {
			return err
		}
	}
	return tx.Delete(ctx, kindHead, k, hv)
}

// DeleteMany deletes up to 10 parameters in one transaction and reports
// which were deleted and which were not found or ill-formed.
func (s *Service) DeleteMany(ctx context.Context, names []string) (deleted, invalid []string, err error) {
	if len(names) < 1 || len(names) > 10 {
		return nil, nil, errorf(ErrInvalid, "1 validation error detected: Value at 'names' failed to satisfy constraint: Member must have length between 1 and 10, got %d", len(names))
	}
	err = s.update(ctx, func(ctx context.Context, tx store.Tx) error {
		deleted, invalid = nil, nil
		seen := map[string]bool{}
		for _, name := range names {
			name = strings.Trim(name, " ")
			if seen[key(name)] {
				continue
			}
			seen[key(name)] = true
			if checkName(name, false) != nil {
				invalid = append(invalid, name)
				continue
			}
			err := deleteParameter(ctx, tx, name)
			switch {
			case errors.Is(err, ErrNotFound):
				invalid = append(invalid, name)
			case err != nil:
				return err
			default:
				deleted = append(deleted, name)
			}
		}
		return nil
	})
	return deleted, invalid, err
}
