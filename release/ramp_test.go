package release

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestValidateSteps(t *testing.T) {
	tests := []struct {
		name  string
		steps []float64
		want  string // in the error; "" = valid
	}{
		{"the defaults", DefaultRampSteps(), ""},
		{"one step straight to everyone", []float64{1}, ""},
		{"steps within CloudFront's cap", []float64{0.01, 0.05, 0.15}, ""},
		{"no steps", nil, "at least one weight"},
		{"a zero weight routes nobody", []float64{0, 0.5}, "step 1: weight 0 must be greater than 0"},
		{"a negative weight", []float64{-0.1}, "must be greater than 0 and at most 1"},
		{"a percentage given as a fraction", []float64{5, 25}, "step 1: weight 5 must be greater than 0 and at most 1"},
		{"above everyone", []float64{0.5, 1.5}, "step 2: weight 1.5"},
		{"NaN", []float64{math.NaN()}, "must be greater than 0"},
		{"going down", []float64{0.5, 0.25}, "step 2: weight 0.25 must be greater than the step before it (0.5)"},
		{"standing still", []float64{0.25, 0.25}, "step 2: weight 0.25 must be greater"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateSteps(tt.steps)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("ValidateSteps(%v) = %v, want nil", tt.steps, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("ValidateSteps(%v) = %v, want an error with %q", tt.steps, err, tt.want)
			}
		})
	}
}

func TestParseSteps(t *testing.T) {
	tests := []struct {
		in   string
		want []float64
		err  string
	}{
		{"0.05,0.25,0.5,1", []float64{0.05, 0.25, 0.5, 1}, ""},
		{" 0.1 , 0.5 ,1 ", []float64{0.1, 0.5, 1}, ""},
		{"5%,25%, 100%", []float64{0.05, 0.25, 1}, ""},
		{"", nil, `step 1: "" is not a weight`},
		{"0.1,,1", nil, `step 2: "" is not a weight`},
		{"0.1,half", nil, `step 2: "half" is not a weight`},
		{"%", nil, `step 1: "%" is not a weight`},
		{"50,100", nil, "weight 50 must be greater than 0 and at most 1"},
		{"1,0.5", nil, "must be greater than the step before it"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSteps(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseSteps(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("ParseSteps(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			for i := range got {
				if math.Abs(got[i]-tt.want[i]) > 1e-12 {
					t.Fatalf("ParseSteps(%q) = %v, want %v", tt.in, got, tt.want)
				}
			}
		})
	}
}

// FuzzParseSteps: whatever a user types, ParseSteps either refuses it or
// returns weights a ramp can walk.
func FuzzParseSteps(f *testing.F) {
	f.Add("0.05,0.25,0.5,1")
	f.Fuzz(func(t *testing.T, s string) {
		steps, err := ParseSteps(s)
		if err != nil {
			if steps != nil {
				t.Fatalf("ParseSteps(%q) returned %v with its error %v", s, steps, err)
			}
			return
		}
		if err := ValidateSteps(steps); err != nil {
			t.Fatalf("ParseSteps(%q) = %v, which ValidateSteps refuses: %v", s, steps, err)
		}
	})
}

func TestPercent(t *testing.T) {
	for w, want := range map[float64]string{0.05: "5%", 0.15: "15%", 0.125: "12.5%", 1: "100%", 0.001: "0.1%"} {
		if got := percent(w); got != want {
			t.Errorf("percent(%g) = %q, want %q", w, got, want)
		}
	}
}

func TestRampRefusesBeforeCallingTheAPI(t *testing.T) {
	// An endpoint nothing listens on: any API call would fail differently.
	c := clientFor("http://127.0.0.1:1")
	if _, err := c.Ramp(context.Background(), "E1", RampOptions{Steps: []float64{0.5, 0.1}}); err == nil || !strings.Contains(err.Error(), "greater than the step before it") {
		t.Fatalf("descending steps: err = %v", err)
	}
	if _, err := clientFor("").Ramp(context.Background(), "E1", RampOptions{Analyze: &AnalyzeOptions{}}); !errors.Is(err, ErrNoMetrics) {
		t.Fatalf("an analysed ramp on the real CloudFront: err = %v, want ErrNoMetrics", err)
	}
}
