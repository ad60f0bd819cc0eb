package cdn

import (
	"sync"
	"testing"
	"time"
)

func headerPolicy(enabled bool) *ContinuousDeploymentPolicyConfig {
	return &ContinuousDeploymentPolicyConfig{
		Enabled: enabled,
		TrafficConfig: &TrafficConfig{
			Type:               SingleHeader,
			SingleHeaderConfig: &ContinuousDeploymentSingleHeaderConfig{Header: "aws-cf-cd-env", Value: "staging"},
		},
	}
}

func weightPolicy(w float64, sticky bool) *ContinuousDeploymentPolicyConfig {
	p := &ContinuousDeploymentPolicyConfig{
		Enabled: true,
		TrafficConfig: &TrafficConfig{
			Type:               SingleWeight,
			SingleWeightConfig: &ContinuousDeploymentSingleWeightConfig{Weight: w},
		},
	}
	if sticky {
		p.TrafficConfig.SingleWeightConfig.SessionStickinessConfig = &SessionStickinessConfig{IdleTTL: 300, MaximumTTL: 600}
	}
	return p
}

func headers(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(n string) string { return m[n] }
}

func TestRouteSingleHeader(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name    string
		policy  *ContinuousDeploymentPolicyConfig
		headers func(string) string
		want    Side
	}{
		{"matching value goes to staging", headerPolicy(true), headers("aws-cf-cd-env", "staging"), Staging},
		{"other value stays on primary", headerPolicy(true), headers("aws-cf-cd-env", "prod"), Primary},
		{"value match is exact", headerPolicy(true), headers("aws-cf-cd-env", "Staging"), Primary},
		{"absent header stays on primary", headerPolicy(true), headers(), Primary},
		{"disabled policy sends everyone to primary", headerPolicy(false), headers("aws-cf-cd-env", "staging"), Primary},
		{"no policy sends everyone to primary", nil, headers("aws-cf-cd-env", "staging"), Primary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, set := Route(tt.policy, Viewer{Header: tt.headers}, now, 0)
			if got != tt.want {
				t.Fatalf("side = %v, want %v", got, tt.want)
			}
			if set {
				t.Fatal("header routing must not set a sticky cookie")
			}
		})
	}
}

func TestRouteSingleWeightDraw(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name   string
		weight float64
		draw   float64
		want   Side
	}{
		{"draw below weight goes to staging", 0.15, 0.149, Staging},
		{"draw at weight stays on primary", 0.15, 0.15, Primary},
		{"draw above weight stays on primary", 0.15, 0.9, Primary},
		{"weight zero never stages", 0, 0, Primary},
		{"weight one always stages", 1, 0.999999, Staging},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, sticky, set := Route(weightPolicy(tt.weight, false), Viewer{}, now, tt.draw)
			if got != tt.want || set {
				t.Fatalf("side = %v sticky = %v (set %v), want %v and no sticky", got, sticky, set, tt.want)
			}
		})
	}
}

func TestRouteStickiness(t *testing.T) {
	issued := time.Unix(1_700_000_000, 0)
	p := weightPolicy(0.15, true)
	tests := []struct {
		name     string
		sticky   *Sticky
		now      time.Time
		draw     float64
		want     Side
		wantKept bool
	}{
		{"new viewer drawn to staging gets a session", nil, issued, 0.01, Staging, false},
		{"staging session kept despite a primary draw", &Sticky{Staging, issued, issued}, issued.Add(299 * time.Second), 0.99, Staging, true},
		{"primary session kept despite a staging draw", &Sticky{Primary, issued, issued}, issued.Add(10 * time.Second), 0.0, Primary, true},
		{"idle for IdleTTL redraws", &Sticky{Staging, issued, issued}, issued.Add(300 * time.Second), 0.99, Primary, false},
		{"active but older than MaximumTTL redraws", &Sticky{Staging, issued, issued.Add(590 * time.Second)}, issued.Add(600 * time.Second), 0.99, Primary, false},
		{"session from the future redraws", &Sticky{Staging, issued.Add(time.Hour), issued.Add(time.Hour)}, issued, 0.99, Primary, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, sticky, set := Route(p, Viewer{Sticky: tt.sticky}, tt.now, tt.draw)
			if got != tt.want {
				t.Fatalf("side = %v, want %v", got, tt.want)
			}
			if !set {
				t.Fatal("a sticky policy must always return session state")
			}
			if sticky.Side != got || !sticky.LastSeen.Equal(tt.now) {
				t.Fatalf("sticky = %+v, want side %v last seen %v", sticky, got, tt.now)
			}
			kept := sticky.Issued.Equal(issued) && tt.sticky != nil && tt.sticky.Issued.Equal(issued)
			if kept != tt.wantKept {
				t.Fatalf("session kept = %v, want %v (issued %v)", kept, tt.wantKept, sticky.Issued)
			}
		})
	}
}

func TestStickyCookieRoundTripAndForgery(t *testing.T) {
	c := StickyCodec{Key: []byte("0123456789abcdef0123456789abcdef")}
	s := Sticky{Side: Staging, Issued: time.Unix(1000, 0), LastSeen: time.Unix(1200, 0)}
	v := c.Encode("E1", s)
	got, ok := c.Decode("E1", v)
	if !ok || got != s {
		t.Fatalf("round trip: %+v %v", got, ok)
	}
	flipped := "0" + v[1:] // claim primary... or any edit of the payload
	tests := []struct {
		name, scope, value string
	}{
		{"edited side", "E1", flipped},
		{"other distribution", "E2", v},
		{"other key", "E1", StickyCodec{Key: []byte("other")}.Encode("E1", s)},
		{"garbage", "E1", "1.2.3"},
		{"empty", "E1", ""},
		{"no signature", "E1", "1.1000.1200."},
		{"bad side", "E1", c.Encode("E1", Sticky{Side: 7})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := c.Decode(tt.scope, tt.value); ok {
				t.Fatalf("forged cookie %q accepted", tt.value)
			}
		})
	}
}

func FuzzStickyDecode(f *testing.F) {
	c := StickyCodec{Key: []byte("k")}
	f.Add("E1", c.Encode("E1", Sticky{Side: Staging, Issued: time.Unix(1, 0), LastSeen: time.Unix(2, 0)}))
	f.Add("E1", "1.2.3.abc")
	f.Add("", "....")
	f.Fuzz(func(t *testing.T, scope, value string) {
		s, ok := c.Decode(scope, value)
		if !ok {
			return
		}
		// Anything accepted must be exactly what we would have minted.
		if c.Encode(scope, s) != value {
			t.Fatalf("accepted a cookie we did not mint: %q", value)
		}
	})
}

// The pooled codec the edge uses signs exactly as a plain one, from many
// goroutines at once.
func TestPooledStickyCodecMatchesPlain(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	plain, pooled := StickyCodec{Key: key}, NewStickyCodec(key)
	s := Sticky{Side: Staging, Issued: time.Unix(1700000000, 0), LastSeen: time.Unix(1700000100, 0)}
	want := plain.Encode("E1", s)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if got := pooled.Encode("E1", s); got != want {
					t.Errorf("pooled %q, plain %q", got, want)
					return
				}
				if _, ok := pooled.Decode("E1", want); !ok {
					t.Error("pooled codec refused a plain codec's cookie")
					return
				}
				if _, ok := pooled.Decode("E2", want); ok {
					t.Error("a cookie of E1 verified for E2")
					return
				}
			}
		}()
	}
	wg.Wait()
}
