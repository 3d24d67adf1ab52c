package workspace

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/identity"
)

// The patient's own online access, on the record's Online access tab
// beside the proxies: how much of the record the portal shows them (the
// practice's level and prospective access, clinical.RecordAccessOf), the
// accounts that reach the record with how each holder proved who they
// are (identity_proof.go), and the registration letters printed
// (invitations.go). A level is one Consent per patient, each change a
// new version written If-Match the version shown.

// accessPanel is that part of the proxies page.
type accessPanel struct {
	Setting *clinical.RecordAccessSetting
	// Default is what applies with no setting, for a holder proven to a
	// high level with an account made today.
	Default clinical.RecordScope
	Levels  []clinical.Choice
	// The form: after an error, what was typed.
	Level, FromDay, FromMonth, FromYear string
	Version                             string
	Accounts                            []accountRow
	Invitations                         []invitationRow
	// Saved says what was just saved: "access", "proof".
	Saved string
}

// accountRow is an account that reaches the patient.
type accountRow struct {
	Username, Name, Proof string
	Proxy                 bool
}

// ProofLabel is how the holder proved who they are, in words.
func (a accountRow) ProofLabel() string { return proofLabel(a.Proof) }

func proofLabel(p string) string {
	switch p {
	case "P9":
		return "NHS login, high level (P9)"
	case "P5", "P0":
		return "NHS login, " + p + " (not enough for the record)"
	case "vouched":
		return "Vouched for by the practice"
	case "photo-id":
		return "Photo ID seen at the practice"
	}
	return "Not recorded (not enough for the record)"
}

// fillAccess reads the patient's access panel: the setting among the
// patient's Consents, their accounts and letters.
func (ws *Workspace) fillAccess(ctx context.Context, p *proxiesPage, patientID, birth string, consents []fhir.Resource, now time.Time) error {
	a := &p.Access
	a.Levels = clinical.RecordLevels
	a.Setting = clinical.RecordAccessSettingOf(consents)
	a.Default = clinical.RecordAccessOf(clinical.RecordAccessInput{Proof: "P9", BirthDate: birth, AccountCreated: now}, now)
	a.Level = clinical.RecordNone
	if a.Setting != nil {
		a.Level, a.Version = a.Setting.Level, a.Setting.Version
		if !a.Setting.From.IsZero() {
			f := a.Setting.From.In(clinical.UKTime)
			a.FromDay, a.FromMonth, a.FromYear = strconv.Itoa(f.Day()), strconv.Itoa(int(f.Month())), strconv.Itoa(f.Year())
		}
	} else if !a.Default.None() {
		a.Level = a.Default.Level
	}
	users, err := identity.AccountsOf(ctx, ws.opts.Store, patientID, auth.RolePatient)
	if err != nil {
		return err
	}
	for _, u := range users {
		a.Accounts = append(a.Accounts, accountRow{Username: u.ID, Name: u.Name, Proof: u.IdentityProof})
	}
	for _, row := range p.Proxies {
		a.Accounts = append(a.Accounts, accountRow{Username: row.Username, Name: row.Name, Proof: row.Proof, Proxy: true})
	}
	invs, err := identity.InvitationsOf(ctx, ws.opts.Store, patientID)
	if err != nil {
		return err
	}
	for _, inv := range invs {
		a.Invitations = append(a.Invitations, invitationRowOf(inv, now))
	}
	return nil
}

// setRecordAccess records the practice's level for the patient.
func (ws *Workspace) setRecordAccess(w http.ResponseWriter, r *http.Request, v *visit) {
	p, _, _, ok := ws.accessWrite(w, r, v)
	if !ok {
		return
	}
	a := &p.Access
	a.Level, a.FromDay, a.FromMonth, a.FromYear = r.PostFormValue("level"), r.PostFormValue("from-day"), r.PostFormValue("from-month"), r.PostFormValue("from-year")
	if r.PostFormValue("version") != a.Version {
		p.Conflict = true
		ws.pages.Render(w, "proxies", http.StatusConflict, p)
		return
	}
	from, msg := clinical.ParseDay(a.FromDay, a.FromMonth, a.FromYear, "the date new entries are shown from", true)
	c := clinical.RecordAccessChange{Level: a.Level, From: from}
	errs := c.Check()
	if msg != "" {
		errs["from-day"] = msg
	}
	if len(errs) > 0 {
		for _, f := range []string{"level-" + clinical.RecordNone, "from-day"} {
			if e := errs[f]; e != "" {
				p.AddError(f, e)
			}
		}
		ws.pages.Render(w, "proxies", http.StatusUnprocessableEntity, p)
		return
	}
	var current fhir.Resource
	if a.Setting != nil {
		var err error
		if current, err = ws.read(r.Context(), "Consent", a.Setting.ID); err != nil {
			ws.failed(w, r, v, err)
			return
		}
	}
	res := c.Resource(current, p.Banner.ID, v.user.Practice, ws.opts.Now())
	id := ""
	if a.Setting != nil {
		id = a.Setting.ID
	}
	if !ws.saveConsent(w, r, v, p, id, a.Version, res) {
		return
	}
	http.Redirect(w, r, "/workspace/patients/"+p.Banner.ID+"/proxies?saved=access#record-access", http.StatusSeeOther)
}
