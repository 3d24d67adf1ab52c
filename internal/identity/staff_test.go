package identity_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/sqlite"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestStaffAdministration: what a practice admin may do to staff
// accounts, and what each change does to signing in.
func TestStaffAdministration(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		staffAdministration(t, st)
	})
	t.Run("postgres", func(t *testing.T) {
		staffAdministration(t, storetest.OpenPostgres(t)) // skips without GPCLOUD_TEST_POSTGRES
	})
}

func staffAdministration(t *testing.T, st store.Store) {
	ctx := context.Background()
	admin := &identity.User{ID: "admin", Name: "Ann Admin", Role: auth.RolePracticeAdmin, Practice: "org-a"}
	other := &identity.User{ID: "admin-b", Name: "Bob Admin", Role: auth.RolePracticeAdmin, Practice: "org-b"}
	gp := &identity.User{ID: "dr.a", Name: "Dr A", Role: auth.RoleGP, Practice: "org-a"}
	for _, u := range []*identity.User{admin, other, gp} {
		if err := identity.CreateUser(ctx, st, u, "a long enough password"); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()

	// Adding: the practice is the admin's; a patient role is refused;
	// the password returned works.
	nurse := &identity.User{ID: "nurse.b", Name: "Nurse B", Role: auth.RoleNurse, Practice: "org-b"}
	pw, err := identity.AddStaff(ctx, st, admin, nurse)
	if err != nil || len(pw) != 19 || strings.ContainsAny(pw, "01ilIoO") || pw == identity.FirstPassword() {
		t.Fatalf("add staff: %q %v", pw, err)
	}
	if got, _ := identity.GetUser(ctx, st, "nurse.b"); got.Practice != "org-a" || got.TOTPSecret == "" {
		t.Errorf("added to practice %q (want the admin's), second factor %q", got.Practice, got.TOTPSecret)
	}
	if _, err := identity.CheckCredentials(ctx, st, "nurse.b", pw, now); err != nil {
		t.Errorf("the new password does not work: %v", err)
	}
	if _, err := identity.AddStaff(ctx, st, admin, &identity.User{ID: "pat", Role: auth.RolePatient, Patients: []string{"p1"}}); !errors.Is(err, identity.ErrNotStaffRole) {
		t.Errorf("adding a patient account: %v", err)
	}

	cases := []struct {
		name  string
		actor *identity.User
		do    func(actor *identity.User) error
		want  error
	}{
		{"a GP cannot manage staff", gp, func(a *identity.User) error { _, err := identity.SetSuspended(ctx, st, a, "nurse.b", true); return err }, identity.ErrNotAdmin},
		{"another practice's admin cannot", other, func(a *identity.User) error { _, err := identity.SetSuspended(ctx, st, a, "nurse.b", true); return err }, identity.ErrOtherPractice},
		{"an unknown account answers as another practice's", admin, func(a *identity.User) error { _, err := identity.ResetSecondFactor(ctx, st, a, "nobody"); return err }, identity.ErrOtherPractice},
		{"not one's own role", admin, func(a *identity.User) error {
			_, err := identity.SetStaffRole(ctx, st, a, "admin", auth.RoleGP)
			return err
		}, identity.ErrOwnAccount},
		{"not one's own suspension", admin, func(a *identity.User) error { _, err := identity.SetSuspended(ctx, st, a, "admin", true); return err }, identity.ErrOwnAccount},
		{"no patient role", admin, func(a *identity.User) error {
			_, err := identity.SetStaffRole(ctx, st, a, "dr.a", auth.RolePatient)
			return err
		}, identity.ErrNotStaffRole},
		{"role changed", admin, func(a *identity.User) error {
			_, err := identity.SetStaffRole(ctx, st, a, "nurse.b", auth.RoleReceptionist)
			return err
		}, nil},
		{"suspended", admin, func(a *identity.User) error { _, err := identity.SetSuspended(ctx, st, a, "nurse.b", true); return err }, nil},
		{"suspended twice", admin, func(a *identity.User) error { _, err := identity.SetSuspended(ctx, st, a, "nurse.b", true); return err }, identity.ErrAlreadyInState},
	}
	for _, c := range cases {
		if err := c.do(c.actor); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if got, _ := identity.GetUser(ctx, st, "nurse.b"); got.Role != auth.RoleReceptionist || !got.Suspended {
		t.Errorf("after the changes: %+v", got)
	}
	// A suspended account's right password is refused, and says why; a
	// wrong one says no more than for anyone.
	if _, err := identity.CheckCredentials(ctx, st, "nurse.b", pw, now); !errors.Is(err, identity.ErrSuspended) {
		t.Errorf("suspended sign-in: %v", err)
	}
	if _, err := identity.CheckCredentials(ctx, st, "nurse.b", "wrong password!!", now); !errors.Is(err, identity.ErrBadCredentials) {
		t.Errorf("suspended, wrong password: %v", err)
	}
	if _, err := identity.SetSuspended(ctx, st, admin, "nurse.b", false); err != nil {
		t.Fatal(err)
	}
	if _, err := identity.CheckCredentials(ctx, st, "nurse.b", pw, now); err != nil {
		t.Errorf("reinstated sign-in: %v", err)
	}

	// Resetting the second factor: a new secret to enrol, sessions ended.
	before, _ := identity.GetUser(ctx, st, "dr.a")
	cookie, _, err := identity.StartSession(ctx, st, before, now)
	if err != nil {
		t.Fatal(err)
	}
	after, err := identity.ResetSecondFactor(ctx, st, admin, "dr.a")
	if err != nil || after.TOTPSecret == before.TOTPSecret || after.TOTPConfirmed {
		t.Fatalf("reset: %v", err)
	}
	if s, _ := identity.LoadSession(ctx, st, cookie); s != nil {
		t.Error("a session survived the second factor's reset")
	}
	// The operator (command line) may do it to the admin's own account.
	if _, err := identity.OperatorResetSecondFactor(ctx, st, "admin"); err != nil {
		t.Errorf("operator reset: %v", err)
	}
	if _, err := identity.OperatorSetSuspended(ctx, st, "admin", true); err != nil {
		t.Errorf("operator suspend: %v", err)
	}
	if err := identity.CheckAdmin(mustUser(t, st, "admin")); !errors.Is(err, identity.ErrNotAdmin) {
		t.Errorf("a suspended admin still administers: %v", err)
	}
	if _, err := identity.OperatorSetSuspended(ctx, st, "nobody", true); !errors.Is(err, identity.ErrNoUser) {
		t.Errorf("operator, unknown account: %v", err)
	}
	staff, err := identity.PracticeStaff(ctx, st, "org-a")
	if err != nil || len(staff) != 3 {
		t.Errorf("practice staff: %d %v", len(staff), err)
	}
}

func mustUser(t *testing.T, st store.Store, name string) *identity.User {
	t.Helper()
	u, err := identity.GetUser(context.Background(), st, name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
