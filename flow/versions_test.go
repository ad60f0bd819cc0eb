package flow

import (
	"errors"
	"strings"
	"testing"
)

const (
	defV1 = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"v1","End":true}}}`
	defV2 = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"v2","End":true}}}`
)

func TestVersionsRunTheDefinitionTheyPublished(t *testing.T) {
	h := newHarness(t, Options{})
	m := h.machine("site", defV1)
	v1, err := h.e.PublishVersion(h.ctx, m, "first", 0)
	if err != nil {
		t.Fatal(err)
	}
	if v1.ARN != m+":1" || v1.Number != 1 {
		t.Fatalf("first version %+v", v1)
	}
	// Publishing again without a change returns the same version.
	if again, err := h.e.PublishVersion(h.ctx, m, "", 0); err != nil || again.ARN != v1.ARN {
		t.Fatalf("republish: %+v %v", again, err)
	}
	d := defV2
	if _, err := h.e.UpdateMachine(h.ctx, m, MachineUpdate{Definition: &d}); err != nil {
		t.Fatal(err)
	}
	v2, err := h.e.PublishVersion(h.ctx, m, "second", 0)
	if err != nil || v2.ARN != m+":2" {
		t.Fatalf("second version %+v %v", v2, err)
	}
	if _, err := h.e.PublishVersion(h.ctx, m, "", 1); !errors.Is(err, ErrConflict) {
		t.Fatalf("publishing a stale revision: %v, want ErrConflict", err)
	}
	x := h.wait(h.start(v1.ARN, "old", `{}`).ARN)
	jsonEqual(t, x.Output, `"v1"`)
	if x.VersionARN != v1.ARN {
		t.Fatalf("execution version %q", x.VersionARN)
	}
	jsonEqual(t, h.wait(h.start(m, "latest", `{}`).ARN).Output, `"v2"`)
	vs, err := h.e.Versions(h.ctx, m)
	if err != nil || len(vs) != 2 || vs[0].Number != 2 || vs[1].Description != "first" {
		t.Fatalf("versions newest first: %+v %v", vs, err)
	}
	if _, err := h.e.Start(h.ctx, m+":9", "", nil); !errors.Is(err, ErrResourceNotFound) {
		t.Fatalf("unknown version: %v", err)
	}
}

func TestAliasRoutesByWeight(t *testing.T) {
	var draw float64
	h := newHarness(t, Options{Jitter: func() float64 { return draw }})
	m := h.machine("site", defV1)
	v1, _ := h.e.PublishVersion(h.ctx, m, "", 0)
	d := defV2
	h.e.UpdateMachine(h.ctx, m, MachineUpdate{Definition: &d})
	v2, _ := h.e.PublishVersion(h.ctx, m, "", 0)

	bad := []struct {
		name   string
		routes []Route
	}{
		{"weights not 100", []Route{{v1.ARN, 50}, {v2.ARN, 40}}},
		{"same version twice", []Route{{v1.ARN, 50}, {v1.ARN, 50}}},
		{"three routes", []Route{{v1.ARN, 50}, {v2.ARN, 50}, {v2.ARN, 0}}},
		{"another machine's version", []Route{{MachineARN(testRegion, testAccount, "other") + ":1", 100}}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := h.e.CreateAlias(h.ctx, m, "prod", "", tt.routes); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if _, err := h.e.CreateAlias(h.ctx, m, "123", "", []Route{{v1.ARN, 100}}); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("numeric alias name: %v", err)
	}
	a, err := h.e.CreateAlias(h.ctx, m, "prod", "canary", []Route{{v1.ARN, 90}, {v2.ARN, 10}})
	if err != nil {
		t.Fatal(err)
	}
	draw = 0.5 // below 0.90: the first route
	x := h.wait(h.start(a.ARN, "a", `{}`).ARN)
	jsonEqual(t, x.Output, `"v1"`)
	if x.AliasARN != a.ARN || x.VersionARN != v1.ARN {
		t.Fatalf("execution alias %q version %q", x.AliasARN, x.VersionARN)
	}
	draw = 0.95
	jsonEqual(t, h.wait(h.start(a.ARN, "b", `{}`).ARN).Output, `"v2"`)

	if err := h.e.DeleteVersion(h.ctx, v1.ARN); !errors.Is(err, ErrConflict) {
		t.Fatalf("deleting a routed version: %v", err)
	}
	if _, err := h.e.UpdateAlias(h.ctx, a.ARN, nil, []Route{{v2.ARN, 100}}); err != nil {
		t.Fatal(err)
	}
	if err := h.e.DeleteVersion(h.ctx, v1.ARN); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.Start(h.ctx, v1.ARN, "", nil); !errors.Is(err, ErrResourceNotFound) {
		t.Fatalf("deleted version: %v", err)
	}
	if err := h.e.DeleteAlias(h.ctx, a.ARN); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.AliasByARN(h.ctx, a.ARN); !errors.Is(err, ErrResourceNotFound) {
		t.Fatalf("deleted alias: %v", err)
	}
}

// FuzzSplitQualified: any ARN a client sends splits into a valid machine
// ARN and a qualifier without a colon, or is refused.
func FuzzSplitQualified(f *testing.F) {
	for _, s := range []string{
		"arn:aws:states:us-east-1:123456789012:stateMachine:site",
		"arn:aws:states:us-east-1:123456789012:stateMachine:site:3",
		"arn:aws:states:us-east-1:123456789012:stateMachine:site:prod",
		"arn:aws:states:us-east-1:123456789012:stateMachine:site:",
		"arn:aws:states:us-east-1:123456789012:stateMachine::",
		":stateMachine:",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arn string) {
		machine, q, err := SplitQualified(arn)
		if err != nil {
			return
		}
		if CheckMachineARN(machine) != nil || strings.Contains(q, ":") {
			t.Fatalf("%q split into %q and %q", arn, machine, q)
		}
		if q == "" && machine != arn || q != "" && machine+":"+q != arn {
			t.Fatalf("%q split into %q and %q, which do not make it up", arn, machine, q)
		}
	})
}
