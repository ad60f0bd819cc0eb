package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/store"
)

// EnsureAdminKey returns the operator's key: the given id/secret when set
// (stored, with an admin policy), else the key created by an earlier start,
// else a new random one.
func EnsureAdminKey(ctx context.Context, st store.Store, account, id, secret string) (iam.Key, error) {
	keys := iam.StoreKeys{St: st}
	if id != "" || secret != "" {
		if id == "" || secret == "" {
			return iam.Key{}, errors.New("give both --access-key-id and --secret-access-key, or neither")
		}
		k := iam.Key{AccessKeyID: id, SecretAccessKey: secret, UserName: "admin", Account: account, Policies: []iam.Policy{iam.AdminPolicy()}}
		if err := keys.PutKey(ctx, k); err != nil {
			return iam.Key{}, err
		}
		_, err := st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Put(ctx, "iam.admin", "default", []byte(id), store.AnyVersion)
			return err
		})
		return k, err
	}
	if rec, err := st.Get(ctx, "iam.admin", "default"); err == nil {
		k, err := keys.LookupKey(ctx, string(rec.Body))
		if err != nil {
			return iam.Key{}, fmt.Errorf("read admin key: %w", err)
		}
		return k, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return iam.Key{}, err
	}
	id, secret = iam.NewKeyPair()
	return EnsureAdminKey(ctx, st, account, id, secret)
}

// operatorKey is the operator's key that in-process callers (aws-sdk tasks,
// pipeline actions) act with. It is read from the store once per process:
// the key is chosen when the node starts and does not change while it runs.
func (n *Node) operatorKey(ctx context.Context) (iam.Key, error) {
	n.adminMu.Lock()
	defer n.adminMu.Unlock()
	if n.adminKey != nil {
		return *n.adminKey, nil
	}
	k, err := EnsureAdminKey(ctx, n.Store, n.CDN.Account(), "", "")
	if err != nil {
		return iam.Key{}, err
	}
	n.adminKey = &k
	return k, nil
}
