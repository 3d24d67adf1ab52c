package service

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirjson"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/identity"
	"github.com/gpcloud/gpcloud/internal/patientview"
	"github.com/gpcloud/gpcloud/internal/store"
)

// A patient's or proxy's online access to a record, applied to every
// read and write they make (H-1046). Reach (access.go) says whose
// records a caller may touch; this says how much of each: the services
// a proxy's grant allows, and the record as far as the access level
// goes (patientview.AccessOf: identity proof, the practice's decision or
// the GP contract's default, prospective access from a day, an
// enhanced-review entry closing the default, a proxy's grant and the age
// rules). An entry outside it is treated as outside reach: 404 on read,
// left out of searches, includes, history and $everything, refused on
// write. The portal's pages read through the same rule; a SMART app
// holding a patient's token gets no more.
//
// The decision reads the caller's account (identity proof, when it was
// made), the patient (date of birth), their Consents (the practice's
// record-access decision and the proxy grants) and any enhanced-review
// entry: straight from the store, not audited as the caller's reading
// (it is the service's own lookup), once per request (auth.Memo).

// opens reports whether a patient-facing caller reads res (of typ), an
// entry of patient's record; true for every other caller.
func (s *Service) opens(ctx context.Context, r store.Reader, patient, typ string, res fhir.Resource) (bool, error) {
	if !patientFacing(ctx) || alwaysOpen(ctx, typ) {
		return true, nil
	}
	if _, inTx := r.(store.Tx); inTx {
		// Decided before the transaction (decideAccess): reading the
		// store here would need a second connection.
		if a, ok := decided(ctx, patient); ok {
			return a.Opens(typ, res), nil
		}
		return false, nil // a patient the caller does not reach
	}
	a, err := s.patientAccess(ctx, patient)
	if err != nil {
		return false, err
	}
	return a.Opens(typ, res), nil
}

// alwaysOpen reports a type a patient reads of their own record whatever
// their access (patientview.Opening.Always), without deciding it; a
// proxy's is decided (one who may use no service reads nothing).
func alwaysOpen(ctx context.Context, typ string) bool {
	p, _ := auth.FromContext(ctx)
	return p.Role == auth.RolePatient && patientview.OpeningOf(typ).Always
}

// opensWhole reports whether every entry of typ is open to a
// patient-facing caller in each record they reach, so that a search's
// matches need not be read one by one.
func (s *Service) opensWhole(ctx context.Context, typ string) (bool, error) {
	p, _ := auth.FromContext(ctx)
	if alwaysOpen(ctx, typ) {
		return true, nil
	}
	for _, patient := range p.Patients {
		a, err := s.patientAccess(ctx, patient)
		if err != nil || !a.Whole(typ) {
			return false, err
		}
	}
	return true, nil
}

// decideAccess decides, before a transaction, what a patient-facing
// caller reads of each record they reach, into the request's Memo.
func (s *Service) decideAccess(ctx context.Context) error {
	p, ok := auth.FromContext(ctx)
	if !ok || !patientFacing(ctx) {
		return nil
	}
	for _, patient := range p.Patients {
		if _, err := s.patientAccess(ctx, patient); err != nil {
			return err
		}
	}
	return nil
}

// decided returns the access decided for patient in this request.
func decided(ctx context.Context, patient string) (patientview.Access, bool) {
	p, _ := auth.FromContext(ctx)
	if memo := auth.MemoFrom(ctx); memo != nil {
		if a, ok := memo.Load(patientAccessKey{subject: p.Subject, patient: patient}); ok {
			return a.(patientview.Access), true
		}
	}
	return patientview.Access{}, false
}

// patientAccess decides what the caller reads of patient's record.
func (s *Service) patientAccess(ctx context.Context, patient string) (patientview.Access, error) {
	if a, ok := decided(ctx, patient); ok {
		return a, nil
	}
	p, _ := auth.FromContext(ctx)
	memo := auth.MemoFrom(ctx)
	key := patientAccessKey{subject: p.Subject, patient: patient}
	in := patientview.RecordAccessInput{Proxy: p.Role == auth.RoleProxy}
	u, err := identity.GetUser(ctx, s.store, p.Subject)
	switch {
	case errors.Is(err, identity.ErrNoUser):
		// No account (a token whose account was deleted): no identity
		// proof, so none of the record.
	case err != nil:
		return patientview.Access{}, mapStoreError(err)
	default:
		in.Proof, in.AccountCreated = u.IdentityProof, u.Created
	}
	if err := s.readAccessInput(ctx, patient, p.Subject, &in); err != nil {
		return patientview.Access{}, err
	}
	a := patientview.AccessOf(in, s.now())
	if memo != nil {
		memo.Store(key, a)
	}
	return a, nil
}

