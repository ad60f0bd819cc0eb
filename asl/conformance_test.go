package asl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// corpusCase is one line of testdata/conformance/*.jsonl.
type corpusCase struct {
	Name       string                  `json:"name"`
	Definition json.RawMessage         `json:"definition"`
	DefText    string                  `json:"definitionText"` // for definitions that are not JSON objects
	Input      json.RawMessage         `json:"input"`
	InputText  string                  `json:"inputText"`
	Tasks      map[string][]taskScript `json:"tasks"`
	Random     *float64                `json:"random"`
	Expect     *struct {
		Status        Status          `json:"status"`
		Output        json.RawMessage `json:"output"`
		Error         string          `json:"error"`
		Cause         *string         `json:"cause"`
		CauseContains string          `json:"causeContains"`
		Events        []string        `json:"events"`
	} `json:"expect"`
	ExactOutput string `json:"exactOutput"`
	Invalid     []struct {
		Path string `json:"path"`
		Code string `json:"code"`
	} `json:"invalid"`
}

// taskScript is one scripted answer of a task, used in order; the last one
// repeats. A state without a script echoes its parameters.
type taskScript struct {
	Output     json.RawMessage `json:"output"`
	Error      string          `json:"error"`
	Cause      string          `json:"cause"`
	NoResponse bool            `json:"noResponse"`
	Echo       bool            `json:"echo"`
}

func loadCorpus(t *testing.T) []corpusCase {
	t.Helper()
	files, err := filepath.Glob("testdata/conformance/*.jsonl")
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus files: %v", err)
	}
	var cases []corpusCase
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for n := 1; sc.Scan(); n++ {
			var c corpusCase
			if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
				t.Fatalf("%s:%d: %v", f, n, err)
			}
			c.Name = strings.TrimSuffix(filepath.Base(f), ".jsonl") + "/" + c.Name
			cases = append(cases, c)
		}
	}
	return cases
}

func TestConformanceCorpus(t *testing.T) {
	cases := loadCorpus(t)
	if len(cases) < 300 {
		t.Errorf("the corpus has %d cases; it should keep at least 300", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) { runCase(t, c) })
	}
}

func runCase(t *testing.T, c corpusCase) {
	def := []byte(c.Definition)
	if c.DefText != "" {
		def = []byte(c.DefText)
	}
	d, err := Parse(def)
	if c.Invalid != nil {
		var ve *ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("Parse accepted an invalid definition (err=%v)", err)
		}
		var got, want []string
		for _, p := range ve.Problems {
			got = append(got, p.Path+" "+p.Code)
			if p.Message == "" {
				t.Errorf("problem at %s has no message", p.Path)
			}
		}
		for _, p := range c.Invalid {
			want = append(want, p.Path+" "+p.Code)
		}
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Fatalf("problems:\n got %q\nwant %q\n(%v)", got, want, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	input := c.Input
	if c.InputText != "" {
		input = json.RawMessage(c.InputText)
	}
	used := map[string]int{}
	fn := func(st ScheduleTask) (json.RawMessage, error) {
		script := c.Tasks[st.StateName]
		if len(script) == 0 {
			return st.Parameters, nil
		}
		i := min(used[st.StateName], len(script)-1)
		used[st.StateName]++
		s := script[i]
		switch {
		case s.NoResponse:
			return nil, ErrNoResponse
		case s.Error != "":
			return nil, &TaskError{Name: s.Error, Cause: s.Cause}
		case s.Echo:
			return st.Parameters, nil
		}
		return s.Output, nil
	}
	opts := RunOptions{RoundTrip: true}
	if c.Random != nil {
		r := *c.Random
		opts.Random = func() float64 { return r }
	}
	res, err := Run(d, input, fn, opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	e := c.Expect
	if res.Status != e.Status {
		t.Fatalf("status %s (error %q cause %q), want %s", res.Status, res.Error, res.Cause, e.Status)
	}
	if e.Status == Succeeded && c.ExactOutput == "" {
		want, err := decode(e.Output)
		if err != nil {
			t.Fatalf("bad expected output: %v", err)
		}
		got, _ := decode(res.Output)
		if !equalJSON(got, want) {
			t.Errorf("output %s\n want %s", res.Output, e.Output)
		}
	}
	if c.ExactOutput != "" && string(res.Output) != c.ExactOutput {
		t.Errorf("output %s, want exactly %s", res.Output, c.ExactOutput)
	}
	if e.Error != "" && res.Error != e.Error {
		t.Errorf("error %q (cause %q), want %q", res.Error, res.Cause, e.Error)
	}
	if e.Cause != nil && res.Cause != *e.Cause {
		t.Errorf("cause %q, want %q", res.Cause, *e.Cause)
	}
	if e.CauseContains != "" && !strings.Contains(res.Cause, e.CauseContains) {
		t.Errorf("cause %q does not contain %q", res.Cause, e.CauseContains)
	}
	if e.Events != nil {
		var got []string
		for _, h := range res.History {
			got = append(got, h.Type)
		}
		if !slices.Equal(got, e.Events) {
			t.Errorf("events\n got %q\nwant %q", got, e.Events)
		}
	}
}
