package demo

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestUpInfoRoundTripAndKeys(t *testing.T) {
	dir := t.TempDir()
	want := UpInfo{EdgeURL: "http://127.0.0.1:8080", APIURL: "http://127.0.0.1:8081", AccessKeyID: "AKID", SecretAccessKey: "secret", Region: "us-east-1",
		Distributions: []UpDistribution{{ID: "E1", Domain: "d1.edgecd.localhost", URL: "http://d1.edgecd.localhost:8080/"}, {ID: "E2", Domain: "d2.edgecd.localhost", Staging: true}}}
	if err := WriteUpInfo(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadUpInfo(dir)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("read back %+v, %v; want %+v", got, err, want)
	}
	st, err := os.Stat(filepath.Join(dir, UpInfoFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("up.json mode %v (%v), want 0600: it holds the secret key", st.Mode().Perm(), err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, UpInfoFile))
	for _, key := range []string{`"edge_url"`, `"api_url"`, `"access_key_id"`, `"secret_access_key"`, `"region"`, `"distributions"`, `"id"`, `"domain"`, `"staging"`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("up.json lacks %s:\n%s", key, b)
		}
	}
	if _, err := ReadUpInfo(t.TempDir()); err == nil || !strings.Contains(err.Error(), "edgecd up --data-dir") {
		t.Fatalf("missing up.json: %v, want a hint to run edgecd up", err)
	}
}
