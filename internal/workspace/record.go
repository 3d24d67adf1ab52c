package workspace

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/gpcloud/gpcloud/internal/auth"

	"github.com/gpcloud/gpcloud/internal/clinical"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/service"
)

// recordPage is a patient's record summary: what a GP takes in within
// the first seconds of a consultation.
type recordPage struct {
	page
	Summary clinical.Summary
	// Hidden names the parts the user's role may not see.
	Hidden []string
	// MayAddLetter: the user's role may scan a letter into the record.
	MayAddLetter bool
}

// Shows reports whether the summary shows a part: a part the user's role
// may not read is left out, not shown empty ("no allergies" would be
// read as a fact).
func (p *recordPage) Shows(part string) bool { return !slices.Contains(p.Hidden, part) }

func (ws *Workspace) record(w http.ResponseWriter, r *http.Request, v *visit) {
	patient, ok := ws.patient(w, r, v)
	if !ok {
		return
	}
	p := &recordPage{page: ws.recordBase(v, "Record summary", "Summary", &patient)}
	_, p.MayAddLetter = v.principal.ReachFor("DocumentReference", auth.Create)
	ws.remember(r.Context(), v, patient.ID)
	sum, hidden, err := ws.summary(r.Context(), patient.ID)
	if err != nil {
		ws.failed(w, r, v, err)
		return
	}
	p.Summary, p.Hidden = sum, hidden
	if slices.Contains(auth.NamesOnly[v.principal.Role], "MedicationRequest") {
		// Names only: repeats by name; acute medicines are not theirs to
		// see (the service does not name them either).
		p.Summary.Acute = nil
		p.Hidden = append(p.Hidden, "acute medication")
	}
	ws.pages.Render(w, "record", http.StatusOK, p)
}

// patient reads the record's Patient as the user and answers for them
// when it cannot be shown (not known, or not within their reach: the
// same 404).
func (ws *Workspace) patient(w http.ResponseWriter, r *http.Request, v *visit) (clinical.Banner, bool) {
	out, err := ws.opts.Service.Read(r.Context(), "Patient", r.PathValue("id"))
	if err != nil {
		ws.failed(w, r, v, err)
		return clinical.Banner{}, false
	}
	res, err := fhir.Unmarshal(out.Version.Body)
	if err != nil {
		ws.failed(w, r, v, err)
		return clinical.Banner{}, false
	}
	b := clinical.BannerOf(res, ws.opts.Now())
	if b.Sensitive {
		if v.principal.BreakGlass == "" {
			ws.askReason(w, r, v, b)
			return clinical.Banner{}, false
		}
		b.BrokenGlass = v.principal.BreakGlass
	}
	if b.Record, err = ws.bannerRecord(r.Context(), b.ID); err != nil {
		ws.failed(w, r, v, err)
		return clinical.Banner{}, false
	}
	return b, true
}

// bannerRecord reads what the banner says of the record: allergies and
// active alerts, as the user may read them.
func (ws *Workspace) bannerRecord(ctx context.Context, patientID string) (*clinical.BannerRecord, error) {
	allergies, allergiesHidden, err := ws.patientEntries(ctx, "AllergyIntolerance", patientID, url.Values{"_count": {"100"}})
	if err != nil {
		return nil, err
	}
	flags, flagsHidden, err := ws.patientEntries(ctx, "Flag", patientID, url.Values{"status": {"active"}, "_count": {"50"}})
	if err != nil {
		return nil, err
	}
	return clinical.BannerRecordOf(allergies, flags, allergiesHidden, flagsHidden), nil
}

// patientEntries searches a patient's resources of one type as the user;
// hidden is true (and no error) when their role may not read the type.
func (ws *Workspace) patientEntries(ctx context.Context, typ, patientID string, params url.Values) ([]fhir.Resource, bool, error) {
	params.Set("patient", patientID)
	out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: typ, Params: params})
	var fe *fhir.Error
	if errors.As(err, &fe) && fe.Status == http.StatusForbidden {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return searchMatches(out.Resource), false, nil
}

// summary reads the parts of the record summary, each as the user: a
// part their role may not read (a receptionist and consultations) is
// left out and named.
func (ws *Workspace) summary(ctx context.Context, patientID string) (clinical.Summary, []string, error) {
	var hidden []string
	read := func(what, typ string, params url.Values) ([]fhir.Resource, error) {
		params.Set("patient", patientID)
		out, err := ws.opts.Service.Search(ctx, service.SearchRequest{Type: typ, Params: params})
		var fe *fhir.Error
		if errors.As(err, &fe) && fe.Status == http.StatusForbidden {
			hidden = append(hidden, what)
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return searchMatches(out.Resource), nil
	}
	var in clinical.SummaryInput
	var err error
	if in.Conditions, err = read("problems", "Condition", url.Values{"_count": {"100"}}); err != nil {
		return clinical.Summary{}, nil, err
	}
	if in.Medications, err = read("medication", "MedicationRequest", url.Values{"_count": {"100"}, "_sort": {"-authoredon"}}); err != nil {
		return clinical.Summary{}, nil, err
	}
	if in.Allergies, err = read("allergies", "AllergyIntolerance", url.Values{"_count": {"100"}}); err != nil {
		return clinical.Summary{}, nil, err
	}
	if in.Observations, err = read("measurements", "Observation", url.Values{"code": {clinical.SummaryObservationCodes()}, "_sort": {"-date"}, "_count": {"200"}}); err != nil {
		return clinical.Summary{}, nil, err
	}
	if in.Encounters, err = read("consultations", "Encounter", url.Values{"_sort": {"-date"}, "_count": {"3"}}); err != nil {
		return clinical.Summary{}, nil, err
	}
	if in.Immunizations, err = read("immunisations", "Immunization", url.Values{"_sort": {"-date"}, "_count": {"50"}}); err != nil {
		return clinical.Summary{}, nil, err
	}
	if in.Flags, err = read("alerts", "Flag", url.Values{"status": {"active"}, "_count": {"50"}}); err != nil {
		return clinical.Summary{}, nil, err
	}
	return clinical.Summarise(in, ws.opts.Now()), hidden, nil
}

// failed answers an error of the service: its status and its message for
// the user (a 404 for what is unknown or out of reach alike).
func (ws *Workspace) failed(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	var fe *fhir.Error
	if errors.As(err, &fe) {
		switch fe.Status {
		case http.StatusNotFound, http.StatusGone:
			ws.message(w, r, v, http.StatusNotFound, "Record not found", "There is no such record, or it is not one you can open.")
			return
		case http.StatusForbidden:
			ws.message(w, r, v, http.StatusForbidden, "Not available to your role", "Your role does not allow this.")
			return
		case http.StatusServiceUnavailable:
			ws.message(w, r, v, http.StatusServiceUnavailable, "Try again", "The database is busy or unavailable. Nothing was changed. Try again in a moment.")
			return
		}
	}
	ws.opts.Logger.Error("workspace page failed", "path", r.URL.Path, "error", err)
	ws.message(w, r, v, http.StatusInternalServerError, "Something went wrong", "The page could not be shown. Nothing was changed.")
}
