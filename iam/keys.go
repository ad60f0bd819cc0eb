package iam

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/edgecd/edgecd/store"
)

// KindAccessKey is the store kind of access keys (id: the access key id).
const KindAccessKey = "iam.accesskey"

// Key is an access key with its owner's policies.
type Key struct {
	AccessKeyID     string   `json:"AccessKeyId"`
	SecretAccessKey string   `json:"SecretAccessKey"`
	UserName        string   `json:"UserName"`
	Account         string   `json:"Account"`
	Policies        []Policy `json:"Policies,omitempty"`
}

// ARN is the key owner's ARN.
func (k Key) ARN() string { return "arn:aws:iam::" + k.Account + ":user/" + k.UserName }

// KeyStore finds keys; a missing key is an *AuthError of kind ErrUnknownKey.
type KeyStore interface {
	LookupKey(ctx context.Context, accessKeyID string) (Key, error)
}

// StaticKeys is a fixed set of keys by access key id, for verifying
// requests without a store (tests, tools).
type StaticKeys map[string]Key

// Keys returns the StaticKeys holding ks.
func Keys(ks ...Key) StaticKeys {
	m := make(StaticKeys, len(ks))
	for _, k := range ks {
		m[k.AccessKeyID] = k
	}
	return m
}

// LookupKey implements KeyStore.
func (s StaticKeys) LookupKey(_ context.Context, id string) (Key, error) {
	if k, ok := s[id]; ok {
		return k, nil
	}
	return Key{}, authErr(ErrUnknownKey, "the access key id %s does not exist in our records", id)
}

// StoreKeys keeps keys in the durable store.
type StoreKeys struct{ St store.Store }

// LookupKey implements KeyStore.
func (s StoreKeys) LookupKey(ctx context.Context, id string) (Key, error) {
	rec, err := s.St.Get(ctx, KindAccessKey, id)
	if errors.Is(err, store.ErrNotFound) {
		return Key{}, authErr(ErrUnknownKey, "the access key id %s does not exist in our records", id)
	}
	if err != nil {
		return Key{}, err
	}
	var k Key
	if err := json.Unmarshal(rec.Body, &k); err != nil {
		return Key{}, fmt.Errorf("decode key %s: %w", id, err)
	}
	return k, nil
}

// PutKey stores a key (replacing one with the same id).
func (s StoreKeys) PutKey(ctx context.Context, k Key) error {
	body, err := json.Marshal(k)
	if err != nil {
		return err
	}
	_, err = s.St.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Put(ctx, KindAccessKey, k.AccessKeyID, body, store.AnyVersion)
		return err
	})
	return err
}

// NewKeyPair returns a random access key id and secret in AWS's shapes.
func NewKeyPair() (id, secret string) {
	return "AKIA" + random("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
		random("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40)
}

func random(alphabet string, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
