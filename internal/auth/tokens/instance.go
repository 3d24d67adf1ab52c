package tokens

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/gpcloud/gpcloud/internal/store"
)

// instanceKind names the record holding the instance's identity.
const instanceKind, instanceID = "instance", "id"

// ForStore returns the authority of the gpcloud instance whose data is
// st. Its tokens name the instance (urn:gpcloud:<random id>, made on
// first use and kept in the store) as issuer and audience, so a token
// from `gpcloud admin token` works against any server on the same data,
// whatever URL it is reached by, and a token of another gpcloud
// instance is refused for its audience.
func ForStore(ctx context.Context, st store.Store) (*Authority, error) {
	id, err := instanceURN(ctx, st)
	if err != nil {
		return nil, err
	}
	return NewAuthority(NewKeys(st, 0), id, id), nil
}

func instanceURN(ctx context.Context, st store.Store) (string, error) {
	rec, err := st.GetRecord(ctx, instanceKind, instanceID)
	if err == nil {
		return string(rec.Body), nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	urn := "urn:gpcloud:" + hex.EncodeToString(b)
	err = st.InTx(ctx, func(tx store.Tx) error {
		return tx.InsertRecord(ctx, store.Record{Kind: instanceKind, ID: instanceID, Body: []byte(urn)})
	})
	if errors.Is(err, store.ErrConflict) { // another process made it first
		rec, err := st.GetRecord(ctx, instanceKind, instanceID)
		if err != nil {
			return "", err
		}
		return string(rec.Body), nil
	}
	if err != nil {
		return "", fmt.Errorf("instance identity: %w", err)
	}
	return urn, nil
}