type patientAccessKey struct{ subject, patient string }

// readAccessInput reads what the decision needs from the record: the
// patient (date of birth; died or left), and, when they may open any of
// the record, the practice's decisions and the latest enhanced-review
// entry.
func (s *Service) readAccessInput(ctx context.Context, patient, subject string, in *patientview.RecordAccessInput) error {
	v, err := s.store.Read(ctx, "Patient", patient)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil // nothing to open
	case err != nil:
		return mapStoreError(err)
	case !v.Deleted:
		res, err := fhirjson.DecodeResource(v.Body, fhirjson.DefaultLimits)
		if err != nil {
			return err
		}
		in.BirthDate, _ = res["birthDate"].(string)
		in.Closed = patientview.ClosedOnline(res)
	}
	if in.Closed || !patientview.HighIdentityProof(in.Proof) && !in.Proxy {
		return nil // the record stays closed whatever the decisions say
	}
	consents, err := s.lookup(ctx, "Consent", url.Values{"patient": {"Patient/" + patient}, "_count": {"200"}})
	if err != nil {
		return err
	}
	in.Setting = patientview.RecordAccessSettingOf(consents)
	if in.Proxy {
		in.Grant = patientview.GrantFor(consents, subject)
	}
	var codes []string
	for _, c := range patientview.EnhancedReviewCodes {
		codes = append(codes, patientview.SNOMED+"|"+c)
	}
	var review []fhir.Resource
	for _, typ := range []string{"Observation", "Condition"} {
		rs, err := s.lookup(ctx, typ, url.Values{"patient": {"Patient/" + patient}, "code": {strings.Join(codes, ",")}, "_count": {"100"}})
		if err != nil {
			return err
		}
		review = append(review, rs...)
	}
	in.EnhancedReview = patientview.LatestEnhancedReview(review)
	return nil
}

// lookup runs a search of the service's own, straight on the store: no
// reach, no audit (the first page, which the counts above keep whole).
func (s *Service) lookup(ctx context.Context, typ string, params url.Values) ([]fhir.Resource, error) {
	q, _, err := search.Parse([]string{typ}, params, search.ParseOptions{BaseURL: s.baseURL, DefaultCount: DefaultSearchCount, MaxCount: MaxSearchCount})
	if err != nil {
		return nil, err
	}
	page, err := s.store.Search(ctx, q, store.PageRequest{FirstOnly: true})
	if err != nil {
		return nil, mapStoreError(err)
	}
	var out []fhir.Resource
	for _, v := range page.Matches {
		if v.Deleted || v.Body == nil {
			continue
		}
		res, err := fhirjson.DecodeResource(v.Body, fhirjson.DefaultLimits)
		if err != nil {
			return nil, err
		}
		out = append(out, res)
	}
	return out, nil
}

// openMatches leaves out of a patient-facing caller's matches the
// entries their access does not open. Types open whole keep every match
// unread; the others are judged one by one (filterVisible, through
// sees).
func (s *Service) openMatches(ctx context.Context, matches []store.Version) ([]store.Version, error) {
	judge := false
	checked := map[string]bool{}
	for _, v := range matches {
		if checked[v.Type] {
			continue
		}
		checked[v.Type] = true
		whole, err := s.opensWhole(ctx, v.Type)
		if err != nil {
			return nil, err
		}
		if !whole || v.Type == "Binary" {
			judge = true
		}
	}
	if !judge {
		return matches, nil
	}
	return s.filterVisible(ctx, slices.Clone(matches))
}

// PatientAccess is what the caller, a patient or proxy, reads of a
// record they reach (patientview.Access): the portal's pages show what
// it opens and say why when it opens nothing. Other callers are refused:
// staff reach records by other rules.
func (s *Service) PatientAccess(ctx context.Context, patient string) (patientview.Access, error) {
	p, ok := auth.FromContext(ctx)
	if !ok || !patientFacing(ctx) {
		return patientview.Access{}, fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "online access is decided for patients and proxies only")
	}
	if !slices.Contains(p.Patients, patient) {
		return patientview.Access{}, notVisible("Patient", patient)
	}
	return s.patientAccess(ctx, patient)
}
