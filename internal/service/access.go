package service

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gpcloud/gpcloud/internal/audit"
	"github.com/gpcloud/gpcloud/internal/auth"
	"github.com/gpcloud/gpcloud/internal/fhir"
	"github.com/gpcloud/gpcloud/internal/fhir/definitions"
	"github.com/gpcloud/gpcloud/internal/fhir/fhirjson"
	"github.com/gpcloud/gpcloud/internal/fhir/search"
	"github.com/gpcloud/gpcloud/internal/store"
)

// Access control. Every interaction asks allow for its type and
// permission: the caller's scopes must grant it (403 otherwise), and the
// answer is the caller's reach, nil when it is everything. Each resource
// read, written or returned is then checked against the reach (sees);
// one outside it is answered as if it did not exist (404), so that
// another practice's records do not reveal themselves. Searches carry the
// reach into SQL (search.Access) so that totals and pages count only what
// the caller may see.

// AuditEventType is written only by the server's audit trail.
const auditEventType = "AuditEvent"

// allow checks the caller's scopes for perm on typ and returns their
// reach, nil when the caller reaches every record (an in-process caller,
// or system scopes without restrictions).
func allow(ctx context.Context, typ string, perm auth.Permission) (*auth.Reach, error) {
	// Not even an in-process caller (an import) writes the audit trail:
	// only the audit package appends to it, below the service.
	if typ == auditEventType && perm != auth.Read && perm != auth.Search {
		return nil, fhir.Errorf(http.StatusMethodNotAllowed, fhir.CodeForbidden, "AuditEvent records are written by the server's audit trail and cannot be created, changed or deleted through the API")
	}
	p, ok := auth.FromContext(ctx)
	if !ok {
		return nil, nil
	}
	reach, ok := p.ReachFor(typ, perm)
	if !ok {
		return nil, fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "the access token's scopes do not allow %s on %s", permName(perm), typ)
	}
	if reach.All && len(reach.Restrictions) == 0 {
		return nil, nil
	}
	return &reach, nil
}

func permName(p auth.Permission) string {
	switch p {
	case auth.Create:
		return "create"
	case auth.Read:
		return "read"
	case auth.Update:
		return "update"
	case auth.Delete:
		return "delete"
	}
	return "search"
}

// notVisible is the answer for a resource outside the caller's reach: the
// same as for one that does not exist.
func notVisible(typ, id string) error {
	return fhir.Errorf(http.StatusNotFound, fhir.CodeNotFound, "%s/%s is not known", typ, id)
}

// outsideReach refuses a write that would put a record where the caller
// cannot see it (for another practice's patient, say).
func outsideReach(typ string) error {
	return fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "this %s would belong to a patient whose records you cannot reach", typ)
}

// sees reports whether reach covers a resource. Patients are reached by
// id or by registration at the practice; other records of the patient
// compartment through the patients they belong to; a Binary as what its
// securityContext names (binaryaccess.go); reference data (other types
// outside the compartment) always.
func (s *Service) sees(ctx context.Context, r store.Reader, reach *auth.Reach, typ, id string, res fhir.Resource) (bool, error) {
	if reach == nil {
		return true, nil
	}
	if !matchesRestrictions(reach.Restrictions, res) {
		return false, nil
	}
	if reach.All {
		return true, nil
	}
	if typ == "Patient" {
		if slices.Contains(reach.Patients, id) {
			// A proxy who may use no service for them reads nothing of
			// them (patient_access.go).
			return s.opens(ctx, r, id, typ, res)
		}
		return reach.Practice != "" && slices.Contains(search.ReferencesTo(res, search.PracticeParams, "Organization"), reach.Practice), nil
	}
	if typ == "Binary" {
		return s.seesBinary(ctx, r, reach, res)
	}
	params := definitions.PatientCompartment(typ)
	if len(params) == 0 {
		return true, nil
	}
	owners := search.ReferencesTo(res, params, "Patient")
	if len(owners) == 0 {
		return reach.Practice != "" && search.UnownedShared(typ), nil
	}
	for _, owner := range owners {
		if ok, err := s.reachesPatient(ctx, r, reach, owner); err != nil || ok {
			if err != nil {
				return false, err
			}
			// A patient or proxy reads of the record what their online
			// access opens (patient_access.go).
			return s.opens(ctx, r, owner, typ, res)
		}
	}
	return false, nil
}

