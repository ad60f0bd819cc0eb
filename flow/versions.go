package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/edgecd/edgecd/store"
)

// Published versions and aliases (PublishStateMachineVersion,
// CreateStateMachineAlias, ...). A version is a number that names one
// revision of the machine record (the store keeps every revision, so a
// version runs the definition it was published with); an alias routes
// starts to one or two versions by weight. StartExecution takes the
// machine ARN, a version ARN (<machine ARN>:<n>) or an alias ARN
// (<machine ARN>:<alias>).
//
//	flow.version  <machine ARN>/<math.MaxInt64 - n, 20 digits>   (newest first)
//	flow.alias    <machine ARN>:<alias name>
const (
	kindVersion = "flow.version"
	kindAlias   = "flow.alias"
)

// Errors of versions and aliases.
var (
	ErrResourceNotFound = errors.New("resource not found")
	ErrConflict         = errors.New("conflict")
	ErrInvalidRouting   = errors.New("invalid routing configuration")
)

// MachineVersion is a published version of a machine.
type MachineVersion struct {
	ARN         string    `json:"arn"`
	Machine     string    `json:"machine"`
	Number      int64     `json:"number"`
	Revision    int64     `json:"revision"` // store version of the machine record
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created"`
}

// Route sends Weight percent of an alias's starts to a version.
type Route struct {
	Version string `json:"stateMachineVersionArn"`
	Weight  int    `json:"weight"`
}

// Alias routes starts to versions.
type Alias struct {
	ARN         string    `json:"arn"`
	Machine     string    `json:"machine"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Routing     []Route   `json:"routing"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
}

