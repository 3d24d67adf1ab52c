package identity

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

// TestInvitations: a letter's account registers once with its key,
// surname, date of birth and ODS code; any part wrong is the same
// refusal and counts a failure; five failures withdraw it; an expired or
// spent letter registers nobody; the key is not stored. SQLite and
// PostgreSQL.
func TestInvitations(t *testing.T) {
	for name, open := range map[string]func(testing.TB) store.Store{"sqlite": storetest.OpenSQLite, "postgres": storetest.OpenPostgres} {
		t.Run(name, func(t *testing.T) { testInvitations(t, open(t)) })
	}
}

func testInvitations(t *testing.T, st store.Store) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	invite := func(role auth.Role) (*Invitation, string) {
		inv := &Invitation{Role: role, Patient: "p1", Name: "Jane O'Brien", Practice: "org1", ODS: "A12345", CreatedBy: "gp@test"}
		key, err := CreateInvitation(ctx, st, inv, "O'Brien", "1980-02-03", now)
		if err != nil {
			t.Fatal(err)
		}
		return inv, key
	}
	inv, key := invite(auth.RolePatient)
	if len(inv.ID) != 10 || len(key) != 16 || strings.Contains(inv.Check, key) {
		t.Fatalf("invitation %+v key %q", inv, key)
	}
	rec, _ := st.GetRecord(ctx, invitationKind, inv.ID)
	if strings.Contains(string(rec.Body), key) || strings.Contains(strings.ToUpper(string(rec.Body)), "OBRIEN") {
		t.Fatal("the key or the surname is stored")
	}
	good := Registration{AccountID: inv.ID, Key: strings.ToLower(FormatKey(key)), ODS: "a12345", Surname: "o brien", BirthDate: "1980-02-03", Password: "a long enough password"}
	wrong := []Registration{good, good, good, good}
	wrong[0].Key = "AAAA-AAAA-AAAA-AAAA"
	wrong[1].Surname = "Smith"
	wrong[2].BirthDate = "1980-02-04"
	wrong[3].ODS = "B12345"
	var msgs []string
	for _, w := range wrong {
		_, _, err := Redeem(ctx, st, w, now)
		if !errors.Is(err, ErrInvitation) {
			t.Fatalf("wrong details: %v", err)
		}
		msgs = append(msgs, err.Error())
	}
	for _, m := range msgs[1:] {
		if m != msgs[0] {
			t.Fatal("the refusal says which part failed")
		}
	}
	if _, _, err := Redeem(ctx, st, good, now.Add(InvitationLife)); !errors.Is(err, ErrInvitation) {
		t.Fatalf("expired: %v", err)
	}
	u, used, err := Redeem(ctx, st, good, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != inv.ID || u.Role != auth.RolePatient || u.FHIRUser != "Patient/p1" || u.IdentityProof != "" || used.Used.IsZero() {
		t.Fatalf("account %+v", u)
	}
	if got, err := CheckCredentials(ctx, st, inv.ID, "a long enough password", now.Add(2*time.Hour)); err != nil || got.ID != inv.ID {
		t.Fatalf("sign in with the new account: %v", err)
	}
	if _, _, err := Redeem(ctx, st, good, now.Add(2*time.Hour)); !errors.Is(err, ErrInvitation) {
		t.Fatalf("used twice: %v", err)
	}

	// Five failures withdraw a proxy's letter, even for the right details.
	pinv, pkey := invite(auth.RoleProxy)
	pgood := Registration{AccountID: pinv.ID, Key: pkey, ODS: "A12345", Surname: "O'Brien", BirthDate: "1980-02-03", Password: "a long enough password"}
	bad := pgood
	bad.Key = "AAAAAAAAAAAAAAAA"
	for range MaxInvitationFailures {
		if _, _, err := Redeem(ctx, st, bad, now); !errors.Is(err, ErrInvitation) {
			t.Fatal(err)
		}
	}
	if _, _, err := Redeem(ctx, st, pgood, now); !errors.Is(err, ErrInvitation) {
		t.Fatalf("withdrawn after failures: %v", err)
	}
	pinv2, pkey2 := invite(auth.RoleProxy)
	pu, _, err := Redeem(ctx, st, Registration{AccountID: pinv2.ID, Key: pkey2, ODS: "A12345", Surname: "OBRIEN", BirthDate: "1980-02-03", Password: "a long enough password"}, now)
	if err != nil || pu.Role != auth.RoleProxy || pu.FHIRUser != "" || pu.Patients[0] != "p1" {
		t.Fatalf("proxy account %+v: %v", pu, err)
	}
	list, err := InvitationsOf(ctx, st, "p1")
	if err != nil || len(list) != 3 {
		t.Fatalf("%d invitations: %v", len(list), err)
	}

	// The practice records photo ID seen; never on another patient's
	// account, and NHS login's P9 is not cleared by the practice.
	if _, err := SetIdentityProof(ctx, st, pu.ID, "p2", "photo-id"); !errors.Is(err, ErrNoUser) {
		t.Fatalf("another patient's proxy: %v", err)
	}
	if got, err := SetIdentityProof(ctx, st, pu.ID, "p1", "photo-id"); err != nil || got.IdentityProof != "photo-id" {
		t.Fatalf("photo ID: %+v %v", got, err)
	}
	if _, err := SetIdentityProof(ctx, st, pu.ID, "p1", "P9"); err == nil {
		t.Fatal("the practice recorded P9")
	}
}

// TestLinkExternalKeepsPracticeProof: an NHS login sign-in at P5 does
// not undo the practice's photo ID check; P9 replaces it.
func TestLinkExternalKeepsPracticeProof(t *testing.T) {
	ctx := context.Background()
	st := storetest.OpenSQLite(t)
	u, err := LinkExternal(ctx, st, "https://login", "sub1", "p1", "Jo", "P5")
	if err != nil || u.IdentityProof != "P5" {
		t.Fatalf("%+v %v", u, err)
	}
	if _, err := SetIdentityProof(ctx, st, u.ID, "p1", "photo-id"); err != nil {
		t.Fatal(err)
	}
	if u, _ = LinkExternal(ctx, st, "https://login", "sub1", "p1", "Jo", "P5"); u.IdentityProof != "photo-id" {
		t.Fatalf("a P5 sign-in undid the practice's check: %q", u.IdentityProof)
	}
	if u, _ = LinkExternal(ctx, st, "https://login", "sub1", "p1", "Jo", "P9"); u.IdentityProof != "P9" {
		t.Fatalf("P9: %q", u.IdentityProof)
	}
}

// FuzzRegistration: whatever is typed, Redeem answers an error or an
// account for exactly the letter's ID, never panics.
func FuzzRegistration(f *testing.F) {
	st := storetest.OpenSQLite(f)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	inv := &Invitation{Role: auth.RolePatient, Patient: "p1", Name: "A", Practice: "o", ODS: "A1"}
	if _, err := CreateInvitation(ctx, st, inv, "Smith", "1980-01-01", now); err != nil {
		f.Fatal(err)
	}
	f.Add(inv.ID, "ABCD-EFGH", "A1", "Smith", "1980-01-01")
	f.Add("", "", "", "", "")
	f.Add("12 34", "\x00", "ü", "O'Brien-Ñ", "9999-99-99")
	f.Fuzz(func(t *testing.T, id, key, ods, surname, birth string) {
		u, _, err := Redeem(ctx, st, Registration{AccountID: id, Key: key, ODS: ods, Surname: surname, BirthDate: birth, Password: "a long enough password"}, now)
		if err == nil && u.ID != inv.ID {
			t.Fatalf("registered %q", u.ID)
		}
	})
}