// reachesPatient reports whether reach covers the records of a patient:
// one of the caller's patients, or registered at their practice and not
// sensitive (a sensitive record's content needs break-glass, which widens
// the reach to All before this is asked).
func (s *Service) reachesPatient(ctx context.Context, r store.Reader, reach *auth.Reach, patientID string) (bool, error) {
	if slices.Contains(reach.Patients, patientID) {
		return true, nil
	}
	if reach.Practice == "" {
		return false, nil
	}
	reg, err := s.registrationOf(ctx, r, patientID)
	if err != nil {
		return false, err
	}
	return slices.Contains(reg.practices, reach.Practice) && !reg.sensitive, nil
}

// registrationOf reads where a patient is registered and whether their
// record is sensitive. Outside a transaction the answer comes from a
// short-lived cache (a read and a decode per request would double the
// cost of reading one record): this server forgets a patient when it
// writes them, other servers on the same store within registrationTTL.
func (s *Service) registrationOf(ctx context.Context, r store.Reader, patientID string) (registration, error) {
	_, inTx := r.(store.Tx)
	if !inTx {
		if reg, ok := s.registrations.get(patientID, s.now()); ok {
			return reg, nil
		}
	}
	at, _ := r.(*auditedTx)
	if at != nil {
		if reg, ok := at.registered[patientID]; ok {
			return reg, nil
		}
	}
	v, err := r.Read(ctx, "Patient", patientID)
	if errors.Is(err, store.ErrNotFound) {
		return registration{}, nil
	}
	if err != nil {
		return registration{}, err
	}
	reg := registration{at: s.now()}
	if !v.Deleted {
		res, err := fhirjson.DecodeResource(v.Body, fhirjson.DefaultLimits)
		if err != nil {
			return registration{}, err
		}
		reg.practices = search.ReferencesTo(res, search.PracticeParams, "Organization")
		reg.sensitive = search.Sensitive(res)
	}
	if !inTx {
		s.registrations.put(patientID, reg)
	}
	if at != nil {
		if at.registered == nil {
			at.registered = map[string]registration{}
		}
		at.registered[patientID] = reg
	}
	return reg, nil
}

// seesVersion is sees for a stored version; a deletion is judged by the
// version before it (what was deleted).
func (s *Service) seesVersion(ctx context.Context, r store.Reader, reach *auth.Reach, v store.Version) (bool, error) {
	if withheld(ctx, v) {
		return false, nil // withheld from a patient or proxy (withheld.go)
	}
	if reach == nil {
		return true, nil
	}
	if v.Deleted {
		if v.VersionID <= 1 {
			return false, nil
		}
		prev, err := r.VRead(ctx, v.Type, v.ID, v.VersionID-1)
		if err != nil {
			return false, mapStoreError(err)
		}
		v = prev
	}
	res, err := fhirjson.DecodeResource(v.Body, fhirjson.DefaultLimits)
	if err != nil {
		return false, err
	}
	return s.sees(ctx, r, reach, v.Type, v.ID, res)
}

// matchesRestrictions reports whether a resource matches one of the
// queries of fine-grained scopes (?category=laboratory). They are matched
// in memory against the resource's own token values, so that a write can
// be checked before it is stored; only token parameters are supported
// (SMART's examples are all tokens), any other restricts to nothing.
func matchesRestrictions(restrictions []url.Values, res fhir.Resource) bool {
	if len(restrictions) == 0 {
		return true
	}
	tokens := search.Extract(res).Tokens
	for _, q := range restrictions {
		if matchesTokenQuery(q, tokens) {
			return true
		}
	}
	return false
}

