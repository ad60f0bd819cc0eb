package node

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/edgecd/edgecd/store"
)

// KindAccessKey is the store kind of API access keys (id: access key id).
const KindAccessKey = "iam.accesskey"

// AccessKey is an API credential as stored.
type AccessKey struct {
	AccessKeyID     string            `json:"AccessKeyId"`
	SecretAccessKey string            `json:"SecretAccessKey"`
	UserName        string            `json:"UserName"`
	Account         string            `json:"Account"`
	Policies        []json.RawMessage `json:"Policies,omitempty"` // IAM policy documents
}

// adminPolicy allows everything: the key `up` prints is the operator's.
var adminPolicy = json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)

// EnsureAdminKey returns the operator's key: the given id/secret when set
// (stored, replacing any earlier admin key of that id), else the key created
// by an earlier start, else a new random one.
func EnsureAdminKey(ctx context.Context, st store.Store, account, id, secret string) (AccessKey, error) {
	if id != "" || secret != "" {
		if id == "" || secret == "" {
			return AccessKey{}, errors.New("give both --access-key-id and --secret-access-key, or neither")
		}
		k := AccessKey{AccessKeyID: id, SecretAccessKey: secret, UserName: "admin", Account: account, Policies: []json.RawMessage{adminPolicy}}
		_, err := st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
			body, _ := json.Marshal(k)
			if _, err := tx.Put(ctx, KindAccessKey, id, body, store.AnyVersion); err != nil {
				return err
			}
			_, err := tx.Put(ctx, "iam.admin", "default", []byte(id), store.AnyVersion)
			return err
		})
		return k, err
	}
	if rec, err := st.Get(ctx, "iam.admin", "default"); err == nil {
		krec, err := st.Get(ctx, KindAccessKey, string(rec.Body))
		if err != nil {
			return AccessKey{}, fmt.Errorf("read admin key: %w", err)
		}
		var k AccessKey
		return k, json.Unmarshal(krec.Body, &k)
	} else if !errors.Is(err, store.ErrNotFound) {
		return AccessKey{}, err
	}
	return EnsureAdminKey(ctx, st, account, "AKIA"+randomKey("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16),
		randomKey("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40))
}

func randomKey(alphabet string, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
