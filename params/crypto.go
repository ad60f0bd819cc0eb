package params

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/edgecd/edgecd/store"
)

// keyRecord is the local data key that encrypts SecureString values at rest:
// 32 random bytes for AES-256-GCM, created on first use and kept in the store
// as record ssm.key/default so that every node sharing the store can decrypt.
// Whoever can read the store can read the key; the encryption protects
// values in copies of parameter records (exports, logs, history dumps), not
// against someone holding the whole database. See docs/decisions/0050.
type keyRecord struct {
	Algorithm string `json:"algorithm"`
	Key       []byte `json:"key"`
}

// sealer encrypts and decrypts values with the store's key, loaded once.
type sealer struct {
	st   store.Store
	mu   sync.Mutex
	aead cipher.AEAD
}

func (s *sealer) load(ctx context.Context) (cipher.AEAD, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.aead != nil {
		return s.aead, nil
	}
	rec, err := s.st.Get(ctx, kindKey, idKey)
	if errors.Is(err, store.ErrNotFound) {
		rec, err = s.create(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("load parameter encryption key: %w", err)
	}
	var kr keyRecord
	if err := json.Unmarshal(rec.Body, &kr); err != nil {
		return nil, fmt.Errorf("decode parameter encryption key: %w", err)
	}
	if kr.Algorithm != "AES-256-GCM" || len(kr.Key) != 32 {
		return nil, fmt.Errorf("parameter encryption key has algorithm %q and %d bytes, want AES-256-GCM and 32", kr.Algorithm, len(kr.Key))
	}
	block, err := aes.NewCipher(kr.Key)
	if err != nil {
		return nil, err
	}
	if s.aead, err = cipher.NewGCM(block); err != nil {
		return nil, err
	}
	return s.aead, nil
}

// create writes a new key unless another node got there first, in which
// case the winner's key is read back.
func (s *sealer) create(ctx context.Context) (store.Record, error) {
	kr := keyRecord{Algorithm: "AES-256-GCM", Key: make([]byte, 32)}
	if _, err := rand.Read(kr.Key); err != nil {
		return store.Record{}, err
	}
	body, err := json.Marshal(kr)
	if err != nil {
		return store.Record{}, err
	}
	var rec store.Record
	_, err = s.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		rec, err = tx.Put(ctx, kindKey, idKey, body, store.NotExists)
		return err
	})
	if errors.Is(err, store.ErrConflict) {
		return s.st.Get(ctx, kindKey, idKey)
	}
	return rec, err
}

// aad binds a ciphertext to its parameter and key id, so a sealed value
// copied into another parameter's record does not decrypt.
func aad(k, keyID string) []byte { return []byte("ssm-parameter\x00" + k + "\x00" + keyID) }

func (s *sealer) seal(ctx context.Context, k, keyID, plain string) ([]byte, error) {
	aead, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, []byte(plain), aad(k, keyID)), nil
}

func (s *sealer) open(ctx context.Context, k, keyID string, sealed []byte) (string, error) {
	aead, err := s.load(ctx)
	if err != nil {
		return "", err
	}
	if len(sealed) < aead.NonceSize() {
		return "", fmt.Errorf("sealed value of %q is truncated", k)
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], aad(k, keyID))
	if err != nil {
		return "", fmt.Errorf("decrypt value of %q: %w", k, err)
	}
	return string(plain), nil
}

// ciphertext is how an undecrypted SecureString reads: opaque base64, as the
// cloud returns its KMS ciphertext blob.
func ciphertext(sealed []byte) string { return base64.StdEncoding.EncodeToString(sealed) }
