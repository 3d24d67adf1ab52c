package tokens

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gpcloud/gpcloud/internal/store"
)

// recordKind is the store record kind of signing keys.
const recordKind = "signing-key"

// signingKey is a signing key as stored: the private key in PKCS#8 DER.
// The store holds it in the clear; a production deployment should keep
// the database encrypted at rest (or move keys to a KMS).
type signingKey struct {
	KID     string    `json:"kid"`
	Alg     string    `json:"alg"`
	Created time.Time `json:"created"`
	PKCS8   []byte    `json:"pkcs8"`

	private *ecdsa.PrivateKey
}

// Keys are the signing keys: the newest signs, all live ones verify.
// A key signs for Rotate, then verifies for another Rotate (longer than
// any token lives) before it is dropped.
type Keys struct {
	st     store.Store
	rotate time.Duration
	now    func() time.Time

	// The live keys are cached for signing and verification: reading
	// and parsing them per token would cost more than the request they
	// serve. An unknown key id reloads them (at most every
	// minKeyReload), so another process's new key is found at once.
	mu       sync.Mutex
	cached   []*signingKey
	loadedAt time.Time
}

const (
	keyCacheTTL  = time.Minute
	minKeyReload = 5 * time.Second
)

// DefaultRotation is how long a key signs new tokens.
const DefaultRotation = 30 * 24 * time.Hour

// NewKeys returns the key set kept in st.
func NewKeys(st store.Store, rotate time.Duration) *Keys {
	if rotate <= 0 {
		rotate = DefaultRotation
	}
	return &Keys{st: st, rotate: rotate, now: time.Now}
}

// load returns the live keys, newest first.
func (k *Keys) load(ctx context.Context) ([]*signingKey, error) {
	recs, err := k.st.ListRecords(ctx, recordKind)
	if err != nil {
		return nil, err
	}
	var keys []*signingKey
	for _, r := range recs {
		var sk signingKey
		if err := json.Unmarshal(r.Body, &sk); err != nil {
			return nil, fmt.Errorf("signing key %s: %w", r.ID, err)
		}
		pk, err := x509.ParsePKCS8PrivateKey(sk.PKCS8)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", r.ID, err)
		}
		ec, ok := pk.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("signing key %s: not an ECDSA key", r.ID)
		}
		sk.private = ec
		keys = append(keys, &sk)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Created.After(keys[j].Created) })
	return keys, nil
}

// current returns the key to sign with, creating one when none is younger
// than the rotation period. Two processes rotating at once each add a key;
// both verify, and the newer signs from then on.
func (k *Keys) current(ctx context.Context) (*signingKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	keys, err := k.live(ctx, false)
	if err != nil {
		return nil, err
	}
	if len(keys) > 0 && k.now().Sub(keys[0].Created) < k.rotate {
		return keys[0], nil
	}
	sk, err := k.create(ctx)
	if err != nil {
		return nil, err
	}
	k.cached = append([]*signingKey{sk}, k.cached...)
	return sk, nil
}

// live returns the live keys, newest first, from the cache while it is
// younger than keyCacheTTL; with reload (a key id was not found), from
// the store unless it was read less than minKeyReload ago. The caller
// holds k.mu.
func (k *Keys) live(ctx context.Context, reload bool) ([]*signingKey, error) {
	now := k.now()
	age := now.Sub(k.loadedAt)
	if k.cached == nil || (!reload && age >= keyCacheTTL) || (reload && age >= minKeyReload) {
		keys, err := k.load(ctx)
		if err != nil {
			return nil, err
		}
		k.cached, k.loadedAt = keys, now
	}
	var out []*signingKey
	for _, sk := range k.cached {
		if now.Sub(sk.Created) < 2*k.rotate {
			out = append(out, sk)
		}
	}
	return out, nil
}

func (k *Keys) create(ctx context.Context) (*signingKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	var id [12]byte
	_, _ = rand.Read(id[:])
	now := k.now().UTC()
	sk := &signingKey{KID: base64.RawURLEncoding.EncodeToString(id[:]), Alg: string(jose.ES256), Created: now, PKCS8: der, private: priv}
	body, err := json.Marshal(sk)
	if err != nil {
		return nil, err
	}
	// The key verifies for two rotation periods after it was made: one
	// signing, one while the tokens it signed run out.
	err = k.st.InTx(ctx, func(tx store.Tx) error {
		return tx.InsertRecord(ctx, store.Record{Kind: recordKind, ID: sk.KID, Body: body, Expires: now.Add(2 * k.rotate)})
	})
	if err != nil {
		return nil, fmt.Errorf("store signing key: %w", err)
	}
	return sk, nil
}

// find returns the live key with the id, from the cache when it can.
func (k *Keys) find(ctx context.Context, kid string) (*signingKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, reload := range []bool{false, true} {
		keys, err := k.live(ctx, reload)
		if err != nil {
			return nil, err
		}
		for _, sk := range keys {
			if sk.KID == kid {
				return sk, nil
			}
		}
	}
	return nil, errUnknownKey
}

var errUnknownKey = errors.New("token signed by an unknown key")

// JWKS returns the public keys as a JSON Web Key Set.
func (k *Keys) JWKS(ctx context.Context) (jose.JSONWebKeySet, error) {
	if _, err := k.current(ctx); err != nil {
		return jose.JSONWebKeySet{}, err
	}
	k.mu.Lock()
	keys, err := k.live(ctx, false)
	k.mu.Unlock()
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	var set jose.JSONWebKeySet
	for _, sk := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: &sk.private.PublicKey, KeyID: sk.KID, Algorithm: sk.Alg, Use: "sig"})
	}
	return set, nil
}
