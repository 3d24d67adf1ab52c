package workspace

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/codes"
	"github.com/gpcloud/gpcloud/internal/fhir"
)

// The record's sections (problems, allergies, immunisations, alerts)
// share this: a page per section listing the patient's entries with an
// add form for those who may write them, actions on a saved entry (end,
// change) that write a new version If-Match the version the user saw,
// with a Provenance, and "entered in error" with a reason instead of a
// delete (retract_entry.go). Every form carries the banner's patient and
// the server refuses a write for another (the wrong-patient guard).

// entriesPage is the frame of a section's page.
type entriesPage struct {
	page
	// MayWrite: the user's role may add to this section.
	MayWrite bool
	// Saved says what the last action did.
	Saved string
}

// entriesBase reads the record's patient (the banner; a sensitive record
// asks for a reason first) and frames the section's page.
func (ws *Workspace) entriesBase(w http.ResponseWriter, r *http.Request, v *visit, title, tab, typ string) (*entriesPage, bool) {
	patient, ok := ws.patient(w, r, v)
	if !ok {
		return nil, false
	}
	p := &entriesPage{page: ws.recordBase(v, title, tab, &patient)}
	_, p.MayWrite = v.principal.ReachFor(typ, auth.Create)
	p.Saved = entrySavedMessage(r.URL.Query().Get("saved"))
	return p, true
}

// entrySavedMessage is what a redirect after a save announces; the query
// carries a word, never clinical data.
func entrySavedMessage(what string) string {
	return map[string]string{
		"added":   "Added to the record.",
		"ended":   "Ended. It stays in the record as past.",
		"changed": "Changed. The earlier version is kept in the record's history.",
		"error":   "Marked as entered in error. It stays in the record, struck through, with your reason.",
	}[what]
}

// recordEntries searches the patient's entries of a type as the user.
func (ws *Workspace) recordEntries(ctx context.Context, typ, patientID string, params url.Values) ([]fhir.Resource, error) {
	res, hidden, err := ws.patientEntries(ctx, typ, patientID, params)
	if err == nil && hidden {
		err = fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "your role may not read %s", typ)
	}
	return res, err
}

// rxCode is a coded field of a form: what was typed, the matches
// found, the concept chosen.
type rxCode struct {
	Q     string
	Picks []codes.Concept
	// Notes are what the list says beside a pick, by code (a drug's
	// dm+d marks).
	Notes    map[string][]pickNote
	Searched bool
	Chosen   clinical.Concept
}

// pickNote is one mark beside a pick: its words and the tag's colour
// (red for what stops a prescription, orange for a caution).
type pickNote struct{ Text, Tone string }

// parseRecordCode reads a coded field; the Find button (action find-<field>)
// looks the words up in the codes seam, or in domain when the field
// takes one kind of concept only (a vaccine, an allergen), which a
// chosen code must then belong to.
func (ws *Workspace) parseRecordCode(ctx context.Context, form url.Values, field string, domain []codes.Concept) rxCode {
	c := rxCode{Q: strings.TrimSpace(form.Get(field + "-q"))}
	if code, display, ok := strings.Cut(form.Get(field+"-pick"), "|"); ok && codes.ValidSCTID(code) &&
		(domain == nil || slices.ContainsFunc(domain, func(d codes.Concept) bool { return d.Code == code })) {
		c.Chosen = clinical.Concept{Code: code, Display: display}
	}
	if form.Get("action") == "find-"+field && c.Q != "" {
		if domain != nil {
			c.Picks = codes.FindIn(domain, c.Q, 10)
		} else {
			c.Picks, _ = ws.codes().Find(ctx, c.Q, 10)
		}
		c.Searched = true
		if len(c.Picks) == 1 {
			c.Chosen = clinical.Concept{Code: c.Picks[0].Code, Display: c.Picks[0].Display}
		}
	}
	return c
}

// finding reports a Find button press: the form comes back with matches.
func rxFinding(form url.Values) bool { return strings.HasPrefix(form.Get("action"), "find-") }

// addEntry writes a new resource of the record in one transaction.
func (ws *Workspace) addEntry(ctx context.Context, patientID string, res fhir.Resource, who clinical.Ref) error {
	plan := clinical.Plan{Changes: []clinical.Change{{Ref: "urn:uuid:" + fhir.NewUUID(), Resource: res}}}
	_, err := ws.write(ctx, plan, patientID, who, "")
	return err
}

// changeEntry writes a new version of a saved entry: read as the user,
// checked to be this patient's, changed, and written If-Match the
// version the user saw, with a Provenance giving the reason.
func (ws *Workspace) changeEntry(ctx context.Context, patientID, typ, id, version string, change func(fhir.Resource) (fhir.Resource, bool), who clinical.Ref, reason string, retract bool) error {
	cur, err := ws.read(ctx, typ, id)
	if err != nil {
		return err
	}
	if !entryBelongsTo(cur, patientID) {
		return errWrongPatient
	}
	next, ok := change(cur)
	if !ok {
		return fhir.Errorf(http.StatusBadRequest, fhir.CodeInvalid, "%s cannot be changed this way", typ)
	}
	if version == "" {
		return fhir.Errorf(http.StatusPreconditionFailed, fhir.CodeConflict, "no version given")
	}
	plan := clinical.Plan{Changes: []clinical.Change{{Ref: typ + "/" + id, Resource: next, Version: version}}, Nullify: retract}
	if retract {
		plan.Retracted = []string{typ + "/" + id}
	}
	_, err = ws.write(ctx, plan, patientID, who, reason)
	return err
}

var errWrongPatient = errors.New("the entry belongs to another patient")

// entryBelongsTo reports whether an entry of the record is the patient's.
func entryBelongsTo(res fhir.Resource, patientID string) bool {
	for _, k := range []string{"subject", "patient"} {
		if m, ok := res[k].(map[string]any); ok {
			ref, _ := m["reference"].(string)
			return ref == "Patient/"+patientID
		}
	}
	return false
}

// entryFailed answers a write the service refused: changed by someone
// else since the page was shown (If-Match), the wrong patient, or as
// failed says.
func (ws *Workspace) entryFailed(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	var fe *fhir.Error
	switch {
	case errors.Is(err, errWrongPatient):
		ws.message(w, r, v, http.StatusConflict, "Not saved: wrong patient", "That entry is not this patient's, so nothing was saved. Open the patient's record again and check the banner.")
		return
	case errors.As(err, &fe) && (fe.Status == http.StatusConflict || fe.Status == http.StatusPreconditionFailed):
		ws.message(w, r, v, http.StatusConflict, "Not saved: changed by someone else", "Someone changed this entry after you opened the page, so nothing was saved. Go back and reload the page to see their change, then try again.")
		return
	}
	ws.failed(w, r, v, err)
}

// author is the user as the author of an entry.
func (ws *Workspace) entryAuthor(ctx context.Context, v *visit) clinical.Ref {
	return ws.authorRef(ctx, v)
}

// rxDate are a date input's three values, kept to show again.
type rxDate struct{ Day, Month, Year string }

func rxDateOf(form url.Values, field string) rxDate {
	return rxDate{form.Get(field + "-day"), form.Get(field + "-month"), form.Get(field + "-year")}
}
