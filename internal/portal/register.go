package portal

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/web"
)

// Registering with a practice's letter (/patient/register): the account
// ID, linkage key and practice ODS code from the letter, the person's
// surname and date of birth, and the password they choose. Nobody is
// signed in, so the form has the sign-in page's protections: a
// double-submit CSRF token and a throttle per address (on top of the
// invitation's own limit of five failures, identity.Redeem). Every
// refusal reads the same, whichever part was wrong, and every attempt is
// audited; a success names the patient whose record the account reaches.

// registerThrottle allows a burst of tries per address in 15 minutes.
const registerThrottle = 10

type registerPage struct {
	page
	AccountID, Key, ODS, Surname string
	Day, Month, Year             string
	// Username is the account made (the page then says how to sign in).
	Username string
	Proxy    bool
}

func (pt *Portal) registerBase(w http.ResponseWriter, r *http.Request) *registerPage {
	return &registerPage{page: page{Page: web.Page{Title: "Register with your letter", Home: "/patient/", CSRF: web.PublicCSRF(w, r)}}}
}

func (pt *Portal) registerForm(w http.ResponseWriter, r *http.Request) {
	pt.pages.Render(w, "register", http.StatusOK, pt.registerBase(w, r))
}

func (pt *Portal) register(w http.ResponseWriter, r *http.Request) {
	p := pt.registerBase(w, r)
	f := r.PostFormValue
	p.AccountID, p.Key, p.ODS, p.Surname = strings.TrimSpace(f("account-id")), strings.TrimSpace(f("key")), strings.TrimSpace(f("ods")), strings.TrimSpace(f("surname"))
	p.Day, p.Month, p.Year = f("birth-day"), f("birth-month"), f("birth-year")
	now := pt.opts.Now()
	switch {
	case !web.PublicCSRFOK(r):
		p.AddError("account-id", "The form expired: please try again")
		pt.pages.Render(w, "register", http.StatusBadRequest, p)
		return
	case !pt.registerLimit.Allow(r, now):
		pt.auditRegister(r, nil, http.StatusTooManyRequests, "registration throttled for this address")
		p.AddError("account-id", "Too many attempts from this device: wait 15 minutes and try again")
		pt.pages.Render(w, "register", http.StatusTooManyRequests, p)
		return
	}
	for _, field := range []struct{ id, value, msg string }{
		{"account-id", p.AccountID, "Enter the account ID from your letter"},
		{"key", p.Key, "Enter the linkage key from your letter"},
		{"ods", p.ODS, "Enter the practice ODS code from your letter"},
		{"surname", p.Surname, "Enter your last name"},
	} {
		if field.value == "" {
			p.AddError(field.id, field.msg)
		}
	}
	birth, msg := clinical.ParseDay(p.Day, p.Month, p.Year, "your date of birth", false)
	if msg != "" {
		p.AddError("birth-day", msg)
	}
	password := f("password")
	switch {
	case len(password) < identity.MinPasswordLength:
		p.AddError("password", "Choose a password of at least 12 characters")
	case password != f("password-again"):
		p.AddError("password-again", "The passwords do not match: type the same password twice")
	}
	if len(p.Errors) > 0 {
		pt.pages.Render(w, "register", http.StatusUnprocessableEntity, p)
		return
	}
	u, inv, err := identity.Redeem(r.Context(), pt.opts.Store, identity.Registration{AccountID: p.AccountID, Key: p.Key, ODS: p.ODS,
		Surname: p.Surname, BirthDate: birth, Password: password}, now)
	if errors.Is(err, identity.ErrInvitation) {
		pt.auditRegister(r, nil, http.StatusUnprocessableEntity, "registration refused for account "+identity.NormalizeAccountID(p.AccountID))
		p.AddError("account-id", "These details do not match a registration letter that can still be used. Check them against your letter. A letter works once, for 28 days: if yours has expired or been used, ask your GP surgery for a new one.")
		pt.pages.Render(w, "register", http.StatusUnprocessableEntity, p)
		return
	}
	if err != nil {
		pt.opts.Logger.Error("registration failed", "error", err)
		pt.message(w, nil, http.StatusInternalServerError, "Sorry, there is a problem with the service", "Try again later. Nothing was changed.")
		return
	}
	pt.auditRegister(r, u, http.StatusCreated, "account registered with a linkage key; patient "+inv.Patient)
	p.Title, p.Username, p.Proxy, p.Key = "Your account is ready", u.ID, inv.Role == auth.RoleProxy, ""
	pt.pages.Render(w, "register", http.StatusCreated, p)
}

// auditRegister records an attempt (u nil: refused).
func (pt *Portal) auditRegister(r *http.Request, u *identity.User, status int, detail string) {
	if pt.opts.Audit == nil {
		return
	}
	e := audit.Event{Interaction: "register", Action: "C", Status: status, Detail: detail, Address: web.ClientAddr(r), Path: r.Method + " " + r.URL.Path}
	if u != nil {
		pr := u.Principal()
		e.Principal, e.Patients = &pr, u.Patients
	} else {
		e.Action = "E"
	}
	pt.opts.Audit.Record(e)
}
