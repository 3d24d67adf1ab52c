package store

import (
	"context"
	"errors"
)

// TakeRecord reads and deletes a one-time record (an authorization code,
// a refresh token, a sign-in's state) in one transaction, so that two
// requests racing with the same one cannot both have it. ok is false
// when there is none (or it expired).
func TakeRecord(ctx context.Context, st Store, kind, id string) (rec Record, ok bool, err error) {
	err = st.InTx(ctx, func(tx Tx) error {
		var err error
		if rec, err = tx.GetRecord(ctx, kind, id); err != nil {
			return err
		}
		return tx.DeleteRecord(ctx, kind, id)
	})
	if errors.Is(err, ErrNotFound) {
		return Record{}, false, nil
	}
	return rec, err == nil, err
}