func matchesTokenQuery(q url.Values, tokens []search.TokenValue) bool {
	for param, values := range q {
		matched := false
		for _, v := range values {
			for _, alt := range strings.Split(v, ",") {
				system, code, hasSystem := strings.Cut(alt, "|")
				if !hasSystem {
					system, code = "", alt
				}
				for _, t := range tokens {
					if t.Param == param && t.Code == code && (!hasSystem || t.System == system) {
						matched = true
					}
				}
			}
		}
		if !matched {
			return false
		}
	}
	return true
}

// guardWrite checks a write of res (nil for a delete) to typ/id: the
// scopes must allow perm, the version it replaces must be within reach
// (404 otherwise, as for a read) and so must the new content (403).
func (s *Service) guardWrite(ctx context.Context, r store.Reader, typ, id string, perm auth.Permission, res fhir.Resource) error {
	reach, err := allow(ctx, typ, perm)
	if err != nil || reach == nil {
		return err
	}
	if err := checkSelfService(ctx, r, typ, id, res); err != nil {
		return err
	}
	if err := checkWriteCategory(ctx, typ, res, nil); err != nil {
		return err
	}
	if id != "" {
		cur, err := r.Read(ctx, typ, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return mapStoreError(err)
		default:
			ok, err := s.seesVersion(ctx, r, reach, cur)
			if err != nil {
				return err
			}
			if !ok {
				return notVisible(typ, id)
			}
			if narrowedWrite(ctx, typ) {
				old, err := fhir.Unmarshal(cur.Body)
				if err != nil {
					return err
				}
				if err := checkWriteCategory(ctx, typ, nil, old); err != nil {
					return err
				}
			}
		}
	}
	if res != nil {
		ok, err := s.sees(ctx, r, reach, typ, id, res)
		if err != nil {
			return err
		}
		if !ok {
			return outsideReach(typ)
		}
		// A record is read by any patient it names, so a write must reach
		// every one: one patient's Task or QuestionnaireResponse naming
		// another (focus, author) would otherwise land in the other's
		// record (hazard H-1009).
		if !reach.All && typ != "Patient" && typ != "Binary" {
			for _, owner := range search.ReferencesTo(res, definitions.PatientCompartment(typ), "Patient") {
				if ok, err := s.reachesPatient(ctx, r, reach, owner); err != nil || !ok {
					if err != nil {
						return err
					}
					return outsideReach(typ)
				}
			}
		}
	}
	return nil
}

// restrictSearch adds the reach to a parsed search: the access condition,
// and the parameters of a fine-grained scope. Several fine-grained scopes
// on a type combine only when they restrict the same single parameter
// (their values are ORed); other combinations are refused.
func restrictSearch(q *search.Query, reach *auth.Reach) error {
	if reach == nil {
		return nil
	}
	if !reach.All {
		// A reach of no patient at all still sets Access: it then
		// matches reference data only.
		q.Access = &search.Access{Patients: reach.Patients, Practice: reach.Practice}
	}
	if len(reach.Restrictions) == 0 {
		return nil
	}
	if len(reach.Restrictions) == 1 {
		extra, _, err := search.Parse(q.Types, reach.Restrictions[0], search.ParseOptions{})
		if err != nil {
			return err
		}
		q.Filters = append(q.Filters, extra.Filters...)
		return nil
	}
	var key string
	var values []string
	for _, r := range reach.Restrictions {
		if len(r) != 1 {
			return errRestrictions
		}
		for k, vs := range r {
			if key != "" && k != key {
				return errRestrictions
			}
			key = k
			values = append(values, vs...)
		}
	}
	extra, _, err := search.Parse(q.Types, url.Values{key: {strings.Join(values, ",")}}, search.ParseOptions{})
	if err != nil {
		return err
	}
	q.Filters = append(q.Filters, extra.Filters...)
	return nil
}

