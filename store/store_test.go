package store

import (
	"errors"
	"testing"
)

func TestNextRecordNumbersVersionsAndStampsCreation(t *testing.T) {
	const created, now = "then", "now"
	tests := []struct {
		name        string
		cur, expect int64
		wantVersion int64
		wantCreated string
		wantErr     error
	}{
		{"first write", 0, NotExists, 1, now, nil},
		{"first write, any version", 0, AnyVersion, 1, now, nil},
		{"overwrite keeps creation", 3, 3, 4, created, nil},
		{"overwrite any version", 3, AnyVersion, 4, created, nil},
		{"re-create after delete continues versions", -4, NotExists, 5, now, nil},
		{"exists already", 2, NotExists, 0, created, ErrConflict},
		{"stale version", 3, 2, 0, created, ErrConflict},
		{"expected version of a deleted record", -4, 4, 0, created, ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, c, err := NextRecord("dist", "E1", tt.cur, tt.expect, created, now)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if v != tt.wantVersion || c != tt.wantCreated {
				t.Errorf("got version %d created %q, want %d %q", v, c, tt.wantVersion, tt.wantCreated)
			}
		})
	}
}

func TestCheckDeleteNeedsALiveRecordAtTheExpectedVersion(t *testing.T) {
	tests := []struct {
		name        string
		cur, expect int64
		wantErr     error
	}{
		{"any version", 2, AnyVersion, nil},
		{"expected version", 2, 2, nil},
		{"stale version", 2, 1, ErrConflict},
		{"never written", 0, AnyVersion, ErrNotFound},
		{"already deleted", -3, AnyVersion, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckDelete("dist", "E1", tt.cur, tt.expect); !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}
