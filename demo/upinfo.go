package demo

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// UpInfoFile is the file in the data directory where `edgecd up` writes
// its UpInfo for scripts, tests and benchmarks.
const UpInfoFile = "up.json"

// UpInfo is what `edgecd up` tells scripts: where viewers and the API are,
// the operator's credentials, and the demo's distributions (primary first).
type UpInfo struct {
	EdgeURL         string           `json:"edge_url"`
	APIURL          string           `json:"api_url"`
	AccessKeyID     string           `json:"access_key_id"`
	SecretAccessKey string           `json:"secret_access_key"`
	Region          string           `json:"region"`
	Distributions   []UpDistribution `json:"distributions"`
}

// UpDistribution is one of the demo's distributions in UpInfo.
type UpDistribution struct {
	ID      string `json:"id"`
	Domain  string `json:"domain"`
	URL     string `json:"url"`
	Staging bool   `json:"staging"`
}

// WriteUpInfo replaces dataDir's up.json with info in one rename, so a
// reader never sees half a file. It is private to the owner: it holds the
// secret key.
func WriteUpInfo(dataDir string, info UpInfo) error {
	body, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dataDir, UpInfoFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(body, '\n'), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// ReadUpInfo reads the up.json of a running (or earlier) `edgecd up`.
func ReadUpInfo(dataDir string) (UpInfo, error) {
	var info UpInfo
	b, err := os.ReadFile(filepath.Join(dataDir, UpInfoFile))
	if err != nil {
		return info, fmt.Errorf("read %s (is `edgecd up --data-dir %s` running?): %w", UpInfoFile, dataDir, err)
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("read %s in %s: %w", UpInfoFile, dataDir, err)
	}
	return info, nil
}
