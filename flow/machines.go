package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/store"
)

// Machine types.
const (
	Standard = "STANDARD"
	Express  = "EXPRESS"
)

// CreateMachine validates m.Definition and stores the machine. m.ARN must
// be set (see MachineARN). Creating the same machine again is a no-op, as on
// the cloud; a different one under the same name is ErrMachineExists. A bad
// definition is an *asl.ValidationError listing every problem.
func (e *Engine) CreateMachine(ctx context.Context, m Machine) (Machine, error) {
	if err := CheckName(m.Name); err != nil {
		return Machine{}, err
	}
	if err := CheckMachineARN(m.ARN); err != nil {
		return Machine{}, err
	}
	if m.Type == "" {
		m.Type = Standard
	}
	if _, err := asl.Parse([]byte(m.Definition)); err != nil {
		return Machine{}, err
	}
	m.Created = e.clock.Now().UTC()
	m.Updated = m.Created
	body, err := json.Marshal(&m)
	if err != nil {
		return Machine{}, err
	}
	var out Machine
	_, err = e.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		if r, err := tx.Get(ctx, kindMachine, m.ARN); err == nil {
			old, err := decodeMachine(r)
			if err != nil {
				return err
			}
			if old.Definition == m.Definition && old.RoleArn == m.RoleArn && old.Type == m.Type {
				out = old
				return nil
			}
			return fmt.Errorf("%w: %s", ErrMachineExists, m.ARN)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		r, err := tx.Put(ctx, kindMachine, m.ARN, body, store.NotExists)
		out, out.Version = m, r.Version
		return err
	})
	return out, err
}

// MachineUpdate holds the fields UpdateStateMachine may change; nil leaves
// a field as it is.
type MachineUpdate struct {
	Definition *string
	RoleArn    *string
	Logging    json.RawMessage
	Tracing    json.RawMessage
}

// UpdateMachine changes a machine. Running executions keep the version
// they started with; new ones use the new one.
func (e *Engine) UpdateMachine(ctx context.Context, arn string, u MachineUpdate) (Machine, error) {
	if u.Definition != nil {
		if _, err := asl.Parse([]byte(*u.Definition)); err != nil {
			return Machine{}, err
		}
	}
	var out Machine
	_, err := e.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		r, err := tx.Get(ctx, kindMachine, arn)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: %s", ErrMachineNotFound, arn)
		}
		if err != nil {
			return err
		}
		m, err := decodeMachine(r)
		if err != nil {
			return err
		}
		if u.Definition != nil {
			m.Definition = *u.Definition
		}
		if u.RoleArn != nil {
			m.RoleArn = *u.RoleArn
		}
		if u.Logging != nil {
			m.Logging = u.Logging
		}
		if u.Tracing != nil {
			m.Tracing = u.Tracing
		}
		m.Updated = e.clock.Now().UTC()
		body, err := json.Marshal(&m)
		if err != nil {
			return err
		}
		nr, err := tx.Put(ctx, kindMachine, arn, body, r.Version)
		out, out.Version = m, nr.Version
		return err
	})
	return out, err
}

// Machine returns the current version of a machine.
func (e *Engine) Machine(ctx context.Context, arn string) (Machine, error) {
	r, err := e.st.Get(ctx, kindMachine, arn)
	if errors.Is(err, store.ErrNotFound) {
		return Machine{}, fmt.Errorf("%w: %s", ErrMachineNotFound, arn)
	}
	if err != nil {
		return Machine{}, err
	}
	return decodeMachine(r)
}

// Machines lists machines in ARN order after the ARN after.
func (e *Engine) Machines(ctx context.Context, after string, limit int) ([]Machine, error) {
	recs, err := e.st.List(ctx, kindMachine, store.Query{After: after, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]Machine, 0, len(recs))
	for _, r := range recs {
		m, err := decodeMachine(r)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// DeleteMachine removes a machine. Its executions keep running on the
// version they started with (the store keeps old versions).
func (e *Engine) DeleteMachine(ctx context.Context, arn string) error {
	_, err := e.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		err := tx.Delete(ctx, kindMachine, arn, store.AnyVersion)
		if errors.Is(err, store.ErrNotFound) {
			return nil // deleting twice is fine, as on the cloud
		}
		return err
	})
	return err
}

// MachineForExecution returns the machine version an execution runs.
func (e *Engine) MachineForExecution(ctx context.Context, execARN string) (Machine, error) {
	x, err := e.Execution(ctx, execARN)
	if err != nil {
		return Machine{}, err
	}
	r, err := e.st.GetVersion(ctx, kindMachine, x.Machine, x.MachineVersion)
	if err != nil {
		return Machine{}, fmt.Errorf("machine of %s: %w", execARN, err)
	}
	return decodeMachine(r)
}

func decodeMachine(r store.Record) (Machine, error) {
	var m Machine
	if err := json.Unmarshal(r.Body, &m); err != nil {
		return Machine{}, fmt.Errorf("decode machine %s: %w", r.ID, err)
	}
	m.Version = r.Version
	return m, nil
}