var aliasName = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,80}$`)

// SplitQualified splits a version or alias ARN into the machine ARN and
// the qualifier ("" for a plain machine ARN).
func SplitQualified(arn string) (machine, qualifier string, err error) {
	i := strings.Index(arn, ":stateMachine:")
	if i < 0 {
		return "", "", fmt.Errorf("%w: %q is not a state machine, version or alias ARN", ErrInvalidArn, arn)
	}
	rest := arn[i+len(":stateMachine:"):]
	name, q, _ := strings.Cut(rest, ":")
	machine = arn[:i] + ":stateMachine:" + name
	if err := CheckMachineARN(machine); err != nil {
		return "", "", err
	}
	if strings.Contains(q, ":") || (q == "" && strings.HasSuffix(rest, ":")) {
		return "", "", fmt.Errorf("%w: %q has more than one qualifier", ErrInvalidArn, arn)
	}
	return machine, q, nil
}

func versionKey(machine string, n int64) string {
	return fmt.Sprintf("%s/%020d", machine, math.MaxInt64-n)
}

// PublishVersion publishes the machine's current revision as a new
// version, or returns the latest version when it already is that revision
// (as the cloud does). A non-zero revision must be the current one.
func (e *Engine) PublishVersion(ctx context.Context, machineARN, description string, revision int64) (MachineVersion, error) {
	var out MachineVersion
	_, err := e.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		r, err := tx.Get(ctx, kindMachine, machineARN)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: %s", ErrMachineNotFound, machineARN)
		}
		if err != nil {
			return err
		}
		if revision != 0 && revision != r.Version {
			return fmt.Errorf("%w: revision %d is not the current revision %d of %s", ErrConflict, revision, r.Version, machineARN)
		}
		m, err := decodeMachine(r)
		if err != nil {
			return err
		}
		kv := txKV(tx)
		if m.LastVersion > 0 && m.PublishedRevision == r.Version {
			body, err := kv.get(ctx, kindVersion, versionKey(machineARN, m.LastVersion))
			if err == nil {
				return json.Unmarshal(body, &out)
			}
			if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		m.LastVersion++
		out = MachineVersion{ARN: machineARN + ":" + strconv.FormatInt(m.LastVersion, 10), Machine: machineARN, Number: m.LastVersion,
			Revision: r.Version, Description: description, Created: e.clock.Now().UTC()}
		// Bumping the counter writes revision r.Version+1, which holds the
		// same definition: publishing again without a change is a no-op.
		m.PublishedRevision = r.Version + 1
		body, err := json.Marshal(&m)
		if err != nil {
			return err
		}
		if _, err := tx.Put(ctx, kindMachine, machineARN, body, r.Version); err != nil {
			return err
		}
		vb, _ := json.Marshal(&out)
		return kv.put(ctx, kindVersion, versionKey(machineARN, out.Number), vb)
	})
	return out, err
}

// Version returns a published version and the machine as it was then.
func (e *Engine) Version(ctx context.Context, versionARN string) (MachineVersion, Machine, error) {
	machine, q, err := SplitQualified(versionARN)
	if err != nil {
		return MachineVersion{}, Machine{}, err
	}
	n, err := strconv.ParseInt(q, 10, 64)
	if err != nil || n < 1 {
		return MachineVersion{}, Machine{}, fmt.Errorf("%w: %q is not a state machine version ARN (<machine ARN>:<number>)", ErrInvalidArn, versionARN)
	}
	body, err := e.kv.get(ctx, kindVersion, versionKey(machine, n))
	if errors.Is(err, store.ErrNotFound) {
		return MachineVersion{}, Machine{}, fmt.Errorf("%w: state machine version %s does not exist", ErrResourceNotFound, versionARN)
	}
	if err != nil {
		return MachineVersion{}, Machine{}, err
	}
	var v MachineVersion
	if err := json.Unmarshal(body, &v); err != nil {
		return MachineVersion{}, Machine{}, err
	}
	r, err := e.st.GetVersion(ctx, kindMachine, machine, v.Revision)
	if err != nil {
		return MachineVersion{}, Machine{}, fmt.Errorf("revision %d of %s: %w", v.Revision, machine, err)
	}
	m, err := decodeMachine(r)
	return v, m, err
}

// Versions lists a machine's versions newest first.
func (e *Engine) Versions(ctx context.Context, machineARN string) ([]MachineVersion, error) {
	recs, err := e.kv.list(ctx, kindVersion, store.Query{Prefix: machineARN + "/"})
	if err != nil {
		return nil, err
	}
	out := make([]MachineVersion, 0, len(recs))
	for _, r := range recs {
		var v MachineVersion
		if err := json.Unmarshal(r.Body, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// DeleteVersion deletes a version no alias routes to; deleting a missing
// version is fine, as on the cloud.
func (e *Engine) DeleteVersion(ctx context.Context, versionARN string) error {
	v, _, err := e.Version(ctx, versionARN)
	if errors.Is(err, ErrResourceNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	aliases, err := e.Aliases(ctx, v.Machine)
	if err != nil {
		return err
	}
	for _, a := range aliases {
		for _, r := range a.Routing {
			if r.Version == v.ARN {
				return fmt.Errorf("%w: alias %s routes to version %s; update or delete the alias first", ErrConflict, a.ARN, v.ARN)
			}
		}
	}
	_, err = e.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := txKV(tx).del(ctx, kindVersion, versionKey(v.Machine, v.Number))
		return err
	})
	return err
}

// checkRouting validates an alias's routing against machine's versions.
func (e *Engine) checkRouting(ctx context.Context, machine string, routes []Route) error {
	if len(routes) < 1 || len(routes) > 2 {
		return fmt.Errorf("%w: an alias routes to one or two versions", ErrInvalidRouting)
	}
	sum := 0
	for i, r := range routes {
		vm, _, err := SplitQualified(r.Version)
		if err != nil {
			return err
		}
		if vm != machine {
			return fmt.Errorf("%w: version %s is not a version of %s", ErrInvalidRouting, r.Version, machine)
		}
		if _, _, err := e.Version(ctx, r.Version); err != nil {
			return err
		}
		if r.Weight < 0 || r.Weight > 100 {
			return fmt.Errorf("%w: weight %d of %s must be 0 to 100", ErrInvalidRouting, r.Weight, r.Version)
		}
		if i == 1 && routes[0].Version == r.Version {
			return fmt.Errorf("%w: the two routes name the same version", ErrInvalidRouting)
		}
		sum += r.Weight
	}
	if sum != 100 {
		return fmt.Errorf("%w: the weights add up to %d, not 100", ErrInvalidRouting, sum)
	}
	return nil
}

// CreateAlias creates an alias of machineARN. Creating the same alias
// again is a no-op; a different one under the same name is ErrConflict.
func (e *Engine) CreateAlias(ctx context.Context, machineARN, name, description string, routes []Route) (Alias, error) {
	if !aliasName.MatchString(name) || strings.Trim(name, "0123456789") == "" {
		return Alias{}, fmt.Errorf("%w: alias name %q must be 1 to 80 of a-z A-Z 0-9 _ . - and not only digits", ErrInvalidName, name)
	}
	if _, err := e.Machine(ctx, machineARN); err != nil {
		return Alias{}, err
	}
	if err := e.checkRouting(ctx, machineARN, routes); err != nil {
		return Alias{}, err
	}
	now := e.clock.Now().UTC()
	a := Alias{ARN: machineARN + ":" + name, Machine: machineARN, Name: name, Description: description, Routing: routes, Created: now, Updated: now}
	_, err := e.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		kv := txKV(tx)
		if body, err := kv.get(ctx, kindAlias, a.ARN); err == nil {
			var old Alias
			json.Unmarshal(body, &old)
			if old.Description == description && sameRoutes(old.Routing, routes) {
				a = old
				return nil
			}
			return fmt.Errorf("%w: alias %s already exists with another configuration", ErrConflict, a.ARN)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		body, _ := json.Marshal(&a)
		return kv.put(ctx, kindAlias, a.ARN, body)
	})
	return a, err
}

func sameRoutes(a, b []Route) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// AliasByARN returns an alias.
func (e *Engine) AliasByARN(ctx context.Context, aliasARN string) (Alias, error) {
	if _, q, err := SplitQualified(aliasARN); err != nil || q == "" {
		return Alias{}, fmt.Errorf("%w: %q is not a state machine alias ARN (<machine ARN>:<alias>)", ErrInvalidArn, aliasARN)
	}
	body, err := e.kv.get(ctx, kindAlias, aliasARN)
	if errors.Is(err, store.ErrNotFound) {
		return Alias{}, fmt.Errorf("%w: alias %s does not exist", ErrResourceNotFound, aliasARN)
	}
	if err != nil {
		return Alias{}, err
	}
	var a Alias
	err = json.Unmarshal(body, &a)
	return a, err
}

// UpdateAlias changes an alias's description and/or routing (nil keeps).
func (e *Engine) UpdateAlias(ctx context.Context, aliasARN string, description *string, routes []Route) (Alias, error) {
	a, err := e.AliasByARN(ctx, aliasARN)
	if err != nil {
		return Alias{}, err
	}
	if routes != nil {
		if err := e.checkRouting(ctx, a.Machine, routes); err != nil {
			return Alias{}, err
		}
		a.Routing = routes
	}
	if description != nil {
		a.Description = *description
	}
	a.Updated = e.clock.Now().UTC()
	_, err = e.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		body, _ := json.Marshal(&a)
		return txKV(tx).put(ctx, kindAlias, a.ARN, body)
	})
	return a, err
}

// DeleteAlias deletes an alias; deleting a missing alias is fine.
func (e *Engine) DeleteAlias(ctx context.Context, aliasARN string) error {
	if _, err := e.AliasByARN(ctx, aliasARN); err != nil {
		if errors.Is(err, ErrResourceNotFound) {
			return nil
		}
		return err
	}
	_, err := e.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := txKV(tx).del(ctx, kindAlias, aliasARN)
		return err
	})
	return err
}

// Aliases lists a machine's aliases by name.
func (e *Engine) Aliases(ctx context.Context, machineARN string) ([]Alias, error) {
	recs, err := e.kv.list(ctx, kindAlias, store.Query{Prefix: machineARN + ":"})
	if err != nil {
		return nil, err
	}
	out := make([]Alias, 0, len(recs))
	for _, r := range recs {
		var a Alias
		if err := json.Unmarshal(r.Body, &a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// resolveStart turns the ARN StartExecution was given into the machine,
// the revision to run (0: the latest) and the version and alias ARNs the
// execution reports.
func (e *Engine) resolveStart(ctx context.Context, arn string) (*startReq, error) {
	machine, q, err := SplitQualified(arn)
	if err != nil {
		return nil, err
	}
	req := &startReq{machine: machine}
	if q == "" {
		return req, nil
	}
	versionARN := arn
	if _, err := strconv.ParseInt(q, 10, 64); err != nil {
		a, err := e.AliasByARN(ctx, arn)
		if err != nil {
			return nil, err
		}
		req.aliasARN = a.ARN
		versionARN = a.Routing[0].Version
		if len(a.Routing) == 2 && e.jitter()*100 >= float64(a.Routing[0].Weight) {
			versionARN = a.Routing[1].Version
		}
	}
	v, _, err := e.Version(ctx, versionARN)
	if err != nil {
		return nil, err
	}
	req.revision, req.versionARN = v.Revision, v.ARN
	return req, nil
}
