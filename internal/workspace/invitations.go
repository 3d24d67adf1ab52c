package workspace

import (
	"net/http"
	"strings"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
)

// Registration letters (the national "linkage key" letter), printed from
// the patient's Online access tab: for the patient, or for a proxy whose
// access the practice decides in the same form (basis and services: the
// proxy grant is written first, naming the letter's account ID, so the
// account can never exist without the practice's decision). The letter
// shows the account ID, the one-time linkage key (only now: it is kept
// only as a hash, identity.CreateInvitation) and the practice's ODS
// code; the person registers at /patient/register.

// invitationRow is a letter as the tab lists it.
type invitationRow struct {
	AccountID, Name, Kind, Created, Status string
}

func invitationRowOf(inv identity.Invitation, now time.Time) invitationRow {
	day := func(t time.Time) string { return t.In(clinical.UKTime).Format("2 January 2006") }
	row := invitationRow{AccountID: inv.ID, Name: inv.Name, Kind: "Patient", Created: day(inv.Created)}
	if inv.Role == auth.RoleProxy {
		row.Kind = "Proxy"
	}
	switch {
	case !inv.Used.IsZero():
		row.Status = "Registered " + day(inv.Used)
	case inv.Failures >= identity.MaxInvitationFailures:
		row.Status = "Withdrawn after too many wrong tries"
	case !now.Before(inv.Expires):
		row.Status = "Expired " + day(inv.Expires)
	default:
		row.Status = "Waiting: works until " + day(inv.Expires)
	}
	return row
}

// invitePanel is what the proxy-invitation form was filled with.
type invitePanel struct {
	Name, Surname, Day, Month, Year, Basis string
	Services                               []string
}

// letterPage is the printable letter.
type letterPage struct {
	page
	For, Practice, ODS, AccountID, Key, Expires, Address string
	Proxy                                                bool
	PatientName                                          string
}

// invite prints a registration letter for the patient or a proxy.
func (ws *Workspace) invite(w http.ResponseWriter, r *http.Request, v *visit) {
	p, birth, _, ok := ws.accessWrite(w, r, v)
	if !ok {
		return
	}
	if clinical.OnlineAccessClosed(*p.Banner) != "" {
		ws.message(w, r, v, http.StatusUnprocessableEntity, "Online access closed", "This patient has died or is no longer registered here, so no registration letter can be printed.")
		return
	}
	org, err := ws.read(r.Context(), "Organization", v.user.Practice)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	ods := odsOf(org)
	if ods == "" {
		ws.message(w, r, v, http.StatusUnprocessableEntity, "No ODS code recorded", "The practice's ODS code is printed on every registration letter. Record it in Practice admin first.")
		return
	}
	now := ws.opts.Now()
	inv := &identity.Invitation{Patient: p.Banner.ID, Practice: v.user.Practice, ODS: ods, CreatedBy: v.user.ID}
	var surname, birthDate string
	if r.PostFormValue("for") == "proxy" {
		f := &p.Invite
		f.Name, f.Surname, f.Basis, f.Services = strings.TrimSpace(r.PostFormValue("invite-name")), strings.TrimSpace(r.PostFormValue("invite-surname")), r.PostFormValue("basis"), r.PostForm["service"]
		f.Day, f.Month, f.Year = r.PostFormValue("invite-birth-day"), r.PostFormValue("invite-birth-month"), r.PostFormValue("invite-birth-year")
		if f.Name == "" {
			p.AddError("invite-name", "Enter the proxy's full name")
		}
		if f.Surname == "" {
			p.AddError("invite-surname", "Enter the proxy's last name, as they will type it")
		}
		var msg string
		if birthDate, msg = clinical.ParseDay(f.Day, f.Month, f.Year, "the proxy's date of birth", false); msg != "" {
			p.AddError("invite-birth-day", msg)
		}
		grant := clinical.GrantChange{Do: "grant", Basis: f.Basis, Services: f.Services}
		errs := grant.Check(birth, now)
		if e := errs["basis-"+clinical.BasisParent]; e != "" {
			p.AddError("invite-basis-"+clinical.BasisParent, e)
		}
		if e := errs["service-"+clinical.ServiceAppointments]; e != "" {
			p.AddError("invite-service-"+clinical.ServiceAppointments, e)
		}
		if len(p.Errors) > 0 {
			ws.pages.Render(w, "proxies", http.StatusUnprocessableEntity, p)
			return
		}
		if inv.ID, err = identity.NewAccountID(r.Context(), ws.opts.Store); err != nil {
			ws.failed(w, r, v, err)
			return
		}
		// The grant first: an account this letter makes is never without
		// the practice's decision (no grant would be read as parental
		// responsibility).
		if _, err := ws.opts.Service.Create(r.Context(), "Consent", grant.Resource(nil, p.Banner.ID, v.user.Practice, inv.ID, f.Name, "", now), ""); err != nil {
			ws.failed(w, r, v, err)
			return
		}
		inv.Role, inv.Name, surname = auth.RoleProxy, f.Name, f.Surname
	} else {
		res, err := ws.read(r.Context(), "Patient", p.Banner.ID)
		if err != nil {
			ws.failed(w, r, v, err)
			return
		}
		surname, birthDate = clinical.FamilyName(res), birth
		if surname == "" || birthDate == "" {
			ws.message(w, r, v, http.StatusUnprocessableEntity, "Name or date of birth missing", "A registration letter needs the patient's last name and date of birth on the record: the patient types them to register.")
			return
		}
		inv.Role, inv.Name = auth.RolePatient, clinical.PlainName(res, p.Banner.Name)
	}
	key, err := identity.CreateInvitation(r.Context(), ws.opts.Store, inv, surname, birthDate, now)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	lp := &letterPage{page: ws.recordBase(v, "Registration letter", proxiesTab, p.Banner), For: inv.Name, Practice: ws.practiceName(r.Context(), v),
		ODS: ods, AccountID: inv.ID, Key: identity.FormatKey(key), Expires: inv.Expires.In(clinical.UKTime).Format("2 January 2006"),
		Address: scheme + "://" + r.Host + "/patient/register", Proxy: inv.Role == auth.RoleProxy, PatientName: p.Banner.Name}
	ws.pages.Render(w, "invitation-letter", http.StatusCreated, lp)
}

// odsOf is an Organization's ODS code, or "".
func odsOf(org fhir.Resource) string {
	ids, _ := org["identifier"].([]any)
	for _, x := range ids {
		if m, _ := x.(map[string]any); m["system"] == odsSystem {
			if s, _ := m["value"].(string); s != "" {
				return strings.ToUpper(s)
			}
		}
	}
	return ""
}
