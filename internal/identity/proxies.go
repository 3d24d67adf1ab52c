package identity

import (
	"context"
	"slices"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/store"
)

// ProxiesOf returns the proxy accounts linked to a patient (those whose
// Patients name it), by name: the people the practice decides online
// access for on the patient's proxies page.
func ProxiesOf(ctx context.Context, st store.Store, patientID string) ([]*User, error) {
	return AccountsOf(ctx, st, patientID, auth.RoleProxy)
}

// AccountsOf returns the accounts of a role (patient or proxy) that
// reach a patient, by name.
func AccountsOf(ctx context.Context, st store.Store, patientID string, role auth.Role) ([]*User, error) {
	users, err := ListUsers(ctx, st)
	if err != nil {
		return nil, err
	}
	var out []*User
	for _, u := range users {
		if u.Role == role && slices.Contains(u.Patients, patientID) {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b *User) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, nil
}
