package identity

import (
	"context"
	"encoding/base32"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/store"
	"github.com/gpcloud/gpcloud/internal/store/storetest"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batterx": false, "": false} {
		if ok, err := CheckPassword(h, pw); err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v", pw, ok, err)
		}
	}
	if _, err := HashPassword("short"); err == nil {
		t.Error("a short password was accepted")
	}
	if _, err := CheckPassword("$bcrypt$x", "y"); err == nil {
		t.Error("a foreign hash format was read")
	}
}

// TestTOTPVectors uses RFC 6238's SHA-1 test vectors (their last six digits).
func TestTOTPVectors(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	for unix, want := range map[int64]string{59: "287082", 1111111109: "081804", 1111111111: "050471", 1234567890: "005924", 2000000000: "279037"} {
		got, err := TOTPCode(secret, unix/30)
		if err != nil || got != want {
			t.Errorf("T=%d: %s, want %s (%v)", unix, got, want, err)
		}
	}
}

func openStore(t testing.TB) store.Store { return storetest.OpenSQLite(t) }

func TestSignInLockoutAndReplay(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	u := &User{ID: "Dr.Who@Practice.NHS.uk", Name: "Dr Who", Role: auth.RoleGP, Practice: "org-a"}
	if err := CreateUser(ctx, st, u, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	if err := CreateUser(ctx, st, &User{ID: "dr.who@practice.nhs.uk", Role: auth.RoleGP, Practice: "org-a"}, "another long password"); err == nil {
		t.Fatal("a username was taken twice (case differs)")
	}
	now := time.Now()
	got, err := CheckCredentials(ctx, st, "DR.WHO@practice.nhs.uk", "a long enough password", now)
	if err != nil || !got.NeedsSecondFactor() {
		t.Fatalf("sign in: %+v %v", got, err)
	}
	if _, err := CheckCredentials(ctx, st, "nobody", "whatever password", now); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("unknown user: %v", err)
	}
	code, _ := TOTPCode(got.TOTPSecret, TOTPStep(now))
	if _, err := CheckCode(ctx, st, u.ID, code, now); err != nil {
		t.Fatalf("code: %v", err)
	}
	if _, err := CheckCode(ctx, st, u.ID, code, now); !errors.Is(err, ErrBadCode) {
		t.Fatalf("replayed code: %v", err)
	}
	// Five failures in a row (the replayed code was the first) lock the
	// account, even against the right password.
	for i := 0; i < 3; i++ {
		if _, err := CheckCredentials(ctx, st, u.ID, "wrong password here", now); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if _, err := CheckCredentials(ctx, st, u.ID, "wrong password here", now); !errors.Is(err, ErrLocked) {
		t.Fatalf("fifth failure: %v", err)
	}
	if _, err := CheckCredentials(ctx, st, u.ID, "a long enough password", now); !errors.Is(err, ErrLocked) {
		t.Fatalf("locked account accepted: %v", err)
	}
	if _, err := CheckCredentials(ctx, st, u.ID, "a long enough password", now.Add(lockFor+time.Second)); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
}

func TestSessions(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	u := &User{ID: "pat", Role: auth.RolePatient, Patients: []string{"p1"}}
	cookie, s, err := StartSession(ctx, st, u, time.Now())
	if err != nil || !s.Verified {
		t.Fatalf("%+v %v", s, err)
	}
	got, err := LoadSession(ctx, st, cookie)
	if err != nil || got == nil || got.User != "pat" || got.CSRF != s.CSRF {
		t.Fatalf("load: %+v %v", got, err)
	}
	if err := got.End(ctx, st); err != nil {
		t.Fatal(err)
	}
	if got, _ := LoadSession(ctx, st, cookie); got != nil {
		t.Fatal("an ended session loads")
	}
	if got, _ := LoadSession(ctx, st, "forged"); got != nil {
		t.Fatal("a forged cookie loads")
	}
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		_, _ = HashPassword("a long enough password")
	}
}

// FuzzCheckPassword: the PHC string parser never panics and refuses what
// it cannot read.
func FuzzCheckPassword(f *testing.F) {
	h, _ := HashPassword("a long enough password")
	for _, s := range []string{h, "$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA", "$argon2id$", "", "$bcrypt$x$y$z$w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, encoded string) {
		// Cap the cost parameters a fuzzed string may ask for.
		if strings.Contains(encoded, "m=") && !strings.Contains(encoded, "m=1,") {
			return
		}
		_, _ = CheckPassword(encoded, "pw")
	})
}
