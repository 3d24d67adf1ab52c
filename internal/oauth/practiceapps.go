package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/gpcloud/gpcloud/internal/store"
)

// A practice chooses which of the registered apps its staff may use (the
// practice admin's Apps page): registering an app (gpcloud admin client
// add) makes it known to the server; a practice allowing it lets its
// staff open it from a record and grant it access. Nothing is allowed
// until the practice allows it. Patients' own apps are not the
// practice's choice and are not limited by this list.

const practiceAppsKind = "practice-apps"

// ErrAppNotAllowed: the practice has not allowed the app.
var ErrAppNotAllowed = errors.New("your practice has not allowed this app: ask your practice admin")

// AllowedApps returns the ids of the apps a practice allows, sorted.
func AllowedApps(ctx context.Context, r store.Reader, practice string) ([]string, error) {
	rec, err := r.GetRecord(ctx, practiceAppsKind, practice)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	if err := json.Unmarshal(rec.Body, &ids); err != nil {
		return nil, fmt.Errorf("apps of practice %s: %w", practice, err)
	}
	return ids, nil
}

// AppAllowed reports whether a practice allows an app.
func AppAllowed(ctx context.Context, r store.Reader, practice, clientID string) (bool, error) {
	ids, err := AllowedApps(ctx, r, practice)
	return slices.Contains(ids, clientID), err
}

// AllowApp adds a registered app to a practice's list. A system client
// (a backend service with no user) is not an app staff open: refused.
func AllowApp(ctx context.Context, st store.Store, practice, clientID string) error {
	return changeApps(ctx, st, practice, func(tx store.Tx, ids []string) ([]string, error) {
		c, err := LookupClient(ctx, tx, clientID)
		if err != nil {
			return nil, err
		}
		if c.Kind == KindSystem {
			return nil, fmt.Errorf("%s is a backend service, not an app staff open", clientID)
		}
		if slices.Contains(ids, clientID) {
			return ids, nil
		}
		ids = append(ids, clientID)
		slices.Sort(ids)
		return ids, nil
	})
}

// RevokeApp takes an app off a practice's list: its staff can no longer
// open it or grant it access.
func RevokeApp(ctx context.Context, st store.Store, practice, clientID string) error {
	return changeApps(ctx, st, practice, func(_ store.Tx, ids []string) ([]string, error) {
		return slices.DeleteFunc(ids, func(id string) bool { return id == clientID }), nil
	})
}

func changeApps(ctx context.Context, st store.Store, practice string, change func(store.Tx, []string) ([]string, error)) error {
	if practice == "" {
		return errors.New("no practice")
	}
	return st.InTx(ctx, func(tx store.Tx) error {
		ids, err := AllowedApps(ctx, tx, practice)
		if err != nil {
			return err
		}
		if ids, err = change(tx, ids); err != nil {
			return err
		}
		body, _ := json.Marshal(ids)
		return tx.PutRecord(ctx, store.Record{Kind: practiceAppsKind, ID: practice, Body: body})
	})
}
