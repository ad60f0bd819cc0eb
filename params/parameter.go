package params

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Type is a parameter's type.
type Type string

// Parameter types.
const (
	String       Type = "String"
	StringList   Type = "StringList"
	SecureString Type = "SecureString"
)

func (t Type) valid() bool { return t == String || t == StringList || t == SecureString }

// Tier is a parameter's tier, which bounds the size of its value.
type Tier string

// Tiers. IntelligentTiering is only a request: the parameter becomes
// Standard or Advanced depending on what it needs.
const (
	Standard           Tier = "Standard"
	Advanced           Tier = "Advanced"
	IntelligentTiering Tier = "Intelligent-Tiering"
)

// Value size limits per tier, in bytes.
const (
	MaxStandardValue = 4096
	MaxAdvancedValue = 8192
)

// DefaultKeyID is the key a SecureString uses when the caller names none.
const DefaultKeyID = "alias/aws/ssm"

// Tag is a resource tag given when a parameter is created.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Parameter is one version of a parameter as callers see it. Which fields
// are set depends on the call: Get fills Value and Selector, Describe leaves
// Value empty, History adds Labels.
type Parameter struct {
	Name           string
	Type           Type
	Value          string // plaintext, or for an undecrypted SecureString the base64 ciphertext
	Version        int64
	Selector       string // ":3" or ":label" when the caller asked by selector
	DataType       string
	KeyID          string // SecureString only
	Description    string
	AllowedPattern string
	Tier           Tier
	Policies       string // JSON array as given, Advanced tier only
	Modified       time.Time
	User           string // who wrote this version (an ARN)
	Labels         []string
}

// version is one stored version of a parameter. A SecureString keeps only
// its ciphertext.
type version struct {
	Number         int64     `json:"number"`
	Type           Type      `json:"type"`
	Value          string    `json:"value,omitempty"`
	Sealed         []byte    `json:"sealed,omitempty"`
	DataType       string    `json:"dataType"`
	KeyID          string    `json:"keyId,omitempty"`
	Description    string    `json:"description,omitempty"`
	AllowedPattern string    `json:"allowedPattern,omitempty"`
	Tier           Tier      `json:"tier"`
	Policies       string    `json:"policies,omitempty"`
	Modified       time.Time `json:"modified"`
	User           string    `json:"user,omitempty"`
}

// head is the current state of a parameter: its latest version, the oldest
// version still kept, and where its labels point. One record per parameter
// keeps GetParameter and listings to one read each; every version is also a
// record of its own (kindVersion) so history reads do not load all values.
type head struct {
	Name   string           `json:"name"` // as it was first created
	Latest version          `json:"latest"`
	Oldest int64            `json:"oldest"`
	Labels map[string]int64 `json:"labels,omitempty"`
	Tags   []Tag            `json:"tags,omitempty"`
}

// Store kinds and ids. Names never contain '#', so "<key>#<version>" keeps
// one parameter's versions together and in order under the prefix "<key>#".
const (
	kindHead    = "ssm.parameter"
	kindVersion = "ssm.parameter.version"
	kindKey     = "ssm.key"
	idKey       = "default"
)

func versionID(k string, n int64) string { return fmt.Sprintf("%s#%019d", k, n) }

// MaxVersions is how many versions a parameter keeps; older unlabelled
// versions are dropped as new ones arrive.
const MaxVersions = 100

// MaxLabelsPerVersion bounds the labels on one version.
const MaxLabelsPerVersion = 10

func (h *head) labelsOf(n int64) []string {
	var out []string
	for l, v := range h.Labels {
		if v == n {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

func decodeHead(body []byte) (head, error) {
	var h head
	if err := json.Unmarshal(body, &h); err != nil {
		return head{}, fmt.Errorf("decode parameter record: %w", err)
	}
	return h, nil
}

func decodeVersion(body []byte) (version, error) {
	var v version
	if err := json.Unmarshal(body, &v); err != nil {
		return version{}, fmt.Errorf("decode parameter version record: %w", err)
	}
	return v, nil
}
