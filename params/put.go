package params

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"github.com/edgecd/edgecd/store"
)

// PutInput is a PutParameter request. Pointers and empty strings mean "not
// given": on overwrite the parameter keeps what it had.
type PutInput struct {
	Name           string
	Value          string
	Type           Type    // required to create; "" keeps the type on overwrite
	Description    *string // nil keeps the description on overwrite
	KeyID          string  // SecureString only; "" keeps the key, or alias/aws/ssm
	Overwrite      bool
	AllowedPattern *string // nil keeps the pattern on overwrite
	Tags           []Tag   // only when creating
	Tier           Tier    // "" keeps the tier, or Standard
	Policies       string  // JSON array; Advanced tier only
	DataType       string  // "" keeps the data type, or "text"
	User           string  // the caller's ARN, kept as LastModifiedUser
	// ARNPrefix is "arn:aws:ssm:<region>:<account>:parameter/" of the caller,
	// for the documented limit on the ARN's length; "" skips that check.
	ARNPrefix string

	clearPolicies bool
}

// PutResult says which version a PutParameter wrote and in which tier.
type PutResult struct {
	Version int64
	Tier    Tier
}

// Put creates a parameter or, with Overwrite, adds a new version of it.
func (s *Service) Put(ctx context.Context, in PutInput) (PutResult, error) {
	// The cloud strips spaces around a name, and an empty policy list
	// clears the policies.
	in.Name = strings.Trim(in.Name, " ")
	if strings.TrimSpace(in.Policies) == "[]" {
		in.Policies = ""
		in.clearPolicies = true
	}
	if err := checkPut(&in); err != nil {
		return PutResult{}, err
	}
	if in.Type != String && in.Type != StringList {
		// The key is created in a transaction of its own, which must not
		// nest inside the one below (the store has one writer).
		if _, err := s.seal.load(ctx); err != nil {
			return PutResult{}, err
		}
	}
	k := key(in.Name)
	var res PutResult
	err := s.update(ctx, func(ctx context.Context, tx store.Tx) error {
		h, hv, err := readHead(ctx, tx, k)
		exists := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if exists && !in.Overwrite {
			return errorf(ErrAlreadyExists, "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
		}
		var prev *version
		if exists {
			prev = &h.Latest
		} else {
			h = head{Name: in.Name, Oldest: 1, Tags: in.Tags}
		}
		v, err := s.nextVersion(ctx, in, prev)
		if err != nil {
			return err
		}
		if err := dropOldest(ctx, tx, &h, v.Number); err != nil {
			return err
		}
		h.Latest = v
		if err := putJSON(ctx, tx, kindVersion, versionID(k, v.Number), v, store.AnyVersion); err != nil {
			return err
		}
		expect := store.NotExists
		if exists {
			expect = hv
		}
		res = PutResult{Version: v.Number, Tier: v.Tier}
		return putJSON(ctx, tx, kindHead, k, h, expect)
	})
	return res, err
}

// checkPut validates what does not depend on the stored parameter.
func checkPut(in *PutInput) error {
	if err := checkName(in.Name, true); err != nil {
		return err
	}
	if in.ARNPrefix != "" {
		if err := checkARNLen(in.ARNPrefix, in.Name); err != nil {
			return err
		}
	}
	if in.Type != "" && !in.Type.valid() {
		return errorf(ErrInvalid, "1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]", in.Type)
	}
	switch in.Tier {
	case "", Standard, Advanced, IntelligentTiering:
	default:
		return errorf(ErrInvalid, "1 validation error detected: Value '%s' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Standard, Advanced, Intelligent-Tiering]", in.Tier)
	}
	if len(in.Tags) > 0 && in.Overwrite {
		return errorf(ErrInvalid, "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
	}
	if in.Value == "" {
		return errorf(ErrInvalid, "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(in.Value) > MaxAdvancedValue {
		return errorf(ErrInvalid, "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to %d", MaxAdvancedValue)
	}
	if nested.MatchString(in.Value) {
		return errorf(ErrInvalid, `Parameter value can't nest another parameter. Do not use "{{}}" in the value.`)
	}
	if in.Description != nil && len(*in.Description) > 1024 {
		return errorf(ErrInvalid, "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1024")
	}
	if in.AllowedPattern != nil && len(*in.AllowedPattern) > 1024 {
		return errorf(ErrInvalid, "1 validation error detected: Value at 'allowedPattern' failed to satisfy constraint: Member must have length less than or equal to 1024")
	}
	if in.KeyID != "" && !validKeyID(in.KeyID) {
		return errorf(ErrInvalidKeyID, "Invalid keyId %s: use a key id, a key ARN, alias/<name> or an alias ARN.", in.KeyID)
	}
	for _, t := range in.Tags {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
			return errorf(ErrInvalid, "Tag key %q must have 1 to 128 characters and its value at most 256", t.Key)
		}
	}
	return nil
}

// nested finds a reference to another parameter, which values may not hold.
var nested = regexp.MustCompile(`\{\{.*\}\}`)

var keyIDForm = regexp.MustCompile(`^(alias/[a-zA-Z0-9/_-]+|[0-9a-fA-F-]{36}|mrk-[0-9a-fA-F]{32}|arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:(key/[a-zA-Z0-9-]+|alias/[a-zA-Z0-9/_-]+))$`)

func validKeyID(id string) bool { return len(id) <= 256 && keyIDForm.MatchString(id) }

// nextVersion builds the version a Put writes, inheriting from prev (the
// current version) what the request leaves out.
func (s *Service) nextVersion(ctx context.Context, in PutInput, prev *version) (version, error) {
	v := version{Number: 1, Type: in.Type, KeyID: in.KeyID, DataType: in.DataType, Policies: in.Policies,
		Modified: s.now().UTC(), User: in.User}
	if in.Description != nil {
		v.Description = *in.Description
	}
	if in.AllowedPattern != nil {
		v.AllowedPattern = *in.AllowedPattern
	}
	if prev != nil {
		v.Number = prev.Number + 1
		if v.Type == "" {
			v.Type = prev.Type
		}
		if v.Type != prev.Type && strings.Contains(key(in.Name), "/") {
			return version{}, errorf(ErrHierarchyTypeMismatch, "Parameter Store does not support changing a parameter type in a hierarchy: %s is a %s, not a %s. Delete it and create it again, or use a new name.", in.Name, prev.Type, v.Type)
		}
		if in.Description == nil {
			v.Description = prev.Description
		}
		if in.AllowedPattern == nil {
			v.AllowedPattern = prev.AllowedPattern
		}
		if v.DataType == "" {
			v.DataType = prev.DataType
		}
		if v.KeyID == "" && v.Type == SecureString && prev.Type == SecureString {
			v.KeyID = prev.KeyID
		}
		if in.Policies == "" && !in.clearPolicies {
			v.Policies = prev.Policies
		}
	}
	if v.Type == "" {
		return version{}, errorf(ErrInvalid, "A parameter type is required when you create a parameter: use String, StringList or SecureString.")
	}
	if v.DataType == "" {
		v.DataType = "text"
	}
	if err := checkValue(&v, in.Value); err != nil {
		return version{}, err
	}
	tier, err := pickTier(in.Tier, prev, len(in.Value), v.Policies != "")
	if err != nil {
		return version{}, err
	}
	v.Tier = tier
	if v.Type != SecureString {
		if in.KeyID != "" {
			return version{}, errorf(ErrInvalid, "KeyId is required for SecureString type parameter only.")
		}
		v.Value = in.Value
		return v, nil
	}
	if v.KeyID == "" {
		v.KeyID = DefaultKeyID
	}
	sealed, err := s.seal.seal(ctx, key(in.Name), v.KeyID, in.Value)
	if err != nil {
		return version{}, err
	}
	v.Sealed = sealed
	return v, nil
}

// checkValue applies the data type, the allowed pattern and the policies.
func checkValue(v *version, value string) error {
	switch v.DataType {
	case "text", "aws:ssm:integration":
	case "aws:ec2:image":
		if v.Type != String {
			return errorf(ErrInvalid, "The data type aws:ec2:image is only supported for String parameters.")
		}
		if !amiID.MatchString(value) {
			return errorf(ErrInvalid, "Parameter value %q is not a valid AMI ID: use the form ami-12345abcdeEXAMPLE", value)
		}
	default:
		return errorf(ErrInvalid, "The following data type is not supported: %s (Data type names are all lowercase.)", v.DataType)
	}
	if v.AllowedPattern != "" {
		// The cloud matches the whole value (Java's Pattern.matches), so the
		// pattern is anchored here; Go's RE2 syntax covers the usual subset.
		re, err := regexp.Compile(`^(?:` + v.AllowedPattern + `)$`)
		if err != nil {
			return errorf(ErrInvalidAllowedPattern, "The allowed pattern %q is not a valid regular expression: %v", v.AllowedPattern, err)
		}
		if !re.MatchString(value) {
			return errorf(ErrPatternMismatch, "Parameter value, cannot be validated against allowedPattern: %s", v.AllowedPattern)
		}
	}
	if v.Policies != "" {
		var ps []struct {
			Type string `json:"Type"`
		}
		if err := json.Unmarshal([]byte(v.Policies), &ps); err != nil || len(ps) == 0 {
			return errorf(ErrInvalid, "Policies must be a JSON array of parameter policies, each with a Type")
		}
		for _, p := range ps {
			switch p.Type {
			case "Expiration", "ExpirationNotification", "NoChangeNotification":
			default:
				return errorf(ErrInvalid, "Unsupported parameter policy type %q: use Expiration, ExpirationNotification or NoChangeNotification", p.Type)
			}
		}
	}
	return nil
}

var amiID = regexp.MustCompile(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)

// pickTier resolves the requested tier against the current one and the
// value's size. An advanced parameter never goes back to standard.
func pickTier(want Tier, prev *version, size int, policies bool) (Tier, error) {
	wasAdvanced := prev != nil && prev.Tier == Advanced
	tier := want
	switch want {
	case "":
		tier = Standard
		if wasAdvanced {
			tier = Advanced
		}
	case IntelligentTiering:
		tier = Standard
		if wasAdvanced || size > MaxStandardValue || policies {
			tier = Advanced
		}
	case Standard:
		if wasAdvanced {
			return "", errorf(ErrInvalid, "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.")
		}
	}
	if tier == Standard && size > MaxStandardValue {
		return "", errorf(ErrInvalid, "Standard tier parameters support a maximum parameter value of %d characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.", MaxStandardValue)
	}
	if tier == Standard && policies {
		return "", errorf(ErrInvalid, "Standard tier parameters don't support parameter policies. Use the Advanced tier to attach policies.")
	}
	return tier, nil
}

// dropOldest makes room for version n: a parameter keeps MaxVersions
// versions, and the oldest goes unless a label still points at it.
func dropOldest(ctx context.Context, tx store.Tx, h *head, n int64) error {
	if n-h.Oldest+1 <= MaxVersions {
		return nil
	}
	if labels := h.labelsOf(h.Oldest); len(labels) > 0 {
		return errorf(ErrMaxVersions, "You attempted to create a new version of %s by calling the PutParameter API with the overwrite flag. Version %d, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.", h.Name, h.Oldest)
	}
	if err := tx.Delete(ctx, kindVersion, versionID(key(h.Name), h.Oldest), store.AnyVersion); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	h.Oldest++
	return nil
}