var errRestrictions = fhir.Errorf(http.StatusForbidden, fhir.CodeNotSupported, "the access token's fine-grained scopes restrict this type by different parameters, which one search cannot combine: search with one of them")

// filterVisible keeps the versions the caller reaches, judging each by
// its own type's reach for read (includes and history mix types).
func (s *Service) filterVisible(ctx context.Context, vs []store.Version) ([]store.Version, error) {
	if _, ok := auth.FromContext(ctx); !ok {
		return vs, nil
	}
	reaches := map[string]*auth.Reach{}
	allowed := map[string]bool{}
	out := vs[:0:0]
	for _, v := range vs {
		if _, done := allowed[v.Type]; !done {
			r, err := allow(ctx, v.Type, auth.Read)
			allowed[v.Type] = err == nil
			reaches[v.Type] = r
		}
		if !allowed[v.Type] {
			continue
		}
		ok, err := s.seesVersion(ctx, s.store, reaches[v.Type], v)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, v)
		}
	}
	return out, nil
}

// restrictToCaller applies the caller's reach for searching q's types. A
// search over several types needs the same reach for each; a search over
// every type (no _type) needs a wildcard scope.
func restrictToCaller(ctx context.Context, q *search.Query) error {
	if _, ok := auth.FromContext(ctx); !ok {
		return nil
	}
	types := q.Types
	if len(types) == 0 {
		types = []string{"*"}
	}
	var first *auth.Reach
	for i, typ := range types {
		reach, err := allow(ctx, typ, auth.Search)
		if err != nil {
			if typ == "*" {
				return fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "a search across every type needs a wildcard scope: name the types with _type")
			}
			return err
		}
		if i == 0 {
			first = reach
			continue
		}
		if !sameReach(first, reach) {
			return fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "your access differs between these types: search them one at a time")
		}
	}
	if first != nil && len(q.Types) == 0 {
		return fhir.Errorf(http.StatusForbidden, fhir.CodeForbidden, "your access is limited to some patients' records: name the types with _type")
	}
	if err := guardSteps(ctx, q); err != nil {
		return err
	}
	q.AccessKey = accessKey(ctx, q)
	return restrictSearch(q, first)
}

func sameReach(a, b *auth.Reach) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.All == b.All && a.Practice == b.Practice && slices.Equal(a.Patients, b.Patients) && len(a.Restrictions) == 0 && len(b.Restrictions) == 0
}

// callerReadable keeps the types whose records the caller may read
// without a fine-grained restriction (for $everything, which answers with
// what it may, rather than refusing).
func callerReadable(ctx context.Context, types []string) []string {
	if _, ok := auth.FromContext(ctx); !ok {
		return types
	}
	var kept []string
	for _, t := range types {
		if r, err := allow(ctx, t, auth.Read); err == nil && (r == nil || len(r.Restrictions) == 0) {
			kept = append(kept, t)
		}
	}
	return kept
}

// seen notes versions the request touched, for its audit event. A
// Binary's patients are those of what its securityContext names, which
// only the store can tell: they are looked up here.
func (s *Service) seen(ctx context.Context, vs ...store.Version) {
	for _, v := range vs {
		switch {
		case v.Type == "Binary" && v.Body != nil:
			owners, err := binaryOwners(ctx, s.store, securityContextOf(v.Body))
			if err != nil {
				// Unknown owners: the event lists the Binary among the
				// records of no patient rather than lose it.
				owners = nil
			}
			audit.SawOwned(ctx, v.Type, v.ID, owners)
		case v.Type != "":
			audit.Saw(ctx, v.Type, v.ID, v.Body)
		}
	}
}

// wrote keeps caches right after a write: a Patient's registration may
// have changed.
func (s *Service) wrote(v store.Version) {
	if v.Type == "Patient" {
		s.registrations.forget(v.ID)
	}
}
